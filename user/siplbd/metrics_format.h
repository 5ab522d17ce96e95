/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * metrics_format.h - siplb's counters in the Prometheus text exposition
 * format 0.0.4, from a snapshot. Pure: it reads only the snapshot and
 * writes only to the stream, so a unit test can call it; metrics_collect.c
 * fills the snapshot from the maps and siplbd's own counters, metrics.c
 * serves it over HTTP.
 *
 * Names follow Prometheus' conventions: the siplb_ prefix, `_total` on
 * counters, units in the name (`_bytes_total`, `_seconds`), what a family
 * is split by as labels (reason, vip, backend, worker, method, class).
 */
#ifndef SIPLB_METRICS_FORMAT_H
#define SIPLB_METRICS_FORMAT_H

#include <stdbool.h>
#include <stdio.h>

#include "daemon.h"
#include "endpoint.h"
#include "registrar.h"
#include "siplb_maps.h"
#include "siplb_worker.h"

struct metrics_backend {
	char vip[ENDPOINT_STRLEN];
	char addr[ENDPOINT_STRLEN];
	const char *state; /* lb_backend_state_name() */
	bool up; /* state is "up": the ring may choose it */
	__u32 weight;
	__u64 packets, bytes;
};

struct metrics_worker {
	char addr[ENDPOINT_STRLEN];
	bool up; /* running and updated within a few seconds */
	__u32 transactions, pending;
	__u64 started_at; /* CLOCK_REALTIME seconds */
	struct siplb_worker_counters c;
};

struct metrics_snapshot {
	bool have_xdp; /* the maps were read */
	__u64 xdp[SIPLB_STAT_MAX];
	bool have_events;	/* siplb_events was read */
	__u64 events[SIPLB_EVENT_MAX];	/* affinity and next-hop hits, misses */
	struct metrics_backend *backends;
	size_t nbackends;
	struct metrics_worker *workers;
	size_t nworkers;
	bool have_bindings;
	__u64 bindings;
	struct daemon_stats daemon;
	struct registrar_stats registrar;
	__u64 nonce_replays;
	__u64 users;
	__u64 auth_failures, auth_blocks;
	__u64 slow_forwarded, slow_no_backend, slow_errors;
	__u64 health_probes, health_answers, health_misses;
	__u64 health_marked_unhealthy, health_marked_up;
	__u64 scrape_errors; /* maps that could not be read, ever */
	__u64 http_scrapes; /* /metrics answered before this one */
	__u64 http_refused; /* other paths and methods */
};

/* The whole exposition. 0, or -EIO if the stream failed. */
int metrics_format(FILE *out, const struct metrics_snapshot *s);
/* A label value with \, " and newline escaped, as 0.0.4 wants. */
void metrics_label_value(FILE *out, const char *v);

#endif /* SIPLB_METRICS_FORMAT_H */
