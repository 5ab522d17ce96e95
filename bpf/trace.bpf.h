/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * trace.bpf.h - the verdict trace (include/siplb_trace.h): when siplbctl
 * trace has switched it on, an event for each packet that passes its
 * filters and its 1-in-N sample, put in the siplb_trace ring buffer where
 * the program settles the packet's verdict. Off, it costs one lookup.
 */
#ifndef SIPLB_TRACE_BPF_H
#define SIPLB_TRACE_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "siplb_trace.h"
#include "parse_hdrs.bpf.h"

/* 0 -> struct siplb_trace_cfg: off, or the filters siplbctl trace set */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct siplb_trace_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_trace_cfg SEC(".maps");

/* the traced packets' events, read by siplbctl trace */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SIPLB_TRACE_RING_SIZE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_trace SEC(".maps");

static __always_inline bool trace_src_matches(const struct siplb_trace_cfg *cfg,
					      const struct pkt *pkt)
{
	int i;

	if (pkt->src.family != cfg->src.family)
		return false;
#pragma unroll
	for (i = 0; i < 4; i++)
		if ((pkt->src.addr[i] & cfg->src_mask[i]) != cfg->src.addr[i])
			return false;
	return true;
}

static __always_inline bool trace_vip_matches(const struct siplb_trace_cfg *cfg,
					      const struct pkt *pkt)
{
	int i;

	if (pkt->dst.family != cfg->vip.family ||
	    pkt->dst.port != cfg->vip.port)
		return false;
#pragma unroll
	for (i = 0; i < 4; i++)
		if (pkt->dst.addr[i] != cfg->vip.addr[i])
			return false;
	return true;
}

static __always_inline bool trace_wanted(const struct siplb_trace_cfg *cfg,
					 const struct pkt *pkt, int stat)
{
	__u32 f = cfg->filters;

	if ((f & SIPLB_TRACE_F_REASON) && cfg->reason != (__u32)stat)
		return false;
	if ((f & SIPLB_TRACE_F_CALLID) && cfg->callid_hash != pkt->callid_hash)
		return false;
	if ((f & SIPLB_TRACE_F_SRC) && !trace_src_matches(cfg, pkt))
		return false;
	if ((f & SIPLB_TRACE_F_VIP) && !trace_vip_matches(cfg, pkt))
		return false;
	/* Sampled after filtering: 1 in N of the packets asked about. */
	return cfg->sample <= 1 || bpf_get_prandom_u32() % cfg->sample == 0;
}

/* Copy the frame's first bytes; the rest of the event is the caller's. */
static __always_inline void trace_capture(struct xdp_md *ctx,
					  struct siplb_trace_event *ev)
{
	/* Verifier: 64 bits wide, as a __u32 clang would bound-check a
	 * zero-extended copy and pass the helper the unchecked register. */
	__u64 len = (__u64)ctx->data_end - ctx->data;

	ev->pkt_len = len;
	if (len > SIPLB_TRACE_SNAPLEN)
		len = SIPLB_TRACE_SNAPLEN;
	/* A failed copy (never, for the linear part) leaves cap_len 0. */
	if (len == 0 || bpf_xdp_load_bytes(ctx, 0, ev->data, len))
		len = 0;
	ev->cap_len = len;
}

/*
 * The packet's verdict is settled: counted under stat, returned as action.
 * Called once per packet, after the counter has moved.
 */
static __always_inline void
trace_verdict(struct xdp_md *ctx, const struct pkt *pkt, int stat, int action)
{
	struct siplb_trace_event *ev;
	struct siplb_trace_cfg *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&siplb_trace_cfg, &zero);
	if (!cfg || !cfg->enabled)
		return;
	if (!trace_wanted(cfg, pkt, stat))
		return;
	ev = bpf_ringbuf_reserve(&siplb_trace, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&cfg->lost, 1);
		return;
	}
	ev->time_ns = bpf_ktime_get_ns();
	ev->callid_hash = pkt->callid_hash;
	ev->src = pkt->src;
	ev->dst = pkt->dst;
	ev->ifindex = ctx->ingress_ifindex;
	ev->backend_id = pkt->backend_id;
	ev->payload_off = pkt->udp ? pkt->payload_off : 0;
	ev->reason = stat;
	ev->verdict = action;
	__builtin_memset(ev->pad, 0, sizeof(ev->pad));
	trace_capture(ctx, ev);
	bpf_ringbuf_submit(ev, 0);
}

#endif /* SIPLB_TRACE_BPF_H */
