// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * digest.c - Digest authentication for SIP (digest.h).
 *
 * The header is read by one tokenizer that knows nothing of the meaning of
 * the parameters; one checker then decides, in one place, what is required
 * and what is refused. That keeps "which fields did we check" answerable by
 * reading check_params() alone, as in libre's httpauth.
 *
 * Hashes are fed piece by piece (EVP_DigestUpdate of each field and each
 * ':'), so no buffer ever holds "HA1:nonce:..." that would need wiping; the
 * only secret copies are the HA1 (and the -sess HA1), wiped on every path.
 * Responses are compared with CRYPTO_memcmp so that the time taken does not
 * tell an attacker how many leading hex digits of a guess were right.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "digest.h"

static const struct {
	const char *name;	/* as in the algorithm= parameter */
	const char *fetch;	/* OpenSSL's name for it */
	size_t hexlen;
} alg_info[DIGEST_ALG_COUNT] = {
	[DIGEST_ALG_MD5] = { "MD5", "MD5", 32 },
	[DIGEST_ALG_SHA256] = { "SHA-256", "SHA2-256", 64 },
	/* FIPS 180-4 SHA-512/256 (own IV), as RFC 8760 means; see erratum
	 * 4897 of RFC 7616, whose example used truncated SHA-512. */
	[DIGEST_ALG_SHA512_256] = { "SHA-512-256", "SHA2-512/256", 64 },
};

/*
 * Fetched once: handing EVP_DigestInit_ex() a fetched EVP_MD skips the
 * implicit fetch (a locked name lookup) that every init would otherwise do.
 */
static EVP_MD *alg_md[DIGEST_ALG_COUNT];
static pthread_once_t alg_md_once = PTHREAD_ONCE_INIT;

static void fetch_algorithms(void)
{
	int i;

	/* A provider without an algorithm is an answer, not an error. */
	ERR_set_mark();
	for (i = 0; i < DIGEST_ALG_COUNT; i++)
		alg_md[i] = EVP_MD_fetch(NULL, alg_info[i].fetch, NULL);
	ERR_pop_to_mark();
}

static bool alg_valid(enum digest_alg alg)
{
	return (unsigned int)alg < DIGEST_ALG_COUNT;
}

static const EVP_MD *md_of(enum digest_alg alg)
{
	if (!alg_valid(alg))
		return NULL;
	pthread_once(&alg_md_once, fetch_algorithms);
	return alg_md[alg];
}

const char *digest_alg_name(enum digest_alg alg)
{
	return alg_valid(alg) ? alg_info[alg].name : "?";
}

size_t digest_alg_hexlen(enum digest_alg alg)
{
	return alg_valid(alg) ? alg_info[alg].hexlen : 0;
}

bool digest_alg_available(enum digest_alg alg)
{
	return md_of(alg) != NULL;
}

int digest_alg_parse(const char *name, size_t len, enum digest_alg *alg,
		     bool *sess)
{
	static const char suffix[] = "-sess";
	const size_t slen = sizeof(suffix) - 1;
	bool is_sess = false;
	int i;

	if (len > slen && !strncasecmp(name + len - slen, suffix, slen)) {
		if (!sess)
			return -ENOTSUP;
		is_sess = true;
		len -= slen;
	}
	for (i = 0; i < DIGEST_ALG_COUNT; i++) {
		if (strlen(alg_info[i].name) == len &&
		    !strncasecmp(name, alg_info[i].name, len)) {
			*alg = (enum digest_alg)i;
			if (sess)
				*sess = is_sess;
			return 0;
		}
	}
	return -ENOTSUP;
}

/* ---- hashing ---------------------------------------------------------- */

static void hex_encode(const unsigned char *raw, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static bool is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      (ch >= 'A' && ch <= 'F')))
			return false;
	}
	return true;
}

/* Copy len hex digits into out, lower-cased, and NUL-terminate. */
static void hex_lower(char *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = (s[i] >= 'A' && s[i] <= 'F') ? s[i] - 'A' + 'a' : s[i];
	out[len] = '\0';
}

/*
 * One context per thread, kept: a new one per hash (EVP_MD_CTX_new, the
 * provider's context, EVP_MD_CTX_free) cost as much as the hash itself,
 * and a registration hashes twice. Final cleanses the buffered input
 * (OpenSSL's md32 finals wipe their block); an init after a failed
 * update starts the context afresh.
 */
static EVP_MD_CTX *hash_ctx(void)
{
	static __thread EVP_MD_CTX *ctx;

	if (!ctx)
		ctx = EVP_MD_CTX_new();
	return ctx;
}

int digest_hash_hex(enum digest_alg alg, const struct digest_str *parts,
		    size_t n, char *out)
{
	const EVP_MD *md = md_of(alg);
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int rawlen = 0;
	EVP_MD_CTX *ctx;
	int err = -ENOMEM;
	size_t i;

	if (!md)
		return alg_valid(alg) ? -ENOTSUP : -EINVAL;
	ctx = hash_ctx();
	if (!ctx)
		return -ENOMEM;
	if (!EVP_DigestInit_ex(ctx, md, NULL))
		goto cleanup;
	for (i = 0; i < n; i++) {
		if (i && !EVP_DigestUpdate(ctx, ":", 1))
			goto cleanup;
		if (!EVP_DigestUpdate(ctx, parts[i].s, parts[i].len))
			goto cleanup;
	}
	if (!EVP_DigestFinal_ex(ctx, raw, &rawlen) ||
	    2 * (size_t)rawlen != alg_info[alg].hexlen)
		goto cleanup;
	hex_encode(raw, rawlen, out);
	err = 0;
cleanup:
	explicit_bzero(raw, sizeof(raw));
	return err;
}

/* ---- the response ------------------------------------------------------ */

static struct digest_str str_of(const char *s)
{
	return (struct digest_str){ s, strlen(s) };
}

/* -sess: HA1 becomes H(HA1:nonce:cnonce) (RFC 7616 section 3.4.2). */
static int sess_ha1(const struct digest_creds *cr, char *ha1)
{
	char tmp[DIGEST_HEX_SIZE];
	struct digest_str parts[] = { str_of(ha1), cr->nonce, cr->cnonce };
	int err;

	err = digest_hash_hex(cr->alg, parts, 3, tmp);
	if (!err)
		memcpy(ha1, tmp, sizeof(tmp));
	explicit_bzero(tmp, sizeof(tmp));
	return err;
}

int digest_compute_response(const struct digest_creds *cr,
			    const char *method, size_t method_len,
			    const char *ha1_hex, char *out)
{
	char ha1[DIGEST_HEX_SIZE], ha2[DIGEST_HEX_SIZE];
	struct digest_str a2[] = { { method, method_len }, cr->uri };
	size_t hexlen;
	int err;

	if (!alg_valid(cr->alg) || !ha1_hex || !method)
		return -EINVAL;
	hexlen = alg_info[cr->alg].hexlen;
	/* The hex string, not the bytes, is what gets hashed: normalise it. */
	if (strlen(ha1_hex) != hexlen || !is_hex(ha1_hex, hexlen))
		return -EINVAL;
	hex_lower(ha1, ha1_hex, hexlen);

	err = cr->sess ? sess_ha1(cr, ha1) : 0;
	if (!err)
		err = digest_hash_hex(cr->alg, a2, 2, ha2);
	if (!err && cr->has_qop) {
		struct digest_str kd[] = { str_of(ha1), cr->nonce, cr->nc,
					   cr->cnonce, cr->qop, str_of(ha2) };

		err = digest_hash_hex(cr->alg, kd, 6, out);
	} else if (!err) {
		/* RFC 2069: what many SIP UAs send when offered no qop. */
		struct digest_str kd[] = { str_of(ha1), cr->nonce,
					   str_of(ha2) };

		err = digest_hash_hex(cr->alg, kd, 3, out);
	}
	explicit_bzero(ha1, sizeof(ha1));
	return err;
}

int digest_verify(const struct digest_creds *cr, const char *method,
		  size_t method_len, const char *ha1_hex)
{
	char want[DIGEST_HEX_SIZE], got[DIGEST_HEX_SIZE];
	size_t hexlen;
	int err;

	err = digest_compute_response(cr, method, method_len, ha1_hex, want);
	if (err)
		goto cleanup;
	err = -EACCES;
	hexlen = alg_info[cr->alg].hexlen;
	/* The length follows from algorithm=, which is public: leaving early
	 * on it tells nothing. The digits are compared in constant time. */
	if (cr->response.len != hexlen || !is_hex(cr->response.s, hexlen))
		goto cleanup;
	hex_lower(got, cr->response.s, hexlen);
	if (CRYPTO_memcmp(want, got, hexlen) == 0)
		err = 0;
cleanup:
	explicit_bzero(want, sizeof(want));
	explicit_bzero(got, sizeof(got));
	return err;
}

/* ---- the tokenizer ----------------------------------------------------- */

/* What the tokenizer reads from: [p, end). */
struct cursor {
	const char *p;
	const char *end;
};

/* Where unescaped values go: [p, end) of the caller's buffer. */
struct arena {
	char *p;
	char *end;
};

static bool is_lws(char ch)
{
	/* CR and LF too: a folded header (CRLF SP) is white space. */
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static bool is_ctl(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

/* RFC 7230 tchar: the characters of a scheme or parameter name. */
static bool is_tchar(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= 'A' && ch <= 'Z') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch));
}

static void skip_lws(struct cursor *c)
{
	while (c->p < c->end && is_lws(*c->p))
		c->p++;
}

static size_t take_token(struct cursor *c)
{
	const char *start = c->p;

	while (c->p < c->end && is_tchar((unsigned char)*c->p))
		c->p++;
	return (size_t)(c->p - start);
}

/* Append one byte to the arena; a NULL arena means "skip this value". */
static int put(struct arena *a, char ch)
{
	if (!a)
		return 0;
	if (a->p == a->end)
		return -ENOSPC;
	*a->p++ = ch;
	return 0;
}

/*
 * A quoted-string, quoted-pairs unescaped. Control characters are refused
 * even inside quotes: a NUL would cut the value short for the C-string
 * users of creds, and a CR or LF means the SIP parser left a fold inside
 * a value, whose meaning (one space or none) we should not guess.
 */
static int read_quoted(struct cursor *c, struct arena *a, const char **why)
{
	int err;

	c->p++;
	while (c->p < c->end) {
		unsigned char ch = (unsigned char)*c->p++;

		if (ch == '"')
			return 0;
		if (ch == '\\') {
			if (c->p == c->end)
				break;
			ch = (unsigned char)*c->p++;
		}
		if (is_ctl(ch) && ch != '\t') {
			*why = "control character in a quoted value";
			return -EINVAL;
		}
		err = put(a, (char)ch);
		if (err)
			return err;
	}
	*why = "unterminated quoted string";
	return -EINVAL;
}

/*
 * An unquoted value. RFC 7616 wants a token for algorithm, qop and nc and a
 * quoted-string for the rest, but UAs quote qop and leave uri bare, so any
 * run of visible characters is accepted here; the checker judges content.
 */
static int read_bare(struct cursor *c, struct arena *a, const char **why)
{
	const char *start = c->p;
	int err;

	while (c->p < c->end && !is_lws(*c->p) && *c->p != ',') {
		unsigned char ch = (unsigned char)*c->p;

		if (ch == '"' || is_ctl(ch)) {
			*why = "unexpected character in an unquoted value";
			return -EINVAL;
		}
		err = put(a, (char)ch);
		if (err)
			return err;
		c->p++;
	}
	if (c->p == start) {
		*why = "parameter without a value";
		return -EINVAL;
	}
	return 0;
}

/* A value into the arena as a C string described by *v (a NULL: skip). */
static int read_value(struct cursor *c, struct arena *a, struct digest_str *v,
		      const char **why)
{
	char *start = a ? a->p : NULL;
	int err;

	if (c->p < c->end && *c->p == '"')
		err = read_quoted(c, a, why);
	else
		err = read_bare(c, a, why);
	if (!err)
		err = put(a, '\0');
	if (err == -ENOSPC)
		*why = "buffer too small for the header";
	if (err || !a)
		return err;
	v->s = start;
	v->len = (size_t)(a->p - start) - 1;
	return 0;
}

enum param {
	PARAM_USERNAME,
	PARAM_REALM,
	PARAM_NONCE,
	PARAM_URI,
	PARAM_RESPONSE,
	PARAM_ALGORITHM,
	PARAM_CNONCE,
	PARAM_OPAQUE,
	PARAM_QOP,
	PARAM_NC,
	PARAM_USERNAME_EXT,	/* username* (RFC 7616 section 3.4.4) */
	PARAM_USERHASH,
	PARAM_COUNT,
};

static const struct {
	const char *name;
	const char *duplicate;	/* why, if given twice */
	const char *missing;	/* why, if required and absent */
} params[PARAM_COUNT] = {
	[PARAM_USERNAME] = { "username", "duplicate username",
			     "missing username" },
	[PARAM_REALM] = { "realm", "duplicate realm", "missing realm" },
	[PARAM_NONCE] = { "nonce", "duplicate nonce", "missing nonce" },
	[PARAM_URI] = { "uri", "duplicate uri", "missing uri" },
	[PARAM_RESPONSE] = { "response", "duplicate response",
			     "missing response" },
	[PARAM_ALGORITHM] = { "algorithm", "duplicate algorithm", NULL },
	[PARAM_CNONCE] = { "cnonce", "duplicate cnonce",
			   "qop without cnonce" },
	[PARAM_OPAQUE] = { "opaque", "duplicate opaque", NULL },
	[PARAM_QOP] = { "qop", "duplicate qop", NULL },
	[PARAM_NC] = { "nc", "duplicate nc", "qop without nc" },
	[PARAM_USERNAME_EXT] = { "username*", "duplicate username*", NULL },
	[PARAM_USERHASH] = { "userhash", "duplicate userhash", NULL },
};

/* The known parameters of one header, as the tokenizer found them. */
struct parsed {
	struct digest_str v[PARAM_COUNT];
	unsigned int seen;	/* 1 << enum param */
};

static int param_lookup(const char *name, size_t len)
{
	int i;

	for (i = 0; i < PARAM_COUNT; i++)
		if (strlen(params[i].name) == len &&
		    !strncasecmp(name, params[i].name, len))
			return i;
	return -1;
}

static int parse_scheme(struct cursor *c, const char **why)
{
	const char *start;
	size_t len;

	skip_lws(c);
	if (c->p == c->end) {
		*why = "empty header";
		return -EINVAL;
	}
	start = c->p;
	len = take_token(c);
	if (len == 0) {
		*why = "expected an authentication scheme";
		return -EINVAL;
	}
	if (len != 6 || strncasecmp(start, "Digest", 6)) {
		*why = "scheme is not Digest";
		return -ENOTSUP;
	}
	if (c->p < c->end && !is_lws(*c->p)) {
		*why = "expected white space after Digest";
		return -EINVAL;
	}
	return 0;
}

static int parse_param(struct cursor *c, struct arena *a, struct parsed *pp,
		       const char **why)
{
	const char *name = c->p;
	size_t len = take_token(c);
	int id;

	if (len == 0) {
		*why = "expected a parameter name";
		return -EINVAL;
	}
	skip_lws(c);
	if (c->p == c->end || *c->p != '=') {
		*why = "expected '=' after a parameter name";
		return -EINVAL;
	}
	c->p++;
	skip_lws(c);
	id = param_lookup(name, len);
	if (id < 0)
		return read_value(c, NULL, NULL, why);
	if (pp->seen & (1u << id)) {
		*why = params[id].duplicate;
		return -EINVAL;
	}
	pp->seen |= 1u << id;
	return read_value(c, a, &pp->v[id], why);
}

static int parse_params(struct cursor *c, struct arena *a, struct parsed *pp,
			const char **why)
{
	int err;

	for (;;) {
		skip_lws(c);
		if (c->p == c->end)
			return 0;
		if (*c->p == ',') {
			/* Empty list elements are allowed (RFC 7230 7). */
			c->p++;
			continue;
		}
		err = parse_param(c, a, pp, why);
		if (err)
			return err;
		skip_lws(c);
		if (c->p < c->end && *c->p != ',') {
			*why = "expected ',' between parameters";
			return -EINVAL;
		}
	}
}

/* ---- the checker: every rule about which fields are needed ------------- */

static bool has(const struct parsed *pp, enum param id)
{
	return pp->seen & (1u << id);
}

static int check_required(const struct parsed *pp, const char **why)
{
	static const enum param required[] = {
		PARAM_USERNAME, PARAM_REALM, PARAM_NONCE, PARAM_URI,
		PARAM_RESPONSE,
	};
	size_t i;

	if (has(pp, PARAM_USERNAME_EXT)) {
		*why = "username* (RFC 7616 extended name) is not supported";
		return -ENOTSUP;
	}
	if (has(pp, PARAM_USERHASH) &&
	    strcasecmp(pp->v[PARAM_USERHASH].s, "false")) {
		*why = "userhash is not supported";
		return -ENOTSUP;
	}
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!has(pp, required[i])) {
			*why = params[required[i]].missing;
			return -EINVAL;
		}
	}
	return 0;
}

static int check_algorithm(const struct parsed *pp, struct digest_creds *cr,
			   const char **why)
{
	const struct digest_str *v = &pp->v[PARAM_ALGORITHM];

	cr->alg = DIGEST_ALG_MD5;	/* RFC 7616 3.4: absent means MD5 */
	cr->sess = false;
	if (!has(pp, PARAM_ALGORITHM))
		return 0;
	if (digest_alg_parse(v->s, v->len, &cr->alg, &cr->sess)) {
		*why = "unknown algorithm";
		return -ENOTSUP;
	}
	if (!digest_alg_available(cr->alg)) {
		*why = "algorithm not available in this OpenSSL";
		return -ENOTSUP;
	}
	return 0;
}

static int check_nc(const struct digest_str *nc, uint32_t *value,
		    const char **why)
{
	if (nc->len != 8 || !is_hex(nc->s, 8)) {
		*why = "nc must be 8 hex digits";
		return -EINVAL;
	}
	*value = (uint32_t)strtoul(nc->s, NULL, 16);
	return 0;
}

static int check_qop(const struct parsed *pp, struct digest_creds *cr,
		     const char **why)
{
	const struct digest_str *qop = &pp->v[PARAM_QOP];

	cr->has_qop = has(pp, PARAM_QOP);
	if (!cr->has_qop) {
		if (has(pp, PARAM_CNONCE) || has(pp, PARAM_NC)) {
			*why = "cnonce or nc without qop";
			return -EINVAL;
		}
		if (cr->sess) {
			*why = "a -sess algorithm needs qop and cnonce";
			return -EINVAL;
		}
		return 0;
	}
	if (!strcasecmp(qop->s, "auth-int")) {
		*why = "qop=auth-int is not supported";
		return -ENOTSUP;
	}
	if (strcasecmp(qop->s, "auth")) {
		*why = "unknown qop";
		return -ENOTSUP;
	}
	if (!has(pp, PARAM_CNONCE) || !has(pp, PARAM_NC)) {
		*why = params[has(pp, PARAM_NC) ? PARAM_CNONCE : PARAM_NC]
			       .missing;
		return -EINVAL;
	}
	if (pp->v[PARAM_CNONCE].len == 0) {
		*why = "empty cnonce";
		return -EINVAL;
	}
	return check_nc(&pp->v[PARAM_NC], &cr->nc_value, why);
}

static int check_response(const struct digest_str *resp,
			  enum digest_alg alg, const char **why)
{
	size_t hexlen = alg_info[alg].hexlen;

	if (resp->len != hexlen || !is_hex(resp->s, resp->len)) {
		*why = hexlen == 32 ? "response must be 32 hex digits" :
				      "response must be 64 hex digits";
		return -EINVAL;
	}
	return 0;
}

/* A parameter's value, or "" when it was not sent. */
static struct digest_str value_of(const struct parsed *pp, enum param id)
{
	return has(pp, id) ? pp->v[id] : (struct digest_str){ "", 0 };
}

static void fill_creds(const struct parsed *pp, struct digest_creds *cr)
{
	cr->username = value_of(pp, PARAM_USERNAME);
	cr->realm = value_of(pp, PARAM_REALM);
	cr->nonce = value_of(pp, PARAM_NONCE);
	cr->uri = value_of(pp, PARAM_URI);
	cr->response = value_of(pp, PARAM_RESPONSE);
	cr->cnonce = value_of(pp, PARAM_CNONCE);
	cr->nc = value_of(pp, PARAM_NC);
	cr->qop = value_of(pp, PARAM_QOP);
	cr->opaque = value_of(pp, PARAM_OPAQUE);
}

static int check_params(const struct parsed *pp, struct digest_creds *cr,
			const char **why)
{
	int err;

	err = check_required(pp, why);
	if (!err)
		err = check_algorithm(pp, cr, why);
	if (!err)
		err = check_qop(pp, cr, why);
	if (!err)
		err = check_response(&pp->v[PARAM_RESPONSE], cr->alg, why);
	if (!err)
		fill_creds(pp, cr);
	return err;
}

int digest_parse(const char *value, size_t len, char *buf, size_t bufsz,
		 struct digest_creds *creds, const char **why)
{
	struct cursor c = { value, value + len };
	struct arena a = { buf, buf + bufsz };
	struct parsed pp;
	const char *ignored;
	int err;

	if (!why)
		why = &ignored;
	*why = NULL;
	memset(creds, 0, sizeof(*creds));
	memset(&pp, 0, sizeof(pp));
	if ((!value && len) || (!buf && bufsz)) {
		*why = "no header";
		return -EINVAL;
	}
	err = parse_scheme(&c, why);
	if (!err)
		err = parse_params(&c, &a, &pp, why);
	if (!err)
		err = check_params(&pp, creds, why);
	if (err)
		memset(creds, 0, sizeof(*creds));
	return err;
}

/* ---- the challenge ----------------------------------------------------- */

/* Bounded output: remembers that it ran out instead of failing each call. */
struct sink {
	char *p;
	size_t left;
	size_t used;
	bool full;
};

/* Pieces are copied, not printed: the per-character printf this replaced
 * was a tenth of siplbd's time per registration in a profile. */
static void sink_mem(struct sink *s, const char *p, size_t n)
{
	if (s->full || n >= s->left) {	/* room for the NUL too */
		s->full = true;
		s->left = 0;
		return;
	}
	memcpy(s->p, p, n);
	s->p += n;
	s->left -= n;
	s->used += n;
	*s->p = '\0';
}

static void sink_str(struct sink *s, const char *str)
{
	sink_mem(s, str, strlen(str));
}

/* name="value" with '"' and '\' escaped as quoted-pairs. */
static void sink_quoted(struct sink *s, const char *name, const char *v)
{
	size_t run;

	sink_str(s, name);
	sink_mem(s, "=\"", 2);
	while (*v) {
		run = strcspn(v, "\"\\");
		sink_mem(s, v, run);
		v += run;
		if (*v) {
			const char pair[2] = { '\\', *v++ };

			sink_mem(s, pair, 2);
		}
	}
	sink_mem(s, "\"", 1);
}

/* A value goes out inside quotes: a CR or LF would start a new header. */
static bool sendable(const char *v)
{
	for (; *v; v++)
		if (is_ctl((unsigned char)*v) && *v != '\t')
			return false;
	return true;
}

static int check_challenge(const struct digest_challenge_opts *o,
			   unsigned int algs)
{
	int i;

	if (!o->realm || !o->nonce || !*o->realm || !*o->nonce ||
	    !sendable(o->realm) || !sendable(o->nonce) ||
	    (o->opaque && !sendable(o->opaque)))
		return -EINVAL;
	if (algs == 0 || (algs >> DIGEST_ALG_COUNT))
		return -EINVAL;
	for (i = 0; i < DIGEST_ALG_COUNT; i++)
		if ((algs & DIGEST_ALG_BIT(i)) &&
		    !digest_alg_available((enum digest_alg)i))
			return -ENOTSUP;
	return 0;
}

static void challenge_line(struct sink *s,
			   const struct digest_challenge_opts *o,
			   enum digest_alg alg)
{
	sink_str(s, o->proxy ? "Proxy-Authenticate: Digest " :
			       "WWW-Authenticate: Digest ");
	sink_quoted(s, "realm", o->realm);
	sink_str(s, ", qop=\"auth\", algorithm=");
	sink_str(s, alg_info[alg].name);
	sink_str(s, ", ");
	sink_quoted(s, "nonce", o->nonce);
	if (o->opaque && *o->opaque) {
		sink_str(s, ", ");
		sink_quoted(s, "opaque", o->opaque);
	}
	if (o->stale)
		sink_str(s, ", stale=true");
	sink_str(s, "\r\n");
}

int digest_challenge(const struct digest_challenge_opts *opts, char *buf,
		     size_t bufsz, size_t *len)
{
	/* RFC 8760 UAS behaviour: one challenge per algorithm, most
	 * preferred first, so that a UA taking the first it knows takes the
	 * strongest. */
	static const enum digest_alg preference[] = {
		DIGEST_ALG_SHA512_256, DIGEST_ALG_SHA256, DIGEST_ALG_MD5,
	};
	unsigned int algs = opts->algs ? opts->algs : DIGEST_ALGS_DEFAULT;
	const enum digest_alg *order = preference;
	size_t norder = sizeof(preference) / sizeof(preference[0]);
	struct sink s = { buf, bufsz, 0, false };
	size_t i;
	int err;

	if (opts->order && opts->norder) {
		order = opts->order;
		norder = opts->norder;
		algs = 0;
		for (i = 0; i < norder; i++) {
			if ((unsigned int)order[i] >= DIGEST_ALG_COUNT ||
			    (algs & DIGEST_ALG_BIT(order[i])))
				return -EINVAL;	/* unknown, or twice */
			algs |= DIGEST_ALG_BIT(order[i]);
		}
	}
	err = check_challenge(opts, algs);
	if (err)
		return err;
	for (i = 0; i < norder; i++)
		if (algs & DIGEST_ALG_BIT(order[i]))
			challenge_line(&s, opts, order[i]);
	if (s.full)
		return -ENOSPC;
	if (len)
		*len = s.used;
	return 0;
}
