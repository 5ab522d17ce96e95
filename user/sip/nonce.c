// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nonce.c - stateless nonces and the nonce-count replay table (nonce.h).
 *
 * The layout, the MAC (two SipHash-2-4) and the base64url coding are
 * include/siplb_cookie.h, shared with the XDP program that answers and
 * checks challenges itself; this file adds the randomness, the length
 * checks and the verdicts. Making or checking a nonce costs two SipHash
 * runs over 48 bytes plus the realm's tag, no allocation, and the issuer
 * is only read, so concurrent readers never share mutable state.
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
#include <openssl/crypto.h>

#include "nonce.h"
#include "siplb_cookie.h"

_Static_assert(NONCE_SECRET_LEN == SIPLB_NONCE_SECRET_LEN, "one secret size");
_Static_assert(NONCE_MAC_LEN == SIPLB_NONCE_MAC_LEN, "one MAC size");
_Static_assert(NONCE_STR_LEN == SIPLB_NONCE_STR_LEN, "one nonce length");

struct nonce_issuer {
	__u64 key[4];		/* the two SipHash keys (siplb_cookie.h) */
};

int nonce_issuer_set_secret(struct nonce_issuer *iss, const void *secret,
			    size_t len)
{
	if (len != NONCE_SECRET_LEN)
		return -EINVAL;
	siplb_nonce_keys(secret, iss->key);
	return 0;
}

static int random_bytes(void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom((char *)buf + got, len - got, 0);

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
	err = random_bytes(secret, sizeof(secret));
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
	explicit_bzero(iss, sizeof(*iss));
	free(iss);
}

void nonce_issuer_keys(const struct nonce_issuer *iss, uint64_t key[4])
{
	memcpy(key, iss->key, sizeof(iss->key));
}

void nonce_issuer_set_keys(struct nonce_issuer *iss, const uint64_t key[4])
{
	memcpy(iss->key, key, sizeof(iss->key));
}

/* The MAC of issued || salt (the first 16 bytes of raw), realm and src. */
static int nonce_mac(const struct nonce_issuer *iss, const uint8_t *raw,
		     const char *realm, size_t realm_len,
		     const void *src, size_t src_len,
		     uint8_t mac[NONCE_MAC_LEN])
{
	struct siplb_nonce_input in = {};

	if ((src_len && !src) || src_len > SIPLB_NONCE_SRC_MAX ||
	    realm_len > UINT32_MAX)
		return -EINVAL;
	memcpy(in.issued_salt, raw, sizeof(in.issued_salt));
	in.realm_tag = siplb_nonce_realm_tag(realm, (__u32)realm_len,
					     iss->key);
	if (src_len)
		memcpy(in.src, src, src_len);
	in.src_len = (__u32)src_len;
	siplb_nonce_mac(&in, iss->key, mac);
	return 0;
}

int nonce_make_salted(const struct nonce_issuer *iss, const char *realm,
		      size_t realm_len, const void *src, size_t src_len,
		      uint64_t now, const uint8_t salt[NONCE_SALT_LEN],
		      char out[NONCE_STR_SIZE])
{
	uint8_t raw[NONCE_RAW_LEN];
	int err;

	siplb_nonce_put_be64(raw, now);
	memcpy(raw + 8, salt, NONCE_SALT_LEN);
	err = nonce_mac(iss, raw, realm, realm_len, src, src_len, raw + 16);
	if (err)
		return err;
	siplb_nonce_encode(raw, out);
	out[NONCE_STR_LEN] = '\0';
	return 0;
}

int nonce_make(const struct nonce_issuer *iss, const char *realm,
	       size_t realm_len, const void *src, size_t src_len,
	       uint64_t now, char out[NONCE_STR_SIZE])
{
	uint8_t salt[NONCE_SALT_LEN];
	int err = random_bytes(salt, sizeof(salt));

	if (err)
		return err;
	return nonce_make_salted(iss, realm, realm_len, src, src_len, now,
				 salt, out);
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
	if (len != NONCE_STR_LEN ||
	    siplb_nonce_decode((const __u8 *)nonce, raw) ||
	    nonce_mac(iss, raw, realm, realm_len, src, src_len, mac) ||
	    CRYPTO_memcmp(mac, raw + 16, NONCE_MAC_LEN))
		return NONCE_INVALID;
	issued = siplb_nonce_get_be64(raw);
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

void nonce_replay_forget_before(struct nonce_replay *t, uint64_t issued)
{
	if (issued > t->forget_before)
		t->forget_before = issued;
}

void nonce_replay_stats(const struct nonce_replay *t,
			struct nonce_replay_stats *stats)
{
	*stats = t->stats;
}
