/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * registrar.h - REGISTER handling (RFC 3261 section 10.3) with digest
 * authentication; bindings live in the pinned location map (location.h).
 */
#ifndef SIPLB_REGISTRAR_H
#define SIPLB_REGISTRAR_H

#include <errno.h>
#include <stddef.h>
#include "auth_guard.h"
#include "digest.h"
#include "digest_policy.h"
#include "location.h"
#include "siplb_maps.h"
#include "sip_msg.h"

struct cluster_store;
struct nonce_issuer;
struct nonce_replay;
struct registrar_pipe;
struct registrar_scratch;
struct users;

/* What the registrar needs from the configuration (copied at reload). */
struct registrar_conf {
	char realm[128];
	__u32 default_expires, min_expires, max_expires, max_contacts;
	__u32 nonce_lifetime;
	struct digest_policy digest;	/* what to challenge with */
};

#define REGISTRAR_STATS(X)                                                    \
	X(requests, "REGISTER requests handled")                              \
	X(ok, "answered 200 (registered, refreshed, removed or queried)")     \
	X(challenged, "answered 401 with a challenge")                        \
	X(auth_failed, "wrong credentials (401, counted by the guard)")       \
	X(stale, "expired nonce (401 stale=true)")                            \
	X(foreign_nonce, "nonce not issued to this source address (or "       \
	  "forged): 401, never a failed password")                            \
	X(replayed, "nonce count reused (refused with a new challenge)")      \
	X(forbidden, "answered 403")                                          \
	X(bad_request, "answered 400, 416 or 505")                            \
	X(bad_extension, "answered 420: Require names an extension we lack")  \
	X(too_brief, "answered 423 Interval Too Brief")                       \
	X(out_of_order, "answered 500: CSeq not above the binding's")         \
	X(full, "answered 503: location map full")                          \
	X(store_down, "answered 503: the cluster's Redis unreachable")       \
	X(blocked, "from a blocked source: not answered, nothing checked")

struct registrar_stats {
#define REGISTRAR_STAT_FIELD(name, help) __u64 name;
	REGISTRAR_STATS(REGISTRAR_STAT_FIELD)
#undef REGISTRAR_STAT_FIELD
};

struct registrar {
	struct registrar_conf conf;
	const struct users *users;	/* owned by the daemon (reloaded) */
	struct nonce_issuer *nonces;
	struct nonce_replay *replay;
	struct location *loc;
	struct auth_guard *guard;
	/* Cluster mode (cluster_store.h): bindings, nonce counts and
	 * failed logins are decided in Redis; NULL: this node alone. */
	struct cluster_store *cluster;
	/* One REGISTER's plan, bindings and answer (about 200 KB), allocated
	 * once: a request neither allocates nor clears them. */
	struct registrar_scratch *scratch;
	/* Cluster mode: REGISTERs of a receive batch whose Redis calls go
	 * out together (registrar_pipe.c); NULL: one at a time. */
	struct registrar_pipe *pipe;
	struct registrar_stats stats;
};

/* The clocks a request is judged by. */
struct registrar_now {
	__u64 real_s;		/* CLOCK_REALTIME: binding expiry */
	__u64 mono_s;		/* CLOCK_MONOTONIC: nonces */
	__u64 mono_ns;		/* CLOCK_MONOTONIC: blocks (bpf_ktime_get_ns) */
};

int registrar_init(struct registrar *r, const struct registrar_conf *conf,
		   const struct users *users, struct location *loc,
		   struct auth_guard *guard);
void registrar_free(struct registrar *r);

/*
 * Answer one parsed REGISTER from source. Returns the length of the
 * response written to out, REGISTRAR_NO_ANSWER for a source blocked for
 * failed authentications (the XDP program drops its later datagrams; these
 * were already queued: they get no answer and their credentials are not
 * checked), or another -errno if no response could be built.
 */
#define REGISTRAR_NO_ANSWER	(-EACCES)

int registrar_handle(struct registrar *r, const struct sip_msg *req,
		     const struct siplb_endpoint *source,
		     const struct registrar_now *now, char *out, size_t size);

/*
 * Cluster mode, a receive batch at a time: registrar_submit() answers a
 * REGISTER at once when it needs no Redis call, else keeps it (req,
 * source and now are copied; the datagram req points into must stay
 * until the drain); registrar_pipe_drain() sends the kept requests'
 * Redis calls together, reads the answers in order and answers each.
 * Every answer, at once or at the drain, goes to send(arg, tag, ...)
 * with the length (or -errno) registrar_handle() would have returned.
 * The decisions are those of registrar_handle() one request at a time:
 * the scripts run in arrival order, each request's nonce count before
 * its bindings, and a failed login (counted in Redis at once) drains
 * the requests before it first.
 */
typedef void (*registrar_send_fn)(void *arg, unsigned int tag,
				  const char *buf, int n);

int registrar_pipe_init(struct registrar *r, registrar_send_fn send,
			void *arg);
void registrar_pipe_free(struct registrar *r);
void registrar_submit(struct registrar *r, const struct sip_msg *req,
		      const struct siplb_endpoint *source,
		      const struct registrar_now *now, unsigned int tag);
void registrar_pipe_drain(struct registrar *r);

#endif /* SIPLB_REGISTRAR_H */
