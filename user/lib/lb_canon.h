/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lb_canon.h - siplb_backends kept in canonical form (backend_ids.h) for
 * a cluster: lb_table.c hands adds and removals here when maps->cluster
 * is set, and siplbd canonicalizes adopted maps once at start.
 *
 * A change is carried out in at most two steady steps, each ending with
 * the Maglev tables rebuilt, so that a packet never finds a slot naming a
 * backend that is not there: first every backend that leaves its id (it
 * is removed, or a collision moves it) is taken out of the tables and its
 * id cleared; then every backend that arrives at an id is written and the
 * tables rebuilt. Without a collision this is exactly the single-node
 * add (one step) or removal (the first step).
 */
#ifndef SIPLB_LB_CANON_H
#define SIPLB_LB_CANON_H

#include "lb_maps.h"
#include "siplb_maps.h"

/* Add be (its ep, vip_id, state and weight set; checked by the caller). */
int lb_canon_add(const struct lb_maps *m, const struct siplb_backend *be);
/* Remove the backend at id. */
int lb_canon_del(const struct lb_maps *m, __u32 id);
/* Move every backend to its canonical id. */
int lb_backends_canonicalize(const struct lb_maps *m);

#endif /* SIPLB_LB_CANON_H */
