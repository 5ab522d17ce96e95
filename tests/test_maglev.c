// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_maglev.c - unit tests for the Maglev table builder (user/lib/maglev.c).
 *
 * Besides checking the properties the XDP fast path relies on (every slot
 * names a live backend, the table depends only on the set of backends,
 * shares follow the weights, taking one backend out moves about 1/N of the
 * calls), the tests print the measured spread and disruption as lines
 * starting with "maglev:" so that the docs can quote them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <time.h>

#include "maglev.h"
#include "siplb_maps.h"
#include "testlib.h"

#define MAX_TEST_BACKENDS 128

static __u32 table_a[SIPLB_RING_SIZE];
static __u32 table_b[SIPLB_RING_SIZE];
static struct siplb_endpoint eps[MAX_TEST_BACKENDS];

/* n backends 10.0.0.1.. port 5060, ids 1..n, weight 1, keyed by endpoint. */
static void make_backends(struct maglev_backend *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&eps[i], 0, sizeof(eps[i]));
		eps[i].addr[0] = htonl(0x0a000001 + i);
		eps[i].port = htons(5060);
		eps[i].family = SIPLB_AF_INET;
		b[i].id = i + 1;
		b[i].weight = 1;
		b[i].key = &eps[i];
		b[i].key_len = sizeof(eps[i]);
	}
}

/* Slots holding each id; ids above max_id count into counts[0]. */
static void count_slots(const __u32 *t, __u32 size, __u32 *counts,
			__u32 max_id)
{
	__u32 i;

	memset(counts, 0, (max_id + 1) * sizeof(*counts));
	for (i = 0; i < size; i++)
		counts[t[i] <= max_id ? t[i] : 0]++;
}

static __u32 slots_differing(const __u32 *a, const __u32 *b, __u32 size)
{
	__u32 i, n = 0;

	for (i = 0; i < size; i++)
		n += a[i] != b[i];
	return n;
}

/* Fisher-Yates with a fixed xorshift seed: the shuffle is reproducible. */
static void shuffle(struct maglev_backend *b, size_t n, __u64 *seed)
{
	struct maglev_backend tmp;
	size_t i, j;

	for (i = n - 1; i > 0; i--) {
		*seed ^= *seed << 13;
		*seed ^= *seed >> 7;
		*seed ^= *seed << 17;
		j = *seed % (i + 1);
		tmp = b[i];
		b[i] = b[j];
		b[j] = tmp;
	}
}

static double elapsed_ms(const struct timespec *t0, const struct timespec *t1)
{
	return (t1->tv_sec - t0->tv_sec) * 1e3 +
	       (t1->tv_nsec - t0->tv_nsec) / 1e6;
}

TEST(empty_and_weightless)
{
	struct maglev_backend b[3];
	__u32 counts[4];

	memset(table_a, 0xab, sizeof(table_a));
	ASSERT_OK(maglev_build(NULL, 0, table_a, SIPLB_RING_SIZE),
		  "build with no backends");
	count_slots(table_a, SIPLB_RING_SIZE, counts, 0);
	ASSERT_EQ(counts[0], SIPLB_RING_SIZE, "no backends: every slot 0");

	make_backends(b, 3);
	b[0].weight = b[1].weight = b[2].weight = 0;
	memset(table_a, 0xab, sizeof(table_a));
	ASSERT_OK(maglev_build(b, 3, table_a, SIPLB_RING_SIZE),
		  "build with three weight-0 backends");
	count_slots(table_a, SIPLB_RING_SIZE, counts, 3);
	ASSERT_EQ(counts[0], SIPLB_RING_SIZE, "all weight 0: every slot 0");
}

TEST(single_backend)
{
	static const __u32 sizes[] = { 2, 3, 13, 65521, SIPLB_RING_SIZE };
	struct maglev_backend b;
	__u32 counts[8];
	size_t i;

	make_backends(&b, 1);
	b.id = 7;
	b.weight = 3;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (!ASSERT_OK(maglev_build(&b, 1, table_a, sizes[i]),
			       "build with one backend"))
			continue;
		count_slots(table_a, sizes[i], counts, 7);
		ASSERT_EQ(counts[7], sizes[i], "one backend owns every slot");
	}
}

TEST(deterministic_and_order_independent)
{
	struct maglev_backend b[100];
	__u64 seed = 0x5eed5eed5eedULL;
	int round;

	make_backends(b, 100);
	b[3].weight = 4;	/* weights take part in the order, too */
	b[42].weight = 2;
	if (!ASSERT_OK(maglev_build(b, 100, table_a, SIPLB_RING_SIZE),
		       "first build"))
		return;
	ASSERT_OK(maglev_build(b, 100, table_b, SIPLB_RING_SIZE),
		  "second build");
	ASSERT_EQ(slots_differing(table_a, table_b, SIPLB_RING_SIZE), 0,
		  "same input twice: identical tables");
	for (round = 0; round < 5; round++) {
		shuffle(b, 100, &seed);
		ASSERT_OK(maglev_build(b, 100, table_b, SIPLB_RING_SIZE),
			  "shuffled build");
		ASSERT_EQ(slots_differing(table_a, table_b, SIPLB_RING_SIZE),
			  0, "shuffled input: identical table");
	}
}

/*
 * Ids are labels; the key is the identity. Renumbering every backend must
 * relabel its slots, not move them, or a renumbering would re-hash calls.
 */
TEST(renumbered_ids_keep_their_slots)
{
	struct maglev_backend b[100];
	__u32 i, moved = 0;

	make_backends(b, 100);
	if (!ASSERT_OK(maglev_build(b, 100, table_a, SIPLB_RING_SIZE),
		       "build with ids 1..100"))
		return;
	for (i = 0; i < 100; i++)
		b[i].id = 1000 - i;
	if (!ASSERT_OK(maglev_build(b, 100, table_b, SIPLB_RING_SIZE),
		       "build with ids 1000..901"))
		return;
	for (i = 0; i < SIPLB_RING_SIZE; i++)
		moved += table_b[i] != 1000 - (table_a[i] - 1);
	ASSERT_EQ(moved, 0, "every slot keeps its backend under new ids");
}

/*
 * Largest |slots - expected| / expected over ids 1..n, where id i + 1
 * expects weights[i] / total of the table. Weight 0 entries are skipped.
 */
static double max_share_error(const __u32 *counts, const __u32 *weights,
			      size_t n, __u32 size)
{
	double total = 0, want, err, worst = 0;
	size_t i;

	for (i = 0; i < n; i++)
		total += weights[i];
	for (i = 0; i < n; i++) {
		if (weights[i] == 0)
			continue;
		want = size * weights[i] / total;
		err = (counts[i + 1] - want) / want;
		err = err < 0 ? -err : err;
		worst = err > worst ? err : worst;
	}
	return worst;
}

TEST(spread_equal_weights)
{
	struct maglev_backend b[100];
	__u32 counts[101], weights[100], lo = ~0u, hi = 0;
	struct timespec t0, t1;
	double dev, ms;
	size_t i;

	make_backends(b, 100);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!ASSERT_OK(maglev_build(b, 100, table_a, SIPLB_RING_SIZE),
		       "build 100 backends"))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = elapsed_ms(&t0, &t1);
	count_slots(table_a, SIPLB_RING_SIZE, counts, 100);
	ASSERT_EQ(counts[0], 0, "every slot names a backend");
	for (i = 0; i < 100; i++) {
		weights[i] = 1;
		lo = counts[i + 1] < lo ? counts[i + 1] : lo;
		hi = counts[i + 1] > hi ? counts[i + 1] : hi;
	}
	dev = max_share_error(counts, weights, 100, SIPLB_RING_SIZE);
	testlib_note("maglev: spread N=100 size=%u: max deviation from mean %.3f%% (slots per backend %u..%u); build %.2f ms\n",
		     SIPLB_RING_SIZE, dev * 100, lo, hi, ms);
	ASSERT_LE(dev, 0.03, "each share within 3% of 1/100");
	/* Loose enough for -O0 and a busy CI box; a regression is 10x. */
	ASSERT_LE(ms, 100, "build of 65537 slots x 100 backends in 100 ms");
}

TEST(weights_respected)
{
	static const struct {
		__u32 w[4];
		size_t n;
	} cases[] = {
		{ { 1, 2, 3, 4 }, 4 },
		{ { 1, 1, 1, 10 }, 4 },
		{ { 5, 1 }, 2 },
		{ { 100, 1, 50 }, 3 },
		{ { 3, 0, 1 }, 3 },	/* weight 0: no slot, the others 3:1 */
	};
	struct maglev_backend b[4];
	__u32 counts[5];
	double err;
	size_t c, i;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		make_backends(b, cases[c].n);
		for (i = 0; i < cases[c].n; i++)
			b[i].weight = cases[c].w[i];
		if (!ASSERT_OK(maglev_build(b, cases[c].n, table_a,
					    SIPLB_RING_SIZE),
			       "weighted build"))
			continue;
		count_slots(table_a, SIPLB_RING_SIZE, counts, cases[c].n);
		ASSERT_EQ(counts[0], 0, "every slot names a backend");
		for (i = 0; i < cases[c].n; i++)
			if (cases[c].w[i] == 0)
				ASSERT_EQ(counts[i + 1], 0,
					  "weight 0 backend owns no slot");
		err = max_share_error(counts, cases[c].w, cases[c].n,
				      SIPLB_RING_SIZE);
		testlib_note("maglev: weights case %zu: max share error %.3f%%\n", c,
			     err * 100);
		ASSERT_LE(err, 0.03, "each share within 3% of weight/total");
	}
}

/*
 * Remove backend `gone` from b[0..n) and rebuild into table_b. Returns
 * the slots that moved although their backend stayed, or -1 on failure.
 */
static long remove_one(struct maglev_backend *b, size_t n, size_t gone)
{
	struct maglev_backend rest[MAX_TEST_BACKENDS];
	__u32 id = b[gone].id, i, own = 0, moved, kept = 0;

	memcpy(rest, b, n * sizeof(*b));
	rest[gone] = rest[n - 1];
	if (!ASSERT_OK(maglev_build(rest, n - 1, table_b, SIPLB_RING_SIZE),
		       "build without one backend"))
		return -1;
	for (i = 0; i < SIPLB_RING_SIZE; i++) {
		own += table_a[i] == id;
		kept += table_a[i] == id && table_b[i] == id;
	}
	moved = slots_differing(table_a, table_b, SIPLB_RING_SIZE);
	ASSERT_EQ(kept, 0, "every slot of the removed backend moves");
	ASSERT_LE(moved, SIPLB_RING_SIZE / (double)n + SIPLB_RING_SIZE * 0.01,
		  "slots moved <= 1/N + 1% of the table");
	return moved - own;
}

static void check_disruption(size_t n)
{
	struct maglev_backend b[MAX_TEST_BACKENDS];
	double sum = 0, worst = 0, frac;
	size_t gone;
	long extra;

	make_backends(b, n);
	if (!ASSERT_OK(maglev_build(b, n, table_a, SIPLB_RING_SIZE),
		       "build all backends"))
		return;
	for (gone = 0; gone < n; gone++) {
		extra = remove_one(b, n, gone);
		if (extra < 0)
			return;
		frac = extra / (double)SIPLB_RING_SIZE;
		sum += frac;
		worst = frac > worst ? frac : worst;
	}
	/* Its own slots average exactly 1/N: the N backends own the table. */
	testlib_note("maglev: disruption N=%zu size=%u: removing one backend moves its own slots (1/N = %.3f%% on average) plus %.3f%% of the table on average, %.3f%% at worst, over all %zu removals\n",
		     n, SIPLB_RING_SIZE, 100.0 / n, sum / n * 100, worst * 100, n);
}

TEST(minimal_disruption)
{
	check_disruption(10);
	check_disruption(100);
}

TEST(weight_zero_same_as_absent_and_re_add_restores)
{
	struct maglev_backend b[100], rest[100];

	make_backends(b, 100);
	if (!ASSERT_OK(maglev_build(b, 100, table_a, SIPLB_RING_SIZE),
		       "build all backends"))
		return;
	/* Draining backend 37 (weight 0) is the same as removing it. */
	memcpy(rest, b, sizeof(b));
	rest[36] = rest[99];
	ASSERT_OK(maglev_build(rest, 99, table_b, SIPLB_RING_SIZE),
		  "build without backend 37");
	b[36].weight = 0;
	ASSERT_OK(maglev_build(b, 100, table_a, SIPLB_RING_SIZE),
		  "build with backend 37 at weight 0");
	ASSERT_EQ(slots_differing(table_a, table_b, SIPLB_RING_SIZE), 0,
		  "weight 0 gives the table of the list without it");
	/* Adding it back (at the end of the list) restores the original. */
	rest[99] = b[36];
	rest[99].weight = 1;
	b[36].weight = 1;
	ASSERT_OK(maglev_build(b, 100, table_a, SIPLB_RING_SIZE),
		  "original build");
	ASSERT_OK(maglev_build(rest, 100, table_b, SIPLB_RING_SIZE),
		  "build with backend 37 added back last");
	ASSERT_EQ(slots_differing(table_a, table_b, SIPLB_RING_SIZE), 0,
		  "adding the backend back restores the original table");
}

/* Keys for the invalid-input cases: any distinct byte strings will do. */
static const char key_a[] = "10.0.0.1:5060";
static const char key_b[] = "10.0.0.2:5060";
static const __u8 key_long[MAGLEV_KEY_MAX + 1];

#define BE_A { 1, 1, key_a, sizeof(key_a) }
#define BE_B { 2, 1, key_b, sizeof(key_b) }

static const struct {
	const char *what;
	__u32 size;
	struct maglev_backend b[2];
	bool null_backends, null_table;
	int want;
} invalid_cases[] = {
	{ "valid (control)", SIPLB_RING_SIZE, { BE_A, BE_B }, false, false, 0 },
	{ "size 0", 0, { BE_A, BE_B }, false, false, -EINVAL },
	{ "size 1", 1, { BE_A, BE_B }, false, false, -EINVAL },
	{ "size 4", 4, { BE_A, BE_B }, false, false, -EINVAL },
	{ "size 65535 = 3*5*17*257", 65535, { BE_A, BE_B }, false, false,
	  -EINVAL },
	{ "size 65536", 65536, { BE_A, BE_B }, false, false, -EINVAL },
	{ "id 0", SIPLB_RING_SIZE, { BE_A, { 0, 1, key_b, sizeof(key_b) } },
	  false, false, -EINVAL },
	{ "id 0 at weight 0", SIPLB_RING_SIZE,
	  { BE_A, { 0, 0, key_b, sizeof(key_b) } }, false, false, -EINVAL },
	{ "duplicate ids", SIPLB_RING_SIZE,
	  { BE_A, { 1, 1, key_b, sizeof(key_b) } }, false, false, -EINVAL },
	{ "duplicate keys", SIPLB_RING_SIZE,
	  { BE_A, { 2, 1, key_a, sizeof(key_a) } }, false, false, -EINVAL },
	{ "key_len 0", SIPLB_RING_SIZE, { BE_A, { 2, 1, key_b, 0 } }, false,
	  false, -EINVAL },
	{ "key NULL", SIPLB_RING_SIZE, { BE_A, { 2, 1, NULL, 4 } }, false,
	  false, -EINVAL },
	{ "key_len MAGLEV_KEY_MAX + 1", SIPLB_RING_SIZE,
	  { BE_A, { 2, 1, key_long, sizeof(key_long) } }, false, false,
	  -EINVAL },
	{ "backends NULL with n 2", SIPLB_RING_SIZE, { BE_A, BE_B }, true,
	  false, -EINVAL },
	{ "table NULL", SIPLB_RING_SIZE, { BE_A, BE_B }, false, true,
	  -EINVAL },
};

TEST(invalid_input)
{
	__u32 i, touched;
	size_t c;
	int err;

	for (c = 0; c < sizeof(invalid_cases) / sizeof(invalid_cases[0]); c++) {
		memset(table_a, 0xab, sizeof(table_a));
		err = maglev_build(invalid_cases[c].null_backends ?
					   NULL : invalid_cases[c].b,
				   2,
				   invalid_cases[c].null_table ? NULL : table_a,
				   invalid_cases[c].size);
		ASSERT_EQ(err, invalid_cases[c].want, invalid_cases[c].what);
		if (invalid_cases[c].want == 0)
			continue;
		for (i = 0, touched = 0; i < SIPLB_RING_SIZE; i++)
			touched += table_a[i] != 0xabababab;
		ASSERT_EQ(touched, 0, "table left untouched on error");
	}
}

int main(int argc, char **argv)
{
	return testlib_main(argc, argv);
}
