/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * digest.h - HTTP Digest authentication as SIP uses it (RFC 2617, RFC 7616,
 * RFC 8760 for SHA-256 and SHA-512-256 in SIP, RFC 3261 section 22.4).
 *
 * Three jobs, each one function:
 *
 *   digest_parse()     the one tokenizer for an Authorization or
 *                      Proxy-Authorization value; every required field is
 *                      checked there, so later code trusts the result;
 *   digest_verify()    recompute the response from the stored HA1 and
 *                      compare in constant time;
 *   digest_challenge() the WWW-Authenticate / Proxy-Authenticate lines of a
 *                      401 / 407, one per algorithm, most preferred first.
 *
 * The server never sees a password: it keeps HA1 = H(user:realm:password)
 * per algorithm (users.h) and never stores the value a client sends.
 *
 * Errors follow one rule so that the registrar can pick its answer:
 *   -EINVAL   the header is malformed: answer 400 Bad Request;
 *   -ENOTSUP  well-formed but something this server does not do (another
 *             scheme, qop=auth-int, an unknown algorithm, username*):
 *             answer with a fresh challenge;
 *   -EACCES   digest_verify(): the response does not match;
 *   -ENOSPC   a caller-provided buffer is too small.
 */
#ifndef SIPLB_DIGEST_H
#define SIPLB_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hash algorithms; "-sess" variants are the same hash (struct digest_creds). */
enum digest_alg {
	DIGEST_ALG_MD5,
	DIGEST_ALG_SHA256,
	DIGEST_ALG_SHA512_256,	/* FIPS 180-4 SHA-512/256, not cut SHA-512 */
	DIGEST_ALG_COUNT,
};

#define DIGEST_ALG_BIT(alg) (1u << (alg))
/* What digest_challenge() offers when the caller does not say. */
#define DIGEST_ALGS_DEFAULT \
	(DIGEST_ALG_BIT(DIGEST_ALG_SHA256) | DIGEST_ALG_BIT(DIGEST_ALG_MD5))

/* Longest hex digest (SHA-256, SHA-512-256) and a buffer for it with NUL. */
#define DIGEST_HEX_MAX 64
#define DIGEST_HEX_SIZE (DIGEST_HEX_MAX + 1)

/* The algorithm's name as in the algorithm= parameter ("SHA-256"). */
const char *digest_alg_name(enum digest_alg alg);
/* Hex digits of its output: 32 for MD5, 64 for the others. */
size_t digest_alg_hexlen(enum digest_alg alg);
/* False if this OpenSSL (or its providers, e.g. FIPS without MD5) lacks it. */
bool digest_alg_available(enum digest_alg alg);
/*
 * Map an algorithm name, case-insensitively, to alg and *sess ("MD5-sess");
 * sess may be NULL, in which case "-sess" names are refused. -ENOTSUP if
 * the name is unknown.
 */
int digest_alg_parse(const char *name, size_t len, enum digest_alg *alg,
		     bool *sess);

/* A parsed value: NUL-terminated, unescaped; "" (len 0) when absent. */
struct digest_str {
	const char *s;
	size_t len;
};

/* The credentials of one Authorization header, as digest_parse() left them. */
struct digest_creds {
	struct digest_str username;
	struct digest_str realm;
	struct digest_str nonce;
	struct digest_str uri;		/* digest-uri exactly as sent */
	struct digest_str response;	/* hex, length digest_alg_hexlen(alg) */
	struct digest_str cnonce;	/* with qop only */
	struct digest_str nc;		/* with qop only: 8 hex digits */
	struct digest_str qop;		/* "auth" in the client's case, or "" */
	struct digest_str opaque;
	enum digest_alg alg;		/* MD5 when algorithm= is absent */
	bool sess;			/* MD5-sess, SHA-256-sess, ... */
	bool has_qop;			/* false: RFC 2069 response */
	uint32_t nc_value;		/* nc as a number (with qop only) */
};

/* Enough room for digest_parse() of a header value of len bytes. */
#define DIGEST_PARSE_BUFSZ(len) ((len) + 1)

/*
 * Parse an Authorization / Proxy-Authorization header value (what follows
 * the colon, folded or not): scheme "Digest", then name=value or
 * name="quoted" parameters. Values are unescaped (quoted-pair) into buf,
 * which must outlive creds; DIGEST_PARSE_BUFSZ(len) bytes always suffice.
 * Parameter names are case-insensitive; unknown parameters are skipped; a
 * known parameter given twice is an error. On error *why (if why is not
 * NULL) is a static English sentence fit for a log line.
 */
int digest_parse(const char *value, size_t len, char *buf, size_t bufsz,
		 struct digest_creds *creds, const char **why);

/*
 * H(p[0]:p[1]:...:p[n-1]) as lower-case hex into out (DIGEST_HEX_SIZE).
 * -ENOTSUP if the algorithm is not available, -ENOMEM if OpenSSL fails.
 */
int digest_hash_hex(enum digest_alg alg, const struct digest_str *parts,
		    size_t n, char *out);

/*
 * The response a client with HA1 ha1_hex (hex, either case) should have sent
 * for creds and the request method, into out (DIGEST_HEX_SIZE). For tests
 * and for clients; a server calls digest_verify().
 */
int digest_compute_response(const struct digest_creds *creds,
			    const char *method, size_t method_len,
			    const char *ha1_hex, char *out);

/*
 * 0 if creds->response is right for method and the stored HA1 (hex, of
 * creds->alg), -EACCES if not, another -errno if it cannot be computed.
 * The comparison takes the same time wherever the first difference is.
 * It does not check the nonce (nonce.h) or that realm is this server's.
 */
int digest_verify(const struct digest_creds *creds, const char *method,
		  size_t method_len, const char *ha1_hex);

struct digest_challenge_opts {
	const char *realm;
	const char *nonce;
	const char *opaque;	/* NULL or "": none sent */
	unsigned int algs;	/* DIGEST_ALG_BIT()s; 0: DIGEST_ALGS_DEFAULT */
	const enum digest_alg *order;	/* if set: exactly these, in this */
	size_t norder;			/* order (algs is then ignored) */
	bool stale;		/* nonce ours but too old: no re-prompt */
	bool proxy;		/* Proxy-Authenticate (407), not WWW- (401) */
};

/*
 * Write the challenge header lines, each ending in CRLF, into buf (NUL-
 * terminated) and their length into *len: one line per algorithm, in the
 * order of preference RFC 8760 asks of a UAS (SHA-512-256, SHA-256, MD5),
 * each with realm, nonce, qop="auth", algorithm and, if asked, opaque and
 * stale=true.
 * -EINVAL if a value cannot be sent (control characters, no realm or
 * nonce, no algorithm), -ENOTSUP if an asked algorithm is not available.
 */
int digest_challenge(const struct digest_challenge_opts *opts, char *buf,
		     size_t bufsz, size_t *len);

#endif /* SIPLB_DIGEST_H */
