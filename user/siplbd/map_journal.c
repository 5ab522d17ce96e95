// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * map_journal.c - pre-images of map entries, undone in reverse
 * (map_journal.h).
 *
 * A range is read and restored with batch calls: a Maglev ring is 65537
 * entries, one syscall each would make a rollback take a second.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "map_journal.h"

struct map_undo {
	int fd;
	bool lpm;	/* an LPM trie: a lookup finds a shorter prefix too */
	bool range;	/* entries first..first+count-1 of an array */
	bool present;	/* the key existed: put value back, else delete */
	__u32 first, count;
	__u32 key_size, value_size;
	void *key;
	void *value;	/* count values for a range */
};

static int map_sizes(int fd, __u32 *key_size, __u32 *value_size, bool *lpm)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	*key_size = *value_size = 0;
	*lpm = false;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*key_size = info.key_size;
	*value_size = info.value_size;
	*lpm = info.type == BPF_MAP_TYPE_LPM_TRIE;
	return 0;
}

/* Whether key itself is in the map (its value into value). In an LPM
 * trie a lookup answers for the longest prefix that matches, which may
 * be a shorter one: there, only a walk of the keys says. */
static int key_present(int fd, const void *key, __u32 key_size, bool lpm,
		       void *value, bool *present)
{
	char cur[64], next[64];
	int err;

	*present = !bpf_map_lookup_elem(fd, key, value);
	if (!*present)
		return errno == ENOENT ? 0 : -errno;
	if (!lpm)
		return 0;
	if (key_size > sizeof(cur))
		return -EINVAL;
	*present = false;
	err = bpf_map_get_next_key(fd, NULL, next);
	while (!err && !*present) {
		memcpy(cur, next, key_size);
		*present = !memcmp(cur, key, key_size);
		err = bpf_map_get_next_key(fd, cur, next);
	}
	return 0;
}

static struct map_undo *journal_push(struct map_journal *j)
{
	struct map_undo *e;

	if (j->n == j->cap) {
		size_t cap = j->cap ? 2 * j->cap : 16;

		e = reallocarray(j->e, cap, sizeof(*e));
		if (!e)
			return NULL;
		j->e = e;
		j->cap = cap;
	}
	e = &j->e[j->n];
	memset(e, 0, sizeof(*e));
	return e;
}

static bool journal_has(const struct map_journal *j, int fd, const void *key,
			__u32 key_size)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		if (!j->e[i].range && j->e[i].fd == fd &&
		    !memcmp(j->e[i].key, key, key_size))
			return true;
	return false;
}

int map_journal_save(struct map_journal *j, int fd, const void *key)
{
	__u32 key_size, value_size;
	struct map_undo *e;
	bool lpm;
	int err;

	err = map_sizes(fd, &key_size, &value_size, &lpm);
	if (err)
		return err;
	if (journal_has(j, fd, key, key_size))
		return 0;
	e = journal_push(j);
	if (!e)
		return -ENOMEM;
	e->key = malloc(key_size);
	e->value = malloc(value_size);
	if (!e->key || !e->value) {
		free(e->key);
		free(e->value);
		return -ENOMEM;
	}
	memcpy(e->key, key, key_size);
	e->fd = fd;
	e->lpm = lpm;
	e->key_size = key_size;
	e->value_size = value_size;
	err = key_present(fd, key, key_size, lpm, e->value, &e->present);
	if (err) {
		free(e->key);
		free(e->value);
		return err;
	}
	j->n++;
	return 0;
}

static __u32 *range_keys(__u32 first, __u32 count)
{
	__u32 *keys = calloc(count, sizeof(*keys)), i;

	for (i = 0; keys && i < count; i++)
		keys[i] = first + i;
	return keys;
}

/* Read count values from first on: batch lookups continue after the key
 * they are given, so each starts from the one before. */
static int range_read(int fd, __u32 first, __u32 count, __u32 value_size,
		      void *values)
{
	__u32 *keys = calloc(count, sizeof(*keys)), done = 0, prev, n;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	while (done < count) {
		prev = first + done - 1;
		n = count - done;
		if (bpf_map_lookup_batch(fd, first + done ? &prev : NULL,
					 &prev, keys + done,
					 (char *)values + (size_t)done *
								  value_size,
					 &n, NULL) &&
		    errno != ENOENT) {
			err = -errno;
			break;
		}
		if (!n) {
			err = -ENOENT;	/* past the end of the array */
			break;
		}
		done += n;
	}
	free(keys);
	return err;
}

int map_journal_save_range(struct map_journal *j, int fd, __u32 first,
			   __u32 count)
{
	__u32 key_size, value_size;
	struct map_undo *e;
	size_t i;
	bool lpm;
	int err;

	for (i = 0; i < j->n; i++)
		if (j->e[i].range && j->e[i].fd == fd &&
		    j->e[i].first == first && j->e[i].count == count)
			return 0;
	err = map_sizes(fd, &key_size, &value_size, &lpm);
	if (err)
		return err;
	if (key_size != sizeof(__u32) || lpm)
		return -EINVAL;	/* not an array */
	e = journal_push(j);
	if (!e)
		return -ENOMEM;
	e->value = calloc(count, value_size);
	if (!e->value)
		return -ENOMEM;
	err = range_read(fd, first, count, value_size, e->value);
	if (err) {
		free(e->value);
		return err;
	}
	e->fd = fd;
	e->range = true;
	e->present = true;
	e->first = first;
	e->count = count;
	e->key_size = key_size;
	e->value_size = value_size;
	j->n++;
	return 0;
}

/* Whether the map still holds what e saved (the write it was saved for
 * may have failed): then there is nothing to put back, and a map that
 * refuses writes (frozen) is not asked to take one. */
static bool unchanged(const struct map_undo *e)
{
	size_t len = (size_t)e->value_size * (e->range ? e->count : 1);
	void *now = malloc(len);
	bool same, found;

	if (!now)
		return false;
	if (e->range) {
		same = !range_read(e->fd, e->first, e->count, e->value_size,
				   now) &&
		       !memcmp(now, e->value, len);
	} else {
		same = !key_present(e->fd, e->key, e->key_size, e->lpm, now,
				    &found) &&
		       found == e->present &&
		       (!found || !memcmp(now, e->value, len));
	}
	free(now);
	return same;
}

static int undo_one(const struct map_undo *e)
{
	__u32 *keys, count = e->count;
	int err = 0;

	if (unchanged(e))
		return 0;
	if (!e->range) {
		if (e->present)
			return bpf_map_update_elem(e->fd, e->key, e->value,
						   BPF_ANY) ? -errno : 0;
		if (bpf_map_delete_elem(e->fd, e->key) && errno != ENOENT)
			return -errno;
		return 0;
	}
	keys = range_keys(e->first, e->count);
	if (!keys)
		return -ENOMEM;
	if (bpf_map_update_batch(e->fd, keys, e->value, &count, NULL))
		err = -errno;
	free(keys);
	return err;
}

int map_journal_undo(struct map_journal *j)
{
	int err = 0, ret;
	size_t i;

	for (i = j->n; i-- > 0;) {
		ret = undo_one(&j->e[i]);
		if (ret && !err)
			err = ret;
	}
	map_journal_free(j);
	return err;
}

void map_journal_free(struct map_journal *j)
{
	size_t i;

	for (i = 0; i < j->n; i++) {
		free(j->e[i].key);
		free(j->e[i].value);
	}
	free(j->e);
	memset(j, 0, sizeof(*j));
}
