/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * attach.h - load the XDP program through its skeleton, with its maps
 * pinned by name in a pin directory, and attach it to / detach it from a
 * network device.
 */
#ifndef SIPLB_ATTACH_H
#define SIPLB_ATTACH_H

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
};

int lb_attach(const struct attach_opts *opts);
int lb_detach(const char *ifname);
int lb_pin_dir_prepare(const char *pin_dir);

#endif /* SIPLB_ATTACH_H */
