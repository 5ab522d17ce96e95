// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lb_maps.c - open the pinned maps of the data plane (lb_maps.h).
 *
 * Map names come from the skeleton (opened, never loaded, so this is cheap)
 * rather than from strings typed here: renaming a map in bpf/maps.bpf.h
 * cannot leave user space looking for the old name.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lb_maps.h"
#include "log.h"
#include "siplb.skel.h"

static int pin_path(char *buf, size_t size, const char *pin_dir,
		    const struct bpf_map *map)
{
	int n = snprintf(buf, size, "%s/%s", pin_dir, bpf_map__name(map));

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int lb_map_open(const char *pin_dir, const struct bpf_map *map, int *fd)
{
	char path[PATH_MAX];
	int err;

	err = pin_path(path, sizeof(path), pin_dir, map);
	if (err)
		return err;
	*fd = bpf_obj_get(path);
	if (*fd < 0) {
		err = -errno;
		log_warnx("Couldn't open pinned map %s: %s (is the program "
			  "attached with this pin directory? try "
			  "`siplbctl -P %s attach DEV`)",
			  path, strerror(-err), pin_dir);
		return err;
	}
	return 0;
}

int lb_maps_open(struct lb_maps *maps, const char *pin_dir)
{
	struct siplb *skel;
	int err;

	maps->vips = maps->vip_addrs = -1;
	maps->backends = maps->rings = maps->affinity = -1;
	maps->snat = maps->config = maps->stats = maps->be_stats = -1;
	maps->location = maps->sources = maps->blocked = -1;
	maps->aors = -1;
	maps->workers = -1;
	maps->guard = maps->budgets = maps->trunks = -1;
	maps->events = maps->nexthops = maps->cookie = -1;
	maps->cluster = false;
	skel = siplb__open();
	if (!skel)
		return -errno;
	err = lb_map_open(pin_dir, skel->maps.siplb_vips, &maps->vips);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_vip_addrs,
				  &maps->vip_addrs);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_backends,
				  &maps->backends);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_rings, &maps->rings);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_affinity,
				  &maps->affinity);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_snat, &maps->snat);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_config,
				  &maps->config);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_stats, &maps->stats);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_be_stats,
				  &maps->be_stats);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_location,
				  &maps->location);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_sources,
				  &maps->sources);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_aors, &maps->aors);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_blocked,
				  &maps->blocked);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_workers,
				  &maps->workers);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_guard,
				  &maps->guard);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_budgets,
				  &maps->budgets);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_trunks,
				  &maps->trunks);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_events,
				  &maps->events);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_nexthops,
				  &maps->nexthops);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_cookie,
				  &maps->cookie);
	siplb__destroy(skel);
	if (err)
		lb_maps_close(maps);
	return err;
}

void lb_maps_close(struct lb_maps *maps)
{
	int *fds[] = { &maps->vips, &maps->vip_addrs, &maps->backends, &maps->rings,
		       &maps->affinity, &maps->snat, &maps->config,
		       &maps->stats, &maps->be_stats, &maps->location,
		       &maps->sources, &maps->aors, &maps->blocked,
		       &maps->workers, &maps->guard, &maps->budgets,
		       &maps->trunks, &maps->events, &maps->nexthops,
		       &maps->cookie };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Remove every pin of ours in pin_dir; maps die with their last user. */
int lb_maps_unpin(const char *pin_dir)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	struct siplb *skel;
	int err = 0;

	skel = siplb__open();
	if (!skel)
		return -errno;
	bpf_object__for_each_map(map, skel->obj) {
		/* .rodata and the like are never pinned */
		if (bpf_map__is_internal(map) ||
		    pin_path(path, sizeof(path), pin_dir, map))
			continue;
		if (unlink(path) && errno != ENOENT) {
			err = -errno;
			log_warn("Couldn't remove %s", path);
		}
	}
	siplb__destroy(skel);
	return err;
}
