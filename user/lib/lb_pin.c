// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lb_pin.c - make siplb's maps, pinned by name in a pin directory, on a
 * host that runs no XDP program (lb_pin.h): a worker host of a cluster,
 * where siplb-mirror fills siplb_location from Redis and the workers read
 * it as they do on a balancer. The object is loaded (which creates and
 * pins its maps, or reuses those already pinned) and attached nowhere.
 */
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "lb_attach.h"
#include "lb_pin.h"
#include "log.h"
#include "siplb.skel.h"

int lb_maps_create(const char *pin_dir, __u32 location_size)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts,
		    .pin_root_path = pin_dir);
	struct siplb *skel;
	int err;

	err = lb_pin_dir_prepare(pin_dir);
	if (err)
		return err;
	skel = siplb__open_opts(&open_opts);
	if (!skel)
		return -errno;
	if (location_size) {
		err = bpf_map__set_max_entries(skel->maps.siplb_location,
					       location_size);
		if (!err)
			err = bpf_map__set_max_entries(skel->maps.siplb_sources,
						       location_size);
		/* The AOR index: at most one entry per binding, as
		 * lb_attach sizes it. */
		if (!err)
			err = bpf_map__set_max_entries(skel->maps.siplb_aors,
						       location_size);
	}
	if (!err)
		err = siplb__load(skel);
	if (err)
		log_warnx("Couldn't create the maps in %s: %s", pin_dir,
			  strerror(-err));
	siplb__destroy(skel);
	return err;
}
