// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lb_apply.c - reconcile the maps with a configuration (lb_apply.h), at
 * start and on SIGHUP. Only differences are written, so a reload that
 * changes nothing rebuilds no table and moves no call. A backend marked
 * draining or down at run time keeps that state across a reload.
 *
 * The plan is made on a copy of the maps in memory (VIP endpoints, and
 * for each backend id its endpoint, VIP and weight), changed as each step
 * would change the maps, so that a later step sees the ids an earlier one
 * freed or took. The steps themselves are lb_table's, the same the control
 * socket uses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "endpoint.h"
#include "lb_apply.h"
#include "lb_table.h"
#include "log.h"
#include "siplb_hash.h"

struct model_backend {
	bool used;
	struct siplb_endpoint ep, vip;
	__u32 weight;
};

/* The maps as the plan so far leaves them. */
struct lb_model {
	struct siplb_endpoint vips[SIPLB_MAX_VIPS];
	__u32 vip_ids[SIPLB_MAX_VIPS];
	size_t nvips;
	struct model_backend *be;	/* by backend id; id 0 unused */
	__u32 max;
};

static int model_vip(const struct lb_model *md, const struct siplb_endpoint *ep)
{
	size_t i;

	for (i = 0; i < md->nvips; i++)
		if (endpoint_equal(&md->vips[i], ep))
			return i;
	return -1;
}

static int model_read_vips(const struct lb_maps *m, struct lb_model *md)
{
	struct siplb_endpoint key, next;
	struct siplb_vip v;
	int err;

	err = bpf_map_get_next_key(m->vips, NULL, &next);
	while (!err) {
		key = next;
		if (md->nvips == SIPLB_MAX_VIPS)
			return -E2BIG;
		if (bpf_map_lookup_elem(m->vips, &key, &v))
			return -errno;
		md->vips[md->nvips] = key;
		md->vip_ids[md->nvips++] = v.vip_id;
		err = bpf_map_get_next_key(m->vips, &key, &next);
	}
	return errno == ENOENT ? 0 : -errno;
}

static int model_read(const struct lb_maps *m, struct lb_model *md)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), id;
	struct siplb_backend b;
	size_t i;
	int err;

	memset(md, 0, sizeof(*md));
	err = model_read_vips(m, md);
	if (err)
		return err;
	if (bpf_obj_get_info_by_fd(m->backends, &info, &len))
		return -errno;
	md->max = info.max_entries;
	md->be = calloc(md->max, sizeof(*md->be));
	if (!md->be)
		return -ENOMEM;
	for (id = 1; id < md->max; id++) {
		if (bpf_map_lookup_elem(m->backends, &id, &b))
			return -errno;
		if (b.state == SIPLB_BACKEND_UNUSED)
			continue;
		md->be[id].used = true;
		md->be[id].ep = b.ep;
		md->be[id].weight = b.weight;
		/* One of no VIP (left by a crash) matches no VIP below. */
		memset(&md->be[id].vip, 0, sizeof(md->be[id].vip));
		for (i = 0; i < md->nvips; i++)
			if (md->vip_ids[i] == b.vip_id)
				md->be[id].vip = md->vips[i];
	}
	return 0;
}

static int plan_push(struct lb_plan *plan, enum lb_op_kind kind,
		     const struct siplb_endpoint *vip,
		     const struct siplb_endpoint *be, __u32 weight)
{
	struct lb_op *op;

	if (plan->n == plan->cap) {
		size_t cap = plan->cap ? 2 * plan->cap : 16;

		op = reallocarray(plan->ops, cap, sizeof(*op));
		if (!op)
			return -ENOMEM;
		plan->ops = op;
		plan->cap = cap;
	}
	op = &plan->ops[plan->n++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->vip = *vip;
	if (be)
		op->be = *be;
	op->weight = weight;
	return 0;
}

static bool conf_has_vip(const struct siplb_conf *conf,
			 const struct siplb_endpoint *ep)
{
	size_t i;

	for (i = 0; i < conf->nvips; i++)
		if (endpoint_equal(&conf->vips[i].ep, ep))
			return true;
	return false;
}

static bool vip_has_backend(const struct conf_vip *vip,
			    const struct siplb_endpoint *ep)
{
	size_t i;

	for (i = 0; i < vip->nbackends; i++)
		if (endpoint_equal(&vip->backends[i].ep, ep))
			return true;
	return false;
}

/* Remove VIPs the configuration no longer has (their backends go too). */
static int plan_old_vips(struct lb_model *md, const struct siplb_conf *conf,
			 struct lb_plan *plan)
{
	size_t i = 0;
	__u32 id;
	int err;

	while (i < md->nvips) {
		if (conf_has_vip(conf, &md->vips[i])) {
			i++;
			continue;
		}
		err = plan_push(plan, LB_OP_VIP_DEL, &md->vips[i], NULL, 0);
		if (err)
			return err;
		for (id = 1; id < md->max; id++)
			if (md->be[id].used &&
			    endpoint_equal(&md->be[id].vip, &md->vips[i]))
				md->be[id].used = false;
		md->nvips--;
		md->vips[i] = md->vips[md->nvips];
		md->vip_ids[i] = md->vip_ids[md->nvips];
	}
	return 0;
}

static int plan_backend_del(struct lb_model *md, __u32 id,
			    struct lb_plan *plan)
{
	md->be[id].used = false;
	return plan_push(plan, LB_OP_BACKEND_DEL, &md->be[id].vip,
			 &md->be[id].ep, 0);
}

static __u32 model_find(const struct lb_model *md,
			const struct siplb_endpoint *ep)
{
	__u32 id;

	for (id = 1; id < md->max; id++)
		if (md->be[id].used && endpoint_equal(&md->be[id].ep, ep))
			return id;
	return 0;
}

static int plan_backend_add(struct lb_model *md, const struct conf_vip *vip,
			    const struct conf_backend *cb, struct lb_plan *plan)
{
	char text[ENDPOINT_STRLEN];
	__u32 id;

	endpoint_format(&cb->ep, text, sizeof(text));
	if (cb->ep.family != vip->ep.family || !cb->weight) {
		log_warnx("backend %s: not of its VIP's family, or weight 0",
			  text);
		return cb->weight ? -EAFNOSUPPORT : -EINVAL;
	}
	for (id = 1; id < md->max && md->be[id].used; id++)
		;
	if (id == md->max) {
		log_warnx("backend %s: no free backend id (siplb_backends "
			  "holds %u)", text, md->max - 1);
		return -ENOSPC;
	}
	md->be[id].used = true;
	md->be[id].ep = cb->ep;
	md->be[id].vip = vip->ep;
	md->be[id].weight = cb->weight;
	return plan_push(plan, LB_OP_BACKEND_ADD, &vip->ep, &cb->ep,
			 cb->weight);
}

static int plan_backend(struct lb_model *md, const struct conf_vip *vip,
			const struct conf_backend *cb, struct lb_plan *plan)
{
	__u32 id = model_find(md, &cb->ep);
	int err;

	if (id && !endpoint_equal(&md->be[id].vip, &vip->ep)) {
		/* Moved to another VIP: re-add it there. */
		if (model_vip(md, &md->be[id].vip) < 0)
			return -ENOENT;	/* as lb_vip_by_id would say */
		err = plan_backend_del(md, id, plan);
		if (err)
			return err;
		id = 0;
	}
	if (!id)
		return plan_backend_add(md, vip, cb, plan);
	if (md->be[id].weight == cb->weight)
		return 0;
	md->be[id].weight = cb->weight;
	return plan_push(plan, LB_OP_BACKEND_WEIGHT, &vip->ep, &cb->ep,
			 cb->weight);
}

static int plan_vip(struct lb_model *md, const struct conf_vip *vip,
		    struct lb_plan *plan)
{
	size_t i;
	__u32 id;
	int err;

	if (model_vip(md, &vip->ep) < 0) {
		if (md->nvips == SIPLB_MAX_VIPS)
			return -ENOSPC;
		err = plan_push(plan, LB_OP_VIP_ADD, &vip->ep, NULL, 0);
		if (err)
			return err;
		md->vips[md->nvips++] = vip->ep;
	}
	for (id = 1; id < md->max; id++) {
		if (!md->be[id].used ||
		    !endpoint_equal(&md->be[id].vip, &vip->ep) ||
		    vip_has_backend(vip, &md->be[id].ep))
			continue;
		err = plan_backend_del(md, id, plan);
		if (err)
			return err;
	}
	for (i = 0; i < vip->nbackends; i++) {
		err = plan_backend(md, vip, &vip->backends[i], plan);
		if (err)
			return err;
	}
	return 0;
}

int lb_plan_build(const struct lb_maps *m, const struct siplb_conf *conf,
		  struct lb_plan *plan)
{
	struct lb_model md;
	size_t i;
	int err;

	memset(plan, 0, sizeof(*plan));
	err = model_read(m, &md);
	if (!err)
		err = plan_old_vips(&md, conf, plan);
	for (i = 0; !err && i < conf->nvips; i++)
		err = plan_vip(&md, &conf->vips[i], plan);
	free(md.be);
	if (err)
		lb_plan_free(plan);
	return err;
}

void lb_plan_free(struct lb_plan *plan)
{
	free(plan->ops);
	memset(plan, 0, sizeof(*plan));
}

/* ---- applying, with what each step overwrites saved first ----------- */

static int save_ring(struct map_journal *j, const struct lb_maps *m,
		     __u32 ring_id)
{
	return map_journal_save_range(j, m->rings,
				      siplb_ring_index(ring_id, 0),
				      SIPLB_RING_SIZE);
}

/* A new VIP takes a free vip_id and clears that id's first ring: save the
 * first ring of every free id (lb_table chooses which). */
static int save_free_rings(struct map_journal *j, const struct lb_maps *m)
{
	struct lb_model md;
	bool used[SIPLB_MAX_VIPS] = { false };
	size_t i;
	int err;

	memset(&md, 0, sizeof(md));
	err = model_read_vips(m, &md);
	for (i = 0; !err && i < md.nvips; i++)
		if (md.vip_ids[i] < SIPLB_MAX_VIPS)
			used[md.vip_ids[i]] = true;
	for (i = 0; !err && i < SIPLB_MAX_VIPS; i++)
		if (!used[i])
			err = save_ring(j, m, i * SIPLB_RINGS_PER_VIP);
	return err;
}

/* Every backend of vip loses its siplb_snat entry. */
static int save_vip_snat(struct map_journal *j, const struct lb_maps *m,
			 const struct siplb_endpoint *vip_ep)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), id;
	struct siplb_backend b;
	struct siplb_vip v;
	int err = 0;

	if (bpf_map_lookup_elem(m->vips, vip_ep, &v) ||
	    bpf_obj_get_info_by_fd(m->backends, &info, &len))
		return -errno;
	for (id = 1; !err && id < info.max_entries; id++) {
		if (bpf_map_lookup_elem(m->backends, &id, &b))
			return -errno;
		if (b.state != SIPLB_BACKEND_UNUSED && b.vip_id == v.vip_id)
			err = map_journal_save(j, m->snat, &b.ep);
	}
	return err;
}

/* The standby ring of vip: a table rebuild writes it, then flips. */
static int save_standby_ring(struct map_journal *j, const struct lb_maps *m,
			     const struct siplb_endpoint *vip_ep)
{
	struct siplb_vip v;

	if (bpf_map_lookup_elem(m->vips, vip_ep, &v))
		return -errno;
	return save_ring(j, m, v.vip_id * SIPLB_RINGS_PER_VIP +
				       (v.ring_id % SIPLB_RINGS_PER_VIP + 1) %
					       SIPLB_RINGS_PER_VIP);
}

/* Everything op may write, as it is now. */
static int save_footprint(struct map_journal *j, const struct lb_maps *m,
			  const struct lb_op *op)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0;
	struct siplb_addr addr;
	int err;

	if (bpf_obj_get_info_by_fd(m->backends, &info, &len))
		return -errno;
	endpoint_addr(&op->vip, &addr);
	err = map_journal_save_range(j, m->backends, 0, info.max_entries);
	if (!err)
		err = map_journal_save(j, m->vips, &op->vip);
	if (!err)
		err = map_journal_save(j, m->vip_addrs, &addr);
	if (err)
		return err;
	switch (op->kind) {
	case LB_OP_VIP_DEL:
		return save_vip_snat(j, m, &op->vip);
	case LB_OP_VIP_ADD:
		err = map_journal_save(j, m->config, &zero);
		return err ? err : save_free_rings(j, m);
	default:
		err = map_journal_save(j, m->snat, &op->be);
		return err ? err : save_standby_ring(j, m, &op->vip);
	}
}

static int apply_op(const struct lb_maps *m, const struct lb_op *op)
{
	char vtext[ENDPOINT_STRLEN], btext[ENDPOINT_STRLEN];
	int err;

	endpoint_format(&op->vip, vtext, sizeof(vtext));
	endpoint_format(&op->be, btext, sizeof(btext));
	switch (op->kind) {
	case LB_OP_VIP_DEL:
		err = lb_vip_del(m, &op->vip);
		if (!err)
			log_info("VIP %s removed", vtext);
		return err;
	case LB_OP_VIP_ADD:
		err = lb_vip_add(m, &op->vip);
		if (!err)
			log_info("VIP %s added", vtext);
		return err;
	case LB_OP_BACKEND_DEL:
		err = lb_backend_del(m, &op->vip, &op->be);
		break;
	case LB_OP_BACKEND_ADD:
		err = lb_backend_add(m, &op->vip, &op->be, op->weight);
		if (!err)
			log_info("backend %s of %s added", btext, vtext);
		break;
	default:
		err = lb_backend_set_weight(m, &op->vip, &op->be, op->weight);
		break;
	}
	if (err)
		log_warnx("backend %s of VIP %s: %s", btext, vtext,
			  strerror(-err));
	return err;
}

int lb_plan_apply(const struct lb_maps *m, const struct lb_plan *plan,
		  struct map_journal *j)
{
	size_t i;
	int err;

	for (i = 0; i < plan->n; i++) {
		err = j ? save_footprint(j, m, &plan->ops[i]) : 0;
		if (err) {
			log_warnx("Couldn't save the maps before changing "
				  "them: %s", strerror(-err));
			return err;
		}
		err = apply_op(m, &plan->ops[i]);
		if (err)
			return err;
	}
	return 0;
}

int lb_apply_conf(const struct lb_maps *m, const struct siplb_conf *conf)
{
	struct lb_plan plan;
	int err;

	err = lb_plan_build(m, conf, &plan);
	if (err)
		return err;
	err = lb_plan_apply(m, &plan, NULL);
	lb_plan_free(&plan);
	return err;
}
