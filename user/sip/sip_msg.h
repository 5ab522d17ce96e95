/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sip_msg.h - the SIP message parser of siplb, shared by the registrar
 * (siplbd) and the proxy (siplb-worker), and the response builder they
 * answer with.
 *
 * After libre: zero-copy (every field is a slice into the receive buffer,
 * which must outlive the struct sip_msg), one table of header names with
 * their compact forms, the headers kept in order with the first index of
 * each kind for O(1) lookup, and parsed caches for the headers every
 * message needs (Call-ID, CSeq, From, To, top Via, Max-Forwards, Expires,
 * Content-Length). One call parses and validates a whole datagram; what it
 * rejects is listed beside sip_msg_parse().
 */
#ifndef SIPLB_SIP_MSG_H
#define SIPLB_SIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slice.h"
#include "sip_uri.h"

/* Header fields kept per message; a message with more is refused. */
#define SIP_MSG_MAX_HDRS 128

/* Flags of a header kind in SIP_HDR_LIST. */
#define SIP_HDR_F_SINGLE	0x1	/* at most one header field */
#define SIP_HDR_F_REQUIRED	0x2	/* in every request and response */

/*
 * Every header siplb knows: X(enum suffix, name, compact form or 0,
 * flags). This is the one place names and compact forms (RFC 3261 7.3.3
 * and the IANA registry) are written; the enum, the name table and the
 * checks are generated from it. The order is the order of the checks, so
 * Call-ID, the key the balancer steers by, is reported first.
 */
#define SIP_HDR_LIST(X)                                                       \
	X(CALL_ID, "Call-ID", 'i', SIP_HDR_F_SINGLE | SIP_HDR_F_REQUIRED)     \
	X(CSEQ, "CSeq", 0, SIP_HDR_F_SINGLE | SIP_HDR_F_REQUIRED)             \
	X(FROM, "From", 'f', SIP_HDR_F_SINGLE | SIP_HDR_F_REQUIRED)           \
	X(TO, "To", 't', SIP_HDR_F_SINGLE | SIP_HDR_F_REQUIRED)               \
	X(VIA, "Via", 'v', SIP_HDR_F_REQUIRED)                                \
	X(CONTENT_LENGTH, "Content-Length", 'l', SIP_HDR_F_SINGLE)            \
	X(MAX_FORWARDS, "Max-Forwards", 0, SIP_HDR_F_SINGLE)                  \
	X(CONTACT, "Contact", 'm', 0)                                         \
	X(EXPIRES, "Expires", 0, SIP_HDR_F_SINGLE)                            \
	X(MIN_EXPIRES, "Min-Expires", 0, SIP_HDR_F_SINGLE)                    \
	X(CONTENT_TYPE, "Content-Type", 'c', SIP_HDR_F_SINGLE)                \
	X(CONTENT_ENCODING, "Content-Encoding", 'e', 0)                       \
	X(AUTHORIZATION, "Authorization", 0, 0)                               \
	X(PROXY_AUTHORIZATION, "Proxy-Authorization", 0, 0)                   \
	X(WWW_AUTHENTICATE, "WWW-Authenticate", 0, 0)                         \
	X(PROXY_AUTHENTICATE, "Proxy-Authenticate", 0, 0)                     \
	X(AUTHENTICATION_INFO, "Authentication-Info", 0, 0)                   \
	X(ROUTE, "Route", 0, 0)                                               \
	X(RECORD_ROUTE, "Record-Route", 0, 0)                                 \
	X(PATH, "Path", 0, 0)                                                 \
	X(USER_AGENT, "User-Agent", 0, 0)                                     \
	X(SERVER, "Server", 0, 0)                                             \
	X(SUPPORTED, "Supported", 'k', 0)                                     \
	X(REQUIRE, "Require", 0, 0)                                           \
	X(PROXY_REQUIRE, "Proxy-Require", 0, 0)                               \
	X(UNSUPPORTED, "Unsupported", 0, 0)                                   \
	X(ALLOW, "Allow", 0, 0)                                               \
	X(ACCEPT, "Accept", 0, 0)                                             \
	X(DATE, "Date", 0, 0)                                                 \
	X(SUBJECT, "Subject", 's', 0)                                         \
	X(EVENT, "Event", 'o', 0)                                             \
	X(ALLOW_EVENTS, "Allow-Events", 'u', 0)                               \
	X(REFER_TO, "Refer-To", 'r', 0)                                       \
	X(REFERRED_BY, "Referred-By", 'b', 0)                                 \
	X(SESSION_EXPIRES, "Session-Expires", 'x', 0)                         \
	X(ACCEPT_CONTACT, "Accept-Contact", 'a', 0)                           \
	X(REJECT_CONTACT, "Reject-Contact", 'j', 0)                           \
	X(REQUEST_DISPOSITION, "Request-Disposition", 'd', 0)                 \
	X(IDENTITY, "Identity", 'y', 0)                                       \
	X(IDENTITY_INFO, "Identity-Info", 'n', 0)

enum sip_hdr_id {
	SIP_HDR_OTHER,		/* not in the list: look it up by name */
#define SIP_HDR_ENUM(id, name, compact, flags) SIP_HDR_##id,
	SIP_HDR_LIST(SIP_HDR_ENUM)
#undef SIP_HDR_ENUM
	SIP_HDR_COUNT
};

/* A header field: value trimmed of LWS, folds (CRLF SP) still inside. */
struct sip_hdr {
	enum sip_hdr_id id;
	struct sip_slice name;	/* as written: "v", "VIA", "X-Foo" */
	struct sip_slice value;
};

/* One via-parm of a Via header value. */
struct sip_via {
	struct sip_slice protocol;	/* "SIP" */
	struct sip_slice version;	/* "2.0" */
	struct sip_slice transport;	/* "UDP", "TCP", ... */
	struct sip_slice host;		/* sent-by host, IPv6 with [ ] */
	enum sip_host_type host_type;
	uint16_t port;			/* 0: none given */
	struct sip_slice params;	/* ";branch=...;received=..." */
	struct sip_slice branch;	/* empty if none */
};

struct sip_msg {
	const char *buf;	/* the datagram */
	size_t len;		/* the message: start line to end of body */
	size_t trailing;	/* octets after the body, ignored (RFC 4475
				 * "dblreq") */
	bool request;
	struct sip_slice version;	/* "SIP/2.0" as written */

	/* Request-Line (request) */
	struct sip_slice method;	/* case-sensitive, never unescaped */
	struct sip_slice ruri_text;
	struct sip_uri ruri;
	/* Status-Line (response) */
	unsigned int status;		/* 100..699 */
	struct sip_slice reason;	/* may be empty */

	struct sip_hdr hdrs[SIP_MSG_MAX_HDRS];	/* in message order */
	unsigned int nhdrs;
	int16_t first[SIP_HDR_COUNT];	/* index in hdrs, -1: none */
	uint8_t count[SIP_HDR_COUNT];

	/* Caches, each valid when sip_msg_parse() returned 0. */
	struct sip_slice call_id;	/* trimmed, compared byte for byte */
	uint32_t cseq;
	struct sip_slice cseq_method;
	int max_forwards;		/* 0..255, -1: absent */
	bool has_expires;
	uint32_t expires;		/* clamped: sip_delta_seconds_parse */
	bool has_content_length;
	uint32_t content_length;
	struct sip_addr from, to;
	struct sip_via via;		/* the topmost via-parm */
	struct sip_slice body;

	/*
	 * Where the message came from, if the caller said so with
	 * sip_msg_set_source() after parsing (family 0: not known). The
	 * top Via of a response to it, or of it forwarded, then carries
	 * received and rport (RFC 3261 18.2.1, RFC 3581 4).
	 */
	struct sip_source {
		int family;		/* AF_INET or AF_INET6; 0: not known */
		uint8_t addr[16];	/* network byte order */
		uint16_t port;		/* host byte order */
		char text[48];		/* the address, IPv6 without [ ] */
	} source;

	/*
	 * Why the parse failed: a constant string fit for the reason phrase
	 * of a 400 (or the 505), e.g. "Missing Call-ID". NULL on success.
	 */
	const char *error;
};

/*
 * Parse and check one SIP message (UDP datagram) of len bytes.
 *
 * Accepts: CRLFs before the start line (RFC 3261 7.5), CRLF or bare-LF
 * line ends, header folding (7.3.1), LWS before the colon of a header name,
 * names in any case and compact forms, NUL bytes anywhere the grammar
 * allows an arbitrary octet (quoted-pairs, unknown header values, bodies).
 * The body is Content-Length octets (octets after it are ignored and
 * counted in m->trailing) or, without Content-Length, the rest.
 *
 * Returns 0, or:
 *   -EPROTONOSUPPORT  the version is not SIP/2.0: answer 505;
 *   -ENODATA          nothing but CRLFs (a keep-alive, not a message);
 *   -EBADMSG          anything else malformed, with m->error saying what.
 * Rejected: request lines with extra SP or LWS in the Request-URI
 * (RFC 4475 lwsstart, trws, lwsruri), a Request-URI in < > (ltgtruri) or a
 * sip/sips Request-URI with ?headers (escruri); a missing Via, From, To,
 * Call-ID or CSeq; two of Call-ID, CSeq, From, To, Max-Forwards,
 * Content-Length, Content-Type, Expires, Min-Expires; a CSeq not below
 * 2^32 or whose method differs from the request's; Content-Length that is
 * not a number or exceeds the datagram; Max-Forwards above 255; malformed
 * From, To, Via and Contact values (a Via branch or a To/From tag with a
 * line fold inside among them); a header line without a colon or with
 * a bare CR; headers not ended by an empty line; more than
 * SIP_MSG_MAX_HDRS header fields.
 *
 * Errors do not stop the parse early where the header list can still be
 * read: on failure m->hdrs holds the headers seen, so that the caller can
 * still answer 400 or 505 with sip_build_response(). The first error found
 * is the one returned (a bad version before anything else).
 */
int sip_msg_parse(struct sip_msg *m, const char *buf, size_t len);

/* The id of a header name (long or compact form, any case). */
enum sip_hdr_id sip_hdr_lookup(struct sip_slice name);
/* The canonical long name of an id ("Call-ID"); NULL for SIP_HDR_OTHER.
 * The tests check through it that SIP_HDR_LIST maps every name back to its
 * id. */
const char *sip_hdr_name(enum sip_hdr_id id);

/* The first header of an id, or NULL. */
const struct sip_hdr *sip_msg_hdr(const struct sip_msg *m,
				  enum sip_hdr_id id);

/*
 * Visit every header of an id in message order (Via and Contact repeat):
 *
 *	unsigned int pos = 0;
 *	while (!sip_msg_hdr_next(m, SIP_HDR_VIA, &pos, &value))
 *		...
 *
 * Returns 0 with *value set, or -ENOENT when there is none left.
 */
int sip_msg_hdr_next(const struct sip_msg *m, enum sip_hdr_id id,
		     unsigned int *pos, struct sip_slice *value);

/* The same by name, for headers outside SIP_HDR_LIST ("X-Foo"); a known
 * name also finds its compact form. */
int sip_msg_hdr_next_name(const struct sip_msg *m, const char *name,
			  unsigned int *pos, struct sip_slice *value);

/*
 * Take the next via-parm from a Via header value (start with the whole
 * value; call until -ENOENT, as sip_contact_next()). LWS is allowed around
 * '/', ':', ';', '=' and ','. Returns 0, -ENOENT or -EINVAL.
 */
int sip_via_next(struct sip_slice *rest, struct sip_via *v);

/*
 * Copy a header value into out with each line fold (and the white space
 * around it) replaced by one SP, as RFC 3261 7.3.1 allows, and a NUL
 * after it. Returns the length without the NUL, or -ENOSPC. This is how
 * sip_build_response() writes every header it copies, exported so that
 * the unfolding can be tested and fuzzed on its own.
 */
int sip_value_unfold(struct sip_slice value, char *out, size_t size);

/*
 * The address and port m came from (addr: 4 or 16 bytes, network order;
 * port in host order). 0, or -EINVAL for another family. Call it after
 * sip_msg_parse(), which forgets it.
 */
int sip_msg_set_source(struct sip_msg *m, int family, const void *addr,
		       uint16_t port);

/*
 * Write value, the first Via header value of m, unfolded, with its first
 * via-parm stamped for m's source as a server must (RFC 3261 18.2.1,
 * RFC 3581 4): a "received" parameter the request carried is dropped;
 * an "rport" without a value becomes "rport=PORT", and then "received=IP"
 * is added always; without one, "received=IP" is added when the sent-by
 * host is not the source address (a name, or another address); an
 * "rport=N" the client filled in itself is left alone. Unchanged when m
 * has no source. sip_build_response() and the worker's forwarded
 * requests both write the top Via through it.
 */
struct outbuf;
void sip_out_via_top(struct outbuf *o, const struct sip_msg *m,
		     struct sip_slice value);

/* The RFC 3261 reason phrase of a status code ("Unknown" if none). */
const char *sip_reason_phrase(int status);

/*
 * Build a response to a request (RFC 3261 8.2.6.2): the status line, every
 * Via in order (the top one with received and rport for the request's
 * source, sip_out_via_top()), From, To (with ";tag=" to_tag added if the To has no tag
 * and to_tag is not NULL), Call-ID, CSeq, then extra_headers (NULL, or
 * complete lines each ending in CRLF, e.g. "Expires: 3600\r\n"), and
 * "Content-Length: 0". Header values are unfolded. reason NULL means
 * sip_reason_phrase(status). A request that failed to parse may be
 * answered too: what it lacks is left out, but it needs a Via.
 *
 * Returns the length written (a NUL follows it), -ENOSPC if out is too
 * small, or -EINVAL (not a request, no Via, status outside 100..699, a
 * reason with CR/LF, a to_tag that is not a token, extra_headers not
 * ending in CRLF).
 */
int sip_build_response(const struct sip_msg *req, int status,
		       const char *reason, const char *to_tag,
		       const char *extra_headers, char *out, size_t size);

#endif /* SIPLB_SIP_MSG_H */
