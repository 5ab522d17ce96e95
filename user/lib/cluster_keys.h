/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cluster_keys.h - the keys every node of a cluster must share, derived
 * from the one secret of the cluster block (config.h) so that no key has
 * to be copied between hosts and none can be told from another.
 *
 * HKDF-SHA256 (RFC 5869) with no salt and a label per use as its info:
 * the same secret and label give the same bytes on every node; different
 * labels give independent keys, so a leaked Record-Route secret says
 * nothing about the Call-ID hash key.
 */
#ifndef SIPLB_CLUSTER_KEYS_H
#define SIPLB_CLUSTER_KEYS_H

#include <stddef.h>
#include <linux/types.h>

/* The labels: part of the wire contract between nodes, never change. */
#define CLUSTER_LABEL_CALLID "siplb callid hash key"
#define CLUSTER_LABEL_NONCE "siplb nonce secret"
#define CLUSTER_LABEL_RR "siplb record-route secret"

/*
 * out[0..outlen) = HKDF-SHA256(secret, label). outlen 1..8160 (255 hash
 * lengths). 0, -EINVAL (no secret, no label, bad length) or -EIO (OpenSSL
 * refused). Nothing is kept: the caller wipes secret and out.
 */
int cluster_derive(const void *secret, size_t secret_len, const char *label,
		   void *out, size_t outlen);

/* The SipHash key of siplb_config, as the XDP program reads it. */
int cluster_callid_hash_key(const void *secret, size_t secret_len,
			    __u64 key[2]);

#endif /* SIPLB_CLUSTER_KEYS_H */
