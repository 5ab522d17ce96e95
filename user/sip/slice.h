/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * slice.h - the slice (pointer + length) that siplb's SIP parser hands out
 * instead of copies, the character classes of RFC 3261's grammar, and the
 * small lexer over slices that the URI and message parsers share. After
 * libre's struct pl (src/fmt/pl.c).
 *
 * A slice points into a buffer owned by someone else, which must outlive
 * it. Nothing here copies, unescapes or NUL-terminates, never reads
 * outside the slice it is given, and never hands message bytes to str*()
 * functions, so a NUL byte in a message is just another byte.
 *
 * sip_uri.h (URIs, parameters, addresses) and sip_msg.h (messages) are
 * built on this; it depends on nothing but libc.
 */
#ifndef SIPLB_SLICE_H
#define SIPLB_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes [p, p + len) of a buffer owned by someone else. */
struct sip_slice {
	const char *p;
	size_t len;
};

/* A slice of a string literal, without its NUL. */
#define SIP_SLICE_LIT(s) ((struct sip_slice){ (s), sizeof(s) - 1 })

static inline struct sip_slice sip_slice_make(const char *p, size_t len)
{
	return (struct sip_slice){ p, len };
}

/* A slice of a C string (configuration, tests): never of message data. */
struct sip_slice sip_slice_str(const char *s);

bool sip_slice_eq(struct sip_slice a, struct sip_slice b);
bool sip_slice_caseeq(struct sip_slice a, struct sip_slice b);
bool sip_slice_eq_str(struct sip_slice a, const char *s);
bool sip_slice_caseeq_str(struct sip_slice a, const char *s);

/* Without leading and trailing linear white space (SP, HTAB, CR, LF). */
struct sip_slice sip_slice_trim(struct sip_slice s);

/*
 * 1*DIGIT as an unsigned number no larger than max. Returns 0, -EINVAL
 * (empty, or not only digits: no sign, no white space) or -ERANGE (> max;
 * leading zeros are fine, "0009" is 9).
 */
int sip_slice_to_uint(struct sip_slice s, uint64_t max, uint64_t *val);
int sip_slice_to_u32(struct sip_slice s, uint32_t *val);

/*
 * Character classes of RFC 3261 section 25.1, one bit each, for
 * sip_char_is(c, SIP_CC_TOKEN | ...). alphanum is in every class but
 * PASSWORD/USER/PARAM/HNV, which name only the punctuation that the
 * grammar adds to "unreserved" for that part of a URI.
 */
enum sip_char_class {
	SIP_CC_TOKEN = 1 << 0,	   /* methods, header names, params */
	SIP_CC_UNRESERVED = 1 << 1, /* alphanum / mark */
	SIP_CC_USER = 1 << 2,	   /* user-unreserved: & = + $ , ; ? / */
	SIP_CC_PASSWORD = 1 << 3,  /* password extras: & = + $ , */
	SIP_CC_PARAM = 1 << 4,	   /* param-unreserved: [ ] / : & + $ */
	SIP_CC_HNV = 1 << 5,	   /* hnv-unreserved: [ ] / ? : + $ */
	SIP_CC_WORD = 1 << 6,	   /* word: the Call-ID alphabet */
	SIP_CC_HOST = 1 << 7,	   /* hostname and IPv4: alphanum - . */
	SIP_CC_URIC = 1 << 8,	   /* any URI character (RFC 2396, #) */
	SIP_CC_DIGIT = 1 << 9,
};

extern const uint16_t sip_ctype[256];

static inline bool sip_char_is(unsigned char c, unsigned int classes)
{
	return sip_ctype[c] & classes;
}

/* SP or HTAB. */
static inline bool sip_is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* A character of linear white space: SP, HTAB, CR or LF. */
static inline bool sip_is_lws_char(char c)
{
	return sip_is_ws(c) || c == '\r' || c == '\n';
}

/*
 * A small lexer over a slice, shared by the header parsers. Each consumes
 * from the front of *s and never reads past its end.
 */
/* Drop the first n bytes (n <= s->len). */
static inline void sip_slice_advance(struct sip_slice *s, size_t n)
{
	s->p += n;
	s->len -= n;
}

/* Length of a line fold at p (the line break only), or 0 if none. */
size_t sip_fold_len(const char *p, size_t n);
/* Skip LWS: SP, HTAB and line folds (CRLF or LF followed by SP/HTAB). */
void sip_slice_skip_lws(struct sip_slice *s);
/* Take the leading run of characters of the given classes. */
struct sip_slice sip_slice_take(struct sip_slice *s, unsigned int classes);
/* Take c if it is the next character. */
bool sip_slice_take_char(struct sip_slice *s, char c);

#endif /* SIPLB_SLICE_H */
