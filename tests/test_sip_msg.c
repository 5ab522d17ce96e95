// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_sip_msg.c - the SIP parser (user/sip/sip_msg.c, user/sip/sip_uri.c): tables
 * of good and malformed messages, URIs, name-addrs, Contacts and Vias; the
 * RFC 4475 and RFC 5118 torture corpora (tests/corpus, or $SIPLB_CORPUS),
 * every prefix and a few thousand mutations of them (run under ASan/UBSan
 * to catch any read outside the datagram); the response builder.
 *
 * Messages are copied into buffers of exactly their length before they
 * are parsed, so that reading one byte too far is a sanitizer error.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "sip_msg.h"
#include "corpus.h"
#include "testlib.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A string literal and its length, NULs included. */
#define M(s) s, sizeof(s) - 1

static bool slice_is(struct sip_slice s, const char *want)
{
	size_t n = want ? strlen(want) : 0;

	return s.len == n && (n == 0 || !memcmp(s.p, want, n));
}

/* Compare a slice with a C string (NULL: expect empty), printing both. */
#define ASSERT_SLICE(got, want, what)                                         \
	({                                                                    \
		struct sip_slice g_ = (got);                                  \
		const char *w_ = (want);                                      \
		testlib_report(slice_is(g_, w_), __FILE__, __LINE__, (what),  \
			       "%s = \"%.*s\", expected \"%s\"", #got,        \
			       (int)g_.len, g_.p ? g_.p : "", w_ ? w_ : "");  \
	})

#define ASSERT_STR(got, want, what)                                           \
	({                                                                    \
		const char *g_ = (got), *w_ = (want);                         \
		testlib_report(g_ && w_ ? !strcmp(g_, w_) : g_ == w_,         \
			       __FILE__, __LINE__, (what),                    \
			       "%s = \"%s\", expected \"%s\"", #got,          \
			       g_ ? g_ : "(null)", w_ ? w_ : "(null)");       \
	})

/* A malloc'd copy of exactly len bytes: no NUL, no slack. */
static char *exact_copy(const char *p, size_t len)
{
	char *b = malloc(len ? len : 1);

	if (!b) {
		perror("malloc");
		exit(2);
	}
	memcpy(b, p, len);
	return b;
}

/* One struct sip_msg is ~6 KiB: share one rather than grow each frame. */
static struct sip_msg msg;

static int parse_exact(struct sip_msg *m, const char *p, size_t len,
		       char **copy)
{
	*copy = exact_copy(p, len);
	return sip_msg_parse(m, *copy, len);
}

/* ---- building blocks of test messages ----------------------------- */

#define RL	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
#define VIA	"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776\r\n"
#define MF	"Max-Forwards: 70\r\n"
#define TO	"To: Bob <sip:bob@biloxi.example.com>\r\n"
#define FROM	"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
#define CID	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
#define CSEQ	"CSeq: 314159 INVITE\r\n"
#define CL0	"Content-Length: 0\r\n"
#define END	"\r\n"
#define BASE	VIA MF TO FROM CID CSEQ

/* ---- slices and header names -------------------------------------- */

TEST(slice_to_uint_table)
{
	static const struct {
		const char *text;
		uint64_t max;
		int err;
		uint64_t val;
	} cases[] = {
		{ "0", UINT32_MAX, 0, 0 },
		{ "0009", UINT32_MAX, 0, 9 },
		{ "4294967295", UINT32_MAX, 0, 4294967295u },
		{ "4294967296", UINT32_MAX, -ERANGE, 0 },
		{ "255", 255, 0, 255 },
		{ "256", 255, -ERANGE, 0 },
		{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
		{ "18446744073709551616", UINT64_MAX, -ERANGE, 0 },
		/* RFC 4475 scalar02: CSeq 2^65 */
		{ "36893488147419103232", UINT64_MAX, -ERANGE, 0 },
		{ "", UINT32_MAX, -EINVAL, 0 },
		{ "-1", UINT32_MAX, -EINVAL, 0 },
		{ "+1", UINT32_MAX, -EINVAL, 0 },
		{ " 1", UINT32_MAX, -EINVAL, 0 },
		{ "1 ", UINT32_MAX, -EINVAL, 0 },
		{ "12a", UINT32_MAX, -EINVAL, 0 },
		{ "99999999999999999999x", UINT32_MAX, -EINVAL, 0 },
	};
	uint64_t v;
	uint32_t v32;
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		v = 12345;
		err = sip_slice_to_uint(sip_slice_str(cases[i].text),
					cases[i].max, &v);
		if (ASSERT_EQ(err, cases[i].err, cases[i].text) && !err)
			ASSERT_EQ(v, cases[i].val, cases[i].text);
		if (err)
			ASSERT_EQ(v, 12345, "untouched on error");
	}
	ASSERT_EQ(sip_slice_to_u32(SIP_SLICE_LIT("4294967296"), &v32),
		  -ERANGE, "u32 overflow");
	ASSERT_OK(sip_slice_to_u32(SIP_SLICE_LIT("4294967295"), &v32), "u32");
	ASSERT_EQ(v32, UINT32_MAX, "u32 max");
}

TEST(slice_compare_and_trim)
{
	ASSERT_TRUE(sip_slice_eq_str(SIP_SLICE_LIT("INVITE"), "INVITE"),
		    "equal");
	ASSERT_FALSE(sip_slice_eq_str(SIP_SLICE_LIT("INVITE"), "invite"),
		     "case-sensitive compare");
	ASSERT_TRUE(sip_slice_caseeq_str(SIP_SLICE_LIT("INVITE"), "invite"),
		    "case-insensitive compare");
	ASSERT_FALSE(sip_slice_caseeq_str(SIP_SLICE_LIT("INVITE"), "INVIT"),
		     "length matters");
	ASSERT_TRUE(sip_slice_eq(sip_slice_make(NULL, 0), SIP_SLICE_LIT("")),
		    "empty slices are equal");
	ASSERT_FALSE(sip_slice_eq(SIP_SLICE_LIT("a\0b"), SIP_SLICE_LIT("a\0c")),
		     "NUL does not end a slice");
	ASSERT_SLICE(sip_slice_trim(SIP_SLICE_LIT(" \t\r\n x y \r\n\t")), "x y",
		     "trim LWS both ends");
	ASSERT_SLICE(sip_slice_trim(SIP_SLICE_LIT(" \r\n ")), NULL,
		     "all white space trims to empty");
}

TEST(header_name_table)
{
	static const struct {
		const char *name;
		enum sip_hdr_id id;
	} cases[] = {
		{ "Via", SIP_HDR_VIA }, { "VIA", SIP_HDR_VIA },
		{ "v", SIP_HDR_VIA }, { "V", SIP_HDR_VIA },
		{ "call-id", SIP_HDR_CALL_ID }, { "I", SIP_HDR_CALL_ID },
		{ "f", SIP_HDR_FROM }, { "t", SIP_HDR_TO },
		{ "m", SIP_HDR_CONTACT }, { "l", SIP_HDR_CONTENT_LENGTH },
		{ "c", SIP_HDR_CONTENT_TYPE }, { "k", SIP_HDR_SUPPORTED },
		{ "s", SIP_HDR_SUBJECT }, { "e", SIP_HDR_CONTENT_ENCODING },
		{ "o", SIP_HDR_EVENT }, { "u", SIP_HDR_ALLOW_EVENTS },
		{ "r", SIP_HDR_REFER_TO }, { "b", SIP_HDR_REFERRED_BY },
		{ "x", SIP_HDR_SESSION_EXPIRES },
		{ "MaX-fOrWaRdS", SIP_HDR_MAX_FORWARDS },
		{ "cseq", SIP_HDR_CSEQ }, { "min-expires", SIP_HDR_MIN_EXPIRES },
		{ "WWW-Authenticate", SIP_HDR_WWW_AUTHENTICATE },
		{ "proxy-authorization", SIP_HDR_PROXY_AUTHORIZATION },
		{ "Record-Route", SIP_HDR_RECORD_ROUTE },
		{ "user-agent", SIP_HDR_USER_AGENT }, { "Date", SIP_HDR_DATE },
		{ "Call-IDx", SIP_HDR_OTHER }, { "X-Call-ID", SIP_HDR_OTHER },
		{ "In-Reply-To", SIP_HDR_OTHER }, { "q", SIP_HDR_OTHER },
		{ "Vias", SIP_HDR_OTHER }, { "", SIP_HDR_OTHER },
	};
	const char *name;
	char compact[2] = { 0 };
	size_t i;
	int id;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		ASSERT_EQ(sip_hdr_lookup(sip_slice_str(cases[i].name)),
			  cases[i].id, cases[i].name);
	/* The one table is consistent: every name maps back to its id. */
	for (id = 1; id < SIP_HDR_COUNT; id++) {
		name = sip_hdr_name(id);
		if (!ASSERT_TRUE(name != NULL, "every id has a name"))
			continue;
		ASSERT_EQ(sip_hdr_lookup(sip_slice_str(name)), id, name);
	}
	/* ... and no compact letter is given twice. */
	for (compact[0] = 'a'; compact[0] <= 'z'; compact[0]++) {
		enum sip_hdr_id got = sip_hdr_lookup(sip_slice_str(compact));

		if (got != SIP_HDR_OTHER)
			ASSERT_TRUE(sip_hdr_name(got) != NULL, compact);
	}
	ASSERT_TRUE(sip_hdr_name(SIP_HDR_OTHER) == NULL, "OTHER has no name");
}

/* ---- good messages ------------------------------------------------ */

struct good_case {
	const char *name;
	const char *text;
	size_t len;
	bool request;
	const char *method;	/* or reason phrase for responses */
	const char *ruri;
	unsigned int status;
	const char *call_id;
	uint32_t cseq;
	const char *cseq_method;
	unsigned int nhdrs;
	unsigned int nvia;	/* Via header fields */
	int max_forwards;
	const char *body;
	size_t trailing;
	void (*check)(const struct sip_msg *m);	/* more, or NULL */
};

static void check_folded(const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_SUBJECT);
	char out[32];

	if (ASSERT_TRUE(h != NULL, "Subject present") &&
	    ASSERT_EQ(sip_value_unfold(h->value, out, sizeof(out)), 7,
		      "unfolded length"))
		ASSERT_STR(out, "one two", "unfolded Subject");
	ASSERT_SLICE(m->via.host, "h.example.com", "folded Via sent-by");
	ASSERT_SLICE(m->from.tag, "2", "folded From tag");
}

static void check_nul_bytes(const struct sip_msg *m)
{
	unsigned int pos = 0;
	struct sip_slice v;

	ASSERT_TRUE(m->body.len == 3 && !memcmp(m->body.p, "\0z\0", 3),
		    "body keeps its NULs");
	if (ASSERT_OK(sip_msg_hdr_next_name(m, "x-bin", &pos, &v),
		      "X-Bin found"))
		ASSERT_EQ(v.len, 4, "X-Bin value is 4 bytes");
}

static const struct good_case good_cases[] = {
	{ "basic INVITE with a body",
	  M(RL BASE "Content-Type: application/sdp\r\n"
	    "Content-Length: 4\r\n" END "v=0\n"),
	  true, "INVITE", "sip:bob@biloxi.example.com", 0,
	  "a84b4c76e66710@pc33.atlanta.example.com", 314159, "INVITE", 8, 1,
	  70, "v=0\n", 0, NULL },
	{ "200 OK response",
	  M("SIP/2.0 200 OK\r\n" BASE CL0 END), false, "OK", NULL, 200,
	  "a84b4c76e66710@pc33.atlanta.example.com", 314159, "INVITE", 7, 1,
	  70, NULL, 0, NULL },
	{ "compact forms",
	  M("OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
	    "v: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
	    "f: <sip:a@example.com>;tag=1\r\nt: sip:carol@example.com\r\n"
	    "i: compact@h\r\nCSeq: 1 OPTIONS\r\nm: <sip:a@h.example.com>\r\n"
	    "k: path\r\ns: hello\r\nl: 0\r\n\r\n"),
	  true, "OPTIONS", "sip:carol@chicago.example.com", 0, "compact@h", 1,
	  "OPTIONS", 9, 1, -1, NULL, 0, NULL },
	{ "folded headers (RFC 3261 7.3.1)",
	  M("REGISTER sip:example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP\r\n h.example.com\r\n\t;branch=z9hG4bK2\r\n"
	    "From: <sip:a@example.com>\r\n ;tag=2\r\nTo: <sip:a@example.com>\r\n"
	    "Call-ID:\r\n   folded@h\r\nCSeq: 7\r\n  REGISTER\r\n"
	    "Subject: one\r\n two\r\nContent-Length: 0\r\n\r\n"),
	  true, "REGISTER", "sip:example.com", 0, "folded@h", 7, "REGISTER",
	  7, 1, -1, NULL, 0, check_folded },
	{ "LF-only line ends",
	  M("BYE sip:bob@h SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK3\n"
	    "From: <sip:a@h>;tag=1\nTo: <sip:b@h>;tag=2\nCall-ID: lf@h\n"
	    "CSeq: 2 BYE\nMax-Forwards: 0\nContent-Length: 2\n\nhi"),
	  true, "BYE", "sip:bob@h", 0, "lf@h", 2, "BYE", 7, 1, 0, "hi", 0,
	  NULL },
	{ "leading CRLFs before the start line (RFC 3261 7.5)",
	  M("\r\n\r\n\n" RL BASE CL0 END), true, "INVITE",
	  "sip:bob@biloxi.example.com", 0,
	  "a84b4c76e66710@pc33.atlanta.example.com", 314159, "INVITE", 7, 1,
	  70, NULL, 0, NULL },
	{ "any case, LWS before the colon, value trimmed",
	  M(RL "vIa  : SIP/2.0/UDP h;branch=z9hG4bK4\r\nmax-forwards:0068\r\n"
	    "TO\t: <sip:b@h>\r\nfrom: <sip:a@h>;tag=1\r\n"
	    "cAlL-iD  :   trim@h  \t\r\ncseq: 0009 INVITE\r\n" CL0 END),
	  true, "INVITE", "sip:bob@biloxi.example.com", 0, "trim@h", 9,
	  "INVITE", 7, 1, 68, NULL, 0, NULL },
	{ "no Content-Length: the body is the rest",
	  M(RL BASE END "rest of datagram"), true, "INVITE",
	  "sip:bob@biloxi.example.com", 0,
	  "a84b4c76e66710@pc33.atlanta.example.com", 314159, "INVITE", 6, 1,
	  70, "rest of datagram", 0, NULL },
	{ "octets after Content-Length are ignored (RFC 4475 dblreq)",
	  M(RL BASE "Content-Length: 3\r\n" END "abcINVITE junk"), true,
	  "INVITE", "sip:bob@biloxi.example.com", 0,
	  "a84b4c76e66710@pc33.atlanta.example.com", 314159, "INVITE", 7, 1,
	  70, "abc", 11, NULL },
	{ "empty reason phrase (RFC 4475 noreason)",
	  M("SIP/2.0 100 \r\n" BASE CL0 END), false, "", NULL, 100,
	  "a84b4c76e66710@pc33.atlanta.example.com", 314159, "INVITE", 7, 1,
	  70, NULL, 0, NULL },
	{ "status line without a reason (liberal)",
	  M("SIP/2.0 180\r\n" BASE CL0 END), false, "", NULL, 180,
	  "a84b4c76e66710@pc33.atlanta.example.com", 314159, "INVITE", 7, 1,
	  70, NULL, 0, NULL },
	{ "response CSeq method need not match anything",
	  M("sip/2.0 486 Busy Here\r\n" VIA TO FROM CID
	    "CSeq: 5 SUBSCRIBE\r\n" CL0 END),
	  false, "Busy Here", NULL, 486,
	  "a84b4c76e66710@pc33.atlanta.example.com", 5, "SUBSCRIBE", 6, 1, -1,
	  NULL, 0, NULL },
	{ "NUL bytes in an unknown header and the body truncate nothing",
	  M(RL VIA MF TO FROM "X-Bin: a\0b\0\r\n" CID CSEQ
	    "Content-Length: 3\r\n" END "\0z\0"),
	  true, "INVITE", "sip:bob@biloxi.example.com", 0,
	  "a84b4c76e66710@pc33.atlanta.example.com", 314159, "INVITE", 8, 1,
	  70, NULL, 0, check_nul_bytes },
	{ "several Via header fields and Via lists",
	  M("ACK sip:bob@h SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKa, "
	    "SIP/2.0/TCP p2.example.com:5070;branch=z9hG4bKb\r\n"
	    "v: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKc\r\n"
	    "To: <sip:b@h>;tag=9\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: ack@h\r\n"
	    "CSeq: 1 ACK\r\n\r\n"),
	  true, "ACK", "sip:bob@h", 0, "ack@h", 1, "ACK", 6, 2, -1, NULL, 0,
	  NULL },
	{ "unknown method, tel: Request-URI",
	  M("NEWMETHOD tel:+1-201-555-0123 SIP/2.0\r\n" VIA TO FROM CID
	    "CSeq: 8 NEWMETHOD\r\n\r\n"),
	  true, "NEWMETHOD", "tel:+1-201-555-0123", 0,
	  "a84b4c76e66710@pc33.atlanta.example.com", 8, "NEWMETHOD", 5, 1, -1,
	  NULL, 0, NULL },
};

static void check_good(const struct good_case *c, const struct sip_msg *m)
{
	ASSERT_EQ(m->request, c->request, "request or response");
	if (c->request) {
		ASSERT_SLICE(m->method, c->method, "method");
		ASSERT_SLICE(m->ruri_text, c->ruri, "Request-URI");
	} else {
		ASSERT_EQ(m->status, c->status, "status code");
		ASSERT_SLICE(m->reason, c->method, "reason phrase");
	}
	ASSERT_SLICE(m->call_id, c->call_id, "Call-ID cache");
	ASSERT_EQ(m->cseq, c->cseq, "CSeq number");
	ASSERT_SLICE(m->cseq_method, c->cseq_method, "CSeq method");
	ASSERT_EQ(m->nhdrs, c->nhdrs, "header fields");
	ASSERT_EQ(m->count[SIP_HDR_VIA], c->nvia, "Via header fields");
	ASSERT_EQ(m->max_forwards, c->max_forwards, "Max-Forwards");
	if (c->body)
		ASSERT_SLICE(m->body, c->body, "body");
	ASSERT_EQ(m->trailing, c->trailing, "octets after the body");
	ASSERT_EQ(m->len + m->trailing, c->len, "len + trailing = datagram");
	ASSERT_TRUE(m->error == NULL, "no error reason on success");
}

TEST(parse_good_messages)
{
	size_t i;
	char *b;
	int err;

	for (i = 0; i < ARRAY_SIZE(good_cases); i++) {
		const struct good_case *c = &good_cases[i];

		err = parse_exact(&msg, c->text, c->len, &b);
		if (ASSERT_OK(err, c->name)) {
			check_good(c, &msg);
			if (c->check)
				c->check(&msg);
		} else {
			fprintf(stderr, "  reason: %s\n", msg.error);
		}
		free(b);
	}
}

/* ---- malformed messages ------------------------------------------- */

struct bad_case {
	const char *name;
	const char *text;
	size_t len;
	int err;
	const char *reason;
};

static const struct bad_case bad_cases[] = {
	{ "empty datagram", M(""), -ENODATA, "Empty message" },
	{ "CRLF keep-alive", M("\r\n\r\n"), -ENODATA, "Empty message" },
	{ "start line without line end", M("INVITE sip:a@h SIP/2.0"),
	  -EBADMSG, "Unterminated start line" },
	{ "no start line", M(BASE CL0 END), -EBADMSG, "Bad Request-Line" },
	{ "request line without version", M("INVITE sip:a@h\r\n" BASE END),
	  -EBADMSG, "Bad Request-Line" },
	{ "unknown version", M("INVITE sip:a@h SIP/3.0\r\n" BASE END),
	  -EPROTONOSUPPORT, "Version Not Supported" },
	{ "unknown version in a response", M("SIP/1.0 200 OK\r\n" BASE END),
	  -EPROTONOSUPPORT, "Version Not Supported" },
	{ "version wins over a later error",
	  M("INVITE sip:a@h SIP/7.0\r\n" VIA TO FROM CSEQ END),
	  -EPROTONOSUPPORT, "Version Not Supported" },
	{ "version without major", M("INVITE sip:a@h SIP/.0\r\n" BASE END),
	  -EBADMSG, "Bad Request-Line" },
	{ "version without minor", M("INVITE sip:a@h SIP/2.\r\n" BASE END),
	  -EBADMSG, "Bad Request-Line" },
	{ "version without dot", M("INVITE sip:a@h SIP/20\r\n" BASE END),
	  -EBADMSG, "Bad Request-Line" },
	{ "version with junk", M("INVITE sip:a@h SIP/2.0a\r\n" BASE END),
	  -EBADMSG, "Bad Request-Line" },
	{ "not SIP at all", M("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), -EBADMSG,
	  "Bad Request-Line" },
	{ "method not a token", M("INV@ITE sip:a@h SIP/2.0\r\n" BASE END),
	  -EBADMSG, "Bad Request-Line" },
	{ "two SPs (RFC 4475 lwsstart)",
	  M("INVITE  sip:a@h SIP/2.0\r\n" BASE END), -EBADMSG,
	  "Bad Request-Line" },
	{ "trailing SP (RFC 4475 trws)",
	  M("INVITE sip:a@h SIP/2.0 \r\n" BASE END), -EBADMSG,
	  "Bad Request-Line" },
	{ "LWS in the Request-URI",
	  M("INVITE sip:a@h; lr SIP/2.0\r\n" BASE END), -EBADMSG,
	  "Bad Request-URI" },
	{ "Request-URI in <>", M("INVITE <sip:a@h> SIP/2.0\r\n" BASE END),
	  -EBADMSG, "Bad Request-URI" },
	{ "Request-URI with headers",
	  M("INVITE sip:a@h?Route=x SIP/2.0\r\n" BASE END), -EBADMSG,
	  "Bad Request-URI" },
	{ "Request-URI port out of range",
	  M("INVITE sip:a@h:65536 SIP/2.0\r\n" BASE END), -EBADMSG,
	  "Bad Request-URI" },
	{ "NUL in the method", M("INV\0ITE sip:a@h SIP/2.0\r\n" BASE END),
	  -EBADMSG, "Bad Request-Line" },
	{ "NUL in the Request-URI", M("INVITE sip:a\0@h SIP/2.0\r\n" BASE END),
	  -EBADMSG, "Bad Request-URI" },
	{ "status code of two digits", M("SIP/2.0 99 x\r\n" BASE END),
	  -EBADMSG, "Bad Status-Line" },
	{ "status code 700", M("SIP/2.0 700 x\r\n" BASE END), -EBADMSG,
	  "Bad Status-Line" },
	{ "status code 4294967301 (RFC 4475 bigcode)",
	  M("SIP/2.0 4294967301 x\r\n" BASE END), -EBADMSG, "Bad Status-Line" },
	{ "no SP after the status code", M("SIP/2.0 200OK\r\n" BASE END),
	  -EBADMSG, "Bad Status-Line" },
	{ "missing Call-ID", M(RL VIA MF TO FROM CSEQ CL0 END), -EBADMSG,
	  "Missing Call-ID" },
	{ "missing CSeq", M(RL VIA MF TO FROM CID CL0 END), -EBADMSG,
	  "Missing CSeq" },
	{ "missing From", M(RL VIA MF TO CID CSEQ CL0 END), -EBADMSG,
	  "Missing From" },
	{ "missing To", M(RL VIA MF FROM CID CSEQ CL0 END), -EBADMSG,
	  "Missing To" },
	{ "missing Via", M(RL MF TO FROM CID CSEQ CL0 END), -EBADMSG,
	  "Missing Via" },
	{ "CSeq not a number", M(RL VIA TO FROM CID "CSeq: abc INVITE\r\n" END),
	  -EBADMSG, "Bad CSeq" },
	{ "CSeq 2^32", M(RL VIA TO FROM CID "CSeq: 4294967296 INVITE\r\n" END),
	  -EBADMSG, "Bad CSeq" },
	{ "CSeq 2^65 (RFC 4475 scalar02)",
	  M(RL VIA TO FROM CID "CSeq: 36893488147419103232 INVITE\r\n" END),
	  -EBADMSG, "Bad CSeq" },
	{ "CSeq negative", M(RL VIA TO FROM CID "CSeq: -1 INVITE\r\n" END),
	  -EBADMSG, "Bad CSeq" },
	{ "CSeq without LWS", M(RL VIA TO FROM CID "CSeq: 1INVITE\r\n" END),
	  -EBADMSG, "Bad CSeq" },
	{ "CSeq without method", M(RL VIA TO FROM CID "CSeq: 1\r\n" END),
	  -EBADMSG, "Bad CSeq" },
	{ "CSeq with junk after the method",
	  M(RL VIA TO FROM CID "CSeq: 1 INVITE x\r\n" END), -EBADMSG,
	  "Bad CSeq" },
	{ "CSeq method mismatch (RFC 4475 mismatch01)",
	  M(RL VIA TO FROM CID "CSeq: 1 OPTIONS\r\n" END), -EBADMSG,
	  "CSeq method mismatch" },
	{ "CSeq method differs in case only",
	  M(RL VIA TO FROM CID "CSeq: 1 invite\r\n" END), -EBADMSG,
	  "CSeq method mismatch" },
	{ "negative Content-Length (RFC 4475 ncl)",
	  M(RL BASE "Content-Length: -1\r\n" END), -EBADMSG,
	  "Bad Content-Length" },
	{ "Content-Length beyond 32 bits",
	  M(RL BASE "Content-Length: 4294967296\r\n" END), -EBADMSG,
	  "Bad Content-Length" },
	{ "Content-Length huge",
	  M(RL BASE "Content-Length: 99999999999999999999999\r\n" END),
	  -EBADMSG, "Bad Content-Length" },
	{ "Content-Length larger than the datagram (RFC 4475 clerr)",
	  M(RL BASE "Content-Length: 5\r\n" END "abcd"), -EBADMSG,
	  "Content-Length mismatch" },
	{ "two Call-IDs (RFC 4475 multi01)", M(RL BASE "Call-ID: b@h\r\n" END),
	  -EBADMSG, "Multiple Call-ID" },
	{ "two Call-IDs, one compact", M(RL BASE "i: b@h\r\n" END), -EBADMSG,
	  "Multiple Call-ID" },
	{ "two CSeqs", M(RL BASE "CSeq: 2 INVITE\r\n" END), -EBADMSG,
	  "Multiple CSeq" },
	{ "two Content-Lengths, same value", M(RL BASE CL0 "l: 0\r\n" END),
	  -EBADMSG, "Multiple Content-Length" },
	{ "two To", M(RL BASE TO END), -EBADMSG, "Multiple To" },
	{ "header line without colon", M(RL BASE "Foobar roobar\r\n" END),
	  -EBADMSG, "Header without colon" },
	{ "header name alone", M(RL BASE "Foobar\r\n" END), -EBADMSG,
	  "Header without colon" },
	{ "header name not a token", M(RL BASE "Foo@bar: x\r\n" END),
	  -EBADMSG, "Bad header name" },
	{ "empty header name", M(RL BASE ": x\r\n" END), -EBADMSG,
	  "Bad header name" },
	{ "NUL in a header name", M(RL BASE "X-\0: x\r\n" END), -EBADMSG,
	  "Bad header name" },
	{ "no empty line after the headers (RFC 4475 baddn)",
	  M(RL BASE CL0), -EBADMSG, "Unterminated headers" },
	{ "last header line without line end", M(RL BASE "l: 0"), -EBADMSG,
	  "Unterminated headers" },
	{ "fold before any header", M(RL " Via: x\r\n" BASE END), -EBADMSG,
	  "Bad header folding" },
	{ "bare CR in a header line", M(RL BASE "Subject: a\rb\r\n" END),
	  -EBADMSG, "Bad line end" },
	{ "NUL in the Call-ID",
	  M(RL VIA TO FROM "Call-ID: a\0b@h\r\n" CSEQ END), -EBADMSG,
	  "Bad Call-ID" },
	{ "empty Call-ID", M(RL VIA TO FROM "Call-ID:   \r\n" CSEQ END),
	  -EBADMSG, "Bad Call-ID" },
	{ "folded Call-ID value",
	  M(RL VIA TO FROM "Call-ID: a\r\n b\r\n" CSEQ END), -EBADMSG,
	  "Bad Call-ID" },
	{ "Call-ID with two @", M(RL VIA TO FROM "Call-ID: a@b@c\r\n" CSEQ END),
	  -EBADMSG, "Bad Call-ID" },
	{ "Call-ID with a space", M(RL VIA TO FROM "Call-ID: a b\r\n" CSEQ END),
	  -EBADMSG, "Bad Call-ID" },
	{ "Max-Forwards 256",
	  M(RL VIA TO FROM CID CSEQ "Max-Forwards: 256\r\n" END), -EBADMSG,
	  "Bad Max-Forwards" },
	{ "Expires not a number", M(RL BASE "Expires: soon\r\n" END), -EBADMSG,
	  "Bad Expires" },
	{ "unterminated display name (RFC 4475 quotbal)",
	  M(RL VIA MF "To: \"Mr. J. User <sip:j.user@example.com>\r\n" FROM
	    CID CSEQ END), -EBADMSG, "Bad To" },
	{ "unquoted comma in a display name (RFC 4475 baddn)",
	  M(RL VIA MF TO "From: Bell, Alexander <sip:a@h>;tag=43\r\n" CID
	    CSEQ END), -EBADMSG, "Bad From" },
	{ "Via with empty params (RFC 4475 badinv01)",
	  M(RL "Via: SIP/2.0/UDP 192.0.2.15;;,;,,\r\n" MF TO FROM CID CSEQ END),
	  -EBADMSG, "Bad Via" },
	{ "empty Via", M(RL "Via:\r\n" MF TO FROM CID CSEQ END), -EBADMSG,
	  "Bad Via" },
	{ "Contact list with a trailing comma",
	  M(RL BASE "Contact: <sip:a@h>,\r\n" END), -EBADMSG, "Bad Contact" },
	{ "Contact * in a list", M(RL BASE "Contact: *, <sip:a@h>\r\n" END),
	  -EBADMSG, "Bad Contact" },
};

TEST(parse_malformed_messages)
{
	size_t i;
	char *b;
	int err;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];

		err = parse_exact(&msg, c->text, c->len, &b);
		ASSERT_EQ(err, c->err, c->name);
		ASSERT_STR(msg.error, c->reason, c->name);
		free(b);
	}
}

/* SIP_MSG_MAX_HDRS header fields parse; one more is refused. */
TEST(too_many_headers)
{
	static const char head[] = RL BASE;	/* 6 header fields */
	char buf[8192];
	size_t len;
	int n, err;

	for (n = SIP_MSG_MAX_HDRS; n <= SIP_MSG_MAX_HDRS + 1; n++) {
		int i;

		len = snprintf(buf, sizeof(buf), "%s", head);
		for (i = 6; i < n; i++)
			len += snprintf(buf + len, sizeof(buf) - len,
					"X-H%d: v\r\n", i);
		len += snprintf(buf + len, sizeof(buf) - len, "\r\n");
		if (!ASSERT_LE(len, sizeof(buf) - 1, "fits the buffer"))
			return;
		err = sip_msg_parse(&msg, buf, len);
		if (n == SIP_MSG_MAX_HDRS) {
			ASSERT_OK(err, "exactly SIP_MSG_MAX_HDRS headers");
			ASSERT_EQ(msg.nhdrs, SIP_MSG_MAX_HDRS, "all kept");
		} else {
			ASSERT_EQ(err, -EBADMSG, "one header too many");
			ASSERT_STR(msg.error, "Too many headers", "reason");
		}
	}
}

/* A failed parse still has the headers seen, for the 400 or 505. */
TEST(failed_parse_keeps_headers)
{
	const struct sip_hdr *h;
	char *b;
	int err;

	err = parse_exact(&msg, M(RL "Via:  SIP/2.0/UDP h;branch=z9hG4bK1 \r\n"
				  "Foobar roobar\r\n" END), &b);
	ASSERT_EQ(err, -EBADMSG, "header without colon");
	h = sip_msg_hdr(&msg, SIP_HDR_VIA);
	if (ASSERT_TRUE(h != NULL, "Via seen before the bad line"))
		ASSERT_SLICE(h->value, "SIP/2.0/UDP h;branch=z9hG4bK1",
			     "and trimmed");
	free(b);

	err = parse_exact(&msg, M("OPTIONS sip:a@h SIP/7.0\r\n" VIA TO FROM CID
				  "CSeq: 1 OPTIONS\r\n\r\n"), &b);
	ASSERT_EQ(err, -EPROTONOSUPPORT, "bad version");
	ASSERT_EQ(msg.nhdrs, 5, "headers still parsed");
	ASSERT_SLICE(msg.call_id, "a84b4c76e66710@pc33.atlanta.example.com",
		     "Call-ID still cached");
	free(b);
}

TEST(header_iteration)
{
	static const char text[] =
		"MESSAGE sip:b@h SIP/2.0\r\n"
		"Via: SIP/2.0/UDP first.example.com;branch=z9hG4bK1\r\n"
		"X-Foo: one\r\n" TO FROM CID "CSeq: 1 MESSAGE\r\n"
		"v: SIP/2.0/UDP second.example.com;branch=z9hG4bK2\r\n"
		"x-foo: two\r\nContact: <sip:a@h>\r\nm: <sip:b@h>, <sip:c@h>\r\n"
		"\r\n";
	static const char *const vias[] = {
		"SIP/2.0/UDP first.example.com;branch=z9hG4bK1",
		"SIP/2.0/UDP second.example.com;branch=z9hG4bK2",
	};
	struct sip_slice v;
	struct sip_contact c;
	unsigned int pos = 0, n = 0;
	char *b;

	if (!ASSERT_OK(parse_exact(&msg, M(text), &b), "parse"))
		goto out;
	while (!sip_msg_hdr_next(&msg, SIP_HDR_VIA, &pos, &v)) {
		if (ASSERT_LE(n, 1, "two Vias"))
			ASSERT_SLICE(v, vias[n], "Via values in order");
		n++;
	}
	ASSERT_EQ(n, 2, "Via header fields visited");
	ASSERT_EQ(sip_msg_hdr_next(&msg, SIP_HDR_VIA, &pos, &v), -ENOENT,
		  "iteration stays finished");
	ASSERT_SLICE(msg.via.host, "first.example.com", "top Via cached");
	ASSERT_SLICE(msg.via.branch, "z9hG4bK1", "top Via branch");

	pos = n = 0;
	while (!sip_msg_hdr_next_name(&msg, "X-FOO", &pos, &v)) {
		ASSERT_SLICE(v, n ? "two" : "one", "X-Foo by name");
		n++;
	}
	ASSERT_EQ(n, 2, "unknown header by name, any case");
	pos = n = 0;
	while (!sip_msg_hdr_next_name(&msg, "v", &pos, &v))
		n++;
	ASSERT_EQ(n, 2, "compact name finds long forms too");

	pos = n = 0;
	while (!sip_msg_hdr_next(&msg, SIP_HDR_CONTACT, &pos, &v))
		while (!sip_contact_next(&v, &c))
			n++;
	ASSERT_EQ(n, 3, "contacts over two Contact headers");
	ASSERT_TRUE(sip_msg_hdr(&msg, SIP_HDR_ROUTE) == NULL, "no Route");
	ASSERT_EQ(msg.first[SIP_HDR_CALL_ID], 4, "first index of Call-ID");
	ASSERT_EQ(sip_msg_hdr_next(&msg, SIP_HDR_ROUTE, &pos, &v), -ENOENT,
		  "absent header");
out:
	free(b);
}

/* ---- corpora ------------------------------------------------------ */

/* A valid message: Call-ID, method or status and CSeq as the manifest. */
static void check_valid(const struct corpus_manifest *mf, char **row,
			const struct sip_msg *m)
{
	const char *want_method = row[mf->col_method];
	const char *cseq = row[mf->col_cseq], *sp = strchr(cseq, ' ');
	char *end;

	ASSERT_SLICE(m->call_id, row[mf->col_call_id], row[mf->col_name]);
	if (m->request)
		ASSERT_SLICE(m->method, want_method, row[mf->col_name]);
	else
		ASSERT_EQ(m->status, strtoul(want_method, &end, 10),
			  row[mf->col_name]);
	if (ASSERT_TRUE(sp != NULL, "manifest cseq has a method")) {
		ASSERT_EQ(m->cseq, strtoull(cseq, &end, 10), row[mf->col_name]);
		ASSERT_SLICE(m->cseq_method, sp + 1, row[mf->col_name]);
	}
}

/*
 * What we answer to each "invalid" RFC 4475 message. baddate is accepted
 * on purpose: RFC 4475 3.1.2.12 lets an element ignore a Date it does not
 * use, and nothing in siplb uses Date.
 */
static const struct {
	const char *name;
	int err;
	const char *reason;
} rfc4475_invalid[] = {
	{ "badinv01", -EBADMSG, "Bad Via" },
	{ "clerr", -EBADMSG, "Content-Length mismatch" },
	{ "ncl", -EBADMSG, "Bad Content-Length" },
	{ "scalar02", -EBADMSG, "Bad CSeq" },
	{ "scalarlg", -EBADMSG, "Bad CSeq" },
	{ "quotbal", -EBADMSG, "Bad To" },
	{ "ltgtruri", -EBADMSG, "Bad Request-URI" },
	{ "lwsruri", -EBADMSG, "Bad Request-URI" },
	{ "lwsstart", -EBADMSG, "Bad Request-Line" },
	{ "trws", -EBADMSG, "Bad Request-Line" },
	{ "escruri", -EBADMSG, "Bad Request-URI" },
	{ "baddate", 0, NULL },
	{ "regbadct", -EBADMSG, "Bad Contact" },
	{ "badaspec", -EBADMSG, "Bad To" },
	{ "baddn", -EBADMSG, "Unterminated headers" },
	{ "badvers", -EPROTONOSUPPORT, "Version Not Supported" },
	{ "mismatch01", -EBADMSG, "CSeq method mismatch" },
	{ "mismatch02", -EBADMSG, "CSeq method mismatch" },
	{ "bigcode", -EBADMSG, "Bad Status-Line" },
	{ "insuf", -EBADMSG, "Missing Call-ID" },
	{ "multi01", -EBADMSG, "Multiple Call-ID" },
	{ "mcl01", -EBADMSG, "Multiple Content-Length" },
	{ "test", -EBADMSG, "Bad Request-Line" },
};

static void check_invalid(const char *name, int err, const char *reason)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rfc4475_invalid); i++) {
		if (strcmp(rfc4475_invalid[i].name, name))
			continue;
		ASSERT_EQ(err, rfc4475_invalid[i].err, name);
		ASSERT_STR(reason, rfc4475_invalid[i].reason, name);
		return;
	}
	ASSERT_TRUE(false, "every invalid message has an expectation");
}

TEST(corpus_rfc4475)
{
	struct corpus_manifest mf;
	int i, valid = 0, rejected = 0, err;
	size_t len;
	char *b;

	if (!corpus_manifest_load(&mf, "rfc4475"))
		return;
	ASSERT_EQ(mf.nrows, 50, "RFC 4475 messages in the manifest");
	testlib_note("  %-11s %-8s %-6s %s\n", "message", "expected", "errno",
		     "reason");
	for (i = 0; i < mf.nrows; i++) {
		char **row = mf.rows[i], file[64];
		bool want_valid = !strcmp(row[mf.col_expected], "valid");

		snprintf(file, sizeof(file), "%s.dat", row[mf.col_name]);
		b = corpus_file("rfc4475", file, &len);
		if (!ASSERT_TRUE(b != NULL, file))
			continue;
		err = sip_msg_parse(&msg, b, len);
		testlib_note("  %-11s %-8s %-6d %s\n", row[mf.col_name],
			     row[mf.col_expected], err, err ? msg.error : "-");
		if (want_valid) {
			if (ASSERT_OK(err, row[mf.col_name]))
				check_valid(&mf, row, &msg);
			valid++;
		} else {
			check_invalid(row[mf.col_name], err, msg.error);
			rejected += err != 0;
		}
		free(b);
	}
	testlib_note("  %d valid accepted, %d of %d invalid rejected\n", valid,
		     rejected, mf.nrows - valid);
	free(mf.text);
}

/* baddn's real fault is its display names: with the empty line that the
 * RFC's archive lacks, the From is what we refuse. */
TEST(corpus_baddn_display_name)
{
	size_t len;
	char *b, *fixed;

	b = corpus_file("rfc4475", "baddn.dat", &len);
	if (!ASSERT_TRUE(b != NULL, "baddn.dat"))
		return;
	fixed = malloc(len + 2);
	memcpy(fixed, b, len);
	memcpy(fixed + len, "\r\n", 2);
	ASSERT_EQ(sip_msg_parse(&msg, fixed, len + 2), -EBADMSG, "baddn");
	ASSERT_STR(msg.error, "Bad From", "unquoted comma in display name");
	free(fixed);
	free(b);
}

/* The raw RFC 5118 files whose Content-Length exceeds their body. */
static const struct {
	const char *file;
	int err;
	const char *reason;
} rfc5118_invalid[] = {
	{ "ipv6-bad.dat", -EBADMSG, "Bad Request-URI" },
	{ "ipv6-in-sdp.dat", -EBADMSG, "Content-Length mismatch" },
};

TEST(corpus_rfc5118)
{
	struct corpus_manifest mf;
	int i, err;
	size_t len, k;
	char *b;

	if (!corpus_manifest_load(&mf, "rfc5118") ||
	    !ASSERT_TRUE(mf.col_file >= 0, "rfc5118 manifest has files"))
		return;
	ASSERT_EQ(mf.nrows, 15, "RFC 5118 files in the manifest");
	for (i = 0; i < mf.nrows; i++) {
		char **row = mf.rows[i];
		const char *file = row[mf.col_file];
		int want = 0;
		const char *why = NULL;

		b = corpus_file("rfc5118", file, &len);
		if (!ASSERT_TRUE(b != NULL, file))
			continue;
		for (k = 0; k < ARRAY_SIZE(rfc5118_invalid); k++) {
			if (!strcmp(rfc5118_invalid[k].file, file)) {
				want = rfc5118_invalid[k].err;
				why = rfc5118_invalid[k].reason;
			}
		}
		err = sip_msg_parse(&msg, b, len);
		testlib_note("  %-36s %-8s %-4d %s\n", file, row[mf.col_expected],
			     err, err ? msg.error : "-");
		ASSERT_EQ(err, want, file);
		ASSERT_STR(msg.error, why, file);
		if (!err)
			check_valid(&mf, row, &msg);
		free(b);
	}
	free(mf.text);
}

/* Where RFC 5118 puts its traps: host and port of the Request-URI and the
 * top Via, as we read them. */
TEST(corpus_rfc5118_hosts)
{
	static const struct {
		const char *file;
		const char *ruri_host;
		uint16_t ruri_port;
		const char *via_host;
		uint16_t via_port;
		const char *received;
	} cases[] = {
		{ "ipv6-good.dat", "[2001:db8::10]", 0, "[2001:db8::9:1]", 0,
		  NULL },
		{ "port-ambiguous.dat", "[2001:db8::10:5070]", 0, NULL, 0, NULL },
		{ "port-unambiguous.dat", "[2001:db8::10]", 5070, NULL, 0, NULL },
		{ "ipv6-bug-abnf-3-colons.dat", "[2001:db8:::192.0.2.1]", 0,
		  NULL, 0, NULL },
		{ "via-received-param-with-delim.dat", NULL, 0, NULL, 0,
		  "[2001:db8::9:255]" },
		{ "via-received-param-no-delim.dat", NULL, 0, NULL, 0,
		  "2001:db8::9:255" },
		{ "mult-ip-in-header.dat", NULL, 0, "[2001:db8::9:1]", 6050,
		  NULL },
		{ "ipv4-mapped-ipv6.clfix.dat", NULL, 0, "[::ffff:192.0.2.10]",
		  19823, NULL },
	};
	struct sip_slice received;
	size_t i, len;
	char *b;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		b = corpus_file("rfc5118", cases[i].file, &len);
		if (!ASSERT_TRUE(b != NULL, cases[i].file))
			continue;
		if (!ASSERT_OK(sip_msg_parse(&msg, b, len), cases[i].file)) {
			free(b);
			continue;
		}
		if (cases[i].ruri_host) {
			ASSERT_SLICE(msg.ruri.host, cases[i].ruri_host,
				     cases[i].file);
			ASSERT_EQ(msg.ruri.host_type, SIP_HOST_IPV6,
				  cases[i].file);
			ASSERT_EQ(msg.ruri.port, cases[i].ruri_port,
				  cases[i].file);
		}
		if (cases[i].via_host) {
			ASSERT_SLICE(msg.via.host, cases[i].via_host,
				     cases[i].file);
			ASSERT_EQ(msg.via.port, cases[i].via_port,
				  cases[i].file);
		}
		if (cases[i].received &&
		    ASSERT_OK(sip_param_get(msg.via.params, "received",
					    &received), cases[i].file))
			ASSERT_SLICE(received, cases[i].received,
				     cases[i].file);
		free(b);
	}
}

/* What a successful parse promises, whatever the input. */
static void check_invariants(const struct sip_msg *m, const char *buf,
			     size_t len, const char *what)
{
	const char *end = buf + len;
	unsigned int i;
	bool inside = true;

	ASSERT_EQ(m->len + m->trailing, len, what);
	ASSERT_TRUE(m->body.p >= buf && m->body.p + m->body.len <= end, what);
	ASSERT_TRUE(m->call_id.len > 0, what);
	for (i = 0; i < m->nhdrs; i++)
		inside &= m->hdrs[i].value.p >= buf &&
			  m->hdrs[i].value.p + m->hdrs[i].value.len <= end;
	ASSERT_TRUE(inside, what);
}

static bool known_err(int err)
{
	return err == 0 || err == -EBADMSG || err == -EPROTONOSUPPORT ||
	       err == -ENODATA;
}

static uint32_t xorshift32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Every prefix of every corpus message, and mutations of each, in
 * exact-size buffers: the sanitizers see any read past the end. */
static unsigned int torture_parses, torture_accepted;

static void torture_file(const char *dir, const char *file, uint32_t *seed)
{
	static const char bytes[] = { '\0', '\r', '\n', ' ', ':', ';', ',',
				      '"', '<', '>', '\\', '@', '9', '\t' };
	size_t len, n, k;
	char *b, *copy;
	int err, bad = 0;

	b = corpus_file(dir, file, &len);
	if (!ASSERT_TRUE(b != NULL, file))
		return;
	for (n = 0; n <= len; n++) {
		copy = exact_copy(b, n);
		err = sip_msg_parse(&msg, copy, n);
		torture_parses++;
		torture_accepted += !err;
		bad += !known_err(err);
		if (!err)
			check_invariants(&msg, copy, n, file);
		free(copy);
	}
	for (k = 0; k < 200 && len; k++) {
		copy = exact_copy(b, len);
		copy[xorshift32(seed) % len] =
			bytes[xorshift32(seed) % sizeof(bytes)];
		copy[xorshift32(seed) % len] = (char)xorshift32(seed);
		err = sip_msg_parse(&msg, copy, len);
		torture_parses++;
		torture_accepted += !err;
		bad += !known_err(err);
		if (!err)
			check_invariants(&msg, copy, len, file);
		free(copy);
	}
	ASSERT_EQ(bad, 0, "only 0, -EBADMSG, -EPROTONOSUPPORT, -ENODATA");
	free(b);
}

TEST(corpus_prefixes_and_mutations)
{
	static const char *const dirs[] = { "rfc4475", "rfc5118" };
	struct corpus_manifest mf;
	uint32_t seed = 0x5eed1234;
	char file[64];
	size_t d;
	int i;

	for (d = 0; d < ARRAY_SIZE(dirs); d++) {
		if (!corpus_manifest_load(&mf, dirs[d]))
			continue;
		for (i = 0; i < mf.nrows; i++) {
			if (mf.col_file >= 0)
				snprintf(file, sizeof(file), "%s",
					 mf.rows[i][mf.col_file]);
			else
				snprintf(file, sizeof(file), "%s.dat",
					 mf.rows[i][mf.col_name]);
			torture_file(dirs[d], file, &seed);
		}
		free(mf.text);
	}
	testlib_note("  %u parses, %u accepted\n", torture_parses, torture_accepted);
	ASSERT_GE(torture_parses, 30000, "the corpora were all read");
}

/* ---- URIs --------------------------------------------------------- */

struct uri_case {
	const char *text;
	int err;
	enum sip_uri_scheme scheme;
	const char *user;
	const char *password;
	const char *host;
	enum sip_host_type host_type;
	uint16_t port;
	const char *params;
	const char *headers;
};

#define BAD_URI(t) { .text = (t), .err = -EINVAL }
#define OPAQUE_URI(t) { .text = (t), .scheme = SIP_URI_OTHER }

static const struct uri_case uri_cases[] = {
	{ "sip:alice@atlanta.example.com", 0, SIP_URI_SIP, "alice", NULL,
	  "atlanta.example.com", SIP_HOST_NAME, 0, NULL, NULL },
	{ "sips:alice:secret@atlanta.com:5061;transport=tcp?subject=project%20x&priority=urgent",
	  0, SIP_URI_SIPS, "alice", "secret", "atlanta.com", SIP_HOST_NAME,
	  5061, "transport=tcp", "subject=project%20x&priority=urgent" },
	{ "SIP:+1-212-555-1212:1234@gateway.com;user=phone", 0, SIP_URI_SIP,
	  "+1-212-555-1212", "1234", "gateway.com", SIP_HOST_NAME, 0,
	  "user=phone", NULL },
	{ "sip:192.0.2.4:5060;lr", 0, SIP_URI_SIP, NULL, NULL, "192.0.2.4",
	  SIP_HOST_IPV4, 5060, "lr", NULL },
	{ "sip:example.com.", 0, SIP_URI_SIP, NULL, NULL, "example.com.",
	  SIP_HOST_NAME, 0, NULL, NULL },
	{ "sip:h:65535", 0, SIP_URI_SIP, NULL, NULL, "h", SIP_HOST_NAME,
	  65535, NULL, NULL },
	{ "sip:[2001:db8::10]", 0, SIP_URI_SIP, NULL, NULL, "[2001:db8::10]",
	  SIP_HOST_IPV6, 0, NULL, NULL },
	{ "sip:[2001:db8::10]:5070", 0, SIP_URI_SIP, NULL, NULL,
	  "[2001:db8::10]", SIP_HOST_IPV6, 5070, NULL, NULL },
	{ "sip:[2001:db8::10:5070]", 0, SIP_URI_SIP, NULL, NULL,
	  "[2001:db8::10:5070]", SIP_HOST_IPV6, 0, NULL, NULL },
	{ "sip:user@[2001:db8:::192.0.2.1]", 0, SIP_URI_SIP, "user", NULL,
	  "[2001:db8:::192.0.2.1]", SIP_HOST_IPV6, 0, NULL, NULL },
	{ "sip:[::ffff:192.0.2.10]:19823", 0, SIP_URI_SIP, NULL, NULL,
	  "[::ffff:192.0.2.10]", SIP_HOST_IPV6, 19823, NULL, NULL },
	{ "sip:user;par=u%40example.net@example.com", 0, SIP_URI_SIP,
	  "user;par=u%40example.net", NULL, "example.com", SIP_HOST_NAME, 0,
	  NULL, NULL },
	{ "sip:%00@host5.example.com", 0, SIP_URI_SIP, "%00", NULL,
	  "host5.example.com", SIP_HOST_NAME, 0, NULL, NULL },
	{ "sip:u:@h", 0, SIP_URI_SIP, "u", NULL, "h", SIP_HOST_NAME, 0, NULL,
	  NULL },
	{ "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
	  0, SIP_URI_SIP, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
	  "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)", "example.com",
	  SIP_HOST_NAME, 0, NULL, NULL },
	{ "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31", 0,
	  SIP_URI_SIP, "cal%6Cer", NULL, "host5.example.net", SIP_HOST_NAME, 0,
	  "%6C%72;n%61me=v%61lue%25%34%31", NULL },
	{ "tel:+1-201-555-0123;phone-context=example.com", 0, SIP_URI_TEL,
	  "+1-201-555-0123", NULL, NULL, SIP_HOST_NONE, 0,
	  "phone-context=example.com", NULL },
	OPAQUE_URI("nobodyKnowsThisScheme:totallyopaquecontent"),
	OPAQUE_URI("soap.beep://192.0.2.103:3002"),
	OPAQUE_URI("http://www.example.com"),
	OPAQUE_URI("isbn:2983792873"),
	/* malformed */
	BAD_URI("sip:2001:db8::10"),		/* RFC 5118 ipv6-bad */
	BAD_URI("sip:[2001:db8::10"),
	BAD_URI("sip:[2001:db8::10]5060"),
	BAD_URI("sip:[]"),
	BAD_URI("sip:[zz::1]"),
	BAD_URI("sip:[1]"),
	BAD_URI("sip:[1234]"),
	BAD_URI("sip:[1.2.3.4]"),
	BAD_URI("sip:[1:2]"),
	BAD_URI("sip:a@[::1"),
	BAD_URI("sip:a@["),
	BAD_URI("sip:h:0"),
	BAD_URI("sip:h:65536"),
	BAD_URI("sip:h:99999999999999999999"),
	BAD_URI("sip:h:"),
	BAD_URI("sip:h:50x"),
	BAD_URI("sip:192.0.2.256"),
	BAD_URI("sip:1.2.3"),
	BAD_URI("sip:-a.example.com"),
	BAD_URI("sip:a..example.com"),
	BAD_URI("sip:a_b.example.com"),
	BAD_URI("sip:a%4@h"),
	BAD_URI("sip:a%zz@h"),
	BAD_URI("sip:a@b@c"),
	BAD_URI("sip:@h"),
	BAD_URI("sip:a b@h"),
	BAD_URI("sip:a@h "),
	BAD_URI("sip:h;"),
	BAD_URI("sip:h;;lr"),
	BAD_URI("sip:h;a="),
	BAD_URI("sip:h?"),
	BAD_URI("sip:h?a"),
	BAD_URI("sip:h?=b"),
	BAD_URI("sip:<h>"),
	BAD_URI("sip:"),
	BAD_URI(""),
	BAD_URI(":x"),
	BAD_URI("1sip:x"),
	BAD_URI("sip"),
	BAD_URI("mailto:<a>"),
	BAD_URI("tel:"),
	BAD_URI("tel:;x=y"),
	BAD_URI("x:"),
};

TEST(uri_table)
{
	struct sip_uri u;
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(uri_cases); i++) {
		const struct uri_case *c = &uri_cases[i];
		char *b = exact_copy(c->text, strlen(c->text));

		err = sip_uri_parse(sip_slice_make(b, strlen(c->text)), &u);
		if (ASSERT_EQ(err, c->err, c->text) && !err) {
			ASSERT_EQ(u.scheme, c->scheme, c->text);
			if (c->scheme != SIP_URI_OTHER) {
				ASSERT_SLICE(u.user, c->user, c->text);
				ASSERT_SLICE(u.password, c->password, c->text);
				ASSERT_SLICE(u.host, c->host, c->text);
				ASSERT_EQ(u.host_type, c->host_type, c->text);
				ASSERT_EQ(u.port, c->port, c->text);
				ASSERT_SLICE(u.params, c->params, c->text);
				ASSERT_SLICE(u.headers, c->headers, c->text);
			} else {
				ASSERT_SLICE(u.opaque, strchr(c->text, ':') + 1,
					     c->text);
			}
		}
		free(b);
	}
}

/* ---- name-addr / addr-spec (To, From) ----------------------------- */

struct addr_case {
	const char *text;
	size_t len;
	int err;
	const char *display;
	bool quoted;
	const char *uri;
	const char *tag;
	const char *params;
	size_t display_len;	/* for display names with NULs, else 0 */
};

#define BAD_ADDR(t) { .text = (t), .len = sizeof(t) - 1, .err = -EINVAL }

static const struct addr_case addr_cases[] = {
	{ M("Bob <sip:bob@biloxi.com>;tag=a6c85cf"), 0, "Bob", false,
	  "sip:bob@biloxi.com", "a6c85cf", ";tag=a6c85cf", 0 },
	{ M("\"Mr. Watson\" <sip:watson@bell.example.com>;tag=19283"), 0,
	  "Mr. Watson", true, "sip:watson@bell.example.com", "19283",
	  ";tag=19283", 0 },
	{ M("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n"), 0,
	  NULL, false, "sip:vivekg@chair-dnrc.example.com", "1918181833n",
	  ";   tag    = 1918181833n", 0 },
	{ M("\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8"),
	  0, "J Rosenberg \\\\\\\"", true, "sip:jdrosen@example.com",
	  "98asjd8", ";\r\n  tag = 98asjd8", 0 },
	{ M("caller<sip:caller@example.com>;tag=323"), 0, "caller", false,
	  "sip:caller@example.com", "323", ";tag=323", 0 },
	{ M("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>"), 0,
	  "token1~` token2'+_ token3*%!.-", false, "sip:mundane@example.com",
	  NULL, NULL, 0 },
	{ M("<sip:a@h>"), 0, NULL, false, "sip:a@h", NULL, NULL, 0 },
	{ M("\"\" <sip:a@h>"), 0, NULL, true, "sip:a@h", NULL, NULL, 0 },
	{ M("\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" <sip:a@h>"), 0,
	  "BEL:\\\x07 NUL:\\\0 DEL:\\\x7f", true, "sip:a@h", NULL, NULL, 20 },
	{ M("<http://www.example.com>;tag=x"), 0, NULL, false,
	  "http://www.example.com", "x", ";tag=x", 0 },
	{ M("sip:a@h;tag=\"quoted;tag\""), 0, NULL, false, "sip:a@h",
	  "quoted;tag", ";tag=\"quoted;tag\"", 0 },
	{ M("<sip:a@h;lr>;x;y=[2001:db8::1]"), 0, NULL, false, "sip:a@h;lr",
	  NULL, ";x;y=[2001:db8::1]", 0 },
	/* malformed */
	BAD_ADDR("\"Mr. J. User <sip:j.user@example.com>"), /* quotbal */
	BAD_ADDR("\"Watson, Thomas\" < sip:t.watson@example.org >"),
	BAD_ADDR("Bell, Alexander <sip:a.g.bell@example.com>;tag=43"),
	BAD_ADDR("sip:user@example.com?Route=%3Csip:sip.example.com%3E"),
	BAD_ADDR("alan@jasomi.com"),	/* no scheme: RFC 4475 test */
	BAD_ADDR("<sip:a@h>;tag="),
	BAD_ADDR("<sip:a@h>;;tag=1"),
	BAD_ADDR("<sip:a@h>;=1"),
	BAD_ADDR("<sip:a@h>;tag=\"open"),
	BAD_ADDR("<sip:a@h> x"),
	BAD_ADDR("<sip:a@h>, <sip:b@h>"),
	BAD_ADDR("<sip:a@h"),
	BAD_ADDR("<>"),
	BAD_ADDR("\"x\" sip:a@h"),
	BAD_ADDR("\"a\r\nb\" <sip:a@h>"),	/* a break, not a fold */
	BAD_ADDR("\"a\x01\" <sip:a@h>"),	/* raw control character */
	BAD_ADDR("J\xc3\xbcrgen <sip:a@h>"), /* UTF-8 must be quoted */
	BAD_ADDR(""),
	/* Ending exactly at the end of the buffer, in odd places. */
	BAD_ADDR("\"abc\\"),
	BAD_ADDR("\"abc"),
	BAD_ADDR("\"abc\r\n"),
	BAD_ADDR("<sip:a@h>\r\n"),
	BAD_ADDR("<sip:a@h>;x=\"a\\"),
	BAD_ADDR("<sip:a@h>;x\r\n"),
	BAD_ADDR("<sip:a@h>;x=\r\n"),
	BAD_ADDR("<"),
	BAD_ADDR("\""),
};

TEST(addr_table)
{
	struct sip_addr a;
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(addr_cases); i++) {
		const struct addr_case *c = &addr_cases[i];
		char *b = exact_copy(c->text, c->len);

		err = sip_addr_parse(sip_slice_make(b, c->len), &a);
		if (ASSERT_EQ(err, c->err, c->text) && !err) {
			/* Display names may hold NULs: compare by length. */
			if (c->display_len)
				ASSERT_TRUE(a.display.len == c->display_len &&
					    !memcmp(a.display.p, c->display,
						    c->display_len), c->text);
			else
				ASSERT_SLICE(a.display, c->display, c->text);
			ASSERT_EQ(a.display_quoted, c->quoted, c->text);
			ASSERT_SLICE(a.uri_text, c->uri, c->text);
			ASSERT_SLICE(a.tag, c->tag, c->text);
			ASSERT_SLICE(a.params, c->params, c->text);
		}
		free(b);
	}
}

/* ---- Contact ------------------------------------------------------ */

struct contact_want {
	bool star;
	const char *display;
	const char *uri;
	uint16_t q;
	bool has_q;
	uint32_t expires;
	bool has_expires;
};

struct contact_case {
	const char *text;
	int n;		/* contacts returned before the final error */
	int err;		/* -ENOENT: the list ended well */
	struct contact_want want[3];
};

static const struct contact_case contact_cases[] = {
	{ "*", 1, -ENOENT, { { .star = true } } },
	{ " * ", 1, -ENOENT, { { .star = true } } },
	{ "<sip:a@h>;q=0.7;expires=3600, \"Mr, <X>\" <sip:c@d;transport=tcp>;q=1 ,sip:e@f;Q=0.123",
	  3, -ENOENT,
	  { { false, NULL, "sip:a@h", 700, true, 3600, true },
	    { false, "Mr, <X>", "sip:c@d;transport=tcp", 1000, true, 0,
	      false },
	    { false, NULL, "sip:e@f", 123, true, 0, false } } },
	{ "<sip:a@h>", 1, -ENOENT,
	  { { false, NULL, "sip:a@h", SIP_Q_DEFAULT, false, 0, false } } },
	{ "\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33",
	  1, -ENOENT,
	  { { false, "Quoted string \\\"\\\"", "sip:jdrosen@example.com", 330,
	      true, 0, false } } },
	{ "sip:+19725552222@gw1.example.net;unknownparam", 1, -ENOENT,
	  { { false, NULL, "sip:+19725552222@gw1.example.net", SIP_Q_DEFAULT,
	      false, 0, false } } },
	{ "<sip:[2001:db8::1]:5060>;expires=60", 1, -ENOENT,
	  { { false, NULL, "sip:[2001:db8::1]:5060", SIP_Q_DEFAULT, false, 60,
	      true } } },
	{ "<sip:u@h>;expires=280297596632815", 1, -ENOENT,	/* scalar02 */
	  { { false, NULL, "sip:u@h", SIP_Q_DEFAULT, false, UINT32_MAX,
	      true } } },
	{ "<sip:u@h>;expires=4294967295;q=0", 1, -ENOENT,
	  { { false, NULL, "sip:u@h", 0, true, UINT32_MAX, true } } },
	{ "<sip:u@h>;+sip.instance=\"<urn:uuid:0000-AA>\";reg-id=1", 1,
	  -ENOENT,
	  { { false, NULL, "sip:u@h", SIP_Q_DEFAULT, false, 0, false } } },
	{ .text = "", .err = -ENOENT },
	{ .text = "  \r\n ", .err = -ENOENT },
	/* malformed */
	{ .text = "*;expires=0", .err = -EINVAL },
	{ .text = "*, <sip:a@h>", .err = -EINVAL },
	{ .text = "<sip:a@h>, *", .err = -EINVAL },
	{ .text = "<sip:a@h>,", .err = -EINVAL },
	{ .text = "<sip:a@h> <sip:b@h>", .err = -EINVAL },
	{ .text = "<sip:a@h>;q=1.5", .err = -EINVAL },
	{ .text = "<sip:a@h>;q=0.1234", .err = -EINVAL },
	{ .text = "<sip:a@h>;q=", .err = -EINVAL },
	{ .text = "<sip:a@h>;expires=soon", .err = -EINVAL },
	{ .text = "<sip:a@h>;expires=-1", .err = -EINVAL },
	{ .text = "\"Joe\" <sip:joe@example.org>;;;;", .err = -EINVAL },	/* badinv01 */
	{ .text = "<sip:a@h>\r\n", .err = -EINVAL },
	{ "<sip:a@h>,\r\n", 1, -EINVAL,
	  { { false, NULL, "sip:a@h", SIP_Q_DEFAULT, false, 0, false } } },
	{ .text = "*\r\n", .err = -EINVAL },
	{ .text = "\"a\\", .err = -EINVAL },
	{ .text = "sip:user@example.com?Route=%3Csip:sip.example.com%3E", .err = -EINVAL },
	{ "<sip:a@h>;q=0.5, sip:b@h:0", 1, -EINVAL,
	  { { false, NULL, "sip:a@h", 500, true, 0, false } } },
};

TEST(contact_table)
{
	struct sip_contact c;
	struct sip_slice rest;
	size_t i;
	int n, err;

	for (i = 0; i < ARRAY_SIZE(contact_cases); i++) {
		const struct contact_case *cc = &contact_cases[i];
		char *b = exact_copy(cc->text, strlen(cc->text));

		rest = sip_slice_make(b, strlen(cc->text));
		for (n = 0; !(err = sip_contact_next(&rest, &c)); n++) {
			const struct contact_want *w = &cc->want[n];

			if (!ASSERT_LE(n, cc->n - 1, cc->text))
				break;
			ASSERT_EQ(c.star, w->star, cc->text);
			if (w->star)
				continue;
			ASSERT_SLICE(c.addr.display, w->display, cc->text);
			ASSERT_SLICE(c.addr.uri_text, w->uri, cc->text);
			ASSERT_EQ(c.q, w->q, cc->text);
			ASSERT_EQ(c.has_q, w->has_q, cc->text);
			ASSERT_EQ(c.expires, w->expires, cc->text);
			ASSERT_EQ(c.has_expires, w->has_expires, cc->text);
		}
		ASSERT_EQ(n, cc->n, cc->text);
		ASSERT_EQ(err, cc->err, cc->text);
		free(b);
	}
}

/* RFC 4475 cparam01/02: where a ;param belongs. */
TEST(contact_param_placement)
{
	struct sip_contact c;
	struct sip_slice v, rest = SIP_SLICE_LIT(
		"sip:+19725552222@gw1.example.net;unknownparam");

	if (ASSERT_OK(sip_contact_next(&rest, &c), "cparam01")) {
		ASSERT_SLICE(c.addr.uri.params, NULL, "not a URI param");
		ASSERT_OK(sip_param_get(c.addr.params, "unknownparam", &v),
			  "a header param");
	}
	rest = SIP_SLICE_LIT("<sip:+19725552222@gw1.example.net;unknownparam>");
	if (ASSERT_OK(sip_contact_next(&rest, &c), "cparam02")) {
		ASSERT_SLICE(c.addr.uri.params, "unknownparam", "a URI param");
		ASSERT_EQ(sip_param_get(c.addr.params, "unknownparam", &v),
			  -ENOENT, "not a header param");
	}
}

TEST(qvalue_table)
{
	static const struct {
		const char *text;
		int err;
		uint16_t q;
	} cases[] = {
		{ "1", 0, 1000 }, { "1.", 0, 1000 }, { "1.0", 0, 1000 },
		{ "1.000", 0, 1000 }, { "0", 0, 0 }, { "0.", 0, 0 },
		{ "0.5", 0, 500 }, { "0.05", 0, 50 }, { "0.123", 0, 123 },
		{ "0.999", 0, 999 },
		{ .text = "1.001", .err = -EINVAL },
		{ .text = "1.5", .err = -EINVAL },
		{ .text = "2", .err = -EINVAL },
		{ .text = "0.1234", .err = -EINVAL },
		{ .text = "", .err = -EINVAL },
		{ .text = ".5", .err = -EINVAL },
		{ .text = "0,5", .err = -EINVAL },
		{ .text = "0.5x", .err = -EINVAL },
		{ .text = "-0", .err = -EINVAL },
		{ .text = "01", .err = -EINVAL },
	};
	uint16_t q;
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		err = sip_qvalue_parse(sip_slice_str(cases[i].text), &q);
		if (ASSERT_EQ(err, cases[i].err, cases[i].text) && !err)
			ASSERT_EQ(q, cases[i].q, cases[i].text);
	}
}

TEST(param_get_table)
{
	static const struct {
		const char *params;
		const char *name;
		int err;
		const char *value;
	} cases[] = {
		{ ";tag=abc;Q=0.5;lr;x=\"a;b\"", "tag", 0, "abc" },
		{ ";tag=abc;Q=0.5;lr;x=\"a;b\"", "q", 0, "0.5" },
		{ ";tag=abc;Q=0.5;lr;x=\"a;b\"", "LR", 0, "" },
		{ ";tag=abc;Q=0.5;lr;x=\"a;b\"", "x", 0, "a;b" },
		{ ";tag=abc;Q=0.5;lr;x=\"a;b\"", "b\"", -ENOENT, NULL },
		{ ";tag=abc;Q=0.5;lr;x=\"a;b\"", "ta", -ENOENT, NULL },
		{ "transport=tcp;lr", "transport", 0, "tcp" },
		{ " ;\r\n  tag = 98asjd8", "tag", 0, "98asjd8" },
		{ ";a=\"unterminated;b=1", "b", -ENOENT, NULL },
		{ ";a=\"x\\", "a", 0, "\"x\\" },
		{ "", "tag", -ENOENT, NULL },
	};
	struct sip_slice v;
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *b = exact_copy(cases[i].params, strlen(cases[i].params));

		err = sip_param_get(sip_slice_make(b, strlen(cases[i].params)),
				    cases[i].name, &v);
		if (ASSERT_EQ(err, cases[i].err, cases[i].name) && !err)
			ASSERT_SLICE(v, cases[i].value, cases[i].params);
		free(b);
	}
}

/* ---- Via ---------------------------------------------------------- */

struct via_want {
	const char *transport;
	const char *host;
	uint16_t port;
	const char *branch;
};

static const struct {
	const char *text;
	int n;
	int err;
	struct via_want want[2];
} via_cases[] = {
	{ "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds", 1, -ENOENT,
	  { { "UDP", "pc33.atlanta.com", 0, "z9hG4bK776asdhds" } } },
	{ "SIP/2.0/TLS [2001:db8::9:1]:6050;branch=z9hG4bKas3;received=192.0.2.1",
	  1, -ENOENT, { { "TLS", "[2001:db8::9:1]", 6050, "z9hG4bKas3" } } },
	{ "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw", 1,
	  -ENOENT, { { "UDP", "192.0.2.2", 0, "390skdjuw" } } },
	{ "SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,\r\n SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239",
	  2, -ENOENT,
	  { { "TCP", "spindle.example.com", 0, "z9hG4bK9ikj8" },
	    { "UDP", "192.168.255.111", 0, "z9hG4bK30239" } } },
	{ "SIP/2.0/UDP h : 5060", 1, -ENOENT, { { "UDP", "h", 5060, NULL } } },
	{ "SIP/2.0/UDP h;received=2001:db8::9:255;rport", 1, -ENOENT,
	  { { "UDP", "h", 0, NULL } } },
	{ .text = "SIP/2.0/UDP 192.0.2.15;;,;,,", .err = -EINVAL },	/* badinv01 */
	{ .text = "SIP/2.0/UDP h:0", .err = -EINVAL },
	{ .text = "SIP/2.0/UDP h:65536", .err = -EINVAL },
	{ .text = "SIP/2.0/UDP", .err = -EINVAL },
	{ .text = "SIP/2.0 UDP h", .err = -EINVAL },
	{ .text = "SIP/2.0/UDPh", .err = -EINVAL },
	{ .text = "SIP/2.0/UDP h x", .err = -EINVAL },
	{ .text = "SIP/2.0/UDP a,", .err = -EINVAL },
	{ .text = "SIP/2.0/UDP 2001:db8::1", .err = -EINVAL },
	{ .text = "SIP/2.0/UDP h\r\n", .err = -EINVAL },
	{ .text = "SIP/2.0/UDP h:5060\r\n", .err = -EINVAL },
	{ .text = "SIP/2.0/UDP h;branch=x\r\n", .err = -EINVAL },
	{ .text = "SIP/2.0/UDP\r\n", .err = -EINVAL },
	{ .text = "SIP\r\n", .err = -EINVAL },
	{ .text = "", .err = -ENOENT },
};

TEST(via_table)
{
	struct sip_slice rest;
	struct sip_via v;
	size_t i;
	int n, err;

	for (i = 0; i < ARRAY_SIZE(via_cases); i++) {
		const char *text = via_cases[i].text;
		char *b = exact_copy(text, strlen(text));

		rest = sip_slice_make(b, strlen(text));
		for (n = 0; !(err = sip_via_next(&rest, &v)); n++) {
			const struct via_want *w = &via_cases[i].want[n];

			if (!ASSERT_LE(n, via_cases[i].n - 1, text))
				break;
			ASSERT_SLICE(v.protocol, "SIP", text);
			ASSERT_SLICE(v.version, "2.0", text);
			ASSERT_SLICE(v.transport, w->transport, text);
			ASSERT_SLICE(v.host, w->host, text);
			ASSERT_EQ(v.port, w->port, text);
			ASSERT_SLICE(v.branch, w->branch, text);
		}
		ASSERT_EQ(n, via_cases[i].n, text);
		ASSERT_EQ(err, via_cases[i].err, text);
		free(b);
	}
}

/* ---- unfolding and responses -------------------------------------- */

TEST(unfold_table)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "a\r\n b", "a b" }, { "a \r\n\t b", "a b" },
		{ "a\n b", "a b" }, { "a\r\n b\r\n  c", "a b c" },
		{ "a  b", "a  b" }, { "", "" },
	};
	char out[16];
	size_t i, want;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		want = strlen(cases[i].out);
		if (ASSERT_EQ(sip_value_unfold(sip_slice_str(cases[i].in), out,
					       sizeof(out)), want, cases[i].in))
			ASSERT_STR(out, cases[i].out, cases[i].in);
		ASSERT_EQ(sip_value_unfold(sip_slice_str(cases[i].in), out,
					   want), -ENOSPC, "no room for NUL");
		ASSERT_EQ(sip_value_unfold(sip_slice_str(cases[i].in), out,
					   want + 1), want, "exact room");
	}
}

static const char request_for_response[] =
	"REGISTER sip:registrar.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1,\r\n"
	"  SIP/2.0/UDP 192.0.2.4:5062;branch=z9hG4bKp2\r\n"
	"v: SIP/2.0/UDP bobspc.example.com:5060;branch=z9hG4bKnashds7\r\n"
	"Max-Forwards: 70\r\n"
	"t: Bob <sip:bob@example.com>\r\n"
	"From: Bob <sip:bob@example.com>;tag=456248\r\n"
	"i: 843817637684230@998sdasdh09\r\n"
	"CSeq: 1826 REGISTER\r\n"
	"Contact: <sip:bob@192.0.2.4>\r\n"
	"Expires: 7200\r\n"
	"Content-Length: 0\r\n\r\n";

static const char response_expected[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1, SIP/2.0/UDP 192.0.2.4:5062;branch=z9hG4bKp2\r\n"
	"Via: SIP/2.0/UDP bobspc.example.com:5060;branch=z9hG4bKnashds7\r\n"
	"From: Bob <sip:bob@example.com>;tag=456248\r\n"
	"To: Bob <sip:bob@example.com>;tag=2493k59kd\r\n"
	"Call-ID: 843817637684230@998sdasdh09\r\n"
	"CSeq: 1826 REGISTER\r\n"
	"Contact: <sip:bob@192.0.2.4>;expires=3600\r\n"
	"Content-Length: 0\r\n\r\n";

TEST(build_response)
{
	static struct sip_msg resp;
	const char *extra = "Contact: <sip:bob@192.0.2.4>;expires=3600\r\n";
	char out[1024], *b;
	int n, size;

	if (!ASSERT_OK(parse_exact(&msg, M(request_for_response), &b),
		       "request parses"))
		goto out;
	n = sip_build_response(&msg, 200, NULL, "2493k59kd", extra, out,
			       sizeof(out));
	if (!ASSERT_EQ(n, sizeof(response_expected) - 1, "response length"))
		fprintf(stderr, "%s\n", n > 0 ? out : "");
	else
		ASSERT_STR(out, response_expected, "response text");
	if (n > 0 &&
	    ASSERT_OK(sip_msg_parse(&resp, out, n), "response parses")) {
		ASSERT_EQ(resp.status, 200, "status");
		ASSERT_TRUE(sip_slice_eq(resp.call_id, msg.call_id),
			    "same Call-ID");
		ASSERT_SLICE(resp.to.tag, "2493k59kd", "To tag added");
		ASSERT_EQ(resp.count[SIP_HDR_VIA], 2, "both Via fields");
		ASSERT_SLICE(resp.via.branch, "z9hG4bKp1", "top Via first");
	}
	/* Every size too small is -ENOSPC; one byte over the length fits. */
	for (size = 0; size <= n; size++)
		if (!ASSERT_EQ(sip_build_response(&msg, 200, NULL, "2493k59kd",
						  extra, out, size),
			       -ENOSPC, "too small"))
			break;
	ASSERT_EQ(sip_build_response(&msg, 200, NULL, "2493k59kd", extra, out,
				     n + 1), n, "exact size");

	ASSERT_EQ(sip_build_response(&msg, 99, NULL, NULL, NULL, out,
				     sizeof(out)), -EINVAL, "status 99");
	ASSERT_EQ(sip_build_response(&msg, 700, NULL, NULL, NULL, out,
				     sizeof(out)), -EINVAL, "status 700");
	ASSERT_EQ(sip_build_response(&msg, 200, NULL, "a b", NULL, out,
				     sizeof(out)), -EINVAL,
		  "to_tag not a token");
	ASSERT_EQ(sip_build_response(&msg, 200, NULL, "", NULL, out,
				     sizeof(out)), -EINVAL, "empty to_tag");
	ASSERT_EQ(sip_build_response(&msg, 200, NULL, NULL, "X: y", out,
				     sizeof(out)), -EINVAL,
		  "extra without CRLF");
	ASSERT_EQ(sip_build_response(&msg, 200, "OK\r\nX: y", NULL, NULL, out,
				     sizeof(out)), -EINVAL, "CRLF in reason");
	ASSERT_EQ(sip_build_response(&resp, 200, NULL, NULL, NULL, out,
				     sizeof(out)), -EINVAL, "not a request");
out:
	free(b);
}

TEST(build_response_to_tag_kept)
{
	static const char req[] = "BYE sip:a@h SIP/2.0\r\n" VIA
				  "To: <sip:b@h>;tag=theirs\r\n" FROM CID
				  "CSeq: 2 BYE\r\n\r\n";
	char out[512], *b;
	int n;

	if (!ASSERT_OK(parse_exact(&msg, M(req), &b), "BYE parses"))
		goto out;
	n = sip_build_response(&msg, 481, NULL, "mine", NULL, out,
			       sizeof(out));
	if (ASSERT_GE(n, 1, "built")) {
		ASSERT_TRUE(strstr(out, "SIP/2.0 481 Call/Transaction Does Not Exist\r\n") == out,
			    "default reason phrase");
		ASSERT_TRUE(strstr(out, "To: <sip:b@h>;tag=theirs\r\n") != NULL,
			    "the request's To tag kept");
		ASSERT_TRUE(strstr(out, "mine") == NULL, "no second tag");
	}
out:
	free(b);
}

/* Requests the parser refused can still be answered 400 / 505. */
TEST(build_response_to_rejected_request)
{
	static const char missing_cid[] = RL VIA MF TO FROM CSEQ END;
	char out[1024], *b;
	size_t len;
	int n;

	ASSERT_EQ(parse_exact(&msg, M(missing_cid), &b), -EBADMSG, "refused");
	n = sip_build_response(&msg, 400, msg.error, "t1", NULL, out,
			       sizeof(out));
	if (ASSERT_GE(n, 1, "400 built")) {
		ASSERT_TRUE(strstr(out, "SIP/2.0 400 Missing Call-ID\r\n") == out,
			    "reason from the parser");
		ASSERT_TRUE(strstr(out, "\r\nCall-ID:") == NULL,
			    "no Call-ID to copy");
		ASSERT_TRUE(strstr(out, "To: Bob <sip:bob@biloxi.example.com>;tag=t1\r\n") != NULL,
			    "To tagged");
	}
	free(b);

	b = corpus_file("rfc4475", "badvers.dat", &len);
	if (!ASSERT_TRUE(b != NULL, "badvers.dat"))
		return;
	ASSERT_EQ(sip_msg_parse(&msg, b, len), -EPROTONOSUPPORT, "badvers");
	n = sip_build_response(&msg, 505, NULL, "t2", NULL, out, sizeof(out));
	if (ASSERT_GE(n, 1, "505 built")) {
		ASSERT_TRUE(strstr(out, "SIP/2.0 505 Version Not Supported\r\n") == out,
			    "505 status line");
		ASSERT_TRUE(strstr(out, "Call-ID: badvers.31417@c.example.com\r\n") != NULL,
			    "Call-ID copied");
	}
	free(b);

	ASSERT_EQ(parse_exact(&msg, M(RL MF TO FROM CID CSEQ END), &b),
		  -EBADMSG, "no Via");
	ASSERT_EQ(sip_build_response(&msg, 400, NULL, NULL, NULL, out,
				     sizeof(out)), -EINVAL,
		  "nowhere to send a response without Via");
	free(b);
}

TEST(intmeth_nul_in_display_name)
{
	size_t len;
	char *b;

	b = corpus_file("rfc4475", "intmeth.dat", &len);
	if (!ASSERT_TRUE(b != NULL, "intmeth.dat"))
		return;
	if (ASSERT_OK(sip_msg_parse(&msg, b, len), "intmeth")) {
		ASSERT_TRUE(msg.to.display_quoted, "quoted display name");
		ASSERT_TRUE(memchr(msg.to.display.p, '\0', msg.to.display.len)
			    != NULL, "the escaped NUL is inside it");
		ASSERT_EQ(msg.to.display.len, 20, "display name length");
		ASSERT_SLICE(msg.from.tag, "_token~1'+`*%!-.", "From tag");
		ASSERT_SLICE(msg.ruri.user,
			     "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
			     "Request-URI user");
	}
	free(b);
}

int main(int argc, char **argv)
{
	return testlib_main(argc, argv);
}

/*
 * RFC 3581 4 and RFC 3261 18.2.1: the top Via of a response to a request
 * from SRC gets received (and rport) for SRC; the Vias below never change.
 */
TEST(build_response_received_rport)
{
	static const struct {
		const char *name;
		int family;
		const char *src;
		uint16_t port;
		const char *via;	/* the request's top Via value */
		const char *want;	/* the response's */
	} cases[] = {
		{ "rport empty, behind NAT", AF_INET, "203.0.113.9", 40123,
		  "SIP/2.0/UDP 192.168.1.2:5060;rport;branch=z9hG4bKa",
		  "SIP/2.0/UDP 192.168.1.2:5060;rport=40123;branch=z9hG4bKa;received=203.0.113.9" },
		{ "rport empty, sent-by right: received anyway", AF_INET,
		  "192.0.2.7", 5060,
		  "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKb;rport",
		  "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKb;rport=5060;received=192.0.2.7" },
		{ "RPORT in capitals", AF_INET, "203.0.113.9", 1,
		  "SIP/2.0/UDP h.example;branch=z9hG4bKc;RPORT",
		  "SIP/2.0/UDP h.example;branch=z9hG4bKc;rport=1;received=203.0.113.9" },
		{ "rport with a value: the client's, kept", AF_INET,
		  "203.0.113.9", 40123,
		  "SIP/2.0/UDP 192.168.1.2;rport=5062;branch=z9hG4bKd",
		  "SIP/2.0/UDP 192.168.1.2;rport=5062;branch=z9hG4bKd;received=203.0.113.9" },
		{ "no rport, address differs: received", AF_INET,
		  "203.0.113.9", 40123,
		  "SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bKe",
		  "SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bKe;received=203.0.113.9" },
		{ "no rport, host name: received", AF_INET, "192.0.2.7",
		  5060, "SIP/2.0/UDP pc33.example.com;branch=z9hG4bKf",
		  "SIP/2.0/UDP pc33.example.com;branch=z9hG4bKf;received=192.0.2.7" },
		{ "no rport, address right: unchanged", AF_INET, "192.0.2.7",
		  40000, "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKg",
		  "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKg" },
		{ "a received from the client is replaced", AF_INET,
		  "203.0.113.9", 40123,
		  "SIP/2.0/UDP 192.168.1.2;received=10.9.9.9;branch=z9hG4bKh",
		  "SIP/2.0/UDP 192.168.1.2;branch=z9hG4bKh;received=203.0.113.9" },
		{ "a false received dropped, sent-by right", AF_INET,
		  "192.0.2.7", 5060,
		  "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKi;received=10.9.9.9",
		  "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKi" },
		{ "no parameters at all", AF_INET,
		  "203.0.113.9", 7, "SIP/2.0/UDP 192.168.1.2:5070",
		  "SIP/2.0/UDP 192.168.1.2:5070;received=203.0.113.9" },
		{ "IPv6, rport: received without brackets", AF_INET6,
		  "2001:db8::9", 40123,
		  "SIP/2.0/UDP [fd00::2]:5060;branch=z9hG4bKj;rport",
		  "SIP/2.0/UDP [fd00::2]:5060;branch=z9hG4bKj;rport=40123;received=2001:db8::9" },
		{ "IPv6, sent-by right (other spelling): unchanged", AF_INET6,
		  "2001:db8::9", 5060,
		  "SIP/2.0/UDP [2001:DB8:0::9]:5060;branch=z9hG4bKk",
		  "SIP/2.0/UDP [2001:DB8:0::9]:5060;branch=z9hG4bKk" },
		{ "second via-parm of the field untouched", AF_INET,
		  "203.0.113.9", 40123,
		  "SIP/2.0/UDP 192.168.1.2;rport;branch=z9hG4bKl, SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKm",
		  "SIP/2.0/UDP 192.168.1.2;rport=40123;branch=z9hG4bKl;received=203.0.113.9, SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKm" },
		{ "no source given: as it came", 0, NULL, 0,
		  "SIP/2.0/UDP 192.168.1.2;rport;branch=z9hG4bKn",
		  "SIP/2.0/UDP 192.168.1.2;rport;branch=z9hG4bKn" },
	};
	static struct sip_msg resp;
	char req[1024], out[2048], want[600];
	uint8_t addr[16];
	const struct sip_hdr *h;
	size_t i;
	int n;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		n = snprintf(req, sizeof(req),
			     "OPTIONS sip:x@h SIP/2.0\r\nVia: %s\r\n"
			     "Via: SIP/2.0/UDP 10.1.1.1;rport;branch=z9hG4bK0\r\n"
			     MF TO FROM CID "CSeq: 1 OPTIONS\r\n\r\n",
			     cases[i].via);
		if (!ASSERT_OK(sip_msg_parse(&msg, req, n), cases[i].name))
			continue;
		if (cases[i].family) {
			inet_pton(cases[i].family, cases[i].src, addr);
			ASSERT_OK(sip_msg_set_source(&msg, cases[i].family, addr,
						     cases[i].port),
				  cases[i].name);
		}
		n = sip_build_response(&msg, 200, NULL, "t", NULL, out,
				       sizeof(out));
		if (!ASSERT_GE(n, 1, cases[i].name) ||
		    !ASSERT_OK(sip_msg_parse(&resp, out, n), cases[i].name))
			continue;
		h = sip_msg_hdr(&resp, SIP_HDR_VIA);
		snprintf(want, sizeof(want), "%s", cases[i].want);
		if (!ASSERT_SLICE(h->value, want, cases[i].name))
			continue;
		ASSERT_TRUE(strstr(out, "\r\nVia: SIP/2.0/UDP 10.1.1.1;rport;branch=z9hG4bK0\r\n") != NULL,
			    "the second Via field as it came");
		ASSERT_TRUE(sip_slice_eq(resp.via.branch, msg.via.branch),
			    "the branch the client matches by, unchanged");
	}
	ASSERT_EQ(sip_msg_set_source(&msg, 12345, addr, 1), -EINVAL,
		  "unknown family refused");
}
