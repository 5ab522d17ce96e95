/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * auth_guard.h - brute-force protection: failed authentications are counted
 * per source address within a window; at the threshold the address goes
 * into the pinned siplb_blocked map, which the XDP program enforces, so a
 * password-guessing tool is stopped in the kernel, before any parsing.
 */
#ifndef SIPLB_AUTH_GUARD_H
#define SIPLB_AUTH_GUARD_H

#include <stdbool.h>
#include "siplb_maps.h"

struct auth_guard_slot;

struct auth_guard {
	int blocked_fd;			/* siplb_blocked */
	__u32 threshold;		/* failures that block; 0: never block */
	__u64 window_ns;
	__u64 block_ns;
	struct auth_guard_slot *slots;	/* open addressing, fixed size */
	__u32 nslots;
	__u64 failures;			/* counters for siplbctl */
	__u64 blocks;
};

int auth_guard_init(struct auth_guard *g, int blocked_fd, __u32 threshold,
		    __u32 window_s, __u32 block_s);
void auth_guard_free(struct auth_guard *g);
void auth_guard_configure(struct auth_guard *g, __u32 threshold,
			  __u32 window_s, __u32 block_s);
/* A failed attempt from src at now_ns (CLOCK_MONOTONIC); true if blocked. */
bool auth_guard_failure(struct auth_guard *g, const struct siplb_addr *src,
			__u64 now_ns);
/* Block src now (a cluster decided it): its XDP entry, as a failure
 * reaching the threshold here would write it. */
int auth_guard_block(struct auth_guard *g, const struct siplb_addr *src,
		     __u32 failures, __u64 now_ns);
void auth_guard_success(struct auth_guard *g, const struct siplb_addr *src);
/* Is src in siplb_blocked, its block not yet over at now_ns? */
bool auth_guard_blocked(const struct auth_guard *g,
			const struct siplb_addr *src, __u64 now_ns);
int auth_guard_sweep(const struct auth_guard *g, __u64 now_ns, __u64 *removed);

#endif /* SIPLB_AUTH_GUARD_H */
