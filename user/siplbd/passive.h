/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * passive.h - failure detection from real traffic, and worker overload.
 *
 * Every 100 ms siplbd reads what XDP counted per backend (siplb_passive:
 * requests steered to it, SIP responses it sent back, how many of those
 * were 500/503) and what each siplb-worker publishes (siplb_workers). An
 * UP backend is marked unhealthy when requests keep coming and nothing
 * comes back for passive-silence ms (at least passive-min-requests of
 * them), or when its 500/503 responses reach passive-error-share percent
 * of the requests it got in a passive-window. The OPTIONS probes
 * (health.h) bring it back. A worker that says it is overloaded has its
 * backend set "overloaded" (existing calls only) until it says it is not.
 * Operator states (draining, down) are never changed.
 */
#ifndef SIPLB_PASSIVE_H
#define SIPLB_PASSIVE_H

#include <stdbool.h>
#include "evloop.h"
#include "health.h"
#include "lb_maps.h"
#include "siplb_maps.h"

#define PASSIVE_PERIOD_MS	100

struct passive_conf {
	bool on;
	__u32 silence_ms, min_requests, error_share, window_ms;
};

/* Cumulative counters of one backend, as read at one moment. */
struct passive_sample {
	__u64 requests, responses, errors;
};

/* What passive_judge remembers about one backend between samples. */
struct passive_track {
	bool primed;
	struct passive_sample last, win;	/* previous; window start */
	__u64 req_at_resp;	/* requests when responses last moved */
	__u64 quiet_since_ms;	/* first sample with a request unanswered */
	__u64 win_start_ms;
	struct siplb_endpoint ep;	/* whose track this is */
};

enum passive_verdict {
	PASSIVE_OK,
	PASSIVE_SILENT,		/* requests, no response for silence_ms */
	PASSIVE_ERRORS,		/* 500/503 share over the window */
};

/* The decision over one new sample (pure: no maps, no clock). */
enum passive_verdict passive_judge(const struct passive_conf *conf,
				   struct passive_track *t,
				   const struct passive_sample *s,
				   __u64 now_ms);

struct passive {
	const struct lb_maps *maps;
	struct health *health;		/* its answers restart on a mark */
	struct passive_conf conf;
	int stats_fd, timer_fd, ncpus;
	struct siplb_passive_stats *percpu;
	struct passive_track *t;	/* by backend id */
	struct siplb_backend *bes;	/* the last batch read, by id */
	__u32 *keys;
	__u32 ntargets;
	__u64 marked_silent, marked_errors, overloaded, overload_cleared;
};

int passive_init(struct passive *p, const struct lb_maps *maps,
		 const char *pin_dir, struct health *health,
		 const struct passive_conf *conf);
/* Run passive_tick every PASSIVE_PERIOD_MS from loop. */
int passive_start(struct passive *p, struct evloop *loop);
void passive_tick(struct passive *p, __u64 now_ms);
void passive_free(struct passive *p, struct evloop *loop);

#endif /* SIPLB_PASSIVE_H */
