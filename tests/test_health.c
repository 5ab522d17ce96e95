// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_health.c - health checks (user/siplbd/health.c) against the real maps of
 * the XDP fixture, in its private network namespace, with the clock passed
 * in: a backend that cannot even be probed (no route to it: its link is
 * down) must be marked unhealthy after down-after intervals, like one that
 * does not answer; once a route exists again, the probes go out.
 *
 * Needs root (BPF, a network namespace).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "health.h"
#include "lb_table.h"
#include "log.h"
#include "testlib.h"
#include "xdp_fixture.h"

static struct xdp_fixture fix;
static bool fix_up;

/* TEST-NET-3: the fixture's namespace has no route there. */
#define UNROUTED "203.0.113.5"

static __u32 state_of(const struct siplb_endpoint *be)
{
	struct siplb_backend b;
	__u32 id;

	if (lb_backend_find(&fix.maps, be, &id, &b))
		return SIPLB_BACKEND_UNUSED;
	return b.state;
}

TEST(unroutable_backend_is_marked_unhealthy)
{
	struct health_conf conf = { .interval = 1, .timeout = 1,
				    .down_after = 2, .up_after = 1 };
	struct siplb_endpoint vip, be;
	struct health h;
	__u64 now;

	if (!fix_up)
		return;
	fixture_endpoint(FIX_VIP_EMPTY, FIX_SIP_PORT, &vip);
	fixture_endpoint(UNROUTED, FIX_SIP_PORT, &be);
	if (!ASSERT_OK(lb_backend_add(&fix.maps, &vip, &be, 1),
		       "backend with no route to it") ||
	    !ASSERT_OK(health_init(&h, &fix.maps, &conf), "health_init"))
		return;
	ASSERT_EQ(state_of(&be), SIPLB_BACKEND_UP, "starts up");
	for (now = 1000; now <= 1000 + 2 * 1000; now += 1000)
		health_tick(&h, now);
	ASSERT_EQ(state_of(&be), SIPLB_BACKEND_UNHEALTHY,
		  "unhealthy after down-after (2) intervals without a probe");
	ASSERT_GE(h.misses, 2, "each unsendable probe counted as a miss");
	ASSERT_GE(h.marked_unhealthy, 1, "counted in marked_unhealthy");
	health_free(&h);
	lb_backend_del(&fix.maps, &vip, &be);
}

int main(int argc, char **argv)
{
	int err, ret;

	testlib_require_root("a network namespace and BPF maps");

	log_init("test_health", LOG_LEVEL_WARN);
	err = fixture_setup(&fix);
	if (err)
		fprintf(stderr, "test_health: fixture setup failed: %s\n",
			strerror(-err));
	fix_up = !err;
	ret = testlib_main(argc, argv);
	fixture_teardown(&fix);
	return ret || !fix_up;
}
