// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * location_sweep.c - location_sweep_step() until the walk is done
 * (location_sweep.h).
 */
#include "location_sweep.h"

int location_sweep(const struct location *loc, __u64 now, __u64 *removed)
{
	struct location_cursor cur = {};
	int ret;

	*removed = 0;
	do {
		ret = location_sweep_step(loc, now, &cur, (__u64)-1, removed);
	} while (ret == 0);
	return ret < 0 ? ret : 0;
}
