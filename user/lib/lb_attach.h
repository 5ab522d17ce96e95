/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * attach.h - load the XDP program through its skeleton, with its maps
 * pinned by name in a pin directory, and attach it to / detach it from a
 * network device.
 *
 * Neither replaces or removes what it did not put there: attach adds the
 * program only where no XDP program is (XDP_FLAGS_UPDATE_IF_NOEXIST), or
 * replaces siplb's own, or another one only when told to (replace); detach
 * removes only a program named LB_PROG_NAME. Both replace and remove with
 * XDP_FLAGS_REPLACE and the program they checked, so a program attached
 * meanwhile by someone else is never the one hit.
 */
#ifndef SIPLB_ATTACH_H
#define SIPLB_ATTACH_H

#include <stdbool.h>
#include <linux/types.h>

enum attach_mode {
	ATTACH_AUTO,	/* native, else generic with a warning */
	ATTACH_NATIVE,
	ATTACH_GENERIC,
};

struct attach_opts {
	const char *pin_dir;
	const char *ifname;
	enum attach_mode mode;
	__u32 affinity_size;	/* 0: the default, SIPLB_AFFINITY_SIZE */
	__u32 location_size;	/* 0: the default, SIPLB_LOCATION_SIZE */
	bool replace;		/* replace an XDP program not siplb's */
};

/* The name the kernel gives siplb's XDP program (the function's name). */
#define LB_PROG_NAME	"siplb_xdp"

int lb_attach(const struct attach_opts *opts);
int lb_detach(const char *ifname);
/* Fill siplb_progs: the challenge program (bpf/cookie.bpf.h). */
int lb_progs_install(int progs_fd, int cookie_prog_fd);
/*
 * For a program attached by someone else (`ip link ... xdp obj`, which
 * loads only the section's first program): if the pinned siplb_progs in
 * pin_dir has no challenge program, load one on the pinned maps and put
 * it there. 0 if one is there now; -ENOENT if pin_dir has no siplb_progs
 * (an object from before SIP cookies).
 */
int lb_progs_ensure(const char *pin_dir);
int lb_pin_dir_prepare(const char *pin_dir);

#endif /* SIPLB_ATTACH_H */
