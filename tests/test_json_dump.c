// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_json_dump.c - every `siplbctl -j` view (list, stats, bindings,
 * blocked, workers) stays valid JSON whatever the maps hold. Bindings
 * with hostile bytes (invalid UTF-8, control characters, quotes and
 * backslashes, an AOR and a Contact that fill their arrays with no NUL)
 * are written straight into the pinned siplb_location map of the XDP
 * fixture; each view's output is handed to python3's json module, which
 * must accept it and find the bytes again (invalid ones as U+0080..U+00FF,
 * json.h's choice). Then the real siplbctl binary prints the same.
 *
 * Needs root (BPF, a network namespace) and python3.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "bindings.h"
#include "blocked.h"
#include "list.h"
#include "log.h"
#include "siplb_location.h"
#include "stats.h"
#include "testlib.h"
#include "workers.h"
#include "xdp_fixture.h"

static struct xdp_fixture fix;
static bool fix_up;

/* Hostile, and what python's json.loads must give back for it. */
static const char hostile_aor[] = "sip:\"q\\uote\"\x01\x7f\xff\xc3(@x";
static const char hostile_aor_py[] =
	"'sip:\"q\\\\uote\"\\x01\\x7f\\xff\\xc3(@x'";
static const char hostile_contact[] =
	"<sip:a@b>;\r\n\t\x80\xed\xa0\x80\xe2\x82";

static bool put_binding(const char *aor, size_t aor_len, const char *contact,
			size_t contact_len, __u32 slot)
{
	struct siplb_location_key k = { .slot = slot };
	struct siplb_binding b = { .q = 1000 };

	memcpy(k.aor, aor, aor_len);
	memcpy(b.contact, contact, contact_len);
	memcpy(b.instance, "urn:\xfe\"", 6);
	b.expires_at = time(NULL) + 3600;
	fixture_endpoint(FIX_CLIENT4, 5070, &b.source);
	return ASSERT_OK(bpf_map_update_elem(fix.maps.location, &k, &b,
					     BPF_ANY) ?
				 -errno :
				 0,
			 "write a binding into siplb_location");
}

/*
 * python3 parses path; check is a Python expression on the document d
 * that must be true. 0 if both hold.
 */
static int py_check(const char *path, const char *check)
{
	char cmd[512];

	/* The expression through the environment: no shell quoting. */
	setenv("JSON_CHECK", check, 1);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json, os, sys\n"
		 "d = json.load(open(sys.argv[1], encoding=\"utf-8\"))\n"
		 "ok = eval(os.environ[\"JSON_CHECK\"])\n"
		 "sys.exit(0 if ok else \"check failed: \" + repr(d)[:2000])'"
		 " %s >&2",
		 path);
	return system(cmd);
}

typedef int (*view_fn)(const struct lb_maps *m, FILE *out);

static int view_list(const struct lb_maps *m, FILE *out)
{
	return list_print(m, out, true);
}

static int view_stats(const struct lb_maps *m, FILE *out)
{
	return stats_print(m, out, true, NULL);
}

static int view_bindings(const struct lb_maps *m, FILE *out)
{
	return bindings_print(m, out, true, NULL);
}

static int view_blocked(const struct lb_maps *m, FILE *out)
{
	return blocked_print(m, out, true);
}

static int view_workers(const struct lb_maps *m, FILE *out)
{
	return workers_print(m, out, true);
}

static void check_view(const char *name, view_fn fn, const char *check)
{
	char path[] = "/tmp/test_json_dump.XXXXXX";
	FILE *out;
	int fd;

	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		return;
	out = fdopen(fd, "w");
	if (!ASSERT_TRUE(out != NULL, "fdopen"))
		return;
	ASSERT_OK(fn(&fix.maps, out), name);
	fclose(out);
	if (!ASSERT_EQ(py_check(path, check), 0, name))
		testlib_note("%s: output kept in %s", name, path);
	else
		unlink(path);
}

TEST(hostile_bindings_every_view_parses)
{
	char full_aor[SIPLB_AOR_MAX], full_contact[SIPLB_CONTACT_MAX];
	char check[512];

	if (!fix_up) {
		testlib_skip("fixture setup failed");
		return;
	}
	/* Arrays filled to the end, no NUL: the printer must bound them. */
	memset(full_aor, '\xe9', sizeof(full_aor));
	memset(full_contact, '"', sizeof(full_contact));
	if (!put_binding(hostile_aor, sizeof(hostile_aor), hostile_contact,
			 sizeof(hostile_contact), 0) ||
	    !put_binding(full_aor, sizeof(full_aor), full_contact,
			 sizeof(full_contact), 1))
		return;
	snprintf(check, sizeof(check),
		 "d[\"count\"] == 2 and "
		 "%s in [b[\"aor\"] for b in d[\"bindings\"]] and "
		 "\"\\xe9\" * %d in [b[\"aor\"] for b in d[\"bindings\"]] and "
		 "\"\\\"\" * %d in [b[\"contact\"] for b in d[\"bindings\"]]",
		 hostile_aor_py, SIPLB_AOR_MAX, SIPLB_CONTACT_MAX);
	check_view("bindings -j", view_bindings, check);
	check_view("list -j", view_list, "len(d[\"backends\"]) > 0");
	check_view("stats -j", view_stats, "\"steer_tx\" in d[\"counters\"]");
	check_view("blocked -j", view_blocked, "\"blocked\" in d");
	check_view("workers -j", view_workers, "d[\"count\"] == 0");
}

/* The program itself, as an operator runs it. */
TEST(siplbctl_binary_prints_valid_json)
{
	static const char *const verbs[] = { "bindings", "list", "stats",
					     "block", "workers" };
	char self[PATH_MAX], cmd[PATH_MAX * 2 + 256], *slash;
	ssize_t n;
	size_t i;

	if (!fix_up) {
		testlib_skip("fixture setup failed");
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (!ASSERT_TRUE(n > 0, "readlink /proc/self/exe"))
		return;
	self[n] = '\0';
	/* build/tests/test_json_dump -> build/siplbctl */
	slash = strrchr(self, '/');
	*slash = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		snprintf(cmd, sizeof(cmd),
			 "%s/siplbctl -P %s -S /nonexistent -j %s | python3 -c "
			 "'import json, sys; "
			 "json.loads(sys.stdin.buffer.read().decode()); "
			 "sys.stdin.close()' >&2",
			 self, fix.pin_dir, verbs[i]);
		if (!ASSERT_EQ(system(cmd), 0, verbs[i]))
			testlib_note("%s", cmd);
	}
}

int main(int argc, char **argv)
{
	int err, ret;

	testlib_require_root("BPF maps in a network namespace");
	if (system("python3 -c pass 2>/dev/null"))
		testlib_skip_all("python3 not found");
	log_init("test_json_dump", LOG_LEVEL_WARN);
	err = fixture_setup(&fix);
	if (err)
		fprintf(stderr, "test_json_dump: fixture setup failed: %s\n",
			strerror(-err));
	fix_up = !err;
	ret = testlib_main(argc, argv);
	fixture_teardown(&fix);
	return ret || !fix_up;
}
