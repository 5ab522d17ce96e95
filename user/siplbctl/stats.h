/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * stats.h - read the data plane's counters (summed over CPUs) and print
 * them as a table or as JSON.
 */
#ifndef SIPLB_STATS_H
#define SIPLB_STATS_H

#include <stdbool.h>
#include <stdio.h>
#include "lb_maps.h"
#include "siplb_maps.h"

extern const char *const siplb_stat_names[SIPLB_STAT_MAX];
extern const char *const siplb_stat_help[SIPLB_STAT_MAX];

int stats_read(const struct lb_maps *m, __u64 counters[SIPLB_STAT_MAX]);
int stats_read_backend(const struct lb_maps *m, __u32 id,
		       struct siplb_backend_stats *out);
/* daemon_json: siplbd's counters (one JSON object) or NULL. */
int stats_print(const struct lb_maps *m, FILE *out, bool json,
		const char *daemon_json);
int list_print(const struct lb_maps *m, FILE *out, bool json);

#endif /* SIPLB_STATS_H */
