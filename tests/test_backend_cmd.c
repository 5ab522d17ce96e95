// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_backend_cmd.c - the backend verbs (user/lib/backend_cmd.c), which
 * siplbd's control socket and siplbctl both parse with one function, and
 * the weight limit they and lb_table.c share (SIPLB_WEIGHT_MAX):
 *
 *   - a table of command lines, good and malformed, each with what it
 *     must parse to or the words it must be refused with;
 *   - the request line siplbctl sends parses back to the same command;
 *   - lb_backend_add and lb_backend_set_weight refuse a weight outside
 *     1..SIPLB_WEIGHT_MAX (-ERANGE) and leave the maps as they were, on
 *     the real maps of the XDP fixture: the path siplbctl takes when
 *     siplbd is not running.
 *
 * The last part needs root (BPF, a network namespace).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend_cmd.h"
#include "control_proto.h"
#include "endpoint.h"
#include "lb_table.h"
#include "log.h"
#include "testlib.h"
#include "xdp_fixture.h"

static struct xdp_fixture fix;
static bool fix_up;

#define V4 "192.0.2.10:5060"
#define B4 "10.0.0.11:5060"
#define V6 "[2001:db8::10]:5060"
#define B6 "[2001:db8:1::11]:5060"
#define RANGE "the weight must be a whole number in 1..1000"

static const struct parse_case {
	const char *line;	/* words after "backend" */
	int err;
	enum backend_verb verb;
	__u32 weight;
	const char *why;	/* the refusal, word for word */
} parse_cases[] = {
	{ "add " V4 " " B4, 0, BACKEND_ADD, 1, NULL },
	{ "add " V4 " " B4 " --weight 2", 0, BACKEND_ADD, 2, NULL },
	{ "add " V4 " " B4 " --weight 1000", 0, BACKEND_ADD, 1000, NULL },
	{ "add " V4 " " B4 " weight 7", 0, BACKEND_ADD, 7, NULL },
	{ "add " V6 " " B6, 0, BACKEND_ADD, 1, NULL },
	{ "del " V4 " " B4, 0, BACKEND_DEL, 1, NULL },
	{ "up " V4 " " B4, 0, BACKEND_UP, 1, NULL },
	{ "drain " V4 " " B4, 0, BACKEND_DRAIN, 1, NULL },
	{ "down " V4 " " B4, 0, BACKEND_DOWN, 1, NULL },
	{ "weight " V4 " " B4 " 3", 0, BACKEND_WEIGHT, 3, NULL },
	/* The weight limit, both ways of setting a weight. */
	{ "add " V4 " " B4 " --weight 5000", -EINVAL, 0, 0, RANGE },
	{ "add " V4 " " B4 " --weight 1001", -EINVAL, 0, 0, RANGE },
	{ "add " V4 " " B4 " --weight 0", -EINVAL, 0, 0, RANGE },
	{ "add " V4 " " B4 " --weight -1", -EINVAL, 0, 0, RANGE },
	{ "add " V4 " " B4 " --weight 2x", -EINVAL, 0, 0, RANGE },
	{ "add " V4 " " B4 " --weight 99999999999999999999", -EINVAL, 0, 0,
	  RANGE },
	{ "weight " V4 " " B4 " 5000", -EINVAL, 0, 0, RANGE },
	{ "weight " V4 " " B4 " 0", -EINVAL, 0, 0, RANGE },
	/* Malformed. */
	{ "", -EINVAL, 0, 0,
	  "unknown backend verb (add, del, up, drain, down, weight)" },
	{ "frob " V4 " " B4, -EINVAL, 0, 0,
	  "unknown backend verb (add, del, up, drain, down, weight)" },
	{ "add " V4, -EINVAL, 0, 0, "expected VIP BACKEND after the verb" },
	{ "add 192.0.2.10 " B4, -EINVAL, 0, 0,
	  "bad VIP: expected ADDR:PORT or [IPV6]:PORT" },
	{ "add " V4 " 2001:db8::11:5060", -EINVAL, 0, 0,
	  "bad BACKEND: expected ADDR:PORT or [IPV6]:PORT" },
	{ "add " V4 " " B4 " --weight", -EINVAL, 0, 0,
	  "expected VIP BACKEND [--weight N]" },
	{ "add " V4 " " B4 " --wait 2", -EINVAL, 0, 0,
	  "expected VIP BACKEND [--weight N]" },
	{ "del " V4 " " B4 " --weight 2", -EINVAL, 0, 0,
	  "unexpected argument after VIP BACKEND" },
	{ "weight " V4 " " B4, -EINVAL, 0, 0, "expected VIP BACKEND N" },
	{ "weight " V4 " " B4 " 2 3", -EINVAL, 0, 0,
	  "expected VIP BACKEND N" },
};

/* Split line into words, as siplbd's control.c does. */
static int split(char *line, char **w, int max)
{
	char *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(line, " ", &save); tok && n < max;
	     tok = strtok_r(NULL, " ", &save))
		w[n++] = tok;
	return n;
}

TEST(parse_table)
{
	struct backend_cmd c;
	char line[256], *w[8];
	const char *why;
	size_t i;
	int n, err;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *pc = &parse_cases[i];

		snprintf(line, sizeof(line), "%s", pc->line);
		n = split(line, w, 8);
		why = NULL;
		err = backend_cmd_parse(&c, n, w, &why);
		if (!ASSERT_EQ(err, pc->err, pc->line))
			continue;
		if (err) {
			ASSERT_TRUE(why && !strcmp(why, pc->why), pc->line);
			if (why && strcmp(why, pc->why))
				fprintf(stderr, "    said: %s\n", why);
			continue;
		}
		ASSERT_EQ(c.verb, pc->verb, pc->line);
		ASSERT_EQ(c.weight, pc->weight, pc->line);
	}
}

/* What siplbctl sends siplbd parses back to what siplbctl parsed. */
TEST(format_round_trip)
{
	static const char *const lines[] = {
		"add " V4 " " B4 " --weight 9", "del " V6 " " B6,
		"drain " V4 " " B4, "weight " V6 " " B6 " 1000",
	};
	struct backend_cmd a, b;
	char text[64], line[CONTROL_LINE_MAX], *w[8];
	const char *why;
	size_t i;
	int n;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(text, sizeof(text), "%s", lines[i]);
		n = split(text, w, 8);
		if (!ASSERT_OK(backend_cmd_parse(&a, n, w, &why), lines[i]) ||
		    !ASSERT_OK(backend_cmd_format(&a, line, sizeof(line)),
			       "format"))
			continue;
		n = split(line, w, 8);
		if (!ASSERT_TRUE(n > 1 && !strcmp(w[0], "backend"), line) ||
		    !ASSERT_OK(backend_cmd_parse(&b, n - 1, w + 1, &why),
			       line))
			continue;
		ASSERT_MEM_EQ(&b, &a, sizeof(a), lines[i]);
	}
}

/* The weight limit as lb_table reports it reads as the parser's. */
TEST(strerror_of_range_is_the_parsers)
{
	ASSERT_TRUE(!strcmp(backend_cmd_strerror(-ERANGE), RANGE),
		    "-ERANGE: " RANGE);
	ASSERT_TRUE(!strcmp(backend_cmd_strerror(-EEXIST),
			    "the backend exists already (an endpoint serves "
			    "one VIP)"), "-EEXIST");
}

static bool backend_present(const struct siplb_endpoint *be, __u32 *weight)
{
	struct siplb_backend b;
	__u32 id = 0;

	if (lb_backend_find(&fix.maps, be, &id, &b) || !id)
		return false;
	*weight = b.weight;
	return true;
}

/* Without siplbd, siplbctl writes the maps through lb_table: the limit
 * must hold there too. */
TEST(lb_backend_weight_limits)
{
	struct siplb_endpoint vip, be;
	__u32 weight = 0;

	if (!fix_up)
		return;
	fixture_endpoint(FIX_VIP_EMPTY, FIX_SIP_PORT, &vip);
	fixture_endpoint("10.10.2.7", FIX_SIP_PORT, &be);
	ASSERT_EQ(lb_backend_add(&fix.maps, &vip, &be, 5000), -ERANGE,
		  "add with weight 5000");
	ASSERT_EQ(lb_backend_add(&fix.maps, &vip, &be, SIPLB_WEIGHT_MAX + 1),
		  -ERANGE, "add with weight max + 1");
	ASSERT_EQ(lb_backend_add(&fix.maps, &vip, &be, 0), -ERANGE,
		  "add with weight 0");
	ASSERT_FALSE(backend_present(&be, &weight),
		     "nothing added by a refused add");
	if (!ASSERT_OK(lb_backend_add(&fix.maps, &vip, &be, SIPLB_WEIGHT_MAX),
		       "add with weight max"))
		return;
	ASSERT_TRUE(backend_present(&be, &weight) &&
		    weight == SIPLB_WEIGHT_MAX, "added with weight max");
	ASSERT_EQ(lb_backend_set_weight(&fix.maps, &vip, &be, 5000), -ERANGE,
		  "set weight 5000");
	ASSERT_EQ(lb_backend_set_weight(&fix.maps, &vip, &be, 0), -ERANGE,
		  "set weight 0");
	ASSERT_TRUE(backend_present(&be, &weight) &&
		    weight == SIPLB_WEIGHT_MAX, "weight unchanged by refusals");
	ASSERT_OK(lb_backend_set_weight(&fix.maps, &vip, &be, 1),
		  "set weight 1");
	ASSERT_TRUE(backend_present(&be, &weight) && weight == 1,
		    "weight now 1");
	lb_backend_del(&fix.maps, &vip, &be);
}

int main(int argc, char **argv)
{
	int err, ret;

	log_init("test_backend_cmd", LOG_LEVEL_WARN);
	err = fixture_setup(&fix);
	if (err)
		fprintf(stderr, "test_backend_cmd: fixture setup failed: %s\n",
			strerror(-err));
	fix_up = !err;
	ret = testlib_main(argc, argv);
	fixture_teardown(&fix);
	return ret || !fix_up;
}
