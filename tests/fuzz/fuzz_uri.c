// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_uri.c - libFuzzer target for the lower layer of the SIP parser
 * (sip_uri.h), called directly rather than through a whole message so
 * that inputs reach it without having to be valid SIP first:
 *
 *   the whole input as a URI (sip_uri_parse), a To/From value
 *   (sip_addr_parse), a Contact value (the sip_contact_next loop), a host
 *   and port, header parameters (sip_params_take) and the values a
 *   registrar reads (q, expires, delta-seconds);
 *   the input split in two (at the first NUL, else in the middle), each
 *   half a URI, compared with sip_uri_equal both ways;
 *   sip_param_get on every parameter list found.
 *
 * Checks: results lie inside the input, a parse never consumes more than
 * it was given, q is at most 1000, and a URI equals itself when its
 * parameters are unique (RFC 3261 19.1.1 forbids repeating one).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "sip_uri.h"
#include "fuzz.h"

static const char *input;
static size_t input_len;

static void check_slice(struct sip_slice s)
{
	FUZZ_CHECK(fuzz_inside(input, input_len, s.p, s.len));
}

static void check_uri(const struct sip_uri *u)
{
	fuzz_check_uri(input, input_len, u);
	FUZZ_CHECK(u->scheme == SIP_URI_OTHER || u->scheme == SIP_URI_SIP ||
		   u->scheme == SIP_URI_SIPS || u->scheme == SIP_URI_TEL);
}

static void params_get(struct sip_slice params)
{
	static const char *const names[] = {
		"tag", "q", "expires", "transport", "lr", "maddr", "user",
		"branch", "received", "rport", "+sip.instance", "reg-id",
	};
	struct sip_slice v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!sip_param_get(params, names[i], &v))
			check_slice(v);
}

static void use_uri(const struct sip_uri *u)
{
	char out[64];
	int n;

	check_uri(u);
	params_get(u->params);
	n = sip_unescape(u->user, out, sizeof(out));
	FUZZ_CHECK(n == -ENOSPC || (n >= 0 && (size_t)n <= u->user.len));
	n = sip_unescape(u->host, out, sizeof(out));
	FUZZ_CHECK(n == -ENOSPC || (n >= 0 && (size_t)n <= u->host.len));
	(void)sip_uri_equal(u, u);
}

static void check_addr(const struct sip_addr *a)
{
	check_slice(a->display);
	check_slice(a->uri_text);
	check_slice(a->params);
	check_slice(a->tag);
	use_uri(&a->uri);
	params_get(a->params);
}

static void contacts(struct sip_slice s)
{
	struct sip_contact c;
	size_t before;
	int err;

	for (;;) {
		before = s.len;
		err = sip_contact_next(&s, &c);
		if (err)
			break;
		/* Progress, or the loop of every caller would never end. */
		FUZZ_CHECK(s.len < before);
		check_slice(s);
		if (c.star)
			continue;
		check_addr(&c.addr);
		FUZZ_CHECK(c.q <= 1000);
	}
	FUZZ_CHECK(err == -ENOENT || err == -EINVAL);
}

static void lexers(struct sip_slice s)
{
	struct sip_slice t = s, host, params;
	enum sip_host_type type;
	uint16_t port, q;
	uint32_t secs;

	if (!sip_host_take(&t, &host, &type)) {
		check_slice(host);
		FUZZ_CHECK(host.len && t.len < s.len);
		if (sip_slice_take_char(&t, ':') && !sip_port_take(&t, &port))
			FUZZ_CHECK(port > 0);
	}
	t = s;
	if (!sip_params_take(&t, &params)) {
		check_slice(params);
		check_slice(t);
		params_get(params);
	}
	if (!sip_qvalue_parse(s, &q))
		FUZZ_CHECK(q <= 1000);
	(void)sip_delta_seconds_parse(s, &secs);
	(void)sip_slice_to_u32(s, &secs);
}

/* No parameter name twice: then, and only then, a URI equals itself. */
static bool params_unique(struct sip_slice params)
{
	struct sip_slice rest = params, piece;
	const char *semi, *eq;
	char name[64];
	struct sip_slice v;
	size_t n;

	while (rest.len) {
		semi = memchr(rest.p, ';', rest.len);
		piece = sip_slice_make(rest.p, semi ? (size_t)(semi - rest.p) :
						       rest.len);
		rest = semi ? sip_slice_make(semi + 1, rest.len - piece.len - 1)
			    : sip_slice_make(rest.p + rest.len, 0);
		eq = memchr(piece.p, '=', piece.len);
		n = eq ? (size_t)(eq - piece.p) : piece.len;
		if (n >= sizeof(name))
			return false;
		memcpy(name, piece.p, n);
		name[n] = '\0';
		if (!sip_param_get(rest, name, &v))
			return false;
	}
	return true;
}

static void compare(struct sip_slice a, struct sip_slice b)
{
	struct sip_uri ua, ub;
	bool ab, ba;

	if (sip_uri_parse(a, &ua) || sip_uri_parse(b, &ub))
		return;
	check_uri(&ua);
	check_uri(&ub);
	ab = sip_uri_equal(&ua, &ub);
	ba = sip_uri_equal(&ub, &ua);
	if (params_unique(ua.params) && params_unique(ub.params))
		FUZZ_CHECK(ab == ba);
	if (params_unique(ua.params))
		FUZZ_CHECK(sip_uri_equal(&ua, &ua));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_slice all = sip_slice_make((const char *)data, size);
	const char *nul = size ? memchr(data, '\0', size) : NULL;
	size_t half = nul ? (size_t)(nul - all.p) : size / 2;
	struct sip_uri u;
	struct sip_addr a;

	input = all.p;
	input_len = size;
	if (!sip_uri_parse(all, &u))
		use_uri(&u);
	if (!sip_addr_parse(all, &a))
		check_addr(&a);
	contacts(all);
	lexers(all);
	params_get(all);
	compare(sip_slice_make(all.p, half),
		sip_slice_make(all.p + half + (nul != NULL),
			       size - half - (nul != NULL)));
	return 0;
}
