/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * location_sweep.h - a whole sweep of expired bindings at once, for the
 * tests and the location benchmark. siplbd never wants one: it sweeps a
 * slice a second (location_sweep_step() from daemon_tick()) so that a
 * large map never stalls its loop.
 */
#ifndef SIPLB_TESTS_LOCATION_SWEEP_H
#define SIPLB_TESTS_LOCATION_SWEEP_H

#include "location.h"

/* Every binding with expires_at <= now removed, and its source's count
 * lowered; *removed counts them. 0 or -errno. */
int location_sweep(const struct location *loc, __u64 now, __u64 *removed);

#endif /* SIPLB_TESTS_LOCATION_SWEEP_H */
