// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_sip_msg.c - libFuzzer target for the SIP message parser: one input
 * is one UDP datagram, handled as siplbd handles it (user/siplbd/daemon.c,
 * user/siplbd/registrar.c). sip_msg_parse(); on failure, the 400 or 505 the
 * daemon would answer; on success, every Via and Contact value walked
 * with sip_via_next() and sip_contact_next(), To and From parsed again,
 * every header value unfolded, and a response built into a small and a
 * large buffer.
 *
 * Beyond memory safety it checks what sip_msg.h promises: slices point
 * into the datagram, a parse that succeeded leaves Via and Contact lists
 * that walk to -ENOENT, unfolding never grows a value, a response fits a
 * buffer of the request's size plus a margin and is byte-identical
 * whatever buffer it is built in, a response never carries a CR or LF
 * that does not end a line (no header injection from a hostile request),
 * and the response to a request that parsed parses in turn, with the
 * request's Call-ID, CSeq, branch and tags.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "sip_msg.h"
#include "fuzz.h"

/* A response adds at most this much to the request's bytes: the status
 * line, long header names for compact ones, ";tag=", extra headers and
 * Content-Length (SIP_MSG_MAX_HDRS headers, each renamed). */
#define RESPONSE_MARGIN (4096 + SIP_MSG_MAX_HDRS * 32)
/* Smaller than most responses: the -ENOSPC path. */
#define RESPONSE_SMALL 192

static const char *datagram;
static size_t datagram_len;

static void check_slice(struct sip_slice s)
{
	FUZZ_CHECK(fuzz_inside(datagram, datagram_len, s.p, s.len));
}

static void check_uri(const struct sip_uri *u)
{
	fuzz_check_uri(datagram, datagram_len, u);
}

static void check_addr(const struct sip_addr *a)
{
	check_slice(a->display);
	check_slice(a->uri_text);
	check_slice(a->params);
	check_slice(a->tag);
	check_uri(&a->uri);
}

/* What the registrar does with a URI: unescape the user, read params. */
static void use_uri(const struct sip_uri *u)
{
	struct sip_slice v;
	char small[8], big[256];
	int n;

	n = sip_unescape(u->user, small, sizeof(small));
	FUZZ_CHECK(n == -ENOSPC || (n >= 0 && (size_t)n < sizeof(small)));
	n = sip_unescape(u->user, big, sizeof(big));
	FUZZ_CHECK(n == -ENOSPC || (n >= 0 && (size_t)n <= u->user.len));
	if (!sip_param_get(u->params, "transport", &v))
		check_slice(v);
	if (!sip_param_get(u->params, "lr", &v))
		check_slice(v);
}

static void walk_vias(const struct sip_msg *m)
{
	struct sip_slice value;
	struct sip_via via;
	unsigned int pos = 0, n;
	int err;

	while (!sip_msg_hdr_next(m, SIP_HDR_VIA, &pos, &value)) {
		check_slice(value);
		n = 0;
		while (!(err = sip_via_next(&value, &via))) {
			check_slice(via.protocol);
			check_slice(via.transport);
			check_slice(via.host);
			check_slice(via.params);
			check_slice(via.branch);
			n++;
		}
		/* sip_msg_parse() checked every Via: each walks to the end. */
		FUZZ_CHECK(err == -ENOENT && n > 0);
	}
}

static void walk_contacts(const struct sip_msg *m)
{
	struct sip_contact c;
	struct sip_slice value, v;
	unsigned int pos = 0, n;
	int err;

	while (!sip_msg_hdr_next(m, SIP_HDR_CONTACT, &pos, &value)) {
		check_slice(value);
		n = 0;
		while (!(err = sip_contact_next(&value, &c))) {
			n++;
			if (c.star)
				continue;
			check_addr(&c.addr);
			use_uri(&c.addr.uri);
			FUZZ_CHECK(c.q <= 1000);
			(void)sip_uri_equal(&c.addr.uri, &m->to.uri);
			if (!sip_param_get(c.addr.params, "+sip.instance", &v))
				check_slice(v);
		}
		FUZZ_CHECK(err == -ENOENT && n > 0);
	}
}

static void reparse_addrs(const struct sip_msg *m)
{
	static const enum sip_hdr_id ids[] = { SIP_HDR_FROM, SIP_HDR_TO };
	const struct sip_hdr *h;
	struct sip_addr a;
	size_t i;

	check_addr(&m->from);
	check_addr(&m->to);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		h = sip_msg_hdr(m, ids[i]);
		FUZZ_CHECK(h != NULL);	/* both are required */
		FUZZ_CHECK(sip_addr_parse(h->value, &a) == 0);
		check_addr(&a);
		use_uri(&a.uri);
	}
	(void)sip_uri_equal(&m->from.uri, &m->to.uri);
	(void)sip_uri_equal(&m->to.uri, &m->from.uri);
	if (m->request)
		(void)sip_uri_equal(&m->ruri, &m->to.uri);
}

static void unfold_all(const struct sip_msg *m)
{
	char small[16];
	unsigned int i;

	for (i = 0; i < m->nhdrs; i++) {
		struct sip_slice v = m->hdrs[i].value;
		char *out = malloc(v.len + 1);
		int n, s;

		FUZZ_CHECK(out != NULL);
		n = sip_value_unfold(v, out, v.len + 1);
		/* A fold and the white space around it become one SP. */
		FUZZ_CHECK(n >= 0 && (size_t)n <= v.len && out[n] == '\0');
		FUZZ_CHECK(!memchr(out, '\r', n) && !memchr(out, '\n', n));
		s = sip_value_unfold(v, small, sizeof(small));
		FUZZ_CHECK(s == -ENOSPC || (s == n && !memcmp(out, small, n)));
		free(out);
	}
}

static void check_headers(const struct sip_msg *m)
{
	unsigned int i;

	FUZZ_CHECK(m->nhdrs <= SIP_MSG_MAX_HDRS);
	for (i = 0; i < m->nhdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];

		check_slice(h->name);
		check_slice(h->value);
		FUZZ_CHECK(sip_hdr_lookup(h->name) == h->id);
	}
}

/* Every CR is followed by LF and every LF preceded by CR; the header ends
 * at the first empty line, which is the end of the response. */
static void check_response_text(const char *out, int n)
{
	const char *end;
	int i;

	FUZZ_CHECK(n >= 4 && out[n] == '\0');
	for (i = 0; i < n; i++) {
		if (out[i] == '\r')
			FUZZ_CHECK(i + 1 < n && out[i + 1] == '\n');
		if (out[i] == '\n')
			FUZZ_CHECK(i > 0 && out[i - 1] == '\r');
	}
	end = memmem(out, n, "\r\n\r\n", 4);
	FUZZ_CHECK(end == out + n - 4);
}

/* Build the response in a big buffer and a small one; they must agree. */
static void respond(const struct sip_msg *m, int status, const char *reason,
		    const char *to_tag, const char *extra)
{
	size_t big_size = datagram_len + RESPONSE_MARGIN;
	char *big = malloc(big_size), *small = malloc(RESPONSE_SMALL);
	int n, s;

	FUZZ_CHECK(big && small);
	n = sip_build_response(m, status, reason, to_tag, extra, big,
			       big_size);
	if (!m->request || m->first[SIP_HDR_VIA] < 0) {
		FUZZ_CHECK(n == -EINVAL);
	} else {
		FUZZ_CHECK(n > 0 && (size_t)n < big_size);
		check_response_text(big, n);
	}
	s = sip_build_response(m, status, reason, to_tag, extra, small,
			       RESPONSE_SMALL);
	FUZZ_CHECK(s == n || (s == -ENOSPC && n >= RESPONSE_SMALL));
	if (s > 0)
		FUZZ_CHECK(!memcmp(big, small, (size_t)s + 1));
	free(big);
	free(small);
}

/* The daemon's answer to a message that did not parse. */
static void answer_bad(const struct sip_msg *m, int err)
{
	check_headers(m);
	if (!m->request)
		return;
	FUZZ_CHECK(m->error != NULL);
	respond(m, err == -EPROTONOSUPPORT ? 505 : 400,
		err == -EPROTONOSUPPORT ? NULL : m->error, NULL, NULL);
}

/*
 * A 200 built for a request that parsed must parse too, as the response
 * the UA gets: same Call-ID, CSeq, top Via branch and From tag, and a To
 * tag (ours, unless the request's To had one). The UAC matches the
 * response to its request by these, byte for byte.
 */
static void reparse_response(const struct sip_msg *req)
{
	static struct sip_msg rsp;
	size_t size = datagram_len + RESPONSE_MARGIN;
	char *out = malloc(size);
	int n;

	FUZZ_CHECK(out != NULL);
	n = sip_build_response(req, 200, NULL, "fuzz1234", NULL, out, size);
	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(sip_msg_parse(&rsp, out, (size_t)n) == 0);
	FUZZ_CHECK(!rsp.request && rsp.status == 200);
	FUZZ_CHECK(sip_slice_eq(rsp.call_id, req->call_id));
	FUZZ_CHECK(rsp.cseq == req->cseq &&
		   sip_slice_eq(rsp.cseq_method, req->cseq_method));
	FUZZ_CHECK(sip_slice_eq(rsp.via.branch, req->via.branch));
	FUZZ_CHECK(sip_slice_eq(rsp.from.tag, req->from.tag));
	FUZZ_CHECK(sip_slice_eq(rsp.to.tag, req->to.tag.len ? req->to.tag :
					    SIP_SLICE_LIT("fuzz1234")));
	free(out);
}

static void use_message(const struct sip_msg *m)
{
	struct sip_slice v;
	unsigned int pos;

	FUZZ_CHECK(m->error == NULL);
	FUZZ_CHECK(m->len + m->trailing <= datagram_len);
	check_headers(m);
	check_slice(m->call_id);
	check_slice(m->cseq_method);
	check_slice(m->body);
	FUZZ_CHECK(m->body.p + m->body.len == m->buf + m->len);
	if (m->request) {
		check_slice(m->method);
		check_slice(m->ruri_text);
		check_uri(&m->ruri);
	} else {
		FUZZ_CHECK(m->status >= 100 && m->status <= 699);
		check_slice(m->reason);
	}
	walk_vias(m);
	walk_contacts(m);
	reparse_addrs(m);
	unfold_all(m);
	pos = 0;
	while (!sip_msg_hdr_next_name(m, "X-Fuzz", &pos, &v))
		check_slice(v);
	pos = 0;
	while (!sip_msg_hdr_next_name(m, "User-Agent", &pos, &v))
		check_slice(v);

	respond(m, 200, NULL, "fuzz1234", "Expires: 3600\r\n");
	respond(m, 401, NULL, "t",
		"WWW-Authenticate: Digest realm=\"x\", nonce=\"y\"\r\n");
	respond(m, 100, "Trying", NULL, NULL);
	if (m->request)
		reparse_response(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_msg m;	/* 5 KiB: keep it off the stack */
	int err;

	datagram = (const char *)data;
	datagram_len = size;
	err = sip_msg_parse(&m, datagram, size);
	FUZZ_CHECK(m.buf == datagram);
	if (err == 0) {
		use_message(&m);
	} else if (err == -ENODATA) {
		FUZZ_CHECK(m.nhdrs == 0);
	} else {
		FUZZ_CHECK(err == -EBADMSG || err == -EPROTONOSUPPORT);
		answer_bad(&m, err);
	}
	return 0;
}
