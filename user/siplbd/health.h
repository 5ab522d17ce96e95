/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * health.h - SIP OPTIONS health checks of the backends. A backend that
 * misses down_after probes in a row becomes "unhealthy" (out of the Maglev
 * table: only its calls move); after up_after answered probes it is "up"
 * again. Backends an operator drained or took down are probed but never
 * changed.
 */
#ifndef SIPLB_HEALTH_H
#define SIPLB_HEALTH_H

#include <stdbool.h>
#include "lb_maps.h"
#include "siplb_maps.h"

struct health_conf {
	__u32 interval, timeout, down_after, up_after;	/* seconds, counts */
};

struct health_target;

struct health {
	const struct lb_maps *maps;
	struct health_conf conf;
	struct health_target *t;	/* by backend id */
	__u32 ntargets;
	__u64 probes, answers, misses, marked_unhealthy, marked_up;
};

int health_init(struct health *h, const struct lb_maps *maps,
		const struct health_conf *conf);
void health_free(struct health *h);
/* Once a second: read answers, judge time-outs, send due probes. */
void health_tick(struct health *h, __u64 now_ms);

#endif /* SIPLB_HEALTH_H */
