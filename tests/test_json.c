// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_json.c - the JSON string writer (user/lib/json.c): a table of
 * byte strings, hostile ones included, and the exact JSON each must give.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "testlib.h"

static const struct {
	const char *name;
	const char *in;
	size_t len;
	const char *want;
} cases[] = {
	{ "plain", "sip:alice@example.com", 21, "\"sip:alice@example.com\"" },
	{ "quote and backslash", "a\"b\\c", 5, "\"a\\\"b\\\\c\"" },
	{ "control characters", "a\r\n\tb\x01\x1f\x7f", 9,
	  "\"a\\u000d\\u000a\\u0009b\\u0001\\u001f\\u007f\"" },
	{ "stops at NUL", "ab\0cd", 5, "\"ab\"" },
	{ "stops at len", "abcdef", 3, "\"abc\"" },
	{ "UTF-8 kept", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
	  "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"" },
	{ "stray continuation", "a\x80z", 3, "\"a\\u0080z\"" },
	{ "lone lead byte at end", "a\xc3", 2, "\"a\\u00c3\"" },
	{ "sequence cut by len", "\xe2\x82\xac", 2, "\"\\u00e2\\u0082\"" },
	{ "overlong slash", "\xc0\xaf", 2, "\"\\u00c0\\u00af\"" },
	{ "overlong 3 bytes", "\xe0\x80\xaf", 3, "\"\\u00e0\\u0080\\u00af\"" },
	{ "surrogate", "\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\"" },
	{ "above U+10FFFF", "\xf4\x90\x80\x80", 4,
	  "\"\\u00f4\\u0090\\u0080\\u0080\"" },
	{ "0xff", "\xff\xfe", 2, "\"\\u00ff\\u00fe\"" },
	{ "lead then ASCII", "\xc3(", 2, "\"\\u00c3(\"" },
};

TEST(json_string_table)
{
	size_t i, len;
	char *buf;
	FILE *out;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf = NULL;
		out = open_memstream(&buf, &len);
		if (!ASSERT_TRUE(out != NULL, "open_memstream"))
			return;
		json_string(out, cases[i].in, cases[i].len);
		fclose(out);
		if (!ASSERT_TRUE(!strcmp(buf, cases[i].want), cases[i].name))
			testlib_note("got %s, want %s", buf, cases[i].want);
		free(buf);
	}
}

TEST(json_u64_member_commas)
{
	size_t len;
	char *buf = NULL;
	FILE *out = open_memstream(&buf, &len);

	if (!ASSERT_TRUE(out != NULL, "open_memstream"))
		return;
	json_u64_member(out, true, "a", 1);
	json_u64_member(out, false, "b\"", 18446744073709551615ULL);
	fclose(out);
	ASSERT_TRUE(!strcmp(buf, "\"a\":1,\"b\\\"\":18446744073709551615"),
		    "members");
	free(buf);
}

int main(int argc, char **argv)
{
	return testlib_main(argc, argv);
}
