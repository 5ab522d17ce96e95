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

#include "location.h"
#include "proxy_msg.h"
#include "txn_table.h"

/* RFC 3261 17.1.1.1 timer values, in milliseconds. */
#define PROXY_T1		500
#define PROXY_T2		4000
#define PROXY_T4		5000
#define PROXY_TIMER_64T1	(64 * PROXY_T1)	/* B, F, H, J; D too */
#define PROXY_TIMER_C		180000		/* > 3 minutes in 16.6 */

#define PROXY_DATAGRAM_MAX	65535

/* Requests counted by method (the others under "other"). */
#define PROXY_METHODS(X)                                                      \
	X(INVITE) X(ACK) X(BYE) X(CANCEL) X(OPTIONS) X(REGISTER) X(OTHER)

enum proxy_method {
#define PROXY_METHOD_ENUM(m) PROXY_M_##m,
	PROXY_METHODS(PROXY_METHOD_ENUM)
#undef PROXY_METHOD_ENUM
	PROXY_M_COUNT
};

#define PROXY_STATS(X)                                                        \
	X(forwarded, "requests forwarded statefully")                         \
	X(stateless, "requests forwarded statelessly (ACK for 2xx)")         \
	X(relayed_stateless, "responses relayed without a transaction")     \
	X(retransmissions_absorbed, "request retransmissions answered")      \
	X(retransmitted, "requests/responses we retransmitted (A/E/G)")       \
	X(timeouts, "client transactions timed out (B/F/C)")                  \
	X(cancels, "CANCELs matched to an INVITE")                            \
	X(acks_absorbed, "ACKs for non-2xx absorbed")                         \
	X(local_answers, "final responses generated here")                    \
	X(dropped, "messages dropped (malformed, not ours)")                  \
	X(table_full, "requests refused: transaction table full")

struct proxy_stats {
	uint64_t requests[PROXY_M_COUNT];
	uint64_t responses_in[7];	/* by class 1..6 (0 unused) */
	uint64_t responses_out[7];
#define PROXY_STAT_FIELD(name, help) uint64_t name;
	PROXY_STATS(PROXY_STAT_FIELD)
#undef PROXY_STAT_FIELD
};

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
	proxy_send_fn send;
	void *send_ctx;
	uint64_t salt, counter;
	struct proxy_stats stats;
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
