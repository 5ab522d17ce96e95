/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lb_apply.h - make the VIPs and backends in the maps what a configuration
 * says: add what is missing, update weights, remove what is gone.
 *
 * In two steps, so that a reload can check everything before it writes
 * anything: lb_plan_build reads the maps and lists the changes (failing on
 * what would fail: no free VIP or backend id, a family mismatch), and
 * lb_plan_apply makes them through lb_table, saving in a journal what
 * each change is about to overwrite so that the caller can undo them all.
 */
#ifndef SIPLB_LB_APPLY_H
#define SIPLB_LB_APPLY_H

#include "config.h"
#include "lb_maps.h"
#include "map_journal.h"

enum lb_op_kind {
	LB_OP_VIP_DEL,
	LB_OP_VIP_ADD,
	LB_OP_BACKEND_DEL,
	LB_OP_BACKEND_ADD,
	LB_OP_BACKEND_WEIGHT,
};

struct lb_op {
	enum lb_op_kind kind;
	struct siplb_endpoint vip;
	struct siplb_endpoint be;	/* backend ops */
	__u32 weight;			/* BACKEND_ADD, BACKEND_WEIGHT */
};

/* The changes, in the order they are made; none if the maps already
 * match (a reload that changes nothing writes nothing). */
struct lb_plan {
	struct lb_op *ops;
	size_t n, cap;
};

int lb_plan_build(const struct lb_maps *m, const struct siplb_conf *conf,
		  struct lb_plan *plan);
/* j may be NULL (at start: nothing to go back to). */
int lb_plan_apply(const struct lb_maps *m, const struct lb_plan *plan,
		  struct map_journal *j);
void lb_plan_free(struct lb_plan *plan);

/* Build and apply, without a journal: at start. */
int lb_apply_conf(const struct lb_maps *m, const struct siplb_conf *conf);

#endif /* SIPLB_LB_APPLY_H */
