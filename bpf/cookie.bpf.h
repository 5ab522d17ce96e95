/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cookie.bpf.h - SIP cookies: the registrar's 401 answered in XDP.
 *
 * siplb_xdp tail-calls siplb_cookie_xdp (progs.bpf.h) for a REGISTER
 * to a VIP. A REGISTER without Authorization is answered here with the
 * exact bytes siplbd's registrar would send (sip_build_response() with
 * digest_challenge()'s block, which siplbd puts in siplb_cookie): the
 * status line, every Via (the top one with received/rport, RFC 3581),
 * From, To with the registrar's tag, Call-ID, CSeq, the challenges with
 * a fresh nonce bound to the source (include/siplb_cookie.h) and
 * Content-Length: 0, sent back with XDP_TX. A flood of REGISTERs from
 * forged sources therefore never reaches user space.
 *
 * What it cannot answer exactly goes up to siplbd as before, counted
 * under a reason: a folded line, a Via list on one line, a top Via that
 * has received= or white space among its parameters (or an IPv6 sent-by
 * spelt otherwise than inet_ntop() spells the source), a To with a tag,
 * Require or Proxy-Require (siplbd may answer 420), IPv4 options, more
 * lines or bytes than the buffers hold, cookies disabled.
 *
 * It is a program of its own so that the steering program's verification
 * is unchanged and this one has its own instruction budget; it copies the
 * payload into a per-CPU buffer of its own and uses bpf_loop() callbacks
 * for the per-byte and per-line passes, so that the verifier walks each
 * pass once rather than once per iteration; the lines are read eight
 * bytes a callback (cookie_words.bpf.h). Its parts: cookie_buf.bpf.h
 * (the state), cookie_parse.bpf.h, cookie_words.bpf.h,
 * cookie_write.bpf.h, cookie_nonce.bpf.h, cookie_send.bpf.h; here, the
 * order of the steps.
 */
#ifndef SIPLB_COOKIE_BPF_H
#define SIPLB_COOKIE_BPF_H

#include "cookie_buf.bpf.h"
#include "cookie_parse.bpf.h"
#include "cookie_words.bpf.h"
#include "cookie_write.bpf.h"
#include "cookie_nonce.bpf.h"
#include "cookie_send.bpf.h"

/* ---- the program ------------------------------------------------------- */

struct ck_via_ctx {
	struct cookie_buf *b;	/* first, as for every callback */
	struct xdp_md *ctx;
	__u32 poff;
};

/* Via i + 1 (the second on), copied as it came: a callback, so that the
 * verifier walks one copy, not one per number of Vias. */
static long ck_via_cb(__u32 i, void *data)
{
	struct ck_via_ctx *vc = data;
	struct cookie_buf *b = vc->b;
	int err;

	err = ck_header(vc->ctx, vc->poff, b, "Via: ", 5,
			b->h.via[(i + 1) & (CK_VIAS - 1)], true);
	if (err) {
		b->verdict = err;
		return 1;
	}
	return 0;
}

/* Copy the REGISTER and find its lines and headers. 0 or a counter. */
static __always_inline int ck_parse(struct xdp_md *ctx,
				    struct cookie_buf *b)
{
	struct ck_lines *l = &b->l;
	struct ck_hdrs *h = &b->h;
	__u32 len = b->plen;
	const __u8 *in = b->in;

	if (len > CK_IN_MASK || len < 16)
		return SIPLB_STAT_PASS_COOKIE_LONG;
	if (bpf_xdp_load_bytes(ctx, b->poff, b->in, len))
		return SIPLB_STAT_PASS_INTERNAL;
	/* The request line: "REGISTER sip:" or "sips:" (else 416 upstairs). */
	if (ck_lower(in[9]) != 's' || ck_lower(in[10]) != 'i' ||
	    ck_lower(in[11]) != 'p' ||
	    (in[12] != ':' && (ck_lower(in[12]) != 's' || in[13] != ':')))
		return SIPLB_STAT_PASS_COOKIE_UNSUPPORTED;
	b->line[0] = 0;
	__builtin_memset(l, 0, sizeof(*l));
	__builtin_memset(h, 0, sizeof(*h));
	bpf_loop((len + 7) / 8, ck_word_cb, &b, 0);
	if (l->overflow)
		return SIPLB_STAT_PASS_COOKIE_LONG;
	if (l->n < 2)
		return SIPLB_STAT_PASS_COOKIE_UNSUPPORTED;
	h->commas = l->commas;
	h->junk = l->junk;
	bpf_loop(l->n - 1, ck_hdr_cb, &b, 0);
	if (h->bad)
		return h->bad;
	if (!h->nvia || !h->from.len || !h->to.len || !h->callid.len ||
	    !h->cseq.len)
		return SIPLB_STAT_PASS_COOKIE_UNSUPPORTED;
	if (h->callid.len > SIPLB_CALLID_MAX)
		return SIPLB_STAT_PASS_COOKIE_LONG;
	return 0;
}

/* Build the 401 into b->out; its length in *len. 0 or a counter. */
static __always_inline int ck_build(struct xdp_md *ctx,
				    const struct siplb_cookie *cfg,
				    struct cookie_buf *b, __u32 *len)
{
	const struct ck_hdrs *h = &b->h;
	__u32 poff = b->poff;
	char nonce[SIPLB_NONCE_STR_LEN + 5];
	int err;

	err = ck_scan_params(b, h->to);
	if (err || b->c.tag)
		return SIPLB_STAT_PASS_COOKIE_UNSUPPORTED;
	b->o = 0;
	ck_put(b, "SIP/2.0 401 Unauthorized\r\n", 26);
	err = ck_top_via(ctx, poff, b, h->via[0]);
	if (err)
		return err;
	if (h->nvia > 1) {
		struct ck_via_ctx vc = { .b = b, .ctx = ctx, .poff = poff };

		b->verdict = 0;
		bpf_loop(h->nvia - 1, ck_via_cb, &vc, 0);
		if (b->verdict)
			return b->verdict;
	}
	err = ck_header(ctx, poff, b, "From: ", 6, h->from, true);
	err = err ?: ck_header(ctx, poff, b, "To: ", 4, h->to, false);
	if (err)
		return err;
	ck_put(b, ";tag=", 5);
	ck_put_hex64(b, ck_to_tag(b, h->callid));
	ck_put(b, "\r\n", 2);
	err = ck_header(ctx, poff, b, "Call-ID: ", 9, h->callid, true);
	err = err ?: ck_header(ctx, poff, b, "CSeq: ", 6, h->cseq,
			       true);
	if (err)
		return err;
	if (b->o > CK_OUT_MASK - SIPLB_COOKIE_CHAL_MAX - 32)
		return SIPLB_STAT_PASS_COOKIE_LONG;
	ck_nonce(cfg, b, nonce);
	/* b->stale, not an argument: read from the map, it is the same
	 * unknown on both paths here, so the verifier walks this once. */
	ck_challenge(b, &cfg->chal[b->stale & 1], nonce);
	ck_put(b, "Content-Length: 0\r\n\r\n", 21);
	*len = b->o;
	return 0;
}

/* The packet into b (the fields of cookie_buf above): 0 or a counter. */
static __always_inline int ck_take_packet(struct xdp_md *ctx,
					  struct cookie_buf *b, struct pkt *tp)
{
	struct pkt pkt = {};

	if (parse_packet(ctx, &pkt) || pkt.udp_cut)
		return SIPLB_STAT_PASS_INTERNAL;	/* siplb_xdp parsed it */
	/* For the trace: its addresses, and where the payload is (a
	 * non-NULL udp says there is one; no pointer is kept). */
	tp->src = pkt.src;
	tp->dst = pkt.dst;
	tp->payload_off = pkt.payload_off;
	tp->udp = (struct udphdr *)1;
	if (pkt.ip4 && pkt.ip4->ihl != 5)
		return SIPLB_STAT_PASS_COOKIE_UNSUPPORTED;	/* IP options */
	b->poff = pkt.payload_off;
	b->plen = pkt.payload_len;
	b->v6 = pkt.ip6 != NULL;
	b->l3off = pkt.payload_off - sizeof(struct udphdr) -
		   (pkt.ip6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr));
	b->sport = pkt.src.port;
	__builtin_memset(&b->src, 0, sizeof(b->src));
	__builtin_memcpy(b->src.addr, pkt.src.addr, 16);
	b->src.family = pkt.src.family;
	return 0;
}

/* A REGISTER to a VIP. Returns the counter; sets *action; tp gets what
 * the trace shows. */
static __always_inline int cookie_register(struct xdp_md *ctx, struct pkt *tp,
					   int *action)
{
	struct siplb_cookie *cfg;
	struct cookie_buf *b;
	__u32 zero = 0, len = 0;
	int err;

	b = bpf_map_lookup_elem(&siplb_cookie_buf, &zero);
	if (!b)
		return SIPLB_STAT_PASS_INTERNAL;
	err = ck_take_packet(ctx, b, tp);
	if (err)
		return err;
	cfg = bpf_map_lookup_elem(&siplb_cookie, &zero);
	if (!cfg || !cfg->enabled)
		return SIPLB_STAT_PASS_REGISTER;
	err = ck_parse(ctx, b);
	if (err)
		return err;
	b->stale = 0;
	if (b->h.auth.len) {
		struct ck_check_ctx cc = { .b = b, .cfg = cfg };

		b->verdict = SIPLB_STAT_PASS_INTERNAL;
		bpf_loop(1, ck_check_cb, &cc, 0);
		err = b->verdict;
		if (err != SIPLB_STAT_COOKIE_401_STALE)
			return err;
		b->stale = 1;
	}
	err = ck_build(ctx, cfg, b, &len);
	if (err)
		return err;
	if (ck_send(ctx, b, len, b->l3off, b->v6))
		return SIPLB_STAT_PASS_COOKIE_NOROOM;
	*action = XDP_TX;
	return b->stale ? SIPLB_STAT_COOKIE_401_STALE : SIPLB_STAT_COOKIE_401;
}

SEC("xdp")
int siplb_cookie_xdp(struct xdp_md *ctx)
{
	struct pkt tp = {};
	int action = XDP_PASS;
	int stat = cookie_register(ctx, &tp, &action);

	if (siplb_stat_is_drop(stat))
		action = XDP_DROP;
	count(stat);
	trace_verdict(ctx, &tp, stat, action);
	return action;
}

#endif /* SIPLB_COOKIE_BPF_H */
