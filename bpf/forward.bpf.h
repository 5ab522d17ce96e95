/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * forward.bpf.h - rewrite a packet's source or destination endpoint and
 * send it towards its new next hop found with bpf_fib_lookup().
 */
#ifndef SIPLB_FORWARD_BPF_H
#define SIPLB_FORWARD_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "csum.bpf.h"
#include "parse_hdrs.bpf.h"

#define AF_INET		2
#define AF_INET6	10

/*
 * Replace the packet's source (dst_side false) or destination endpoint
 * with `to`, keeping the IPv4 header and UDP checksums valid. The caller
 * has checked that `to` has the packet's address family.
 */
static __always_inline void rewrite_endpoint(struct pkt *pkt, bool dst_side,
					     const struct siplb_endpoint *to)
{
	struct udphdr *udp = pkt->udp;
	__be16 *port = dst_side ? &udp->dest : &udp->source;
	__u16 old[9], new[9];	/* address words, then the port */
	int i;

	if (pkt->ip4) {
		struct iphdr *ip = pkt->ip4;
		__be32 *addr = dst_side ? &ip->daddr : &ip->saddr;

		__builtin_memcpy(old, addr, 4);
		__builtin_memcpy(new, &to->addr[0], 4);
		old[2] = *port;
		new[2] = to->port;
		csum_replace(&ip->check, old, new, 2);
		udp_csum_replace(&udp->check, true, old, new, 3);
		*addr = to->addr[0];
	} else if (pkt->ip6) {
		struct ipv6hdr *ip6 = pkt->ip6;
		struct in6_addr *addr = dst_side ? &ip6->daddr : &ip6->saddr;

		__builtin_memcpy(old, addr, 16);
		__builtin_memcpy(new, to->addr, 16);
		old[8] = *port;
		new[8] = to->port;
		udp_csum_replace(&udp->check, false, old, new, 9);
#pragma unroll
		for (i = 0; i < 4; i++)
			addr->in6_u.u6_addr32[i] = to->addr[i];
	}
	*port = to->port;
}

/* Ask the kernel's FIB for the next hop of the packet as it is now. */
static __always_inline int fib_next_hop(struct xdp_md *ctx, struct pkt *pkt,
					struct bpf_fib_lookup *fib)
{
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->l4_protocol = IPPROTO_UDP;
	fib->sport = pkt->udp->source;
	fib->dport = pkt->udp->dest;
	fib->ifindex = ctx->ingress_ifindex;
	if (pkt->ip4) {
		fib->family = AF_INET;
		fib->tos = pkt->ip4->tos;
		fib->tot_len = bpf_ntohs(pkt->ip4->tot_len);
		fib->ipv4_src = pkt->ip4->saddr;
		fib->ipv4_dst = pkt->ip4->daddr;
	} else if (pkt->ip6) {
		fib->family = AF_INET6;
		fib->flowinfo = *(__be32 *)pkt->ip6 & bpf_htonl(0x0fffffff);
		fib->tot_len = bpf_ntohs(pkt->ip6->payload_len);
		__builtin_memcpy(fib->ipv6_src, &pkt->ip6->saddr, 16);
		__builtin_memcpy(fib->ipv6_dst, &pkt->ip6->daddr, 16);
	}
	return bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
}

/* How a rewritten packet left, in the order of the STEER_ and SNAT_
 * counters: TX, REDIRECT, then "the kernel forwards it". */
enum fwd_way {
	FWD_TX,
	FWD_REDIRECT,
	FWD_KERNEL,
};

/* Send a packet whose FIB lookup succeeded; sets *action. */
static __always_inline enum fwd_way send_to_next_hop(struct xdp_md *ctx,
						     struct pkt *pkt,
						     struct bpf_fib_lookup *fib,
						     int *action)
{
	__builtin_memcpy(pkt->eth->h_dest, fib->dmac, ETH_ALEN);
	__builtin_memcpy(pkt->eth->h_source, fib->smac, ETH_ALEN);
	if (fib->ifindex == ctx->ingress_ifindex) {
		*action = XDP_TX;
		return FWD_TX;
	}
	*action = bpf_redirect(fib->ifindex, 0);
	return FWD_REDIRECT;
}

#endif /* SIPLB_FORWARD_BPF_H */
