/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * workers.h - siplbctl's view of the siplb_workers map: what each
 * siplb-worker has counted, as an aligned table or JSON.
 */
#ifndef SIPLB_WORKERS_H
#define SIPLB_WORKERS_H

#include <stdbool.h>
#include <stdio.h>
#include "lb_maps.h"

/* A running worker whose entry is older than this has died. */
#define WORKERS_STALE_S	5

int workers_print(const struct lb_maps *m, FILE *out, bool json);
/* Forget the entry of a worker that is gone: 0, -EINVAL, -ENOENT. */
int workers_delete(const struct lb_maps *m, const char *addr_port);

#endif /* SIPLB_WORKERS_H */
