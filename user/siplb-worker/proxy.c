// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * proxy.c - the transaction-stateful proxy (proxy.h).
 *
 * A request that starts a transaction (anything but ACK and CANCEL) gets a
 * record in the table at once, so that its retransmissions are answered
 * from the record whatever happens next: 100 Trying for an INVITE, then
 * either a final response made here (400-class checks of 16.3, 404 for an
 * AOR with no binding) or the request forwarded to one target (16.6) with
 * a client transaction that retransmits it (Timer A/E) and gives up
 * (Timer B/F: 408 upstream for an INVITE; RFC 4320 forbids a 408 for
 * other methods). Responses come back on the branch of our Via and are
 * relayed to the request's source (16.7); a non-2xx final to an INVITE is
 * ACKed here, hop by hop, and its ACK from upstream absorbed.
 *
 * ACK for a 2xx is its own transaction at the UA and has no record here:
 * it is forwarded statelessly by its Route (our Record-Route, popped) and
 * Request-URI, as are responses that match no record (2xx
 * retransmissions after the record is gone).
 *
 * A user with several bindings gets the request on the best TXN_FORK_MAX
 * of them (16.6): one branch record per target (txn_table.h). An INVITE
 * tries them by q, highest first, equal q in parallel (fork_plan.h): the
 * next group starts when every branch of the current one has failed, or
 * when the group timer CANCELs the ones still ringing. Provisional
 * responses and every 2xx go up as they come, a 2xx or a 6xx ends the
 * search (CANCEL for the branches still ringing), and once no branch and
 * no group is left the best non-2xx goes up (16.7). A 3xx is relayed, or
 * with max_redirects its Contacts that are our users are tried in the
 * same group (16.7 step 4), never a target twice.
 *
 * SUBSCRIBE and PUBLISH for a user go to an event server or are answered
 * 489 (events.c), never to the phones; a binding at the request's own
 * source is left out of its targets (482 if none is left).
 */
#include <errno.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/random.h>

#include "endpoint.h"
#include "fork_plan.h"
#include "log.h"
#include "option_tags.h"
#include "proxy.h"
#include "rr_token.h"

/* Scratch parses of messages we keep (single-threaded). */
static struct sip_msg kept_msg, built_msg, orig_msg;

static const char *const method_names[SIPLB_WM_COUNT] = {
#define PROXY_METHOD_NAME(m) #m,
	SIPLB_WORKER_METHODS(PROXY_METHOD_NAME)
#undef PROXY_METHOD_NAME
};

int proxy_init(struct proxy *p, const struct proxy_self *self,
	       int location_fd, uint32_t max_contacts, uint32_t max_txns,
	       proxy_send_fn send, void *send_ctx)
{
	int err;

	memset(&p->stats, 0, sizeof(p->stats));
	p->users = NULL;
	p->realm = NULL;
	p->auth = NULL;
	p->rr_key = NULL;
	p->timer_c_ms = PROXY_TIMER_C;
	p->group_ms = PROXY_GROUP_TIMER;
	p->max_redirects = 0;
	memset(&p->events, 0, sizeof(p->events));
	p->self = *self;
	p->loc = (struct location){ location_fd, -1, max_contacts, -1 };
	if (max_contacts == 0 || max_contacts > SIPLB_CONTACTS_MAX)
		return -EINVAL;
	p->send = send;
	p->send_ctx = send_ctx;
	p->counter = 0;
	p->expire_at = 0;
	if (getrandom(&p->salt, sizeof(p->salt), 0) != sizeof(p->salt))
		return -errno;
	err = txn_table_init(&p->txns, max_txns);
	return err;
}

void proxy_free(struct proxy *p)
{
	txn_table_free(&p->txns);
}

/* RFC 3581: our answers, and the request we forward, say in its top Via
 * where it came from (received, rport). */
static void note_source(struct sip_msg *m, const struct siplb_endpoint *from)
{
	sip_msg_set_source(m, from->family == SIPLB_AF_INET6 ? AF_INET6 :
							       AF_INET,
			   from->addr, ntohs(from->port));
}

static enum siplb_worker_method method_of(struct sip_slice m)
{
	int i;

	for (i = 0; i < SIPLB_WM_OTHER; i++)
		if (sip_slice_eq_str(m, method_names[i]))
			return i;
	return SIPLB_WM_OTHER;
}

static void emit(struct proxy *p, const char *buf, size_t len,
		 const struct siplb_endpoint *to)
{
	int err = p->send(p->send_ctx, buf, len, to);

	if (err) {
		p->stats.send_errors++;
		log_debug("send failed: %s", strerror(-err));
	}
}

/* A response leaves: count its class and send it. */
static void emit_response(struct proxy *p, const char *buf, size_t len,
			  unsigned int status, const struct siplb_endpoint *to)
{
	p->stats.responses_out[proxy_status_class(status)]++;
	emit(p, buf, len, to);
}

static void linger(struct proxy *p, struct txn *t, uint64_t until)
{
	txn_linger(&p->txns, t, until);
}

/* Our To tag for the responses we make: stable for the transaction. */
static void local_tag(const struct txn *t, char *tag, size_t size)
{
	snprintf(tag, size, "slb%08llx",
		 (unsigned long long)(t ? t->key_hash & 0xffffffffULL : 0));
}

/* The server side has sent a final response (buf, status) upstream. */
/* A timer of t has been set: have the tick walk see it. */
static void timer_started(struct proxy *p, struct txn *t)
{
	txn_move(&p->txns, t, TXN_TIMED);
}

static void server_final(struct proxy *p, struct txn *t, unsigned int status,
			 const struct proxy_now *now)
{
	txn_set_final(&p->txns, t, status);
	timer_started(p, t);
	t->final_at = now->mono_ms;
	if (t->invite && status >= 300) {
		t->srv = TXN_SRV_COMPLETED;	/* wait for the ACK */
		t->g_interval = PROXY_T1;	/* Timer G */
		t->g_next = now->mono_ms + PROXY_T1;
		linger(p, t, now->mono_ms + PROXY_TIMER_64T1);	/* Timer H */
	} else if (t->invite) {
		t->srv = TXN_SRV_ACCEPTED;
		linger(p, t, now->mono_ms + PROXY_TIMER_64T1);
	} else {
		t->srv = TXN_SRV_COMPLETED;
		linger(p, t, now->mono_ms + PROXY_TIMER_64T1);	/* Timer J */
	}
}

/* Answer req from here; with t, remember the answer for retransmissions. */
static void respond(struct proxy *p, struct txn *t, const struct sip_msg *req,
		    const struct siplb_endpoint *to, int status,
		    const char *reason, const char *extra,
		    const struct proxy_now *now)
{
	char tag[24];
	int n;

	local_tag(t, tag, sizeof(tag));
	n = sip_build_response(req, status, reason, status > 100 ? tag : NULL,
			       extra, p->out, sizeof(p->out));
	if (n < 0) {
		log_warnx("couldn't build a %d response: %s", status,
			  strerror(-n));
		return;
	}
	emit_response(p, p->out, n, status, to);
	if (!t)
		return;
	if (txn_keep(&t->resp, &t->resp_len, p->out, n))
		log_warnx("out of memory keeping a response");
	if (status >= 200) {
		p->stats.local_answers++;
		server_final(p, t, status, now);
	}
}

/*
 * A final response made here after the request was forwarded (timeouts),
 * as downstream would have sent it: built from our copy of the forwarded
 * request, then stripped of our Via as a relayed response is. Into
 * p->out; returns the length, or -1.
 */
static int build_from_kept(struct proxy *p, struct txn *c, int status)
{
	char tag[24];
	int n;

	if (sip_msg_parse(&kept_msg, c->req, c->req_len))
		return -1;
	local_tag(c, tag, sizeof(tag));
	n = sip_build_response(&kept_msg, status, NULL, tag, NULL, p->tmp,
			       sizeof(p->tmp));
	if (n < 0 || sip_msg_parse(&built_msg, p->tmp, n))
		return -1;
	n = proxy_build_relay(&built_msg, NULL, p->out, sizeof(p->out));
	return n < 0 ? -1 : n;
}

static void fork_branch_final(struct proxy *p, struct txn *srv,
			      unsigned int status, const char *resp,
			      size_t len, const struct proxy_now *now);

/* A client transaction c has failed here (Timer B, C): answer as if its
 * target had sent status. */
static void respond_from_kept(struct proxy *p, struct txn *c, int status,
			      const struct proxy_now *now)
{
	int n = build_from_kept(p, c, status);

	if (n < 0)
		return;
	p->stats.local_answers++;
	if (c->parent >= 0) {
		fork_branch_final(p, &p->txns.t[c->parent], status, p->out, n,
				  now);
		return;
	}
	emit_response(p, p->out, n, status, &c->up);
	txn_keep(&c->resp, &c->resp_len, p->out, n);
	server_final(p, c, status, now);
}

/* ---- routing (16.4, 16.5) ------------------------------------------ */

/* One place a request goes. */
struct route_target {
	struct siplb_endpoint dest;
	uint32_t q;		/* a binding's q (16.6 serial search) */
	bool new_ruri;
	char ruri[SIPLB_CONTACT_MAX];
};

/* Where a request goes (n targets; more than one: forked), or the status
 * to answer it with. */
struct route {
	int status;		/* non-zero: answer this */
	const char *reason;	/* NULL: the standard phrase */
	const char *extra;	/* extra header lines of the answer */
	bool pop_route;
	bool to_bindings;	/* the targets are an AOR's bindings */
	size_t n;
	struct route_target to[TXN_FORK_MAX];
};

static void route_fail(struct route *r, int status, const char *reason)
{
	r->status = status;
	r->reason = reason;
}

/* The first two Route elements (n says how many there are, up to 2). */
static int route_elements(const struct sip_msg *m, struct sip_contact el[2],
			  int *n)
{
	struct sip_slice value;
	unsigned int pos = 0;
	int err = -ENOENT;

	*n = 0;
	while (*n < 2 && !sip_msg_hdr_next(m, SIP_HDR_ROUTE, &pos, &value)) {
		while (*n < 2 && !(err = sip_contact_next(&value, &el[*n])))
			(*n)++;
		if (*n < 2 && err != -ENOENT)
			return -EINVAL;
	}
	return 0;
}

/* Is the URI's user (%-decoded) in the users file for our realm? */
static bool user_known(const struct proxy *p, const struct sip_uri *u)
{
	char user[SIPLB_AOR_MAX];
	int n = sip_unescape(u->user, user, sizeof(user));

	if (n < 0 || (size_t)n != strlen(user))
		return false;
	return users_known(p->users, user, p->realm);
}

/* No such user, or no binding now: the same answer (no enumeration). */
static void route_unavailable(struct proxy *p, struct route *r, bool known)
{
	if (known)
		p->stats.unavailable++;
	else
		p->stats.not_found++;
	route_fail(r, p->users ? 480 : 404, NULL);
}

/*
 * The Request-URI names one of our users: ask the location map. A user
 * the users file does not know is looked up all the same, so that the
 * answer takes as long as for a user who is offline (docs/SECURITY.md).
 */
static void route_to_binding(struct proxy *p, const struct sip_msg *m,
			     const struct proxy_now *now, struct route *r)
{
	static struct location_set set;
	int n, err, order[TXN_FORK_MAX];
	char aor[SIPLB_AOR_MAX];
	bool known = !p->users || user_known(p, &m->ruri);
	size_t i;

	n = proxy_aor(&m->ruri, NULL, aor, sizeof(aor));
	if (n < 0) {
		route_unavailable(p, r, false);
		return;
	}
	err = location_read(&p->loc, aor, n, now->real_s, &set);
	if (!err && set.n == 0 &&
	    !sip_slice_caseeq_str(m->ruri.host, p->self.domain)) {
		/* Phones name the VIP's address or the domain in To: try
		 * the domain too. */
		n = proxy_aor(&m->ruri, p->self.domain, aor, sizeof(aor));
		if (n > 0)
			err = location_read(&p->loc, aor, n, now->real_s,
					    &set);
	}
	if (err) {
		log_warnx("reading bindings of %s failed: %s", aor,
			  strerror(-err));
		route_fail(r, 500, NULL);
		return;
	}
	r->n = known ? proxy_order_bindings(&set, order, TXN_FORK_MAX) : 0;
	if (r->n == 0) {
		/* Without a users list, no binding reads as "not found". */
		log_debug("%s has no binding%s", aor, known ? "" :
			  " (not in the users file)");
		route_unavailable(p, r, known);
		return;
	}
	for (i = 0; i < r->n; i++) {
		const struct siplb_binding *b = &set.b[order[i]];

		snprintf(r->to[i].ruri, sizeof(r->to[i].ruri), "%s",
			 b->contact);
		r->to[i].new_ruri = true;
		r->to[i].dest = b->source;	/* where it registered from */
		r->to[i].q = b->q;
	}
	r->to_bindings = true;
}

/* SUBSCRIBE and PUBLISH for one of our users (events.c): to the event
 * server or answered here; false: route it as any other request. */
static bool route_event(struct proxy *p, const struct sip_msg *m,
			struct route *r)
{
	struct events_verdict v;

	events_decide(&p->events, m, &v);
	if (v.action == EVENTS_TO_SERVER) {
		p->stats.events_to_server++;
		r->n = 1;
		r->to[0].dest = *v.server;	/* Request-URI as it is */
		return true;
	}
	if (v.action == EVENTS_REFUSE) {
		p->stats.events_refused++;
		log_debug("%.*s for %.*s: no event server for its package, "
			  "489", (int)m->method.len, m->method.p,
			  (int)m->ruri_text.len, m->ruri_text.p);
		r->extra = v.extra;
		route_fail(r, 489, NULL);
		return true;
	}
	return false;
}

/*
 * A binding at the address the request came from would get the request
 * back (a phone subscribing to, or calling, its own AOR): leave it out;
 * with no other target left, the request is refused as a loop (482).
 */
static bool drop_own_source(struct proxy *p, struct route *r,
			    const struct siplb_endpoint *from)
{
	size_t i, kept = 0;

	if (!r->to_bindings)
		return false;
	for (i = 0; i < r->n; i++)
		if (!endpoint_equal(&r->to[i].dest, from))
			r->to[kept++] = r->to[i];
	if (kept == r->n)
		return false;
	r->n = kept;
	if (kept)
		return false;
	p->stats.loops_refused++;
	log_debug("request back to its own source refused (482)");
	return true;
}

/*
 * An in-dialog request (To tag) is routed only along a route set we made:
 * its first Route element is ours and carries the token of its dialog
 * (rr_token.h). Without a Route of ours it may only go to a local user.
 * Anything else is a forged route set, a relay attempt: 403.
 */
static bool dialog_route_ok(struct proxy *p, const struct sip_msg *m,
			    const struct sip_contact *ours)
{
	struct sip_slice tok;

	if (!m->to.tag.len)
		return true;
	if (!ours)
		return proxy_uri_is_ours(&p->self, &m->ruri) &&
		       m->ruri.user.len;
	return p->rr_key &&
	       !sip_param_get(ours->addr.uri.params, RR_TOKEN_PARAM, &tok) &&
	       rr_token_check(p->rr_key, m, tok);
}

static void refuse_forged(struct proxy *p, const struct sip_msg *m,
			  const struct siplb_endpoint *from, struct route *r)
{
	char src[ENDPOINT_STRLEN];

	p->stats.dialog_forged++;
	log_info("refused %.*s from %s (From %.*s): in-dialog request "
		 "without a valid Record-Route token of ours",
		 (int)m->method.len, m->method.p,
		 from ? endpoint_format(from, src, sizeof(src)) : "-",
		 (int)m->from.uri_text.len, m->from.uri_text.p);
	route_fail(r, 403, "Forbidden (not a route set of ours)");
}

static void route_request(struct proxy *p, const struct sip_msg *m,
			  const struct siplb_endpoint *from,
			  const struct proxy_now *now, struct route *r)
{
	struct sip_contact el[2];
	bool ours;
	int n;

	memset(r, 0, sizeof(*r));
	if (route_elements(m, el, &n)) {
		route_fail(r, 400, "Bad Route");
		return;
	}
	ours = n > 0 && proxy_uri_is_ours(&p->self, &el[0].addr.uri);
	if (!dialog_route_ok(p, m, ours ? &el[0] : NULL)) {
		refuse_forged(p, m, from, r);
		return;
	}
	if (ours) {
		r->pop_route = true;	/* loose routing: our Record-Route */
		memmove(&el[0], &el[1], sizeof(el[0]));
		n--;
	}
	if (n > 0) {
		r->n = 1;
		if (proxy_uri_dest(&el[0].addr.uri, &r->to[0].dest))
			route_fail(r, 404, "Not Found (no DNS for Route)");
		return;
	}
	if (m->ruri.scheme != SIP_URI_SIP && m->ruri.scheme != SIP_URI_SIPS) {
		route_fail(r, 416, NULL);
		return;
	}
	if (proxy_uri_is_ours(&p->self, &m->ruri)) {
		if (m->ruri.user.len) {
			if (!route_event(p, m, r))
				route_to_binding(p, m, now, r);
			return;
		}
		if (sip_slice_eq_str(m->method, "OPTIONS")) {
			r->extra = "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n";
			route_fail(r, 200, NULL);
			return;
		}
		route_fail(r, 404, NULL);
		return;
	}
	/* Someone else's URI (a UA's Contact, in a dialog): to the address
	 * its alias names (the UA is behind NAT), else straight to its
	 * address. No DNS here, so a host name is refused. */
	r->n = 1;
	switch (proxy_uri_unalias(m->ruri_text, &m->ruri, &r->to[0].dest,
				  r->to[0].ruri, sizeof(r->to[0].ruri))) {
	case 0:
		r->to[0].new_ruri = true;
		return;
	case -ENOENT:
		break;
	default:
		route_fail(r, 400, "Bad Request (alias in Request-URI)");
		return;
	}
	if (proxy_uri_dest(&m->ruri, &r->to[0].dest))
		route_fail(r, 404, "Not Found (no DNS for Request-URI)");
}

/* ---- requests ------------------------------------------------------ */

static bool starts_dialog(const struct sip_msg *m)
{
	return !m->to.tag.len && (sip_slice_eq_str(m->method, "INVITE") ||
				  sip_slice_eq_str(m->method, "SUBSCRIBE") ||
				  sip_slice_eq_str(m->method, "REFER"));
}

/* ACK for a 2xx (or anything without a record): 16.11, no state. */
static void forward_stateless(struct proxy *p, const struct sip_msg *m,
			      const struct siplb_endpoint *from,
			      const struct proxy_now *now)
{
	char branch[PROXY_BRANCH_MAX];
	struct proxy_fwd f = {};
	struct route r;
	int n;

	route_request(p, m, from, now, &r);
	if (r.status) {
		p->stats.dropped++;	/* an ACK is never answered */
		return;
	}
	proxy_branch_stateless(m, branch);
	f.branch = branch;
	f.pop_route = r.pop_route;
	f.ruri = r.to[0].new_ruri ? r.to[0].ruri : NULL;
	n = proxy_build_request(&p->self, m, &f, p->out, sizeof(p->out));
	if (n < 0) {
		p->stats.dropped++;
		return;
	}
	p->stats.stateless++;
	emit(p, p->out, n, &r.to[0].dest);
}

/* The INVITE transaction an ACK or a CANCEL belongs to (17.2.3), or NULL. */
static struct txn *invite_txn_of(struct proxy *p, const struct sip_msg *m)
{
	char key[TXN_KEY_MAX];
	int n = txn_key_of(m, true, key, sizeof(key));

	return n > 0 ? txn_find_key(&p->txns, key, n) : NULL;
}

static void on_ack(struct proxy *p, const struct sip_msg *m,
		   const struct siplb_endpoint *from,
		   const struct proxy_now *now)
{
	struct txn *t = invite_txn_of(p, m);

	if (t && t->invite && t->final_status >= 300) {
		/* 17.2.1: the ACK of our non-2xx ends Timer G; Timer I. */
		p->stats.acks_absorbed++;
		if (t->srv == TXN_SRV_COMPLETED) {
			t->srv = TXN_SRV_CONFIRMED;
			t->g_interval = 0;
			linger(p, t, now->mono_ms + PROXY_T4);
		}
		return;
	}
	forward_stateless(p, m, from, now);
}

/* Send CANCEL for the INVITE we forwarded (9.1: same branch). */
static void send_cancel(struct proxy *p, struct txn *t,
			const struct proxy_now *now)
{
	int n;

	t->cancel_pending = false;
	if (t->cancelled || sip_msg_parse(&kept_msg, t->req, t->req_len))
		return;
	n = proxy_build_hop(&kept_msg, "CANCEL", NULL, p->out, sizeof(p->out));
	if (n < 0)
		return;
	t->cancelled = true;
	emit(p, p->out, n, &t->down);
	timer_started(p, t);
	/* If downstream never answers the INVITE now, answer 487 at
	 * Timer B's time (16.10: the UAC waits for a final response). */
	t->timeout_at = now->mono_ms + PROXY_TIMER_64T1;
}

/* CANCEL a client transaction still running: now if a provisional came,
 * else as soon as one comes (9.1). */
static void cancel_client(struct proxy *p, struct txn *c,
			  const struct proxy_now *now)
{
	if (c->cli == TXN_CLI_WAITING) {
		/* A later q group: never sent, so never started. */
		c->cli = TXN_CLI_TERMINATED;
		linger(p, c, now->mono_ms);
		return;
	}
	if (c->cli != TXN_CLI_CALLING && c->cli != TXN_CLI_PROCEEDING)
		return;
	if (c->provisional)
		send_cancel(p, c, now);
	else
		c->cancel_pending = true;
}

/* The branch records of a forked server record that are still there. */
static struct txn *branch_of(struct proxy *p, struct txn *srv,
			     unsigned int i)
{
	struct txn *b = &p->txns.t[srv->branches[i]];

	/* A branch record freed (and maybe reused) before its server
	 * record is not ours any more. */
	return b->used && b->parent == (int)(srv - p->txns.t) ? b : NULL;
}

/* CANCEL every branch of srv still running, but `except` (16.7 step 10,
 * 16.10). */
static void cancel_branches(struct proxy *p, struct txn *srv,
			    const struct txn *except,
			    const struct proxy_now *now)
{
	struct txn *b;
	unsigned int i;

	for (i = 0; i < srv->nbranches; i++) {
		b = branch_of(p, srv, i);
		if (b && b != except)
			cancel_client(p, b, now);
	}
}

static void on_cancel(struct proxy *p, const struct sip_msg *m,
		      const struct siplb_endpoint *from,
		      const struct proxy_now *now)
{
	struct txn *t = invite_txn_of(p, m);

	if (!t || !t->invite) {
		/* 16.10 would forward it statelessly; with Call-ID steering
		 * the INVITE is ours or gone, so say so. */
		respond(p, NULL, m, from, 481, NULL, NULL, now);
		return;
	}
	p->stats.cancels++;
	respond(p, NULL, m, from, 200, NULL, NULL, now);
	if (t->final_status)
		return;
	if (t->forked)
		cancel_branches(p, t, NULL, now);
	else
		cancel_client(p, t, now);
}

/*
 * Build the request for one target with a new branch of ours into c (the
 * server record itself, or a branch record of a forked request), ready
 * for client_send. Returns 0, or the status to answer.
 */
static int client_prepare(struct proxy *p, struct txn *c,
			  const struct sip_msg *m, bool pop_route,
			  const struct route_target *to, const char *alias)
{
	char branch[PROXY_BRANCH_MAX], tok[RR_TOKEN_LEN + 1];
	struct proxy_fwd f = {};
	int n;

	proxy_branch_unique(p->salt, ++p->counter, proxy_loop_hash(m), branch);
	f.branch = branch;
	f.alias = alias;
	f.pop_route = pop_route;
	f.ruri = to->new_ruri ? to->ruri : NULL;
	f.record_route = p->self.has_rr && starts_dialog(m);
	if (f.record_route && p->rr_key && !rr_token_make(p->rr_key, m, tok))
		f.rr_token = tok;
	n = proxy_build_request(&p->self, m, &f, p->out, sizeof(p->out));
	if (n < 0)
		return n == -ENOSPC ? 513 : 500;
	if (txn_keep(&c->req, &c->req_len, p->out, n))
		return 500;
	txn_set_branch(&p->txns, c, branch);
	c->down = to->dest;
	return 0;
}

/* Start the client transaction of a prepared c: send, Timers A/E, B/F, C. */
static void client_send(struct proxy *p, struct txn *c,
			const struct proxy_now *now)
{
	c->cli = TXN_CLI_CALLING;
	c->retx_interval = PROXY_T1;		/* Timer A / E */
	c->retx_next = now->mono_ms + PROXY_T1;
	c->timeout_at = now->mono_ms + PROXY_TIMER_64T1;	/* B / F */
	if (c->invite)
		c->c_at = now->mono_ms + p->timer_c_ms;
	timer_started(p, c);
	p->stats.forwarded++;
	emit(p, c->req, c->req_len, &c->down);
}

static int client_start(struct proxy *p, struct txn *c,
			const struct sip_msg *m, const struct route *r,
			const struct route_target *to, const char *alias,
			const struct proxy_now *now)
{
	int err = client_prepare(p, c, m, r->pop_route, to, alias);

	if (!err)
		client_send(p, c, now);
	return err;
}

/*
 * One branch record of srv per target, each built and waiting for its q
 * group (group[i]). Returns how many are waiting; *status says why the
 * last one that could not be built failed.
 */
static size_t fork_add_branches(struct proxy *p, struct txn *srv,
				const struct sip_msg *m, bool pop_route,
				const struct route_target *to, size_t n,
				const uint8_t *group, const char *alias,
				int *status, const struct proxy_now *now)
{
	size_t i, added = 0;
	char key[32];
	struct txn *b;
	int err;

	for (i = 0; i < n && srv->nbranches < TXN_FORK_MAX; i++) {
		/* A key no request has (request keys hold no \002; then
		 * the counter the branch is about to take): branch records
		 * are found by their branch only. */
		snprintf(key, sizeof(key), "\002%llu",
			 (unsigned long long)p->counter + 1);
		b = txn_new(&p->txns, key, strlen(key));
		if (!b) {
			p->stats.table_full++;
			*status = 503;
			continue;
		}
		b->invite = srv->invite;
		b->group = group[i];
		txn_add_branch(&p->txns, srv, b);
		err = client_prepare(p, b, m, pop_route, &to[i], alias);
		if (err) {
			*status = err;
			b->cli = TXN_CLI_TERMINATED;
			linger(p, b, now->mono_ms);
			continue;
		}
		b->cli = TXN_CLI_WAITING;
		added++;
	}
	return added;
}

/* Is a branch of srv still waiting for its q group? The lowest such
 * group in *group. */
static bool fork_waiting(struct proxy *p, struct txn *srv, uint8_t *group)
{
	bool any = false;
	struct txn *b;
	unsigned int i;

	for (i = 0; i < srv->nbranches; i++) {
		b = branch_of(p, srv, i);
		if (b && b->cli == TXN_CLI_WAITING &&
		    (!any || b->group < *group)) {
			*group = b->group;
			any = true;
		}
	}
	return any;
}

/* Send the lowest q group still waiting; with a group after it, start
 * the group timer. Returns how many branches it sent. */
static size_t fork_start_next(struct proxy *p, struct txn *srv,
			      const struct proxy_now *now)
{
	size_t sent = 0;
	struct txn *b;
	unsigned int i;
	uint8_t g;

	if (!fork_waiting(p, srv, &g))
		return 0;
	srv->group = g;
	for (i = 0; i < srv->nbranches; i++) {
		b = branch_of(p, srv, i);
		if (b && b->cli == TXN_CLI_WAITING && b->group == g) {
			client_send(p, b, now);
			sent++;
		}
	}
	srv->group_at = 0;
	if (p->group_ms && fork_waiting(p, srv, &g)) {
		srv->group_at = now->mono_ms + p->group_ms;
		timer_started(p, srv);
	}
	return sent;
}

/* 16.6 for several targets (or one, when its 3xx may be followed): one
 * branch record each, an INVITE's by q group, the first group sent. */
static void fork_out(struct proxy *p, struct txn *t, const struct sip_msg *m,
		     const struct route *r, const char *alias,
		     const struct proxy_now *now)
{
	uint8_t group[TXN_FORK_MAX];
	uint32_t q[TXN_FORK_MAX];
	int status = 503;
	size_t i;

	t->forked = true;
	if (r->n > 1)
		p->stats.forked++;
	for (i = 0; i < r->n; i++)
		q[i] = r->to[i].q;
	/* A non-INVITE cannot wait for a group: its client gives up after
	 * 64*T1 whatever we do (17.1.2.2), so it goes to all at once. */
	fork_plan_groups(q, r->n, t->invite, group);
	/* The request as it came, to build the targets of a 3xx from. */
	if (p->max_redirects && t->invite &&
	    txn_keep(&t->req, &t->req_len, m->buf, m->len))
		log_warnx("out of memory keeping a request");
	fork_add_branches(p, t, m, r->pop_route, r->to, r->n, group, alias,
			  &status, now);
	if (!fork_start_next(p, t, now))	/* the last error says why */
		respond(p, t, m, &t->up, status, NULL,
			status == 503 ? "Retry-After: 5\r\n" : NULL, now);
}

static void forward(struct proxy *p, struct txn *t, const struct sip_msg *m,
		    const struct route *r, const struct proxy_now *now)
{
	char alias[PROXY_ALIAS_MAX];
	int status;

	/* A caller behind NAT: its Contact must lead back to where its
	 * request came from. */
	proxy_alias_for(m, &t->up, alias);
	if (r->n > 1 || (r->to_bindings && t->invite && p->max_redirects)) {
		fork_out(p, t, m, r, alias, now);
		return;
	}
	status = client_start(p, t, m, r, &r->to[0], alias, now);
	if (status)
		respond(p, t, m, &t->up, status, NULL, NULL, now);
}

/* The routing policy (caller_auth.h): false if it answered the request. */
static bool caller_allowed(struct proxy *p, struct txn *t,
			   const struct sip_msg *m,
			   const struct proxy_now *now)
{
	static struct caller_verdict v;

	if (!p->auth)
		return true;
	caller_auth_judge(p->auth, &p->self, m, &t->up, now->mono_ms / 1000,
			  &p->stats, &v);
	if (!v.status)
		return true;
	respond(p, t, m, &t->up, v.status, v.reason,
		v.extra[0] ? v.extra : NULL, now);
	return false;
}

/*
 * 16.3 step 5 (id SIP_HDR_PROXY_REQUIRE) or 8.2.2.3 (SIP_HDR_REQUIRE,
 * where we are the UAS): 420 listing the option-tags we do not support
 * (option_tags.h), 400 for a list that is not one. true if answered. A
 * proxy passes Require on untouched: it is the UAS's to judge.
 */
static bool refuse_extensions(struct proxy *p, struct txn *t,
			      const struct sip_msg *m, enum sip_hdr_id id,
			      const struct proxy_now *now)
{
	static char extra[1024];
	char src[ENDPOINT_STRLEN];
	int n = sip_unsupported_tags(m, id, extra, sizeof(extra));

	if (!n)
		return false;
	p->stats.bad_extension++;
	log_info("refused %.*s from %s (From %.*s): %s %s",
		 (int)m->method.len, m->method.p,
		 endpoint_format(&t->up, src, sizeof(src)),
		 (int)m->from.uri_text.len, m->from.uri_text.p,
		 sip_hdr_name(id), n > 0 ? "names an extension we lack" :
		 "is malformed");
	if (n > 0)
		respond(p, t, m, &t->up, 420, NULL, extra, now);
	else
		respond(p, t, m, &t->up, n == -EINVAL ? 400 : 420,
			n == -EINVAL ? "Bad Request (option-tags)" : NULL,
			NULL, now);
	return true;
}

/* The checks of 16.3 that the parser has not made, then route. */
static void on_new_request(struct proxy *p, struct txn *t,
			   const struct sip_msg *m,
			   const struct proxy_now *now)
{
	struct route r;

	if (t->invite)
		respond(p, t, m, &t->up, 100, NULL, NULL, now);
	if (m->max_forwards == 0) {
		respond(p, t, m, &t->up, 483, NULL, NULL, now);
		return;
	}
	if (proxy_looped(&p->self, m)) {
		respond(p, t, m, &t->up, 482, NULL, NULL, now);
		return;
	}
	if (refuse_extensions(p, t, m, SIP_HDR_PROXY_REQUIRE, now))
		return;
	if (sip_slice_eq_str(m->method, "REGISTER")) {
		respond(p, t, m, &t->up, 403,
			"Forbidden (register with the balancer)", NULL, now);
		return;
	}
	if (!caller_allowed(p, t, m, now))
		return;
	route_request(p, m, &t->up, now, &r);
	/* A 200 made here answers as the UAS: Require is ours to check. */
	if (r.status == 200 &&
	    refuse_extensions(p, t, m, SIP_HDR_REQUIRE, now))
		return;
	if (r.status) {
		respond(p, t, m, &t->up, r.status, r.reason, r.extra, now);
		return;
	}
	if (drop_own_source(p, &r, &t->up)) {
		respond(p, t, m, &t->up, 482, "Loop Detected (own binding)",
			NULL, now);
		return;
	}
	forward(p, t, m, &r, now);
}

static void on_request(struct proxy *p, const struct sip_msg *m,
		       const struct siplb_endpoint *from,
		       const struct proxy_now *now)
{
	enum siplb_worker_method method = method_of(m->method);
	char key[TXN_KEY_MAX];
	struct txn *t;
	int n;

	p->stats.requests[method]++;
	if (method == SIPLB_WM_ACK) {
		on_ack(p, m, from, now);
		return;
	}
	if (method == SIPLB_WM_CANCEL) {
		on_cancel(p, m, from, now);
		return;
	}
	n = txn_key_of(m, false, key, sizeof(key));
	if (n < 0) {
		p->stats.dropped++;
		return;
	}
	t = txn_find_key(&p->txns, key, n);
	if (t) {
		/* A retransmission (17.2.1/17.2.2): the last answer again;
		 * an INVITE whose 2xx went up is absorbed (RFC 6026). */
		p->stats.retransmissions_absorbed++;
		if (t->resp && t->srv != TXN_SRV_ACCEPTED)
			emit_response(p, t->resp, t->resp_len,
				      t->final_status ? t->final_status : 100,
				      &t->up);
		return;
	}
	t = txn_new(&p->txns, key, n);
	if (!t) {
		p->stats.table_full++;
		/* A full table must not end calls: a request inside a
		 * dialog (BYE, re-INVITE) goes on statelessly (16.11); a
		 * new one is refused for now. */
		if (m->to.tag.len)
			forward_stateless(p, m, from, now);
		else
			respond(p, NULL, m, from, 503, NULL,
				"Retry-After: 5\r\n", now);
		return;
	}
	t->up = *from;
	t->invite = method == SIPLB_WM_INVITE;
	on_new_request(p, t, m, now);
}

/* ---- responses ----------------------------------------------------- */

/* The response without our Via (and with alias in its Contact), to the
 * request's source. */
static void relay(struct proxy *p, struct txn *t, const struct sip_msg *m,
		  const char *alias)
{
	int n = proxy_build_relay(m, alias, p->out, sizeof(p->out));

	if (n < 0) {
		p->stats.dropped++;
		return;
	}
	emit_response(p, p->out, n, m->status, &t->up);
	txn_keep(&t->resp, &t->resp_len, p->out, n);
}

/* No record: by the second via-parm (18.2.2). */
static void relay_stateless(struct proxy *p, const struct sip_msg *m,
			    const char *alias)
{
	struct siplb_endpoint dest;
	struct sip_slice value;
	unsigned int pos = 0;
	struct sip_via v;
	int seen = 0, n;

	while (seen < 2 && !sip_msg_hdr_next(m, SIP_HDR_VIA, &pos, &value))
		while (seen < 2 && !sip_via_next(&value, &v))
			seen++;
	n = proxy_build_relay(m, alias, p->out, sizeof(p->out));
	if (seen < 2 || n < 0 || proxy_via_dest(&v, &dest)) {
		p->stats.dropped++;
		return;
	}
	p->stats.relayed_stateless++;
	emit_response(p, p->out, n, m->status, &dest);
}

/* Is a branch of srv still waiting for a final response? */
static bool fork_busy(struct proxy *p, struct txn *srv)
{
	const struct txn *b;
	unsigned int i;

	for (i = 0; i < srv->nbranches; i++) {
		b = branch_of(p, srv, i);
		if (b && (b->cli == TXN_CLI_CALLING ||
			  b->cli == TXN_CLI_PROCEEDING))
			return true;
	}
	return false;
}

/* The best response goes up; a 503 as 500 (fork_upstream_status). */
static void fork_answer(struct proxy *p, struct txn *srv,
			const struct proxy_now *now)
{
	unsigned int status = fork_upstream_status(srv->best_status);
	int n;

	if (status != srv->best_status) {
		n = fork_restatus(srv->best, srv->best_len, status,
				  "Server Internal Error", p->tmp,
				  sizeof(p->tmp));
		if (n > 0 && !txn_keep(&srv->best, &srv->best_len, p->tmp, n))
			srv->best_status = status;
	}
	emit_response(p, srv->best, srv->best_len, srv->best_status,
		      &srv->up);
	txn_keep(&srv->resp, &srv->resp_len, srv->best, srv->best_len);
	server_final(p, srv, srv->best_status, now);
}

/* No branch of srv is ringing any more: the next q group, or, with none
 * left, the best response up (16.7 step 6). */
static void fork_settle(struct proxy *p, struct txn *srv,
			const struct proxy_now *now)
{
	if (srv->final_status || fork_busy(p, srv))
		return;
	if (fork_start_next(p, srv, now)) {
		p->stats.fork_groups++;
		log_debug("every target of q group %u failed: the next "
			  "group", srv->group);
		return;
	}
	srv->group_at = 0;
	if (!srv->best) {
		/* Only non-INVITE timeouts: no 408 (RFC 4320). */
		linger(p, srv, now->mono_ms + PROXY_T4);
		return;
	}
	fork_answer(p, srv, now);
}

/* The group timer of srv: CANCEL the branches still ringing and try the
 * next q group (16.6: a proxy may stop waiting on a target). */
static void fork_timers(struct proxy *p, struct txn *t,
			const struct proxy_now *now)
{
	struct txn *b;
	unsigned int i;
	uint8_t g;

	if (!t->group_at || now->mono_ms < t->group_at)
		return;
	t->group_at = 0;
	if (t->final_status || !fork_waiting(p, t, &g))
		return;
	for (i = 0; i < t->nbranches; i++) {
		b = branch_of(p, t, i);
		if (b && (b->cli == TXN_CLI_CALLING ||
			  b->cli == TXN_CLI_PROCEEDING))
			cancel_client(p, b, now);
	}
	if (fork_start_next(p, t, now)) {
		p->stats.fork_group_timeouts++;
		log_debug("q group timer: CANCELled, q group %u next",
			  t->group);
	}
}

/* A branch of srv ended with a non-2xx final (resp: as it would go
 * upstream): keep it if it is the best, then see if all are done. */
static void fork_branch_final(struct proxy *p, struct txn *srv,
			      unsigned int status, const char *resp,
			      size_t len, const struct proxy_now *now)
{
	if (!srv->final_status &&
	    fork_better_final(status, srv->best_status) &&
	    !txn_keep(&srv->best, &srv->best_len, resp, len))
		srv->best_status = status;
	if (status >= 600)	/* 16.7 step 5: nobody else will do, and
				 * no later group starts */
		cancel_branches(p, srv, NULL, now);
	fork_settle(p, srv, now);
}

/* A provisional on client transaction c of server transaction srv (the
 * same record unless the request was forked). */
static void on_provisional(struct proxy *p, struct txn *srv, struct txn *c,
			   const struct sip_msg *m, const char *alias,
			   const struct proxy_now *now)
{
	if (c->cli == TXN_CLI_CALLING || c->cli == TXN_CLI_PROCEEDING) {
		c->cli = TXN_CLI_PROCEEDING;
		c->provisional = true;
		if (c->invite) {
			c->retx_interval = 0;	/* Timer A stops */
			if (!c->cancelled)
				c->timeout_at = 0;	/* B stops; C runs */
			c->c_at = now->mono_ms + p->timer_c_ms;
		} else {
			c->retx_interval = PROXY_T2;	/* E at T2 */
		}
		timer_started(p, c);
		if (c->cancel_pending)
			send_cancel(p, c, now);
	}
	/* 16.7 step 5: 100 Trying stays here. */
	if (m->status > 100 && !srv->final_status)
		relay(p, srv, m, alias);
}

/* Has srv already a branch to this target (Request-URI and address)? */
static bool fork_tried(struct proxy *p, struct txn *srv,
		       const struct route_target *to)
{
	size_t len = strlen(to->ruri);
	const struct txn *b;
	const char *uri;
	unsigned int i;

	for (i = 0; i < srv->nbranches; i++) {
		b = branch_of(p, srv, i);
		uri = b && b->req ? memchr(b->req, ' ', b->req_len) : NULL;
		if (uri && (size_t)(b->req + b->req_len - uri) > len + 1 &&
		    !memcmp(uri + 1, to->ruri, len) && uri[len + 1] == ' ' &&
		    endpoint_equal(&b->down, &to->dest))
			return true;
	}
	return false;
}

/* The bindings of one of our users named by a 3xx Contact that srv has
 * not tried (nor its caller's own), appended to r. */
static int redirect_bindings(struct proxy *p, struct txn *srv,
			     const struct sip_uri *u,
			     const struct proxy_now *now, struct route *r)
{
	static struct location_set set;
	int n, err, order[TXN_FORK_MAX];
	char aor[SIPLB_AOR_MAX];
	struct route_target *to;
	size_t i, k;

	n = proxy_aor(u, p->self.domain, aor, sizeof(aor));
	if (n < 0)
		return n;
	err = location_read(&p->loc, aor, n, now->real_s, &set);
	if (err)
		return err;
	k = proxy_order_bindings(&set, order, TXN_FORK_MAX);
	for (i = 0; i < k && r->n + srv->nbranches < TXN_FORK_MAX; i++) {
		to = &r->to[r->n];
		snprintf(to->ruri, sizeof(to->ruri), "%s",
			 set.b[order[i]].contact);
		to->new_ruri = true;
		to->dest = set.b[order[i]].source;
		to->q = set.b[order[i]].q;
		if (!fork_tried(p, srv, to) &&
		    !endpoint_equal(&to->dest, &srv->up))
			r->n++;
	}
	return 0;
}

/*
 * The targets a 3xx redirects srv to (16.7 step 4): the bindings of its
 * Contacts, which must all be our users (a redirect never makes us relay
 * elsewhere), the sips rule kept. Returns 0 with r->n new targets (0: all
 * tried already, a loop), or -EPERM.
 */
static int redirect_targets(struct proxy *p, struct txn *srv,
			    const struct sip_msg *resp,
			    const struct proxy_now *now, struct route *r)
{
	struct sip_slice value;
	struct sip_contact ct;
	unsigned int pos = 0;
	int err = 0, found = 0;

	memset(r, 0, sizeof(*r));
	while (!sip_msg_hdr_next(resp, SIP_HDR_CONTACT, &pos, &value)) {
		while (!(err = sip_contact_next(&value, &ct))) {
			if (ct.star || !ct.addr.uri.user.len ||
			    !proxy_uri_is_ours(&p->self, &ct.addr.uri) ||
			    (orig_msg.ruri.scheme == SIP_URI_SIPS &&
			     ct.addr.uri.scheme != SIP_URI_SIPS) ||
			    redirect_bindings(p, srv, &ct.addr.uri, now, r))
				return -EPERM;
			found++;
		}
		if (err != -ENOENT)
			return -EPERM;
	}
	return found ? 0 : -EPERM;
}

static void redirect_refused(struct proxy *p, const struct sip_msg *resp,
			     const char *why)
{
	p->stats.redirects_refused++;
	log_debug("%u for %.*s not followed: %s", resp->status,
		  (int)resp->call_id.len, resp->call_id.p, why);
}

/*
 * A 3xx on a branch of srv: with max_redirects, try the users it names in
 * the current q group at once, as the target that redirected would have
 * rung. true if followed (the 3xx then stays out of the response context:
 * 16.7 step 4, every Contact recursed on).
 */
static bool follow_redirect(struct proxy *p, struct txn *srv,
			    const struct sip_msg *resp,
			    const struct proxy_now *now)
{
	static struct route r;
	char alias[PROXY_ALIAS_MAX];
	uint8_t group[TXN_FORK_MAX];
	struct sip_contact el[2];
	int status, nel;
	bool pop;

	if (!p->max_redirects || !srv->req || !srv->invite)
		return false;
	if (sip_msg_parse(&orig_msg, srv->req, srv->req_len))
		return false;
	note_source(&orig_msg, &srv->up);
	if (srv->recursions >= p->max_redirects) {
		redirect_refused(p, resp, "as many redirects as allowed");
		return false;
	}
	if (redirect_targets(p, srv, resp, now, &r)) {
		redirect_refused(p, resp, "a Contact that is not our user");
		return false;
	}
	if (!r.n) {
		redirect_refused(p, resp, "every target tried already");
		return false;
	}
	srv->recursions++;
	memset(group, srv->group, sizeof(group));
	pop = !route_elements(&orig_msg, el, &nel) && nel > 0 &&
	      proxy_uri_is_ours(&p->self, &el[0].addr.uri);
	proxy_alias_for(&orig_msg, &srv->up, alias);
	if (!fork_add_branches(p, srv, &orig_msg, pop, r.to, r.n, group,
			       alias, &status, now))
		return false;
	p->stats.redirects_followed++;
	log_debug("%u: %zu target(s) of its Contact tried", resp->status,
		  r.n);
	fork_start_next(p, srv, now);
	return true;
}

/* A final on client transaction c of server transaction srv. */
static void on_final(struct proxy *p, struct txn *srv, struct txn *c,
		     const struct sip_msg *m, const char *alias,
		     const struct proxy_now *now)
{
	bool ok = m->status < 300;
	int n;

	if (c->cli == TXN_CLI_COMPLETED || c->cli == TXN_CLI_TERMINATED) {
		/* A retransmitted final: ACK a non-2xx again (17.1.1.2);
		 * pass a 2xx on (16.7 step 10, RFC 6026). */
		if (c->invite && !ok && c->ack)
			emit(p, c->ack, c->ack_len, &c->down);
		else if (c->invite && ok)
			relay(p, srv, m, alias);
		return;
	}
	c->retx_interval = 0;
	c->timeout_at = 0;
	c->c_at = 0;
	c->cancel_pending = false;
	if (c->invite && !ok) {
		if (!sip_msg_parse(&kept_msg, c->req, c->req_len)) {
			n = proxy_build_hop(&kept_msg, "ACK", m, p->tmp,
					    sizeof(p->tmp));
			if (n > 0 && !txn_keep(&c->ack, &c->ack_len, p->tmp, n))
				emit(p, c->ack, c->ack_len, &c->down);
		}
		c->cli = TXN_CLI_COMPLETED;
		linger(p, c, now->mono_ms + PROXY_TIMER_64T1);	/* Timer D */
	} else {
		c->cli = c->invite ? TXN_CLI_TERMINATED : TXN_CLI_COMPLETED;
		linger(p, c, now->mono_ms + (c->invite ? PROXY_TIMER_64T1 :
						      PROXY_T4)); /* K */
	}
	if (srv != c) {
		/* Forked: a 2xx goes up at once and ends the search (16.7
		 * steps 5 and 10); other finals wait for the best. */
		if (ok) {
			relay(p, srv, m, alias);
			if (!srv->final_status)
				server_final(p, srv, m->status, now);
			srv->group_at = 0;
			cancel_branches(p, srv, c, now);
			return;
		}
		if (m->status < 400 && !srv->final_status &&
		    follow_redirect(p, srv, m, now))
			return;
		n = proxy_build_relay(m, alias, p->out, sizeof(p->out));
		if (n < 0) {
			p->stats.dropped++;
			return;
		}
		fork_branch_final(p, srv, m->status, p->out, n, now);
		return;
	}
	/* One target, so its final is the best response (16.7 step 6);
	 * after we answered ourselves (timeout) only a 2xx still goes up. */
	if (!c->final_status || (c->invite && ok)) {
		relay(p, c, m, alias);
		if (!c->final_status || ok)
			server_final(p, c, m->status, now);
	}
}

static void on_response(struct proxy *p, const struct sip_msg *m,
			const struct siplb_endpoint *from,
			const struct proxy_now *now)
{
	char alias[PROXY_ALIAS_MAX];
	struct txn *c, *srv;

	p->stats.responses_in[proxy_status_class(m->status)]++;
	if (!proxy_via_is_ours(&p->self, &m->via)) {
		p->stats.dropped++;	/* 18.1.2: not for us */
		return;
	}
	if (sip_slice_eq_str(m->cseq_method, "CANCEL"))
		return;	/* the answer to our CANCEL: nothing to do */
	/* A callee behind NAT: its Contact must lead back to where its
	 * response came from. */
	proxy_alias_for(m, from, alias);
	c = txn_find_branch(&p->txns, m->via.branch);
	if (!c) {
		relay_stateless(p, m, alias);
		return;
	}
	if (c->invite != sip_slice_eq_str(m->cseq_method, "INVITE")) {
		p->stats.dropped++;
		return;
	}
	srv = c->parent >= 0 ? &p->txns.t[c->parent] : c;
	if (m->status < 200)
		on_provisional(p, srv, c, m, alias, now);
	else
		on_final(p, srv, c, m, alias, now);
}

void proxy_handle(struct proxy *p, const char *buf, size_t len,
		  const struct siplb_endpoint *from,
		  const struct proxy_now *now)
{
	static struct sip_msg m;
	int err;

	err = sip_msg_parse(&m, buf, len);
	if (err == -ENODATA)
		return;	/* CRLF keep-alive */
	note_source(&m, from);
	if (err) {
		/* RFC 3261 8.2.1 / 16.3: answer a bad request, as siplbd. */
		if (m.request && sip_msg_hdr(&m, SIP_HDR_VIA))
			respond(p, NULL, &m, from,
				err == -EPROTONOSUPPORT ? 505 : 400,
				err == -EPROTONOSUPPORT ? NULL : m.error, NULL,
				now);
		else
			p->stats.dropped++;
		return;
	}
	if (m.request)
		on_request(p, &m, from, now);
	else
		on_response(p, &m, from, now);
}

/* ---- timers -------------------------------------------------------- */

static void client_timers(struct proxy *p, struct txn *t,
			  const struct proxy_now *now)
{
	uint64_t ms = now->mono_ms;
	bool active = t->cli == TXN_CLI_CALLING || t->cli == TXN_CLI_PROCEEDING;

	if (!active)
		return;
	if (t->retx_interval && ms >= t->retx_next) {	/* Timer A / E */
		emit(p, t->req, t->req_len, &t->down);
		p->stats.retransmitted++;
		if (!t->invite)
			p->stats.retransmitted_e++;
		t->retx_interval *= 2;
		if (!t->invite && t->retx_interval > PROXY_T2)
			t->retx_interval = PROXY_T2;
		t->retx_next = ms + t->retx_interval;
	}
	if (t->c_at && ms >= t->c_at && !t->final_status) {	/* Timer C */
		t->c_at = 0;
		p->stats.timeouts++;
		if (t->provisional)
			send_cancel(p, t, now);
		respond_from_kept(p, t, 408, now);
	}
	if (t->timeout_at && ms >= t->timeout_at) {	/* Timer B / F */
		t->timeout_at = 0;
		t->retx_interval = 0;
		t->c_at = 0;
		t->cli = TXN_CLI_TERMINATED;
		p->stats.timeouts++;
		/* RFC 4320: never a 408 to a non-INVITE. */
		if (t->invite && !t->final_status)
			respond_from_kept(p, t, t->cancelled ? 487 : 408, now);
		else if (t->parent >= 0)
			fork_settle(p, &p->txns.t[t->parent], now);
		linger(p, t, ms + PROXY_T4);
	}
}

static void server_timers(struct proxy *p, struct txn *t,
			  const struct proxy_now *now)
{
	uint64_t ms = now->mono_ms;

	if (t->srv != TXN_SRV_COMPLETED || !t->g_interval || ms < t->g_next)
		return;
	if (ms >= t->final_at + PROXY_TIMER_64T1) {	/* Timer H */
		t->g_interval = 0;
		return;
	}
	emit_response(p, t->resp, t->resp_len, t->final_status, &t->up);
	p->stats.retransmitted++;
	t->g_interval *= 2;
	if (t->g_interval > PROXY_T2)
		t->g_interval = PROXY_T2;
	t->g_next = ms + t->g_interval;
}

/* Does t have a timer running (anything but the wait to be freed)? */
static bool has_timers(const struct txn *t)
{
	return t->retx_interval || t->timeout_at || t->c_at || t->group_at ||
	       (t->srv == TXN_SRV_COMPLETED && t->g_interval);
}

void proxy_tick(struct proxy *p, const struct proxy_now *now)
{
	struct txn *t, *n;

	/* Most records only linger (32 s after a call's last message):
	 * they wait on the idle list, out of this walk. */
	for (t = txn_first(&p->txns, TXN_TIMED); t; t = n) {
		n = txn_after(&p->txns, t->next);
		client_timers(p, t, now);
		server_timers(p, t, now);
		fork_timers(p, t, now);
		if (!has_timers(t))
			txn_move(&p->txns, t, TXN_IDLE);
	}
	/* Records linger for seconds (D/H/I/J/K): freeing them to the
	 * second is enough, and spares a second walk on every tick. */
	if (now->mono_ms >= p->expire_at) {
		txn_expire(&p->txns, now->mono_ms);
		p->expire_at = now->mono_ms + PROXY_EXPIRE_MS;
	}
}

uint32_t proxy_pending(const struct proxy *p)
{
	return p->txns.pending;
}

void proxy_stats_print(const struct proxy *p, FILE *out)
{
	const struct siplb_worker_counters *s = &p->stats;
	int i;

	fprintf(out, "siplb-worker %s:%u counters\n", p->self.host,
		p->self.port);
	for (i = 0; i < SIPLB_WM_COUNT; i++)
		fprintf(out, "  requests %-9s %llu\n", method_names[i],
			(unsigned long long)s->requests[i]);
	for (i = 1; i <= 6; i++)
		fprintf(out, "  responses %dxx in %llu out %llu\n", i,
			(unsigned long long)s->responses_in[i],
			(unsigned long long)s->responses_out[i]);
	fprintf(out, "  transactions %u (%u without a final response)\n",
		p->txns.used, proxy_pending(p));
#define PROXY_STAT_PRINT(name, help)                                          \
	fprintf(out, "  %-24s %llu  (%s)\n", #name,                           \
		(unsigned long long)s->name, help);
	SIPLB_WORKER_COUNTERS(PROXY_STAT_PRINT)
#undef PROXY_STAT_PRINT
}
