/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * siplb_hash.h - the keyed Call-ID hash and the Maglev slot it selects.
 *
 * Compiled into the XDP program and into user space: the backend that the
 * kernel picks for a Call-ID and the one that user space (the slow path,
 * tests, siplbctl) computes come from this one definition.
 *
 * The hash is SipHash-2-4 (Aumasson & Bernstein) keyed with a secret that
 * user space draws from getrandom(), so a client cannot choose Call-IDs that
 * all land on one backend. Loops are bounded by SIPLB_CALLID_MAX so that the
 * verifier accepts them; user space may hash longer values (the bound only
 * matters to the caller that picks `len`).
 */
#ifndef SIPLB_HASH_H
#define SIPLB_HASH_H

#include <stdbool.h>
#include <linux/types.h>
#include "siplb_maps.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "siplb_hash.h reads little-endian words; add byte swaps for this target"
#endif

#ifdef __bpf__
#define SIPLB_INLINE static __always_inline
/* BPF (x86 JIT) accepts unaligned loads from map values. */
SIPLB_INLINE __u64 siplb_load64(const __u8 *p)
{
	return *(const __u64 *)p;
}

/*
 * The n (0..7) bytes at p as a little-endian number. BPF callers hash from a
 * buffer with slack after the value, so one masked load does it without a
 * loop (a loop here multiplies the paths the verifier has to walk).
 */
SIPLB_INLINE __u64 siplb_load_tail(const __u8 *p, __u32 n)
{
	return *(const __u64 *)p & ((1ULL << (8 * (n & 7))) - 1);
}
#else
#include <string.h>
#define SIPLB_INLINE static inline __attribute__((always_inline))
SIPLB_INLINE __u64 siplb_load64(const __u8 *p)
{
	__u64 v;

	memcpy(&v, p, sizeof(v));	/* unaligned-safe under UBSan */
	return v;
}

/* The n (0..7) bytes at p as a little-endian number; never reads past. */
SIPLB_INLINE __u64 siplb_load_tail(const __u8 *p, __u32 n)
{
	__u64 v = 0;
	__u32 i;

	for (i = 0; i < (n & 7); i++)
		v |= (__u64)p[i] << (8 * i);
	return v;
}
#endif

#define SIPLB_ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

#define SIPLB_SIPROUND(v0, v1, v2, v3)                                        \
	do {                                                                   \
		v0 += v1; v1 = SIPLB_ROTL64(v1, 13); v1 ^= v0;                 \
		v0 = SIPLB_ROTL64(v0, 32);                                     \
		v2 += v3; v3 = SIPLB_ROTL64(v3, 16); v3 ^= v2;                 \
		v0 += v3; v3 = SIPLB_ROTL64(v3, 21); v3 ^= v0;                 \
		v2 += v1; v1 = SIPLB_ROTL64(v1, 17); v1 ^= v2;                 \
		v2 = SIPLB_ROTL64(v2, 32);                                     \
	} while (0)

/*
 * SipHash-2-4 of p[0..len). The caller guarantees len <= max_len and that
 * max_len is a compile-time constant (the loop bound the verifier sees).
 */
SIPLB_INLINE __u64 siplb_siphash(const __u8 *p, __u32 len, __u32 max_len,
				 const __u64 key[2])
{
	__u64 v0 = 0x736f6d6570736575ULL ^ key[0];
	__u64 v1 = 0x646f72616e646f6dULL ^ key[1];
	__u64 v2 = 0x6c7967656e657261ULL ^ key[0];
	__u64 v3 = 0x7465646279746573ULL ^ key[1];
	__u32 words = len / 8, i;
	__u64 m, last = (__u64)len << 56;

	/* p advances with the loop (rather than p + words * 8 afterwards) so
	 * that the verifier keeps an exact bound on every address. */
	for (i = 0; i < max_len / 8; i++) {
		if (i >= words)
			break;
		m = siplb_load64(p);
		v3 ^= m;
		SIPLB_SIPROUND(v0, v1, v2, v3);
		SIPLB_SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
		p += 8;
	}
	last |= siplb_load_tail(p, len & 7);	/* the last len % 8 bytes */
	v3 ^= last;
	SIPLB_SIPROUND(v0, v1, v2, v3);
	SIPLB_SIPROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	SIPLB_SIPROUND(v0, v1, v2, v3);
	SIPLB_SIPROUND(v0, v1, v2, v3);
	SIPLB_SIPROUND(v0, v1, v2, v3);
	SIPLB_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The hash that steers a call: SipHash-2-4 of the trimmed Call-ID value. */
SIPLB_INLINE __u64 siplb_callid_hash(const __u8 *callid, __u32 len,
				     const __u64 key[2])
{
	return siplb_siphash(callid, len, SIPLB_CALLID_MAX, key);
}

/* Which slot of a Maglev table a Call-ID hash selects. */
SIPLB_INLINE __u32 siplb_maglev_slot(__u64 callid_hash)
{
	return (__u32)(callid_hash % SIPLB_RING_SIZE);
}

/* Index into siplb_rings (all tables laid end to end) for ring and slot. */
SIPLB_INLINE __u32 siplb_ring_index(__u32 ring_id, __u32 slot)
{
	return ring_id * SIPLB_RING_SIZE + slot;
}

/*
 * May backend `be` take a packet for this VIP (family: the packet's)? A
 * draining (or overloaded) backend keeps the calls it has (existing_call:
 * found through the affinity table) but gets no new ones; down and unhealthy ones get
 * nothing. The XDP program and the slow path both ask this.
 */
SIPLB_INLINE bool siplb_backend_usable(const struct siplb_backend *be,
				       const struct siplb_vip *vip,
				       __u8 family, bool existing_call)
{
	if (be->vip_id != vip->vip_id || be->ep.family != family)
		return false;
	return be->state == SIPLB_BACKEND_UP ||
	       (existing_call && (be->state == SIPLB_BACKEND_DRAINING ||
				  be->state == SIPLB_BACKEND_OVERLOADED));
}

#endif /* SIPLB_HASH_H */
