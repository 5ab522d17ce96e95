// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_registrar.c - registrar_handle() (RFC 3261 section 10.3) against
 * real BPF maps and no XDP program.
 *
 * Each case starts from a fresh fixture: siplb_location, siplb_sources and
 * siplb_blocked created in-process with the types, flags and layouts of
 * bpf/maps.bpf.h but only LOCATION_ENTRIES entries (so "map full" is a few
 * updates away), a users table made with users_format_line(), an auth guard
 * and a registrar whose clocks (struct registrar_now) the test sets. A
 * REGISTER is written as text and parsed with sip_msg_parse(), as siplbd
 * does; the answer is parsed back with sip_msg_parse() and its status and
 * headers are checked, then the maps themselves.
 *
 * Authenticated requests go as a UA sends them: once without credentials,
 * to get a 401 and its nonce, then with qop=auth, a cnonce and nc counting
 * up on that nonce (client_send()).
 *
 * Needs root (CAP_BPF) for bpf_map_create().
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "auth_guard.h"
#include "cluster_store.h"
#include "digest.h"
#include "endpoint.h"
#include "location.h"
#include "log.h"
#include "nonce.h"
#include "redis_server.h"
#include "registrar.h"
#include "sip_msg.h"
#include "users.h"
#include "location_sweep.h"
#include "testlib.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define REALM			"example.com"
#define RURI			"sip:" REALM
#define ALICE_AOR		"sip:alice@" REALM
#define BOB_AOR			"sip:bob@" REALM

/* Small maps, same kinds as bpf/maps.bpf.h. */
#define LOCATION_ENTRIES	64
#define SOURCES_ENTRIES		64
#define BLOCKED_ENTRIES		64

/* The registrar's policy in these tests. */
#define MAX_CONTACTS		5
#define DEFAULT_EXPIRES		3600
#define MIN_EXPIRES		60
#define MAX_EXPIRES		7200
#define NONCE_LIFETIME		300
#define GUARD_THRESHOLD		3
#define GUARD_WINDOW_S		60
#define GUARD_BLOCK_S		600
#define NS			1000000000ULL

/* The clocks every case starts at. */
#define REAL_START		1700000000ULL
#define MONO_START		1000ULL

#define CNONCE			"0a4f113b"

/* Who is in the users table. */
static const struct account {
	const char *user, *password;
} accounts[] = {
	{ "alice", "wonderland" },
	{ "bob", "builder" },
};

/* Credentials a client sends. */
struct creds {
	const char *user;	/* username= */
	const char *password;	/* what the client believes it is */
	const char *realm;	/* realm= and the HA1's realm; NULL: REALM */
	enum digest_alg alg;
};

static const struct creds alice = { "alice", "wonderland", NULL,
				    DIGEST_ALG_SHA256 };
static const struct creds alice_md5 = { "alice", "wonderland", NULL,
					DIGEST_ALG_MD5 };
static const struct creds alice_wrong = { "alice", "wonderlnad", NULL,
					  DIGEST_ALG_SHA256 };
static const struct creds mallory = { "mallory", "wonderlnad", NULL,
				      DIGEST_ALG_SHA256 };

/* What varies in a REGISTER; NULL or 0 fields take the defaults. */
struct reg_req {
	const char *ruri;	/* RURI */
	const char *to;		/* "<sip:alice@example.com>" */
	const char *call_id;	/* "reg-alice@192.0.2.10" */
	__u32 cseq;		/* the fixture's next CSeq */
	const char *headers;	/* whole lines: Contact, Expires, ... */
};

struct fixture {
	int location_fd, sources_fd, blocked_fd, aors_fd;
	struct location loc;
	struct auth_guard guard;
	bool guard_up;
	struct users *users;
	struct registrar reg;
	bool reg_up;
	struct registrar_now now;
	struct siplb_endpoint source;	/* where the REGISTERs come from */
	__u32 cseq;			/* next CSeq when a case gives none */
	__u32 branch;
	/* The client's digest state: the nonce of the last 401, its nc. */
	char nonce[128];
	__u32 nc;

	char text[8192];		/* the request */
	struct sip_msg req;
	char out[16384];		/* the response */
	struct sip_msg resp;
};

static struct fixture F;

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

/* ---- the fixture ------------------------------------------------------- */

/* Every user has an HA1 for every algorithm. */
#define ALL_ALGS                                                              \
	(DIGEST_ALG_BIT(DIGEST_ALG_MD5) | DIGEST_ALG_BIT(DIGEST_ALG_SHA256) | \
	 DIGEST_ALG_BIT(DIGEST_ALG_SHA512_256))

static int make_users(struct users **out)
{
	char text[2048], err[256];
	size_t used = 0, i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(accounts); i++) {
		ret = users_format_line(accounts[i].user, REALM,
					accounts[i].password, ALL_ALGS,
					text + used, sizeof(text) - used - 1);
		if (ret)
			return ret;
		used += strlen(text + used);
		text[used++] = '\n';
	}
	return users_parse("test users", text, used, out, err, sizeof(err));
}

static void fixture_down(void)
{
	if (F.reg_up)
		registrar_free(&F.reg);
	if (F.guard_up)
		auth_guard_free(&F.guard);
	users_free(F.users);
	if (F.location_fd >= 0)
		close(F.location_fd);
	if (F.sources_fd >= 0)
		close(F.sources_fd);
	if (F.blocked_fd >= 0)
		close(F.blocked_fd);
	if (F.aors_fd >= 0)
		close(F.aors_fd);
	memset(&F, 0, sizeof(F));
	F.location_fd = F.sources_fd = F.blocked_fd = F.aors_fd = -1;
}

/*
 * A fresh fixture whose registrar challenges with policy (NULL: SHA-256
 * then MD5 for everyone, so that the tests can use either).
 */
static bool fixture_up_policy(const struct digest_policy *policy)
{
	LIBBPF_OPTS(bpf_map_create_opts, no_prealloc,
		    .map_flags = BPF_F_NO_PREALLOC);
	struct registrar_conf conf = {
		.realm = REALM,
		.default_expires = DEFAULT_EXPIRES,
		.min_expires = MIN_EXPIRES,
		.max_expires = MAX_EXPIRES,
		.max_contacts = MAX_CONTACTS,
		.nonce_lifetime = NONCE_LIFETIME,
	};

	if (policy) {
		conf.digest = *policy;
	} else {
		digest_policy_init(&conf.digest);
		conf.digest.dflt = (struct digest_alg_list){
			{ DIGEST_ALG_SHA256, DIGEST_ALG_MD5 }, 2 };
	}
	memset(&F, 0, sizeof(F));
	F.location_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_location",
				       sizeof(struct siplb_location_key),
				       sizeof(struct siplb_binding),
				       LOCATION_ENTRIES, &no_prealloc);
	F.sources_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_sources",
				      sizeof(struct siplb_addr),
				      sizeof(struct siplb_source),
				      SOURCES_ENTRIES, &no_prealloc);
	F.aors_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_aors",
				   sizeof(struct siplb_aor_key),
				   sizeof(struct siplb_aor), LOCATION_ENTRIES,
				   &no_prealloc);
	F.blocked_fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "siplb_blocked",
				      sizeof(struct siplb_addr),
				      sizeof(struct siplb_block),
				      BLOCKED_ENTRIES, NULL);
	if (!ASSERT_GE(F.location_fd, 0,
		       "create siplb_location (needs root)") ||
	    !ASSERT_GE(F.sources_fd, 0, "create siplb_sources") ||
	    !ASSERT_GE(F.blocked_fd, 0, "create siplb_blocked") ||
	    !ASSERT_GE(F.aors_fd, 0, "create siplb_aors"))
		goto fail;
	F.loc = (struct location){ F.location_fd, F.sources_fd, MAX_CONTACTS,
				   F.aors_fd };
	if (!ASSERT_OK(auth_guard_init(&F.guard, F.blocked_fd, GUARD_THRESHOLD,
				       GUARD_WINDOW_S, GUARD_BLOCK_S),
		       "auth_guard_init"))
		goto fail;
	F.guard_up = true;
	if (!ASSERT_OK(make_users(&F.users), "users table from users_parse()"))
		goto fail;
	if (!ASSERT_OK(registrar_init(&F.reg, &conf, F.users, &F.loc,
				      &F.guard), "registrar_init"))
		goto fail;
	F.reg_up = true;
	F.now = (struct registrar_now){
		.real_s = REAL_START,
		.mono_s = MONO_START,
		.mono_ns = MONO_START * NS,
	};
	if (!ASSERT_OK(endpoint_parse("198.51.100.7:40123", &F.source),
		       "source endpoint"))
		goto fail;
	F.cseq = 1;
	return true;
fail:
	fixture_down();
	return false;
}

/* ... whose registrar challenges everyone with algs, in this order. */
static bool fixture_up_algs(const enum digest_alg *algs, size_t n)
{
	struct digest_policy policy;

	digest_policy_init(&policy);
	memcpy(policy.dflt.algs, algs, n * sizeof(*algs));
	policy.dflt.n = n;
	return fixture_up_policy(&policy);
}

static bool fixture_up(void)
{
	return fixture_up_policy(NULL);
}

/* Move every clock on by secs. */
static void advance(__u64 secs)
{
	F.now.real_s += secs;
	F.now.mono_s += secs;
	F.now.mono_ns += secs * NS;
}

/* ---- requests and responses -------------------------------------------- */

/* Write the REGISTER for rq into F.text; its length, or -1. */
static int build_req(const struct reg_req *rq, const char *authorization)
{
	__u32 cseq = rq->cseq ? rq->cseq : F.cseq++;
	int n;

	n = snprintf(F.text, sizeof(F.text),
		     "REGISTER %s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-%u\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:alice@" REALM ">;tag=456248\r\n"
		     "To: %s\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: %u REGISTER\r\n"
		     "%s%s%s%s"
		     "Content-Length: 0\r\n\r\n",
		     rq->ruri ? rq->ruri : RURI, ++F.branch,
		     rq->to ? rq->to : "<" ALICE_AOR ">",
		     rq->call_id ? rq->call_id : "reg-alice@192.0.2.10", cseq,
		     rq->headers ? rq->headers : "",
		     authorization ? "Authorization: " : "",
		     authorization ? authorization : "",
		     authorization ? "\r\n" : "");
	if (!ASSERT_TRUE(n > 0 && (size_t)n < sizeof(F.text),
			 "the test's REGISTER fits its buffer"))
		return -1;
	return n;
}

/*
 * Fill the stack below the caller with 0xa5, so that a callee reading a
 * local it never wrote finds non-zero bytes, not the zeros an earlier call
 * may have left (neither the sanitizers nor valgrind flag such reads when
 * the bytes happen to be defined). Volatile: the stores must happen.
 */
__attribute__((noinline)) static void poison_stack(void)
{
	volatile char junk[32768];
	size_t i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)0xa5;
}

/*
 * Send one REGISTER with authorization (a whole header value, or NULL)
 * through sip_msg_parse() and registrar_handle() and parse the answer
 * into F.resp. Returns the status, or -1 (after a failed assertion) if no
 * answer came.
 */
static int send_req(const struct reg_req *rq, const char *authorization)
{
	int n, err;

	n = build_req(rq, authorization);
	if (n < 0)
		return -1;
	err = sip_msg_parse(&F.req, F.text, (size_t)n);
	if (!ASSERT_OK(err, say("the test's REGISTER parses (%s)",
				F.req.error ? F.req.error : "-")))
		return -1;
	/* Where it came from, as siplbd's handle_datagram() says it. */
	sip_msg_set_source(&F.req, F.source.family == SIPLB_AF_INET6 ?
					   AF_INET6 : AF_INET,
			   F.source.addr, ntohs(F.source.port));
	poison_stack();
	n = registrar_handle(&F.reg, &F.req, &F.source, &F.now, F.out,
			     sizeof(F.out));
	if (!ASSERT_GE(n, 1, "registrar_handle() wrote a response"))
		return -1;
	err = sip_msg_parse(&F.resp, F.out, (size_t)n);
	if (!ASSERT_OK(err, "the response parses as SIP") ||
	    !ASSERT_FALSE(F.resp.request, "the answer is a response"))
		return -1;
	return (int)F.resp.status;
}

/* The idx-th header of id in the response, unfolded, or false. */
static bool resp_header(enum sip_hdr_id id, unsigned int idx, char *buf,
			size_t size)
{
	struct sip_slice value;
	unsigned int pos = 0, i = 0;

	while (!sip_msg_hdr_next(&F.resp, id, &pos, &value))
		if (i++ == idx)
			return sip_value_unfold(value, buf, size) >= 0;
	return false;
}

/*
 * One parameter of a Digest challenge as digest_challenge() writes it
 * (Digest name="v", name=token, ...), unquoted, into out.
 */
static bool challenge_param(const char *v, const char *name, char *out,
			    size_t size)
{
	size_t nlen = strlen(name), len;
	const char *p, *eq, *end;
	bool match, quoted;

	if (strncasecmp(v, "Digest ", 7))
		return false;
	for (p = v + 7; *p; p += strspn(p, ", ")) {
		eq = strchr(p, '=');
		if (!eq)
			return false;
		match = (size_t)(eq - p) == nlen && !strncasecmp(p, name, nlen);
		quoted = eq[1] == '"';
		p = eq + 1 + quoted;
		end = quoted ? strchr(p, '"') : p + strcspn(p, ",");
		if (!end)
			return false;
		len = (size_t)(end - p);
		if (match) {
			if (len >= size)
				return false;
			memcpy(out, p, len);
			out[len] = '\0';
			return true;
		}
		p = end + quoted;
	}
	return false;
}

/* The WWW-Authenticate line of the response offering alg, or false. */
static bool challenge_for(enum digest_alg alg, char *buf, size_t size)
{
	char name[32];
	unsigned int i;

	for (i = 0; resp_header(SIP_HDR_WWW_AUTHENTICATE, i, buf, size); i++)
		if (challenge_param(buf, "algorithm", name, sizeof(name)) &&
		    !strcasecmp(name, digest_alg_name(alg)))
			return true;
	return false;
}

/* Send rq without credentials and keep the nonce of its 401 for alg. */
static bool client_challenge(const struct reg_req *rq, enum digest_alg alg)
{
	char line[512];

	if (!ASSERT_EQ(send_req(rq, NULL), 401,
		       "a REGISTER without credentials is challenged"))
		return false;
	if (!ASSERT_TRUE(challenge_for(alg, line, sizeof(line)),
			 say("the 401 offers %s", digest_alg_name(alg))) ||
	    !ASSERT_TRUE(challenge_param(line, "nonce", F.nonce,
					 sizeof(F.nonce)),
			 "the challenge has a nonce"))
		return false;
	F.nc = 0;
	return true;
}

static struct digest_str dstr(const char *s)
{
	return (struct digest_str){ s, strlen(s) };
}

/* The Authorization value for cr on F.nonce with count nc. */
static bool make_authorization(const struct creds *cr, const char *uri,
			       __u32 nc, char *out, size_t size)
{
	const char *realm = cr->realm ? cr->realm : REALM;
	char ha1[DIGEST_HEX_SIZE], response[DIGEST_HEX_SIZE], ncs[9];
	struct digest_creds dc;
	int n;

	snprintf(ncs, sizeof(ncs), "%08x", nc);
	memset(&dc, 0, sizeof(dc));
	dc.username = dstr(cr->user);
	dc.realm = dstr(realm);
	dc.nonce = dstr(F.nonce);
	dc.uri = dstr(uri);
	dc.cnonce = dstr(CNONCE);
	dc.nc = dstr(ncs);
	dc.qop = dstr("auth");
	dc.alg = cr->alg;
	dc.has_qop = true;
	dc.nc_value = nc;
	if (!ASSERT_OK(users_ha1(cr->alg, cr->user, realm, cr->password, ha1),
		       "client HA1") ||
	    !ASSERT_OK(digest_compute_response(&dc, "REGISTER", 8, ha1,
					       response),
		       "client response"))
		return false;
	n = snprintf(out, size,
		     "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
		     "uri=\"%s\", response=\"%s\", algorithm=%s, "
		     "cnonce=\"" CNONCE "\", qop=auth, nc=%s",
		     cr->user, realm, F.nonce, uri, response,
		     digest_alg_name(cr->alg), ncs);
	return ASSERT_TRUE(n > 0 && (size_t)n < size,
			   "the Authorization value fits");
}

/*
 * An authenticated REGISTER as a UA sends it: a challenge first if the
 * client holds no nonce, then the request with the next nc. Returns the
 * status as send_req().
 */
static int client_send(const struct creds *cr, const struct reg_req *rq)
{
	char auth[2048];

	if (!F.nonce[0] && !client_challenge(rq, cr->alg))
		return -1;
	if (!make_authorization(cr, rq->ruri ? rq->ruri : RURI, ++F.nc, auth,
				sizeof(auth)))
		return -1;
	return send_req(rq, auth);
}

/* Alice, authenticated, sends these headers. */
static int alice_sends(const char *headers)
{
	const struct reg_req rq = { .headers = headers };

	return client_send(&alice, &rq);
}

/*
 * The expires= of the response's Contact for uri: -1 if it is not listed,
 * -2 if listed without expires.
 */
static long long listed_expires(const char *uri)
{
	struct sip_slice value, rest;
	struct sip_contact ct;
	unsigned int pos = 0;

	while (!sip_msg_hdr_next(&F.resp, SIP_HDR_CONTACT, &pos, &value)) {
		rest = value;
		while (!sip_contact_next(&rest, &ct))
			if (!ct.star && sip_slice_eq_str(ct.addr.uri_text, uri))
				return ct.has_expires ? (long long)ct.expires :
							-2;
	}
	return -1;
}

/* How many contacts the response lists (-1: one does not parse). */
static int listed_count(void)
{
	struct sip_slice value, rest;
	struct sip_contact ct;
	unsigned int pos = 0;
	int n = 0, err;

	while (!sip_msg_hdr_next(&F.resp, SIP_HDR_CONTACT, &pos, &value)) {
		rest = value;
		while (!(err = sip_contact_next(&rest, &ct)))
			n++;
		if (err != -ENOENT)
			return -1;
	}
	return n;
}

/* ---- the maps ---------------------------------------------------------- */

static bool binding_at(const char *aor, __u32 slot, struct siplb_binding *b)
{
	struct siplb_location_key key;

	memset(&key, 0, sizeof(key));
	memcpy(key.aor, aor, strlen(aor));
	key.slot = slot;
	return !bpf_map_lookup_elem(F.location_fd, &key, b);
}

/* The binding of aor for contact uri, live or expired; false if none. */
static bool binding_of(const char *aor, const char *uri,
		       struct siplb_binding *b)
{
	__u32 slot;

	for (slot = 0; slot < SIPLB_CONTACTS_MAX; slot++)
		if (binding_at(aor, slot, b) && !strcmp(b->contact, uri))
			return true;
	return false;
}

/* How many bindings aor has in the map, live or expired. */
static int bindings_of(const char *aor)
{
	struct siplb_binding b;
	__u32 slot;
	int n = 0;

	for (slot = 0; slot < SIPLB_CONTACTS_MAX; slot++)
		n += binding_at(aor, slot, &b);
	return n;
}

/* Entries of any map, walked with get_next_key (keys up to 256 bytes). */
static long long map_entries(int fd)
{
	char key[256], next[256];
	long long n = 0;
	int err;

	err = bpf_map_get_next_key(fd, NULL, next);
	while (!err) {
		n++;
		memcpy(key, next, sizeof(key));
		err = bpf_map_get_next_key(fd, key, next);
	}
	return errno == ENOENT ? n : -errno;
}

static void addr_of(const struct siplb_endpoint *ep, struct siplb_addr *a)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->addr, ep->addr, sizeof(a->addr));
	a->family = ep->family;
}

/* siplb_sources' count for ep's address, -1 if it has no entry. */
static long long source_bindings(const struct siplb_endpoint *ep,
				 struct siplb_source *out)
{
	struct siplb_source src;
	struct siplb_addr a;

	addr_of(ep, &a);
	if (bpf_map_lookup_elem(F.sources_fd, &a, &src))
		return -1;
	if (out)
		*out = src;
	return src.bindings;
}

static bool blocked(const struct siplb_endpoint *ep, struct siplb_block *out)
{
	struct siplb_block block;
	struct siplb_addr a;

	addr_of(ep, &a);
	if (bpf_map_lookup_elem(F.blocked_fd, &a, &block))
		return false;
	if (out)
		*out = block;
	return true;
}

/* Fill siplb_location with other AORs' bindings until it holds total. */
static bool fill_location(long long total)
{
	struct siplb_location_key key;
	struct siplb_binding b;
	unsigned int i;

	memset(&b, 0, sizeof(b));
	strcpy(b.contact, "sip:filler@192.0.2.99");
	b.expires_at = REAL_START + 86400;
	for (i = 0; map_entries(F.location_fd) < total; i++) {
		memset(&key, 0, sizeof(key));
		snprintf(key.aor, sizeof(key.aor), "sip:filler%u@" REALM, i);
		if (!ASSERT_OK(bpf_map_update_elem(F.location_fd, &key, &b,
						   BPF_NOEXIST) ? -errno : 0,
			       "fill siplb_location"))
			return false;
	}
	return true;
}

#define STAT(name) offsetof(struct registrar_stats, name)

static __u64 stat_at(const struct registrar_stats *s, size_t off)
{
	__u64 v;

	memcpy(&v, (const char *)s + off, sizeof(v));
	return v;
}

/* ---- authentication ---------------------------------------------------- */

TEST(challenge_without_credentials)
{
	const struct reg_req rq = {
		.headers = "Contact: <sip:alice@10.0.0.5:5060>\r\n",
	};
	char line[512], value[128];
	static const enum digest_alg offered[] = { DIGEST_ALG_SHA256,
						   DIGEST_ALG_MD5 };
	size_t i;

	if (!fixture_up())
		return;
	if (!ASSERT_EQ(send_req(&rq, NULL), 401, "no credentials: 401"))
		goto out;
	ASSERT_EQ(F.resp.count[SIP_HDR_WWW_AUTHENTICATE], 2,
		  "one challenge per algorithm: SHA-256 and MD5");
	for (i = 0; i < ARRAY_SIZE(offered); i++) {
		const char *alg = digest_alg_name(offered[i]);

		if (!ASSERT_TRUE(resp_header(SIP_HDR_WWW_AUTHENTICATE,
					     (unsigned int)i, line,
					     sizeof(line)),
				 say("WWW-Authenticate #%zu", i)))
			continue;
		ASSERT_TRUE(challenge_param(line, "algorithm", value,
					    sizeof(value)) &&
				    !strcmp(value, alg),
			    say("challenge #%zu is %s (SHA-256 first)", i,
				alg));
		ASSERT_TRUE(challenge_param(line, "qop", value,
					    sizeof(value)) &&
				    !strcmp(value, "auth"),
			    say("%s challenge has qop=\"auth\"", alg));
		ASSERT_TRUE(challenge_param(line, "realm", value,
					    sizeof(value)) &&
				    !strcmp(value, REALM),
			    say("%s challenge has our realm", alg));
		ASSERT_TRUE(challenge_param(line, "nonce", value,
					    sizeof(value)) &&
				    strlen(value) == NONCE_STR_LEN,
			    say("%s challenge has a 43-character nonce", alg));
		ASSERT_FALSE(challenge_param(line, "stale", value,
					     sizeof(value)),
			     say("%s: no stale= on a first challenge", alg));
	}
	ASSERT_TRUE(F.resp.to.tag.len > 0, "the 401 adds a To tag");
	ASSERT_EQ(F.reg.stats.challenged, 1, "counted in stats.challenged");
	ASSERT_EQ(map_entries(F.location_fd), 0, "nothing bound");
out:
	fixture_down();
}

struct algs_case {
	const char *name;
	enum digest_alg algs[DIGEST_ALG_COUNT];
	size_t n;
};

static const struct algs_case algs_cases[] = {
	{ "MD5 first", { DIGEST_ALG_MD5, DIGEST_ALG_SHA256 }, 2 },
	{ "SHA-512-256 only", { DIGEST_ALG_SHA512_256 }, 1 },
	{ "all three", { DIGEST_ALG_SHA512_256, DIGEST_ALG_SHA256,
			 DIGEST_ALG_MD5 }, 3 },
};

/* The configured algorithms are offered exactly, in their order. */
TEST(challenge_configured_algorithms)
{
	char line[512], value[32];
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(algs_cases); i++) {
		const struct algs_case *c = &algs_cases[i];

		if (!fixture_up_algs(c->algs, c->n))
			return;
		if (!ASSERT_EQ(send_req(&(struct reg_req){ 0 }, NULL), 401,
			       say("%s: 401", c->name)))
			goto next;
		ASSERT_EQ(F.resp.count[SIP_HDR_WWW_AUTHENTICATE], c->n,
			  say("%s: one challenge per algorithm", c->name));
		for (j = 0; j < c->n; j++)
			ASSERT_TRUE(resp_header(SIP_HDR_WWW_AUTHENTICATE,
						(unsigned int)j, line,
						sizeof(line)) &&
					    challenge_param(line, "algorithm",
							    value,
							    sizeof(value)) &&
					    !strcmp(value, digest_alg_name(
								   c->algs[j])),
				    say("%s: challenge #%zu is %s", c->name, j,
					digest_alg_name(c->algs[j])));
		/* ... and a client using the last one gets in. */
		F.nonce[0] = '\0';
		ASSERT_EQ(client_send(&(struct creds){ "alice", "wonderland",
						       NULL,
						       c->algs[c->n - 1] },
				      &(struct reg_req){ 0 }),
			  200, say("%s: %s accepted", c->name,
				   digest_alg_name(c->algs[c->n - 1])));
next:
		fixture_down();
	}
}

/* A User-Agent and the challenges the policy below must give it. */
struct ua_case {
	const char *name;
	const char *headers;		/* the User-Agent line, or NULL */
	enum digest_alg algs[DIGEST_ALG_COUNT];
	size_t n;
};

static const struct ua_case ua_cases[] = {
	{ "no User-Agent: the default", NULL, { DIGEST_ALG_MD5 }, 1 },
	{ "baresip: not named, MD5 alone",
	  "User-Agent: baresip v1.0.0 (x86_64/linux)\r\n",
	  { DIGEST_ALG_MD5 }, 1 },
	{ "linphone: SHA-256 first",
	  "User-Agent: Linphone/5.1.65 (belle-sip/5.1.64)\r\n",
	  { DIGEST_ALG_SHA256, DIGEST_ALG_MD5 }, 2 },
	{ "pattern is case-insensitive",
	  "User-Agent: LINPHONE-Desktop/5.2\r\n",
	  { DIGEST_ALG_SHA256, DIGEST_ALG_MD5 }, 2 },
	{ "glob matches the whole value, not a substring",
	  "User-Agent: NotLinphone/1.0\r\n", { DIGEST_ALG_MD5 }, 1 },
	{ "first matching line wins",
	  "User-Agent: Linphone-strong/1.0\r\n",
	  { DIGEST_ALG_SHA256, DIGEST_ALG_MD5 }, 2 },
	{ "a substring pattern",
	  "User-Agent: acme phone (strong512) 2.0\r\n",
	  { DIGEST_ALG_SHA512_256 }, 1 },
	{ "an empty User-Agent: the default", "User-Agent: \r\n",
	  { DIGEST_ALG_MD5 }, 1 },
};

/*
 * The 401 offers what the digest policy gives the request's User-Agent:
 * MD5 alone by default, the named clients their list, in its order; and
 * a client that takes the list's first algorithm gets in.
 */
TEST(challenge_policy_by_user_agent)
{
	struct digest_policy policy;
	char line[512], value[32];
	size_t i, j;

	digest_policy_init(&policy);
	policy.rules[0] = (struct digest_ua_rule){ "linphone*",
		{ { DIGEST_ALG_SHA256, DIGEST_ALG_MD5 }, 2 } };
	policy.rules[1] = (struct digest_ua_rule){ "*strong*",
		{ { DIGEST_ALG_SHA512_256 }, 1 } };
	policy.nrules = 2;
	for (i = 0; i < ARRAY_SIZE(ua_cases); i++) {
		const struct ua_case *c = &ua_cases[i];
		const struct reg_req rq = { .headers = c->headers };

		if (!fixture_up_policy(&policy))
			return;
		if (!ASSERT_EQ(send_req(&rq, NULL), 401,
			       say("%s: 401", c->name)))
			goto next;
		ASSERT_EQ(F.resp.count[SIP_HDR_WWW_AUTHENTICATE], c->n,
			  say("%s: %zu challenge(s)", c->name, c->n));
		for (j = 0; j < c->n; j++)
			ASSERT_TRUE(resp_header(SIP_HDR_WWW_AUTHENTICATE,
						(unsigned int)j, line,
						sizeof(line)) &&
					    challenge_param(line, "algorithm",
							    value,
							    sizeof(value)) &&
					    !strcmp(value, digest_alg_name(
								   c->algs[j])),
				    say("%s: challenge #%zu is %s", c->name, j,
					digest_alg_name(c->algs[j])));
		F.nonce[0] = '\0';
		ASSERT_EQ(client_send(&(struct creds){ "alice", "wonderland",
						       NULL, c->algs[0] },
				      &rq),
			  200, say("%s: %s accepted", c->name,
				   digest_alg_name(c->algs[0])));
next:
		fixture_down();
	}
}

/* The shipped default (no `algorithms` line): one challenge, MD5. */
TEST(challenge_default_policy_md5_alone)
{
	struct digest_policy policy;
	char line[512], value[32];

	digest_policy_init(&policy);
	if (!fixture_up_policy(&policy))
		return;
	if (!ASSERT_EQ(send_req(&(struct reg_req){ 0 }, NULL), 401, "401"))
		goto out;
	ASSERT_EQ(F.resp.count[SIP_HDR_WWW_AUTHENTICATE], 1,
		  "one challenge: clients that refuse any unknown one "
		  "(baresip 1.0) can answer it");
	ASSERT_TRUE(resp_header(SIP_HDR_WWW_AUTHENTICATE, 0, line,
				sizeof(line)) &&
			    challenge_param(line, "algorithm", value,
					    sizeof(value)) &&
			    !strcmp(value, "MD5"),
		    "the challenge is MD5");
out:
	fixture_down();
}

/* One way of presenting credentials and what it must get. */
struct auth_case {
	const char *name;
	const struct creds *creds;	/* computed by the client, or */
	const char *raw;		/* an Authorization value as is */
	const char *to;			/* NULL: alice */
	int status;
	size_t stat;			/* the counter that must grow by one */
	bool bound;			/* alice has a binding afterwards */
};

static const struct creds alice_elsewhere = { "alice", "wonderland",
					      "other.example",
					      DIGEST_ALG_SHA256 };

#define DIGEST_PREFIX "Digest username=\"alice\", realm=\"" REALM "\", "

static const struct auth_case auth_cases[] = {
	{ "right password, SHA-256", &alice, NULL, NULL, 200, STAT(ok), true },
	{ "right password, MD5", &alice_md5, NULL, NULL, 200, STAT(ok), true },
	{ "wrong password", &alice_wrong, NULL, NULL, 401, STAT(auth_failed),
	  false },
	{ "unknown user", &mallory, NULL, NULL, 401, STAT(auth_failed), false },
	{ "credentials for another realm", &alice_elsewhere, NULL, NULL, 401,
	  STAT(challenged), false },
	{ "username is not the To user", &alice, NULL, "<" BOB_AOR ">", 403,
	  STAT(forbidden), false },
	{ "malformed: no nonce, uri or response",
	  NULL, DIGEST_PREFIX "qop=auth", NULL, 400, STAT(bad_request), false },
	{ "malformed: response not hex", NULL,
	  DIGEST_PREFIX "nonce=\"x\", uri=\"" RURI "\", response=\"0123\"",
	  NULL, 400, STAT(bad_request), false },
	{ "malformed: nc not 8 hex digits", NULL,
	  DIGEST_PREFIX "nonce=\"x\", uri=\"" RURI "\", "
	  "response=\"0123456789abcdef0123456789abcdef\", qop=auth, "
	  "cnonce=\"c\", nc=1", NULL, 400, STAT(bad_request), false },
	{ "malformed: unterminated quoted string", NULL,
	  "Digest username=\"alice", NULL, 400, STAT(bad_request), false },
	{ "malformed: username given twice", NULL,
	  DIGEST_PREFIX "username=\"bob\", nonce=\"x\", uri=\"" RURI "\", "
	  "response=\"0123456789abcdef0123456789abcdef\"",
	  NULL, 400, STAT(bad_request), false },
	{ "another scheme (Basic): challenged", NULL,
	  "Basic YWxpY2U6d29uZGVybGFuZA==", NULL, 401, STAT(challenged),
	  false },
	{ "qop=auth-int (not done): challenged", NULL,
	  DIGEST_PREFIX "nonce=\"x\", uri=\"" RURI "\", "
	  "response=\"0123456789abcdef0123456789abcdef\", qop=auth-int, "
	  "cnonce=\"c\", nc=00000001", NULL, 401, STAT(challenged), false },
	{ "a nonce we never issued: challenged", NULL,
	  DIGEST_PREFIX "nonce=\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	  "\", "
	  "uri=\"" RURI "\", response=\"0123456789abcdef0123456789abcdef\"",
	  NULL, 401, STAT(foreign_nonce), false },
};

TEST(authentication_table)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(auth_cases); i++) {
		const struct auth_case *c = &auth_cases[i];
		const struct reg_req rq = {
			.to = c->to,
			.headers = "Contact: <sip:alice@10.0.0.5:5060>\r\n",
		};
		struct registrar_stats before;
		struct siplb_binding b;
		int status;

		if (!fixture_up())
			return;
		if (c->raw) {
			before = F.reg.stats;
			status = send_req(&rq, c->raw);
		} else {
			if (!client_challenge(&rq, c->creds->alg))
				goto next;
			before = F.reg.stats;
			status = client_send(c->creds, &rq);
		}
		ASSERT_EQ(status, c->status, say("%s: status", c->name));
		ASSERT_EQ(stat_at(&F.reg.stats, c->stat),
			  stat_at(&before, c->stat) + 1,
			  say("%s: counted", c->name));
		ASSERT_EQ(binding_of(ALICE_AOR, "sip:alice@10.0.0.5:5060", &b),
			  c->bound, say("%s: alice bound?", c->name));
		if (c->status == 401)
			ASSERT_GE(F.resp.count[SIP_HDR_WWW_AUTHENTICATE], 1,
				  say("%s: a 401 carries a challenge",
				      c->name));
		if (c->to)
			ASSERT_EQ(map_entries(F.location_fd), 0,
				  say("%s: nothing bound for anyone",
				      c->name));
next:
		fixture_down();
	}
}

/* Overwrite the value of every nonce="..." with '*' (nonces are salted). */
static void mask_nonces(char *s)
{
	char *p = s, *end;

	while ((p = strstr(p, "nonce=\"")) != NULL) {
		p += 7;
		end = strchr(p, '"');
		if (!end)
			return;
		memset(p, '*', (size_t)(end - p));
		p = end;
	}
}

TEST(unknown_user_looks_like_wrong_password)
{
	const struct reg_req rq = {
		.cseq = 7,
		.headers = "Contact: <sip:alice@10.0.0.5:5060>\r\n",
	};
	static char wrong[sizeof(F.out)], unknown[sizeof(F.out)];

	if (!fixture_up())
		return;
	if (!ASSERT_EQ(client_send(&alice_wrong, &rq), 401, "wrong password"))
		goto out;
	memcpy(wrong, F.out, sizeof(wrong));
	/* The same request again but for the username (and branch). */
	F.branch--;
	if (!ASSERT_EQ(client_send(&mallory, &rq), 401, "unknown user"))
		goto out;
	memcpy(unknown, F.out, sizeof(unknown));
	mask_nonces(wrong);
	mask_nonces(unknown);
	ASSERT_TRUE(!strcmp(wrong, unknown),
		    "the two 401s are the same but for their nonces");
	ASSERT_EQ(F.reg.stats.auth_failed, 2, "both count as failures");
out:
	fixture_down();
}

struct require_case {
	const char *name;
	const char *headers;
	int status;
	const char *unsupported;	/* the header's value, or NULL */
};

static const struct require_case require_cases[] = {
	{ "one tag", "Require: path\r\n", 420, "path" },
	{ "tags over two headers, any case", "Require: gruu, Outbound\r\n"
	  "Require: 100rel\r\n", 420, "gruu, Outbound, 100rel" },
	{ "LWS and a fold", "Require:  path ,\r\n foo\r\n", 420,
	  "path, foo" },
	{ "empty list", "Require: \r\n", 400, NULL },
	{ "not a token", "Require: pa/th\r\n", 400, NULL },
	{ "Proxy-Require is not the registrar's", "Proxy-Require: foo\r\n",
	  401, NULL },
};

/* RFC 3261 8.2.2.3, before authentication: 420 with Unsupported listing
 * every tag we lack; nothing bound, nothing challenged. */
TEST(require_unsupported_extension_table)
{
	char line[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(require_cases); i++) {
		const struct require_case *c = &require_cases[i];
		struct reg_req rq = { .headers = c->headers };

		if (!fixture_up())
			return;
		if (!ASSERT_EQ(send_req(&rq, NULL), c->status, c->name))
			goto next;
		if (c->unsupported)
			ASSERT_TRUE(resp_header(SIP_HDR_UNSUPPORTED, 0, line,
						sizeof(line)) &&
					    !strcmp(line, c->unsupported),
				    say("%s: Unsupported: %s", c->name,
					c->unsupported));
		else
			ASSERT_EQ(F.resp.count[SIP_HDR_UNSUPPORTED], 0,
				  say("%s: no Unsupported", c->name));
		ASSERT_EQ(F.reg.stats.bad_extension, c->status == 420,
			  say("%s: counted as bad_extension", c->name));
		ASSERT_EQ(map_entries(F.location_fd), 0,
			  say("%s: nothing bound", c->name));
next:
		fixture_down();
	}
}

TEST(stale_nonce)
{
	char line[512], value[16];
	struct siplb_binding before, after;
	unsigned int i;

	if (!fixture_up())
		return;
	/* Nonce issued at MONO_START, used until its last valid second. */
	if (!client_challenge(&(struct reg_req){ 0 }, DIGEST_ALG_SHA256))
		goto out;
	advance(NONCE_LIFETIME - 1);
	if (!ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.5>\r\n"), 200,
		       "nonce valid until issued + lifetime") ||
	    !ASSERT_TRUE(binding_of(ALICE_AOR, "sip:alice@10.0.0.5", &before),
			 "bound"))
		goto out;

	advance(1);
	ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.5>;expires=600\r\n"),
		  401, "nonce at issued + lifetime: 401");
	ASSERT_EQ(F.reg.stats.stale, 1, "counted in stats.stale");
	ASSERT_EQ(F.resp.count[SIP_HDR_WWW_AUTHENTICATE], 2,
		  "a new challenge per algorithm");
	for (i = 0; resp_header(SIP_HDR_WWW_AUTHENTICATE, i, line,
				sizeof(line)); i++)
		ASSERT_TRUE(challenge_param(line, "stale", value,
					    sizeof(value)) &&
				    !strcasecmp(value, "true"),
			    say("challenge #%u says stale=true", i));
	ASSERT_TRUE(binding_of(ALICE_AOR, "sip:alice@10.0.0.5", &after) &&
			    !memcmp(&before, &after, sizeof(before)),
		    "binding unchanged by the stale request");

	/* The UA takes the new nonce without asking the user. */
	if (ASSERT_TRUE(challenge_for(DIGEST_ALG_SHA256, line, sizeof(line)) &&
				challenge_param(line, "nonce", F.nonce,
						sizeof(F.nonce)),
			"the stale 401 has a nonce")) {
		F.nc = 0;
		ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.5>;"
				      "expires=600\r\n"),
			  200, "the fresh nonce works");
	}
out:
	fixture_down();
}

TEST(replayed_nonce_count)
{
	struct siplb_binding before, after;

	if (!fixture_up())
		return;
	if (!ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.5>\r\n"), 200,
		       "nc=1 accepted") ||
	    !ASSERT_TRUE(binding_of(ALICE_AOR, "sip:alice@10.0.0.5", &before),
			 "bound"))
		goto out;

	F.nc = 0;	/* the next request goes out with nc=1 again */
	ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.5>;expires=600\r\n"),
		  401, "nc=1 replayed: 401");
	ASSERT_EQ(F.reg.stats.replayed, 1, "counted in stats.replayed");
	ASSERT_TRUE(binding_of(ALICE_AOR, "sip:alice@10.0.0.5", &after) &&
			    !memcmp(&before, &after, sizeof(before)),
		    "binding unchanged by the replay");

	F.nc = 2;	/* nc=3 */
	ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.5>;expires=600\r\n"),
		  200, "nc=3 accepted");
	F.nc = 1;	/* nc=2: lower than the highest accepted */
	ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.5>;expires=900\r\n"),
		  401, "nc=2 after nc=3: 401");
	ASSERT_EQ(F.reg.stats.replayed, 2, "counted in stats.replayed");
	ASSERT_TRUE(binding_of(ALICE_AOR, "sip:alice@10.0.0.5", &after) &&
			    after.expires_at == F.now.real_s + 600,
		    "binding as nc=3 left it");
out:
	fixture_down();
}

/* ---- binding ----------------------------------------------------------- */

TEST(first_registration)
{
	const char *uri = "sip:alice@10.0.0.5:5060;transport=udp";
	struct siplb_binding b;
	struct siplb_source src = { 0 };
	__u32 cseq;

	if (!fixture_up())
		return;
	if (!ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.5:5060;"
				   "transport=udp>\r\n"),
		       200, "first registration: 200"))
		goto out;
	cseq = F.req.cseq;
	ASSERT_EQ(listed_count(), 1, "the 200 lists one contact");
	ASSERT_EQ(listed_expires(uri), DEFAULT_EXPIRES,
		  "listed with expires=default");
	ASSERT_TRUE(F.resp.to.tag.len > 0, "the 200 adds a To tag");
	ASSERT_EQ(F.reg.stats.ok, 1, "counted in stats.ok");

	if (!ASSERT_TRUE(binding_at(ALICE_AOR, 0, &b), "bound in slot 0") ||
	    !ASSERT_TRUE(!strcmp(b.contact, uri), "contact URI as sent"))
		goto out;
	ASSERT_MEM_EQ(&b.source, &F.source, sizeof(b.source),
		      "source endpoint of the REGISTER recorded");
	ASSERT_EQ(b.q, 1000, "no q: q=1.0");
	ASSERT_EQ(b.expires_at, REAL_START + DEFAULT_EXPIRES,
		  "expires_at = now + default");
	ASSERT_EQ(b.registered_at, REAL_START, "registered_at = now");
	ASSERT_EQ(b.cseq, cseq, "CSeq of the REGISTER kept");
	ASSERT_NEQ(b.callid_hash, 0, "Call-ID hash kept");
	ASSERT_EQ(map_entries(F.location_fd), 1, "one entry in siplb_location");
	ASSERT_EQ(source_bindings(&F.source, &src), 1,
		  "siplb_sources counts one binding for the source");
	ASSERT_EQ(src.expires_at, REAL_START + DEFAULT_EXPIRES,
		  "siplb_sources expires with the binding");
out:
	fixture_down();
}

struct expiry_case {
	const char *name;
	const char *headers;
	int status;
	long long expires;	/* listed and stored (200) */
};

#define CT "Contact: <sip:alice@10.0.0.5>"

static const struct expiry_case expiry_cases[] = {
	{ "neither: default", CT "\r\n", 200, DEFAULT_EXPIRES },
	{ "Expires header", CT "\r\nExpires: 1800\r\n", 200, 1800 },
	{ "param wins over a longer header",
	  CT ";expires=900\r\nExpires: 1800\r\n", 200, 900 },
	{ "param wins over a shorter header",
	  CT ";expires=1800\r\nExpires: 900\r\n", 200, 1800 },
	{ "param wins over Expires: 0",
	  CT ";expires=1800\r\nExpires: 0\r\n", 200, 1800 },
	{ "exactly the minimum", CT ";expires=60\r\n", 200, MIN_EXPIRES },
	{ "exactly the maximum", CT ";expires=7200\r\n", 200, MAX_EXPIRES },
	{ "param above max: max", CT ";expires=7201\r\n", 200, MAX_EXPIRES },
	{ "header above max: max", CT "\r\nExpires: 99999\r\n", 200,
	  MAX_EXPIRES },
	{ "beyond 2^32: max", CT ";expires=4294967296\r\n", 200, MAX_EXPIRES },
	{ "param below min: 423", CT ";expires=59\r\n", 423, 0 },
	{ "param 1: 423", CT ";expires=1\r\n", 423, 0 },
	{ "header below min: 423", CT "\r\nExpires: 30\r\n", 423, 0 },
	{ "param below min wins over a good header",
	  CT ";expires=30\r\nExpires: 3600\r\n", 423, 0 },
	{ "one of two below min: 423",
	  CT ", <sip:alice@10.0.0.6>;expires=30\r\n", 423, 0 },
};

TEST(expiry_policy_table)
{
	char value[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(expiry_cases); i++) {
		const struct expiry_case *c = &expiry_cases[i];
		struct siplb_binding b;
		int status;

		if (!fixture_up())
			return;
		status = alice_sends(c->headers);
		if (!ASSERT_EQ(status, c->status, say("%s: status", c->name)))
			goto next;
		if (status == 423) {
			ASSERT_TRUE(resp_header(SIP_HDR_MIN_EXPIRES, 0, value,
						sizeof(value)) &&
					    !strcmp(value, "60"),
				    say("%s: Min-Expires: 60", c->name));
			ASSERT_EQ(F.reg.stats.too_brief, 1,
				  say("%s: stats.too_brief", c->name));
			ASSERT_EQ(map_entries(F.location_fd), 0,
				  say("%s: nothing bound", c->name));
			goto next;
		}
		ASSERT_EQ(listed_expires("sip:alice@10.0.0.5"), c->expires,
			  say("%s: listed expires", c->name));
		ASSERT_TRUE(binding_of(ALICE_AOR, "sip:alice@10.0.0.5", &b) &&
				    b.expires_at == F.now.real_s + c->expires,
			    say("%s: stored expires_at", c->name));
next:
		fixture_down();
	}
}

struct contact_want {
	const char *uri;
	__u32 q;
};

struct many_case {
	const char *name;
	const char *headers;
	struct contact_want want[3];
};

static const struct many_case many_cases[] = {
	{ "one header, three contacts",
	  "Contact: <sip:a@10.0.0.1>;q=0.5, \"B\" <sip:b@10.0.0.2>;q=1, "
	  "sip:c@10.0.0.3\r\n",
	  { { "sip:a@10.0.0.1", 500 }, { "sip:b@10.0.0.2", 1000 },
	    { "sip:c@10.0.0.3", 1000 } } },
	{ "three headers",
	  "Contact: <sip:a@10.0.0.1>;q=0.123\r\n"
	  "Contact: <sip:b@10.0.0.2>;q=0\r\n"
	  "Contact: <sip:c@10.0.0.3>;q=1.000\r\n",
	  { { "sip:a@10.0.0.1", 123 }, { "sip:b@10.0.0.2", 0 },
	    { "sip:c@10.0.0.3", 1000 } } },
	{ "both, compact form",
	  "Contact: <sip:a@10.0.0.1>;q=0.7, <sip:b@10.0.0.2>\r\n"
	  "m: <sip:c@10.0.0.3>;q=0.25\r\n",
	  { { "sip:a@10.0.0.1", 700 }, { "sip:b@10.0.0.2", 1000 },
	    { "sip:c@10.0.0.3", 250 } } },
};

TEST(several_contacts)
{
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(many_cases); i++) {
		const struct many_case *c = &many_cases[i];
		struct siplb_binding b;

		if (!fixture_up())
			return;
		if (!ASSERT_EQ(alice_sends(c->headers), 200,
			       say("%s: 200", c->name)))
			goto next;
		ASSERT_EQ(listed_count(), 3, say("%s: 200 lists 3", c->name));
		ASSERT_EQ(map_entries(F.location_fd), 3,
			  say("%s: 3 bindings", c->name));
		for (j = 0; j < ARRAY_SIZE(c->want); j++) {
			ASSERT_EQ(listed_expires(c->want[j].uri),
				  DEFAULT_EXPIRES,
				  say("%s: %s listed", c->name,
				      c->want[j].uri));
			ASSERT_TRUE(binding_of(ALICE_AOR, c->want[j].uri, &b) &&
					    b.q == c->want[j].q,
				    say("%s: %s stored with q=%u", c->name,
					c->want[j].uri, c->want[j].q));
		}
next:
		fixture_down();
	}
}

TEST(query_lists_without_changing)
{
	static const char *const queries[] = {
		"",			/* no Contact */
		"Expires: 0\r\n",	/* no Contact: still only a query */
	};
	struct siplb_binding a0, b0, a1, b1;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(queries); i++) {
		if (!fixture_up())
			return;
		if (!ASSERT_EQ(alice_sends("Contact: <sip:a@10.0.0.1>;"
					   "expires=600, <sip:b@10.0.0.2>\r\n"),
			       200, "register two") ||
		    !ASSERT_TRUE(binding_of(ALICE_AOR, "sip:a@10.0.0.1", &a0) &&
					 binding_of(ALICE_AOR, "sip:b@10.0.0.2",
						    &b0),
				 "both bound"))
			goto next;
		advance(100);
		if (!ASSERT_EQ(alice_sends(queries[i]), 200,
			       say("query #%zu: 200", i)))
			goto next;
		ASSERT_EQ(listed_count(), 2, say("query #%zu lists both", i));
		ASSERT_EQ(listed_expires("sip:a@10.0.0.1"), 500,
			  say("query #%zu: a has 500 s left", i));
		ASSERT_EQ(listed_expires("sip:b@10.0.0.2"),
			  DEFAULT_EXPIRES - 100,
			  say("query #%zu: b has 3500 s left", i));
		ASSERT_TRUE(binding_of(ALICE_AOR, "sip:a@10.0.0.1", &a1) &&
				    !memcmp(&a0, &a1, sizeof(a0)) &&
				    binding_of(ALICE_AOR, "sip:b@10.0.0.2",
					       &b1) &&
				    !memcmp(&b0, &b1, sizeof(b0)),
			    say("query #%zu changes no binding", i));
		ASSERT_EQ(map_entries(F.location_fd), 2,
			  say("query #%zu: still 2 entries", i));
next:
		fixture_down();
	}
}

struct order_case {
	const char *name;
	bool same_call_id;
	__u32 cseq;
	const char *headers;
	int status;
	bool changed;	/* the binding differs afterwards (or is gone) */
};

#define FIRST_CSEQ 10
#define A_1800 "Contact: <sip:alice@10.0.0.5>;expires=1800\r\n"
#define A_0 "Contact: <sip:alice@10.0.0.5>;expires=0\r\n"

static const struct order_case order_cases[] = {
	{ "same Call-ID, higher CSeq", true, FIRST_CSEQ + 1, A_1800, 200,
	  true },
	{ "same Call-ID, equal CSeq", true, FIRST_CSEQ, A_1800, 500, false },
	{ "same Call-ID, lower CSeq", true, FIRST_CSEQ - 1, A_1800, 500,
	  false },
	{ "same Call-ID, equal CSeq, removal", true, FIRST_CSEQ, A_0, 500,
	  false },
	{ "same Call-ID, lower CSeq, Contact: *", true, 1,
	  "Contact: *\r\nExpires: 0\r\n", 500, false },
	{ "same Call-ID, higher CSeq, removal", true, FIRST_CSEQ + 1, A_0, 200,
	  true },
	{ "other Call-ID, lower CSeq", false, 1, A_1800, 200, true },
	{ "other Call-ID, equal CSeq", false, FIRST_CSEQ, A_1800, 200, true },
	{ "other Call-ID, higher CSeq", false, FIRST_CSEQ + 5, A_1800, 200,
	  true },
};

TEST(call_id_and_cseq_ordering)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(order_cases); i++) {
		const struct order_case *c = &order_cases[i];
		const struct reg_req first = {
			.call_id = "first@10.0.0.5",
			.cseq = FIRST_CSEQ,
			.headers = "Contact: <sip:alice@10.0.0.5>\r\n",
		};
		const struct reg_req next = {
			.call_id = c->same_call_id ? "first@10.0.0.5" :
						     "second@10.0.0.5",
			.cseq = c->cseq,
			.headers = c->headers,
		};
		struct siplb_binding b0, b1;
		bool present;

		if (!fixture_up())
			return;
		if (!ASSERT_EQ(client_send(&alice, &first), 200,
			       say("%s: first REGISTER", c->name)) ||
		    !binding_of(ALICE_AOR, "sip:alice@10.0.0.5", &b0))
			goto next;
		advance(10);
		ASSERT_EQ(client_send(&alice, &next), c->status,
			  say("%s: status", c->name));
		present = binding_of(ALICE_AOR, "sip:alice@10.0.0.5", &b1);
		ASSERT_EQ(!present || memcmp(&b0, &b1, sizeof(b0)), c->changed,
			  say("%s: binding changed?", c->name));
		if (c->status == 500)
			ASSERT_EQ(F.reg.stats.out_of_order, 1,
				  say("%s: stats.out_of_order", c->name));
		if (c->status == 200 && present) {
			ASSERT_EQ(b1.cseq, c->cseq,
				  say("%s: new CSeq stored", c->name));
			ASSERT_EQ(b1.expires_at, F.now.real_s + 1800,
				  say("%s: new expiry stored", c->name));
			if (!c->same_call_id)
				ASSERT_NEQ(b1.callid_hash, b0.callid_hash,
					   say("%s: new Call-ID stored",
					       c->name));
		}
next:
		fixture_down();
	}
}

struct removal_case {
	const char *name;
	const char *headers;
	int status;	/* 0: sip_msg_parse() refuses it (siplbd: 400) */
	bool a_left, b_left;
};

#define REMOVAL_SETUP "Contact: <sip:a@10.0.0.1>, <sip:b@10.0.0.2>\r\n"

static const struct removal_case removal_cases[] = {
	{ "expires=0 param", "Contact: <sip:a@10.0.0.1>;expires=0\r\n", 200,
	  false, true },
	{ "Expires: 0 header", "Contact: <sip:a@10.0.0.1>\r\nExpires: 0\r\n",
	  200, false, true },
	{ "expires=0 param with Expires: 3600",
	  "Contact: <sip:a@10.0.0.1>;expires=0\r\nExpires: 3600\r\n", 200,
	  false, true },
	{ "removing one not bound",
	  "Contact: <sip:z@10.0.0.9>;expires=0\r\n", 200, true, true },
	{ "Contact: * with Expires: 0", "Contact: *\r\nExpires: 0\r\n", 200,
	  false, false },
	{ "Contact: * without Expires", "Contact: *\r\n", 400, true, true },
	{ "Contact: * with Expires: 3600",
	  "Contact: *\r\nExpires: 3600\r\n", 400, true, true },
	{ "Contact: *;expires=0 without Expires",
	  "Contact: *;expires=0\r\n", 0, true, true },
	{ "* and a contact in one header",
	  "Contact: *, <sip:c@10.0.0.3>\r\nExpires: 0\r\n", 0, true, true },
	{ "* then another Contact header",
	  "Contact: *\r\nContact: <sip:c@10.0.0.3>\r\nExpires: 0\r\n", 400,
	  true, true },
	{ "a Contact header then *",
	  "Contact: <sip:c@10.0.0.3>\r\nContact: *\r\nExpires: 0\r\n", 400,
	  true, true },
	{ "* twice", "Contact: *\r\nContact: *\r\nExpires: 0\r\n", 400, true,
	  true },
};

TEST(removal_table)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(removal_cases); i++) {
		const struct removal_case *c = &removal_cases[i];
		struct siplb_binding b;
		int left = c->a_left + c->b_left;

		if (!fixture_up())
			return;
		if (!ASSERT_EQ(alice_sends(REMOVAL_SETUP), 200,
			       say("%s: setup", c->name)))
			goto next;
		if (!c->status) {
			/* The daemon answers 400 with the parser's reason;
			 * the registrar never sees it. */
			const struct reg_req rq = { .headers = c->headers };
			int n = build_req(&rq, NULL);

			if (n < 0)
				goto next;
			ASSERT_EQ(sip_msg_parse(&F.req, F.text, (size_t)n),
				  -EBADMSG,
				  say("%s: refused by the parser", c->name));
		} else if (!ASSERT_EQ(alice_sends(c->headers), c->status,
				      say("%s: status", c->name))) {
			goto next;
		}
		ASSERT_EQ(binding_of(ALICE_AOR, "sip:a@10.0.0.1", &b),
			  c->a_left,
			  say("%s: a left?", c->name));
		ASSERT_EQ(binding_of(ALICE_AOR, "sip:b@10.0.0.2", &b),
			  c->b_left,
			  say("%s: b left?", c->name));
		ASSERT_EQ(map_entries(F.location_fd), left,
			  say("%s: entries in siplb_location", c->name));
		ASSERT_EQ(source_bindings(&F.source, NULL), left ? left : -1,
			  say("%s: siplb_sources count (none: no entry)",
			      c->name));
		if (c->status == 200) {
			ASSERT_EQ(listed_count(), left,
				  say("%s: the 200 lists what is left",
				      c->name));
			ASSERT_EQ(listed_expires("sip:b@10.0.0.2"),
				  c->b_left ? DEFAULT_EXPIRES : -1,
				  say("%s: b listed iff left", c->name));
		} else if (c->status) {
			ASSERT_EQ(F.reg.stats.bad_request, 1,
				  say("%s: stats.bad_request", c->name));
		}
next:
		fixture_down();
	}
}

struct limit_case {
	const char *name;
	int existing;		/* sip:cN@10.0.0.N for N < existing */
	const char *headers;
	int status;
	int entries;		/* in siplb_location afterwards */
};

#define C(n) "<sip:c" #n "@10.0.0." #n ">"

static const struct limit_case limit_cases[] = {
	{ "six in one request", 0,
	  "Contact: " C(0) ", " C(1) ", " C(2) ", " C(3) ", " C(4) ", " C(5)
	  "\r\n", 403, 0 },
	{ "four bound, two more (and a refresh)", 4,
	  "Contact: " C(0) ";expires=1800, " C(4) ", " C(5) "\r\n", 403, 4 },
	{ "four bound, one more", 4, "Contact: " C(4) "\r\n", 200, 5 },
	{ "five bound, all refreshed", 5,
	  "Contact: " C(0) ", " C(1) ", " C(2) ", " C(3) ", " C(4)
	  ";expires=1800\r\n", 200, 5 },
	{ "five bound, one more", 5, "Contact: " C(5) "\r\n", 403, 5 },
	{ "five bound, one replaced in one request", 5,
	  "Contact: " C(0) ";expires=0, " C(5) "\r\n", 200, 5 },
};

TEST(max_contacts_table)
{
	char headers[512];
	size_t i;
	int n;

	for (i = 0; i < ARRAY_SIZE(limit_cases); i++) {
		const struct limit_case *c = &limit_cases[i];
		struct siplb_binding before[MAX_CONTACTS], after;

		if (!fixture_up())
			return;
		for (n = 0; n < c->existing; n++) {
			snprintf(headers, sizeof(headers),
				 "Contact: <sip:c%d@10.0.0.%d>\r\n", n, n);
			if (!ASSERT_EQ(alice_sends(headers), 200,
				       say("%s: setup %d", c->name, n)))
				goto next;
			if (!ASSERT_TRUE(binding_at(ALICE_AOR, (__u32)n,
						    &before[n]),
					 say("%s: setup %d bound in slot %d",
					     c->name, n, n)))
				goto next;
		}
		advance(5);
		ASSERT_EQ(alice_sends(c->headers), c->status,
			  say("%s: status", c->name));
		ASSERT_EQ(map_entries(F.location_fd), c->entries,
			  say("%s: entries", c->name));
		if (c->status != 403)
			goto next;
		ASSERT_TRUE(F.resp.reason.len == 17 &&
				    !memcmp(F.resp.reason.p,
					    "Too many contacts", 17),
			    say("%s: reason \"Too many contacts\"", c->name));
		ASSERT_EQ(F.reg.stats.forbidden, 1,
			  say("%s: stats.forbidden", c->name));
		for (n = 0; n < c->existing; n++)
			ASSERT_TRUE(binding_at(ALICE_AOR, (__u32)n, &after) &&
					    !memcmp(&before[n], &after,
						    sizeof(after)),
				    say("%s: binding %d unchanged", c->name,
					n));
next:
		fixture_down();
	}
}

/* Retry-After of the response in seconds, -1 if none or not a number. */
static long long retry_after(void)
{
	struct sip_slice v;
	unsigned int pos = 0;
	__u32 secs;

	if (sip_msg_hdr_next_name(&F.resp, "Retry-After", &pos, &v) ||
	    sip_delta_seconds_parse(sip_slice_trim(v), &secs))
		return -1;
	return secs;
}

/*
 * The 503 when siplb_location is full (RFC 3261 10.3 step 8 says 500 for
 * any failed commit; 503 with Retry-After tells the UA it is temporary).
 */
TEST(location_map_full)
{
	struct siplb_binding b;

	/* Full: a new binding cannot be stored. */
	if (!fixture_up())
		return;
	if (fill_location(LOCATION_ENTRIES)) {
		ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.5>\r\n"), 503,
			  "map full: 503");
		ASSERT_GE(retry_after(), 1,
			  "the 503 has Retry-After: a positive delta-seconds");
		ASSERT_EQ(F.reg.stats.full, 1, "counted in stats.full");
		ASSERT_EQ(map_entries(F.location_fd), LOCATION_ENTRIES,
			  "map unchanged");
		ASSERT_EQ(bindings_of(ALICE_AOR), 0, "alice not bound");
		ASSERT_EQ(source_bindings(&F.source, NULL), -1,
			  "no siplb_sources entry");
	}
	fixture_down();

	/* Room for one of two: nothing may be bound (RFC 3261 10.3 step 8:
	 * all of a REGISTER's updates or none). */
	if (!fixture_up())
		return;
	if (fill_location(LOCATION_ENTRIES - 1)) {
		ASSERT_EQ(alice_sends("Contact: <sip:a@10.0.0.1>, "
				      "<sip:b@10.0.0.2>\r\n"),
			  503, "room for one of two: 503");
		ASSERT_EQ(bindings_of(ALICE_AOR), 0,
			  "room for one of two: neither bound (all or none)");
		ASSERT_EQ(map_entries(F.location_fd), LOCATION_ENTRIES - 1,
			  "room for one of two: map as before");
		ASSERT_EQ(source_bindings(&F.source, NULL), -1,
			  "room for one of two: no siplb_sources entry");
	}
	fixture_down();

	/* Full, but refreshing an existing binding needs no room. */
	if (!fixture_up())
		return;
	if (ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.5>\r\n"), 200,
		      "bound before the map fills") &&
	    fill_location(LOCATION_ENTRIES)) {
		advance(10);
		ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.5>;"
				      "expires=1800\r\n"),
			  200, "map full, refresh: 200");
		ASSERT_TRUE(binding_of(ALICE_AOR, "sip:alice@10.0.0.5", &b) &&
				    b.expires_at == F.now.real_s + 1800,
			    "map full, refresh stored");
	}
	fixture_down();
}

TEST(expired_bindings_and_sweep)
{
	struct siplb_binding b;
	__u64 removed;

	if (!fixture_up())
		return;
	if (!ASSERT_EQ(alice_sends("Contact: <sip:a@10.0.0.1>;expires=60, "
				   "<sip:b@10.0.0.2>\r\n"),
		       200, "a for 60 s, b for the default"))
		goto out;
	ASSERT_EQ(source_bindings(&F.source, NULL), 2, "source holds two");

	advance(60);	/* a expires now: expires_at <= now */
	if (!ASSERT_EQ(alice_sends(""), 200, "query after a expired"))
		goto out;
	ASSERT_EQ(listed_count(), 1, "the 200 lists only the live one");
	ASSERT_EQ(listed_expires("sip:a@10.0.0.1"), -1, "a not listed");
	ASSERT_EQ(listed_expires("sip:b@10.0.0.2"), DEFAULT_EXPIRES - 60,
		  "b listed with 3540 s left");
	ASSERT_EQ(map_entries(F.location_fd), 2,
		  "a still in the map until the sweep");

	ASSERT_OK(location_sweep(&F.loc, F.now.real_s, &removed),
		  "location_sweep");
	ASSERT_EQ(removed, 1, "the sweep removes a");
	ASSERT_EQ(map_entries(F.location_fd), 1, "one entry left");
	ASSERT_FALSE(binding_of(ALICE_AOR, "sip:a@10.0.0.1", &b), "a gone");
	ASSERT_EQ(source_bindings(&F.source, NULL), 1,
		  "siplb_sources drops to one");

	advance(DEFAULT_EXPIRES);
	ASSERT_OK(location_sweep(&F.loc, F.now.real_s, &removed),
		  "location_sweep");
	ASSERT_EQ(removed, 1, "the sweep removes b");
	ASSERT_EQ(map_entries(F.location_fd), 0, "map empty");
	ASSERT_EQ(source_bindings(&F.source, NULL), -1,
		  "siplb_sources entry gone with the last binding");
out:
	fixture_down();
}

TEST(expired_slot_is_reused)
{
	__u64 removed;

	if (!fixture_up())
		return;
	if (!ASSERT_EQ(alice_sends("Contact: <sip:a@10.0.0.1>;expires=60, "
				   "<sip:b@10.0.0.2>\r\n"),
		       200, "a for 60 s, b for the default"))
		goto out;
	advance(61);
	if (!ASSERT_EQ(alice_sends("Contact: <sip:c@10.0.0.3>\r\n"), 200,
		       "c while a lies expired"))
		goto out;
	ASSERT_EQ(listed_count(), 2, "b and c listed");
	ASSERT_EQ(map_entries(F.location_fd), 2, "c took a's slot");
	ASSERT_EQ(source_bindings(&F.source, NULL), 2,
		  "a's count handed over to c");
	ASSERT_OK(location_sweep(&F.loc, F.now.real_s, &removed), "sweep");
	ASSERT_EQ(removed, 0, "nothing left to sweep");
out:
	fixture_down();
}

/*
 * Does the 200 list, in order, exactly what location_read() now returns
 * for Alice (URI and seconds left)? The registrar builds the list from
 * the set it planned with and what it wrote, not from a second read.
 */
static bool listed_as_in_map(const char *what)
{
	struct location_set set;
	struct sip_slice value, rest;
	struct sip_contact ct;
	unsigned int pos = 0;
	size_t i = 0;
	bool same = true;

	if (!ASSERT_OK(location_read(&F.loc, ALICE_AOR, strlen(ALICE_AOR),
				     F.now.real_s, &set),
		       say("%s: location_read", what)))
		return false;
	while (!sip_msg_hdr_next(&F.resp, SIP_HDR_CONTACT, &pos, &value)) {
		rest = value;
		while (same && !sip_contact_next(&rest, &ct)) {
			same = i < set.n &&
			       sip_slice_eq_str(ct.addr.uri_text,
						set.b[i].contact) &&
			       ct.has_expires &&
			       ct.expires == set.b[i].expires_at - F.now.real_s;
			i++;
		}
	}
	return ASSERT_TRUE(same && i == set.n,
			   say("%s: the 200 lists the map's %zu bindings in "
			       "slot order (listed %zu)", what, set.n, i));
}

static const struct listed_step {
	const char *headers;
	__u64 advance;		/* seconds to let pass before it */
	int listed;
} listed_steps[] = {
	{ "Contact: <sip:a@10.0.0.1>;expires=60, <sip:b@10.0.0.2>, "
	  "<sip:c@10.0.0.3>\r\n", 0, 3 },
	/* d takes b's slot, between a and c */
	{ "Contact: <sip:b@10.0.0.2>;expires=0, <sip:d@10.0.0.4>\r\n", 0, 3 },
	{ "Contact: <sip:c@10.0.0.3>;expires=1800, <sip:e@10.0.0.5>\r\n",
	  10, 4 },
	/* a has expired: f takes its slot, the first */
	{ "Contact: <sip:f@10.0.0.6>\r\n", 61, 4 },
	{ "", 5, 4 },	/* a query */
	{ "Contact: *\r\nExpires: 0\r\n", 0, 0 },
};

TEST(ok_lists_the_map_in_slot_order)
{
	size_t i;

	if (!fixture_up())
		return;
	for (i = 0; i < ARRAY_SIZE(listed_steps); i++) {
		const struct listed_step *st = &listed_steps[i];

		advance(st->advance);
		if (!ASSERT_EQ(alice_sends(st->headers), 200,
			       say("step %zu: 200", i)))
			break;
		ASSERT_EQ(listed_count(), st->listed,
			  say("step %zu: contacts listed", i));
		if (!listed_as_in_map(say("step %zu", i)))
			break;
	}
	fixture_down();
}

TEST(source_recorded_and_counted)
{
	struct siplb_endpoint v4, v4_other_port, v6;
	struct siplb_binding b;

	if (!fixture_up())
		return;
	if (!ASSERT_OK(endpoint_parse("198.51.100.7:40123", &v4), "v4") ||
	    !ASSERT_OK(endpoint_parse("198.51.100.7:40999", &v4_other_port),
		       "v4 other port") ||
	    !ASSERT_OK(endpoint_parse("[2001:db8::7]:5060", &v6), "v6"))
		goto out;

	/* Behind NAT: the Contact says 10.0.0.5, the packet came from v4. */
	F.source = v4;
	if (!ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.5:5060>\r\n"),
		       200, "from v4"))
		goto out;
	ASSERT_TRUE(binding_of(ALICE_AOR, "sip:alice@10.0.0.5:5060", &b) &&
			    !memcmp(&b.source, &v4, sizeof(v4)),
		    "binding records the v4 source and port");
	ASSERT_EQ(source_bindings(&v4, NULL), 1, "v4 holds one");

	F.source = v6;
	F.nonce[0] = '\0';	/* a new address needs a new nonce (nonce.h) */
	if (!ASSERT_EQ(alice_sends("Contact: <sip:alice@[2001:db8::7]>\r\n"),
		       200, "from v6"))
		goto out;
	ASSERT_TRUE(binding_of(ALICE_AOR, "sip:alice@[2001:db8::7]", &b) &&
			    !memcmp(&b.source, &v6, sizeof(v6)),
		    "binding records the v6 source");
	ASSERT_EQ(source_bindings(&v6, NULL), 1, "v6 holds one");
	ASSERT_EQ(source_bindings(&v4, NULL), 1, "v4 still holds one");

	/* The v6 contact refreshed from v4, another port: it moved. */
	F.source = v4_other_port;
	F.nonce[0] = '\0';
	if (!ASSERT_EQ(alice_sends("Contact: <sip:alice@[2001:db8::7]>\r\n"),
		       200, "refresh from v4, other port"))
		goto out;
	ASSERT_TRUE(binding_of(ALICE_AOR, "sip:alice@[2001:db8::7]", &b) &&
			    !memcmp(&b.source, &v4_other_port,
				    sizeof(v4_other_port)),
		    "binding follows its latest source");
	ASSERT_EQ(source_bindings(&v6, NULL), -1, "v6 entry gone");
	ASSERT_EQ(source_bindings(&v4, NULL), 2,
		  "v4 (any port) holds both");
	ASSERT_EQ(map_entries(F.sources_fd), 1, "one siplb_sources entry");

	if (!ASSERT_EQ(alice_sends("Contact: *\r\nExpires: 0\r\n"), 200,
		       "remove all"))
		goto out;
	ASSERT_EQ(map_entries(F.sources_fd), 0, "siplb_sources empty");
out:
	fixture_down();
}

/* ---- Request-URI, To and the address-of-record ------------------------- */

struct uri_case {
	const char *name;
	const char *ruri, *to;
	int status;
};

static const struct uri_case uri_cases[] = {
	{ "Request-URI tel:", "tel:+15551234567", NULL, 416 },
	{ "Request-URI mailto:", "mailto:registrar@" REALM, NULL, 416 },
	{ "To tel:", NULL, "<tel:+15551234567>", 416 },
	{ "To mailto:", NULL, "<mailto:alice@" REALM ">", 416 },
	{ "To without user", NULL, "<sip:" REALM ">", 400 },
};

TEST(uri_scheme_table)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(uri_cases); i++) {
		const struct uri_case *c = &uri_cases[i];
		const struct reg_req rq = {
			.ruri = c->ruri, .to = c->to,
			.headers = "Contact: <sip:alice@10.0.0.5>\r\n",
		};

		if (!fixture_up())
			return;
		ASSERT_EQ(send_req(&rq, NULL), c->status,
			  say("%s: status", c->name));
		ASSERT_EQ(F.resp.count[SIP_HDR_WWW_AUTHENTICATE], 0,
			  say("%s: refused before any challenge", c->name));
		ASSERT_EQ(F.reg.stats.bad_request, 1,
			  say("%s: stats.bad_request", c->name));
		fixture_down();
	}
}

struct aor_case {
	const char *name;
	const char *to;
	int status;
	const char *aor;	/* where the binding lands (200) */
};

static const struct aor_case aor_cases[] = {
	{ "plain", "<" ALICE_AOR ">", 200, ALICE_AOR },
	{ "addr-spec", ALICE_AOR, 200, ALICE_AOR },
	{ "display name, host case, port and params dropped",
	  "\"Alice\" <sip:alice@EXAMPLE.Com:5070;transport=udp>", 200,
	  ALICE_AOR },
	/* RFC 3261 10.3 step 5: escaped characters unescaped in the AOR. */
	{ "escaped user", "<sip:%61lice@" REALM ">", 200, ALICE_AOR },
	/* RFC 3261 10.3 step 5: an AOR not of the Request-URI's domain. */
	{ "To in another domain", "<sip:alice@other.example>", 404, NULL },
};

TEST(address_of_record_table)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(aor_cases); i++) {
		const struct aor_case *c = &aor_cases[i];
		const struct reg_req rq = {
			.to = c->to,
			.headers = "Contact: <sip:alice@10.0.0.5>\r\n",
		};
		struct siplb_binding b;

		if (!fixture_up())
			return;
		ASSERT_EQ(client_send(&alice, &rq), c->status,
			  say("%s: status", c->name));
		if (c->aor)
			ASSERT_TRUE(binding_of(c->aor, "sip:alice@10.0.0.5",
					       &b),
				    say("%s: bound under %s", c->name, c->aor));
		else
			ASSERT_EQ(map_entries(F.location_fd), 0,
				  say("%s: nothing bound", c->name));
		fixture_down();
	}
}

/* ---- Contact URI comparison (RFC 3261 10.3 step 7, 19.1.4) ------------- */

struct same_case {
	const char *name;
	const char *contact;	/* sent with expires=0 after the first */
	bool same;		/* RFC 3261 19.1.4: the same URI */
};

static const struct same_case same_cases[] = {
	{ "identical", "<sip:alice@pc33.example.com:5060>", true },
	{ "with a display name", "Alice <sip:alice@pc33.example.com:5060>",
	  true },
	{ "host case differs", "<sip:alice@PC33.Example.COM:5060>", true },
	{ "scheme case differs", "<SIP:alice@pc33.example.com:5060>", true },
	{ "user escaped", "<sip:%61lice@pc33.example.com:5060>", true },
	{ "user case differs", "<sip:Alice@pc33.example.com:5060>", false },
	{ "port left out", "<sip:alice@pc33.example.com>", false },
};

TEST(contact_uri_comparison_table)
{
	char headers[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(same_cases); i++) {
		const struct same_case *c = &same_cases[i];

		if (!fixture_up())
			return;
		if (!ASSERT_EQ(alice_sends("Contact: <sip:alice@"
					   "pc33.example.com:5060>\r\n"),
			       200, say("%s: first", c->name)))
			goto next;
		snprintf(headers, sizeof(headers),
			 "Contact: %s;expires=0\r\n", c->contact);
		ASSERT_EQ(alice_sends(headers), 200,
			  say("%s: removal", c->name));
		ASSERT_EQ(map_entries(F.location_fd), c->same ? 0 : 1,
			  say("%s: %s", c->name,
			      c->same ? "same URI: binding removed" :
					"other URI: binding kept"));
next:
		fixture_down();
	}
}

TEST(same_contact_twice_in_one_request)
{
	if (!fixture_up())
		return;
	if (ASSERT_EQ(alice_sends("Contact: <sip:a@10.0.0.1>, "
				  "<sip:a@10.0.0.1>;expires=1800\r\n"),
		      200, "same contact twice: 200")) {
		ASSERT_EQ(map_entries(F.location_fd), 1,
			  "one binding per contact URI");
		ASSERT_EQ(listed_count(), 1, "the 200 lists it once");
	}
	fixture_down();
}

/* ---- the auth guard ---------------------------------------------------- */

struct guard_case {
	const char *name;
	/* x wrong password, u unknown user, + right password,
	 * w the guard's window passes */
	const char *steps;
	int block_at;	/* the step after which the source is blocked, -1 */
};

static const struct guard_case guard_cases[] = {
	{ "three wrong passwords", "xxx", 2 },
	{ "three unknown users", "uuu", 2 },
	{ "mixed", "xux", 2 },
	{ "two wrong", "xx", -1 },
	{ "a right password resets the count", "xx+xx", -1 },
	{ "... and counting starts again", "xx+xxx", 5 },
	{ "the window passes", "xxwxx", -1 },
};

TEST(auth_guard_table)
{
	const struct reg_req rq = { 0 };
	struct siplb_endpoint other;
	struct siplb_block block = { 0 };
	size_t i, s;

	for (i = 0; i < ARRAY_SIZE(guard_cases); i++) {
		const struct guard_case *c = &guard_cases[i];
		int failures = 0, want;

		if (!fixture_up())
			return;
		if (!ASSERT_OK(endpoint_parse("203.0.113.9:5060", &other),
			       "other source"))
			goto next;
		for (s = 0; c->steps[s]; s++) {
			advance(1);
			switch (c->steps[s]) {
			case 'x':
				failures++;
				ASSERT_EQ(client_send(&alice_wrong, &rq), 401,
					  say("%s: step %zu: wrong password",
					      c->name, s));
				break;
			case 'u':
				failures++;
				ASSERT_EQ(client_send(&mallory, &rq), 401,
					  say("%s: step %zu: unknown user",
					      c->name, s));
				break;
			case '+':
				ASSERT_EQ(client_send(&alice, &rq), 200,
					  say("%s: step %zu: right password",
					      c->name, s));
				break;
			case 'w':
				advance(GUARD_WINDOW_S + 1);
				break;
			}
			want = c->block_at >= 0 && (int)s >= c->block_at;
			if (!ASSERT_EQ(blocked(&F.source, &block), want,
				       say("%s: blocked after step %zu?",
					   c->name, s)))
				break;
			if (want && (int)s == c->block_at) {
				ASSERT_EQ(block.until_ns,
					  F.now.mono_ns + GUARD_BLOCK_S * NS,
					  say("%s: until_ns = now + block time",
					      c->name));
				ASSERT_EQ(block.failures, GUARD_THRESHOLD,
					  say("%s: failures recorded",
					      c->name));
			}
		}
		ASSERT_EQ(F.reg.stats.auth_failed, failures,
			  say("%s: stats.auth_failed", c->name));
		ASSERT_FALSE(blocked(&other, NULL),
			     say("%s: another source is not blocked", c->name));
next:
		fixture_down();
	}
}

/*
 * Once blocked, a source's REGISTERs that were already queued get no
 * answer and no password check, even the right password; the block's end
 * lets it in again.
 */
TEST(blocked_source_gets_no_answer)
{
	const struct reg_req rq = { 0 };
	char auth[2048];
	int i, n;

	if (!fixture_up())
		return;
	for (i = 0; i < GUARD_THRESHOLD; i++) {
		advance(1);
		ASSERT_EQ(client_send(&alice_wrong, &rq), 401, "wrong password");
	}
	if (!ASSERT_TRUE(blocked(&F.source, NULL), "blocked"))
		goto out;
	for (i = 0; i < 3; i++) {
		const struct creds *who = i ? &alice_wrong : &alice;

		advance(1);
		if (!ASSERT_TRUE(make_authorization(who, RURI, ++F.nc, auth,
						    sizeof(auth)), "credentials"))
			goto out;
		n = build_req(&rq, auth);
		if (!ASSERT_OK(sip_msg_parse(&F.req, F.text, (size_t)n),
			       "request parses"))
			goto out;
		n = registrar_handle(&F.reg, &F.req, &F.source, &F.now, F.out,
				     sizeof(F.out));
		ASSERT_EQ(n, REGISTRAR_NO_ANSWER,
			  i ? "a further guess: no answer" :
			      "even the right password: no answer");
	}
	ASSERT_EQ(F.reg.stats.blocked, 3, "stats.blocked");
	ASSERT_EQ(F.reg.stats.auth_failed, GUARD_THRESHOLD,
		  "no further password was checked");
	advance(GUARD_BLOCK_S + 1);
	F.nonce[0] = '\0';	/* a fresh challenge after so long */
	ASSERT_EQ(client_send(&alice, &rq), 200,
		  "after the block, the right password registers");
out:
	fixture_down();
}

/*
 * Forged failures in a victim's name (docs/SECURITY.md): an attacker who
 * can forge the victim's source address does not see the victim's 401s,
 * so the only nonces he has are his own. Answers with those from the
 * victim's address, and answers with a victim's nonce from elsewhere, are
 * foreign nonces: re-challenged, counted, never a failed password. The
 * victim's own failures still count.
 */
TEST(spoofed_failures_never_block_the_victim)
{
	const struct reg_req rq = { 0 };
	struct siplb_endpoint victim, victim_port, attacker;
	char victims_nonce[sizeof(F.nonce)];
	int i;

	if (!fixture_up())
		return;
	victim = F.source;
	if (!ASSERT_OK(endpoint_parse("203.0.113.66:5060", &attacker),
		       "attacker") ||
	    !ASSERT_OK(endpoint_parse("198.51.100.7:40999", &victim_port),
		       "victim, another port"))
		goto out;

	/* 1. The attacker's own nonce, answers sent as the victim. */
	F.source = attacker;
	if (!client_challenge(&rq, DIGEST_ALG_SHA256))
		goto out;
	F.source = victim;
	for (i = 0; i < 3 * GUARD_THRESHOLD; i++) {
		advance(1);
		ASSERT_EQ(client_send(&alice_wrong, &rq), 401,
			  say("forged answer %d: challenged again", i));
	}
	ASSERT_EQ(F.reg.stats.foreign_nonce, 3 * GUARD_THRESHOLD,
		  "each counted in stats.foreign_nonce");
	ASSERT_EQ(F.reg.stats.auth_failed, 0, "none is a failed password");
	ASSERT_FALSE(blocked(&victim, NULL), "the victim is not blocked");

	/* 2. A nonce issued to the victim, presented from the attacker. */
	F.nonce[0] = '\0';
	if (!client_challenge(&rq, DIGEST_ALG_SHA256))
		goto out;
	memcpy(victims_nonce, F.nonce, sizeof(victims_nonce));
	F.source = attacker;
	for (i = 0; i < 3 * GUARD_THRESHOLD; i++) {
		advance(1);
		ASSERT_EQ(client_send(&alice_wrong, &rq), 401,
			  say("victim's nonce from elsewhere %d: challenged",
			      i));
	}
	ASSERT_EQ(F.reg.stats.foreign_nonce, 6 * GUARD_THRESHOLD,
		  "counted in stats.foreign_nonce");
	ASSERT_EQ(F.reg.stats.auth_failed, 0, "still no failed password");
	ASSERT_FALSE(blocked(&victim, NULL), "the victim is not blocked");
	ASSERT_FALSE(blocked(&attacker, NULL), "nor is anyone else");

	/* The victim's nonce still works for the victim, from another port
	 * of the same address (a NAT may move it: nonce.h). */
	F.source = victim_port;
	memcpy(F.nonce, victims_nonce, sizeof(F.nonce));
	advance(1);
	ASSERT_EQ(client_send(&alice, &rq), 200,
		  "the victim registers, nonce used from another port");

	/* 3. Real failures from the victim's own address still block it. */
	F.source = victim;
	F.nonce[0] = '\0';
	for (i = 0; i < GUARD_THRESHOLD; i++) {
		advance(1);
		ASSERT_EQ(client_send(&alice_wrong, &rq), 401,
			  say("real wrong password %d", i));
	}
	ASSERT_EQ(F.reg.stats.auth_failed, GUARD_THRESHOLD,
		  "real failures counted");
	ASSERT_TRUE(blocked(&victim, NULL), "real failures block the source");
out:
	fixture_down();
}

static bool is_text(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((s[i] < ' ' || s[i] > '~') && s[i] != '\n')
			return false;
	return true;
}

/*
 * A username longer than the registrar's copy of it is a failure like
 * any, and the line that logs the block must be text: the block is logged
 * at info level with the username, so this test captures stderr and looks.
 */
TEST(overlong_username_counts_as_failure)
{
	static char name[301];
	const struct creds longname = { name, "x", NULL, DIGEST_ALG_SHA256 };
	const struct reg_req rq = { 0 };
	char logged[4096];
	int i, saved = -1;
	FILE *capture;
	size_t n = 0;

	memset(name, 'a', sizeof(name) - 1);
	if (!fixture_up())
		return;
	fflush(stderr);
	capture = tmpfile();
	if (capture)
		saved = dup(STDERR_FILENO);
	if (!ASSERT_TRUE(capture && saved >= 0 &&
				 dup2(fileno(capture), STDERR_FILENO) >= 0,
			 "capture stderr"))
		goto out;
	log_init("test_registrar", LOG_LEVEL_INFO);
	for (i = 0; i < GUARD_THRESHOLD; i++) {
		advance(1);
		if (client_send(&longname, &rq) != 401)
			break;
	}
	log_init("test_registrar", LOG_LEVEL_WARN);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	rewind(capture);
	n = fread(logged, 1, sizeof(logged) - 1, capture);
	logged[n] = '\0';

	ASSERT_EQ(i, GUARD_THRESHOLD, "each attempt answered 401");
	ASSERT_EQ(F.reg.stats.auth_failed, GUARD_THRESHOLD,
		  "counted in stats.auth_failed");
	ASSERT_TRUE(blocked(&F.source, NULL), "blocked at the threshold");
	ASSERT_TRUE(strstr(logged, "blocked") != NULL, "the block is logged");
	ASSERT_TRUE(is_text(logged, n),
		    "the log line is printable text (no stack bytes)");
out:
	if (saved >= 0)
		close(saved);
	if (capture)
		fclose(capture);
	fixture_down();
}

int main(int argc, char **argv)
{
	testlib_require_root("BPF maps");
	log_init("test_registrar", LOG_LEVEL_WARN);
	return testlib_main(argc, argv);
}

/* ---- RFC 3581 and RFC 5626 ------------------------------------------ */

/* The top Via of the response, unfolded. */
static const char *resp_via(void)
{
	static char via[512];

	return resp_header(SIP_HDR_VIA, 0, via, sizeof(via)) ? via : "";
}

/*
 * The registrar's answers (the 401 and the 200) carry received, and
 * rport when the REGISTER's Via asked for it (the fixture's REGISTERs
 * come from 198.51.100.7:40123 and name 192.0.2.10:5060 in Via).
 */
TEST(responses_carry_received_and_rport)
{
	const struct reg_req rq = { .headers = "Contact: <sip:alice@192.0.2.10>\r\n" };

	if (!fixture_up())
		return;
	ASSERT_EQ(send_req(&rq, NULL), 401, "challenged");
	ASSERT_TRUE(strstr(resp_via(), ";received=198.51.100.7") &&
			    !strstr(resp_via(), "rport"),
		    say("401: received, no rport: %s", resp_via()));
	ASSERT_EQ(alice_sends("Contact: <sip:alice@192.0.2.10>\r\n"), 200,
		  "registered");
	ASSERT_TRUE(strstr(resp_via(), "received=198.51.100.7") != NULL,
		    say("200: received: %s", resp_via()));
	fixture_down();
}

/* One REGISTER with a Via of our choosing (rport) and alice's creds. */
TEST(rport_in_the_200)
{
	char auth[2048];
	int n;

	if (!fixture_up() || !client_challenge(&(struct reg_req){ 0 },
					       alice.alg) ||
	    !make_authorization(&alice, RURI, ++F.nc, auth, sizeof(auth)))
		goto out;
	n = snprintf(F.text, sizeof(F.text),
		     "REGISTER " RURI " SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 192.168.1.2:5060;rport;branch=z9hG4bKr\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <" ALICE_AOR ">;tag=1\r\nTo: <" ALICE_AOR ">\r\n"
		     "Call-ID: rport@x\r\nCSeq: 9 REGISTER\r\n"
		     "Contact: <sip:alice@192.168.1.2>\r\n"
		     "Authorization: %s\r\nContent-Length: 0\r\n\r\n", auth);
	if (!ASSERT_OK(sip_msg_parse(&F.req, F.text, n), "parses"))
		goto out;
	sip_msg_set_source(&F.req, AF_INET, F.source.addr,
			   ntohs(F.source.port));
	n = registrar_handle(&F.reg, &F.req, &F.source, &F.now, F.out,
			     sizeof(F.out));
	if (ASSERT_GE(n, 1, "answered") &&
	    ASSERT_OK(sip_msg_parse(&F.resp, F.out, n), "200 parses")) {
		ASSERT_EQ(F.resp.status, 200, "registered");
		ASSERT_TRUE(!strcmp(resp_via(), "SIP/2.0/UDP 192.168.1.2:5060;"
				    "rport=40123;branch=z9hG4bKr;"
				    "received=198.51.100.7"),
			    say("the phone learns its public address: %s",
				resp_via()));
	}
out:
	fixture_down();
}

#define INST_A	"urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
#define INST_B	"urn:uuid:0c9f8e2a-0000-4000-8000-000000000002"

/* The binding of alice with instance inst (live), or false. */
static bool binding_of_instance(const char *inst, struct siplb_binding *b)
{
	__u32 slot;

	for (slot = 0; slot < SIPLB_CONTACTS_MAX; slot++)
		if (binding_at(ALICE_AOR, slot, b) &&
		    !strcmp(b->instance, inst))
			return true;
	return false;
}

/* Alice registers contact with instance inst from source, on a Call-ID
 * of its own (a restarted phone starts a new one). */
static int alice_instance(const char *source, const char *contact,
			  const char *params, const char *extra)
{
	static char headers[1024], call_id[64];
	static unsigned int restarts;
	const struct reg_req rq = { .headers = headers, .call_id = call_id };
	struct siplb_endpoint from;

	snprintf(call_id, sizeof(call_id), "restart-%u@x", ++restarts);
	snprintf(headers, sizeof(headers), "Contact: <%s>%s\r\n%s", contact,
		 params, extra ? extra : "");
	if (endpoint_parse(source, &from))
		return -1;
	/* A phone on a new address asks for a new nonce: ours are bound to
	 * the address they were sent to (nonce.h). */
	if (memcmp(from.addr, F.source.addr, sizeof(from.addr)))
		F.nonce[0] = '\0';
	F.source = from;
	return client_send(&alice, &rq);
}

TEST(same_instance_replaces_its_binding)
{
	struct siplb_binding b;
	char src[ENDPOINT_STRLEN];

	if (!fixture_up())
		return;
	ASSERT_EQ(alice_instance("198.51.100.7:5060", "sip:alice@192.0.2.10:5060",
				 ";+sip.instance=\"<" INST_A ">\"", NULL),
		  200, "first registration");
	advance(10);
	/* Restarted on another address and port: same instance. */
	ASSERT_EQ(alice_instance("198.51.100.8:6060", "sip:alice@192.0.2.11:6060",
				 ";+sip.instance=\"<" INST_A ">\"", NULL),
		  200, "registration after the restart");
	ASSERT_EQ(bindings_of(ALICE_AOR), 1, "one binding, not two");
	ASSERT_EQ(listed_count(), 1, "the 200 lists one");
	if (ASSERT_TRUE(binding_of_instance(INST_A, &b), "the instance's")) {
		ASSERT_TRUE(!strcmp(b.contact, "sip:alice@192.0.2.11:6060"),
			    say("the newer contact: %s", b.contact));
		endpoint_format(&b.source, src, sizeof(src));
		ASSERT_TRUE(!strcmp(src, "198.51.100.8:6060"),
			    say("the newer source: %s", src));
		ASSERT_EQ(b.reg_id, 0, "no reg-id without outbound");
	}
	ASSERT_EQ(source_bindings(&b.source, NULL), 1,
		  "the new source counts it");
	ASSERT_TRUE(resp_header(SIP_HDR_CONTACT, 0, F.text, sizeof(F.text)) &&
			    strstr(F.text, ";+sip.instance=\"<" INST_A ">\""),
		    say("the 200 echoes the instance: %s", F.text));
	ASSERT_FALSE(sip_msg_hdr(&F.resp, SIP_HDR_REQUIRE),
		     "no Require without outbound");
	/* A second phone of alice's: a binding of its own. */
	ASSERT_EQ(alice_instance("198.51.100.9:5060", "sip:alice@192.0.2.11:6060",
				 ";+sip.instance=\"<" INST_B ">\"", NULL),
		  200, "another instance, same contact URI");
	ASSERT_EQ(bindings_of(ALICE_AOR), 2, "two instances: two bindings");
	/* Unregister by instance, from yet another contact. */
	ASSERT_EQ(alice_instance("198.51.100.8:7070", "sip:alice@192.0.2.99:7070",
				 ";+sip.instance=\"<" INST_A ">\";expires=0",
				 NULL), 200, "unregister by instance");
	ASSERT_EQ(bindings_of(ALICE_AOR), 1, "only the other instance left");
	ASSERT_TRUE(binding_of_instance(INST_B, &b), "it is INST_B's");
	fixture_down();
}

TEST(outbound_flow_registration)
{
	struct siplb_binding b;
	char line[512];

	if (!fixture_up())
		return;
	ASSERT_EQ(alice_instance("198.51.100.7:5060", "sip:alice@192.0.2.10:5060",
				 ";+sip.instance=\"<" INST_A ">\";reg-id=1",
				 "Supported: path, outbound\r\n"),
		  200, "outbound registration");
	ASSERT_TRUE(resp_header(SIP_HDR_REQUIRE, 0, line, sizeof(line)) &&
			    !strcmp(line, "outbound"),
		    "200 carries Require: outbound");
	ASSERT_TRUE(resp_header(SIP_HDR_CONTACT, 0, line, sizeof(line)) &&
			    strstr(line, ";+sip.instance=\"<" INST_A
					 ">\";reg-id=1"),
		    say("the 200 lists instance and reg-id: %s", line));
	if (ASSERT_TRUE(binding_of_instance(INST_A, &b), "stored")) {
		ASSERT_EQ(b.reg_id, 1, "reg-id kept");
		ASSERT_EQ(b.flags, SIPLB_BINDING_OUTBOUND, "a flow");
	}
	/* A second flow of the same instance: a binding of its own. */
	ASSERT_EQ(alice_instance("198.51.100.7:5062", "sip:alice@192.0.2.10:5062",
				 ";+sip.instance=\"<" INST_A ">\";reg-id=2",
				 "k: outbound\r\n"),
		  200, "second flow");
	ASSERT_EQ(bindings_of(ALICE_AOR), 2, "two flows");
	/* The first flow again, from a new port (NAT rebinding). */
	ASSERT_EQ(alice_instance("198.51.100.7:5099", "sip:alice@192.0.2.10:5060",
				 ";+sip.instance=\"<" INST_A ">\";reg-id=1",
				 "Supported: outbound\r\n"),
		  200, "flow 1 refreshed");
	ASSERT_EQ(bindings_of(ALICE_AOR), 2, "still two flows");
	/* reg-id without Supported: outbound: a plain instance binding. */
	ASSERT_EQ(alice_instance("198.51.100.7:5060", "sip:alice@192.0.2.10:5060",
				 ";+sip.instance=\"<" INST_B ">\";reg-id=1",
				 NULL), 200, "reg-id, no outbound");
	ASSERT_FALSE(sip_msg_hdr(&F.resp, SIP_HDR_REQUIRE),
		     "no Require: outbound then");
	ASSERT_TRUE(binding_of_instance(INST_B, &b) && b.reg_id == 0 &&
			    b.flags == 0, "not a flow");
	fixture_down();
}

static const struct {
	const char *name;
	const char *contact;	/* whole Contact lines */
	const char *extra;
} bad_instance_cases[] = {
	{ "instance without < >",
	  "Contact: <sip:alice@192.0.2.10>;+sip.instance=\"" INST_A "\"\r\n",
	  NULL },
	{ "instance too long",
	  "Contact: <sip:alice@192.0.2.10>;+sip.instance=\"<urn:x:"
	  "0123456789012345678901234567890123456789012345678901234567890123456789"
	  "0123456789012345678901234567890123456789>\"\r\n", NULL },
	{ "reg-id zero",
	  "Contact: <sip:alice@192.0.2.10>;+sip.instance=\"<" INST_A ">\";reg-id=0\r\n",
	  "Supported: outbound\r\n" },
	{ "reg-id not a number",
	  "Contact: <sip:alice@192.0.2.10>;+sip.instance=\"<" INST_A ">\";reg-id=x\r\n",
	  "Supported: outbound\r\n" },
	{ "outbound with two Contacts",
	  "Contact: <sip:alice@192.0.2.10>;+sip.instance=\"<" INST_A ">\";reg-id=1\r\n"
	  "Contact: <sip:alice@192.0.2.11>\r\n",
	  "Supported: outbound\r\n" },
};

TEST(bad_instance_table)
{
	char headers[1024];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_instance_cases); i++) {
		if (!fixture_up())
			return;
		snprintf(headers, sizeof(headers), "%s%s",
			 bad_instance_cases[i].contact,
			 bad_instance_cases[i].extra ?
				 bad_instance_cases[i].extra : "");
		ASSERT_EQ(alice_sends(headers), 400,
			  bad_instance_cases[i].name);
		ASSERT_EQ(bindings_of(ALICE_AOR), 0,
			  say("%s: nothing stored", bad_instance_cases[i].name));
		ASSERT_EQ(F.reg.stats.bad_request, 1,
			  say("%s: counted", bad_instance_cases[i].name));
		fixture_down();
	}
}

/* ---- cluster mode: the decision is Redis's (cluster_store.c) -------- */

/* A redis-server for one case, and the registrar using it as node "a". */
static bool cluster_up(struct redis_server *srv, struct cluster_store *cs)
{
	int err = redis_server_start(srv, false);

	if (err == -ENOENT) {
		testlib_skip("redis-server is not installed");
		return false;
	}
	if (!ASSERT_OK(err, "start redis-server") || !fixture_up()) {
		redis_server_remove(srv);
		return false;
	}
	cluster_store_init(cs, "127.0.0.1", srv->port, "a");
	F.reg.cluster = cs;
	return true;
}

static void cluster_down(struct redis_server *srv, struct cluster_store *cs)
{
	F.reg.cluster = NULL;
	cluster_store_free(cs);
	fixture_down();
	redis_server_remove(srv);
}

/* Node "b" adds a binding for ALICE_AOR, as its own REGISTER would. */
static int node_b_adds(struct redis_server *srv, const char *uri)
{
	struct cluster_store b;
	struct cluster_contact c = {};
	struct cluster_register rq = {
		.aor = ALICE_AOR, .now = F.now.real_s,
		.max_contacts = MAX_CONTACTS, .callid_hash = 42, .cseq = 1,
		.contacts = &c, .n = 1,
	};
	struct location_set *set = malloc(sizeof(*set));
	int err;

	snprintf(c.b.contact, sizeof(c.b.contact), "%s", uri);
	c.b.expires_at = F.now.real_s + 600;
	cluster_binding_id(uri, "", 0, c.id, sizeof(c.id));
	cluster_store_init(&b, "127.0.0.1", srv->port, "b");
	err = set ? cluster_store_register(&b, &rq, set) : -ENOMEM;
	cluster_store_free(&b);
	free(set);
	return err;
}

TEST(cluster_register_decided_in_redis)
{
	struct redis_server srv;
	struct cluster_store cs;
	char uri[64];
	int i;

	if (!cluster_up(&srv, &cs))
		return;
	if (!ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.5>\r\n"), 200,
		       "a REGISTER in cluster mode: 200"))
		goto out;
	ASSERT_EQ(listed_count(), 1, "the 200 lists the binding");
	ASSERT_EQ(map_entries(F.location_fd), 0,
		  "and siplbd writes no map: the mirror does, from Redis");
	ASSERT_EQ(cs.stats.registers, 1, "decided by the script");
	ASSERT_OK(node_b_adds(&srv, "sip:alice@10.0.0.6"),
		  "node b registers another contact");
	ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.7>\r\n"), 200,
		  "a third contact through this node");
	ASSERT_EQ(listed_count(), 3,
		  "the 200 lists node b's binding too: Redis's set");
	ASSERT_EQ(listed_expires("sip:alice@10.0.0.6"), 600,
		  "with the expiry node b gave it");
	for (i = 0; i < MAX_CONTACTS - 3; i++) {
		snprintf(uri, sizeof(uri), "sip:alice@10.0.1.%d", i);
		node_b_adds(&srv, uri);
	}
	ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.8>\r\n"), 403,
		  "max-contacts counts node b's bindings: 403");
out:
	cluster_down(&srv, &cs);
}

TEST(cluster_redis_down_is_503)
{
	struct redis_server srv;
	struct cluster_store cs;

	if (!cluster_up(&srv, &cs))
		return;
	ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.5>\r\n"), 200,
		  "registered while Redis is up");
	redis_server_stop(&srv);
	ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.5>\r\n"), 503,
		  "Redis down: 503, nothing decided alone");
	ASSERT_EQ(retry_after(), 5, "with Retry-After: 5");
	ASSERT_EQ(F.reg.stats.store_down, 1, "counted in stats.store_down");
	ASSERT_EQ(map_entries(F.location_fd), 0, "no local binding written");
	cluster_down(&srv, &cs);
}

/* ---- cluster mode, a receive batch at a time (registrar_pipe.c) ----- */

#define BATCH	4

/* A batch of REGISTERs kept by registrar_submit(), and their answers. */
static struct {
	char text[BATCH][2048];
	struct sip_msg req[BATCH];
	int status[BATCH];	/* 0: no answer yet */
	unsigned int order[BATCH];	/* tags in the order answered */
	unsigned int answers;
} B;

static void batch_answer(void *arg, unsigned int tag, const char *buf, int n)
{
	static struct sip_msg resp;

	(void)arg;
	if (tag >= BATCH || B.answers >= BATCH)
		return;
	B.order[B.answers++] = tag;
	B.status[tag] = n > 0 && !sip_msg_parse(&resp, buf, (size_t)n) ?
				(int)resp.status : -1;
}

static bool batch_up(struct redis_server *srv, struct cluster_store *cs)
{
	memset(&B, 0, sizeof(B));
	if (!cluster_up(srv, cs))
		return false;
	if (ASSERT_OK(registrar_pipe_init(&F.reg, batch_answer, NULL),
		      "the registrar's pipeline"))
		return true;
	cluster_down(srv, cs);
	return false;
}

/* cr's REGISTER with CSeq cseq and nonce count nc (0: the next) kept as
 * entry i of the batch. */
static bool batch_add(unsigned int i, const struct creds *cr, __u32 cseq,
		      __u32 nc, const char *headers)
{
	const struct reg_req rq = { .cseq = cseq, .headers = headers };
	char auth[2048];
	int n;

	if (!F.nonce[0] && !client_challenge(&rq, cr->alg))
		return false;
	if (!make_authorization(cr, RURI, nc ? nc : ++F.nc, auth,
				sizeof(auth)))
		return false;
	n = build_req(&rq, auth);
	if (n < 0 || !ASSERT_LE(n, sizeof(B.text[i]) - 1, "fits the batch"))
		return false;
	memcpy(B.text[i], F.text, (size_t)n);
	if (!ASSERT_OK(sip_msg_parse(&B.req[i], B.text[i], (size_t)n),
		       "the batch's REGISTER parses"))
		return false;
	sip_msg_set_source(&B.req[i], AF_INET, F.source.addr,
			   ntohs(F.source.port));
	registrar_submit(&F.reg, &B.req[i], &F.source, &F.now, i);
	return true;
}

TEST(cluster_batch_decided_in_order)
{
	struct redis_server srv;
	struct cluster_store cs;
	__u32 nc;

	if (!batch_up(&srv, &cs))
		return;
	if (!batch_add(0, &alice, 10, 0, "Contact: <sip:alice@10.0.0.5>\r\n"))
		goto out;
	nc = F.nc;
	batch_add(1, &alice, 10, 0, "Contact: <sip:alice@10.0.0.5>\r\n");
	batch_add(2, &alice, 11, 0, "Contact: <sip:alice@10.0.0.6>\r\n");
	batch_add(3, &alice, 12, nc, "Contact: <sip:alice@10.0.0.7>\r\n");
	ASSERT_EQ(B.answers, 0, "all four kept for the batch's round trips");
	registrar_pipe_drain(&F.reg);
	ASSERT_EQ(B.answers, 4, "all four answered at the drain");
	ASSERT_EQ(B.status[0], 200, "CSeq 10: 200");
	ASSERT_EQ(B.status[1], 500,
		  "CSeq 10 again, after it in the batch: 500 (out of order)");
	ASSERT_EQ(B.status[2], 200, "CSeq 11: 200");
	ASSERT_EQ(B.status[3], 401, "the first one's nonce count again: 401");
	ASSERT_EQ(F.reg.stats.out_of_order, 1, "counted as out of order");
	ASSERT_EQ(F.reg.stats.replayed, 1, "counted as replayed");
	ASSERT_EQ(cs.stats.registers, 3, "three decided by the script");
	ASSERT_EQ(alice_sends("Contact: <sip:alice@10.0.0.8>\r\n"), 200,
		  "one at a time again, after the batch");
	ASSERT_EQ(listed_count(), 3,
		  "its 200 lists the batch's two bindings and its own");
out:
	cluster_down(&srv, &cs);
}

TEST(cluster_batch_redis_gone_all_503)
{
	struct redis_server srv;
	struct cluster_store cs;
	unsigned int i;

	if (!batch_up(&srv, &cs))
		return;
	for (i = 0; i < 3; i++)
		if (!batch_add(i, &alice, 20 + i, 0,
			       "Contact: <sip:alice@10.0.0.5>\r\n"))
			goto out;
	redis_server_stop(&srv);
	registrar_pipe_drain(&F.reg);
	ASSERT_EQ(B.answers, 3, "every request of the batch answered");
	for (i = 0; i < 3; i++)
		ASSERT_EQ(B.status[i], 503,
			  say("request %u: 503, Redis gone mid-batch", i + 1));
	ASSERT_EQ(F.reg.stats.store_down, 3, "counted in stats.store_down");
	ASSERT_EQ(map_entries(F.location_fd), 0, "no local binding written");
out:
	cluster_down(&srv, &cs);
}

TEST(cluster_batch_failed_login_drains_first)
{
	struct redis_server srv;
	struct cluster_store cs;

	if (!batch_up(&srv, &cs))
		return;
	if (!batch_add(0, &alice, 30, 0, "Contact: <sip:alice@10.0.0.5>\r\n"))
		goto out;
	ASSERT_EQ(B.answers, 0, "the first kept");
	batch_add(1, &alice_wrong, 31, 0, "Contact: <sip:alice@10.0.0.5>\r\n");
	ASSERT_EQ(B.answers, 2,
		  "a failed login answers the kept one first, then itself");
	ASSERT_EQ(B.order[0], 0, "the first answered first");
	ASSERT_EQ(B.status[0], 200, "with its 200");
	ASSERT_EQ(B.status[1], 401, "the wrong password: 401");
	ASSERT_EQ(F.reg.guard->failures, 1, "its failure counted");
	registrar_pipe_drain(&F.reg);
	ASSERT_EQ(B.answers, 2, "nothing left for the drain");
out:
	cluster_down(&srv, &cs);
}
