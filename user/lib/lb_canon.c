// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lb_canon.c - keep siplb_backends canonical (lb_canon.h): compute where
 * every backend belongs, then move the map there in two steady steps.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "backend_ids.h"
#include "lb_canon.h"
#include "lb_table.h"
#include "log.h"

/* The whole of siplb_backends in memory, and where it should go. */
struct canon {
	__u32 max;
	struct siplb_backend *cur; /* [max], as the map has it */
	struct siplb_backend *want; /* [max], canonical */
	bool dirty_vip[SIPLB_MAX_VIPS];
};

static bool used(const struct siplb_backend *b)
{
	return b->state != SIPLB_BACKEND_UNUSED;
}

static int canon_read(const struct lb_maps *m, struct canon *c)
{
	__u32 id;
	int err;

	memset(c, 0, sizeof(*c));
	err = lb_map_max_entries(m->backends, &c->max);
	if (err)
		return err;
	c->cur = calloc(c->max, sizeof(*c->cur));
	c->want = calloc(c->max, sizeof(*c->want));
	if (!c->cur || !c->want)
		return -ENOMEM;
	for (id = 1; id < c->max; id++)
		if (bpf_map_lookup_elem(m->backends, &id, &c->cur[id]))
			return -errno;
	return 0;
}

static void canon_free(struct canon *c)
{
	free(c->cur);
	free(c->want);
}

/* want = the backends in use (but skip_id) and extra, at their ids. */
static int canon_plan(struct canon *c, __u32 skip_id,
		      const struct siplb_backend *extra)
{
	struct siplb_endpoint *eps;
	struct siplb_backend *from;
	__u32 *ids, id;
	size_t n = 0, i;
	int err;

	eps = calloc(c->max, sizeof(*eps));
	ids = calloc(c->max, sizeof(*ids));
	from = calloc(c->max, sizeof(*from));
	err = eps && ids && from ? 0 : -ENOMEM;
	for (id = 1; !err && id < c->max; id++) {
		if (!used(&c->cur[id]) || id == skip_id)
			continue;
		from[n] = c->cur[id];
		eps[n++] = c->cur[id].ep;
	}
	if (!err && extra) {
		from[n] = *extra;
		eps[n++] = extra->ep;
	}
	if (!err)
		err = backend_ids_assign(eps, n, c->max, ids);
	for (i = 0; !err && i < n; i++)
		c->want[ids[i]] = from[i];
	free(from);
	free(ids);
	free(eps);
	return err;
}

static bool same(const struct siplb_backend *a, const struct siplb_backend *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static bool in_want(const struct canon *c, const struct siplb_endpoint *ep)
{
	__u32 id;

	for (id = 1; id < c->max; id++)
		if (used(&c->want[id]) &&
		    !memcmp(&c->want[id].ep, ep, sizeof(*ep)))
			return true;
	return false;
}

static int rebuild_dirty(const struct lb_maps *m, struct canon *c)
{
	struct siplb_endpoint vip;
	__u32 v;
	int err;

	for (v = 0; v < SIPLB_MAX_VIPS; v++) {
		if (!c->dirty_vip[v])
			continue;
		c->dirty_vip[v] = false;
		/* A VIP just deleted has no table left to rebuild. */
		if (lb_vip_by_id(m, v, &vip))
			continue;
		err = lb_ring_rebuild(m, &vip);
		if (err)
			return err;
	}
	return 0;
}

static void mark(struct canon *c, const struct siplb_backend *b)
{
	if (b->vip_id < SIPLB_MAX_VIPS)
		c->dirty_vip[b->vip_id] = true;
}

/* Step 1: out of the tables, then out of their ids. */
static int canon_leave(const struct lb_maps *m, struct canon *c)
{
	struct siplb_backend down, none = {};
	__u32 id;
	int err;

	for (id = 1; id < c->max; id++) {
		if (!used(&c->cur[id]) ||
		    !memcmp(&c->cur[id].ep, &c->want[id].ep,
			    sizeof(c->want[id].ep)))
			continue;
		down = c->cur[id];
		down.state = SIPLB_BACKEND_DOWN;
		if (bpf_map_update_elem(m->backends, &id, &down, BPF_ANY))
			return -errno;
		mark(c, &down);
	}
	err = rebuild_dirty(m, c);
	for (id = 1; !err && id < c->max; id++) {
		if (!used(&c->cur[id]) ||
		    !memcmp(&c->cur[id].ep, &c->want[id].ep,
			    sizeof(c->want[id].ep)))
			continue;
		if (bpf_map_update_elem(m->backends, &id, &none, BPF_ANY))
			return -errno;
		if (!in_want(c, &c->cur[id].ep) &&
		    bpf_map_delete_elem(m->snat, &c->cur[id].ep) &&
		    errno != ENOENT)
			return -errno;
		c->cur[id] = none;
	}
	return err;
}

/* Step 2: everyone at their id, then into the tables. */
static int canon_arrive(const struct lb_maps *m, struct canon *c)
{
	struct siplb_endpoint vip;
	__u32 id;
	int err;

	for (id = 1; id < c->max; id++) {
		if (same(&c->cur[id], &c->want[id]))
			continue;
		/* Replies of a new backend leave as its VIP (siplb_snat). */
		err = lb_vip_by_id(m, c->want[id].vip_id, &vip);
		if (err)
			return err;
		if (bpf_map_update_elem(m->snat, &c->want[id].ep, &vip,
					BPF_ANY) ||
		    bpf_map_update_elem(m->backends, &id, &c->want[id],
					BPF_ANY))
			return -errno;
		mark(c, &c->want[id]);
	}
	return rebuild_dirty(m, c);
}

static int canon_apply(const struct lb_maps *m, __u32 skip_id,
		       const struct siplb_backend *extra)
{
	struct canon c;
	__u32 id, moved = 0;
	int err;

	err = canon_read(m, &c);
	if (!err)
		err = canon_plan(&c, skip_id, extra);
	for (id = 1; !err && id < c.max; id++)
		moved += used(&c.cur[id]) && id != skip_id &&
			 memcmp(&c.cur[id].ep, &c.want[id].ep,
				sizeof(c.want[id].ep));
	if (moved)
		log_info("cluster: %u backend%s moved to their canonical ids",
			 moved, moved == 1 ? "" : "s");
	if (!err)
		err = canon_leave(m, &c);
	if (!err)
		err = canon_arrive(m, &c);
	canon_free(&c);
	return err;
}

int lb_canon_add(const struct lb_maps *m, const struct siplb_backend *be)
{
	return canon_apply(m, 0, be);
}

int lb_canon_del(const struct lb_maps *m, __u32 id)
{
	return id ? canon_apply(m, id, NULL) : -EINVAL;
}

int lb_backends_canonicalize(const struct lb_maps *m)
{
	return canon_apply(m, 0, NULL);
}
