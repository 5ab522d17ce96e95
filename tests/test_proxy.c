// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_proxy.c - siplb-worker's proxy without a network: the message
 * surgery (user/siplb-worker/proxy_msg.c), the transaction table (user/siplb-worker/txn_table.c) and
 * the proxy state machine (user/siplb-worker/proxy.c) driven with a fake network (every
 * datagram it sends is captured with its destination) and a fake clock.
 *
 * Bindings live in a real siplb_location map created in-process with
 * bpf_map_create(), as tests/test_registrar.c does, so the proxy reads
 * them exactly as it would read siplbd's pinned map. Needs root (CAP_BPF)
 * for those cases.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "caller_auth.h"
#include "fork_plan.h"
#include "corpus.h"
#include "digest.h"
#include "endpoint.h"
#include "location.h"
#include "log.h"
#include "nonce.h"
#include "proxy.h"
#include "proxy_msg.h"
#include "rr_token.h"
#include "sip_msg.h"
#include "txn_table.h"
#include "users.h"
#include "testlib.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SELF		"10.99.11.2:5060"
#define VIP		"10.99.0.10:5060"
#define DOMAIN		"example.com"
#define ALICE_ADDR	"198.51.100.7:5060"	/* caller's source */
#define BOB_SOURCE	"192.0.2.21:5070"	/* where bob registered from */
#define BOB_CONTACT	"sip:bob@192.0.2.20:5062"	/* behind a NAT */
#define REAL_NOW	1700000000ULL

static bool contains(const char *hay, size_t len, const char *needle)
{
	return memmem(hay, len, needle, strlen(needle)) != NULL;
}

#define ASSERT_HAS(buf, len, needle, what)                                    \
	testlib_report(contains((buf), (len), (needle)), __FILE__, __LINE__,  \
		       (what), "\"%s\" not in:\n%.*s", (needle), (int)(len),  \
		       (buf))

#define ASSERT_HASNT(buf, len, needle, what)                                  \
	testlib_report(!contains((buf), (len), (needle)), __FILE__, __LINE__, \
		       (what), "\"%s\" unexpectedly in:\n%.*s", (needle),     \
		       (int)(len), (buf))

static struct proxy_self self_of(void)
{
	struct proxy_self s;

	if (proxy_self_init(&s, SELF, VIP, DOMAIN))
		memset(&s, 0, sizeof(s));
	return s;
}

/* -r HOST:PORT: a name is looked up once, in -l's family, and used as the
 * address it names (Via, Record-Route, "is this ours?"). */
TEST(self_record_route_by_host_name)
{
	struct proxy_self s;

	if (!ASSERT_OK(proxy_self_init(&s, SELF, "localhost:5070", DOMAIN),
		       "-r localhost:5070"))
		return;
	ASSERT_TRUE(s.has_rr, "Record-Route on");
	ASSERT_TRUE(!strcmp(s.rr_host, "127.0.0.1"), "rr host 127.0.0.1");
	ASSERT_EQ(s.rr_port, 5070, "rr port");
	ASSERT_EQ(proxy_self_init(&s, SELF, "localhost", DOMAIN), -EINVAL,
		  "-r with no port is refused as malformed");
	ASSERT_EQ(proxy_self_init(&s, SELF, "10.99.0.10", DOMAIN), -EINVAL,
		  "-r address with no port is refused as malformed");
}

/* ---- messages ---------------------------------------------------------- */

static const char invite_text[] =
	"INVITE sip:bob@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKalice1;rport\r\n"
	"Route: <sip:10.99.0.10:5060;lr>, <sip:203.0.113.5;lr>\r\n"
	"Max-Forwards: 70\r\n"
	"From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
	"To: <sip:bob@example.com>\r\n"
	"Call-ID: call-1@198.51.100.7\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sip:alice@198.51.100.7:5060>\r\n"
	"Subject: folded\r\n  subject\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 4\r\n"
	"\r\n"
	"v=0\n";

TEST(build_request_via_rr_maxforwards_route)
{
	struct proxy_self self = self_of();
	struct proxy_fwd f = { .ruri = BOB_CONTACT,
			       .branch = PROXY_BRANCH_PREFIX "t0123",
			       .pop_route = true, .record_route = true };
	static struct sip_msg in, out;
	char buf[4096];
	struct sip_slice v;
	unsigned int pos = 0;
	int n;

	if (!ASSERT_OK(sip_msg_parse(&in, invite_text, sizeof(invite_text) - 1),
		       "parse the INVITE"))
		return;
	n = proxy_build_request(&self, &in, &f, buf, sizeof(buf));
	if (!ASSERT_GE(n, 1, "proxy_build_request") ||
	    !ASSERT_OK(sip_msg_parse(&out, buf, n), "forwarded INVITE parses"))
		return;
	ASSERT_TRUE(sip_slice_eq_str(out.ruri_text, BOB_CONTACT),
		    "Request-URI is the binding's contact");
	ASSERT_TRUE(sip_slice_eq_str(out.via.branch, f.branch),
		    "top Via carries our branch");
	ASSERT_TRUE(sip_slice_eq_str(out.via.host, "10.99.0.10") &&
			    out.via.port == 5060,
		    "top Via names the VIP, so responses come back through it");
	ASSERT_EQ(out.count[SIP_HDR_VIA], 2, "the caller's Via follows ours");
	ASSERT_EQ(out.max_forwards, 69, "Max-Forwards decremented");
	ASSERT_HAS(buf, n, "Record-Route: <sip:10.99.0.10:5060;lr>\r\n",
		   "Record-Route through the VIP");
	ASSERT_TRUE(!sip_msg_hdr_next(&out, SIP_HDR_ROUTE, &pos, &v) &&
			    sip_slice_eq_str(v, "<sip:203.0.113.5;lr>"),
		    "our Route popped, the next kept");
	ASSERT_HAS(buf, n, "Subject: folded\r\n  subject\r\n",
		   "other headers as they were");
	ASSERT_TRUE(sip_slice_eq_str(out.body, "v=0\n"), "body unchanged");
}

TEST(build_request_adds_max_forwards_keeps_uri)
{
	static const char text[] = "OPTIONS sip:bob@example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKo\r\n"
				   "From: <sip:a@example.com>;tag=1\r\n"
				   "To: <sip:bob@example.com>\r\n"
				   "Call-ID: o1\r\n"
				   "CSeq: 7 OPTIONS\r\n\r\n";
	struct proxy_self self = self_of();
	struct proxy_fwd f = { .branch = PROXY_BRANCH_PREFIX "t1" };
	static struct sip_msg in, out;
	char buf[2048];
	int n;

	if (!ASSERT_OK(sip_msg_parse(&in, text, sizeof(text) - 1), "parse"))
		return;
	n = proxy_build_request(&self, &in, &f, buf, sizeof(buf));
	if (!ASSERT_GE(n, 1, "build") ||
	    !ASSERT_OK(sip_msg_parse(&out, buf, n), "reparse"))
		return;
	ASSERT_EQ(out.max_forwards, 69, "absent Max-Forwards becomes 70 - 1");
	ASSERT_TRUE(sip_slice_eq_str(out.ruri_text, "sip:bob@example.com"),
		    "Request-URI kept");
	ASSERT_HASNT(buf, n, "Record-Route", "no Record-Route unless asked");
	ASSERT_EQ(proxy_build_request(&self, &in, &f, buf, 40), -ENOSPC,
		  "small buffer: -ENOSPC");
}

static const struct relay_case {
	const char *name;
	const char *vias;	/* Via lines of the response */
	int ret;		/* > 0: relayed */
	const char *top;	/* expected top Via value after */
} relay_cases[] = {
	{ "two Via headers",
	  "Via: SIP/2.0/UDP 10.99.11.2:5060;branch=z9hG4bKsLbt1\r\n"
	  "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKa;rport=5062\r\n",
	  1, "SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKa;rport=5062" },
	{ "one Via header, two via-parms",
	  "Via: SIP/2.0/UDP 10.99.11.2:5060;branch=z9hG4bKsLbt1 , "
	  "SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKa\r\n",
	  1, "SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKa" },
	{ "nothing left to route by",
	  "Via: SIP/2.0/UDP 10.99.11.2:5060;branch=z9hG4bKsLbt1\r\n", -EINVAL,
	  NULL },
};

TEST(build_relay_removes_our_via)
{
	static struct sip_msg in, out;
	char text[2048], buf[2048];
	size_t i;
	int n;

	for (i = 0; i < ARRAY_SIZE(relay_cases); i++) {
		const struct relay_case *c = &relay_cases[i];
		const struct sip_hdr *h;

		n = snprintf(text, sizeof(text),
			     "SIP/2.0 180 Ringing\r\n%s"
			     "From: <sip:a@example.com>;tag=1\r\n"
			     "To: <sip:b@example.com>;tag=2\r\n"
			     "Call-ID: r1\r\nCSeq: 1 INVITE\r\n"
			     "Content-Length: 0\r\n\r\n", c->vias);
		if (!ASSERT_OK(sip_msg_parse(&in, text, n), c->name))
			continue;
		n = proxy_build_relay(&in, NULL, buf, sizeof(buf));
		if (c->ret < 0) {
			ASSERT_EQ(n, c->ret, c->name);
			continue;
		}
		if (!ASSERT_GE(n, 1, c->name) ||
		    !ASSERT_OK(sip_msg_parse(&out, buf, n), c->name))
			continue;
		h = sip_msg_hdr(&out, SIP_HDR_VIA);
		ASSERT_TRUE(h && sip_slice_eq_str(h->value, c->top), c->name);
		ASSERT_HAS(buf, n, "SIP/2.0 180 Ringing\r\n", c->name);
	}
}

TEST(build_hop_ack_and_cancel)
{
	static const char resp_text[] =
		"SIP/2.0 486 Busy Here\r\n"
		"Via: SIP/2.0/UDP 10.99.11.2:5060;branch=z9hG4bKsLbt9\r\n"
		"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKalice1\r\n"
		"From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
		"To: <sip:bob@example.com>;tag=b7\r\n"
		"Call-ID: call-1@198.51.100.7\r\nCSeq: 1 INVITE\r\n\r\n";
	struct proxy_self self = self_of();
	struct proxy_fwd f = { .ruri = BOB_CONTACT,
			       .branch = PROXY_BRANCH_PREFIX "t9",
			       .pop_route = true, .record_route = true };
	static struct sip_msg in, fwd, resp, hop;
	char fbuf[4096], buf[4096];
	int n;

	if (!ASSERT_OK(sip_msg_parse(&in, invite_text, sizeof(invite_text) - 1),
		       "parse") ||
	    !ASSERT_GE(n = proxy_build_request(&self, &in, &f, fbuf,
					       sizeof(fbuf)), 1, "forward") ||
	    !ASSERT_OK(sip_msg_parse(&fwd, fbuf, n), "parse forwarded") ||
	    !ASSERT_OK(sip_msg_parse(&resp, resp_text, sizeof(resp_text) - 1),
		       "parse 486"))
		return;
	n = proxy_build_hop(&fwd, "ACK", &resp, buf, sizeof(buf));
	if (!ASSERT_GE(n, 1, "ACK built") ||
	    !ASSERT_OK(sip_msg_parse(&hop, buf, n), "ACK parses"))
		return;
	ASSERT_TRUE(sip_slice_eq_str(hop.method, "ACK"), "method ACK");
	ASSERT_TRUE(sip_slice_eq_str(hop.ruri_text, BOB_CONTACT),
		    "ACK: Request-URI of the forwarded INVITE");
	ASSERT_EQ(hop.count[SIP_HDR_VIA], 1, "ACK: our Via only");
	ASSERT_TRUE(sip_slice_eq_str(hop.via.branch, f.branch),
		    "ACK: same branch as the INVITE");
	ASSERT_TRUE(sip_slice_eq_str(hop.to.tag, "b7"), "ACK: To of the 486");
	ASSERT_TRUE(hop.cseq == 1 && sip_slice_eq_str(hop.cseq_method, "ACK"),
		    "ACK: CSeq 1 ACK");
	ASSERT_HAS(buf, n, "Route: <sip:203.0.113.5;lr>\r\n",
		   "ACK: the INVITE's Route");

	n = proxy_build_hop(&fwd, "CANCEL", NULL, buf, sizeof(buf));
	if (!ASSERT_GE(n, 1, "CANCEL built") ||
	    !ASSERT_OK(sip_msg_parse(&hop, buf, n), "CANCEL parses"))
		return;
	ASSERT_EQ(hop.to.tag.len, 0, "CANCEL: To of the request (no tag)");
	ASSERT_TRUE(sip_slice_eq_str(hop.cseq_method, "CANCEL"),
		    "CANCEL: CSeq method");
	ASSERT_TRUE(sip_slice_eq_str(hop.via.branch, f.branch),
		    "CANCEL: same branch as the INVITE");
}

TEST(branches)
{
	char a[PROXY_BRANCH_MAX], b[PROXY_BRANCH_MAX];
	static struct sip_msg m;
	uint64_t i;
	int dup = 0;

	proxy_branch_unique(42, 1, 0xdeadbeef, a);
	ASSERT_TRUE(strlen(a) < PROXY_BRANCH_MAX, "fits");
	ASSERT_TRUE(proxy_branch_is_ours(sip_slice_str(a)),
		    "unique branch is recognised as ours");
	ASSERT_TRUE(!strncmp(a, "z9hG4bK", 7), "RFC 3261 magic cookie");
	for (i = 2; i < 5000; i++) {
		proxy_branch_unique(42, i, 0xdeadbeef, b);
		dup += !strcmp(a, b);
	}
	ASSERT_EQ(dup, 0, "no two counters give the same branch");
	ASSERT_FALSE(proxy_branch_is_ours(SIP_SLICE_LIT("z9hG4bKalice1")),
		     "someone else's branch");
	ASSERT_FALSE(proxy_branch_is_ours(SIP_SLICE_LIT(PROXY_BRANCH_PREFIX)),
		     "prefix alone");

	if (!ASSERT_OK(sip_msg_parse(&m, invite_text, sizeof(invite_text) - 1),
		       "parse"))
		return;
	proxy_branch_stateless(&m, a);
	proxy_branch_stateless(&m, b);
	ASSERT_TRUE(!strcmp(a, b), "stateless branch is deterministic");
	ASSERT_TRUE(proxy_branch_is_ours(sip_slice_str(a)),
		    "stateless branch is ours");
}

static const struct via_case {
	const char *via;
	int ret;
	const char *dest;
} via_cases[] = {
	{ "SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKx", 0, "198.51.100.7:5060" },
	{ "SIP/2.0/UDP 198.51.100.7:5070;branch=z9hG4bKx", 0,
	  "198.51.100.7:5070" },
	{ "SIP/2.0/UDP 10.0.0.5:5070;received=198.51.100.9;rport=40000", 0,
	  "198.51.100.9:40000" },
	{ "SIP/2.0/UDP [2001:db8::1]:5080;branch=z9hG4bKx", 0,
	  "[2001:db8::1]:5080" },
	{ "SIP/2.0/UDP host.example.com;branch=z9hG4bKx", -EINVAL, NULL },
};

TEST(via_destination)
{
	struct siplb_endpoint got, want;
	struct sip_slice s;
	struct sip_via v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(via_cases); i++) {
		const struct via_case *c = &via_cases[i];

		s = sip_slice_str(c->via);
		if (!ASSERT_OK(sip_via_next(&s, &v), c->via))
			continue;
		if (c->ret) {
			ASSERT_EQ(proxy_via_dest(&v, &got), c->ret, c->via);
			continue;
		}
		if (ASSERT_OK(proxy_via_dest(&v, &got), c->via) &&
		    ASSERT_OK(endpoint_parse(c->dest, &want), c->dest))
			ASSERT_TRUE(endpoint_equal(&got, &want), c->via);
	}
}

/* A request carrying a Via of ours, whose branch holds loop hash `loop`
 * ("" for none), with the given Request-URI. */
static const char *via_of_ours(const char *ruri, const char *loop)
{
	static char text[1024];

	snprintf(text, sizeof(text),
		 "INVITE %s SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKother\r\n"
		 "Via: SIP/2.0/UDP 10.99.11.2:5060;branch=z9hG4bKsLbt77%s\r\n"
		 "From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
		 "Call-ID: l1\r\nCSeq: 1 INVITE\r\n\r\n", ruri, loop);
	return text;
}

TEST(loop_detection_and_uri_ownership)
{
	struct proxy_self self = self_of();
	static struct sip_msg m, first;
	const char *text;
	char loop[16];
	struct sip_uri u;

	/* The hash the request had when we forwarded it. */
	text = via_of_ours("sip:bob@example.com", "");
	if (!ASSERT_OK(sip_msg_parse(&first, text, strlen(text)), "parse"))
		return;
	snprintf(loop, sizeof(loop), ".%08x", proxy_loop_hash(&first));

	text = via_of_ours("sip:bob@example.com", loop);
	if (!ASSERT_OK(sip_msg_parse(&m, text, strlen(text)), "parse"))
		return;
	ASSERT_TRUE(proxy_looped(&self, &m), "same request again: a loop");
	text = via_of_ours("sip:bob@192.0.2.20:5062", loop);
	if (!ASSERT_OK(sip_msg_parse(&m, text, strlen(text)), "parse"))
		return;
	ASSERT_FALSE(proxy_looped(&self, &m),
		     "new Request-URI: a spiral, not a loop");
	text = via_of_ours("sip:bob@example.com", "");
	if (!ASSERT_OK(sip_msg_parse(&m, text, strlen(text)), "parse"))
		return;
	ASSERT_TRUE(proxy_looped(&self, &m),
		    "a Via of ours without a loop hash counts as a loop");
	if (!ASSERT_OK(sip_msg_parse(&m, invite_text, sizeof(invite_text) - 1),
		       "parse"))
		return;
	ASSERT_FALSE(proxy_looped(&self, &m), "no Via of ours");

	ASSERT_OK(sip_uri_parse(SIP_SLICE_LIT("sip:10.99.0.10:5060;lr"), &u),
		  "VIP uri");
	ASSERT_TRUE(proxy_uri_is_ours(&self, &u), "the VIP is us");
	ASSERT_OK(sip_uri_parse(SIP_SLICE_LIT("sip:10.99.11.2"), &u), "self");
	ASSERT_TRUE(proxy_uri_is_ours(&self, &u), "our address, port 5060");
	ASSERT_OK(sip_uri_parse(SIP_SLICE_LIT("sip:EXAMPLE.com"), &u), "dom");
	ASSERT_TRUE(proxy_uri_is_ours(&self, &u), "our domain, any case");
	ASSERT_OK(sip_uri_parse(SIP_SLICE_LIT("sip:10.99.0.10:5070"), &u), "p");
	ASSERT_FALSE(proxy_uri_is_ours(&self, &u), "VIP address, other port");
}

TEST(aor_of_request_uri)
{
	char aor[SIPLB_AOR_MAX];
	struct sip_uri u;

	ASSERT_OK(sip_uri_parse(SIP_SLICE_LIT("sip:b%6Fb@EXAMPLE.com:5060;"
					      "user=phone"), &u), "parse");
	ASSERT_EQ(proxy_aor(&u, NULL, aor, sizeof(aor)),
		  strlen("sip:bob@example.com"), "AOR length");
	ASSERT_TRUE(!strcmp(aor, "sip:bob@example.com"),
		    "unescaped user, lower-case host, no port or params");
	ASSERT_GE(proxy_aor(&u, "Other.ORG", aor, sizeof(aor)), 1, "domain");
	ASSERT_TRUE(!strcmp(aor, "sip:bob@other.org"), "domain substituted");
	ASSERT_OK(sip_uri_parse(SIP_SLICE_LIT("sip:a%00b@example.com"), &u),
		  "parse %00");
	ASSERT_EQ(proxy_aor(&u, NULL, aor, sizeof(aor)), -EINVAL,
		  "%00 refused");
	ASSERT_OK(sip_uri_parse(SIP_SLICE_LIT("sip:example.com"), &u), "nouser");
	ASSERT_EQ(proxy_aor(&u, NULL, aor, sizeof(aor)), -EINVAL, "no user");
}

/* ---- the transaction table --------------------------------------------- */

TEST(txn_table_insert_find_expire)
{
	struct txn_table tt;
	struct txn *t[4], *found;
	char key[8];
	int i;

	if (!ASSERT_OK(txn_table_init(&tt, 3), "init"))
		return;
	for (i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		t[i] = txn_new(&tt, key, strlen(key));
		ASSERT_TRUE(t[i] != NULL, "insert");
	}
	ASSERT_TRUE(txn_new(&tt, "k3", 2) == NULL, "full table refuses");
	ASSERT_EQ(tt.used, 3, "three in use");
	found = txn_find_key(&tt, "k1", 2);
	ASSERT_TRUE(found == t[1], "find by key");
	ASSERT_TRUE(txn_find_key(&tt, "k9", 2) == NULL, "unknown key");
	txn_set_branch(&tt, t[2], PROXY_BRANCH_PREFIX "tabc");
	ASSERT_TRUE(txn_find_branch(&tt, SIP_SLICE_LIT(PROXY_BRANCH_PREFIX
						       "tabc")) == t[2],
		    "find by branch");
	ASSERT_TRUE(txn_find_branch(&tt, SIP_SLICE_LIT(PROXY_BRANCH_PREFIX
						       "tab")) == NULL,
		    "branch prefix is not a match");
	ASSERT_OK(txn_keep(&t[2]->req, &t[2]->req_len, "abc", 3), "keep");

	txn_linger(&tt, t[0], 100);
	txn_linger(&tt, t[2], 200);
	ASSERT_EQ(txn_expire(&tt, 99), 0, "nothing due at 99");
	ASSERT_EQ(txn_expire(&tt, 150), 1, "one due at 150");
	ASSERT_TRUE(txn_find_key(&tt, "k0", 2) == NULL, "expired one gone");
	ASSERT_EQ(txn_expire(&tt, 1000), 1, "the other at 1000");
	ASSERT_TRUE(txn_find_branch(&tt, SIP_SLICE_LIT(PROXY_BRANCH_PREFIX
						       "tabc")) == NULL,
		    "its branch index entry too");
	ASSERT_TRUE(txn_find_key(&tt, "k1", 2) == t[1], "k1 (no end) stays");
	ASSERT_TRUE(txn_new(&tt, "k4", 2) != NULL, "room again");
	ASSERT_EQ(tt.used, 2, "two in use");
	txn_table_free(&tt);
}

/* Server records with no final response, counted by walking both lists:
 * what tt->pending must always equal. */
static uint32_t pending_by_walk(const struct txn_table *tt)
{
	const struct txn *t;
	uint32_t n = 0;
	int list;

	for (list = TXN_TIMED; list <= TXN_IDLE; list++)
		for (t = txn_first(tt, list); t; t = txn_after(tt, t->next))
			n += t->parent < 0 && !t->final_status;
	return n;
}

TEST(txn_table_pending_count)
{
	struct txn_table tt;
	struct txn *srv, *b1, *b2, *other;

	if (!ASSERT_OK(txn_table_init(&tt, 8), "init"))
		return;
	srv = txn_new(&tt, "srv", 3);
	b1 = txn_new(&tt, "b1", 2);
	b2 = txn_new(&tt, "b2", 2);
	other = txn_new(&tt, "other", 5);
	if (!ASSERT_TRUE(srv && b1 && b2 && other, "four records"))
		goto out;
	ASSERT_EQ(tt.pending, 4, "new records are server records, pending");
	txn_add_branch(&tt, srv, b1);
	txn_add_branch(&tt, srv, b2);
	ASSERT_EQ(tt.pending, 2, "branch records are not pending");
	ASSERT_EQ(tt.pending, pending_by_walk(&tt), "count = walk (branches)");
	txn_move(&tt, srv, TXN_IDLE);
	ASSERT_EQ(tt.pending, pending_by_walk(&tt), "count = walk (idle list)");
	txn_set_final(&tt, other, 200);
	ASSERT_EQ(tt.pending, 1, "a final response ends pending");
	txn_set_final(&tt, other, 200);
	ASSERT_EQ(tt.pending, 1, "a second final counts once");
	txn_set_final(&tt, b1, 486);
	ASSERT_EQ(tt.pending, 1, "a branch's final changes nothing");
	txn_delete(&tt, b1);
	txn_delete(&tt, other);
	ASSERT_EQ(tt.pending, 1, "deleting a branch or a final: still one");
	txn_delete(&tt, srv);
	ASSERT_EQ(tt.pending, 0, "deleting the pending one: none");
	ASSERT_EQ(tt.pending, pending_by_walk(&tt), "count = walk (deletes)");
	ASSERT_TRUE(txn_new(&tt, "again", 5) != NULL, "reuse a freed record");
	ASSERT_EQ(tt.pending, 1, "a reused record is pending again");
	ASSERT_EQ(tt.pending, pending_by_walk(&tt), "count = walk (reuse)");
out:
	txn_table_free(&tt);
}

/* The expiry wheel: due records go whatever second (and lap) they fall
 * in, an extended end_at holds, a server record waits for its branches. */
TEST(txn_table_expiry_wheel)
{
	struct txn_table tt;
	struct txn *srv, *br, *late, *far, *kept;
	uint64_t t0 = 5000000;	/* a monotonic clock some time after boot */

	if (!ASSERT_OK(txn_table_init(&tt, 8), "init"))
		return;
	srv = txn_new(&tt, "srv", 3);
	br = txn_new(&tt, "br", 2);
	late = txn_new(&tt, "late", 4);
	far = txn_new(&tt, "far", 3);
	kept = txn_new(&tt, "kept", 4);
	if (!ASSERT_TRUE(srv && br && late && far && kept, "five records"))
		goto out;
	ASSERT_EQ(txn_expire(&tt, t0), 0, "nothing due at first");
	txn_add_branch(&tt, srv, br);
	txn_linger(&tt, srv, t0 + 100);
	txn_linger(&tt, br, t0 + 5000);
	txn_linger(&tt, late, t0 + 200);
	txn_linger(&tt, late, t0 + 32000);	/* extended: the later holds */
	txn_linger(&tt, late, t0 + 300);	/* never shortened */
	txn_linger(&tt, far, t0 + 100000);	/* more than a lap away */
	ASSERT_EQ(txn_expire(&tt, t0 + 1500), 0,
		  "srv due but its branch lives; late extended");
	ASSERT_TRUE(txn_find_key(&tt, "srv", 3) == srv, "srv waits");
	ASSERT_EQ(txn_expire(&tt, t0 + 5000), 1, "the branch at 5 s");
	ASSERT_TRUE(txn_find_key(&tt, "br", 2) == NULL, "branch gone");
	ASSERT_EQ(txn_expire(&tt, t0 + 7000), 1, "then its server record");
	ASSERT_TRUE(txn_find_key(&tt, "srv", 3) == NULL, "srv gone");
	ASSERT_EQ(txn_expire(&tt, t0 + 31999), 0, "late not yet");
	ASSERT_EQ(txn_expire(&tt, t0 + 40000), 1, "late at 32 s");
	ASSERT_EQ(txn_expire(&tt, t0 + 99000), 0, "far not on its first lap");
	ASSERT_TRUE(txn_find_key(&tt, "far", 3) == far, "far waits");
	/* Three laps without a sweep: one full lap still finds it. */
	ASSERT_EQ(txn_expire(&tt, t0 + 300000), 1, "far after a long gap");
	ASSERT_TRUE(txn_find_key(&tt, "kept", 4) == kept, "no end_at: stays");
	ASSERT_EQ(tt.used, 1, "one in use");
out:
	txn_table_free(&tt);
}

/* The token as rr_token.h defines it, by OpenSSL's one-shot HMAC(). */
static void rr_token_reference(const struct secret *key, const char *callid,
			       const char *tag, char out[RR_TOKEN_LEN + 1])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char in[256], md[EVP_MAX_MD_SIZE];
	size_t n = 9, cl = strlen(callid), tl = strlen(tag);
	unsigned int mdlen = 0, i;

	memcpy(in, "siplb-rr1", 9);
	in[n++] = (unsigned char)(cl >> 8);
	in[n++] = (unsigned char)cl;
	memcpy(in + n, callid, cl);
	n += cl;
	in[n++] = (unsigned char)(tl >> 8);
	in[n++] = (unsigned char)tl;
	memcpy(in + n, tag, tl);
	n += tl;
	HMAC(EVP_sha256(), key->key, (int)key->len, in, n, md, &mdlen);
	for (i = 0; i < RR_TOKEN_LEN; i++) {
		unsigned int bit = 6 * i;
		unsigned int v = (unsigned int)md[bit / 8] << 8 |
				 md[bit / 8 + 1];

		out[i] = b64[v >> (10 - bit % 8) & 63];
	}
	out[RR_TOKEN_LEN] = '\0';
}

/* The keyed context rr_token_of keeps gives HMAC()'s tokens, follows a
 * change of key (same length, other bytes; other length) and comes back. */
TEST(rr_token_known_answer_across_keys)
{
	static const struct {
		const char *callid, *tag;
	} cases[] = {
		{ "a84b4c76e66710@pc33.atlanta.com", "1928301774" },
		{ "x", "" },
		{ "call-2", "tag-2" },
	};
	struct secret keys[3] = {
		{ .key = "0123456789abcdef-test-key", .len = 25 },
		{ .key = "0123456789abcdef-test-kez", .len = 25 },
		{ .key = "a much longer key for the second worker", .len = 39 },
	};
	char got[RR_TOKEN_LEN + 1], want[RR_TOKEN_LEN + 1];
	size_t k, i, round;

	for (round = 0; round < 2; round++) {
		for (k = 0; k < 3; k++) {
			for (i = 0; i < sizeof(cases) / sizeof(cases[0]);
			     i++) {
				rr_token_reference(&keys[k], cases[i].callid,
						   cases[i].tag, want);
				memset(got, 0, sizeof(got));
				ASSERT_OK(rr_token_of(&keys[k],
						      sip_slice_str(cases[i].callid),
						      sip_slice_str(cases[i].tag),
						      got),
					  "token made");
				ASSERT_MEM_EQ(got, want, sizeof(want), "= one-shot HMAC");
			}
		}
	}
	rr_token_forget();
	ASSERT_OK(rr_token_of(&keys[0], sip_slice_str("c"),
			      sip_slice_str("t"), got),
		  "a token after forgetting the context");
	rr_token_reference(&keys[0], "c", "t", want);
	ASSERT_MEM_EQ(got, want, sizeof(want), "and still the right one");
	rr_token_forget();
}

TEST(txn_keys)
{
	static const char ack[] =
		"ACK sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKalice1\r\n"
		"From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
		"To: <sip:bob@example.com>;tag=x\r\n"
		"Call-ID: call-1@198.51.100.7\r\nCSeq: 1 ACK\r\n\r\n";
	char k1[TXN_KEY_MAX], k2[TXN_KEY_MAX];
	static struct sip_msg m;
	int n1, n2;

	if (!ASSERT_OK(sip_msg_parse(&m, invite_text, sizeof(invite_text) - 1),
		       "parse INVITE"))
		return;
	n1 = txn_key_of(&m, false, k1, sizeof(k1));
	if (!ASSERT_OK(sip_msg_parse(&m, ack, sizeof(ack) - 1), "parse ACK"))
		return;
	n2 = txn_key_of(&m, true, k2, sizeof(k2));
	ASSERT_TRUE(n1 > 0 && n1 == n2 && !memcmp(k1, k2, n1),
		    "ACK keyed as its INVITE matches it");
	n2 = txn_key_of(&m, false, k2, sizeof(k2));
	ASSERT_FALSE(n1 == n2 && !memcmp(k1, k2, n1),
		     "ACK keyed as itself does not");
}

/* ---- bindings ---------------------------------------------------------- */

static int location_fd = -1, sources_fd = -1, aors_fd = -1;

static bool maps_up(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);

	if (location_fd >= 0)
		close(location_fd);
	if (sources_fd >= 0)
		close(sources_fd);
	if (aors_fd >= 0)
		close(aors_fd);
	aors_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_aors",
				 sizeof(struct siplb_aor_key),
				 sizeof(struct siplb_aor), 64, &opts);
	location_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_location",
				     sizeof(struct siplb_location_key),
				     sizeof(struct siplb_binding), 64, &opts);
	sources_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_sources",
				    sizeof(struct siplb_addr),
				    sizeof(struct siplb_source), 64, &opts);
	return ASSERT_GE(location_fd, 0, "create siplb_location (needs root)") &&
	       ASSERT_GE(sources_fd, 0, "create siplb_sources") &&
	       ASSERT_GE(aors_fd, 0, "create siplb_aors");
}

static bool bind_contact(const char *aor, __u32 slot, const char *contact,
			 const char *source, __u32 q, __u64 registered_at,
			 __u64 expires_at)
{
	struct location loc = { location_fd, sources_fd, 10, aors_fd };
	struct siplb_binding b = { .q = q, .registered_at = registered_at,
				   .expires_at = expires_at };

	snprintf(b.contact, sizeof(b.contact), "%s", contact);
	return ASSERT_OK(endpoint_parse(source, &b.source), source) &&
	       ASSERT_OK(location_put(&loc, aor, strlen(aor), slot, &b),
			 "location_put");
}

static const struct pick_case {
	const char *name;
	struct {
		__u32 q;
		__u64 registered_at, expires_at;
	} b[3];
	int n;
	const char *want;	/* contact chosen, NULL: none */
} pick_cases[] = {
	{ "empty", {}, 0, NULL },
	{ "highest q wins",
	  { { 500, 10, REAL_NOW + 60 }, { 1000, 5, REAL_NOW + 60 },
	    { 700, 20, REAL_NOW + 60 } }, 3, "sip:c1@192.0.2.1" },
	{ "same q: the newest",
	  { { 1000, 10, REAL_NOW + 60 }, { 1000, 30, REAL_NOW + 60 },
	    { 1000, 20, REAL_NOW + 60 } }, 3, "sip:c1@192.0.2.1" },
	{ "expired ones are skipped",
	  { { 1000, 10, REAL_NOW - 1 }, { 100, 5, REAL_NOW + 60 } }, 2,
	  "sip:c1@192.0.2.1" },
	{ "all expired",
	  { { 1000, 10, REAL_NOW }, { 100, 5, REAL_NOW - 10 } }, 2, NULL },
	{ "full tie: the lowest slot",
	  { { 800, 10, REAL_NOW + 60 }, { 800, 10, REAL_NOW + 60 } }, 2,
	  "sip:c0@192.0.2.1" },
};

TEST(pick_binding_by_q_then_newest)
{
	static struct location_set set;
	struct location loc;
	char contact[64], aor[32];
	int j, order[10], one;
	size_t i, n, k;

	if (!maps_up())
		return;
	loc = (struct location){ location_fd, sources_fd, 10, aors_fd };
	for (i = 0; i < ARRAY_SIZE(pick_cases); i++) {
		const struct pick_case *c = &pick_cases[i];

		snprintf(aor, sizeof(aor), "sip:u%zu@example.com", i);
		for (j = 0; j < c->n; j++) {
			snprintf(contact, sizeof(contact), "sip:c%d@192.0.2.1",
				 j);
			bind_contact(aor, j, contact, "192.0.2.1:5060",
				     c->b[j].q, c->b[j].registered_at,
				     c->b[j].expires_at);
		}
		if (!ASSERT_OK(location_read(&loc, aor, strlen(aor), REAL_NOW,
					     &set), c->name))
			continue;
		n = proxy_order_bindings(&set, order, ARRAY_SIZE(order));
		if (!c->want) {
			ASSERT_EQ(n, 0, c->name);
			continue;
		}
		if (!ASSERT_EQ(n, set.n, "every live binding, ordered"))
			continue;
		ASSERT_TRUE(!strcmp(set.b[order[0]].contact, c->want),
			    c->name);
		for (k = 1; k < n; k++)
			ASSERT_TRUE(set.b[order[k - 1]].q >= set.b[order[k]].q,
				    "in order of q");
		/* With room for one, the same best. */
		ASSERT_EQ(proxy_order_bindings(&set, &one, 1), 1, c->name);
		ASSERT_EQ(one, order[0], "the best of one");
	}
}

/* ---- the proxy with a fake network ------------------------------------- */

#define SENT_MAX 32

static struct {
	size_t n;
	char buf[SENT_MAX][4096];
	size_t len[SENT_MAX];
	struct siplb_endpoint to[SENT_MAX];
} net;

static int fake_send(void *ctx, const char *buf, size_t len,
		     const struct siplb_endpoint *to)
{
	if (net.n < SENT_MAX && len < sizeof(net.buf[0])) {
		memcpy(net.buf[net.n], buf, len);
		net.buf[net.n][len] = '\0';
		net.len[net.n] = len;
		net.to[net.n] = *to;
		net.n++;
	}
	return 0;
}

static struct proxy P;
static struct proxy_now now;
static struct siplb_endpoint alice_ep;
/* The cluster's Record-Route key, as every worker reads it (-k). */
static struct secret rr_key = { .key = "0123456789abcdef-test-key",
				.len = 25 };

/* Our Route element for the dialog (call_id, the caller's tag), as the
 * Record-Route of its INVITE made it: <sip:VIP;lr;tok=...>. */
static const char *our_route(const char *call_id, const char *caller_tag)
{
	static char text[4][128];
	static unsigned int i;
	char tok[RR_TOKEN_LEN + 1] = "";

	i = (i + 1) % 4;
	rr_token_of(&rr_key, sip_slice_str(call_id), sip_slice_str(caller_tag),
		    tok);
	snprintf(text[i], sizeof(text[i]), "<sip:" VIP ";lr;tok=%s>", tok);
	return text[i];
}

static bool proxy_up(void)
{
	struct proxy_self self = self_of();

	proxy_free(&P);
	memset(&net, 0, sizeof(net));
	now = (struct proxy_now){ .mono_ms = 1000000, .real_s = REAL_NOW };
	if (!maps_up() ||
	    !ASSERT_OK(endpoint_parse(ALICE_ADDR, &alice_ep), "alice") ||
	    !bind_contact("sip:bob@example.com", 0, BOB_CONTACT, BOB_SOURCE,
			  1000, REAL_NOW - 100, REAL_NOW + 3600))
		return false;
	if (!ASSERT_OK(proxy_init(&P, &self, location_fd, 10, 64, fake_send,
			       NULL), "proxy_init"))
		return false;
	P.rr_key = &rr_key;
	P.loc.aors_fd = aors_fd;
	return true;
}

/* Feed text (printf format) from an endpoint given as text. */
__attribute__((format(printf, 2, 3))) static void feed(const char *from,
						       const char *fmt, ...)
{
	static char text[8192];
	struct siplb_endpoint ep;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (endpoint_parse(from, &ep))
		return;
	proxy_handle(&P, text, n, &ep, &now);
}

static void advance(uint64_t ms)
{
	uint64_t end = now.mono_ms + ms;

	while (now.mono_ms < end) {
		now.mono_ms += 50;	/* the worker's tick */
		proxy_tick(&P, &now);
	}
}

/* Datagram i was sent to `to` and starts with `start`. */
static bool sent_is(size_t i, const char *to, const char *start,
		    const char *what)
{
	struct siplb_endpoint ep;

	if (!ASSERT_GE(net.n, i + 1, what))
		return false;
	endpoint_parse(to, &ep);
	return ASSERT_TRUE(endpoint_equal(&net.to[i], &ep), what) &&
	       testlib_report(!strncmp(net.buf[i], start, strlen(start)),
			      __FILE__, __LINE__, what,
			      "sent \"%.40s\", expected \"%s\"", net.buf[i],
			      start);
}

#define INVITE_FMT                                                            \
	"INVITE %s SIP/2.0\r\n"                                               \
	"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=%s;rport\r\n"              \
	"Max-Forwards: %d\r\n"                                                \
	"From: <sip:alice@example.com>;tag=a1\r\n"                            \
	"To: <sip:bob@example.com>\r\n"                                       \
	"Call-ID: %s\r\n"                                                     \
	"CSeq: 1 INVITE\r\n"                                                  \
	"Contact: <sip:alice@198.51.100.7:5060>\r\n"                          \
	"Content-Length: 0\r\n\r\n"

static void send_invite(const char *ruri, const char *branch, int mf,
			const char *call_id)
{
	feed(ALICE_ADDR, INVITE_FMT, ruri, branch, mf, call_id);
}

static void answer_with_contact(size_t i, int status, const char *reason,
				const char *method, const char *contact);

/* A response from bob to the INVITE the proxy sent as datagram i. */
static void bob_answers(size_t i, int status, const char *reason,
			const char *method)
{
	answer_with_contact(i, status, reason, method,
			    "<sip:bob@192.0.2.20:5062>");
}

/* The same with a Contact of its own (a 3xx's targets). */
static void answer_with_contact(size_t i, int status, const char *reason,
				const char *method, const char *contact)
{
	static struct sip_msg fwd;
	char vias[1024];
	struct sip_slice v;
	unsigned int pos = 0;
	size_t used = 0;

	if (sip_msg_parse(&fwd, net.buf[i], net.len[i]))
		return;
	while (!sip_msg_hdr_next(&fwd, SIP_HDR_VIA, &pos, &v))
		used += snprintf(vias + used, sizeof(vias) - used,
				 "Via: %.*s\r\n", (int)v.len, v.p);
	feed(BOB_SOURCE,
	     "SIP/2.0 %d %s\r\n%s"
	     "Record-Route: <sip:10.99.0.10:5060;lr>\r\n"
	     "From: <sip:alice@example.com>;tag=a1\r\n"
	     "To: <sip:bob@example.com>%s\r\n"
	     "Call-ID: %.*s\r\nCSeq: 1 %s\r\n"
	     "Contact: %s\r\n"
	     "Content-Length: 0\r\n\r\n",
	     status, reason, vias, status > 100 ? ";tag=b1" : "",
	     (int)fwd.call_id.len, fwd.call_id.p, method, contact);
}

TEST(proxy_call_setup_and_teardown)
{
	static struct sip_msg m;

	if (!proxy_up())
		return;
	send_invite("sip:bob@example.com", "z9hG4bKinv1", 70, "c1");
	if (!sent_is(0, ALICE_ADDR, "SIP/2.0 100 Trying", "100 at once") ||
	    !sent_is(1, BOB_SOURCE, "INVITE " BOB_CONTACT " SIP/2.0",
		     "INVITE to the binding's source, contact as R-URI"))
		return;
	ASSERT_HAS(net.buf[1], net.len[1], our_route("c1", "a1"),
		   "RR via the VIP, with the dialog's token");
	ASSERT_HAS(net.buf[1], net.len[1], "Max-Forwards: 69", "MF - 1");
	ASSERT_EQ(proxy_pending(&P), 1, "one transaction in progress");

	bob_answers(1, 100, "Trying", "INVITE");
	ASSERT_EQ(net.n, 2, "100 from downstream is not relayed");
	bob_answers(1, 180, "Ringing", "INVITE");
	if (!sent_is(2, ALICE_ADDR, "SIP/2.0 180 Ringing", "180 relayed"))
		return;
	ASSERT_HASNT(net.buf[2], net.len[2], PROXY_BRANCH_PREFIX,
		     "our Via removed");
	bob_answers(1, 200, "OK", "INVITE");
	if (!sent_is(3, ALICE_ADDR, "SIP/2.0 200 OK", "200 relayed"))
		return;
	ASSERT_EQ(proxy_pending(&P), 0, "final sent: nothing in progress");
	bob_answers(1, 200, "OK", "INVITE");
	ASSERT_TRUE(sent_is(4, ALICE_ADDR, "SIP/2.0 200 OK",
			    "200 retransmission passed on"),
		    "2xx retransmission");

	/* ACK for 2xx: a new transaction, routed by Route and R-URI. */
	feed(ALICE_ADDR,
	     "ACK sip:bob@192.0.2.20:5062 SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKack1\r\n"
	     "Route: %s\r\n"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:alice@example.com>;tag=a1\r\n"
	     "To: <sip:bob@example.com>;tag=b1\r\n"
	     "Call-ID: c1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
	     our_route("c1", "a1"));
	if (!sent_is(5, "192.0.2.20:5062", "ACK sip:bob@192.0.2.20:5062",
		     "ACK for 2xx forwarded by R-URI"))
		return;
	ASSERT_HASNT(net.buf[5], net.len[5], "Route:", "our Route popped");
	ASSERT_HASNT(net.buf[5], net.len[5], "Record-Route:",
		     "no Record-Route in an ACK");
	ASSERT_EQ(P.stats.stateless, 1, "counted as stateless");

	/* BYE from the callee, through the VIP to alice's contact. */
	feed(BOB_SOURCE,
	     "BYE sip:alice@198.51.100.7:5060 SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 192.0.2.20:5062;branch=z9hG4bKbye1\r\n"
	     "Route: %s\r\n"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:bob@example.com>;tag=b1\r\n"
	     "To: <sip:alice@example.com>;tag=a1\r\n"
	     "Call-ID: c1\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n",
	     our_route("c1", "a1"));
	if (!sent_is(6, ALICE_ADDR, "BYE sip:alice@198.51.100.7:5060",
		     "BYE to the caller's contact"))
		return;
	if (!ASSERT_OK(sip_msg_parse(&m, net.buf[6], net.len[6]), "BYE"))
		return;
	feed(ALICE_ADDR,
	     "SIP/2.0 200 OK\r\n"
	     "Via: %.*s\r\n"
	     "Via: SIP/2.0/UDP 192.0.2.20:5062;branch=z9hG4bKbye1\r\n"
	     "From: <sip:bob@example.com>;tag=b1\r\n"
	     "To: <sip:alice@example.com>;tag=a1\r\n"
	     "Call-ID: c1\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n",
	     (int)sip_msg_hdr(&m, SIP_HDR_VIA)->value.len,
	     sip_msg_hdr(&m, SIP_HDR_VIA)->value.p);
	ASSERT_TRUE(sent_is(7, BOB_SOURCE, "SIP/2.0 200 OK",
			    "200 to BYE back to where the BYE came from"),
		    "BYE answered");
	ASSERT_EQ(P.stats.requests[SIPLB_WM_INVITE], 1, "INVITEs counted");
	ASSERT_EQ(P.stats.requests[SIPLB_WM_BYE], 1, "BYEs counted");
	ASSERT_EQ(P.stats.responses_out[2], 3, "2xx sent upstream");

	advance(PROXY_TIMER_64T1 + 100);
	ASSERT_EQ(P.txns.used, 0, "every record freed after the linger");
}

static const struct reject_case {
	const char *name;
	const char *ruri;
	int max_forwards;
	const char *extra_via;	/* NULL, or a second Via line */
	const char *status;
} reject_cases[] = {
	{ "no binding", "sip:carol@example.com", 70, NULL, "SIP/2.0 404 " },
	{ "Max-Forwards 0", "sip:bob@example.com", 0, NULL,
	  "SIP/2.0 483 " },
	{ "foreign host name", "sip:bob@elsewhere.org", 70, NULL,
	  "SIP/2.0 404 " },
	{ "tel URI", "tel:+15551234", 70, NULL, "SIP/2.0 416 " },
};

TEST(proxy_local_answers)
{
	char branch[32], call_id[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reject_cases); i++) {
		const struct reject_case *c = &reject_cases[i];

		if (!proxy_up())
			return;
		snprintf(branch, sizeof(branch), "z9hG4bKrej%zu", i);
		snprintf(call_id, sizeof(call_id), "rej%zu", i);
		send_invite(c->ruri, branch, c->max_forwards, call_id);
		if (!ASSERT_EQ(net.n, 2, c->name))
			continue;
		sent_is(1, ALICE_ADDR, c->status, c->name);
		ASSERT_HAS(net.buf[1], net.len[1], ";tag=slb", c->name);
		/* Timer G: the final again until the ACK. */
		advance(PROXY_T1);
		ASSERT_EQ(net.n, 3, "Timer G retransmits the final");
		feed(ALICE_ADDR,
		     "ACK %s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=%s\r\n"
		     "From: <sip:alice@example.com>;tag=a1\r\n"
		     "To: <sip:bob@example.com>;tag=slb1\r\n"
		     "Call-ID: %s\r\nCSeq: 1 ACK\r\n\r\n",
		     c->ruri, branch, call_id);
		ASSERT_EQ(P.stats.acks_absorbed, 1, "ACK absorbed");
		advance(10 * PROXY_T1);
		ASSERT_EQ(net.n, 3, "no more after the ACK");
	}
}

/* A full transaction table: a new call gets 503, but a BYE of a call in
 * progress still goes through, statelessly. */
TEST(proxy_full_table_keeps_dialogs_going)
{
	struct proxy_self self = self_of();

	if (!proxy_up())
		return;
	proxy_free(&P);
	if (!ASSERT_OK(proxy_init(&P, &self, location_fd, 10, 1, fake_send,
				  NULL), "a table of one"))
		return;
	P.rr_key = &rr_key;
	P.loc.aors_fd = aors_fd;
	send_invite("sip:bob@example.com", "z9hG4bKfull1", 70, "full1");
	if (!sent_is(1, BOB_SOURCE, "INVITE ", "the first call goes out"))
		return;
	send_invite("sip:bob@example.com", "z9hG4bKfull2", 70, "full2");
	sent_is(2, ALICE_ADDR, "SIP/2.0 503 ", "a new call: 503");
	ASSERT_HAS(net.buf[2], net.len[2], "Retry-After: 5", "with Retry-After");
	feed(BOB_SOURCE,
	     "BYE sip:alice@198.51.100.7:5060 SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 192.0.2.20:5062;branch=z9hG4bKfullbye\r\n"
	     "Route: %s\r\n"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:bob@example.com>;tag=b1\r\n"
	     "To: <sip:alice@example.com>;tag=a0\r\n"
	     "Call-ID: earlier\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n",
	     our_route("earlier", "a0"));
	sent_is(3, ALICE_ADDR, "BYE sip:alice@198.51.100.7:5060",
		"a BYE in a dialog still goes through");
	ASSERT_EQ(P.stats.table_full, 2, "both counted");
	ASSERT_EQ(P.stats.stateless, 1, "the BYE statelessly");
}

/* A worker died with a call ringing: the callee's 200 comes to the VIP
 * (our Via names it), which steers it to a survivor; with no transaction
 * for it, the survivor relays it by the next Via, and the caller gets it. */
TEST(proxy_survivor_relays_a_dead_workers_response)
{
	static char forwarded[4096];
	size_t len;

	if (!proxy_up())
		return;
	send_invite("sip:bob@example.com", "z9hG4bKsurv", 70, "surv1");
	if (!sent_is(1, BOB_SOURCE, "INVITE ", "forwarded by the first worker"))
		return;
	ASSERT_HAS(net.buf[1], net.len[1],
		   "Via: SIP/2.0/UDP 10.99.0.10:5060;branch=" PROXY_BRANCH_PREFIX,
		   "our Via names the VIP");
	len = net.len[1];
	memcpy(forwarded, net.buf[1], len + 1);
	/* The first worker is gone; a fresh one (another salt, no state). */
	if (!proxy_up())
		return;
	memcpy(net.buf[0], forwarded, len + 1);
	net.len[0] = len;
	net.n = 1;
	bob_answers(0, 200, "OK", "INVITE");
	if (!sent_is(1, ALICE_ADDR, "SIP/2.0 200 OK",
		     "the survivor relays the 200 to the caller"))
		return;
	ASSERT_HASNT(net.buf[1], net.len[1], PROXY_BRANCH_PREFIX,
		     "without our Via");
	ASSERT_EQ(P.stats.relayed_stateless, 1, "statelessly");
}

/* ---- the RFC 4475 and RFC 5118 torture messages ------------------------ */

/*
 * Every message of both corpora, fed to a fresh proxy as if from alice:
 * each gets an outcome (an answer, a forward, or a counted drop); a
 * message our parser refuses is never forwarded, only answered (the 400
 * copies its faulty headers, as RFC 3261 8.2.6.2 says, so it need not
 * parse); and whatever the proxy sends for a message it accepts parses.
 */
static void torture(const char *dir, int *handled)
{
	static struct sip_msg m;
	struct corpus_manifest mf;
	struct siplb_endpoint alice;
	char file[256], what[300];
	uint64_t dropped;
	size_t len, i;
	int r, bad;
	char *b;

	endpoint_parse(ALICE_ADDR, &alice);
	if (!corpus_manifest_load(&mf, dir))
		return;
	for (r = 0; r < mf.nrows; r++) {
		char **row = mf.rows[r];

		snprintf(file, sizeof(file), "%s",
			 mf.col_file >= 0 ? row[mf.col_file] : row[mf.col_name]);
		if (mf.col_file < 0)
			strncat(file, ".dat", sizeof(file) - strlen(file) - 1);
		snprintf(what, sizeof(what), "%s/%s", dir, file);
		b = corpus_file(dir, file, &len);
		if (!ASSERT_TRUE(b != NULL, what) || !proxy_up()) {
			free(b);
			continue;
		}
		bad = sip_msg_parse(&m, b, len) != 0;
		dropped = P.stats.dropped;
		proxy_handle(&P, b, len, &alice, &now);
		ASSERT_TRUE(net.n > 0 || P.stats.dropped > dropped, what);
		for (i = 0; i < net.n; i++) {
			if (bad) {
				ASSERT_TRUE(endpoint_equal(&net.to[i], &alice),
					    "a refused message is not forwarded");
				continue;
			}
			testlib_report(!sip_msg_parse(&m, net.buf[i],
						      net.len[i]),
				       __FILE__, __LINE__, what,
				       "sent an unparseable message:\n%s",
				       net.buf[i]);
		}
		(*handled)++;
		free(b);
	}
	free(mf.text);
}

TEST(proxy_torture_messages)
{
	int handled = 0;

	torture("rfc4475", &handled);
	torture("rfc5118", &handled);
	testlib_note("  %d torture messages through the proxy\n", handled);
	ASSERT_GE(handled, 60, "both corpora read");
}

/* ---- NAT in dialogs: Contact aliases ------------------------------------ */

static const struct alias_case {
	const char *name;
	const char *contact;	/* the Contact header value */
	const char *want;	/* ... as forwarded */
} alias_cases[] = {
	{ "name-addr", "\"Al\" <sip:alice@192.168.1.5:5060;transport=udp>;expires=60",
	  "\"Al\" <sip:alice@192.168.1.5:5060;transport=udp;alias=198.51.100.7~5060~1>;expires=60" },
	{ "addr-spec gets < >", "sip:alice@192.168.1.5;expires=60",
	  "<sip:alice@192.168.1.5;alias=198.51.100.7~5060~1>;expires=60" },
	{ "before ?headers", "<sip:alice@192.168.1.5?Subject=x>",
	  "<sip:alice@192.168.1.5;alias=198.51.100.7~5060~1?Subject=x>" },
	{ "the first of two", "<sip:a@192.168.1.5>, <sip:b@192.168.1.6>",
	  "<sip:a@192.168.1.5;alias=198.51.100.7~5060~1>, <sip:b@192.168.1.6>" },
};

TEST(contact_alias_where_contact_is_not_the_source)
{
	struct proxy_self self = self_of();
	struct proxy_fwd f = { .branch = PROXY_BRANCH_PREFIX "t1" };
	static struct sip_msg in;
	struct siplb_endpoint alice;
	char text[1024], alias[PROXY_ALIAS_MAX], buf[2048], want[512];
	size_t i;
	int n;

	endpoint_parse(ALICE_ADDR, &alice);
	for (i = 0; i < ARRAY_SIZE(alias_cases); i++) {
		const struct alias_case *c = &alias_cases[i];

		n = snprintf(text, sizeof(text),
			     "INVITE sip:bob@example.com SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 192.168.1.5;branch=z9hG4bKa\r\n"
			     "From: <sip:alice@example.com>;tag=1\r\n"
			     "To: <sip:bob@example.com>\r\n"
			     "Call-ID: al%zu\r\nCSeq: 1 INVITE\r\n"
			     "Contact: %s\r\n\r\n", i, c->contact);
		if (!ASSERT_OK(sip_msg_parse(&in, text, n), c->name))
			continue;
		proxy_alias_for(&in, &alice, alias);
		if (!ASSERT_TRUE(!strcmp(alias, "198.51.100.7~5060~1"), c->name))
			continue;
		f.alias = alias;
		n = proxy_build_request(&self, &in, &f, buf, sizeof(buf));
		if (!ASSERT_GE(n, 1, c->name))
			continue;
		snprintf(want, sizeof(want), "Contact: %s\r\n", c->want);
		ASSERT_HAS(buf, n, want, c->name);
		if (!ASSERT_OK(sip_msg_parse(&in, buf, n), "reparses"))
			continue;
	}
	/* A Contact that names the source gets no alias. */
	n = snprintf(text, sizeof(text),
		     "INVITE sip:bob@example.com SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKa\r\n"
		     "From: <sip:alice@example.com>;tag=1\r\n"
		     "To: <sip:bob@example.com>\r\n"
		     "Call-ID: al\r\nCSeq: 1 INVITE\r\n"
		     "Contact: <sip:alice@198.51.100.7>\r\n\r\n");
	if (ASSERT_OK(sip_msg_parse(&in, text, n), "parse")) {
		proxy_alias_for(&in, &alice, alias);
		ASSERT_EQ(alias[0], '\0', "contact is the source: no alias");
	}
}

/* Alice behind NAT calls bob: her Contact gets an alias; bob's BYE to
 * that Contact goes to her public address, without the alias. */
TEST(proxy_nat_caller_gets_in_dialog_requests)
{
	if (!proxy_up())
		return;
	feed(ALICE_ADDR,
	     "INVITE sip:bob@example.com SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 192.168.1.5:5060;branch=z9hG4bKnat;rport\r\n"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:alice@example.com>;tag=a1\r\n"
	     "To: <sip:bob@example.com>\r\n"
	     "Call-ID: nat1\r\nCSeq: 1 INVITE\r\n"
	     "Contact: <sip:alice@192.168.1.5:5060>\r\n"
	     "Content-Length: 0\r\n\r\n");
	if (!sent_is(1, BOB_SOURCE, "INVITE ", "forwarded"))
		return;
	ASSERT_HAS(net.buf[1], net.len[1],
		   "Contact: <sip:alice@192.168.1.5:5060;"
		   "alias=198.51.100.7~5060~1>", "alias of where it came from");
	feed(BOB_SOURCE,
	     "BYE sip:alice@192.168.1.5:5060;alias=198.51.100.7~5060~1 SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 192.0.2.20:5062;branch=z9hG4bKnatbye\r\n"
	     "Route: %s\r\n"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:bob@example.com>;tag=b1\r\n"
	     "To: <sip:alice@example.com>;tag=a1\r\n"
	     "Call-ID: nat1\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n",
	     our_route("nat1", "a1"));
	sent_is(2, ALICE_ADDR, "BYE sip:alice@192.168.1.5:5060 SIP/2.0",
		"BYE to her public address, alias taken off");
}

/* Bob's answer from behind NAT: the relayed 200's Contact leads to where
 * the 200 came from. */
TEST(proxy_nat_callee_answer_gets_alias)
{
	if (!proxy_up())
		return;
	send_invite("sip:bob@example.com", "z9hG4bKnat2", 70, "nat2");
	bob_answers(1, 200, "OK", "INVITE");
	if (!sent_is(2, ALICE_ADDR, "SIP/2.0 200 OK", "200 relayed"))
		return;
	ASSERT_HAS(net.buf[2], net.len[2],
		   "Contact: <sip:bob@192.0.2.20:5062;alias=192.0.2.21~5070~1>",
		   "bob's Contact leads to his public address");
	feed(ALICE_ADDR,
	     "ACK sip:bob@192.0.2.20:5062;alias=192.0.2.21~5070~1 SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKnat2ack\r\n"
	     "Route: %s\r\n"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:alice@example.com>;tag=a1\r\n"
	     "To: <sip:bob@example.com>;tag=b1\r\n"
	     "Call-ID: nat2\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
	     our_route("nat2", "a1"));
	sent_is(3, BOB_SOURCE, "ACK sip:bob@192.0.2.20:5062 SIP/2.0",
		"ACK to his public address, alias taken off");
	feed(ALICE_ADDR,
	     "BYE sip:bob@192.0.2.20:5062;alias=junk SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKnat2bye\r\n"
	     "Route: %s\r\n"
	     "From: <sip:alice@example.com>;tag=a1\r\n"
	     "To: <sip:bob@example.com>;tag=b1\r\n"
	     "Call-ID: nat2\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
	     our_route("nat2", "a1"));
	sent_is(4, ALICE_ADDR, "SIP/2.0 400 ", "a bad alias gets 400");
}

/* ---- forking: bob registered from two phones ---------------------------- */

#define BOB2_SOURCE	"192.0.2.31:5080"
#define BOB2_CONTACT	"sip:bob@192.0.2.30:5064"

/* The proxy with a second, older binding for bob, and an INVITE to bob:
 * 100 up, then the INVITE to both phones, the newer binding first. */
static bool fork_up(const char *call_id)
{
	char branch[32];

	if (!proxy_up() ||
	    !bind_contact("sip:bob@example.com", 1, BOB2_CONTACT, BOB2_SOURCE,
			  1000, REAL_NOW - 200, REAL_NOW + 3600))
		return false;
	snprintf(branch, sizeof(branch), "z9hG4bK%s", call_id);
	send_invite("sip:bob@example.com", branch, 70, call_id);
	return sent_is(0, ALICE_ADDR, "SIP/2.0 100 Trying", "100 at once") &&
	       sent_is(1, BOB_SOURCE, "INVITE " BOB_CONTACT, "first phone") &&
	       sent_is(2, BOB2_SOURCE, "INVITE " BOB2_CONTACT, "second phone") &&
	       ASSERT_EQ(P.stats.forked, 1, "one request forked") &&
	       ASSERT_EQ(P.stats.forwarded, 2, "to two targets");
}

TEST(fork_2xx_goes_up_and_cancels_the_others)
{
	if (!fork_up("fk1"))
		return;
	ASSERT_TRUE(strstr(net.buf[1], ";branch=") != NULL &&
			    strcmp(strstr(net.buf[1], ";branch="),
				   strstr(net.buf[2], ";branch=")),
		    "a branch of its own for each phone");
	bob_answers(1, 180, "Ringing", "INVITE");
	bob_answers(2, 180, "Ringing", "INVITE");
	if (!sent_is(3, ALICE_ADDR, "SIP/2.0 180", "first 180 relayed") ||
	    !sent_is(4, ALICE_ADDR, "SIP/2.0 180", "second 180 relayed"))
		return;
	bob_answers(2, 200, "OK", "INVITE");
	if (!sent_is(5, ALICE_ADDR, "SIP/2.0 200 OK", "the 2xx goes up") ||
	    !sent_is(6, BOB_SOURCE, "CANCEL " BOB_CONTACT,
		     "the phone still ringing is CANCELled"))
		return;
	ASSERT_EQ(proxy_pending(&P), 0, "answered: nothing pending");
	bob_answers(1, 487, "Request Terminated", "INVITE");
	sent_is(7, BOB_SOURCE, "ACK " BOB_CONTACT, "its 487 is ACKed here");
	ASSERT_EQ(net.n, 8, "and not relayed");
	advance(PROXY_TIMER_64T1 + 2 * PROXY_T4);
	ASSERT_EQ(P.txns.used, 0, "server and branch records all freed");
}

TEST(fork_best_final_after_all_branches)
{
	if (!fork_up("fk2"))
		return;
	bob_answers(1, 486, "Busy Here", "INVITE");
	if (!sent_is(3, BOB_SOURCE, "ACK ", "486 ACKed"))
		return;
	ASSERT_EQ(net.n, 4, "nothing up while a branch is still out");
	bob_answers(2, 404, "Not Found", "INVITE");
	if (!sent_is(4, BOB2_SOURCE, "ACK ", "404 ACKed"))
		return;
	sent_is(5, ALICE_ADDR, "SIP/2.0 486 ",
		"all done: the first of the best class goes up");
	ASSERT_HASNT(net.buf[5], net.len[5], PROXY_BRANCH_PREFIX,
		     "our Via removed");
}

TEST(fork_6xx_wins_and_cancels)
{
	if (!fork_up("fk3"))
		return;
	bob_answers(1, 603, "Decline", "INVITE");
	if (!sent_is(3, BOB_SOURCE, "ACK ", "603 ACKed"))
		return;
	ASSERT_EQ(net.n, 4, "the other phone sent nothing yet: no CANCEL");
	bob_answers(2, 180, "Ringing", "INVITE");
	if (!sent_is(4, BOB2_SOURCE, "CANCEL " BOB2_CONTACT,
		     "CANCEL once it rings (9.1)") ||
	    !sent_is(5, ALICE_ADDR, "SIP/2.0 180", "180 relayed"))
		return;
	bob_answers(2, 487, "Request Terminated", "INVITE");
	sent_is(6, BOB2_SOURCE, "ACK ", "487 ACKed");
	sent_is(7, ALICE_ADDR, "SIP/2.0 603 ", "the 6xx goes up, not the 487");
}

TEST(fork_cancel_from_upstream)
{
	if (!fork_up("fk4"))
		return;
	bob_answers(1, 180, "Ringing", "INVITE");
	bob_answers(2, 180, "Ringing", "INVITE");
	feed(ALICE_ADDR,
	     "CANCEL sip:bob@example.com SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKfk4;rport\r\n"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:alice@example.com>;tag=a1\r\n"
	     "To: <sip:bob@example.com>\r\n"
	     "Call-ID: fk4\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n");
	if (!sent_is(5, ALICE_ADDR, "SIP/2.0 200 OK", "200 to the CANCEL") ||
	    !sent_is(6, BOB_SOURCE, "CANCEL " BOB_CONTACT, "CANCEL phone 1") ||
	    !sent_is(7, BOB2_SOURCE, "CANCEL " BOB2_CONTACT, "CANCEL phone 2"))
		return;
	bob_answers(1, 487, "Request Terminated", "INVITE");
	bob_answers(2, 487, "Request Terminated", "INVITE");
	sent_is(8, BOB_SOURCE, "ACK ", "487 ACKed");
	sent_is(9, BOB2_SOURCE, "ACK ", "487 ACKed");
	sent_is(10, ALICE_ADDR, "SIP/2.0 487 ", "one 487 goes up");
	ASSERT_EQ(net.n, 11, "only one");
}

TEST(fork_ring_timeout)
{
	if (!fork_up("fk5"))
		return;
	P.timer_c_ms = 3000;
	bob_answers(1, 180, "Ringing", "INVITE");
	bob_answers(2, 180, "Ringing", "INVITE");
	advance(3100);
	/* The timer walk takes the branches in either order. */
	if (!ASSERT_EQ(net.n, 7, "two CANCELs, nothing up yet") ||
	    !sent_is(5, strstr(net.buf[5], BOB2_CONTACT) ? BOB2_SOURCE :
							    BOB_SOURCE, "CANCEL ",
		     "Timer C: CANCEL one phone") ||
	    !sent_is(6, strstr(net.buf[5], BOB2_CONTACT) ? BOB_SOURCE :
							    BOB2_SOURCE,
		     "CANCEL ", "and the other"))
		return;
	bob_answers(1, 487, "Request Terminated", "INVITE");
	bob_answers(2, 487, "Request Terminated", "INVITE");
	sent_is(9, ALICE_ADDR, "SIP/2.0 408 ", "408 up, not the 487s");
	ASSERT_EQ(P.stats.timeouts, 2, "two branches timed out");
}

/* With the users file: 404 for a stranger, 480 for a user not registered
 * now; a registered user still goes through. */
/* A "what" for an assertion, built with printf (a few alive at once). */
__attribute__((format(printf, 1, 2))) static const char *say(const char *fmt,
							      ...)
{
	static char ring[4][256];
	static unsigned int next;
	char *buf = ring[next++ % ARRAY_SIZE(ring)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(ring[0]), fmt, ap);
	va_end(ap);
	return buf;
}

/* Replace every `from` in buf by `to` (same length). */
/* ---- serial search by q (16.6) and 3xx recursion (16.7 step 4) ---------- */

static const struct group_case {
	const char *name;
	uint32_t q[5];
	size_t n;
	bool serial;
	uint8_t want[5];
	size_t groups;
} group_cases[] = {
	{ "none", {}, 0, true, {}, 0 },
	{ "one", { 1000 }, 1, true, { 0 }, 1 },
	{ "equal q: one group", { 500, 500, 500 }, 3, true, { 0, 0, 0 }, 1 },
	{ "a pair, then one", { 1000, 1000, 500 }, 3, true, { 0, 0, 1 }, 2 },
	{ "every q its own", { 900, 800, 700, 0 }, 4, true, { 0, 1, 2, 3 }, 4 },
	{ "ties between", { 1000, 700, 700, 100, 100 }, 5, true,
	  { 0, 1, 1, 2, 2 }, 3 },
	{ "parallel: all at once", { 1000, 700, 100 }, 3, false, { 0, 0, 0 },
	  1 },
};

TEST(fork_plan_groups_by_q)
{
	uint8_t group[5];
	size_t i, k;

	for (i = 0; i < ARRAY_SIZE(group_cases); i++) {
		const struct group_case *c = &group_cases[i];

		memset(group, 0xff, sizeof(group));
		ASSERT_EQ(fork_plan_groups(c->q, c->n, c->serial, group),
			  c->groups, c->name);
		for (k = 0; k < c->n; k++)
			ASSERT_EQ(group[k], c->want[k], say("%s: target %zu",
							    c->name, k));
	}
}

static const struct better_case {
	unsigned int status, best;
	bool better;
} better_cases[] = {
	{ 486, 0, true },	/* the first final */
	{ 603, 200, true },	/* 6xx beats every other class */
	{ 486, 603, false },
	{ 603, 600, false },	/* the first 6xx stays */
	{ 302, 486, true }, { 486, 302, false },	/* the lower class */
	{ 486, 503, true }, { 503, 486, false },
	{ 486, 408, true },	/* a real answer beats nobody answering */
	{ 408, 486, false }, { 487, 486, false }, { 486, 487, true },
	{ 404, 486, false },	/* otherwise the first of a class stays */
	{ 407, 486, true },	/* one that helps a retry beats the rest */
	{ 484, 404, true }, { 486, 401, false },
	{ 500, 503, false }, { 408, 487, false },
};

TEST(fork_plan_best_final)
{
	char out[128];
	size_t i;
	int n;

	for (i = 0; i < ARRAY_SIZE(better_cases); i++) {
		const struct better_case *c = &better_cases[i];

		ASSERT_EQ(fork_better_final(c->status, c->best), c->better,
			  say("%u over %u", c->status, c->best));
	}
	ASSERT_EQ(fork_upstream_status(503), 500, "a 503 goes up as 500");
	ASSERT_EQ(fork_upstream_status(486), 486, "others as they are");
	n = fork_restatus("SIP/2.0 503 Busy Now\r\nVia: x\r\n\r\n", 33, 500,
			  "Server Internal Error", out, sizeof(out));
	ASSERT_TRUE(n > 0 && !strcmp(out, "SIP/2.0 500 Server Internal "
				     "Error\r\nVia: x\r\n\r\n"),
		    "status line replaced, the rest kept");
	ASSERT_EQ(fork_restatus("INVITE x\r\n", 10, 500, "x", out,
				sizeof(out)), -EINVAL, "not a response");
	ASSERT_EQ(fork_restatus("SIP/2.0 503 x\r\n", 15, 500, "long reason",
				out, 16), -ENOSPC, "no room");
}

#define BOB3_SOURCE	"192.0.2.41:5090"
#define BOB3_CONTACT	"sip:bob@192.0.2.40:5066"

/* bob with two phones of q=1.0 (fork_up) and a desk phone of q=0.5:
 * the INVITE goes to the pair only. */
static bool serial_up(const char *call_id, uint64_t group_ms)
{
	char branch[32];

	if (!proxy_up() ||
	    !bind_contact("sip:bob@example.com", 1, BOB2_CONTACT, BOB2_SOURCE,
			  1000, REAL_NOW - 200, REAL_NOW + 3600) ||
	    !bind_contact("sip:bob@example.com", 2, BOB3_CONTACT, BOB3_SOURCE,
			  500, REAL_NOW - 10, REAL_NOW + 3600))
		return false;
	P.group_ms = group_ms;	/* as -G */
	snprintf(branch, sizeof(branch), "z9hG4bK%s", call_id);
	send_invite("sip:bob@example.com", branch, 70, call_id);
	return sent_is(0, ALICE_ADDR, "SIP/2.0 100 Trying", "100 at once") &&
	       sent_is(1, BOB_SOURCE, "INVITE " BOB_CONTACT, "q=1.0 phone") &&
	       sent_is(2, BOB2_SOURCE, "INVITE " BOB2_CONTACT,
		       "the other q=1.0 phone, in parallel") &&
	       ASSERT_EQ(net.n, 3, "not the q=0.5 phone yet") &&
	       ASSERT_EQ(P.stats.forked, 1, "one request forked");
}

TEST(serial_next_group_after_408_and_503_best_final_up)
{
	if (!serial_up("sq1", PROXY_GROUP_TIMER))
		return;
	bob_answers(1, 408, "Request Timeout", "INVITE");
	if (!sent_is(3, BOB_SOURCE, "ACK ", "408 ACKed") ||
	    !ASSERT_EQ(net.n, 4, "the group's other phone still rings"))
		return;
	bob_answers(2, 503, "Service Unavailable", "INVITE");
	if (!sent_is(4, BOB2_SOURCE, "ACK ", "503 ACKed") ||
	    !sent_is(5, BOB3_SOURCE, "INVITE " BOB3_CONTACT,
		     "both q=1.0 failed: the q=0.5 phone"))
		return;
	ASSERT_EQ(P.stats.fork_groups, 1, "one group advance");
	ASSERT_EQ(P.stats.forwarded, 3, "three targets in all");
	ASSERT_EQ(proxy_pending(&P), 1, "nothing up yet");
	bob_answers(5, 486, "Busy Here", "INVITE");
	sent_is(6, BOB3_SOURCE, "ACK ", "486 ACKed");
	sent_is(7, ALICE_ADDR, "SIP/2.0 486 ",
		"all failed: the 486, not the earlier 408 or the 503");
	ASSERT_EQ(net.n, 8, "one final up");
	advance(PROXY_TIMER_64T1 + 2 * PROXY_T4);
	ASSERT_EQ(P.txns.used, 0, "every record freed");
}

TEST(serial_group_timer_cancels_and_moves_on)
{
	if (!serial_up("sq2", 5000))
		return;
	bob_answers(1, 180, "Ringing", "INVITE");
	bob_answers(2, 100, "Trying", "INVITE");	/* no Timer A */
	if (!sent_is(3, ALICE_ADDR, "SIP/2.0 180", "180 relayed"))
		return;
	advance(4900);
	if (!ASSERT_EQ(net.n, 4, "the group rings until its timer"))
		return;
	advance(200);
	if (!sent_is(4, BOB_SOURCE, "CANCEL " BOB_CONTACT,
		     "the ringing phone of the group CANCELled") ||
	    !sent_is(5, BOB2_SOURCE, "CANCEL " BOB2_CONTACT,
		     "and the one that said 100") ||
	    !sent_is(6, BOB3_SOURCE, "INVITE " BOB3_CONTACT,
		     "then the q=0.5 phone tried") ||
	    !ASSERT_EQ(net.n, 7, "nothing up"))
		return;
	ASSERT_EQ(P.stats.fork_group_timeouts, 1, "a timer advance");
	ASSERT_EQ(P.stats.fork_groups, 0, "not one after failures");
	bob_answers(6, 100, "Trying", "INVITE");
	bob_answers(1, 487, "Request Terminated", "INVITE");
	bob_answers(2, 487, "Request Terminated", "INVITE");
	if (!sent_is(7, BOB_SOURCE, "ACK ", "487 ACKed") ||
	    !sent_is(8, BOB2_SOURCE, "ACK ", "487 ACKed") ||
	    !ASSERT_EQ(net.n, 9, "the 487s stay here"))
		return;
	advance(P.group_ms + 1000);
	if (!ASSERT_EQ(net.n, 9, "no group left: the last rings on"))
		return;
	bob_answers(6, 180, "Ringing", "INVITE");
	bob_answers(6, 200, "OK", "INVITE");
	sent_is(9, ALICE_ADDR, "SIP/2.0 180", "its 180 up");
	sent_is(10, ALICE_ADDR, "SIP/2.0 200 OK", "the q=0.5 phone's 2xx up");
	ASSERT_EQ(net.n, 11, "and nothing else");
}

TEST(serial_2xx_in_first_group_ends_the_search)
{
	size_t i;

	if (!serial_up("sq3", 5000))
		return;
	bob_answers(2, 180, "Ringing", "INVITE");
	bob_answers(1, 200, "OK", "INVITE");
	if (!sent_is(4, ALICE_ADDR, "SIP/2.0 200 OK", "2xx up") ||
	    !sent_is(5, BOB2_SOURCE, "CANCEL ", "the other CANCELled"))
		return;
	bob_answers(2, 487, "Request Terminated", "INVITE");
	advance(PROXY_TIMER_64T1 + 2 * PROXY_T4);
	for (i = 0; i < net.n; i++)
		ASSERT_TRUE(!strstr(net.buf[i], BOB3_CONTACT),
			    say("datagram %zu: the q=0.5 phone never rung",
				i));
	ASSERT_EQ(P.stats.fork_group_timeouts + P.stats.fork_groups, 0,
		  "no group after the first");
	ASSERT_EQ(P.txns.used, 0, "the waiting branch freed too");
}

TEST(serial_6xx_ends_the_search)
{
	size_t i;

	if (!serial_up("sq4", PROXY_GROUP_TIMER))
		return;
	bob_answers(1, 603, "Decline", "INVITE");
	bob_answers(2, 180, "Ringing", "INVITE");
	if (!sent_is(3, BOB_SOURCE, "ACK ", "603 ACKed") ||
	    !sent_is(4, BOB2_SOURCE, "CANCEL ", "the other CANCELled") ||
	    !sent_is(5, ALICE_ADDR, "SIP/2.0 180", "its 180 relayed"))
		return;
	bob_answers(2, 487, "Request Terminated", "INVITE");
	sent_is(6, BOB2_SOURCE, "ACK ", "487 ACKed");
	sent_is(7, ALICE_ADDR, "SIP/2.0 603 ", "the 603 up");
	advance(P.group_ms + 1000);
	for (i = 0; i < net.n; i++)
		ASSERT_TRUE(!strstr(net.buf[i], BOB3_CONTACT),
			    say("datagram %zu: no later group", i));
}

TEST(fork_only_503s_go_up_as_500)
{
	if (!fork_up("sq5"))
		return;
	bob_answers(1, 503, "Service Unavailable", "INVITE");
	bob_answers(2, 503, "Service Unavailable", "INVITE");
	if (!sent_is(5, ALICE_ADDR, "SIP/2.0 500 Server Internal Error\r\n",
		     "a phone's 503 is not ours to pass on (16.7 step 6)"))
		return;
	ASSERT_HAS(net.buf[5], net.len[5], "Call-ID: sq5", "the response kept");
	ASSERT_EQ(P.stats.responses_out[5], 1, "counted as sent");
}

#define CAROL_SOURCE	"192.0.2.51:5060"
#define CAROL_CONTACT	"sip:carol@192.0.2.50:5060"
#define DAVE_SOURCE	"192.0.2.61:5060"
#define DAVE_CONTACT	"sip:dave@192.0.2.60:5060"

/* bob (one phone), carol and dave registered; an INVITE to bob. */
static bool redirect_up(const char *call_id, unsigned int max_redirects)
{
	char branch[32];

	if (!proxy_up() ||
	    !bind_contact("sip:carol@example.com", 0, CAROL_CONTACT,
			  CAROL_SOURCE, 1000, REAL_NOW - 10, REAL_NOW + 3600) ||
	    !bind_contact("sip:dave@example.com", 0, DAVE_CONTACT, DAVE_SOURCE,
			  1000, REAL_NOW - 10, REAL_NOW + 3600))
		return false;
	P.max_redirects = max_redirects;
	snprintf(branch, sizeof(branch), "z9hG4bK%s", call_id);
	send_invite("sip:bob@example.com", branch, 70, call_id);
	return sent_is(1, BOB_SOURCE, "INVITE " BOB_CONTACT, "bob's phone");
}

TEST(redirect_relayed_by_default)
{
	if (!redirect_up("rd1", 0))
		return;
	answer_with_contact(1, 302, "Moved Temporarily", "INVITE",
			    "<sip:carol@example.com>");
	sent_is(2, BOB_SOURCE, "ACK ", "302 ACKed");
	sent_is(3, ALICE_ADDR, "SIP/2.0 302 ", "the 302 up to the caller");
	ASSERT_EQ(net.n, 4, "carol not tried");
	ASSERT_EQ(P.stats.redirects_followed + P.stats.redirects_refused, 0,
		  "no recursion configured");
}

TEST(redirect_followed_to_our_user_then_loop_stopped)
{
	if (!redirect_up("rd2", 3))
		return;
	answer_with_contact(1, 302, "Moved Temporarily", "INVITE",
			    "<sip:carol@example.com>");
	if (!sent_is(2, BOB_SOURCE, "ACK ", "302 ACKed") ||
	    !sent_is(3, CAROL_SOURCE, "INVITE " CAROL_CONTACT,
		     "carol's phone tried instead") ||
	    !ASSERT_EQ(net.n, 4, "nothing up"))
		return;
	ASSERT_EQ(P.stats.redirects_followed, 1, "one followed");
	ASSERT_HAS(net.buf[3], net.len[3], "Call-ID: rd2", "the same call");
	ASSERT_HAS(net.buf[3], net.len[3], "Record-Route: <sip:" VIP,
		   "built as the first branch was");
	/* carol's phone sends the call back to bob: already tried. */
	answer_with_contact(3, 302, "Moved Temporarily", "INVITE",
			    "<sip:bob@example.com>");
	if (!sent_is(4, CAROL_SOURCE, "ACK ", "302 ACKed") ||
	    !sent_is(5, ALICE_ADDR, "SIP/2.0 302 ",
		     "a loop: the 302 joins the context and goes up"))
		return;
	ASSERT_EQ(net.n, 6, "bob's phone not rung twice");
	ASSERT_EQ(P.stats.redirects_refused, 1, "the loop refused");
}

TEST(redirect_limit_and_foreign_contact)
{
	if (!redirect_up("rd3", 1))
		return;
	answer_with_contact(1, 301, "Moved Permanently", "INVITE",
			    "<sip:carol@example.com>");
	if (!sent_is(3, CAROL_SOURCE, "INVITE " CAROL_CONTACT, "to carol"))
		return;
	answer_with_contact(3, 302, "Moved Temporarily", "INVITE",
			    "<sip:dave@example.com>");
	if (!sent_is(4, CAROL_SOURCE, "ACK ", "302 ACKed") ||
	    !sent_is(5, ALICE_ADDR, "SIP/2.0 ",
		     "-F 1: the second redirect goes up") ||
	    !ASSERT_EQ(net.n, 6, "dave not tried"))
		return;
	ASSERT_HAS(net.buf[5], net.len[5], "sip:dave@example.com",
		   "the 302 with its Contact: the lowest class wins");
	ASSERT_EQ(P.stats.redirects_refused, 1, "over the limit");

	if (!redirect_up("rd4", 3))
		return;
	answer_with_contact(1, 302, "Moved Temporarily", "INVITE",
			    "<sip:carol@example.com>, <sip:eve@203.0.113.9>");
	sent_is(3, ALICE_ADDR, "SIP/2.0 302 ",
		"a Contact elsewhere: no recursion, never a relay");
	ASSERT_EQ(net.n, 4, "nobody tried");
	ASSERT_EQ(P.stats.redirects_refused, 1, "refused, counted");
}

static void mask(char *buf, const char *from, const char *to)
{
	char *p = buf;

	while ((p = strstr(p, from)))
		memcpy(p, to, strlen(to));
}

/* Our To tag "slb" + 8 hex digits: its value depends on the Call-ID. */
static void mask_tags(char *buf)
{
	char *p = buf;

	while ((p = strstr(p, "tag=slb"))) {
		memset(p + 7, '#', 8);
		p += 15;
	}
}

static const char *const enum_methods[] = { "INVITE", "OPTIONS",
					    "SUBSCRIBE" };

/*
 * No user enumeration: a user the users file knows but who has no binding
 * now, and a name nobody has (or a user of another realm), get the same
 * answer, byte for byte but for the Call-ID, branch and To tag: 480.
 */
TEST(proxy_users_file_no_enumeration)
{
	static const char users_text[] =
		"bob:example.com:0123456789abcdef0123456789abcdef\n"
		"carol:example.com:0123456789abcdef0123456789abcdef\n"
		"davey:other.realm:0123456789abcdef0123456789abcdef\n";
	static char known[4096], other[4096];
	static const char *const strangers[] = { "cxrol", "davey" };
	struct users *db = NULL;
	char err[128];
	size_t i, j, last;

	if (!proxy_up() ||
	    !ASSERT_OK(users_parse("users", users_text, sizeof(users_text) - 1,
				   &db, err, sizeof(err)), "users"))
		return;
	P.users = db;
	P.realm = DOMAIN;
	for (i = 0; i < ARRAY_SIZE(enum_methods); i++) {
		const char *m = enum_methods[i];
		/* SUBSCRIBE meets the events policy first (events.h): 489
		 * for any local AOR, before any user is looked up. */
		bool event = !strcmp(m, "SUBSCRIBE");
		const char *want = event ? "SIP/2.0 489 " : "SIP/2.0 480 ";

		for (j = 0; j < ARRAY_SIZE(strangers); j++) {
			net.n = 0;
			feed(ALICE_ADDR,
			     "%s sip:carol@example.com SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKe%zu%zuk\r\n"
			     "Max-Forwards: 70\r\n"
			     "From: <sip:alice@example.com>;tag=a1\r\n"
			     "To: <sip:carol@example.com>\r\n"
			     "Call-ID: e%zu%zuk\r\nCSeq: 1 %s\r\n"
			     "Content-Length: 0\r\n\r\n", m, i, j, i, j, m);
			last = net.n - 1;
			if (!sent_is(last, ALICE_ADDR, want,
				     say("%s to a known user, offline: %s", m,
					 want + 8)))
				continue;
			snprintf(known, sizeof(known), "%s", net.buf[last]);
			net.n = 0;
			feed(ALICE_ADDR,
			     "%s sip:%s@example.com SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKe%zu%zus\r\n"
			     "Max-Forwards: 70\r\n"
			     "From: <sip:alice@example.com>;tag=a1\r\n"
			     "To: <sip:%s@example.com>\r\n"
			     "Call-ID: e%zu%zus\r\nCSeq: 1 %s\r\n"
			     "Content-Length: 0\r\n\r\n", m, strangers[j], i,
			     j, strangers[j], i, j, m);
			ASSERT_EQ(net.n, last + 1,
				  say("%s: as many datagrams for a stranger", m));
			snprintf(other, sizeof(other), "%s", net.buf[last]);
			mask(other, strangers[j], "carol");
			mask(other, "s\r\n", "k\r\n");	/* Call-ID */
			mask(other, "s;", "k;");	/* branch */
			mask(other, "s\r\n", "k\r\n");
			mask_tags(known);
			mask_tags(other);
			testlib_report(!strcmp(known, other), __FILE__, __LINE__,
				       say("%s: %s answered as carol", m,
					   strangers[j]),
				       "known:\n%s\nstranger:\n%s", known,
				       other);
		}
	}
	net.n = 0;
	send_invite("sip:bob@example.com", "z9hG4bKu4", 70, "u4");
	sent_is(1, BOB_SOURCE, "INVITE " BOB_CONTACT, "registered: forwarded");
	/* INVITE and OPTIONS, twice each; SUBSCRIBE never got that far. */
	ASSERT_EQ(P.stats.unavailable, 4, "known users counted apart");
	ASSERT_EQ(P.stats.not_found, 4, "strangers counted apart");
	P.users = NULL;
	users_free(db);
}

/* ---- in-dialog requests: Record-Route tokens ------------------------- */

struct forged_case {
	const char *name;
	const char *ruri;
	const char *route;	/* the Route header line, or "" */
};

/* An attacker's "in-dialog" INVITEs (a To tag), aimed at a toll number. */
static const struct forged_case forged_cases[] = {
	{ "Route ours, no token", "sip:+882999000111@198.18.7.7",
	  "Route: <sip:" VIP ";lr>\r\n" },
	{ "Route ours, wrong token", "sip:+882999000111@198.18.7.7",
	  "Route: <sip:" VIP ";lr;tok=AAAAAAAAAAAAAAAA>\r\n" },
	{ "Route ours, token cut short", "sip:+882999000111@198.18.7.7",
	  "Route: <sip:" VIP ";lr;tok=AAAA>\r\n" },
	{ "Route naming our domain", "sip:+882999000111@198.18.7.7",
	  "Route: <sip:example.com;lr>\r\n" },
	{ "Route naming someone else", "sip:+882999000111@example.net",
	  "Route: <sip:198.18.7.7;lr>\r\n" },
	{ "no Route, foreign Request-URI", "sip:+882999000111@198.18.7.7",
	  "" },
};

static void send_in_dialog(const char *method, const char *ruri,
			   const char *route, const char *call_id,
			   const char *from_tag, const char *to_tag,
			   const char *from_addr, const char *branch)
{
	feed(from_addr,
	     "%s %s SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP %s;branch=%s\r\n"
	     "%s"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:alice@example.com>;tag=%s\r\n"
	     "To: <sip:bob@example.com>;tag=%s\r\n"
	     "Call-ID: %s\r\nCSeq: 2 %s\r\n"
	     "Contact: <sip:alice@198.51.100.7:5060>\r\n"
	     "Content-Length: 0\r\n\r\n",
	     method, ruri, from_addr, branch, route, from_tag, to_tag, call_id,
	     method);
}

/* A forged route set is refused 403 and never forwarded; a real token of
 * another call does not open this one. */
TEST(proxy_forged_in_dialog_refused)
{
	char route[160];
	size_t i;

	if (!proxy_up())
		return;
	for (i = 0; i < ARRAY_SIZE(forged_cases); i++) {
		const struct forged_case *c = &forged_cases[i];

		net.n = 0;
		send_in_dialog("INVITE", c->ruri, c->route, "forged1", "x1",
			       "y1", ALICE_ADDR, say("z9hG4bKf%zu", i));
		sent_is(net.n ? net.n - 1 : 0, ALICE_ADDR, "SIP/2.0 403 ",
			say("%s: 403", c->name));
		ASSERT_EQ(P.stats.forwarded + P.stats.stateless, 0,
			  say("%s: nothing forwarded", c->name));
		ASSERT_EQ(P.stats.dialog_forged, i + 1,
			  say("%s: counted", c->name));
	}
	/* The token of dialog (real1, a1), replayed on another dialog. */
	net.n = 0;
	snprintf(route, sizeof(route), "Route: %s\r\n", our_route("real1", "a1"));
	send_in_dialog("BYE", "sip:+882999000111@198.18.7.7", route, "forged2",
		       "a1", "y1", ALICE_ADDR, "z9hG4bKfx");
	sent_is(0, ALICE_ADDR, "SIP/2.0 403 ", "another call's token: 403");
	/* An ACK is never answered: dropped, counted, not forwarded. */
	net.n = 0;
	send_in_dialog("ACK", "sip:bob@192.0.2.20:5062",
		       "Route: <sip:" VIP ";lr>\r\n", "forged3", "a1", "b1",
		       ALICE_ADDR, "z9hG4bKfa");
	ASSERT_EQ(net.n, 0, "forged ACK: nothing sent");
	ASSERT_EQ(P.stats.forwarded + P.stats.stateless, 0, "nothing forwarded");
	ASSERT_EQ(P.stats.dialog_forged, ARRAY_SIZE(forged_cases) + 2,
		  "every forged request counted");
	/* Without the cluster key nothing can be checked: refused too. */
	P.rr_key = NULL;
	net.n = 0;
	snprintf(route, sizeof(route), "Route: %s\r\n", our_route("real2", "a1"));
	send_in_dialog("BYE", "sip:bob@192.0.2.20:5062", route, "real2", "a1",
		       "b1", ALICE_ADDR, "z9hG4bKfk");
	sent_is(0, ALICE_ADDR, "SIP/2.0 403 ", "no key: in-dialog refused");
	/* With no Route, a request for a local user is routed as usual. */
	P.rr_key = &rr_key;
	P.loc.aors_fd = aors_fd;
	net.n = 0;
	send_in_dialog("BYE", "sip:bob@example.com", "", "local1", "a1", "b1",
		       ALICE_ADDR, "z9hG4bKfl");
	sent_is(0, BOB_SOURCE, "BYE " BOB_CONTACT, "no Route, local user: "
		"to the binding");
}

/*
 * A dialog set up through one worker goes on through another that holds
 * the same key (the balancer may steer the BYE elsewhere after a worker
 * died or the backend set changed): the BYE of either side and a
 * re-INVITE are forwarded. A worker with another key refuses them.
 */
TEST(proxy_dialog_through_another_worker)
{
	static const struct secret other_key = { .key = "another-cluster-key!",
						 .len = 20 };
	struct proxy_self self2;
	char rr[160], route[200];
	static struct sip_msg m;
	const struct sip_hdr *h;

	if (!proxy_up())
		return;
	send_invite("sip:bob@example.com", "z9hG4bKw1", 70, "two1");
	if (!sent_is(1, BOB_SOURCE, "INVITE ", "set up through worker 1") ||
	    !ASSERT_OK(sip_msg_parse(&m, net.buf[1], net.len[1]), "INVITE") ||
	    !ASSERT_TRUE((h = sip_msg_hdr(&m, SIP_HDR_RECORD_ROUTE)) != NULL,
			 "Record-Route"))
		return;
	snprintf(rr, sizeof(rr), "%.*s", (int)h->value.len, h->value.p);
	ASSERT_TRUE(strstr(rr, ";tok=") != NULL, "the Record-Route has a token");
	snprintf(route, sizeof(route), "Route: %s\r\n", rr);

	/* Worker 2: another address, the same VIP and key. */
	proxy_free(&P);
	memset(&net, 0, sizeof(net));
	if (!ASSERT_OK(proxy_self_init(&self2, "10.99.11.3:5060", VIP, DOMAIN),
		       "self 2") ||
	    !ASSERT_OK(proxy_init(&P, &self2, location_fd, 10, 64, fake_send,
				  NULL), "worker 2"))
		return;
	P.rr_key = &rr_key;
	P.loc.aors_fd = aors_fd;
	send_in_dialog("INVITE", "sip:bob@192.0.2.20:5062", route, "two1",
		       "a1", "b1", ALICE_ADDR, "z9hG4bKw2");
	sent_is(1, "192.0.2.20:5062", "INVITE sip:bob@192.0.2.20:5062",
		"the caller's re-INVITE, through worker 2");
	feed(BOB_SOURCE,
	     "BYE sip:alice@198.51.100.7:5060 SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 192.0.2.20:5062;branch=z9hG4bKw3\r\n"
	     "%s"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:bob@example.com>;tag=b1\r\n"
	     "To: <sip:alice@example.com>;tag=a1\r\n"
	     "Call-ID: two1\r\nCSeq: 9 BYE\r\nContent-Length: 0\r\n\r\n",
	     route);
	sent_is(2, ALICE_ADDR, "BYE sip:alice@198.51.100.7:5060",
		"the callee's BYE (tags the other way round), through worker 2");
	ASSERT_HASNT(net.buf[2], net.len[2], "tok=", "our Route popped");
	ASSERT_EQ(P.stats.dialog_forged, 0, "nothing refused");

	/* A worker of another cluster (another key) refuses the same BYE. */
	P.rr_key = &other_key;
	net.n = 0;
	feed(BOB_SOURCE,
	     "BYE sip:alice@198.51.100.7:5060 SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 192.0.2.20:5062;branch=z9hG4bKw4\r\n"
	     "%s"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:bob@example.com>;tag=b1\r\n"
	     "To: <sip:alice@example.com>;tag=a1\r\n"
	     "Call-ID: two1\r\nCSeq: 10 BYE\r\nContent-Length: 0\r\n\r\n",
	     route);
	sent_is(0, BOB_SOURCE, "SIP/2.0 403 ", "another key: 403");
	P.rr_key = &rr_key;
	P.loc.aors_fd = aors_fd;
}

/* ---- extensions (420) -------------------------------------------------- */

struct ext_case {
	const char *name;
	const char *ruri;
	const char *headers;
	const char *to;		/* where the answer or request goes */
	const char *start;	/* what it starts with */
	const char *has;	/* and holds, or NULL */
};

static const struct ext_case ext_cases[] = {
	{ "Proxy-Require: 420, only the unsupported tags listed",
	  "sip:bob@example.com", "Proxy-Require: foo, path\r\n"
	  "Proxy-Require: sec-agree\r\n", ALICE_ADDR, "SIP/2.0 420 ",
	  "Unsupported: foo, path, sec-agree\r\n" },
	{ "Proxy-Require not a list of tokens: 400", "sip:bob@example.com",
	  "Proxy-Require: foo;bar\r\n", ALICE_ADDR, "SIP/2.0 400 ", NULL },
	{ "Require is the UAS's: passed on", "sip:bob@example.com",
	  "Require: 100rel\r\n", BOB_SOURCE, "INVITE " BOB_CONTACT,
	  "Require: 100rel\r\n" },
	{ "Require on OPTIONS to the proxy itself: 420",
	  "sip:example.com", "Require: timer\r\n", ALICE_ADDR,
	  "SIP/2.0 420 ", "Unsupported: timer\r\n" },
};

TEST(proxy_unsupported_extensions)
{
	size_t i, last;

	if (!proxy_up())
		return;
	for (i = 0; i < ARRAY_SIZE(ext_cases); i++) {
		const struct ext_case *c = &ext_cases[i];
		const char *method = strchr(c->ruri, '@') ? "INVITE" : "OPTIONS";

		net.n = 0;
		feed(ALICE_ADDR,
		     "%s %s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKx%zu\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:alice@example.com>;tag=a1\r\n"
		     "To: <%s>\r\n"
		     "Call-ID: ext%zu\r\nCSeq: 1 %s\r\n%s"
		     "Content-Length: 0\r\n\r\n", method, c->ruri, i, c->ruri,
		     i, method, c->headers);
		last = net.n ? net.n - 1 : 0;
		if (!sent_is(last, c->to, c->start, c->name))
			continue;
		if (c->has)
			ASSERT_HAS(net.buf[last], net.len[last], c->has,
				   c->name);
	}
	ASSERT_EQ(P.stats.bad_extension, 3, "the refusals counted");
}

/* Timer C as the operator set it: a call that rings too long is
 * CANCELled downstream and answered 408 upstream; the 487 that follows
 * is ACKed here and not relayed. */
TEST(proxy_ring_timeout_cancels_and_answers_408)
{
	if (!proxy_up())
		return;
	P.timer_c_ms = 3000;
	send_invite("sip:bob@example.com", "z9hG4bKtc", 70, "tc1");
	bob_answers(1, 180, "Ringing", "INVITE");
	if (!sent_is(2, ALICE_ADDR, "SIP/2.0 180", "180 relayed"))
		return;
	advance(2900);
	ASSERT_EQ(net.n, 3, "nothing before Timer C");
	advance(200);
	if (!sent_is(3, BOB_SOURCE, "CANCEL " BOB_CONTACT, "CANCEL downstream") ||
	    !sent_is(4, ALICE_ADDR, "SIP/2.0 408 ", "408 upstream"))
		return;
	ASSERT_EQ(P.stats.timeouts, 1, "Timer C counted");
	bob_answers(1, 487, "Request Terminated", "INVITE");
	sent_is(5, BOB_SOURCE, "ACK " BOB_CONTACT, "487 ACKed");
	ASSERT_EQ(net.n, 6, "487 not relayed after our 408");
}

static int failing_send(void *ctx, const char *buf, size_t len,
			const struct siplb_endpoint *to)
{
	(void)ctx, (void)buf, (void)len, (void)to;
	return -ENETUNREACH;
}

TEST(proxy_send_errors_counted)
{
	if (!proxy_up())
		return;
	P.send = failing_send;
	send_invite("sip:bob@example.com", "z9hG4bKse", 70, "se1");
	ASSERT_EQ(P.stats.send_errors, 2, "the 100 and the INVITE failed");
	ASSERT_EQ(P.stats.forwarded, 1, "the INVITE was still forwarded");
	P.send = fake_send;
}

TEST(proxy_loop_detected)
{
	if (!proxy_up())
		return;
	feed(ALICE_ADDR,
	     "INVITE sip:bob@example.com SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKlp\r\n"
	     "Via: SIP/2.0/UDP 10.99.11.2:5060;branch=" PROXY_BRANCH_PREFIX
	     "t1234\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.8:5060;branch=z9hG4bKorig\r\n"
	     "From: <sip:alice@example.com>;tag=a1\r\n"
	     "To: <sip:bob@example.com>\r\n"
	     "Call-ID: loop\r\nCSeq: 1 INVITE\r\n\r\n");
	sent_is(1, ALICE_ADDR, "SIP/2.0 482 ", "482 Loop Detected");
}

/* Our Via, but the request has changed since (a spiral): forwarded. */
TEST(proxy_spiral_is_forwarded)
{
	if (!proxy_up())
		return;
	feed(ALICE_ADDR,
	     "INVITE sip:bob@example.com SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKsp\r\n"
	     "Via: SIP/2.0/UDP 10.99.11.2:5060;branch=" PROXY_BRANCH_PREFIX
	     "t0123456789abcdef.00000000\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.8:5060;branch=z9hG4bKorig\r\n"
	     "From: <sip:alice@example.com>;tag=a1\r\n"
	     "To: <sip:bob@example.com>\r\n"
	     "Call-ID: spiral\r\nCSeq: 1 INVITE\r\n\r\n");
	sent_is(1, BOB_SOURCE, "INVITE " BOB_CONTACT, "a spiral goes on");
}

TEST(proxy_retransmissions_and_timeout)
{
	size_t before;

	if (!proxy_up())
		return;
	send_invite("sip:bob@example.com", "z9hG4bKrt", 70, "rt1");
	if (!ASSERT_EQ(net.n, 2, "100 and INVITE"))
		return;
	send_invite("sip:bob@example.com", "z9hG4bKrt", 70, "rt1");
	sent_is(2, ALICE_ADDR, "SIP/2.0 100 Trying",
		"retransmitted INVITE: 100 again, not forwarded again");
	ASSERT_EQ(P.stats.retransmissions_absorbed, 1, "absorbed");
	advance(PROXY_T1);
	sent_is(3, BOB_SOURCE, "INVITE ", "Timer A: first retransmission");
	advance(2 * PROXY_T1);
	sent_is(4, BOB_SOURCE, "INVITE ", "Timer A doubles");
	before = net.n;
	advance(PROXY_TIMER_64T1);
	ASSERT_GE(net.n, before + 1, "more retransmissions, then the end");
	sent_is(net.n - 1, ALICE_ADDR, "SIP/2.0 408 ",
		"Timer B: 408 to the caller");
	ASSERT_EQ(P.stats.timeouts, 1, "one timeout");
	ASSERT_HASNT(net.buf[net.n - 1], net.len[net.n - 1], PROXY_BRANCH_PREFIX,
		     "our Via is not in the 408");
}

TEST(proxy_non_invite_timeout_sends_no_408)
{
	if (!proxy_up())
		return;
	feed(ALICE_ADDR,
	     "MESSAGE sip:bob@example.com SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKmsg\r\n"
	     "From: <sip:alice@example.com>;tag=a1\r\n"
	     "To: <sip:bob@example.com>\r\n"
	     "Call-ID: msg1\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n");
	if (!sent_is(0, BOB_SOURCE, "MESSAGE " BOB_CONTACT,
		     "MESSAGE forwarded, no 100"))
		return;
	advance(PROXY_TIMER_64T1 + 100);
	ASSERT_EQ(P.stats.timeouts, 1, "Timer F fired");
	ASSERT_EQ(P.stats.responses_out[4], 0, "RFC 4320: no 408 upstream");
}

TEST(proxy_cancel)
{
	if (!proxy_up())
		return;
	send_invite("sip:bob@example.com", "z9hG4bKcn", 70, "cn1");
	bob_answers(1, 180, "Ringing", "INVITE");
	if (!sent_is(2, ALICE_ADDR, "SIP/2.0 180", "180 relayed"))
		return;
	feed(ALICE_ADDR,
	     "CANCEL sip:bob@example.com SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKcn;rport\r\n"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:alice@example.com>;tag=a1\r\n"
	     "To: <sip:bob@example.com>\r\n"
	     "Call-ID: cn1\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n");
	if (!sent_is(3, ALICE_ADDR, "SIP/2.0 200 OK", "200 to the CANCEL") ||
	    !sent_is(4, BOB_SOURCE, "CANCEL " BOB_CONTACT, "CANCEL downstream"))
		return;
	ASSERT_HAS(net.buf[4], net.len[4], "CSeq: 1 CANCEL", "CANCEL CSeq");
	bob_answers(1, 200, "OK", "CANCEL");
	ASSERT_EQ(net.n, 5, "the 200 to our CANCEL stays here");
	bob_answers(1, 487, "Request Terminated", "INVITE");
	if (!sent_is(5, BOB_SOURCE, "ACK " BOB_CONTACT, "487 ACKed here") ||
	    !sent_is(6, ALICE_ADDR, "SIP/2.0 487 ", "487 relayed upstream"))
		return;
	bob_answers(1, 487, "Request Terminated", "INVITE");
	sent_is(7, BOB_SOURCE, "ACK ", "retransmitted 487: ACK again");
	ASSERT_EQ(net.n, 8, "and not relayed twice");
}

TEST(proxy_cancel_unknown_and_cancel_before_provisional)
{
	if (!proxy_up())
		return;
	feed(ALICE_ADDR,
	     "CANCEL sip:bob@example.com SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKnone\r\n"
	     "From: <sip:alice@example.com>;tag=a1\r\n"
	     "To: <sip:bob@example.com>\r\n"
	     "Call-ID: x\r\nCSeq: 1 CANCEL\r\n\r\n");
	sent_is(0, ALICE_ADDR, "SIP/2.0 481 ", "CANCEL of nothing: 481");

	send_invite("sip:bob@example.com", "z9hG4bKearly", 70, "early");
	feed(ALICE_ADDR,
	     "CANCEL sip:bob@example.com SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKearly\r\n"
	     "From: <sip:alice@example.com>;tag=a1\r\n"
	     "To: <sip:bob@example.com>\r\n"
	     "Call-ID: early\r\nCSeq: 1 CANCEL\r\n\r\n");
	sent_is(3, ALICE_ADDR, "SIP/2.0 200 ", "200 to the CANCEL");
	ASSERT_EQ(net.n, 4, "no CANCEL before a provisional (9.1)");
	bob_answers(2, 100, "Trying", "INVITE");
	sent_is(4, BOB_SOURCE, "CANCEL ", "CANCEL once the 100 came");
}

TEST(proxy_response_rules)
{
	if (!proxy_up())
		return;
	/* Not our Via on top: dropped (18.1.2). */
	feed(BOB_SOURCE,
	     "SIP/2.0 200 OK\r\n"
	     "Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKsLbt1\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKa\r\n"
	     "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n"
	     "Call-ID: r\r\nCSeq: 1 INVITE\r\n\r\n");
	ASSERT_EQ(net.n, 0, "someone else's Via: dropped");
	ASSERT_EQ(P.stats.dropped, 1, "counted");
	/* Ours but no record: relayed by the next Via (received/rport). */
	feed(BOB_SOURCE,
	     "SIP/2.0 200 OK\r\n"
	     "Via: SIP/2.0/UDP 10.99.11.2:5060;branch=z9hG4bKsLbt1\r\n"
	     "Via: SIP/2.0/UDP 10.0.0.7:5060;branch=z9hG4bKa;"
	     "received=198.51.100.7;rport=6000\r\n"
	     "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n"
	     "Call-ID: r\r\nCSeq: 1 INVITE\r\n\r\n");
	sent_is(0, "198.51.100.7:6000", "SIP/2.0 200 OK",
		"stateless relay by received/rport");
	ASSERT_EQ(P.stats.relayed_stateless, 1, "counted");
	/* A malformed request gets a 400 naming the fault. */
	feed(ALICE_ADDR,
	     "INVITE sip:bob@example.com SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKbad\r\n"
	     "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
	     "CSeq: 1 INVITE\r\n\r\n");
	sent_is(1, ALICE_ADDR, "SIP/2.0 400 ", "400 for a missing Call-ID");
	/* OPTIONS to the worker itself (health checks): 200. */
	feed("10.99.11.1:40000",
	     "OPTIONS sip:10.99.11.2:5060 SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 10.99.11.1:40000;branch=z9hG4bK-hc;rport\r\n"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:siplb@10.99.11.1>;tag=hc\r\nTo: <sip:10.99.11.2:5060>\r\n"
	     "Call-ID: hc1\r\nCSeq: 1 OPTIONS\r\n\r\n");
	sent_is(2, "10.99.11.1:40000", "SIP/2.0 200 ", "OPTIONS to us: 200");
	/* REGISTER is the registrar's. */
	feed(ALICE_ADDR,
	     "REGISTER sip:example.com SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKreg\r\n"
	     "From: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\n"
	     "Call-ID: reg1\r\nCSeq: 1 REGISTER\r\n\r\n");
	sent_is(3, ALICE_ADDR, "SIP/2.0 403 ", "REGISTER: 403");
}

/* ---- the routing policy (caller_auth.h) -------------------------------- */

#define STRANGER	"203.0.113.66:5060"	/* not a trunk, no account */
#define TOLL_TARGET	"sip:+882999000111@198.18.7.7"
#define ALICE_PASS	"wonderland"
#define BOB_PASS	"zanzibar"

static struct caller_auth A;
static struct users *policy_users;
static struct siplb_trunk_key trunk_203;	/* 203.0.113.0/24 */
static const struct conf_alias bob_as_alice = { "bob", "alice", 0 };

static struct caller_policy default_policy(void)
{
	return (struct caller_policy){
		.caller_auth = true,
		.relay = CONF_RELAY_OFF,
		.inbound = CONF_INBOUND_FROM_ANYONE,
		.nonce_lifetime = 300,
	};
}

static void policy_down(void)
{
	P.auth = NULL;
	P.users = NULL;
	caller_auth_free(&A);
	users_free(policy_users);
	policy_users = NULL;
}

/* The proxy, with alice and bob in the users file and pol in force. */
static bool policy_up(const struct caller_policy *pol)
{
	char text[1024], line[512];

	policy_down();
	if (!proxy_up() ||
	    !ASSERT_OK(users_format_line("alice", DOMAIN, ALICE_PASS, 0, text,
					 sizeof(text)), "alice's line") ||
	    !ASSERT_OK(users_format_line("bob", DOMAIN, BOB_PASS, 0, line,
					 sizeof(line)), "bob's line"))
		return false;
	strcat(text, "\n");
	strcat(text, line);
	if (!ASSERT_OK(users_parse("users", text, strlen(text), &policy_users,
				   NULL, 0), "users") ||
	    !ASSERT_OK(caller_auth_init(&A, pol, policy_users, DOMAIN),
		       "caller_auth_init"))
		return false;
	P.users = policy_users;
	P.realm = DOMAIN;
	P.auth = &A;
	return true;
}

/* A new request from `from`: method, Request-URI, From URI, and extra
 * header lines (a Proxy-Authorization, a Route) or "". */
static void send_new(const char *from, const char *method, const char *ruri,
		     const char *from_uri, const char *call_id, int cseq,
		     const char *extra)
{
	static unsigned int branch;

	feed(from,
	     "%s %s SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP %s;branch=z9hG4bKpol%u\r\n"
	     "Max-Forwards: 70\r\n"
	     "From: <%s>;tag=f1\r\n"
	     "To: <%s>\r\n"
	     "Call-ID: %s\r\n"
	     "CSeq: %d %s\r\n"
	     "Contact: <sip:caller@%s>\r\n"
	     "%s"
	     "Content-Length: 0\r\n\r\n",
	     method, ruri, from, ++branch, from_uri, ruri, call_id, cseq,
	     method, from, extra);
}

/* The last datagram sent, and whether it went to `to` starting `start`. */
static bool last_is(const char *to, const char *start, const char *what)
{
	return ASSERT_GE(net.n, 1, what) && sent_is(net.n - 1, to, start, what);
}

/* Was anything sent to addr (any port)? */
static bool sent_to_addr(const char *addr)
{
	char text[ENDPOINT_STRLEN];
	size_t i;

	for (i = 0; i < net.n; i++) {
		endpoint_format(&net.to[i], text, sizeof(text));
		if (!strncmp(text, addr, strlen(addr)))
			return true;
	}
	return false;
}

/* The nonce of the SHA-256 challenge in the last datagram (a 407). */
static bool last_nonce(char nonce[NONCE_STR_SIZE])
{
	const char *b = net.n ? net.buf[net.n - 1] : "";
	const char *h = strstr(b, "Proxy-Authenticate: Digest");
	const char *n = h ? strstr(h, "nonce=\"") : NULL;

	if (!ASSERT_TRUE(n != NULL, "the 407 carries a Proxy-Authenticate "
			 "nonce"))
		return false;
	snprintf(nonce, NONCE_STR_SIZE, "%.*s", NONCE_STR_LEN, n + 7);
	return true;
}

/* A Proxy-Authorization line for user/password on nonce with count nc. */
static void proxy_authz(const char *user, const char *password,
			const char *nonce, uint32_t nc, const char *method,
			const char *uri, char *out, size_t size)
{
	char ha1[DIGEST_HEX_SIZE], resp[DIGEST_HEX_SIZE], ncs[9];
	struct digest_creds c = { .alg = DIGEST_ALG_SHA256, .has_qop = true };

	snprintf(ncs, sizeof(ncs), "%08x", nc);
	c.username = (struct digest_str){ user, strlen(user) };
	c.realm = (struct digest_str){ DOMAIN, strlen(DOMAIN) };
	c.nonce = (struct digest_str){ nonce, strlen(nonce) };
	c.uri = (struct digest_str){ uri, strlen(uri) };
	c.cnonce = (struct digest_str){ "cn", 2 };
	c.nc = (struct digest_str){ ncs, 8 };
	c.qop = (struct digest_str){ "auth", 4 };
	c.nc_value = nc;
	if (users_ha1(DIGEST_ALG_SHA256, user, DOMAIN, password, ha1) ||
	    digest_compute_response(&c, method, strlen(method), ha1, resp))
		resp[0] = '\0';
	snprintf(out, size,
		 "Proxy-Authorization: Digest username=\"%s\", realm=\"%s\", "
		 "nonce=\"%s\", uri=\"%s\", response=\"%s\", "
		 "algorithm=SHA-256, qop=auth, nc=%s, cnonce=\"cn\"\r\n",
		 user, DOMAIN, nonce, uri, resp, ncs);
}

/* Send an INVITE unauthenticated, take the 407's nonce, and send it again
 * (a new Call-ID: a new request) with user's credentials. */
static bool invite_as(const char *from, const char *ruri,
		      const char *from_uri, const char *user,
		      const char *password, const char *call_id)
{
	char nonce[NONCE_STR_SIZE], authz[1024];

	send_new(from, "INVITE", ruri, from_uri, call_id, 1, "");
	if (!last_is(from, "SIP/2.0 407 ", "first INVITE: 407") ||
	    !last_nonce(nonce))
		return false;
	proxy_authz(user, password, nonce, 1, "INVITE", ruri, authz,
		    sizeof(authz));
	send_new(from, "INVITE", ruri, from_uri, call_id, 2, authz);
	return true;
}

/* The toll-fraud INVITE of issue 11: a stranger to a foreign IP. */
TEST(policy_stranger_to_foreign_ip_never_forwarded)
{
	static const enum conf_relay relays[] = {
		CONF_RELAY_OFF, CONF_RELAY_AUTHENTICATED,
	};
	struct caller_policy pol = default_policy();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(relays); i++) {
		pol.relay = relays[i];
		if (!policy_up(&pol))
			break;
		send_new(STRANGER, "INVITE", TOLL_TARGET,
			 "sip:x@203.0.113.66", "toll1", 1, "");
		sent_is(0, STRANGER, "SIP/2.0 100 ", "100 Trying");
		sent_is(1, STRANGER, "SIP/2.0 407 ", "no credentials: 407");
		ASSERT_HAS(net.buf[1], net.len[1],
			   "Proxy-Authenticate: Digest realm=\"" DOMAIN "\"",
			   "407 challenges for our realm");
		ASSERT_EQ(P.stats.caller_challenged, 1, "counted");
		invite_as(STRANGER, TOLL_TARGET, "sip:x@203.0.113.66",
			  "mallory", "guess", "toll2");
		last_is(STRANGER, "SIP/2.0 403 ", "bad credentials: 403");
		ASSERT_EQ(P.stats.caller_auth_failed, 1, "403 counted");
		invite_as(STRANGER, TOLL_TARGET, "sip:alice@" DOMAIN, "alice",
			  "wrong", "toll3");
		last_is(STRANGER, "SIP/2.0 403 ",
			"a local user's name, wrong password: 403");
		/* A Route naming elsewhere is a foreign target too. */
		send_new(STRANGER, "INVITE", "sip:bob@" DOMAIN,
			 "sip:x@203.0.113.66", "toll4", 1,
			 "Route: <sip:198.18.7.7;lr>\r\n");
		last_is(STRANGER, "SIP/2.0 407 ", "Route elsewhere: 407");
		ASSERT_FALSE(sent_to_addr("198.18.7.7"),
			     "nothing ever sent to the foreign target");
		ASSERT_EQ(P.stats.forwarded, 0, "nothing forwarded");
	}
	policy_down();
}

/* An authenticated local user to a foreign target: only with relay on. */
TEST(policy_relay_only_when_allowed)
{
	struct caller_policy pol = default_policy();

	if (!policy_up(&pol))
		return;
	invite_as(ALICE_ADDR, TOLL_TARGET, "sip:alice@" DOMAIN, "alice",
		  ALICE_PASS, "r1");
	last_is(ALICE_ADDR, "SIP/2.0 403 ", "relay off: 403");
	ASSERT_EQ(P.stats.relay_denied, 1, "relay_denied counted");
	ASSERT_FALSE(sent_to_addr("198.18.7.7"), "not forwarded");

	pol.relay = CONF_RELAY_AUTHENTICATED;
	if (!policy_up(&pol))
		return;
	invite_as(ALICE_ADDR, TOLL_TARGET, "sip:alice@" DOMAIN, "alice",
		  ALICE_PASS, "r2");
	last_is("198.18.7.7:5060", "INVITE " TOLL_TARGET,
		"relay authenticated: forwarded");
	ASSERT_EQ(P.stats.caller_authenticated, 1, "counted");
	policy_down();
}

/* Caller ID: a From naming a local user must be proved. */
TEST(policy_local_from_needs_credentials)
{
	struct caller_policy pol = default_policy();

	if (!policy_up(&pol))
		return;
	send_new(STRANGER, "INVITE", "sip:bob@" DOMAIN, "sip:alice@" DOMAIN,
		 "l1", 1, "");
	last_is(STRANGER, "SIP/2.0 407 ", "From alice, no credentials: 407");
	send_new(STRANGER, "MESSAGE", "sip:bob@" DOMAIN,
		 "sip:alice@10.99.0.10", "l2", 1, "");
	last_is(STRANGER, "SIP/2.0 407 ",
		"MESSAGE, From alice at the VIP's address: 407");
	ASSERT_EQ(P.stats.forwarded, 0, "nothing forwarded");
	invite_as(ALICE_ADDR, "sip:bob@" DOMAIN, "sip:alice@" DOMAIN, "alice",
		  ALICE_PASS, "l3");
	last_is(BOB_SOURCE, "INVITE " BOB_CONTACT,
		"with alice's credentials: forwarded to bob");
	policy_down();
}

/* The authenticated user must be the From user, or have it as alias. */
TEST(policy_user_must_be_from_user)
{
	struct caller_policy pol = default_policy();

	if (!policy_up(&pol))
		return;
	invite_as(ALICE_ADDR, "sip:bob@" DOMAIN, "sip:alice@" DOMAIN, "bob",
		  BOB_PASS, "m1");
	last_is(ALICE_ADDR, "SIP/2.0 403 ", "bob calls as alice: 403");
	ASSERT_EQ(P.stats.caller_from_mismatch, 1, "counted");
	ASSERT_EQ(P.stats.forwarded, 0, "not forwarded");

	pol.aliases = &bob_as_alice;
	pol.naliases = 1;
	if (!policy_up(&pol))
		return;
	invite_as(ALICE_ADDR, "sip:bob@" DOMAIN, "sip:alice@" DOMAIN, "bob",
		  BOB_PASS, "m2");
	last_is(BOB_SOURCE, "INVITE " BOB_CONTACT,
		"alias bob alice: forwarded");
	policy_down();
}

/* A trunk prefix is trusted without a challenge (local targets). */
TEST(policy_trunk_accepted_without_challenge)
{
	struct caller_policy pol = default_policy();

	if (!ASSERT_OK(caller_trunk_parse("203.0.113.0/24", &trunk_203),
		       "trunk prefix"))
		return;
	pol.trunks = &trunk_203;
	pol.ntrunks = 1;
	if (!policy_up(&pol))
		return;
	send_new(STRANGER, "INVITE", "sip:bob@" DOMAIN, "sip:alice@" DOMAIN,
		 "t1", 1, "");
	last_is(BOB_SOURCE, "INVITE " BOB_CONTACT, "trunk: forwarded");
	ASSERT_EQ(P.stats.trunk_accepted, 1, "counted");
	ASSERT_EQ(P.stats.caller_challenged, 0, "no challenge");
	send_new(STRANGER, "INVITE", TOLL_TARGET, "sip:alice@" DOMAIN, "t2", 1,
		 "");
	last_is(STRANGER, "SIP/2.0 403 ", "trunk, foreign target, relay off");
	ASSERT_FALSE(sent_to_addr("198.18.7.7"), "not relayed");
	send_new("203.0.114.1:5060", "INVITE", "sip:bob@" DOMAIN,
		 "sip:alice@" DOMAIN, "t3", 1, "");
	last_is("203.0.114.1:5060", "SIP/2.0 407 ",
		"just outside the prefix: 407");
	policy_down();
}

/* -T PREFIX: siplb.conf's trunk syntax, and which sources it covers. */
static const struct trunk_case {
	const char *prefix;
	int ret;
	const char *inside, *outside;	/* NULL: not checked */
} trunk_cases[] = {
	{ "203.0.113.0/24", 0, "203.0.113.255:1", "203.0.112.1:1" },
	{ "198.51.100.7", 0, "198.51.100.7:5060", "198.51.100.8:5060" },
	{ "10.0.0.0/12", 0, "10.15.1.1:1", "10.16.0.1:1" },
	{ "0.0.0.0/0", 0, "192.0.2.1:1", "[2001:db8::1]:1" },
	{ "fd00:99:1::/64", 0, "[fd00:99:1::2]:5060", "[fd00:99:2::2]:5060" },
	{ "203.0.113.1/24", -EINVAL, NULL, NULL },	/* host bits */
	{ "203.0.113.0/33", -EINVAL, NULL, NULL },
	{ "203.0.113.0/", -EINVAL, NULL, NULL },
	{ "pbx.example", -EINVAL, NULL, NULL },
	{ "192.0.2.1:5060", -EINVAL, NULL, NULL },
};

TEST(policy_trunk_prefixes)
{
	struct caller_policy pol = { 0 };
	struct siplb_trunk_key k;
	struct siplb_endpoint ep;
	size_t i;

	pol.trunks = &k;
	pol.ntrunks = 1;
	for (i = 0; i < ARRAY_SIZE(trunk_cases); i++) {
		const struct trunk_case *c = &trunk_cases[i];

		if (!ASSERT_EQ(caller_trunk_parse(c->prefix, &k), c->ret,
			       c->prefix) || c->ret)
			continue;
		ASSERT_TRUE(!endpoint_parse(c->inside, &ep) &&
				    caller_is_trunk(&pol, &ep), c->inside);
		ASSERT_TRUE(!endpoint_parse(c->outside, &ep) &&
				    !caller_is_trunk(&pol, &ep), c->outside);
	}
}

/* nonce.h's replay rule: each nc once, and higher each time. */
TEST(policy_replayed_nc_refused)
{
	struct caller_policy pol = default_policy();
	const char *ruri = "sip:bob@" DOMAIN;
	char nonce[NONCE_STR_SIZE], authz[1024];

	if (!policy_up(&pol))
		return;
	send_new(ALICE_ADDR, "INVITE", ruri, "sip:alice@" DOMAIN, "n1", 1, "");
	if (!last_nonce(nonce))
		goto out;
	proxy_authz("alice", ALICE_PASS, nonce, 1, "INVITE", ruri, authz,
		    sizeof(authz));
	send_new(ALICE_ADDR, "INVITE", ruri, "sip:alice@" DOMAIN, "n1", 2,
		 authz);
	last_is(BOB_SOURCE, "INVITE " BOB_CONTACT, "nc 1: forwarded");
	send_new(ALICE_ADDR, "INVITE", ruri, "sip:alice@" DOMAIN, "n2", 1,
		 authz);
	last_is(ALICE_ADDR, "SIP/2.0 407 ", "nc 1 again: 407");
	ASSERT_EQ(P.stats.caller_replayed, 1, "replay counted");
	ASSERT_EQ(P.stats.caller_auth_failed, 0, "not a failed password");
	ASSERT_EQ(P.stats.forwarded, 1, "the replay was not forwarded");
	proxy_authz("alice", ALICE_PASS, nonce, 2, "INVITE", ruri, authz,
		    sizeof(authz));
	send_new(ALICE_ADDR, "INVITE", ruri, "sip:alice@" DOMAIN, "n3", 1,
		 authz);
	last_is(BOB_SOURCE, "INVITE " BOB_CONTACT, "nc 2: forwarded");
out:
	policy_down();
}

/* A nonce answered from another address is challenged again, not 403. */
TEST(policy_nonce_bound_to_source)
{
	struct caller_policy pol = default_policy();
	const char *ruri = "sip:bob@" DOMAIN;
	char nonce[NONCE_STR_SIZE], authz[1024];

	if (!policy_up(&pol))
		return;
	send_new(STRANGER, "INVITE", ruri, "sip:alice@" DOMAIN, "s1", 1, "");
	if (!last_nonce(nonce))
		goto out;
	proxy_authz("alice", "wrong", nonce, 1, "INVITE", ruri, authz,
		    sizeof(authz));
	send_new(ALICE_ADDR, "INVITE", ruri, "sip:alice@" DOMAIN, "s2", 1,
		 authz);
	last_is(ALICE_ADDR, "SIP/2.0 407 ",
		"a stranger's nonce from alice's address: 407");
	ASSERT_EQ(P.stats.caller_foreign_nonce, 1, "counted");
	ASSERT_EQ(P.stats.caller_auth_failed, 0, "not a failed password");
out:
	policy_down();
}

/* Inbound calls: from outside to one of ours, accepted unless set. */
TEST(policy_inbound_call_from_outside)
{
	struct caller_policy pol = default_policy();

	if (!policy_up(&pol))
		return;
	send_new(STRANGER, "INVITE", "sip:bob@" DOMAIN,
		 "sip:carol@elsewhere.org", "i1", 1, "");
	last_is(BOB_SOURCE, "INVITE " BOB_CONTACT,
		"inbound from-anyone: forwarded to the registered user");
	/* The worker's own health checks are not the policy's business. */
	send_new(STRANGER, "OPTIONS", "sip:10.99.11.2:5060",
		 "sip:siplbd@" DOMAIN, "i2", 1, "");
	last_is(STRANGER, "SIP/2.0 200 ", "OPTIONS to the worker: 200");

	pol.inbound = CONF_INBOUND_AUTHENTICATED;
	if (!policy_up(&pol))
		return;
	send_new(STRANGER, "INVITE", "sip:bob@" DOMAIN,
		 "sip:carol@elsewhere.org", "i3", 1, "");
	last_is(STRANGER, "SIP/2.0 407 ", "inbound authenticated: 407");
	ASSERT_EQ(P.stats.forwarded, 0, "not forwarded");
	policy_down();
}

/* In-dialog requests (To tag) and ACKs pass: Record-Route's business. */
TEST(policy_leaves_in_dialog_requests)
{
	struct caller_policy pol = default_policy();

	if (!policy_up(&pol))
		return;
	feed(BOB_SOURCE,
	     "BYE sip:alice@198.51.100.7:5060 SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 192.0.2.20:5062;branch=z9hG4bKbyeP\r\n"
	     "Route: %s\r\n"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:bob@example.com>;tag=b1\r\n"
	     "To: <sip:alice@example.com>;tag=a1\r\n"
	     "Call-ID: d1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
	     our_route("d1", "a1"));
	last_is(ALICE_ADDR, "BYE sip:alice@198.51.100.7:5060",
		"in-dialog BYE forwarded without a challenge");
	ASSERT_EQ(P.stats.caller_challenged, 0, "no challenge");
	policy_down();
}

/* ---- events: SUBSCRIBE, PUBLISH, NOTIFY (events.c) --------------------- */

#define EVENT_SERVER	"10.99.30.5:5060"

static const struct events_case {
	const char *spec;
	int ret;
} events_cases[] = {
	{ "message-summary=" EVENT_SERVER, 0 },
	{ "presence=[2001:db8::5]:5060", 0 },
	{ "Message-Summary=10.99.30.6:5060", -EEXIST },
	{ "=10.99.30.5:5060", -EINVAL },
	{ "presence", -EINVAL },
	{ "dialog=host.example:5060", -EINVAL },
	{ "bad pkg=10.99.30.5:5060", -EINVAL },
	{ "dialog=10.99.30.5", -EINVAL },
};

TEST(events_add_parses_package_and_server)
{
	struct proxy_events ev = {};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(events_cases); i++)
		ASSERT_EQ(events_add(&ev, events_cases[i].spec),
			  events_cases[i].ret, events_cases[i].spec);
	ASSERT_EQ(ev.n, 2, "two packages kept");
	ASSERT_TRUE(!strcmp(ev.allow, "Allow-Events: message-summary, "
			    "presence\r\n"), "Allow-Events lists them");
}

/* bob's phone subscribes to (or publishes for) its own AOR. */
static void bob_sends(const char *method, const char *event,
		      const char *branch)
{
	feed(BOB_SOURCE,
	     "%s sip:bob@example.com SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 192.0.2.20:5062;branch=%s;rport\r\n"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:bob@example.com>;tag=bb\r\n"
	     "To: <sip:bob@example.com>\r\n"
	     "Call-ID: %s\r\nCSeq: 1 %s\r\n"
	     "%s%s%s"
	     "Contact: <" BOB_CONTACT ">\r\n"
	     "Expires: 600\r\nContent-Length: 0\r\n\r\n",
	     method, branch, branch, method, event ? "Event: " : "",
	     event ? event : "", event ? "\r\n" : "");
}

TEST(events_subscribe_to_own_aor_is_489_without_a_server)
{
	if (!proxy_up())
		return;
	bob_sends("SUBSCRIBE", "message-summary", "z9hG4bKmwi1");
	if (!sent_is(0, BOB_SOURCE, "SIP/2.0 489 ",
		     "SUBSCRIBE to own AOR: 489, not sent back to the phone"))
		return;
	ASSERT_EQ(net.n, 1, "nothing forwarded");
	ASSERT_HASNT(net.buf[0], net.len[0], "Allow-Events",
		     "no package served: no Allow-Events (1# grammar)");
	bob_sends("SUBSCRIBE", NULL, "z9hG4bKmwi2");
	sent_is(1, BOB_SOURCE, "SIP/2.0 489 ", "no Event header: 489 too");
	ASSERT_EQ(P.stats.events_refused, 2, "refusals counted");
	ASSERT_EQ(P.stats.forwarded, 0, "nothing forwarded");
}

TEST(events_subscribe_goes_to_the_event_server)
{
	if (!proxy_up() ||
	    !ASSERT_OK(events_add(&P.events, "message-summary=" EVENT_SERVER),
		       "-e message-summary"))
		return;
	bob_sends("SUBSCRIBE", "message-summary;id=1", "z9hG4bKmwi3");
	if (!sent_is(0, EVENT_SERVER, "SUBSCRIBE sip:bob@example.com SIP/2.0",
		     "to the event server, Request-URI as it was"))
		return;
	ASSERT_HAS(net.buf[0], net.len[0],
		   "Record-Route: <sip:10.99.0.10:5060;lr;tok=",
		   "Record-Routed: the NOTIFYs come back through the VIP");
	ASSERT_EQ(P.stats.events_to_server, 1, "counted");
	bob_sends("SUBSCRIBE", "presence", "z9hG4bKpres1");
	if (!sent_is(1, BOB_SOURCE, "SIP/2.0 489 ", "presence: no server"))
		return;
	ASSERT_HAS(net.buf[1], net.len[1],
		   "Allow-Events: message-summary\r\n",
		   "489 names the package we can reach");
}

TEST(events_publish_is_answered_not_forked)
{
	if (!proxy_up() ||
	    !bind_contact("sip:bob@example.com", 1, BOB2_CONTACT, BOB2_SOURCE,
			  1000, REAL_NOW - 200, REAL_NOW + 3600))
		return;
	bob_sends("PUBLISH", "presence", "z9hG4bKpub1");
	if (!sent_is(0, BOB_SOURCE, "SIP/2.0 489 ", "PUBLISH: 489 here"))
		return;
	ASSERT_EQ(net.n, 1, "not forked to bob's two bindings");
	ASSERT_EQ(P.stats.forked, 0, "nothing forked");
	if (!ASSERT_OK(events_add(&P.events, "presence=" EVENT_SERVER),
		       "-e presence"))
		return;
	bob_sends("PUBLISH", "presence", "z9hG4bKpub2");
	sent_is(1, EVENT_SERVER, "PUBLISH sip:bob@example.com ",
		"PUBLISH to the presence server");
	ASSERT_HASNT(net.buf[1], net.len[1], "Record-Route",
		     "PUBLISH creates no dialog: no Record-Route");
}

TEST(events_request_to_its_own_binding_is_a_loop)
{
	if (!proxy_up())
		return;
	bob_sends("MESSAGE", NULL, "z9hG4bKself1");
	if (!sent_is(0, BOB_SOURCE, "SIP/2.0 482 ",
		     "MESSAGE to the binding it came from: 482"))
		return;
	ASSERT_EQ(P.stats.loops_refused, 1, "loop counted");
	ASSERT_EQ(P.stats.forwarded, 0, "nothing forwarded");
	/* With a second device, only that one gets it. */
	if (!bind_contact("sip:bob@example.com", 1, BOB2_CONTACT, BOB2_SOURCE,
			  1000, REAL_NOW - 200, REAL_NOW + 3600))
		return;
	bob_sends("MESSAGE", NULL, "z9hG4bKself2");
	sent_is(1, BOB2_SOURCE, "MESSAGE " BOB2_CONTACT,
		"the other binding only");
	ASSERT_EQ(net.n, 2, "not to the sender's own binding");
	ASSERT_EQ(P.stats.loops_refused, 1, "no loop this time");
}

TEST(events_notify_is_still_routed)
{
	if (!proxy_up())
		return;
	/* In the dialog the event server set up: by Route and R-URI. */
	feed(EVENT_SERVER,
	     "NOTIFY " BOB_CONTACT " SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 10.99.30.5:5060;branch=z9hG4bKn1\r\n"
	     "Route: %s\r\n"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:bob@example.com>;tag=srv\r\n"
	     "To: <sip:bob@example.com>;tag=bb\r\n"
	     "Call-ID: n1\r\nCSeq: 2 NOTIFY\r\n"
	     "Event: message-summary\r\nSubscription-State: active\r\n"
	     "Content-Length: 0\r\n\r\n", our_route("n1", "bb"));
	sent_is(0, "192.0.2.20:5062", "NOTIFY " BOB_CONTACT,
		"in-dialog NOTIFY to the phone's contact");
	/* Out of a dialog (unsolicited MWI): to the AOR's binding. */
	feed(EVENT_SERVER,
	     "NOTIFY sip:bob@example.com SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 10.99.30.5:5060;branch=z9hG4bKn2\r\n"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:asterisk@example.com>;tag=srv\r\n"
	     "To: <sip:bob@example.com>\r\n"
	     "Call-ID: n2\r\nCSeq: 1 NOTIFY\r\n"
	     "Event: message-summary\r\nContent-Length: 0\r\n\r\n");
	sent_is(1, BOB_SOURCE, "NOTIFY " BOB_CONTACT, "NOTIFY to the binding");
	ASSERT_EQ(P.stats.events_refused + P.stats.loops_refused, 0,
		  "NOTIFY is neither refused nor a loop");
}

/* A non-INVITE nobody answers: Timer E's schedule (T1 doubling to T2)
 * until Timer F, so at most ten retransmissions in 64*T1, counted. */
TEST(non_invite_retransmissions_bounded_by_timer_e)
{
	if (!proxy_up())
		return;
	feed(ALICE_ADDR,
	     "MESSAGE sip:bob@example.com SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKmsge\r\n"
	     "From: <sip:alice@example.com>;tag=a1\r\n"
	     "To: <sip:bob@example.com>\r\n"
	     "Call-ID: msge\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n");
	advance(PROXY_TIMER_64T1 + 10 * PROXY_T4);
	ASSERT_EQ(P.stats.retransmitted_e, 10,
		  "0.5+1+2+4+4+... s up to 32 s: ten retransmissions");
	ASSERT_EQ(net.n, 11, "the request and its ten retransmissions");
	ASSERT_EQ(P.stats.timeouts, 1, "then Timer F");
}

int main(int argc, char **argv)
{
	int rc;

	testlib_require_root("BPF maps");
	log_init("test_proxy", LOG_LEVEL_WARN);	/* refusals log at info */
	rc = testlib_main(argc, argv);
	policy_down();
	proxy_free(&P);
	if (location_fd >= 0)
		close(location_fd);
	if (sources_fd >= 0)
		close(sources_fd);
	if (aors_fd >= 0)
		close(aors_fd);
	return rc;
}

/* ---- RFC 3581: received and rport ----------------------------------- */

#define NATTED_SRC	"203.0.113.50:40000"	/* the home router's mapping */

/*
 * A caller behind NAT puts its private address in Via, with rport. The
 * proxy's own answers (100 Trying) carry received/rport; the INVITE it
 * forwards carries them in the caller's Via (now the second), so that a
 * survivor with no record of the call (the first worker died) relays the
 * 200 to the NAT mapping, not to the private address.
 */
TEST(proxy_rport_received_for_a_natted_caller)
{
	static char forwarded[4096];
	const char *stamped = "Via: SIP/2.0/UDP 192.168.1.5:5060;branch="
			      "z9hG4bKnat1;rport=40000;received=203.0.113.50\r\n";
	size_t len;

	if (!proxy_up())
		return;
	feed(NATTED_SRC,
	     "INVITE sip:bob@example.com SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 192.168.1.5:5060;branch=z9hG4bKnat1;rport\r\n"
	     "Max-Forwards: 70\r\n"
	     "From: <sip:alice@example.com>;tag=a1\r\n"
	     "To: <sip:bob@example.com>\r\n"
	     "Call-ID: nat1\r\nCSeq: 1 INVITE\r\n"
	     "Contact: <sip:alice@192.168.1.5:5060>\r\n"
	     "Content-Length: 0\r\n\r\n");
	if (!sent_is(0, NATTED_SRC, "SIP/2.0 100 Trying",
		     "100 to the source address and port") ||
	    !sent_is(1, BOB_SOURCE, "INVITE ", "forwarded"))
		return;
	ASSERT_HAS(net.buf[0], net.len[0], stamped,
		   "the 100's Via: rport filled in, received added");
	ASSERT_HAS(net.buf[1], net.len[1], stamped,
		   "the forwarded INVITE: the caller's Via stamped");
	ASSERT_HAS(net.buf[1], net.len[1],
		   "Via: SIP/2.0/UDP 10.99.0.10:5060;branch=" PROXY_BRANCH_PREFIX,
		   "our own Via on top, without received");
	len = net.len[1];
	memcpy(forwarded, net.buf[1], len + 1);
	if (!proxy_up())
		return;
	memcpy(net.buf[0], forwarded, len + 1);
	net.len[0] = len;
	net.n = 1;
	bob_answers(0, 200, "OK", "INVITE");
	if (sent_is(1, NATTED_SRC, "SIP/2.0 200 OK",
		    "a survivor relays the 200 to received:rport"))
		ASSERT_HAS(net.buf[1], net.len[1], stamped,
			   "the caller sees its public address");
	ASSERT_EQ(P.stats.relayed_stateless, 1, "statelessly");
}

/* No rport: received only where the sent-by address is not the source;
 * the proxy's 404 and its forwarded request agree. */
TEST(proxy_received_without_rport)
{
	if (!proxy_up())
		return;
	feed(NATTED_SRC,
	     "OPTIONS sip:nobody@example.com SIP/2.0\r\n"
	     "Via: SIP/2.0/UDP 192.168.1.5:5060;branch=z9hG4bKnat2\r\n"
	     "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\n"
	     "To: <sip:nobody@example.com>\r\nCall-ID: nat2\r\n"
	     "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
	if (sent_is(0, NATTED_SRC, "SIP/2.0 404", "404 to the source"))
		ASSERT_HAS(net.buf[0], net.len[0],
			   "Via: SIP/2.0/UDP 192.168.1.5:5060;branch="
			   "z9hG4bKnat2;received=203.0.113.50\r\n",
			   "received, no rport");
	send_invite("sip:bob@example.com", "z9hG4bKpub", 70, "nat3");
	if (sent_is(2, BOB_SOURCE, "INVITE ", "forwarded"))
		ASSERT_HAS(net.buf[2], net.len[2],
			   "Via: SIP/2.0/UDP 198.51.100.7:5060;branch="
			   "z9hG4bKpub;rport=5060;received=198.51.100.7\r\n",
			   "rport: received even though sent-by is right");
}

/* ---- RFC 5626: one request per instance, on its flow ----------------- */

static bool bind_flow(__u32 slot, const char *contact, const char *source,
		      const char *instance, __u32 reg_id, __u64 registered_at)
{
	struct location loc = { location_fd, sources_fd, 10, aors_fd };
	struct siplb_binding b = { .q = 1000, .registered_at = registered_at,
				   .expires_at = REAL_NOW + 3600,
				   .reg_id = reg_id,
				   .flags = SIPLB_BINDING_OUTBOUND };

	snprintf(b.contact, sizeof(b.contact), "%s", contact);
	snprintf(b.instance, sizeof(b.instance), "%s", instance);
	return ASSERT_OK(endpoint_parse(source, &b.source), source) &&
	       ASSERT_OK(location_put(&loc, "sip:carol@example.com",
				      strlen("sip:carol@example.com"), slot,
				      &b), "location_put");
}

/*
 * carol's phone A has two flows (reg-id 1, older; reg-id 2, newer) and
 * phone B one: the INVITE goes to A's newer flow and to B, each to the
 * source address the flow was registered from (never the Contact's
 * private address), and not to A's older flow.
 */
TEST(proxy_one_branch_per_instance_on_its_flow)
{
	size_t i, to_old = 0, to_new = 0, to_b = 0;
	struct siplb_endpoint a1, a2, b;

	if (!proxy_up() ||
	    !bind_flow(0, "sip:carol@10.0.0.5:5060", "203.0.113.5:1111",
		       "urn:uuid:aaaa", 1, REAL_NOW - 300) ||
	    !bind_flow(1, "sip:carol@10.0.0.5:5060", "203.0.113.5:2222",
		       "urn:uuid:AAAA", 2, REAL_NOW - 100) ||
	    !bind_flow(2, "sip:carol@10.0.0.6:5060", "203.0.113.6:3333",
		       "urn:uuid:bbbb", 1, REAL_NOW - 200))
		return;
	endpoint_parse("203.0.113.5:1111", &a1);
	endpoint_parse("203.0.113.5:2222", &a2);
	endpoint_parse("203.0.113.6:3333", &b);
	send_invite("sip:carol@example.com", "z9hG4bKcarol", 70, "carol1");
	for (i = 1; i < net.n; i++) {
		if (strncmp(net.buf[i], "INVITE ", 7))
			continue;
		to_old += endpoint_equal(&net.to[i], &a1);
		to_new += endpoint_equal(&net.to[i], &a2);
		to_b += endpoint_equal(&net.to[i], &b);
	}
	ASSERT_EQ(to_new, 1, "phone A on its newest flow");
	ASSERT_EQ(to_b, 1, "phone B on its flow");
	ASSERT_EQ(to_old, 0, "not A's older flow");
	ASSERT_EQ(P.stats.forwarded, 2, "two branches");
}
