// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_table_limits.c - what happens when a table is full, against real
 * BPF maps (and the real XDP program through BPF_PROG_TEST_RUN):
 *
 *   siplb_location full   a new binding is refused (-E2BIG; the registrar
 *                         answers 503 + Retry-After and counts it in
 *                         registrar.full: test_registrar's
 *                         location_map_full); a binding already there can
 *                         still be refreshed.
 *   siplb_sources full    (only if sized below siplb_location, which
 *                         siplbd never does) the binding is refused too and
 *                         nothing of it is left in siplb_location.
 *   siplb_affinity full   the LRU evicts the least recently used Call-ID;
 *                         new calls are still steered and remembered, and
 *                         a call whose entry was evicted still reaches the
 *                         same backend through the Maglev table (the
 *                         backend set did not change).
 *   siplb_blocked full    the LRU evicts the least recently used block:
 *                         the newest block always goes in, the map never
 *                         holds more than its size, and every block is
 *                         counted (auth_guard.blocks).
 *
 * Needs root (BPF, a network namespace for the XDP fixture).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "auth_guard.h"
#include "lb_table.h"
#include "location.h"
#include "log.h"
#include "packet.h"
#include "siplb_hash.h"
#include "sip_samples.h"
#include "testlib.h"
#include "xdp_fixture.h"

static struct xdp_fixture fix;
static bool fix_up;

/* ---- siplb_location and siplb_sources ------------------------------- */

static int map_new(enum bpf_map_type type, __u32 key, __u32 value,
		   __u32 entries, __u32 flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);

	return bpf_map_create(type, NULL, key, value, entries, &opts);
}

static bool loc_up(struct location *loc, __u32 bindings, __u32 sources)
{
	loc->max_contacts = SIPLB_CONTACTS_MAX;
	loc->bindings_fd = map_new(BPF_MAP_TYPE_HASH,
				   sizeof(struct siplb_location_key),
				   sizeof(struct siplb_binding), bindings,
				   BPF_F_NO_PREALLOC);
	loc->sources_fd = map_new(BPF_MAP_TYPE_HASH, sizeof(struct siplb_addr),
				  sizeof(struct siplb_source), sources,
				  BPF_F_NO_PREALLOC);
	loc->aors_fd = map_new(BPF_MAP_TYPE_HASH, sizeof(struct siplb_aor_key),
			       sizeof(struct siplb_aor), bindings,
			       BPF_F_NO_PREALLOC);
	return ASSERT_GE(loc->bindings_fd, 0, "create siplb_location") &&
	       ASSERT_GE(loc->sources_fd, 0, "create siplb_sources") &&
	       ASSERT_GE(loc->aors_fd, 0, "create siplb_aors");
}

static void loc_down(struct location *loc)
{
	if (loc->bindings_fd >= 0)
		close(loc->bindings_fd);
	if (loc->sources_fd >= 0)
		close(loc->sources_fd);
	if (loc->aors_fd >= 0)
		close(loc->aors_fd);
}

/* A binding from source 192.0.2.<src>. */
static void binding(struct siplb_binding *b, unsigned int user,
		    unsigned int src)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->contact, sizeof(b->contact), "sip:u%u@192.0.2.%u", user,
		 src);
	b->source.family = SIPLB_AF_INET;
	b->source.addr[0] = htonl(0xc0000200 + src);
	b->source.port = htons(5060);
	b->expires_at = 2000000000ULL;
}

static int put(struct location *loc, unsigned int user, __u32 slot,
	       const struct siplb_binding *b)
{
	char aor[64];

	snprintf(aor, sizeof(aor), "sip:u%u@example.com", user);
	return location_put(loc, aor, strlen(aor), slot, b);
}

static bool get(struct location *loc, unsigned int user, __u32 slot,
		struct siplb_binding *b)
{
	struct siplb_location_key key;
	char aor[64];

	snprintf(aor, sizeof(aor), "sip:u%u@example.com", user);
	location_key(aor, strlen(aor), &key);
	key.slot = slot;
	return !bpf_map_lookup_elem(loc->bindings_fd, &key, b);
}

static long long bindings_of_source(struct location *loc, unsigned int src)
{
	struct siplb_addr a = { .family = SIPLB_AF_INET };
	struct siplb_source s;

	a.addr[0] = htonl(0xc0000200 + src);
	if (bpf_map_lookup_elem(loc->sources_fd, &a, &s))
		return 0;
	return s.bindings;
}

static long long count(int fd)
{
	struct location l = { .bindings_fd = fd };
	__u64 n;

	return location_count(&l, &n) ? -1 : (long long)n;
}

TEST(location_full_refuses_new_bindings)
{
	struct location loc = { -1, -1, 0, -1 };
	struct siplb_binding b, got;
	unsigned int u;

	if (!loc_up(&loc, 4, 64))
		goto out;
	for (u = 0; u < 4; u++) {
		binding(&b, u, 1);
		ASSERT_OK(put(&loc, u, 0, &b), "room for 4 bindings");
	}
	binding(&b, 4, 1);
	ASSERT_EQ(put(&loc, 4, 0, &b), -E2BIG, "the fifth: -E2BIG (503)");
	ASSERT_EQ(count(loc.bindings_fd), 4, "still 4 bindings");
	ASSERT_FALSE(get(&loc, 4, 0, &got), "the refused one is not there");
	ASSERT_EQ(bindings_of_source(&loc, 1), 4,
		  "its source not counted");
	binding(&b, 2, 1);
	b.expires_at += 60;
	ASSERT_OK(put(&loc, 2, 0, &b), "a refresh fits in a full map");
	ASSERT_TRUE(get(&loc, 2, 0, &got) && got.expires_at == b.expires_at,
		    "refreshed");
out:
	loc_down(&loc);
}

TEST(sources_full_leaves_no_binding)
{
	struct location loc = { -1, -1, 0, -1 };
	struct siplb_binding a, b, got;

	if (!loc_up(&loc, 64, 1))	/* one source address at most */
		goto out;
	binding(&a, 1, 1);
	ASSERT_OK(put(&loc, 1, 0, &a), "first source");
	binding(&b, 2, 2);
	ASSERT_EQ(put(&loc, 2, 0, &b), -E2BIG,
		  "a second source: -E2BIG (503)");
	ASSERT_FALSE(get(&loc, 2, 0, &got),
		     "no binding left behind by the refused REGISTER");
	ASSERT_EQ(count(loc.bindings_fd), 1, "one binding");

	/* Replacing a binding with one from a new source: the old one stays. */
	ASSERT_EQ(put(&loc, 1, 0, &b), -E2BIG, "replacement refused");
	ASSERT_TRUE(get(&loc, 1, 0, &got) && !strcmp(got.contact, a.contact),
		    "the slot keeps its old binding");
	ASSERT_EQ(bindings_of_source(&loc, 1), 1, "old source still counted");
	ASSERT_EQ(bindings_of_source(&loc, 2), 0, "new source not counted");

	/* The same source again: its entry exists, so it fits. */
	binding(&b, 3, 1);
	ASSERT_OK(put(&loc, 3, 0, &b), "a known source still registers");
	ASSERT_EQ(bindings_of_source(&loc, 1), 2, "counted");
out:
	loc_down(&loc);
}

/* ---- siplb_affinity (the XDP program) ------------------------------- */

#define CLIENT_PORT 5070

static bool affinity_of(const char *callid, __u32 *backend_id)
{
	struct siplb_affinity_key key = {};
	struct siplb_endpoint ep;
	struct siplb_affinity aff;
	struct siplb_vip v;

	fixture_endpoint(FIX_VIP4, FIX_SIP_PORT, &ep);
	if (bpf_map_lookup_elem(fix.maps.vips, &ep, &v))
		return false;
	key.callid_hash = siplb_callid_hash((const __u8 *)callid,
					    strlen(callid), fix_hash_key);
	key.vip_id = v.vip_id;
	if (bpf_map_lookup_elem(fix.maps.affinity, &key, &aff))
		return false;
	*backend_id = aff.backend_id;
	return true;
}

/* Send `start_line` with callid to the IPv4 VIP; the backend it went to. */
static __u32 steer(const char *start_line, const char *callid)
{
	char payload[1024], line[160];
	struct siplb_endpoint ep;
	struct xdp_result res;
	struct pkt_view v;
	__u8 frame[PKT_MAX];
	struct pkt_spec spec = {
		.family = 4, .src = FIX_CLIENT4, .dst = FIX_VIP4,
		.sport = CLIENT_PORT, .dport = FIX_SIP_PORT,
		.payload = payload,
	};
	size_t flen;
	__u32 id = 0;

	snprintf(line, sizeof(line), "Call-ID: %s", callid);
	spec.len = sip_sample(payload, sizeof(payload), start_line, line);
	flen = pkt_build(&spec, frame, sizeof(frame));
	if (!ASSERT_OK(fixture_run(&fix, fix.ifindex_client, frame, flen, 1,
				   &res), "BPF_PROG_TEST_RUN") ||
	    !ASSERT_EQ(res.action, XDP_REDIRECT, "steered") ||
	    !ASSERT_TRUE(pkt_parse(res.out, res.out_len, &v), "output frame"))
		return 0;
	fixture_endpoint(v.dst, v.dport, &ep);
	lb_backend_find(&fix.maps, &ep, &id, NULL);
	return id;
}

/* Fill the affinity LRU with n entries of Call-IDs nobody sends. */
static bool flood_affinity(__u32 n, __u32 salt)
{
	struct siplb_affinity_key key = {};
	struct siplb_affinity val = { .backend_id = 1 };
	__u32 i;

	for (i = 0; i < n; i++) {
		key.callid_hash = ((__u64)salt << 32) | i;
		if (bpf_map_update_elem(fix.maps.affinity, &key, &val, BPF_ANY))
			return ASSERT_OK(-errno, "fill siplb_affinity");
	}
	return true;
}

static long long affinity_entries(void)
{
	struct siplb_affinity_key key, next;
	long long n = 0;
	int err;

	err = bpf_map_get_next_key(fix.maps.affinity, NULL, &next);
	while (!err) {
		n++;
		key = next;
		err = bpf_map_get_next_key(fix.maps.affinity, &key, &next);
	}
	return n;
}

TEST(affinity_lru_full_still_steers)
{
	static const char *const invite = "INVITE sip:bob@example.com SIP/2.0";
	static const char *const bye = "BYE sip:bob@192.0.2.4 SIP/2.0";
	struct bpf_map_info info = {};
	struct siplb_endpoint vip;
	__u32 len = sizeof(info), size, first, again, maglev = 0, remembered;
	char callid[64];
	int i;

	if (!fix_up || !ASSERT_OK(bpf_obj_get_info_by_fd(fix.maps.affinity,
							  &info, &len),
				  "siplb_affinity info"))
		return;
	size = info.max_entries;
	fixture_endpoint(FIX_VIP4, FIX_SIP_PORT, &vip);

	/* A call starts; its entry is then pushed out by 2x the table. */
	first = steer(invite, "lru-call-a@pc33");
	ASSERT_NEQ(first, 0, "call A steered");
	ASSERT_TRUE(affinity_of("lru-call-a@pc33", &remembered) &&
		    remembered == first, "call A remembered");
	if (!flood_affinity(2 * size, 1))
		return;
	ASSERT_LE(affinity_entries(), size, "the LRU never exceeds its size");
	ASSERT_FALSE(affinity_of("lru-call-a@pc33", &remembered),
		     "call A's entry was evicted (least recently used)");

	/* Its BYE still reaches the same backend: the Maglev table. */
	ASSERT_OK(lb_maglev_choice(&fix.maps, &vip, "lru-call-a@pc33",
				   strlen("lru-call-a@pc33"), &maglev),
		  "Maglev choice");
	ASSERT_EQ(maglev, first, "Maglev gives A's backend");
	again = steer(bye, "lru-call-a@pc33");
	ASSERT_EQ(again, first, "A's BYE reaches A's backend after eviction");
	ASSERT_TRUE(affinity_of("lru-call-a@pc33", &remembered) &&
		    remembered == first, "and A is remembered again");

	/* New calls in a full table: steered and remembered. */
	for (i = 0; i < 20; i++) {
		snprintf(callid, sizeof(callid), "lru-new-%d@pc33", i);
		again = steer(invite, callid);
		lb_maglev_choice(&fix.maps, &vip, callid, strlen(callid),
				 &maglev);
		ASSERT_EQ(again, maglev, "new call in a full LRU: Maglev");
		ASSERT_TRUE(affinity_of(callid, &remembered) &&
			    remembered == again, "new call remembered");
	}
	ASSERT_LE(affinity_entries(), size, "still within its size");
}

/* ---- siplb_blocked -------------------------------------------------- */

#define BLOCKED_ENTRIES 64
#define SOURCES 400

TEST(blocked_lru_full_newest_block_wins)
{
	struct auth_guard g;
	struct siplb_addr a = { .family = SIPLB_AF_INET };
	struct siplb_block blk;
	struct siplb_addr key, next;
	long long n = 0, newest_present = 0;
	int fd, err;
	__u32 i;

	fd = map_new(BPF_MAP_TYPE_LRU_HASH, sizeof(struct siplb_addr),
		     sizeof(struct siplb_block), BLOCKED_ENTRIES, 0);
	if (!ASSERT_GE(fd, 0, "create siplb_blocked") ||
	    !ASSERT_OK(auth_guard_init(&g, fd, 1, 60, 600), "auth_guard_init"))
		goto out;
	for (i = 0; i < SOURCES; i++) {
		a.addr[0] = htonl(0x0a000000 + i);
		ASSERT_TRUE(auth_guard_failure(&g, &a, 1000000000ULL + i),
			    "one failure blocks (threshold 1)");
		/* The block just made is in the map, however full. */
		newest_present += !bpf_map_lookup_elem(fd, &a, &blk);
	}
	ASSERT_EQ(newest_present, SOURCES, "every new block went in");
	ASSERT_EQ(g.blocks, SOURCES, "every block counted");
	err = bpf_map_get_next_key(fd, NULL, &next);
	while (!err) {
		n++;
		key = next;
		err = bpf_map_get_next_key(fd, &key, &next);
	}
	ASSERT_LE(n, BLOCKED_ENTRIES, "the map holds at most its size");
	ASSERT_GE(n, 1, "and is not empty");
	a.addr[0] = htonl(0x0a000000);
	ASSERT_FALSE(!bpf_map_lookup_elem(fd, &a, &blk),
		     "the oldest block was evicted");
	auth_guard_free(&g);
out:
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	int err, ret;

	testlib_require_root("BPF maps in a network namespace");
	log_init("test_table_limits", LOG_LEVEL_WARN);
	err = fixture_setup(&fix);
	if (err)
		fprintf(stderr, "test_table_limits: XDP fixture setup failed: "
			"%s\n", strerror(-err));
	fix_up = !err;
	ret = testlib_main(argc, argv);
	fixture_teardown(&fix);
	return ret || !fix_up;
}
