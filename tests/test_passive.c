// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_passive.c - the decisions behind failure detection, as pure
 * functions: passive_judge over counter samples (user/siplbd/passive.c),
 * the probe reply policy (health_reply_verdict, health.c) and the
 * worker's overload marks (user/siplb-worker/overload.c).
 */
#include <string.h>

#include "health.h"
#include "overload.h"
#include "passive.h"
#include "testlib.h"

static const struct passive_conf conf = {
	.on = true, .silence_ms = 500, .min_requests = 5,
	.error_share = 50, .window_ms = 1000,
};

static enum passive_verdict feed(struct passive_track *t, __u64 req,
				 __u64 resp, __u64 err, __u64 now)
{
	struct passive_sample s = { req, resp, err };

	return passive_judge(&conf, t, &s, now);
}

TEST(passive_silent_backend_is_marked)
{
	struct passive_track t = {};
	__u64 now, req = 100;

	ASSERT_EQ(feed(&t, 100, 300, 0, 0), PASSIVE_OK, "first sample primes");
	/* requests keep coming, responses stop */
	for (now = 100; now < 500; now += 100)
		ASSERT_EQ(feed(&t, req += 3, 300, 0, now), PASSIVE_OK,
			  "silent for less than passive-silence");
	ASSERT_EQ(feed(&t, req += 3, 300, 0, 600), PASSIVE_SILENT,
		  "500 ms after the first unanswered request");
}

TEST(passive_answering_backend_is_not)
{
	struct passive_track t = {};
	__u64 now, req = 0, resp = 0;

	feed(&t, 0, 0, 0, 0);
	for (now = 100; now <= 5000; now += 100)
		ASSERT_EQ(feed(&t, req += 5, resp += 7, 0, now), PASSIVE_OK,
			  "responses move: never silent");
}

TEST(passive_idle_backend_is_not)
{
	struct passive_track t = {};
	__u64 now;

	feed(&t, 10, 20, 0, 0);
	for (now = 100; now <= 5000; now += 100)
		ASSERT_EQ(feed(&t, 10, 20, 0, now), PASSIVE_OK,
			  "no requests, no responses: nothing to judge");
}

TEST(passive_few_requests_are_not_enough)
{
	struct passive_track t = {};
	__u64 now;

	feed(&t, 10, 20, 0, 0);
	for (now = 100; now <= 5000; now += 100)
		ASSERT_EQ(feed(&t, 14, 20, 0, now), PASSIVE_OK,
			  "4 < passive-min-requests unanswered requests");
	ASSERT_EQ(feed(&t, 15, 20, 0, 5100), PASSIVE_SILENT,
		  "the fifth, long after the first: silent");
}

TEST(passive_counter_restart_is_not_silence)
{
	struct passive_track t = {};

	feed(&t, 1000, 2000, 0, 0);
	ASSERT_EQ(feed(&t, 3, 0, 0, 100), PASSIVE_OK,
		  "counters went back (worker restarted): primed again");
	ASSERT_EQ(feed(&t, 20, 0, 0, 550), PASSIVE_OK,
		  "silence counted from the restart, not before");
	ASSERT_EQ(feed(&t, 25, 0, 0, 1000), PASSIVE_OK,
		  "450 ms since the first unanswered request");
	ASSERT_EQ(feed(&t, 26, 0, 0, 1050), PASSIVE_SILENT,
		  "then judged as usual");
}

TEST(passive_error_share)
{
	struct passive_track t = {};

	feed(&t, 0, 0, 0, 0);
	ASSERT_EQ(feed(&t, 10, 20, 4, 500), PASSIVE_OK, "window not over");
	ASSERT_EQ(feed(&t, 20, 40, 9, 1000), PASSIVE_OK,
		  "9 of 20 requests answered 500/503: 45% < 50%");
	ASSERT_EQ(feed(&t, 30, 60, 14, 1500), PASSIVE_OK, "mid-window");
	ASSERT_EQ(feed(&t, 40, 80, 19, 2000), PASSIVE_ERRORS,
		  "10 of 20 in the next window: 50%");
}

TEST(passive_error_share_needs_requests)
{
	struct passive_track t = {};

	feed(&t, 0, 0, 0, 0);
	ASSERT_EQ(feed(&t, 4, 4, 4, 1000), PASSIVE_OK,
		  "4 requests, all 503: below passive-min-requests");
}

TEST(probe_reply_policy)
{
	struct health_conf c = {};

	status_set_default_alive(&c.alive);
	ASSERT_EQ(health_reply_verdict(&c, 200, 0), PROBE_ALIVE, "200");
	ASSERT_EQ(health_reply_verdict(&c, 404, 0), PROBE_ALIVE, "404");
	ASSERT_EQ(health_reply_verdict(&c, 405, 0), PROBE_ALIVE, "405");
	ASSERT_EQ(health_reply_verdict(&c, 408, 0), PROBE_DEAD, "408");
	ASSERT_EQ(health_reply_verdict(&c, 500, 0), PROBE_DEAD, "500");
	ASSERT_EQ(health_reply_verdict(&c, 503, 0), PROBE_DEAD,
		  "503 without Retry-After");
	ASSERT_EQ(health_reply_verdict(&c, 503, 30), PROBE_BACK_OFF,
		  "503 with Retry-After");
	ASSERT_EQ(health_reply_verdict(&c, 500, 30), PROBE_DEAD,
		  "Retry-After means a back-off only on a 503");
	ASSERT_EQ(health_reply_verdict(&c, 603, 0), PROBE_DEAD, "603");
	status_set_put(&c.alive, 503, 503, true);
	ASSERT_EQ(health_reply_verdict(&c, 503, 30), PROBE_ALIVE,
		  "503 alive when the operator says so");
}

TEST(worker_overload_marks)
{
	struct overload_load l = { .txn_cap = 100, .rcvbuf = 1000 };

	l.txns = 79;
	ASSERT_TRUE(!overload_judge(false, &l), "79% of the table: fine");
	l.txns = 80;
	ASSERT_TRUE(overload_judge(false, &l), "80%: overloaded");
	l.txns = 60;
	ASSERT_TRUE(overload_judge(true, &l), "60%: still (hysteresis)");
	l.txns = 59;
	ASSERT_TRUE(!overload_judge(true, &l), "59%: recovered");
	l.rxq = 500;
	ASSERT_TRUE(overload_judge(false, &l), "receive queue half full");
	l.rxq = 250;
	ASSERT_TRUE(overload_judge(true, &l), "queue at 25%: still");
	l.rxq = 249;
	ASSERT_TRUE(!overload_judge(true, &l), "queue below 25%: recovered");
	l = (struct overload_load){};
	ASSERT_TRUE(!overload_judge(false, &l), "no sizes known: never");
}

int main(int argc, char **argv)
{
	return testlib_main(argc, argv);
}
