/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lb_table.h - VIPs, backends and their Maglev tables in the pinned maps:
 * what an operator changes, and the same choice of backend the XDP program
 * makes, computed in user space with the shared code.
 */
#ifndef SIPLB_LB_TABLE_H
#define SIPLB_LB_TABLE_H

#include <stddef.h>
#include "lb_maps.h"
#include "siplb_maps.h"

int lb_hash_key_ensure(int config_fd);
/* Write a given (cluster) key; -EINVAL for the all-zero key. */
int lb_hash_key_set(int config_fd, const __u64 key[2]);
int lb_vip_add(const struct lb_maps *m, const struct siplb_endpoint *vip);
int lb_vip_del(const struct lb_maps *m, const struct siplb_endpoint *vip);
/* lb_backend_add and lb_backend_set_weight refuse a weight outside
 * 1..SIPLB_WEIGHT_MAX with -ERANGE. */
int lb_backend_add(const struct lb_maps *m, const struct siplb_endpoint *vip,
		   const struct siplb_endpoint *be, __u32 weight);
int lb_backend_del(const struct lb_maps *m, const struct siplb_endpoint *vip,
		   const struct siplb_endpoint *be);
/* Forget backend id's cached next hop on every CPU (siplb_nexthops), so
 * the next packet to it asks the FIB; lb_backend_set_state() does it.
 * 0 or -errno. */
int lb_nexthop_forget(const struct lb_maps *m, __u32 id);
/* Also forgets the backend's cached next hop. */
int lb_backend_set_state(const struct lb_maps *m,
			 const struct siplb_endpoint *vip,
			 const struct siplb_endpoint *be,
			 enum siplb_backend_state state);
int lb_backend_set_weight(const struct lb_maps *m,
			  const struct siplb_endpoint *vip,
			  const struct siplb_endpoint *be, __u32 weight);
int lb_backend_find(const struct lb_maps *m, const struct siplb_endpoint *be,
		    __u32 *id, struct siplb_backend *out);
int lb_vip_by_id(const struct lb_maps *m, __u32 vip_id,
		 struct siplb_endpoint *out);

/* The backend id the Maglev table of vip gives a Call-ID (0: none). */
int lb_maglev_choice(const struct lb_maps *m, const struct siplb_endpoint *vip,
		     const void *callid, size_t len, __u32 *backend_id);

const char *lb_backend_state_name(__u32 state);

/* For lb_canon.c: a VIP's Maglev table rebuilt from siplb_backends and
 * made live; a map's max_entries. */
int lb_ring_rebuild(const struct lb_maps *m,
		    const struct siplb_endpoint *vip_ep);
int lb_map_max_entries(int fd, __u32 *max);

#endif /* SIPLB_LB_TABLE_H */
