/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * siplb_cookie.h - the stateless Digest nonce ("SIP cookie"), one
 * definition for siplbd (user/sip/nonce.c) and the XDP program.
 *
 * A nonce is the base64url (RFC 4648 section 5, no padding) encoding of
 * 32 bytes, 43 characters that never need escaping in a quoted-string:
 *
 *	issued	 8 bytes  seconds, big-endian, on the issuer's clock
 *	salt	 8 bytes  random, so two nonces of one second differ
 *	mac	16 bytes  MAC over struct siplb_nonce_input (below)
 *
 * The MAC is SipHash-2-4 (the one in siplb_hash.h) run twice, under two
 * independent 128-bit keys (the 32-byte nonce secret split in halves),
 * the two 64-bit outputs side by side. SipHash is a PRF; two under
 * independent keys are a 128-bit PRF, so a forger's chance per guess is
 * 2^-128 and the XDP program needs no second hash function (SipHash-128
 * would need another finalisation, i.e. a second definition to get
 * right on both sides). It is cheap enough to check every REGISTER in XDP.
 *
 * The input has a fixed layout so that the kernel hashes it without
 * loops over variable lengths: the realm enters as its keyed 64-bit
 * tag (user space computes it once, the XDP program gets it in
 * siplb_cookie), the source address as up to 20 bytes plus their length,
 * so a realm and an address can never be spelled as another pair.
 */
#ifndef SIPLB_COOKIE_H
#define SIPLB_COOKIE_H

#include <linux/types.h>
#include "siplb_hash.h"

#define SIPLB_NONCE_SECRET_LEN	32
#define SIPLB_NONCE_MAC_LEN	16
#define SIPLB_NONCE_RAW_LEN	(8 + 8 + SIPLB_NONCE_MAC_LEN)
#define SIPLB_NONCE_STR_LEN	43	/* base64url of 32 bytes */
#define SIPLB_NONCE_SRC_MAX	20	/* sizeof(struct siplb_addr) */

/* What the MAC covers. The 8 bytes of tail are not hashed: they are the
 * slack siplb_siphash's last masked 8-byte load reads (siplb_hash.h). */
struct siplb_nonce_input {
	__u8 issued_salt[16];	/* the nonce's first 16 bytes */
	__u64 realm_tag;	/* siplb_nonce_realm_tag() */
	__u8 src[SIPLB_NONCE_SRC_MAX];	/* zero-padded */
	__u32 src_len;
	__u64 tail;		/* zero, not hashed */
};
#define SIPLB_NONCE_INPUT_HASHED	48
_Static_assert(sizeof(struct siplb_nonce_input) ==
		       SIPLB_NONCE_INPUT_HASHED + 8, "nonce input layout");

/* The 32-byte secret as the two SipHash keys: key[0..1], key[2..3]. */
SIPLB_INLINE void siplb_nonce_keys(const __u8 *secret, __u64 key[4])
{
	int i;

	for (i = 0; i < 4; i++)
		key[i] = siplb_load64(secret + 8 * i);
}

/* The 16-byte MAC of in (tail zero) into mac. */
SIPLB_INLINE void siplb_nonce_mac(const struct siplb_nonce_input *in,
				  const __u64 key[4], __u8 *mac)
{
	const __u8 *p = (const __u8 *)in;
	__u64 a = siplb_siphash(p, SIPLB_NONCE_INPUT_HASHED,
				SIPLB_NONCE_INPUT_HASHED, &key[0]);
	__u64 b = siplb_siphash(p, SIPLB_NONCE_INPUT_HASHED,
				SIPLB_NONCE_INPUT_HASHED, &key[2]);
	int i;

	for (i = 0; i < 8; i++) {
		mac[i] = (__u8)(a >> (8 * i));
		mac[8 + i] = (__u8)(b >> (8 * i));
	}
}

/* The base64url character for a 6-bit value: arithmetic, no table, so
 * the verifier sees no variable-offset read. */
SIPLB_INLINE char siplb_b64url_char(__u32 v)
{
	v &= 63;
	if (v < 26)
		return (char)('A' + v);
	if (v < 52)
		return (char)('a' + v - 26);
	if (v < 62)
		return (char)('0' + v - 52);
	return v == 62 ? '-' : '_';
}

/* The 6-bit value of a base64url character, or -1. */
SIPLB_INLINE int siplb_b64url_value(__u8 c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	return c == '_' ? 63 : -1;
}

/* 32 raw bytes as 43 characters (no NUL): ten groups of 3 bytes, then 2. */
SIPLB_INLINE void siplb_nonce_encode(const __u8 *raw, char *out)
{
	__u32 g, i;

	for (i = 0; i < 10; i++) {
		g = (__u32)raw[3 * i] << 16 | (__u32)raw[3 * i + 1] << 8 |
		    raw[3 * i + 2];
		out[4 * i] = siplb_b64url_char(g >> 18);
		out[4 * i + 1] = siplb_b64url_char(g >> 12);
		out[4 * i + 2] = siplb_b64url_char(g >> 6);
		out[4 * i + 3] = siplb_b64url_char(g);
	}
	g = (__u32)raw[30] << 16 | (__u32)raw[31] << 8;
	out[40] = siplb_b64url_char(g >> 18);
	out[41] = siplb_b64url_char(g >> 12);
	out[42] = siplb_b64url_char(g >> 6);
}

/*
 * 43 characters back into 32 bytes; 0, or -1 for a character outside
 * the alphabet or unused low bits set in the last one (each nonce has
 * one spelling only).
 */
SIPLB_INLINE int siplb_nonce_decode(const __u8 *in, __u8 *raw)
{
	__u32 g = 0, i;
	int v;

	for (i = 0; i < SIPLB_NONCE_STR_LEN; i++) {
		v = siplb_b64url_value(in[i]);
		if (v < 0)
			return -1;
		g = g << 6 | (__u32)v;
		if (i % 4 == 3) {
			raw[3 * (i / 4)] = (__u8)(g >> 16);
			raw[3 * (i / 4) + 1] = (__u8)(g >> 8);
			raw[3 * (i / 4) + 2] = (__u8)g;
			g = 0;
		}
	}
	/* 3 characters left: 18 bits, 16 of them data. */
	if (g & 3)
		return -1;
	raw[30] = (__u8)(g >> 10);
	raw[31] = (__u8)(g >> 2);
	return 0;
}

SIPLB_INLINE __u64 siplb_nonce_get_be64(const __u8 *p)
{
	__u64 v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

SIPLB_INLINE void siplb_nonce_put_be64(__u8 *p, __u64 v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (__u8)v;
}

/*
 * The key of the To tag in the registrar's responses: 16 hex digits of
 * SipHash-2-4 of the Call-ID under this public key, so that a
 * retransmission gets the same tag from siplbd and from XDP. Public on
 * purpose: it only has to be stable, not secret.
 */
#define SIPLB_TO_TAG_KEY0	0x7265676973747261ULL
#define SIPLB_TO_TAG_KEY1	0x722d63616c6c6964ULL
#define SIPLB_TO_TAG_LEN	16

/*
 * siplb_cookie (array of 1), written by siplbd at start and reload: what
 * the XDP program needs to answer a REGISTER without credentials with
 * the 401 siplbd would send, and to check the nonce of one with them.
 * chal[0] is the WWW-Authenticate block digest_challenge() writes for
 * the configured algorithms, chal[1] the same with stale=true, each with
 * a placeholder nonce at nonce_off[0..nnonce) that XDP overwrites.
 */
#define SIPLB_COOKIE_CHAL_MAX	512	/* bytes of one challenge block */
#define SIPLB_COOKIE_NONCES_MAX	3	/* one per algorithm */

struct siplb_cookie_chal {
	__u16 len;
	__u16 nnonce;
	__u16 nonce_off[SIPLB_COOKIE_NONCES_MAX];
	__u16 pad;
	char text[SIPLB_COOKIE_CHAL_MAX];	/* zero after len */
};

struct siplb_cookie {
	__u32 enabled;		/* 0: every REGISTER goes up (PASS_REGISTER) */
	__u32 lifetime_s;	/* nonce lifetime, seconds */
	__s64 clock_offset_ns;	/* + bpf_ktime_get_ns() = siplbd's nonce
				 * clock in ns: 0 alone, realtime minus
				 * monotonic in a cluster */
	__u64 key[4];		/* siplb_nonce_keys() of the nonce secret */
	__u64 realm_tag;	/* siplb_nonce_realm_tag() of the realm */
	struct siplb_cookie_chal chal[2];	/* [1]: stale=true */
};
_Static_assert(sizeof(struct siplb_cookie_chal) == 12 + SIPLB_COOKIE_CHAL_MAX,
	       "cookie challenge layout");
_Static_assert(sizeof(struct siplb_cookie) ==
		       56 + 2 * sizeof(struct siplb_cookie_chal),
	       "cookie layout");

/* siplb_progs (prog array): the programs siplb_xdp tail-calls. */
enum siplb_prog {
	SIPLB_PROG_COOKIE,	/* a REGISTER: bpf/cookie.bpf.h */
	SIPLB_PROG_MAX,
};

#ifndef __bpf__
/* The realm's tag in the MAC input: SipHash-2-4 under the first key. */
static inline __u64 siplb_nonce_realm_tag(const char *realm, __u32 len,
					  const __u64 key[4])
{
	return siplb_siphash((const __u8 *)realm, len, (__u32)-1, &key[0]);
}
#endif

#endif /* SIPLB_COOKIE_H */
