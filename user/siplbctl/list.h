/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * list.h - print the VIPs and their backends as a table or as JSON.
 */
#ifndef SIPLB_LIST_H
#define SIPLB_LIST_H

#include <stdbool.h>
#include <stdio.h>
#include "lb_maps.h"

int list_print(const struct lb_maps *m, FILE *out, bool json);
/* Each backend: id, VIP, address, state, weight, and with_stats its
 * packets and bytes. A JSON array's elements, without the brackets. */
int list_backends_print(const struct lb_maps *m, FILE *out, bool json,
			bool with_stats);

#endif /* SIPLB_LIST_H */
