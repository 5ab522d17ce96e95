/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * guard.bpf.h - the flood and scanner defences (include/siplb_guard.h),
 * applied to a SIP message to a VIP after the scan has accepted it and
 * before it is steered or passed up to siplbd.
 *
 * Order: a request with a scanner's User-Agent is dropped from anyone;
 * then, for a source that is neither registered nor a trunk, strict mode
 * refuses dialog-creating requests and the budget of the method's class
 * is charged; a registered source is charged its own budget (one bucket
 * for all its requests), a trunk is never limited. With the guard off
 * the whole check is one array lookup and a compare.
 */
#ifndef SIPLB_GUARD_BPF_H
#define SIPLB_GUARD_BPF_H

#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include "siplb_guard.h"
#include "maps.bpf.h"
#include "parse_hdrs.bpf.h"
#include "sip_scan.bpf.h"

/* Request-line starts, as load_word() returns them (methods are
 * case-sensitive, RFC 3261 7.1). */
#define WORD_INVITE	W8('I', 'N', 'V', 'I', 'T', 'E', ' ', 0)
#define WORD_OPTIONS	W8('O', 'P', 'T', 'I', 'O', 'N', 'S', ' ')
#define WORD_SUBSCRIB	W8('S', 'U', 'B', 'S', 'C', 'R', 'I', 'B')
#define WORD_REFER	W8('R', 'E', 'F', 'E', 'R', ' ', 0, 0)
#define MASK6		0x0000ffffffffffffULL

/* "User-Agent" in any case: a word and two bytes. */
#define FOLD_UA		W8(0x20, 0x20, 0x20, 0x20, 0, 0x20, 0x20, 0x20)
#define NAME_UA		W8('u', 's', 'e', 'r', '-', 'a', 'g', 'e')
#define NAME_UA_END	('n' | 't' << 8)
#define UA_NAME_LEN	10

/*
 * The method's class (enum siplb_method_class, plus SIPLB_METHOD_DIALOG
 * for INVITE, SUBSCRIBE and REFER), or SIPLB_METHOD_NONE for a response.
 * A message that starts with CR or LF got past the scan as "unusual" and
 * goes to the slow path: its method is unknown here, so it is treated as
 * one that may create a dialog, and strict mode cannot be bypassed with a
 * leading CRLF.
 */
__attribute__((noinline)) int sip_method_class(struct scratch *s, __u32 len)
{
	__u64 w;
	__u8 c0, c8, c9;

	if (!SCAN_ARGS_OK(s, len))
		return SIPLB_METHOD_OTHER | SIPLB_METHOD_DIALOG;
	w = load_word(s->buf, 0);
	c0 = w & 0xff;
	c8 = load_byte(s->buf, 8);
	c9 = load_byte(s->buf, 9);
	if ((w | FOLD_SIP) == STATUS_PREFIX)
		return SIPLB_METHOD_NONE;
	if (c0 == '\r' || c0 == '\n')
		return SIPLB_METHOD_OTHER | SIPLB_METHOD_DIALOG;
	if ((w & MASK7) == WORD_INVITE)
		return SIPLB_METHOD_INVITE | SIPLB_METHOD_DIALOG;
	if (w == WORD_REGISTER && c8 == ' ')
		return SIPLB_METHOD_REGISTER;
	if (w == WORD_OPTIONS)
		return SIPLB_METHOD_OPTIONS;
	if ((w == WORD_SUBSCRIB && c8 == 'E' && c9 == ' ') ||
	    (w & MASK6) == WORD_REFER)
		return SIPLB_METHOD_OTHER | SIPLB_METHOD_DIALOG;
	return SIPLB_METHOD_OTHER;
}

/*
 * Marks (0x80 in byte j) where byte j of w is '\n' and the next byte can
 * start a line the User-Agent search must look at: 'u' or 'U', or CR/LF
 * (the end of the headers). Exact in every byte, as line_start_marks().
 */
static __always_inline __u64 ua_line_marks(__u64 w, __u64 next)
{
	__u64 w7 = w & LOW7, n7 = next & LOW7, lower = n7 | BYTES(0x20);
	__u64 other = ((n7 ^ BYTES('\n')) + LOW7) &
		      ((n7 ^ BYTES('\r')) + LOW7) &
		      ((lower ^ BYTES('u')) + LOW7);
	__u64 unmarked = ((w7 ^ BYTES('\n')) + LOW7) | other | w | next;

	return ~(unmarked | LOW7);
}

/*
 * The marked lines of the word at off: the offset just past a "User-Agent"
 * name, 0 at the end of the headers, -1 when none decides. At most four
 * marks: a 'u' line is two bytes at least.
 */
static __always_inline int ua_marked_lines(const __u8 *buf, __u64 off,
					   __u64 marks)
{
	__u32 start, k;
	__u16 tail;
	__u8 c;

	for (k = 0; k < 4 && marks; k++) {
		start = off + first_marked_byte(marks) + 1;
		marks &= marks - 1;
		c = load_byte(buf, start);
		if (c == '\r' || c == '\n')
			return 0;
		tail = load_byte(buf, start + 8) | load_byte(buf, start + 9) << 8;
		if ((load_word(buf, start) | FOLD_UA) == NAME_UA &&
		    (tail | 0x2020) == NAME_UA_END &&
		    ends_name(load_byte(buf, start + UA_NAME_LEN)))
			return start + UA_NAME_LEN;
	}
	return -1;
}

/* Offset just past the first User-Agent header's name, or 0: the header
 * search of find_callid_line(), 16 bytes an iteration. */
static __always_inline __u32 find_ua_name(const __u8 *buf, __u32 len)
{
	__u64 off = 0, end = len, m0, m1, i;
	const __u8 *p;
	int r;

	for (i = 0; i < SIPLB_SCAN_MAX / 16 + 1; i++, off += 16) {
		if (off >= end)
			return 0;
		p = buf + (off & SCRATCH_MASK);
		m0 = ua_line_marks(siplb_load64(p), siplb_load64(p + 1));
		m1 = ua_line_marks(siplb_load64(p + 8), siplb_load64(p + 9));
		if (!(m0 | m1))
			continue;
		if (m0) {
			r = ua_marked_lines(buf, off, m0);
			if (r >= 0)
				return r;
		}
		if (m1 && off + 8 < end) {
			r = ua_marked_lines(buf, off + 8, m1);
			if (r >= 0)
				return r;
		}
	}
	return 0;
}

/* Global: the loop's many exits must not each carry on into the compare. */
__attribute__((noinline)) int sip_find_ua_name(struct scratch *s, __u32 len)
{
	if (!SCAN_ARGS_OK(s, len))
		return 0;
	return find_ua_name(s->buf, len);
}

/*
 * Does the first User-Agent header's value start with one of g's scanner
 * signatures (any case)? A global function: verified once, whatever the
 * caller's state (see sip_scan.bpf.h).
 */
__attribute__((noinline)) int sip_scanner_ua(struct scratch *s, __u32 len,
					      const struct siplb_guard *g)
{
	__u32 p, n, i;
	__u64 w0, w1;

	if (!SCAN_ARGS_OK(s, len) || !g)
		return 0;
	p = sip_find_ua_name(s, len);
	if (!p || p > len)
		return 0;
	p = skip_ws(s->buf, p, len, false);
	if (p >= len || load_byte(s->buf, p) != ':')
		return 0;
	p = skip_ws(s->buf, p + 1, len, false);
	if (p >= len)
		return 0;
	w0 = load_word(s->buf, p);
	w1 = load_word(s->buf, p + 8);
	n = g->nscanners;
	for (i = 0; i < SIPLB_SCANNER_MAX; i++) {
		const struct siplb_scanner_sig *sig = &g->scanner[i];

		if (i >= n)
			break;
		if (sig->len == 0 || p + sig->len > len)
			continue;
		if (((w0 | sig->fold[0]) & sig->mask[0]) == sig->word[0] &&
		    ((w1 | sig->fold[1]) & sig->mask[1]) == sig->word[1])
			return 1;
	}
	return 0;
}

enum source_trust {
	SOURCE_UNKNOWN,
	SOURCE_REGISTERED,	/* in siplb_sources: its own budget */
	SOURCE_TRUNK,		/* inside a trunk prefix: never limited */
};

/* A trunk prefix wins over a binding: a PBX inside a trunk prefix that
 * also registers stays unlimited. */
static __always_inline int source_trust(const struct siplb_addr *src)
{
	struct siplb_trunk_key tk = {};
	bool registered = bpf_map_lookup_elem(&siplb_sources, src) != NULL;

	tk.family = src->family;
	tk.prefixlen = 8 + (src->family == SIPLB_AF_INET6 ? 128 : 32);
	__builtin_memcpy(tk.addr, src->addr, sizeof(tk.addr));
	if (bpf_map_lookup_elem(&siplb_trunks, &tk))
		return SOURCE_TRUNK;
	return registered ? SOURCE_REGISTERED : SOURCE_UNKNOWN;
}

/* Bucket i's budget: a method class's, or the registered sources'. */
static __always_inline const struct siplb_budget_conf *
bucket_conf(const struct siplb_guard *g, __u32 i)
{
	return i < SIPLB_METHOD_CLASSES ? &g->budget[i] : &g->registered;
}

/*
 * Take one message from src's bucket i (a class, or
 * SIPLB_BUCKET_REGISTERED). A source seen for the first time (or evicted
 * from the LRU since) starts with full buckets. Concurrent CPUs may race
 * on one entry; the worst outcome is a message or two more than the
 * budget, never a lost bucket.
 */
static __always_inline bool budget_take(const struct siplb_addr *src,
					const struct siplb_guard *g, __u32 i)
{
	struct siplb_budget *b, fresh = {};
	const struct siplb_budget_conf *conf;
	struct siplb_bucket *k;
	__u64 now = bpf_ktime_get_ns(), cap, tokens, elapsed;
	__u32 c;

	if (i >= SIPLB_BUCKETS)	/* the verifier wants the index bounded */
		return true;
	conf = bucket_conf(g, i);
	b = bpf_map_lookup_elem(&siplb_budgets, src);
	if (!b) {
		for (c = 0; c < SIPLB_BUCKETS; c++) {
			fresh.bucket[c].stamp_ns = now;
			fresh.bucket[c].tokens =
				(__u64)bucket_conf(g, c)->burst * SIPLB_TOKEN;
		}
		if (fresh.bucket[i].tokens < SIPLB_TOKEN)
			return false;
		fresh.bucket[i].tokens -= SIPLB_TOKEN;
		bpf_map_update_elem(&siplb_budgets, src, &fresh, BPF_ANY);
		return true;
	}
	k = &b->bucket[i];
	cap = (__u64)conf->burst * SIPLB_TOKEN;
	elapsed = now - k->stamp_ns;
	tokens = k->tokens;
	if (elapsed >= SIPLB_REFILL_MAX_NS)
		tokens = cap;
	else
		tokens += elapsed * conf->rate;
	if (tokens > cap)
		tokens = cap;
	k->stamp_ns = now;
	if (tokens < SIPLB_TOKEN) {
		k->tokens = tokens;
		return false;
	}
	k->tokens = tokens - SIPLB_TOKEN;
	return true;
}

/*
 * The guard's verdict on a message the scan accepted (scan_stat: the
 * scan's counter, 0 for a steerable message), from source src_in: 0 to go
 * on, or the drop counter. Global, like the scan's stages: inlined, its
 * branches would multiply the states the verifier walks through the rest
 * of the program.
 */
__attribute__((noinline)) int siplb_guard_check(struct scratch *s, __u32 len,
						const struct siplb_addr *src_in,
						int scan_stat)
{
	struct siplb_addr src = {};
	struct siplb_guard *g;
	__u32 zero = 0, budget_class;
	bool strict, limited;
	int cls, trust;

	g = bpf_map_lookup_elem(&siplb_guard, &zero);
	if (!g || !g->enabled || !s || !src_in || len > SIPLB_SCAN_MAX)
		return 0;
	if (scan_stat == SIPLB_STAT_PASS_KEEPALIVE ||
	    scan_stat == SIPLB_STAT_PASS_STUN)
		return 0;
	cls = sip_method_class(s, len);
	if (cls == SIPLB_METHOD_NONE)
		return 0;
	if (g->nscanners && sip_scanner_ua(s, len, g))
		return SIPLB_STAT_DROP_SCANNER;

	budget_class = cls & (SIPLB_METHOD_CLASSES - 1);
	strict = g->strict && (cls & SIPLB_METHOD_DIALOG);
	limited = g->budget[budget_class].rate != 0;
	if (!strict && !limited && !g->registered.rate)
		return 0;
	__builtin_memcpy(&src, src_in, sizeof(src));
	trust = source_trust(&src);
	if (trust == SOURCE_TRUNK)
		return 0;
	if (trust == SOURCE_REGISTERED) {
		if (g->registered.rate &&
		    !budget_take(&src, g, SIPLB_BUCKET_REGISTERED))
			return SIPLB_STAT_DROP_BUDGET_REGISTERED;
		return 0;
	}
	if (strict)
		return SIPLB_STAT_DROP_STRICT;
	if (limited && !budget_take(&src, g, budget_class))
		return SIPLB_STAT_DROP_BUDGET_REGISTER + budget_class;
	return 0;
}

/* The guard for a packet: nothing but an array lookup while it is off. */
static __always_inline int guard_check(const struct pkt *pkt,
				       struct scratch *s, int scan_stat)
{
	struct siplb_addr src = {};
	struct siplb_guard *g;
	__u32 zero = 0, len = pkt->payload_len;

	g = bpf_map_lookup_elem(&siplb_guard, &zero);
	if (!g || !g->enabled)
		return 0;
	if (len > SIPLB_SCAN_MAX)
		len = SIPLB_SCAN_MAX;
	__builtin_memcpy(src.addr, pkt->src.addr, sizeof(src.addr));
	src.family = pkt->src.family;
	return siplb_guard_check(s, len, &src, scan_stat);
}

#endif /* SIPLB_GUARD_BPF_H */
