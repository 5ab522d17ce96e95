// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * digest_policy.c - the one choice of Digest algorithms for a challenge
 * (digest_policy.h): first matching User-Agent rule, else the default.
 *
 * The order inside a list is the administrator's and is sent as given:
 * RFC 7616 section 3.7 and RFC 8760 section 2.4 have the server list its
 * challenges most preferred first and the client use the first (topmost)
 * one it supports. Clients that stop at the first challenge, or refuse a
 * response that carries one they do not know, are why the default list
 * is MD5 alone rather than RFC 8760's SHA-256 first.
 */
#include <fnmatch.h>
#include <string.h>

#include "digest_policy.h"
#include "sip_msg.h"

#define UA_MATCH_MAX 255	/* bytes of a User-Agent given to fnmatch() */

void digest_policy_init(struct digest_policy *policy)
{
	memset(policy, 0, sizeof(*policy));
	policy->dflt.algs[0] = DIGEST_ALG_MD5;
	policy->dflt.n = 1;
}

const struct digest_alg_list *
digest_policy_choose(const struct digest_policy *policy,
		     struct sip_slice user_agent)
{
	char ua[UA_MATCH_MAX + 1];
	size_t len = user_agent.len, i;
	const char *nul;

	if (!policy->nrules || !len)
		return &policy->dflt;
	if (len > UA_MATCH_MAX)
		len = UA_MATCH_MAX;
	memcpy(ua, user_agent.p, len);
	ua[len] = '\0';
	/* a NUL in the value would end fnmatch's string: match nothing */
	nul = memchr(user_agent.p, '\0', len);
	if (nul)
		return &policy->dflt;
	for (i = 0; i < policy->nrules; i++)
		if (!fnmatch(policy->rules[i].pattern, ua, FNM_CASEFOLD))
			return &policy->rules[i].list;
	return &policy->dflt;
}

const struct digest_alg_list *
digest_policy_for_request(const struct digest_policy *policy,
			  const struct sip_msg *req)
{
	struct sip_slice ua = { 0 };
	unsigned int pos = 0;

	if (sip_msg_hdr_next(req, SIP_HDR_USER_AGENT, &pos, &ua))
		ua.len = 0;
	return digest_policy_choose(policy, ua);
}
