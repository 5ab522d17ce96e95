/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * state_file.h - a copy of the location bindings on disk, for a reboot.
 *
 * The pinned siplb_location map outlives siplbd but not the machine (or a
 * `siplbctl unpin`). With `state-file PATH` in siplb.conf, siplbd writes
 * every live binding to PATH now and then and on exit, and at start-up,
 * if the map is empty, loads them back (expired ones skipped).
 *
 * Writes are atomic: PATH.tmp in the same directory, fsync, rename
 * over PATH, fsync of the directory; a crash leaves the old file or the
 * new one, never a mix. A file that fails any check below is refused as a
 * whole (nothing from it reaches the map).
 *
 * Format, version 2, all integers in host byte order (the file belongs to
 * the host that wrote it):
 *
 *	header	char magic[8] "SIPLBBND", __u32 version (2),
 *		__u32 record_size (552),
 *		__u64 written_at (CLOCK_REALTIME seconds)
 *	records	record_size bytes each: struct siplb_location_key, 4 zero
 *		bytes, struct siplb_binding (include/siplb_location.h)
 *	trailer	__u64 count (records), __u8 sha256[32] of every byte before
 *		it (header, records and count)
 *
 * so the file size is 24 + count * 552 + 40 exactly.
 *
 * Version 1 (records of 448 bytes, written before bindings had the RFC
 * 5626 instance, reg-id and flags at their end) is still read: its
 * records are the first 448 bytes of a version 2 record, the rest zero.
 */
#ifndef SIPLB_STATE_FILE_H
#define SIPLB_STATE_FILE_H

#include <stddef.h>
#include <linux/types.h>
#include "location.h"

#define STATE_FILE_MAGIC	"SIPLBBND"
#define STATE_FILE_VERSION	2
#define STATE_FILE_V1_RECORD	448	/* version 1's record size */

struct state_file_header {
	char magic[8];
	__u32 version;
	__u32 record_size;
	__u64 written_at;
};
_Static_assert(sizeof(struct state_file_header) == 24, "state header");

struct state_file_record {
	struct siplb_location_key key;
	__u32 pad;			/* zero; aligns the binding's __u64s */
	struct siplb_binding binding;
};
_Static_assert(sizeof(struct state_file_record) == 552, "state record");
_Static_assert(offsetof(struct state_file_record, binding.instance) ==
		       STATE_FILE_V1_RECORD,
	       "a version 1 record is a prefix of a version 2 record");

struct state_file_trailer {
	__u64 count;
	__u8 sha256[32];
};
_Static_assert(sizeof(struct state_file_trailer) == 40, "state trailer");

/* What a load did with the records of a valid file. */
struct state_file_counts {
	__u64 records;		/* in the file */
	__u64 loaded;		/* written to the map */
	__u64 expired;		/* skipped: expires_at <= now */
	__u64 invalid;		/* skipped: AOR/contact not a string, bad slot */
	__u64 full;		/* skipped: the map was full */
};

/*
 * Write every binding of loc that has not expired at now (CLOCK_REALTIME
 * seconds) to path, atomically. *saved gets the count. 0 or -errno; err
 * gets a one-line reason on failure.
 */
int state_file_save(const char *path, const struct location *loc, __u64 now,
		    __u64 *saved, char *err, size_t errlen);

/*
 * Check path in full, then put its live bindings into loc. 0, -ENOENT (no
 * file: nothing to load), -EINVAL (not a valid state file: err says why,
 * nothing was loaded) or another -errno.
 */
int state_file_load(const char *path, const struct location *loc, __u64 now,
		    struct state_file_counts *counts, char *err,
		    size_t errlen);

#endif /* SIPLB_STATE_FILE_H */
