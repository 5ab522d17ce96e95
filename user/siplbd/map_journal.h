/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * map_journal.h - the undo record of a reload: what map entries held
 * before a step wrote them, so that a reload that fails half-way can put
 * every map back exactly as it was (daemon_reload).
 *
 * A step saves the entries it is about to write (map_journal_save, or
 * map_journal_save_range for a stretch of an array such as one Maglev
 * ring), then writes them. map_journal_undo restores the saved values in
 * reverse order and deletes the keys that were absent. Only the first
 * save of an entry is kept: that is the value from before the reload.
 */
#ifndef SIPLB_MAP_JOURNAL_H
#define SIPLB_MAP_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct map_undo;

struct map_journal {
	struct map_undo *e;
	size_t n, cap;
};

/* Save the value of key in map fd (or that it is absent). 0 or -errno. */
int map_journal_save(struct map_journal *j, int fd, const void *key);

/* Save entries first..first+count-1 of the array map fd. 0 or -errno. */
int map_journal_save_range(struct map_journal *j, int fd, __u32 first,
			   __u32 count);

/* Put every saved entry back, newest first; one the map still holds as
 * saved is not written. 0 or the first -errno (the rest is still
 * restored). The journal is emptied. */
int map_journal_undo(struct map_journal *j);

void map_journal_free(struct map_journal *j);

#endif /* SIPLB_MAP_JOURNAL_H */
