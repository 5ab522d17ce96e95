/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cookie_write.bpf.h - the challenge program's writing of the 401, as
 * sip_build_response() and sip_out_via_top() write it: copies from the
 * REGISTER, received= and rport= on the top Via (the source as
 * inet_ntop() spells it), the To tag, the nonce and the challenge block.
 */
#ifndef SIPLB_COOKIE_WRITE_BPF_H
#define SIPLB_COOKIE_WRITE_BPF_H

#include "cookie_parse.bpf.h"

/* ---- writing the 401 --------------------------------------------------- */

/* o & CK_OUT_MASK, kept where the verifier sees it (the compiler drops a
 * mask it believes redundant, and the verifier then sees no bound). */
static __always_inline __u32 ck_at(__u32 o)
{
	__u64 v = o;

	asm volatile("%0 &= 4095" : "+r"(v));
	return v;
}

/*
 * The 401 is appended at b->o, which lives in the map value on purpose:
 * the verifier does not track what a map holds, so after every step the
 * offset is "some number" again on every path, the paths' states match,
 * and it prunes them instead of walking 2^steps of them.
 */
static __always_inline void ck_put(struct cookie_buf *b, const char *s,
				   __u32 n)
{
	__u32 i, o = b->o;

	for (i = 0; i < n; i++)
		b->out[ck_at(o + i)] = s[i];
	b->o = o + n;
}

/* Append len bytes of the REGISTER at off (copied from the packet). */
static __always_inline int ck_copy(struct xdp_md *ctx, __u32 payload_off,
				   struct cookie_buf *b, __u32 off, __u32 len)
{
	__u32 o = b->o;
	__u64 n;

	if (len > CK_IN_MASK || o > CK_OUT_MASK)
		return -1;
	/* 1..2048 where the verifier sees it (a zero size is refused): an
	 * empty copy writes one byte that the next step overwrites, so that
	 * there is no branch whose paths the verifier must walk apart. */
	n = len - (len != 0);
	asm volatile("%0 &= 2047" : "+r"(n));
	n += 1;
	if (bpf_xdp_load_bytes(ctx, payload_off + off - (len == 0),
			       &b->out[ck_at(o)], n))
		return -1;
	b->o = o + len;
	return 0;
}

/* A number in decimal, as "%u" would write it. */
static __always_inline void ck_put_u32(struct cookie_buf *b, __u32 v)
{
	__u32 o = b->o;
	char d[10];
	int n = 0, i;

	for (i = 0; i < 10; i++) {
		d[n++] = '0' + v % 10;
		v /= 10;
		if (!v)
			break;
	}
	for (i = 0; i < 10; i++) {
		if (i >= n)
			break;
		b->out[ck_at(o + i)] = d[(n - 1 - i) & 15];
	}
	b->o = o + n;
}

/* An IPv4 address as inet_ntop() writes it, into t; its length. */
static __always_inline __u32 ck_ipv4_text(__be32 addr, char *t)
{
	const __u8 *a = (const __u8 *)&addr;
	__u32 n = 0, v;
	int i;

	for (i = 0; i < 4; i++) {
		v = a[i];
		if (v >= 100)
			t[n++ & 63] = '0' + v / 100;
		if (v >= 10)
			t[n++ & 63] = '0' + v / 10 % 10;
		t[n++ & 63] = '0' + v % 10;
		if (i < 3)
			t[n++ & 63] = '.';
	}
	return n;
}


static __always_inline __u32 ck_v6word(const struct cookie_buf *b, __u32 i)
{
	const __u8 *a = (const __u8 *)b->src.addr;

	return (__u32)a[(2 * i) & 15] << 8 | a[(2 * i + 1) & 15];
}

/* Word i: part of the longest run of zero words so far? */
static long ck_zrun_cb(__u32 i, void *data)
{
	struct cookie_buf *b = *(struct cookie_buf **)data;
	struct ck_v6text *x = &b->v6t;

	if (ck_v6word(b, i)) {
		x->cur = -1;
		return 0;
	}
	if (x->cur < 0) {
		x->cur = i;
		x->curlen = 0;
	}
	x->curlen++;
	if (x->curlen > x->len) {
		x->base = x->cur;
		x->len = x->curlen;
	}
	return 0;
}

/* Word i into b->srctext: "::" for the run, else ':' and its hex. */
static long ck_v6out_cb(__u32 i, void *data)
{
	struct cookie_buf *b = *(struct cookie_buf **)data;
	struct ck_v6text *x = &b->v6t;
	__u32 w = ck_v6word(b, i), d;
	int j;

	if (x->base >= 0 && (int)i >= x->base && (int)i < x->base + x->len) {
		if ((int)i == x->base)
			b->srctext[x->n++ & 63] = ':';
		return 0;
	}
	if (i)
		b->srctext[x->n++ & 63] = ':';
	for (j = 3; j >= 0; j--) {
		if (j && !(w >> (4 * j)))
			continue;	/* no leading zeros */
		d = (w >> (4 * j)) & 15;
		b->srctext[x->n++ & 63] = d < 10 ? '0' + d : 'a' + d - 10;
	}
	return 0;
}

/*
 * The source (IPv6) as glibc's inet_ntop() writes it (RFC 5952: lower-
 * case hex without leading zeros, the first longest run of two or more
 * zero words as "::") into b->srctext; its length, or 0 for the forms it
 * writes with a dotted IPv4 tail (::a.b.c.d, ::ffff:a.b.c.d), not done.
 */
static __always_inline __u32 ck_ipv6_text(struct cookie_buf *b)
{
	struct ck_v6text *x = &b->v6t;
	const __u8 *a = (const __u8 *)b->src.addr;

	x->cur = x->base = -1;
	x->curlen = x->len = 0;
	x->n = 0;
	bpf_loop(8, ck_zrun_cb, &b, 0);
	if (x->len < 2)
		x->base = -1;
	if (x->base == 0 && (x->len == 6 || (x->len == 5 && a[10] == 0xff &&
					     a[11] == 0xff)))
		return 0;
	bpf_loop(8, ck_v6out_cb, &b, 0);
	if (x->base >= 0 && x->base + x->len == 8)
		b->srctext[x->n++ & 63] = ':';
	return x->n;
}

/*
 * Is the top Via's host the source address (via_host_is_source())? 1 or
 * 0, or -1 where only a parser could tell: an IPv6 reference spelt other
 * than inet_ntop() spells the source (it may be the same address).
 */
static __always_inline int ck_host_is(const __u8 *in,
				      const struct ck_params *c, bool v6,
				      const char *t, __u32 tlen)
{
	__u32 j, hs = c->host_start, he = c->host_end;

	if (!he)
		return 0;
	if (c->host_bracket) {
		if (!v6)
			return 0;	/* an IPv6 reference is no IPv4 source */
		hs++;
		he--;
	}
	if (he - hs != tlen)
		return v6 && c->host_bracket ? -1 : 0;
	for (j = 0; j < 48; j++)
		if (j < tlen && in[(hs + j) & CK_IN_MASK] != (__u8)t[j & 63])
			return v6 && c->host_bracket ? -1 : 0;
	return 1;
}

/*
 * The source's text into b->srctext, and whether the top Via (scanned
 * into b->c) gets received= (b->via_verdict). A callback, so that the
 * verifier walks these loops and branches once, not once for each path
 * that reaches them.
 */
static long ck_received_cb(__u32 i, void *data)
{
	struct cookie_buf *b = *(struct cookie_buf **)data;
	bool v6 = b->src.family == SIPLB_AF_INET6;
	__u32 tlen;
	int is_src;

	if (v6)
		tlen = ck_ipv6_text(b);
	else
		tlen = ck_ipv4_text(b->src.addr[0], b->srctext);
	b->srctext_len = tlen;
	is_src = ck_host_is(b->in, &b->c, v6, b->srctext, tlen & 63);
	if (!tlen || (is_src < 0 && !b->c.rport_end))
		b->via_verdict = SIPLB_STAT_PASS_COOKIE_UNSUPPORTED;
	else
		b->via_verdict = b->c.rport_end || !is_src;
	return 1;
}

/* The top Via, with rport= filled and received= added (RFC 3581). */
static __always_inline int ck_top_via(struct xdp_md *ctx, __u32 poff,
				      struct cookie_buf *b,
				      struct ck_slice v)
{
	const struct ck_params *c = &b->c;
	__u32 tlen, cut;
	int err;

	err = ck_scan_params(b, v);
	if (err || c->received || c->ws_after_semi || !c->last_slash)
		return SIPLB_STAT_PASS_COOKIE_UNSUPPORTED;
	b->via_verdict = SIPLB_STAT_PASS_INTERNAL;
	bpf_loop(1, ck_received_cb, &b, 0);
	if (b->via_verdict > 1)
		return b->via_verdict;
	tlen = b->srctext_len & 63;
	ck_put(b, "Via: ", 5);
	/* A bare rport, in any case, becomes "rport=PORT" in lower case, as
	 * sip_out_via_top() writes it. */
	cut = c->rport_end ? c->rport_end - 5 : v.off + v.len;
	if (ck_copy(ctx, poff, b, v.off, cut - v.off))
		return SIPLB_STAT_PASS_COOKIE_LONG;
	if (c->rport_end) {
		ck_put(b, "rport=", 6);
		ck_put_u32(b, bpf_ntohs(b->sport));
		if (ck_copy(ctx, poff, b, c->rport_end,
			    v.off + v.len - c->rport_end))
			return SIPLB_STAT_PASS_COOKIE_LONG;
	}
	if (b->via_verdict) {
		ck_put(b, ";received=", 10);
		ck_put(b, b->srctext, 40);
		b->o = b->o - 40 + tlen;
	}
	ck_put(b, "\r\n", 2);
	return 0;
}

/* "Name: " value CRLF, the value copied from the REGISTER. */
static __always_inline int ck_header(struct xdp_md *ctx, __u32 poff,
				     struct cookie_buf *b, const char *name,
				     __u32 nlen, struct ck_slice v, bool crlf)
{
	ck_put(b, name, nlen);
	if (ck_copy(ctx, poff, b, v.off, v.len))
		return SIPLB_STAT_PASS_COOKIE_LONG;
	if (crlf)
		ck_put(b, "\r\n", 2);
	return 0;
}

static __always_inline void ck_put_hex64(struct cookie_buf *b, __u64 v)
{
	__u32 o = b->o;
	int i;

	for (i = 0; i < 16; i++) {
		__u32 d = (v >> (60 - 4 * i)) & 15;

		b->out[ck_at(o + i)] = d < 10 ? '0' + d : 'a' + d - 10;
	}
	b->o = o + 16;
}

/* The registrar's To tag: the Call-ID's hash under the public key. */
static __always_inline __u64 ck_to_tag(const struct cookie_buf *b,
				       struct ck_slice callid)
{
	static const __u64 key[2] = { SIPLB_TO_TAG_KEY0, SIPLB_TO_TAG_KEY1 };

	__u64 len = callid.len;

	/* Checked in ck_parse(), but read back from the map: bound it again
	 * where the verifier sees it, or it walks 8191 rounds. */
	asm volatile("%0 &= 511" : "+r"(len));
	if (len > SIPLB_CALLID_MAX)
		len = SIPLB_CALLID_MAX;
	return siplb_siphash(&b->in[callid.off & CK_IN_MASK], len,
			     SIPLB_CALLID_MAX, key);
}

/* A nonce for this source, issued now, into t (43 characters). */
static __always_inline void ck_nonce(const struct siplb_cookie *cfg,
				     const struct cookie_buf *b, char *t)
{
	struct siplb_nonce_input in = {};
	__u8 raw[SIPLB_NONCE_RAW_LEN];
	__u64 now = (bpf_ktime_get_ns() + cfg->clock_offset_ns) /
		    1000000000ULL;
	__u32 salt[2] = { bpf_get_prandom_u32(), bpf_get_prandom_u32() };

	siplb_nonce_put_be64(raw, now);
	__builtin_memcpy(raw + 8, salt, 8);
	__builtin_memcpy(in.issued_salt, raw, 16);
	in.realm_tag = cfg->realm_tag;
	__builtin_memcpy(in.src, &b->src, SIPLB_NONCE_SRC_MAX);
	in.src_len = SIPLB_NONCE_SRC_MAX;
	siplb_nonce_mac(&in, cfg->key, raw + 16);
	siplb_nonce_encode(raw, t);
}

/* The challenge block, its placeholder nonces replaced. */
static __always_inline void ck_challenge(struct cookie_buf *b,
					 const struct siplb_cookie_chal *ch,
					 const char *nonce)
{
	__u32 i, j, at, o = b->o;
	__u8 *out = b->out;

	for (i = 0; i < SIPLB_COOKIE_CHAL_MAX / 8; i++)
		*(__u64 *)&out[ck_at(o) + 8 * i] =
			*(const __u64 *)&ch->text[8 * i];
	for (i = 0; i < SIPLB_COOKIE_NONCES_MAX; i++) {
		if (i >= ch->nnonce)
			break;
		at = o + ch->nonce_off[i];
		for (j = 0; j < SIPLB_NONCE_STR_LEN; j++)
			out[ck_at(at + j)] = nonce[j];
	}
	b->o = o + (ch->len & (SIPLB_COOKIE_CHAL_MAX - 1));
}

#endif /* SIPLB_COOKIE_WRITE_BPF_H */
