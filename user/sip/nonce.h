/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * nonce.h - stateless Digest nonces, and nonce-count replay tracking.
 *
 * A nonce carries its own issue time and a MAC, so checking one needs no
 * record of the nonces handed out: a flood of REGISTERs that are only ever
 * challenged costs no memory. The nonce is the base64url (RFC 4648 section
 * 5, no padding) encoding of 32 bytes, 43 characters that never need
 * escaping in a quoted-string:
 *
 *	issued	 8 bytes  seconds, big-endian, on the caller's clock
 *	salt	 8 bytes  random, so two nonces of one second differ
 *	mac	16 bytes  two SipHash-2-4 under the secret's halves over
 *			  issued, salt, the realm's keyed tag and src
 *			  with its length (include/siplb_cookie.h: one
 *			  definition with the XDP program, which answers
 *			  and checks challenges too)
 *
 * The secret is 32 bytes from getrandom() when the issuer is made (siplbd
 * takes the keys back from the pinned siplb_cookie at a restart, and a
 * cluster derives them: nonce_issuer_set_keys()); one realm's nonce is
 * refused in another.
 *
 * src is the address the challenge was sent to (opaque bytes to this
 * module; siplb passes the struct siplb_addr of endpoint_addr(), the
 * address without the port), and the answer is checked against the
 * address it came from. A nonce issued to one address is therefore
 * INVALID from any other: an attacker who forges a victim's source
 * address never sees the victim's challenges, and the nonces he gets for
 * his own address are refused in the victim's name, so he cannot make
 * failed logins count against the victim (docs/SECURITY.md). The port is
 * left out on purpose: a NAT may give a phone a new port between the
 * challenge and the answer, which would cost a round trip for nothing.
 *
 * Replay: a nonce may be used for many requests (nc = 1, 2, ...). The
 * replay table remembers, per nonce (keyed by its MAC), the highest nc
 * accepted, and the rule is exactly:
 *
 *	accept (nonce, nc) iff nc > the highest nc accepted for that nonce
 *	(nc 0 never: counting starts at 1)
 *
 * so an exact replay is refused, and so is a lower nc that arrives late
 * (UDP reordering of two requests on one nonce: the late one is refused
 * and its UA is re-challenged, which costs a round trip, not a failure).
 * A request without qop has no nc; pass nc = 1 so that such a nonce can
 * be used only once.
 *
 * The table is bounded: once its probe window is full of live nonces it
 * forgets the oldest one there and from then on refuses (-ESTALE) every
 * nonce issued at or before that one which it does not remember, so a
 * forgotten nonce can never be replayed; the UA just gets a new nonce.
 * Size it about (authenticated requests per second) x (nonce lifetime) to
 * avoid those extra challenges.
 *
 * Time is always passed in (seconds, any clock that does not jump back by
 * more than the lifetime), so tests control it. Neither object is
 * thread-safe for writing; nonce_make() and nonce_check() only read the
 * issuer.
 *
 * Use, in this order (recording an nc before the response is verified
 * would let anyone who saw a nonce burn its counts):
 *	nonce_check() == NONCE_VALID, digest_verify() == 0,
 *	nonce_replay_use() == 0.
 */
#ifndef SIPLB_NONCE_H
#define SIPLB_NONCE_H

#include <stddef.h>
#include <stdint.h>

#define NONCE_SECRET_LEN 32
#define NONCE_MAC_LEN 16
#define NONCE_SALT_LEN 8
#define NONCE_SRC_MAX 20		/* longest src: a struct siplb_addr */
#define NONCE_RAW_LEN (8 + 8 + NONCE_MAC_LEN)
#define NONCE_STR_LEN 43		/* base64url of NONCE_RAW_LEN bytes */
#define NONCE_STR_SIZE (NONCE_STR_LEN + 1)

/* The default number of replay table slots (40 bytes each). */
#define NONCE_REPLAY_DEFAULT_SLOTS 65536
#define NONCE_REPLAY_MAX_SLOTS (1u << 24)

struct nonce_issuer;

enum nonce_verdict {
	NONCE_INVALID,	/* not ours: bad format, bad MAC, other realm or
			   source address */
	NONCE_STALE,	/* ours but expired (or from the future): stale=true */
	NONCE_VALID,
};

/* What nonce_check() learnt about a valid nonce, for the replay table. */
struct nonce_id {
	uint8_t mac[NONCE_MAC_LEN];
	uint64_t issued;
	uint64_t expires;	/* issued + lifetime: stale from then on */
};

/* A new issuer with a secret from getrandom(). */
int nonce_issuer_new(struct nonce_issuer **out);
/* The two SipHash keys the issuer uses (siplb_nonce_keys() of its
 * secret), as the XDP challenge program gets them (siplb_cookie.h);
 * set_keys takes such keys back, so that a restarted siplbd goes on with
 * the nonces it issued before. */
void nonce_issuer_keys(const struct nonce_issuer *iss, uint64_t key[4]);
void nonce_issuer_set_keys(struct nonce_issuer *iss, const uint64_t key[4]);
/* Replace the secret (exactly NONCE_SECRET_LEN bytes): for tests. */
int nonce_issuer_set_secret(struct nonce_issuer *iss, const void *secret,
			    size_t len);
/* Free the issuer; the key material is wiped. NULL is fine. */
void nonce_issuer_free(struct nonce_issuer *iss);

/*
 * A nonce for realm, bound to the src_len bytes at src (the source
 * address, at most NONCE_SRC_MAX bytes; 0 bytes: bound to none), issued
 * at now, NUL-terminated into out. -EINVAL for a longer src.
 */
int nonce_make(const struct nonce_issuer *iss, const char *realm,
	       size_t realm_len, const void *src, size_t src_len,
	       uint64_t now, char out[NONCE_STR_SIZE]);

/* The same with a given salt, so that a test can predict the bytes. */
int nonce_make_salted(const struct nonce_issuer *iss, const char *realm,
		      size_t realm_len, const void *src, size_t src_len,
		      uint64_t now, const uint8_t salt[NONCE_SALT_LEN],
		      char out[NONCE_STR_SIZE]);

/*
 * Judge a nonce a client sent back for realm from source src: VALID while
 * issued <= now < issued + lifetime; INVALID if it was issued for another
 * realm or another source. id (may be NULL) is filled when VALID.
 */
enum nonce_verdict nonce_check(const struct nonce_issuer *iss,
			       const char *nonce, size_t len,
			       const char *realm, size_t realm_len,
			       const void *src, size_t src_len,
			       uint64_t now, uint64_t lifetime,
			       struct nonce_id *id);

struct nonce_replay;

struct nonce_replay_stats {
	uint64_t accepted;	/* nonce_replay_use() == 0 */
	uint64_t replayed;	/* -EALREADY: nc not above the highest seen */
	uint64_t forgotten;	/* -ESTALE: expired, or maybe forgotten */
	uint64_t evicted;	/* live nonces dropped to make room */
};

/* A table of slots rounded up to a power of two (0: the default). */
int nonce_replay_new(size_t slots, struct nonce_replay **out);
void nonce_replay_free(struct nonce_replay *t);

/*
 * Record that a verified request used nonce id with count nc at now.
 * 0: accepted. -EALREADY: nc is not above the highest accepted for this
 * nonce (a replay, or a late request): refuse. -ESTALE: the nonce has
 * expired or the table may have forgotten it: refuse with stale=true.
 * -EINVAL: nc is 0.
 */
int nonce_replay_use(struct nonce_replay *t, const struct nonce_id *id,
		     uint32_t nc, uint64_t now);

/*
 * Refuse (-ESTALE) every nonce issued before `issued` that the table does
 * not remember, as if it had forgotten them: for a table that starts
 * empty while nonces issued earlier under the same keys may still be
 * about (a restart that kept the keys), so that none of them can be
 * replayed; their UAs get stale=true and a fresh nonce.
 */
void nonce_replay_forget_before(struct nonce_replay *t, uint64_t issued);

void nonce_replay_stats(const struct nonce_replay *t,
			struct nonce_replay_stats *stats);

#endif /* SIPLB_NONCE_H */
