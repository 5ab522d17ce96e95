/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * guard_print.h - siplbctl's view of the guard policy the XDP program
 * enforces (siplb_guard, siplb_trunks, siplb_budgets): one line of text,
 * or a JSON object.
 */
#ifndef SIPLB_GUARD_PRINT_H
#define SIPLB_GUARD_PRINT_H

#include <stdbool.h>
#include <stdio.h>
#include "lb_maps.h"

int guard_print(const struct lb_maps *m, FILE *out, bool json);

#endif /* SIPLB_GUARD_PRINT_H */
