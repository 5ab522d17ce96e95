// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * slice.c - slices, the character classes of RFC 3261 25.1 and the lexer
 * over slices that the URI and message parsers share (see slice.h).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "slice.h"

/* ---- character classes -------------------------------------------- */

#define CC_ALNUM (SIP_CC_TOKEN | SIP_CC_UNRESERVED | SIP_CC_WORD | \
		  SIP_CC_HOST | SIP_CC_URIC)
#define CC_MARK (SIP_CC_UNRESERVED | SIP_CC_URIC)

/* Each character appears once: -Woverride-init forbids overlaps. */
const uint16_t sip_ctype[256] = {
	['a' ... 'z'] = CC_ALNUM,
	['A' ... 'Z'] = CC_ALNUM,
	['0' ... '9'] = CC_ALNUM | SIP_CC_DIGIT,
	['-'] = CC_MARK | SIP_CC_TOKEN | SIP_CC_WORD | SIP_CC_HOST,
	['.'] = CC_MARK | SIP_CC_TOKEN | SIP_CC_WORD | SIP_CC_HOST,
	['!'] = CC_MARK | SIP_CC_TOKEN | SIP_CC_WORD,
	['*'] = CC_MARK | SIP_CC_TOKEN | SIP_CC_WORD,
	['_'] = CC_MARK | SIP_CC_TOKEN | SIP_CC_WORD,
	['~'] = CC_MARK | SIP_CC_TOKEN | SIP_CC_WORD,
	['\''] = CC_MARK | SIP_CC_TOKEN | SIP_CC_WORD,
	['('] = CC_MARK | SIP_CC_WORD,
	[')'] = CC_MARK | SIP_CC_WORD,
	['%'] = SIP_CC_TOKEN | SIP_CC_WORD | SIP_CC_URIC,
	['+'] = SIP_CC_TOKEN | SIP_CC_WORD | SIP_CC_USER | SIP_CC_PASSWORD |
		SIP_CC_PARAM | SIP_CC_HNV | SIP_CC_URIC,
	['`'] = SIP_CC_TOKEN | SIP_CC_WORD,
	['<'] = SIP_CC_WORD,
	['>'] = SIP_CC_WORD,
	['\\'] = SIP_CC_WORD,
	['"'] = SIP_CC_WORD,
	['{'] = SIP_CC_WORD,
	['}'] = SIP_CC_WORD,
	[':'] = SIP_CC_WORD | SIP_CC_PARAM | SIP_CC_HNV | SIP_CC_URIC,
	['/'] = SIP_CC_WORD | SIP_CC_USER | SIP_CC_PARAM | SIP_CC_HNV |
		SIP_CC_URIC,
	['['] = SIP_CC_WORD | SIP_CC_PARAM | SIP_CC_HNV | SIP_CC_URIC,
	[']'] = SIP_CC_WORD | SIP_CC_PARAM | SIP_CC_HNV | SIP_CC_URIC,
	['?'] = SIP_CC_WORD | SIP_CC_USER | SIP_CC_HNV | SIP_CC_URIC,
	['&'] = SIP_CC_USER | SIP_CC_PASSWORD | SIP_CC_PARAM | SIP_CC_URIC,
	['$'] = SIP_CC_USER | SIP_CC_PASSWORD | SIP_CC_PARAM | SIP_CC_HNV |
		SIP_CC_URIC,
	['='] = SIP_CC_USER | SIP_CC_PASSWORD | SIP_CC_URIC,
	[','] = SIP_CC_USER | SIP_CC_PASSWORD | SIP_CC_URIC,
	[';'] = SIP_CC_USER | SIP_CC_URIC,
	['@'] = SIP_CC_URIC,
	['#'] = SIP_CC_URIC,
};

/* ---- slices ------------------------------------------------------- */

struct sip_slice sip_slice_str(const char *s)
{
	return sip_slice_make(s, strlen(s));
}

bool sip_slice_eq(struct sip_slice a, struct sip_slice b)
{
	return a.len == b.len && (a.len == 0 || !memcmp(a.p, b.p, a.len));
}

bool sip_slice_caseeq(struct sip_slice a, struct sip_slice b)
{
	return a.len == b.len && (a.len == 0 || !strncasecmp(a.p, b.p, a.len));
}

bool sip_slice_eq_str(struct sip_slice a, const char *s)
{
	return sip_slice_eq(a, sip_slice_str(s));
}

bool sip_slice_caseeq_str(struct sip_slice a, const char *s)
{
	return sip_slice_caseeq(a, sip_slice_str(s));
}

struct sip_slice sip_slice_trim(struct sip_slice s)
{
	while (s.len && sip_is_lws_char(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && sip_is_lws_char(s.p[s.len - 1]))
		s.len--;
	return s;
}

int sip_slice_to_uint(struct sip_slice s, uint64_t max, uint64_t *val)
{
	bool range = false;
	uint64_t v = 0;
	size_t i;

	if (!s.len)
		return -EINVAL;
	for (i = 0; i < s.len; i++) {
		unsigned int d;

		if (!sip_char_is(s.p[i], SIP_CC_DIGIT))
			return -EINVAL;
		d = s.p[i] - '0';
		/* Keep scanning after an overflow so that "99..9x" is
		 * reported as not a number rather than as too large. */
		if (v > (max - d) / 10)
			range = true;
		else
			v = v * 10 + d;
	}
	if (range)
		return -ERANGE;
	*val = v;
	return 0;
}

int sip_slice_to_u32(struct sip_slice s, uint32_t *val)
{
	uint64_t v;
	int err;

	err = sip_slice_to_uint(s, UINT32_MAX, &v);
	if (!err)
		*val = (uint32_t)v;
	return err;
}

/* ---- lexer -------------------------------------------------------- */

size_t sip_fold_len(const char *p, size_t n)
{
	if (n >= 3 && p[0] == '\r' && p[1] == '\n' && sip_is_ws(p[2]))
		return 2;
	if (n >= 2 && p[0] == '\n' && sip_is_ws(p[1]))
		return 1;
	return 0;
}

void sip_slice_skip_lws(struct sip_slice *s)
{
	size_t i = 0, nl;

	while (i < s->len) {
		if (sip_is_ws(s->p[i])) {
			i++;
			continue;
		}
		nl = sip_fold_len(s->p + i, s->len - i);
		if (!nl)
			break;
		i += nl;
	}
	sip_slice_advance(s, i);
}

struct sip_slice sip_slice_take(struct sip_slice *s, unsigned int classes)
{
	size_t i = 0;

	while (i < s->len && sip_char_is(s->p[i], classes))
		i++;
	sip_slice_advance(s, i);
	return sip_slice_make(s->p - i, i);
}

bool sip_slice_take_char(struct sip_slice *s, char c)
{
	if (!s->len || s->p[0] != c)
		return false;
	sip_slice_advance(s, 1);
	return true;
}
