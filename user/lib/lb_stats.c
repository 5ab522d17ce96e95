// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lb_stats.c - the data plane's counters read from the pinned maps
 * (lb_stats.h). Per-CPU values are summed here; the BPF side never takes
 * a lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lb_stats.h"

const char *const siplb_stat_names[SIPLB_STAT_MAX] = {
#define SIPLB_STAT_NAME(id, name, help) [SIPLB_STAT_##id] = name,
	SIPLB_STATS(SIPLB_STAT_NAME)
#undef SIPLB_STAT_NAME
};

const char *const siplb_stat_help[SIPLB_STAT_MAX] = {
#define SIPLB_STAT_HELP(id, name, help) [SIPLB_STAT_##id] = help,
	SIPLB_STATS(SIPLB_STAT_HELP)
#undef SIPLB_STAT_HELP
};

const char *const siplb_event_names[SIPLB_EVENT_MAX] = {
#define SIPLB_EVENT_NAME(id, name, help) [SIPLB_EVENT_##id] = name,
	SIPLB_EVENTS(SIPLB_EVENT_NAME)
#undef SIPLB_EVENT_NAME
};

const char *const siplb_event_help[SIPLB_EVENT_MAX] = {
#define SIPLB_EVENT_HELP(id, name, help) [SIPLB_EVENT_##id] = help,
	SIPLB_EVENTS(SIPLB_EVENT_HELP)
#undef SIPLB_EVENT_HELP
};

/*
 * Sum over the CPUs one value of a per-CPU map that is nfields __u64s
 * (siplb_stats: 1, siplb_be_stats: packets and bytes).
 */
static int percpu_sum(int fd, const void *key, __u64 *sum, size_t nfields)
{
	int ncpu = libbpf_num_possible_cpus(), cpu, err = 0;
	__u64 *percpu;
	size_t f;

	if (ncpu < 0)
		return ncpu;
	percpu = calloc((size_t)ncpu * nfields, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	memset(sum, 0, nfields * sizeof(*sum));
	if (bpf_map_lookup_elem(fd, key, percpu))
		err = -errno;
	else
		for (cpu = 0; cpu < ncpu; cpu++)
			for (f = 0; f < nfields; f++)
				sum[f] += percpu[(size_t)cpu * nfields + f];
	free(percpu);
	return err;
}

int lb_stats_read(const struct lb_maps *m, __u64 counters[SIPLB_STAT_MAX])
{
	__u32 key;
	int err;

	for (key = 0; key < SIPLB_STAT_MAX; key++) {
		err = percpu_sum(m->stats, &key, &counters[key], 1);
		if (err)
			return err;
	}
	return 0;
}

int lb_events_read(const struct lb_maps *m, __u64 events[SIPLB_EVENT_MAX])
{
	__u32 key;
	int err;

	for (key = 0; key < SIPLB_EVENT_MAX; key++) {
		err = percpu_sum(m->events, &key, &events[key], 1);
		if (err)
			return err;
	}
	return 0;
}

_Static_assert(sizeof(struct siplb_backend_stats) == 2 * sizeof(__u64),
	       "backend stats are two counters");

int lb_stats_read_backend(const struct lb_maps *m, __u32 id,
			  struct siplb_backend_stats *out)
{
	__u64 sum[2];
	int err = percpu_sum(m->be_stats, &id, sum, 2);

	out->packets = sum[0];
	out->bytes = sum[1];
	return err;
}
