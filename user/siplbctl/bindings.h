/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * bindings.h - siplbctl's view of the registrar's location map: the
 * bindings, as an aligned table or JSON.
 */
#ifndef SIPLB_BINDINGS_H
#define SIPLB_BINDINGS_H

#include <stdbool.h>
#include <stdio.h>
#include "lb_maps.h"

int bindings_print(const struct lb_maps *m, FILE *out, bool json,
		   const char *aor_filter);

#endif /* SIPLB_BINDINGS_H */
