// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * rr_token.c - Record-Route tokens (rr_token.h).
 *
 * The MAC input is length-prefixed ("siplb-rr1", then the Call-ID and
 * the tag each after its 16-bit length), so no Call-ID/tag pair can be
 * shifted into another with the same bytes.
 *
 * The HMAC context is keyed once and reset for each token: OpenSSL 3's
 * one-shot HMAC() looks the algorithm up, allocates and keys a context
 * every call, some 9% of a busy worker's CPU (docs/PERFORMANCE.md). The
 * worker is single-threaded; a call with another key (the tests) keys
 * the context anew.
 */
#include <errno.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "rr_token.h"

#define RR_MAC_BYTES	12
#define RR_INPUT_MAX	(16 + 2 * (2 + 65535))

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The context keyed with key (a copy of which says which key it holds). */
static struct {
	EVP_MAC *hmac;
	EVP_MAC_CTX *ctx;
	struct secret key;
} keyed;

static EVP_MAC_CTX *keyed_ctx(const struct secret *key)
{
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest,
						 0),
		OSSL_PARAM_construct_end(),
	};

	if (keyed.ctx && keyed.key.len == key->len &&
	    !CRYPTO_memcmp(keyed.key.key, key->key, key->len))
		return EVP_MAC_init(keyed.ctx, NULL, 0, NULL) ? keyed.ctx :
							      NULL;
	rr_token_forget();
	keyed.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	keyed.ctx = keyed.hmac ? EVP_MAC_CTX_new(keyed.hmac) : NULL;
	if (!keyed.ctx ||
	    !EVP_MAC_init(keyed.ctx, key->key, key->len, params)) {
		rr_token_forget();
		return NULL;
	}
	keyed.key = *key;
	return keyed.ctx;
}

void rr_token_forget(void)
{
	EVP_MAC_CTX_free(keyed.ctx);
	EVP_MAC_free(keyed.hmac);
	keyed.ctx = NULL;
	keyed.hmac = NULL;
	OPENSSL_cleanse(&keyed.key, sizeof(keyed.key));
}

static size_t put_field(unsigned char *buf, size_t at, struct sip_slice s)
{
	buf[at] = (unsigned char)(s.len >> 8);
	buf[at + 1] = (unsigned char)s.len;
	memcpy(buf + at + 2, s.p, s.len);
	return at + 2 + s.len;
}

int rr_token_of(const struct secret *key, struct sip_slice callid,
		struct sip_slice tag, char out[RR_TOKEN_LEN + 1])
{
	static unsigned char in[RR_INPUT_MAX];
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t n = sizeof("siplb-rr1") - 1, mdlen = 0;
	EVP_MAC_CTX *ctx;
	unsigned int i, v;

	if (!key->len || callid.len > 65535 || tag.len > 65535)
		return -EINVAL;
	memcpy(in, "siplb-rr1", n);
	n = put_field(in, n, callid);
	n = put_field(in, n, tag);
	ctx = keyed_ctx(key);
	if (!ctx || !EVP_MAC_update(ctx, in, n) ||
	    !EVP_MAC_final(ctx, md, &mdlen, sizeof(md)) ||
	    mdlen < RR_MAC_BYTES)
		return -EIO;
	/* 12 bytes, 3 at a time, 4 characters of 6 bits each. */
	for (i = 0; i < RR_MAC_BYTES / 3; i++) {
		v = (unsigned int)md[3 * i] << 16 | md[3 * i + 1] << 8 |
		    md[3 * i + 2];
		out[4 * i] = b64url[v >> 18 & 63];
		out[4 * i + 1] = b64url[v >> 12 & 63];
		out[4 * i + 2] = b64url[v >> 6 & 63];
		out[4 * i + 3] = b64url[v & 63];
	}
	out[RR_TOKEN_LEN] = '\0';
	return 0;
}

int rr_token_make(const struct secret *key, const struct sip_msg *m,
		  char out[RR_TOKEN_LEN + 1])
{
	return rr_token_of(key, m->call_id, m->from.tag, out);
}

static bool same_token(const struct secret *key, struct sip_slice callid,
		       struct sip_slice tag, struct sip_slice tok)
{
	char want[RR_TOKEN_LEN + 1];

	if (rr_token_of(key, callid, tag, want))
		return false;
	return !CRYPTO_memcmp(want, tok.p, RR_TOKEN_LEN);
}

bool rr_token_check(const struct secret *key, const struct sip_msg *m,
		    struct sip_slice tok)
{
	bool from_ok, to_ok;

	if (tok.len != RR_TOKEN_LEN)
		return false;
	/* Both computed, so the time does not tell which side failed. */
	from_ok = same_token(key, m->call_id, m->from.tag, tok);
	to_ok = same_token(key, m->call_id, m->to.tag, tok);
	return from_ok || to_ok;
}
