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

struct mirror {
	struct redis_conn rc;
	struct location loc;	/* bindings_fd, sources_fd */
	int blocked_fd;
	char last_id[48];	/* "": a full sync is due */
	__u64 added;		/* entries ever added, up to last_id */
	struct mirror_stats stats;
};

/* A full sync now: Redis's bindings and blocks into the maps. */
int mirror_sync(struct mirror *m);
/* One XREAD (up to block_ms), applied; a full sync first if due.
 * 0, or -EIO while Redis is unreachable. */
int mirror_step(struct mirror *m, int block_ms);

#endif /* SIPLB_MIRROR_H */
