// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * json.c - JSON strings from untrusted bytes (json.h).
 */
#include <string.h>

#include "json.h"

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629 table 3, which
 * also rules out overlong forms and surrogates), or 0 if there is none.
 */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f; /* no surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f; /* nothing above U+10FFFF */
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

void json_string(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	fputc('"', out);
	while (i < len && p[i]) {
		if (p[i] == '"' || p[i] == '\\') {
			fprintf(out, "\\%c", p[i++]);
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			fprintf(out, "\\u%04x", p[i++]);
		} else if (p[i] < 0x80) {
			fputc(p[i++], out);
		} else if ((n = utf8_seq(p + i, strnlen(s + i, len - i)))) {
			fwrite(p + i, 1, n, out);
			i += n;
		} else {
			fprintf(out, "\\u%04x", p[i++]);
		}
	}
	fputc('"', out);
}

void json_cstring(FILE *out, const char *s)
{
	json_string(out, s, strlen(s));
}

void json_u64_member(FILE *out, bool first, const char *name,
		     unsigned long long value)
{
	if (!first)
		fputc(',', out);
	json_cstring(out, name);
	fprintf(out, ":%llu", value);
}
