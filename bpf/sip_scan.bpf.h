/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sip_scan.bpf.h - classify a UDP payload on a VIP port and find its
 * Call-ID, within the limits the verifier allows.
 *
 * The payload is first copied into a per-CPU buffer (bpf_xdp_load_bytes),
 * zero-padded, so that every read below is a bounded load from a map value
 * rather than a packet access that needs its own data_end check. The scan
 * reads 8-byte words at offsets fixed in advance, never at an offset that
 * an earlier word decided, so the CPU overlaps the loads; it tests the 8
 * bytes of a word at once (SWAR), and only the lines that may be a Call-ID
 * header or the end of the headers get a closer look. Its cost grows with
 * bytes / 8, not with bytes or lines.
 *
 * What it recognises (RFC 3261 section 7, 20.8):
 *   - a request line "METHOD SP Request-URI SP SIP/2.0", a status line
 *     "SIP/2.0 SP 3DIGIT SP reason";
 *   - the Call-ID header at the start of a header line: long name "Call-ID"
 *     or compact "i", any case, optional SP/HTAB before the colon, value
 *     trimmed of SP/HTAB/CR, compared (hashed) byte for byte;
 *   - keep-alives: CRLF, CRLFCRLF, and STUN binding requests (RFC 5626).
 * The scan stops at the empty line that ends the headers: bytes after it
 * (a body, or trailing octets as in RFC 4475 "dblreq") are never read.
 */
#ifndef SIPLB_SIP_SCAN_BPF_H
#define SIPLB_SIP_SCAN_BPF_H

#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include "scratch.bpf.h"
#include "siplb_hash.h"

/* Eight bytes as the little-endian word a load from memory returns. */
#define W8(a, b, c, d, e, f, g, h)                                            \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | \
	 (__u64)(e) << 32 | (__u64)(f) << 40 | (__u64)(g) << 48 |             \
	 (__u64)(h) << 56)

/* OR-ing 0x20 into a letter lower-cases it and maps no other byte onto a
 * lower-case letter, so `(w | fold) == lowercase` is a case-insensitive
 * compare of the letter positions that the fold mask covers. */
#define FOLD_CALLID	W8(0x20, 0x20, 0x20, 0x20, 0, 0x20, 0x20, 0)
#define NAME_CALLID	W8('c', 'a', 'l', 'l', '-', 'i', 'd', 0)
#define MASK7		0x00ffffffffffffffULL
#define FOLD_SIPVER	W8(0, 0x20, 0x20, 0x20, 0, 0, 0, 0)
#define SIPVER_2_0	W8(' ', 's', 'i', 'p', '/', '2', '.', '0')
#define MASK5		0x000000ffffffffffULL
#define FOLD_SIP	W8(0x20, 0x20, 0x20, 0, 0, 0, 0, 0)
#define STATUS_PREFIX	W8('s', 'i', 'p', '/', '2', '.', '0', ' ')
#define WORD_REGISTER	W8('R', 'E', 'G', 'I', 'S', 'T', 'E', 'R')

#define METHOD_MAX	64	/* longest request method we accept (RFC 4475
				 * "intmeth" has 42 characters) */
#define STUN_MAGIC	0x2112a442

enum sip_kind {
	SIP_REQUEST,
	SIP_RESPONSE,
};

/* What the scan found out about a message. */
struct sip_scan {
	__u32 callid_off;	/* trimmed Call-ID value in the buffer */
	__u32 callid_len;
	bool is_register;
	bool is_response;
};

static __always_inline __u64 load_word(const __u8 *buf, __u32 off)
{
	return siplb_load64(buf + (off & SCRATCH_MASK));
}

static __always_inline __u8 load_byte(const __u8 *buf, __u32 off)
{
	return buf[off & SCRATCH_MASK];
}

/* Non-zero where a byte of w is '\n'; the lowest set bit is exact. */
static __always_inline __u64 newline_bits(__u64 w)
{
	__u64 x = w ^ 0x0a0a0a0a0a0a0a0aULL;

	return (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
}

/*
 * Index of the lowest byte marked 0x80 in bits. Clang 14's BPF backend
 * crashes on __builtin_ctzll, so: isolate the lowest mark (1 << 8k after
 * the shift) and let a multiply move byte 7-k of a constant whose byte j
 * holds 7-j into the top byte.
 */
static __always_inline __u32 first_marked_byte(__u64 bits)
{
	__u64 lowest = (bits & -bits) >> 7;

	return (lowest * 0x0001020304050607ULL) >> 56;
}

/* RFC 3261 token characters (method names). */
static __always_inline bool is_token_char(__u8 c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '-': case '.': case '!': case '%': case '*':
	case '_': case '+': case '`': case '\'': case '~':
		return true;
	}
	return false;
}

static __always_inline bool is_ws(__u8 c)
{
	return c == ' ' || c == '\t';
}

static __always_inline bool is_keepalive(const __u8 *buf, __u32 len)
{
	__u64 w = load_word(buf, 0);

	if (len == 2)
		return (w & 0xffff) == W8('\r', '\n', 0, 0, 0, 0, 0, 0);
	if (len == 4)
		return (w & 0xffffffff) == W8('\r', '\n', '\r', '\n', 0, 0, 0, 0);
	return false;
}

/* RFC 5389 binding request as RFC 5626 uses it for keep-alive over UDP. */
static __always_inline bool is_stun_binding(const __u8 *buf, __u32 len)
{
	__u32 msg_len = (__u32)load_byte(buf, 2) << 8 | load_byte(buf, 3);
	__u32 cookie = (__u32)load_byte(buf, 4) << 24 |
		       (__u32)load_byte(buf, 5) << 16 |
		       (__u32)load_byte(buf, 6) << 8 | load_byte(buf, 7);

	return len >= 20 && load_byte(buf, 0) == 0 && load_byte(buf, 1) == 1 &&
	       cookie == STUN_MAGIC && msg_len + 20 == len &&
	       (msg_len & 3) == 0;
}

/*
 * The start of the start line: a response, or a method token and SP.
 * Returns 0 or a counter.
 */
static __always_inline int scan_start(const __u8 *buf, __u32 len,
				      struct sip_scan *scan)
{
	__u64 w = load_word(buf, 0);
	__u32 i;

	if ((w | FOLD_SIP) == STATUS_PREFIX) {
		__u8 d0 = load_byte(buf, 8), d1 = load_byte(buf, 9);
		__u8 d2 = load_byte(buf, 10);

		__u8 after = load_byte(buf, 11);

		if (d0 < '1' || d0 > '6' || d1 < '0' || d1 > '9' ||
		    d2 < '0' || d2 > '9')
			return SIPLB_STAT_DROP_NOT_SIP;
		/* SP, or the line's end: the user-space parser, like many
		 * stacks, takes "SIP/2.0 200" without the SP and reason. */
		if (after != ' ' && after != '\r' && after != '\n')
			return SIPLB_STAT_DROP_NOT_SIP;
		scan->is_response = true;
		return 0;
	}

	/* CRLFs before the start line are to be ignored (RFC 3261 7.5):
	 * rare enough to leave to the slow path. */
	if ((w & 0xff) == '\r' || (w & 0xff) == '\n')
		return SIPLB_STAT_PASS_UNUSUAL;
	for (i = 0; i < METHOD_MAX + 1; i++) {
		__u8 c = load_byte(buf, i);

		if (c == ' ')
			break;
		if (!is_token_char(c))
			return SIPLB_STAT_DROP_NOT_SIP;
	}
	if (i == 0)
		return SIPLB_STAT_DROP_NOT_SIP;
	if (i > METHOD_MAX)	/* a token still: a method, just a long one */
		return SIPLB_STAT_PASS_UNUSUAL;
	/* Methods are case-sensitive (RFC 3261 7.1): "register" is not one. */
	scan->is_register = i == 8 && w == WORD_REGISTER;
	return 0;
}

/* The request line ends at `nl`: it must end in " SIP/2.0" (CR optional). */
static __always_inline int check_request_line_end(const __u8 *buf, __u32 nl)
{
	__u32 end = nl;
	__u64 w;

	if (end > 0 && load_byte(buf, end - 1) == '\r')
		end--;
	if (end < 2 + 8)	/* "M x SIP/2.0" at the very least */
		return SIPLB_STAT_DROP_NOT_SIP;
	w = load_word(buf, end - 8);
	if ((w | FOLD_SIPVER) == SIPVER_2_0)
		return 0;
	/* " SIP/" then something else: a version we do not speak; the slow
	 * path answers 505 (RFC 3261 8.2.1 / RFC 4475 "badvers"). */
	if (((w | FOLD_SIPVER) & MASK5) == (SIPVER_2_0 & MASK5))
		return SIPLB_STAT_PASS_BAD_VERSION;
	return SIPLB_STAT_DROP_NOT_SIP;
}

/* SP, HTAB or ':' may follow a header name (RFC 3261 7.3.1). */
static __always_inline bool ends_name(__u8 c)
{
	return c == ':' || is_ws(c);
}

/*
 * Length of the Call-ID header name that starts the word w ("Call-ID" in
 * any case: 7; compact "i": 1), or 0 for any other header.
 */
static __always_inline __u32 callid_name_len(__u64 w)
{
	if (((w | FOLD_CALLID) & MASK7) == NAME_CALLID && ends_name(w >> 56))
		return 7;
	if (((w | 0x20) & 0xff) == 'i' && ends_name(w >> 8))
		return 1;
	return 0;
}

/* What ends a scan that did not find a value: the window, or the message. */
static __always_inline int ran_out(bool window_cut)
{
	return window_cut ? SIPLB_STAT_PASS_SCAN_LIMIT :
			    SIPLB_STAT_DROP_SIP_TRUNCATED;
}

/*
 * Offset just past the start line's '\n', or a counter (negated). Word i
 * is read at offset 8 * i, whatever the earlier words held: no load waits
 * for the one before it, so the CPU overlaps the iterations, and the only
 * branch that depends on the data is the one that leaves the loop. (Only
 * the lowest mark of newline_bits() is exact, and only it is used.)
 */
static __always_inline int skip_start_line(const __u8 *buf, __u32 len,
					   bool window_cut,
					   const struct sip_scan *scan)
{
	__u32 off = 0, nl, i;
	__u64 bits = 0;
	int err;

	for (i = 0; i < SIPLB_SCAN_MAX / 8; i++) {
		off = i * 8;
		if (off >= len)
			break;
		bits = newline_bits(load_word(buf, off));
		if (bits)
			break;
	}
	if (!bits)
		return -ran_out(window_cut);
	nl = off + first_marked_byte(bits);
	/* Verifier workaround: clang can tell that nl < 2048, drops the
	 * SCRATCH_MASK of the loads check_request_line_end() makes at nl - 1
	 * and nl - 8, and computes nl - 1 as "add 0xffffffff, zero-extend",
	 * a range the verifier cannot bound. Hiding nl from clang keeps the
	 * masks. */
	barrier_var(nl);
	if (nl >= len)	/* a '\n' in the zero padding cannot be, but say so */
		return -ran_out(window_cut);
	if (!scan->is_response) {
		err = check_request_line_end(buf, nl);
		if (err)
			return -err;
	}
	return nl + 1;
}

/* A byte value in all eight bytes of a word. */
#define BYTES(c)	(0x0101010101010101ULL * (__u8)(c))
#define LOW7		BYTES(0x7f)

/*
 * Marks (0x80 in byte j) where byte j of w is a '\n' and byte j of next,
 * the byte after it, can start a line the scan must look at: 'c' or 'C'
 * (Call-ID), 'i' or 'I' (its compact form), '\r' or '\n' (the empty line
 * that ends the headers). Every other line, a folded one (SP/HTAB) too,
 * gets no mark.
 *
 * Exact in every byte, where the classic (x - 0x01..) & ~x test can mark a
 * byte above a real match through its borrow: for b < 0x80, (b ^ c) + 0x7f
 * has bit 7 clear only if b == c and, at most 0xfe, never carries into the
 * next byte; a byte >= 0x80 (bit 7 of w | next) is none of these. Every
 * mark is acted on (marked_lines()), so every mark must be a real one.
 */
static __always_inline __u64 line_start_marks(__u64 w, __u64 next)
{
	__u64 w7 = w & LOW7, n7 = next & LOW7, lower = n7 | BYTES(0x20);
	__u64 other = ((n7 ^ BYTES('\n')) + LOW7) &
		      ((n7 ^ BYTES('\r')) + LOW7) &
		      ((lower ^ BYTES('c')) + LOW7) &
		      ((lower ^ BYTES('i')) + LOW7);
	__u64 unmarked = ((w7 ^ BYTES('\n')) + LOW7) | other | w | next;

	return ~(unmarked | LOW7);
}

/*
 * The marked lines of the word at off, in order: 0 with *name_end just past
 * the name of a Call-ID header, a counter (the empty line), or -1 when none
 * of them decides. Four at most: a marked line that does not end the scan
 * starts with a letter, so no mark follows its own by less than two bytes.
 */
static __always_inline int marked_lines(const __u8 *buf, __u64 off,
					__u64 marks, __u32 *name_end)
{
	__u32 start, name_len, k;
	__u8 c;

	for (k = 0; k < 4 && marks; k++) {
		start = off + first_marked_byte(marks) + 1;
		marks &= marks - 1;
		c = load_byte(buf, start);
		if (c == '\r' || c == '\n')
			return SIPLB_STAT_PASS_NO_CALLID;	/* headers end */
		name_len = callid_name_len(load_word(buf, start));
		if (name_len) {
			*name_end = start + name_len;
			return 0;
		}
	}
	return -1;
}

/*
 * The header lines, from pos (just past the start line's '\n'): 0 with
 * *name_end just past the name of the first Call-ID header, or a counter.
 * Stops at the empty line that ends the headers.
 *
 * It reads 16 bytes an iteration at offsets fixed in advance, pos - 1 +
 * 16 * i (pos - 1 is the start line's '\n', so the first header line is
 * marked like any other): no load waits for an earlier result, and the
 * iterations overlap. Each word and the word one byte on give
 * line_start_marks(); only a marked line gets the exact checks, and the only
 * branch most iterations take is the loop's own. The second word reads up
 * to off + 16, past the zeroed word after the message unless off + 8 < len:
 * hence its extra condition.
 */
static __always_inline int find_callid_line(const __u8 *buf, __u32 len,
					    bool window_cut, __u32 pos,
					    __u32 *name_end)
{
	__u64 off = pos - 1, end = len, m0, m1, i;
	const __u8 *p;
	int r;

	for (i = 0; i < SIPLB_SCAN_MAX / 16 + 1; i++, off += 16) {
		if (off >= end)
			return ran_out(window_cut);
		p = buf + (off & SCRATCH_MASK);
		m0 = line_start_marks(siplb_load64(p), siplb_load64(p + 1));
		m1 = line_start_marks(siplb_load64(p + 8), siplb_load64(p + 9));
		if (!(m0 | m1))
			continue;
		if (m0) {
			r = marked_lines(buf, off, m0, name_end);
			if (r >= 0)
				return r;
		}
		if (m1 && off + 8 < end) {
			r = marked_lines(buf, off + 8, m1, name_end);
			if (r >= 0)
				return r;
		}
	}
	return SIPLB_STAT_PASS_SCAN_LIMIT;	/* not reached: 16 * i > len */
}

/* Skip SP/HTAB from p; returns the offset of the next other byte. */
/*
 * Skip SP/HTAB (and CR, if cr) from p, at most SIPLB_NAME_WS_MAX of them;
 * returns the offset of the next other byte, or `len + 1` when there were
 * more: the caller then passes the message up rather than count the rest
 * as part of a name or value.
 */
static __always_inline __u32 skip_ws(const __u8 *buf, __u32 p, __u32 len,
				     bool cr)
{
	__u32 i;
	__u8 c;

	for (i = 0; i < SIPLB_NAME_WS_MAX + 1; i++) {
		if (p >= len)
			return p;
		c = load_byte(buf, p);
		if (!is_ws(c) && !(cr && c == '\r'))
			return p;
		p++;
	}
	return len + 1;
}

/*
 * After the header name: [ws] ':' [ws]. Returns the value offset or a
 * counter (negated). A name followed by anything else is not a valid
 * header line at all; the slow path gets to say so.
 */
static __always_inline int callid_value_start(const __u8 *buf, __u32 p,
					      __u32 len, bool window_cut)
{
	p = skip_ws(buf, p, len, false);
	if (p > len)
		return -SIPLB_STAT_PASS_NO_CALLID;	/* a very spaced name */
	if (p == len)
		return -ran_out(window_cut);
	if (load_byte(buf, p) != ':')
		return -SIPLB_STAT_PASS_NO_CALLID;
	/* After the colon a bare CR is skipped too: the header's value, as
	 * the user-space parser trims it, starts after it. */
	p = skip_ws(buf, p + 1, len, true);
	if (p > len)
		return -SIPLB_STAT_PASS_CALLID_LONG;	/* too much leading space */
	if (p == len)
		return -ran_out(window_cut);
	return p;
}

/* The Call-ID value runs from `v` to the end of its line, trimmed. */
static __always_inline int callid_value_end(const __u8 *buf, __u32 len,
					    bool window_cut, __u32 v,
					    struct sip_scan *scan)
{
	__u32 pos = v, end, i;
	__u64 bits = 0;
	__u8 last;

	for (i = 0; i < SIPLB_CALLID_MAX / 8 + 2; i++) {
		if (pos >= len)
			return ran_out(window_cut);
		bits = newline_bits(load_word(buf, pos));
		if (bits)
			break;
		pos += 8;
	}
	if (!bits)
		return SIPLB_STAT_PASS_CALLID_LONG;
	pos += first_marked_byte(bits);	/* the '\n' */
	if (pos + 1 >= len)	/* no line after it: headers never end */
		return ran_out(window_cut);
	if (is_ws(load_byte(buf, pos + 1)))
		return SIPLB_STAT_PASS_CALLID_FOLDED;	/* RFC 3261 7.3.1 */

	end = pos;
	for (i = 0; i < 2 * SIPLB_NAME_WS_MAX; i++) {
		__u8 c;

		if (end <= v)
			break;
		c = load_byte(buf, end - 1);
		if (c != '\r' && !is_ws(c))
			break;
		end--;
	}
	if (end <= v)
		return SIPLB_STAT_PASS_NO_CALLID;	/* empty value */
	last = load_byte(buf, end - 1);
	if (last == '\r' || is_ws(last))	/* more than the loop trims */
		return SIPLB_STAT_PASS_CALLID_LONG;
	if (end - v > SIPLB_CALLID_MAX)
		return SIPLB_STAT_PASS_CALLID_LONG;
	scan->callid_off = v;
	scan->callid_len = end - v;
	return 0;
}

/*
 * The stages below are global (non-static, noinline) functions on purpose.
 * The verifier checks a global function once, for any argument values, and
 * the caller sees only its scalar result. A static function is checked
 * inline for each path into it, and a loop that can end at any of its
 * ~100-200 iterations hands each later stage as many distinct states:
 * inlined, the program exceeds the verifier's 1M-instruction budget. Each
 * stage therefore bounds its own arguments again, and passes its result
 * back packed in the return value (negative: a counter, negated).
 */
#define SCAN_ARGS_OK(s, len) ((s) && (len) <= SIPLB_SCAN_MAX)

/* Keep-alive, STUN, response or request (REGISTER is a counter). */
__attribute__((noinline)) int sip_classify(struct scratch *s, __u32 len)
{
	struct sip_scan scan = {};
	int err;

	if (!SCAN_ARGS_OK(s, len))
		return -SIPLB_STAT_PASS_INTERNAL;
	if (is_keepalive(s->buf, len))
		return -SIPLB_STAT_PASS_KEEPALIVE;
	if (is_stun_binding(s->buf, len))
		return -SIPLB_STAT_PASS_STUN;
	err = scan_start(s->buf, len, &scan);
	if (err)
		return -err;
	if (scan.is_register)	/* the registrar parses the whole message */
		return -SIPLB_STAT_PASS_REGISTER;
	return scan.is_response ? SIP_RESPONSE : SIP_REQUEST;
}

/* Offset of the first header line. */
__attribute__((noinline)) int sip_skip_start_line(struct scratch *s,
						   __u32 len, __u32 window_cut,
						   __u32 kind)
{
	struct sip_scan scan = { .is_response = kind == SIP_RESPONSE };

	if (!SCAN_ARGS_OK(s, len))
		return -SIPLB_STAT_PASS_INTERNAL;
	return skip_start_line(s->buf, len, window_cut, &scan);
}

/* Offset just past the Call-ID header name, searching from pos. */
__attribute__((noinline)) int sip_find_callid_name(struct scratch *s,
						    __u32 len, __u32 window_cut,
						    __u32 pos)
{
	__u32 name_end = 0;
	int err;

	if (!SCAN_ARGS_OK(s, len) || pos == 0 || pos > len)
		return -SIPLB_STAT_PASS_INTERNAL;
	err = find_callid_line(s->buf, len, window_cut, pos, &name_end);
	return err ? -err : (int)name_end;
}

/* The trimmed value after the name: offset << 16 | length. */
__attribute__((noinline)) int sip_callid_value(struct scratch *s, __u32 len,
						__u32 window_cut,
						__u32 name_end)
{
	struct sip_scan scan = {};
	int pos, err;

	if (!SCAN_ARGS_OK(s, len) || name_end > len)
		return -SIPLB_STAT_PASS_INTERNAL;
	pos = callid_value_start(s->buf, name_end, len, window_cut);
	if (pos < 0)
		return pos;
	err = callid_value_end(s->buf, len, window_cut, pos, &scan);
	if (err)
		return -err;
	return scan.callid_off << 16 | scan.callid_len;
}

/* SipHash of the value at off (the shared siplb_callid_hash). */
__attribute__((noinline)) __u64 sip_hash_callid(struct scratch *s, __u32 off,
						 __u32 vlen, __u64 key0,
						 __u64 key1)
{
	__u64 key[2] = { key0, key1 };

	if (!s || vlen > SIPLB_CALLID_MAX)
		return 0;
	return siplb_callid_hash(&s->buf[off & SCRATCH_MASK], vlen, key);
}

/*
 * Classify the payload in s->buf[0..len) (zero padded; window_cut when the
 * datagram is longer than what was copied). Returns 0 with the Call-ID's
 * position in *scan, or a counter.
 */
static __always_inline int sip_scan(struct scratch *s, __u32 len,
				    bool window_cut, struct sip_scan *scan)
{
	int kind, pos, value;

	kind = sip_classify(s, len);
	if (kind < 0)
		return -kind;
	pos = sip_skip_start_line(s, len, window_cut, kind);
	if (pos < 0)
		return -pos;
	pos = sip_find_callid_name(s, len, window_cut, pos);
	if (pos < 0)
		return -pos;
	value = sip_callid_value(s, len, window_cut, pos);
	if (value < 0)
		return -value;
	scan->callid_off = (__u32)value >> 16;
	scan->callid_len = value & 0xffff;
	return 0;
}

#endif /* SIPLB_SIP_SCAN_BPF_H */
