// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_cookie.c - SIP cookies: the registrar's 401 answered in XDP
 * (bpf/cookie.bpf.h), through BPF_PROG_TEST_RUN.
 *
 * For a table of REGISTERs the XDP answer must be, byte for byte, what
 * siplbd would have sent: sip_build_response() with the registrar's To
 * tag and digest_challenge()'s block, for the same request, source and
 * nonce. XDP draws the nonce's salt itself, so the test reads issued and
 * salt back from XDP's nonce, remakes the nonce with nonce_make_salted()
 * (which also checks XDP's MAC), and compares the whole message. L3/L4
 * are checked too (addresses and ports swapped, checksums recomputed from
 * scratch, XDP_TX), and exactly one counter moves per packet. What XDP
 * cannot answer exactly must go up unchanged under its counter.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cookie_apply.h"
#include "digest.h"
#include "digest_policy.h"
#include "endpoint.h"
#include "lb_stats.h"
#include "nonce.h"
#include "packet.h"
#include "sip_msg.h"
#include "siplb.skel.h"
#include "siplb_cookie.h"
#include "testlib.h"
#include "xdp_fixture.h"

#define CLIENT_PORT	5070
#define REALM		"example.com"
#define LIFETIME	300

static struct xdp_fixture fix;
static struct nonce_issuer *issuer;
static struct digest_policy policy;

static int cookie_set(bool enabled)
{
	struct cookie_conf cc = {
		.enabled = enabled,
		.realm = REALM,
		.policy = &policy,
		.lifetime_s = LIFETIME,
		.nonces = issuer,
	};
	struct siplb_cookie v;
	int err = cookie_build(&cc, &v);

	return err ? err : cookie_apply(bpf_map__fd(fix.skel->maps.siplb_cookie),
					&v);
}

static size_t client_frame(__u8 *buf, int family, const char *payload)
{
	struct pkt_spec spec = {
		.family = family,
		.src = family == 4 ? FIX_CLIENT4 : FIX_CLIENT6,
		.dst = family == 4 ? FIX_VIP4 : FIX_VIP6,
		.sport = CLIENT_PORT,
		.dport = FIX_SIP_PORT,
		.payload = payload,
		.len = strlen(payload),
	};

	return pkt_build(&spec, buf, PKT_MAX);
}

/* Run one frame: the verdict, and that only `stat` moved (by one). */
static bool run_expect(const __u8 *frame, size_t len, int action, int stat,
		       struct xdp_result *res, const char *what)
{
	return fixture_run_expect(&fix, fix.ifindex_client, frame, len,
				  action, stat, res, what);
}

/* The To tag the registrar gives (registrar.c make_to_tag). */
static void to_tag_of(const struct sip_msg *m, char tag[SIPLB_TO_TAG_LEN + 1])
{
	static const __u64 key[2] = { SIPLB_TO_TAG_KEY0, SIPLB_TO_TAG_KEY1 };
	__u64 h = siplb_siphash((const __u8 *)m->call_id.p, m->call_id.len,
				(__u32)-1, key);

	snprintf(tag, SIPLB_TO_TAG_LEN + 1, "%016llx", (unsigned long long)h);
}

/*
 * What siplbd would send for payload from the client, with XDP's nonce
 * remade from its issue time and salt; 0 or -errno. *issued gets the
 * nonce's issue time.
 */
static int expected_401(int family, const char *payload,
			const char *xdp_payload, size_t xdp_len, bool stale,
			char *out, size_t size, __u64 *issued)
{
	struct digest_challenge_opts opts = {
		.realm = REALM, .stale = stale,
		.order = policy.dflt.algs, .norder = policy.dflt.n,
	};
	char nonce[NONCE_STR_SIZE], extra[1024], tag[SIPLB_TO_TAG_LEN + 1];
	struct siplb_endpoint ep;
	struct siplb_addr src;
	__u8 raw[SIPLB_NONCE_RAW_LEN];
	const char *at;
	struct sip_msg m;
	size_t len;
	int err;

	at = memmem(xdp_payload, xdp_len, "nonce=\"", 7);
	if (!at || at + 7 + SIPLB_NONCE_STR_LEN > xdp_payload + xdp_len ||
	    siplb_nonce_decode((const __u8 *)at + 7, raw))
		return -ENOENT;
	*issued = siplb_nonce_get_be64(raw);
	fixture_endpoint(family == 4 ? FIX_CLIENT4 : FIX_CLIENT6, CLIENT_PORT,
			 &ep);
	endpoint_addr(&ep, &src);
	err = nonce_make_salted(issuer, REALM, strlen(REALM), &src,
				sizeof(src), *issued, raw + 8, nonce);
	if (err)
		return err;
	err = sip_msg_parse(&m, payload, strlen(payload));
	if (err)
		return err;
	err = sip_msg_set_source(&m, family == 4 ? AF_INET : AF_INET6,
				 ep.addr, CLIENT_PORT);
	if (err)
		return err;
	to_tag_of(&m, tag);
	opts.nonce = nonce;
	err = digest_challenge(&opts, extra, sizeof(extra), &len);
	if (err)
		return err;
	return sip_build_response(&m, 401, NULL, tag, extra, out, size);
}

static __u64 mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The 401's frame: addresses, ports and MACs swapped, checksums right. */
static void check_l3_l4(int family, const __u8 *frame, size_t flen,
			const struct xdp_result *res)
{
	const char *vip = family == 4 ? FIX_VIP4 : FIX_VIP6;
	const char *client = family == 4 ? FIX_CLIENT4 : FIX_CLIENT6;

	struct pkt_view in, out;

	if (!ASSERT_TRUE(pkt_parse(frame, flen, &in), "the REGISTER parses") ||
	    !ASSERT_TRUE(pkt_parse(res->out, res->out_len, &out),
			 "the 401 parses"))
		return;
	ASSERT_MEM_EQ(out.src, vip, strlen(vip) + 1, "from the VIP");
	ASSERT_MEM_EQ(out.dst, client, strlen(client) + 1, "to the client");
	ASSERT_EQ(out.sport, FIX_SIP_PORT, "from the VIP's port");
	ASSERT_EQ(out.dport, CLIENT_PORT, "to the client's port");
	ASSERT_MEM_EQ(out.eth_dst, in.eth_src, 6, "back to its MAC");
	ASSERT_MEM_EQ(out.eth_src, in.eth_dst, 6, "from the MAC it was sent to");
	if (family == 4)
		ASSERT_TRUE(pkt_ipv4_csum_ok(res->out, res->out_len),
			    "IPv4 header checksum");
	ASSERT_TRUE(pkt_udp_csum_ok(res->out, res->out_len), "UDP checksum");
}

/* One REGISTER that XDP must answer exactly as siplbd. */
static void expect_answered_as(int family, const char *payload, bool stale,
			       const char *what)
{
	__u8 frame[PKT_MAX];
	char want[4096];
	struct xdp_result res;
	struct pkt_view view;
	size_t flen = client_frame(frame, family, payload);
	__u64 issued = 0, now;
	int n;

	if (!run_expect(frame, flen, XDP_TX, stale ? SIPLB_STAT_COOKIE_401_STALE :
						       SIPLB_STAT_COOKIE_401,
			&res, what) ||
	    !ASSERT_TRUE(pkt_parse(res.out, res.out_len, &view), "parses"))
		return;
	now = mono_s();
	n = expected_401(family, payload,
			 (const char *)res.out + view.payload_off,
			 res.out_len - view.payload_off, stale, want,
			 sizeof(want), &issued);
	if (!ASSERT_TRUE(n > 0, "siplbd's 401 for the same request"))
		return;
	ASSERT_TRUE(issued <= now && issued + 5 >= now,
		    "issued now, on the monotonic clock");
	ASSERT_EQ(res.out_len - view.payload_off, (size_t)n, what);
	if (!ASSERT_MEM_EQ(res.out + view.payload_off, want, (size_t)n, what))
		testlib_note("  XDP:\n%.*s\n  siplbd:\n%s\n",
			     (int)(res.out_len - view.payload_off),
			     (const char *)res.out + view.payload_off, want);
	check_l3_l4(family, frame, flen, &res);
}

#define CRLF "\r\n"

static const struct {
	const char *what;
	const char *msg;
	int family;		/* 4 or 6 */
} answered[] = {
	{ "one Via, rport without value, long names",
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bK776asdhds;rport" CRLF
	  "Max-Forwards: 70" CRLF
	  "To: Bob <sip:bob@example.com>" CRLF
	  "From: Bob <sip:bob@example.com>;tag=456248" CRLF
	  "Call-ID: 843817637684230@998sdasdh09" CRLF
	  "CSeq: 1826 REGISTER" CRLF
	  "Contact: <sip:bob@10.10.1.2:5070>" CRLF
	  "Expires: 7200" CRLF
	  "Content-Length: 0" CRLF CRLF, 4 },
	{ "sent-by is the source, no rport: no received",
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKnorport" CRLF
	  "To: <sip:alice@example.com>" CRLF
	  "From: <sip:alice@example.com>;tag=1" CRLF
	  "Call-ID: a1" CRLF
	  "CSeq: 1 REGISTER" CRLF CRLF, 4 },
	{ "sent-by is a name: received added",
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP phone.example.com;branch=z9hG4bKname" CRLF
	  "To: <sip:alice@example.com>" CRLF
	  "From: <sip:alice@example.com>;tag=1" CRLF
	  "Call-ID: a2" CRLF
	  "CSeq: 2 REGISTER" CRLF CRLF, 4 },
	{ "rport with a value stays, received added for another host",
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP 192.0.2.7:5070;rport=5070;branch=z9hG4bKrv" CRLF
	  "To: <sip:alice@example.com>" CRLF
	  "From: <sip:alice@example.com>;tag=1" CRLF
	  "Call-ID: a3" CRLF
	  "CSeq: 3 REGISTER" CRLF CRLF, 4 },
	{ "RPort in the middle of the parameters, in another case",
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP 10.10.1.2:5070;RPort;branch=z9hG4bKmid;x=y" CRLF
	  "To: <sip:alice@example.com>" CRLF
	  "From: <sip:alice@example.com>;tag=1" CRLF
	  "Call-ID: a4" CRLF
	  "CSeq: 4 REGISTER" CRLF CRLF, 4 },
	{ "three Vias, compact forms v: f: t: i:",
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "v: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKc1;rport" CRLF
	  "v: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKc2" CRLF
	  "Via: SIP/2.0/TCP 10.0.0.8;branch=z9hG4bKc3;received=10.0.0.1" CRLF
	  "t: <sip:carol@example.com>" CRLF
	  "f: \"Carol\" <sip:carol@example.com>;tag=xyz" CRLF
	  "i: compact-call-id@host" CRLF
	  "CSeq: 5 REGISTER" CRLF
	  "m: <sip:carol@10.10.1.2:5070>" CRLF CRLF, 4 },
	{ "odd spacing and case in names and around colons",
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "VIA   :   SIP / 2.0 / UDP   10.10.1.2:5070;branch=z9hG4bKsp;rport  " CRLF
	  "to:<sip:dave@example.com>   " CRLF
	  "FROM\t:\t<sip:dave@example.com>;tag=9" CRLF
	  "call-ID:   spaced-call-id   " CRLF
	  "cseq:  6   REGISTER" CRLF CRLF, 4 },
	{ "blanks filling whole 8-byte words at values' ends and inside "
	  "(the word pass, cookie_words.bpf.h)",
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKwords;rport \t      "
	  "   \t " CRLF
	  "To: <sip:frank@example.com>                  " CRLF
	  "From \t        \t: \"Frank  \t Words\" <sip:frank@example.com>"
	  ";tag=8\t\t\t\t"
	  "\t\t\t\t\t" CRLF
	  "Call-ID: word-call-id@10.10.1.2         " CRLF
	  "CSeq: 8 REGISTER                " CRLF CRLF, 4 },
	{ "Call-ID of 200 bytes, a body after the headers",
	  "REGISTER sips:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKlong;rport" CRLF
	  "To: <sip:erin@example.com>" CRLF
	  "From: <sip:erin@example.com>;tag=77" CRLF
	  "Call-ID: 0123456789012345678901234567890123456789012345678901234567"
	  "8901234567890123456789012345678901234567890123456789012345678901"
	  "2345678901234567890123456789012345678901234567890123456789012345"
	  "67890123" CRLF
	  "CSeq: 7 REGISTER" CRLF
	  "Content-Length: 4" CRLF CRLF "body", 4 },
	{ "IPv6: the source itself as sent-by, no rport: no received",
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP [fd00:1::2]:5070;branch=z9hG4bK61" CRLF
	  "To: <sip:v6@example.com>" CRLF
	  "From: <sip:v6@example.com>;tag=6" CRLF
	  "Call-ID: v6-1" CRLF
	  "CSeq: 1 REGISTER" CRLF CRLF, 6 },
	{ "IPv6: rport filled, received= in inet_ntop's spelling",
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP [fd00:1::2]:5070;branch=z9hG4bK62;rport" CRLF
	  "To: <sip:v6@example.com>" CRLF
	  "From: <sip:v6@example.com>;tag=6" CRLF
	  "Call-ID: v6-2" CRLF
	  "CSeq: 2 REGISTER" CRLF CRLF, 6 },
	{ "IPv6: a name as sent-by, and another address spelt otherwise "
	  "below it",
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "v: SIP/2.0/UDP phone6.example.com;branch=z9hG4bK63" CRLF
	  "v: SIP/2.0/UDP [FD00:0:0::9];branch=z9hG4bK64" CRLF
	  "t: <sip:v6@example.com>" CRLF
	  "f: <sip:v6@example.com>;tag=6" CRLF
	  "i: v6-3" CRLF
	  "CSeq: 3 REGISTER" CRLF CRLF, 6 },
};

TEST(cookie_401_bytes_equal_siplbd)
{
	size_t i;

	for (i = 0; i < sizeof(answered) / sizeof(answered[0]); i++)
		expect_answered_as(answered[i].family, answered[i].msg, false,
				   answered[i].what);
}

/* What XDP must not answer: up, unchanged, under its counter. */
static const struct {
	const char *what;
	int family;
	int stat;
	const char *msg;
} passed[] = {
	{ "folded header line", 4, SIPLB_STAT_PASS_COOKIE_UNSUPPORTED,
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKf" CRLF
	  "To: <sip:a@example.com>" CRLF
	  "From: <sip:a@example.com>" CRLF " ;tag=1" CRLF
	  "Call-ID: f1" CRLF "CSeq: 1 REGISTER" CRLF CRLF },
	{ "two Vias on one line", 4, SIPLB_STAT_PASS_COOKIE_UNSUPPORTED,
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKa, "
	  "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKb" CRLF
	  "To: <sip:a@example.com>" CRLF "From: <sip:a@example.com>;tag=1" CRLF
	  "Call-ID: f2" CRLF "CSeq: 1 REGISTER" CRLF CRLF },
	{ "top Via with received", 4, SIPLB_STAT_PASS_COOKIE_UNSUPPORTED,
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP 10.10.1.2:5070;received=1.2.3.4;branch=z9hG4bKr" CRLF
	  "To: <sip:a@example.com>" CRLF "From: <sip:a@example.com>;tag=1" CRLF
	  "Call-ID: f3" CRLF "CSeq: 1 REGISTER" CRLF CRLF },
	{ "space among the top Via's parameters", 4,
	  SIPLB_STAT_PASS_COOKIE_UNSUPPORTED,
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP 10.10.1.2:5070; branch=z9hG4bKs" CRLF
	  "To: <sip:a@example.com>" CRLF "From: <sip:a@example.com>;tag=1" CRLF
	  "Call-ID: f4" CRLF "CSeq: 1 REGISTER" CRLF CRLF },
	{ "Require (siplbd may answer 420)", 4,
	  SIPLB_STAT_PASS_COOKIE_UNSUPPORTED,
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKq" CRLF
	  "Require: foo" CRLF
	  "To: <sip:a@example.com>" CRLF "From: <sip:a@example.com>;tag=1" CRLF
	  "Call-ID: f5" CRLF "CSeq: 1 REGISTER" CRLF CRLF },
	{ "To with a tag", 4, SIPLB_STAT_PASS_COOKIE_UNSUPPORTED,
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKt" CRLF
	  "To: <sip:a@example.com>;tag=abc" CRLF
	  "From: <sip:a@example.com>;tag=1" CRLF
	  "Call-ID: f6" CRLF "CSeq: 1 REGISTER" CRLF CRLF },
	{ "no CSeq", 4, SIPLB_STAT_PASS_COOKIE_UNSUPPORTED,
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKn" CRLF
	  "To: <sip:a@example.com>" CRLF "From: <sip:a@example.com>;tag=1" CRLF
	  "Call-ID: f7" CRLF CRLF },
	{ "tel: Request-URI (416 upstairs)", 4,
	  SIPLB_STAT_PASS_COOKIE_UNSUPPORTED,
	  "REGISTER tel:+1234 SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKu" CRLF
	  "To: <sip:a@example.com>" CRLF "From: <sip:a@example.com>;tag=1" CRLF
	  "Call-ID: f8" CRLF "CSeq: 1 REGISTER" CRLF CRLF },
	{ "IPv6 sent-by spelt otherwise than inet_ntop, no rport (the same "
	  "address? only a parser can tell)", 6,
	  SIPLB_STAT_PASS_COOKIE_UNSUPPORTED,
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP [FD00:1:0::2]:5070;branch=z9hG4bK6" CRLF
	  "To: <sip:a@example.com>" CRLF "From: <sip:a@example.com>;tag=1" CRLF
	  "Call-ID: f9" CRLF "CSeq: 1 REGISTER" CRLF CRLF },
	{ "headers not ended", 4, SIPLB_STAT_PASS_COOKIE_UNSUPPORTED,
	  "REGISTER sip:example.com SIP/2.0" CRLF
	  "Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKe" CRLF
	  "To: <sip:a@example.com>" CRLF "From: <sip:a@example.com>;tag=1" CRLF
	  "Call-ID: f10" CRLF "CSeq: 1 REGISTER" CRLF },
};

TEST(cookie_unanswerable_goes_up)
{
	struct xdp_result res;
	__u8 frame[PKT_MAX];
	size_t i, flen;

	for (i = 0; i < sizeof(passed) / sizeof(passed[0]); i++) {
		flen = client_frame(frame, passed[i].family, passed[i].msg);
		if (run_expect(frame, flen, XDP_PASS, passed[i].stat, &res,
			       passed[i].what))
			ASSERT_MEM_EQ(res.out, frame, flen, passed[i].what);
	}
}

/* A name that fills whole words, blanks before its colon: at each of the
 * eight alignments some word of it has a blank and no colon, which the
 * word pass (cookie_words.bpf.h) must read byte by byte. */
TEST(cookie_name_words_at_every_alignment)
{
	char msg[PKT_MAX], what[64];
	struct xdp_result res;
	__u8 frame[PKT_MAX];
	size_t flen;
	int k;

	for (k = 0; k < 8; k++) {
		snprintf(msg, sizeof(msg), "REGISTER sip:example.com SIP/2.0"
			 CRLF "X-Pad: %.*s" CRLF
			 "Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKal"
			 CRLF "Proxy-Require \t        \t: foo" CRLF
			 "To: <sip:a@example.com>" CRLF
			 "From: <sip:a@example.com>;tag=1" CRLF
			 "Call-ID: al%d" CRLF "CSeq: 1 REGISTER" CRLF CRLF,
			 k, "xxxxxxxx", k);
		snprintf(what, sizeof(what), "Proxy-Require at alignment %d",
			 k);
		flen = client_frame(frame, 4, msg);
		if (run_expect(frame, flen, XDP_PASS,
			       SIPLB_STAT_PASS_COOKIE_UNSUPPORTED, &res, what))
			ASSERT_MEM_EQ(res.out, frame, flen, what);
	}
}

TEST(cookie_too_many_lines_goes_up)
{
	char msg[PKT_MAX];
	struct xdp_result res;
	__u8 frame[PKT_MAX];
	size_t flen, n;
	int i;

	n = snprintf(msg, sizeof(msg), "REGISTER sip:example.com SIP/2.0" CRLF
		     "Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKm" CRLF);
	for (i = 0; i < 70; i++)
		n += snprintf(msg + n, sizeof(msg) - n, "X-%d: y" CRLF, i);
	snprintf(msg + n, sizeof(msg) - n, "To: <sip:a@example.com>" CRLF
		 "From: <sip:a@example.com>;tag=1" CRLF "Call-ID: m1" CRLF
		 "CSeq: 1 REGISTER" CRLF CRLF);
	flen = client_frame(frame, 4, msg);
	if (run_expect(frame, flen, XDP_PASS, SIPLB_STAT_PASS_COOKIE_LONG,
		       &res, "70 header lines"))
		ASSERT_MEM_EQ(res.out, frame, flen, "unchanged");
}

TEST(cookie_disabled_register_goes_up)
{
	struct xdp_result res;
	__u8 frame[PKT_MAX];
	size_t flen = client_frame(frame, 4, answered[0].msg);

	if (!ASSERT_OK(cookie_set(false), "xdp-challenge off"))
		return;
	if (run_expect(frame, flen, XDP_PASS, SIPLB_STAT_PASS_REGISTER, &res,
		       "cookies off: PASS_REGISTER"))
		ASSERT_MEM_EQ(res.out, frame, flen, "unchanged");
	ASSERT_OK(cookie_set(true), "xdp-challenge on again");
}

TEST(cookie_user_agent_policy_disables)
{
	struct digest_policy saved = policy;
	struct siplb_cookie v;
	struct cookie_conf cc = {
		.enabled = true, .realm = REALM, .policy = &policy,
		.lifetime_s = LIFETIME, .nonces = issuer,
	};

	policy.nrules = 1;
	snprintf(policy.rules[0].pattern, sizeof(policy.rules[0].pattern),
		 "Linphone*");
	policy.rules[0].list = policy.dflt;
	ASSERT_OK(cookie_build(&cc, &v), "builds");
	ASSERT_EQ(v.enabled, 0, "user-agent-algorithms: XDP does not answer");
	policy = saved;
	ASSERT_OK(cookie_build(&cc, &v), "builds");
	ASSERT_EQ(v.enabled, 1, "one policy for all: XDP answers");
	ASSERT_EQ(v.chal[0].nnonce, 1, "MD5 alone: one nonce to write");
	ASSERT_TRUE(memmem(v.chal[1].text, v.chal[1].len, "stale=true", 10) !=
			    NULL, "the stale variant says stale=true");
}

/* A REGISTER from the client whose Authorization carries nonce. */
static void register_with_nonce(char *out, size_t size, const char *nonce)
{
	snprintf(out, size, "REGISTER sip:example.com SIP/2.0" CRLF
		 "Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKauth;rport" CRLF
		 "To: <sip:bob@example.com>" CRLF
		 "From: <sip:bob@example.com>;tag=a1" CRLF
		 "Call-ID: auth-call@10.10.1.2" CRLF
		 "CSeq: 2 REGISTER" CRLF
		 "Authorization: Digest username=\"bob\", realm=\"example.com\", "
		 "nonce=\"%s\", uri=\"sip:example.com\", "
		 "response=\"0123456789abcdef0123456789abcdef\", "
		 "algorithm=MD5" CRLF
		 "Content-Length: 0" CRLF CRLF, nonce);
}

/* A nonce issued at `issued` to `addr` (text) by the test's issuer. */
static void nonce_for(const char *addr, __u64 issued,
		      char nonce[NONCE_STR_SIZE])
{
	struct siplb_endpoint ep;
	struct siplb_addr src;

	fixture_endpoint(addr, CLIENT_PORT, &ep);
	endpoint_addr(&ep, &src);
	ASSERT_OK(nonce_make(issuer, REALM, strlen(REALM), &src, sizeof(src),
			     issued, nonce), "nonce made by siplbd's code");
}

static void expect_verdict(const char *nonce, int action, int stat,
			   const char *what)
{
	char msg[PKT_MAX];
	struct xdp_result res;
	__u8 frame[PKT_MAX];
	size_t flen;

	register_with_nonce(msg, sizeof(msg), nonce);
	flen = client_frame(frame, 4, msg);
	if (run_expect(frame, flen, action, stat, &res, what) &&
	    action == XDP_PASS)
		ASSERT_MEM_EQ(res.out, frame, flen, "goes up unchanged");
}

TEST(cookie_nonce_checked)
{
	char nonce[NONCE_STR_SIZE], msg[PKT_MAX];
	__u64 now = mono_s();

	nonce_for(FIX_CLIENT4, now, nonce);
	expect_verdict(nonce, XDP_PASS, SIPLB_STAT_PASS_COOKIE_VALID,
		       "valid nonce: up to siplbd");
	nonce[30] = nonce[30] == 'A' ? 'B' : 'A';	/* a MAC byte */
	expect_verdict(nonce, XDP_DROP, SIPLB_STAT_DROP_COOKIE_FORGED,
		       "forged MAC: dropped");
	nonce_for("10.10.1.99", now, nonce);
	expect_verdict(nonce, XDP_DROP, SIPLB_STAT_DROP_COOKIE_FORGED,
		       "issued to another source: dropped");
	expect_verdict("abc", XDP_DROP, SIPLB_STAT_DROP_COOKIE_FORGED,
		       "garbage nonce: dropped");
	expect_verdict("+AAAAAAAAA-igoaKjpKWmp4uwuBYa2Cb5okdSN-QPSgI"
		       + 1, XDP_DROP, SIPLB_STAT_DROP_COOKIE_FORGED,
		       "someone else's nonce of the right length: dropped");
	memset(nonce, '+', NONCE_STR_LEN);
	expect_verdict(nonce, XDP_DROP, SIPLB_STAT_DROP_COOKIE_FORGED,
		       "43 characters outside base64url: dropped");

	nonce_for(FIX_CLIENT4, now - LIFETIME - 5, nonce);
	register_with_nonce(msg, sizeof(msg), nonce);
	expect_answered_as(4, msg, true, "expired nonce: 401 stale=true");
	nonce_for(FIX_CLIENT4, now + 100, nonce);
	register_with_nonce(msg, sizeof(msg), nonce);
	expect_answered_as(4, msg, true, "nonce from the future: stale=true");
}

TEST(cookie_credentials_without_nonce_go_up)
{
	static const char msg[] =
		"REGISTER sip:example.com SIP/2.0" CRLF
		"Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKbasic" CRLF
		"To: <sip:bob@example.com>" CRLF
		"From: <sip:bob@example.com>;tag=a1" CRLF
		"Call-ID: basic@10.10.1.2" CRLF
		"CSeq: 1 REGISTER" CRLF
		"Authorization: Basic Ym9iOnNlY3JldA==" CRLF CRLF;
	struct xdp_result res;
	__u8 frame[PKT_MAX];
	size_t flen = client_frame(frame, 4, msg);

	if (run_expect(frame, flen, XDP_PASS,
		       SIPLB_STAT_PASS_COOKIE_UNSUPPORTED, &res,
		       "no nonce=\" to check: siplbd decides"))
		ASSERT_MEM_EQ(res.out, frame, flen, "unchanged");
}

int main(int argc, char **argv)
{
	static const uint8_t secret[NONCE_SECRET_LEN] = { 9, 8, 7, 6, 5 };
	int err;

	testlib_require_root("BPF_PROG_TEST_RUN in a network namespace");
	digest_policy_init(&policy);
	err = fixture_setup(&fix);
	if (!err)
		err = nonce_issuer_new(&issuer);
	if (!err)
		err = nonce_issuer_set_secret(issuer, secret, sizeof(secret));
	if (!err)
		err = cookie_set(true);
	if (err) {
		fprintf(stderr, "test_cookie: setup failed: %s\n",
			strerror(-err));
		fixture_teardown(&fix);
		return 1;
	}
	err = testlib_main(argc, argv);
	nonce_issuer_free(issuer);
	fixture_teardown(&fix);
	return err;
}
