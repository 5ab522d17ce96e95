/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ctl_tables.h - siplbctl's views of the registrar's maps: the location
 * bindings and the blocked sources, as aligned tables or JSON.
 */
#ifndef SIPLB_CTL_TABLES_H
#define SIPLB_CTL_TABLES_H

#include <stdbool.h>
#include <stdio.h>
#include "lb_maps.h"

int bindings_print(const struct lb_maps *m, FILE *out, bool json,
		   const char *aor_filter);
int blocked_print(const struct lb_maps *m, FILE *out, bool json);
int blocked_delete(const struct lb_maps *m, const char *addr_text);

#endif /* SIPLB_CTL_TABLES_H */
