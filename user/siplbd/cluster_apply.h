/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cluster_apply.h - put the keys a cluster shares (user/lib/cluster_keys.h)
 * where siplbd uses them: the Call-ID hash key into siplb_config, the
 * nonce secret into the registrar's issuer. Without a cluster block
 * neither is called and both stay random, as on a single node.
 */
#ifndef SIPLBD_CLUSTER_APPLY_H
#define SIPLBD_CLUSTER_APPLY_H

#include "config.h"
#include "nonce.h"

int cluster_apply_hash_key(const struct siplb_conf *c, int config_fd);
int cluster_apply_nonce_secret(const struct siplb_conf *c,
			       struct nonce_issuer *iss);

#endif /* SIPLBD_CLUSTER_APPLY_H */
