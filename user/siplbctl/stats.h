/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * stats.h - print the data plane's counters (lb_stats.h), the guard
 * policy and the backends' counters as a table or as JSON.
 */
#ifndef SIPLB_STATS_H
#define SIPLB_STATS_H

#include <stdbool.h>
#include <stdio.h>
#include "lb_maps.h"

/* daemon_json: siplbd's counters (one JSON object) or NULL. */
int stats_print(const struct lb_maps *m, FILE *out, bool json,
		const char *daemon_json);

#endif /* SIPLB_STATS_H */
