// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * siplb.bpf.c - the XDP fast path of siplb.
 *
 * For a UDP datagram to a VIP: parse -> classify the SIP message -> choose
 * the backend by the keyed hash of its Call-ID (affinity LRU, else the
 * VIP's Maglev table) -> rewrite the destination -> send (XDP_TX,
 * XDP_REDIRECT, or XDP_PASS for a local backend). REGISTER, keep-alives and
 * whatever cannot be steered safely go up to the local stack (siplbd);
 * what is not SIP is dropped. Requests from unregistered sources may be
 * limited or refused, and scanners dropped, first (guard.bpf.h). A
 * REGISTER is handed to siplb_cookie_xdp (cookie.bpf.h), which answers
 * the digest challenge itself or passes it up. Every
 * packet is counted under one reason, and may then be traced (trace.bpf.h).
 *
 * For a datagram from a backend's endpoint (siplb_snat): rewrite the source
 * to the VIP the backend serves and forward it, so that clients only ever
 * see the VIP as their peer. Everything else passes untouched.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "siplb_maps.h"
#include "siplb_hash.h"
#include "maps.bpf.h"
#include "parse_hdrs.bpf.h"
#include "sip_scan.bpf.h"
#include "forward.bpf.h"
#include "nexthop.bpf.h"
#include "guard.bpf.h"
#include "trace.bpf.h"
#include "passive.bpf.h"
#include "progs.bpf.h"

/* Backend for a Call-ID hash: its affinity entry, else the Maglev table. */
static __always_inline struct siplb_backend *
choose_backend(const struct siplb_vip *vip, __u64 hash, __u8 family,
	       __u32 *backend_id)
{
	struct siplb_affinity_key key = {
		.callid_hash = hash,
		.vip_id = vip->vip_id,
	};
	struct siplb_affinity *aff, fresh = {};
	struct siplb_backend *be;
	__u32 idx, *id;

	aff = bpf_map_lookup_elem(&siplb_affinity, &key);
	if (aff) {
		be = bpf_map_lookup_elem(&siplb_backends, &aff->backend_id);
		if (be && siplb_backend_usable(be, vip, family, true)) {
			count_event(SIPLB_EVENT_AFFINITY_HIT);
			*backend_id = aff->backend_id;
			return be;
		}
	}
	count_event(SIPLB_EVENT_AFFINITY_MISS);

	idx = siplb_ring_index(vip->ring_id, siplb_maglev_slot(hash));
	id = bpf_map_lookup_elem(&siplb_rings, &idx);
	if (!id || *id == 0)
		return NULL;
	be = bpf_map_lookup_elem(&siplb_backends, id);
	if (!be || !siplb_backend_usable(be, vip, family, false))
		return NULL;

	fresh.backend_id = *id;
	bpf_map_update_elem(&siplb_affinity, &key, &fresh, BPF_ANY);
	*backend_id = *id;
	return be;
}

static __always_inline void count_backend(__u32 backend_id, __u64 bytes)
{
	struct siplb_backend_stats *st;

	st = bpf_map_lookup_elem(&siplb_be_stats, &backend_id);
	if (st) {
		st->packets++;
		st->bytes += bytes;
	}
}

/* Blocked by siplbd for failing authentication too often (and not yet
 * expired): dropped before any parsing, so a password-guessing tool costs
 * the host almost nothing. */
static __always_inline bool source_blocked(const struct pkt *pkt)
{
	struct siplb_addr src = {};
	struct siplb_block *block;

	__builtin_memcpy(src.addr, pkt->src.addr, sizeof(src.addr));
	src.family = pkt->src.family;
	block = bpf_map_lookup_elem(&siplb_blocked, &src);
	return block && bpf_ktime_get_ns() < block->until_ns;
}

/* Copy the payload and scan it. Returns 0 or a counter. */
static __always_inline int scan_payload(struct xdp_md *ctx, struct pkt *pkt,
					struct scratch **sp,
					struct sip_scan *scan)
{
	__u32 zero = 0, len = pkt->payload_len;
	struct scratch *s;

	if (len == 0)
		return SIPLB_STAT_DROP_NOT_SIP;
	s = bpf_map_lookup_elem(&siplb_scratch, &zero);
	if (!s)
		return SIPLB_STAT_PASS_INTERNAL;
	if (len > SIPLB_SCAN_MAX)
		len = SIPLB_SCAN_MAX;
	if (bpf_xdp_load_bytes(ctx, pkt->payload_off, s->buf, len))
		return SIPLB_STAT_PASS_INTERNAL;
	/* Zero the word after the message: the 8-byte loads of the scan may
	 * read up to 7 bytes past its end, and must not see an old packet. */
	*(__u64 *)&s->buf[len] = 0;
	*sp = s;
	return sip_scan(s, len, pkt->payload_len > len, scan);
}

/* A datagram to a VIP. Returns the counter; sets *action. */
static __always_inline int handle_vip_packet(struct xdp_md *ctx,
					     struct pkt *pkt,
					     const struct siplb_vip *vip,
					     int *action)
{
	struct sip_scan scan = {};
	struct siplb_config *cfg;
	struct siplb_backend *be;
	struct scratch *s = NULL;
	__u32 zero = 0, backend_id = 0;
	__u64 hash;
	int err, rc;

	if (pkt->udp_cut) {
		*action = XDP_DROP;
		return SIPLB_STAT_DROP_TRUNCATED;
	}
	if (source_blocked(pkt)) {
		*action = XDP_DROP;
		return SIPLB_STAT_DROP_BLOCKED;
	}
	err = scan_payload(ctx, pkt, &s, &scan);
	if (s && !siplb_stat_is_drop(err)) {
		rc = guard_check(pkt, s, err);	/* floods, scanners */
		if (rc) {
			*action = XDP_DROP;
			return rc;
		}
	}
	if (err == SIPLB_STAT_PASS_REGISTER)
		cookie_tail_call(ctx);	/* returns only if none is loaded */
	if (err || !s) {
		*action = siplb_stat_is_drop(err) ? XDP_DROP : XDP_PASS;
		return err ? err : SIPLB_STAT_PASS_INTERNAL;
	}

	cfg = bpf_map_lookup_elem(&siplb_config, &zero);
	if (!cfg)
		return SIPLB_STAT_PASS_INTERNAL;
	hash = sip_hash_callid(s, scan.callid_off, scan.callid_len,
			       cfg->hash_key[0], cfg->hash_key[1]);
	be = choose_backend(vip, hash, pkt->dst.family, &backend_id);
	pkt->callid_hash = hash;
	pkt->backend_id = backend_id;
	if (!be)
		return SIPLB_STAT_PASS_NO_BACKEND;

	passive_request(&be->ep, s, scan.is_response);
	rewrite_endpoint(pkt, true, &be->ep);
	count_backend(backend_id, pkt->data_end - (void *)pkt->eth);
	return steer_next_hop(ctx, pkt, backend_id, &be->ep, action);
}

/* A datagram that is not to a VIP: from a backend, show it as the VIP's. */
static __always_inline int handle_backend_packet(struct xdp_md *ctx,
						 struct pkt *pkt, int *action)
{
	struct siplb_endpoint *vip_ep;
	struct bpf_fib_lookup fib;
	int rc;

	vip_ep = bpf_map_lookup_elem(&siplb_snat, &pkt->src);
	if (!vip_ep)
		return SIPLB_STAT_PASS_NOT_VIP;
	if (pkt->udp_cut || vip_ep->family != pkt->src.family)
		return SIPLB_STAT_PASS_UNPARSED;

	/* Traffic between a backend and this host (health checks, the
	 * registrar) keeps the backend's address: look before rewriting. */
	rc = fib_next_hop(ctx, pkt, &fib);
	if (rc == BPF_FIB_LKUP_RET_NOT_FWDED)
		return SIPLB_STAT_SNAT_TO_HOST;

	passive_response(ctx, pkt);
	rewrite_endpoint(pkt, false, vip_ep);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return SIPLB_STAT_SNAT_KERNEL;
	return SIPLB_STAT_SNAT_TX + send_to_next_hop(ctx, pkt, &fib, action);
}

/*
 * Fragments and packets with IPv6 extension headers go up unchanged either
 * way; they are counted as the slow path's only when addressed to a VIP
 * address (XDP cannot see their port), else as not ours.
 */
static __always_inline int classify_unparsed(const struct pkt *pkt, int stat)
{
	struct siplb_addr dst = {};

	if (stat != SIPLB_STAT_PASS_FRAGMENT &&
	    stat != SIPLB_STAT_PASS_IPV6_EXTHDR)
		return stat;
	__builtin_memcpy(dst.addr, pkt->dst.addr, sizeof(dst.addr));
	dst.family = pkt->dst.family;
	if (!bpf_map_lookup_elem(&siplb_vip_addrs, &dst))
		return SIPLB_STAT_PASS_NOT_VIP;
	return stat;
}

SEC("xdp")
int siplb_xdp(struct xdp_md *ctx)
{
	struct siplb_vip *vip;
	struct pkt pkt = {};
	int action = XDP_PASS;
	int stat;

	stat = parse_packet(ctx, &pkt);
	if (stat) {
		stat = classify_unparsed(&pkt, stat);
	} else {
		vip = bpf_map_lookup_elem(&siplb_vips, &pkt.dst);
		if (vip)
			stat = handle_vip_packet(ctx, &pkt, vip, &action);
		else
			stat = handle_backend_packet(ctx, &pkt, &action);
	}
	count(stat);
	trace_verdict(ctx, &pkt, stat, action);
	return action;
}

/*
 * After siplb_xdp, on purpose: `ip link ... xdp obj siplb.bpf.o sec xdp`
 * attaches the first program of the section (and loads no other, so
 * siplb_progs stays empty and REGISTERs go up).
 */
#include "cookie.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
