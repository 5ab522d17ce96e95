/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * txn_table.h - the transactions of siplb-worker (RFC 3261 17).
 *
 * A request forwarded to one target has one record that pairs the server
 * transaction (the request that came in, found by its key: top Via
 * branch, sent-by and method, 17.2.3) with its client transaction (the
 * request we sent, found by the branch of our Via, 17.1.3). A request
 * forked to several targets (16.6) has a server record with no client
 * side of its own, and one branch record per target holding that
 * target's client transaction (targets of a later q group wait, built
 * but not sent, until their group starts); the server record keeps the
 * best final response so far (16.7's response context) and outlives its
 * branches. The table is a fixed pool with two hash indexes and a list of
 * records in use for the timer walk; nothing is allocated per transaction
 * except the copies of the messages it may have to send again.
 */
#ifndef SIPLB_TXN_TABLE_H
#define SIPLB_TXN_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy_msg.h"
#include "siplb_maps.h"
#include "sip_msg.h"

#define TXN_KEY_MAX	320
/* The expiry wheel: one slot per second of end_at, 64 of them, more than
 * the longest linger (64*T1 = 32 s) so that a slot holds one second. */
#define TXN_WHEEL_SLOTS	64
#define TXN_WHEEL_MS	1000
#define TXN_FORK_MAX	10	/* branches of one forked request */

enum txn_srv_state {
	TXN_SRV_PROCEEDING,	/* no final response sent yet */
	TXN_SRV_COMPLETED,	/* a final sent; INVITE: waiting for ACK */
	TXN_SRV_CONFIRMED,	/* INVITE: ACK came, absorbing retransmits */
	TXN_SRV_ACCEPTED,	/* INVITE: 2xx relayed (RFC 6026) */
};

enum txn_cli_state {
	TXN_CLI_NONE,		/* nothing forwarded (answered locally) */
	TXN_CLI_WAITING,	/* built, for a later q group (16.6) */
	TXN_CLI_CALLING,	/* sent, no response yet: Timer A/E, B/F */
	TXN_CLI_PROCEEDING,	/* a provisional came */
	TXN_CLI_COMPLETED,	/* a final came (INVITE non-2xx: ACK sent) */
	TXN_CLI_TERMINATED,	/* 2xx, timed out, or given up */
};

/* Records in use are on one of two lists: those with a timer running
 * (walked every tick) and those only waiting to be freed (end_at). */
enum txn_list {
	TXN_TIMED,
	TXN_IDLE,
};

struct txn {
	/* What the timer walk reads for every record, every tick, first
	 * (one cache line), then the rest. */
	bool used;
	bool invite;
	enum txn_srv_state srv;
	enum txn_cli_state cli;
	enum txn_list list;
	int prev, next;			/* on that list */
	uint64_t retx_next, retx_interval;	/* Timer A/E (0: off) */
	uint64_t timeout_at;		/* Timer B/F (0: off) */
	uint64_t c_at;			/* Timer C (0: off) */
	uint64_t group_at;		/* forked: next q group at (0: off) */
	uint64_t g_next, g_interval;	/* Timer G (ms, 0: off) */
	uint64_t end_at;		/* freed at (Timers D/H/I/J/K), 0: no;
					 * set by txn_linger */
	int wheel_slot;			/* the expiry slot it is on, -1: none */
	int wheel_prev, wheel_next;	/* on that slot's list */
	unsigned int children;		/* server record: branch records alive */
	/* Server side. */
	struct siplb_endpoint up;	/* the request's source: responses go
					 * back there (symmetric, NAT-proof) */
	unsigned int final_status;	/* 0: no final response sent */
	uint64_t final_at;		/* when it was sent (Timer H) */
	char *resp;			/* the last response sent upstream */
	size_t resp_len;
	uint64_t key_hash;
	/* Client side. */
	uint64_t branch_hash;
	struct siplb_endpoint down;
	char *req;			/* the request as forwarded */
	size_t req_len;
	char *ack;			/* ACK sent for a non-2xx final */
	size_t ack_len;
	bool provisional;		/* a provisional came from downstream */
	bool cancel_pending;		/* CANCEL once a provisional comes */
	bool cancelled;			/* CANCEL sent downstream */
	/* Forking. A server record: */
	bool forked;			/* its client side is in branches */
	int branches[TXN_FORK_MAX];	/* branch records, by index */
	unsigned int nbranches;
	unsigned int best_status;	/* best final response so far, 0: none */
	uint8_t group;			/* q group being tried (16.6); a
					 * branch record: its q group */
	uint8_t recursions;		/* 3xx followed (16.7 step 4) */
	char *best;			/* ...as it would go upstream */
	size_t best_len;
	/* A branch record: */
	int parent;			/* its server record, -1: not a branch */
	/* The hash chains (indexes, -1: none) and the keys. */
	int key_next, branch_next;
	size_t key_len;
	char branch[PROXY_BRANCH_MAX];	/* our Via's branch; empty: none */
	char key[TXN_KEY_MAX];		/* the server transaction key */
};

struct txn_table {
	struct txn *t;
	uint32_t cap;
	uint32_t nbuckets;	/* a power of two */
	int *key_buckets, *branch_buckets;
	uint32_t fresh;		/* records [fresh, cap) never used yet */
	int free_head;		/* records used and freed since */
	int head[2];		/* by enum txn_list */
	uint32_t used;
	/* Server records with no final response yet (txn_pending): kept
	 * as records change, because a count by walking every record cost
	 * a quarter of a busy worker's CPU (docs/PERFORMANCE.md). */
	uint32_t pending;
	/* Records with an end_at, by its second modulo TXN_WHEEL_SLOTS, so
	 * that freeing what is due visits only the seconds gone by, not the
	 * tens of thousands of records lingering (txn_expire). */
	int wheel[TXN_WHEEL_SLOTS];
	uint64_t wheel_sec;	/* the first second not yet swept for good */
};

int txn_table_init(struct txn_table *tt, uint32_t cap);
void txn_table_free(struct txn_table *tt);

/*
 * The server transaction key of a request (17.2.3): branch, sent-by and
 * method, with ACK and CANCEL keyed as the INVITE they belong to when
 * as_invite is set. A branch without the RFC 3261 magic cookie (RFC 2543
 * clients) falls back to Call-ID, CSeq number, From tag and the Via.
 * Returns the length or -ENOSPC.
 */
int txn_key_of(const struct sip_msg *m, bool as_invite, char *out,
	       size_t size);

/* A new record under key (NULL when the table is full). */
struct txn *txn_new(struct txn_table *tt, const char *key, size_t key_len);
struct txn *txn_find_key(const struct txn_table *tt, const char *key,
			 size_t key_len);
/* Index t by the branch of our Via (set once). */
void txn_set_branch(struct txn_table *tt, struct txn *t, const char *branch);
struct txn *txn_find_branch(const struct txn_table *tt,
			    struct sip_slice branch);
void txn_delete(struct txn_table *tt, struct txn *t);

/* Walk one list; t may be deleted or moved before asking for the next. */
struct txn *txn_first(const struct txn_table *tt, enum txn_list list);
struct txn *txn_after(const struct txn_table *tt, int next);
/* Put t on a list (a new record is on TXN_TIMED). */
void txn_move(struct txn_table *tt, struct txn *t, enum txn_list list);

/* Make t a branch record of srv (which must have room). */
void txn_add_branch(struct txn_table *tt, struct txn *srv, struct txn *t);

/* The server side of t has sent its final response, status (not 0). */
void txn_set_final(struct txn_table *tt, struct txn *t, unsigned int status);

/* Is t a server record with no final response yet (tt->pending counts
 * them)? */
static inline bool txn_pending(const struct txn *t)
{
	return t->used && t->parent < 0 && !t->final_status;
}

/* Free t at until (ms) or later: end_at only ever moves forward. */
void txn_linger(struct txn_table *tt, struct txn *t, uint64_t until);

/* Delete every record whose end_at has come, except a server record whose
 * branches are still there (tried again a second later); returns how
 * many. */
size_t txn_expire(struct txn_table *tt, uint64_t now_ms);

/* Keep a copy of a message in *dst (replacing what was there). */
int txn_keep(char **dst, size_t *dst_len, const char *buf, size_t len);

#endif /* SIPLB_TXN_TABLE_H */
