/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lb_pin.h - siplb's maps pinned in a directory without an XDP program
 * (a worker host of a cluster).
 */
#ifndef SIPLB_LB_PIN_H
#define SIPLB_LB_PIN_H

#include <linux/types.h>

/* Create (or keep) every map pinned in pin_dir. 0 or -errno. */
int lb_maps_create(const char *pin_dir, __u32 location_size);

#endif /* SIPLB_LB_PIN_H */
