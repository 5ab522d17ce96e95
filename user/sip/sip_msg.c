// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sip_msg.c - parse and check a SIP message; build responses (sip_msg.h).
 *
 * sip_msg_parse() works in passes, each over what the one before found:
 * the start line; the header lines (split, named, folds joined, nothing
 * interpreted); the checks and caches (duplicates, mandatory headers,
 * Call-ID, CSeq, From, To, Via, Contact, ...); the body framing. A later
 * pass runs even after an earlier one failed whenever its input is sound,
 * so that a rejected request still has the headers a 400 or 505 needs;
 * the first failure is the one reported.
 *
 * Over UDP one datagram is one message, so there is no length-prefixed
 * reassembly here: Content-Length only cuts the body short (RFC 3261
 * 18.3) and may never point past the datagram (RFC 4475 "clerr").
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "outbuf.h"
#include "sip_msg.h"

struct hdr_info {
	const char *name;
	unsigned char name_len;
	char compact;			/* lower case, 0: none */
	unsigned int flags;
	const char *missing;		/* reasons for a 400 */
	const char *multiple;
	const char *bad;
};

static const struct hdr_info hdr_info[SIP_HDR_COUNT] = {
	[SIP_HDR_OTHER] = { NULL, 0, 0, 0, NULL, NULL, NULL },
#define SIP_HDR_INFO(id, name, compact, flags)                                \
	[SIP_HDR_##id] = { name, sizeof(name) - 1, compact, flags,            \
			   "Missing " name, "Multiple " name, "Bad " name },
	SIP_HDR_LIST(SIP_HDR_INFO)
#undef SIP_HDR_INFO
};

/* ---- header names ------------------------------------------------- */

enum sip_hdr_id sip_hdr_lookup(struct sip_slice name)
{
	int id;
	char c;

	if (name.len == 1) {
		c = name.p[0];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		for (id = 1; id < SIP_HDR_COUNT; id++)
			if (hdr_info[id].compact == c)
				return id;
		return SIP_HDR_OTHER;
	}
	for (id = 1; id < SIP_HDR_COUNT; id++)
		if (name.len == hdr_info[id].name_len &&
		    !strncasecmp(name.p, hdr_info[id].name, name.len))
			return id;
	return SIP_HDR_OTHER;
}

const char *sip_hdr_name(enum sip_hdr_id id)
{
	return (unsigned int)id < SIP_HDR_COUNT ? hdr_info[id].name : NULL;
}

/* ---- lookup ------------------------------------------------------- */

const struct sip_hdr *sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_id id)
{
	if ((unsigned int)id >= SIP_HDR_COUNT || m->first[id] < 0)
		return NULL;
	return &m->hdrs[m->first[id]];
}

int sip_msg_hdr_next(const struct sip_msg *m, enum sip_hdr_id id,
		     unsigned int *pos, struct sip_slice *value)
{
	unsigned int i, first;

	if ((unsigned int)id >= SIP_HDR_COUNT || m->first[id] < 0)
		return -ENOENT;
	first = (unsigned int)m->first[id];
	i = *pos > first ? *pos : first;
	for (; i < m->nhdrs; i++) {
		if (m->hdrs[i].id == id) {
			*value = m->hdrs[i].value;
			*pos = i + 1;
			return 0;
		}
	}
	*pos = m->nhdrs;
	return -ENOENT;
}

int sip_msg_hdr_next_name(const struct sip_msg *m, const char *name,
			  unsigned int *pos, struct sip_slice *value)
{
	struct sip_slice n = sip_slice_str(name);
	enum sip_hdr_id id = sip_hdr_lookup(n);
	unsigned int i;

	if (id != SIP_HDR_OTHER)
		return sip_msg_hdr_next(m, id, pos, value);
	for (i = *pos; i < m->nhdrs; i++) {
		if (m->hdrs[i].id == SIP_HDR_OTHER &&
		    sip_slice_caseeq(m->hdrs[i].name, n)) {
			*value = m->hdrs[i].value;
			*pos = i + 1;
			return 0;
		}
	}
	*pos = m->nhdrs;
	return -ENOENT;
}

/* ---- small helpers ------------------------------------------------ */

/* Record why the parse failed; the first reason recorded stays. */
static int msg_fail(struct sip_msg *m, int err, const char *why)
{
	if (!m->error)
		m->error = why;
	return err;
}

static int first_err(int err, int next)
{
	return err ? err : next;
}

static bool only_class(struct sip_slice s, unsigned int classes)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (!sip_char_is(s.p[i], classes))
			return false;
	return true;
}

/* The next line of *rest without its CRLF or LF; false if unterminated. */
static bool line_take(struct sip_slice *rest, struct sip_slice *line)
{
	const char *lf = rest->len ? memchr(rest->p, '\n', rest->len) : NULL;
	size_t n;

	if (!lf)
		return false;
	n = lf - rest->p;
	*line = sip_slice_make(rest->p, n && lf[-1] == '\r' ? n - 1 : n);
	rest->p += n + 1;
	rest->len -= n + 1;
	return true;
}

/* ---- start line --------------------------------------------------- */

/* 0 for SIP/2.0, -EPROTONOSUPPORT for another SIP/x.y, else -EBADMSG.
 * "SIP" is case-insensitive (RFC 3261 7.1). */
static int version_check(struct sip_slice v)
{
	struct sip_slice num, major, minor;

	if (v.len < 4 || strncasecmp(v.p, "SIP/", 4))
		return -EBADMSG;
	num = sip_slice_make(v.p + 4, v.len - 4);
	v = num;
	major = sip_slice_take(&v, SIP_CC_DIGIT);
	if (!major.len || !sip_slice_take_char(&v, '.'))
		return -EBADMSG;
	minor = sip_slice_take(&v, SIP_CC_DIGIT);
	if (!minor.len || v.len)
		return -EBADMSG;
	return sip_slice_eq_str(num, "2.0") ? 0 : -EPROTONOSUPPORT;
}

/* Reason-Phrase: any text but control characters other than HTAB. */
static bool reason_ok(struct sip_slice s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		unsigned char c = s.p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase */
static int status_line_parse(struct sip_msg *m, struct sip_slice line)
{
	const char *sp = memchr(line.p, ' ', line.len);
	struct sip_slice rest, code;
	int err;

	m->version = sip_slice_make(line.p, sp ? (size_t)(sp - line.p) :
						  line.len);
	err = version_check(m->version);
	if (err == -EPROTONOSUPPORT)
		return msg_fail(m, err, "Version Not Supported");
	if (err || !sp)
		return msg_fail(m, -EBADMSG, "Bad Status-Line");
	rest = sip_slice_make(sp + 1, line.p + line.len - sp - 1);
	code = sip_slice_take(&rest, SIP_CC_DIGIT);
	/* RFC 4475 "bigcode": exactly three digits, 1xx to 6xx. */
	if (code.len != 3 || code.p[0] < '1' || code.p[0] > '6')
		return msg_fail(m, -EBADMSG, "Bad Status-Line");
	m->status = (code.p[0] - '0') * 100 + (code.p[1] - '0') * 10 +
		    (code.p[2] - '0');
	/* Liberal: a status line may end right after the code. */
	if (rest.len && !sip_slice_take_char(&rest, ' '))
		return msg_fail(m, -EBADMSG, "Bad Status-Line");
	if (!reason_ok(rest))
		return msg_fail(m, -EBADMSG, "Bad Status-Line");
	m->reason = rest;
	return 0;
}

/*
 * Request-Line = Method SP Request-URI SP SIP-Version. The version follows
 * the last SP, so that a Request-URI with LWS in it (RFC 4475 "lwsruri")
 * is reported as a bad URI and not as an unknown version. Extra SPs
 * ("lwsstart", "trws") are refused rather than forwarded: RFC 4475 lets a
 * liberal element accept them only if it rewrites the line.
 */
static int request_line_parse(struct sip_msg *m, struct sip_slice line)
{
	const char *sp1 = memchr(line.p, ' ', line.len);
	const char *sp2 = sp1 ? memrchr(line.p, ' ', line.len) : NULL;
	struct sip_slice u;
	bool sip;
	int err;

	m->request = true;
	if (!sp1 || sp2 == sp1)
		return msg_fail(m, -EBADMSG, "Bad Request-Line");
	m->method = sip_slice_make(line.p, sp1 - line.p);
	m->ruri_text = sip_slice_make(sp1 + 1, sp2 - sp1 - 1);
	m->version = sip_slice_make(sp2 + 1, line.p + line.len - sp2 - 1);
	err = version_check(m->version);
	if (err == -EPROTONOSUPPORT)
		return msg_fail(m, err, "Version Not Supported");
	u = m->ruri_text;
	if (err || !m->method.len || !only_class(m->method, SIP_CC_TOKEN) ||
	    !u.len || sip_is_ws(u.p[0]) || sip_is_ws(u.p[u.len - 1]))
		return msg_fail(m, -EBADMSG, "Bad Request-Line");
	if (sip_uri_parse(u, &m->ruri))
		return msg_fail(m, -EBADMSG, "Bad Request-URI");
	/* RFC 3261 19.1.1: no headers in a sip/sips Request-URI ("escruri"). */
	sip = m->ruri.scheme == SIP_URI_SIP || m->ruri.scheme == SIP_URI_SIPS;
	if (sip && m->ruri.headers.len)
		return msg_fail(m, -EBADMSG, "Bad Request-URI");
	return 0;
}

static int start_line_parse(struct sip_msg *m, struct sip_slice line)
{
	if (memchr(line.p, '\r', line.len))
		return msg_fail(m, -EBADMSG, "Bad line end");
	/* A method is a token and a token has no '/': no ambiguity. */
	if (line.len >= 4 && !strncasecmp(line.p, "SIP/", 4))
		return status_line_parse(m, line);
	return request_line_parse(m, line);
}

/* ---- header lines ------------------------------------------------- */

/* field-name HCOLON value, with HCOLON = *( SP / HTAB ) ":" SWS */
static int header_add(struct sip_msg *m, struct sip_slice line)
{
	struct sip_slice s = line, name;
	struct sip_hdr *h;

	name = sip_slice_take(&s, SIP_CC_TOKEN);
	if (!name.len || (s.len && !sip_is_ws(s.p[0]) && s.p[0] != ':'))
		return msg_fail(m, -EBADMSG, "Bad header name");
	while (s.len && sip_is_ws(s.p[0]))
		sip_slice_take_char(&s, s.p[0]);
	if (!sip_slice_take_char(&s, ':'))
		return msg_fail(m, -EBADMSG, "Header without colon");
	if (m->nhdrs == SIP_MSG_MAX_HDRS)
		return msg_fail(m, -EBADMSG, "Too many headers");
	h = &m->hdrs[m->nhdrs];
	h->id = sip_hdr_lookup(name);
	h->name = name;
	h->value = s;
	if (m->first[h->id] < 0)
		m->first[h->id] = (int16_t)m->nhdrs;
	if (m->count[h->id] < UINT8_MAX)
		m->count[h->id]++;
	m->nhdrs++;
	return 0;
}

/*
 * Header lines up to the empty line. A line starting with SP or HTAB
 * continues the previous header (RFC 3261 7.3.1): its value slice simply
 * grows over the line break.
 */
static int headers_split(struct sip_msg *m, struct sip_slice *rest)
{
	struct sip_slice line;
	struct sip_hdr *last;
	int err;

	for (;;) {
		if (!line_take(rest, &line))
			return msg_fail(m, -EBADMSG, "Unterminated headers");
		if (!line.len)
			return 0;
		if (memchr(line.p, '\r', line.len))
			return msg_fail(m, -EBADMSG, "Bad line end");
		if (sip_is_ws(line.p[0])) {
			if (!m->nhdrs)
				return msg_fail(m, -EBADMSG,
						"Bad header folding");
			last = &m->hdrs[m->nhdrs - 1];
			last->value.len = line.p + line.len - last->value.p;
			continue;
		}
		err = header_add(m, line);
		if (err)
			return err;
	}
}

/* Values are trimmed once complete, also after a failure: a 400 built
 * from them copies them. */
static int headers_parse(struct sip_msg *m, struct sip_slice *rest)
{
	int err = headers_split(m, rest);
	unsigned int i;

	for (i = 0; i < m->nhdrs; i++)
		m->hdrs[i].value = sip_slice_trim(m->hdrs[i].value);
	return err;
}

/* ---- checks and caches -------------------------------------------- */

static int hdr_bad(struct sip_msg *m, enum sip_hdr_id id)
{
	return msg_fail(m, -EBADMSG, hdr_info[id].bad);
}

static int counts_check(struct sip_msg *m)
{
	int id, err = 0;

	for (id = 1; id < SIP_HDR_COUNT; id++)
		if ((hdr_info[id].flags & SIP_HDR_F_SINGLE) && m->count[id] > 1)
			err = first_err(err, msg_fail(m, -EBADMSG,
						      hdr_info[id].multiple));
	for (id = 1; id < SIP_HDR_COUNT; id++)
		if ((hdr_info[id].flags & SIP_HDR_F_REQUIRED) && !m->count[id])
			err = first_err(err, msg_fail(m, -EBADMSG,
						      hdr_info[id].missing));
	return err;
}

/* callid = word [ "@" word ]: no LWS, so a folded Call-ID is refused, as
 * the XDP scan refuses it (it would hash differently there). */
static int call_id_cache(struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CALL_ID);
	struct sip_slice v, word;

	if (!h)
		return 0;
	v = h->value;
	word = sip_slice_take(&v, SIP_CC_WORD);
	if (word.len && sip_slice_take_char(&v, '@'))
		word = sip_slice_take(&v, SIP_CC_WORD);
	if (!word.len || v.len)
		return hdr_bad(m, SIP_HDR_CALL_ID);
	m->call_id = h->value;
	return 0;
}

/* CSeq = 1*DIGIT LWS Method; the number must fit 32 bits (RFC 3261
 * 20.16, RFC 4475 "scalar02") and the method match the request's
 * ("mismatch01"), byte for byte as methods are case-sensitive. */
static int cseq_cache(struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CSEQ);
	struct sip_slice v, num;
	size_t before;

	if (!h)
		return 0;
	v = h->value;
	num = sip_slice_take(&v, SIP_CC_DIGIT);
	if (sip_slice_to_u32(num, &m->cseq))
		return hdr_bad(m, SIP_HDR_CSEQ);
	before = v.len;
	sip_slice_skip_lws(&v);
	if (v.len == before)
		return hdr_bad(m, SIP_HDR_CSEQ);
	m->cseq_method = sip_slice_take(&v, SIP_CC_TOKEN);
	if (!m->cseq_method.len || v.len)
		return hdr_bad(m, SIP_HDR_CSEQ);
	if (m->request && m->method.len &&
	    !sip_slice_eq(m->cseq_method, m->method))
		return msg_fail(m, -EBADMSG, "CSeq method mismatch");
	return 0;
}

static int max_forwards_cache(struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_MAX_FORWARDS);
	uint64_t v;

	if (!h)
		return 0;
	/* RFC 3261 20.22: 0 to 255. */
	if (sip_slice_to_uint(h->value, 255, &v))
		return hdr_bad(m, SIP_HDR_MAX_FORWARDS);
	m->max_forwards = (int)v;
	return 0;
}

static int expires_cache(struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_EXPIRES);

	if (!h)
		return 0;
	if (sip_delta_seconds_parse(h->value, &m->expires))
		return hdr_bad(m, SIP_HDR_EXPIRES);
	m->has_expires = true;
	return 0;
}

static int content_length_cache(struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CONTENT_LENGTH);

	if (!h)
		return 0;
	/* Digits only: "-999" (RFC 4475 "ncl") never becomes a size. */
	if (sip_slice_to_u32(h->value, &m->content_length))
		return hdr_bad(m, SIP_HDR_CONTENT_LENGTH);
	m->has_content_length = true;
	return 0;
}

static int addr_cache(struct sip_msg *m, enum sip_hdr_id id,
		      struct sip_addr *a)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);

	if (h && sip_addr_parse(h->value, a))
		return hdr_bad(m, id);
	return 0;
}

/* Every Via value is a non-empty list of valid via-parms; the first of
 * the first is the top Via. */
static int via_check(struct sip_msg *m)
{
	struct sip_slice value;
	struct sip_via via;
	unsigned int pos = 0, n;
	bool top = true;
	int err;

	while (!sip_msg_hdr_next(m, SIP_HDR_VIA, &pos, &value)) {
		n = 0;
		while (!(err = sip_via_next(&value, &via))) {
			if (top)
				m->via = via;
			top = false;
			n++;
		}
		if (err != -ENOENT || !n)
			return hdr_bad(m, SIP_HDR_VIA);
	}
	return 0;
}

static int contact_check(struct sip_msg *m)
{
	struct sip_contact c;
	struct sip_slice value;
	unsigned int pos = 0, n;
	int err;

	while (!sip_msg_hdr_next(m, SIP_HDR_CONTACT, &pos, &value)) {
		n = 0;
		while (!(err = sip_contact_next(&value, &c)))
			n++;
		if (err != -ENOENT || !n)
			return hdr_bad(m, SIP_HDR_CONTACT);
	}
	return 0;
}

static int headers_check(struct sip_msg *m)
{
	int err = counts_check(m);

	err = first_err(err, call_id_cache(m));
	err = first_err(err, cseq_cache(m));
	err = first_err(err, addr_cache(m, SIP_HDR_FROM, &m->from));
	err = first_err(err, addr_cache(m, SIP_HDR_TO, &m->to));
	err = first_err(err, via_check(m));
	err = first_err(err, content_length_cache(m));
	err = first_err(err, max_forwards_cache(m));
	err = first_err(err, expires_cache(m));
	err = first_err(err, contact_check(m));
	return err;
}

/* rest: what follows the empty line. */
static int body_frame(struct sip_msg *m, struct sip_slice rest)
{
	int err = 0;

	m->body = rest;
	if (m->has_content_length) {
		if (m->content_length > rest.len)
			err = msg_fail(m, -EBADMSG, "Content-Length mismatch");
		else
			m->body.len = m->content_length;
	}
	m->len = m->body.p + m->body.len - m->buf;
	m->trailing = rest.len - m->body.len;
	return err;
}

static void msg_reset(struct sip_msg *m, const char *buf, size_t len)
{
	int id;

	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->len = len;
	m->max_forwards = -1;
	for (id = 0; id < SIP_HDR_COUNT; id++)
		m->first[id] = -1;
}

int sip_msg_parse(struct sip_msg *m, const char *buf, size_t len)
{
	struct sip_slice rest = sip_slice_make(buf, len), line;
	int err, herr;

	msg_reset(m, buf, len);
	/* RFC 3261 7.5: CRLFs before the start line are ignored. */
	while (rest.len && (rest.p[0] == '\n' ||
			    (rest.len > 1 && rest.p[0] == '\r' &&
			     rest.p[1] == '\n')))
		sip_slice_take_char(&rest, rest.p[0]);
	if (!rest.len)
		return msg_fail(m, -ENODATA, "Empty message");
	if (!line_take(&rest, &line))
		return msg_fail(m, -EBADMSG, "Unterminated start line");

	err = start_line_parse(m, line);
	herr = headers_parse(m, &rest);
	if (herr)
		return first_err(err, herr);
	err = first_err(err, headers_check(m));
	err = first_err(err, body_frame(m, rest));
	return err;
}

/* ---- Via ---------------------------------------------------------- */

/* SLASH = SWS "/" SWS */
static bool slash_take(struct sip_slice *s)
{
	sip_slice_skip_lws(s);
	if (!sip_slice_take_char(s, '/'))
		return false;
	sip_slice_skip_lws(s);
	return true;
}

/* sent-protocol = protocol-name SLASH protocol-version SLASH transport */
static int sent_protocol_take(struct sip_slice *s, struct sip_via *v)
{
	v->protocol = sip_slice_take(s, SIP_CC_TOKEN);
	if (!v->protocol.len || !slash_take(s))
		return -EINVAL;
	v->version = sip_slice_take(s, SIP_CC_TOKEN);
	if (!v->version.len || !slash_take(s))
		return -EINVAL;
	v->transport = sip_slice_take(s, SIP_CC_TOKEN);
	return v->transport.len ? 0 : -EINVAL;
}

/* sent-by = host [ COLON port ], COLON = SWS ":" SWS */
static int sent_by_take(struct sip_slice *s, struct sip_via *v)
{
	struct sip_slice save;

	if (sip_host_take(s, &v->host, &v->host_type))
		return -EINVAL;
	save = *s;
	sip_slice_skip_lws(s);
	if (!sip_slice_take_char(s, ':')) {
		*s = save;
		return 0;
	}
	sip_slice_skip_lws(s);
	return sip_port_take(s, &v->port);
}

int sip_via_next(struct sip_slice *rest, struct sip_via *v)
{
	struct sip_slice s = *rest;
	size_t before;

	memset(v, 0, sizeof(*v));
	sip_slice_skip_lws(&s);
	if (!s.len)
		return -ENOENT;
	if (sent_protocol_take(&s, v))
		return -EINVAL;
	before = s.len;
	sip_slice_skip_lws(&s);
	if (s.len == before || sent_by_take(&s, v) ||
	    sip_params_take(&s, &v->params))
		return -EINVAL;
	/*
	 * via-branch = "branch" EQUAL token (RFC 3261 25.1), but a quoted
	 * one is let through, as tags are. A line fold inside it is not:
	 * a response carries the Via unfolded, so its branch would differ
	 * from the one the UAC matches responses by (found by
	 * tests/fuzz/fuzz_sip_msg.c, regression tests/fuzz/sip_msg/
	 * regressions/branch-with-fold).
	 */
	if (!sip_param_get(v->params, "branch", &v->branch) &&
	    memchr(v->branch.p, '\n', v->branch.len))
		return -EINVAL;
	sip_slice_skip_lws(&s);
	if (s.len) {
		/* After a comma must come another via-parm ("badinv01"). */
		if (!sip_slice_take_char(&s, ','))
			return -EINVAL;
		sip_slice_skip_lws(&s);
		if (!s.len)
			return -EINVAL;
	}
	*rest = s;
	return 0;
}

/* ---- output ------------------------------------------------------- */

/* Copy a value, each fold and the white space around it becoming one SP. */
static void out_value(struct outbuf *o, struct sip_slice v)
{
	size_t i = 0, run, end;

	while (i < v.len) {
		if (v.p[i] == '\r' || v.p[i] == '\n') {
			out_mem(o, " ", 1);
			while (i < v.len && (sip_is_ws(v.p[i]) ||
					     v.p[i] == '\r' || v.p[i] == '\n'))
				i++;
			continue;
		}
		run = i;
		while (run < v.len && v.p[run] != '\r' && v.p[run] != '\n')
			run++;
		/*
		 * White space before a fold is part of the fold: leave it out
		 * here rather than write it and take it back. Written first,
		 * it could fill a buffer that the unfolded value fits, and
		 * the result (-ENOSPC or not) depended on the buffer's size
		 * (found by tests/fuzz/fuzz_sip_msg.c, regression
		 * tests/fuzz/sip_msg/regressions/ws-before-fold-enospc).
		 */
		end = run;
		if (run < v.len)
			while (end > i && sip_is_ws(v.p[end - 1]))
				end--;
		out_mem(o, v.p + i, end - i);
		i = run;
	}
}

int sip_value_unfold(struct sip_slice value, char *out, size_t size)
{
	struct outbuf o = { out, size, 0, false };

	out_value(&o, value);
	return out_finish(&o);
}

/* ---- the top Via: received and rport (RFC 3581) --------------------- */

int sip_msg_set_source(struct sip_msg *m, int family, const void *addr,
		       uint16_t port)
{
	size_t alen = family == AF_INET ? 4 : 16;

	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	memset(&m->source, 0, sizeof(m->source));
	memcpy(m->source.addr, addr, alen);
	if (!inet_ntop(family, addr, m->source.text, sizeof(m->source.text)))
		return -EINVAL;
	m->source.family = family;
	m->source.port = port;
	return 0;
}

/* Does the top Via's sent-by host name the source address itself? */
static bool via_host_is_source(const struct sip_msg *m)
{
	struct sip_slice h = m->via.host;
	uint8_t bin[16];
	char text[64];

	if (h.len >= 2 && h.p[0] == '[') {
		h.p++;
		h.len -= 2;
	}
	if (h.len >= sizeof(text))
		return false;
	memcpy(text, h.p, h.len);
	text[h.len] = '\0';
	return inet_pton(m->source.family, text, bin) == 1 &&
	       !memcmp(bin, m->source.addr,
		       m->source.family == AF_INET ? 4 : 16);
}

static bool slice_within(struct sip_slice in, struct sip_slice outer)
{
	/* A Via without parameters has none: NULL, not within anything
	 * (and NULL + 0 is undefined behaviour). */
	return in.p && outer.p && in.p >= outer.p &&
	       in.p + in.len <= outer.p + outer.len;
}

void sip_out_via_top(struct outbuf *o, const struct sip_msg *m,
		     struct sip_slice value)
{
	struct sip_slice params = m->via.params, piece, name;
	const char *end;
	bool rport = false;

	if (!m->source.family || !slice_within(params, value)) {
		out_value(o, value);
		return;
	}
	end = params.p + params.len;
	out_value(o, sip_slice_make(value.p, params.p - value.p));
	while (!sip_param_next(&params, &piece, &name)) {
		if (sip_slice_caseeq_str(name, "received"))
			continue;	/* ours replaces it: never trust one */
		out_mem(o, ";", 1);
		if (sip_slice_caseeq_str(name, "rport") &&
		    !memchr(piece.p, '=', piece.len)) {
			rport = true;
			out_fmt(o, "rport=%u", m->source.port);
			continue;
		}
		out_value(o, piece);
	}
	/* RFC 3581 4: with rport, received even when sent-by is right. */
	if (rport || !via_host_is_source(m))
		out_fmt(o, ";received=%s", m->source.text);
	out_value(o, sip_slice_make(end, value.p + value.len - end));
}

/* ---- responses ---------------------------------------------------- */

const char *sip_reason_phrase(int status)
{
	static const struct {
		int status;
		const char *reason;
	} phrases[] = {
		{ 100, "Trying" }, { 180, "Ringing" },
		{ 181, "Call Is Being Forwarded" }, { 182, "Queued" },
		{ 183, "Session Progress" }, { 200, "OK" },
		{ 202, "Accepted" }, { 300, "Multiple Choices" },
		{ 301, "Moved Permanently" }, { 302, "Moved Temporarily" },
		{ 305, "Use Proxy" }, { 380, "Alternative Service" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 402, "Payment Required" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 406, "Not Acceptable" },
		{ 407, "Proxy Authentication Required" },
		{ 408, "Request Timeout" }, { 410, "Gone" },
		{ 413, "Request Entity Too Large" },
		{ 414, "Request-URI Too Long" },
		{ 415, "Unsupported Media Type" },
		{ 416, "Unsupported URI Scheme" }, { 420, "Bad Extension" },
		{ 421, "Extension Required" }, { 423, "Interval Too Brief" },
		{ 480, "Temporarily Unavailable" },
		{ 481, "Call/Transaction Does Not Exist" },
		{ 482, "Loop Detected" }, { 483, "Too Many Hops" },
		{ 484, "Address Incomplete" }, { 485, "Ambiguous" },
		{ 486, "Busy Here" }, { 487, "Request Terminated" },
		{ 488, "Not Acceptable Here" }, { 491, "Request Pending" },
		{ 493, "Undecipherable" }, { 500, "Server Internal Error" },
		{ 501, "Not Implemented" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" }, { 504, "Server Time-out" },
		{ 505, "Version Not Supported" },
		{ 513, "Message Too Large" }, { 600, "Busy Everywhere" },
		{ 603, "Decline" }, { 604, "Does Not Exist Anywhere" },
		{ 606, "Not Acceptable" },
	};
	size_t i;

	for (i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
		if (phrases[i].status == status)
			return phrases[i].reason;
	return "Unknown";
}

static int response_args_check(const struct sip_msg *req, int status,
			       const char *reason, const char *to_tag,
			       const char *extra)
{
	size_t n;

	if (!req->request || req->first[SIP_HDR_VIA] < 0 || status < 100 ||
	    status > 699 || strpbrk(reason, "\r\n"))
		return -EINVAL;
	if (to_tag && (!*to_tag ||
		       !only_class(sip_slice_str(to_tag), SIP_CC_TOKEN)))
		return -EINVAL;
	n = extra ? strlen(extra) : 0;
	if (n && (n < 2 || strcmp(extra + n - 2, "\r\n")))
		return -EINVAL;
	return 0;
}

static void out_hdr(struct outbuf *o, enum sip_hdr_id id,
		    struct sip_slice value)
{
	out_str(o, hdr_info[id].name);
	out_mem(o, ": ", 2);
	out_value(o, value);
}

/* Copy the first header of an id, if the request has one. */
static void out_copy(struct outbuf *o, const struct sip_msg *req,
		     enum sip_hdr_id id)
{
	const struct sip_hdr *h = sip_msg_hdr(req, id);

	if (!h)
		return;
	out_hdr(o, id, h->value);
	out_mem(o, "\r\n", 2);
}

/* To, tagged by us unless the UAC's To is already tagged (a request
 * inside a dialog) or cannot be read (then left as it came). */
static void out_to(struct outbuf *o, const struct sip_msg *req,
		   const char *to_tag)
{
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_TO);
	struct sip_slice tag;
	struct sip_addr to;

	if (!h)
		return;
	out_hdr(o, SIP_HDR_TO, h->value);
	if (to_tag && !sip_addr_parse(h->value, &to) &&
	    sip_param_get(to.params, "tag", &tag)) {
		out_str(o, ";tag=");
		out_str(o, to_tag);
	}
	out_mem(o, "\r\n", 2);
}

int sip_build_response(const struct sip_msg *req, int status,
		       const char *reason, const char *to_tag,
		       const char *extra_headers, char *out, size_t size)
{
	struct outbuf o = { out, size, 0, false };
	struct sip_slice value;
	unsigned int pos = 0;
	char line[32];
	int err;

	if (!reason)
		reason = sip_reason_phrase(status);
	err = response_args_check(req, status, reason, to_tag, extra_headers);
	if (err)
		return err;
	snprintf(line, sizeof(line), "SIP/2.0 %d ", status);
	out_str(&o, line);
	out_str(&o, reason);
	out_mem(&o, "\r\n", 2);
	while (!sip_msg_hdr_next(req, SIP_HDR_VIA, &pos, &value)) {
		if ((int)pos - 1 == req->first[SIP_HDR_VIA]) {
			out_str(&o, "Via: ");
			sip_out_via_top(&o, req, value);
		} else {
			out_hdr(&o, SIP_HDR_VIA, value);
		}
		out_mem(&o, "\r\n", 2);
	}
	out_copy(&o, req, SIP_HDR_FROM);
	out_to(&o, req, to_tag);
	out_copy(&o, req, SIP_HDR_CALL_ID);
	out_copy(&o, req, SIP_HDR_CSEQ);
	if (extra_headers)
		out_str(&o, extra_headers);
	out_str(&o, "Content-Length: 0\r\n\r\n");
	return out_finish(&o);
}
