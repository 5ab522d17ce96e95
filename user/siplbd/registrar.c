// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * registrar.c - REGISTER handling (registrar.h), RFC 3261 section 10.3:
 *
 *   1. the Request-URI and the To URI must be sip: or sips: (else 416);
 *   2. the request must carry valid Digest credentials for our realm
 *      (else 401 with a challenge); wrong ones are counted per source by the
 *      auth guard, which blocks the source in XDP at its threshold;
 *   3. the authenticated user must be the user of the address-of-record,
 *      taken from the To header, escapes decoded (else 403); its domain
 *      must be the Request-URI's host or the realm (else 404);
 *   4. the Contacts are checked as a whole before anything changes: "*" only
 *      alone and with Expires: 0; each expiry from the Contact's expires
 *      parameter, else the Expires header, else the default; below the
 *      minimum -> 423 with Min-Expires; above the maximum -> the maximum; a
 *      binding with the same Call-ID and a CSeq not below the request's ->
 *      500; more bindings than max-contacts -> 403;
 *   5. the changes are written to the location map, all or none (full:
 *      503 Retry-After), Contacts matched by RFC 3261 19.1.4 URI
 *      equality, and the 200 lists every current binding with its
 *      remaining expiry.
 *
 * A binding records the source address of the REGISTER next to the
 * Contact, so that calls reach a phone behind NAT where it really is.
 *
 * RFC 5626: a Contact with +sip.instance is matched by its instance (and
 * reg-id) instead of its URI, so a phone restarted on another address or
 * port replaces its binding; with reg-id and "Supported: outbound" the
 * binding is a flow, the 200 says "Require: outbound", and it lists each
 * binding's instance and reg-id. The responses' top Via carries received
 * and rport (RFC 3581) because siplbd tells the parsed request its source.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster_store.h"
#include "digest.h"
#include "endpoint.h"
#include "log.h"
#include "nonce.h"
#include "option_tags.h"
#include "outbuf.h"
#include "registrar.h"
#include "registrar_stage.h"
#include "siplb_cookie.h"
#include "siplb_hash.h"
#include "users.h"

#define AUTH_VALUE_MAX	2048	/* longest Authorization value we parse */
/*
 * Nonces the replay table remembers: it should cover (authenticated
 * requests per second) x (nonce lifetime), else valid requests get a
 * stale=true challenge and a round trip more. 2^21 slots (80 MiB) cover
 * about 7,000/s at the default 300 s lifetime.
 */
#define REPLAY_SLOTS	(1u << 21)
#define EXTRA_MAX	(SIPLB_CONTACTS_MAX * (SIPLB_CONTACT_MAX + \
					       SIPLB_INSTANCE_MAX + 64) + 1024)

/* Equality of Call-IDs through a hash, and our To tag: a public key is
 * enough. siplb_cookie.h's, so that XDP's 401 carries the same tag. */
static const __u64 callid_key[2] = { SIPLB_TO_TAG_KEY0, SIPLB_TO_TAG_KEY1 };

static int scratch_new(struct registrar *r);

int registrar_init(struct registrar *r, const struct registrar_conf *conf,
		   const struct users *users, struct location *loc,
		   struct auth_guard *guard)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->conf = *conf;
	r->users = users;
	r->loc = loc;
	r->guard = guard;
	err = nonce_issuer_new(&r->nonces);
	if (!err)
		err = nonce_replay_new(REPLAY_SLOTS, &r->replay);
	if (!err)
		err = scratch_new(r);
	if (err)
		registrar_free(r);
	return err;
}

void registrar_free(struct registrar *r)
{
	registrar_pipe_free(r);
	nonce_replay_free(r->replay);
	nonce_issuer_free(r->nonces);
	free(r->scratch);
	r->replay = NULL;
	r->nonces = NULL;
	r->scratch = NULL;
}


/*
 * Nonces carry their issue time: in a cluster another node checks it,
 * so it must be on a clock every node shares (CLOCK_REALTIME, kept by
 * NTP); alone, the monotonic clock, which nothing can set back.
 */
static __u64 nonce_clock(const struct reg_ctx *c)
{
	return c->r->cluster ? c->now->real_s : c->now->mono_s;
}

static int reply(struct reg_ctx *c, int status, const char *reason,
		 const char *extra)
{
	return sip_build_response(c->req, status, reason, c->to_tag, extra,
				  c->out, c->size);
}

static int reply_bad(struct reg_ctx *c, int status, const char *reason)
{
	c->r->stats.bad_request++;
	return reply(c, status, reason, NULL);
}

/*
 * A 401 with a fresh nonce, one challenge for each algorithm the policy
 * gives this client (digest_policy.h), in its order; the nonce is bound
 * to the request's source address (not its port: nonce.h says why).
 */
static int reply_challenge(struct reg_ctx *c, bool stale)
{
	const struct digest_alg_list *algs =
		digest_policy_for_request(&c->r->conf.digest, c->req);
	struct digest_challenge_opts opts = {
		.realm = c->r->conf.realm,
		.stale = stale,
		.order = algs->algs,
		.norder = algs->n,
	};
	char nonce[NONCE_STR_SIZE], extra[1024];
	struct siplb_addr src;
	size_t len;
	int err;

	endpoint_addr(c->source, &src);
	err = nonce_make(c->r->nonces, c->r->conf.realm,
			 strlen(c->r->conf.realm), &src, sizeof(src),
			 nonce_clock(c), nonce);
	if (err)
		return err;
	opts.nonce = nonce;
	err = digest_challenge(&opts, extra, sizeof(extra), &len);
	if (err)
		return err;
	return reply(c, 401, NULL, extra);
}

/* host, %HH decoded and in lower case, into out; the length or -errno. */
static int host_text(struct sip_slice host, char *out, size_t size)
{
	int n = sip_unescape(host, out, size), i;

	for (i = 0; i < n; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] += 32;
	return n;
}

/*
 * The address-of-record (RFC 3261 10.3 step 5): "sip:user@host" from the
 * To URI, escapes decoded, host in lower case, without port or parameters.
 * Its domain must be the Request-URI's host or the realm (the registrar is
 * for that domain; phones often register to an address but name the
 * domain in To): else c->foreign_domain, answered 404 once the request
 * is authenticated (steps 3 and 4 come first).
 */
static int take_aor(struct reg_ctx *c)
{
	const struct sip_uri *to = &c->req->to.uri;
	char host[SIPLB_AOR_MAX], ruri_host[SIPLB_AOR_MAX];
	int ulen, hlen, rlen, n;

	if (to->scheme != SIP_URI_SIP && to->scheme != SIP_URI_SIPS)
		return -EPROTONOSUPPORT;
	if (!to->user.len || !to->host.len)
		return -EINVAL;
	ulen = sip_unescape(to->user, c->aor_user, sizeof(c->aor_user));
	hlen = host_text(to->host, host, sizeof(host));
	rlen = host_text(c->req->ruri.host, ruri_host, sizeof(ruri_host));
	if (ulen < 0 || hlen < 0 || rlen < 0)
		return -ENAMETOOLONG;
	if ((size_t)ulen != strlen(c->aor_user) || (size_t)hlen != strlen(host))
		return -EINVAL;	/* %00 would cut the AOR short */
	c->foreign_domain = strcmp(host, ruri_host) &&
			    strcasecmp(host, c->r->conf.realm);
	/* "sip:%s@%s", without printf */
	n = 4 + ulen + 1 + hlen;
	if ((size_t)n >= sizeof(c->aor))
		return -ENAMETOOLONG;
	memcpy(c->aor, "sip:", 4);
	memcpy(c->aor + 4, c->aor_user, ulen);
	c->aor[4 + ulen] = '@';
	memcpy(c->aor + 5 + ulen, host, hlen + 1);
	c->aor_len = n;
	return 0;
}

/* The Authorization header meant for our realm, or -ENOENT. */
static int find_credentials(struct reg_ctx *c, char *buf, size_t bufsz,
			    struct digest_creds *creds)
{
	const char *realm = c->r->conf.realm;
	struct sip_slice value;
	unsigned int pos = 0;
	const char *why;
	int err, first_err = -ENOENT;

	while (!sip_msg_hdr_next(c->req, SIP_HDR_AUTHORIZATION, &pos,
				 &value)) {
		if (value.len > AUTH_VALUE_MAX) {
			first_err = -EINVAL;
			continue;
		}
		err = digest_parse(value.p, value.len, buf, bufsz, creds, &why);
		if (err) {
			if (first_err == -ENOENT)
				first_err = err;
			continue;
		}
		if (creds->realm.len == strlen(realm) &&
		    !memcmp(creds->realm.s, realm, creds->realm.len))
			return 0;
	}
	return first_err;
}

/* A HA1 of the right length for alg that is nobody's (it is never
 * accepted: the caller fails a stranger whatever it computes). */
static const char *dummy_ha1(enum digest_alg alg, char buf[DIGEST_HEX_SIZE])
{
	size_t n = digest_alg_hexlen(alg);

	memset(buf, '0', n);
	buf[n] = '\0';
	return buf;
}

/*
 * RFC 3261 8.2.2.3, before anything of the REGISTER is acted on: 420
 * with the option-tags of Require we do not support (option_tags.h).
 * Returns 0, or the length of the response written.
 */
static int check_require(struct reg_ctx *c)
{
	char extra[1024], src[ENDPOINT_STRLEN];
	int n = sip_unsupported_tags(c->req, SIP_HDR_REQUIRE, extra,
				     sizeof(extra));

	if (!n)
		return 0;
	log_info("REGISTER from %s refused: Require %s",
		 endpoint_format(c->source, src, sizeof(src)),
		 n > 0 ? "names an extension we lack" : "is malformed");
	if (n == -EINVAL)
		return reply_bad(c, 400, "Bad Request (option-tags)");
	c->r->stats.bad_extension++;
	return reply(c, 420, NULL, n > 0 ? extra : NULL);
}

/* Redis is down in a cluster: nothing is decided alone (503). */
static int reply_store_down(struct reg_ctx *c)
{
	c->r->stats.store_down++;
	return reply(c, 503, "Registration store unreachable",
		     "Retry-After: 5\r\n");
}

/*
 * A failed authentication, counted cluster-wide when there is a cluster
 * (the block then reaches every node's XDP through the mirrors; this
 * node's map gets it at once), or here alone, as when Redis is down:
 * a guesser is never let off because the store is.
 */
static bool count_failure(struct reg_ctx *c, const struct siplb_addr *src)
{
	struct auth_guard *g = c->r->guard;
	bool blocked = false;
	__u32 failures = 0;

	/* Requests of this batch still in the pipeline came first: they
	 * are finished before this source's failure is counted (it may
	 * clear or block what they found). */
	if (c->r->pipe)
		registrar_pipe_drain(c->r);
	if (c->r->cluster && g->threshold && g->block_ns &&
	    !cluster_store_auth_failure(c->r->cluster, src,
					g->window_ns / 1000000000ULL,
					g->threshold, g->block_ns / 1000000,
					&blocked, &failures)) {
		g->failures++;
		if (blocked)
			auth_guard_block(g, src, failures, c->now->mono_ns);
		return blocked;
	}
	return auth_guard_failure(g, src, c->now->mono_ns);
}

/*
 * Step 2, up to the nonce count: 0 when the credentials are right (the
 * nonce count is then c->auth's to use), else the length of the response
 * already written (401/400), or -errno.
 */
static int authenticate_check(struct reg_ctx *c)
{
	struct registrar *r = c->r;
	char buf[AUTH_VALUE_MAX + 1], dummy[DIGEST_HEX_SIZE];
	char *user = c->auth.user;
	struct siplb_addr src;
	struct digest_creds creds;
	enum nonce_verdict verdict;
	struct nonce_id id;
	const char *ha1;
	int err;

	user[0] = '\0';

	/* Guesses already queued when the block landed are not checked: a
	 * guesser that does not wait for answers gets no more tries than
	 * one that does. */
	endpoint_addr(c->source, &src);
	if (auth_guard_blocked(r->guard, &src, c->now->mono_ns)) {
		r->stats.blocked++;
		return REGISTRAR_NO_ANSWER;
	}
	err = find_credentials(c, buf, sizeof(buf), &creds);
	if (err == -EINVAL)
		return reply_bad(c, 400, "Malformed Authorization header");
	if (err) {	/* none for our realm, or a scheme we do not do */
		r->stats.challenged++;
		return reply_challenge(c, false);
	}
	/* A nonce issued to another address (or forged, or from before a
	 * restart) proves nothing about the password: a new challenge, and
	 * never a failure counted against this source, so that answers
	 * forged in a victim's name cannot get the victim blocked. */
	verdict = nonce_check(r->nonces, creds.nonce.s, creds.nonce.len,
			      r->conf.realm, strlen(r->conf.realm), &src,
			      sizeof(src), nonce_clock(c),
			      r->conf.nonce_lifetime, &id);
	if (verdict != NONCE_VALID) {
		if (verdict == NONCE_STALE)
			r->stats.stale++;
		else
			r->stats.foreign_nonce++;
		return reply_challenge(c, verdict == NONCE_STALE);
	}

	if (creds.username.len >= sizeof(c->auth.user))
		goto failed;
	memcpy(user, creds.username.s, creds.username.len + 1);
	c->auth.user_len = creds.username.len;
	/* A stranger's answer is checked against a dummy HA1 all the same,
	 * so that the time does not tell users from strangers. */
	ha1 = users_find(r->users, user, r->conf.realm, creds.alg);
	if (digest_verify(&creds, c->req->method.p, c->req->method.len,
			  ha1 ? ha1 : dummy_ha1(creds.alg, dummy)) != 0 ||
	    !ha1)
		goto failed;

	c->auth.id = id;
	c->auth.nc = creds.has_qop ? creds.nc_value : 1;
	c->auth.src = src;
	return 0;

failed:
	/* Unknown user and wrong password look the same from outside. */
	r->stats.auth_failed++;
	if (count_failure(c, &src)) {
		char text[ENDPOINT_STRLEN];

		log_info("blocked %s after failed authentications (last as "
			 "user '%s')", endpoint_format(c->source, text,
						       sizeof(text)), user);
	}
	return reply_challenge(c, false);
}

/* The nonce count's use, here and now (not pipelined). */
static int nonce_count_use(struct reg_ctx *c)
{
	const struct reg_auth *a = &c->auth;

	if (c->r->cluster)	/* and the source's failures cleared */
		return cluster_store_nonce_use(c->r->cluster, &a->id, a->nc,
					       nonce_clock(c), &a->src);
	return nonce_replay_use(c->r->replay, &a->id, a->nc, c->now->mono_s);
}

int registrar_stage_accept(struct reg_ctx *c, int err)
{
	struct registrar *r = c->r;

	if (err == -EIO)
		return reply_store_down(c);
	if (err) {
		r->stats.replayed++;
		return reply_challenge(c, err == -ESTALE);
	}
	auth_guard_success(r->guard, &c->auth.src);
	/* Step 3: one may only register one's own address-of-record. */
	if (c->auth.user_len != strlen(c->aor_user) ||
	    memcmp(c->auth.user, c->aor_user, c->auth.user_len)) {
		r->stats.forbidden++;
		return reply(c, 403, "Username does not match the To URI",
			     NULL);
	}
	return 0;
}

/* The changes one REGISTER asks for, checked before any is made. */
struct reg_plan {
	bool star;
	bool outbound;	/* RFC 5626: a flow (reg-id, Supported: outbound) */
	size_t n;
	struct plan_contact {
		char uri[SIPLB_CONTACT_MAX];
		char instance[SIPLB_INSTANCE_MAX];	/* "": none */
		__u32 reg_id;	/* 0 unless outbound */
		__u32 expires;	/* after the policy; 0: remove */
		__u16 q;
	} contact[SIPLB_CONTACTS_MAX];
};

/* Are two Contact URIs (as text) the same URI (RFC 3261 19.1.4)? */
static bool same_uri(const char *a, const char *b)
{
	struct sip_uri ua, ub;

	/* A refresh names its Contact in the very same text: equal without
	 * parsing either (the equality is reflexive). */
	if (!strcmp(a, b))
		return true;
	if (sip_uri_parse(sip_slice_str(a), &ua) ||
	    sip_uri_parse(sip_slice_str(b), &ub))
		return !strcmp(a, b);
	return sip_uri_equal(&ua, &ub);
}

/*
 * Do a binding (uri, instance, reg_id) and a contact name the same
 * binding? RFC 5626 6: when both name an instance, the instance and the
 * reg-id decide (a restarted phone on another address or port replaces
 * its binding); otherwise the URI does (RFC 3261 10.3 step 7).
 */
static bool same_binding(const char *uri, const char *instance, __u32 reg_id,
			 const struct plan_contact *pc)
{
	if (instance[0] && pc->instance[0])
		return !strcasecmp(instance, pc->instance) &&
		       reg_id == pc->reg_id;
	return same_uri(uri, pc->uri);
}

/* The plan entry for the same binding as b, or -1. */
static int plan_find(const struct reg_plan *plan, const char *uri,
		     const char *instance, __u32 reg_id)
{
	size_t i;

	for (i = 0; i < plan->n; i++)
		if (same_binding(uri, instance, reg_id, &plan->contact[i]))
			return (int)i;
	return -1;
}

static __u32 contact_expires(struct reg_ctx *c, const struct sip_contact *ct)
{
	if (ct->has_expires)
		return ct->expires;
	if (c->req->has_expires)
		return c->req->expires;
	return c->r->conf.default_expires;
}

/* One contact into the plan; the same binding given twice: the last
 * wins. pc holds the instance and reg-id (contact_instance()). */
static int plan_add(struct reg_plan *plan, struct sip_slice uri,
		    const struct plan_contact *pc, __u32 expires, __u16 q)
{
	char text[SIPLB_CONTACT_MAX];
	int i;

	memcpy(text, uri.p, uri.len);
	text[uri.len] = '\0';
	i = plan_find(plan, text, pc->instance, pc->reg_id);
	if (i < 0) {
		if (plan->n == SIPLB_CONTACTS_MAX)
			return -E2BIG;
		i = (int)plan->n++;
	}
	memcpy(plan->contact[i].uri, text, uri.len + 1);
	memcpy(plan->contact[i].instance, pc->instance,
	       sizeof(pc->instance));
	plan->contact[i].reg_id = pc->reg_id;
	plan->contact[i].expires = expires;
	plan->contact[i].q = q;
	return 0;
}

/* Does a header of id list option tag (Supported: a, outbound)? */
static bool lists_option(const struct sip_msg *m, enum sip_hdr_id id,
			 const char *tag)
{
	struct sip_slice value, item;
	unsigned int pos = 0;
	const char *comma;

	while (!sip_msg_hdr_next(m, id, &pos, &value)) {
		while (value.len) {
			comma = memchr(value.p, ',', value.len);
			item = sip_slice_make(value.p, comma ? (size_t)(comma -
						value.p) : value.len);
			sip_slice_advance(&value, item.len + (comma ? 1 : 0));
			if (sip_slice_caseeq_str(sip_slice_trim(item), tag))
				return true;
		}
	}
	return false;
}

/*
 * RFC 5626 4.1 and 6: the Contact's +sip.instance ("<urn:...>", kept
 * without the < >) and, in an outbound REGISTER (Supported: outbound),
 * its reg-id. A reg-id without an instance, or without outbound, is
 * ignored, as RFC 3261 ignores parameters it does not know. -EINVAL with
 * *why for an instance that is not "<URN>" or too long to keep, or a
 * reg-id that is not 1..2^31-1.
 */
static int contact_instance(const struct reg_ctx *c,
			    const struct sip_contact *ct,
			    struct plan_contact *pc, const char **why)
{
	struct sip_slice v;
	uint64_t reg_id;
	size_t i;

	pc->instance[0] = '\0';
	pc->reg_id = 0;
	if (sip_param_get(ct->addr.params, "+sip.instance", &v))
		return 0;
	*why = "Bad +sip.instance";
	if (v.len < 3 || v.p[0] != '<' || v.p[v.len - 1] != '>' ||
	    v.len - 2 >= SIPLB_INSTANCE_MAX)
		return -EINVAL;
	for (i = 1; i + 1 < v.len; i++)	/* echoed in a quoted string */
		if (v.p[i] <= ' ' || v.p[i] > '~' || v.p[i] == '"' ||
		    v.p[i] == '\\' || v.p[i] == '<' || v.p[i] == '>')
			return -EINVAL;
	memcpy(pc->instance, v.p + 1, v.len - 2);
	pc->instance[v.len - 2] = '\0';
	if (sip_param_get(ct->addr.params, "reg-id", &v) ||
	    !lists_option(c->req, SIP_HDR_SUPPORTED, "outbound"))
		return 0;
	*why = "Bad reg-id";
	if (sip_slice_to_uint(v, 0x7fffffff, &reg_id) || !reg_id)
		return -EINVAL;
	pc->reg_id = (__u32)reg_id;
	return 0;
}

/* Collect and check the Contacts (step 4, first half). */
static int plan_contacts(struct reg_ctx *c, struct reg_plan *plan,
			 const char **why, int *status)
{
	const struct registrar_conf *conf = &c->r->conf;
	struct sip_slice value, rest;
	struct plan_contact pc;
	struct sip_contact ct;
	unsigned int pos = 0;
	__u32 expires;
	int err;

	*status = 400;
	/* Not the whole plan (36 KB): plan_add() fills what it counts. */
	plan->star = false;
	plan->outbound = false;
	plan->n = 0;
	while (!sip_msg_hdr_next(c->req, SIP_HDR_CONTACT, &pos, &value)) {
		rest = value;
		while (!(err = sip_contact_next(&rest, &ct))) {
			if (ct.star) {
				plan->star = true;
				continue;
			}
			if (ct.addr.uri_text.len >= SIPLB_CONTACT_MAX ||
			    memchr(ct.addr.uri_text.p, '\0',
				   ct.addr.uri_text.len)) {
				*why = "Contact URI too long";
				return -EINVAL;
			}
			err = contact_instance(c, &ct, &pc, why);
			if (err)
				return err;
			plan->outbound |= pc.reg_id != 0;
			expires = contact_expires(c, &ct);
			if (expires && expires < conf->min_expires) {
				*status = 423;
				*why = NULL;
				return -ERANGE;
			}
			if (expires > conf->max_expires)
				expires = conf->max_expires;
			err = plan_add(plan, ct.addr.uri_text, &pc, expires,
				       ct.q);
			if (err) {
				*status = 403;
				*why = "Too many contacts";
				return err;
			}
		}
		if (err != -ENOENT) {
			*why = "Malformed Contact header";
			return -EINVAL;
		}
	}
	/* "*" is only for removing everything: alone, with Expires: 0. */
	if (plan->star && (plan->n || c->req->count[SIP_HDR_CONTACT] != 1 ||
			   !c->req->has_expires || c->req->expires != 0)) {
		*why = "Contact: * needs Expires: 0 and no other Contact";
		return -EINVAL;
	}
	/* RFC 5626 6: a flow is registered one Contact at a time. */
	if (plan->outbound && plan->n > 1) {
		*why = "Outbound REGISTER with more than one Contact";
		return -EINVAL;
	}
	return 0;
}

static __u64 request_callid_hash(const struct reg_ctx *c)
{
	return siplb_siphash((const __u8 *)c->req->call_id.p,
			     c->req->call_id.len, (__u32)-1, callid_key);
}

/* RFC 3261 10.3 step 7: same Call-ID, so the CSeq must have grown. */
static bool out_of_order(const struct reg_ctx *c, const struct siplb_binding *b)
{
	return b->callid_hash == request_callid_hash(c) &&
	       c->req->cseq <= b->cseq;
}

static int find_binding(const struct location_set *set,
			const struct plan_contact *pc)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (same_binding(set->b[i].contact, set->b[i].instance,
				 set->b[i].reg_id, pc))
			return (int)i;
	return -1;
}

/* A slot of this AOR with no live binding and not taken by this plan. */
static int free_slot(const struct location *loc, const struct location_set *set,
		     const bool *gone, bool *taken, __u32 *slot)
{
	__u32 s;
	size_t i;

	for (s = 0; s < loc->max_contacts; s++) {
		bool used = taken[s];

		for (i = 0; !used && i < set->n; i++)
			used = set->slot[i] == s && !gone[i];
		if (!used) {
			taken[s] = true;
			*slot = s;
			return 0;
		}
	}
	return -ENOSPC;
}

/*
 * The whole plan against the AOR's bindings, before any change: -EALREADY
 * if a binding with this Call-ID has a CSeq not below the request's,
 * -ENOSPC if the AOR would have more than max_contacts bindings.
 */
static int check_plan(const struct reg_ctx *c, const struct reg_plan *plan,
		      const struct location_set *set)
{
	size_t i, adds = 0, removes = 0;
	int idx;

	if (plan->star) {
		for (i = 0; i < set->n; i++)
			if (out_of_order(c, &set->b[i]))
				return -EALREADY;
		return 0;
	}
	for (i = 0; i < plan->n; i++) {
		idx = find_binding(set, &plan->contact[i]);
		if (idx >= 0 && out_of_order(c, &set->b[idx]))
			return -EALREADY;
		if (idx < 0 && plan->contact[i].expires)
			adds++;
		if (idx >= 0 && !plan->contact[i].expires)
			removes++;
	}
	return set->n + adds - removes > c->r->loc->max_contacts ? -ENOSPC : 0;
}

static void fill_binding(const struct reg_ctx *c, const struct reg_plan *plan,
			 size_t i, struct siplb_binding *b)
{
	memset(b, 0, sizeof(*b));
	memcpy(b->contact, plan->contact[i].uri, strlen(plan->contact[i].uri));
	b->source = *c->source;
	b->q = plan->contact[i].q;
	b->expires_at = c->now->real_s + plan->contact[i].expires;
	b->registered_at = c->now->real_s;
	b->callid_hash = request_callid_hash(c);
	b->cseq = c->req->cseq;
	/* Only the text: the rest of the plan's buffer was never written
	 * (valgrind: uninitialised bytes into the map). */
	memcpy(b->instance, plan->contact[i].instance,
	       strnlen(plan->contact[i].instance, sizeof(b->instance)));
	b->reg_id = plan->contact[i].reg_id;
	if (b->reg_id)
		b->flags |= SIPLB_BINDING_OUTBOUND;
}

/* What apply_plan() changed, so that a failure can be undone. */
struct reg_undo {
	size_t nwritten;
	struct {
		__u32 slot;
		int old;	/* index into the set of the value replaced, or -1 */
		struct siplb_binding b;
	} written[SIPLB_CONTACTS_MAX];
	bool gone[SIPLB_CONTACTS_MAX];	/* by index into the set: removed */
};

/* The large per-request state, allocated once per registrar. */
struct registrar_scratch {
	struct reg_plan plan;
	struct location_set set;	/* read, then as applied (the 200) */
	struct reg_undo undo;
	struct cluster_contact cc[SIPLB_CONTACTS_MAX];
	char extra[EXTRA_MAX];		/* the 200's Contact lines */
};

static int scratch_new(struct registrar *r)
{
	r->scratch = malloc(sizeof(*r->scratch));
	return r->scratch ? 0 : -ENOMEM;
}

/* Put back what was there before: RFC 3261 10.3 step 8, all or nothing. */
static void undo(struct reg_ctx *c, const struct location_set *set,
		 const struct reg_undo *u)
{
	struct location *loc = c->r->loc;
	size_t i = u->nwritten;

	while (i--) {
		if (u->written[i].old >= 0)
			location_put(loc, c->aor, c->aor_len, u->written[i].slot,
				     &set->b[u->written[i].old]);
		else
			location_remove(loc, c->aor, c->aor_len,
					u->written[i].slot, &u->written[i].b);
	}
	for (i = 0; i < set->n; i++)
		if (u->gone[i])
			location_put(loc, c->aor, c->aor_len, set->slot[i],
				     &set->b[i]);
}

/*
 * Cluster mode: the plan goes to Redis whole, and the script checks and
 * applies it there (cluster_store.c), so that two nodes never decide on
 * the same AOR from different pictures of it. The result is the set the
 * 200 lists.
 */
int registrar_stage_request(struct reg_ctx *c, const struct reg_plan *plan,
			    struct cluster_register *req)
{
	struct cluster_contact *cc = c->r->scratch->cc;
	size_t i;
	int err = 0;

	*req = (struct cluster_register){
		.aor = c->aor, .now = c->now->real_s,
		.max_contacts = c->r->loc->max_contacts, .star = plan->star,
		.callid_hash = request_callid_hash(c), .cseq = c->req->cseq,
		.contacts = cc, .n = plan->n,
	};
	for (i = 0; i < plan->n && !err; i++) {
		fill_binding(c, plan, i, &cc[i].b);
		if (!plan->contact[i].expires)
			cc[i].b.expires_at = 0;
		err = cluster_binding_id(plan->contact[i].uri,
					 plan->contact[i].instance,
					 plan->contact[i].reg_id, cc[i].id,
					 sizeof(cc[i].id));
	}
	return err;
}

bool registrar_plan_outbound(const struct reg_plan *plan)
{
	return plan->outbound;
}

struct location_set *registrar_stage_set(struct registrar *r)
{
	return &r->scratch->set;
}

static int apply_plan_cluster(struct reg_ctx *c, const struct reg_plan *plan)
{
	struct cluster_register req;
	int err = registrar_stage_request(c, plan, &req);

	if (!err)
		err = cluster_store_register(c->r->cluster, &req,
					     &c->r->scratch->set);
	if (!err)
		c->result = &c->r->scratch->set;
	return err;
}

/* Insertion sort: a handful of bindings, nearly always in order. */
static void set_sort_by_slot(struct location_set *set)
{
	struct siplb_binding b;
	__u32 slot;
	size_t i, j;

	for (i = 1; i < set->n; i++) {
		if (set->slot[i - 1] < set->slot[i])
			continue;
		slot = set->slot[i];
		b = set->b[i];
		for (j = i; j > 0 && set->slot[j - 1] > slot; j--) {
			set->slot[j] = set->slot[j - 1];
			set->b[j] = set->b[j - 1];
		}
		set->slot[j] = slot;
		set->b[j] = b;
	}
}

/*
 * The AOR's bindings as the map now holds them, from the set read before
 * and what was written, so that the 200 needs no second read: the
 * removed ones out, the written ones in, in slot order as
 * location_read() returns them.
 */
static void set_as_applied(struct location_set *set, const struct reg_undo *u)
{
	size_t i, j, n = 0, before = set->n;

	for (i = 0; i < set->n; i++) {
		if (u->gone[i])
			continue;
		if (n != i) {
			set->slot[n] = set->slot[i];
			set->b[n] = set->b[i];
		}
		n++;
	}
	for (i = 0; i < u->nwritten; i++) {
		for (j = 0; j < n && set->slot[j] != u->written[i].slot; j++)
			;
		if (j == n)
			n++;	/* a new slot */
		set->slot[j] = u->written[i].slot;
		set->b[j] = u->written[i].b;
	}
	set->n = n;
	set->free_slots = set->free_slots + before - n;
	set_sort_by_slot(set);
}

/*
 * Step 4, second half, and step 5: check the plan against the bindings,
 * then apply it: removals first (so that a contact can replace another at
 * the limit), then the new and refreshed bindings. If a write fails (the
 * map is full: -E2BIG), everything done is undone.
 */
static int apply_plan(struct reg_ctx *c, const struct reg_plan *plan)
{
	bool taken[SIPLB_CONTACTS_MAX] = { false };
	struct location *loc = c->r->loc;
	struct location_set *set = &c->r->scratch->set;
	struct reg_undo *u = &c->r->scratch->undo;
	struct siplb_binding *b;
	__u32 slot;
	size_t i;
	int idx, err;

	if (c->r->cluster)
		return apply_plan_cluster(c, plan);
	u->nwritten = 0;
	memset(u->gone, 0, sizeof(u->gone));
	err = location_read(loc, c->aor, c->aor_len, c->now->real_s, set);
	if (!err)
		err = check_plan(c, plan, set);
	if (err)
		return err;

	for (i = 0; i < set->n; i++) {
		idx = plan_find(plan, set->b[i].contact, set->b[i].instance,
				set->b[i].reg_id);
		if (plan->star || (idx >= 0 && !plan->contact[idx].expires)) {
			location_remove(loc, c->aor, c->aor_len, set->slot[i],
					&set->b[i]);
			u->gone[i] = true;
		}
	}
	for (i = 0; !plan->star && i < plan->n; i++) {
		if (!plan->contact[i].expires)
			continue;
		idx = find_binding(set, &plan->contact[i]);
		if (idx >= 0) {
			slot = set->slot[idx];
		} else {
			err = free_slot(loc, set, u->gone, taken, &slot);
			if (err)
				break;
		}
		b = &u->written[u->nwritten].b;
		fill_binding(c, plan, i, b);
		if (idx >= 0)	/* a refresh: old value and bit known */
			err = location_replace(loc, c->aor, c->aor_len, slot,
					       b, &set->b[idx]);
		else
			err = location_put(loc, c->aor, c->aor_len, slot, b);
		if (err)
			break;	/* -E2BIG: the map is full */
		u->written[u->nwritten].slot = slot;
		u->written[u->nwritten].old = idx;
		u->nwritten++;
	}
	if (err) {
		undo(c, set, u);
		return err;
	}
	set_as_applied(set, u);
	c->result = set;
	return 0;
}

/* A number in decimal: the 200 is built without printf, which was a
 * tenth of siplbd's time per registration in a profile. */
static void out_u64(struct outbuf *o, unsigned long long v)
{
	char digits[20];
	size_t n = sizeof(digits);

	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_mem(o, digits + n, sizeof(digits) - n);
}

/* One binding in the 200: RFC 3261 10.3 step 8, with the instance and
 * reg-id it was registered with (RFC 5626 6, RFC 5627 4). */
static void contact_line(struct outbuf *o, const struct siplb_binding *b,
			 __u64 now)
{
	out_str(o, "Contact: <");
	out_mem(o, b->contact, strnlen(b->contact, sizeof(b->contact)));
	out_str(o, ">;expires=");
	out_u64(o, b->expires_at - now);
	if (b->instance[0]) {
		out_str(o, ";+sip.instance=\"<");
		out_mem(o, b->instance,
			strnlen(b->instance, sizeof(b->instance)));
		out_str(o, ">\"");
		if (b->reg_id) {
			out_str(o, ";reg-id=");
			out_u64(o, b->reg_id);
		}
	}
	out_mem(o, "\r\n", 2);
}

/* The 200: every current binding with the seconds it has left, from
 * the set apply_plan() left in c->result. */
static int reply_ok(struct reg_ctx *c, bool outbound)
{
	const struct location_set *set = c->result;
	struct outbuf o = { c->r->scratch->extra, EXTRA_MAX, 0, false };
	size_t i;

	for (i = 0; i < set->n; i++)
		contact_line(&o, &set->b[i], c->now->real_s);
	/* RFC 5626 6: the registrar says it took the flow. */
	if (outbound)
		out_str(&o, "Require: outbound\r\n");
	if (out_finish(&o) < 0)
		return -ENOSPC;
	c->r->stats.ok++;
	return reply(c, 200, NULL, o.len ? o.p : NULL);
}

/* A To tag for our responses, stable for a Call-ID (retransmissions). */
static void make_to_tag(struct reg_ctx *c)
{
	static const char hex[] = "0123456789abcdef";
	__u64 h = request_callid_hash(c);
	int i;

	for (i = 15; i >= 0; i--, h >>= 4)	/* "%016llx", without printf */
		c->to_tag[i] = hex[h & 0xf];
	c->to_tag[16] = '\0';
}

void registrar_stage_ctx(struct reg_ctx *c, struct registrar *r,
			 const struct sip_msg *req,
			 const struct siplb_endpoint *source,
			 const struct registrar_now *now, char *out,
			 size_t size)
{
	*c = (struct reg_ctx){ .r = r, .req = req, .source = source,
			       .now = now, .out = out, .size = size };
}

int registrar_stage_begin(struct reg_ctx *c)
{
	struct registrar *r = c->r;
	const struct sip_msg *req = c->req;
	int err, ret;

	r->stats.requests++;
	make_to_tag(c);
	ret = check_require(c);
	if (ret)
		return ret;
	if (req->ruri.scheme != SIP_URI_SIP && req->ruri.scheme != SIP_URI_SIPS)
		return reply_bad(c, 416, NULL);
	err = take_aor(c);
	if (err == -EPROTONOSUPPORT)
		return reply_bad(c, 416, NULL);
	if (err)
		return reply_bad(c, 400, "Bad address-of-record in To");
	return authenticate_check(c);
}

int registrar_stage_plan(struct reg_ctx *c, struct reg_plan **planp)
{
	struct registrar *r = c->r;
	char min_expires[48];
	struct reg_plan *plan;
	const char *why = NULL;
	int err, status;

	if (c->foreign_domain) {
		r->stats.forbidden++;
		return reply(c, 404, "Address-of-record not of this domain",
			     NULL);
	}
	plan = &r->scratch->plan;
	*planp = plan;
	err = plan_contacts(c, plan, &why, &status);
	if (!err)
		return 0;
	if (status == 423) {
		r->stats.too_brief++;
		snprintf(min_expires, sizeof(min_expires),
			 "Min-Expires: %u\r\n", r->conf.min_expires);
		return reply(c, 423, NULL, min_expires);
	}
	if (status == 403) {
		r->stats.forbidden++;
		return reply(c, 403, why, NULL);
	}
	return reply_bad(c, 400, why);
}

int registrar_handle(struct registrar *r, const struct sip_msg *req,
		     const struct siplb_endpoint *source,
		     const struct registrar_now *now, char *out, size_t size)
{
	struct reg_plan *plan;
	struct reg_ctx c;
	int ret;

	registrar_stage_ctx(&c, r, req, source, now, out, size);
	ret = registrar_stage_begin(&c);
	if (!ret)
		ret = registrar_stage_accept(&c, nonce_count_use(&c));
	if (!ret)
		ret = registrar_stage_plan(&c, &plan);
	if (ret)
		return ret;
	return registrar_stage_reply(&c, apply_plan(&c, plan),
				     plan->outbound);
}

/* The answer to an applied (or refused) plan. */
int registrar_stage_reply(struct reg_ctx *c, int err, bool outbound)
{
	struct registrar *r = c->r;

	switch (err) {
	case 0:
		return reply_ok(c, outbound);
	case -EIO:
		return reply_store_down(c);
	case -EALREADY:
		r->stats.out_of_order++;
		return reply(c, 500, "CSeq not above the binding's", NULL);
	case -E2BIG:
		r->stats.full++;
		return reply(c, 503, "Location table full",
			     "Retry-After: 60\r\n");
	case -ENOSPC:
		r->stats.forbidden++;
		return reply(c, 403, "Too many contacts", NULL);
	default:
		log_warnx("REGISTER for %s failed: %s", c->aor, strerror(-err));
		return reply(c, 500, NULL, NULL);
	}
}
