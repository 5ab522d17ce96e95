// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * registrar.c - REGISTER handling (registrar.h), RFC 3261 section 10.3:
 *
 *   1. the Request-URI and the To URI must be sip: or sips: (else 416);
 *   2. the request must carry valid Digest credentials for our realm
 *      (else 401 with a challenge); wrong ones are counted per source by the
 *      auth guard, which blocks the source in XDP at its threshold;
 *   3. the authenticated user must be the user of the address-of-record,
 *      taken from the To header (else 403);
 *   4. the Contacts are checked as a whole before anything changes: "*" only
 *      alone and with Expires: 0; each expiry from the Contact's expires
 *      parameter, else the Expires header, else the default; below the
 *      minimum -> 423 with Min-Expires; above the maximum -> the maximum; a
 *      binding with the same Call-ID and a CSeq not below the request's ->
 *      500; more bindings than max-contacts -> 403;
 *   5. the changes are written to the location map (full: 503 Retry-After)
 *      and the 200 lists every current binding with its remaining expiry.
 *
 * A binding records the source address of the REGISTER next to the
 * Contact, so that calls reach a phone behind NAT where it really is.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "endpoint.h"
#include "log.h"
#include "nonce.h"
#include "registrar.h"
#include "siplb_hash.h"
#include "users.h"

#define AUTH_VALUE_MAX	2048	/* longest Authorization value we parse */
#define EXTRA_MAX	(SIPLB_CONTACTS_MAX * (SIPLB_CONTACT_MAX + 32) + 1024)

/* Equality of Call-IDs through a hash: a public key is enough. */
static const __u64 callid_key[2] = { 0x7265676973747261ULL, 0x722d63616c6c6964ULL };

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
		err = nonce_replay_new(0, &r->replay);
	if (err)
		registrar_free(r);
	return err;
}

void registrar_free(struct registrar *r)
{
	nonce_replay_free(r->replay);
	nonce_issuer_free(r->nonces);
	r->replay = NULL;
	r->nonces = NULL;
}

/* One REGISTER being answered. */
struct reg_ctx {
	struct registrar *r;
	const struct sip_msg *req;
	const struct siplb_endpoint *source;
	const struct registrar_now *now;
	char aor[SIPLB_AOR_MAX];
	size_t aor_len;
	struct sip_slice aor_user;
	char to_tag[24];
	char *out;
	size_t size;
};

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

/* A 401 with a fresh nonce for each algorithm we offer. */
static int reply_challenge(struct reg_ctx *c, bool stale)
{
	struct digest_challenge_opts opts = {
		.realm = c->r->conf.realm,
		.stale = stale,
		.order = c->r->conf.algorithms,
		.norder = c->r->conf.nalgorithms,
	};
	char nonce[NONCE_STR_SIZE], extra[1024];
	size_t len;
	int err;

	err = nonce_make(c->r->nonces, c->r->conf.realm,
			 strlen(c->r->conf.realm), c->now->mono_s, nonce);
	if (err)
		return err;
	opts.nonce = nonce;
	err = digest_challenge(&opts, extra, sizeof(extra), &len);
	if (err)
		return err;
	return reply(c, 401, NULL, extra);
}

/*
 * The address-of-record: "sip:user@host" from the To URI, host in lower
 * case, without port or parameters (RFC 3261 10.3 step 5).
 */
static int take_aor(struct reg_ctx *c)
{
	const struct sip_uri *to = &c->req->to.uri;
	size_t i, n;

	if (to->scheme != SIP_URI_SIP && to->scheme != SIP_URI_SIPS)
		return -EPROTONOSUPPORT;
	if (!to->user.len || !to->host.len)
		return -EINVAL;
	n = 4 + to->user.len + 1 + to->host.len;
	if (n >= sizeof(c->aor))
		return -ENAMETOOLONG;
	memcpy(c->aor, "sip:", 4);
	memcpy(c->aor + 4, to->user.p, to->user.len);
	c->aor[4 + to->user.len] = '@';
	for (i = 0; i < to->host.len; i++) {
		char ch = to->host.p[i];

		c->aor[5 + to->user.len + i] =
			ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
	}
	c->aor[n] = '\0';
	c->aor_len = n;
	c->aor_user = to->user;
	if (memchr(c->aor, '\0', n))
		return -EINVAL;	/* %00 is fine, a raw NUL is not */
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

static void source_addr(const struct siplb_endpoint *ep, struct siplb_addr *a)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->addr, ep->addr, sizeof(a->addr));
	a->family = ep->family;
}

/*
 * Step 2. Returns 0 when authenticated, else the length of the response
 * already written (401/400), or -errno.
 */
static int authenticate(struct reg_ctx *c)
{
	struct registrar *r = c->r;
	char buf[AUTH_VALUE_MAX + 1], user[256] = "";
	struct digest_creds creds;
	enum nonce_verdict verdict;
	struct siplb_addr src;
	struct nonce_id id;
	const char *ha1;
	int err;

	err = find_credentials(c, buf, sizeof(buf), &creds);
	if (err == -EINVAL)
		return reply_bad(c, 400, "Malformed Authorization header");
	if (err) {	/* none for our realm, or a scheme we do not do */
		r->stats.challenged++;
		return reply_challenge(c, false);
	}
	verdict = nonce_check(r->nonces, creds.nonce.s, creds.nonce.len,
			      r->conf.realm, strlen(r->conf.realm),
			      c->now->mono_s, r->conf.nonce_lifetime, &id);
	if (verdict != NONCE_VALID) {
		if (verdict == NONCE_STALE)
			r->stats.stale++;
		else
			r->stats.challenged++;
		return reply_challenge(c, verdict == NONCE_STALE);
	}

	source_addr(c->source, &src);
	if (creds.username.len >= sizeof(user))
		goto failed;
	memcpy(user, creds.username.s, creds.username.len + 1);
	ha1 = users_find(r->users, user, r->conf.realm, creds.alg);
	if (!ha1 || digest_verify(&creds, c->req->method.p, c->req->method.len,
				  ha1) != 0)
		goto failed;

	err = nonce_replay_use(r->replay, &id, creds.has_qop ? creds.nc_value : 1,
			       c->now->mono_s);
	if (err) {
		r->stats.replayed++;
		return reply_challenge(c, err == -ESTALE);
	}
	auth_guard_success(r->guard, &src);
	/* Step 3: one may only register one's own address-of-record. */
	if (creds.username.len != c->aor_user.len ||
	    memcmp(creds.username.s, c->aor_user.p, c->aor_user.len)) {
		r->stats.forbidden++;
		return reply(c, 403, "Username does not match the To URI",
			     NULL);
	}
	return 0;

failed:
	/* Unknown user and wrong password look the same from outside. */
	r->stats.auth_failed++;
	if (auth_guard_failure(r->guard, &src, c->now->mono_ns)) {
		char text[ENDPOINT_STRLEN];

		log_info("blocked %s after failed authentications (last as "
			 "user '%s')", endpoint_format(c->source, text,
						       sizeof(text)), user);
	}
	return reply_challenge(c, false);
}

/* The changes one REGISTER asks for, checked before any is made. */
struct reg_plan {
	bool star;
	size_t n;
	struct {
		char uri[SIPLB_CONTACT_MAX];
		__u32 expires;	/* after the policy; 0: remove */
		__u16 q;
	} contact[SIPLB_CONTACTS_MAX];
};

static __u32 contact_expires(struct reg_ctx *c, const struct sip_contact *ct)
{
	if (ct->has_expires)
		return ct->expires;
	if (c->req->has_expires)
		return c->req->expires;
	return c->r->conf.default_expires;
}

/* Collect and check the Contacts (step 4, first half). */
static int plan_contacts(struct reg_ctx *c, struct reg_plan *plan,
			 const char **why, int *status)
{
	const struct registrar_conf *conf = &c->r->conf;
	struct sip_slice value, rest;
	struct sip_contact ct;
	unsigned int pos = 0;
	__u32 expires;
	int err;

	*status = 400;
	memset(plan, 0, sizeof(*plan));
	while (!sip_msg_hdr_next(c->req, SIP_HDR_CONTACT, &pos, &value)) {
		rest = value;
		while (!(err = sip_contact_next(&rest, &ct))) {
			if (ct.star) {
				plan->star = true;
				continue;
			}
			if (plan->n == SIPLB_CONTACTS_MAX ||
			    plan->n == conf->max_contacts) {
				*status = 403;
				*why = "Too many contacts";
				return -E2BIG;
			}
			if (ct.addr.uri_text.len >= SIPLB_CONTACT_MAX ||
			    memchr(ct.addr.uri_text.p, '\0',
				   ct.addr.uri_text.len)) {
				*why = "Contact URI too long";
				return -EINVAL;
			}
			expires = contact_expires(c, &ct);
			if (expires && expires < conf->min_expires) {
				*status = 423;
				*why = NULL;
				return -ERANGE;
			}
			if (expires > conf->max_expires)
				expires = conf->max_expires;
			memcpy(plan->contact[plan->n].uri, ct.addr.uri_text.p,
			       ct.addr.uri_text.len);
			plan->contact[plan->n].expires = expires;
			plan->contact[plan->n].q = ct.q;
			plan->n++;
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

static int find_binding(const struct location_set *set, const char *uri)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->b[i].contact, uri))
			return (int)i;
	return -1;
}

/* A slot of this AOR with no live binding and not taken by this plan. */
static int free_slot(const struct location *loc, const struct location_set *set,
		     bool *taken, __u32 *slot)
{
	__u32 s;
	size_t i;

	for (s = 0; s < loc->max_contacts; s++) {
		bool used = taken[s];

		for (i = 0; !used && i < set->n; i++)
			used = set->slot[i] == s;
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
	size_t i, adds = 0;
	int idx;

	if (plan->star) {
		for (i = 0; i < set->n; i++)
			if (out_of_order(c, &set->b[i]))
				return -EALREADY;
		return 0;
	}
	for (i = 0; i < plan->n; i++) {
		idx = find_binding(set, plan->contact[i].uri);
		if (idx >= 0 && out_of_order(c, &set->b[idx]))
			return -EALREADY;
		if (idx < 0 && plan->contact[i].expires)
			adds++;
	}
	return set->n + adds > c->r->loc->max_contacts ? -ENOSPC : 0;
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
}

/* Step 4, second half, and step 5: check against the bindings, apply. */
static int apply_plan(struct reg_ctx *c, const struct reg_plan *plan)
{
	bool taken[SIPLB_CONTACTS_MAX] = { false };
	struct location *loc = c->r->loc;
	struct location_set *set;
	struct siplb_binding b;
	__u32 slot;
	size_t i;
	int idx, err;

	set = malloc(sizeof(*set));
	if (!set)
		return -ENOMEM;
	err = location_read(loc, c->aor, c->aor_len, c->now->real_s, set);
	if (!err)
		err = check_plan(c, plan, set);
	if (err)
		goto out;

	if (plan->star) {
		for (i = 0; i < set->n; i++)
			location_remove(loc, c->aor, c->aor_len, set->slot[i],
					&set->b[i]);
		goto out;
	}
	for (i = 0; i < plan->n; i++) {
		idx = find_binding(set, plan->contact[i].uri);
		if (!plan->contact[i].expires) {	/* unregister */
			if (idx >= 0)
				location_remove(loc, c->aor, c->aor_len,
						set->slot[idx], &set->b[idx]);
			continue;
		}
		if (idx >= 0) {
			slot = set->slot[idx];
		} else {
			err = free_slot(loc, set, taken, &slot);
			if (err)
				goto out;
		}
		fill_binding(c, plan, i, &b);
		err = location_put(loc, c->aor, c->aor_len, slot, &b);
		if (err)
			goto out;	/* -E2BIG: the map is full */
	}
out:
	free(set);
	return err;
}

/* The 200: every current binding with the seconds it has left. */
static int reply_ok(struct reg_ctx *c)
{
	struct location_set *set;
	char *extra, *p;
	size_t i, left;
	int err, n;

	set = malloc(sizeof(*set));
	extra = malloc(EXTRA_MAX);
	if (!set || !extra) {
		err = -ENOMEM;
		goto out;
	}
	err = location_read(c->r->loc, c->aor, c->aor_len, c->now->real_s,
			    set);
	if (err)
		goto out;
	p = extra;
	left = EXTRA_MAX;
	*p = '\0';
	for (i = 0; i < set->n; i++) {
		n = snprintf(p, left, "Contact: <%s>;expires=%llu\r\n",
			     set->b[i].contact,
			     (unsigned long long)(set->b[i].expires_at -
						  c->now->real_s));
		if (n < 0 || (size_t)n >= left) {
			err = -ENOSPC;
			goto out;
		}
		p += n;
		left -= n;
	}
	c->r->stats.ok++;
	err = reply(c, 200, NULL, extra[0] ? extra : NULL);
out:
	free(extra);
	free(set);
	return err;
}

/* A To tag for our responses, stable for a Call-ID (retransmissions). */
static void make_to_tag(struct reg_ctx *c)
{
	__u64 h = request_callid_hash(c);

	snprintf(c->to_tag, sizeof(c->to_tag), "%016llx",
		 (unsigned long long)h);
}

int registrar_handle(struct registrar *r, const struct sip_msg *req,
		     const struct siplb_endpoint *source,
		     const struct registrar_now *now, char *out, size_t size)
{
	struct reg_ctx c = {
		.r = r, .req = req, .source = source, .now = now,
		.out = out, .size = size,
	};
	char min_expires[48];
	struct reg_plan *plan;
	const char *why = NULL;
	int err, status, ret;

	r->stats.requests++;
	make_to_tag(&c);
	if (req->ruri.scheme != SIP_URI_SIP && req->ruri.scheme != SIP_URI_SIPS)
		return reply_bad(&c, 416, NULL);
	err = take_aor(&c);
	if (err == -EPROTONOSUPPORT)
		return reply_bad(&c, 416, NULL);
	if (err)
		return reply_bad(&c, 400, "Bad address-of-record in To");

	ret = authenticate(&c);
	if (ret)
		return ret;

	plan = malloc(sizeof(*plan));
	if (!plan)
		return -ENOMEM;
	err = plan_contacts(&c, plan, &why, &status);
	if (err) {
		free(plan);
		if (status == 423) {
			r->stats.too_brief++;
			snprintf(min_expires, sizeof(min_expires),
				 "Min-Expires: %u\r\n", r->conf.min_expires);
			return reply(&c, 423, NULL, min_expires);
		}
		if (status == 403) {
			r->stats.forbidden++;
			return reply(&c, 403, why, NULL);
		}
		return reply_bad(&c, 400, why);
	}
	err = apply_plan(&c, plan);
	free(plan);
	switch (err) {
	case 0:
		return reply_ok(&c);
	case -EALREADY:
		r->stats.out_of_order++;
		return reply(&c, 500, "CSeq not above the binding's", NULL);
	case -E2BIG:
		r->stats.full++;
		return reply(&c, 503, "Location table full",
			     "Retry-After: 60\r\n");
	case -ENOSPC:
		r->stats.forbidden++;
		return reply(&c, 403, "Too many contacts", NULL);
	default:
		log_warnx("REGISTER for %s failed: %s", c.aor, strerror(-err));
		return reply(&c, 500, NULL, NULL);
	}
}
