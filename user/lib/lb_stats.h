/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lb_stats.h - read the data plane's counters (siplb_stats, and
 * siplb_be_stats per backend) from the pinned maps, summed over CPUs, and
 * the name and help text of each counter, generated from SIPLB_STATS in
 * include/siplb_maps.h. siplbctl prints them; tests and benchmarks check
 * them.
 */
#ifndef SIPLB_LB_STATS_H
#define SIPLB_LB_STATS_H

#include "lb_maps.h"
#include "siplb_maps.h"

extern const char *const siplb_stat_names[SIPLB_STAT_MAX];
extern const char *const siplb_stat_help[SIPLB_STAT_MAX];

extern const char *const siplb_event_names[SIPLB_EVENT_MAX];
extern const char *const siplb_event_help[SIPLB_EVENT_MAX];

/* Every counter of siplb_stats: 0 or -errno. */
int lb_stats_read(const struct lb_maps *m, __u64 counters[SIPLB_STAT_MAX]);
/* One backend's packets and bytes: 0 or -errno. */
int lb_stats_read_backend(const struct lb_maps *m, __u32 id,
			  struct siplb_backend_stats *out);

/* Every counter of siplb_events (not verdicts): 0 or -errno. */
int lb_events_read(const struct lb_maps *m, __u64 events[SIPLB_EVENT_MAX]);

#endif /* SIPLB_LB_STATS_H */
