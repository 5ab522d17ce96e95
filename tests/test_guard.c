// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_guard.c - the XDP program's flood and scanner defences
 * (bpf/guard.bpf.h) through BPF_PROG_TEST_RUN, with the fixture of
 * test_xdp.c (tests/lib/xdp_fixture.h).
 *
 * Each case writes a policy into siplb_guard the way siplbd does (a
 * config text through conf_parse_buffer() and guard_build()), sends
 * frames, and asserts the verdict and that exactly the expected counter
 * moved: budgets per method class and per source, their refill, strict
 * mode, scanner User-Agents, and the exemptions (registered sources,
 * trunk prefixes, responses, keep-alives). Every case restores the policy
 * to off and empties the maps it filled.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "config.h"
#include "guard_apply.h"
#include "packet.h"
#include "siplb_guard.h"
#include "siplb_location.h"
#include "sip_samples.h"
#include "lb_stats.h"
#include "testlib.h"
#include "xdp_fixture.h"

static struct xdp_fixture fix;

#define CLIENT_PORT	5070
#define OTHER_CLIENT4	"10.10.1.3"	/* a second source on the client net */
#define MIN_CONF	"realm example.com\nusers /u\n" \
			"vip 192.0.2.1:5060 {\nbackend 10.0.0.1:5060\n}\n"

/* Publish the policy of a guard block's body, as siplbd would. */
static bool set_guard(const char *body)
{
	struct siplb_conf *c = NULL;
	char text[2048], err[256];
	bool ok;
	int n;

	n = snprintf(text, sizeof(text), "guard {\n%s}\n" MIN_CONF, body);
	if (!ASSERT_TRUE(n > 0 && (size_t)n < sizeof(text), "config fits"))
		return false;
	if (!ASSERT_OK(conf_parse_buffer("guard.conf", text, n, &c, err,
					 sizeof(err)), err))
		return false;
	ok = ASSERT_OK(guard_apply(&fix.maps, c), "guard_apply");
	conf_free(c);
	return ok;
}

/* Policy off, buckets and trunks forgotten, no source registered. */
static void reset_guard(void)
{
	struct siplb_addr key, next;

	set_guard("");
	while (!bpf_map_get_next_key(fix.maps.budgets, NULL, &next))
		bpf_map_delete_elem(fix.maps.budgets, &next);
	while (!bpf_map_get_next_key(fix.maps.sources, NULL, &key))
		bpf_map_delete_elem(fix.maps.sources, &key);
}

static size_t frame_from(__u8 *buf, int family, const char *src,
			 const char *payload, size_t len)
{
	struct pkt_spec spec = {
		.family = family,
		.src = src,
		.dst = family == 4 ? FIX_VIP4 : FIX_VIP6,
		.sport = CLIENT_PORT,
		.dport = FIX_SIP_PORT,
		.payload = payload,
		.len = len,
	};

	return pkt_build(&spec, buf, PKT_MAX);
}

/*
 * A message (start line, then `extra` header lines before the usual ones)
 * from src to the VIP: its verdict and that exactly `stat` moved.
 */
static bool expect_from(int family, const char *src, const char *start,
			const char *extra, int action, int stat,
			const char *what)
{
	char payload[1400];
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t len, flen;

	len = sip_sample(payload, sizeof(payload), start, extra);
	flen = frame_from(frame, family, src, payload, len);
	if (!ASSERT_TRUE(len && flen, "frame built"))
		return false;
	return fixture_run_expect(&fix, fix.ifindex_client, frame, flen,
				  action, stat, &res, what);
}

#define CALLID		"Call-ID: guard-test-1"
#define INVITE		"INVITE sip:bob@example.com SIP/2.0"
#define REGISTER	"REGISTER sip:example.com SIP/2.0"
#define OPTIONS		"OPTIONS sip:bob@example.com SIP/2.0"
#define BYE		"BYE sip:bob@example.com SIP/2.0"
#define SUBSCRIBE	"SUBSCRIBE sip:bob@example.com SIP/2.0"
#define REFER		"REFER sip:bob@example.com SIP/2.0"
#define MESSAGE		"MESSAGE sip:bob@example.com SIP/2.0"
#define OK200		"SIP/2.0 200 OK"

/* Steered (the fixture's IPv4 and IPv6 VIPs redirect to a backend). */
#define STEERED		XDP_REDIRECT, SIPLB_STAT_STEER_REDIRECT
#define TO_REGISTRAR	XDP_PASS, SIPLB_STAT_PASS_REGISTER

static bool register_source(int family, const char *addr)
{
	struct siplb_source src = { .bindings = 1, .expires_at = ~0ULL };
	struct siplb_addr key = { .family = family == 4 ? SIPLB_AF_INET :
							  SIPLB_AF_INET6 };

	inet_pton(family == 4 ? AF_INET : AF_INET6, addr, key.addr);
	return ASSERT_OK(bpf_map_update_elem(fix.maps.sources, &key, &src,
					     BPF_ANY), "register source");
}

/* Defaults: no guard block, or one with everything off, changes no verdict
 * and no counter for normal traffic. */
TEST(guard_defaults_change_nothing)
{
	const char *bodies[] = {
		"",
		"budget REGISTER off\nbudget INVITE off\nbudget OPTIONS off\n"
		"budget other off\nstrict-dialogs off\nblock-scanners off\n",
	};
	size_t i;

	for (i = 0; i < 2; i++) {
		if (!set_guard(bodies[i]))
			return;
		expect_from(4, FIX_CLIENT4, INVITE, CALLID, STEERED, "INVITE");
		expect_from(6, FIX_CLIENT6, INVITE, CALLID, STEERED,
			    "INVITE over IPv6");
		expect_from(4, FIX_CLIENT4, REGISTER, CALLID, TO_REGISTRAR,
			    "REGISTER");
		expect_from(4, FIX_CLIENT4, OPTIONS, CALLID, STEERED, "OPTIONS");
		expect_from(4, FIX_CLIENT4, OK200, CALLID, STEERED, "200 OK");
		expect_from(4, FIX_CLIENT4, INVITE,
			    CALLID "\r\nUser-Agent: friendly-scanner", STEERED,
			    "scanner User-Agent, blocking off");
	}
	reset_guard();
}

/* A burst of N per class, then drops counted under the class's counter;
 * the other classes keep their own buckets. */
TEST(guard_budget_per_method_class)
{
	static const struct {
		const char *start;
		int action, pass_stat, drop_stat;
	} classes[] = {
		{ REGISTER, TO_REGISTRAR, SIPLB_STAT_DROP_BUDGET_REGISTER },
		{ INVITE, STEERED, SIPLB_STAT_DROP_BUDGET_INVITE },
		{ OPTIONS, STEERED, SIPLB_STAT_DROP_BUDGET_OPTIONS },
		{ BYE, STEERED, SIPLB_STAT_DROP_BUDGET_OTHER },
		{ MESSAGE, STEERED, SIPLB_STAT_DROP_BUDGET_OTHER },
	};
	char what[128];
	size_t c;
	int i;

	for (c = 0; c < sizeof(classes) / sizeof(classes[0]); c++) {
		reset_guard();
		/* rate 1/s: no refill worth a message within the test */
		if (!set_guard("budget REGISTER 1 3\nbudget INVITE 1 3\n"
			       "budget OPTIONS 1 3\nbudget other 1 3\n"))
			return;
		for (i = 0; i < 3; i++) {
			snprintf(what, sizeof(what), "%.8s within burst (%d)",
				 classes[c].start, i + 1);
			expect_from(4, FIX_CLIENT4, classes[c].start, CALLID,
				    classes[c].action, classes[c].pass_stat,
				    what);
		}
		snprintf(what, sizeof(what), "%.8s over budget",
			 classes[c].start);
		expect_from(4, FIX_CLIENT4, classes[c].start, CALLID, XDP_DROP,
			    classes[c].drop_stat, what);
		/* Another source has buckets of its own. */
		expect_from(4, OTHER_CLIENT4, classes[c].start, CALLID,
			    classes[c].action, classes[c].pass_stat,
			    "another source, own bucket");
		/* Responses are never budgeted. */
		expect_from(4, FIX_CLIENT4, OK200, CALLID, STEERED,
			    "response from an over-budget source");
	}
	/* Spending INVITE leaves OPTIONS and REGISTER untouched. */
	reset_guard();
	set_guard("budget REGISTER 1 1\nbudget INVITE 1 1\n"
		  "budget OPTIONS 1 1\n");
	expect_from(4, FIX_CLIENT4, INVITE, CALLID, STEERED, "INVITE 1");
	expect_from(4, FIX_CLIENT4, INVITE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_BUDGET_INVITE, "INVITE 2");
	expect_from(4, FIX_CLIENT4, OPTIONS, CALLID, STEERED, "OPTIONS 1");
	expect_from(4, FIX_CLIENT4, REGISTER, CALLID, TO_REGISTRAR,
		    "REGISTER 1");
	expect_from(4, FIX_CLIENT4, BYE, CALLID, STEERED,
		    "other: no budget set, unlimited");
	expect_from(4, FIX_CLIENT4, BYE, CALLID, STEERED, "other, again");
	reset_guard();
}

/* Move a source's bucket `ns` into the past: as if that much time went by. */
static bool age_bucket(const char *addr, int cls, __u64 ns)
{
	struct siplb_addr key = { .family = SIPLB_AF_INET };
	struct siplb_budget b;

	inet_pton(AF_INET, addr, key.addr);
	if (!ASSERT_OK(bpf_map_lookup_elem(fix.maps.budgets, &key, &b),
		       "bucket exists"))
		return false;
	b.bucket[cls].stamp_ns -= ns;
	return ASSERT_OK(bpf_map_update_elem(fix.maps.budgets, &key, &b,
					     BPF_EXIST), "bucket aged");
}

TEST(guard_budget_refills_at_its_rate)
{
	int i;

	reset_guard();
	if (!set_guard("budget INVITE 2 4\n"))
		return;
	for (i = 0; i < 4; i++)
		expect_from(4, FIX_CLIENT4, INVITE, CALLID, STEERED, "burst");
	expect_from(4, FIX_CLIENT4, INVITE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_BUDGET_INVITE, "empty");
	/* Half a second at 2/s: exactly one message (plus the few
	 * microseconds the test takes, far from a second one). */
	if (!age_bucket(FIX_CLIENT4, SIPLB_METHOD_INVITE, 500000000ULL))
		return;
	expect_from(4, FIX_CLIENT4, INVITE, CALLID, STEERED, "one refilled");
	expect_from(4, FIX_CLIENT4, INVITE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_BUDGET_INVITE, "and only one");
	/* A long silence fills the bucket to its burst, no more. */
	if (!age_bucket(FIX_CLIENT4, SIPLB_METHOD_INVITE, 3600ULL * 1000000000))
		return;
	for (i = 0; i < 4; i++)
		expect_from(4, FIX_CLIENT4, INVITE, CALLID, STEERED,
			    "refilled to the burst");
	expect_from(4, FIX_CLIENT4, INVITE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_BUDGET_INVITE, "burst is the cap");
	/* Drops do not push the refill back: a flooder that keeps sending
	 * still gets its rate. */
	for (i = 0; i < 10; i++)
		expect_from(4, FIX_CLIENT4, INVITE, CALLID, XDP_DROP,
			    SIPLB_STAT_DROP_BUDGET_INVITE, "flooding");
	if (!age_bucket(FIX_CLIENT4, SIPLB_METHOD_INVITE, 1000000000ULL))
		return;
	expect_from(4, FIX_CLIENT4, INVITE, CALLID, STEERED,
		    "a second later, 2 tokens: 1");
	expect_from(4, FIX_CLIENT4, INVITE, CALLID, STEERED,
		    "a second later, 2 tokens: 2");
	expect_from(4, FIX_CLIENT4, INVITE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_BUDGET_INVITE, "a second later, no third");
	reset_guard();
}

static int count_buckets(void)
{
	struct siplb_addr key, next;
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(fix.maps.budgets, prev, &next) &&
	       n < 1000) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

/* IPv6 sources have buckets of their own, keyed by the whole address. */
TEST(guard_budget_ipv6)
{
	reset_guard();
	if (!set_guard("budget INVITE 1 2\nbudget REGISTER 1 1\n"))
		return;
	expect_from(6, FIX_CLIENT6, INVITE, CALLID, STEERED, "IPv6 INVITE 1");
	expect_from(6, FIX_CLIENT6, INVITE, CALLID, STEERED, "IPv6 INVITE 2");
	expect_from(6, FIX_CLIENT6, INVITE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_BUDGET_INVITE, "IPv6 INVITE over budget");
	expect_from(6, FIX_CLIENT6, REGISTER, CALLID, TO_REGISTRAR,
		    "IPv6 REGISTER");
	expect_from(6, FIX_CLIENT6, REGISTER, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_BUDGET_REGISTER, "IPv6 REGISTER over budget");
	expect_from(4, FIX_CLIENT4, INVITE, CALLID, STEERED,
		    "the IPv4 client is another source");
	ASSERT_EQ(count_buckets(), 2, "one bucket per source address");
	reset_guard();
}

static bool add_trunk(const char *prefix)
{
	char body[128];

	snprintf(body, sizeof(body), "budget INVITE 1 1\nstrict-dialogs on\n"
		 "trunk %s\n", prefix);
	return set_guard(body);
}

/* A registered source has its own budget (registered-budget), one bucket
 * for all its requests; trunks are still never limited. */
TEST(guard_registered_budget)
{
	int i;

	reset_guard();
	if (!set_guard("registered-budget 1 3\nbudget INVITE 1 1\n") ||
	    !register_source(4, FIX_CLIENT4))
		return;
	expect_from(4, FIX_CLIENT4, INVITE, CALLID, STEERED,
		    "registered: INVITE 1 (more than strangers get)");
	expect_from(4, FIX_CLIENT4, SUBSCRIBE, CALLID, STEERED,
		    "registered: SUBSCRIBE 2");
	expect_from(4, FIX_CLIENT4, REGISTER, CALLID, TO_REGISTRAR,
		    "registered: REGISTER 3");
	expect_from(4, FIX_CLIENT4, SUBSCRIBE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_BUDGET_REGISTERED,
		    "a runaway phone over its budget");
	expect_from(4, FIX_CLIENT4, OPTIONS, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_BUDGET_REGISTERED,
		    "one bucket for every method");
	expect_from(4, FIX_CLIENT4, OK200, CALLID, STEERED,
		    "its responses are never limited");
	/* One second at 1/s: one more request. */
	if (!age_bucket(FIX_CLIENT4, SIPLB_BUCKET_REGISTERED, 1000000000ULL))
		return;
	expect_from(4, FIX_CLIENT4, SUBSCRIBE, CALLID, STEERED,
		    "refilled at its rate");
	expect_from(4, FIX_CLIENT4, SUBSCRIBE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_BUDGET_REGISTERED, "and only one");
	/* A trunk prefix over the same address: unlimited again. */
	reset_guard();
	if (!set_guard("registered-budget 1 1\ntrunk 10.10.1.0/24\n") ||
	    !register_source(4, FIX_CLIENT4))
		return;
	for (i = 0; i < 3; i++)
		expect_from(4, FIX_CLIENT4, SUBSCRIBE, CALLID, STEERED,
			    "registered inside a trunk prefix: no limit");
	/* registered-budget alone turns the guard on, and strangers stay
	 * unlimited. */
	reset_guard();
	if (!set_guard("registered-budget 1 1\n"))
		return;
	for (i = 0; i < 3; i++)
		expect_from(4, OTHER_CLIENT4, SUBSCRIBE, CALLID, STEERED,
			    "unregistered, no class budget: unlimited");
	reset_guard();
}

/* With registered-budget off, registered sources and trunk prefixes are
 * never budgeted or refused. */
TEST(guard_registered_and_trunks_exempt)
{
	int i;

	reset_guard();
	if (!set_guard("budget INVITE 1 1\nbudget REGISTER 1 1\n") ||
	    !register_source(4, FIX_CLIENT4) || !register_source(6, FIX_CLIENT6))
		return;
	for (i = 0; i < 5; i++) {
		expect_from(4, FIX_CLIENT4, INVITE, CALLID, STEERED,
			    "registered IPv4 source");
		expect_from(6, FIX_CLIENT6, INVITE, CALLID, STEERED,
			    "registered IPv6 source");
		expect_from(4, FIX_CLIENT4, REGISTER, CALLID, TO_REGISTRAR,
			    "re-registration");
	}
	ASSERT_EQ(count_buckets(), 0, "registered sources get no bucket");
	expect_from(4, OTHER_CLIENT4, INVITE, CALLID, STEERED,
		    "unregistered neighbour: its one token");
	ASSERT_EQ(count_buckets(), 1, "the unregistered one has a bucket");
	expect_from(4, OTHER_CLIENT4, INVITE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_BUDGET_INVITE, "unregistered neighbour");

	reset_guard();
	if (!add_trunk("10.10.1.0/24"))
		return;
	for (i = 0; i < 5; i++)
		expect_from(4, OTHER_CLIENT4, INVITE, CALLID, STEERED,
			    "inside an IPv4 trunk prefix");
	expect_from(6, FIX_CLIENT6, INVITE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_STRICT, "IPv6, not a trunk");
	if (!add_trunk("fd00:1::/64"))
		return;
	expect_from(6, FIX_CLIENT6, INVITE, CALLID, STEERED,
		    "inside an IPv6 trunk prefix");
	/* The reload replaced 10.10.1.0/24: the old prefix is gone. */
	expect_from(4, OTHER_CLIENT4, INVITE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_STRICT, "old trunk removed on reload");
	if (!add_trunk("10.10.9.0/24"))
		return;
	expect_from(4, OTHER_CLIENT4, INVITE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_STRICT, "another prefix does not cover it");
	if (!add_trunk("10.10.1.3"))
		return;
	expect_from(4, OTHER_CLIENT4, INVITE, CALLID, STEERED,
		    "a single-address trunk");
	expect_from(4, FIX_CLIENT4, INVITE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_STRICT, "its neighbour is not one");
	reset_guard();
}

TEST(guard_strict_mode_refuses_dialogs_from_strangers)
{
	reset_guard();
	if (!set_guard("strict-dialogs on\n"))
		return;
	expect_from(4, FIX_CLIENT4, INVITE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_STRICT, "INVITE");
	expect_from(6, FIX_CLIENT6, INVITE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_STRICT, "INVITE over IPv6");
	expect_from(4, FIX_CLIENT4, SUBSCRIBE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_STRICT, "SUBSCRIBE");
	expect_from(4, FIX_CLIENT4, REFER, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_STRICT, "REFER");
	expect_from(4, FIX_CLIENT4, "\r\n" INVITE, CALLID, XDP_DROP,
		    SIPLB_STAT_DROP_STRICT, "INVITE behind a CRLF");
	/* What does not create a dialog still passes; a stranger must be
	 * able to register. */
	expect_from(4, FIX_CLIENT4, REGISTER, CALLID, TO_REGISTRAR, "REGISTER");
	expect_from(4, FIX_CLIENT4, OPTIONS, CALLID, STEERED, "OPTIONS");
	expect_from(4, FIX_CLIENT4, BYE, CALLID, STEERED, "BYE");
	expect_from(4, FIX_CLIENT4, MESSAGE, CALLID, STEERED, "MESSAGE");
	expect_from(4, FIX_CLIENT4, OK200, CALLID, STEERED, "200 OK");
	/* "INVITEX" and "SUBSCRIBER" are other methods. */
	expect_from(4, FIX_CLIENT4, "INVITEX sip:bob@example.com SIP/2.0",
		    CALLID, STEERED, "INVITEX is not INVITE");
	expect_from(4, FIX_CLIENT4, "SUBSCRIBER sip:bob@example.com SIP/2.0",
		    CALLID, STEERED, "SUBSCRIBER is not SUBSCRIBE");
	expect_from(4, FIX_CLIENT4, "invite sip:bob@example.com SIP/2.0",
		    CALLID, STEERED, "methods are case-sensitive");
	if (!register_source(4, FIX_CLIENT4))
		return;
	expect_from(4, FIX_CLIENT4, INVITE, CALLID, STEERED,
		    "INVITE once registered");
	expect_from(4, FIX_CLIENT4, SUBSCRIBE, CALLID, STEERED,
		    "SUBSCRIBE once registered");
	reset_guard();
}

static void send_keepalive(const char *bytes, size_t len, int stat,
			   const char *what)
{
	__u64 before[SIPLB_STAT_MAX], after[SIPLB_STAT_MAX];
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t flen = frame_from(frame, 4, FIX_CLIENT4, bytes, len);

	fixture_stats(&fix, before);
	if (!ASSERT_OK(fixture_run(&fix, fix.ifindex_client, frame, flen, 1,
				   &res), "run"))
		return;
	fixture_stats(&fix, after);
	ASSERT_EQ(res.action, XDP_PASS, what);
	ASSERT_EQ(after[stat] - before[stat], 1, what);
}

TEST(guard_never_touches_keepalives)
{
	reset_guard();
	if (!set_guard("strict-dialogs on\nbudget other 1 1\n"
		       "block-scanners on\n"))
		return;
	send_keepalive("\r\n\r\n", 4, SIPLB_STAT_PASS_KEEPALIVE, "CRLFCRLF");
	send_keepalive("\r\n\r\n", 4, SIPLB_STAT_PASS_KEEPALIVE, "again");
	send_keepalive("\r\n", 2, SIPLB_STAT_PASS_KEEPALIVE, "CRLF");
	reset_guard();
}

TEST(guard_scanner_user_agents)
{
	static const struct {
		const char *headers;
		bool dropped;
		const char *what;
	} cases[] = {
		{ CALLID "\r\nUser-Agent: friendly-scanner", true,
		  "SIPVicious' default" },
		{ CALLID "\r\nUser-Agent: sipvicious 0.3.4", true,
		  "a prefix" },
		{ CALLID "\r\nuser-agent:SIPCLI/v1.8", true,
		  "any case, no space" },
		{ CALLID "\r\nUSER-AGENT \t:  VaxSIPUserAgent/3.1", true,
		  "blanks around the colon" },
		{ "User-Agent: sundayddr\r\n" CALLID, true,
		  "before the Call-ID" },
		{ CALLID "\r\nUser-Agent: evil-dialer 1.0", true,
		  "a signature from the config" },
		{ CALLID "\r\nUser-Agent: Friendly", false,
		  "shorter than the signature" },
		{ CALLID "\r\nUser-Agent: Linphone/5.2 (friendly-scanner)",
		  false, "elsewhere in the value" },
		{ CALLID "\r\nX-User-Agent: friendly-scanner", false,
		  "another header's name" },
		{ CALLID "\r\nUser-Agents: friendly-scanner", false,
		  "a longer name" },
		{ CALLID "\r\nServer: friendly-scanner", false,
		  "another header" },
		{ CALLID "\r\nUser-Agent: Yealink SIP-T46S", false, "a phone" },
		{ CALLID "\r\nUser-Agent: sipp", false, "sipp" },
		{ CALLID "\r\nUser-Agent: Grandstream\r\n"
		  "User-Agent: friendly-scanner", false,
		  "only the first User-Agent counts" },
		{ CALLID "\r\nUpgrade: x\r\nUnsupported: y\r\n"
		  "User-Agent: iWar", true, "after other 'U' headers" },
	};
	size_t i;

	reset_guard();
	if (!set_guard("block-scanners on\nscanner evil-dialer\n"))
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].dropped)
			expect_from(4, FIX_CLIENT4, INVITE, cases[i].headers,
				    XDP_DROP, SIPLB_STAT_DROP_SCANNER,
				    cases[i].what);
		else
			expect_from(4, FIX_CLIENT4, INVITE, cases[i].headers,
				    STEERED, cases[i].what);
	}
	/* Any request, from anyone; never a response. */
	expect_from(4, FIX_CLIENT4, REGISTER,
		    CALLID "\r\nUser-Agent: friendly-scanner", XDP_DROP,
		    SIPLB_STAT_DROP_SCANNER, "REGISTER from a scanner");
	expect_from(4, FIX_CLIENT4, OPTIONS,
		    CALLID "\r\nUser-Agent: friendly-scanner", XDP_DROP,
		    SIPLB_STAT_DROP_SCANNER, "OPTIONS from a scanner");
	expect_from(4, FIX_CLIENT4, OK200,
		    CALLID "\r\nUser-Agent: friendly-scanner", STEERED,
		    "a response is not a scan");
	if (register_source(4, FIX_CLIENT4))
		expect_from(4, FIX_CLIENT4, INVITE,
			    CALLID "\r\nUser-Agent: friendly-scanner",
			    XDP_DROP, SIPLB_STAT_DROP_SCANNER,
			    "registered sources are not exempt");
	reset_guard();
}

/* A User-Agent in the body, after the empty line, is not a header. */
TEST(guard_scanner_not_in_body)
{
	const char *msg =
		"INVITE sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bK1\r\n"
		"Call-ID: body-ua\r\n"
		"CSeq: 1 INVITE\r\n"
		"Content-Length: 30\r\n"
		"\r\n"
		"User-Agent: friendly-scanner\r\n";
	__u64 before[SIPLB_STAT_MAX], after[SIPLB_STAT_MAX];
	__u8 frame[PKT_MAX];
	struct xdp_result res;
	size_t flen;

	reset_guard();
	if (!set_guard("block-scanners on\n"))
		return;
	flen = frame_from(frame, 4, FIX_CLIENT4, msg, strlen(msg));
	fixture_stats(&fix, before);
	if (ASSERT_OK(fixture_run(&fix, fix.ifindex_client, frame, flen, 1,
				  &res), "run")) {
		fixture_stats(&fix, after);
		ASSERT_EQ(res.action, XDP_REDIRECT, "steered");
		ASSERT_EQ(after[SIPLB_STAT_DROP_SCANNER] -
			  before[SIPLB_STAT_DROP_SCANNER], 0, "not a scanner");
	}
	reset_guard();
}

int main(int argc, char **argv)
{
	int err;

	testlib_require_root("BPF_PROG_TEST_RUN in a network namespace");

	err = fixture_setup(&fix);
	if (err) {
		fprintf(stderr, "test_guard: fixture setup failed: %s\n",
			strerror(-err));
		fixture_teardown(&fix);
		return 1;
	}
	err = testlib_main(argc, argv);
	fixture_teardown(&fix);
	return err;
}
