/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * csum.bpf.h - incremental Internet checksum updates (RFC 1624:
 * HC' = ~(~HC + ~m + m')), so rewriting an address or port costs a few
 * additions instead of a pass over the whole datagram.
 */
#ifndef SIPLB_CSUM_BPF_H
#define SIPLB_CSUM_BPF_H

#include <stdbool.h>
#include <linux/types.h>

static __always_inline __u32 csum_fold_carry(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	return (sum & 0xffff) + (sum >> 16);
}

/*
 * Update checksum *check for the 16-bit words old[0..n) becoming new[0..n).
 * Words are taken as they lie in the packet; the one's-complement sum does
 * not depend on byte order as long as both sides use the same one.
 */
static __always_inline void csum_replace(__sum16 *check, const __u16 *old,
					 const __u16 *new, int n)
{
	__u32 sum = (__u16)~*check;
	int i;

#pragma unroll
	for (i = 0; i < n; i++) {
		sum += (__u16)~old[i];
		sum += new[i];
	}
	*check = ~csum_fold_carry(sum);
}

/*
 * UDP over IPv4 may carry no checksum (0) and must then keep none; a
 * computed 0 is sent as 0xffff (RFC 768). IPv6 always has one.
 */
static __always_inline void udp_csum_replace(__sum16 *check, bool ipv4,
					     const __u16 *old, const __u16 *new,
					     int n)
{
	if (ipv4 && *check == 0)
		return;
	csum_replace(check, old, new, n);
	if (*check == 0)
		*check = 0xffff;
}

#endif /* SIPLB_CSUM_BPF_H */
