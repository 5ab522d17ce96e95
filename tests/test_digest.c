// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_digest.c - digest authentication (digest.c), nonces and replay
 * (nonce.c) and the users file (users.c).
 *
 * The arithmetic is checked against tests/corpus/digest/vectors.tsv (RFC
 * 2617 section 3.5, RFC 7616 section 3.9, SIP-shaped cases; $SIPLB_CORPUS
 * replaces "tests/corpus"), the tokenizer and the users-file loader against
 * tables of good and malformed input, and the replay table against a model
 * that knows which (nonce, nc) pairs were already accepted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "nonce.h"
#include "users.h"
#include "testlib.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the corpus --------------------------------------------------------- */

enum vector_col {
	COL_ID, COL_SOURCE, COL_USERNAME, COL_REALM, COL_PASSWORD, COL_METHOD,
	COL_URI, COL_NONCE, COL_NC, COL_CNONCE, COL_QOP, COL_ALGORITHM,
	COL_EXPECTED, COL_HA1, COL_HA2, COL_VERIFIED, COL_NOTE, COL_COUNT,
};

struct vector {
	char *col[COL_COUNT];
};

#define MAX_VECTORS 32

static char vectors_text[16384];
static struct vector vectors[MAX_VECTORS];
static size_t n_vectors;

static void corpus_path(char *buf, size_t size, const char *rel)
{
	const char *base = getenv("SIPLB_CORPUS");

	snprintf(buf, size, "%s/%s", base && *base ? base : "tests/corpus",
		 rel);
}

/* Read vectors.tsv once; the header row is checked, not kept. */
static bool load_vectors(void)
{
	char path[512], *p, *line;
	size_t len;
	FILE *f;

	if (n_vectors)
		return true;
	corpus_path(path, sizeof(path), "digest/vectors.tsv");
	f = fopen(path, "r");
	if (!ASSERT_TRUE(f != NULL, "open digest/vectors.tsv (run from the "
				    "repository root or set SIPLB_CORPUS)"))
		return false;
	len = fread(vectors_text, 1, sizeof(vectors_text) - 1, f);
	fclose(f);
	if (!ASSERT_TRUE(len < sizeof(vectors_text) - 1, "vectors.tsv fits"))
		return false;
	vectors_text[len] = '\0';
	p = vectors_text;
	line = strsep(&p, "\n");
	if (!ASSERT_TRUE(!strncmp(line, "id\tsource\tusername", 18),
			 "vectors.tsv header row"))
		return false;
	while ((line = strsep(&p, "\n")) && *line) {
		struct vector *v = &vectors[n_vectors];
		int c;

		for (c = 0; c < COL_COUNT; c++)
			v->col[c] = strsep(&line, "\t");
		if (!ASSERT_TRUE(v->col[COL_NOTE] && !line,
				 "17 columns in every row") ||
		    !ASSERT_TRUE(n_vectors + 1 < MAX_VECTORS, "rows fit"))
			return false;
		n_vectors++;
	}
	return true;
}

static const struct vector *find_vector(const char *id)
{
	size_t i;

	for (i = 0; i < n_vectors; i++)
		if (!strcmp(vectors[i].col[COL_ID], id))
			return &vectors[i];
	return NULL;
}

/* The Authorization value a UA would send for a vector. */
static void vector_header(const struct vector *v, char *buf, size_t size)
{
	int n = snprintf(buf, size,
			 "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
			 "uri=\"%s\", response=\"%s\", algorithm=%s",
			 v->col[COL_USERNAME], v->col[COL_REALM],
			 v->col[COL_NONCE], v->col[COL_URI],
			 v->col[COL_EXPECTED], v->col[COL_ALGORITHM]);

	if (*v->col[COL_QOP])
		snprintf(buf + n, size - (size_t)n,
			 ", qop=%s, nc=%s, cnonce=\"%s\"", v->col[COL_QOP],
			 v->col[COL_NC], v->col[COL_CNONCE]);
}

/* RFC 7616 erratum 4897: 3.9.2 printed SHA-512 truncated, not SHA-512/256. */
static bool is_erratum_row(const struct vector *v)
{
	return strstr(v->col[COL_ID], "as-printed") != NULL;
}

static int vectors_skipped;

/* Check HA1, HA2, parse, compute and verify for one row. */
static void check_vector(const struct vector *v)
{
	char what[160], hdr[1024], buf[1024], ha1[DIGEST_HEX_SIZE];
	char ha2[DIGEST_HEX_SIZE], resp[DIGEST_HEX_SIZE];
	const char *method = v->col[COL_METHOD], *why = NULL;
	const char *alg_name = v->col[COL_ALGORITHM];
	struct digest_creds cr;
	enum digest_alg alg;
	bool sess, erratum = is_erratum_row(v);

	snprintf(what, sizeof(what), "%s: algorithm name",
		 v->col[COL_ID]);
	if (!ASSERT_OK(digest_alg_parse(alg_name, strlen(alg_name), &alg,
					&sess), what))
		return;
	if (!digest_alg_available(alg)) {
		testlib_note("  skip %s: %s not in this OpenSSL\n", v->col[COL_ID],
			     alg_name);
		vectors_skipped++;
		return;
	}

	/* HA1 from the password; for -sess the corpus gives the session HA1. */
	snprintf(what, sizeof(what), "%s: HA1", v->col[COL_ID]);
	ASSERT_OK(users_ha1(alg, v->col[COL_USERNAME], v->col[COL_REALM],
			    v->col[COL_PASSWORD], ha1), what);
	if (sess) {
		char sess_ha1[DIGEST_HEX_SIZE];
		struct digest_str p[] = {
			{ ha1, strlen(ha1) },
			{ v->col[COL_NONCE], strlen(v->col[COL_NONCE]) },
			{ v->col[COL_CNONCE], strlen(v->col[COL_CNONCE]) },
		};

		ASSERT_OK(digest_hash_hex(alg, p, 3, sess_ha1), what);
		ASSERT_TRUE(!strcmp(sess_ha1, v->col[COL_HA1]), what);
	} else if (erratum) {
		ASSERT_TRUE(strcmp(ha1, v->col[COL_HA1]) != 0,
			    "erratum 4897: SHA-512/256 HA1 differs from "
			    "truncated SHA-512");
	} else {
		ASSERT_TRUE(!strcmp(ha1, v->col[COL_HA1]), what);
	}

	snprintf(what, sizeof(what), "%s: HA2 = H(method:uri)",
		 v->col[COL_ID]);
	{
		struct digest_str a2[] = {
			{ method, strlen(method) },
			{ v->col[COL_URI], strlen(v->col[COL_URI]) },
		};

		ASSERT_OK(digest_hash_hex(alg, a2, 2, ha2), what);
		if (!erratum)
			ASSERT_TRUE(!strcmp(ha2, v->col[COL_HA2]), what);
	}

	vector_header(v, hdr, sizeof(hdr));
	snprintf(what, sizeof(what), "%s: parse the Authorization header",
		 v->col[COL_ID]);
	if (!ASSERT_OK(digest_parse(hdr, strlen(hdr), buf, sizeof(buf), &cr,
				    &why), what)) {
		fprintf(stderr, "  why: %s\n  header: %s\n", why, hdr);
		return;
	}
	ASSERT_EQ(cr.alg, alg, what);
	ASSERT_EQ(cr.sess, sess, what);
	ASSERT_EQ(cr.has_qop, *v->col[COL_QOP] != '\0', what);

	snprintf(what, sizeof(what), "%s: response", v->col[COL_ID]);
	ASSERT_OK(digest_compute_response(&cr, method, strlen(method), ha1,
					  resp), what);
	if (erratum) {
		/* The printed value is truncated SHA-512; ours is FIPS. */
		const struct vector *fips =
			find_vector("rfc7616-3.9.2-sha512-256-fips");

		ASSERT_EQ(digest_verify(&cr, method, strlen(method), ha1),
			  -EACCES, "erratum 4897: printed 3.9.2 response is "
				   "not SHA-512/256");
		ASSERT_TRUE(fips && !strcmp(resp, fips->col[COL_EXPECTED]),
			    "erratum 4897: we compute the corrected value");
		return;
	}
	ASSERT_TRUE(!strcmp(resp, v->col[COL_EXPECTED]), what);
	snprintf(what, sizeof(what), "%s: digest_verify", v->col[COL_ID]);
	ASSERT_OK(digest_verify(&cr, method, strlen(method), ha1), what);
}

static void check_vectors(const char *const *ids, size_t n)
{
	size_t i;

	if (!load_vectors())
		return;
	for (i = 0; i < n; i++) {
		const struct vector *v = find_vector(ids[i]);

		if (ASSERT_TRUE(v != NULL, ids[i]))
			check_vector(v);
	}
}

TEST(corpus_rows_all_known)
{
	static const char *const known[] = {
		"rfc2617-3.5", "rfc7616-3.9.1-md5", "rfc7616-3.9.1-sha256",
		"rfc7616-3.9.2-sha512-256-as-printed",
		"rfc7616-3.9.2-sha512-256-fips", "rfc7616-inputs-md5-sess",
		"rfc7616-inputs-sha256-sess", "rfc2617-inputs-noqop",
		"sip-register-qop-auth", "sip-register-noqop",
		"sip-invite-ack-method", "sip-register-sha256",
	};
	size_t i;

	if (!load_vectors())
		return;
	ASSERT_EQ(n_vectors, ARRAY_SIZE(known), "rows in vectors.tsv");
	for (i = 0; i < ARRAY_SIZE(known); i++)
		ASSERT_TRUE(find_vector(known[i]) != NULL, known[i]);
	testlib_note("  SHA-512-256 in this OpenSSL: %s\n",
		     digest_alg_available(DIGEST_ALG_SHA512_256) ? "yes" : "no");
}

TEST(rfc2617_and_rfc7616_vectors)
{
	static const char *const ids[] = {
		"rfc2617-3.5", "rfc7616-3.9.1-md5", "rfc7616-3.9.1-sha256",
	};

	check_vectors(ids, ARRAY_SIZE(ids));
}

TEST(rfc7616_sha512_256_and_erratum_4897)
{
	static const char *const ids[] = {
		"rfc7616-3.9.2-sha512-256-fips",
		"rfc7616-3.9.2-sha512-256-as-printed",
	};

	check_vectors(ids, ARRAY_SIZE(ids));
}

TEST(sess_and_rfc2069_vectors)
{
	static const char *const ids[] = {
		"rfc7616-inputs-md5-sess", "rfc7616-inputs-sha256-sess",
		"rfc2617-inputs-noqop",
	};

	check_vectors(ids, ARRAY_SIZE(ids));
}

TEST(sip_vectors)
{
	static const char *const ids[] = {
		"sip-register-qop-auth", "sip-register-noqop",
		"sip-invite-ack-method", "sip-register-sha256",
	};

	check_vectors(ids, ARRAY_SIZE(ids));
}

/* ---- verify ------------------------------------------------------------- */

/* sip-register-qop-auth: bob / biloxi.com / zanzibar. */
#define BOB_HA1_MD5 "12af60467a33e8518da5c68bbff12b11"
#define BOB_HDR                                                               \
	"Digest username=\"bob\", realm=\"biloxi.com\", "                     \
	"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "                      \
	"uri=\"sip:biloxi.com\", "                                             \
	"qop=auth, nc=00000001, cnonce=\"0a4f113b\", "                        \
	"response=\"%s\""
#define BOB_RESPONSE "9e2d1006810044fd79f39476209ae31a"

static int verify_bob(const char *response, const char *method,
		      const char *ha1)
{
	char hdr[512], buf[512];
	struct digest_creds cr;
	int err;

	snprintf(hdr, sizeof(hdr), BOB_HDR, response);
	err = digest_parse(hdr, strlen(hdr), buf, sizeof(buf), &cr, NULL);
	if (err)
		return err;
	return digest_verify(&cr, method, strlen(method), ha1);
}

TEST(verify_refuses_wrong_answers)
{
	char wrong_ha1[DIGEST_HEX_SIZE];

	ASSERT_OK(verify_bob(BOB_RESPONSE, "REGISTER", BOB_HA1_MD5),
		  "the right answer");
	ASSERT_OK(verify_bob("9E2D1006810044FD79F39476209AE31A", "REGISTER",
			     BOB_HA1_MD5),
		  "upper-case hex response is the same response");
	ASSERT_OK(verify_bob(BOB_RESPONSE, "REGISTER",
			     "12AF60467A33E8518DA5C68BBFF12B11"),
		  "upper-case stored HA1 is normalised");
	ASSERT_EQ(verify_bob("9e2d1006810044fd79f39476209ae31b", "REGISTER",
			     BOB_HA1_MD5),
		  -EACCES, "last digit off");
	ASSERT_EQ(verify_bob("0e2d1006810044fd79f39476209ae31a", "REGISTER",
			     BOB_HA1_MD5),
		  -EACCES, "first digit off");
	ASSERT_EQ(verify_bob(BOB_RESPONSE, "INVITE", BOB_HA1_MD5), -EACCES,
		  "response for another method");
	ASSERT_EQ(verify_bob(BOB_RESPONSE, "register", BOB_HA1_MD5), -EACCES,
		  "SIP methods are case-sensitive");
	ASSERT_OK(users_ha1(DIGEST_ALG_MD5, "bob", "biloxi.com", "zanzibaR",
			    wrong_ha1), "HA1 of a wrong password");
	ASSERT_EQ(verify_bob(BOB_RESPONSE, "REGISTER", wrong_ha1), -EACCES,
		  "wrong password");
	ASSERT_EQ(verify_bob(BOB_RESPONSE, "REGISTER", "12af"), -EINVAL,
		  "stored HA1 of the wrong length");
	ASSERT_EQ(verify_bob(BOB_RESPONSE, "REGISTER",
			     "12af60467a33e8518da5c68bbff12b1z"),
		  -EINVAL, "stored HA1 not hex");
}

TEST(verify_checks_the_uri_and_nonce)
{
	char buf[512];
	struct digest_creds cr;
	const char *hdr_uri =
		"Digest username=\"bob\", realm=\"biloxi.com\", "
		"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
		"uri=\"sip:biloxi.org\", qop=auth, nc=00000001, "
		"cnonce=\"0a4f113b\", response=\"" BOB_RESPONSE "\"";
	const char *hdr_nc =
		"Digest username=\"bob\", realm=\"biloxi.com\", "
		"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
		"uri=\"sip:biloxi.com\", qop=auth, nc=00000002, "
		"cnonce=\"0a4f113b\", response=\"" BOB_RESPONSE "\"";

	ASSERT_OK(digest_parse(hdr_uri, strlen(hdr_uri), buf, sizeof(buf),
			       &cr, NULL), "parse");
	ASSERT_EQ(digest_verify(&cr, "REGISTER", 8, BOB_HA1_MD5), -EACCES,
		  "uri is part of the hash");
	ASSERT_OK(digest_parse(hdr_nc, strlen(hdr_nc), buf, sizeof(buf), &cr,
			       NULL), "parse");
	ASSERT_EQ(digest_verify(&cr, "REGISTER", 8, BOB_HA1_MD5), -EACCES,
		  "nc is part of the hash");
}

/* ---- the tokenizer ------------------------------------------------------ */

struct parse_ok_case {
	const char *name;
	const char *hdr;
	const char *username;
	const char *realm;
	const char *uri;
	const char *opaque;
	enum digest_alg alg;
	bool has_qop;
	uint32_t nc;
};

#define R32 "6629fae49393a05397450978507c4ef1"
#define R64 "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"

static const struct parse_ok_case parse_ok_cases[] = {
	{ "RFC 2617 3.5 shape, folded over lines",
	  "Digest username=\"Mufasa\",\r\n realm=\"testrealm@host.com\",\r\n"
	  "\tnonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n"
	  " uri=\"/dir/index.html\", qop=auth, nc=00000001,\r\n"
	  " cnonce=\"0a4f113b\", response=\"" R32 "\",\r\n"
	  " opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
	  "Mufasa", "testrealm@host.com", "/dir/index.html",
	  "5ccc069c403ebaf9f0171e9517f40e41", DIGEST_ALG_MD5, true, 1 },
	{ "scheme and names in any case, no spaces",
	  "dIGEST USERNAME=\"a\",Realm=\"r\",NONCE=\"n\",Uri=\"sip:x\","
	  "RESPONSE=\"" R32 "\"",
	  "a", "r", "sip:x", "", DIGEST_ALG_MD5, false, 0 },
	{ "quoted qop and algorithm, bare uri, spaces around =",
	  "Digest username = \"a\" , realm=\"r\", nonce=\"n\", uri=sip:x,"
	  " qop=\"auth\", algorithm=\"SHA-256\", nc=0000000a,"
	  " cnonce=\"c\", response=" R64,
	  "a", "r", "sip:x", "", DIGEST_ALG_SHA256, true, 10 },
	{ "quoted-pairs unescaped",
	  "Digest username=\"b\\\"o\\\\b\", realm=\"bi\\loxi\", nonce=\"n\","
	  " uri=\"sip:x\", response=\"" R32 "\"",
	  "b\"o\\b", "biloxi", "sip:x", "", DIGEST_ALG_MD5, false, 0 },
	{ "unknown parameters skipped, even with commas in quotes",
	  "Digest foo=bar, username=\"a\","
	  " x-extra=\"1, 2, realm=\\\"evil\\\"\","
	  " realm=\"r\", nonce=\"n\", uri=\"sip:x\", response=\"" R32 "\"",
	  "a", "r", "sip:x", "", DIGEST_ALG_MD5, false, 0 },
	{ "empty list elements and a trailing comma",
	  "Digest ,username=\"a\",, realm=\"r\" ,nonce=\"n\", uri=\"sip:x\","
	  " response=\"" R32 "\",",
	  "a", "r", "sip:x", "", DIGEST_ALG_MD5, false, 0 },
	{ "upper-case nc and response hex, algorithm in lower case",
	  "Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"sip:x\","
	  " algorithm=md5, qop=AUTH, nc=0000FFFF, cnonce=\"c\","
	  " response=\"6629FAE49393A05397450978507C4EF1\"",
	  "a", "r", "sip:x", "", DIGEST_ALG_MD5, true, 0xffff },
	{ "userhash=false is plain usernames",
	  "Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"sip:x\","
	  " userhash=false, response=\"" R32 "\"",
	  "a", "r", "sip:x", "", DIGEST_ALG_MD5, false, 0 },
	{ "UTF-8 user name in quotes",
	  "Digest username=\"J\xc3\xa4s\xc3\xb8n Doe\", realm=\"r\","
	  " nonce=\"n\", uri=\"sip:x\", response=\"" R32 "\"",
	  "J\xc3\xa4s\xc3\xb8n Doe", "r", "sip:x", "", DIGEST_ALG_MD5, false,
	  0 },
	{ "empty quoted realm is a value",
	  "Digest username=\"a\", realm=\"\", nonce=\"n\", uri=\"sip:x\","
	  " response=\"" R32 "\"",
	  "a", "", "sip:x", "", DIGEST_ALG_MD5, false, 0 },
};

TEST(parse_accepts_good_headers)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(parse_ok_cases); i++) {
		const struct parse_ok_case *t = &parse_ok_cases[i];
		size_t len = strlen(t->hdr);
		/* Exactly the documented size: ASan catches an overrun. */
		char *buf = malloc(DIGEST_PARSE_BUFSZ(len));
		struct digest_creds cr;
		const char *why = NULL;

		if (!ASSERT_OK(digest_parse(t->hdr, len, buf,
					    DIGEST_PARSE_BUFSZ(len), &cr,
					    &why), t->name)) {
			fprintf(stderr, "  why: %s\n", why);
			free(buf);
			continue;
		}
		ASSERT_TRUE(!strcmp(cr.username.s, t->username), t->name);
		ASSERT_EQ(cr.username.len, strlen(t->username), t->name);
		ASSERT_TRUE(!strcmp(cr.realm.s, t->realm), t->name);
		ASSERT_TRUE(!strcmp(cr.uri.s, t->uri), t->name);
		ASSERT_TRUE(!strcmp(cr.opaque.s, t->opaque), t->name);
		ASSERT_EQ(cr.alg, t->alg, t->name);
		ASSERT_EQ(cr.has_qop, t->has_qop, t->name);
		ASSERT_EQ(cr.nc_value, t->nc, t->name);
		ASSERT_TRUE(cr.has_qop || (!cr.nc.len && !cr.cnonce.len),
			    t->name);
		free(buf);
	}
}

struct parse_bad_case {
	const char *hdr;
	int err;
	const char *why;	/* a substring of the reason given */
};

#define P_NAME "username=\"a\", realm=\"r\", "
#define P_REST "nonce=\"n\", uri=\"sip:x\", response=\"" R32 "\""
#define P_ALL "Digest " P_NAME P_REST
#define P_QOP ", qop=auth, cnonce=\"c\""

static const struct parse_bad_case parse_bad_cases[] = {
	/* empty, wrong scheme */
	{ "", -EINVAL, "empty header" },
	{ " \t ", -EINVAL, "empty header" },
	{ "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", -ENOTSUP, "not Digest" },
	{ "Digestusername=\"a\"", -ENOTSUP, "not Digest" },
	{ "Digest,username=\"a\"", -EINVAL, "white space after Digest" },
	{ "\"Digest\" username=\"a\"", -EINVAL, "authentication scheme" },
	{ "Digest", -EINVAL, "missing username" },
	{ "Digest ,,, ", -EINVAL, "missing username" },
	/* missing fields */
	{ "Digest realm=\"r\", " P_REST, -EINVAL, "missing username" },
	{ "Digest username=\"a\", " P_REST, -EINVAL, "missing realm" },
	{ "Digest " P_NAME "uri=\"sip:x\", response=\"" R32 "\"", -EINVAL,
	  "missing nonce" },
	{ "Digest " P_NAME "nonce=\"n\", response=\"" R32 "\"", -EINVAL,
	  "missing uri" },
	{ "Digest " P_NAME "nonce=\"n\", uri=\"sip:x\"", -EINVAL,
	  "missing response" },
	{ P_ALL ", qop=auth, cnonce=\"c\"", -EINVAL, "qop without nc" },
	{ P_ALL ", qop=auth, nc=00000001", -EINVAL, "qop without cnonce" },
	{ P_ALL ", nc=00000001, cnonce=\"c\"", -EINVAL,
	  "cnonce or nc without qop" },
	{ P_ALL ", cnonce=\"c\"", -EINVAL, "cnonce or nc without qop" },
	{ P_ALL ", qop=auth, nc=00000001, cnonce=\"\"", -EINVAL,
	  "empty cnonce" },
	/* bad nc */
	{ P_ALL P_QOP ", nc=0001", -EINVAL, "nc must be 8 hex digits" },
	{ P_ALL P_QOP ", nc=000000001", -EINVAL, "nc must be 8 hex digits" },
	{ P_ALL P_QOP ", nc=0000000g", -EINVAL, "nc must be 8 hex digits" },
	{ P_ALL P_QOP ", nc=\"\"", -EINVAL, "nc must be 8 hex digits" },
	{ P_ALL P_QOP ", nc=-0000001", -EINVAL, "nc must be 8 hex digits" },
	/* duplicates, whatever their case */
	{ P_ALL ", realm=\"r\"", -EINVAL, "duplicate realm" },
	{ P_ALL ", Username=\"b\"", -EINVAL, "duplicate username" },
	{ P_ALL ", RESPONSE=\"" R32 "\"", -EINVAL, "duplicate response" },
	{ P_ALL P_QOP ", nc=00000001, nc=00000002", -EINVAL,
	  "duplicate nc" },
	{ P_ALL ", algorithm=MD5, algorithm=MD5", -EINVAL,
	  "duplicate algorithm" },
	/* quoting */
	{ "Digest username=\"a, realm=\"r\"", -EINVAL,
	  "expected ',' between parameters" },
	{ "Digest " P_NAME "nonce=\"n", -EINVAL, "unterminated" },
	{ "Digest " P_NAME "nonce=\"n\\\"", -EINVAL, "unterminated" },
	{ "Digest " P_NAME "nonce=\"n\\", -EINVAL, "unterminated" },
	{ "Digest username=\"a\"x, " P_REST, -EINVAL,
	  "expected ',' between parameters" },
	{ "Digest username=a\"b\", " P_REST, -EINVAL,
	  "unexpected character" },
	{ "Digest username=\"a\x01\", " P_REST, -EINVAL, "control character" },
	{ "Digest username=\"a\r\n b\", " P_REST, -EINVAL,
	  "control character" },
	{ "Digest username=\"a\" realm=\"r\", " P_REST, -EINVAL,
	  "expected ',' between parameters" },
	/* names and values */
	{ "Digest username, " P_REST, -EINVAL, "expected '='" },
	{ "Digest =\"a\", " P_REST, -EINVAL, "expected a parameter name" },
	{ "Digest username=, " P_NAME P_REST, -EINVAL,
	  "parameter without a value" },
	{ "Digest " P_NAME P_REST ", foo=", -EINVAL,
	  "parameter without a value" },
	/* response shape */
	{ "Digest " P_NAME "nonce=\"n\", uri=\"sip:x\", response=\"abc\"",
	  -EINVAL, "response must be 32 hex digits" },
	{ "Digest " P_NAME "nonce=\"n\", uri=\"sip:x\", response=\"" R32
	  "\", algorithm=SHA-256", -EINVAL, "response must be 64 hex digits" },
	{ "Digest " P_NAME "nonce=\"n\", uri=\"sip:x\", "
	  "response=\"6629fae49393a05397450978507c4efg\"", -EINVAL,
	  "response must be 32 hex digits" },
	/* what this server does not do */
	{ P_ALL ", algorithm=SHA-1", -ENOTSUP, "unknown algorithm" },
	{ P_ALL ", algorithm=MD5-sess", -EINVAL, "-sess" },
	{ P_ALL ", qop=auth-int, nc=00000001, cnonce=\"c\"", -ENOTSUP,
	  "auth-int" },
	{ P_ALL ", qop=bogus, nc=00000001, cnonce=\"c\"", -ENOTSUP,
	  "unknown qop" },
	{ "Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm=\"r\", "
	  P_REST, -ENOTSUP, "username*" },
	{ P_ALL ", userhash=true", -ENOTSUP, "userhash" },
};

TEST(parse_rejects_malformed_headers)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(parse_bad_cases); i++) {
		const struct parse_bad_case *t = &parse_bad_cases[i];
		size_t len = strlen(t->hdr);
		char *buf = malloc(DIGEST_PARSE_BUFSZ(len));
		struct digest_creds cr;
		const char *why = NULL;
		int err;

		err = digest_parse(t->hdr, len, buf, DIGEST_PARSE_BUFSZ(len),
				   &cr, &why);
		if (!ASSERT_EQ(err, t->err, t->hdr) ||
		    !ASSERT_TRUE(why && strstr(why, t->why), t->hdr))
			fprintf(stderr, "  why: %s (expected '%s')\n",
				why ? why : "(none)", t->why);
		ASSERT_TRUE(cr.username.s == NULL,
			    "creds cleared on error");
		free(buf);
	}
}

TEST(parse_rejects_nul_and_small_buffers)
{
	static const char hdr[] = "Digest username=\"a\0b\", " P_NAME P_REST;
	const char *good = P_ALL;
	struct digest_creds cr;
	const char *why = NULL;
	char buf[512];

	ASSERT_EQ(digest_parse(hdr, sizeof(hdr) - 1, buf, sizeof(buf), &cr,
			       &why), -EINVAL, "NUL inside a quoted value");
	ASSERT_EQ(digest_parse(good, strlen(good), buf, 20, &cr, &why),
		  -ENOSPC, "buffer too small");
	ASSERT_TRUE(why && strstr(why, "buffer"), "reason says buffer");
	ASSERT_OK(digest_parse(good, strlen(good), buf, sizeof(buf), &cr,
			       NULL), "why may be NULL");
}

/* ---- the challenge ------------------------------------------------------ */

TEST(challenge_lines)
{
	struct digest_challenge_opts o = {
		.realm = "biloxi.com",
		.nonce = "abcdef",
	};
	char buf[1024];
	size_t len = 0;

	ASSERT_OK(digest_challenge(&o, buf, sizeof(buf), &len), "default");
	ASSERT_TRUE(!strcmp(buf,
		"WWW-Authenticate: Digest realm=\"biloxi.com\", qop=\"auth\", "
		"algorithm=SHA-256, nonce=\"abcdef\"\r\n"
		"WWW-Authenticate: Digest realm=\"biloxi.com\", qop=\"auth\", "
		"algorithm=MD5, nonce=\"abcdef\"\r\n"),
		"SHA-256 line first, then MD5 (RFC 8760 preference)");
	ASSERT_EQ(len, strlen(buf), "length reported");

	o.stale = true;
	o.proxy = true;
	o.opaque = "op\"q";
	o.realm = "a\\b";
	o.algs = DIGEST_ALG_BIT(DIGEST_ALG_MD5);
	ASSERT_OK(digest_challenge(&o, buf, sizeof(buf), &len), "stale");
	ASSERT_TRUE(!strcmp(buf,
		"Proxy-Authenticate: Digest realm=\"a\\\\b\", qop=\"auth\", "
		"algorithm=MD5, nonce=\"abcdef\", opaque=\"op\\\"q\", "
		"stale=true\r\n"),
		"407 form, escaped realm and opaque, stale=true");

	if (digest_alg_available(DIGEST_ALG_SHA512_256)) {
		o.algs = DIGEST_ALG_BIT(DIGEST_ALG_MD5) |
			 DIGEST_ALG_BIT(DIGEST_ALG_SHA256) |
			 DIGEST_ALG_BIT(DIGEST_ALG_SHA512_256);
		ASSERT_OK(digest_challenge(&o, buf, sizeof(buf), &len),
			  "three algorithms");
		ASSERT_TRUE(strstr(buf, "SHA-512-256") <
				    strstr(buf, "SHA-256,") &&
			    strstr(buf, "SHA-256,") < strstr(buf, "MD5"),
			    "SHA-512-256, SHA-256, MD5 in that order");
	}

	o.algs = 0;
	ASSERT_EQ(digest_challenge(&o, buf, 40, &len), -ENOSPC,
		  "buffer too small");
	o.realm = "evil\r\nContact: <sip:x>";
	ASSERT_EQ(digest_challenge(&o, buf, sizeof(buf), &len), -EINVAL,
		  "CRLF in a realm would inject a header");
	o.realm = "";
	ASSERT_EQ(digest_challenge(&o, buf, sizeof(buf), &len), -EINVAL,
		  "empty realm");
	o.realm = "r";
	o.algs = 1u << 7;
	ASSERT_EQ(digest_challenge(&o, buf, sizeof(buf), &len), -EINVAL,
		  "unknown algorithm bit");
}

/* The buffer's edge: the challenge and its NUL fit exactly, or -ENOSPC;
 * every size below is refused, none writes past its end. */
TEST(challenge_buffer_edge)
{
	struct digest_challenge_opts o = {
		.realm = "a\\b\"c", .nonce = "abcdef", .opaque = "o\"p",
	};
	char full[1024], buf[1024];
	size_t len = 0, n, got;
	bool all_refused = true;

	if (!ASSERT_OK(digest_challenge(&o, full, sizeof(full), &len),
		       "whole"))
		return;
	memset(buf, 'X', sizeof(buf));
	ASSERT_OK(digest_challenge(&o, buf, len + 1, &got), "exact fit");
	ASSERT_TRUE(got == len && !memcmp(buf, full, len + 1),
		    "exact fit: the same bytes and the NUL");
	for (n = 0; n < len + 1; n++) {
		memset(buf, 'X', sizeof(buf));
		all_refused &= digest_challenge(&o, buf, n, &got) == -ENOSPC &&
			       buf[n] == 'X';
	}
	ASSERT_TRUE(all_refused, "every smaller buffer: -ENOSPC, nothing "
		    "written past it");
}

/* ---- nonces ------------------------------------------------------------- */

static const uint8_t test_secret[NONCE_SECRET_LEN] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

static struct nonce_issuer *test_issuer(void)
{
	struct nonce_issuer *iss = NULL;

	if (!ASSERT_OK(nonce_issuer_new(&iss), "nonce_issuer_new"))
		return NULL;
	if (!ASSERT_OK(nonce_issuer_set_secret(iss, test_secret,
					       sizeof(test_secret)),
		       "set the test secret")) {
		nonce_issuer_free(iss);
		return NULL;
	}
	return iss;
}

#define REALM "biloxi.com"
#define RLEN (sizeof(REALM) - 1)
/* The source addresses nonces are bound to: opaque bytes to nonce.c. */
static const uint8_t SRC[4] = { 192, 0, 2, 10 };
static const uint8_t OTHER_SRC[4] = { 192, 0, 2, 66 };
#define SRCARG SRC, sizeof(SRC)

static enum nonce_verdict check_at(const struct nonce_issuer *iss,
				   const char *nonce, uint64_t now)
{
	return nonce_check(iss, nonce, strlen(nonce), REALM, RLEN, SRCARG, now,
			   300, NULL);
}

TEST(nonce_lifetime)
{
	struct nonce_issuer *iss = test_issuer();
	char n1[NONCE_STR_SIZE], n2[NONCE_STR_SIZE];
	struct nonce_id id;

	if (!iss)
		return;
	ASSERT_OK(nonce_make(iss, REALM, RLEN, SRCARG, 1000, n1), "make");
	ASSERT_OK(nonce_make(iss, REALM, RLEN, SRCARG, 1000, n2),
		  "make again");
	ASSERT_EQ(strlen(n1), NONCE_STR_LEN, "43 characters");
	ASSERT_EQ(strspn(n1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
			     "vwxyz0123456789-_"),
		  NONCE_STR_LEN, "base64url alphabet only");
	ASSERT_TRUE(strcmp(n1, n2) != 0, "same second, different nonces");

	ASSERT_EQ(nonce_check(iss, n1, strlen(n1), REALM, RLEN, SRCARG, 1000,
			      300, &id), NONCE_VALID, "fresh");
	ASSERT_EQ(id.issued, 1000, "issue time recovered");
	ASSERT_EQ(id.expires, 1300, "expiry");
	ASSERT_EQ(check_at(iss, n1, 1299), NONCE_VALID, "last valid second");
	ASSERT_EQ(check_at(iss, n1, 1300), NONCE_STALE, "expired: stale");
	ASSERT_EQ(check_at(iss, n1, 99999), NONCE_STALE, "long expired");
	ASSERT_EQ(check_at(iss, n1, 999), NONCE_STALE,
		  "from the future (clock went back): stale, not accepted");
	ASSERT_EQ(nonce_check(iss, n1, strlen(n1), "biloxi.org", 10, SRCARG, 1000,
			      300, NULL), NONCE_INVALID, "another realm");
	ASSERT_EQ(nonce_check(iss, n1, strlen(n1), REALM, RLEN, SRCARG, 1000, 0,
			      NULL), NONCE_STALE, "lifetime 0");
	ASSERT_EQ(nonce_check(iss, n1, strlen(n1), REALM, RLEN, SRCARG, 998,
			      UINT64_MAX, NULL), NONCE_STALE,
		  "from the future even with an endless lifetime");
	ASSERT_EQ(nonce_check(iss, n1, strlen(n1), REALM, RLEN, SRCARG, 5000,
			      UINT64_MAX, &id),
		  NONCE_VALID, "endless lifetime");
	ASSERT_TRUE(id.expires == UINT64_MAX, "expiry saturates, no wrap");
	nonce_issuer_free(iss);
}

/* The threat: forged answers in a victim's name (docs/SECURITY.md). */
TEST(nonce_bound_to_source)
{
	static const uint8_t v6[20] = { 0x20, 0x01, 0x0d, 0xb8, [19] = 1 };
	struct nonce_issuer *iss = test_issuer();
	char n[NONCE_STR_SIZE], none[NONCE_STR_SIZE];

	if (!iss)
		return;
	ASSERT_OK(nonce_make(iss, REALM, RLEN, SRCARG, 1000, n), "make");
	ASSERT_EQ(nonce_check(iss, n, strlen(n), REALM, RLEN, SRCARG, 1000,
			      300, NULL), NONCE_VALID, "from its own address");
	ASSERT_EQ(nonce_check(iss, n, strlen(n), REALM, RLEN, OTHER_SRC,
			      sizeof(OTHER_SRC), 1000, 300, NULL),
		  NONCE_INVALID, "from another address: invalid");
	ASSERT_EQ(nonce_check(iss, n, strlen(n), REALM, RLEN, v6, sizeof(v6),
			      1000, 300, NULL),
		  NONCE_INVALID, "from an address of another length: invalid");
	ASSERT_EQ(nonce_check(iss, n, strlen(n), REALM, RLEN, NULL, 0, 1000,
			      300, NULL),
		  NONCE_INVALID, "checked as bound to no address: invalid");
	ASSERT_EQ(nonce_check(iss, n, strlen(n), REALM, RLEN, SRC, 3, 1000,
			      300, NULL),
		  NONCE_INVALID, "a prefix of its address: invalid");
	/* Lengths are in the MAC: realm "biloxi.co" + source "m..." is not
	 * realm "biloxi.com" + source "...". */
	ASSERT_EQ(nonce_check(iss, n, strlen(n), REALM, RLEN - 1,
			      "m\xc0\x00\x02\x0a", 5, 1000, 300, NULL),
		  NONCE_INVALID, "realm and address boundary is fixed");
	ASSERT_OK(nonce_make(iss, REALM, RLEN, NULL, 0, 1000, none),
		  "a nonce bound to no address");
	ASSERT_EQ(nonce_check(iss, none, strlen(none), REALM, RLEN, SRCARG,
			      1000, 300, NULL),
		  NONCE_INVALID, "unbound nonce refused from an address");
	ASSERT_EQ(nonce_make(iss, REALM, RLEN, NULL, 4, 1000, none), -EINVAL,
		  "NULL address with a length: -EINVAL");
	nonce_issuer_free(iss);
}

/*
 * The format (include/siplb_cookie.h) pinned by a vector computed with an
 * independent Python SipHash-2-4 and Python's base64: the XDP program
 * makes the same bytes, so a change here is a change of the wire format.
 */
TEST(nonce_vector)
{
	static const uint8_t salt[NONCE_SALT_LEN] = {
		0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	};
	static const uint8_t long_src[NONCE_SRC_MAX + 1];
	struct nonce_issuer *iss = test_issuer();
	char n[NONCE_STR_SIZE], again[NONCE_STR_SIZE];

	if (!iss)
		return;
	ASSERT_OK(nonce_make_salted(iss, REALM, RLEN, SRCARG, 1000, salt, n),
		  "make with a given salt");
	ASSERT_MEM_EQ(n, "AAAAAAAAA-igoaKjpKWmp4uwuBYa2Cb5okdSN-QPSgI", NONCE_STR_SIZE,
		      "the reference nonce");
	ASSERT_OK(nonce_make_salted(iss, REALM, RLEN, SRCARG, 1000, salt,
				    again), "make again");
	ASSERT_MEM_EQ(again, n, NONCE_STR_SIZE, "same inputs, same nonce");
	ASSERT_EQ(check_at(iss, n, 1000), NONCE_VALID, "the vector checks");
	ASSERT_EQ(nonce_make(iss, REALM, RLEN, long_src, sizeof(long_src),
			     1000, again), -EINVAL,
		  "a source over NONCE_SRC_MAX bytes: -EINVAL");
	nonce_issuer_free(iss);
}

TEST(nonce_tampering_is_invalid)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		"-_";
	struct nonce_issuer *iss = test_issuer(), *other = NULL;
	char n[NONCE_STR_SIZE], t[NONCE_STR_SIZE + 4];
	int flipped_valid = 0;
	size_t i, j;

	if (!iss)
		return;
	ASSERT_OK(nonce_make(iss, REALM, RLEN, SRCARG, 1000, n), "make");
	/* Every other character at every position: time, salt and MAC. */
	for (i = 0; i < NONCE_STR_LEN; i++) {
		for (j = 0; j < sizeof(alphabet) - 1; j++) {
			if (alphabet[j] == n[i])
				continue;
			memcpy(t, n, sizeof(n));
			t[i] = alphabet[j];
			if (check_at(iss, t, 1000) != NONCE_INVALID)
				flipped_valid++;
		}
	}
	ASSERT_EQ(flipped_valid, 0, "any changed character: invalid");

	memcpy(t, n, sizeof(n));
	t[NONCE_STR_LEN - 1] = '\0';
	ASSERT_EQ(check_at(iss, t, 1000), NONCE_INVALID, "truncated");
	snprintf(t, sizeof(t), "%sA", n);
	ASSERT_EQ(check_at(iss, t, 1000), NONCE_INVALID, "one more char");
	snprintf(t, sizeof(t), "%s=", n);
	ASSERT_EQ(check_at(iss, t, 1000), NONCE_INVALID, "padding");
	memcpy(t, n, sizeof(n));
	t[5] = '+';
	ASSERT_EQ(check_at(iss, t, 1000), NONCE_INVALID, "'+' not base64url");
	ASSERT_EQ(check_at(iss, "", 1000), NONCE_INVALID, "empty");
	ASSERT_EQ(check_at(iss, "dcd98b7102dd2f0e8b11d0f600bfb0c093", 1000),
		  NONCE_INVALID, "someone else's nonce");

	ASSERT_OK(nonce_issuer_new(&other), "second issuer, random secret");
	ASSERT_EQ(check_at(other, n, 1000), NONCE_INVALID,
		  "another secret (a restarted daemon)");
	ASSERT_EQ(nonce_issuer_set_secret(other, test_secret, 16), -EINVAL,
		  "secret must be 32 bytes");
	nonce_issuer_free(other);
	nonce_issuer_free(iss);
}

/* ---- replay ------------------------------------------------------------- */

static struct nonce_id make_id(uint64_t seed, uint64_t issued,
			       uint64_t lifetime)
{
	struct nonce_id id = { .issued = issued,
			       .expires = issued + lifetime };

	/* Like a MAC: all bits depend on the seed (splitmix64). */
	for (size_t i = 0; i < NONCE_MAC_LEN; i += 8) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(id.mac + i, &z, 8);
	}
	return id;
}

TEST(replay_nc_rules)
{
	static const struct {
		int nonce;
		uint32_t nc;
		int want;
		const char *what;
	} steps[] = {
		{ 0, 1, 0, "first use, nc 1" },
		{ 0, 1, -EALREADY, "same nc again: replay" },
		{ 0, 2, 0, "nc 2" },
		{ 0, 5, 0, "a gap is fine (other requests lost)" },
		{ 0, 3, -EALREADY, "below the highest: refused" },
		{ 0, 5, -EALREADY, "equal to the highest: refused" },
		{ 0, 6, 0, "above the highest" },
		{ 0, 0, -EINVAL, "nc 0" },
		{ 1, 7, 0, "another nonce has its own count" },
		{ 1, 1, -EALREADY, "which is also only rising" },
		{ 0, 0xffffffff, 0, "the largest nc" },
		{ 0, 0xffffffff, -EALREADY, "and nothing after it" },
	};
	struct nonce_id ids[2] = { make_id(1, 1000, 300),
				   make_id(2, 1000, 300) };
	struct nonce_replay *t = NULL;
	struct nonce_replay_stats st;
	size_t i;

	if (!ASSERT_OK(nonce_replay_new(0, &t), "new table"))
		return;
	for (i = 0; i < ARRAY_SIZE(steps); i++)
		ASSERT_EQ(nonce_replay_use(t, &ids[steps[i].nonce],
					   steps[i].nc, 1010),
			  steps[i].want, steps[i].what);
	ASSERT_EQ(nonce_replay_use(t, &ids[0], 0xffffffff, 1300), -ESTALE,
		  "an expired nonce");
	nonce_replay_stats(t, &st);
	ASSERT_EQ(st.accepted, 6, "accepted count");
	ASSERT_EQ(st.replayed, 5, "replayed count");
	nonce_replay_free(t);
}

/*
 * What siplbd does at a restart that keeps its nonce keys (daemon.c,
 * nonce_keys_keep): a second issuer with the first one's keys accepts its
 * nonces, and a fresh replay table told to forget everything issued
 * before the restart refuses them as stale, never as a first use, so the
 * credentials of before the restart cannot be replayed after it.
 */
TEST(restart_keeps_keys_and_refuses_old_nonces)
{
	struct nonce_issuer *before = test_issuer(), *after = NULL;
	struct nonce_replay *fresh = NULL;
	char old_nonce[NONCE_STR_SIZE], new_nonce[NONCE_STR_SIZE];
	struct nonce_id old_id, new_id;
	uint64_t key[4];

	if (!before)
		return;
	if (!ASSERT_OK(nonce_issuer_new(&after), "the restarted issuer") ||
	    !ASSERT_OK(nonce_replay_new(0, &fresh), "its empty table"))
		goto out;
	ASSERT_OK(nonce_make(before, REALM, RLEN, SRCARG, 1000, old_nonce),
		  "a nonce before the restart");
	ASSERT_EQ(nonce_check(after, old_nonce, strlen(old_nonce), REALM,
			      RLEN, SRCARG, 1010, 300, NULL),
		  NONCE_INVALID, "new keys: the old nonce is not ours");
	nonce_issuer_keys(before, key);
	nonce_issuer_set_keys(after, key);
	ASSERT_EQ(nonce_check(after, old_nonce, strlen(old_nonce), REALM,
			      RLEN, SRCARG, 1010, 300, &old_id),
		  NONCE_VALID, "keys kept: the old nonce checks out");
	nonce_replay_forget_before(fresh, 1011);
	ASSERT_EQ(nonce_replay_use(fresh, &old_id, 1, 1011), -ESTALE,
		  "issued before the restart: stale, not a first use");
	ASSERT_OK(nonce_make(after, REALM, RLEN, SRCARG, 1011, new_nonce),
		  "a nonce after the restart");
	ASSERT_EQ(nonce_check(after, new_nonce, strlen(new_nonce), REALM,
			      RLEN, SRCARG, 1011, 300, &new_id),
		  NONCE_VALID, "checks out");
	ASSERT_OK(nonce_replay_use(fresh, &new_id, 1, 1011),
		  "issued after the restart: accepted");
	nonce_replay_forget_before(fresh, 5);
	ASSERT_EQ(nonce_replay_use(fresh, &old_id, 2, 1012), -ESTALE,
		  "an earlier horizon does not move it back");
out:
	nonce_replay_free(fresh);
	nonce_issuer_free(after);
	nonce_issuer_free(before);
}

TEST(replay_eviction_never_reopens_a_nonce)
{
	struct nonce_replay *t = NULL;
	struct nonce_replay_stats st;
	struct nonce_id id[10];
	int i;

	/* The smallest table: one probe window, 8 slots. */
	if (!ASSERT_OK(nonce_replay_new(1, &t), "tiny table"))
		return;
	for (i = 0; i < 10; i++)
		id[i] = make_id(100 + (uint64_t)i, 1000 + (uint64_t)i, 60);
	for (i = 0; i < 8; i++)
		ASSERT_OK(nonce_replay_use(t, &id[i], 1, 1010), "fill");
	ASSERT_OK(nonce_replay_use(t, &id[8], 1, 1010),
		  "a full table makes room by forgetting the oldest");
	nonce_replay_stats(t, &st);
	ASSERT_EQ(st.evicted, 1, "one live nonce evicted");
	ASSERT_EQ(nonce_replay_use(t, &id[0], 1, 1010), -ESTALE,
		  "the forgotten nonce is refused (stale), not replayable");
	ASSERT_EQ(nonce_replay_use(t, &id[1], 1, 1010), -EALREADY,
		  "nonces still remembered keep their counts");
	ASSERT_OK(nonce_replay_use(t, &id[1], 2, 1010), "and move on");
	ASSERT_OK(nonce_replay_use(t, &id[9], 1, 1010),
		  "a newer nonce than the forgotten one is welcome");
	nonce_replay_stats(t, &st);
	ASSERT_EQ(st.evicted, 2, "which evicted the next oldest");

	/* Once they have all expired the slots are reused, no eviction. */
	for (i = 0; i < 8; i++) {
		id[i] = make_id(200 + (uint64_t)i, 1100, 60);
		ASSERT_OK(nonce_replay_use(t, &id[i], 1, 1100),
			  "after expiry");
	}
	nonce_replay_stats(t, &st);
	ASSERT_EQ(st.evicted, 2, "expired slots are free, not evicted");
	nonce_replay_free(t);
}

/* xorshift64: a repeatable sequence for the model test. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * A model of a registrar's traffic: nonces handed out over time, each used
 * for a while by its UA with counts that mostly rise, plus replays and late
 * arrivals. Whatever the table forgets, it must never accept an nc at or
 * below one it accepted before for the same nonce.
 */
static void replay_model(size_t slots, int *bad, int *accepted)
{
	enum { STEPS = 20000, PER_SECOND = 50, LIVE = 40 };
	static uint32_t highest[STEPS / PER_SECOND + LIVE];
	struct nonce_id ids[STEPS / PER_SECOND + LIVE];
	struct nonce_replay *t = NULL;
	uint64_t rng = 0x1234567;
	size_t i;

	*bad = *accepted = 0;
	if (!ASSERT_OK(nonce_replay_new(slots, &t), "table"))
		return;
	memset(highest, 0, sizeof(highest));
	for (i = 0; i < ARRAY_SIZE(ids); i++)
		ids[i] = make_id(i * 7919, 5000 + i, 1000000);
	for (i = 0; i < STEPS; i++) {
		size_t k = i / PER_SECOND + rng_next(&rng) % LIVE;
		uint32_t nc = 1 + (uint32_t)(rng_next(&rng) % 16);
		uint64_t now = 5000 + i / PER_SECOND + LIVE;
		int rc = nonce_replay_use(t, &ids[k], nc, now);

		if (rc == 0) {
			*bad += nc <= highest[k];
			highest[k] = nc;
			(*accepted)++;
		} else if (rc != -EALREADY && rc != -ESTALE) {
			(*bad)++;
		}
	}
	nonce_replay_free(t);
}

TEST(replay_model_no_pair_accepted_twice)
{
	int bad, ideal, accepted;

	/* A table far larger than the 40 live nonces: what is acceptable. */
	replay_model(NONCE_REPLAY_DEFAULT_SLOTS, &bad, &ideal);
	ASSERT_EQ(bad, 0, "big table: no nc accepted twice or going down");
	replay_model(64, &bad, &accepted);
	testlib_note("  accepted of 20000 uses: %d (64K slots), %d (64 slots)",
		     ideal, accepted);
	ASSERT_EQ(bad, 0, "64 slots: none either");
	ASSERT_GE(accepted, ideal * 0.95, "64 slots hold 40 live nonces");
	replay_model(8, &bad, &accepted);
	testlib_note(", %d (8 slots)\n", accepted);
	ASSERT_EQ(bad, 0, "8 slots, evicting all the time: still none");
	ASSERT_GE(accepted, 1, "8 slots: still accepts some");
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

TEST(nonce_and_replay_throughput)
{
	enum { N = 20000 };
	struct nonce_issuer *iss = test_issuer();
	struct nonce_replay *t = NULL;
	struct timespec t0;
	char n[NONCE_STR_SIZE];
	int valid = 0, accepted = 0, replays = 0, i;

	if (!iss || !ASSERT_OK(nonce_replay_new(0, &t), "table")) {
		nonce_issuer_free(iss);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < N; i++) {
		struct nonce_id id;

		if (nonce_make(iss, REALM, RLEN, SRCARG,
			       1000 + (uint64_t)i / 100, n))
			break;
		if (nonce_check(iss, n, NONCE_STR_LEN, REALM, RLEN, SRCARG,
				1000 + (uint64_t)i / 100, 300, &id) !=
		    NONCE_VALID)
			continue;
		valid++;
		accepted += nonce_replay_use(t, &id, 1, 1000 + i / 100) == 0;
		replays += nonce_replay_use(t, &id, 1, 1000 + i / 100) == 0;
	}
	testlib_note("  %d nonces made, checked and used twice in %.3f s\n", N,
		     seconds_since(&t0));
	ASSERT_EQ(valid, N, "every nonce made is valid");
	ASSERT_EQ(accepted, N, "20,000 live nonces fit the default table");
	ASSERT_EQ(replays, 0, "no replay accepted");
	nonce_replay_free(t);
	nonce_issuer_free(iss);
}

/* ---- the whole exchange ------------------------------------------------- */

TEST(register_exchange_end_to_end)
{
	struct nonce_issuer *iss = test_issuer();
	struct nonce_replay *t = NULL;
	struct users *db = NULL;
	char line[256], nonce[NONCE_STR_SIZE], hdr[512], buf[512];
	char resp[DIGEST_HEX_SIZE];
	struct digest_creds cr, mine = { 0 };
	struct nonce_id id;
	const char *ha1;
	uint32_t nc;

	if (!iss || !ASSERT_OK(nonce_replay_new(0, &t), "table"))
		goto cleanup;
	ASSERT_OK(users_format_line("bob", REALM, "zanzibar", 0, line,
				    sizeof(line)), "users line");
	if (!ASSERT_OK(users_parse("users", line, strlen(line), &db, NULL, 0),
		       "users file"))
		goto cleanup;
	ASSERT_OK(nonce_make(iss, REALM, RLEN, SRCARG, 5000, nonce),
		  "challenge");

	for (nc = 1; nc <= 3; nc++) {
		/* The UA's side: answer with SHA-256, the first offer. */
		char ncs[9];

		snprintf(ncs, sizeof(ncs), "%08x", nc);
		mine = (struct digest_creds){
			.username = { "bob", 3 }, .realm = { REALM, RLEN },
			.nonce = { nonce, NONCE_STR_LEN },
			.uri = { "sip:" REALM, 4 + RLEN },
			.cnonce = { "xyz", 3 }, .nc = { ncs, 8 },
			.qop = { "auth", 4 }, .alg = DIGEST_ALG_SHA256,
			.has_qop = true,
		};
		ASSERT_OK(users_ha1(DIGEST_ALG_SHA256, "bob", REALM, "zanzibar",
				    buf), "UA's HA1");
		ASSERT_OK(digest_compute_response(&mine, "REGISTER", 8, buf,
						  resp), "UA's response");
		snprintf(hdr, sizeof(hdr),
			 "Digest username=\"bob\", realm=\"%s\", nonce=\"%s\", "
			 "uri=\"sip:%s\", response=\"%s\", algorithm=SHA-256, "
			 "qop=auth, nc=%s, cnonce=\"xyz\"", REALM, nonce, REALM,
			 resp, ncs);

		/* The registrar's side, in the documented order. */
		ASSERT_OK(digest_parse(hdr, strlen(hdr), buf, sizeof(buf), &cr,
				       NULL), "parse");
		ASSERT_EQ(nonce_check(iss, cr.nonce.s, cr.nonce.len,
				      cr.realm.s, cr.realm.len, SRCARG, 5010,
				      300, &id),
			  NONCE_VALID, "our nonce");
		ha1 = users_find(db, cr.username.s, cr.realm.s, cr.alg);
		if (!ASSERT_TRUE(ha1 != NULL, "bob has a SHA-256 HA1"))
			goto cleanup;
		ASSERT_OK(digest_verify(&cr, "REGISTER", 8, ha1), "verified");
		ASSERT_OK(nonce_replay_use(t, &id, cr.nc_value, 5010),
			  "first use of this nc");
		ASSERT_EQ(nonce_replay_use(t, &id, cr.nc_value, 5011),
			  -EALREADY, "the same request again is a replay");
	}
	ASSERT_EQ(nonce_check(iss, cr.nonce.s, cr.nonce.len, cr.realm.s,
			      cr.realm.len, SRCARG, 5300, 300, &id),
		  NONCE_STALE, "five minutes later: stale=true challenge");
cleanup:
	users_free(db);
	nonce_replay_free(t);
	nonce_issuer_free(iss);
}

/* ---- the users file ----------------------------------------------------- */

#define BOB_SHA256 \
	"e65db393e748c5228939a6b4b2879e9ea5625cd79fd5267868cb568d69f6b97e"
#define MUFASA_HA1 "939e7578ed9e3c518a452acee763bce9"

TEST(users_good_file)
{
	static const char text[] =
		"# siplb users: user:realm:HA1[:ALG=HEX...]\n"
		"\n"
		"   \t\n"
		"  # indented comment\n"
		"Mufasa:testrealm@host.com:" MUFASA_HA1 "\n"
		"bob:biloxi.com:12AF60467A33E8518DA5C68BBFF12B11:SHA-256="
		BOB_SHA256 "\r\n"
		"carol:biloxi.com::sha-256=" BOB_SHA256 "\n"
		"bob:atlanta.com:" BOB_HA1_MD5;	/* no final newline */
	struct users *db = NULL;
	char err[256] = "";

	if (!ASSERT_OK(users_parse("users.htdigest", text, strlen(text), &db,
				   err, sizeof(err)), err))
		return;
	ASSERT_EQ(users_count(db), 4, "four users");
	ASSERT_TRUE(!strcmp(users_find(db, "Mufasa", "testrealm@host.com",
				       DIGEST_ALG_MD5) ?: "", MUFASA_HA1),
		    "plain htdigest line");
	ASSERT_TRUE(!strcmp(users_find(db, "bob", "biloxi.com",
				       DIGEST_ALG_MD5) ?: "", BOB_HA1_MD5),
		    "MD5 HA1, lower-cased, CR dropped");
	ASSERT_TRUE(!strcmp(users_find(db, "bob", "biloxi.com",
				       DIGEST_ALG_SHA256) ?: "", BOB_SHA256),
		    "SHA-256 extension");
	ASSERT_TRUE(users_find(db, "bob", "biloxi.com",
			       DIGEST_ALG_SHA512_256) == NULL,
		    "no SHA-512-256 HA1 given");
	ASSERT_TRUE(users_find(db, "Mufasa", "testrealm@host.com",
			       DIGEST_ALG_SHA256) == NULL,
		    "plain line has MD5 only");
	ASSERT_TRUE(users_find(db, "carol", "biloxi.com", DIGEST_ALG_MD5) ==
			    NULL, "empty third field: no MD5 for carol");
	ASSERT_TRUE(users_find(db, "carol", "biloxi.com",
			       DIGEST_ALG_SHA256) != NULL,
		    "carol authenticates with SHA-256");
	ASSERT_TRUE(users_find(db, "bob", "atlanta.com", DIGEST_ALG_MD5) !=
			    NULL, "last line without newline");
	ASSERT_TRUE(users_find(db, "Bob", "biloxi.com", DIGEST_ALG_MD5) ==
			    NULL, "user names are case-sensitive");
	ASSERT_TRUE(users_find(db, "bob", "Biloxi.com", DIGEST_ALG_MD5) ==
			    NULL, "realms too");
	ASSERT_TRUE(users_find(db, "alice", "biloxi.com", DIGEST_ALG_MD5) ==
			    NULL, "unknown user");
	ASSERT_TRUE(users_find(NULL, "bob", "biloxi.com", DIGEST_ALG_MD5) ==
			    NULL, "no table");
	users_free(db);
}

struct users_bad_case {
	const char *line;	/* becomes line 3 of the file */
	const char *msg;	/* the whole message */
};

#define H64 "e65db393e748c5228939a6b4b2879e9ea5625cd79fd5267868cb568d69f6b97e"
#define U_PFX "t.htdigest:3: "

static const struct users_bad_case users_bad_cases[] = {
	{ "bob", U_PFX "expected user:realm:HA1" },
	{ "bob:biloxi.com", U_PFX "expected user:realm:HA1" },
	{ ":biloxi.com:" BOB_HA1_MD5, U_PFX "empty user name" },
	{ "bob::" BOB_HA1_MD5, U_PFX "empty realm" },
	{ "b\x01ob:biloxi.com:" BOB_HA1_MD5,
	  U_PFX "control character in the user name" },
	{ "bob:bi\tloxi.com:" BOB_HA1_MD5,
	  U_PFX "control character in the realm" },
	{ "bob:biloxi.com:12af", U_PFX "HA1 must be 32 hex digits" },
	{ "bob:biloxi.com:" BOB_HA1_MD5 "0",
	  U_PFX "HA1 must be 32 hex digits" },
	{ "bob:biloxi.com:12af60467a33e8518da5c68bbff12b1g",
	  U_PFX "HA1 must be 32 hex digits" },
	{ "bob:biloxi.com:" BOB_HA1_MD5 " ",
	  U_PFX "HA1 must be 32 hex digits" },
	{ "bob:biloxi.com:zanzibar", U_PFX "HA1 must be 32 hex digits" },
	{ "bob:biloxi.com:", U_PFX "no HA1: give the MD5 HA1 or an "
				   "ALGORITHM=HEX field" },
	{ "bob:biloxi.com:" BOB_HA1_MD5 ":",
	  U_PFX "expected ALGORITHM=HEX after the HA1" },
	{ "bob:biloxi.com:" BOB_HA1_MD5 ":" H64,
	  U_PFX "expected ALGORITHM=HEX after the HA1" },
	{ "bob:biloxi.com:" BOB_HA1_MD5 ":SHA-1=" H64,
	  U_PFX "unknown algorithm 'SHA-1'" },
	{ "bob:biloxi.com:" BOB_HA1_MD5 ":SHA-256=abc",
	  U_PFX "SHA-256 HA1 must be 64 hex digits" },
	{ "bob:biloxi.com:" BOB_HA1_MD5 ":SHA-256=" BOB_HA1_MD5,
	  U_PFX "SHA-256 HA1 must be 64 hex digits" },
	{ "bob:biloxi.com:" BOB_HA1_MD5 ":SHA-256=" H64 ":sha-256=" H64,
	  U_PFX "SHA-256 HA1 given twice" },
	{ "bob:biloxi.com::MD5=" BOB_HA1_MD5,
	  U_PFX "the MD5 HA1 belongs in the third field" },
	{ "bob:biloxi.com:" BOB_HA1_MD5 ":SHA-256-sess=" H64,
	  U_PFX "SHA-256-sess uses the SHA-256 HA1: write SHA-256=" },
	{ "alice:r:" BOB_HA1_MD5, U_PFX "duplicate entry for user 'alice' "
					"in realm 'r' (first on line 2)" },
};

TEST(users_malformed_lines)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(users_bad_cases); i++) {
		const struct users_bad_case *t = &users_bad_cases[i];
		struct users *db = (struct users *)&i;	/* must become NULL */
		char text[512], err[256] = "";
		int rc;

		snprintf(text, sizeof(text),
			 "# line 1\nalice:r:" BOB_HA1_MD5 "\n%s\nzed:r:"
			 BOB_HA1_MD5 "\n", t->line);
		rc = users_parse("t.htdigest", text, strlen(text), &db, err,
				 sizeof(err));
		ASSERT_EQ(rc, -EINVAL, t->line);
		ASSERT_TRUE(db == NULL, "no table from a bad file");
		if (!ASSERT_TRUE(!strcmp(err, t->msg), t->line))
			fprintf(stderr, "  got:  %s\n  want: %s\n", err,
				t->msg);
	}
}

TEST(users_nul_byte_and_whole_file_rejection)
{
	static const char text[] = "bob:r:" BOB_HA1_MD5 "\nal\0ice:r:"
				   BOB_HA1_MD5 "\n";
	struct users *db = NULL;
	char err[256] = "", big[64 * 10 + 64];
	size_t used = 0;
	int i;

	ASSERT_EQ(users_parse("f", text, sizeof(text) - 1, &db, err,
			      sizeof(err)), -EINVAL, "NUL in a line");
	ASSERT_TRUE(!strcmp(err, "f:2: NUL byte in the line"), err);

	/* Ten good lines and a bad eleventh: nothing is applied. */
	for (i = 0; i < 10; i++)
		used += (size_t)snprintf(big + used, sizeof(big) - used,
					 "u%d:r:%s\n", i, BOB_HA1_MD5);
	snprintf(big + used, sizeof(big) - used, "u10:r:nothex\n");
	ASSERT_EQ(users_parse("f", big, strlen(big), &db, err, sizeof(err)),
		  -EINVAL, "one bad line rejects the file");
	ASSERT_TRUE(db == NULL, "no partial table");
	ASSERT_TRUE(!strcmp(err, "f:11: HA1 must be 32 hex digits"), err);

	ASSERT_OK(users_parse("f", "", 0, &db, err, sizeof(err)),
		  "an empty file is a table of no users");
	ASSERT_EQ(users_count(db), 0, "no users");
	users_free(db);
}

struct realm_warnings {
	unsigned int n, lines[4];
	char users[4][16];
};

static void note_realm(void *ctx, unsigned int line, const char *user,
		       const char *realm)
{
	struct realm_warnings *w = ctx;

	(void)realm;
	if (w->n < 4) {
		w->lines[w->n] = line;
		snprintf(w->users[w->n], sizeof(w->users[0]), "%s", user);
	}
	w->n++;
}

/* siplbd -n and the worker: users of realm counted, each line of another
 * realm reported by line; none of ours is what they refuse. */
TEST(users_check_realm)
{
	static const char text[] =
		"# users\n"
		"alice:example.com:0123456789abcdef0123456789abcdef\n"
		"bob:Example.com:0123456789abcdef0123456789abcdef\n"
		"\n"
		"carol:other.org:0123456789abcdef0123456789abcdef\n"
		"dave:example.com:0123456789abcdef0123456789abcdef\n";
	struct realm_warnings w = { 0 };
	struct users *db = NULL;
	char err[128];

	if (!ASSERT_OK(users_parse("u", text, strlen(text), &db, err,
				   sizeof(err)), "parse"))
		return;
	ASSERT_EQ(users_check_realm(db, "example.com", note_realm, &w), 2,
		  "alice and dave are of example.com");
	ASSERT_EQ(w.n, 2, "two lines of another realm (case matters)");
	ASSERT_TRUE(w.lines[0] == 3 && !strcmp(w.users[0], "bob"),
		    "bob, line 3");
	ASSERT_TRUE(w.lines[1] == 5 && !strcmp(w.users[1], "carol"),
		    "carol, line 5");
	memset(&w, 0, sizeof(w));
	ASSERT_EQ(users_check_realm(db, "nowhere.net", note_realm, &w), 0,
		  "nobody of a realm the file does not name");
	ASSERT_EQ(w.n, 4, "every line warned then");
	ASSERT_EQ(users_check_realm(db, "other.org", NULL, NULL), 1,
		  "no callback: only counted");
	users_free(db);
}

TEST(users_load_from_disk)
{
	char path[] = "/tmp/siplb-users-XXXXXX", err[512], want[600];
	const char *line = "bob:biloxi.com:" BOB_HA1_MD5 "\n";
	struct users *db = NULL;
	int fd;

	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "temporary file"))
		return;
	ASSERT_EQ(write(fd, line, strlen(line)), (long long)strlen(line),
		  "write");
	ASSERT_EQ(write(fd, "bob:biloxi.com:x\n", 17), 17, "write");
	close(fd);
	ASSERT_EQ(users_load(path, &db, err, sizeof(err)), -EINVAL,
		  "duplicate-and-bad file");
	snprintf(want, sizeof(want), "%s:2: HA1 must be 32 hex digits", path);
	ASSERT_TRUE(!strcmp(err, want), err);

	fd = open(path, O_WRONLY | O_TRUNC);
	if (!ASSERT_TRUE(fd >= 0, "reopen the temporary file"))
		return;
	ASSERT_EQ(write(fd, line, strlen(line)), (long long)strlen(line),
		  "rewrite");
	close(fd);
	ASSERT_OK(users_load(path, &db, err, sizeof(err)), err);
	ASSERT_TRUE(users_find(db, "bob", "biloxi.com", DIGEST_ALG_MD5) !=
			    NULL, "loaded from disk");
	users_free(db);
	unlink(path);

	ASSERT_EQ(users_load(path, &db, err, sizeof(err)), -ENOENT,
		  "missing file");
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	ASSERT_TRUE(!strcmp(err, want), err);
	ASSERT_EQ(users_load("/tmp", &db, err, sizeof(err)), -EINVAL,
		  "a directory");
	ASSERT_TRUE(!strcmp(err, "/tmp: not a regular file"), err);
}

TEST(users_format_line_and_ha1)
{
	char line[512], ha1[DIGEST_HEX_SIZE];

	ASSERT_OK(users_format_line("bob", "biloxi.com", "zanzibar", 0, line,
				    sizeof(line)), "MD5 and SHA-256");
	ASSERT_TRUE(!strcmp(line, "bob:biloxi.com:" BOB_HA1_MD5 ":SHA-256="
				  BOB_SHA256), line);
	ASSERT_OK(users_format_line("bob", "biloxi.com", "zanzibar",
				    DIGEST_ALG_BIT(DIGEST_ALG_SHA256), line,
				    sizeof(line)), "SHA-256 only");
	ASSERT_TRUE(!strcmp(line, "bob:biloxi.com::SHA-256=" BOB_SHA256),
		    line);
	ASSERT_EQ(users_format_line("bob", "biloxi.com", "zanzibar", 0, line,
				    40), -ENOSPC, "small buffer");
	ASSERT_EQ(users_format_line("b:ob", "biloxi.com", "x", 0, line,
				    sizeof(line)), -EINVAL, "':' in user");
	ASSERT_EQ(users_ha1(DIGEST_ALG_MD5, "bob", "bi\nloxi", "x", ha1),
		  -EINVAL, "newline in realm");
	ASSERT_EQ(users_ha1(DIGEST_ALG_MD5, "", "r", "x", ha1), -EINVAL,
		  "empty user");
	ASSERT_OK(users_ha1(DIGEST_ALG_MD5, "Mufasa", "testrealm@host.com",
			    "Circle Of Life", ha1), "RFC 2617 HA1");
	ASSERT_TRUE(!strcmp(ha1, MUFASA_HA1), "RFC 2617 HA1 value");
}

TEST(users_ten_thousand)
{
	enum { N = 10000 };
	const size_t line_max = 160;
	char *text = malloc(N * line_max), user[32], err[256] = "";
	char ha1[DIGEST_HEX_SIZE];
	struct users *db = NULL;
	struct timespec t0;
	size_t used = 0;
	int i, found = 0, right = 0, absent = 0;

	if (!ASSERT_TRUE(text != NULL, "memory"))
		return;
	for (i = 0; i < N; i++) {
		snprintf(user, sizeof(user), "user%05d", i);
		if (users_format_line(user, "biloxi.com", user, 0, text + used,
				      line_max - 1))
			break;
		used += strlen(text + used);
		text[used++] = '\n';
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_OK(users_parse("big", text, used, &db, err, sizeof(err)), err);
	testlib_note("  parsed %d users in %.4f s\n", N, seconds_since(&t0));
	ASSERT_EQ(users_count(db), N, "all users loaded");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < N; i++) {
		const char *h;

		snprintf(user, sizeof(user), "user%05d", i);
		h = users_find(db, user, "biloxi.com", DIGEST_ALG_SHA256);
		found += h != NULL;
		absent += users_find(db, user, "biloxi.org",
				     DIGEST_ALG_SHA256) == NULL;
		if (h && i % 97 == 0) {
			users_ha1(DIGEST_ALG_SHA256, user, "biloxi.com", user,
				  ha1);
			right += !strcmp(h, ha1);
		}
	}
	testlib_note("  %d lookups in %.4f s\n", 2 * N, seconds_since(&t0));
	ASSERT_EQ(found, N, "every user found");
	ASSERT_EQ(absent, N, "nobody found in another realm");
	ASSERT_EQ(right, (N + 96) / 97, "sampled HA1s are the right ones");
	users_free(db);
	explicit_bzero(text, N * line_max);
	free(text);
}

/* A configured order is followed exactly: MD5 first for clients that read
 * only the first challenge. */
TEST(challenge_follows_configured_order)
{
	const enum digest_alg order[] = { DIGEST_ALG_MD5, DIGEST_ALG_SHA256 };
	const enum digest_alg twice[] = { DIGEST_ALG_MD5, DIGEST_ALG_MD5 };
	struct digest_challenge_opts o = {
		.realm = "example.com", .nonce = "abc",
		.order = order, .norder = 2,
	};
	char buf[1024];
	char *md5, *sha;
	size_t len;

	if (!ASSERT_OK(digest_challenge(&o, buf, sizeof(buf), &len),
		       "challenge"))
		return;
	md5 = strstr(buf, "algorithm=MD5");
	sha = strstr(buf, "algorithm=SHA-256");
	ASSERT_TRUE(md5 && sha && md5 < sha, "MD5 line before SHA-256 line");
	ASSERT_TRUE(!strstr(buf, "SHA-512-256"), "only the configured ones");
	o.order = twice;
	ASSERT_EQ(digest_challenge(&o, buf, sizeof(buf), &len), -EINVAL,
		  "an algorithm twice is refused");
}

int main(int argc, char **argv)
{
	int rc = testlib_main(argc, argv);

	if (vectors_skipped)
		testlib_note("%d vectors skipped (algorithm not available)\n",
			     vectors_skipped);
	return rc;
}
