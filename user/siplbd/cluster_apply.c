// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * cluster_apply.c - derive the cluster's keys and install them
 * (cluster_apply.h). Every derived key is wiped once installed.
 */
#include <string.h>

#include "cluster_apply.h"
#include "cluster_keys.h"
#include "lb_table.h"
#include "log.h"

int cluster_apply_hash_key(const struct siplb_conf *c, int config_fd)
{
	__u64 key[2];
	int err;

	err = cluster_callid_hash_key(c->cluster.secret, c->cluster.secret_len,
				      key);
	if (!err)
		err = lb_hash_key_set(config_fd, key);
	explicit_bzero(key, sizeof(key));
	if (err)
		log_warnx("Couldn't set the cluster's Call-ID hash key: %s",
			  strerror(-err));
	else
		log_info("cluster node %s: Call-ID hash key derived from %s",
			 c->cluster.node, c->cluster.secret_path);
	return err;
}

int cluster_apply_nonce_secret(const struct siplb_conf *c,
			       struct nonce_issuer *iss)
{
	unsigned char secret[NONCE_SECRET_LEN];
	int err;

	err = cluster_derive(c->cluster.secret, c->cluster.secret_len,
			     CLUSTER_LABEL_NONCE, secret, sizeof(secret));
	if (!err)
		err = nonce_issuer_set_secret(iss, secret, sizeof(secret));
	explicit_bzero(secret, sizeof(secret));
	if (err)
		log_warnx("Couldn't set the cluster's nonce secret: %s",
			  strerror(-err));
	return err;
}
