/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * proxy_msg.h - the message surgery of siplb-worker's proxy (RFC 3261
 * 16.6 and 16.7): a forwarded request with our Via on top, Record-Route,
 * Max-Forwards decremented and the first Route popped; a response relayed
 * upstream without our Via; ACK and CANCEL built from a forwarded request
 * (17.1.1.3, 9.1); branch parameters that we can recognise as ours; where
 * a Via or a URI says to send; and the choice of a binding by q.
 *
 * Everything works on messages parsed by sip_msg_parse() (the one parser)
 * and writes into a caller's buffer: nothing here sends or keeps state.
 */
#ifndef SIPLB_PROXY_MSG_H
#define SIPLB_PROXY_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "location.h"
#include "siplb_maps.h"
#include "sip_msg.h"

/* Every branch we generate starts with this (RFC 3261 magic cookie and a
 * mark of ours), so a Via of ours is recognised by branch and sent-by. */
#define PROXY_BRANCH_PREFIX	"z9hG4bKsLb"
#define PROXY_BRANCH_MAX	48	/* prefix, a kind letter, 16 hex, and
					 * '.' and 8 hex of loop hash, NUL */
#define PROXY_HOST_MAX		64	/* "[v6 address]" and a NUL */
#define PROXY_DOMAIN_MAX	128

/* Who this proxy is: where it listens and what it answers for. */
struct proxy_self {
	struct siplb_endpoint addr;	/* the socket (the backend address) */
	char host[PROXY_HOST_MAX];	/* addr as Via text: "10.0.0.2" */
	uint16_t port;
	bool has_rr;			/* -r given: Record-Route through it */
	struct siplb_endpoint rr;	/* the VIP */
	char rr_host[PROXY_HOST_MAX];
	uint16_t rr_port;
	char domain[PROXY_DOMAIN_MAX];	/* the domain of the AORs (-d) */
};

/* Fill self from "ADDR:PORT" texts (rr may be NULL, or HOST:PORT with a
 * name: endpoint_resolve). 0, -EINVAL (bad text) or rr's lookup error. */
int proxy_self_init(struct proxy_self *self, const char *listen,
		    const char *rr, const char *domain);

/*
 * NAT in dialogs. A phone behind NAT puts its private address in Contact,
 * which the other side then uses as the Request-URI of BYE, re-INVITE and
 * ACK. When the Contact of a message we pass on does not name the address
 * the message came from, we add that address to the Contact URI as a
 * parameter, ";alias=IP~PORT~1" (the form Kamailio's nathelper uses; the
 * 1 is UDP). A request that comes back with it in its Request-URI goes to
 * that address, with the parameter taken off again. PROXY_ALIAS_MAX holds
 * the "IP~PORT~1" text.
 */
#define PROXY_ALIAS_MAX		64

/* The alias text for src, or "" when m's first Contact URI names src
 * already (or m has no Contact). */
void proxy_alias_for(const struct sip_msg *m, const struct siplb_endpoint *src,
		     char out[PROXY_ALIAS_MAX]);

/*
 * Where a Request-URI with an alias parameter goes: *ep from the alias,
 * and the URI without the parameter into out (NUL-terminated). Returns 0,
 * -ENOENT (no alias: use the URI as it is) or -EINVAL/-ENOSPC.
 */
int proxy_uri_unalias(const struct sip_slice uri_text, const struct sip_uri *u,
		      struct siplb_endpoint *ep, char *out, size_t size);

/* How proxy_build_request() changes the request it forwards. */
struct proxy_fwd {
	const char *ruri;	/* new Request-URI (NUL-terminated); NULL: keep */
	const char *branch;	/* branch of our Via */
	bool pop_route;		/* drop the first Route element (ours) */
	bool record_route;	/* add Record-Route <sip:RR;lr> (needs has_rr) */
	const char *rr_token;	/* ...with ";tok=" this (rr_token.h); NULL: no */
	const char *alias;	/* add to the first Contact URI; NULL, "": no */
};

/*
 * The request to forward (16.6): start line (with f->ruri if given), our
 * Via, our Record-Route, then every header of req in order with
 * Max-Forwards decremented (70 added if absent), the first Route element
 * removed if f->pop_route and f->alias added to the first Contact URI,
 * then the body. Returns the length (a NUL follows), -ENOSPC or -EINVAL.
 */
int proxy_build_request(const struct proxy_self *self,
			const struct sip_msg *req, const struct proxy_fwd *f,
			char *out, size_t size);

/*
 * A response relayed upstream (16.7 step 9): the same bytes without the
 * first via-parm (ours), and with alias (NULL or "": none) added to the
 * first Contact URI. Returns the length, -ENOSPC, or -EINVAL when nothing
 * would be left to route it (no second via-parm).
 */
int proxy_build_relay(const struct sip_msg *resp, const char *alias,
		      char *out, size_t size);

/*
 * A hop-by-hop request built from one we forwarded (fwd, as we sent it):
 * "ACK" for a non-2xx final response resp (17.1.1.3: the To of the
 * response) or "CANCEL" (9.1, resp NULL: the To of the request). Same
 * Request-URI, our Via only (same branch), Route headers, From, Call-ID,
 * CSeq number, Max-Forwards 70, no body.
 */
int proxy_build_hop(const struct sip_msg *fwd, const char *method,
		    const struct sip_msg *resp, char *out, size_t size);

/*
 * Branches: kind 't' for a transaction (unique: a bijective mix of a
 * per-process salt and a counter, then '.' and the request's loop hash),
 * 's' for a stateless forward (a hash of what identifies the request, so
 * a retransmission gets the same branch, 16.11). out must hold
 * PROXY_BRANCH_MAX bytes.
 */
void proxy_branch_unique(uint64_t salt, uint64_t counter, uint32_t loop,
			 char *out);
void proxy_branch_stateless(const struct sip_msg *req, char *out);
bool proxy_branch_is_ours(struct sip_slice branch);
/* 16.6 step 8: a hash of the fields that decide where req goes. */
uint32_t proxy_loop_hash(const struct sip_msg *req);

/* Is the via-parm ours (branch of ours and sent-by our address)? */
bool proxy_via_is_ours(const struct proxy_self *self, const struct sip_via *v);
/*
 * 16.3 step 4: has the request looped? It carries a Via of ours whose
 * branch holds the loop hash the request has now. A Via of ours with
 * another hash is a spiral (the request came back with a new
 * Request-URI, say), which is forwarded.
 */
bool proxy_looped(const struct proxy_self *self, const struct sip_msg *m);

/* Where a response goes by a via-parm (18.2.2): received= or the sent-by
 * address; rport=N or the sent-by port or 5060. -EINVAL for a host name
 * (no DNS here). */
int proxy_via_dest(const struct sip_via *v, struct siplb_endpoint *ep);

/* The address of a SIP URI whose host is an IP literal (maddr is not
 * honoured); port 5060 if none. -EINVAL for a host name. */
int proxy_uri_dest(const struct sip_uri *u, struct siplb_endpoint *ep);

/* Does the URI name this proxy: our address, the VIP, or our domain
 * (a name, any case, with no port or 5060)? */
bool proxy_uri_is_ours(const struct proxy_self *self, const struct sip_uri *u);

/*
 * The AOR of a sip/sips URI as the registrar stores it: "sip:user@host",
 * user %-decoded, host in lower case, without port or parameters; host
 * replaced by domain when domain is not NULL. Returns the length or
 * -EINVAL (no user, a %00, other scheme) / -ENAMETOOLONG.
 */
int proxy_aor(const struct sip_uri *u, const char *domain, char *out,
	      size_t size);

/* The bindings to forward to, best first: highest q, then the most
 * recently registered, then the lowest slot; of an RFC 5626 instance
 * with several flows, only its best one (one phone rings once). Writes the indexes in set of
 * the best max into order; returns how many (0 if set is empty). */
size_t proxy_order_bindings(const struct location_set *set, int *order,
			    size_t max);

/* Which class counter a status belongs to: 1..6 for 1xx..6xx. */
static inline unsigned int proxy_status_class(unsigned int status)
{
	return status >= 100 && status < 700 ? status / 100 : 0;
}

#endif /* SIPLB_PROXY_MSG_H */
