// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * rr_token.c - Record-Route tokens (rr_token.h).
 *
 * The MAC input is length-prefixed ("siplb-rr1", then the Call-ID and
 * the tag each after its 16-bit length), so no Call-ID/tag pair can be
 * shifted into another with the same bytes.
 */
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "rr_token.h"

#define RR_MAC_BYTES	12
#define RR_INPUT_MAX	(16 + 2 * (2 + 65535))

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

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
	unsigned int mdlen = 0, i, v;
	size_t n = sizeof("siplb-rr1") - 1;

	if (!key->len || callid.len > 65535 || tag.len > 65535)
		return -EINVAL;
	memcpy(in, "siplb-rr1", n);
	n = put_field(in, n, callid);
	n = put_field(in, n, tag);
	if (!HMAC(EVP_sha256(), key->key, (int)key->len, in, n, md, &mdlen) ||
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
