/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cookie_words.bpf.h - pass 1 of the challenge program (the lines of a
 * REGISTER) eight bytes at a time.
 *
 * A bpf_loop() callback per byte cost most of the program's time (about
 * 4 ns a byte; docs/PERFORMANCE.md). Most words hold no CR or LF and lie
 * inside a header value, a name or a line that is no header, where the
 * per-byte state machine (cookie_parse.bpf.h) only notes a ',', where the
 * value starts and its last non-blank byte: such a word does exactly that
 * with word arithmetic here. Every other word (a colon, blanks in a name,
 * a line's end, the message's tail) goes through ck_line_cb() byte by
 * byte, as before, so the result is the same bit for bit. Those eight
 * calls are inlined, not a nested bpf_loop(): the callbacks' indirect
 * calls were most of what was left (the verifier still walks one word's
 * code once, the state being in the map value).
 */
#ifndef SIPLB_COOKIE_WORDS_BPF_H
#define SIPLB_COOKIE_WORDS_BPF_H

#include "cookie_parse.bpf.h"

#define CK_BYTES(c)	(0x0101010101010101ULL * (__u8)(c))
#define CK_LOW7		CK_BYTES(0x7f)
#define CK_HIGH		CK_BYTES(0x80)

/*
 * 0x80 in each byte of w equal to c (< 0x80), exactly: for a byte b below
 * 0x80, (b ^ c) + 0x7f has bit 7 clear only if b == c and never carries
 * into the next byte (the sip_scan.bpf.h trick); a byte >= 0x80 is no
 * match through its own bit 7.
 */
static __always_inline __u64 ck_eq_bytes(__u64 w, __u8 c)
{
	return ~((((w & CK_LOW7) ^ CK_BYTES(c)) + CK_LOW7) | w) & CK_HIGH;
}

/* Index (0..7) of the lowest byte marked in bits (not 0): a multiply
 * moves it to the top byte (sip_scan.bpf.h's first_marked_byte()). */
static __always_inline __u32 ck_first_marked(__u64 bits)
{
	return (((bits & -bits) >> 7) * 0x0001020304050607ULL) >> 56;
}

/* Index (0..7) of the highest byte marked in bits (not 0). */
static __always_inline __u32 ck_last_marked(__u64 bits)
{
	__u32 k = 0;

	if (bits >> 32) {
		k = 4;
		bits >>= 32;
	}
	if (bits >> 16) {
		k += 2;
		bits >>= 16;
	}
	if (bits >> 8)
		k += 1;
	return k;
}

/*
 * Word k of pass 1: bytes 8k..8k+7 (in[] has slack after the payload),
 * as a whole where it can be, else byte by byte. Stops the loop where
 * the byte pass stops (the empty line, too many lines).
 */
static long ck_word_cb(__u32 k, void *data)
{
	struct cookie_buf *b = *(struct cookie_buf **)data;
	struct ck_lines *l = &b->l;
	__u32 i = k * 8, n = b->plen - i, j, cur = l->cur & CK_LINE_MASK;
	__u64 w = siplb_load64(&b->in[i & CK_IN_MASK]), blank, solid;

	if (n >= 8 && !(ck_eq_bytes(w, '\r') | ck_eq_bytes(w, '\n'))) {
		blank = ck_eq_bytes(w, ' ') | ck_eq_bytes(w, '\t');
		solid = ~blank & CK_HIGH;
		switch (l->state) {
		case CK_NAME:	/* all of it still the name: nothing to do */
			if (blank || ck_eq_bytes(w, ':'))
				goto bytewise;
			break;
		case CK_AFTER_COLON:	/* the value starts in it */
			if (solid) {
				b->vstart[cur] = i + ck_first_marked(solid);
				l->state = CK_VALUE;
			}
			/* fall through */
		case CK_VALUE:
			if (solid)
				b->vend[cur] = i + ck_last_marked(solid) + 1;
			break;
		case CK_JUNK:
			break;
		default:
			goto bytewise;
		}
		if (ck_eq_bytes(w, ','))
			l->commas |= 1ULL << cur;
		return 0;
	}
bytewise:
#pragma unroll
	for (j = 0; j < 8; j++)
		if (j < n && ck_line_cb(i + j, data))
			return 1;
	return 0;
}

#endif /* SIPLB_COOKIE_WORDS_BPF_H */
