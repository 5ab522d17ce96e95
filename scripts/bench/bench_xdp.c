// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_xdp.c - what the XDP fast path costs per packet, and against what.
 *
 * For each of six UDP payloads (an INVITE with SDP, its 200 OK, the ACK, a
 * REGISTER, a 1400-byte message whose Call-ID is the last header, and
 * non-SIP bytes) it times the siplb program under BPF_PROG_TEST_RUN: the
 * kernel's mean nanoseconds per run over `repeat` runs, several times, and
 * the median of those. In the same process, on the same CPU, three
 * references:
 *
 *   floor   build/bench/bench_floor.bpf.o: parse Ethernet/IP/UDP, swap the
 *           addresses and ports, XDP_TX. The cheapest XDP forwarder.
 *   scan    build/bench/bench_scan.bpf.o: copy the UDP payload, run siplb's own
 *           scan (bpf/sip_scan.bpf.h) and hash the Call-ID it finds;
 *           none of siplb's maps, no rewrite, no FIB. The part of siplb
 *           that the native reference does, in BPF.
 *   native  native_find_and_hash(): the same Call-ID found in the same
 *           bytes with glibc's memchr/strncasecmp and hashed with the same
 *           siplb_callid_hash(). What a CPU does without the verifier.
 *
 * BPF_PROG_TEST_RUN runs the program `repeat` times on ONE buffer: what a
 * run writes, the next run reads. The siplb program rewrites the
 * destination to the chosen backend, so from the second run on a frame to
 * the fixture's VIP is "from a client to a backend" and takes the cheap
 * not-a-VIP path. The timed frames therefore go to a VIP of our own,
 * BENCH_VIP, whose one backend is BENCH_VIP:5060 itself, routed through a
 * resolved neighbour on the backend link: the rewrite (same arithmetic,
 * same stores) leaves the frame as it found it, and every run is the full
 * path -- scan, hash, affinity, rewrite, FIB lookup, redirect. Each timed
 * run is checked to have counted `repeat` packets under the expected
 * counter, and each message is first checked once against the fixture's
 * real VIP. The scan program never writes the frame; each of its runs is
 * checked to end as siplb's does (the Call-ID's hash, or the same counter).
 * A benchmark of the wrong path fails instead of printing.
 *
 * Two more rows time SIP cookies (bpf/cookie.bpf.h) with xdp-challenge on
 * for them only: a REGISTER answered with the 401 from XDP, and one whose
 * nonce XDP checks and passes up (see "the challenge rows" below).
 *
 * Usage: bench_xdp [--runs N] [--repeat N] [--iters N] [--kv]
 *                  [--floor-obj PATH] [--scan-obj PATH]      (as root)
 */
#include <errno.h>
#include <getopt.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cookie_apply.h"
#include "digest_policy.h"
#include "endpoint.h"
#include "lb_table.h"
#include "nonce.h"
#include "packet.h"
#include "siplb_hash.h"
#include "siplb.skel.h"
#include "lb_stats.h"
#include "xdp_fixture.h"

#define DEFAULT_RUNS	7
#define MAX_RUNS	31
#define DEFAULT_REPEAT	200000
#define DEFAULT_ITERS	1000000

#define BENCH_VIP	"10.10.0.20"	/* a VIP whose backend is itself */
#define BENCH_NEXT_HOP	"10.10.2.2"	/* a neighbour the fixture resolved */
#define CLIENT_PORT	5070

#define CALLID_CALL	"a84b4c76e66710@pc33.atlanta.example.com"
#define CALLID_REG	"843817637684230@998sdasdh09"
#define CALLID_LONG	"f81d4fae-7dec-11d0-a765-00a0c91e6bf6@10.10.1.2"

struct bench_opts {
	int runs;
	__u32 repeat;
	long iters;
	bool kv;
	char floor_obj[PATH_MAX];
	char scan_obj[PATH_MAX];
};

struct bench_case {
	const char *id;		/* for --kv */
	const char *label;	/* for the table */
	size_t (*build)(char *buf, size_t size);
	int want_action;
	int want_stat;		/* the counter every run must land in */
	const char *callid;	/* what native must find; NULL: nothing */

	char payload[PKT_MAX];
	size_t len;
	long callid_at;		/* offset of the Call-ID line; -1: none */
	__u8 frame[PKT_MAX];	/* to BENCH_VIP: what is timed */
	size_t frame_len;
	size_t l3_off, payload_off;
	double bpf_ns[MAX_RUNS];
	double scan_ns[MAX_RUNS];
	double native_ns[MAX_RUNS];
};

/* A reference program loaded next to the fixture's siplb. */
struct bench_prog {
	const char *name;	/* its XDP function */
	struct bpf_object *obj;
	int fd;
	int outcome_fd;		/* bench_scan's .bss (bench_outcome), or -1 */
};

/* A measured series: median, min and max of its runs. */
struct series {
	double med, min, max;
};

static volatile __u64 bench_sink;	/* keeps native results alive */

/* ---- the messages -------------------------------------------------------- */

/* headers (each ending CRLF), Content-Length, the empty line, body. */
static size_t sip_message(char *buf, size_t size, const char *headers,
			  const char *body)
{
	int n = snprintf(buf, size, "%sContent-Length: %zu\r\n\r\n%s", headers,
			 strlen(body), body);

	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

static const char sdp_offer[] =
	"v=0\r\n"
	"o=alice 2890844526 2890844526 IN IP4 10.10.1.2\r\n"
	"s=-\r\n"
	"c=IN IP4 10.10.1.2\r\n"
	"t=0 0\r\n"
	"m=audio 49170 RTP/AVP 0 8 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-16\r\n";

static const char sdp_answer[] =
	"v=0\r\n"
	"o=bob 2808844564 2808844564 IN IP4 10.10.2.2\r\n"
	"s=-\r\n"
	"c=IN IP4 10.10.2.2\r\n"
	"t=0 0\r\n"
	"m=audio 3456 RTP/AVP 0 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-16\r\n";

/* The typical call set-up: Via, Max-Forwards, From, To, then the Call-ID
 * about 230 bytes in, then the rest of the headers and an SDP offer. */
static size_t build_invite(char *buf, size_t size)
{
	return sip_message(buf, size,
		"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bK776asdhds;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
		"To: \"Bob\" <sip:bob@biloxi.example.com>\r\n"
		"Call-ID: " CALLID_CALL "\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Contact: <sip:alice@10.10.1.2:5070;transport=udp>\r\n"
		"Content-Type: application/sdp\r\n",
		sdp_offer);
}

static size_t build_ok(char *buf, size_t size)
{
	return sip_message(buf, size,
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bK776asdhds;rport=5070;received=10.10.1.2\r\n"
		"From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
		"To: \"Bob\" <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
		"Call-ID: " CALLID_CALL "\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Contact: <sip:bob@10.10.2.2:5060;transport=udp>\r\n"
		"Content-Type: application/sdp\r\n",
		sdp_answer);
}

static size_t build_ack(char *buf, size_t size)
{
	return sip_message(buf, size,
		"ACK sip:bob@10.10.2.2:5060;transport=udp SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKnashds8;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
		"To: \"Bob\" <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
		"Call-ID: " CALLID_CALL "\r\n"
		"CSeq: 314159 ACK\r\n",
		"");
}

static size_t build_register(char *buf, size_t size)
{
	return sip_message(buf, size,
		"REGISTER sip:registrar.biloxi.example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bKnashds7;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: Bob <sip:bob@biloxi.example.com>;tag=a73kszlfl\r\n"
		"To: Bob <sip:bob@biloxi.example.com>\r\n"
		"Call-ID: " CALLID_REG "\r\n"
		"CSeq: 1826 REGISTER\r\n"
		"Contact: <sip:bob@10.10.1.2:5070;transport=udp>;expires=3600\r\n"
		"User-Agent: softphone/2.4.1\r\n",
		"");
}

/*
 * 1400 bytes of headers, as an INVITE (offerless) looks after a few
 * proxies, with the Call-ID as the very last header: the most scanning a
 * message in one datagram asks for. One trace header makes up the size.
 */
#define LONG_TOTAL 1400
static size_t build_long(char *buf, size_t size)
{
	static const char head[] =
		"INVITE sip:+15551234567@biloxi.example.com;user=phone SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---77ba8c1a7e2bd95c;rport\r\n"
		"Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-d8754z-5ad8a1b2c3d4e5f6;received=192.0.2.20\r\n"
		"Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bK776asdhds;rport=5070;received=10.10.1.2\r\n"
		"Max-Forwards: 67\r\n"
		"Record-Route: <sip:192.0.2.10;lr;ftag=1928301774;did=7c3.a2b1>\r\n"
		"Record-Route: <sip:192.0.2.20;transport=udp;lr;r2=on>\r\n"
		"From: \"Alice Example\" <sip:+15557654321@atlanta.example.com;user=phone>;tag=1928301774\r\n"
		"To: <sip:+15551234567@biloxi.example.com;user=phone>\r\n"
		"CSeq: 102 INVITE\r\n"
		"Contact: <sip:alice@10.10.1.2:5070;transport=udp>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\"\r\n"
		"P-Asserted-Identity: \"Alice Example\" <sip:+15557654321@atlanta.example.com;user=phone>\r\n"
		"P-Charging-Vector: icid-value=AyretyU0dm+6O2IrT5tAFrbHLso=;icid-generated-at=192.0.2.10;orig-ioi=atlanta.example.com\r\n"
		"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, REFER, NOTIFY, MESSAGE\r\n"
		"Supported: 100rel, timer, replaces, norefersub\r\n"
		"Session-Expires: 1800;refresher=uac\r\n"
		"Min-SE: 90\r\n"
		"Accept: application/sdp, application/dtmf-relay\r\n"
		"User-Agent: softphone/2.4.1 (x86_64-linux-gnu)\r\n";
	static const char tail[] = "Content-Length: 0\r\nCall-ID: " CALLID_LONG
				   "\r\n\r\n";
	static const char trace[] = "X-Trace-Context: ";
	size_t hl = strlen(head), tl = strlen(tail), pad;

	if (size <= LONG_TOTAL || hl + strlen(trace) + 2 + tl >= LONG_TOTAL)
		return 0;
	pad = LONG_TOTAL - hl - tl - strlen(trace) - 2;
	memcpy(buf, head, hl);
	memcpy(buf + hl, trace, strlen(trace));
	hl += strlen(trace);
	for (; pad > 0; pad--, hl++)
		buf[hl] = "0123456789abcdef"[hl % 16];
	memcpy(buf + hl, "\r\n", 2);
	memcpy(buf + hl + 2, tail, tl);
	return hl + 2 + tl;
}

/* 200 bytes that are not SIP: an RTP packet, as stray media would be. */
static size_t build_junk(char *buf, size_t size)
{
	__u32 x = 0x12345678;
	size_t i, n = 200;

	if (size < n)
		return 0;
	buf[0] = (char)0x80;	/* RTP v2 */
	buf[1] = 0;		/* PCMU */
	for (i = 2; i < n; i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (char)(x >> 24);
	}
	return n;
}

#define CASE(id_, label_, build_, action_, stat_, callid_)                    \
	{ .id = (id_), .label = (label_), .build = (build_),                  \
	  .want_action = (action_), .want_stat = SIPLB_STAT_##stat_,          \
	  .callid = (callid_) }

static struct bench_case cases[] = {
	CASE("invite", "INVITE (SDP offer)", build_invite, XDP_REDIRECT,
	     STEER_REDIRECT, CALLID_CALL),
	CASE("ok", "200 OK (SDP answer)", build_ok, XDP_REDIRECT,
	     STEER_REDIRECT, CALLID_CALL),
	CASE("ack", "ACK", build_ack, XDP_REDIRECT, STEER_REDIRECT,
	     CALLID_CALL),
	CASE("register", "REGISTER (passed up)", build_register, XDP_PASS,
	     PASS_REGISTER, CALLID_REG),
	CASE("long", "1400 B, Call-ID last", build_long, XDP_REDIRECT,
	     STEER_REDIRECT, CALLID_LONG),
	CASE("not_sip", "non-SIP UDP (dropped)", build_junk, XDP_DROP,
	     DROP_NOT_SIP, NULL),
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* ---- the native reference ------------------------------------------------ */

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether the header line [line, eol) is the Call-ID; its value if so. */
static bool callid_line(const char *line, const char *eol, const char **val,
			size_t *vlen)
{
	size_t n = eol - line;
	const char *p, *end;

	if (n >= 7 && strncasecmp(line, "Call-ID", 7) == 0)
		p = line + 7;
	else if (n >= 1 && strncasecmp(line, "i", 1) == 0)
		p = line + 1;
	else
		return false;
	while (p < eol && is_ws(*p))
		p++;
	if (p == eol || *p != ':')	/* "Identity:", "Call-Info:" */
		return false;
	p++;
	while (p < eol && is_ws(*p))
		p++;
	end = eol;
	while (end > p && (end[-1] == '\r' || is_ws(end[-1])))
		end--;
	*val = p;
	*vlen = end - p;
	return true;
}

/*
 * The Call-ID value in msg[0..len), found as a plain C parser would: skip
 * the start line, walk the header lines with memchr, stop at the empty one.
 */
static int native_find_callid(const char *msg, size_t len, const char **val,
			      size_t *vlen)
{
	const char *p = msg, *end = msg + len, *nl;

	nl = memchr(p, '\n', len);
	if (!nl)
		return -ENOENT;
	for (p = nl + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		if (!nl || nl == p || (nl == p + 1 && *p == '\r'))
			return -ENOENT;	/* no line end, or end of headers */
		if (callid_line(p, nl, val, vlen))
			return *vlen ? 0 : -ENOENT;
	}
	return -ENOENT;
}

/* Find the Call-ID and hash it as the XDP program does. Returns 0 or
 * -ENOENT. noinline: timed as the call a parser would make. */
__attribute__((noinline)) static int
native_find_and_hash(const __u8 *payload, size_t len, const __u64 key[2],
		     __u64 *hash)
{
	const char *val;
	size_t vlen;

	if (native_find_callid((const char *)payload, len, &val, &vlen))
		return -ENOENT;
	*hash = siplb_callid_hash((const __u8 *)val, vlen, key);
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double native_ns_per_call(const __u8 *payload, size_t len, long iters)
{
	const __u8 *p = payload;
	double t0, t1;
	__u64 h = 0;
	long i;

	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		/* The compiler may not assume the bytes or the pointer are
		 * the same as last time, so it cannot hoist the work. */
		__asm__ volatile("" : "+r"(p) : : "memory");
		if (native_find_and_hash(p, len, fix_hash_key, &h) == 0)
			bench_sink += h;
	}
	t1 = now_ns();
	return (t1 - t0) / iters;
}

/* Before timing: native finds exactly the Call-ID it should. */
static int native_check(const struct bench_case *c)
{
	const char *val = NULL;
	size_t vlen = 0;
	int err = native_find_callid(c->payload, c->len, &val, &vlen);

	if (!c->callid && err == -ENOENT)
		return 0;
	if (c->callid && !err && vlen == strlen(c->callid) &&
	    memcmp(val, c->callid, vlen) == 0)
		return 0;
	fprintf(stderr, "bench_xdp: %s: native reference found %s%.*s%s, "
		"expected %s\n", c->id, err ? "no Call-ID" : "\"",
		err ? 0 : (int)vlen, err ? "" : val, err ? "" : "\"",
		c->callid ? c->callid : "none");
	return -EINVAL;
}

/* ---- the BPF programs ---------------------------------------------------- */

static const char *action_name(int action)
{
	static const char *const names[] = {
		"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT",
	};

	if (action >= 0 && action < (int)(sizeof(names) / sizeof(names[0])))
		return names[action];
	return "XDP_?";
}

static int prepare_case(struct bench_case *c)
{
	struct pkt_spec spec = {
		.family = 4,
		.src = FIX_CLIENT4,
		.dst = BENCH_VIP,
		.sport = CLIENT_PORT,
		.dport = FIX_SIP_PORT,
	};
	struct pkt_view view;
	const char *at;

	c->len = c->build(c->payload, sizeof(c->payload) - 1);
	if (c->len == 0) {
		fprintf(stderr, "bench_xdp: %s: message does not fit\n", c->id);
		return -EOVERFLOW;
	}
	c->payload[c->len] = '\0';	/* for strstr; not part of the frame */
	at = c->callid ? strstr(c->payload, "\r\nCall-ID:") : NULL;
	c->callid_at = at ? at + 2 - c->payload : -1;

	spec.payload = c->payload;
	spec.len = c->len;
	c->frame_len = pkt_build(&spec, c->frame, sizeof(c->frame));
	if (!c->frame_len || !pkt_parse(c->frame, c->frame_len, &view)) {
		fprintf(stderr, "bench_xdp: %s: could not build the frame\n",
			c->id);
		return -EOVERFLOW;
	}
	c->l3_off = view.l3_off;
	c->payload_off = view.payload_off;
	return native_check(c);
}

/*
 * BENCH_VIP -> backend BENCH_VIP:5060 via BENCH_NEXT_HOP. Steering a frame
 * to BENCH_VIP rewrites its destination to the same endpoint, so every
 * BPF_PROG_TEST_RUN repetition sees the frame the first one saw.
 */
static int add_bench_vip(const struct xdp_fixture *fix)
{
	struct siplb_endpoint vip;
	int err;

	if (system("ip route add " BENCH_VIP "/32 via " BENCH_NEXT_HOP
		   " dev " FIX_DEV_BACKEND) != 0) {
		fprintf(stderr, "bench_xdp: could not add the route to %s\n",
			BENCH_VIP);
		return -EIO;
	}
	err = fixture_endpoint(BENCH_VIP, FIX_SIP_PORT, &vip);
	if (!err)
		err = lb_vip_add(&fix->maps, &vip);
	if (!err)
		err = lb_backend_add(&fix->maps, &vip, &vip, 1);
	if (err)
		fprintf(stderr, "bench_xdp: VIP %s: %s\n", BENCH_VIP,
			strerror(-err));
	return err;
}

/* Each message, once, to the fixture's real VIP: the verdict we expect. */
static int check_real_vip(const struct xdp_fixture *fix,
			  const struct bench_case *c)
{
	static struct xdp_result res;
	struct pkt_spec spec = {
		.family = 4,
		.src = FIX_CLIENT4,
		.dst = FIX_VIP4,
		.sport = CLIENT_PORT,
		.dport = FIX_SIP_PORT,
		.payload = c->payload,
		.len = c->len,
	};
	__u8 frame[PKT_MAX];
	size_t len = pkt_build(&spec, frame, sizeof(frame));
	int err = fixture_run(fix, fix->ifindex_client, frame, len, 1, &res);

	if (err) {
		fprintf(stderr, "bench_xdp: %s: BPF_PROG_TEST_RUN: %s\n", c->id,
			strerror(-err));
		return err;
	}
	if (res.action != c->want_action) {
		fprintf(stderr, "bench_xdp: %s to %s: verdict %s, expected %s\n",
			c->id, FIX_VIP4, action_name(res.action),
			action_name(c->want_action));
		return -EINVAL;
	}
	return 0;
}

/*
 * One timed run of the siplb program. Every one of the `repeat` packets
 * must have been counted under want_stat, and a steered frame must come
 * out as it went in from the IP header on (else the runs differed).
 */
static int time_siplb(const struct xdp_fixture *fix, struct bench_case *c,
		      __u32 repeat, double *ns)
{
	static struct xdp_result res;
	__u64 before[SIPLB_STAT_MAX], after[SIPLB_STAT_MAX], total = 0;
	size_t l3 = c->l3_off;	/* MACs change: the next hop's */
	int err, i;

	err = fixture_stats(fix, before);
	if (!err)
		err = fixture_run(fix, fix->ifindex_client, c->frame,
				  c->frame_len, repeat, &res);
	if (!err)
		err = fixture_stats(fix, after);
	if (err) {
		fprintf(stderr, "bench_xdp: %s: %s\n", c->id, strerror(-err));
		return err;
	}
	for (i = 0; i < SIPLB_STAT_MAX; i++)
		total += after[i] - before[i];
	if (res.action != c->want_action ||
	    after[c->want_stat] - before[c->want_stat] != repeat ||
	    total != repeat) {
		fprintf(stderr, "bench_xdp: %s: %llu of %u packets counted as "
			"%s (%llu counted in all), last verdict %s, "
			"expected %s\n", c->id,
			(unsigned long long)(after[c->want_stat] -
					     before[c->want_stat]),
			repeat, siplb_stat_names[c->want_stat],
			(unsigned long long)total, action_name(res.action),
			action_name(c->want_action));
		return -EINVAL;
	}
	if (res.out_len != c->frame_len ||
	    memcmp(res.out + l3, c->frame + l3, c->frame_len - l3) != 0) {
		fprintf(stderr, "bench_xdp: %s: the frame changed between "
			"runs; the timing would mix paths\n", c->id);
		return -EINVAL;
	}
	*ns = res.duration_ns;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/*
 * Open, prepare and load a reference program. Maps pinned by name are the
 * product's (bench_scan.bpf.c has them through maps.bpf.h for struct
 * scratch): none is created or pinned, so a siplb running on this host is
 * never touched. The one .rodata (bench_scan's hash key) gets the
 * fixture's key; the one .bss is where bench_scan leaves its outcome.
 */
static int bench_prog_load(const char *path, struct bench_prog *bp)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	const char *name;
	int err;

	bp->outcome_fd = -1;
	bp->obj = bpf_object__open_file(path, NULL);
	if (!bp->obj) {
		err = -errno;
		fprintf(stderr, "bench_xdp: open %s: %s (run make)\n", path,
			strerror(-err));
		return err;
	}
	bpf_object__for_each_map(map, bp->obj) {
		name = bpf_map__name(map);
		if (bpf_map__pin_path(map)) {
			bpf_map__set_autocreate(map, false);
			bpf_map__set_pin_path(map, NULL);
		} else if (ends_with(name, ".rodata") &&
			   bpf_map__set_initial_value(map, fix_hash_key,
						      sizeof(fix_hash_key))) {
			fprintf(stderr, "bench_xdp: %s: %s is not the hash "
				"key\n", path, name);
			return -EINVAL;
		}
	}
	err = bpf_object__load(bp->obj);
	if (err) {
		fprintf(stderr, "bench_xdp: load %s: %s\n", path,
			strerror(-err));
		return err;
	}
	prog = bpf_object__find_program_by_name(bp->obj, bp->name);
	if (!prog) {
		fprintf(stderr, "bench_xdp: %s has no %s\n", path, bp->name);
		return -ENOENT;
	}
	bp->fd = bpf_program__fd(prog);
	bpf_object__for_each_map(map, bp->obj) {
		if (ends_with(bpf_map__name(map), ".bss") &&
		    bpf_map__value_size(map) == sizeof(__u64))
			bp->outcome_fd = bpf_map__fd(map);
	}
	return 0;
}

/* One timed run of the floor program; it must answer XDP_TX. */
static int time_floor(const struct bench_prog *floor, int ifindex,
		      const struct bench_case *c, __u32 repeat, double *ns)
{
	static __u8 out[PKT_MAX];
	struct xdp_md ctx = {
		.data_end = c->frame_len,
		.ingress_ifindex = ifindex,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = c->frame,
		    .data_size_in = c->frame_len,
		    .data_out = out,
		    .data_size_out = sizeof(out),
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = repeat);

	int err;

	if (bpf_prog_test_run_opts(floor->fd, &opts)) {
		err = -errno;
		fprintf(stderr, "bench_xdp: floor: BPF_PROG_TEST_RUN: %s\n",
			strerror(-err));
		return err;
	}
	if (opts.retval != XDP_TX) {
		fprintf(stderr, "bench_xdp: floor: verdict %s, expected "
			"XDP_TX\n", action_name(opts.retval));
		return -EINVAL;
	}
	*ns = opts.duration;
	return 0;
}

/*
 * One timed run of the scan program on the case's frame. It must end as
 * siplb does: a steered message with the hash of exactly its Call-ID
 * (XDP_PASS), any other with siplb's counter (XDP_DROP).
 */
static int time_scan(const struct bench_prog *scan, int ifindex,
		     const struct bench_case *c, __u32 repeat, double *ns)
{
	struct xdp_md ctx = {
		.data_end = c->frame_len,
		.ingress_ifindex = ifindex,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = c->frame,
		    .data_size_in = c->frame_len,
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = repeat);
	bool steered = c->want_action == XDP_REDIRECT;
	__u64 outcome = 0, want;
	__u32 zero = 0;
	int err;

	want = steered ? siplb_callid_hash((const __u8 *)c->callid,
					   strlen(c->callid), fix_hash_key) :
			 (__u64)c->want_stat;
	if (bpf_prog_test_run_opts(scan->fd, &opts) ||
	    bpf_map_lookup_elem(scan->outcome_fd, &zero, &outcome)) {
		err = -errno;
		fprintf(stderr, "bench_xdp: %s: scan: %s\n", c->id,
			strerror(-err));
		return err;
	}
	if (opts.retval != (steered ? XDP_PASS : XDP_DROP) ||
	    outcome != want) {
		fprintf(stderr, "bench_xdp: %s: scan: verdict %s, outcome "
			"%#llx; expected %s, %#llx (%s)\n", c->id,
			action_name(opts.retval), (unsigned long long)outcome,
			action_name(steered ? XDP_PASS : XDP_DROP),
			(unsigned long long)want,
			steered ? "hash of the Call-ID" :
				  siplb_stat_names[c->want_stat]);
		return -EINVAL;
	}
	*ns = opts.duration;
	return 0;
}

/* ---- measuring and reporting --------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct series summarize(const double *v, int n)
{
	double s[MAX_RUNS];
	struct series r;

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	r.min = s[0];
	r.max = s[n - 1];
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return r;
}

/* ---- the challenge rows (SIP cookies, bpf/cookie.bpf.h) ------------------ */

/*
 * Two rows with xdp-challenge on, for the REGISTER above sent to the
 * fixture's VIP: answered with the 401 (siplb_xdp, then the tail-called
 * siplb_cookie_xdp), and the same REGISTER with Authorization whose nonce
 * XDP checks and passes up. The 401 rewrites the test run's one buffer
 * into an answer, so its runs cannot repeat: each of CK_CALLS test runs
 * has repeat=1 and its kernel time is averaged (that time includes the
 * kernel's clock reads around one run, a few tens of ns). The nonce row
 * leaves the frame as it was and repeats as the other rows do.
 */
#define CK_CALLS	2000
#define CK_REALM	"example.com"
#define CK_LIFETIME	300

struct ck_case {
	const char *id, *label;
	int want_action, want_stat;
	bool single;		/* repeat=1, CK_CALLS times */
	__u8 frame[PKT_MAX];
	size_t frame_len, len;
	double ns[MAX_RUNS];
};

static struct ck_case ck_cases[] = {
	{ .id = "register_401", .label = "REGISTER, 401 from XDP",
	  .want_action = XDP_TX, .want_stat = SIPLB_STAT_COOKIE_401,
	  .single = true },
	{ .id = "register_auth", .label = "REGISTER+Auth, nonce ok",
	  .want_action = XDP_PASS, .want_stat = SIPLB_STAT_PASS_COOKIE_VALID },
};
#define CK_NCASES (sizeof(ck_cases) / sizeof(ck_cases[0]))

static struct nonce_issuer *ck_issuer;
static struct digest_policy ck_policy;

static int ck_set(const struct xdp_fixture *fix, bool enabled)
{
	struct cookie_conf cc = {
		.enabled = enabled,
		.realm = CK_REALM,
		.policy = &ck_policy,
		.lifetime_s = CK_LIFETIME,
		.nonces = ck_issuer,
	};
	struct siplb_cookie v;
	int err = cookie_build(&cc, &v);

	return err ?: cookie_apply(bpf_map__fd(fix->skel->maps.siplb_cookie),
				   &v);
}

static size_t ck_frame(__u8 *frame, const char *payload, size_t len)
{
	struct pkt_spec spec = {
		.family = 4,
		.src = FIX_CLIENT4,
		.dst = FIX_VIP4,
		.sport = CLIENT_PORT,
		.dport = FIX_SIP_PORT,
		.payload = payload,
		.len = len,
	};

	return pkt_build(&spec, frame, PKT_MAX);
}

/* The REGISTER of the table, and the same with credentials. 0 or -errno. */
static int ck_prepare(void)
{
	static const uint8_t secret[NONCE_SECRET_LEN] = { 9, 8, 7, 6, 5 };
	char reg[PKT_MAX], auth[PKT_MAX], nonce[NONCE_STR_SIZE];
	struct siplb_endpoint ep;
	struct siplb_addr src;
	struct timespec ts;
	size_t len = build_register(reg, sizeof(reg));
	char *end = strstr(reg, "Content-Length:");
	int err;

	digest_policy_init(&ck_policy);
	err = nonce_issuer_new(&ck_issuer);
	err = err ?: nonce_issuer_set_secret(ck_issuer, secret,
					     sizeof(secret));
	err = err ?: fixture_endpoint(FIX_CLIENT4, CLIENT_PORT, &ep);
	if (err || !len || !end)
		return err ?: -EINVAL;
	endpoint_addr(&ep, &src);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	err = nonce_make(ck_issuer, CK_REALM, strlen(CK_REALM), &src,
			 sizeof(src), ts.tv_sec, nonce);
	if (err)
		return err;
	snprintf(auth, sizeof(auth), "%.*sAuthorization: Digest "
		 "username=\"bob\", realm=\"" CK_REALM "\", nonce=\"%s\", "
		 "uri=\"sip:" CK_REALM "\", response=\"0123456789abcdef"
		 "0123456789abcdef\", algorithm=MD5\r\n%s",
		 (int)(end - reg), reg, nonce, end);
	ck_cases[0].len = len;
	ck_cases[0].frame_len = ck_frame(ck_cases[0].frame, reg, len);
	ck_cases[1].len = strlen(auth);
	ck_cases[1].frame_len = ck_frame(ck_cases[1].frame, auth,
					 ck_cases[1].len);
	return ck_cases[0].frame_len && ck_cases[1].frame_len ? 0 : -EINVAL;
}

/* One test run of c, checked: its verdict, and every packet under its
 * counter. *ns: the kernel's mean per packet. */
static int ck_run(const struct xdp_fixture *fix, const struct ck_case *c,
		  __u32 repeat, double *ns)
{
	static struct xdp_result res;
	__u64 before[SIPLB_STAT_MAX], after[SIPLB_STAT_MAX];
	int err;

	err = fixture_stats(fix, before);
	err = err ?: fixture_run(fix, fix->ifindex_client, c->frame,
				 c->frame_len, repeat, &res);
	err = err ?: fixture_stats(fix, after);
	if (err)
		return err;
	if (res.action != c->want_action ||
	    after[c->want_stat] - before[c->want_stat] != repeat) {
		fprintf(stderr, "bench_xdp: %s: verdict %s, %llu of %u "
			"counted as %s\n", c->id, action_name(res.action),
			(unsigned long long)(after[c->want_stat] -
					     before[c->want_stat]),
			repeat, siplb_stat_names[c->want_stat]);
		return -EINVAL;
	}
	*ns = res.duration_ns;
	return 0;
}

static int ck_time(const struct xdp_fixture *fix, struct ck_case *c,
		   __u32 repeat, double *ns)
{
	double sum = 0, one;
	int i, err;

	if (!c->single)
		return ck_run(fix, c, repeat, ns);
	for (i = 0; i < CK_CALLS; i++) {
		err = ck_run(fix, c, 1, &one);
		if (err)
			return err;
		sum += one;
	}
	*ns = sum / CK_CALLS;
	return 0;
}

/* Run r of the challenge rows: the challenge on only for them. */
static int ck_measure(const struct xdp_fixture *fix,
		      const struct bench_opts *o, int r)
{
	size_t i;
	int err = ck_set(fix, true);

	for (i = 0; !err && i < CK_NCASES; i++)
		err = ck_time(fix, &ck_cases[i], o->repeat, &ck_cases[i].ns[r]);
	if (err)
		fprintf(stderr, "bench_xdp: challenge rows: %s\n",
			strerror(-err));
	return ck_set(fix, false) ?: err;
}

static void ck_print(const struct bench_opts *o)
{
	size_t i;

	if (!o->kv)
		printf("\nSIP cookies (xdp-challenge on; to VIP %s; siplb_xdp + "
		       "siplb_cookie_xdp):\n\n| message                 | "
		       "payload B | verdict  | ns [min-max]       | runs of |\n"
		       "|-------------------------|----------:|----------|"
		       "-------------------:|--------:|\n", FIX_VIP4);
	for (i = 0; i < CK_NCASES; i++) {
		const struct ck_case *c = &ck_cases[i];
		struct series s = summarize(c->ns, o->runs);
		char range[40];

		if (o->kv) {
			printf("case=%s payload_bytes=%zu verdict=%s "
			       "siplb_ns=%.0f siplb_min=%.0f siplb_max=%.0f\n",
			       c->id, c->len, action_name(c->want_action),
			       s.med, s.min, s.max);
			continue;
		}
		snprintf(range, sizeof(range), "%.0f [%.0f-%.0f]", s.med,
			 s.min, s.max);
		printf("| %-23s | %9zu | %-8s | %18s | %7s |\n", c->label,
		       c->len, action_name(c->want_action), range,
		       c->single ? "1 x 2000" : "repeat");
	}
}

/* Runs outermost, so that a slow spell of the machine touches every case. */
static int measure(const struct xdp_fixture *fix,
		   const struct bench_prog *floor, const struct bench_prog *scan,
		   const struct bench_opts *o, double *floor_ns)
{
	size_t i;
	int r, err;

	for (r = 0; r < o->runs; r++) {
		for (i = 0; i < NCASES; i++) {
			struct bench_case *c = &cases[i];

			err = time_siplb(fix, c, o->repeat, &c->bpf_ns[r]);
			if (!err)
				err = time_scan(scan, fix->ifindex_client, c,
						o->repeat, &c->scan_ns[r]);
			if (err)
				return err;
			c->native_ns[r] = native_ns_per_call(
				c->frame + c->payload_off, c->len, o->iters);
		}
		err = time_floor(floor, fix->ifindex_client, &cases[0],
				 o->repeat, &floor_ns[r]);
		err = err ?: ck_measure(fix, o, r);
		if (err)
			return err;
	}
	return 0;
}

static void cpu_model(char *buf, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256], *v;

	snprintf(buf, size, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) != 0)
			continue;
		v = strchr(line, ':');
		if (v) {
			v += strspn(v + 1, " \t") + 1;
			v[strcspn(v, "\n")] = '\0';
			snprintf(buf, size, "%s", v);
		}
		break;
	}
	fclose(f);
}

/* Whether the kernel JIT-compiled the program (the sysctl that says so
 * is not visible inside the fixture's network namespace). */
static bool prog_jited(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(prog_fd, &info, &len) == 0 &&
	       info.jited_prog_len > 0;
}

static void print_header(const struct bench_opts *o, int cpu, bool jited)
{
	struct utsname u;
	char model[128], pinned[32] = "not pinned";

	uname(&u);
	cpu_model(model, sizeof(model));
	if (cpu >= 0)
		snprintf(pinned, sizeof(pinned), "pinned to CPU %d", cpu);
	printf("siplb XDP fast path: ns per packet\n\n");
	printf("- siplb, scan+hash, floor: BPF_PROG_TEST_RUN, the kernel's "
	       "mean ns per run over\n  repeat=%u; %d runs, median [min-max]. "
	       "Frames: Ethernet/IPv4/UDP\n  %s:%d -> VIP %s:%d.\n",
	       o->repeat, o->runs, FIX_CLIENT4, CLIENT_PORT, BENCH_VIP,
	       FIX_SIP_PORT);
	printf("- The VIP's one backend is the VIP itself, routed via %s: "
	       "the rewrite leaves\n  the frame as it was, so every repetition "
	       "takes the full path (the test run\n  reuses one buffer). Each "
	       "run is checked to count all %u packets as expected.\n",
	       BENCH_NEXT_HOP, o->repeat);
	printf("- Steady state of a known call: its affinity entry is found "
	       "(no Maglev lookup,\n  no LRU insert).\n");
	printf("- scan+hash: build/bench/bench_scan.bpf.o on the same frames: the "
	       "payload copy, siplb's\n  scan (bpf/sip_scan.bpf.h) and the "
	       "SipHash of the Call-ID; none of siplb's maps,\n  no rewrite, no "
	       "FIB. Each run is checked to end with the Call-ID's hash, or\n"
	       "  siplb's counter. The work of the native column, in BPF.\n");
	printf("- floor: build/bench/bench_floor.bpf.o on the INVITE frame (parse, "
	       "swap MAC/IP/port, XDP_TX).\n");
	printf("- native: memchr/strncasecmp + siplb_callid_hash() on the "
	       "same payload bytes,\n  %ld calls per run, %d runs, median "
	       "(gcc %s, glibc %s).\n",
	       o->iters, o->runs, __VERSION__, gnu_get_libc_version());
	printf("- Kernel %s %s (%s), BPF JIT %s; CPU %s, %ld online, %s.\n\n",
	       u.sysname, u.release, u.machine, jited ? "on" : "off", model,
	       sysconf(_SC_NPROCESSORS_ONLN), pinned);
}

static void print_table(const struct bench_opts *o, const double *floor_ns)
{
	struct series f = summarize(floor_ns, o->runs), inv_b, inv_s, inv_n;
	char range[40];
	size_t i;

	printf("| message                 | payload B | Call-ID at | "
	       "verdict      | siplb ns [min-max] | scan+hash ns | native ns "
	       "| siplb/native | scan+hash/native | (siplb-floor)/native |\n");
	printf("|-------------------------|----------:|-----------:|"
	       "--------------|-------------------:|-------------:|----------:"
	       "|-------------:|-----------------:|---------------------:|\n");
	for (i = 0; i < NCASES; i++) {
		const struct bench_case *c = &cases[i];
		struct series b = summarize(c->bpf_ns, o->runs);
		struct series sc = summarize(c->scan_ns, o->runs);
		struct series n = summarize(c->native_ns, o->runs);
		char at[24];

		if (c->callid_at >= 0)
			snprintf(at, sizeof(at), "%ld", c->callid_at);
		else
			snprintf(at, sizeof(at), "-");
		snprintf(range, sizeof(range), "%.0f [%.0f-%.0f]", b.med,
			 b.min, b.max);
		printf("| %-23s | %9zu | %10s | %-12s | %18s | %12.0f | "
		       "%9.1f | %12.2f | %16.2f | %20.2f |\n", c->label, c->len,
		       at, action_name(c->want_action), range, sc.med, n.med,
		       b.med / n.med, sc.med / n.med, (b.med - f.med) / n.med);
	}
	snprintf(range, sizeof(range), "%.0f [%.0f-%.0f]", f.med, f.min,
		 f.max);
	printf("| %-23s | %9zu | %10s | %-12s | %18s | %12s | %9s | %12s | "
	       "%16s | %20s |\n", "floor (INVITE frame)", cases[0].len, "-",
	       "XDP_TX", range, "-", "-", "-", "-", "-");

	inv_b = summarize(cases[0].bpf_ns, o->runs);
	inv_s = summarize(cases[0].scan_ns, o->runs);
	inv_n = summarize(cases[0].native_ns, o->runs);
	printf("\nINVITE: siplb / native = %.2f, scan+hash / native = %.2f, "
	       "siplb / floor = %.2f,\nsiplb - floor = %.0f ns, siplb - "
	       "scan+hash = %.0f ns (lookups, affinity, rewrite, FIB, "
	       "redirect)\n",
	       inv_b.med / inv_n.med, inv_s.med / inv_n.med, inv_b.med / f.med,
	       inv_b.med - f.med, inv_b.med - inv_s.med);
	printf("(scan+hash also pays for the test run and the payload copy, "
	       "which native does\nnot: compare it with the floor. REGISTER "
	       "and non-SIP end at classification in\nsiplb and scan+hash; "
	       "the native column still looks for their Call-ID, so their\n"
	       "ratios compare different work.)\n");
}

static void print_kv(const struct bench_opts *o, const double *floor_ns)
{
	struct series f = summarize(floor_ns, o->runs), b, sc, n;
	size_t i;

	for (i = 0; i < NCASES; i++) {
		const struct bench_case *c = &cases[i];

		b = summarize(c->bpf_ns, o->runs);
		sc = summarize(c->scan_ns, o->runs);
		n = summarize(c->native_ns, o->runs);
		printf("case=%s payload_bytes=%zu callid_at=%ld verdict=%s "
		       "siplb_ns=%.0f siplb_min=%.0f siplb_max=%.0f "
		       "scan_hash_ns=%.0f scan_hash_min=%.0f scan_hash_max=%.0f "
		       "native_ns=%.1f siplb_per_native=%.2f "
		       "scan_hash_per_native=%.2f "
		       "siplb_per_floor=%.2f over_floor_per_native=%.2f\n",
		       c->id, c->len, c->callid_at,
		       action_name(c->want_action), b.med, b.min, b.max, sc.med,
		       sc.min, sc.max, n.med, b.med / n.med, sc.med / n.med,
		       b.med / f.med, (b.med - f.med) / n.med);
	}
	printf("case=floor payload_bytes=%zu verdict=XDP_TX siplb_ns=%.0f "
	       "siplb_min=%.0f siplb_max=%.0f repeat=%u runs=%d iters=%ld\n",
	       cases[0].len, f.med, f.min, f.max, o->repeat, o->runs, o->iters);
}

/* ---- setup --------------------------------------------------------------- */

/* One CPU for everything: the kernel runs the test on the caller's CPU,
 * and the native loop should see the same core and caches. */
static int pin_cpu(void)
{
	cpu_set_t set;
	int cpu, last = -1;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			last = cpu;
	if (last < 0)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(last, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -1 : last;
}

/* build/bench/bench_xdp -> build/bench/<name> (e.g. bench_floor.bpf.o) */
static void default_obj(char *buf, size_t size, const char *name)
{
	char exe[PATH_MAX - 64], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	snprintf(buf, size, "build/bench/%s", name);
	if (n <= 0)
		return;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash) {
		*slash = '\0';
		snprintf(buf, size, "%s/%s", exe, name);
	}
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bench_xdp [--runs N] [--repeat N] [--iters N] [--kv] "
		"[--floor-obj PATH]\n                 [--scan-obj PATH]\n"
		"  --runs N       timed runs per case, median reported "
		"(default %d, max %d)\n"
		"  --repeat N     BPF_PROG_TEST_RUN repeat (default %d)\n"
		"  --iters N      native calls per run (default %d)\n"
		"  --kv           key=value lines instead of the table\n"
		"  --floor-obj P  the floor program (default: "
		"bench_floor.bpf.o next to this binary)\n"
		"  --scan-obj P   the scan+hash program (default: "
		"bench_scan.bpf.o next to this binary)\n"
		"Needs root (a network namespace, BPF).\n",
		DEFAULT_RUNS, MAX_RUNS, DEFAULT_REPEAT, DEFAULT_ITERS);
}

static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "repeat", required_argument, NULL, 'n' },
		{ "iters", required_argument, NULL, 'i' },
		{ "kv", no_argument, NULL, 'k' },
		{ "floor-obj", required_argument, NULL, 'f' },
		{ "scan-obj", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long v;
	int opt;

	o->runs = DEFAULT_RUNS;
	o->repeat = DEFAULT_REPEAT;
	o->iters = DEFAULT_ITERS;
	o->kv = false;
	default_obj(o->floor_obj, sizeof(o->floor_obj), "bench_floor.bpf.o");
	default_obj(o->scan_obj, sizeof(o->scan_obj), "bench_scan.bpf.o");
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
		case 'n':
		case 'i':
			v = strtol(optarg, NULL, 10);
			if (v < 1 || (opt == 'r' && v > MAX_RUNS) ||
			    (opt == 'n' && v > INT_MAX)) {
				fprintf(stderr, "bench_xdp: bad value '%s'\n",
					optarg);
				return -EINVAL;
			}
			if (opt == 'r')
				o->runs = v;
			else if (opt == 'n')
				o->repeat = v;
			else
				o->iters = v;
			break;
		case 'k':
			o->kv = true;
			break;
		case 'f':
			snprintf(o->floor_obj, sizeof(o->floor_obj), "%s",
				 optarg);
			break;
		case 's':
			snprintf(o->scan_obj, sizeof(o->scan_obj), "%s",
				 optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_prog floor = { .name = "bench_floor" };
	struct bench_prog scan = { .name = "bench_scan" };
	struct xdp_fixture fix;
	struct bench_opts o;
	double floor_ns[MAX_RUNS];
	int err, cpu;
	size_t i;

	memset(&fix, 0, sizeof(fix));
	fix.maps.vips = -1;
	if (parse_opts(argc, argv, &o))
		return 2;
	for (i = 0; i < NCASES; i++)
		if (prepare_case(&cases[i]))
			return 1;
	cpu = pin_cpu();

	err = fixture_setup(&fix);
	if (err) {
		fprintf(stderr, "bench_xdp: fixture: %s\n", strerror(-err));
		goto cleanup;
	}
	err = add_bench_vip(&fix);
	err = err ?: ck_prepare();
	for (i = 0; !err && i < NCASES; i++)
		err = check_real_vip(&fix, &cases[i]);
	if (!err)
		err = bench_prog_load(o.floor_obj, &floor);
	if (!err)
		err = bench_prog_load(o.scan_obj, &scan);
	if (!err && scan.outcome_fd < 0) {
		fprintf(stderr, "bench_xdp: %s has no bench_outcome\n",
			o.scan_obj);
		err = -ENOENT;
	}
	if (!err)
		err = measure(&fix, &floor, &scan, &o, floor_ns);
	if (err)
		goto cleanup;

	if (o.kv) {
		print_kv(&o, floor_ns);
	} else {
		print_header(&o, cpu, prog_jited(fix.prog_fd));
		print_table(&o, floor_ns);
	}
	ck_print(&o);
cleanup:
	bpf_object__close(scan.obj);
	bpf_object__close(floor.obj);
	fixture_teardown(&fix);
	nonce_issuer_free(ck_issuer);
	return err ? 1 : 0;
}
