// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * proxy_msg.c - building what the proxy sends (proxy_msg.h).
 *
 * A forwarded message is written afresh from the parsed one rather than
 * patched in place: each header line is emitted as "name: value" from the
 * parser's slices, so a header the proxy changes (Via, Route,
 * Max-Forwards) is simply written differently and every other one goes
 * through unchanged, folds included. The body is copied as is, so
 * Content-Length stays right.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "endpoint.h"
#include "outbuf.h"
#include "proxy_msg.h"

#define DEFAULT_MAX_FORWARDS	70
#define SIP_DEFAULT_PORT	5060

/* A header line "Name: value\r\n" as the parser saw it. */
static void out_hdr_line(struct outbuf *w, const struct sip_hdr *h,
			 struct sip_slice value)
{
	out_slice(w, h->name);
	out_str(w, ": ");
	out_slice(w, value);
	out_str(w, "\r\n");
}

/*
 * A Contact header with alias added to its first URI: in the < > of a
 * name-addr, or around an addr-spec, which must get < > for a URI
 * parameter (RFC 3261 20.10), and before any ?headers of the URI.
 */
static void out_contact_alias(struct outbuf *w, const struct sip_hdr *h,
			      const char *alias)
{
	struct sip_slice rest = h->value, v = h->value;
	struct sip_contact c;
	const char *uri_end, *cut;

	if (sip_contact_next(&rest, &c) || c.star) {
		out_hdr_line(w, h, h->value);
		return;
	}
	uri_end = c.addr.uri_text.p + c.addr.uri_text.len;
	cut = memchr(c.addr.uri_text.p, '?', c.addr.uri_text.len);
	if (!cut)
		cut = uri_end;
	out_slice(w, h->name);
	out_str(w, ": ");
	if (!c.addr.name_addr)
		out_mem(w, v.p, (size_t)(c.addr.uri_text.p - v.p));
	else
		out_mem(w, v.p, (size_t)(cut - v.p));
	if (!c.addr.name_addr) {
		out_str(w, "<");
		out_mem(w, c.addr.uri_text.p, (size_t)(cut - c.addr.uri_text.p));
	}
	out_str(w, ";alias=");
	out_str(w, alias);
	out_mem(w, cut, (size_t)(uri_end - cut));
	if (!c.addr.name_addr)
		out_str(w, ">");
	out_mem(w, uri_end, (size_t)(v.p + v.len - uri_end));
	out_str(w, "\r\n");
}

static int host_text(const struct siplb_endpoint *ep, char *host,
		     size_t size)
{
	char ip[INET6_ADDRSTRLEN];
	int af = ep->family == SIPLB_AF_INET6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, ep->addr, ip, sizeof(ip)))
		return -EINVAL;
	snprintf(host, size, af == AF_INET6 ? "[%s]" : "%s", ip);
	return 0;
}

int proxy_self_init(struct proxy_self *self, const char *listen,
		    const char *rr, const char *domain)
{
	int err;

	memset(self, 0, sizeof(*self));
	if (endpoint_parse(listen, &self->addr) ||
	    host_text(&self->addr, self->host, sizeof(self->host)))
		return -EINVAL;
	self->port = ntohs(self->addr.port);
	if (rr) {
		/* A name is looked up once, in the listen address's family:
		 * the VIP and its backends are of one (lb_backend_add). */
		err = endpoint_resolve(rr, self->addr.family, &self->rr);
		if (err)
			return err;
		if (host_text(&self->rr, self->rr_host, sizeof(self->rr_host)))
			return -EINVAL;
		self->rr_port = ntohs(self->rr.port);
		self->has_rr = true;
	}
	if (!domain || !*domain || strlen(domain) >= sizeof(self->domain))
		return -EINVAL;
	snprintf(self->domain, sizeof(self->domain), "%s", domain);
	return 0;
}

/* The value of a Route header without its first element ("" if none). */
static int route_rest(struct sip_slice value, struct sip_slice *rest)
{
	struct sip_contact c;
	struct sip_slice s = value;
	int err;

	err = sip_contact_next(&s, &c);
	if (err)
		return err;
	*rest = s;
	return 0;
}

int proxy_build_request(const struct proxy_self *self,
			const struct sip_msg *req, const struct proxy_fwd *f,
			char *out, size_t size)
{
	struct outbuf w = { out, size, 0, false };
	bool route_popped = false, had_mf = false, alias_done = false;
	unsigned int i;

	if (!req->request || !f->branch)
		return -EINVAL;
	if (f->record_route && !self->has_rr)
		return -EINVAL;
	out_slice(&w, req->method);
	out_str(&w, " ");
	if (f->ruri)
		out_str(&w, f->ruri);
	else
		out_slice(&w, req->ruri_text);
	out_str(&w, " SIP/2.0\r\n");
	/* Our Via names the VIP when there is one, as the Record-Route
	 * does: responses then come back through the balancer, which steers
	 * them by Call-ID to this worker, or to a survivor that relays them
	 * statelessly if this worker has died meanwhile. */
	if (self->has_rr)
		out_fmt(&w, "Via: SIP/2.0/UDP %s:%u;branch=%s\r\n",
			self->rr_host, self->rr_port, f->branch);
	else
		out_fmt(&w, "Via: SIP/2.0/UDP %s:%u;branch=%s\r\n", self->host,
			self->port, f->branch);
	if (f->record_route)
		out_fmt(&w, "Record-Route: <sip:%s:%u;lr%s%s>\r\n",
			self->rr_host, self->rr_port,
			f->rr_token ? ";tok=" : "",
			f->rr_token ? f->rr_token : "");
	for (i = 0; i < req->nhdrs; i++) {
		const struct sip_hdr *h = &req->hdrs[i];

		if (h->id == SIP_HDR_VIA &&
		    (int)i == req->first[SIP_HDR_VIA]) {
			/* The previous hop's Via says where it sent from
			 * (RFC 3581 4): responses relayed statelessly, by
			 * us or a survivor, go there. */
			out_slice(&w, h->name);
			out_str(&w, ": ");
			sip_out_via_top(&w, req, h->value);
			out_str(&w, "\r\n");
			continue;
		}
		if (h->id == SIP_HDR_MAX_FORWARDS) {
			had_mf = true;
			out_fmt(&w, "Max-Forwards: %d\r\n",
				req->max_forwards > 0 ? req->max_forwards - 1 : 0);
			continue;
		}
		if (h->id == SIP_HDR_CONTACT && f->alias && *f->alias &&
		    !alias_done) {
			alias_done = true;
			out_contact_alias(&w, h, f->alias);
			continue;
		}
		if (h->id == SIP_HDR_ROUTE && f->pop_route && !route_popped) {
			struct sip_slice rest;

			route_popped = true;
			if (route_rest(h->value, &rest))
				return -EINVAL;
			if (rest.len)
				out_hdr_line(&w, h, rest);
			continue;
		}
		out_hdr_line(&w, h, h->value);
	}
	if (!had_mf)
		out_fmt(&w, "Max-Forwards: %d\r\n", DEFAULT_MAX_FORWARDS - 1);
	out_str(&w, "\r\n");
	out_slice(&w, req->body);
	return out_finish(&w);
}

int proxy_build_relay(const struct sip_msg *resp, const char *alias,
		      char *out, size_t size)
{
	struct outbuf w = { out, size, 0, false };
	bool via_done = false, via_left = false, alias_done = false;
	unsigned int i;

	if (resp->request)
		return -EINVAL;
	out_slice(&w, resp->version);
	out_fmt(&w, " %u ", resp->status);
	out_slice(&w, resp->reason);
	out_str(&w, "\r\n");
	for (i = 0; i < resp->nhdrs; i++) {
		const struct sip_hdr *h = &resp->hdrs[i];

		if (h->id == SIP_HDR_VIA && !via_done) {
			struct sip_slice rest = h->value;
			struct sip_via v;

			via_done = true;
			if (sip_via_next(&rest, &v))
				return -EINVAL;
			if (rest.len) {
				via_left = true;
				out_hdr_line(&w, h, rest);
			}
			continue;
		}
		if (h->id == SIP_HDR_VIA)
			via_left = true;
		if (h->id == SIP_HDR_CONTACT && alias && *alias &&
		    !alias_done) {
			alias_done = true;
			out_contact_alias(&w, h, alias);
			continue;
		}
		out_hdr_line(&w, h, h->value);
	}
	if (!via_left)
		return -EINVAL;
	out_str(&w, "\r\n");
	out_slice(&w, resp->body);
	return out_finish(&w);
}

int proxy_build_hop(const struct sip_msg *fwd, const char *method,
		    const struct sip_msg *resp, char *out, size_t size)
{
	struct outbuf w = { out, size, 0, false };
	const struct sip_hdr *h;
	struct sip_slice value;
	unsigned int pos = 0;
	struct sip_via v;

	if (!fwd->request)
		return -EINVAL;
	out_str(&w, method);
	out_str(&w, " ");
	out_slice(&w, fwd->ruri_text);
	out_str(&w, " SIP/2.0\r\n");
	/* Our via-parm alone: the first of the first Via header. */
	h = sip_msg_hdr(fwd, SIP_HDR_VIA);
	if (!h)
		return -EINVAL;
	value = h->value;
	if (sip_via_next(&value, &v))
		return -EINVAL;
	out_str(&w, "Via: ");
	out_mem(&w, h->value.p, (size_t)(v.params.p + v.params.len - h->value.p));
	out_str(&w, "\r\n");
	while (!sip_msg_hdr_next(fwd, SIP_HDR_ROUTE, &pos, &value))
		out_fmt(&w, "Route: %.*s\r\n", (int)value.len, value.p);
	out_fmt(&w, "Max-Forwards: %d\r\n", DEFAULT_MAX_FORWARDS);
	h = sip_msg_hdr(fwd, SIP_HDR_FROM);
	if (h)
		out_hdr_line(&w, h, h->value);
	h = sip_msg_hdr(resp ? resp : fwd, SIP_HDR_TO);
	if (h)
		out_hdr_line(&w, h, h->value);
	h = sip_msg_hdr(fwd, SIP_HDR_CALL_ID);
	if (h)
		out_hdr_line(&w, h, h->value);
	out_fmt(&w, "CSeq: %u %s\r\n", fwd->cseq, method);
	out_str(&w, "Content-Length: 0\r\n\r\n");
	return out_finish(&w);
}

/* splitmix64: a bijection, so distinct counters give distinct branches. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void proxy_branch_unique(uint64_t salt, uint64_t counter, uint32_t loop,
			 char *out)
{
	snprintf(out, PROXY_BRANCH_MAX, PROXY_BRANCH_PREFIX "t%016llx.%08x",
		 (unsigned long long)mix64(salt ^ mix64(counter)), loop);
}

static uint64_t fnv1a(uint64_t h, struct sip_slice s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		h ^= (unsigned char)s.p[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ 0xff;	/* a separator between fields */
}

/*
 * 16.11: what identifies the request (its top Via branch and sent-by,
 * Call-ID, CSeq, Request-URI), so a retransmission is forwarded with the
 * same branch; the method is in too, as ACK and INVITE share a branch.
 */
void proxy_branch_stateless(const struct sip_msg *req, char *out)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	char cseq[16];

	h = fnv1a(h, req->via.branch);
	h = fnv1a(h, req->via.host);
	h = fnv1a(h, req->call_id);
	snprintf(cseq, sizeof(cseq), "%u", req->cseq);
	h = fnv1a(h, sip_slice_str(cseq));
	h = fnv1a(h, req->method);
	h = fnv1a(h, req->ruri_text);
	snprintf(out, PROXY_BRANCH_MAX, PROXY_BRANCH_PREFIX "s%016llx",
		 (unsigned long long)mix64(h));
}

/* Every value of a header kind, as one more field of the hash. */
static uint64_t fnv1a_hdrs(uint64_t h, const struct sip_msg *m,
			   enum sip_hdr_id id)
{
	struct sip_slice value;
	unsigned int pos = 0;

	while (!sip_msg_hdr_next(m, id, &pos, &value))
		h = fnv1a(h, value);
	return fnv1a(h, SIP_SLICE_LIT(""));
}

/*
 * 16.6 step 8: what decides where a request goes, as it arrived: the
 * Request-URI, the From and To tags, Call-ID, CSeq number, Route,
 * Proxy-Require and Proxy-Authorization. The same request coming back
 * with the same values has looped; with a new Request-URI it spirals.
 */
uint32_t proxy_loop_hash(const struct sip_msg *req)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	char cseq[16];

	h = fnv1a(h, req->ruri_text);
	h = fnv1a(h, req->from.tag);
	h = fnv1a(h, req->to.tag);
	h = fnv1a(h, req->call_id);
	snprintf(cseq, sizeof(cseq), "%u", req->cseq);
	h = fnv1a(h, sip_slice_str(cseq));
	h = fnv1a_hdrs(h, req, SIP_HDR_ROUTE);
	h = fnv1a_hdrs(h, req, SIP_HDR_PROXY_REQUIRE);
	h = fnv1a_hdrs(h, req, SIP_HDR_PROXY_AUTHORIZATION);
	return (uint32_t)mix64(h);
}

bool proxy_branch_is_ours(struct sip_slice branch)
{
	size_t n = sizeof(PROXY_BRANCH_PREFIX) - 1;

	return branch.len > n && !memcmp(branch.p, PROXY_BRANCH_PREFIX, n);
}

/* An IP literal host ("10.0.0.1", "[2001:db8::1]") and a port. */
static int host_dest(struct sip_slice host, uint16_t port,
		     struct siplb_endpoint *ep)
{
	char text[PROXY_HOST_MAX + 8];
	int n;

	n = snprintf(text, sizeof(text), "%.*s:%u", (int)host.len, host.p,
		     port ? port : SIP_DEFAULT_PORT);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -EINVAL;
	return endpoint_parse(text, ep);
}

bool proxy_via_is_ours(const struct proxy_self *self, const struct sip_via *v)
{
	struct siplb_endpoint ep;

	if (!proxy_branch_is_ours(v->branch))
		return false;
	if (host_dest(v->host, v->port, &ep))
		return false;
	return endpoint_equal(&ep, &self->addr) ||
	       (self->has_rr && endpoint_equal(&ep, &self->rr));
}

/* The loop hash our branch carries after its '.', or false if none. */
static bool branch_loop_hash(struct sip_slice branch, uint32_t *loop)
{
	const char *dot = memchr(branch.p, '.', branch.len);
	char hex[9];
	size_t n;
	char *end;

	if (!dot)
		return false;
	n = branch.len - (size_t)(dot + 1 - branch.p);
	if (n != 8)
		return false;
	memcpy(hex, dot + 1, 8);
	hex[8] = '\0';
	*loop = (uint32_t)strtoul(hex, &end, 16);
	return *end == '\0';
}

bool proxy_looped(const struct proxy_self *self, const struct sip_msg *m)
{
	uint32_t here = proxy_loop_hash(m), then;
	struct sip_slice value, rest;
	unsigned int pos = 0;
	struct sip_via v;

	while (!sip_msg_hdr_next(m, SIP_HDR_VIA, &pos, &value)) {
		rest = value;
		while (!sip_via_next(&rest, &v)) {
			if (!proxy_via_is_ours(self, &v))
				continue;
			/* A Via of ours we cannot read the hash of: a loop,
			 * to be safe. */
			if (!branch_loop_hash(v.branch, &then) || then == here)
				return true;
		}
	}
	return false;
}

int proxy_via_dest(const struct sip_via *v, struct siplb_endpoint *ep)
{
	struct sip_slice received, rport;
	uint32_t port = v->port;

	if (!sip_param_get(v->params, "rport", &rport) && rport.len &&
	    (sip_slice_to_u32(rport, &port) || port == 0 || port > 65535))
		return -EINVAL;
	if (!sip_param_get(v->params, "received", &received) &&
	    received.len) {
		/* received= holds a bare IPv6 address: add the brackets. */
		if (memchr(received.p, ':', received.len) &&
		    received.p[0] != '[') {
			char text[PROXY_HOST_MAX + 8];

			snprintf(text, sizeof(text), "[%.*s]:%u",
				 (int)received.len, received.p,
				 port ? port : SIP_DEFAULT_PORT);
			return endpoint_parse(text, ep);
		}
		return host_dest(received, port, ep);
	}
	return host_dest(v->host, port, ep);
}

int proxy_uri_dest(const struct sip_uri *u, struct siplb_endpoint *ep)
{
	if (u->scheme != SIP_URI_SIP && u->scheme != SIP_URI_SIPS)
		return -EINVAL;
	if (u->host_type != SIP_HOST_IPV4 && u->host_type != SIP_HOST_IPV6)
		return -EINVAL;
	return host_dest(u->host, u->port, ep);
}

void proxy_alias_for(const struct sip_msg *m, const struct siplb_endpoint *src,
		     char out[PROXY_ALIAS_MAX])
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CONTACT);
	struct siplb_endpoint named;
	struct sip_slice rest;
	struct sip_contact c;
	char host[PROXY_HOST_MAX];

	out[0] = '\0';
	if (!h)
		return;
	rest = h->value;
	if (sip_contact_next(&rest, &c) || c.star ||
	    (c.addr.uri.scheme != SIP_URI_SIP &&
	     c.addr.uri.scheme != SIP_URI_SIPS))
		return;
	if (!proxy_uri_dest(&c.addr.uri, &named) &&
	    endpoint_equal(&named, src))
		return;
	if (host_text(src, host, sizeof(host)))
		return;
	if (snprintf(out, PROXY_ALIAS_MAX, "%.*s~%u~1", PROXY_HOST_MAX - 1,
		     host, ntohs(src->port)) >= PROXY_ALIAS_MAX)
		out[0] = '\0';	/* cannot happen: an address fits */
}

int proxy_uri_unalias(const struct sip_slice uri_text, const struct sip_uri *u,
		      struct siplb_endpoint *ep, char *out, size_t size)
{
	struct sip_slice value, params = u->params;
	const char *start, *end, *tilde;
	char text[PROXY_HOST_MAX + 8];
	size_t hostlen;
	unsigned long port;
	int n;

	if (sip_param_get(params, "alias", &value))
		return -ENOENT;
	/* IP~PORT~PROTO; only UDP (1) is ours to use. */
	tilde = memchr(value.p, '~', value.len);
	if (!tilde)
		return -EINVAL;
	hostlen = (size_t)(tilde - value.p);
	port = strtoul(tilde + 1, NULL, 10);
	if (!hostlen || hostlen > PROXY_HOST_MAX || !port || port > 65535)
		return -EINVAL;
	n = snprintf(text, sizeof(text), "%.*s:%lu", (int)hostlen, value.p,
		     port);
	if (n < 0 || (size_t)n >= sizeof(text) || endpoint_parse(text, ep))
		return -EINVAL;
	/* The URI without ";alias=...": from the ';' before the name to the
	 * end of the value. */
	start = value.p;
	while (start > uri_text.p && *start != ';')
		start--;
	end = value.p + value.len;
	n = snprintf(out, size, "%.*s%.*s", (int)(start - uri_text.p),
		     uri_text.p,
		     (int)(uri_text.p + uri_text.len - end), end);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

bool proxy_uri_is_ours(const struct proxy_self *self, const struct sip_uri *u)
{
	struct siplb_endpoint ep;

	if (u->scheme != SIP_URI_SIP && u->scheme != SIP_URI_SIPS)
		return false;
	if (!proxy_uri_dest(u, &ep))
		return endpoint_equal(&ep, &self->addr) ||
		       (self->has_rr && endpoint_equal(&ep, &self->rr));
	return sip_slice_caseeq_str(u->host, self->domain) &&
	       (u->port == 0 || u->port == SIP_DEFAULT_PORT);
}

int proxy_aor(const struct sip_uri *u, const char *domain, char *out,
	      size_t size)
{
	char user[SIPLB_AOR_MAX], host[SIPLB_AOR_MAX];
	int ulen, n;
	size_t i;

	if (u->scheme != SIP_URI_SIP && u->scheme != SIP_URI_SIPS)
		return -EINVAL;
	if (!u->user.len || !u->host.len)
		return -EINVAL;
	ulen = sip_unescape(u->user, user, sizeof(user));
	if (ulen < 0)
		return -ENAMETOOLONG;
	if ((size_t)ulen != strlen(user))
		return -EINVAL;	/* %00 would cut the AOR short */
	if (domain) {
		n = snprintf(host, sizeof(host), "%s", domain);
	} else {
		n = snprintf(host, sizeof(host), "%.*s", (int)u->host.len,
			     u->host.p);
	}
	if (n < 0 || (size_t)n >= sizeof(host))
		return -ENAMETOOLONG;
	for (i = 0; host[i]; i++)
		if (host[i] >= 'A' && host[i] <= 'Z')
			host[i] += 32;
	n = snprintf(out, size, "sip:%s@%s", user, host);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return n;
}

/* Is binding a preferred to b: higher q, then registered more recently
 * (the lower slot on a tie, which keeps the order stable)? */
static bool preferred(const struct location_set *set, size_t a, size_t b)
{
	const struct siplb_binding *x = &set->b[a], *y = &set->b[b];

	if (x->q != y->q)
		return x->q > y->q;
	if (x->registered_at != y->registered_at)
		return x->registered_at > y->registered_at;
	return set->slot[a] < set->slot[b];
}

/*
 * RFC 5626 5.3: an instance with several flows (reg-ids) is one phone;
 * it gets the request once, on its best flow. Is binding i outdone by
 * another binding of its instance?
 */
static bool lesser_flow(const struct location_set *set, size_t i)
{
	const char *inst = set->b[i].instance;
	size_t k;

	if (!inst[0])
		return false;
	for (k = 0; k < set->n; k++)
		if (k != i && !strcasecmp(set->b[k].instance, inst) &&
		    preferred(set, k, i))
			return true;
	return false;
}

size_t proxy_order_bindings(const struct location_set *set, int *order,
			    size_t max)
{
	size_t n = 0, i, j;

	/* Insertion into a list of at most max: sets are small. */
	for (i = 0; i < set->n; i++) {
		if (lesser_flow(set, i))
			continue;
		for (j = n; j > 0 && preferred(set, i, (size_t)order[j - 1]);
		     j--)
			if (j < max)
				order[j] = order[j - 1];
		if (j < max) {
			order[j] = (int)i;
			if (n < max)
				n++;
		}
	}
	return n;
}
