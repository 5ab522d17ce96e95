/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * status_set.h - a set of SIP final status codes (200..699) as a bitmap:
 * which replies to an OPTIONS probe mean "alive" (config `alive-codes`,
 * user/siplbd/health.c).
 */
#ifndef SIPLB_STATUS_SET_H
#define SIPLB_STATUS_SET_H

#include <stdbool.h>
#include <linux/types.h>

#define STATUS_SET_MIN	200
#define STATUS_SET_MAX	699

struct status_set {
	__u64 bits[(STATUS_SET_MAX + 64) / 64];
};

static inline void status_set_put(struct status_set *s, unsigned int lo,
				  unsigned int hi, bool on)
{
	unsigned int c;

	for (c = lo; c <= hi && c <= STATUS_SET_MAX; c++) {
		if (on)
			s->bits[c / 64] |= 1ULL << (c % 64);
		else
			s->bits[c / 64] &= ~(1ULL << (c % 64));
	}
}

static inline bool status_set_has(const struct status_set *s,
				  unsigned int code)
{
	if (code < STATUS_SET_MIN || code > STATUS_SET_MAX)
		return false;
	return s->bits[code / 64] & (1ULL << (code % 64));
}

/* The default: any final reply up to 4xx except 408 (a proxy's time-out
 * behind the backend, not the backend's own voice); no 5xx, no 6xx. */
static inline void status_set_default_alive(struct status_set *s)
{
	*s = (struct status_set){};
	status_set_put(s, 200, 499, true);
	status_set_put(s, 408, 408, false);
}

#endif /* SIPLB_STATUS_SET_H */
