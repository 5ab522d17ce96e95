// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * cluster_keys.c - derive the cluster's shared keys (cluster_keys.h)
 * with OpenSSL 3's EVP_KDF "HKDF".
 */
#include <errno.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "cluster_keys.h"

#define HKDF_OUT_MAX (255 * 32) /* RFC 5869: 255 x HashLen */

int cluster_derive(const void *secret, size_t secret_len, const char *label,
		   void *out, size_t outlen)
{
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest,
						 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						  (void *)secret, secret_len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
						  (void *)label,
						  label ? strlen(label) : 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_KDF_CTX *ctx;
	EVP_KDF *kdf;
	int err = 0;

	if (!secret || !secret_len || !label || !*label || !out || !outlen ||
	    outlen > HKDF_OUT_MAX)
		return -EINVAL;
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	if (!ctx || EVP_KDF_derive(ctx, out, outlen, params) != 1)
		err = -EIO;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return err;
}

/* Little-endian words, so the key is the same bytes on every host. */
int cluster_callid_hash_key(const void *secret, size_t secret_len, __u64 key[2])
{
	unsigned char raw[16];
	int err, i;

	err = cluster_derive(secret, secret_len, CLUSTER_LABEL_CALLID, raw,
			     sizeof(raw));
	if (err)
		return err;
	key[0] = key[1] = 0;
	for (i = 7; i >= 0; i--) {
		key[0] = key[0] << 8 | raw[i];
		key[1] = key[1] << 8 | raw[8 + i];
	}
	explicit_bzero(raw, sizeof(raw));
	return 0;
}
