/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cookie_parse.bpf.h - the challenge program's reading of a REGISTER:
 * its lines split into name and value, the headers the 401 copies, and
 * the parameters of the top Via and of To. Each pass is a bpf_loop()
 * callback whose state is in the per-CPU buffer (cookie_buf.bpf.h).
 */
#ifndef SIPLB_COOKIE_PARSE_BPF_H
#define SIPLB_COOKIE_PARSE_BPF_H

#include "cookie_buf.bpf.h"

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

#endif /* SIPLB_COOKIE_PARSE_BPF_H */
