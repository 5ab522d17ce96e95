/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lb_apply.h - make the VIPs and backends in the maps what a configuration
 * says: add what is missing, update weights, remove what is gone.
 */
#ifndef SIPLB_LB_APPLY_H
#define SIPLB_LB_APPLY_H

#include "config.h"
#include "lb_maps.h"

int lb_apply_conf(const struct lb_maps *m, const struct siplb_conf *conf);

#endif /* SIPLB_LB_APPLY_H */
