// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sip_uri.c - SIP URIs, parameters, name-addr and the Contact list (see
 * sip_uri.h).
 *
 * The grammar is RFC 3261 section 25.1. Where the RFC's own torture tests
 * (RFC 4475, RFC 5118) allow either a strict or a liberal reading, we take
 * the strict one and say so beside the check: these values are stored by
 * the registrar and echoed by the proxy, so a value we half-understand is
 * worse than a 400.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "sip_uri.h"

/* ---- URIs --------------------------------------------------------- */

static bool is_hex(unsigned char c)
{
	return sip_char_is(c, SIP_CC_DIGIT) || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* Every character in classes or a %HH escape; empty only if allowed. */
static bool uri_part_ok(struct sip_slice s, unsigned int classes,
			bool allow_empty)
{
	size_t i = 0;

	if (!s.len)
		return allow_empty;
	while (i < s.len) {
		if (s.p[i] == '%') {
			if (s.len - i < 3 || !is_hex(s.p[i + 1]) ||
			    !is_hex(s.p[i + 2]))
				return false;
			i += 3;
		} else if (sip_char_is(s.p[i], classes)) {
			i++;
		} else {
			return false;
		}
	}
	return true;
}

/* Split s at the first c: *head before it, s after it; false if none. */
static bool split_at(struct sip_slice *s, char c, struct sip_slice *head)
{
	const char *hit = s->len ? memchr(s->p, c, s->len) : NULL;

	if (!hit) {
		*head = *s;
		sip_slice_advance(s, s->len);
		return false;
	}
	*head = sip_slice_make(s->p, hit - s->p);
	sip_slice_advance(s, hit - s->p + 1);
	return true;
}

/* uri-parameters after the first ';': pname [ "=" pvalue ] *( ";" ... ). */
static bool uri_params_ok(struct sip_slice s)
{
	const unsigned int cc = SIP_CC_UNRESERVED | SIP_CC_PARAM;
	struct sip_slice param, name;
	bool more;

	do {
		more = split_at(&s, ';', &param);
		if (split_at(&param, '=', &name)) {
			if (!uri_part_ok(param, cc, false))
				return false;
		}
		if (!uri_part_ok(name, cc, false))
			return false;
	} while (more);
	return true;
}

/* headers after '?': hname "=" hvalue *( "&" hname "=" hvalue ). */
static bool uri_headers_ok(struct sip_slice s)
{
	const unsigned int cc = SIP_CC_UNRESERVED | SIP_CC_HNV;
	struct sip_slice header, name;
	bool more;

	do {
		more = split_at(&s, '&', &header);
		if (!split_at(&header, '=', &name))
			return false;
		if (!uri_part_ok(name, cc, false) ||
		    !uri_part_ok(header, cc, true))
			return false;
	} while (more);
	return true;
}

int sip_port_take(struct sip_slice *s, uint16_t *port)
{
	struct sip_slice digits = sip_slice_take(s, SIP_CC_DIGIT);
	uint64_t v;

	/* Port 0 is legal ABNF but can address nothing: refuse it. */
	if (sip_slice_to_uint(digits, 65535, &v) || v == 0)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* Labels of a host name: none empty (one trailing dot allowed), none
 * starting or ending with '-'. */
static bool labels_ok(struct sip_slice h, struct sip_slice *last,
		      unsigned int *count)
{
	struct sip_slice label;
	bool more;

	*count = 0;
	if (h.len > 1 && h.p[h.len - 1] == '.')
		h.len--;
	do {
		more = split_at(&h, '.', &label);
		if (!label.len || label.p[0] == '-' ||
		    label.p[label.len - 1] == '-')
			return false;
		*last = label;
		(*count)++;
	} while (more);
	return true;
}

static bool ipv4_ok(struct sip_slice h)
{
	struct sip_slice octet;
	unsigned int n = 0;
	uint64_t v;
	bool more;

	do {
		more = split_at(&h, '.', &octet);
		if (octet.len > 3 || sip_slice_to_uint(octet, 255, &v))
			return false;
		n++;
	} while (more);
	return n == 4;
}

static int ipv6_reference_take(struct sip_slice *s, struct sip_slice *host)
{
	const char *close = memchr(s->p, ']', s->len);
	unsigned int colons = 0;
	const char *c;

	if (!close || close - s->p < 3)
		return -EINVAL;
	/* Deliberately loose (hex, ':' and '.'): RFC 5118 4.10 asks us to
	 * accept "[2001:db8:::192.0.2.1]", which RFC 3261's ABNF allows. */
	for (c = s->p + 1; c < close; c++) {
		if (*c == ':')
			colons++;
		else if (*c != '.' && !is_hex(*c))
			return -EINVAL;
	}
	if (colons < 2)
		return -EINVAL;
	*host = sip_slice_make(s->p, close + 1 - s->p);
	sip_slice_advance(s, host->len);
	return 0;
}

int sip_host_take(struct sip_slice *s, struct sip_slice *host,
		  enum sip_host_type *type)
{
	struct sip_slice t = *s, h, last;
	unsigned int labels;

	if (t.len && t.p[0] == '[') {
		if (ipv6_reference_take(&t, host))
			return -EINVAL;
		*type = SIP_HOST_IPV6;
		*s = t;
		return 0;
	}
	h = sip_slice_take(&t, SIP_CC_HOST);
	if (!h.len || !labels_ok(h, &last, &labels))
		return -EINVAL;
	/* A top label starting with a digit is only valid as IPv4. */
	if (sip_char_is(last.p[0], SIP_CC_DIGIT)) {
		if (!ipv4_ok(h))
			return -EINVAL;
		*type = SIP_HOST_IPV4;
	} else {
		*type = SIP_HOST_NAME;
	}
	*host = h;
	*s = t;
	return 0;
}

/* userinfo "@" of a sip/sips URI, if there is one. */
static int userinfo_take(struct sip_slice *s, struct sip_uri *u)
{
	const char *at = memchr(s->p, '@', s->len);
	struct sip_slice info;
	bool has_password;

	/* The first '@' ends the userinfo: no later part of a SIP URI has
	 * '@' in its alphabet, so a second one fails there. */
	if (!at)
		return 0;
	info = sip_slice_make(s->p, at - s->p);
	sip_slice_advance(s, info.len + 1);
	has_password = split_at(&info, ':', &u->user);
	u->password = info;
	if (!uri_part_ok(u->user, SIP_CC_UNRESERVED | SIP_CC_USER, false))
		return -EINVAL;
	if (has_password &&
	    !uri_part_ok(u->password, SIP_CC_UNRESERVED | SIP_CC_PASSWORD,
			 true))
		return -EINVAL;
	return 0;
}

static int sip_uri_parse_sip(struct sip_slice s, struct sip_uri *u)
{
	const char *q;

	if (userinfo_take(&s, u) ||
	    sip_host_take(&s, &u->host, &u->host_type))
		return -EINVAL;
	if (sip_slice_take_char(&s, ':') && sip_port_take(&s, &u->port))
		return -EINVAL;
	if (sip_slice_take_char(&s, ';')) {
		q = s.len ? memchr(s.p, '?', s.len) : NULL;
		u->params = sip_slice_make(s.p, q ? (size_t)(q - s.p) : s.len);
		sip_slice_advance(&s, u->params.len);
		if (!uri_params_ok(u->params))
			return -EINVAL;
	}
	if (sip_slice_take_char(&s, '?')) {
		u->headers = s;
		sip_slice_advance(&s, s.len);
		if (!uri_headers_ok(u->headers))
			return -EINVAL;
	}
	return s.len ? -EINVAL : 0;
}

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static struct sip_slice scheme_take(struct sip_slice *s)
{
	size_t i = 0;
	char c;

	while (i < s->len) {
		c = s->p[i];
		if (!sip_char_is(c, SIP_CC_HOST) && c != '+')
			break;
		if (i == 0 && (sip_char_is(c, SIP_CC_DIGIT) || c == '-' ||
			       c == '.' || c == '+'))
			break;
		i++;
	}
	sip_slice_advance(s, i);
	return sip_slice_make(s->p - i, i);
}

int sip_uri_parse(struct sip_slice s, struct sip_uri *u)
{
	struct sip_slice scheme;

	memset(u, 0, sizeof(*u));
	scheme = scheme_take(&s);
	if (!scheme.len || !sip_slice_take_char(&s, ':'))
		return -EINVAL;
	u->scheme_text = scheme;
	u->opaque = s;
	if (sip_slice_caseeq_str(scheme, "sip"))
		u->scheme = SIP_URI_SIP;
	else if (sip_slice_caseeq_str(scheme, "sips"))
		u->scheme = SIP_URI_SIPS;
	else if (sip_slice_caseeq_str(scheme, "tel"))
		u->scheme = SIP_URI_TEL;
	else
		u->scheme = SIP_URI_OTHER;

	if (u->scheme == SIP_URI_SIP || u->scheme == SIP_URI_SIPS)
		return sip_uri_parse_sip(s, u);
	if (!uri_part_ok(s, SIP_CC_URIC, false))
		return -EINVAL;
	if (u->scheme == SIP_URI_TEL) {
		split_at(&s, ';', &u->user);
		u->params = s;
		if (!u->user.len)
			return -EINVAL;
	}
	return 0;
}

/* ---- parameters --------------------------------------------------- */

/*
 * quoted-string: '"' *( qdtext / quoted-pair ) '"'. *inner is what lies
 * between the quotes. A quoted-pair may escape any byte but CR and LF
 * (RFC 4475 "intmeth" escapes a NUL); a raw control character other than
 * HTAB, or a line break that is not a fold, is an error.
 */
static int quoted_take(struct sip_slice *s, struct sip_slice *inner)
{
	size_t i = 1, nl;
	unsigned char c;

	while (i < s->len) {
		c = s->p[i];
		if (c == '"') {
			*inner = sip_slice_make(s->p + 1, i - 1);
			sip_slice_advance(s, i + 1);
			return 0;
		}
		if (c == '\\') {
			if (i + 1 >= s->len || s->p[i + 1] == '\r' ||
			    s->p[i + 1] == '\n')
				return -EINVAL;
			i += 2;
		} else if (c == '\r' || c == '\n') {
			nl = sip_fold_len(s->p + i, s->len - i);
			if (!nl)
				return -EINVAL;
			i += nl;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			return -EINVAL;
		} else {
			i++;
		}
	}
	return -EINVAL;	/* no closing quote (RFC 4475 "quotbal") */
}

/* gen-value = token / host / quoted-string; a host may be a bare IPv6
 * address (RFC 5118 4.5: received=2001:db8::9:255). */
static int param_value_take(struct sip_slice *s)
{
	struct sip_slice inner;
	size_t i = 0;
	char c;

	if (s->len && s->p[0] == '"')
		return quoted_take(s, &inner);
	while (i < s->len) {
		c = s->p[i];
		if (!sip_char_is(c, SIP_CC_TOKEN) && c != ':' && c != '[' &&
		    c != ']')
			break;
		i++;
	}
	sip_slice_advance(s, i);
	return i ? 0 : -EINVAL;
}

int sip_params_take(struct sip_slice *s, struct sip_slice *params)
{
	struct sip_slice t = *s, save;
	const char *start = NULL, *end = s->p;

	for (;;) {
		save = t;
		sip_slice_skip_lws(&t);
		if (!t.len || t.p[0] != ';') {
			t = save;
			break;
		}
		if (!start)
			start = t.p;
		sip_slice_advance(&t, 1);
		sip_slice_skip_lws(&t);
		if (!sip_slice_take(&t, SIP_CC_TOKEN).len)
			return -EINVAL;
		end = t.p;
		save = t;
		sip_slice_skip_lws(&t);
		if (!sip_slice_take_char(&t, '=')) {
			t = save;
			continue;
		}
		sip_slice_skip_lws(&t);
		if (param_value_take(&t))
			return -EINVAL;
		end = t.p;
	}
	*params = start ? sip_slice_make(start, end - start) :
			  sip_slice_make(s->p, 0);
	*s = t;
	return 0;
}

/* The next ';'-separated piece of s, outside quoted strings. */
static struct sip_slice param_piece_take(struct sip_slice *s)
{
	bool quoted = false;
	size_t i = 0;

	while (i < s->len) {
		char c = s->p[i];

		if (quoted && c == '\\')
			i++;
		else if (c == '"')
			quoted = !quoted;
		else if (c == ';' && !quoted)
			break;
		i++;
	}
	if (i > s->len)
		i = s->len;
	sip_slice_advance(s, i);
	return sip_slice_make(s->p - i, i);
}

int sip_param_next(struct sip_slice *params, struct sip_slice *piece,
		   struct sip_slice *name)
{
	struct sip_slice rest;

	sip_slice_take_char(params, ';');
	if (!params->len)
		return -ENOENT;
	*piece = sip_slice_trim(param_piece_take(params));
	rest = *piece;
	split_at(&rest, '=', name);
	*name = sip_slice_trim(*name);
	return 0;
}

int sip_param_get(struct sip_slice params, const char *name,
		  struct sip_slice *value)
{
	struct sip_slice piece, pname, pvalue;
	bool has_value;

	while (params.len) {
		sip_slice_take_char(&params, ';');
		piece = param_piece_take(&params);
		has_value = split_at(&piece, '=', &pname);
		if (!sip_slice_caseeq_str(sip_slice_trim(pname), name))
			continue;
		pvalue = has_value ? sip_slice_trim(piece) :
				     sip_slice_make(piece.p, 0);
		if (pvalue.len >= 2 && pvalue.p[0] == '"' &&
		    pvalue.p[pvalue.len - 1] == '"')
			pvalue = sip_slice_make(pvalue.p + 1, pvalue.len - 2);
		*value = pvalue;
		return 0;
	}
	return -ENOENT;
}

/* ---- name-addr / addr-spec ---------------------------------------- */

/* display-name = *( token LWS ) followed by '<'; false if not. */
static bool display_tokens_take(struct sip_slice *s, struct sip_slice *display)
{
	struct sip_slice t = *s;
	size_t before;

	do {
		before = t.len;
		sip_slice_take(&t, SIP_CC_TOKEN);
		sip_slice_skip_lws(&t);
	} while (t.len && t.len != before);
	if (!t.len || t.p[0] != '<')
		return false;
	*display = sip_slice_trim(sip_slice_make(s->p, t.p - s->p));
	*s = t;
	return true;
}

/* "<" URI ">". LWS inside (RFC 4475 "badaspec") is left to
 * sip_uri_parse(), which refuses white space anywhere in a URI. */
static int angle_uri_take(struct sip_slice *s, struct sip_slice *uri)
{
	const char *gt = memchr(s->p, '>', s->len);

	if (!gt)
		return -EINVAL;
	*uri = sip_slice_make(s->p + 1, gt - s->p - 1);
	sip_slice_advance(s, gt - s->p + 1);
	return 0;
}

/*
 * An addr-spec ends where header params or the next list element begin.
 * RFC 3261 20 requires < > around a URI with ',', ';' or '?': ',' and ';'
 * therefore end it, and '?' is refused (RFC 4475 "regbadct").
 */
static int addr_spec_take(struct sip_slice *s, struct sip_slice *uri)
{
	size_t i = 0;
	char c;

	while (i < s->len) {
		c = s->p[i];
		if (sip_is_lws_char(c) || c == ';' || c == ',')
			break;
		if (c == '?')
			return -EINVAL;
		i++;
	}
	*uri = sip_slice_make(s->p, i);
	sip_slice_advance(s, i);
	return 0;
}

static int addr_take(struct sip_slice *s, struct sip_addr *a)
{
	struct sip_slice t = *s;
	int err;

	memset(a, 0, sizeof(*a));
	sip_slice_skip_lws(&t);
	if (t.len && t.p[0] == '"') {
		if (quoted_take(&t, &a->display))
			return -EINVAL;
		a->display_quoted = true;
		sip_slice_skip_lws(&t);
		if (!t.len || t.p[0] != '<')
			return -EINVAL;
		a->name_addr = true;
	} else {
		a->name_addr = display_tokens_take(&t, &a->display);
	}
	err = a->name_addr ? angle_uri_take(&t, &a->uri_text) :
			     addr_spec_take(&t, &a->uri_text);
	if (err || sip_uri_parse(a->uri_text, &a->uri) ||
	    sip_params_take(&t, &a->params))
		return -EINVAL;
	sip_param_get(a->params, "tag", &a->tag);
	*s = t;
	return 0;
}

int sip_addr_parse(struct sip_slice value, struct sip_addr *a)
{
	struct sip_slice tag;

	if (addr_take(&value, a))
		return -EINVAL;
	/*
	 * tag-param = "tag" EQUAL token (RFC 3261 25.1). A To or From "tag"
	 * without a value (";tag", ";tag=\"\"") would be no tag in a->tag
	 * but a tag to whatever looks the parameter up: the response
	 * builder kept it and added none, so the UAC got a To with no
	 * usable tag. A quoted tag with a line fold inside would come back
	 * unfolded, another tag than the UAC's. Both refused, the strict
	 * reading (found by tests/fuzz/fuzz_sip_msg.c, regressions in
	 * tests/fuzz/sip_msg/regressions/: to-tag-without-value,
	 * tag-with-fold).
	 */
	if (!sip_param_get(a->params, "tag", &tag) &&
	    (!tag.len || memchr(tag.p, '\n', tag.len)))
		return -EINVAL;
	sip_slice_skip_lws(&value);
	return value.len ? -EINVAL : 0;
}

int sip_qvalue_parse(struct sip_slice s, uint16_t *q)
{
	unsigned int v, scale = 100;
	size_t i;

	if (!s.len || (s.p[0] != '0' && s.p[0] != '1'))
		return -EINVAL;
	v = (s.p[0] - '0') * 1000;
	if (s.len > 1 && (s.p[1] != '.' || s.len > 5))
		return -EINVAL;
	for (i = 2; i < s.len; i++) {
		if (!sip_char_is(s.p[i], SIP_CC_DIGIT))
			return -EINVAL;
		v += (s.p[i] - '0') * scale;
		scale /= 10;
	}
	if (v > 1000)
		return -EINVAL;
	*q = (uint16_t)v;
	return 0;
}

int sip_delta_seconds_parse(struct sip_slice s, uint32_t *secs)
{
	int err = sip_slice_to_u32(s, secs);

	if (err == -ERANGE) {
		*secs = UINT32_MAX;
		return 0;
	}
	return err;
}

static int contact_params_parse(struct sip_contact *c)
{
	struct sip_slice v;

	c->q = SIP_Q_DEFAULT;
	if (!sip_param_get(c->addr.params, "q", &v)) {
		if (sip_qvalue_parse(v, &c->q))
			return -EINVAL;
		c->has_q = true;
	}
	if (!sip_param_get(c->addr.params, "expires", &v)) {
		if (sip_delta_seconds_parse(v, &c->expires))
			return -EINVAL;
		c->has_expires = true;
	}
	return 0;
}

int sip_contact_next(struct sip_slice *rest, struct sip_contact *c)
{
	struct sip_slice s = *rest;

	memset(c, 0, sizeof(*c));
	sip_slice_skip_lws(&s);
	if (!s.len)
		return -ENOENT;
	if (sip_slice_take_char(&s, '*')) {
		/* STAR is the whole value: no params, no list. */
		sip_slice_skip_lws(&s);
		if (s.len)
			return -EINVAL;
		c->star = true;
		*rest = s;
		return 0;
	}
	if (addr_take(&s, &c->addr) || contact_params_parse(c))
		return -EINVAL;
	sip_slice_skip_lws(&s);
	if (s.len) {
		/* Check the separator now: after it must come a contact,
		 * and never a "*" (a caller stopping early would miss it). */
		if (!sip_slice_take_char(&s, ','))
			return -EINVAL;
		sip_slice_skip_lws(&s);
		if (!s.len || s.p[0] == '*')
			return -EINVAL;
	}
	*rest = s;
	return 0;
}

/* ---- URI comparison (RFC 3261 19.1.4) ------------------------------ */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The next character of s with %HH decoded; false at the end. */
static bool unescaped_next(struct sip_slice *s, unsigned char *c)
{
	int hi, lo;

	if (!s->len)
		return false;
	if (s->p[0] == '%' && s->len >= 3 && (hi = hex_value(s->p[1])) >= 0 &&
	    (lo = hex_value(s->p[2])) >= 0) {
		*c = (unsigned char)(hi << 4 | lo);
		s->p += 3;
		s->len -= 3;
		return true;
	}
	*c = (unsigned char)s->p[0];
	s->p++;
	s->len--;
	return true;
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* a and b equal after %HH decoding, case-insensitively if asked. */
static bool unescaped_eq(struct sip_slice a, struct sip_slice b, bool nocase)
{
	unsigned char ca, cb;
	bool more_a, more_b;

	for (;;) {
		more_a = unescaped_next(&a, &ca);
		more_b = unescaped_next(&b, &cb);
		if (!more_a || !more_b)
			return more_a == more_b;
		if (nocase ? lower(ca) != lower(cb) : ca != cb)
			return false;
	}
}

int sip_unescape(struct sip_slice s, char *out, size_t size)
{
	unsigned char c;
	size_t n = 0;

	if (size == 0)
		return -ENOSPC;
	while (unescaped_next(&s, &c)) {
		if (n + 1 >= size)
			return -ENOSPC;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return (int)n;
}

/*
 * Every parameter in both lists has the same value in both (compared
 * case-insensitively after %HH decoding); one in a only is ignored here.
 */
static bool common_params_equal(struct sip_slice a, struct sip_slice b)
{
	struct sip_slice piece, name, va, vb;
	bool has_value;
	char buf[64];

	while (a.len) {
		sip_slice_take_char(&a, ';');
		piece = param_piece_take(&a);
		has_value = split_at(&piece, '=', &name);
		name = sip_slice_trim(name);
		if (!name.len || name.len >= sizeof(buf))
			continue;
		memcpy(buf, name.p, name.len);
		buf[name.len] = '\0';
		if (sip_param_get(b, buf, &vb))
			continue;
		va = has_value ? sip_slice_trim(piece) :
				 sip_slice_make(piece.p, 0);
		if (!unescaped_eq(va, vb, true))
			return false;
	}
	return true;
}

/* user, ttl, method and maddr: a URI with one never matches one without. */
static bool paired_params_agree(struct sip_slice a, struct sip_slice b)
{
	static const char *const paired[] = { "user", "ttl", "method",
					      "maddr" };
	struct sip_slice v;
	size_t i;

	for (i = 0; i < sizeof(paired) / sizeof(paired[0]); i++)
		if (!sip_param_get(a, paired[i], &v) !=
		    !sip_param_get(b, paired[i], &v))
			return false;
	return true;
}

bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->scheme != b->scheme)
		return false;
	if (a->scheme != SIP_URI_SIP && a->scheme != SIP_URI_SIPS)
		return unescaped_eq(a->opaque, b->opaque, false);
	return unescaped_eq(a->user, b->user, false) &&
	       unescaped_eq(a->password, b->password, false) &&
	       unescaped_eq(a->host, b->host, true) && a->port == b->port &&
	       paired_params_agree(a->params, b->params) &&
	       common_params_equal(a->params, b->params);
}
