/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * parse_hdrs.bpf.h - Ethernet (0-2 VLAN tags), IPv4 (with options), IPv6
 * and UDP parsing into a struct pkt. Each parse_<hdr>() checks its bounds
 * as `if (h + 1 > data_end)` and moves the cursor past the header.
 */
#ifndef SIPLB_PARSE_HDRS_BPF_H
#define SIPLB_PARSE_HDRS_BPF_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include "siplb_maps.h"

#define VLAN_MAX_DEPTH 2	/* 802.1Q, and 802.1ad QinQ */

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* What the header parsers learnt about one packet. */
struct pkt {
	void *data_end;
	struct ethhdr *eth;
	struct iphdr *ip4;		/* one of ip4 / ip6 is set */
	struct ipv6hdr *ip6;
	struct udphdr *udp;
	__u32 payload_off;		/* UDP payload, from the frame start */
	__u32 payload_len;		/* as the UDP length field says */
	bool udp_cut;			/* UDP/IP length beyond the frame */
	struct siplb_endpoint src, dst;
	/* What the choice found, kept for the verdict trace (trace.bpf.h). */
	__u64 callid_hash;		/* 0: none hashed */
	__u32 backend_id;		/* 0: none chosen */
};

static __always_inline int parse_ethhdr(void **pos, void *data_end,
					struct ethhdr **ethp)
{
	struct ethhdr *eth = *pos;
	struct vlan_hdr *vlh;
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return -1;
	*ethp = eth;
	vlh = (void *)(eth + 1);
	proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vlh + 1) > data_end)
			return -1;
		proto = vlh->encap_proto;
		vlh++;
	}
	*pos = vlh;
	return proto;	/* network byte order */
}

/*
 * Returns 0 with pkt->ip4 set and *pos at the L4 header, or the counter that
 * explains why the packet is not ours to touch.
 */
static __always_inline int parse_ipv4(void **pos, struct pkt *pkt,
				      __u32 *l4_len)
{
	struct iphdr *ip = *pos;
	__u32 hdr_len;

	if ((void *)(ip + 1) > pkt->data_end)
		return SIPLB_STAT_PASS_UNPARSED;
	hdr_len = ip->ihl * 4;
	if (ip->version != 4 || hdr_len < sizeof(*ip))
		return SIPLB_STAT_PASS_UNPARSED;
	if (*pos + hdr_len > pkt->data_end)
		return SIPLB_STAT_PASS_UNPARSED;
	pkt->src.family = pkt->dst.family = SIPLB_AF_INET;
	pkt->src.addr[0] = ip->saddr;
	pkt->dst.addr[0] = ip->daddr;
	/* MF set or a non-zero offset: no complete UDP datagram here. */
	if (ip->frag_off & bpf_htons(0x3fff))
		return SIPLB_STAT_PASS_FRAGMENT;
	if (ip->protocol != IPPROTO_UDP)
		return SIPLB_STAT_PASS_NOT_VIP;
	if (bpf_ntohs(ip->tot_len) < hdr_len)
		return SIPLB_STAT_PASS_UNPARSED;

	pkt->ip4 = ip;
	*l4_len = bpf_ntohs(ip->tot_len) - hdr_len;
	*pos += hdr_len;
	return 0;
}

static __always_inline int parse_ipv6(void **pos, struct pkt *pkt,
				      __u32 *l4_len)
{
	struct ipv6hdr *ip6 = *pos;

	if ((void *)(ip6 + 1) > pkt->data_end)
		return SIPLB_STAT_PASS_UNPARSED;
	pkt->src.family = pkt->dst.family = SIPLB_AF_INET6;
	__builtin_memcpy(pkt->src.addr, &ip6->saddr, sizeof(pkt->src.addr));
	__builtin_memcpy(pkt->dst.addr, &ip6->daddr, sizeof(pkt->dst.addr));
	switch (ip6->nexthdr) {
	case IPPROTO_UDP:
		break;
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case 135:	/* Mobility */
	case 139:	/* HIP */
	case 140:	/* Shim6 */
		/* The UDP header, if any, is behind headers we do not walk. */
		return SIPLB_STAT_PASS_IPV6_EXTHDR;
	default:
		return SIPLB_STAT_PASS_NOT_VIP;
	}

	pkt->ip6 = ip6;
	*l4_len = bpf_ntohs(ip6->payload_len);
	*pos = ip6 + 1;
	return 0;
}

static __always_inline int parse_udphdr(void **pos, struct pkt *pkt,
					void *data, __u32 l4_len)
{
	struct udphdr *udp = *pos;
	__u32 udp_len, avail;

	if ((void *)(udp + 1) > pkt->data_end)
		return SIPLB_STAT_PASS_UNPARSED;
	pkt->udp = udp;
	pkt->src.port = udp->source;
	pkt->dst.port = udp->dest;

	/* Trust the UDP length only within what the IP header and the frame
	 * hold; Ethernet padding after the datagram is not payload. */
	udp_len = bpf_ntohs(udp->len);
	avail = pkt->data_end - (void *)udp;
	if (udp_len < sizeof(*udp) || udp_len > l4_len || udp_len > avail) {
		pkt->udp_cut = true;
		udp_len = sizeof(*udp);
	}
	pkt->payload_off = (void *)(udp + 1) - data;
	pkt->payload_len = udp_len - sizeof(*udp);
	return 0;
}

/* Returns 0 for a parsed UDP packet, else the counter for XDP_PASS. */
static __always_inline int parse_packet(struct xdp_md *ctx, struct pkt *pkt)
{
	void *data = (void *)(long)ctx->data;
	void *pos = data;
	__u32 l4_len = 0;
	int proto, err;

	pkt->data_end = (void *)(long)ctx->data_end;
	proto = parse_ethhdr(&pos, pkt->data_end, &pkt->eth);
	if (proto < 0)
		return SIPLB_STAT_PASS_UNPARSED;
	if (proto == bpf_htons(ETH_P_IP))
		err = parse_ipv4(&pos, pkt, &l4_len);
	else if (proto == bpf_htons(ETH_P_IPV6))
		err = parse_ipv6(&pos, pkt, &l4_len);
	else
		err = SIPLB_STAT_PASS_NOT_VIP;
	if (err)
		return err;
	return parse_udphdr(&pos, pkt, data, l4_len);
}

#endif /* SIPLB_PARSE_HDRS_BPF_H */
