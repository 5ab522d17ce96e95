// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nonce.c - stateless nonces and the nonce-count replay table (nonce.h).
 *
 * The issuer keeps no secret bytes of its own: the key lives only inside
 * an HMAC context keyed once, which OpenSSL cleanses when it is freed, and
 * each nonce is MACed on a copy of that context, so making or checking a
 * nonce costs two SHA-256 compressions plus a small allocation, and
 * concurrent readers never share mutable state.
 *
 * The replay table is open addressing over a power-of-two array with a
 * short linear probe window. Its keys are MACs, which an attacker cannot
 * choose (only nonces whose MAC verified get here), so the first 8 bytes
 * index it directly without a keyed hash and without fear of flooding one
 * chain. Expired slots are reused in place; nothing is ever deleted, so
 * there are no tombstones.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "nonce.h"

struct nonce_issuer {
	EVP_MAC *hmac;
	EVP_MAC_CTX *keyed;	/* HMAC-SHA256 keyed with the secret */
};

/* ---- base64url (RFC 4648 section 5, no padding) ------------------------ */

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void b64url_encode(const uint8_t *in, size_t len, char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			*out++ = b64url[(acc >> bits) & 63];
		}
	}
	if (bits)
		*out++ = b64url[(acc << (6 - bits)) & 63];
	*out = '\0';
}

static int b64url_value(char ch)
{
	const char *p = ch ? strchr(b64url, ch) : NULL;

	return p ? (int)(p - b64url) : -1;
}

/*
 * Decode exactly outlen bytes. Strict: the unused low bits of the last
 * character must be zero, so that each nonce has one spelling only.
 */
static int b64url_decode(const char *in, size_t len, uint8_t *out,
			 size_t outlen)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i, n = 0;

	if (len != (outlen * 8 + 5) / 6)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		int v = b64url_value(in[i]);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (n != outlen || (acc & ((1u << bits) - 1)))
		return -EINVAL;
	return 0;
}

/* ---- the issuer -------------------------------------------------------- */

static void put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

int nonce_issuer_set_secret(struct nonce_issuer *iss, const void *secret,
			    size_t len)
{
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest,
						 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *ctx;

	if (len != NONCE_SECRET_LEN)
		return -EINVAL;
	ctx = EVP_MAC_CTX_new(iss->hmac);
	if (!ctx)
		return -ENOMEM;
	if (!EVP_MAC_init(ctx, secret, len, params)) {
		EVP_MAC_CTX_free(ctx);
		return -EIO;
	}
	EVP_MAC_CTX_free(iss->keyed);
	iss->keyed = ctx;
	return 0;
}

static int random_secret(uint8_t *secret)
{
	size_t got = 0;

	while (got < NONCE_SECRET_LEN) {
		ssize_t n = getrandom(secret + got, NONCE_SECRET_LEN - got, 0);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			got += (size_t)n;
	}
	return 0;
}

int nonce_issuer_new(struct nonce_issuer **out)
{
	uint8_t secret[NONCE_SECRET_LEN];
	struct nonce_issuer *iss;
	int err;

	*out = NULL;
	iss = calloc(1, sizeof(*iss));
	if (!iss)
		return -ENOMEM;
	iss->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	err = iss->hmac ? random_secret(secret) : -ENOTSUP;
	if (!err)
		err = nonce_issuer_set_secret(iss, secret, sizeof(secret));
	explicit_bzero(secret, sizeof(secret));
	if (err) {
		nonce_issuer_free(iss);
		return err;
	}
	*out = iss;
	return 0;
}

void nonce_issuer_free(struct nonce_issuer *iss)
{
	if (!iss)
		return;
	EVP_MAC_CTX_free(iss->keyed);
	EVP_MAC_free(iss->hmac);
	free(iss);
}

/*
 * The truncated MAC of issued || salt (the first 16 bytes of raw) ||
 * realm_len || realm || src_len || src, the lengths 8 bytes big-endian so
 * that no realm and address pair can be spelled as another.
 */
static int nonce_mac(const struct nonce_issuer *iss, const uint8_t *raw,
		     const char *realm, size_t realm_len,
		     const void *src, size_t src_len,
		     uint8_t mac[NONCE_MAC_LEN])
{
	uint8_t full[32], rlen[8], slen[8];
	size_t full_len = 0;
	EVP_MAC_CTX *ctx;
	int err = -EIO;

	if (!iss->keyed || (src_len && !src))
		return -EINVAL;
	put_be64(rlen, realm_len);
	put_be64(slen, src_len);
	ctx = EVP_MAC_CTX_dup(iss->keyed);
	if (!ctx)
		return -ENOMEM;
	if (EVP_MAC_update(ctx, raw, 16) &&
	    EVP_MAC_update(ctx, rlen, sizeof(rlen)) &&
	    EVP_MAC_update(ctx, (const uint8_t *)realm, realm_len) &&
	    EVP_MAC_update(ctx, slen, sizeof(slen)) &&
	    (!src_len || EVP_MAC_update(ctx, src, src_len)) &&
	    EVP_MAC_final(ctx, full, &full_len, sizeof(full)) &&
	    full_len == sizeof(full)) {
		memcpy(mac, full, NONCE_MAC_LEN);
		err = 0;
	}
	EVP_MAC_CTX_free(ctx);
	return err;
}

int nonce_make(const struct nonce_issuer *iss, const char *realm,
	       size_t realm_len, const void *src, size_t src_len,
	       uint64_t now, char out[NONCE_STR_SIZE])
{
	uint8_t raw[NONCE_RAW_LEN];
	int err;

	put_be64(raw, now);
	if (RAND_bytes(raw + 8, 8) != 1)
		return -EIO;
	err = nonce_mac(iss, raw, realm, realm_len, src, src_len, raw + 16);
	if (err)
		return err;
	b64url_encode(raw, sizeof(raw), out);
	return 0;
}

enum nonce_verdict nonce_check(const struct nonce_issuer *iss,
			       const char *nonce, size_t len,
			       const char *realm, size_t realm_len,
			       const void *src, size_t src_len,
			       uint64_t now, uint64_t lifetime,
			       struct nonce_id *id)
{
	uint8_t raw[NONCE_RAW_LEN], mac[NONCE_MAC_LEN];
	uint64_t issued;

	if (id)
		memset(id, 0, sizeof(*id));
	if (b64url_decode(nonce, len, raw, sizeof(raw)) ||
	    nonce_mac(iss, raw, realm, realm_len, src, src_len, mac) ||
	    CRYPTO_memcmp(mac, raw + 16, NONCE_MAC_LEN))
		return NONCE_INVALID;
	issued = get_be64(raw);
	/* From the future: ours (the MAC says so) but the clock went back. */
	if (issued > now || now - issued >= lifetime)
		return NONCE_STALE;
	if (id) {
		memcpy(id->mac, mac, NONCE_MAC_LEN);
		id->issued = issued;
		/* Saturate: a lifetime of "forever" must not wrap. */
		id->expires = lifetime > UINT64_MAX - issued ?
				      UINT64_MAX : issued + lifetime;
	}
	return NONCE_VALID;
}

/* ---- the replay table -------------------------------------------------- */

/* Slots looked at from a nonce's home slot: 8 x 40 bytes, 5 cache lines. */
#define PROBE_WINDOW 8

struct nc_slot {
	uint8_t mac[NONCE_MAC_LEN];
	uint64_t issued;
	uint64_t expires;	/* free once now >= expires; 0: never used */
	uint32_t highest_nc;
};

struct nonce_replay {
	struct nc_slot *slots;
	size_t mask;
	/* Nonces issued before this may have been forgotten: refuse them
	 * unless remembered. Rises only when a used slot is overwritten. */
	uint64_t forget_before;
	struct nonce_replay_stats stats;
};

int nonce_replay_new(size_t slots, struct nonce_replay **out)
{
	struct nonce_replay *t;
	size_t n = PROBE_WINDOW;

	*out = NULL;
	if (slots == 0)
		slots = NONCE_REPLAY_DEFAULT_SLOTS;
	if (slots > NONCE_REPLAY_MAX_SLOTS)
		return -EINVAL;
	while (n < slots)
		n <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->slots = calloc(n, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return -ENOMEM;
	}
	t->mask = n - 1;
	*out = t;
	return 0;
}

/* MACs and counts are public (they travel in clear): no wiping needed. */
void nonce_replay_free(struct nonce_replay *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t);
}

static size_t home_slot(const struct nonce_replay *t, const uint8_t *mac)
{
	uint64_t h;

	memcpy(&h, mac, sizeof(h));
	return (size_t)h & t->mask;
}

/* Reuse slot s for id; remember how far back the table may now forget. */
static void slot_take(struct nonce_replay *t, struct nc_slot *s,
		      const struct nonce_id *id, uint32_t nc, uint64_t now)
{
	if (s->expires != 0) {
		if (s->expires > now)
			t->stats.evicted++;
		if (s->issued + 1 > t->forget_before)
			t->forget_before = s->issued + 1;
	}
	memcpy(s->mac, id->mac, NONCE_MAC_LEN);
	s->issued = id->issued;
	s->expires = id->expires;
	s->highest_nc = nc;
}

int nonce_replay_use(struct nonce_replay *t, const struct nonce_id *id,
		     uint32_t nc, uint64_t now)
{
	struct nc_slot *victim = NULL;
	size_t home = home_slot(t, id->mac), i;

	if (nc == 0)
		return -EINVAL;
	if (id->expires <= now) {
		t->stats.forgotten++;
		return -ESTALE;
	}
	for (i = 0; i < PROBE_WINDOW; i++) {
		struct nc_slot *s = &t->slots[(home + i) & t->mask];

		/* Matched even if its own record says expired: a longer
		 * lifetime after a reload must not reopen its counts. */
		if (!memcmp(s->mac, id->mac, NONCE_MAC_LEN) && s->expires) {
			if (nc <= s->highest_nc) {
				t->stats.replayed++;
				return -EALREADY;
			}
			s->highest_nc = nc;
			t->stats.accepted++;
			return 0;
		}
		/* Prefer a free slot, else the oldest live one. */
		if (!victim || (victim->expires > now &&
				(s->expires <= now ||
				 s->issued < victim->issued)))
			victim = s;
	}
	if (id->issued < t->forget_before) {
		t->stats.forgotten++;
		return -ESTALE;
	}
	slot_take(t, victim, id, nc, now);
	t->stats.accepted++;
	return 0;
}

void nonce_replay_stats(const struct nonce_replay *t,
			struct nonce_replay_stats *stats)
{
	*stats = t->stats;
}
