/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lb_maps.h - the pinned maps of a running siplb data plane, opened by the
 * names the skeleton gives them, under one pin directory.
 */
#ifndef SIPLB_LB_MAPS_H
#define SIPLB_LB_MAPS_H

#include <stdbool.h>

struct lb_maps {
	int vips;
	int vip_addrs;
	int backends;
	int rings;
	int affinity;
	int snat;
	int config;
	int stats;
	int be_stats;
	int location;
	int sources;
	int aors;	/* siplb_aors: the index of siplb_location */
	int blocked;
	int workers;
	int guard;	/* siplb_guard.h: policy, buckets, trunk prefixes */
	int budgets;
	int trunks;
	int events;	/* siplb_events: not verdicts (siplb_maps.h) */
	int nexthops;	/* siplb_nexthops: per-backend next-hop cache */
	int cookie;	/* siplb_cookie: XDP's challenge (siplb_cookie.h) */
	/* Cluster mode (lb_canon.h): backend ids canonical, both rings of a
	 * VIP written alike. Set by siplbd from the cluster block. */
	bool cluster;
};

struct bpf_map;

/* One pinned map, by the name the skeleton gives it; logs what to do if
 * it is missing. 0 or -errno. */
int lb_map_open(const char *pin_dir, const struct bpf_map *map, int *fd);

int lb_maps_open(struct lb_maps *maps, const char *pin_dir);
void lb_maps_close(struct lb_maps *maps);
int lb_maps_unpin(const char *pin_dir);

#endif /* SIPLB_LB_MAPS_H */
