// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_location_index.c - the AOR index siplb_aors (include/siplb_location.h)
 * kept by user/lib/location.c, against real BPF maps:
 *
 *   - location_put sets the slot's bit, location_remove clears it, and the
 *     last one removes the AOR's entry;
 *   - location_read reads only the slots the index names (a binding whose
 *     bit is missing is not seen; without an index every slot is probed);
 *   - a refused put (siplb_location full) leaves no bit behind;
 *   - the sweep clears the bits of what it removes, and starts a new pass
 *     only every so many seconds after the last one ended;
 *   - location_index_rebuild indexes bindings written without an index
 *     (maps pinned by an older siplb).
 *
 * Needs root (bpf_map_create).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "endpoint.h"
#include "location.h"
#include "location_sweep.h"
#include "siplb_location.h"
#include "testlib.h"

#define NOW	1800000000ULL
#define AOR	"sip:alice@example.com"

static struct location L = { -1, -1, 10, -1 };

static void maps_down(void)
{
	int *fds[] = { &L.bindings_fd, &L.sources_fd, &L.aors_fd };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static bool maps_up(__u32 entries)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);

	maps_down();
	L.max_contacts = 10;
	L.bindings_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_location",
				       sizeof(struct siplb_location_key),
				       sizeof(struct siplb_binding), entries,
				       &o);
	L.sources_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_sources",
				      sizeof(struct siplb_addr),
				      sizeof(struct siplb_source), 64, &o);
	L.aors_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_aors",
				   sizeof(struct siplb_aor_key),
				   sizeof(struct siplb_aor), entries, &o);
	return ASSERT_GE(L.bindings_fd, 0, "siplb_location (needs root)") &&
	       ASSERT_GE(L.sources_fd, 0, "siplb_sources") &&
	       ASSERT_GE(L.aors_fd, 0, "siplb_aors");
}

static void binding(struct siplb_binding *b, unsigned int n, __u64 expires)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->contact, sizeof(b->contact), "sip:c%u@192.0.2.%u", n,
		 n + 1);
	b->source.family = SIPLB_AF_INET;
	b->source.addr[0] = htonl(0xc0000201 + n);	/* 192.0.2.n+1 */
	b->source.port = htons(5060);
	b->expires_at = expires;
}

static bool put(const char *aor, __u32 slot, __u64 expires)
{
	struct siplb_binding b;

	binding(&b, slot, expires);
	return ASSERT_OK(location_put(&L, aor, strlen(aor), slot, &b),
			 "location_put");
}

/* The AOR's bitmap (low word), -1 if it has no entry. */
static long long bits(const char *aor)
{
	struct siplb_aor_key k = {};
	struct siplb_aor v;

	strncpy(k.aor, aor, sizeof(k.aor));
	if (bpf_map_lookup_elem(L.aors_fd, &k, &v))
		return -1;
	return (long long)v.slots[0];
}

static size_t readn(const char *aor)
{
	static struct location_set set;

	if (!ASSERT_OK(location_read(&L, aor, strlen(aor), NOW, &set),
		       "location_read"))
		return (size_t)-1;
	return set.n;
}

TEST(put_and_remove_keep_the_bitmap)
{
	struct siplb_binding b;

	if (!maps_up(64))
		return;
	if (!put(AOR, 0, NOW + 60) || !put(AOR, 3, NOW + 60))
		return;
	ASSERT_EQ(bits(AOR), 0x9, "slots 0 and 3 marked");
	ASSERT_EQ(readn(AOR), 2, "both read");
	put(AOR, 3, NOW + 120);
	ASSERT_EQ(bits(AOR), 0x9, "a refresh changes nothing");
	binding(&b, 0, NOW + 60);
	ASSERT_OK(location_remove(&L, AOR, strlen(AOR), 0, &b), "remove 0");
	ASSERT_EQ(bits(AOR), 0x8, "slot 3 left");
	binding(&b, 3, NOW + 120);
	ASSERT_OK(location_remove(&L, AOR, strlen(AOR), 3, &b), "remove 3");
	ASSERT_EQ(bits(AOR), -1, "the last slot takes the entry");
	ASSERT_EQ(readn(AOR), 0, "nothing read");
}

TEST(read_follows_the_index)
{
	struct siplb_location_key key;
	struct siplb_binding b;
	int fd;

	if (!maps_up(64) || !put(AOR, 1, NOW + 60))
		return;
	/* slot 2 written behind the index's back: not a binding it knows */
	location_key(AOR, strlen(AOR), &key);
	key.slot = 2;
	binding(&b, 2, NOW + 60);
	ASSERT_OK(bpf_map_update_elem(L.bindings_fd, &key, &b, BPF_ANY),
		  "raw write");
	ASSERT_EQ(readn(AOR), 1, "the index names slot 1 only");
	ASSERT_EQ(readn("sip:nobody@example.com"), 0, "no entry: nothing");
	fd = L.aors_fd;
	L.aors_fd = -1;
	ASSERT_EQ(readn(AOR), 2, "without an index every slot is probed");
	L.aors_fd = fd;
}

TEST(stale_bit_reads_as_free)
{
	static struct location_set set;
	struct siplb_location_key key;

	if (!maps_up(64) || !put(AOR, 0, NOW + 60) || !put(AOR, 1, NOW + 60))
		return;
	location_key(AOR, strlen(AOR), &key);
	key.slot = 0;
	ASSERT_OK(bpf_map_delete_elem(L.bindings_fd, &key), "raw delete");
	ASSERT_OK(location_read(&L, AOR, strlen(AOR), NOW, &set), "read");
	ASSERT_EQ(set.n, 1, "one binding");
	ASSERT_EQ(set.slot[0], 1, "in slot 1");
	ASSERT_EQ(set.free_slots, 9, "9 free");
}

TEST(refused_put_leaves_no_bit)
{
	struct siplb_binding b;

	if (!maps_up(1) || !put(AOR, 0, NOW + 60))
		return;
	binding(&b, 0, NOW + 60);
	ASSERT_EQ(location_put(&L, "sip:bob@example.com", 19, 0, &b), -E2BIG,
		  "index full: refused");
	ASSERT_EQ(location_put(&L, AOR, strlen(AOR), 1, &b), -E2BIG,
		  "siplb_location full: refused");
	ASSERT_EQ(bits(AOR), 0x1, "slot 1's bit taken back");
	ASSERT_EQ(bits("sip:bob@example.com"), -1, "no entry for bob");
}

TEST(sweep_clears_bits)
{
	__u64 removed = 0;

	if (!maps_up(64) || !put(AOR, 0, NOW - 1) || !put(AOR, 2, NOW + 60) ||
	    !put("sip:bob@example.com", 0, NOW - 5))
		return;
	ASSERT_OK(location_sweep(&L, NOW, &removed), "sweep");
	ASSERT_EQ(removed, 2, "two expired");
	ASSERT_EQ(bits(AOR), 0x4, "alice: slot 2 left");
	ASSERT_EQ(bits("sip:bob@example.com"), -1, "bob: entry gone");
}

static const struct due_case {
	const char *name;
	struct location_cursor cur;
	__u64 now;
	bool due;
} due_cases[] = {
	{ "never swept", { 0 }, NOW, true },
	{ "pass ended 1 s ago", { .pass_end = NOW - 1 }, NOW, false },
	{ "pass ended 9 s ago", { .pass_end = NOW - 9 }, NOW, false },
	{ "pass ended 10 s ago", { .pass_end = NOW - 10 }, NOW, true },
	{ "within a pass", { .started = true, .pass_end = NOW - 1 }, NOW, true },
	{ "clock set back", { .pass_end = NOW + 60 }, NOW, true },
};

TEST(sweep_paces_its_passes)
{
	struct location_cursor cur = { 0 };
	__u64 removed = 0;
	size_t i;

	for (i = 0; i < sizeof(due_cases) / sizeof(due_cases[0]); i++)
		ASSERT_EQ(location_sweep_due(&due_cases[i].cur, due_cases[i].now,
					     10),
			  due_cases[i].due, due_cases[i].name);
	if (!maps_up(64) || !put(AOR, 0, NOW - 1))
		return;
	ASSERT_EQ(location_sweep_step(&L, NOW, &cur, 65536, &removed), 1,
		  "a small map: one step is the whole pass");
	ASSERT_EQ(removed, 1, "the expired binding removed");
	ASSERT_EQ(cur.pass_end, NOW, "the pass's end noted");
	ASSERT_FALSE(location_sweep_due(&cur, NOW + 9, 10),
		     "no new pass 9 s later");
	ASSERT_TRUE(location_sweep_due(&cur, NOW + 10, 10),
		    "a new pass 10 s later");
}

TEST(rebuild_indexes_old_bindings)
{
	struct siplb_location_key key;
	struct siplb_binding b;
	__u64 indexed = 0;
	__u32 slot;

	if (!maps_up(64))
		return;
	location_key(AOR, strlen(AOR), &key);
	for (slot = 4; slot < 7; slot++) {
		key.slot = slot;
		binding(&b, slot, NOW + 60);
		ASSERT_OK(bpf_map_update_elem(L.bindings_fd, &key, &b,
					      BPF_ANY), "old-style write");
	}
	ASSERT_EQ(readn(AOR), 0, "invisible before");
	ASSERT_OK(location_index_rebuild(&L, &indexed), "rebuild");
	ASSERT_EQ(indexed, 3, "three indexed");
	ASSERT_EQ(bits(AOR), 0x70, "slots 4..6");
	ASSERT_EQ(readn(AOR), 3, "all three read");
}

/* siplb_sources' entry for 192.0.2.(n+1): bindings, expires_at. */
static bool source_of(unsigned int n, struct siplb_source *src)
{
	struct siplb_addr a = {};
	struct siplb_binding b;

	binding(&b, n, 0);
	endpoint_addr(&b.source, &a);
	return !bpf_map_lookup_elem(L.sources_fd, &a, src);
}

TEST(replace_moves_the_source_count)
{
	struct siplb_source src;
	struct siplb_binding old, b;

	if (!maps_up(64) || !put(AOR, 0, NOW + 60))
		return;
	binding(&old, 0, NOW + 60);
	binding(&b, 0, NOW + 600);
	ASSERT_OK(location_replace(&L, AOR, strlen(AOR), 0, &b, &old),
		  "refresh from the same source");
	ASSERT_TRUE(source_of(0, &src), "source still counted");
	ASSERT_EQ(src.bindings, 1, "once");
	ASSERT_EQ(src.expires_at, NOW + 600, "until the new expiry");
	binding(&old, 1, NOW + 700);	/* the same slot, from 192.0.2.2 */
	ASSERT_OK(location_replace(&L, AOR, strlen(AOR), 0, &old, &b),
		  "refresh from another source");
	ASSERT_FALSE(source_of(0, &src), "the old source let go");
	ASSERT_TRUE(source_of(1, &src), "the new source counted");
	ASSERT_EQ(src.bindings, 1, "once");
	ASSERT_EQ(bits(AOR), 0x1, "the bit stays");
	ASSERT_EQ(readn(AOR), 1, "one binding");
}

int main(int argc, char **argv)
{
	int rc = testlib_main(argc, argv);

	maps_down();
	return rc;
}
