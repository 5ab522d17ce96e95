// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * attach.c - load, pin and attach the XDP program (attach.h).
 *
 * The attachment outlives this process: the kernel holds the program for
 * the device and the maps through their pins, so the data plane keeps
 * forwarding while user space restarts. Attaching to a second device loads
 * a second copy of the program that reuses the same pinned maps.
 */
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lb_attach.h"
#include "lb_table.h"
#include "log.h"
#include "siplb_maps.h"
#include "siplb.skel.h"

/*
 * Is path (or its nearest existing ancestor) on a bpf filesystem? Pins can
 * only live there, and `ip netns exec` remounts /sys without it.
 */
static bool on_bpffs(const char *pin_dir)
{
	char path[PATH_MAX];
	struct statfs fs;
	char *slash;

	snprintf(path, sizeof(path), "%s", pin_dir);
	while (statfs(path, &fs)) {
		slash = strrchr(path, '/');
		if (!slash || slash == path)
			return false;
		*slash = '\0';
	}
	return fs.f_type == BPF_FS_MAGIC;
}

/* mkdir -p for pin_dir, which must lie on a bpf filesystem. */
int lb_pin_dir_prepare(const char *pin_dir)
{
	char path[PATH_MAX];
	char *p, saved;

	if (snprintf(path, sizeof(path), "%s", pin_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (!on_bpffs(pin_dir)) {
		log_warnx("%s is not on a bpf filesystem (mount one with `mount "
			  "-t bpf bpf /sys/fs/bpf`; note that `ip netns exec` "
			  "hides it: use `nsenter --net=/run/netns/NAME`)",
			  pin_dir);
		return -EINVAL;
	}
	for (p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		saved = *p;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST) {
			log_warn("Couldn't create pin directory %s", path);
			return -errno;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	return 0;
}

static int attach_prog(int ifindex, int prog_fd, const struct attach_opts *o)
{
	int err;

	if (o->mode != ATTACH_GENERIC) {
		err = bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE,
				     NULL);
		if (!err || o->mode == ATTACH_NATIVE) {
			if (err)
				log_warnx("Couldn't attach XDP to %s in native "
					  "mode: %s (try --mode generic)",
					  o->ifname, strerror(-err));
			return err;
		}
		log_warnx("Native XDP failed on %s (%s); falling back to "
			  "generic mode, which is much slower",
			  o->ifname, strerror(-err));
	}
	err = bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_SKB_MODE, NULL);
	if (err)
		log_warnx("Couldn't attach XDP to %s in generic mode: %s",
			  o->ifname, strerror(-err));
	return err;
}

int lb_attach(const struct attach_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts,
		    .pin_root_path = o->pin_dir);
	struct siplb *skel = NULL;
	int ifindex, err;

	ifindex = if_nametoindex(o->ifname);
	if (!ifindex) {
		log_warn("No network device %s", o->ifname);
		return -ENODEV;
	}
	err = lb_pin_dir_prepare(o->pin_dir);
	if (err)
		return err;

	skel = siplb__open_opts(&open_opts);
	if (!skel) {
		err = -errno;
		log_warnx("Couldn't open the BPF object: %s", strerror(-err));
		return err;
	}
	if (o->affinity_size) {
		err = bpf_map__set_max_entries(skel->maps.siplb_affinity,
					       o->affinity_size);
		if (err)
			goto cleanup;
	}
	if (o->location_size) {
		err = bpf_map__set_max_entries(skel->maps.siplb_location,
					       o->location_size);
		/* Every binding counts its source there: as many entries
		 * as bindings means it is never full before the location
		 * map is (then REGISTERs get 503 either way). */
		if (!err)
			err = bpf_map__set_max_entries(skel->maps.siplb_sources,
						       o->location_size);
		if (!err)
			err = bpf_map__set_max_entries(skel->maps.siplb_aors,
						       o->location_size);
		if (err)
			goto cleanup;
	}
	err = siplb__load(skel);
	if (err) {
		log_warnx("Couldn't load the XDP program: %s (if pinned maps "
			  "in %s were made with other sizes, remove them with "
			  "`siplbctl -P %s unpin`)",
			  strerror(-err), o->pin_dir, o->pin_dir);
		goto cleanup;
	}
	err = lb_hash_key_ensure(bpf_map__fd(skel->maps.siplb_config));
	if (err) {
		log_warnx("Couldn't set the hash key: %s", strerror(-err));
		goto cleanup;
	}
	err = attach_prog(ifindex, bpf_program__fd(skel->progs.siplb_xdp), o);
	if (!err)
		log_info("attached to %s, maps pinned in %s", o->ifname,
			 o->pin_dir);
cleanup:
	siplb__destroy(skel);
	return err;
}

int lb_detach(const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, query);
	int ifindex, err;
	__u32 flags;

	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		log_warn("No network device %s", ifname);
		return -ENODEV;
	}
	err = bpf_xdp_query(ifindex, 0, &query);
	if (err) {
		log_warnx("Couldn't query XDP on %s: %s", ifname,
			  strerror(-err));
		return err;
	}
	switch (query.attach_mode) {
	case XDP_ATTACHED_NONE:
		log_info("no XDP program on %s", ifname);
		return 0;
	case XDP_ATTACHED_SKB:
		flags = XDP_FLAGS_SKB_MODE;
		break;
	case XDP_ATTACHED_DRV:
		flags = XDP_FLAGS_DRV_MODE;
		break;
	default:
		flags = XDP_FLAGS_HW_MODE;
		break;
	}
	err = bpf_xdp_detach(ifindex, flags, NULL);
	if (err)
		log_warnx("Couldn't detach XDP from %s: %s", ifname,
			  strerror(-err));
	return err;
}
