/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * backend_ids.h - canonical backend ids for a cluster: the id of every
 * backend is a function of the set of backend endpoints alone, so that
 * nodes that reached the same set through different histories (add A,B,C
 * or C,A,B; remove and re-add) hold byte-identical siplb_backends and,
 * since the Maglev table is built from the same (endpoint, weight, id)
 * triples, byte-identical siplb_rings.
 *
 * An endpoint's home id is a fixed (public) SipHash of its bytes, so a
 * backend keeps its id whatever else is added or removed, unless two homes
 * collide: collisions are settled by linear probing with the endpoints
 * taken in byte order, which is the same on every node. Adding or
 * removing a backend can thus move only backends of its own probe run,
 * those that sort after it: rare while the table is sparse (siplbd keeps
 * the ids of everyone else).
 */
#ifndef SIPLB_BACKEND_IDS_H
#define SIPLB_BACKEND_IDS_H

#include <stddef.h>
#include <linux/types.h>
#include "siplb_maps.h"

/* The id an endpoint gets when nothing collides with it: 1..max-1. */
__u32 backend_id_home(const struct siplb_endpoint *ep, __u32 max);

/*
 * ids[i] = the canonical id of eps[i] among eps[0..n), in 1..max-1.
 * 0, -EINVAL (max < 2, duplicate endpoints, NULL) or -ENOSPC (n >= max).
 */
int backend_ids_assign(const struct siplb_endpoint *eps, size_t n, __u32 max,
		       __u32 *ids);

#endif /* SIPLB_BACKEND_IDS_H */
