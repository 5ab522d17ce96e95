// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * testlib.c - the runner behind tests/lib/testlib.h. It writes TAP
 * version 13 on stdout: the plan first (the tests to run are known before
 * any runs), one result line per test, everything else as "# " comments,
 * so that prove can tell a test program that passed from one that
 * crashed half-way (fewer results than planned).
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "testlib.h"

int testlib_failures;
const char *testlib_current = "?";
struct testlib_case testlib_cases[TESTLIB_MAX_CASES];
int testlib_ncases;

/* Why the running test skipped itself ("" if it did not). */
static char skip_reason[256];
/* testlib_note() left a line without its newline. */
static bool note_open;

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

/* Write text to f with "# " at the start of each line; returns whether
 * the last line is still open (no newline yet). */
static bool comment_out(FILE *f, const char *text, bool open)
{
	for (; *text; text++) {
		if (!open)
			fputs("# ", f);
		fputc(*text, f);
		open = *text != '\n';
	}
	return open;
}

static void comment_vf(FILE *f, bool *open, const char *fmt, va_list ap)
{
	char buf[4096];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	*open = comment_out(f, buf, *open);
}

/* End a note line left open, so that a result line starts a line. */
static void note_close(void)
{
	if (note_open)
		putchar('\n');
	note_open = false;
}

void testlib_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	comment_vf(stdout, &note_open, fmt, ap);
	va_end(ap);
}

const char *testlib_say(const char *fmt, ...)
{
	static char ring[4][256];
	static unsigned int next;
	char *buf = ring[next++ % 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(ring[0]), fmt, ap);
	va_end(ap);
	return buf;
}

bool testlib_report(bool ok, const char *file, int line, const char *what,
		    const char *fmt, ...)
{
	bool open = true;	/* after the "# FAIL ..." prefix */
	va_list ap;

	if (ok)
		return true;
	testlib_failures++;
	/* stderr is not buffered: what the test wrote before goes first. */
	fflush(stdout);
	fprintf(stderr, "# FAIL %s: %s (%s:%d): ", testlib_current, what, file,
		line);
	va_start(ap, fmt);
	comment_vf(stderr, &open, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return false;
}

void testlib_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(skip_reason, sizeof(skip_reason), fmt, ap);
	va_end(ap);
	if (!skip_reason[0])
		snprintf(skip_reason, sizeof(skip_reason), "skipped");
}

void testlib_skip_all(const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printf("TAP version 13\n1..0 # SKIP %s\n", why);
	exit(0);
}

/* BPF maps and programs, network namespaces: a non-root run skips rather
 * than fails, so that a developer's `prove` without sudo says why. */
void testlib_require_root(const char *why)
{
	if (geteuid() != 0)
		testlib_skip_all("needs root (%s)", why);
}

static bool selected(int i, const char *filter)
{
	return !filter || strstr(testlib_cases[i].name, filter);
}

/* Run test i, print its result line; returns whether it failed. */
static bool run_case(int i, int n)
{
	int before = testlib_failures;
	bool failed;

	testlib_current = testlib_cases[i].name;
	skip_reason[0] = '\0';
	testlib_cases[i].fn();
	note_close();
	failed = testlib_failures != before;
	printf("%sok %d - %s", failed ? "not " : "", n, testlib_current);
	if (skip_reason[0] && !failed)
		printf(" # SKIP %s", skip_reason);
	putchar('\n');
	return failed;
}

int testlib_main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int planned = 0, ran = 0, failed = 0, i;

	/* Results and diagnostics (stderr) in the order they happened. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < testlib_ncases; i++)
		planned += selected(i, filter);
	if (planned == 0) {
		fprintf(stderr, "no test matched '%s'\n", filter ? filter : "");
		return 1;
	}
	printf("TAP version 13\n1..%d\n", planned);
	for (i = 0; i < testlib_ncases; i++) {
		if (selected(i, filter))
			failed += run_case(i, ++ran);
	}
	note_close();
	if (testlib_failures)
		testlib_note("%d of %d tests failed, %d failed assertions\n",
			     failed, ran, testlib_failures);
	return testlib_failures ? 1 : 0;
}
