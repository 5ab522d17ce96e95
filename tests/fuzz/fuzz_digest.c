// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_digest.c - libFuzzer target for Digest authentication (digest.h,
 * nonce.h): the input is an Authorization header value as a REGISTER
 * carries it.
 *
 *   digest_parse() with the buffer digest.h says always suffices, and
 *   with one that is too small (-ENOSPC, never an overflow);
 *   digest_verify() with a fixed HA1 when the parse succeeds, which must
 *   accept the response digest_compute_response() gives and refuse it
 *   with one digit changed;
 *   nonce_check() of the nonce the client sent back, and of the input;
 *   digest_challenge() with parts of the input as realm, nonce and opaque:
 *   refused (-EINVAL) or sent as lines that end in CRLF and hold no other
 *   CR or LF.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "digest.h"
#include "nonce.h"
#include "fuzz.h"

/* HA1s of Mufasa:testrealm@host.com:Circle Of Life (RFC 2617 3.5). */
static const char *const ha1_of[DIGEST_ALG_COUNT] = {
	[DIGEST_ALG_MD5] = "939e7578ed9e3c518a452acee763bce9",
	[DIGEST_ALG_SHA256] =
		"7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232",
	[DIGEST_ALG_SHA512_256] =
		"5c6783001d858140bd16077dd8d4d3afaad20b9993c741f4cb675d057ff76c1b",
};

static struct nonce_issuer *issuer;

static void check_str(const struct digest_str *v, const char *buf,
		      size_t bufsz)
{
	FUZZ_CHECK(v->s != NULL && v->s[v->len] == '\0');
	/* Control characters (NUL among them) are refused in values. */
	FUZZ_CHECK(strlen(v->s) == v->len);
	FUZZ_CHECK(v->len == 0 || fuzz_inside(buf, bufsz, v->s, v->len + 1));
}

static void check_creds(const struct digest_creds *c, const char *buf,
			size_t bufsz)
{
	check_str(&c->username, buf, bufsz);
	check_str(&c->realm, buf, bufsz);
	check_str(&c->nonce, buf, bufsz);
	check_str(&c->uri, buf, bufsz);
	check_str(&c->response, buf, bufsz);
	check_str(&c->cnonce, buf, bufsz);
	check_str(&c->nc, buf, bufsz);
	check_str(&c->qop, buf, bufsz);
	check_str(&c->opaque, buf, bufsz);
	FUZZ_CHECK((unsigned int)c->alg < DIGEST_ALG_COUNT);
	FUZZ_CHECK(c->response.len == digest_alg_hexlen(c->alg));
	FUZZ_CHECK(!c->has_qop || c->nc.len == 8);
	FUZZ_CHECK(c->has_qop || !c->sess);
}

/* What the registrar does with credentials that parsed. */
static void verify(struct digest_creds *c)
{
	char want[DIGEST_HEX_SIZE];
	struct digest_str sent = c->response;
	int err;

	err = digest_verify(c, "REGISTER", 8, ha1_of[c->alg]);
	FUZZ_CHECK(err == 0 || err == -EACCES);

	FUZZ_CHECK(!digest_compute_response(c, "REGISTER", 8, ha1_of[c->alg],
					    want));
	FUZZ_CHECK(strlen(want) == digest_alg_hexlen(c->alg));
	c->response = (struct digest_str){ want, strlen(want) };
	FUZZ_CHECK(digest_verify(c, "REGISTER", 8, ha1_of[c->alg]) == 0);
	want[0] = want[0] == '0' ? '1' : '0';
	FUZZ_CHECK(digest_verify(c, "REGISTER", 8, ha1_of[c->alg]) == -EACCES);
	c->response = sent;

	(void)nonce_check(issuer, c->nonce.s, c->nonce.len, c->realm.s,
			  c->realm.len, "\xc0\x00\x02\x0a", 4, 1000, 300,
			  NULL);
}

static void parse(const uint8_t *data, size_t size)
{
	size_t bufsz = DIGEST_PARSE_BUFSZ(size), small_sz = size / 2;
	char *buf = malloc(bufsz), *small = malloc(small_sz ? small_sz : 1);
	struct digest_creds creds;
	const char *why = NULL;
	int err, small_err;

	FUZZ_CHECK(buf && small);
	err = digest_parse((const char *)data, size, buf, bufsz, &creds, &why);
	FUZZ_CHECK(err == 0 || err == -EINVAL || err == -ENOTSUP);
	FUZZ_CHECK((err == 0) == (why == NULL));
	if (!err) {
		check_creds(&creds, buf, bufsz);
		verify(&creds);
	}

	small_err = digest_parse((const char *)data, size, small, small_sz,
				 &creds, &why);
	FUZZ_CHECK(small_err == 0 || small_err == -EINVAL ||
		   small_err == -ENOTSUP || small_err == -ENOSPC);
	if (!small_err) {
		FUZZ_CHECK(!err);
		check_creds(&creds, small, small_sz);
	}
	free(buf);
	free(small);
}

/* Lines each ending in CRLF, no other CR or LF, NUL at len. */
static void check_challenge_text(const char *buf, size_t len)
{
	size_t i;

	FUZZ_CHECK(strlen(buf) == len && len >= 2);
	FUZZ_CHECK(buf[len - 2] == '\r' && buf[len - 1] == '\n');
	for (i = 0; i < len; i++) {
		if (buf[i] == '\r')
			FUZZ_CHECK(i + 1 < len && buf[i + 1] == '\n');
		if (buf[i] == '\n')
			FUZZ_CHECK(i > 0 && buf[i - 1] == '\r');
	}
}

static void challenge(const struct digest_challenge_opts *o, size_t size)
{
	size_t big_sz = 3 * (4 * size + 256), len = 0, small_len = 0;
	char *big = malloc(big_sz), small[96];
	int err, small_err;

	FUZZ_CHECK(big != NULL);
	err = digest_challenge(o, big, big_sz, &len);
	/* Every algorithm is in the OpenSSL the tests run with. */
	FUZZ_CHECK(err == 0 || err == -EINVAL);
	if (!err)
		check_challenge_text(big, len);
	small_err = digest_challenge(o, small, sizeof(small), &small_len);
	FUZZ_CHECK(small_err == err || (small_err == -ENOSPC && !err &&
					len >= sizeof(small)));
	if (!small_err)
		FUZZ_CHECK(small_len == len && !memcmp(small, big, len + 1));
	free(big);
}

/*
 * The first byte picks the options (algorithms, stale, proxy, an explicit
 * order); the rest, split at NULs, is realm, nonce and opaque. Then the
 * whole input is the realm and the nonce.
 */
static void challenges(const uint8_t *data, size_t size)
{
	static const enum digest_alg orders[][DIGEST_ALG_COUNT] = {
		{ DIGEST_ALG_MD5, DIGEST_ALG_SHA256, DIGEST_ALG_SHA512_256 },
		{ DIGEST_ALG_SHA256, DIGEST_ALG_MD5, DIGEST_ALG_SHA256 },
	};
	struct digest_challenge_opts o = { 0 };
	char *text = fuzz_strdup(data, size), *end = text + size, *p;
	uint8_t flags = size ? data[0] : 0;

	p = size ? text + 1 : text;
	o.realm = p;
	p += strlen(p);
	o.nonce = p < end ? ++p : p;
	p += strlen(p);
	o.opaque = p < end ? ++p : NULL;
	o.algs = flags & 7;
	o.stale = flags & 8;
	o.proxy = flags & 16;
	if (flags & 32) {
		o.order = orders[(flags >> 6) & 1];
		o.norder = 1 + (flags >> 7) * 2;
	}
	challenge(&o, size);

	memset(&o, 0, sizeof(o));
	o.realm = text;
	o.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
	challenge(&o, size);
	o.realm = "example.com";
	o.nonce = text;
	o.opaque = text;
	challenge(&o, size);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret[NONCE_SECRET_LEN] = { 1, 2, 3 };

	if (!issuer) {
		FUZZ_CHECK(!nonce_issuer_new(&issuer));
		FUZZ_CHECK(!nonce_issuer_set_secret(issuer, secret,
						    sizeof(secret)));
	}
	parse(data, size);
	FUZZ_CHECK(nonce_check(issuer, (const char *)data, size, "example.com",
			       11, NULL, 0, 1000, 300, NULL) != NONCE_VALID ||
		   size == NONCE_STR_LEN);
	challenges(data, size);
	return 0;
}
