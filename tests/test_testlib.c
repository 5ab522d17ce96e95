// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_testlib.c - the runner itself: what prove reads from every test
 * program. The program runs itself again with TESTLIB_SELFTEST set, in
 * which mode its selftest_* cases pass, fail and skip on purpose, and
 * compares that run's stdout (TAP), stderr and exit status with what
 * prove needs to see. In a normal run the selftest_* cases skip.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* The mode of the inner run ("" in a normal run). */
static const char *mode = "";

static bool inner(void)
{
	if (!mode[0])
		testlib_skip("runs inside tap_output only");
	return mode[0];
}

TEST(selftest_a_passes)
{
	if (!inner())
		return;
	ASSERT_EQ(1 + 1, 2, "arithmetic");
	testlib_note("two\nlines, the second");
	testlib_note(" in two parts\n");
}

TEST(selftest_b_fails)
{
	if (!inner())
		return;
	ASSERT_EQ(1, 2, "one is two");
	testlib_note("after the failure\n");
}

TEST(selftest_c_skips)
{
	if (!inner())
		return;
	testlib_skip("no %s here", "feature");
}

struct run {
	char out[2048];
	char err[2048];
	int status;	/* exit status, or -1 */
};

static void slurp(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Run this program again in mode m with argument arg (may be NULL). */
static int run_self(const char *m, const char *arg, struct run *r)
{
	int out = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	int err = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	int status;
	pid_t pid;

	if (out < 0 || err < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		setenv("TESTLIB_SELFTEST", m, 1);
		execl("/proc/self/exe", "test_testlib", arg, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
	return 0;
}

TEST(tap_output)
{
	static const char want[] =
		"TAP version 13\n"
		"1..3\n"
		"# two\n"
		"# lines, the second in two parts\n"
		"ok 1 - selftest_a_passes\n"
		"# after the failure\n"
		"not ok 2 - selftest_b_fails\n"
		"ok 3 - selftest_c_skips # SKIP no feature here\n"
		"# 1 of 3 tests failed, 1 failed assertions\n";
	struct run r;

	if (!ASSERT_OK(run_self("cases", "selftest_", &r), "run itself"))
		return;
	if (!ASSERT_EQ(strcmp(r.out, want), 0, "TAP on stdout"))
		fprintf(stderr, "got:\n%s\nwant:\n%s\n", r.out, want);
	ASSERT_TRUE(strstr(r.err, "# FAIL selftest_b_fails: one is two ("),
		    "the failed assertion, as a comment on stderr");
	ASSERT_EQ(r.status, 1, "exit status after a failed test");
}

TEST(skip_all_and_no_match)
{
	struct run r;

	if (!ASSERT_OK(run_self("skip_all", NULL, &r), "run itself"))
		return;
	ASSERT_EQ(strcmp(r.out, "TAP version 13\n1..0 # SKIP all gone\n"), 0,
		  "a whole program skipped");
	ASSERT_EQ(r.status, 0, "exit status of a skipped program");

	if (!ASSERT_OK(run_self("cases", "no such test", &r), "run itself"))
		return;
	ASSERT_EQ(r.out[0], '\0', "no plan when no test matched");
	ASSERT_EQ(r.status, 1, "exit status when no test matched");
}

int main(int argc, char **argv)
{
	mode = getenv("TESTLIB_SELFTEST") ?: "";
	if (!strcmp(mode, "skip_all"))
		testlib_skip_all("all gone");
	return testlib_main(argc, argv);
}
