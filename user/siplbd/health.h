/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * health.h - SIP OPTIONS health checks of the backends. A backend that
 * misses down_after probes in a row becomes "unhealthy" (out of the Maglev
 * table: only its calls move); after up_after answered probes it is "up"
 * again. A reply counts as an answer only with a code in alive-codes; a
 * 503 with Retry-After marks the backend unhealthy at once and holds its
 * probes back until then. Backends an operator drained or took down are
 * probed but never changed.
 */
#ifndef SIPLB_HEALTH_H
#define SIPLB_HEALTH_H

#include <stdbool.h>
#include "lb_maps.h"
#include "status_set.h"
#include "siplb_maps.h"

struct health_conf {
	__u32 interval, timeout, down_after, up_after;	/* seconds, counts */
	struct status_set alive;	/* final codes that mean alive */
	__u32 retry_after_max;		/* s: longest back-off a 503 gets */
};

/* What one probe reply says (health_reply_verdict). */
enum probe_verdict {
	PROBE_ALIVE,
	PROBE_DEAD,		/* a final code outside alive-codes */
	PROBE_BACK_OFF,		/* 503 with Retry-After: down, ask later */
};

/*
 * Judge a final reply to a probe: its code against conf->alive; a 503
 * with a Retry-After of retry_after > 0 seconds (0: none) asks for a
 * back-off, unless the operator counts 503 as alive.
 */
enum probe_verdict health_reply_verdict(const struct health_conf *conf,
					unsigned int code,
					unsigned int retry_after);

struct health_target;

struct health {
	const struct lb_maps *maps;
	struct health_conf conf;
	struct health_target *t;	/* by backend id */
	__u32 ntargets;
	__u64 probes, answers, misses, marked_unhealthy, marked_up;
	__u64 refused_codes;	/* answers with a code outside alive-codes */
	__u64 backed_off;	/* 503 + Retry-After: probes held back */
};

int health_init(struct health *h, const struct lb_maps *maps,
		const struct health_conf *conf);
void health_free(struct health *h);
/* Once a second: read answers, judge time-outs, send due probes. */
void health_tick(struct health *h, __u64 now_ms);
/* Backend id was marked unhealthy elsewhere (passive.c): up-after fresh
 * answers are needed before it is up again. */
void health_restart(struct health *h, __u32 id);

#endif /* SIPLB_HEALTH_H */
