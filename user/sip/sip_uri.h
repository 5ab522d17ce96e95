/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sip_uri.h - SIP URIs (RFC 3261 19.1), generic parameters, name-addr and
 * addr-spec (To, From, Contact) and the Contact list, built on the slices
 * and character classes of slice.h.
 *
 * Nothing here copies, unescapes or NUL-terminates: every result is a
 * slice (pointer + length) into the caller's buffer, which must outlive the
 * results. Functions never read outside the slice they are given, and
 * message bytes are never handed to str*() functions, so a NUL byte in a
 * message is just another byte. %-escapes are kept as on the wire (RFC 4475
 * "escnull": "%00" must not become a C string terminator).
 *
 * sip_msg.h builds the message parser on top of this.
 */
#ifndef SIPLB_SIP_URI_H
#define SIPLB_SIP_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slice.h"

enum sip_uri_scheme {
	SIP_URI_OTHER,	/* any other absoluteURI: an opaque part */
	SIP_URI_SIP,
	SIP_URI_SIPS,
	SIP_URI_TEL,	/* RFC 3966: user is the number, params after ';' */
};

enum sip_host_type {
	SIP_HOST_NONE,
	SIP_HOST_NAME,
	SIP_HOST_IPV4,
	SIP_HOST_IPV6,	/* an IPv6 reference: the slice keeps its [ ] */
};

/*
 * A parsed URI. Slices point into the parsed text; absent parts are empty
 * slices (len 0). Only sip: and sips: URIs are split into user, host etc.
 */
struct sip_uri {
	enum sip_uri_scheme scheme;
	struct sip_slice scheme_text;	/* as written: "SIP", "isbn" */
	struct sip_slice opaque;	/* everything after "scheme:" */
	struct sip_slice user;		/* escaped as on the wire */
	struct sip_slice password;
	struct sip_slice host;		/* IPv6 keeps its [ ] */
	enum sip_host_type host_type;
	uint16_t port;			/* 0: no port given */
	struct sip_slice params;	/* after the first ';', without it */
	struct sip_slice headers;	/* after '?', without it */
};

/*
 * Parse an absolute URI: scheme ":" and, for sip/sips, userinfo "@",
 * hostport (port 1..65535), ;uri-parameters and ?headers, each part
 * checked against its RFC 3261 alphabet (%HH escapes allowed). Other
 * schemes (RFC 4475 "unkscm", "novelsc") parse as an opaque part of URI
 * characters. Returns 0 or -EINVAL; white space anywhere is -EINVAL.
 */
int sip_uri_parse(struct sip_slice s, struct sip_uri *u);

/*
 * Take a host from the front of *s: "[" IPv6 "]" (hex digits, ':' and '.',
 * loosely, as RFC 5118 4.10 asks), a dotted-quad IPv4 address or a host
 * name. Returns 0 or -EINVAL.
 */
int sip_host_take(struct sip_slice *s, struct sip_slice *host,
		  enum sip_host_type *type);

/* Take a port, 1*DIGIT in 1..65535, from the front of *s. 0 or -EINVAL. */
int sip_port_take(struct sip_slice *s, uint16_t *port);

/*
 * Take *( SEMI generic-param ) from the front of *s, where SEMI allows
 * LWS around ';' and '=' (RFC 3261 25.1) and a value is a token, a host
 * (IPv6 references, or a bare IPv6 address as in RFC 5118 4.5) or a
 * quoted string. *params covers them from the first ';' (empty if there
 * are none); *s is left at what follows (LWS, ',' or the end). Returns 0
 * or -EINVAL (";;", "; =x", an unterminated quoted string, ...).
 */
int sip_params_take(struct sip_slice *s, struct sip_slice *params);

/*
 * Look up a parameter by name, case-insensitively, in a parameter list
 * (header params as sip_params_take() gives them, or URI params): ";a=1;b".
 * *value is the value with LWS trimmed and the quotes of a quoted string
 * removed (quoted-pairs are left as they are); empty for a parameter
 * without a value. Returns 0 or -ENOENT.
 */
int sip_param_get(struct sip_slice params, const char *name,
		  struct sip_slice *value);

/*
 * Visit the parameters of such a list one by one, to copy it with some
 * left out: *piece is "name[=value]" as written (without the ';'), *name
 * its name, trimmed. Returns 0, or -ENOENT when none is left.
 */
int sip_param_next(struct sip_slice *params, struct sip_slice *piece,
		   struct sip_slice *name);

/*
 * A name-addr or addr-spec with its header parameters: the value of To,
 * From, one element of Contact, Route, Record-Route.
 */
struct sip_addr {
	struct sip_slice display;	/* display name: quotes removed,
					 * quoted-pairs kept; empty if none */
	bool display_quoted;
	bool name_addr;			/* the URI was enclosed in < > */
	struct sip_slice uri_text;	/* the URI as written */
	struct sip_uri uri;
	struct sip_slice params;	/* header params: ";tag=a;q=1" */
	struct sip_slice tag;		/* tag parameter, empty if none */
};

/*
 * Parse a To or From value: the whole slice must be one name-addr or
 * addr-spec with params. An addr-spec (no < >) ends at ';', ',' or LWS and
 * may not contain '?' (RFC 3261 20: such URIs must be enclosed); no LWS
 * inside < > (RFC 4475 "badaspec"); an unquoted display name is tokens and
 * LWS only (RFC 4475 "baddn"); a tag parameter without a value or with a
 * line fold inside is refused (a response could not echo it). Returns 0
 * or -EINVAL.
 */
int sip_addr_parse(struct sip_slice value, struct sip_addr *a);

/* q=1 when the Contact has no q parameter, in thousandths. */
#define SIP_Q_DEFAULT 1000

/* One element of a Contact header value. */
struct sip_contact {
	bool star;		/* "Contact: *" (addr and the rest unset) */
	struct sip_addr addr;
	uint16_t q;		/* thousandths; SIP_Q_DEFAULT if absent */
	bool has_q;
	uint32_t expires;	/* seconds, clamped: sip_delta_seconds_parse */
	bool has_expires;
};

/*
 * Take the next contact from a Contact header value; start with *rest as
 * the whole value and call again until -ENOENT:
 *
 *	while (!(err = sip_contact_next(&rest, &c)))
 *		use(&c);
 *	if (err != -ENOENT)
 *		reject();
 *
 * Commas inside < > or quotes do not separate contacts. "*" is accepted
 * only as the whole value. q and expires are checked here. Returns 0,
 * -ENOENT when no contact is left, or -EINVAL (including a trailing comma
 * or "*" in a list).
 */
int sip_contact_next(struct sip_slice *rest, struct sip_contact *c);

/*
 * qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) in
 * thousandths: "1" -> 1000, "0.5" -> 500, "0.123" -> 123. Returns 0 or
 * -EINVAL (above 1, more than three decimals, anything else).
 */
int sip_qvalue_parse(struct sip_slice s, uint16_t *q);

/*
 * delta-seconds = 1*DIGIT. A value beyond 2^32-1 is clamped to UINT32_MAX
 * rather than refused: RFC 4475 3.1.2.4 lets an element treat an overlarge
 * expiry as "a very large value, limited by its own policy", and the
 * registrar applies its maximum afterwards. Returns 0 or -EINVAL.
 */
int sip_delta_seconds_parse(struct sip_slice s, uint32_t *secs);

/*
 * RFC 3261 19.1.4: are two URIs the same? Scheme must match; for sip and
 * sips, user and password compare case-sensitively and the host
 * case-insensitively, all after %HH decoding; ports must be equal (no port
 * is not 5060); a user, ttl, method or maddr parameter in one URI only
 * never matches; parameters in both must have equal values; others in one
 * only are ignored. Other schemes compare their opaque parts after
 * decoding. (Headers after '?' are not compared.)
 */
bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b);

/* s with %HH decoded into out, NUL-terminated; the length or -ENOSPC. */
int sip_unescape(struct sip_slice s, char *out, size_t size);

#endif /* SIPLB_SIP_URI_H */
