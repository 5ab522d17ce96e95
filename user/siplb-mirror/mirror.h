/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * mirror.h - keep one host's pinned siplb_location, siplb_sources and
 * siplb_blocked equal to the cluster's Redis: a full sync (SCAN in
 * batches), then every change from the stream siplbd's scripts append to
 * (XREAD BLOCK from the last id applied), and a full sync again when the
 * stream no longer holds that id (trimmed, or Redis lost it).
 */
#ifndef SIPLB_MIRROR_H
#define SIPLB_MIRROR_H

#include "location.h"
#include "redis_conn.h"

#define MIRROR_STATS(X)                                                       \
	X(syncs, "full syncs")                                                \
	X(synced, "bindings written by full syncs")                           \
	X(stale_removed, "local bindings removed by full syncs (not in Redis)")\
	X(puts, "bindings written from the stream")                           \
	X(dels, "bindings removed from the stream")                           \
	X(blocks, "sources blocked from the stream or a sync")                \
	X(bad, "stream entries or values that did not parse (skipped)")       \
	X(write_errors, "map writes that failed (map full?)")

struct mirror_stats {
#define MIRROR_STAT_FIELD(name, help) __u64 name;
	MIRROR_STATS(MIRROR_STAT_FIELD)
#undef MIRROR_STAT_FIELD
};

/* Replication lag: from the change in Redis (its stream id is Redis's
 * clock, in ms) to the map write here; one bucket per ms, the last for
 * everything longer. Hosts' clocks must agree (NTP) for it to mean much. */
#define MIRROR_LAG_BUCKETS	10001

struct mirror {
	struct redis_conn rc;
	struct location loc;	/* bindings_fd, sources_fd */
	int blocked_fd;
	char last_id[48];	/* "": a full sync is due */
	__u64 added;		/* entries ever added, up to last_id */
	__u64 checked_ms;	/* CLOCK_MONOTONIC: stream last checked */
	__u64 checked_connects;	/* rc.connects then: a reconnect checks */
	struct mirror_stats stats;
	__u64 *lag_ms;		/* NULL: not measured; else the buckets */
};

/* The lag under which q (0..1) of the changes were applied, in ms. */
__u64 mirror_lag_quantile(const struct mirror *m, double q);

/* A full sync now: Redis's bindings and blocks into the maps. */
int mirror_sync(struct mirror *m);
/* One XREAD (up to block_ms), applied; a full sync first if due.
 * 0, or -EIO while Redis is unreachable. */
int mirror_step(struct mirror *m, int block_ms);

#endif /* SIPLB_MIRROR_H */
