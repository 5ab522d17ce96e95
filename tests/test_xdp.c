// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_xdp.c - the XDP program through BPF_PROG_TEST_RUN.
 *
 * Each case sends one crafted frame and asserts the verdict, that exactly
 * the expected counter moved, and the bytes that matter: for a steered
 * packet the new destination (the backend user space computes for the
 * Call-ID with the shared hash and table), the MACs from the FIB, valid
 * IPv4/UDP checksums recomputed from scratch, and an affinity entry keyed
 * by the hash of exactly the expected Call-ID value; for a passed packet,
 * bytes unchanged. Runs as root in a private network namespace
 * (tests/lib/xdp_fixture.h).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lb_table.h"
#include "siplb.skel.h"
#include "packet.h"
#include "siplb_hash.h"
#include "siplb_location.h"
#include "sip_samples.h"
#include "lb_stats.h"
#include "testlib.h"
#include "xdp_fixture.h"

static struct xdp_fixture fix;

#define CLIENT_PORT 5070

/* A frame from the client to a VIP (or to `dst`) carrying `payload`. */
static size_t client_frame(__u8 *buf, int family, const char *dst,
			   __u16 dport, const void *payload, size_t len)
{
	struct pkt_spec spec = {
		.family = family,
		.src = family == 4 ? FIX_CLIENT4 : FIX_CLIENT6,
		.dst = dst,
		.sport = CLIENT_PORT,
		.dport = dport,
		.payload = payload,
		.len = len,
	};

	return pkt_build(&spec, buf, PKT_MAX);
}

/*
 * Run one frame and check the verdict and that `stat` -- and no other
 * counter -- went up by one.
 */
static bool run_expect(int ifindex, const __u8 *frame, size_t len,
		       int action, int stat, struct xdp_result *res,
		       const char *what)
{
	return fixture_run_expect(&fix, ifindex, frame, len, action, stat, res,
				  what);
}

static bool expect_unchanged(const struct xdp_result *res, const __u8 *frame,
			     size_t len, const char *what)
{
	return ASSERT_EQ(res->out_len, len, what) &&
	       ASSERT_MEM_EQ(res->out, frame, len, what);
}

static bool affinity_has(int vip_family, const char *vip, const char *callid,
			 size_t len, __u32 *backend_id)
{
	struct siplb_affinity_key key = {};
	struct siplb_endpoint ep;
	struct siplb_affinity aff;
	struct siplb_vip v;

	fixture_endpoint(vip, FIX_SIP_PORT, &ep);
	(void)vip_family;
	if (bpf_map_lookup_elem(fix.maps.vips, &ep, &v))
		return false;
	key.callid_hash = siplb_callid_hash((const __u8 *)callid, len,
					    fix_hash_key);
	key.vip_id = v.vip_id;
	if (bpf_map_lookup_elem(fix.maps.affinity, &key, &aff))
		return false;
	*backend_id = aff.backend_id;
	return true;
}

/* The backend id of the destination the program wrote into the frame. */
static __u32 backend_of_output(const struct xdp_result *res, __u16 *port)
{
	struct siplb_endpoint ep;
	struct pkt_view v;
	__u32 id = 0;

	if (!pkt_parse(res->out, res->out_len, &v))
		return 0;
	*port = v.dport;
	fixture_endpoint(v.dst, v.dport, &ep);
	lb_backend_find(&fix.maps, &ep, &id, NULL);
	return id;
}

/*
 * A steered frame: destination = the backend the shared code picks for
 * callid, MACs from the FIB, checksums valid, source unchanged, affinity
 * recorded under the hash of exactly callid. Returns the backend id.
 */
static __u32 expect_steered(const struct xdp_result *res, const __u8 *in,
			    size_t in_len, int family, const char *callid,
			    const char *what)
{
	const char *vip = family == 4 ? FIX_VIP4 : FIX_VIP6;
	struct pkt_view out_v, in_v;
	__u32 chosen, expected = 0, remembered = 0;
	struct siplb_endpoint vip_ep;
	__u16 port = 0;
	int i;

	chosen = backend_of_output(res, &port);
	ASSERT_NEQ(chosen, 0, "destination is a backend");
	ASSERT_EQ(port, FIX_SIP_PORT, "destination port is the backend's");
	fixture_endpoint(vip, FIX_SIP_PORT, &vip_ep);
	ASSERT_OK(lb_maglev_choice(&fix.maps, &vip_ep, callid, strlen(callid),
				   &expected), "user-space choice");
	testlib_report(chosen == expected, __FILE__, __LINE__, what,
		       "backend %u, user space computes %u", chosen, expected);
	ASSERT_TRUE(affinity_has(family, vip, callid, strlen(callid),
				 &remembered), "affinity keyed by the Call-ID");
	ASSERT_EQ(remembered, chosen, "affinity names the chosen backend");

	pkt_parse(res->out, res->out_len, &out_v);
	pkt_parse(in, in_len, &in_v);
	ASSERT_TRUE(!strcmp(out_v.src, in_v.src), "source address kept");
	ASSERT_EQ(out_v.sport, in_v.sport, "source port kept");
	ASSERT_EQ(res->out_len, in_len, "length kept");
	ASSERT_MEM_EQ(res->out + out_v.payload_off, in + in_v.payload_off,
		      in_len - in_v.payload_off, "payload kept");
	if (family == 4)
		ASSERT_TRUE(pkt_ipv4_csum_ok(res->out, res->out_len),
			    "IPv4 header checksum valid");
	ASSERT_TRUE(pkt_udp_csum_ok(res->out, res->out_len),
		    "UDP checksum valid");
	for (i = 0; i < FIX_NBACKENDS; i++) {
		const char *addr = family == 4 ? fix_backends4[i] :
						 fix_backends6[i];

		if (!strcmp(out_v.dst, addr))
			ASSERT_MEM_EQ(out_v.eth_dst, fix_backend_macs[i], 6,
				      "next-hop MAC of the backend");
	}
	return chosen;
}

struct steer_case {
	const char *name;
	const char *start_line;
};

static const struct steer_case steer_cases[] = {
	{ "INVITE", "INVITE sip:bob@example.com SIP/2.0" },
	{ "ACK", "ACK sip:bob@example.com SIP/2.0" },
	{ "BYE", "BYE sip:bob@example.com SIP/2.0" },
	{ "CANCEL", "CANCEL sip:bob@example.com SIP/2.0" },
	{ "OPTIONS", "OPTIONS sip:bob@example.com SIP/2.0" },
	{ "100", "SIP/2.0 100 Trying" },
	{ "180", "SIP/2.0 180 Ringing" },
	{ "200", "SIP/2.0 200 OK" },
};

static void steer_all_methods(int family)
{
	char payload[1024], callid[64], line[96], what[64];
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t i, len, flen;

	for (i = 0; i < sizeof(steer_cases) / sizeof(steer_cases[0]); i++) {
		snprintf(what, sizeof(what), "%s over IPv%d",
			 steer_cases[i].name, family);
		snprintf(callid, sizeof(callid), "a84b4c76e66710-%zu-%d@pc33",
			 i, family);
		snprintf(line, sizeof(line), "Call-ID: %s", callid);
		len = sip_sample(payload, sizeof(payload),
				 steer_cases[i].start_line, line);
		flen = client_frame(frame, family,
				    family == 4 ? FIX_VIP4 : FIX_VIP6,
				    FIX_SIP_PORT, payload, len);
		if (!run_expect(fix.ifindex_client, frame, flen, XDP_REDIRECT,
				SIPLB_STAT_STEER_REDIRECT, &res, what))
			continue;
		expect_steered(&res, frame, flen, family, callid, what);
	}
}

TEST(steer_requests_and_responses_ipv4)
{
	steer_all_methods(4);
}

TEST(steer_requests_and_responses_ipv6)
{
	steer_all_methods(6);
}

/* Every message of one call, request or response, reaches one backend. */
TEST(one_call_one_backend)
{
	static const char *const msgs[] = {
		"INVITE sip:bob@example.com SIP/2.0", "SIP/2.0 100 Trying",
		"SIP/2.0 180 Ringing", "SIP/2.0 200 OK",
		"ACK sip:bob@10.10.2.2 SIP/2.0", "BYE sip:alice@10.10.1.2 SIP/2.0",
		"SIP/2.0 200 OK",
	};
	const char *callid = "one-call-3848276298220188511@atlanta.example.com";
	char payload[1024], line[128];
	__u32 first = 0, id;
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t i, len, flen;

	snprintf(line, sizeof(line), "Call-ID: %s", callid);
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		len = sip_sample(payload, sizeof(payload), msgs[i], line);
		flen = client_frame(frame, 4, FIX_VIP4, FIX_SIP_PORT, payload,
				    len);
		if (!run_expect(fix.ifindex_client, frame, flen, XDP_REDIRECT,
				SIPLB_STAT_STEER_REDIRECT, &res, msgs[i]))
			return;
		id = expect_steered(&res, frame, flen, 4, callid, msgs[i]);
		if (i == 0)
			first = id;
		ASSERT_EQ(id, first, "same backend for the whole call");
	}
}

TEST(register_goes_up_unchanged)
{
	char payload[1024];
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t len, flen;

	len = sip_sample(payload, sizeof(payload),
			 "REGISTER sip:example.com SIP/2.0",
			 "Call-ID: reg-843817637684230@998sdasdh09");
	flen = client_frame(frame, 4, FIX_VIP4, FIX_SIP_PORT, payload, len);
	if (run_expect(fix.ifindex_client, frame, flen, XDP_PASS,
		       SIPLB_STAT_PASS_REGISTER, &res, "REGISTER"))
		expect_unchanged(&res, frame, flen, "REGISTER unchanged");
}

struct form_case {
	const char *header;	/* the Call-ID line as sent */
	const char *value;	/* the value that must be hashed */
};

static const struct form_case form_cases[] = {
	{ "Call-ID: f1@host", "f1@host" },
	{ "i: f2-compact@host", "f2-compact@host" },
	{ "I:f3-compact-upper", "f3-compact-upper" },
	{ "call-id: f4-lower@host", "f4-lower@host" },
	{ "CALL-ID   : f5-spaced@host", "f5-spaced@host" },
	{ "Call-ID\t:\tf6-tabs@host", "f6-tabs@host" },
	{ "Call-ID:   f7-trailing@host  \t", "f7-trailing@host" },
	{ "cAlL-iD:F8-MiXeD-CaSe@Host", "F8-MiXeD-CaSe@Host" },
	{ "i  :  f9", "f9" },
};

TEST(callid_header_forms)
{
	char payload[1024];
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t i, len, flen;

	for (i = 0; i < sizeof(form_cases) / sizeof(form_cases[0]); i++) {
		len = sip_sample(payload, sizeof(payload),
				 "INVITE sip:bob@example.com SIP/2.0",
				 form_cases[i].header);
		flen = client_frame(frame, 4, FIX_VIP4, FIX_SIP_PORT, payload,
				    len);
		if (run_expect(fix.ifindex_client, frame, flen, XDP_REDIRECT,
			       SIPLB_STAT_STEER_REDIRECT, &res,
			       form_cases[i].header))
			expect_steered(&res, frame, flen, 4,
				       form_cases[i].value,
				       form_cases[i].header);
	}
}

/* Headers that merely start like Call-ID or i must not be taken for it. */
TEST(callid_lookalikes_are_skipped)
{
	const char *payload =
		"INVITE sip:bob@example.com SIP/2.0\r\n"
		"In-Reply-To: 70710@saturn.example.com\r\n"
		"Call-IDx: not-this-one\r\n"
		"Info: x\r\n"
		"X-Call-ID: nor-this\r\n"
		"i: the-real-one\r\n"
		"Call-ID: not-the-second\r\n"
		"\r\n";
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t flen;

	flen = client_frame(frame, 4, FIX_VIP4, FIX_SIP_PORT, payload,
			    strlen(payload));
	if (run_expect(fix.ifindex_client, frame, flen, XDP_REDIRECT,
		       SIPLB_STAT_STEER_REDIRECT, &res, "lookalikes"))
		expect_steered(&res, frame, flen, 4, "the-real-one",
			       "first real Call-ID header");
}

TEST(callid_last_header_of_1400_byte_message)
{
	const char *callid = "last-0af7651916cd43dd8448eb211c80319c@host";
	static const size_t sizes[] = { 1000, 1400, 1472 - 20 };
	char payload[PKT_MAX];
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t i, len, flen;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		len = sip_sample_callid_last(payload, sizeof(payload),
					     sizes[i], callid);
		if (!ASSERT_EQ(len, sizes[i], "sample size"))
			return;
		flen = client_frame(frame, 4, FIX_VIP4, FIX_SIP_PORT, payload,
				    len);
		if (run_expect(fix.ifindex_client, frame, flen, XDP_REDIRECT,
			       SIPLB_STAT_STEER_REDIRECT, &res,
			       "Call-ID last"))
			expect_steered(&res, frame, flen, 4, callid,
				       "Call-ID last");
	}
}

struct reason_case {
	const char *name;
	const char *payload;	/* NULL: built by the case */
	int action;
	int stat;
};

static const char stun_binding[20] = {
	0x00, 0x01, 0x00, 0x00, 0x21, 0x12, (char)0xa4, 0x42,
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
};

static const struct reason_case reason_cases[] = {
	{ "no Call-ID",
	  "OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n"
	  "CSeq: 1 OPTIONS\r\n\r\n",
	  XDP_PASS, SIPLB_STAT_PASS_NO_CALLID },
	{ "Call-ID after the end of the headers",
	  "OPTIONS sip:bob@example.com SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n"
	  "Call-ID: in-the-body\r\n",
	  XDP_PASS, SIPLB_STAT_PASS_NO_CALLID },
	{ "empty Call-ID",
	  "BYE sip:bob@example.com SIP/2.0\r\nCall-ID:   \r\nCSeq: 2 BYE\r\n\r\n",
	  XDP_PASS, SIPLB_STAT_PASS_NO_CALLID },
	{ "Call-ID name without a colon",
	  "BYE sip:bob@example.com SIP/2.0\r\nCall-ID  x\r\nCSeq: 2 BYE\r\n\r\n",
	  XDP_PASS, SIPLB_STAT_PASS_NO_CALLID },
	{ "folded Call-ID",
	  "BYE sip:bob@example.com SIP/2.0\r\nCall-ID: abc\r\n def\r\n\r\n",
	  XDP_PASS, SIPLB_STAT_PASS_CALLID_FOLDED },
	{ "Call-ID value on the next line",
	  "BYE sip:bob@example.com SIP/2.0\r\nCall-ID:\r\n  abc\r\n\r\n",
	  XDP_PASS, SIPLB_STAT_PASS_CALLID_FOLDED },
	{ "SIP/3.0 request",
	  "OPTIONS sip:bob@example.com SIP/3.0\r\nCall-ID: v3\r\n\r\n",
	  XDP_PASS, SIPLB_STAT_PASS_BAD_VERSION },
	{ "CRLF keep-alive", "\r\n", XDP_PASS, SIPLB_STAT_PASS_KEEPALIVE },
	{ "CRLFCRLF keep-alive", "\r\n\r\n", XDP_PASS,
	  SIPLB_STAT_PASS_KEEPALIVE },
	{ "binary junk", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
	  XDP_DROP, SIPLB_STAT_DROP_NOT_SIP },
	{ "HTTP", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", XDP_DROP,
	  SIPLB_STAT_DROP_NOT_SIP },
	{ "lone LF: not a keep-alive, left to the slow path", "\n", XDP_PASS,
	  SIPLB_STAT_PASS_UNUSUAL },
	{ "CRLF before the start line (RFC 3261 7.5)",
	  "\r\nBYE sip:bob@example.com SIP/2.0\r\nCall-ID: lead\r\n\r\n",
	  XDP_PASS, SIPLB_STAT_PASS_UNUSUAL },
	{ "17 spaces after the colon: not guessed at",
	  "BYE sip:bob@example.com SIP/2.0\r\nCall-ID:                 x\r\n\r\n",
	  XDP_PASS, SIPLB_STAT_PASS_CALLID_LONG },
	{ "33 spaces after the value: not guessed at",
	  "BYE sip:bob@example.com SIP/2.0\r\nCall-ID: x                                 \r\n\r\n",
	  XDP_PASS, SIPLB_STAT_PASS_CALLID_LONG },
	{ "status line without SP and reason",
	  "SIP/2.0 200\r\nCall-ID: noreason@host\r\n\r\n",
	  XDP_REDIRECT, SIPLB_STAT_STEER_REDIRECT },
	{ "status code out of range", "SIP/2.0 700 Odd\r\nCall-ID: x\r\n\r\n",
	  XDP_DROP, SIPLB_STAT_DROP_NOT_SIP },
	{ "lower-case method is not REGISTER",
	  "register sip:example.com SIP/2.0\r\nCall-ID: lc\r\n\r\n",
	  XDP_REDIRECT, SIPLB_STAT_STEER_REDIRECT },
	{ "start line without an end", "INVITE sip:bob@example.com SIP/2.0",
	  XDP_DROP, SIPLB_STAT_DROP_SIP_TRUNCATED },
	{ "headers cut before the Call-ID",
	  "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nCSe",
	  XDP_DROP, SIPLB_STAT_DROP_SIP_TRUNCATED },
	{ "message ends on the Call-ID line",
	  "INVITE sip:bob@example.com SIP/2.0\r\nCall-ID: cut",
	  XDP_DROP, SIPLB_STAT_DROP_SIP_TRUNCATED },
};

TEST(pass_and_drop_reasons)
{
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t i, flen;

	for (i = 0; i < sizeof(reason_cases) / sizeof(reason_cases[0]); i++) {
		const struct reason_case *c = &reason_cases[i];

		flen = client_frame(frame, 4, FIX_VIP4, FIX_SIP_PORT,
				    c->payload, strlen(c->payload));
		if (run_expect(fix.ifindex_client, frame, flen, c->action,
			       c->stat, &res, c->name) &&
		    c->action == XDP_PASS)
			expect_unchanged(&res, frame, flen, c->name);
	}
}

TEST(stun_binding_goes_up)
{
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t flen;

	flen = client_frame(frame, 4, FIX_VIP4, FIX_SIP_PORT, stun_binding,
			    sizeof(stun_binding));
	if (run_expect(fix.ifindex_client, frame, flen, XDP_PASS,
		       SIPLB_STAT_PASS_STUN, &res, "STUN binding request"))
		expect_unchanged(&res, frame, flen, "STUN unchanged");
}

TEST(empty_udp_to_vip_is_dropped)
{
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t flen;

	flen = client_frame(frame, 4, FIX_VIP4, FIX_SIP_PORT, "", 0);
	run_expect(fix.ifindex_client, frame, flen, XDP_DROP,
		   SIPLB_STAT_DROP_NOT_SIP, &res, "empty datagram");
}

TEST(call_id_too_long_goes_up)
{
	char payload[1024], line[400];
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t len, flen;

	memcpy(line, "Call-ID: ", 9);
	memset(line + 9, 'L', SIPLB_CALLID_MAX + 1);
	line[9 + SIPLB_CALLID_MAX + 1] = '\0';
	len = sip_sample(payload, sizeof(payload),
			 "BYE sip:bob@example.com SIP/2.0", line);
	flen = client_frame(frame, 4, FIX_VIP4, FIX_SIP_PORT, payload, len);
	if (run_expect(fix.ifindex_client, frame, flen, XDP_PASS,
		       SIPLB_STAT_PASS_CALLID_LONG, &res, "long Call-ID"))
		expect_unchanged(&res, frame, flen, "long Call-ID unchanged");

	/* Exactly SIPLB_CALLID_MAX bytes is still steered. */
	line[9 + SIPLB_CALLID_MAX] = '\0';
	len = sip_sample(payload, sizeof(payload),
			 "BYE sip:bob@example.com SIP/2.0", line);
	flen = client_frame(frame, 4, FIX_VIP4, FIX_SIP_PORT, payload, len);
	if (run_expect(fix.ifindex_client, frame, flen, XDP_REDIRECT,
		       SIPLB_STAT_STEER_REDIRECT, &res, "longest Call-ID"))
		expect_steered(&res, frame, flen, 4, line + 9,
			       "longest Call-ID");
}

TEST(scan_window_exceeded_goes_up)
{
	char payload[PKT_MAX];
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t len, flen;

	/* An IPv6 jumbo-ish datagram would not fit a test frame; a message
	 * whose Call-ID starts after SIPLB_SCAN_MAX bytes shows the same. */
	len = sip_sample_callid_last(payload, sizeof(payload),
				     SIPLB_SCAN_MAX + 200, "beyond-window");
	if (!ASSERT_EQ(len, SIPLB_SCAN_MAX + 200, "sample size"))
		return;
	flen = client_frame(frame, 4, FIX_VIP4, FIX_SIP_PORT, payload, len);
	if (run_expect(fix.ifindex_client, frame, flen, XDP_PASS,
		       SIPLB_STAT_PASS_SCAN_LIMIT, &res, "beyond the window"))
		expect_unchanged(&res, frame, flen, "unchanged");
}

struct l3_case {
	const char *name;
	struct pkt_spec spec;
	int action;
	int stat;
};

TEST(fragments_extension_headers_other_ports)
{
	const char *sip = "BYE sip:bob@example.com SIP/2.0\r\nCall-ID: l3\r\n\r\n";
	const struct l3_case cases[] = {
		{ "IPv4 first fragment (MF)",
		  { .family = 4, .src = FIX_CLIENT4, .dst = FIX_VIP4,
		    .frag = 0x2000 },
		  XDP_PASS, SIPLB_STAT_PASS_FRAGMENT },
		{ "IPv4 later fragment",
		  { .family = 4, .src = FIX_CLIENT4, .dst = FIX_VIP4,
		    .frag = 100 },
		  XDP_PASS, SIPLB_STAT_PASS_FRAGMENT },
		{ "IPv6 destination options header",
		  { .family = 6, .src = FIX_CLIENT6, .dst = FIX_VIP6,
		    .v6_dstopts = true },
		  XDP_PASS, SIPLB_STAT_PASS_IPV6_EXTHDR },
		{ "IPv4 fragment to another address",
		  { .family = 4, .src = FIX_CLIENT4, .dst = "10.10.9.9",
		    .frag = 0x2000 },
		  XDP_PASS, SIPLB_STAT_PASS_NOT_VIP },
		{ "IPv6 extension header to another address",
		  { .family = 6, .src = FIX_CLIENT6, .dst = "fd00:9::9",
		    .v6_dstopts = true },
		  XDP_PASS, SIPLB_STAT_PASS_NOT_VIP },
		{ "UDP to another port of the VIP address",
		  { .family = 4, .src = FIX_CLIENT4, .dst = FIX_VIP4,
		    .dport = 5061 },
		  XDP_PASS, SIPLB_STAT_PASS_NOT_VIP },
		{ "UDP to another address",
		  { .family = 6, .src = FIX_CLIENT6, .dst = "fd00:9::9" },
		  XDP_PASS, SIPLB_STAT_PASS_NOT_VIP },
	};
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t i, flen;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt_spec spec = cases[i].spec;

		spec.sport = CLIENT_PORT;
		if (!spec.dport)
			spec.dport = FIX_SIP_PORT;
		spec.payload = sip;
		spec.len = strlen(sip);
		flen = pkt_build(&spec, frame, sizeof(frame));
		if (run_expect(fix.ifindex_client, frame, flen,
			       cases[i].action, cases[i].stat, &res,
			       cases[i].name))
			expect_unchanged(&res, frame, flen, cases[i].name);
	}
}

TEST(vlan_qinq_and_ipv4_options)
{
	const char *callid = "tagged-55@host";
	const struct pkt_spec specs[] = {
		{ .family = 4, .vlans = 1 },
		{ .family = 4, .vlans = 2 },
		{ .family = 6, .vlans = 2 },
		{ .family = 4, .ip_opts = 8 },
		{ .family = 4, .vlans = 1, .ip_opts = 40 },
	};
	char payload[1024], line[64];
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t i, len, flen;

	snprintf(line, sizeof(line), "Call-ID: %s", callid);
	len = sip_sample(payload, sizeof(payload),
			 "INVITE sip:bob@example.com SIP/2.0", line);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct pkt_spec spec = specs[i];

		spec.src = spec.family == 4 ? FIX_CLIENT4 : FIX_CLIENT6;
		spec.dst = spec.family == 4 ? FIX_VIP4 : FIX_VIP6;
		spec.sport = CLIENT_PORT;
		spec.dport = FIX_SIP_PORT;
		spec.payload = payload;
		spec.len = len;
		flen = pkt_build(&spec, frame, sizeof(frame));
		if (!run_expect(fix.ifindex_client, frame, flen, XDP_REDIRECT,
				SIPLB_STAT_STEER_REDIRECT, &res, "tagged"))
			continue;
		expect_steered(&res, frame, flen, spec.family, callid,
			       "tagged/options");
		ASSERT_MEM_EQ(res.out + 12, frame + 12, 4 * spec.vlans,
			      "VLAN tags kept");
	}
}

/* A frame cut at each header boundary, its length fields left as sent. */
TEST(truncated_at_every_layer_boundary)
{
	const struct {
		size_t cut;	/* bytes kept */
		int action;
		int stat;
	} cuts[] = {
		{ 14, XDP_PASS, SIPLB_STAT_PASS_UNPARSED },	/* Ethernet */
		{ 14 + 10, XDP_PASS, SIPLB_STAT_PASS_UNPARSED },
		{ 14 + 20, XDP_PASS, SIPLB_STAT_PASS_UNPARSED },/* IPv4 */
		{ 14 + 20 + 4, XDP_PASS, SIPLB_STAT_PASS_UNPARSED },
		{ 14 + 20 + 8, XDP_DROP, SIPLB_STAT_DROP_TRUNCATED },/* UDP */
		{ 14 + 20 + 8 + 20, XDP_DROP, SIPLB_STAT_DROP_TRUNCATED },
		{ 0, XDP_DROP, SIPLB_STAT_DROP_TRUNCATED },	/* len - 1 */
	};
	char payload[1024];
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t i, len, flen, cut;
	char what[64];

	len = sip_sample(payload, sizeof(payload),
			 "INVITE sip:bob@example.com SIP/2.0",
			 "Call-ID: cut-me@host");
	flen = client_frame(frame, 4, FIX_VIP4, FIX_SIP_PORT, payload, len);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		cut = cuts[i].cut ? cuts[i].cut : flen - 1;
		snprintf(what, sizeof(what), "cut at %zu of %zu", cut, flen);
		if (run_expect(fix.ifindex_client, frame, cut, cuts[i].action,
			       cuts[i].stat, &res, what) &&
		    cuts[i].action == XDP_PASS)
			expect_unchanged(&res, frame, cut, what);
	}
}

TEST(udp_checksum_zero_stays_zero)
{
	char payload[1024];
	struct pkt_spec spec = {
		.family = 4, .src = FIX_CLIENT4, .dst = FIX_VIP4,
		.sport = CLIENT_PORT, .dport = FIX_SIP_PORT,
		.no_udp_csum = true,
	};
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t flen;

	spec.len = sip_sample(payload, sizeof(payload),
			      "BYE sip:bob@example.com SIP/2.0",
			      "Call-ID: nocsum@host");
	spec.payload = payload;
	flen = pkt_build(&spec, frame, sizeof(frame));
	if (run_expect(fix.ifindex_client, frame, flen, XDP_REDIRECT,
		       SIPLB_STAT_STEER_REDIRECT, &res, "no UDP checksum")) {
		ASSERT_EQ(pkt_udp_csum_field(res.out, res.out_len), 0,
			  "UDP checksum stays 0 (none)");
		ASSERT_TRUE(pkt_ipv4_csum_ok(res.out, res.out_len),
			    "IPv4 header checksum valid");
	}
}

static size_t backend_frame(__u8 *frame, int family, const char *src,
			    __u16 sport, const char *dst, __u16 dport)
{
	static const char reply[] =
		"SIP/2.0 200 OK\r\nCall-ID: from-backend\r\n\r\n";
	struct pkt_spec spec = {
		.family = family, .src = src, .dst = dst,
		.sport = sport, .dport = dport,
		.payload = reply, .len = sizeof(reply) - 1,
	};

	return pkt_build(&spec, frame, PKT_MAX);
}

/* Replies from a backend leave with the VIP as their source. */
TEST(backend_replies_leave_as_the_vip)
{
	const struct {
		int family;
		const char *backend, *client, *vip;
	} cases[] = {
		{ 4, "10.10.2.3", FIX_CLIENT4, FIX_VIP4 },
		{ 6, "fd00:2::4", FIX_CLIENT6, FIX_VIP6 },
	};
	struct pkt_view v;
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t i, flen;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		flen = backend_frame(frame, cases[i].family, cases[i].backend,
				     FIX_SIP_PORT, cases[i].client,
				     CLIENT_PORT);
		if (!run_expect(fix.ifindex_backend, frame, flen, XDP_REDIRECT,
				SIPLB_STAT_SNAT_REDIRECT, &res, "SNAT"))
			continue;
		pkt_parse(res.out, res.out_len, &v);
		ASSERT_TRUE(!strcmp(v.src, cases[i].vip), "source is the VIP");
		ASSERT_EQ(v.sport, FIX_SIP_PORT, "source port is the VIP's");
		ASSERT_TRUE(!strcmp(v.dst, cases[i].client), "to the client");
		ASSERT_EQ(v.dport, CLIENT_PORT, "client port kept");
		ASSERT_MEM_EQ(v.eth_dst, fix_client_mac, 6, "client's MAC");
		if (cases[i].family == 4)
			ASSERT_TRUE(pkt_ipv4_csum_ok(res.out, res.out_len),
				    "IPv4 header checksum valid");
		ASSERT_TRUE(pkt_udp_csum_ok(res.out, res.out_len),
			    "UDP checksum valid");
	}
}

TEST(backend_traffic_to_the_balancer_is_untouched)
{
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t flen;

	flen = backend_frame(frame, 4, "10.10.2.2", FIX_SIP_PORT,
			     FIX_LB_BACKEND4, 5060);
	if (run_expect(fix.ifindex_backend, frame, flen, XDP_PASS,
		       SIPLB_STAT_SNAT_TO_HOST, &res, "health-check reply"))
		expect_unchanged(&res, frame, flen, "to this host: untouched");
	/* Another port on a backend's host is not the backend. */
	flen = backend_frame(frame, 4, "10.10.2.2", 5099, FIX_CLIENT4,
			     CLIENT_PORT);
	if (run_expect(fix.ifindex_backend, frame, flen, XDP_PASS,
		       SIPLB_STAT_PASS_NOT_VIP, &res, "not a backend endpoint"))
		expect_unchanged(&res, frame, flen, "not ours: untouched");
}

static void steer_to_special_vip(const char *vip, int stat, const char *dst,
				 __u16 dport, const char *what)
{
	char payload[1024];
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	struct pkt_view v;
	size_t len, flen;

	len = sip_sample(payload, sizeof(payload),
			 "INVITE sip:bob@example.com SIP/2.0",
			 "Call-ID: special@host");
	flen = client_frame(frame, 4, vip, FIX_SIP_PORT, payload, len);
	if (!run_expect(fix.ifindex_client, frame, flen, XDP_PASS, stat, &res,
			what))
		return;
	if (!dst) {
		expect_unchanged(&res, frame, flen, what);
		return;
	}
	pkt_parse(res.out, res.out_len, &v);
	ASSERT_TRUE(!strcmp(v.dst, dst), "destination rewritten");
	ASSERT_EQ(v.dport, dport, "destination port rewritten");
	ASSERT_TRUE(pkt_ipv4_csum_ok(res.out, res.out_len), "IPv4 checksum");
	ASSERT_TRUE(pkt_udp_csum_ok(res.out, res.out_len), "UDP checksum");
}

TEST(local_backend_unresolved_next_hop_no_backend)
{
	steer_to_special_vip(FIX_VIP_LOCAL, SIPLB_STAT_STEER_LOCAL,
			     "10.10.3.1", 5080, "backend on this host");
	steer_to_special_vip(FIX_VIP_NONEIGH, SIPLB_STAT_STEER_KERNEL,
			     "10.10.2.9", FIX_SIP_PORT, "next hop unresolved");
	steer_to_special_vip(FIX_VIP_EMPTY, SIPLB_STAT_PASS_NO_BACKEND, NULL, 0,
			     "VIP without backends");
}

TEST(blocked_source_is_dropped_until_its_time)
{
	struct siplb_addr src = { .family = SIPLB_AF_INET };
	struct siplb_block block = { .failures = 5 };
	char payload[1024];
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	struct timespec now;
	size_t len, flen;

	inet_pton(AF_INET, FIX_CLIENT4, src.addr);
	clock_gettime(CLOCK_MONOTONIC, &now);
	block.until_ns = (now.tv_sec + 60) * 1000000000ULL;
	if (!ASSERT_OK(bpf_map_update_elem(bpf_map__fd(fix.skel->maps.siplb_blocked),
					   &src, &block, BPF_ANY), "block"))
		return;
	len = sip_sample(payload, sizeof(payload),
			 "INVITE sip:bob@example.com SIP/2.0",
			 "Call-ID: from-a-blocked-source");
	flen = client_frame(frame, 4, FIX_VIP4, FIX_SIP_PORT, payload, len);
	run_expect(fix.ifindex_client, frame, flen, XDP_DROP,
		   SIPLB_STAT_DROP_BLOCKED, &res, "blocked source");

	/* The block has a time limit: an expired entry blocks nothing. */
	block.until_ns = (now.tv_sec - 1) * 1000000000ULL;
	bpf_map_update_elem(bpf_map__fd(fix.skel->maps.siplb_blocked), &src,
			    &block, BPF_ANY);
	run_expect(fix.ifindex_client, frame, flen, XDP_REDIRECT,
		   SIPLB_STAT_STEER_REDIRECT, &res, "block expired");
	bpf_map_delete_elem(bpf_map__fd(fix.skel->maps.siplb_blocked), &src);
}

/* Steer one Call-ID; returns the backend id (0 on failure). */
static __u32 steer_callid(const char *callid)
{
	char payload[1024], line[128];
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t len, flen;
	__u16 port;

	snprintf(line, sizeof(line), "Call-ID: %s", callid);
	len = sip_sample(payload, sizeof(payload),
			 "INVITE sip:bob@example.com SIP/2.0", line);
	flen = client_frame(frame, 4, FIX_VIP4, FIX_SIP_PORT, payload, len);
	if (fixture_run(&fix, fix.ifindex_client, frame, flen, 1, &res) ||
	    res.action != XDP_REDIRECT)
		return 0;
	return backend_of_output(&res, &port);
}

TEST(drain_keeps_calls_down_moves_them)
{
	struct siplb_endpoint vip, be;
	__u32 victim, id, moved = 0;
	char callid[64];
	int i;

	victim = steer_callid("drain-victim-call@host");
	if (!ASSERT_NEQ(victim, 0, "steered"))
		return;
	fixture_endpoint(FIX_VIP4, FIX_SIP_PORT, &vip);
	fixture_endpoint(fix_backends4[victim == 1 ? 0 : victim == 2 ? 1 : 2],
			 FIX_SIP_PORT, &be);
	if (!ASSERT_OK(lb_backend_set_state(&fix.maps, &vip, &be,
					    SIPLB_BACKEND_DRAINING), "drain"))
		return;
	ASSERT_EQ(steer_callid("drain-victim-call@host"), victim,
		  "a draining backend keeps its calls");
	for (i = 0; i < 300; i++) {
		snprintf(callid, sizeof(callid), "drain-new-%d@host", i);
		id = steer_callid(callid);
		ASSERT_NEQ(id, 0, "new call steered");
		if (id == victim)
			moved++;
	}
	ASSERT_EQ(moved, 0, "no new call goes to a draining backend");

	ASSERT_OK(lb_backend_set_state(&fix.maps, &vip, &be,
				       SIPLB_BACKEND_DOWN), "down");
	id = steer_callid("drain-victim-call@host");
	ASSERT_TRUE(id != 0 && id != victim, "a down backend's calls move");
	ASSERT_OK(lb_backend_set_state(&fix.maps, &vip, &be, SIPLB_BACKEND_UP),
		  "up again");
}

/* 10,000 random Call-IDs: the kernel's choice is user space's choice. */
TEST(agreement_10000_random_callids)
{
	static const char chars[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789-.!%*_+`'~()<>:\\\"/[]?{}@";
	struct siplb_endpoint vip;
	char callid[SIPLB_CALLID_MAX + 1];
	__u32 got, want, mismatches = 0, used[8] = {};
	int i, j, len;

	srandom(4475);
	fixture_endpoint(FIX_VIP4, FIX_SIP_PORT, &vip);
	for (i = 0; i < 10000; i++) {
		len = 1 + random() % 80;
		for (j = 0; j < len; j++)
			callid[j] = chars[random() % (sizeof(chars) - 1)];
		callid[len] = '\0';
		got = steer_callid(callid);
		if (lb_maglev_choice(&fix.maps, &vip, callid, len, &want) ||
		    got != want)
			mismatches++;
		if (got < 8)
			used[got]++;
	}
	ASSERT_EQ(mismatches, 0, "kernel and user space pick the same backend");
	testlib_note("agreement: 10000 Call-IDs, backends 1/2/3 got %u/%u/%u\n",
		     used[1], used[2], used[3]);
	for (i = 1; i <= 3; i++)
		ASSERT_GE(used[i], 2800, "each backend gets about a third");
}

/* The bytes of a corpus file; returns the length or 0. */
static size_t read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, size, f);
	fclose(f);
	return n < size ? n : 0;
}

/* Single-buffer XDP test frames stop short of a page. */
#define CORPUS_FRAME_MAX (PKT_MAX - 64)

/*
 * The RFC 4475 and RFC 5118 torture messages as UDP to the VIP. Whatever
 * the verdict, a steered message must have been steered by (one of) the
 * Call-ID(s) the manifest names -- never by a wrong one; REGISTER always
 * goes up; and no message the RFC calls valid is dropped.
 */
static void run_corpus(const char *dir, int *ran, int *too_big)
{
	char path[512], line[4096], msg[8192], what[160];
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	bool has_file_column;
	FILE *manifest;

	snprintf(path, sizeof(path), "%s/manifest.tsv", dir);
	manifest = fopen(path, "r");
	if (!ASSERT_TRUE(manifest != NULL, "corpus manifest opens"))
		return;
	/* Columns: name, section, expected, call_id, method_or_status, ...
	 * and in RFC 5118's manifest a "file" column (the 10th), because
	 * some messages come twice, as sent and with Content-Length fixed. */
	fgets(line, sizeof(line), manifest);
	has_file_column = strstr(line, "\tfile\t") != NULL;
	while (fgets(line, sizeof(line), manifest)) {
		char *fields[10] = {}, *save = NULL, *tok, *callids;
		size_t len, flen;
		int n = 0, family;
		bool matched = false;
		__u32 id;

		for (tok = strtok_r(line, "\t", &save); tok && n < 10;
		     tok = strtok_r(NULL, "\t", &save))
			fields[n++] = tok;
		if (n < 5 || (has_file_column && n < 10))
			continue;
		if (has_file_column)
			snprintf(path, sizeof(path), "%s/%s", dir, fields[9]);
		else
			snprintf(path, sizeof(path), "%s/%s.dat", dir,
				 fields[0]);
		len = read_file(path, msg, sizeof(msg));
		if (!ASSERT_NEQ(len, 0, path))
			continue;
		if (len > CORPUS_FRAME_MAX) {
			testlib_note("corpus: %s is %zu bytes, larger than one "
				     "test frame; not run\n", fields[0], len);
			(*too_big)++;
			continue;
		}
		family = strstr(dir, "5118") ? 6 : 4;
		flen = client_frame(frame, family,
				    family == 4 ? FIX_VIP4 : FIX_VIP6,
				    FIX_SIP_PORT, msg, len);
		snprintf(what, sizeof(what), "corpus %s (%s)", fields[0],
			 fields[2]);
		if (!ASSERT_OK(fixture_run(&fix, fix.ifindex_client, frame,
					   flen, 1, &res), what))
			continue;
		(*ran)++;
		testlib_note("corpus: %-34s %-8s %s\n",
			     has_file_column ? fields[9] : fields[0], fields[2],
			     res.action == XDP_REDIRECT ? "steered" :
			     res.action == XDP_PASS ? "passed up" : "dropped");
		if (!strcmp(fields[4], "REGISTER"))
			ASSERT_EQ(res.action, XDP_PASS, what);
		if (!strcmp(fields[2], "valid"))
			ASSERT_NEQ(res.action, XDP_DROP, what);
		if (res.action != XDP_REDIRECT)
			continue;
		/* Steered: by one of the manifest's Call-IDs ("a | b"). */
		for (callids = strtok_r(fields[3], "|", &save); callids;
		     callids = strtok_r(NULL, "|", &save)) {
			while (*callids == ' ')
				callids++;
			len = strlen(callids);
			while (len && callids[len - 1] == ' ')
				len--;
			if (affinity_has(family,
					 family == 4 ? FIX_VIP4 : FIX_VIP6,
					 callids, len, &id))
				matched = true;
		}
		ASSERT_TRUE(matched, what);
	}
	fclose(manifest);
}

TEST(rfc4475_rfc5118_torture_messages)
{
	const char *root = getenv("SIPLB_CORPUS") ?: "tests/corpus";
	int ran = 0, too_big = 0;
	char dir[256];

	snprintf(dir, sizeof(dir), "%s/rfc4475", root);
	run_corpus(dir, &ran, &too_big);
	snprintf(dir, sizeof(dir), "%s/rfc5118", root);
	run_corpus(dir, &ran, &too_big);
	/* 50 + 12 messages (3 of RFC 5118's twice); only RFC 4475 "longreq"
	 * (3515 bytes) is bigger than a single-buffer XDP test frame. */
	ASSERT_EQ(ran, 49 + 15, "corpus messages run");
	ASSERT_EQ(too_big, 1, "corpus messages too big to run");
}

int main(int argc, char **argv)
{
	int err;

	testlib_require_root("BPF_PROG_TEST_RUN in a network namespace");
	err = fixture_setup(&fix);
	if (err) {
		fprintf(stderr, "test_xdp: fixture setup failed: %s\n",
			strerror(-err));
		fixture_teardown(&fix);
		return 1;
	}
	err = testlib_main(argc, argv);
	fixture_teardown(&fix);
	return err;
}
