// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_guard.c - what the guard (bpf/guard.bpf.h) adds to the XDP
 * program's cost per message, measured in one process under
 * BPF_PROG_TEST_RUN on the test fixture (tests/lib/xdp_fixture.h).
 *
 * The same INVITE (bench_xdp's SDP offer shape: sip_samples' headers and a
 * User-Agent) is run with the guard off, and with each defence on: the
 * scanner check, strict mode and budgets for a registered source (the
 * common case: a phone), and budgets for an unregistered source within its
 * budget (one bucket update). Then the drops: a scanner's INVITE, a
 * stranger's INVITE in strict mode, an INVITE over budget.
 *
 * Each run is BPF_PROG_TEST_RUN with repeat 1, because the program
 * rewrites a steered frame and a repeated run would see its own output
 * (see bench_xdp.c); the kernel's figure for one run includes a fixed
 * overhead of the test harness, the same for every case, so the
 * differences between rows are what the guard costs. Rows are interleaved
 * round by round; each figure is the median of --runs (default 20000)
 * runs. Each case's verdict and counter are checked first.
 *
 * Usage: bench_guard [--runs N]          (as root)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "config.h"
#include "guard_apply.h"
#include "packet.h"
#include "sip_samples.h"
#include "siplb_location.h"
#include "lb_stats.h"
#include "xdp_fixture.h"

static struct xdp_fixture fix;

#define MIN_CONF	"realm example.com\nusers /u\n" \
			"vip 192.0.2.1:5060 {\nbackend 10.0.0.1:5060\n}\n"
#define STRANGER	"10.10.1.3"
#define INVITE		"INVITE sip:bob@example.com SIP/2.0"
#define HEADERS		"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n" \
			"User-Agent: Yealink SIP-T46S 66.86.0.15"
#define SCANNER_HEADERS	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n" \
			"User-Agent: friendly-scanner"

struct bench_case {
	const char *name;
	const char *guard;	/* body of the guard block */
	const char *src;	/* FIX_CLIENT4 is registered */
	const char *headers;
	int action, stat;
	bool spend;		/* run once untimed first: empty the bucket */
};

static struct bench_case cases[] = {
	{ "guard off", "", FIX_CLIENT4, HEADERS,
	  XDP_REDIRECT, SIPLB_STAT_STEER_REDIRECT, false },
	{ "block-scanners on", "block-scanners on\n", FIX_CLIENT4, HEADERS,
	  XDP_REDIRECT, SIPLB_STAT_STEER_REDIRECT, false },
	{ "all on, registered source",
	  "block-scanners on\nstrict-dialogs on\nbudget INVITE 1000 1000000\n"
	  "budget other 1000 1000000\n", FIX_CLIENT4, HEADERS,
	  XDP_REDIRECT, SIPLB_STAT_STEER_REDIRECT, false },
	{ "budgets on, stranger within budget",
	  "budget INVITE 1000000 1000000\n", STRANGER, HEADERS,
	  XDP_REDIRECT, SIPLB_STAT_STEER_REDIRECT, false },
	{ "drop: scanner", "block-scanners on\n", FIX_CLIENT4, SCANNER_HEADERS,
	  XDP_DROP, SIPLB_STAT_DROP_SCANNER, false },
	{ "drop: strict, stranger", "strict-dialogs on\n", STRANGER, HEADERS,
	  XDP_DROP, SIPLB_STAT_DROP_STRICT, false },
	{ "drop: over budget", "budget INVITE 1 1\n", STRANGER, HEADERS,
	  XDP_DROP, SIPLB_STAT_DROP_BUDGET_INVITE, true },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))
static __u32 *samples[NCASES];	/* per case, one figure per run */

static int set_guard(const char *body)
{
	struct siplb_conf *c = NULL;
	char text[1024], err[256];
	int n, ret;

	n = snprintf(text, sizeof(text), "guard {\n%s}\n" MIN_CONF, body);
	ret = conf_parse_buffer("bench.conf", text, n, &c, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bench_guard: %s\n", err);
		return ret;
	}
	ret = guard_apply(&fix.maps, c);
	conf_free(c);
	return ret;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static size_t frame_for(const struct bench_case *bc, __u8 *frame)
{
	static char payload[1400];
	struct pkt_spec spec = {
		.family = 4, .src = bc->src, .dst = FIX_VIP4,
		.sport = 5070, .dport = FIX_SIP_PORT, .payload = payload,
	};

	spec.len = sip_sample(payload, sizeof(payload), INVITE, bc->headers);
	return pkt_build(&spec, frame, PKT_MAX);
}

/* One run of a case; checks verdict and counter when check is set. */
static int run_case(struct bench_case *bc, bool check, __u32 *ns)
{
	__u64 before[SIPLB_STAT_MAX], after[SIPLB_STAT_MAX];
	static __u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t len;
	int err;

	err = set_guard(bc->guard);
	if (err)
		return err;
	len = frame_for(bc, frame);
	if (bc->spend) {
		err = fixture_run(&fix, fix.ifindex_client, frame, len, 1, &res);
		if (err)
			return err;
	}
	if (check && fixture_stats(&fix, before))
		return -EIO;
	err = fixture_run(&fix, fix.ifindex_client, frame, len, 1, &res);
	if (err)
		return err;
	if (check) {
		if (fixture_stats(&fix, after))
			return -EIO;
		if (res.action != bc->action ||
		    after[bc->stat] - before[bc->stat] != 1) {
			fprintf(stderr, "bench_guard: %s: verdict %d (want %d), "
				"%s moved by %llu\n", bc->name, res.action,
				bc->action, siplb_stat_names[bc->stat],
				(unsigned long long)(after[bc->stat] -
						     before[bc->stat]));
			return -EINVAL;
		}
	}
	*ns = res.duration_ns;
	return 0;
}

static int register_client(void)
{
	struct siplb_source src = { .bindings = 1, .expires_at = ~0ULL };
	struct siplb_addr key = { .family = SIPLB_AF_INET };

	inet_pton(AF_INET, FIX_CLIENT4, key.addr);
	return bpf_map_update_elem(fix.maps.sources, &key, &src, BPF_ANY);
}

int main(int argc, char **argv)
{
	int runs = 20000, r, err;
	__u32 ns, base = 0;
	size_t i;

	if (argc == 3 && !strcmp(argv[1], "--runs"))
		runs = atoi(argv[2]);
	if (runs < 100) {
		fprintf(stderr, "usage: bench_guard [--runs N>=100]\n");
		return 2;
	}
	err = fixture_setup(&fix);
	if (err || register_client()) {
		fprintf(stderr, "bench_guard: fixture setup failed\n");
		fixture_teardown(&fix);
		return 1;
	}
	for (i = 0; i < NCASES; i++) {
		samples[i] = calloc(runs, sizeof(__u32));
		if (!samples[i] || run_case(&cases[i], true, &ns)) {
			fixture_teardown(&fix);
			return 1;
		}
	}
	for (r = 0; r < runs; r++) {
		for (i = 0; i < NCASES; i++) {
			if (run_case(&cases[i], false, &samples[i][r])) {
				fprintf(stderr, "bench_guard: run failed\n");
				fixture_teardown(&fix);
				return 1;
			}
		}
	}
	printf("| INVITE, %d runs each, interleaved | verdict | ns median "
	       "[p10-p90] | vs guard off |\n", runs);
	printf("|---|---|---:|---:|\n");
	for (i = 0; i < NCASES; i++) {
		__u32 *s = samples[i], med;

		qsort(s, runs, sizeof(*s), cmp_u32);
		med = s[runs / 2];
		if (i == 0)
			base = med;
		printf("| %s | %s | %u [%u-%u] | %+d |\n", cases[i].name,
		       siplb_stat_names[cases[i].stat], med, s[runs / 10],
		       s[runs * 9 / 10], (int)med - (int)base);
		free(s);
	}
	set_guard("");
	fixture_teardown(&fix);
	return 0;
}
