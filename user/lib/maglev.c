// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * maglev.c - the weighted Maglev table builder (Eisenbud et al., NSDI 2016).
 *
 * Every backend walks its own permutation of the slots, starting at
 * `offset` and stepping by `skip` (both drawn from a hash of its key; the
 * size is prime, so any skip in 1..size-1 visits every slot once). The
 * backends take turns, each claiming the next slot of its permutation that
 * is still free, until the table is full.
 *
 * Weights follow Katran's MaglevHashV2: in each round a backend adds its
 * weight to a credit and claims one slot when the credit reaches the
 * largest weight present (which it then pays back). A backend of the
 * largest weight claims a slot every round, one of half that weight every
 * other round, so shares come out in proportion to the weights. A backend
 * with less than 1/size of the total weight may get no slot at all.
 *
 * Turns are taken in the order of the backend keys, not of the array the
 * caller passes, so that the table depends only on the set of backends.
 * Nothing here is secret: the hash keys are fixed so that every host, and
 * every restart, builds the same table from the same configuration.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"
#include "siplb_hash.h"

/*
 * Fixed SipHash keys ("maglev-offset-01", "maglev-skip-0001" in ASCII). Two
 * independent keys make offset and skip independent of each other. The
 * Call-ID hash carries the secret; these only need to spread backends.
 */
static const __u64 maglev_offset_key[2] = { 0x6d61676c65762d6fULL,
					    0x66667365742d3031ULL };
static const __u64 maglev_skip_key[2] = { 0x6d61676c65762d73ULL,
					  0x6b69702d30303031ULL };

/* One backend's walk through its permutation while the table fills. */
struct maglev_walk {
	__u32 id;
	__u32 weight;
	__u32 next;	/* slot to try next */
	__u32 skip;	/* 1..size-1 */
	__u64 credit;	/* weight earned and not yet spent on a slot */
};

static bool is_prime(__u32 n)
{
	__u32 d;

	if (n < 2)
		return false;
	for (d = 2; (__u64)d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

static int cmp_by_id(const void *a, const void *b)
{
	const struct maglev_backend *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Keys compare as byte strings; a proper prefix sorts first. */
static int cmp_by_key(const void *a, const void *b)
{
	const struct maglev_backend *x = a, *y = b;
	size_t len = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, len);

	if (c)
		return c;
	return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static int check_backend(const struct maglev_backend *b)
{
	if (b->id == 0 || !b->key || b->key_len == 0 ||
	    b->key_len > MAGLEV_KEY_MAX)
		return -EINVAL;
	return 0;
}

/*
 * Check every backend, then sort the copy `s` by key. Sorting by id first
 * puts duplicate ids side by side; sorting by key then does the same for
 * keys and fixes the order in which backends take turns.
 */
static int sort_and_check(struct maglev_backend *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (check_backend(&s[i]))
			return -EINVAL;
	qsort(s, n, sizeof(*s), cmp_by_id);
	for (i = 1; i < n; i++)
		if (s[i].id == s[i - 1].id)
			return -EINVAL;
	qsort(s, n, sizeof(*s), cmp_by_key);
	for (i = 1; i < n; i++)
		if (cmp_by_key(&s[i], &s[i - 1]) == 0)
			return -EINVAL;
	return 0;
}

/* key_len was checked to be at most MAGLEV_KEY_MAX, the bound passed. */
static __u64 key_hash(const struct maglev_backend *b, const __u64 key[2])
{
	return siplb_siphash(b->key, (__u32)b->key_len, MAGLEV_KEY_MAX, key);
}

/* Start each weighted backend's walk; returns how many walks there are. */
static size_t init_walks(const struct maglev_backend *s, size_t n,
			 struct maglev_walk *w, __u32 size, __u32 *max_weight)
{
	size_t i, nw = 0;

	*max_weight = 0;
	for (i = 0; i < n; i++) {
		if (s[i].weight == 0)
			continue;
		w[nw].id = s[i].id;
		w[nw].weight = s[i].weight;
		w[nw].next = key_hash(&s[i], maglev_offset_key) % size;
		w[nw].skip = key_hash(&s[i], maglev_skip_key) % (size - 1) + 1;
		w[nw].credit = 0;
		if (s[i].weight > *max_weight)
			*max_weight = s[i].weight;
		nw++;
	}
	return nw;
}

/* next + skip modulo size, without overflow for sizes above 2^31. */
static void walk_step(struct maglev_walk *w, __u32 size)
{
	if (w->next >= size - w->skip)
		w->next -= size - w->skip;
	else
		w->next += w->skip;
}

/* Claim the first free slot of w's permutation (one exists: not full). */
static void walk_claim(struct maglev_walk *w, __u32 *table, __u32 size)
{
	while (table[w->next])
		walk_step(w, size);
	table[w->next] = w->id;
	walk_step(w, size);
}

/*
 * Rounds of turns until every slot is taken. Credit stays below
 * max_weight between rounds and a round adds at most max_weight, so a
 * backend claims at most one slot per round.
 */
static void fill_table(struct maglev_walk *w, size_t nw, __u32 max_weight,
		       __u32 *table, __u32 size)
{
	__u32 filled = 0;
	size_t i;

	for (;;) {
		for (i = 0; i < nw; i++) {
			w[i].credit += w[i].weight;
			if (w[i].credit < max_weight)
				continue;
			w[i].credit -= max_weight;
			walk_claim(&w[i], table, size);
			if (++filled == size)
				return;
		}
	}
}

int maglev_build(const struct maglev_backend *backends, size_t n, __u32 *table,
		 __u32 size)
{
	struct maglev_backend *sorted = NULL;
	struct maglev_walk *walks = NULL;
	__u32 max_weight;
	size_t nw;
	int err;

	if (!is_prime(size) || !table || (n && !backends))
		return -EINVAL;
	if (n == 0) {
		memset(table, 0, (size_t)size * sizeof(*table));
		return 0;
	}
	if (n > SIZE_MAX / sizeof(*sorted))
		return -ENOMEM;
	sorted = malloc(n * sizeof(*sorted));
	walks = calloc(n, sizeof(*walks));
	if (!sorted || !walks) {
		err = -ENOMEM;
		goto cleanup;
	}
	memcpy(sorted, backends, n * sizeof(*sorted));
	err = sort_and_check(sorted, n);
	if (err)
		goto cleanup;
	/* Only now, with the input known good, touch the caller's table. */
	memset(table, 0, (size_t)size * sizeof(*table));
	nw = init_walks(sorted, n, walks, size, &max_weight);
	if (nw)
		fill_table(walks, nw, max_weight, table, size);
cleanup:
	free(walks);
	free(sorted);
	return err;
}
