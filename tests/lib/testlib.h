/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * testlib.h - assertions and a test registry for siplb's C tests, in the
 * manner of the kernel's test_progs: every ASSERT_* says what it expected,
 * prints what it got, counts the failure, and returns a bool so that a
 * test can stop at the first broken precondition:
 *
 *	if (!ASSERT_EQ(verdict, XDP_TX, "INVITE verdict"))
 *		return;
 *
 * A test program defines its tests with TEST(name) and calls
 * testlib_main(argc, argv), which runs all of them (or those whose names
 * contain argv[1]) and exits non-zero if any assertion failed or no test ran.
 *
 * The output is TAP (version 13), read by `prove` as the kernel's
 * kselftests and git's test suite are: a plan "1..N", then "ok N - name" or
 * "not ok N - name" per test. A test that cannot run here calls
 * testlib_skip() and returns ("ok N - name # SKIP why"); a program that
 * cannot run at all calls testlib_skip_all() or testlib_require_root()
 * before testlib_main() ("1..0 # SKIP why"). Anything else a test prints
 * goes through testlib_note() ("# " lines on stdout); a failed assertion's
 * diagnostic is a "# " line on stderr, so that prove shows it even when it
 * hides the comments.
 */
#ifndef SIPLB_TESTLIB_H
#define SIPLB_TESTLIB_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct testlib_case {
	const char *name;
	void (*fn)(void);
};

extern int testlib_failures;
extern const char *testlib_current;

#define TESTLIB_MAX_CASES 256
extern struct testlib_case testlib_cases[TESTLIB_MAX_CASES];
extern int testlib_ncases;

void testlib_register(const char *name, void (*fn)(void));
int testlib_main(int argc, char **argv);
bool testlib_report(bool ok, const char *file, int line, const char *what,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void testlib_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A "what" for an assertion, built with printf (four alive at once). */
const char *testlib_say(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void testlib_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void testlib_skip_all(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void testlib_require_root(const char *why);

/* Define and register a test (constructor runs before main). */
#define TEST(name)                                                            \
	static void test_##name(void);                                        \
	__attribute__((constructor)) static void register_##name(void)        \
	{                                                                     \
		testlib_register(#name, test_##name);                         \
	}                                                                     \
	static void test_##name(void)

#define ASSERT_TRUE(cond, what)                                               \
	testlib_report(!!(cond), __FILE__, __LINE__, (what),                  \
		       "expected true: %s", #cond)

#define ASSERT_FALSE(cond, what)                                              \
	testlib_report(!(cond), __FILE__, __LINE__, (what),                   \
		       "expected false: %s", #cond)

#define ASSERT_EQ(got, want, what)                                            \
	({                                                                    \
		long long got_ = (long long)(got), want_ = (long long)(want); \
		testlib_report(got_ == want_, __FILE__, __LINE__, (what),     \
			       "%s = %lld, expected %lld", #got, got_, want_);\
	})

#define ASSERT_NEQ(got, other, what)                                          \
	({                                                                    \
		long long got_ = (long long)(got), oth_ = (long long)(other); \
		testlib_report(got_ != oth_, __FILE__, __LINE__, (what),      \
			       "%s = %lld, expected anything else", #got, got_);\
	})

#define ASSERT_LE(got, max, what)                                             \
	({                                                                    \
		double got_ = (double)(got), max_ = (double)(max);            \
		testlib_report(got_ <= max_, __FILE__, __LINE__, (what),      \
			       "%s = %g, expected <= %g", #got, got_, max_);  \
	})

#define ASSERT_GE(got, min, what)                                             \
	({                                                                    \
		double got_ = (double)(got), min_ = (double)(min);            \
		testlib_report(got_ >= min_, __FILE__, __LINE__, (what),      \
			       "%s = %g, expected >= %g", #got, got_, min_);  \
	})

#define ASSERT_OK(err, what)                                                  \
	({                                                                    \
		long long err_ = (long long)(err);                            \
		testlib_report(err_ == 0, __FILE__, __LINE__, (what),         \
			       "%s = %lld (%s), expected 0", #err, err_,      \
			       err_ < 0 ? strerror((int)-err_) : "-");        \
	})

#define ASSERT_MEM_EQ(got, want, len, what)                                   \
	testlib_report(memcmp((got), (want), (len)) == 0, __FILE__, __LINE__, \
		       (what), "%s differs from %s over %zu bytes", #got,     \
		       #want, (size_t)(len))

#endif /* SIPLB_TESTLIB_H */
