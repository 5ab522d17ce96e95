// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lb_table.c - manage VIPs and backends in the pinned maps (lb_table.h).
 *
 * A change to a VIP's backends rebuilds its Maglev table into the VIP's
 * standby ring and then flips siplb_vip.ring_id in one map update, so the
 * XDP program never sees a half-written table. Calls in progress keep
 * their backend through the affinity LRU.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "endpoint.h"
#include "lb_canon.h"
#include "lb_table.h"
#include "log.h"
#include "maglev.h"
#include "siplb_hash.h"

int lb_map_max_entries(int fd, __u32 *max)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*max = info.max_entries;
	return 0;
}

/*
 * A zero hash key is predictable, so a client could aim Call-IDs at one
 * backend: draw a secret key the first time. (A program attached with
 * `ip link` starts with zero maps; attach and `vip add` both call this.)
 */
int lb_hash_key_ensure(int config_fd)
{
	struct siplb_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(config_fd, &zero, &cfg))
		return -errno;
	if (cfg.hash_key[0] || cfg.hash_key[1])
		return 0;
	if (getrandom(cfg.hash_key, sizeof(cfg.hash_key), 0) !=
	    sizeof(cfg.hash_key))
		return -errno;
	if (bpf_map_update_elem(config_fd, &zero, &cfg, BPF_ANY))
		return -errno;
	log_info("set a new random Call-ID hash key");
	return 0;
}

/*
 * A cluster's nodes must hash Call-IDs alike: write the key they all
 * derive (cluster_keys.h) over whatever key the maps had. Calls without
 * an affinity entry may move once, when a node joins the cluster.
 */
int lb_hash_key_set(int config_fd, const __u64 key[2])
{
	struct siplb_config cfg;
	__u32 zero = 0;

	if (!key[0] && !key[1])
		return -EINVAL;
	if (bpf_map_lookup_elem(config_fd, &zero, &cfg))
		return -errno;
	if (cfg.hash_key[0] == key[0] && cfg.hash_key[1] == key[1])
		return 0;
	if (cfg.hash_key[0] || cfg.hash_key[1])
		log_info("replacing this node's Call-ID hash key with the "
			 "cluster's");
	cfg.hash_key[0] = key[0];
	cfg.hash_key[1] = key[1];
	if (bpf_map_update_elem(config_fd, &zero, &cfg, BPF_ANY))
		return -errno;
	explicit_bzero(&cfg, sizeof(cfg));
	return 0;
}

const char *lb_backend_state_name(__u32 state)
{
	switch (state) {
	case SIPLB_BACKEND_UP:
		return "up";
	case SIPLB_BACKEND_DRAINING:
		return "draining";
	case SIPLB_BACKEND_DOWN:
		return "down";
	case SIPLB_BACKEND_UNHEALTHY:
		return "unhealthy";
	case SIPLB_BACKEND_OVERLOADED:
		return "overloaded";
	default:
		return "unused";
	}
}

static int vip_lookup(const struct lb_maps *m, const struct siplb_endpoint *ep,
		      struct siplb_vip *vip)
{
	if (bpf_map_lookup_elem(m->vips, ep, vip))
		return -errno;
	return 0;
}

/* Write one whole table into ring ring_id with a single batch update. */
static int ring_write(const struct lb_maps *m, __u32 ring_id,
		      const __u32 *table)
{
	__u32 count = SIPLB_RING_SIZE, *keys, i;
	int err = 0;

	keys = calloc(SIPLB_RING_SIZE, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < SIPLB_RING_SIZE; i++)
		keys[i] = siplb_ring_index(ring_id, i);
	if (bpf_map_update_batch(m->rings, keys, table, &count, NULL))
		err = -errno;
	free(keys);
	return err;
}

static int ring_clear(const struct lb_maps *m, __u32 ring_id)
{
	__u32 *empty = calloc(SIPLB_RING_SIZE, sizeof(*empty));
	int err;

	if (!empty)
		return -ENOMEM;
	err = ring_write(m, ring_id, empty);
	free(empty);
	return err;
}

/*
 * Rebuild the Maglev table of a VIP from its UP backends and flip to it.
 * In a cluster the table then goes into the other ring too: how often a
 * node flipped depends on its history, and both rings must be the same
 * bytes on every node.
 */
int lb_ring_rebuild(const struct lb_maps *m,
		    const struct siplb_endpoint *vip_ep)
{
	__u32 old_ring;
	struct maglev_backend *mb = NULL;
	struct siplb_backend *bes = NULL;
	__u32 *table = NULL, max = 0, id;
	struct siplb_vip vip;
	size_t n = 0;
	int err;

	err = vip_lookup(m, vip_ep, &vip);
	if (err)
		return err;
	err = lb_map_max_entries(m->backends, &max);
	if (err)
		return err;
	mb = calloc(max, sizeof(*mb));
	bes = calloc(max, sizeof(*bes));
	table = calloc(SIPLB_RING_SIZE, sizeof(*table));
	if (!mb || !bes || !table) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (id = 1; id < max; id++) {
		if (bpf_map_lookup_elem(m->backends, &id, &bes[id])) {
			err = -errno;
			goto cleanup;
		}
		if (bes[id].vip_id != vip.vip_id ||
		    bes[id].state != SIPLB_BACKEND_UP)
			continue;
		mb[n].id = id;
		mb[n].weight = bes[id].weight;
		mb[n].key = &bes[id].ep;
		mb[n].key_len = sizeof(bes[id].ep);
		n++;
	}
	err = maglev_build(mb, n, table, SIPLB_RING_SIZE);
	if (err)
		goto cleanup;

	/* Fill the standby table, then make it the live one. */
	old_ring = vip.ring_id;
	vip.ring_id = vip.vip_id * SIPLB_RINGS_PER_VIP +
		      (vip.ring_id % SIPLB_RINGS_PER_VIP + 1) %
			      SIPLB_RINGS_PER_VIP;
	err = ring_write(m, vip.ring_id, table);
	if (err)
		goto cleanup;
	if (bpf_map_update_elem(m->vips, vip_ep, &vip, BPF_EXIST))
		err = -errno;
	if (!err && m->cluster)
		err = ring_write(m, old_ring, table);
cleanup:
	free(table);
	free(bes);
	free(mb);
	return err;
}

/* Count the VIPs on an address (siplb_vip_addrs): delta +1 or -1. */
static int vip_addr_count(const struct lb_maps *m,
			  const struct siplb_endpoint *ep, int delta)
{
	struct siplb_addr addr;
	__u32 count = 0;

	endpoint_addr(ep, &addr);
	bpf_map_lookup_elem(m->vip_addrs, &addr, &count);
	count += delta;
	if (count == 0) {
		if (bpf_map_delete_elem(m->vip_addrs, &addr) && errno != ENOENT)
			return -errno;
		return 0;
	}
	if (bpf_map_update_elem(m->vip_addrs, &addr, &count, BPF_ANY))
		return -errno;
	return 0;
}

int lb_vip_add(const struct lb_maps *m, const struct siplb_endpoint *ep)
{
	struct siplb_endpoint key, next;
	bool used[SIPLB_MAX_VIPS] = { false };
	struct siplb_vip vip = {};
	__u32 id;
	int err;

	if (vip_lookup(m, ep, &vip) == 0)
		return -EEXIST;
	err = lb_hash_key_ensure(m->config);
	if (err)
		return err;
	/* Walk the VIPs to find a free vip_id. */
	err = bpf_map_get_next_key(m->vips, NULL, &next);
	while (!err) {
		key = next;
		if (vip_lookup(m, &key, &vip) == 0 &&
		    vip.vip_id < SIPLB_MAX_VIPS)
			used[vip.vip_id] = true;
		err = bpf_map_get_next_key(m->vips, &key, &next);
	}
	for (id = 0; id < SIPLB_MAX_VIPS && used[id]; id++)
		;
	if (id == SIPLB_MAX_VIPS)
		return -ENOSPC;

	/* The VIP starts with an empty table (packets go to the slow path
	 * with pass_no_backend until a backend is added); clear what an
	 * earlier VIP with this id may have left in it. */
	vip.vip_id = id;
	vip.ring_id = id * SIPLB_RINGS_PER_VIP;
	err = ring_clear(m, vip.ring_id);
	if (!err && m->cluster)
		err = ring_clear(m, vip.ring_id + 1);
	if (err)
		return err;
	if (bpf_map_update_elem(m->vips, ep, &vip, BPF_NOEXIST))
		return -errno;
	return vip_addr_count(m, ep, +1);
}

/*
 * Call fn for every backend slot (id 1..max-1, used or not) until it
 * returns non-zero, which is then returned; -errno if a lookup fails.
 */
static int backends_visit(const struct lb_maps *m,
			  int (*fn)(__u32 id, const struct siplb_backend *b,
				    void *arg),
			  void *arg)
{
	struct siplb_backend b;
	__u32 max = 0, id;
	int err;

	err = lb_map_max_entries(m->backends, &max);
	if (err)
		return err;
	for (id = 1; id < max; id++) {
		if (bpf_map_lookup_elem(m->backends, &id, &b))
			return -errno;
		err = fn(id, &b, arg);
		if (err)
			return err;
	}
	return 0;
}

struct find_arg {
	const struct siplb_endpoint *ep;
	__u32 id;
	struct siplb_backend b;
};

static int match_endpoint(__u32 id, const struct siplb_backend *b, void *arg)
{
	struct find_arg *f = arg;

	if (b->state == SIPLB_BACKEND_UNUSED ||
	    memcmp(&b->ep, f->ep, sizeof(*f->ep)))
		return 0;
	f->id = id;
	f->b = *b;
	return 1;
}

/* Find the backend with endpoint be; id 0 when there is none. */
int lb_backend_find(const struct lb_maps *m, const struct siplb_endpoint *be,
		    __u32 *found, struct siplb_backend *out)
{
	struct find_arg f = { .ep = be };
	int err;

	*found = 0;
	err = backends_visit(m, match_endpoint, &f);
	if (err < 0)
		return err;
	*found = f.id;
	if (f.id && out)
		*out = f.b;
	return 0;
}

/* The VIP endpoint whose vip_id is id, or -ENOENT. */
int lb_vip_by_id(const struct lb_maps *m, __u32 id, struct siplb_endpoint *out)
{
	struct siplb_endpoint key, next;
	struct siplb_vip vip;
	int err;

	err = bpf_map_get_next_key(m->vips, NULL, &next);
	while (!err) {
		key = next;
		if (!bpf_map_lookup_elem(m->vips, &key, &vip) &&
		    vip.vip_id == id) {
			*out = key;
			return 0;
		}
		err = bpf_map_get_next_key(m->vips, &key, &next);
	}
	return -ENOENT;
}

static int match_unused(__u32 id, const struct siplb_backend *b, void *arg)
{
	if (b->state != SIPLB_BACKEND_UNUSED)
		return 0;
	*(__u32 *)arg = id;
	return 1;
}

static int free_backend_id(const struct lb_maps *m, __u32 *free_id)
{
	int err = backends_visit(m, match_unused, free_id);

	return err < 0 ? err : err ? 0 : -ENOSPC;
}

/* Checked here, not only by the callers: every way into the maps (the
 * configuration, the control socket, siplbctl without siplbd) meets it. */
static bool weight_ok(__u32 weight)
{
	return weight >= 1 && weight <= SIPLB_WEIGHT_MAX;
}

int lb_backend_add(const struct lb_maps *m, const struct siplb_endpoint *vip_ep,
		   const struct siplb_endpoint *be_ep, __u32 weight)
{
	struct siplb_backend be = {};
	struct siplb_vip vip;
	__u32 id;
	int err;

	if (!weight_ok(weight))
		return -ERANGE;
	err = vip_lookup(m, vip_ep, &vip);
	if (err)
		return err;
	if (be_ep->family != vip_ep->family)
		return -EAFNOSUPPORT;	/* no NAT64 */
	err = lb_backend_find(m, be_ep, &id, NULL);
	if (err)
		return err;
	if (id)
		return -EEXIST;	/* an endpoint serves one VIP (siplb_snat) */
	be.ep = *be_ep;
	be.vip_id = vip.vip_id;
	be.state = SIPLB_BACKEND_UP;
	be.weight = weight;
	if (m->cluster)
		return lb_canon_add(m, &be);
	err = free_backend_id(m, &id);
	if (err)
		return err;
	if (bpf_map_update_elem(m->snat, be_ep, vip_ep, BPF_ANY) ||
	    bpf_map_update_elem(m->backends, &id, &be, BPF_ANY))
		return -errno;
	return lb_ring_rebuild(m, vip_ep);
}

/* The backend with endpoint be_ep, checked to belong to vip_ep. */
static int backend_of_vip(const struct lb_maps *m,
			  const struct siplb_endpoint *vip_ep,
			  const struct siplb_endpoint *be_ep, __u32 *id,
			  struct siplb_backend *be)
{
	struct siplb_vip vip;
	int err;

	err = vip_lookup(m, vip_ep, &vip);
	if (err)
		return err;
	err = lb_backend_find(m, be_ep, id, be);
	if (err)
		return err;
	if (!*id || be->vip_id != vip.vip_id)
		return -ENOENT;
	return 0;
}

int lb_nexthop_forget(const struct lb_maps *m, __u32 id)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct siplb_nexthop *zero;

	if (ncpu < 0)
		return ncpu;
	zero = calloc((size_t)ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(m->nexthops, &id, zero, BPF_EXIST))
		err = -errno;
	free(zero);
	return err;
}

int lb_backend_set_state(const struct lb_maps *m,
			 const struct siplb_endpoint *vip_ep,
			 const struct siplb_endpoint *be_ep,
			 enum siplb_backend_state state)
{
	struct siplb_backend be;
	__u32 id;
	int err;

	if (state == SIPLB_BACKEND_UNUSED)
		return -EINVAL;
	err = backend_of_vip(m, vip_ep, be_ep, &id, &be);
	if (err)
		return err;
	be.state = state;
	if (bpf_map_update_elem(m->backends, &id, &be, BPF_ANY))
		return -errno;
	/* A backend coming back (health checks, an admin) may be a new
	 * machine behind the old address: ask the FIB afresh. Best effort:
	 * the cache's lifetime bounds a stale entry anyway. */
	lb_nexthop_forget(m, id);
	return lb_ring_rebuild(m, vip_ep);
}

int lb_backend_set_weight(const struct lb_maps *m,
			  const struct siplb_endpoint *vip_ep,
			  const struct siplb_endpoint *be_ep, __u32 weight)
{
	struct siplb_backend be;
	__u32 id;
	int err;

	if (!weight_ok(weight))
		return -ERANGE;
	err = backend_of_vip(m, vip_ep, be_ep, &id, &be);
	if (err)
		return err;
	if (be.weight == weight)
		return 0;
	be.weight = weight;
	if (bpf_map_update_elem(m->backends, &id, &be, BPF_ANY))
		return -errno;
	return lb_ring_rebuild(m, vip_ep);
}

int lb_backend_del(const struct lb_maps *m, const struct siplb_endpoint *vip_ep,
		   const struct siplb_endpoint *be_ep)
{
	struct siplb_backend be;
	__u32 id;
	int err;

	err = backend_of_vip(m, vip_ep, be_ep, &id, &be);
	if (err)
		return err;
	if (m->cluster)
		return lb_canon_del(m, id);
	/* Out of the table first, then gone: no packet finds a slot that
	 * names a backend which no longer exists. */
	be.state = SIPLB_BACKEND_DOWN;
	if (bpf_map_update_elem(m->backends, &id, &be, BPF_ANY))
		return -errno;
	err = lb_ring_rebuild(m, vip_ep);
	if (err)
		return err;
	memset(&be, 0, sizeof(be));
	if (bpf_map_update_elem(m->backends, &id, &be, BPF_ANY))
		return -errno;
	if (bpf_map_delete_elem(m->snat, be_ep) && errno != ENOENT)
		return -errno;
	return 0;
}

int lb_vip_del(const struct lb_maps *m, const struct siplb_endpoint *vip_ep)
{
	struct siplb_backend be, none = {};
	struct siplb_vip vip;
	__u32 max = 0, id;
	int err;

	err = vip_lookup(m, vip_ep, &vip);
	if (err)
		return err;
	/* The VIP goes first, so no packet is steered to what follows. */
	if (bpf_map_delete_elem(m->vips, vip_ep))
		return -errno;
	err = vip_addr_count(m, vip_ep, -1);
	if (err)
		return err;
	err = lb_map_max_entries(m->backends, &max);
	if (err)
		return err;
	for (id = 1; id < max; id++) {
		if (bpf_map_lookup_elem(m->backends, &id, &be))
			return -errno;
		if (be.state == SIPLB_BACKEND_UNUSED || be.vip_id != vip.vip_id)
			continue;
		bpf_map_delete_elem(m->snat, &be.ep);
		if (bpf_map_update_elem(m->backends, &id, &none, BPF_ANY))
			return -errno;
	}
	/* Ids that collided with the VIP's backends may move back home. */
	return m->cluster ? lb_backends_canonicalize(m) : 0;
}

int lb_maglev_choice(const struct lb_maps *m, const struct siplb_endpoint *vip_ep,
		     const void *callid, size_t len, __u32 *backend_id)
{
	struct siplb_config cfg;
	struct siplb_vip vip;
	__u32 zero = 0, idx;
	__u64 hash;
	int err;

	if (len > SIPLB_CALLID_MAX)
		return -E2BIG;
	err = vip_lookup(m, vip_ep, &vip);
	if (err)
		return err;
	if (bpf_map_lookup_elem(m->config, &zero, &cfg))
		return -errno;
	hash = siplb_callid_hash(callid, len, cfg.hash_key);
	idx = siplb_ring_index(vip.ring_id, siplb_maglev_slot(hash));
	if (bpf_map_lookup_elem(m->rings, &idx, backend_id))
		return -errno;
	return 0;
}
