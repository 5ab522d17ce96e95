/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cookie_words.bpf.h - pass 1 of the challenge program (the lines of a
 * REGISTER) eight bytes at a time.
 *
 * A bpf_loop() callback per byte cost most of the program's time (about
 * 4 ns a byte; docs/PERFORMANCE.md). Most bytes are inside header values,
 * where the per-byte state machine (cookie_parse.bpf.h) only notes a ','
 * and the last non-blank byte: a word of a value with no CR or LF does
 * exactly that with word arithmetic here. Every other word (a name, a
 * colon, a line's end, the message's tail) goes through the per-byte
 * state machine, ck_line_cb(), as before, so the result is the same bit
 * for bit. Those eight calls are inlined, not a nested bpf_loop(): the
 * callbacks' indirect calls were most of what was left (the verifier
 * still walks one word's code once, the state being in the map value).
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
 * Word k of pass 1: bytes 8k..8k+7 (in[] has slack after the payload). A whole word inside a value is done
 * here; any other goes byte by byte. Stops the loop where the byte pass
 * stops (the empty line, too many lines).
 */
static long ck_word_cb(__u32 k, void *data)
{
	struct cookie_buf *b = *(struct cookie_buf **)data;
	struct ck_lines *l = &b->l;
	__u32 i = k * 8, n = b->plen - i, j;
	__u64 w = siplb_load64(&b->in[i & CK_IN_MASK]), blank;

	if (n >= 8 && l->state == CK_VALUE &&
	    !(ck_eq_bytes(w, '\r') | ck_eq_bytes(w, '\n'))) {
		if (ck_eq_bytes(w, ','))
			l->commas |= 1ULL << (l->cur & CK_LINE_MASK);
		blank = ck_eq_bytes(w, ' ') | ck_eq_bytes(w, '\t');
		if (blank != CK_HIGH)
			b->vend[l->cur & CK_LINE_MASK] =
				i + ck_last_marked(~blank & CK_HIGH) + 1;
		return 0;
	}
#pragma unroll
	for (j = 0; j < 8; j++)
		if (j < n && ck_line_cb(i + j, data))
			return 1;
	return 0;
}

#endif /* SIPLB_COOKIE_WORDS_BPF_H */
