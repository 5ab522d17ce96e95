// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_nexthop.c - the per-backend next-hop cache (siplb_nexthops) and the
 * event counters (siplb_events) through BPF_PROG_TEST_RUN: the first
 * packet to a backend asks the FIB and fills the cache, the next one is
 * sent from the cache; both carry the right MACs and leave by the right
 * interface; a changed neighbour is honoured once the entry is older than
 * SIPLB_NEXTHOP_TTL_NS or as soon as user space forgets it; a longer
 * packet, a local backend and an unresolved neighbour ask the FIB. The
 * verdict counters move exactly as before (one reason per packet). The
 * test pins itself to one CPU: the cache is per CPU.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lb_stats.h"
#include "lb_table.h"
#include "packet.h"
#include "sip_samples.h"
#include "testlib.h"
#include "xdp_fixture.h"

static struct xdp_fixture fix;
static int test_cpu;

#define CLIENT_PORT 5070

/* One run's verdict counters and events, as differences. */
struct moved {
	__u64 stats[SIPLB_STAT_MAX];
	__u64 events[SIPLB_EVENT_MAX];
};

static size_t invite_frame(__u8 *buf, const char *vip, const char *callid,
			   size_t pad)
{
	static char payload[1400];
	char line[128];
	size_t len;
	struct pkt_spec spec = {
		.family = 4,
		.src = FIX_CLIENT4,
		.dst = vip,
		.sport = CLIENT_PORT,
		.dport = FIX_SIP_PORT,
		.payload = payload,
	};

	snprintf(line, sizeof(line), "Call-ID: %s", callid);
	len = sip_sample(payload, sizeof(payload),
			 "INVITE sip:bob@example.com SIP/2.0", line);
	if (pad && len + pad < sizeof(payload)) {	/* a longer body */
		memset(payload + len, 'x', pad);
		len += pad;
	}
	spec.len = len;
	return pkt_build(&spec, buf, PKT_MAX);
}

static bool run_counted(const __u8 *frame, size_t len, struct xdp_result *res,
			struct moved *mv)
{
	__u64 s0[SIPLB_STAT_MAX], s1[SIPLB_STAT_MAX];
	__u64 e0[SIPLB_EVENT_MAX], e1[SIPLB_EVENT_MAX];
	int i;

	if (!ASSERT_OK(fixture_stats(&fix, s0), "read counters") ||
	    !ASSERT_OK(lb_events_read(&fix.maps, e0), "read events") ||
	    !ASSERT_OK(fixture_run(&fix, fix.ifindex_client, frame, len, 1,
				   res), "BPF_PROG_TEST_RUN") ||
	    !ASSERT_OK(fixture_stats(&fix, s1), "read counters") ||
	    !ASSERT_OK(lb_events_read(&fix.maps, e1), "read events"))
		return false;
	for (i = 0; i < SIPLB_STAT_MAX; i++)
		mv->stats[i] = s1[i] - s0[i];
	for (i = 0; i < SIPLB_EVENT_MAX; i++)
		mv->events[i] = e1[i] - e0[i];
	return true;
}

/* Exactly `stat` among the verdict counters, and the events listed. */
static void expect_moved(const struct moved *mv, int stat, __u64 aff_hit,
			 __u64 aff_miss, __u64 nh_hit, __u64 nh_miss,
			 const char *what)
{
	__u64 want[SIPLB_EVENT_MAX] = {
		[SIPLB_EVENT_AFFINITY_HIT] = aff_hit,
		[SIPLB_EVENT_AFFINITY_MISS] = aff_miss,
		[SIPLB_EVENT_NEXTHOP_HIT] = nh_hit,
		[SIPLB_EVENT_NEXTHOP_MISS] = nh_miss,
	};
	int i;

	for (i = 0; i < SIPLB_STAT_MAX; i++)
		testlib_report(mv->stats[i] == (i == stat), __FILE__, __LINE__,
			       what, "counter %s moved by %llu",
			       siplb_stat_names[i],
			       (unsigned long long)mv->stats[i]);
	for (i = 0; i < SIPLB_EVENT_MAX; i++)
		testlib_report(mv->events[i] == want[i], __FILE__, __LINE__,
			       what, "event %s moved by %llu, expected %llu",
			       siplb_event_names[i],
			       (unsigned long long)mv->events[i],
			       (unsigned long long)want[i]);
}

/* The backend id the frame went to, and its index in the fixture. */
static __u32 output_backend(const struct xdp_result *res, int *idx)
{
	struct siplb_endpoint ep;
	struct pkt_view v;
	__u32 id = 0;
	int i;

	*idx = -1;
	if (!pkt_parse(res->out, res->out_len, &v))
		return 0;
	for (i = 0; i < FIX_NBACKENDS; i++)
		if (!strcmp(v.dst, fix_backends4[i]))
			*idx = i;
	fixture_endpoint(v.dst, v.dport, &ep);
	lb_backend_find(&fix.maps, &ep, &id, NULL);
	return id;
}

static int dev_mac(const char *dev, __u8 mac[6])
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

/* This CPU's cache entry for backend id. */
static int cache_entry(__u32 id, struct siplb_nexthop *out)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct siplb_nexthop *all;

	all = calloc((size_t)ncpu, sizeof(*all));
	if (!all)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fix.maps.nexthops, &id, all))
		err = -errno;
	else
		*out = all[test_cpu];
	free(all);
	return err;
}

/* The frame's MACs are the backend link's and the neighbour's `dmac`. */
static void expect_macs(const struct xdp_result *res, const __u8 dmac[6],
			const char *what)
{
	struct pkt_view v;
	__u8 smac[6];

	ASSERT_TRUE(pkt_parse(res->out, res->out_len, &v), what);
	ASSERT_OK(dev_mac(FIX_DEV_BACKEND, smac), "backend link's MAC");
	ASSERT_MEM_EQ(v.eth_dst, dmac, 6, what);
	ASSERT_MEM_EQ(v.eth_src, smac, 6, what);
}

static int set_neigh(const char *addr, const char *mac)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "ip neigh replace %s lladdr %s "
		 "nud permanent dev " FIX_DEV_BACKEND, addr, mac);
	return system(cmd) == 0 ? 0 : -EIO;
}

static const char *mac_text(const __u8 m[6], char *buf)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		m[4], m[5]);
	return buf;
}

TEST(first_packet_fills_the_cache_second_hits)
{
	struct siplb_nexthop nh;
	struct xdp_result res;
	__u8 frame[PKT_MAX], smac[6];
	struct moved mv;
	size_t len = invite_frame(frame, FIX_VIP4, "fill-1@pc33", 0);
	__u32 id;
	int idx;

	if (!run_counted(frame, len, &res, &mv))
		return;
	ASSERT_EQ(res.action, XDP_REDIRECT, "first packet redirected");
	expect_moved(&mv, SIPLB_STAT_STEER_REDIRECT, 0, 1, 0, 1,
		     "first packet: affinity and cache miss");
	id = output_backend(&res, &idx);
	if (!ASSERT_NEQ(id, 0, "went to a backend") ||
	    !ASSERT_TRUE(idx >= 0, "a fixture backend"))
		return;
	expect_macs(&res, fix_backend_macs[idx], "first packet's MACs (FIB)");

	ASSERT_OK(cache_entry(id, &nh), "read the cache");
	ASSERT_NEQ(nh.filled_ns, 0, "entry filled");
	ASSERT_EQ(nh.in_ifindex, fix.ifindex_client, "entry's ingress");
	ASSERT_EQ(nh.out_ifindex, fix.ifindex_backend, "entry's egress");
	ASSERT_MEM_EQ(nh.dmac, fix_backend_macs[idx], 6, "entry's dmac");
	ASSERT_OK(dev_mac(FIX_DEV_BACKEND, smac), "backend link's MAC");
	ASSERT_MEM_EQ(nh.smac, smac, 6, "entry's smac");

	if (!run_counted(frame, len, &res, &mv))
		return;
	ASSERT_EQ(res.action, XDP_REDIRECT, "second packet redirected");
	expect_moved(&mv, SIPLB_STAT_STEER_REDIRECT, 1, 0, 1, 0,
		     "second packet: affinity and cache hit");
	ASSERT_EQ(output_backend(&res, &idx), id, "same backend");
	expect_macs(&res, fix_backend_macs[idx],
		    "second packet's MACs (cache)");
}

/* Fill the entry for the backend callid goes to; its fixture index. */
static int fill_for(const char *callid, __u32 *id)
{
	struct xdp_result res;
	__u8 frame[PKT_MAX];
	struct moved mv;
	size_t len = invite_frame(frame, FIX_VIP4, callid, 0);
	int idx;

	if (!run_counted(frame, len, &res, &mv))
		return -1;
	*id = output_backend(&res, &idx);
	return idx;
}

TEST(changed_neighbour_heals_after_the_lifetime)
{
	static const __u8 new_mac[6] = { 0x02, 0, 0, 0, 0x02, 0x99 };
	struct timespec wait = {
		.tv_sec = SIPLB_NEXTHOP_TTL_NS / 1000000000ULL,
		.tv_nsec = SIPLB_NEXTHOP_TTL_NS % 1000000000ULL + 200000000,
	};
	struct xdp_result res;
	__u8 frame[PKT_MAX];
	char old_text[32];
	struct moved mv;
	size_t len = invite_frame(frame, FIX_VIP4, "heal-1@pc33", 0);
	int idx;
	__u32 id;

	idx = fill_for("heal-1@pc33", &id);
	if (!ASSERT_TRUE(idx >= 0, "filled"))
		return;
	if (!ASSERT_OK(set_neigh(fix_backends4[idx], "02:00:00:00:02:99"),
		       "neighbour changes its MAC"))
		return;
	/* Within the lifetime the old MAC is still used: the price. */
	if (run_counted(frame, len, &res, &mv)) {
		expect_moved(&mv, SIPLB_STAT_STEER_REDIRECT, 1, 0, 1, 0,
			     "young entry hits");
		expect_macs(&res, fix_backend_macs[idx], "young entry's MAC");
	}
	nanosleep(&wait, NULL);
	if (run_counted(frame, len, &res, &mv)) {
		expect_moved(&mv, SIPLB_STAT_STEER_REDIRECT, 1, 0, 0, 1,
			     "expired entry asks the FIB");
		expect_macs(&res, new_mac, "the new MAC after the lifetime");
	}
	if (run_counted(frame, len, &res, &mv)) {
		expect_moved(&mv, SIPLB_STAT_STEER_REDIRECT, 1, 0, 1, 0,
			     "refilled entry hits");
		expect_macs(&res, new_mac, "refilled entry's MAC");
	}
	ASSERT_OK(set_neigh(fix_backends4[idx],
			    mac_text(fix_backend_macs[idx], old_text)),
		  "neighbour restored");
}

TEST(forgotten_entry_heals_at_once)
{
	static const __u8 new_mac[6] = { 0x02, 0, 0, 0, 0x02, 0x98 };
	struct xdp_result res;
	__u8 frame[PKT_MAX];
	char old_text[32];
	struct moved mv;
	size_t len = invite_frame(frame, FIX_VIP4, "forget-1@pc33", 0);
	int idx;
	__u32 id;

	idx = fill_for("forget-1@pc33", &id);
	if (!ASSERT_TRUE(idx >= 0, "filled"))
		return;
	ASSERT_OK(set_neigh(fix_backends4[idx], "02:00:00:00:02:98"),
		  "neighbour changes its MAC");
	ASSERT_OK(lb_nexthop_forget(&fix.maps, id), "user space forgets");
	if (run_counted(frame, len, &res, &mv)) {
		expect_moved(&mv, SIPLB_STAT_STEER_REDIRECT, 1, 0, 0, 1,
			     "forgotten entry asks the FIB");
		expect_macs(&res, new_mac, "the new MAC at once");
	}
	ASSERT_OK(set_neigh(fix_backends4[idx],
			    mac_text(fix_backend_macs[idx], old_text)),
		  "neighbour restored");
	ASSERT_OK(lb_nexthop_forget(&fix.maps, id), "forget the test MAC");
}

TEST(backend_state_change_forgets_its_next_hop)
{
	struct siplb_endpoint vip, be;
	struct siplb_nexthop nh;
	char addr[64];
	__u32 id;
	int idx;

	idx = fill_for("state-1@pc33", &id);
	if (!ASSERT_TRUE(idx >= 0, "filled"))
		return;
	ASSERT_OK(cache_entry(id, &nh), "read the cache");
	ASSERT_NEQ(nh.filled_ns, 0, "entry filled");
	snprintf(addr, sizeof(addr), "%s", fix_backends4[idx]);
	fixture_endpoint(FIX_VIP4, FIX_SIP_PORT, &vip);
	fixture_endpoint(addr, FIX_SIP_PORT, &be);
	ASSERT_OK(lb_backend_set_state(&fix.maps, &vip, &be,
				       SIPLB_BACKEND_UP), "set state UP");
	ASSERT_OK(cache_entry(id, &nh), "read the cache");
	ASSERT_EQ(nh.filled_ns, 0, "entry forgotten");
}

TEST(longer_packet_than_the_fib_checked_asks_again)
{
	struct xdp_result res;
	__u8 frame[PKT_MAX];
	struct moved mv;
	size_t len = invite_frame(frame, FIX_VIP4, "long-1@pc33", 600);
	int idx;
	__u32 id;

	idx = fill_for("long-1@pc33", &id);	/* the short one */
	if (!ASSERT_TRUE(idx >= 0, "filled"))
		return;
	if (run_counted(frame, len, &res, &mv))
		expect_moved(&mv, SIPLB_STAT_STEER_REDIRECT, 1, 0, 0, 1,
			     "longer packet: FIB lookup (MTU check)");
	if (run_counted(frame, len, &res, &mv))
		expect_moved(&mv, SIPLB_STAT_STEER_REDIRECT, 1, 0, 1, 0,
			     "same length again: cache");
	len = invite_frame(frame, FIX_VIP4, "long-1@pc33", 0);
	if (run_counted(frame, len, &res, &mv))
		expect_moved(&mv, SIPLB_STAT_STEER_REDIRECT, 1, 0, 1, 0,
			     "shorter packet: cache");
}

TEST(local_and_unresolved_backends_are_never_cached)
{
	struct xdp_result res;
	__u8 frame[PKT_MAX];
	struct moved mv;
	size_t len;
	int i;

	for (i = 0; i < 2; i++) {
		len = invite_frame(frame, FIX_VIP_LOCAL, "local-1@pc33", 0);
		if (run_counted(frame, len, &res, &mv))
			expect_moved(&mv, SIPLB_STAT_STEER_LOCAL, i, !i, 0, 1,
				     "local backend: FIB every time");
		len = invite_frame(frame, FIX_VIP_NONEIGH, "noneigh-1@pc33", 0);
		if (run_counted(frame, len, &res, &mv))
			expect_moved(&mv, SIPLB_STAT_STEER_KERNEL, i, !i, 0, 1,
				     "unresolved neighbour: FIB every time");
	}
}

/* The cache is per CPU: run every test on one. */
static int pin_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	for (test_cpu = 0; test_cpu < CPU_SETSIZE; test_cpu++)
		if (CPU_ISSET(test_cpu, &set))
			break;
	CPU_ZERO(&set);
	CPU_SET(test_cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int main(int argc, char **argv)
{
	int err;

	testlib_require_root("BPF_PROG_TEST_RUN in a network namespace");
	err = pin_cpu();
	if (!err)
		err = fixture_setup(&fix);
	if (err) {
		fprintf(stderr, "test_nexthop: setup failed: %s\n",
			strerror(-err));
		fixture_teardown(&fix);
		return 1;
	}
	err = testlib_main(argc, argv);
	fixture_teardown(&fix);
	return err;
}
