/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * siplb_worker.h - the counters each siplb-worker publishes in the pinned
 * siplb_workers map: listen address -> struct siplb_worker_stats.
 *
 * A worker writes its entry once a second and when it stops; siplbctl
 * (`siplbctl workers`) and `bpftool map dump pinned .../siplb_workers`
 * read it. The XDP program never touches the map: it lives in the BPF
 * object only so that every siplb map is created, pinned and described
 * (BTF) in one place. The same struct is the proxy's own counter block
 * (user/siplb-worker/proxy.h), so there is one definition of every counter.
 */
#ifndef SIPLB_WORKER_H
#define SIPLB_WORKER_H

#include <linux/types.h>
#include "siplb_maps.h"

#define SIPLB_WORKERS_SIZE	SIPLB_MAX_BACKENDS

/* Requests counted by method (any other method under OTHER). */
#define SIPLB_WORKER_METHODS(X)                                               \
	X(INVITE) X(ACK) X(BYE) X(CANCEL) X(OPTIONS) X(REGISTER) X(OTHER)

enum siplb_worker_method {
#define SIPLB_WORKER_METHOD_ENUM(m) SIPLB_WM_##m,
	SIPLB_WORKER_METHODS(SIPLB_WORKER_METHOD_ENUM)
#undef SIPLB_WORKER_METHOD_ENUM
	SIPLB_WM_COUNT
};

/* Everything else a worker counts: name, and what it means. */
#define SIPLB_WORKER_COUNTERS(X)                                              \
	X(forwarded, "requests forwarded statefully, once per target")        \
	X(forked, "requests forked to several bindings")                      \
	X(fork_groups, "q groups tried after every target of the one "       \
		       "before failed (serial search, 16.6)")                 \
	X(fork_group_timeouts, "q groups CANCELled by the group timer (-G), " \
			       "the next one tried")                          \
	X(redirects_followed, "3xx whose Contacts (our users) were tried "    \
			      "(-F, 16.7 step 4)")                            \
	X(redirects_refused, "3xx not followed: a Contact not ours, every "  \
			     "target tried already, or the -F limit")         \
	X(stateless, "requests forwarded statelessly (ACK for 2xx)")         \
	X(relayed_stateless, "responses relayed without a transaction")     \
	X(retransmissions_absorbed, "request retransmissions answered")      \
	X(retransmitted, "requests/responses we retransmitted (A/E/G)")       \
	X(timeouts, "client transactions timed out (B/F/C)")                  \
	X(cancels, "CANCELs matched to an INVITE")                            \
	X(acks_absorbed, "ACKs for non-2xx absorbed")                         \
	X(local_answers, "final responses generated here")                    \
	X(not_found, "requests for an unknown user (480, as unavailable)")    \
	X(unavailable, "requests for a user with no binding (480)")           \
	X(dialog_forged, "in-dialog requests without a valid Record-Route "   \
			 "token of ours (403)")                               \
	X(bad_extension, "Proxy-Require (or Require to us) naming an "       \
			 "extension we lack (420), or malformed (400)")       \
	X(dropped, "messages dropped (malformed, not ours)")                  \
	X(table_full, "transaction table full: in-dialog requests forwarded " \
		      "statelessly, new ones answered 503")                 \
	X(send_errors, "datagrams the socket refused to send")               \
	X(caller_authenticated, "new requests from an authenticated caller") \
	X(trunk_accepted, "new requests accepted from a trunk prefix")        \
	X(caller_challenged, "407: no credentials for our realm")             \
	X(caller_stale, "407 stale=true: the nonce expired")                  \
	X(caller_foreign_nonce, "407: nonce not issued to this source "       \
				"address (never a failure)")                  \
	X(caller_replayed, "407: nonce count reused")                         \
	X(caller_bad_credentials, "400: malformed Proxy-Authorization")       \
	X(caller_auth_failed, "403: wrong password or unknown user")          \
	X(caller_from_mismatch, "403: authenticated user is not the From "    \
				"user nor one of its aliases")                \
	X(relay_denied, "403: target elsewhere and relay not allowed")        \
	X(events_to_server, "SUBSCRIBE/PUBLISH sent to their event server")  \
	X(events_refused, "SUBSCRIBE/PUBLISH answered 489: no event server") \
	X(loops_refused, "requests refused 482: the target is their source") \
	X(retransmitted_e, "non-INVITE requests retransmitted (Timer E)")

#define SIPLB_STATUS_CLASSES	7	/* index 1..6 for 1xx..6xx; 0 unused */

struct siplb_worker_counters {
	__u64 requests[SIPLB_WM_COUNT];
	__u64 responses_in[SIPLB_STATUS_CLASSES];	/* from downstream */
	__u64 responses_out[SIPLB_STATUS_CLASSES];	/* sent upstream */
#define SIPLB_WORKER_COUNTER_FIELD(name, help) __u64 name;
	SIPLB_WORKER_COUNTERS(SIPLB_WORKER_COUNTER_FIELD)
#undef SIPLB_WORKER_COUNTER_FIELD
};

enum siplb_worker_state {
	SIPLB_WORKER_RUNNING = 1,
	SIPLB_WORKER_STOPPED = 2,	/* exited cleanly (SIGTERM/SIGINT) */
	SIPLB_WORKER_OVERLOADED = 3,	/* running, near its limits: siplbd
					 * sends it no new calls
					 * (user/siplb-worker/overload.h) */
};

struct siplb_worker_stats {
	__u32 pid;
	__u32 state;		/* enum siplb_worker_state */
	__u32 transactions;	/* in the table now */
	__u32 pending;		/* ...of which without a final response */
	__u64 started_at;	/* CLOCK_REALTIME, seconds */
	__u64 updated_at;	/* CLOCK_REALTIME, seconds: a running worker
				 * older than a few seconds has died */
	struct siplb_worker_counters c;
};

#endif /* SIPLB_WORKER_H */
