// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * caller_auth.c - caller authentication and the relay policy (caller_auth.h).
 *
 * The judgement is made before the request is routed, from the request
 * alone: which URIs are local is proxy_uri_is_ours()'s answer, so that a
 * Route naming somewhere else counts as a foreign target exactly as
 * route_request() would forward it. The location map is not read for a
 * request that is refused, and a stranger learns nothing about our users
 * from the order of the checks: every foreign target is challenged first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "caller_auth.h"
#include "digest_policy.h"
#include "endpoint.h"
#include "log.h"
#include "nonce.h"

#define AUTH_VALUE_MAX	2048	/* longer Proxy-Authorization: malformed */

int caller_auth_init(struct caller_auth *a, const struct caller_policy *pol,
		     const struct users *users, const char *realm)
{
	int err;

	memset(a, 0, sizeof(*a));
	a->pol = *pol;
	a->users = users;
	a->realm = realm;
	if (!realm || !realm[0] || !pol->nonce_lifetime)
		return -EINVAL;
	err = nonce_issuer_new(&a->nonces);
	if (!err)
		err = nonce_replay_new(0, &a->replay);
	if (err)
		caller_auth_free(a);
	return err;
}

void caller_auth_free(struct caller_auth *a)
{
	nonce_replay_free(a->replay);
	nonce_issuer_free(a->nonces);
	a->replay = NULL;
	a->nonces = NULL;
}

/* ---- what the request is ---------------------------------------------- */

/* The key is the siplb_trunks LPM key: its prefixlen counts the family
 * byte too (config.c), so the address bits are prefixlen - 8. */
static bool in_prefix(const struct siplb_trunk_key *k, const __u8 *addr)
{
	__u32 bits = k->prefixlen >= 8 ? k->prefixlen - 8 : 0;
	__u32 whole = bits / 8, rest = bits % 8;

	if (memcmp(k->addr, addr, whole))
		return false;
	return !rest || !((k->addr[whole] ^ addr[whole]) &
			  (__u8)(0xff << (8 - rest)));
}

int caller_trunk_parse(const char *text, struct siplb_trunk_key *key)
{
	char addr[INET6_ADDRSTRLEN], *slash, *end;
	unsigned long plen, max;
	__u32 bit;

	memset(key, 0, sizeof(*key));
	if (strlen(text) >= sizeof(addr))
		return -EINVAL;
	strcpy(addr, text);
	slash = strchr(addr, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, addr, key->addr) == 1) {
		key->family = SIPLB_AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, key->addr) == 1) {
		key->family = SIPLB_AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	plen = max;
	if (slash) {
		plen = strtoul(slash, &end, 10);
		if (!*slash || *end || plen > max)
			return -EINVAL;
	}
	for (bit = plen; bit < max; bit++)
		if (key->addr[bit / 8] & (0x80 >> (bit % 8)))
			return -EINVAL;
	key->prefixlen = 8 + (__u32)plen;
	return 0;
}

bool caller_is_trunk(const struct caller_policy *pol,
		     const struct siplb_endpoint *src)
{
	struct siplb_addr a;
	size_t i;

	endpoint_addr(src, &a);
	for (i = 0; i < pol->ntrunks; i++)
		if (pol->trunks[i].family == a.family &&
		    in_prefix(&pol->trunks[i], (const __u8 *)a.addr))
			return true;
	return false;
}

/* A From host of ours: the domain, or our own or the VIP's address (any
 * port: the port of a From URI means nothing). */
static bool from_is_local(const struct proxy_self *self,
			  const struct sip_uri *u)
{
	struct siplb_addr a, mine;
	struct siplb_endpoint ep;

	if (u->scheme != SIP_URI_SIP && u->scheme != SIP_URI_SIPS)
		return false;
	if (sip_slice_caseeq_str(u->host, self->domain))
		return true;
	if (proxy_uri_dest(u, &ep))
		return false;
	endpoint_addr(&ep, &a);
	endpoint_addr(&self->addr, &mine);
	if (!memcmp(&a, &mine, sizeof(a)))
		return true;
	endpoint_addr(&self->rr, &mine);
	return self->has_rr && !memcmp(&a, &mine, sizeof(a));
}

/* Where the request goes: somewhere else if a Route other than ours is
 * left, else where its Request-URI says (route_request's rule). */
static bool target_is_foreign(const struct proxy_self *self,
			      const struct sip_msg *m)
{
	struct sip_slice value;
	struct sip_contact el;
	unsigned int pos = 0;

	while (!sip_msg_hdr_next(m, SIP_HDR_ROUTE, &pos, &value))
		while (!sip_contact_next(&value, &el))
			if (!proxy_uri_is_ours(self, &el.addr.uri))
				return true;
	return !proxy_uri_is_ours(self, &m->ruri);
}

/* Is the policy about this request at all? */
static bool policy_applies(const struct proxy_self *self,
			   const struct sip_msg *m, bool foreign)
{
	if (m->to.tag.len)	/* in a dialog: Record-Route's business */
		return false;
	if (sip_slice_eq_str(m->method, "ACK") ||
	    sip_slice_eq_str(m->method, "CANCEL") ||
	    sip_slice_eq_str(m->method, "REGISTER"))
		return false;
	/* For the worker itself (OPTIONS pings): answered here. */
	return foreign || m->ruri.user.len;
}

/* The user part of a URI, %-decoded; "" if none or unusable. */
static void uri_user(const struct sip_uri *u, char *out, size_t size)
{
	int n = sip_unescape(u->user, out, size);

	if (n < 0 || (size_t)n != strlen(out))
		out[0] = '\0';
}

/* ---- answers ------------------------------------------------------------ */

static void refuse(struct caller_verdict *v, int status, const char *reason)
{
	v->status = status;
	v->reason = reason;
	v->extra[0] = '\0';
}

/* A 407 with a fresh nonce bound to src's address, one challenge per
 * algorithm the registrar's policy gives this caller's User-Agent. */
static void challenge(struct caller_auth *a, const struct sip_msg *m,
		      const struct siplb_endpoint *src, uint64_t now_s,
		      bool stale, struct caller_verdict *v)
{
	static struct digest_policy md5_alone;
	const struct digest_policy *policy = a->pol.digest;
	const struct digest_alg_list *algs;
	struct digest_challenge_opts opts = {
		.realm = a->realm,
		.stale = stale,
		.proxy = true,
	};
	char nonce[NONCE_STR_SIZE];
	struct siplb_addr addr;
	size_t len;

	if (!policy) {
		digest_policy_init(&md5_alone);
		policy = &md5_alone;
	}
	algs = digest_policy_for_request(policy, m);
	opts.order = algs->algs;
	opts.norder = algs->n;
	endpoint_addr(src, &addr);
	refuse(v, 407, NULL);
	if (nonce_make(a->nonces, a->realm, strlen(a->realm), &addr,
		       sizeof(addr), now_s, nonce))
		goto fail;
	opts.nonce = nonce;
	if (!digest_challenge(&opts, v->extra, sizeof(v->extra), &len))
		return;
fail:
	log_warnx("couldn't make a 407 challenge");
	refuse(v, 500, "Server Error (no challenge)");
}

/* The log line of a refusal: source, claimed user, rule. */
static void log_refusal(const struct siplb_endpoint *src,
			const struct sip_msg *m, const char *user,
			int status, const char *rule)
{
	char text[ENDPOINT_STRLEN];

	log_info("refused %.*s from %s, From <%.*s>, user '%s': %d (%s)",
		 (int)m->method.len, m->method.p,
		 endpoint_format(src, text, sizeof(text)),
		 (int)(m->from.uri_text.len > 128 ? 128 : m->from.uri_text.len),
		 m->from.uri_text.p, user, status, rule);
}

/* ---- authentication ----------------------------------------------------- */

/* The first Proxy-Authorization for our realm: 0, -ENOENT, -EINVAL. */
static int find_credentials(const struct caller_auth *a,
			    const struct sip_msg *m, char *buf, size_t bufsz,
			    struct digest_creds *creds)
{
	struct sip_slice value;
	unsigned int pos = 0;
	int err, first_err = -ENOENT;

	while (!sip_msg_hdr_next(m, SIP_HDR_PROXY_AUTHORIZATION, &pos,
				 &value)) {
		if (value.len > AUTH_VALUE_MAX) {
			first_err = -EINVAL;
			continue;
		}
		err = digest_parse(value.p, value.len, buf, bufsz, creds, NULL);
		if (err) {
			if (first_err == -ENOENT)
				first_err = err;
			continue;
		}
		if (creds->realm.len == strlen(a->realm) &&
		    !memcmp(creds->realm.s, a->realm, creds->realm.len))
			return 0;
	}
	return first_err;
}

/*
 * 0 and the user in user when m carries good credentials for src, else
 * the verdict (400, 403 or 407) is in v. The order is nonce.h's: nonce,
 * then response, then the nonce count.
 */
static int authenticate(struct caller_auth *a, const struct sip_msg *m,
			const struct siplb_endpoint *src, uint64_t now_s,
			struct siplb_worker_counters *stats, char *user,
			size_t usize, struct caller_verdict *v)
{
	char buf[AUTH_VALUE_MAX + 1];
	struct digest_creds creds;
	enum nonce_verdict verdict;
	struct siplb_addr addr;
	struct nonce_id id;
	const char *ha1;
	int err;

	user[0] = '\0';
	err = find_credentials(a, m, buf, sizeof(buf), &creds);
	if (err == -EINVAL) {
		stats->caller_bad_credentials++;
		refuse(v, 400, "Malformed Proxy-Authorization header");
		return -EINVAL;
	}
	if (err) {	/* none for our realm, or a scheme we do not do */
		stats->caller_challenged++;
		challenge(a, m, src, now_s, false, v);
		return err;
	}
	endpoint_addr(src, &addr);
	verdict = nonce_check(a->nonces, creds.nonce.s, creds.nonce.len,
			      a->realm, strlen(a->realm), &addr, sizeof(addr),
			      now_s, a->pol.nonce_lifetime, &id);
	if (verdict != NONCE_VALID) {
		if (verdict == NONCE_STALE)
			stats->caller_stale++;
		else
			stats->caller_foreign_nonce++;
		challenge(a, m, src, now_s, verdict == NONCE_STALE, v);
		return -EACCES;
	}
	if (creds.username.len < usize)
		memcpy(user, creds.username.s, creds.username.len + 1);
	ha1 = user[0] && a->users ?
		      users_find(a->users, user, a->realm, creds.alg) : NULL;
	if (!ha1 || digest_verify(&creds, m->method.p, m->method.len, ha1)) {
		/* Unknown user and wrong password look the same. */
		stats->caller_auth_failed++;
		log_refusal(src, m, user, 403, "wrong credentials");
		refuse(v, 403, NULL);
		return -EACCES;
	}
	err = nonce_replay_use(a->replay, &id,
			       creds.has_qop ? creds.nc_value : 1, now_s);
	if (err) {
		stats->caller_replayed++;
		log_refusal(src, m, user, 407, "nonce count reused");
		challenge(a, m, src, now_s, err == -ESTALE, v);
		return err;
	}
	return 0;
}

/* The authenticated user may be the From user, or call as an alias. */
static bool may_call_as(const struct caller_policy *pol, const char *user,
			const char *from_user)
{
	size_t i;

	if (!strcmp(user, from_user))
		return true;
	for (i = 0; i < pol->naliases; i++)
		if (!strcmp(pol->aliases[i].user, user) &&
		    !strcmp(pol->aliases[i].alias, from_user))
			return true;
	return false;
}

/* ---- the judgement ------------------------------------------------------ */

static void judge_untrusted(struct caller_auth *a, const struct sip_msg *m,
			    const struct siplb_endpoint *src, uint64_t now_s,
			    bool foreign, struct siplb_worker_counters *stats,
			    struct caller_verdict *v)
{
	char user[CALLER_USER_MAX + 1], from_user[CALLER_USER_MAX + 1];

	if (!a->pol.caller_auth) {
		/* Nobody is authenticated, so nobody relays. */
		if (foreign) {
			stats->relay_denied++;
			log_refusal(src, m, "", 403, "relay needs caller-auth");
			refuse(v, 403, "Forbidden (relaying denied)");
		}
		return;
	}
	if (authenticate(a, m, src, now_s, stats, user, sizeof(user), v))
		return;
	uri_user(&m->from.uri, from_user, sizeof(from_user));
	if (!may_call_as(&a->pol, user, from_user)) {
		stats->caller_from_mismatch++;
		log_refusal(src, m, user, 403, "user is not the From user");
		refuse(v, 403, "Forbidden (From is not the authenticated "
			       "user)");
		return;
	}
	if (foreign && a->pol.relay != CONF_RELAY_AUTHENTICATED) {
		stats->relay_denied++;
		log_refusal(src, m, user, 403, "relay off");
		refuse(v, 403, "Forbidden (relaying denied)");
		return;
	}
	stats->caller_authenticated++;
}

void caller_auth_judge(struct caller_auth *a, const struct proxy_self *self,
		       const struct sip_msg *m,
		       const struct siplb_endpoint *src, uint64_t now_s,
		       struct siplb_worker_counters *stats,
		       struct caller_verdict *v)
{
	bool foreign = target_is_foreign(self, m);

	refuse(v, 0, NULL);
	if (!policy_applies(self, m, foreign))
		return;
	if (caller_is_trunk(&a->pol, src)) {
		if (foreign && a->pol.relay != CONF_RELAY_AUTHENTICATED) {
			stats->relay_denied++;
			log_refusal(src, m, "", 403, "relay off (trunk)");
			refuse(v, 403, "Forbidden (relaying denied)");
			return;
		}
		stats->trunk_accepted++;
		return;
	}
	/* A call from outside to one of ours needs no account here. */
	if (!foreign && !from_is_local(self, &m->from.uri) &&
	    a->pol.inbound == CONF_INBOUND_FROM_ANYONE)
		return;
	judge_untrusted(a, m, src, now_s, foreign, stats, v);
}
