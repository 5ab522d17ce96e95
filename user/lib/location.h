/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * location.h - the registrar's bindings in the pinned siplb_location map
 * (layouts in include/siplb_location.h), and the per-source count in
 * siplb_sources. An AOR's bindings occupy slots 0..max_contacts-1; the
 * index siplb_aors says which, so that reading an AOR costs 1 + n map
 * lookups for n bindings, not max_contacts.
 */
#ifndef SIPLB_LOCATION_USER_H
#define SIPLB_LOCATION_USER_H

#include <stdbool.h>
#include <stddef.h>
#include "siplb_location.h"

struct location {
	int bindings_fd;	/* siplb_location */
	int sources_fd;		/* siplb_sources */
	__u32 max_contacts;	/* slots per AOR, <= SIPLB_CONTACTS_MAX */
	int aors_fd;		/* siplb_aors; < 0: none, probe every slot */
};

/* One AOR's bindings as read from the map (expired ones left out). */
struct location_set {
	size_t n;
	__u32 slot[SIPLB_CONTACTS_MAX];
	struct siplb_binding b[SIPLB_CONTACTS_MAX];
	__u32 free_slots;	/* slots without a live binding */
};

int location_key(const char *aor, size_t len, struct siplb_location_key *key);
int location_read(const struct location *loc, const char *aor, size_t len,
		  __u64 now, struct location_set *set);
int location_put(const struct location *loc, const char *aor, size_t len,
		 __u32 slot, const struct siplb_binding *b);
/* A refresh: slot holds old, as location_read just returned it (so its
 * bit is set and it need not be read again). Saves two bpf() calls, and
 * two more when the source address stayed. */
int location_replace(const struct location *loc, const char *aor,
		     size_t len, __u32 slot, const struct siplb_binding *b,
		     const struct siplb_binding *old);
int location_remove(const struct location *loc, const char *aor, size_t len,
		    __u32 slot, const struct siplb_binding *b);
/* Where an incremental sweep stands; zero-initialise. */
struct location_cursor {
	__u32 token;
	bool started;
	__u64 pass_end;		/* now when the last pass ended; 0: none yet */
};

int location_sweep_step(const struct location *loc, __u64 now,
			struct location_cursor *cur, __u64 budget,
			__u64 *removed);
/* Is a slice due at now? Always during a pass; a new pass starts only
 * every seconds after the last one ended (readers skip expired bindings
 * meanwhile), so that a small map is not walked whole every second. */
bool location_sweep_due(const struct location_cursor *cur, __u64 now,
			__u64 every);
int location_count(const struct location *loc, __u64 *count);
/* Rebuild siplb_aors from siplb_location (maps pinned by a siplb that had
 * no index); *indexed: bindings indexed. */
int location_index_rebuild(const struct location *loc, __u64 *indexed);

#endif /* SIPLB_LOCATION_USER_H */
