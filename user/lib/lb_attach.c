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
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lb_attach.h"
#include "lb_table.h"
#include "log.h"
#include "siplb_cookie.h"
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

/* What is attached to a device now: one program in one mode, or none. */
struct xdp_current {
	__u32 prog_id;		/* 0: none */
	__u32 flags;		/* XDP_FLAGS_{SKB,DRV,HW}_MODE */
	char name[BPF_OBJ_NAME_LEN];
	int fd;			/* the program, held while we decide */
};

static int xdp_current(int ifindex, const char *ifname,
		       struct xdp_current *cur)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, query);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int err;

	memset(cur, 0, sizeof(*cur));
	cur->fd = -1;
	err = bpf_xdp_query(ifindex, 0, &query);
	if (err) {
		log_warnx("Couldn't query XDP on %s: %s", ifname,
			  strerror(-err));
		return err;
	}
	switch (query.attach_mode) {
	case XDP_ATTACHED_NONE:
		return 0;
	case XDP_ATTACHED_SKB:
		cur->flags = XDP_FLAGS_SKB_MODE;
		cur->prog_id = query.skb_prog_id;
		break;
	case XDP_ATTACHED_DRV:
		cur->flags = XDP_FLAGS_DRV_MODE;
		cur->prog_id = query.drv_prog_id;
		break;
	default:	/* offloaded, or several modes at once */
		cur->flags = XDP_FLAGS_HW_MODE;
		cur->prog_id = query.prog_id ? query.prog_id :
					       query.hw_prog_id;
		break;
	}
	cur->fd = bpf_prog_get_fd_by_id(cur->prog_id);
	if (cur->fd < 0 || bpf_obj_get_info_by_fd(cur->fd, &info, &len)) {
		err = -errno;
		log_warnx("Couldn't inspect the XDP program (id %u) on %s: %s",
			  cur->prog_id, ifname, strerror(-err));
		return err;
	}
	memcpy(cur->name, info.name, sizeof(cur->name));
	cur->name[sizeof(cur->name) - 1] = '\0';
	return 0;
}

static void xdp_current_release(struct xdp_current *cur)
{
	if (cur->fd >= 0)
		close(cur->fd);
	cur->fd = -1;
}

static bool is_ours(const struct xdp_current *cur)
{
	return !strcmp(cur->name, LB_PROG_NAME);
}

/* "xdp_dispatcher" is libxdp's: its programs are xdp-loader's to remove. */
static const char *how_to_remove(const struct xdp_current *cur,
				 const char *ifname, char *buf, size_t size)
{
	if (!strcmp(cur->name, "xdp_dispatcher"))
		snprintf(buf, size, "xdp-loader unload %s --all", ifname);
	else
		snprintf(buf, size, "ip link set dev %s xdp off", ifname);
	return buf;
}

static int attach_mode(int ifindex, int prog_fd, __u32 mode,
		       const struct xdp_current *cur)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = cur->fd);

	if (!cur->prog_id)
		return bpf_xdp_attach(ifindex, prog_fd,
				      mode | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	return bpf_xdp_attach(ifindex, prog_fd, mode | XDP_FLAGS_REPLACE,
			      &opts);
}

static int attach_prog(int ifindex, int prog_fd, const struct attach_opts *o,
		       const struct xdp_current *cur)
{
	enum attach_mode mode = o->mode;
	int err;

	/* A program is replaced in the mode it runs in: the kernel allows
	 * one mode at a time. */
	if (cur->prog_id && mode == ATTACH_AUTO)
		mode = cur->flags == XDP_FLAGS_SKB_MODE ? ATTACH_GENERIC :
							  ATTACH_NATIVE;
	if (mode != ATTACH_GENERIC) {
		err = attach_mode(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, cur);
		if (!err || mode == ATTACH_NATIVE) {
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
	err = attach_mode(ifindex, prog_fd, XDP_FLAGS_SKB_MODE, cur);
	if (err == -EEXIST)
		log_warnx("Couldn't attach XDP to %s: an XDP program was "
			  "attached meanwhile; not replacing it", o->ifname);
	else if (err)
		log_warnx("Couldn't attach XDP to %s in generic mode: %s",
			  o->ifname, strerror(-err));
	return err;
}

/* May attach go ahead on this device? 0, or -EEXIST with the reason. */
static int may_replace(const struct attach_opts *o,
		       const struct xdp_current *cur)
{
	char how[64 + IF_NAMESIZE];

	if (!cur->prog_id || is_ours(cur))
		return 0;
	if (o->replace) {
		log_warnx("replacing XDP program '%s' (id %u) on %s, as told",
			  cur->name, cur->prog_id, o->ifname);
		return 0;
	}
	log_warnx("XDP program '%s' (id %u) is attached to %s and is not "
		  "siplb's: not replacing it (siplbctl attach --force, or "
		  "xdp-replace on in siplb.conf, replaces it; `%s` removes "
		  "it; see docs/ARCHITECTURE.md for running beside it)",
		  cur->name, cur->prog_id, o->ifname,
		  how_to_remove(cur, o->ifname, how, sizeof(how)));
	return -EEXIST;
}

int lb_attach(const struct attach_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts,
		    .pin_root_path = o->pin_dir);
	struct xdp_current cur = { .fd = -1 };
	struct siplb *skel = NULL;
	int ifindex, err;

	ifindex = if_nametoindex(o->ifname);
	if (!ifindex) {
		log_warn("No network device %s", o->ifname);
		return -ENODEV;
	}
	/* Before anything is loaded or pinned: a refusal changes nothing. */
	err = xdp_current(ifindex, o->ifname, &cur);
	if (!err)
		err = may_replace(o, &cur);
	if (!err)
		err = lb_pin_dir_prepare(o->pin_dir);
	if (err) {
		xdp_current_release(&cur);
		return err;
	}

	skel = siplb__open_opts(&open_opts);
	if (!skel) {
		err = -errno;
		log_warnx("Couldn't open the BPF object: %s", strerror(-err));
		goto cleanup;
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
	err = lb_progs_install(bpf_map__fd(skel->maps.siplb_progs),
			       bpf_program__fd(skel->progs.siplb_cookie_xdp));
	if (err) {
		log_warnx("Couldn't install the challenge program: %s",
			  strerror(-err));
		goto cleanup;
	}
	err = attach_prog(ifindex, bpf_program__fd(skel->progs.siplb_xdp), o,
			  &cur);
	if (!err)
		log_info("attached to %s, maps pinned in %s", o->ifname,
			 o->pin_dir);
cleanup:
	xdp_current_release(&cur);
	siplb__destroy(skel);
	return err;
}

/*
 * The programs siplb_xdp tail-calls (siplb_progs, include/siplb_cookie.h).
 * The array is pinned, so the slot outlives this process as the maps do;
 * until it is filled, a REGISTER goes up as it always did.
 */
int lb_progs_install(int progs_fd, int cookie_prog_fd)
{
	__u32 key = SIPLB_PROG_COOKIE;

	if (bpf_map_update_elem(progs_fd, &key, &cookie_prog_fd, BPF_ANY))
		return -errno;
	return 0;
}

/* The skeleton's maps on the maps pinned in pin_dir, whatever sizes they
 * were made with (libbpf refuses to reuse a pinned map of another size). */
static int maps_on_pinned(struct siplb *skel, const char *pin_dir)
{
	struct bpf_map_info info;
	struct bpf_map *map;
	char path[PATH_MAX];
	__u32 len;
	int fd, err;

	bpf_object__for_each_map(map, skel->obj) {
		if (!bpf_map__pin_path(map))
			continue;	/* internal maps: .rodata, .bss */
		snprintf(path, sizeof(path), "%s/%s", pin_dir,
			 bpf_map__name(map));
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;	/* libbpf creates and pins it */
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		err = bpf_obj_get_info_by_fd(fd, &info, &len);
		if (!err)
			err = bpf_map__set_max_entries(map, info.max_entries);
		close(fd);
		if (err)
			return err;
	}
	return 0;
}

int lb_progs_ensure(const char *pin_dir)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .pin_root_path = pin_dir);
	__u32 key = SIPLB_PROG_COOKIE, id;
	struct siplb *skel = NULL;
	char path[PATH_MAX];
	int progs_fd, err;

	snprintf(path, sizeof(path), "%s/siplb_progs", pin_dir);
	progs_fd = bpf_obj_get(path);
	if (progs_fd < 0)
		return -errno;
	/* From user space a program array's value is the program's id. */
	if (!bpf_map_lookup_elem(progs_fd, &key, &id)) {
		close(progs_fd);
		return 0;
	}
	skel = siplb__open_opts(&open_opts);
	err = skel ? maps_on_pinned(skel, pin_dir) : -errno;
	/* siplb_xdp is the attached one's twin: only its helper is needed. */
	if (!err)
		err = bpf_program__set_autoload(skel->progs.siplb_xdp, false);
	if (!err)
		err = siplb__load(skel);
	if (!err)
		err = lb_progs_install(progs_fd,
				       bpf_program__fd(skel->progs.siplb_cookie_xdp));
	if (err)
		log_warnx("Couldn't load the challenge program on the maps in "
			  "%s: %s (REGISTERs go up to siplbd)", pin_dir,
			  strerror(-err));
	siplb__destroy(skel);
	close(progs_fd);
	return err;
}

int lb_detach(const char *ifname)
{
	char how[64 + IF_NAMESIZE];
	struct xdp_current cur;
	int ifindex, err;

	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		log_warn("No network device %s", ifname);
		return -ENODEV;
	}
	err = xdp_current(ifindex, ifname, &cur);
	if (err)
		goto out;
	if (!cur.prog_id) {
		log_info("no XDP program on %s", ifname);
		goto out;
	}
	if (!is_ours(&cur)) {
		log_warnx("XDP program '%s' (id %u) on %s is not siplb's: not "
			  "removing it (`%s` would)", cur.name, cur.prog_id,
			  ifname,
			  how_to_remove(&cur, ifname, how, sizeof(how)));
		err = -EPERM;
		goto out;
	}
	{
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = cur.fd);

		err = bpf_xdp_detach(ifindex, cur.flags | XDP_FLAGS_REPLACE,
				     &opts);
	}
	if (err)
		log_warnx("Couldn't detach XDP from %s: %s%s", ifname,
			  strerror(-err), err == -EEXIST ? " (another "
			  "program was attached meanwhile)" : "");
out:
	xdp_current_release(&cur);
	return err;
}
