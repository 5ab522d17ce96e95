// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * txn_table.c - the transaction pool and its indexes (txn_table.h).
 *
 * Chained hashing over indexes into one array: a record is on the free
 * list or on the in-use list, and when in use on the key chain of its
 * bucket and, once it forwarded something, on a branch chain. The number
 * of buckets is the capacity rounded up to a power of two, so chains stay
 * short at any load the pool allows. A record with an end_at is also on
 * the expiry wheel's slot for that second, and the table counts the
 * records still pending, so that neither freeing what is due nor
 * publishing the count walks the whole pool.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "txn_table.h"

#define RFC3261_COOKIE "z9hG4bK"

static uint64_t hash_bytes(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

int txn_table_init(struct txn_table *tt, uint32_t cap)
{
	uint32_t i;

	memset(tt, 0, sizeof(*tt));
	if (cap == 0 || cap > (1U << 24))
		return -EINVAL;
	tt->nbuckets = 1;
	while (tt->nbuckets < cap)
		tt->nbuckets <<= 1;
	tt->t = calloc(cap, sizeof(*tt->t));
	tt->key_buckets = malloc(tt->nbuckets * sizeof(int));
	tt->branch_buckets = malloc(tt->nbuckets * sizeof(int));
	if (!tt->t || !tt->key_buckets || !tt->branch_buckets) {
		txn_table_free(tt);
		return -ENOMEM;
	}
	tt->cap = cap;
	for (i = 0; i < tt->nbuckets; i++)
		tt->key_buckets[i] = tt->branch_buckets[i] = -1;
	/* Records are handed out in order the first time (tt->fresh), so
	 * the pages of a big table are touched only as it fills. */
	tt->fresh = 0;
	tt->free_head = -1;
	tt->head[TXN_TIMED] = tt->head[TXN_IDLE] = -1;
	for (i = 0; i < TXN_WHEEL_SLOTS; i++)
		tt->wheel[i] = -1;
	return 0;
}

static void txn_release(struct txn *t)
{
	free(t->resp);
	free(t->req);
	free(t->ack);
	free(t->best);
	t->resp = t->req = t->ack = t->best = NULL;
}

void txn_table_free(struct txn_table *tt)
{
	uint32_t i;

	if (tt->t)
		for (i = 0; i < tt->fresh; i++)
			txn_release(&tt->t[i]);
	free(tt->t);
	free(tt->key_buckets);
	free(tt->branch_buckets);
	memset(tt, 0, sizeof(*tt));
}

struct txn_key_buf {
	char *p;
	size_t size, len;
	bool full;
};

static void key_add(struct txn_key_buf *kb, const char *s, size_t n)
{
	if (kb->full || n + 1 > kb->size - kb->len) {
		kb->full = true;
		return;
	}
	if (n)	/* an absent part is an empty slice, maybe NULL */
		memcpy(kb->p + kb->len, s, n);
	kb->len += n;
	kb->p[kb->len++] = '\x01';	/* never in a token or host */
}

int txn_key_of(const struct sip_msg *m, bool as_invite, char *out,
	       size_t size)
{
	struct txn_key_buf kb = { out, size, 0, false };
	struct sip_slice method = m->cseq_method;
	char num[16];

	if (as_invite)
		method = SIP_SLICE_LIT("INVITE");
	if (m->via.branch.len > sizeof(RFC3261_COOKIE) - 1 &&
	    !memcmp(m->via.branch.p, RFC3261_COOKIE,
		    sizeof(RFC3261_COOKIE) - 1)) {
		snprintf(num, sizeof(num), "%u", m->via.port);
		key_add(&kb, m->via.branch.p, m->via.branch.len);
		key_add(&kb, m->via.host.p, m->via.host.len);
		key_add(&kb, num, strlen(num));
	} else {
		snprintf(num, sizeof(num), "%u", m->cseq);
		key_add(&kb, "2543", 4);
		key_add(&kb, m->call_id.p, m->call_id.len);
		key_add(&kb, num, strlen(num));
		key_add(&kb, m->from.tag.p, m->from.tag.len);
		key_add(&kb, m->via.host.p, m->via.host.len);
		key_add(&kb, m->via.branch.p, m->via.branch.len);
	}
	key_add(&kb, method.p, method.len);
	return kb.full ? -ENOSPC : (int)kb.len;
}

/* Put t at the head of its list (t->list). */
static void link_in(struct txn_table *tt, struct txn *t)
{
	int i = (int)(t - tt->t), *head = &tt->head[t->list];

	t->prev = -1;
	t->next = *head;
	if (*head >= 0)
		tt->t[*head].prev = i;
	*head = i;
}

static void link_out(struct txn_table *tt, struct txn *t)
{
	if (t->prev >= 0)
		tt->t[t->prev].next = t->next;
	else
		tt->head[t->list] = t->next;
	if (t->next >= 0)
		tt->t[t->next].prev = t->prev;
}

void txn_move(struct txn_table *tt, struct txn *t, enum txn_list list)
{
	if (!t->used || t->list == list)
		return;
	link_out(tt, t);
	t->list = list;
	link_in(tt, t);
}

struct txn *txn_new(struct txn_table *tt, const char *key, size_t key_len)
{
	struct txn *t;
	uint32_t b;
	int i = tt->free_head;

	if (key_len > TXN_KEY_MAX)
		return NULL;
	if (i >= 0) {
		tt->free_head = tt->t[i].next;
	} else if (tt->fresh < tt->cap) {
		i = (int)tt->fresh++;
	} else {
		return NULL;
	}
	t = &tt->t[i];
	memset(t, 0, sizeof(*t));
	t->used = true;
	memcpy(t->key, key, key_len);
	t->key_len = key_len;
	t->key_hash = hash_bytes(key, key_len);
	b = t->key_hash & (tt->nbuckets - 1);
	t->key_next = tt->key_buckets[b];
	tt->key_buckets[b] = i;
	t->branch_next = -1;
	t->wheel_slot = -1;
	t->parent = -1;
	t->list = TXN_TIMED;
	link_in(tt, t);
	tt->used++;
	tt->pending++;	/* a server record until made a branch */
	return t;
}

struct txn *txn_find_key(const struct txn_table *tt, const char *key,
			 size_t key_len)
{
	uint64_t h = hash_bytes(key, key_len);
	int i = tt->key_buckets[h & (tt->nbuckets - 1)];

	for (; i >= 0; i = tt->t[i].key_next) {
		const struct txn *t = &tt->t[i];

		if (t->key_hash == h && t->key_len == key_len &&
		    !memcmp(t->key, key, key_len))
			return &tt->t[i];
	}
	return NULL;
}

void txn_set_branch(struct txn_table *tt, struct txn *t, const char *branch)
{
	int i = (int)(t - tt->t);
	uint32_t b;

	snprintf(t->branch, sizeof(t->branch), "%s", branch);
	t->branch_hash = hash_bytes(t->branch, strlen(t->branch));
	b = t->branch_hash & (tt->nbuckets - 1);
	t->branch_next = tt->branch_buckets[b];
	tt->branch_buckets[b] = i;
}

struct txn *txn_find_branch(const struct txn_table *tt,
			    struct sip_slice branch)
{
	uint64_t h = hash_bytes(branch.p, branch.len);
	int i = tt->branch_buckets[h & (tt->nbuckets - 1)];

	for (; i >= 0; i = tt->t[i].branch_next) {
		const struct txn *t = &tt->t[i];

		if (t->branch_hash == h && strlen(t->branch) == branch.len &&
		    !memcmp(t->branch, branch.p, branch.len))
			return &tt->t[i];
	}
	return NULL;
}

/* Take index i off the chain that starts at *head, linked by field. */
static void unchain(struct txn_table *tt, int *head, int i, bool by_branch)
{
	int *link = head;

	while (*link >= 0 && *link != i)
		link = by_branch ? &tt->t[*link].branch_next :
				   &tt->t[*link].key_next;
	if (*link == i)
		*link = by_branch ? tt->t[i].branch_next : tt->t[i].key_next;
}

static void wheel_out(struct txn_table *tt, struct txn *t)
{
	if (t->wheel_slot < 0)
		return;
	if (t->wheel_prev >= 0)
		tt->t[t->wheel_prev].wheel_next = t->wheel_next;
	else
		tt->wheel[t->wheel_slot] = t->wheel_next;
	if (t->wheel_next >= 0)
		tt->t[t->wheel_next].wheel_prev = t->wheel_prev;
	t->wheel_slot = -1;
}

/* Put t on the slot of the second of at. */
static void wheel_in(struct txn_table *tt, struct txn *t, uint64_t at)
{
	int i = (int)(t - tt->t);
	int slot = (int)(at / TXN_WHEEL_MS % TXN_WHEEL_SLOTS);

	wheel_out(tt, t);
	t->wheel_slot = slot;
	t->wheel_prev = -1;
	t->wheel_next = tt->wheel[slot];
	if (t->wheel_next >= 0)
		tt->t[t->wheel_next].wheel_prev = i;
	tt->wheel[slot] = i;
}

void txn_linger(struct txn_table *tt, struct txn *t, uint64_t until)
{
	if (until <= t->end_at)
		return;
	t->end_at = until;
	wheel_in(tt, t, until);
}

void txn_delete(struct txn_table *tt, struct txn *t)
{
	int i = (int)(t - tt->t);

	if (!t->used)
		return;
	if (txn_pending(t))
		tt->pending--;
	unchain(tt, &tt->key_buckets[t->key_hash & (tt->nbuckets - 1)], i,
		false);
	if (t->branch[0])
		unchain(tt,
			&tt->branch_buckets[t->branch_hash &
					    (tt->nbuckets - 1)],
			i, true);
	link_out(tt, t);
	wheel_out(tt, t);
	if (t->parent >= 0)
		tt->t[t->parent].children--;
	txn_release(t);
	t->used = false;
	t->next = tt->free_head;
	tt->free_head = i;
	tt->used--;
}

struct txn *txn_first(const struct txn_table *tt, enum txn_list list)
{
	return tt->head[list] >= 0 ? &tt->t[tt->head[list]] : NULL;
}

struct txn *txn_after(const struct txn_table *tt, int next)
{
	return next >= 0 ? &tt->t[next] : NULL;
}

void txn_add_branch(struct txn_table *tt, struct txn *srv, struct txn *t)
{
	if (txn_pending(t))
		tt->pending--;
	t->parent = (int)(srv - tt->t);
	srv->branches[srv->nbranches++] = (int)(t - tt->t);
	srv->children++;
}

/* Free what is due on one slot; a record due but with branches alive
 * moves to the next second's slot, one not due (a later lap) stays. */
static size_t sweep_slot(struct txn_table *tt, int slot, uint64_t now_ms)
{
	int i = tt->wheel[slot], next;
	size_t count = 0;

	for (; i >= 0; i = next) {
		struct txn *t = &tt->t[i];

		next = t->wheel_next;
		if (t->end_at > now_ms)
			continue;
		if (t->children) {
			wheel_in(tt, t, now_ms + TXN_WHEEL_MS);
			continue;
		}
		txn_delete(tt, t);
		count++;
	}
	return count;
}

size_t txn_expire(struct txn_table *tt, uint64_t now_ms)
{
	uint64_t sec, now_sec = now_ms / TXN_WHEEL_MS;
	size_t count = 0;

	/* Every second since the last sweep, a whole lap at most; the
	 * current second is swept again next time (more may fall due). */
	sec = tt->wheel_sec;
	if (now_sec >= TXN_WHEEL_SLOTS && sec < now_sec - (TXN_WHEEL_SLOTS - 1))
		sec = now_sec - (TXN_WHEEL_SLOTS - 1);
	for (; sec <= now_sec; sec++)
		count += sweep_slot(tt, (int)(sec % TXN_WHEEL_SLOTS), now_ms);
	tt->wheel_sec = now_sec;
	return count;
}

int txn_keep(char **dst, size_t *dst_len, const char *buf, size_t len)
{
	char *copy = malloc(len ? len : 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	free(*dst);
	*dst = copy;
	*dst_len = len;
	return 0;
}

void txn_set_final(struct txn_table *tt, struct txn *t, unsigned int status)
{
	if (txn_pending(t) && status)
		tt->pending--;
	t->final_status = status;
}
