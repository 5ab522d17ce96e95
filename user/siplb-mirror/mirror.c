// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * mirror.c - Redis into this host's pinned maps (mirror.h).
 *
 * Order matters for correctness, not for speed: the stream's last id is
 * read BEFORE the scan, so every change the scan might miss is replayed
 * after it. Each stream entry carries the whole binding (or names the
 * slot removed), so replaying one the scan already saw is harmless: the
 * map ends where Redis is. A full sync also removes local bindings Redis
 * does not have, and so does the right thing after Redis lost its data.
 *
 * The source counts in siplb_sources follow from the bindings written
 * (location_put and location_remove keep them), so they are not in Redis.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <hiredis/hiredis.h>

#include "log.h"
#include "mirror.h"
#include "siplb_location.h"

#define SCAN_COUNT	"1000"	/* keys per SCAN batch */
#define XREAD_COUNT	"1000"	/* entries per XREAD */

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static __u64 now_ms_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static __u64 real_s(void)
{
	return time(NULL);
}

/* "MS-SEQ" ids in order; a missing id is the lowest. */
static int id_cmp(const char *a, const char *b)
{
	unsigned long long am = 0, as = 0, bm = 0, bs = 0;

	sscanf(a, "%llu-%llu", &am, &as);
	sscanf(b, "%llu-%llu", &bm, &bs);
	if (am != bm)
		return am < bm ? -1 : 1;
	return as < bs ? -1 : as > bs;
}

static redisReply *cmd(struct mirror *m, int argc, const char **argv)
{
	redisReply *r = redis_conn_cmd(&m->rc, argc, argv, NULL);

	if (r && r->type == REDIS_REPLY_ERROR) {
		log_warnx("Redis: %s: %s", argv[0], r->str);
		redis_reply_free(r);
		return NULL;
	}
	return r;
}

/* A binding put: (aor, slot) holds it now. */
static void apply_put(struct mirror *m, const char *aor, const char *v,
		      size_t len)
{
	struct siplb_binding b;
	__u32 slot;

	if (redis_binding_parse(v, len, &slot, &b)) {
		m->stats.bad++;
		return;
	}
	if (location_put(&m->loc, aor, strlen(aor), slot, &b)) {
		m->stats.write_errors++;
		return;
	}
	m->stats.puts++;
}

static void apply_del(struct mirror *m, const char *aor, __u32 slot)
{
	struct siplb_location_key key;
	struct siplb_binding old;

	if (location_key(aor, strlen(aor), &key) || slot >= SIPLB_CONTACTS_MAX) {
		m->stats.bad++;
		return;
	}
	key.slot = slot;
	if (bpf_map_lookup_elem(m->loc.bindings_fd, &key, &old))
		return;	/* not here: the sweep or a sync got there first */
	if (location_remove(&m->loc, aor, strlen(aor), slot, &old))
		m->stats.write_errors++;
	else
		m->stats.dels++;
}

static void apply_block(struct mirror *m, const char *addr, size_t len,
			__u64 ms, __u32 failures)
{
	struct siplb_block block = {
		.until_ns = mono_ns() + ms * 1000000ULL,
		.failures = failures,
	};
	struct siplb_addr a;

	if (len != sizeof(a) || !ms) {
		m->stats.bad++;
		return;
	}
	memcpy(&a, addr, sizeof(a));
	if (bpf_map_update_elem(m->blocked_fd, &a, &block, BPF_ANY))
		m->stats.write_errors++;
	else
		m->stats.blocks++;
}

/* One stream entry's field list. */
static void apply_entry(struct mirror *m, const redisReply *f)
{
	const redisReply *op = NULL, *aor = NULL, *slot = NULL, *b = NULL;
	const redisReply *addr = NULL, *ms = NULL, *fails = NULL;
	size_t i;

	for (i = 0; i + 1 < f->elements; i += 2) {
		const char *k = f->element[i]->str;
		const redisReply *v = f->element[i + 1];

		if (!strcmp(k, "op"))
			op = v;
		else if (!strcmp(k, "aor"))
			aor = v;
		else if (!strcmp(k, "slot"))
			slot = v;
		else if (!strcmp(k, "b"))
			b = v;
		else if (!strcmp(k, "addr"))
			addr = v;
		else if (!strcmp(k, "ms"))
			ms = v;
		else if (!strcmp(k, "failures"))
			fails = v;
	}
	if (op && aor && b && !strcmp(op->str, "put"))
		apply_put(m, aor->str, b->str, b->len);
	else if (op && aor && slot && !strcmp(op->str, "del"))
		apply_del(m, aor->str, strtoul(slot->str, NULL, 10));
	else if (op && addr && ms && !strcmp(op->str, "block"))
		apply_block(m, addr->str, addr->len, strtoull(ms->str, NULL, 10),
			    fails ? strtoul(fails->str, NULL, 10) : 0);
	else
		m->stats.bad++;
}

/* Keys a sync has seen, to remove the local ones it has not. */
struct seen {
	struct siplb_location_key *keys;
	size_t n, cap;
};

static int seen_add(struct seen *s, const struct siplb_location_key *k)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4096;
		void *p = reallocarray(s->keys, cap, sizeof(*s->keys));

		if (!p)
			return -ENOMEM;
		s->keys = p;
		s->cap = cap;
	}
	s->keys[s->n++] = *k;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct siplb_location_key));
}

/* One AOR's hash into the map. */
static int sync_aor(struct mirror *m, const char *key, struct seen *seen)
{
	const char *aor = key + strlen(REDIS_KEY_BINDINGS);
	const char *argv[] = { "HVALS", key };
	struct siplb_location_key k;
	struct siplb_binding b;
	redisReply *r;
	__u32 slot;
	size_t i;
	int err = 0;

	r = cmd(m, 2, argv);
	if (!r)
		return -EIO;
	for (i = 0; i < r->elements && !err; i++) {
		if (redis_binding_parse(r->element[i]->str,
					r->element[i]->len, &slot, &b) ||
		    location_key(aor, strlen(aor), &k)) {
			m->stats.bad++;
			continue;
		}
		if (b.expires_at <= real_s())
			continue;	/* the sweep's stream entry is coming */
		k.slot = slot;
		if (location_put(&m->loc, aor, strlen(aor), slot, &b))
			m->stats.write_errors++;
		else
			m->stats.synced++;
		err = seen_add(seen, &k);
	}
	redis_reply_free(r);
	return err;
}

/* SCAN MATCH prefix*, calling fn for each key. */
static int scan(struct mirror *m, const char *match,
		int (*fn)(struct mirror *, const char *, struct seen *),
		struct seen *seen)
{
	char cursor[32] = "0";
	int err = 0;

	do {
		const char *argv[] = { "SCAN", cursor, "MATCH", match, "COUNT",
				       SCAN_COUNT };
		redisReply *r = cmd(m, 6, argv);
		size_t i;

		if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			redis_reply_free(r);
			return -EIO;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		for (i = 0; i < r->element[1]->elements && !err; i++)
			err = fn(m, r->element[1]->element[i]->str, seen);
		redis_reply_free(r);
	} while (!err && strcmp(cursor, "0"));
	return err;
}

static int sync_block(struct mirror *m, const char *key, struct seen *unused)
{
	const char *argv[] = { "PTTL", key };
	const char *get[] = { "GET", key };
	struct siplb_addr a;
	redisReply *r, *g;
	const char *hex = key + strlen(REDIS_KEY_BLOCK);
	size_t i;

	if (strlen(hex) != 2 * sizeof(a))
		return 0;
	for (i = 0; i < sizeof(a); i++) {
		unsigned int byte;

		sscanf(hex + 2 * i, "%2x", &byte);
		((unsigned char *)&a)[i] = byte;
	}
	r = cmd(m, 2, argv);
	g = cmd(m, 2, get);
	if (r && r->type == REDIS_REPLY_INTEGER && r->integer > 0)
		apply_block(m, (const char *)&a, sizeof(a), r->integer,
			    g && g->str ? strtoul(g->str, NULL, 10) : 0);
	redis_reply_free(r);
	redis_reply_free(g);
	return 0;
}

/* Local bindings the sync did not see: gone from Redis, gone here. */
static void remove_unseen(struct mirror *m, struct seen *seen)
{
	struct siplb_location_key key, next;
	struct siplb_binding old;
	bool more;

	if (seen->n)	/* keys is NULL when Redis has no binding */
		qsort(seen->keys, seen->n, sizeof(*seen->keys), key_cmp);
	more = !bpf_map_get_next_key(m->loc.bindings_fd, NULL, &next);
	while (more) {
		key = next;
		more = !bpf_map_get_next_key(m->loc.bindings_fd, &key, &next);
		if ((seen->n && bsearch(&key, seen->keys, seen->n, sizeof(key),
					key_cmp)) ||
		    bpf_map_lookup_elem(m->loc.bindings_fd, &key, &old))
			continue;
		if (!location_remove(&m->loc, key.aor, strnlen(key.aor,
				     sizeof(key.aor)), key.slot, &old))
			m->stats.stale_removed++;
	}
}

/* What XINFO STREAM says of the stream (all zero if it does not exist). */
struct stream_info {
	bool exists;
	char last[48];		/* last-generated-id */
	__u64 added;		/* entries-added */
	__u64 length;
};

static int stream_info(struct mirror *m, struct stream_info *si)
{
	const char *argv[] = { "XINFO", "STREAM", REDIS_KEY_STREAM };
	redisReply *r = redis_conn_cmd(&m->rc, 3, argv, NULL);
	size_t i;

	memset(si, 0, sizeof(*si));
	strcpy(si->last, "0-0");
	if (!r)
		return -EIO;
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
	     i += 2) {
		const char *k = r->element[i]->str;
		const redisReply *v = r->element[i + 1];

		si->exists = true;
		if (!strcmp(k, "last-generated-id"))
			snprintf(si->last, sizeof(si->last), "%s", v->str);
		else if (!strcmp(k, "entries-added"))
			si->added = v->integer;
		else if (!strcmp(k, "length"))
			si->length = v->integer;
	}
	redis_reply_free(r);	/* an error: no such key */
	return 0;
}

int mirror_sync(struct mirror *m)
{
	struct stream_info si;
	struct seen seen = {};
	int err;

	err = stream_info(m, &si);
	if (!err)
		err = scan(m, REDIS_KEY_BINDINGS "*", sync_aor, &seen);
	if (!err)
		err = scan(m, REDIS_KEY_BLOCK "*", sync_block, NULL);
	if (!err) {
		remove_unseen(m, &seen);
		snprintf(m->last_id, sizeof(m->last_id), "%s", si.last);
		m->added = si.added;
		m->stats.syncs++;
		log_info("full sync from Redis: %zu bindings, stream at %s",
			 seen.n, si.last);
	}
	free(seen.keys);
	return err;
}

/*
 * Does the stream still hold every entry after last_id? Trimming removes
 * the oldest entries: entries-added - length of them are gone, and if
 * that is more than the entries up to ours (m->added), some we have not
 * read went too. A stream that is gone, or restarted below our id, means
 * Redis lost its data: a full sync makes the maps what Redis has now.
 */
static int stream_covers(struct mirror *m, bool *covers)
{
	struct stream_info si;
	int err = stream_info(m, &si);

	if (err)
		return err;
	if (!si.exists) {
		*covers = m->added == 0;
		return 0;
	}
	*covers = id_cmp(si.last, m->last_id) >= 0 &&
		  si.added >= si.length && si.added - si.length <= m->added;
	return 0;
}

static void note_lag(struct mirror *m, const char *id)
{
	unsigned long long ms = strtoull(id, NULL, 10);
	__u64 now = now_ms_real(), lag;

	if (!m->lag_ms)
		return;
	lag = now > ms ? now - ms : 0;
	m->lag_ms[lag < MIRROR_LAG_BUCKETS ? lag : MIRROR_LAG_BUCKETS - 1]++;
}

__u64 mirror_lag_quantile(const struct mirror *m, double q)
{
	__u64 total = 0, seen = 0, i;

	if (!m->lag_ms)
		return 0;
	for (i = 0; i < MIRROR_LAG_BUCKETS; i++)
		total += m->lag_ms[i];
	for (i = 0; i < MIRROR_LAG_BUCKETS; i++) {
		seen += m->lag_ms[i];
		if (total && seen >= q * total)
			return i;
	}
	return 0;
}

int mirror_step(struct mirror *m, int block_ms)
{
	char ms[16];
	const char *argv[] = { "XREAD", "COUNT", XREAD_COUNT, "BLOCK", ms,
			       "STREAMS", REDIS_KEY_STREAM, m->last_id };
	const redisReply *entries;
	bool covers = false;
	redisReply *r;
	size_t i;
	int err;

	/* Whether the stream still holds our place: after a reconnect,
	 * and once a second (a mirror that fell a whole MAXLEN behind),
	 * not on every read, which would double the round trips. */
	if (m->last_id[0] && (m->rc.connects != m->checked_connects ||
			      mono_ns() / 1000000 - m->checked_ms >= 1000)) {
		m->checked_ms = mono_ns() / 1000000;
		m->checked_connects = m->rc.connects;
		err = stream_covers(m, &covers);
		if (err)
			return err;
		if (!covers) {
			log_info("the stream no longer holds %s: full sync",
				 m->last_id);
			m->last_id[0] = '\0';
		}
	}
	if (!m->last_id[0]) {
		err = mirror_sync(m);
		if (err)
			return err;
	}
	snprintf(ms, sizeof(ms), "%d", block_ms);
	r = cmd(m, 8, argv);
	if (!r)
		return -EIO;
	if (r->type != REDIS_REPLY_ARRAY || !r->elements) {
		redis_reply_free(r);
		return 0;	/* nil: nothing within block_ms */
	}
	entries = r->element[0]->element[1];
	log_debug("stream: %zu entries after %s", entries->elements,
		  m->last_id);
	for (i = 0; i < entries->elements; i++) {
		apply_entry(m, entries->element[i]->element[1]);
		note_lag(m, entries->element[i]->element[0]->str);
		snprintf(m->last_id, sizeof(m->last_id), "%s",
			 entries->element[i]->element[0]->str);
		m->added++;
	}
	redis_reply_free(r);
	return 0;
}
