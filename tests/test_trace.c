// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_trace.c - the verdict trace (bpf/trace.bpf.h, include/siplb_trace.h)
 * through BPF_PROG_TEST_RUN, and siplbctl trace's pieces in user space.
 *
 * Off, no packet leaves an event. On, exactly the packets its filter
 * (source prefix, Call-ID hash, VIP, counter) matches do, each event
 * naming the counter that moved and the verdict returned, its addresses,
 * Call-ID hash, backend and the frame as XDP left it; a 1-in-N sample
 * keeps about 1 in N; a full ring counts what it loses. Then the prefix
 * and argument parsing, the start line and the pcap records. Runs as root
 * in a private network namespace (tests/lib/xdp_fixture.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lb_table.h"
#include "siplb.skel.h"
#include "siplb_hash.h"
#include "siplb_trace.h"
#include "packet.h"
#include "sip_samples.h"
#include "lb_stats.h"
#include "testlib.h"
#include "trace.h"
#include "trace_event.h"
#include "xdp_fixture.h"

static struct xdp_fixture fix;

#define CLIENT_PORT 5070
#define STRANGER4 "10.10.1.3"
#define MAX_EVENTS 4096

static struct siplb_trace_event events[MAX_EVENTS];
static int nevents;

static int on_event(void *ctx, void *data, size_t size)
{
	if (size >= sizeof(events[0]) && nevents < MAX_EVENTS)
		memcpy(&events[nevents], data, sizeof(events[0]));
	nevents++;
	return 0;
}

/* Everything in the ring now, into events[] (nevents counts them all). */
static void collect(void)
{
	struct ring_buffer *rb;

	nevents = 0;
	rb = ring_buffer__new(bpf_map__fd(fix.skel->maps.siplb_trace), on_event,
			      NULL, NULL);
	if (!ASSERT_TRUE(rb != NULL, "open the ring buffer"))
		return;
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
}

static void trace_set(const struct siplb_trace_cfg *cfg)
{
	__u32 zero = 0;

	ASSERT_OK(
		bpf_map_update_elem(bpf_map__fd(fix.skel->maps.siplb_trace_cfg),
				    &zero, cfg, BPF_ANY),
		"write trace cfg");
}

static __u64 trace_lost(void)
{
	struct siplb_trace_cfg cfg = {};
	__u32 zero = 0;

	bpf_map_lookup_elem(bpf_map__fd(fix.skel->maps.siplb_trace_cfg), &zero,
			    &cfg);
	return cfg.lost;
}

/* A SIP message with `callid` from src to dst:5060. */
static size_t sip_frame(__u8 *buf, int family, const char *src, const char *dst,
			const char *start, const char *callid)
{
	char payload[1024], line[128];
	struct pkt_spec spec = {
		.family = family,
		.src = src,
		.dst = dst,
		.sport = CLIENT_PORT,
		.dport = FIX_SIP_PORT,
		.payload = payload,
	};

	snprintf(line, sizeof(line), "Call-ID: %s", callid);
	spec.len = sip_sample(payload, sizeof(payload), start, line);
	return pkt_build(&spec, buf, PKT_MAX);
}

/* What one run did: the verdict, the one counter that moved, the output. */
struct ran {
	struct xdp_result res;
	int stat; /* -1: none or several moved */
	__u8 in[PKT_MAX];
	size_t in_len;
};

static void run(struct ran *r, int ifindex)
{
	__u64 before[SIPLB_STAT_MAX], after[SIPLB_STAT_MAX];
	int i;

	r->stat = -1;
	if (!ASSERT_OK(fixture_stats(&fix, before), "read counters") ||
	    !ASSERT_OK(fixture_run(&fix, ifindex, r->in, r->in_len, 1, &r->res),
		       "BPF_PROG_TEST_RUN") ||
	    !ASSERT_OK(fixture_stats(&fix, after), "read counters"))
		return;
	for (i = 0; i < SIPLB_STAT_MAX; i++) {
		if (after[i] == before[i])
			continue;
		r->stat = r->stat == -1 && after[i] - before[i] == 1 ? i : -2;
	}
}

/* The event of a run says what the run did. */
static void expect_event(const struct siplb_trace_event *ev,
			 const struct ran *r, const char *callid,
			 const char *what)
{
	struct pkt_view v;
	struct siplb_endpoint src, dst;
	__u32 cap = r->res.out_len < SIPLB_TRACE_SNAPLEN ? r->res.out_len :
							   SIPLB_TRACE_SNAPLEN;

	testlib_report(ev->reason == r->stat, __FILE__, __LINE__, what,
		       "event reason %s, the counter that moved %s",
		       trace_reason_name(ev->reason),
		       r->stat >= 0 ? trace_reason_name(r->stat) : "(none)");
	ASSERT_EQ(ev->verdict, r->res.action, what);
	ASSERT_EQ(ev->ifindex, (__u32)fix.ifindex_client, "event ifindex");
	ASSERT_TRUE(pkt_parse(r->in, r->in_len, &v), "parse the input");
	fixture_endpoint(v.src, v.sport, &src);
	fixture_endpoint(v.dst, v.dport, &dst);
	ASSERT_MEM_EQ(&ev->src, &src, sizeof(src), "event source as received");
	ASSERT_MEM_EQ(&ev->dst, &dst, sizeof(dst), "event dest. as received");
	ASSERT_EQ(ev->pkt_len, r->res.out_len, "event frame length");
	ASSERT_EQ(ev->cap_len, cap, "event captured length");
	ASSERT_MEM_EQ(ev->data, r->res.out, cap,
		      "event holds the frame as sent");
	ASSERT_EQ(ev->payload_off, v.payload_off, "event payload offset");
	if (callid)
		ASSERT_EQ(ev->callid_hash,
			  siplb_callid_hash((const __u8 *)callid,
					    strlen(callid), fix_hash_key),
			  "event Call-ID hash");
}

TEST(off_no_events)
{
	struct siplb_trace_cfg off = { .enabled = 0, .sample = 1 };
	struct ran r;

	trace_set(&off);
	collect(); /* whatever an earlier test left */
	r.in_len = sip_frame(r.in, 4, FIX_CLIENT4, FIX_VIP4,
			     "INVITE sip:bob@example.com SIP/2.0", "off-1@h");
	run(&r, fix.ifindex_client);
	r.in_len = sip_frame(r.in, 4, FIX_CLIENT4, FIX_VIP_EMPTY,
			     "INVITE sip:bob@example.com SIP/2.0", "off-2@h");
	run(&r, fix.ifindex_client);
	collect();
	ASSERT_EQ(nevents, 0, "events with the trace off");
}

TEST(on_every_packet_event_matches_counter)
{
	static const struct {
		const char *dst, *start, *callid;
	} cases[] = {
		{ FIX_VIP4, "INVITE sip:bob@example.com SIP/2.0", "all-1@h" },
		{ FIX_VIP4, "SIP/2.0 200 OK", "all-2@h" },
		{ FIX_VIP_EMPTY, "INVITE sip:bob@example.com SIP/2.0",
		  "all-3@h" },
		{ FIX_VIP_LOCAL, "BYE sip:bob@example.com SIP/2.0", "all-4@h" },
		{ FIX_VIP4, "REGISTER sip:example.com SIP/2.0", "all-5@h" },
		{ "10.10.1.1", "OPTIONS sip:x SIP/2.0", "all-6@h" },
	};
	struct siplb_trace_cfg on = { .enabled = 1 };
	struct ran r[6];
	char start[32];
	size_t i;

	collect();
	trace_set(&on);
	for (i = 0; i < 6; i++) {
		r[i].in_len = sip_frame(r[i].in, 4, FIX_CLIENT4, cases[i].dst,
					cases[i].start, cases[i].callid);
		run(&r[i], fix.ifindex_client);
	}
	collect();
	if (!ASSERT_EQ(nevents, 6, "one event per packet"))
		return;
	for (i = 0; i < 6; i++) {
		bool hashed = r[i].stat == SIPLB_STAT_STEER_REDIRECT ||
			      r[i].stat == SIPLB_STAT_STEER_LOCAL ||
			      r[i].stat == SIPLB_STAT_PASS_NO_BACKEND;

		expect_event(&events[i], &r[i], hashed ? cases[i].callid : NULL,
			     cases[i].start);
		trace_start_line(&events[i], start, sizeof(start));
		ASSERT_TRUE(!strncmp(start, cases[i].start, 16) &&
				    strlen(start) ==
					    (strlen(cases[i].start) < 16 ?
						     strlen(cases[i].start) :
						     16),
			    "start line: its first 16 bytes");
		if (r[i].stat == SIPLB_STAT_STEER_REDIRECT) {
			struct pkt_view v;
			struct siplb_endpoint be;
			__u32 id = 0;

			pkt_parse(r[i].res.out, r[i].res.out_len, &v);
			fixture_endpoint(v.dst, v.dport, &be);
			lb_backend_find(&fix.maps, &be, &id, NULL);
			ASSERT_NEQ(id, 0, "steered to a backend");
			ASSERT_EQ(events[i].backend_id, id,
				  "event names the backend chosen");
		} else if (r[i].stat != SIPLB_STAT_STEER_LOCAL) {
			ASSERT_EQ(events[i].backend_id, 0, "no backend");
		}
	}
	ASSERT_EQ(r[0].stat, SIPLB_STAT_STEER_REDIRECT, "INVITE steered");
	ASSERT_EQ(r[2].stat, SIPLB_STAT_PASS_NO_BACKEND, "empty VIP");
	ASSERT_EQ(r[4].stat, SIPLB_STAT_PASS_REGISTER, "REGISTER up");
	ASSERT_EQ(r[5].stat, SIPLB_STAT_PASS_NOT_VIP, "not to a VIP");
	on.enabled = 0;
	trace_set(&on);
}

/* Runs the same mixed traffic under one filter; the events' indices. */
static int run_filtered(const struct siplb_trace_cfg *cfg, int *which,
			struct ran *r)
{
	static const struct {
		int family;
		const char *src, *dst, *start, *callid;
	} mix[] = {
		{ 4, FIX_CLIENT4, FIX_VIP4, "INVITE sip:a@b SIP/2.0",
		  "mix-A@h" },
		{ 4, STRANGER4, FIX_VIP4, "INVITE sip:a@b SIP/2.0", "mix-B@h" },
		{ 4, FIX_CLIENT4, FIX_VIP_EMPTY, "BYE sip:a@b SIP/2.0",
		  "mix-A@h" },
		{ 6, FIX_CLIENT6, FIX_VIP6, "ACK sip:a@b SIP/2.0", "mix-C@h" },
		{ 4, STRANGER4, FIX_VIP4, "HTTP/1.1 200 OK", "mix-D@h" },
		{ 4, FIX_CLIENT4, FIX_VIP4, "SIP/2.0 180 Ringing", "mix-A@h" },
	};
	int i, j, n = 0;

	collect();
	trace_set(cfg);
	for (i = 0; i < 6; i++) {
		r[i].in_len = sip_frame(r[i].in, mix[i].family, mix[i].src,
					mix[i].dst, mix[i].start,
					mix[i].callid);
		run(&r[i], fix.ifindex_client);
	}
	collect();
	for (j = 0; j < nevents && j < MAX_EVENTS; j++) {
		for (i = 0; i < 6; i++)
			if (events[j].pkt_len == r[i].res.out_len &&
			    !memcmp(events[j].data, r[i].res.out,
				    events[j].cap_len))
				break;
		which[n++] = i;
		if (i < 6)
			expect_event(&events[j], &r[i], NULL, "filtered");
	}
	trace_set(&(struct siplb_trace_cfg){ .enabled = 0 });
	return n;
}

static void expect_which(const struct siplb_trace_cfg *cfg, const int *want,
			 int nwant, const char *what)
{
	int which[MAX_EVENTS], n, i;
	struct ran r[6];

	n = run_filtered(cfg, which, r);
	if (!testlib_report(n == nwant, __FILE__, __LINE__, what,
			    "%d events, expected %d", n, nwant))
		return;
	for (i = 0; i < n; i++)
		testlib_report(which[i] == want[i], __FILE__, __LINE__, what,
			       "event %d is packet %d, expected %d", i,
			       which[i], want[i]);
}

TEST(filters_keep_exactly_the_matching_packets)
{
	struct siplb_trace_cfg c = { .enabled = 1 };

	ASSERT_OK(trace_prefix_parse(FIX_CLIENT4 "/32", &c.src, c.src_mask),
		  "prefix");
	c.filters = SIPLB_TRACE_F_SRC;
	expect_which(&c, (int[]){ 0, 2, 5 }, 3, "--src client/32");

	memset(&c, 0, sizeof(c));
	c.enabled = 1;
	ASSERT_OK(trace_prefix_parse("10.10.1.0/24", &c.src, c.src_mask),
		  "prefix");
	c.filters = SIPLB_TRACE_F_SRC;
	expect_which(&c, (int[]){ 0, 1, 2, 4, 5 }, 5, "--src 10.10.1.0/24");

	memset(&c, 0, sizeof(c));
	c.enabled = 1;
	ASSERT_OK(trace_prefix_parse("fd00:1::/64", &c.src, c.src_mask),
		  "prefix");
	c.filters = SIPLB_TRACE_F_SRC;
	expect_which(&c, (int[]){ 3 }, 1, "--src fd00:1::/64");

	memset(&c, 0, sizeof(c));
	c.enabled = 1;
	c.filters = SIPLB_TRACE_F_CALLID;
	c.callid_hash =
		siplb_callid_hash((const __u8 *)"mix-A@h", 7, fix_hash_key);
	expect_which(&c, (int[]){ 0, 2, 5 }, 3, "--callid mix-A@h");

	memset(&c, 0, sizeof(c));
	c.enabled = 1;
	c.filters = SIPLB_TRACE_F_VIP;
	fixture_endpoint(FIX_VIP4, FIX_SIP_PORT, &c.vip);
	expect_which(&c, (int[]){ 0, 1, 4, 5 }, 4, "--vip VIP4");

	memset(&c, 0, sizeof(c));
	c.enabled = 1;
	c.filters = SIPLB_TRACE_F_REASON;
	c.reason = SIPLB_STAT_DROP_NOT_SIP;
	expect_which(&c, (int[]){ 4 }, 1, "--reason drop_not_sip");

	c.filters |= SIPLB_TRACE_F_SRC; /* all filters must match */
	ASSERT_OK(trace_prefix_parse(FIX_CLIENT4, &c.src, c.src_mask),
		  "prefix");
	expect_which(&c, NULL, 0, "--reason drop_not_sip --src client");
}

/* A dropped frame, run `times` times in one BPF_PROG_TEST_RUN. */
static void run_drops(__u32 times)
{
	struct pkt_spec spec = {
		.family = 4,
		.src = FIX_CLIENT4,
		.dst = FIX_VIP4,
		.sport = CLIENT_PORT,
		.dport = FIX_SIP_PORT,
		.payload = "GET / HTTP/1.1\r\n\r\n",
		.len = 18,
	};
	struct xdp_result res;
	__u8 frame[PKT_MAX];
	size_t len = pkt_build(&spec, frame, sizeof(frame));

	ASSERT_OK(fixture_run(&fix, fix.ifindex_client, frame, len, times,
			      &res),
		  "BPF_PROG_TEST_RUN");
	ASSERT_EQ(res.action, XDP_DROP, "dropped");
}

TEST(sample_keeps_about_one_in_n)
{
	struct siplb_trace_cfg c = { .enabled = 1, .sample = 4 };

	collect();
	trace_set(&c);
	run_drops(600);
	collect();
	/* Binomial(600, 1/4): mean 150, sd 10.6; 90..210 is beyond 5 sd. */
	testlib_report(nevents >= 90 && nevents <= 210, __FILE__, __LINE__,
		       "--sample 4", "%d events of 600 packets, expected ~150",
		       nevents);
	ASSERT_EQ(trace_lost(), 0, "nothing lost");

	c.sample = 1;
	trace_set(&c);
	run_drops(300);
	collect();
	ASSERT_EQ(nevents, 300, "--sample 1 keeps every packet");
	trace_set(&(struct siplb_trace_cfg){ .enabled = 0 });
}

TEST(full_ring_counts_lost_events)
{
	struct siplb_trace_cfg c = { .enabled = 1 };
	int fit =
		SIPLB_TRACE_RING_SIZE / (sizeof(struct siplb_trace_event) + 8);

	collect();
	trace_set(&c);
	run_drops(fit + 100);
	collect();
	ASSERT_LE(nevents, fit, "events in the ring");
	ASSERT_EQ(nevents + trace_lost(), (__u64)fit + 100,
		  "events kept + lost = packets");
	ASSERT_GE(trace_lost(), 100, "lost counted");
	trace_set(&(struct siplb_trace_cfg){ .enabled = 0 });
}

TEST(prefix_parse)
{
	static const struct {
		const char *text;
		int ok, family;
		__u32 mask0, mask1, addr0; /* host order */
	} cases[] = {
		{ "10.1.2.3", 1, SIPLB_AF_INET, 0xffffffff, 0, 0x0a010203 },
		{ "10.1.2.3/24", 1, SIPLB_AF_INET, 0xffffff00, 0, 0x0a010200 },
		{ "10.1.2.3/1", 1, SIPLB_AF_INET, 0x80000000, 0, 0 },
		{ "fd00:1::5/40", 1, SIPLB_AF_INET6, 0xffffffff, 0xff000000,
		  0xfd000001 },
		{ "fd00:1::5", 1, SIPLB_AF_INET6, 0xffffffff, 0xffffffff,
		  0xfd000001 },
		{ "10.1.2.3/33", 0, 0, 0, 0, 0 },
		{ "10.1.2.3/", 0, 0, 0, 0, 0 },
		{ "10.1.2.3/x", 0, 0, 0, 0, 0 },
		{ "10.1.2.3/-1", 0, 0, 0, 0, 0 },
		{ "fd00::/129", 0, 0, 0, 0, 0 },
		{ "bob", 0, 0, 0, 0, 0 },
		{ "", 0, 0, 0, 0, 0 },
		{ "10.1.2.3/0", 0, 0, 0, 0, 0 },
	};
	struct siplb_addr a;
	__be32 mask[4];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err = trace_prefix_parse(cases[i].text, &a, mask);

		if (!cases[i].ok) {
			testlib_report(err == -EINVAL, __FILE__, __LINE__,
				       cases[i].text, "accepted");
			continue;
		}
		if (!ASSERT_OK(err, cases[i].text))
			continue;
		ASSERT_EQ(a.family, cases[i].family, cases[i].text);
		ASSERT_EQ(ntohl(mask[0]), cases[i].mask0, cases[i].text);
		ASSERT_EQ(ntohl(mask[1]), cases[i].mask1, cases[i].text);
		ASSERT_EQ(ntohl(a.addr[0]), cases[i].addr0, cases[i].text);
	}
}

TEST(args_parse)
{
	static const char *const bad[][3] = {
		{ "--sample", "0" },	     { "--sample", "x" },
		{ "--count", "-1" },	     { "--seconds", "0" },
		{ "--reason", "no_such" },   { "--vip", "10.0.0.1" },
		{ "--src", "10.0.0.0/40" },  { "--callid", "" },
		{ "--bogus", "1" },	     { "--count" },
		{ "--off", "--count", "1" },
	};
	char *argv[8];
	struct trace_opts o;
	size_t i;
	int n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (n = 0; n < 3 && bad[i][n]; n++)
			argv[n] = (char *)bad[i][n];
		testlib_report(trace_args_parse(&o, n, argv) == -EINVAL,
			       __FILE__, __LINE__, bad[i][0], "accepted %s %s",
			       bad[i][0], n > 1 ? bad[i][1] : "");
	}
	argv[0] = "--reason";
	argv[1] = "drop_scanner";
	argv[2] = "--vip";
	argv[3] = "[fd00::10]:5060";
	argv[4] = "--sample";
	argv[5] = "10";
	argv[6] = "--count";
	argv[7] = "5";
	if (ASSERT_OK(trace_args_parse(&o, 8, argv), "good arguments")) {
		ASSERT_EQ(o.cfg.filters,
			  SIPLB_TRACE_F_REASON | SIPLB_TRACE_F_VIP, "filters");
		ASSERT_EQ(o.cfg.reason, SIPLB_STAT_DROP_SCANNER, "reason");
		ASSERT_EQ(o.cfg.vip.family, SIPLB_AF_INET6, "VIP family");
		ASSERT_EQ(o.cfg.sample, 10, "sample");
		ASSERT_EQ(o.count, 5, "count");
	}
}

TEST(pcap_records)
{
	struct siplb_trace_event ev = {
		.time_ns = 1500000000ULL,
		.pkt_len = 1000,
		.cap_len = 256,
	};
	struct trace_ctx tc = { .mono_to_real_ns = 1000000000LL * 1700000000 };
	__u32 hdr[6], rec[4];
	__u8 data[256];
	FILE *f = tmpfile();

	if (!ASSERT_TRUE(f != NULL, "tmpfile"))
		return;
	memset(ev.data, 0xab, sizeof(ev.data));
	ASSERT_OK(trace_pcap_header(f), "pcap header");
	ASSERT_OK(trace_pcap_record(f, &ev, &tc), "pcap record");
	ev.cap_len = 60;
	ev.pkt_len = 60;
	ASSERT_OK(trace_pcap_record(f, &ev, &tc), "short record");
	ASSERT_EQ((long)ftell(f), 24L + 16 + 256 + 16 + 60, "file length");
	rewind(f);
	ASSERT_EQ(fread(hdr, sizeof(hdr), 1, f), 1, "read header");
	ASSERT_EQ(hdr[0], 0xa1b2c3d4, "magic: microseconds, host order");
	ASSERT_EQ(hdr[1], 2 | 4 << 16, "version 2.4");
	ASSERT_EQ(hdr[4], SIPLB_TRACE_SNAPLEN, "snaplen");
	ASSERT_EQ(hdr[5], 1, "LINKTYPE_ETHERNET");
	ASSERT_EQ(fread(rec, sizeof(rec), 1, f), 1, "read record");
	ASSERT_EQ(rec[0], 1700000001, "seconds on the wall clock");
	ASSERT_EQ(rec[1], 500000, "microseconds");
	ASSERT_EQ(rec[2], 256, "captured length");
	ASSERT_EQ(rec[3], 1000, "original length");
	ASSERT_EQ(fread(data, sizeof(data), 1, f), 1, "read data");
	ASSERT_MEM_EQ(data, ev.data, sizeof(data), "captured bytes");
	fclose(f);
}

int main(int argc, char **argv)
{
	int err;

	testlib_require_root("BPF_PROG_TEST_RUN in a network namespace");
	err = fixture_setup(&fix);
	if (err) {
		fprintf(stderr, "test_trace: fixture setup failed: %s\n",
			strerror(-err));
		fixture_teardown(&fix);
		return 1;
	}
	err = testlib_main(argc, argv);
	fixture_teardown(&fix);
	return err;
}
