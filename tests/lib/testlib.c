// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* testlib.c - the runner behind tests/lib/testlib.h. */
#include <stdarg.h>

#include "testlib.h"

int testlib_failures;
const char *testlib_current = "?";
struct testlib_case testlib_cases[TESTLIB_MAX_CASES];
int testlib_ncases;

void testlib_register(const char *name, void (*fn)(void))
{
	if (testlib_ncases == TESTLIB_MAX_CASES) {
		fprintf(stderr, "testlib: more than %d tests\n",
			TESTLIB_MAX_CASES);
		exit(2);
	}
	testlib_cases[testlib_ncases].name = name;
	testlib_cases[testlib_ncases].fn = fn;
	testlib_ncases++;
}

bool testlib_report(bool ok, const char *file, int line, const char *what,
		    const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	testlib_failures++;
	fprintf(stderr, "FAIL %s: %s (%s:%d): ", testlib_current, what, file,
		line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return false;
}

int testlib_main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int ran = 0, i;

	for (i = 0; i < testlib_ncases; i++) {
		int before = testlib_failures;

		if (filter && !strstr(testlib_cases[i].name, filter))
			continue;
		testlib_current = testlib_cases[i].name;
		testlib_cases[i].fn();
		ran++;
		printf("%s %s\n", testlib_failures == before ? "ok  " : "FAIL",
		       testlib_cases[i].name);
	}
	if (ran == 0) {
		fprintf(stderr, "no test matched '%s'\n", filter ? filter : "");
		return 1;
	}
	printf("%d tests, %d failed assertions\n", ran, testlib_failures);
	return testlib_failures ? 1 : 0;
}
