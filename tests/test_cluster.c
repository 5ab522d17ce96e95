// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_cluster.c - what makes two balancers of a cluster steer alike:
 *
 *   cluster_keys.c   HKDF-SHA256 against values computed independently
 *                    (Python's hmac), one key per label.
 *   backend_ids.c    canonical ids: independent of order, collisions
 *                    settled alike, few ids move when one is added.
 *   lb_canon.c       two nodes' maps (two sets of BPF maps) driven
 *                    through different histories to the same backend set
 *                    end byte-identical (siplb_backends, siplb_rings,
 *                    siplb_snat); the same histories without the cluster
 *                    mode do not (the test can fail); removing a backend
 *                    whose removal moves another's id still moves only
 *                    about 1/N of the other calls.
 *
 * The map tests need root (BPF maps) and skip without it.
 */
#include <errno.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "backend_ids.h"
#include "cluster_keys.h"
#include "lb_canon.h"
#include "lb_table.h"
#include "log.h"
#include "maglev.h"
#include "siplb_maps.h"
#include "testlib.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char secret[] = "0123456789abcdef0123456789abcdef";

static void unhex(const char *hex, unsigned char *out, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

/* Expected: Python's hmac/hashlib HKDF (RFC 5869), salt absent. */
TEST(hkdf_labels_match_an_independent_implementation)
{
	static const struct {
		const char *label, *hex;
	} want[] = {
		{ CLUSTER_LABEL_CALLID, "9f87f136852a0d6d8a81a4470f4f2d43"
					"4429c3290081239dd21982be8d47b440" },
		{ CLUSTER_LABEL_NONCE, "68cd1e0217fc63092159c62fe406da34"
				       "5dccc1256e2c15b43b84bac7549d0b92" },
		{ CLUSTER_LABEL_RR, "5061bf4dc65f57984c0b9cefcec98730"
				    "7cfd6a4a963059777d4abaebd67d8b4b" },
	};
	unsigned char got[32], exp[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		unhex(want[i].hex, exp, sizeof(exp));
		if (ASSERT_OK(cluster_derive(secret, 32, want[i].label, got,
					     sizeof(got)), want[i].label))
			ASSERT_MEM_EQ(got, exp, sizeof(got), want[i].label);
	}
}

TEST(hkdf_hash_key_and_refusals)
{
	unsigned char raw[16], other[16];
	__u64 key[2], again[2];
	int i;

	ASSERT_OK(cluster_callid_hash_key(secret, 32, key), "hash key");
	ASSERT_OK(cluster_callid_hash_key(secret, 32, again), "again");
	ASSERT_TRUE(key[0] == again[0] && key[1] == again[1], "deterministic");
	cluster_derive(secret, 32, CLUSTER_LABEL_CALLID, raw, sizeof(raw));
	for (i = 0; i < 8; i++)
		ASSERT_EQ((key[0] >> (8 * i)) & 0xff, raw[i],
			  "key[0] is the first 8 bytes, little-endian");
	ASSERT_OK(cluster_callid_hash_key("1123456789abcdef0123456789abcdef",
					  32, again), "other secret");
	ASSERT_TRUE(key[0] != again[0], "another secret, another key");
	ASSERT_OK(cluster_derive(secret, 32, CLUSTER_LABEL_NONCE, other,
				 sizeof(other)), "nonce label");
	ASSERT_TRUE(memcmp(raw, other, 16), "labels give different keys");
	ASSERT_EQ(cluster_derive(NULL, 32, "x", raw, 16), -EINVAL, "no key");
	ASSERT_EQ(cluster_derive(secret, 0, "x", raw, 16), -EINVAL, "empty");
	ASSERT_EQ(cluster_derive(secret, 32, "", raw, 16), -EINVAL, "label");
	ASSERT_EQ(cluster_derive(secret, 32, "x", raw, 0), -EINVAL, "len 0");
}

/* ---- canonical ids ------------------------------------------------------ */

static void ep4(struct siplb_endpoint *ep, __u32 host, __u16 port)
{
	memset(ep, 0, sizeof(*ep));
	ep->addr[0] = htonl(host);
	ep->port = htons(port);
	ep->family = SIPLB_AF_INET;
}

#define NEPS 200

static struct siplb_endpoint eps[NEPS], shuf[NEPS];

TEST(backend_ids_depend_only_on_the_set)
{
	__u32 ids[NEPS], ids2[NEPS], homes_hit = 0, seed = 7;
	bool seen[SIPLB_MAX_BACKENDS] = { false };
	size_t i, j, k;

	for (i = 0; i < NEPS; i++)
		ep4(&eps[i], 0x0a000001 + i, 5060);
	if (!ASSERT_OK(backend_ids_assign(eps, NEPS, SIPLB_MAX_BACKENDS, ids),
		       "assign"))
		return;
	for (i = 0; i < NEPS; i++) {
		ASSERT_TRUE(ids[i] >= 1 && ids[i] < SIPLB_MAX_BACKENDS,
			    "id in 1..1023");
		ASSERT_FALSE(seen[ids[i]], "ids unique");
		seen[ids[i]] = true;
		homes_hit += ids[i] == backend_id_home(&eps[i],
						       SIPLB_MAX_BACKENDS);
	}
	testlib_note("backend ids: %u of %d backends at their home id\n",
		     homes_hit, NEPS);
	ASSERT_TRUE(homes_hit < NEPS, "200 backends collide somewhere");
	/* Reversed and shuffled, the same endpoint gets the same id. */
	for (k = 0; k < 3; k++) {
		for (i = 0; i < NEPS; i++)
			shuf[i] = eps[k == 0 ? NEPS - 1 - i : i];
		for (i = NEPS - 1; k && i > 0; i--) {
			struct siplb_endpoint t = shuf[i];

			seed = seed * 1103515245 + 12345;
			j = seed % (i + 1);
			shuf[i] = shuf[j];
			shuf[j] = t;
		}
		ASSERT_OK(backend_ids_assign(shuf, NEPS, SIPLB_MAX_BACKENDS,
					     ids2), "assign shuffled");
		for (i = 0; i < NEPS; i++)
			for (j = 0; j < NEPS; j++)
				if (!memcmp(&shuf[i], &eps[j], sizeof(eps[j])))
					ASSERT_EQ(ids2[i], ids[j],
						  "same endpoint, same id");
	}
}

TEST(backend_ids_few_move_when_one_is_added)
{
	__u32 before[NEPS], after[NEPS], moved = 0;
	size_t i;

	for (i = 0; i < NEPS; i++)
		ep4(&eps[i], 0x0a000001 + i, 5060);
	ASSERT_OK(backend_ids_assign(eps, NEPS - 1, SIPLB_MAX_BACKENDS,
				     before), "199");
	ASSERT_OK(backend_ids_assign(eps, NEPS, SIPLB_MAX_BACKENDS, after),
		  "200");
	for (i = 0; i < NEPS - 1; i++)
		moved += before[i] != after[i];
	testlib_note("backend ids: adding a 200th backend moved %u ids\n",
		     moved);
	ASSERT_LE(moved, 3, "only the new backend's probe run may move");
}

TEST(backend_ids_collisions_full_and_bad_input)
{
	struct siplb_endpoint two[2];
	__u32 ids[8];
	size_t i;

	/* max 8: 7 ids for 7 endpoints, collisions guaranteed. */
	for (i = 0; i < 7; i++)
		ep4(&eps[i], 0x0a000001 + i, 5060);
	ASSERT_OK(backend_ids_assign(eps, 7, 8, ids), "7 of 7 ids");
	ASSERT_EQ(backend_ids_assign(eps, 8, 8, ids), -ENOSPC, "8 of 7");
	two[0] = two[1] = eps[0];
	ASSERT_EQ(backend_ids_assign(two, 2, 8, ids), -EINVAL, "duplicate");
	ASSERT_EQ(backend_ids_assign(eps, 1, 1, ids), -EINVAL, "max 1");
	ASSERT_OK(backend_ids_assign(NULL, 0, 8, ids), "empty set");
}

/* ---- two nodes' maps ---------------------------------------------------- */

static int map_new(enum bpf_map_type type, __u32 key, __u32 value,
		   __u32 entries)
{
	return bpf_map_create(type, NULL, key, value, entries, NULL);
}

static void node_close(struct lb_maps *m)
{
	int *fds[] = { &m->vips, &m->vip_addrs, &m->backends, &m->rings,
		       &m->snat, &m->config };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
}

/* The maps lb_table.c writes, as the XDP program declares them. */
static int node_open(struct lb_maps *m, bool cluster)
{
	__u64 key[2];

	memset(m, 0xff, sizeof(*m));	/* every fd -1 */
	m->cluster = cluster;
	m->vips = map_new(BPF_MAP_TYPE_HASH, sizeof(struct siplb_endpoint),
			  sizeof(struct siplb_vip), SIPLB_MAX_VIPS);
	m->vip_addrs = map_new(BPF_MAP_TYPE_HASH, sizeof(struct siplb_addr),
			       sizeof(__u32), SIPLB_MAX_VIPS);
	m->backends = map_new(BPF_MAP_TYPE_ARRAY, sizeof(__u32),
			      sizeof(struct siplb_backend),
			      SIPLB_MAX_BACKENDS);
	m->rings = map_new(BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(__u32),
			   SIPLB_MAX_VIPS * SIPLB_RINGS_PER_VIP *
				   SIPLB_RING_SIZE);
	m->snat = map_new(BPF_MAP_TYPE_HASH, sizeof(struct siplb_endpoint),
			  sizeof(struct siplb_endpoint), SIPLB_MAX_BACKENDS);
	m->config = map_new(BPF_MAP_TYPE_ARRAY, sizeof(__u32),
			    sizeof(struct siplb_config), 1);
	if (m->vips < 0 || m->vip_addrs < 0 || m->backends < 0 ||
	    m->rings < 0 || m->snat < 0 || m->config < 0)
		return -errno;
	if (!cluster)
		return 0;
	cluster_callid_hash_key(secret, 32, key);
	return lb_hash_key_set(m->config, key);
}

/* Every value of an array map, in key order. */
static void *array_dump(int fd, __u32 entries, __u32 vsize)
{
	__u32 *keys = calloc(entries, sizeof(*keys));
	char *vals = calloc(entries, vsize);
	__u32 done = 0, out = 0, count;
	void *in = NULL;
	int err;

	while (keys && vals && done < entries) {
		count = entries - done;
		err = bpf_map_lookup_batch(fd, in, &out, keys + done,
					   vals + (size_t)done * vsize, &count,
					   NULL);
		done += count;
		if (err && errno == ENOENT)
			break;
		if (err) {
			free(vals);
			vals = NULL;
		}
		in = &out;
	}
	free(keys);
	return vals;
}

static struct siplb_endpoint vip, pool[48];

/* Node A: a plain history. */
static int history_a(struct lb_maps *m)
{
	int err = lb_vip_add(m, &vip);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pool) && !err; i++)
		err = lb_backend_add(m, &vip, &pool[i], i == 7 ? 3 : 1);
	if (!err)
		err = lb_backend_set_state(m, &vip, &pool[5],
					   SIPLB_BACKEND_DRAINING);
	return err;
}

/* Node B: reversed, with a backend that came and went, one removed and
 * re-added, a drain undone and redone, a weight changed twice. */
static int history_b(struct lb_maps *m)
{
	struct siplb_endpoint extra;
	int err = lb_vip_add(m, &vip);
	size_t i;

	ep4(&extra, 0x0a0000fe, 5062);
	for (i = ARRAY_SIZE(pool); i-- > 0 && !err;)
		err = lb_backend_add(m, &vip, &pool[i], i == 7 ? 2 : 1);
	if (!err)
		err = lb_backend_add(m, &vip, &extra, 1);
	if (!err)
		err = lb_backend_del(m, &vip, &pool[3]);
	if (!err)
		err = lb_backend_set_state(m, &vip, &pool[5],
					   SIPLB_BACKEND_DRAINING);
	if (!err)
		err = lb_backend_set_state(m, &vip, &pool[5],
					   SIPLB_BACKEND_UP);
	if (!err)
		err = lb_backend_add(m, &vip, &pool[3], 1);
	if (!err)
		err = lb_backend_del(m, &vip, &extra);
	if (!err)
		err = lb_backend_set_weight(m, &vip, &pool[7], 3);
	if (!err)
		err = lb_backend_set_state(m, &vip, &pool[5],
					   SIPLB_BACKEND_DRAINING);
	return err;
}

static bool snat_equal(const struct lb_maps *a, const struct lb_maps *b)
{
	struct siplb_endpoint va, vb;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pool); i++)
		if (bpf_map_lookup_elem(a->snat, &pool[i], &va) ||
		    bpf_map_lookup_elem(b->snat, &pool[i], &vb) ||
		    memcmp(&va, &vb, sizeof(va)))
			return false;
	return true;
}

/* Run both histories on two nodes; *same_* say what came out equal. */
static int two_nodes(bool cluster, bool *same_backends, bool *same_rings,
		     bool *same_snat)
{
	const __u32 nrings = SIPLB_MAX_VIPS * SIPLB_RINGS_PER_VIP *
			     SIPLB_RING_SIZE;
	struct lb_maps a, b;
	void *ba = NULL, *bb = NULL, *ra = NULL, *rb = NULL;
	int err;

	err = node_open(&a, cluster);
	if (!err)
		err = node_open(&b, cluster);
	if (!err)
		err = history_a(&a);
	if (!err)
		err = history_b(&b);
	if (err)
		goto out;
	ba = array_dump(a.backends, SIPLB_MAX_BACKENDS,
			sizeof(struct siplb_backend));
	bb = array_dump(b.backends, SIPLB_MAX_BACKENDS,
			sizeof(struct siplb_backend));
	ra = array_dump(a.rings, nrings, sizeof(__u32));
	rb = array_dump(b.rings, nrings, sizeof(__u32));
	if (!ba || !bb || !ra || !rb) {
		err = -ENOMEM;
		goto out;
	}
	*same_backends = !memcmp(ba, bb, SIPLB_MAX_BACKENDS *
					 sizeof(struct siplb_backend));
	*same_rings = !memcmp(ra, rb, (size_t)nrings * sizeof(__u32));
	*same_snat = snat_equal(&a, &b);
out:
	free(ba);
	free(bb);
	free(ra);
	free(rb);
	node_close(&a);
	node_close(&b);
	return err;
}

static bool pool_collides(void)
{
	bool seen[SIPLB_MAX_BACKENDS] = { false };
	size_t i;
	__u32 h;

	for (i = 0; i < ARRAY_SIZE(pool); i++) {
		h = backend_id_home(&pool[i], SIPLB_MAX_BACKENDS);
		if (seen[h])
			return true;
		seen[h] = true;
	}
	return false;
}

static void pool_init(void)
{
	size_t i;

	ep4(&vip, 0xc0000201, 5060);
	for (i = 0; i < ARRAY_SIZE(pool); i++)
		ep4(&pool[i], 0x0a000001 + i, 5060);
}

TEST(two_nodes_different_histories_identical_maps)
{
	bool be = false, rings = false, snat = false;

	if (geteuid())
		return testlib_skip("BPF maps need root");
	pool_init();
	ASSERT_TRUE(pool_collides(), "the pool has a home-id collision, so "
		    "collision handling is exercised");
	if (!ASSERT_OK(two_nodes(true, &be, &rings, &snat), "cluster nodes"))
		return;
	ASSERT_TRUE(be, "siplb_backends byte-identical");
	ASSERT_TRUE(rings, "siplb_rings byte-identical (both rings)");
	ASSERT_TRUE(snat, "siplb_snat the same");
}

TEST(two_single_nodes_do_not_agree)
{
	bool be = true, rings = true, snat = false;

	if (geteuid())
		return testlib_skip("BPF maps need root");
	pool_init();
	if (!ASSERT_OK(two_nodes(false, &be, &rings, &snat), "single nodes"))
		return;
	ASSERT_FALSE(be, "add-order ids differ between the histories");
	ASSERT_FALSE(rings, "and so do the rings");
}

/* The live table of vip, as endpoints' indexes in pool (-1: none). */
static int live_table(const struct lb_maps *m, int *out)
{
	struct siplb_backend *bes;
	struct siplb_vip v;
	__u32 *ring;
	size_t i, j;

	if (bpf_map_lookup_elem(m->vips, &vip, &v))
		return -errno;
	ring = array_dump(m->rings, SIPLB_MAX_VIPS * SIPLB_RINGS_PER_VIP *
				    SIPLB_RING_SIZE, sizeof(__u32));
	bes = array_dump(m->backends, SIPLB_MAX_BACKENDS, sizeof(*bes));
	for (i = 0; ring && bes && i < SIPLB_RING_SIZE; i++) {
		const struct siplb_backend *b =
			&bes[ring[v.ring_id * SIPLB_RING_SIZE + i]];

		out[i] = -1;
		for (j = 0; j < ARRAY_SIZE(pool); j++)
			if (!memcmp(&b->ep, &pool[j], sizeof(b->ep)))
				out[i] = (int)j;
	}
	free(ring);
	free(bes);
	return ring && bes ? 0 : -ENOMEM;
}

static int before_t[SIPLB_RING_SIZE], after_t[SIPLB_RING_SIZE];

/*
 * Maglev's promise in cluster mode, where a removal may move ids: taking
 * out a backend whose id run collides moves its own slots and about 1/N
 * of the others, as on a single node (tests/test_maglev.c).
 */
TEST(cluster_removal_moves_only_about_its_share)
{
	bool seen[SIPLB_MAX_BACKENDS] = { false };
	__u32 h, moved_other = 0, gone = 0, i;
	struct lb_maps m;
	int victim = -1;
	size_t j;

	memset(&m, 0xff, sizeof(m));	/* every fd -1, for node_close */
	if (geteuid())
		return testlib_skip("BPF maps need root");
	pool_init();
	/* The victim: the first endpoint (in byte order) of a collision,
	 * so that removing it moves the other one's id. */
	for (j = 0; j < ARRAY_SIZE(pool) && victim < 0; j++) {
		h = backend_id_home(&pool[j], SIPLB_MAX_BACKENDS);
		if (seen[h])
			victim = 0;
		seen[h] = true;
	}
	for (j = 0; j < ARRAY_SIZE(pool) && victim == 0; j++)
		if (backend_id_home(&pool[j], SIPLB_MAX_BACKENDS) == h)
			victim = (int)j;
	if (!ASSERT_GE(victim, 0, "a colliding backend") ||
	    !ASSERT_OK(node_open(&m, true), "maps"))
		goto out;
	ASSERT_OK(lb_vip_add(&m, &vip), "vip");
	for (j = 0; j < ARRAY_SIZE(pool); j++)
		ASSERT_OK(lb_backend_add(&m, &vip, &pool[j], 1), "add");
	ASSERT_OK(live_table(&m, before_t), "table before");
	ASSERT_OK(lb_backend_del(&m, &vip, &pool[victim]), "del");
	ASSERT_OK(live_table(&m, after_t), "table after");
	for (i = 0; i < SIPLB_RING_SIZE; i++) {
		ASSERT_TRUE(after_t[i] >= 0 && after_t[i] != victim,
			    "every slot names a remaining backend");
		gone += before_t[i] == victim;
		moved_other += before_t[i] != victim &&
			       before_t[i] != after_t[i];
	}
	testlib_note("cluster: removing a colliding backend of %zu: its %u "
		     "slots moved, and %u others (%.2f%%)\n",
		     ARRAY_SIZE(pool), gone, moved_other,
		     100.0 * moved_other / SIPLB_RING_SIZE);
	ASSERT_LE(moved_other, SIPLB_RING_SIZE / 50, "others: under 2%");
out:
	node_close(&m);
}

int main(int argc, char **argv)
{
	log_init("test_cluster", LOG_LEVEL_WARN);
	return testlib_main(argc, argv);
}
