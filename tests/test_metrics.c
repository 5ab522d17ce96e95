// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_metrics.c - the Prometheus formatter (user/siplbd/metrics_format.c)
 * on snapshots made here: the samples say what the snapshot holds, label
 * values are escaped, every family has HELP and TYPE before its samples
 * and appears once, counters end in _total, and (where promtool is
 * installed) `promtool check metrics` accepts the output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lb_stats.h"
#include "metrics_format.h"
#include "testlib.h"

struct rendered {
	char *text;
	size_t len;
};

static bool render(const struct metrics_snapshot *s, struct rendered *r)
{
	FILE *out = open_memstream(&r->text, &r->len);

	if (!ASSERT_TRUE(out != NULL, "open_memstream"))
		return false;
	if (!ASSERT_OK(metrics_format(out, s), "metrics_format")) {
		fclose(out);
		return false;
	}
	fclose(out);
	return true;
}

static bool has_line(const struct rendered *r, const char *line)
{
	size_t n = strlen(line);
	const char *p = r->text;

	while ((p = strstr(p, line))) {
		if ((p == r->text || p[-1] == '\n') && p[n] == '\n')
			return true;
		p += n;
	}
	return false;
}

#define ASSERT_LINE(r, line) ASSERT_TRUE(has_line(r, line), "line: " line)

/*
 * The exposition's shape: each family's HELP, then TYPE, then only its
 * samples; no family twice; counters named *_total. Returns the number of
 * problems (each one noted).
 */
static int shape_problems(const struct rendered *r)
{
	char *copy = strdup(r->text), *line, *save = NULL;
	char family[128] = "", seen[16384] = " ";
	int problems = 0;
	bool help = false;

	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[128], type[16], key[132];

		if (sscanf(line, "# HELP %127s", name) == 1) {
			snprintf(key, sizeof(key), " %s ", name);
			if (strstr(seen, key)) {
				testlib_note("family %s twice", name);
				problems++;
			}
			strncat(seen, key + 1, sizeof(seen) - strlen(seen) - 1);
			snprintf(family, sizeof(family), "%s", name);
			help = true;
		} else if (sscanf(line, "# TYPE %127s %15s", name, type) == 2) {
			if (!help || strcmp(name, family)) {
				testlib_note("TYPE %s without its HELP", name);
				problems++;
			}
			if (!strcmp(type, "counter") &&
			    (strlen(name) < 6 ||
			     strcmp(name + strlen(name) - 6, "_total"))) {
				testlib_note("counter %s not *_total", name);
				problems++;
			}
			help = false;
		} else {
			size_t n = strcspn(line, "{ ");

			if (n != strlen(family) || strncmp(line, family, n)) {
				testlib_note("sample outside its family: %s",
					     line);
				problems++;
			}
		}
	}
	free(copy);
	return problems;
}

static struct metrics_backend backend_fixture[2] = {
	{ .vip = "192.0.2.1:5060",
	  .addr = "10.0.0.1:5060",
	  .state = "up",
	  .up = true,
	  .weight = 100,
	  .packets = 12,
	  .bytes = 3456 },
	{ .vip = "192.0.2.1:5060",
	  .addr = "10.0.0.2:5060",
	  .state = "unhealthy",
	  .weight = 50,
	  .packets = 1,
	  .bytes = 2 },
};

static void snapshot_fixture(struct metrics_snapshot *s,
			     struct metrics_worker *w)
{
	memset(s, 0, sizeof(*s));
	s->have_xdp = true;
	s->xdp[SIPLB_STAT_STEER_TX] = 7;
	s->xdp[SIPLB_STAT_PASS_REGISTER] = 3;
	s->have_events = true;
	s->events[SIPLB_EVENT_AFFINITY_HIT] = 5;
	s->backends = backend_fixture;
	s->nbackends = 2;
	memset(w, 0, sizeof(*w));
	snprintf(w->addr, sizeof(w->addr), "10.0.0.1:5060");
	w->up = true;
	w->transactions = 4;
	w->c.requests[SIPLB_WM_INVITE] = 9;
	w->c.responses_out[2] = 8;
	w->c.forwarded = 11;
	s->workers = w;
	s->nworkers = 1;
	s->have_bindings = true;
	s->bindings = 42;
	s->registrar.requests = 5;
	s->registrar.ok = 2;
	s->daemon.datagrams = 6;
	s->auth_failures = 1;
	s->health_probes = 13;
}

TEST(samples_say_what_the_snapshot_holds)
{
	struct metrics_snapshot s;
	struct metrics_worker w;
	struct rendered r = {};

	snapshot_fixture(&s, &w);
	if (!render(&s, &r))
		return;
	ASSERT_LINE(&r, "siplb_xdp_packets_total{reason=\"steer_tx\"} 7");
	ASSERT_LINE(&r, "siplb_xdp_packets_total{reason=\"pass_register\"} 3");
	ASSERT_LINE(&r, "siplb_xdp_packets_total{reason=\"drop_not_sip\"} 0");
	ASSERT_LINE(&r, "siplb_xdp_lookups_total{event=\"affinity_hit\"} 5");
	ASSERT_LINE(&r, "siplb_xdp_lookups_total{event=\"affinity_miss\"} 0");
	ASSERT_LINE(&r, "siplb_backend_packets_total{vip=\"192.0.2.1:5060\","
			"backend=\"10.0.0.1:5060\"} 12");
	ASSERT_LINE(&r, "siplb_backend_bytes_total{vip=\"192.0.2.1:5060\","
			"backend=\"10.0.0.1:5060\"} 3456");
	ASSERT_LINE(&r, "siplb_backend_up{vip=\"192.0.2.1:5060\","
			"backend=\"10.0.0.2:5060\"} 0");
	ASSERT_LINE(&r, "siplb_backend_state{vip=\"192.0.2.1:5060\","
			"backend=\"10.0.0.2:5060\",state=\"unhealthy\"} 1");
	ASSERT_LINE(&r, "siplb_worker_requests_total{worker=\"10.0.0.1:5060\","
			"method=\"INVITE\"} 9");
	ASSERT_LINE(&r, "siplb_worker_responses_sent_total{worker="
			"\"10.0.0.1:5060\",class=\"2xx\"} 8");
	ASSERT_LINE(&r, "siplb_worker_forwarded_total{worker="
			"\"10.0.0.1:5060\"} 11");
	ASSERT_LINE(&r, "siplb_worker_transactions{worker="
			"\"10.0.0.1:5060\"} 4");
	ASSERT_LINE(&r, "siplb_bindings 42");
	ASSERT_LINE(&r, "siplb_registrar_requests_total 5");
	ASSERT_LINE(&r, "siplb_registrar_ok_total 2");
	ASSERT_LINE(&r, "siplb_daemon_datagrams_total 6");
	ASSERT_LINE(&r, "siplb_auth_failures_total 1");
	ASSERT_LINE(&r, "siplb_health_probes_total 13");
	ASSERT_LINE(&r, "# TYPE siplb_xdp_packets_total counter");
	ASSERT_LINE(&r, "# TYPE siplb_bindings gauge");
	ASSERT_EQ(shape_problems(&r), 0, "families well formed");
	free(r.text);
}

TEST(every_xdp_reason_is_a_sample)
{
	struct metrics_snapshot s;
	struct metrics_worker w;
	struct rendered r = {};
	char line[128];
	int i;

	snapshot_fixture(&s, &w);
	if (!render(&s, &r))
		return;
	for (i = 0; i < SIPLB_STAT_MAX; i++) {
		snprintf(line, sizeof(line),
			 "siplb_xdp_packets_total{reason=\"%s\"} %llu",
			 siplb_stat_names[i], (unsigned long long)s.xdp[i]);
		ASSERT_TRUE(has_line(&r, line), siplb_stat_names[i]);
	}
	free(r.text);
}

TEST(label_values_are_escaped)
{
	struct metrics_backend b = backend_fixture[0];
	struct metrics_snapshot s = { .backends = &b, .nbackends = 1 };
	struct rendered r = {};

	snprintf(b.addr, sizeof(b.addr), "a\"b\\c\nd");
	if (!render(&s, &r))
		return;
	ASSERT_LINE(&r, "siplb_backend_packets_total{vip=\"192.0.2.1:5060\","
			"backend=\"a\\\"b\\\\c\\nd\"} 12");
	ASSERT_EQ(shape_problems(&r), 0, "families well formed");
	free(r.text);
}

/* Nothing read (maps gone, no backend, no worker): every family is still
 * declared, with no sample that would claim a zero. */
TEST(empty_snapshot_declares_every_family)
{
	struct metrics_snapshot s = {};
	struct rendered r = {};

	if (!render(&s, &r))
		return;
	ASSERT_LINE(&r, "# TYPE siplb_xdp_packets_total counter");
	ASSERT_LINE(&r, "# TYPE siplb_backend_packets_total counter");
	ASSERT_LINE(&r, "# TYPE siplb_worker_up gauge");
	ASSERT_TRUE(!strstr(r.text, "siplb_xdp_packets_total{"),
		    "no XDP sample when the counters were not read");
	ASSERT_TRUE(!has_line(&r, "siplb_bindings 0"),
		    "no bindings sample when they were not counted");
	ASSERT_EQ(shape_problems(&r), 0, "families well formed");
	free(r.text);
}

TEST(promtool_accepts_the_output)
{
	struct metrics_snapshot s;
	struct metrics_worker w;
	struct rendered r = {};
	char path[] = "/tmp/test_metrics.XXXXXX", cmd[256];
	int fd, status;

	if (system("command -v promtool >/dev/null 2>&1")) {
		testlib_skip("promtool not installed (scripts/deps.sh)");
		return;
	}
	snapshot_fixture(&s, &w);
	if (!render(&s, &r))
		return;
	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		return;
	ASSERT_EQ(write(fd, r.text, r.len), (ssize_t)r.len, "write");
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s >&2", path);
	status = system(cmd);
	ASSERT_EQ(status, 0, "promtool check metrics exit status");
	unlink(path);
	free(r.text);
}

int main(int argc, char **argv)
{
	return testlib_main(argc, argv);
}
