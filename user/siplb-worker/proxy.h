/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * proxy.h - the transaction-stateful SIP proxy of siplb-worker (RFC 3261
 * 16 and 17, over UDP).
 *
 * The proxy is a state machine without I/O of its own: the caller feeds it
 * datagrams (proxy_handle) and clock ticks (proxy_tick) and gives it a
 * send function. That keeps the event loop in siplb_worker.c and lets the
 * tests drive every path with a fake network and a fake clock.
 */
#ifndef SIPLB_PROXY_H
#define SIPLB_PROXY_H

#include <stdint.h>
#include <stdio.h>

#include "caller_auth.h"
#include "events.h"
#include "location.h"
#include "siplb_worker.h"
#include "proxy_msg.h"
#include "secret_file.h"
#include "users.h"
#include "txn_table.h"

/* RFC 3261 17.1.1.1 timer values, in milliseconds. */
#define PROXY_T1		500
#define PROXY_T2		4000
#define PROXY_T4		5000
#define PROXY_TIMER_64T1	(64 * PROXY_T1)	/* B, F, H, J; D too */
#define PROXY_TIMER_C		180000		/* > 3 minutes in 16.6 */
#define PROXY_TIMER_C_MIN	1000		/* what -C may set */
#define PROXY_EXPIRE_MS		1000		/* finished records freed */
/* How long a q group rings before the next group is tried (-G): about
 * five rings, what a voicemail fallback waits, and under Timer B (32 s),
 * so that a silent phone does not decide it instead. */
#define PROXY_GROUP_TIMER	30000

#define PROXY_DATAGRAM_MAX	65535

/* Send a datagram; returns 0 or -errno (failures are only counted). */
typedef int (*proxy_send_fn)(void *ctx, const char *buf, size_t len,
			     const struct siplb_endpoint *to);

/* The clocks a message is handled at. */
struct proxy_now {
	uint64_t mono_ms;	/* CLOCK_MONOTONIC: timers */
	uint64_t real_s;	/* CLOCK_REALTIME: binding expiry */
};

struct proxy {
	struct proxy_self self;
	struct location loc;	/* only bindings_fd and max_contacts */
	struct txn_table txns;
	/* Who may have bindings (the registrar's users file, NULL: not
	 * known). Only counted: a stranger and a user with no binding now
	 * both get 480, so that a scanner cannot list our users. */
	const struct users *users;
	const char *realm;
	/* Who may send new requests (caller_auth.h); NULL: everyone, for
	 * tests of routing alone. The worker always sets one. */
	struct caller_auth *auth;
	/* The cluster's Record-Route key (NULL: none). Without one an
	 * in-dialog request is forwarded only to a local user. */
	const struct secret *rr_key;
	/* Timer C: how long an INVITE may ring before we CANCEL it and
	 * answer 408 (16.6 step 11 wants more than 3 minutes; operators
	 * set their own "no answer" time, as Kamailio's fr_inv_timer). */
	uint64_t timer_c_ms;
	/* Serial search by q (16.6): a group of equal q rings this long
	 * before it is CANCELled and the next lower q tried (0: the next
	 * group only after every branch failed). */
	uint64_t group_ms;
	/* 3xx from a target (16.7 step 4): follow at most this many per
	 * request to our own users' bindings; 0: relay them (default). */
	unsigned int max_redirects;
	/* Event servers by package (events.h): SUBSCRIBE and PUBLISH. */
	struct proxy_events events;
	proxy_send_fn send;
	void *send_ctx;
	uint64_t salt, counter;
	uint64_t expire_at;	/* next walk that frees finished records */
	struct siplb_worker_counters stats;	/* published by the worker */
	char out[PROXY_DATAGRAM_MAX + 1];
	char tmp[PROXY_DATAGRAM_MAX + 1];
};

int proxy_init(struct proxy *p, const struct proxy_self *self,
	       int location_fd, uint32_t max_contacts, uint32_t max_txns,
	       proxy_send_fn send, void *send_ctx);
void proxy_free(struct proxy *p);

/* One datagram from `from`. */
void proxy_handle(struct proxy *p, const char *buf, size_t len,
		  const struct siplb_endpoint *from,
		  const struct proxy_now *now);
/* Run the timers that are due and free finished transactions. */
void proxy_tick(struct proxy *p, const struct proxy_now *now);

/* Transactions that have not sent a final response upstream yet. */
uint32_t proxy_pending(const struct proxy *p);
void proxy_stats_print(const struct proxy *p, FILE *out);

#endif /* SIPLB_PROXY_H */
