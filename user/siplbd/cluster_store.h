/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cluster_store.h - siplbd's state shared through Redis when the
 * configuration has a cluster block: bindings (decided by a server-side
 * script, so that RFC 3261 10.3's rules hold across every node), the
 * nonce-count replay table and the failed-authentication counts.
 *
 * Every call returns -EIO when Redis cannot be reached or answers an
 * error: the caller refuses (503 Retry-After) rather than decide alone
 * (docs/ARCHITECTURE.md "Bindings in Redis" says why).
 */
#ifndef SIPLB_CLUSTER_STORE_H
#define SIPLB_CLUSTER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include "location.h"
#include "redis_conn.h"
#include "siplb_location.h"

struct nonce_id;

#define CLUSTER_ID_MAX	(SIPLB_CONTACT_MAX + SIPLB_INSTANCE_MAX + 32)
#define CLUSTER_TIMEOUT_MS	200	/* per Redis command */

#define CLUSTER_STATS(X)                                                      \
	X(registers, "REGISTERs decided by the Redis script")                \
	X(redis_errors, "Redis unreachable or failing: answered 503")         \
	X(swept, "expired bindings removed from Redis by this node")

struct cluster_stats {
#define CLUSTER_STAT_FIELD(name, help) __u64 name;
	CLUSTER_STATS(CLUSTER_STAT_FIELD)
#undef CLUSTER_STAT_FIELD
};

struct cluster_store {
	struct redis_conn rc;
	char node[64];
	struct cluster_stats stats;
};

/* One binding a REGISTER asks for. */
struct cluster_contact {
	char id[CLUSTER_ID_MAX];	/* cluster_binding_id() */
	struct siplb_binding b;		/* expires_at 0: remove it */
};

/* What the REGISTER script is told besides the contacts. */
struct cluster_register {
	const char *aor;
	__u64 now;		/* CLOCK_REALTIME, seconds */
	__u32 max_contacts;
	bool star;		/* Contact: *, Expires: 0 */
	__u64 callid_hash;
	__u32 cseq;
	const struct cluster_contact *contacts;
	size_t n;
};

void cluster_store_init(struct cluster_store *cs, const char *host,
			__u16 port, const char *node);
void cluster_store_free(struct cluster_store *cs);

/*
 * The identity under which a binding is kept: "i:INSTANCE#REG-ID" for a
 * Contact with +sip.instance (RFC 5626), else "u:" and the URI reduced to
 * what RFC 3261 19.1.4 compares (escapes decoded, host in lower case, the
 * port, and the parameters that must match). 0 or -ENAMETOOLONG/-EINVAL.
 */
int cluster_binding_id(const char *uri, const char *instance, __u32 reg_id,
		       char *out, size_t size);

/*
 * Apply one REGISTER atomically in Redis. 0: done, *set is the AOR's
 * bindings now (for the 200); -EALREADY: a binding with this Call-ID has
 * a CSeq not below it (500); -ENOSPC: more than max-contacts (403);
 * -EIO: Redis unreachable or failing.
 */
int cluster_store_register(struct cluster_store *cs,
			   const struct cluster_register *req,
			   struct location_set *set);
/* Remove up to limit bindings expired at now; *removed counts them. */
int cluster_store_sweep(struct cluster_store *cs, __u64 now, __u32 limit,
			__u64 *removed);
/*
 * nonce_replay_use() across the cluster: 0, -EALREADY or -EIO. An
 * accepted nonce count also clears src's failure count (as
 * cluster_store_auth_success() does) in the same round trip; src may be
 * NULL.
 */
int cluster_store_nonce_use(struct cluster_store *cs,
			    const struct nonce_id *id, __u32 nc, __u64 now,
			    const struct siplb_addr *src);
/*
 * A failed authentication from src counted cluster-wide within window_s;
 * at threshold the source is blocked for block_ms on every node (the
 * change stream carries it to each mirror). *blocked: this one did it.
 */
int cluster_store_auth_failure(struct cluster_store *cs,
			       const struct siplb_addr *src, __u32 window_s,
			       __u32 threshold, __u64 block_ms, bool *blocked,
			       __u32 *failures);
int cluster_store_auth_success(struct cluster_store *cs,
			       const struct siplb_addr *src);

/*
 * The same REGISTER and nonce-count scripts pipelined: a batch's calls
 * appended (_send), then their answers read in the order sent (_recv,
 * which returns what the call above would have). Redis runs them one
 * after the other in that order, each atomically, so a batch decides
 * exactly as the same requests one at a time would. Begin first, with
 * nothing appended: it connects and loads the scripts (once per
 * connection). A _send that fails appended nothing (no _recv for it);
 * after a failed _recv every later one of the batch is -EIO too.
 */
int cluster_store_pipe_begin(struct cluster_store *cs);
int cluster_store_register_send(struct cluster_store *cs,
				const struct cluster_register *req);
int cluster_store_register_recv(struct cluster_store *cs,
				struct location_set *set);
int cluster_store_nonce_send(struct cluster_store *cs,
			     const struct nonce_id *id, __u32 nc, __u64 now,
			     const struct siplb_addr *src);
int cluster_store_nonce_recv(struct cluster_store *cs);

#endif /* SIPLB_CLUSTER_STORE_H */
