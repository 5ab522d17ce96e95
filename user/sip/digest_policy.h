/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * digest_policy.h - which Digest algorithms to challenge a request with.
 *
 * One rule for every challenge siplb sends, the registrar's 401 and the
 * worker's 407 alike: the request's User-Agent is matched against the
 * configured `user-agent-algorithms` rules in file order; the first
 * match gives the list, and with no match (or no User-Agent) the
 * `algorithms` list applies. Each list is sent as one challenge per
 * algorithm, most preferred first (RFC 7616 section 3.7, RFC 8760).
 *
 * Why by User-Agent: widely deployed clients (baresip/libre 1.0) give up
 * on a 401 that carries any challenge they cannot compute, against both
 * RFCs, so the default must be MD5 alone, as Kamailio and Asterisk
 * challenge; clients known to do SHA-256 are named so that they get it.
 * The User-Agent is the client's claim, so this is a compatibility
 * choice, not a security boundary: a client that lies gets only what it
 * could have chosen anyway from a list that includes MD5.
 */
#ifndef SIPLB_DIGEST_POLICY_H
#define SIPLB_DIGEST_POLICY_H

#include <stddef.h>
#include "digest.h"
#include "slice.h"

struct sip_msg;

#define DIGEST_POLICY_RULES_MAX		16	/* user-agent-algorithms lines */
#define DIGEST_POLICY_PATTERN_MAX	64	/* bytes of one glob pattern */

/* Algorithms to challenge with, most preferred first. */
struct digest_alg_list {
	enum digest_alg algs[DIGEST_ALG_COUNT];
	size_t n;			/* 1..DIGEST_ALG_COUNT */
};

/* One `user-agent-algorithms PATTERN ALG...` line. */
struct digest_ua_rule {
	char pattern[DIGEST_POLICY_PATTERN_MAX + 1];	/* fnmatch() glob */
	struct digest_alg_list list;
};

/* The whole policy; plain data, copied whole at a reload. */
struct digest_policy {
	struct digest_alg_list dflt;	/* `algorithms` */
	struct digest_ua_rule rules[DIGEST_POLICY_RULES_MAX];
	size_t nrules;
};

/* MD5 alone: what every client that does Digest at all can answer. */
void digest_policy_init(struct digest_policy *policy);

/*
 * The list to challenge a request with, given its User-Agent value
 * (user_agent.len 0: none sent). A pattern is a shell glob matched
 * case-insensitively against the whole value ("Linphone*" is a prefix,
 * "*baresip*" a substring); a value longer than 255 bytes is matched by
 * its first 255. Never NULL.
 */
const struct digest_alg_list *
digest_policy_choose(const struct digest_policy *policy,
		     struct sip_slice user_agent);

/*
 * The same for a parsed request, by its first User-Agent header: what the
 * registrar's 401 and the worker's 407 call.
 */
const struct digest_alg_list *
digest_policy_for_request(const struct digest_policy *policy,
			  const struct sip_msg *req);

#endif /* SIPLB_DIGEST_POLICY_H */
