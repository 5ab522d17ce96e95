/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * guard_apply.h - publish the guard block of the configuration (floods,
 * strict mode, scanners; include/siplb_guard.h) into the pinned maps.
 */
#ifndef SIPLB_GUARD_APPLY_H
#define SIPLB_GUARD_APPLY_H

#include "config.h"
#include "lb_maps.h"
#include "map_journal.h"
#include "siplb_guard.h"

/* What a configuration changes in siplb_guard and siplb_trunks. */
struct guard_plan {
	struct siplb_guard g;
	bool write_guard;		/* g differs from the map's */
	struct siplb_trunk_key *add, *del;
	size_t nadd, ndel;
	bool del_first;	/* the map cannot hold old and new together */
};

/* The siplb_guard value for conf (the scanner words prepared). */
void guard_build(const struct siplb_conf *conf, struct siplb_guard *g);

/* Write siplb_guard and make siplb_trunks hold exactly conf's prefixes.
 * At start and on every reload. 0 or -errno. */
int guard_apply(const struct lb_maps *m, const struct siplb_conf *conf);

/* Read the maps, list the changes; -ENOSPC if siplb_trunks is too small.
 * Writes nothing. */
int guard_plan_build(const struct lb_maps *m, const struct siplb_conf *conf,
		     struct guard_plan *p);
/* Make the changes, saving what each overwrites in j (may be NULL). */
int guard_plan_apply(const struct lb_maps *m, const struct guard_plan *p,
		     struct map_journal *j);
void guard_plan_free(struct guard_plan *p);

#endif /* SIPLB_GUARD_APPLY_H */
