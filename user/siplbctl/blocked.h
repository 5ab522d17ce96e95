/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * blocked.h - siplbctl's view of the sources blocked in XDP
 * (siplb_blocked), as an aligned table or JSON, and unblocking one.
 */
#ifndef SIPLB_BLOCKED_H
#define SIPLB_BLOCKED_H

#include <stdbool.h>
#include <stdio.h>
#include "lb_maps.h"

int blocked_print(const struct lb_maps *m, FILE *out, bool json);
/* Unblock an IPv4 or IPv6 address: 0, -EINVAL (not an address) or
 * -ENOENT (not blocked). */
int blocked_delete(const struct lb_maps *m, const char *addr_text);

#endif /* SIPLB_BLOCKED_H */
