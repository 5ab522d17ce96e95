/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * metrics.h - siplbd's /metrics endpoint (the `metrics ADDR:PORT`
 * directive): an HTTP server, libmicrohttpd run from siplbd's own event
 * loop, that answers GET /metrics with what a render callback writes
 * (daemon_metrics_render: the Prometheus exposition).
 */
#ifndef SIPLB_METRICS_H
#define SIPLB_METRICS_H

#include <stdio.h>

#include "evloop.h"
#include "siplb_maps.h"

typedef int (*metrics_render_fn)(void *ctx, FILE *out);

struct MHD_Daemon;

struct metrics_server {
	struct MHD_Daemon *mhd;
	struct evloop *loop;
	int epoll_fd; /* libmicrohttpd's, watched by the loop */
	metrics_render_fn render;
	void *ctx;
	__u64 scrapes; /* GET /metrics answered */
	__u64 refused; /* other paths (404) and methods (405) */
	__u64 failed; /* render or response failed (500) */
};

/* Listen on addr and serve from loop: 0 or -errno. */
int metrics_open(struct metrics_server *ms, const struct siplb_endpoint *addr,
		 struct evloop *loop, metrics_render_fn render, void *ctx);
/* Once a second: lets libmicrohttpd close idle connections. */
void metrics_tick(struct metrics_server *ms);
void metrics_close(struct metrics_server *ms);

/* metrics_collect.c: a scrape of siplbd (ctx: struct siplbd). */
int daemon_metrics_render(void *ctx, FILE *out);

#endif /* SIPLB_METRICS_H */
