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
 * has received= or white space among its parameters, a To with a tag,
 * Require or Proxy-Require (siplbd may answer 420), IPv6 (the received=
 * text would have to be inet_ntop's) or IPv4 options, more lines or
 * bytes than the buffers hold, cookies disabled.
 *
 * It is a program of its own so that the steering program's verification
 * is unchanged and this one has its own instruction budget; it copies the
 * payload into a per-CPU buffer of its own and uses bpf_loop() callbacks
 * for the per-byte and per-line passes, so that the verifier walks each
 * pass once rather than once per iteration.
 */
#ifndef SIPLB_COOKIE_BPF_H
#define SIPLB_COOKIE_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "siplb_cookie.h"
#include "maps.bpf.h"
#include "parse_hdrs.bpf.h"
#include "csum.bpf.h"

#define CK_IN_MASK	2047	/* offsets into the copied REGISTER */
#define CK_OUT_MASK	4095	/* offsets into the 401 being built */
#define CK_LINES	64	/* lines of a REGISTER we look at */
#define CK_LINE_MASK	(CK_LINES - 1)
#define CK_VIAS		8
#define CK_VALUE_MAX	256	/* top Via and To values we scan */

/*
 * The passes' state lives in the per-CPU map value, not on the stack: the
 * verifier tracks neither what a map holds nor, then, each value a
 * callback's counters take, so each bpf_loop() callback converges at once
 * instead of being walked once per distinct value.
 */
struct ck_lines {
	__u64 commas;		/* bit k: line k has a ',' */
	__u64 junk;		/* bit k: line k is folded or has no colon */
	__u32 cur;		/* the line being read */
	__u32 state;		/* enum ck_state */
	__u32 n;		/* lines before the empty one; 0: not found */
	__u32 overflow;
};

struct ck_slice {
	__u16 off, len;
};

struct ck_hdrs {
	__u64 commas, junk;
	__u32 nvia;
	int bad;		/* a counter: XDP cannot answer this one */
	struct ck_slice via[CK_VIAS];
	struct ck_slice from, to, callid, cseq, auth;
};

struct ck_params {
	__u32 start, end;
	__u32 first_semi;	/* 0: none */
	__u32 last_slash;	/* before the first ';' */
	__u32 rport_end;	/* after a bare ";rport"; 0: none */
	__u32 host_state;	/* after the last '/': WS transport WS host */
	__u32 host_start, host_end;
	bool received, tag, ws_after_semi, host_bracket;
};

/* ck_ipv6_text()'s work, in the map value: its callbacks then converge
 * at once (see the passes' state above). */
struct ck_v6text {
	__s32 cur, curlen;	/* the zero run being read */
	__s32 base, len;	/* the first longest one */
	__u32 n;		/* characters written */
};

/* The REGISTER and its 401, per CPU. Slack after each mask: in covers a
 * Call-ID hashed in place, out a copy of up to CK_IN_MASK bytes or a
 * whole challenge block at the last masked offset. */
struct cookie_buf {
	__u8 in[CK_IN_MASK + 1 + SIPLB_CALLID_MAX + 16];
	__u8 out[CK_OUT_MASK + 1 + CK_IN_MASK + 1 + SIPLB_COOKIE_CHAL_MAX];
	__u32 o;		/* the 401's length so far */
	__u32 stale;		/* answering an expired nonce: stale=true */
	__u32 nonce_at;		/* after nonce=" in Authorization; 0: none */
	__u32 verdict;		/* ck_check_nonce()'s */
	/* The packet, kept here so that nothing after the parse depends on
	 * the family's pointers: the verifier then walks both families as
	 * one from there. */
	__u32 poff, plen;	/* UDP payload: offset, length */
	__u32 l3off;		/* the IP header's offset */
	__u32 v6;
	__be16 sport;
	struct siplb_addr src;	/* the REGISTER's source */
	char srctext[64];	/* ... as inet_ntop() writes it */
	__u32 srctext_len;	/* 0: a form not done (ck_ipv6_text()) */
	struct ck_v6text v6t;
	__u32 via_verdict;	/* ck_received_cb(): 0, 1 add received=, or
				 * a counter (the Via cannot be answered) */
	/* ck_check_nonce()'s work: here, not on the stack, which the
	 * callback shares with the program (512 bytes for both) */
	struct siplb_nonce_input chk_in;
	__u8 chk_raw[SIPLB_NONCE_RAW_LEN];
	__u8 chk_mac[SIPLB_NONCE_MAC_LEN];
	struct ck_lines l;
	struct ck_hdrs h;
	struct ck_params c;
	__u16 line[CK_LINES];	/* where line k starts */
	__u16 vstart[CK_LINES];	/* its value, white space trimmed */
	__u16 vend[CK_LINES];
	__u8 nlen[CK_LINES];	/* its name's length */
};

/* 0 -> struct siplb_cookie: keys, realm tag, challenge text (siplbd) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct siplb_cookie);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_cookie SEC(".maps");

/* 0 -> the cookie program's buffers (per CPU, no state between packets) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cookie_buf);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_cookie_buf SEC(".maps");


static __always_inline bool ck_ws(__u8 c)
{
	return c == ' ' || c == '\t';
}

static __always_inline __u8 ck_lower(__u8 c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* ---- pass 1: the lines, each split into name and value ---------------- */

/*
 * One callback per byte with a small state machine, rather than loops per
 * line: the verifier walks a callback once, where nested loops with
 * early exits multiply its paths beyond its budget.
 */
enum ck_state {
	CK_NAME,	/* the header name */
	CK_BEFORE_COLON,/* white space after it */
	CK_AFTER_COLON,	/* white space after the colon */
	CK_VALUE,
	CK_JUNK,	/* no colon: not a header line */
};


static __always_inline bool ck_line_end(struct cookie_buf *b, __u32 i)
{
	struct ck_lines *l = &b->l;
	__u32 cur = l->cur & CK_LINE_MASK;

	if (i - 1 == b->line[cur]) {	/* the empty line */
		l->n = l->cur;
		return true;
	}
	if (l->state == CK_AFTER_COLON)
		b->vstart[cur] = b->vend[cur] = i - 1;
	else if (l->state != CK_VALUE)
		l->junk |= 1ULL << cur;
	if (l->cur + 1 >= CK_LINES) {
		l->overflow = 1;
		return true;
	}
	l->cur++;
	l->state = CK_NAME;
	b->line[l->cur & CK_LINE_MASK] = i + 1;
	return false;
}

static long ck_line_cb(__u32 i, void *data)
{
	struct cookie_buf *b = *(struct cookie_buf **)data;
	struct ck_lines *l = &b->l;
	__u32 cur = l->cur & CK_LINE_MASK;
	__u8 c = b->in[i & CK_IN_MASK];

	if (c == ',')
		l->commas |= 1ULL << cur;
	if (c == '\n' && i && b->in[(i - 1) & CK_IN_MASK] == '\r')
		return ck_line_end(b, i);
	if (c == '\r' || c == '\n')
		return 0;
	switch (l->state) {
	case CK_NAME:
		if (i == b->line[cur] && ck_ws(c))
			l->state = CK_JUNK;	/* a folded line */
		else if (c == ':')
			l->state = CK_AFTER_COLON;
		else if (ck_ws(c))
			l->state = CK_BEFORE_COLON;
		if (l->state != CK_NAME)
			b->nlen[cur] = i - b->line[cur];
		break;
	case CK_BEFORE_COLON:
		if (c == ':')
			l->state = CK_AFTER_COLON;
		else if (!ck_ws(c))
			l->state = CK_JUNK;
		break;
	case CK_AFTER_COLON:
		if (!ck_ws(c)) {
			b->vstart[cur] = i;
			b->vend[cur] = i + 1;
			l->state = CK_VALUE;
		}
		break;
	case CK_VALUE:
		if (!ck_ws(c))
			b->vend[cur] = i + 1;
		break;
	}
	return 0;
}

/* ---- pass 2: the headers we copy --------------------------------------- */



static __always_inline bool ck_name_is(const __u8 *in, __u32 s, __u32 n,
				       const char *name, __u32 len)
{
	__u32 i;

	if (n != len)
		return false;
	for (i = 0; i < len; i++)
		if (ck_lower(in[(s + i) & CK_IN_MASK]) != (__u8)name[i])
			return false;
	return true;
}

static __always_inline void ck_first(struct ck_slice *dst, __u32 vs, __u32 ve)
{
	if (dst->len == 0) {
		dst->off = vs;
		dst->len = ve - vs;
	}
}

static long ck_hdr_cb(__u32 k, void *data)
{
	struct cookie_buf *b = *(struct cookie_buf **)data;
	struct ck_hdrs *h = &b->h;
	const __u8 *in = b->in;
	__u32 line = (k + 1) & CK_LINE_MASK;
	__u32 s = b->line[line], nlen = b->nlen[line];
	__u32 vs = b->vstart[line], ve = b->vend[line], n;

	if (h->junk & (1ULL << line)) {
		h->bad = SIPLB_STAT_PASS_COOKIE_UNSUPPORTED;
		return 1;
	}
	if (ck_name_is(in, s, nlen, "via", 3) ||
	    ck_name_is(in, s, nlen, "v", 1)) {
		n = h->nvia;
		if (n >= CK_VIAS || (h->commas & (1ULL << line))) {
			h->bad = SIPLB_STAT_PASS_COOKIE_UNSUPPORTED;
			return 1;
		}
		h->via[n & (CK_VIAS - 1)].off = vs;
		h->via[n & (CK_VIAS - 1)].len = ve - vs;
		h->nvia = n + 1;
	} else if (ck_name_is(in, s, nlen, "from", 4) ||
		   ck_name_is(in, s, nlen, "f", 1)) {
		ck_first(&h->from, vs, ve);
	} else if (ck_name_is(in, s, nlen, "to", 2) ||
		   ck_name_is(in, s, nlen, "t", 1)) {
		ck_first(&h->to, vs, ve);
	} else if (ck_name_is(in, s, nlen, "call-id", 7) ||
		   ck_name_is(in, s, nlen, "i", 1)) {
		ck_first(&h->callid, vs, ve);
	} else if (ck_name_is(in, s, nlen, "cseq", 4)) {
		ck_first(&h->cseq, vs, ve);
	} else if (ck_name_is(in, s, nlen, "authorization", 13)) {
		ck_first(&h->auth, vs, ve);
	} else if (ck_name_is(in, s, nlen, "require", 7) ||
		   ck_name_is(in, s, nlen, "proxy-require", 13)) {
		h->bad = SIPLB_STAT_PASS_COOKIE_UNSUPPORTED;
		return 1;
	}
	return 0;
}

/* ---- pass 3: the parameters of the top Via and of To ------------------- */


/* The sent-by host of a Via: the word after the transport. */
static __always_inline void ck_host_track(struct ck_params *c, __u32 p,
					  __u8 ch)
{
	bool ws = ck_ws(ch);

	if (ch == '/') {
		c->last_slash = p;
		c->host_state = 1;
		return;
	}
	switch (c->host_state) {
	case 1:			/* white space before the transport */
		if (!ws)
			c->host_state = 2;
		break;
	case 2:			/* the transport */
		if (ws)
			c->host_state = 3;
		break;
	case 3:			/* white space before the host */
		if (!ws) {
			c->host_start = p;
			c->host_bracket = ch == '[';
			c->host_state = 4;
		}
		break;
	case 4:			/* the host, up to ':', ';' or space, or
				 * an IPv6 reference up to its ']' */
		if (c->host_bracket ? ch == ']' : ch == ':' || ch == ';' || ws) {
			c->host_end = p + c->host_bracket;
			c->host_state = 5;
		}
		break;
	}
}

/* Does the parameter name at p (just after a ';') equal name? */
static __always_inline bool ck_param_is(const struct cookie_buf *b, __u32 p,
					const char *name, __u32 len)
{
	const struct ck_params *c = &b->c;
	__u32 i;
	__u8 next;

	if (p + len > c->end)
		return false;
	for (i = 0; i < len; i++)
		if (ck_lower(b->in[(p + i) & CK_IN_MASK]) != (__u8)name[i])
			return false;
	next = p + len < c->end ? b->in[(p + len) & CK_IN_MASK] : ';';
	return next == ';' || next == '=';
}

static long ck_param_cb(__u32 i, void *data)
{
	struct cookie_buf *b = *(struct cookie_buf **)data;
	struct ck_params *c = &b->c;
	__u32 p = c->start + i;
	__u8 ch = b->in[p & CK_IN_MASK];

	if (!c->first_semi)
		ck_host_track(c, p, ch);
	if (c->first_semi && ck_ws(ch))
		c->ws_after_semi = true;
	if (ch != ';')
		return 0;
	if (!c->first_semi)
		c->first_semi = p;
	if (ck_param_is(b, p + 1, "received", 8))
		c->received = true;
	if (ck_param_is(b, p + 1, "tag", 3))
		c->tag = true;
	if (ck_param_is(b, p + 1, "rport", 5) &&
	    (p + 6 >= c->end || b->in[(p + 6) & CK_IN_MASK] != '='))
		c->rport_end = p + 6;
	return 0;
}

/* Scan a value's parameters into b->c. */
static __always_inline int ck_scan_params(struct cookie_buf *b,
					  struct ck_slice v)
{
	struct ck_params *c = &b->c;

	if (v.len > CK_VALUE_MAX)
		return SIPLB_STAT_PASS_COOKIE_UNSUPPORTED;
	__builtin_memset(c, 0, sizeof(*c));
	c->start = v.off;
	c->end = v.off + v.len;
	bpf_loop(v.len, ck_param_cb, &b, 0);
	if (c->host_state == 4)
		c->host_end = c->end;
	return 0;
}

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

/* ---- pass 4: the nonce of a REGISTER with credentials ------------------ */

/* Finds `nonce="` (any case) at the start of a parameter of the
 * Authorization value; other spellings are left to siplbd. */
static long ck_nonce_cb(__u32 i, void *data)
{
	struct cookie_buf *b = *(struct cookie_buf **)data;
	__u32 p = b->h.auth.off + i;
	__u8 before = b->in[(p - 1) & CK_IN_MASK];
	static const char pat[] = "nonce=\"";
	int j;

	if (before != ' ' && before != '\t' && before != ',')
		return 0;
	for (j = 0; j < 7; j++)
		if (ck_lower(b->in[(p + j) & CK_IN_MASK]) != (__u8)pat[j])
			return 0;
	b->nonce_at = p + 7;
	return 1;
}

/*
 * The Authorization's nonce against the MAC, the source and the clock:
 * PASS_COOKIE_VALID (up to siplbd, which checks the password and the
 * nonce count), COOKIE_401_STALE (ours but expired: answer stale=true),
 * DROP_COOKIE_FORGED (not ours for this source, or not a nonce), or
 * PASS_COOKIE_UNSUPPORTED (no nonce=" found: siplbd decides).
 */
static __always_inline int ck_check_nonce(const struct siplb_cookie *cfg,
					  struct cookie_buf *b)
{
	struct siplb_nonce_input *in = &b->chk_in;
	__u8 *raw = b->chk_raw, *mac = b->chk_mac, diff = 0;
	__u32 at, i, len = b->h.auth.len;
	__u64 issued, now;

	b->nonce_at = 0;
	if (len > CK_IN_MASK)
		return SIPLB_STAT_PASS_COOKIE_LONG;
	bpf_loop(len, ck_nonce_cb, &b, 0);
	at = b->nonce_at;
	if (!at)
		return SIPLB_STAT_PASS_COOKIE_UNSUPPORTED;
	if (at + SIPLB_NONCE_STR_LEN >= b->h.auth.off + len ||
	    b->in[(at + SIPLB_NONCE_STR_LEN) & CK_IN_MASK] != '"' ||
	    siplb_nonce_decode(&b->in[at & CK_IN_MASK], raw))
		return SIPLB_STAT_DROP_COOKIE_FORGED;
	__builtin_memset(in, 0, sizeof(*in));
	__builtin_memcpy(in->issued_salt, raw, 16);
	in->realm_tag = cfg->realm_tag;
	__builtin_memcpy(in->src, &b->src, SIPLB_NONCE_SRC_MAX);
	in->src_len = SIPLB_NONCE_SRC_MAX;
	siplb_nonce_mac(in, cfg->key, mac);
	for (i = 0; i < SIPLB_NONCE_MAC_LEN; i++)
		diff |= mac[i] ^ raw[16 + i];
	if (diff)
		return SIPLB_STAT_DROP_COOKIE_FORGED;
	issued = siplb_nonce_get_be64(raw);
	now = (bpf_ktime_get_ns() + cfg->clock_offset_ns) / 1000000000ULL;
	/* As nonce_check(): from the future counts as expired. */
	if (issued > now || now - issued >= cfg->lifetime_s)
		return SIPLB_STAT_COOKIE_401_STALE;
	return SIPLB_STAT_PASS_COOKIE_VALID;
}

struct ck_check_ctx {
	struct cookie_buf *b;	/* first: the other callbacks read only it */
	const struct siplb_cookie *cfg;
};

/*
 * The check as a callback run once: the verifier walks it on its own, and
 * the 401 built after it is then walked from one state, not from each of
 * the check's paths (together they exceeded its budget).
 */
static long ck_check_cb(__u32 i, void *data)
{
	struct ck_check_ctx *c = data;

	c->b->verdict = ck_check_nonce(c->cfg, c->b);
	return 1;
}

/* ---- the packet -------------------------------------------------------- */

/* The UDP checksum of the new datagram, payload from out; pseudo: the
 * sum of the pseudo-header's 16-bit words (addresses, protocol, length). */
static __always_inline __u16 ck_udp_csum(struct cookie_buf *b, __u32 len,
					 __u64 pseudo,
					 const struct udphdr *udp)
{
	__u32 i, r = (len + 3) & ~3U;
	__u64 sz;
	__s64 sum = 0;
	__u64 s;

	*(__u32 *)&b->out[ck_at(len)] = 0;	/* pad to 4 bytes */
	for (i = 0; i < 8; i++) {
		if (i * 512 >= r)
			break;
		sz = r - i * 512;
		if (sz > 512)
			sz = 512;
		asm volatile("%0 &= 1020" : "+r"(sz));	/* a bound it sees */
		sum = bpf_csum_diff(NULL, 0, (__be32 *)&b->out[i * 512], sz,
				    (__u32)sum);
		if (sum < 0)
			return 0;
	}
	s = (__u32)sum + pseudo;
	s += udp->source + udp->dest + udp->len;
	s = (s & 0xffffffff) + (s >> 32);
	s = csum_fold_carry((__u32)s);
	s = (__u16)~s;
	return s ? s : 0xffff;
}

static __always_inline void ck_ip_csum(struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u32 s = 0;
	int i;

	ip->check = 0;
	for (i = 0; i < 10; i++)
		s += w[i];
	ip->check = ~csum_fold_carry(s);
}

/*
 * Grow the frame by delta bytes at the front, the hlen bytes of headers
 * moved there: where the driver left no room at the tail (veth with a
 * frame from the stack often does), there is always XDP_PACKET_HEADROOM
 * at the head. Nothing is changed unless it returns 0.
 */
static __always_inline int ck_grow_head(struct xdp_md *ctx, int delta,
					__u32 hlen)
{
	__u8 hdr[80];

	if (delta <= 0 || hlen < 28 || hlen > sizeof(hdr))
		return -1;
	if (bpf_xdp_load_bytes(ctx, 0, hdr, hlen) ||
	    bpf_xdp_adjust_head(ctx, -delta))
		return -1;
	/* Cannot fail: the frame was just made longer than hlen. */
	return bpf_xdp_store_bytes(ctx, 0, hdr, hlen) ? -1 : 0;
}

/* Make the REGISTER frame the 401 of len payload bytes in out. */
/* Swap the addresses of an IPv4 header and set its length; the pseudo-
 * header's sum for the UDP checksum. */
static __always_inline __u64 ck_ip4_reply(struct iphdr *ip, __u32 udp_len)
{
	__be32 a = ip->saddr;

	ip->saddr = ip->daddr;
	ip->daddr = a;
	ip->tot_len = bpf_htons(sizeof(*ip) + udp_len);
	ip->ttl = 64;
	ck_ip_csum(ip);
	return (ip->saddr & 0xffff) + (ip->saddr >> 16) +
	       (ip->daddr & 0xffff) + (ip->daddr >> 16) +
	       bpf_htons(IPPROTO_UDP) + bpf_htons(udp_len);
}

static __always_inline __u64 ck_ip6_reply(struct ipv6hdr *ip6, __u32 udp_len)
{
	struct in6_addr a = ip6->saddr;
	const __u16 *w = (const __u16 *)&ip6->saddr;
	__u64 s = bpf_htons(IPPROTO_UDP) + bpf_htons(udp_len);
	int i;

	ip6->saddr = ip6->daddr;
	ip6->daddr = a;
	ip6->payload_len = bpf_htons(udp_len);
	ip6->hop_limit = 64;
	for (i = 0; i < 16; i++)	/* saddr and daddr, side by side */
		s += w[i];
	return s;
}

/* Make the REGISTER frame the 401 of len payload bytes in out: l3off is
 * where its IP header starts, l4off its UDP header. */
static __always_inline int ck_send(struct xdp_md *ctx, struct cookie_buf *b,
				   __u32 len, __u32 l3off, bool v6)
{
	__u32 l4off = (l3off & 31) + (v6 ? sizeof(struct ipv6hdr) :
					   sizeof(struct iphdr));
	__u32 udp_len = sizeof(struct udphdr) + len;
	void *data, *data_end;
	struct ethhdr *eth;
	struct udphdr *udp;
	__u8 mac[ETH_ALEN];
	__be16 port;
	__u64 pseudo;
	int delta;

	l3off &= 31;
	delta = (int)(l4off + udp_len) - (int)bpf_xdp_get_buff_len(ctx);
	if (bpf_xdp_adjust_tail(ctx, delta) &&
	    ck_grow_head(ctx, delta, l4off + sizeof(*udp)))
		return -1;
	if (len == 0)
		return -1;
	if (bpf_xdp_store_bytes(ctx, l4off + sizeof(*udp), b->out,
				ck_at(len - 1) + 1))
		return -1;	/* cannot happen: the frame was made room for */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	udp = data + l4off;
	if ((void *)(eth + 1) > data_end || (void *)(udp + 1) > data_end)
		return -1;
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	if (v6) {
		struct ipv6hdr *ip6 = data + l3off;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		pseudo = ck_ip6_reply(ip6, udp_len);
	} else {
		struct iphdr *ip = data + l3off;

		if ((void *)(ip + 1) > data_end)
			return -1;
		pseudo = ck_ip4_reply(ip, udp_len);
	}
	port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	udp->len = bpf_htons(udp_len);
	udp->check = 0;
	udp->check = ck_udp_csum(b, len, pseudo, udp);
	return 0;
}

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
	bpf_loop(len, ck_line_cb, &b, 0);
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
