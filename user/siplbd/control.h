/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * control.h - siplbd's control socket: the server end. The protocol, and
 * the client siplbctl uses, are in user/lib/control_proto.h.
 *
 * The server knows nothing of siplbd's state: every request becomes a call
 * of one of the named operations below, on the context the daemon gave
 * (daemon_control.c fills them in). Connections are served from the event
 * loop without ever blocking it: non-blocking sockets, a request executed
 * once its line is complete, idle connections closed after
 * CONTROL_IDLE_MS, at most CONTROL_MAX_CONNS at a time.
 */
#ifndef SIPLB_CONTROL_H
#define SIPLB_CONTROL_H

#include <stdio.h>
#include <linux/types.h>

#include "control_proto.h"
#include "evloop.h"
#include "siplb_maps.h"

#define CONTROL_MAX_CONNS	16
#define CONTROL_IDLE_MS		5000

struct control_ops {
	/* 0, or -errno with the reason in why: nothing changed. */
	int (*reload)(void *ctx, char *why, size_t whylen);
	/* The JSON line of `stats` (newline included). */
	int (*stats_json)(void *ctx, FILE *out);
	int (*backend_add)(void *ctx, const struct siplb_endpoint *vip,
			   const struct siplb_endpoint *be, __u32 weight);
	int (*backend_del)(void *ctx, const struct siplb_endpoint *vip,
			   const struct siplb_endpoint *be);
	int (*backend_set_weight)(void *ctx, const struct siplb_endpoint *vip,
				  const struct siplb_endpoint *be,
				  __u32 weight);
	int (*backend_set_state)(void *ctx, const struct siplb_endpoint *vip,
				 const struct siplb_endpoint *be,
				 enum siplb_backend_state state);
};

struct control;

/* One accepted connection: a request line in, a reply out. */
struct control_conn {
	struct control *ctl;
	int fd;			/* -1: slot free */
	__u64 last_ms;		/* CLOCK_MONOTONIC of the last progress */
	__u64 seq;		/* order of acceptance: the oldest goes first */
	char in[CONTROL_LINE_MAX];
	size_t inlen;
	char *out;		/* the reply, while it is being written */
	size_t outlen, outoff;
};

struct control {
	int listen_fd;
	struct evloop *loop;
	const struct control_ops *ops;
	void *ctx;
	__u64 seq;
	struct control_conn conns[CONTROL_MAX_CONNS];
	__u64 evicted, idle_closed;	/* connections we closed */
};

/* Listen on path and serve from loop: 0 or -errno. */
int control_open(struct control *c, const char *path, struct evloop *loop,
		 const struct control_ops *ops, void *ctx);
/* Close connections idle for CONTROL_IDLE_MS; call it now and then. */
void control_tick(struct control *c);
/* Close every connection and the listening socket (safe twice). */
void control_close(struct control *c);

#endif /* SIPLB_CONTROL_H */
