// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * location.c - bindings in the pinned maps (location.h).
 *
 * The map is the only copy: siplbd keeps no binding in memory, so a
 * restarted daemon sees exactly what the workers see, and nothing has to be
 * reloaded. Expired bindings are ignored when read and removed by the
 * sweep, which walks the map in batches, a slice at a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "endpoint.h"
#include "location.h"

int location_key(const char *aor, size_t len, struct siplb_location_key *key)
{
	memset(key, 0, sizeof(*key));
	if (len == 0 || len >= sizeof(key->aor) || memchr(aor, '\0', len))
		return -EINVAL;
	memcpy(key->aor, aor, len);
	return 0;
}

/* Count a binding in (+1) or out (-1) of its source address's entry. */
static int source_count(const struct location *loc,
			const struct siplb_binding *b, int delta)
{
	struct siplb_source src = {};
	struct siplb_addr addr;

	endpoint_addr(&b->source, &addr);
	bpf_map_lookup_elem(loc->sources_fd, &addr, &src);
	if (delta < 0 && src.bindings <= 1) {
		if (bpf_map_delete_elem(loc->sources_fd, &addr) &&
		    errno != ENOENT)
			return -errno;
		return 0;
	}
	src.bindings += delta;
	if (delta > 0 && b->expires_at > src.expires_at)
		src.expires_at = b->expires_at;
	if (bpf_map_update_elem(loc->sources_fd, &addr, &src, BPF_ANY))
		return -errno;
	return 0;
}

static void aor_key(const struct siplb_location_key *key,
		    struct siplb_aor_key *ak)
{
	memcpy(ak->aor, key->aor, sizeof(ak->aor));
}

#define INDEX_SLOTS	(sizeof(struct siplb_aor) * 8)

static bool slot_used(const struct siplb_aor *idx, __u32 slot)
{
	return slot < INDEX_SLOTS &&
	       (idx->slots[slot / 64] & (1ULL << (slot % 64)));
}

/* Mark key's slot used in siplb_aors: before the slot is written. */
static int index_set(const struct location *loc,
		     const struct siplb_location_key *key)
{
	struct siplb_aor idx = {};
	struct siplb_aor_key ak;

	if (loc->aors_fd < 0)
		return 0;
	if (key->slot >= INDEX_SLOTS)
		return -EINVAL;
	aor_key(key, &ak);
	if (bpf_map_lookup_elem(loc->aors_fd, &ak, &idx) && errno != ENOENT)
		return -errno;
	if (slot_used(&idx, key->slot))
		return 0;
	idx.slots[key->slot / 64] |= 1ULL << (key->slot % 64);
	if (bpf_map_update_elem(loc->aors_fd, &ak, &idx, BPF_ANY))
		return -errno;
	return 0;
}

/* Mark key's slot free: after the slot is deleted. The last one takes the
 * AOR's entry with it. */
static int index_clear(const struct location *loc,
		       const struct siplb_location_key *key)
{
	struct siplb_aor idx;
	struct siplb_aor_key ak;

	if (loc->aors_fd < 0)
		return 0;
	aor_key(key, &ak);
	if (bpf_map_lookup_elem(loc->aors_fd, &ak, &idx))
		return errno == ENOENT ? 0 : -errno;
	if (!slot_used(&idx, key->slot))
		return 0;
	idx.slots[key->slot / 64] &= ~(1ULL << (key->slot % 64));
	if (!idx.slots[0] && !idx.slots[1]) {
		if (bpf_map_delete_elem(loc->aors_fd, &ak) && errno != ENOENT)
			return -errno;
		return 0;
	}
	if (bpf_map_update_elem(loc->aors_fd, &ak, &idx, BPF_ANY))
		return -errno;
	return 0;
}

/* Which slots to read: from the index, or all of them without one. */
static int slots_to_read(const struct location *loc,
			 const struct siplb_location_key *key,
			 struct siplb_aor *idx)
{
	struct siplb_aor_key ak;

	memset(idx, 0xff, sizeof(*idx));
	if (loc->aors_fd < 0)
		return 0;
	aor_key(key, &ak);
	if (bpf_map_lookup_elem(loc->aors_fd, &ak, idx)) {
		memset(idx, 0, sizeof(*idx));
		return errno == ENOENT ? 0 : -errno;
	}
	return 0;
}

int location_read(const struct location *loc, const char *aor, size_t len,
		  __u64 now, struct location_set *set)
{
	struct siplb_location_key key;
	struct siplb_aor idx;
	__u32 slot;
	int err;

	set->n = 0;
	set->free_slots = 0;
	err = location_key(aor, len, &key);
	if (!err)
		err = slots_to_read(loc, &key, &idx);
	if (err)
		return err;
	for (slot = 0; slot < loc->max_contacts; slot++) {
		if (!slot_used(&idx, slot))
			continue;
		key.slot = slot;
		if (bpf_map_lookup_elem(loc->bindings_fd, &key,
					&set->b[set->n])) {
			if (errno != ENOENT)
				return -errno;
			continue;
		}
		if (set->b[set->n].expires_at <= now)
			continue;	/* expired: the sweep removes it */
		set->slot[set->n++] = slot;
	}
	set->free_slots = loc->max_contacts - set->n;
	return 0;
}

/* b keeps the old binding's source address: only its expiry may move. */
static int source_refresh(const struct location *loc,
			  const struct siplb_binding *b)
{
	struct siplb_source src;
	struct siplb_addr addr;

	endpoint_addr(&b->source, &addr);
	if (bpf_map_lookup_elem(loc->sources_fd, &addr, &src))
		return -errno;
	if (b->expires_at <= src.expires_at)
		return 0;
	src.expires_at = b->expires_at;
	if (bpf_map_update_elem(loc->sources_fd, &addr, &src, BPF_ANY))
		return -errno;
	return 0;
}

static bool same_source(const struct siplb_binding *a,
			const struct siplb_binding *b)
{
	struct siplb_addr x, y;

	endpoint_addr(&a->source, &x);
	endpoint_addr(&b->source, &y);
	return !memcmp(&x, &y, sizeof(x));
}

/* The source count for b in, old's out: one lookup and at most one
 * update when the address stayed (a refresh), else both counts. */
static int source_move(const struct location *loc,
		       const struct siplb_binding *b,
		       const struct siplb_binding *old)
{
	int err;

	if (old && same_source(old, b)) {
		err = source_refresh(loc, b);
		return err == -ENOENT ? source_count(loc, b, +1) : err;
	}
	err = source_count(loc, b, +1);
	if (!err && old)
		source_count(loc, old, -1);
	return err;
}

/*
 * Write b over old (NULL: the slot was empty) and move the source count.
 * All or nothing: if b's source cannot be counted (siplb_sources full:
 * -E2BIG), the slot gets its old contents back, so a refused REGISTER
 * (503) leaves no binding behind.
 */
static int store(const struct location *loc,
		 const struct siplb_location_key *key,
		 const struct siplb_binding *b, const struct siplb_binding *old)
{
	int err;

	if (bpf_map_update_elem(loc->bindings_fd, key, b, BPF_ANY)) {
		err = -errno;	/* -E2BIG when the map is full */
		if (!old)
			index_clear(loc, key);
		return err;
	}
	err = source_move(loc, b, old);
	if (err) {
		if (old) {
			bpf_map_update_elem(loc->bindings_fd, key, old,
					    BPF_ANY);
		} else {
			bpf_map_delete_elem(loc->bindings_fd, key);
			index_clear(loc, key);
		}
	}
	return err;
}

/* Store b in slot (new or replacing an expired or older binding). */
int location_put(const struct location *loc, const char *aor, size_t len,
		 __u32 slot, const struct siplb_binding *b)
{
	struct siplb_location_key key;
	struct siplb_binding old;
	bool had_old;
	int err;

	err = location_key(aor, len, &key);
	if (err)
		return err;
	key.slot = slot;
	err = index_set(loc, &key);	/* first: a binding never lacks it */
	if (err)
		return err;
	had_old = !bpf_map_lookup_elem(loc->bindings_fd, &key, &old);
	return store(loc, &key, b, had_old ? &old : NULL);
}

int location_replace(const struct location *loc, const char *aor,
		     size_t len, __u32 slot, const struct siplb_binding *b,
		     const struct siplb_binding *old)
{
	struct siplb_location_key key;
	int err;

	err = location_key(aor, len, &key);
	if (err)
		return err;
	key.slot = slot;
	return store(loc, &key, b, old);
}

int location_remove(const struct location *loc, const char *aor, size_t len,
		    __u32 slot, const struct siplb_binding *b)
{
	struct siplb_location_key key;
	int err;

	err = location_key(aor, len, &key);
	if (err)
		return err;
	key.slot = slot;
	if (bpf_map_delete_elem(loc->bindings_fd, &key)) {
		if (errno != ENOENT)
			return -errno;
		return index_clear(loc, &key);
	}
	err = index_clear(loc, &key);	/* after: a binding never lacks it */
	if (err)
		return err;
	return source_count(loc, b, -1);
}

#define SWEEP_BATCH 4096

/*
 * One slice of a sweep: visit up to about `budget` bindings from where the
 * cursor stands, removing those with expires_at <= now. Returns 1 when the
 * walk reached the end of the map (the cursor starts over next time), 0 if
 * there is more, or -errno. Slices keep a large map from stalling the
 * daemon: a million bindings take about 0.3 s to visit.
 */
int location_sweep_step(const struct location *loc, __u64 now,
			struct location_cursor *cur, __u64 budget,
			__u64 *removed)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct siplb_location_key *keys, *dead;
	struct siplb_binding *vals;
	__u32 count, ndead, i;
	__u64 visited = 0;
	int ret = 0;

	keys = calloc(SWEEP_BATCH, sizeof(*keys));
	dead = calloc(SWEEP_BATCH, sizeof(*dead));
	vals = calloc(SWEEP_BATCH, sizeof(*vals));
	if (!keys || !dead || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	while (ret == 0 && visited < budget) {
		count = SWEEP_BATCH;
		if (bpf_map_lookup_batch(loc->bindings_fd,
					 cur->started ? &cur->token : NULL,
					 &cur->token, keys, vals, &count,
					 &opts)) {
			if (errno != ENOENT) {
				ret = -errno;
				break;
			}
			ret = 1;	/* ENOENT: this was the last batch */
		}
		cur->started = true;
		visited += count;
		for (i = 0, ndead = 0; i < count; i++) {
			if (vals[i].expires_at > now)
				continue;
			dead[ndead++] = keys[i];
			source_count(loc, &vals[i], -1);
		}
		/* Deleting entries already returned does not disturb the
		 * walk: the token names the next bucket. */
		if (ndead &&
		    bpf_map_delete_batch(loc->bindings_fd, dead, &ndead,
					 &opts)) {
			ret = -errno;
			break;
		}
		*removed += ndead;
		for (i = 0; i < ndead; i++)
			index_clear(loc, &dead[i]);
	}
	if (ret != 0)
		cur->started = false;	/* done, or failed: start over */
	if (ret == 1)
		cur->pass_end = now;
out:
	free(vals);
	free(dead);
	free(keys);
	return ret;
}

bool location_sweep_due(const struct location_cursor *cur, __u64 now,
			__u64 every)
{
	/* A clock set back starts a pass at once rather than never. */
	return cur->started || !cur->pass_end || now < cur->pass_end ||
	       now - cur->pass_end >= every;
}

int location_count(const struct location *loc, __u64 *count)
{
	struct siplb_location_key key, next;
	int err;

	*count = 0;
	err = bpf_map_get_next_key(loc->bindings_fd, NULL, &next);
	while (!err) {
		(*count)++;
		key = next;
		err = bpf_map_get_next_key(loc->bindings_fd, &key, &next);
	}
	return errno == ENOENT ? 0 : -errno;
}

int location_index_rebuild(const struct location *loc, __u64 *indexed)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct siplb_location_key *keys;
	struct siplb_binding *vals;
	__u32 token, count, i;
	bool first = true;
	int ret = 0, err;

	*indexed = 0;
	keys = calloc(SWEEP_BATCH, sizeof(*keys));
	vals = calloc(SWEEP_BATCH, sizeof(*vals));
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	while (ret == 0) {
		count = SWEEP_BATCH;
		if (bpf_map_lookup_batch(loc->bindings_fd,
					 first ? NULL : &token, &token, keys,
					 vals, &count, &opts)) {
			if (errno != ENOENT) {
				ret = -errno;
				break;
			}
			ret = 1;	/* the last batch */
		}
		first = false;
		for (i = 0; i < count; i++) {
			if (keys[i].slot >= INDEX_SLOTS)
				continue;
			err = index_set(loc, &keys[i]);
			if (err) {
				ret = err;
				break;
			}
			(*indexed)++;
		}
	}
	if (ret > 0)
		ret = 0;
out:
	free(vals);
	free(keys);
	return ret;
}
