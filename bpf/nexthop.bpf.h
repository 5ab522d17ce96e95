/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * nexthop.bpf.h - send a packet steered to a backend towards the next hop
 * cached for that backend (siplb_nexthops), and ask bpf_fib_lookup() only
 * when the cache has nothing valid: the lookup was the largest single
 * cost of a steered packet after the scan. The validity rule (age,
 * ingress interface, backend address, length) is in include/siplb_maps.h.
 * Only successful lookups are cached: a backend on this host or one whose
 * neighbour is unresolved asks the FIB every time, as before.
 */
#ifndef SIPLB_NEXTHOP_BPF_H
#define SIPLB_NEXTHOP_BPF_H

#include "forward.bpf.h"
#include "maps.bpf.h"

/* The IP length bpf_fib_lookup() checks against the route's MTU. */
static __always_inline __u32 ip_len(const struct pkt *pkt)
{
	if (pkt->ip4)
		return bpf_ntohs(pkt->ip4->tot_len);
	if (pkt->ip6)
		return bpf_ntohs(pkt->ip6->payload_len);
	return 0xffff;
}

static __always_inline bool nexthop_valid(const struct siplb_nexthop *nh,
					  const struct xdp_md *ctx,
					  const struct siplb_endpoint *ep,
					  __u32 len, __u64 now)
{
	return nh->filled_ns && now - nh->filled_ns < SIPLB_NEXTHOP_TTL_NS &&
	       nh->in_ifindex == ctx->ingress_ifindex && len <= nh->max_len &&
	       nh->daddr[0] == ep->addr[0] && nh->daddr[1] == ep->addr[1] &&
	       nh->daddr[2] == ep->addr[2] && nh->daddr[3] == ep->addr[3];
}

static __always_inline void nexthop_fill(struct siplb_nexthop *nh,
					 const struct xdp_md *ctx,
					 const struct siplb_endpoint *ep,
					 const struct bpf_fib_lookup *fib,
					 __u32 len, __u64 now)
{
	nh->filled_ns = now;
	__builtin_memcpy(nh->daddr, ep->addr, sizeof(nh->daddr));
	nh->in_ifindex = ctx->ingress_ifindex;
	nh->out_ifindex = fib->ifindex;
	nh->max_len = len;
	__builtin_memcpy(nh->smac, fib->smac, ETH_ALEN);
	__builtin_memcpy(nh->dmac, fib->dmac, ETH_ALEN);
}

/*
 * The packet, already rewritten to the backend `ep` (id backend_id), goes
 * to its next hop. Returns the STEER_ counter; sets *action.
 */
static __always_inline int steer_next_hop(struct xdp_md *ctx, struct pkt *pkt,
					  __u32 backend_id,
					  const struct siplb_endpoint *ep,
					  int *action)
{
	struct bpf_fib_lookup fib;
	struct siplb_nexthop *nh;
	__u32 len = ip_len(pkt);
	__u64 now = bpf_ktime_get_coarse_ns();
	int rc;

	nh = bpf_map_lookup_elem(&siplb_nexthops, &backend_id);
	if (nh && nexthop_valid(nh, ctx, ep, len, now)) {
		count_event(SIPLB_EVENT_NEXTHOP_HIT);
		__builtin_memcpy(pkt->eth->h_dest, nh->dmac, ETH_ALEN);
		__builtin_memcpy(pkt->eth->h_source, nh->smac, ETH_ALEN);
		if (nh->out_ifindex == ctx->ingress_ifindex) {
			*action = XDP_TX;
			return SIPLB_STAT_STEER_TX;
		}
		*action = bpf_redirect(nh->out_ifindex, 0);
		return SIPLB_STAT_STEER_REDIRECT;
	}
	count_event(SIPLB_EVENT_NEXTHOP_MISS);
	rc = fib_next_hop(ctx, pkt, &fib);
	if (rc == BPF_FIB_LKUP_RET_NOT_FWDED)	/* backend on this host */
		return SIPLB_STAT_STEER_LOCAL;
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)	/* no neighbour yet, ... */
		return SIPLB_STAT_STEER_KERNEL;
	if (nh)
		nexthop_fill(nh, ctx, ep, &fib, len, now);
	return SIPLB_STAT_STEER_TX + send_to_next_hop(ctx, pkt, &fib, action);
}

#endif /* SIPLB_NEXTHOP_BPF_H */
