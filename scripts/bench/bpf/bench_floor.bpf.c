// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_floor.bpf.c - the floor for the XDP benchmark
 * (scripts/bench/bench_xdp.c): the cheapest forwarder that still looks at
 * the packet. It parses Ethernet, IPv4 or IPv6 and UDP with the usual
 * bounds checks, swaps the MAC addresses, the IP addresses and the UDP
 * ports, and returns XDP_TX. No maps, no payload access, no checksum
 * updates (swapping source and destination leaves both checksums valid).
 *
 * Whatever siplb costs above this figure is the price of reading the SIP
 * message and choosing a backend.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

static __always_inline void swap_mac(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

/* Swap the IP addresses; returns the UDP header, or NULL if not UDP. */
static __always_inline struct udphdr *swap_ip(struct ethhdr *eth,
					      void *data_end)
{
	void *l3 = eth + 1;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		__be32 addr;

		if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_UDP)
			return NULL;
		addr = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = addr;
		return (void *)ip + ip->ihl * 4;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		struct in6_addr addr;

		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_UDP)
			return NULL;
		addr = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = addr;
		return (void *)(ip6 + 1);
	}
	return NULL;
}

SEC("xdp")
int bench_floor(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	struct udphdr *udp;
	__be16 port;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	udp = swap_ip(eth, data_end);
	if (!udp || (void *)(udp + 1) > data_end)
		return XDP_PASS;
	port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	swap_mac(eth);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
