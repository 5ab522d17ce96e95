/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * caller_auth.h - who may send a new request through the worker: caller
 * authentication (RFC 3261 22.3, 407 Proxy-Authenticate) and the relay
 * policy, the rules of docs/SECURITY.md "Routing policy".
 *
 * Every request that starts something here (no To tag; not ACK, CANCEL or
 * REGISTER; not a request for the worker itself) is judged once, before
 * it is routed:
 *
 *	from a trunk prefix				accepted as is
 *	From names a local domain, or the target	authenticate: 407,
 *	is not local (or `inbound authenticated`)	then 403 if wrong
 *	authenticated user is not the From user		403
 *	  (nor one of its aliases)
 *	target not local and relay off			403
 *	anything else (a call from outside to one	accepted
 *	  of our users)
 *
 * Authentication is the registrar's, on another header: the same users
 * file, algorithms, constant-time digest_verify(), nonce-count replay
 * table (nonce.h) and nonces bound to the source address, so an answer
 * from another address is only challenged again. A wrong password is a
 * 403 (the UA asks its user again, not in a loop).
 */
#ifndef SIPLB_CALLER_AUTH_H
#define SIPLB_CALLER_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "digest.h"
#include "proxy_msg.h"
#include "siplb_guard.h"
#include "siplb_worker.h"
#include "sip_msg.h"
#include "users.h"

#define CALLER_USER_MAX		CONF_ALIAS_NAME_MAX

/* The policy block of siplb.conf (config.h), with the guard's trunks. */
struct caller_policy {
	bool caller_auth;		/* false: no 407, nobody relays */
	enum conf_relay relay;
	enum conf_inbound inbound;
	const struct siplb_trunk_key *trunks;
	size_t ntrunks;
	const struct conf_alias *aliases;	/* `alias USER ALIAS` */
	size_t naliases;
	uint32_t nonce_lifetime;	/* seconds */
	/* Which algorithms to challenge a caller with, by its User-Agent:
	 * the registrar's policy (digest_policy.h); NULL: MD5 alone. */
	const struct digest_policy *digest;
};

struct nonce_issuer;
struct nonce_replay;

struct caller_auth {
	struct caller_policy pol;
	const struct users *users;	/* NULL: nobody can authenticate */
	const char *realm;
	struct nonce_issuer *nonces;
	struct nonce_replay *replay;
};

/* The judgement on one request: status 0 means route it. */
struct caller_verdict {
	int status;			/* 0, 400, 403 or 407 */
	const char *reason;		/* NULL: the standard phrase */
	char extra[1024];		/* Proxy-Authenticate lines of a 407 */
};

int caller_auth_init(struct caller_auth *a, const struct caller_policy *pol,
		     const struct users *users, const char *realm);
void caller_auth_free(struct caller_auth *a);

/*
 * ADDRESS[/LEN] (IPv4 or IPv6, host bits zero) as a trunk key, the form
 * of siplb.conf's `trunk` lines, for the worker's -T. 0 or -EINVAL.
 */
int caller_trunk_parse(const char *text, struct siplb_trunk_key *key);

/* Is the address in one of the trunk prefixes? */
bool caller_is_trunk(const struct caller_policy *pol,
		     const struct siplb_endpoint *src);

/*
 * Judge the new request m from src at now_s (CLOCK_MONOTONIC seconds),
 * counting into stats and logging every refusal. self says which URIs are
 * local. Requests the policy does not cover (see above) always pass.
 */
void caller_auth_judge(struct caller_auth *a, const struct proxy_self *self,
		       const struct sip_msg *m,
		       const struct siplb_endpoint *src, uint64_t now_s,
		       struct siplb_worker_counters *stats,
		       struct caller_verdict *v);

#endif /* SIPLB_CALLER_AUTH_H */
