/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * scratch.bpf.h - the per-CPU buffer the SIP scan reads from. Apart from
 * the maps so that a program that only scans (the benchmark's
 * bench_scan.bpf.c) does not declare, create and pin the product's maps.
 */
#ifndef SIPLB_SCRATCH_BPF_H
#define SIPLB_SCRATCH_BPF_H

#include <linux/types.h>
#include "siplb_maps.h"

/*
 * The SIP payload copied out of the packet (per CPU). Offsets into buf are
 * masked with SCRATCH_MASK so the verifier can bound every access; the
 * slack after the mask covers an 8-byte load at the last masked offset and
 * a Call-ID of SIPLB_CALLID_MAX bytes hashed in place.
 */
#define SCRATCH_MASK 2047
_Static_assert(SIPLB_SCAN_MAX <= SCRATCH_MASK, "scan window fits the mask");

struct scratch {
	__u8 buf[SCRATCH_MASK + 1 + SIPLB_CALLID_MAX + 16];
};

#endif /* SIPLB_SCRATCH_BPF_H */
