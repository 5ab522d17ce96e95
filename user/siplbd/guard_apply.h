/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * guard_apply.h - publish the guard block of the configuration (floods,
 * strict mode, scanners; include/siplb_guard.h) into the pinned maps.
 */
#ifndef SIPLB_GUARD_APPLY_H
#define SIPLB_GUARD_APPLY_H

#include "config.h"
#include "lb_maps.h"
#include "siplb_guard.h"

/* The siplb_guard value for conf (the scanner words prepared). */
void guard_build(const struct siplb_conf *conf, struct siplb_guard *g);

/* Write siplb_guard and make siplb_trunks hold exactly conf's prefixes.
 * At start and on every reload. 0 or -errno. */
int guard_apply(const struct lb_maps *m, const struct siplb_conf *conf);

#endif /* SIPLB_GUARD_APPLY_H */
