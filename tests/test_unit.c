// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_unit.c - user-space units that need no kernel: the shared SipHash
 * (against the reference vectors of the SipHash paper) and the endpoint
 * parser (a table of good and bad inputs), and endpoint_resolve with host
 * names ("localhost", from /etc/hosts: no DNS needed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "endpoint.h"
#include "siplb_hash.h"
#include "testlib.h"

/* SipHash-2-4, key 00 01 .. 0f, message 00 01 .. (len-1): the reference
 * implementation's vectors.h and the paper's Appendix A (15 bytes). */
TEST(siphash_reference_vectors)
{
	static const struct {
		__u32 len;
		__u64 want;
	} vectors[] = {
		{ 0, 0x726fdb47dd0e0e31ULL },
		{ 1, 0x74f839c593dc67fdULL },
		{ 15, 0xa129ca6149be45e5ULL },
	};
	const __u64 key[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	__u8 msg[64];
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (__u8)i;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		ASSERT_EQ(siplb_siphash(msg, vectors[i].len, 64, key),
			  vectors[i].want, "SipHash-2-4 reference vector");
}

TEST(callid_hash_is_keyed_and_exact)
{
	const __u64 k1[2] = { 1, 2 }, k2[2] = { 1, 3 };
	const char *a = "a84b4c76e66710@pc33.atlanta.com";

	ASSERT_EQ(siplb_callid_hash((const __u8 *)a, strlen(a), k1),
		  siplb_callid_hash((const __u8 *)a, strlen(a), k1),
		  "deterministic");
	ASSERT_NEQ(siplb_callid_hash((const __u8 *)a, strlen(a), k1),
		   siplb_callid_hash((const __u8 *)a, strlen(a), k2),
		   "depends on the key");
	ASSERT_NEQ(siplb_callid_hash((const __u8 *)"abc", 3, k1),
		   siplb_callid_hash((const __u8 *)"ABC", 3, k1),
		   "case-sensitive (RFC 3261: Call-IDs compare byte for byte)");
	ASSERT_NEQ(siplb_callid_hash((const __u8 *)"abc", 3, k1),
		   siplb_callid_hash((const __u8 *)"abc ", 4, k1),
		   "length matters");
}

struct endpoint_case {
	const char *text;
	int err;
	int family;
	const char *canonical;
};

static const struct endpoint_case endpoint_cases[] = {
	{ "10.0.0.1:5060", 0, SIPLB_AF_INET, "10.0.0.1:5060" },
	{ "[2001:db8::1]:5080", 0, SIPLB_AF_INET6, "[2001:db8::1]:5080" },
	{ "[::ffff:10.0.0.1]:1", 0, SIPLB_AF_INET6, "[::ffff:10.0.0.1]:1" },
	{ "10.0.0.1", -EINVAL, 0, NULL },		/* no port */
	{ "10.0.0.1:", -EINVAL, 0, NULL },
	{ "10.0.0.1:0", -EINVAL, 0, NULL },
	{ "10.0.0.1:65536", -EINVAL, 0, NULL },
	{ "10.0.0.1:50x", -EINVAL, 0, NULL },
	{ "10.0.0.256:5060", -EINVAL, 0, NULL },
	{ "2001:db8::1:5060", -EINVAL, 0, NULL },	/* v6 needs [] */
	{ "[10.0.0.1]:5060", -EINVAL, 0, NULL },
	{ "[2001:db8::1]5060", -EINVAL, 0, NULL },
	{ "[2001:db8::1:5060", -EINVAL, 0, NULL },
	{ "host.example:5060", -EINVAL, 0, NULL },	/* no DNS here */
	{ ":5060", -EINVAL, 0, NULL },
	{ "", -EINVAL, 0, NULL },
};

TEST(endpoint_parse_table)
{
	char buf[ENDPOINT_STRLEN];
	struct siplb_endpoint ep;
	size_t i;
	int err;

	for (i = 0; i < sizeof(endpoint_cases) / sizeof(endpoint_cases[0]);
	     i++) {
		const struct endpoint_case *c = &endpoint_cases[i];

		err = endpoint_parse(c->text, &ep);
		if (!ASSERT_EQ(err, c->err, c->text) || err)
			continue;
		ASSERT_EQ(ep.family, c->family, c->text);
		ASSERT_TRUE(!strcmp(endpoint_format(&ep, buf, sizeof(buf)),
				    c->canonical), c->text);
		if (ep.family == SIPLB_AF_INET)
			ASSERT_TRUE(!ep.addr[1] && !ep.addr[2] && !ep.addr[3],
				    "IPv4 leaves addr[1..3] zero");
	}
}

static const struct resolve_case {
	const char *text;
	int family;		/* asked for */
	int err;
	int port;
	const char *canonical;	/* NULL: any address */
} resolve_cases[] = {
	/* Literals as endpoint_parse takes them, whatever family is asked. */
	{ "192.0.2.1:5060", SIPLB_AF_INET, 0, 5060, "192.0.2.1:5060" },
	{ "[2001:db8::1]:5060", SIPLB_AF_INET, 0, 5060, "[2001:db8::1]:5060" },
	/* A name, looked up in the family asked for. */
	{ "localhost:5070", SIPLB_AF_INET, 0, 5070, "127.0.0.1:5070" },
	{ "localhost:5070", 0, 0, 5070, NULL },	/* either family */
	/* Not HOST:PORT. */
	{ "localhost", SIPLB_AF_INET, -EINVAL, 0, NULL },
	{ "localhost:", SIPLB_AF_INET, -EINVAL, 0, NULL },
	{ "localhost:0", SIPLB_AF_INET, -EINVAL, 0, NULL },
	{ "localhost:65536", SIPLB_AF_INET, -EINVAL, 0, NULL },
	{ "localhost:50x", SIPLB_AF_INET, -EINVAL, 0, NULL },
	{ ":5060", SIPLB_AF_INET, -EINVAL, 0, NULL },
	{ "[localhost]:5060", SIPLB_AF_INET, -EINVAL, 0, NULL },
	{ "[::1:5060", SIPLB_AF_INET6, -EINVAL, 0, NULL },
};

TEST(endpoint_resolve_table)
{
	char buf[ENDPOINT_STRLEN];
	struct siplb_endpoint ep;
	size_t i;
	int err;

	for (i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]);
	     i++) {
		const struct resolve_case *c = &resolve_cases[i];

		err = endpoint_resolve(c->text, c->family, &ep);
		if (!ASSERT_EQ(err, c->err, c->text) || err)
			continue;
		ASSERT_EQ(ntohs(ep.port), c->port, c->text);
		if (c->canonical)
			ASSERT_TRUE(!strcmp(endpoint_format(&ep, buf,
							    sizeof(buf)),
					    c->canonical), c->text);
	}
}

/* A name with no address: refused, and not as a syntax error, so that the
 * worker can tell its operator which. (-EAGAIN if a resolver is asked and
 * does not answer.) */
TEST(endpoint_resolve_unknown_name)
{
	struct siplb_endpoint ep;
	int err = endpoint_resolve("no-such-host.invalid:5060", 0, &ep);

	ASSERT_TRUE(err == -ENOENT || err == -EAGAIN,
		    "no-such-host.invalid: -ENOENT (or -EAGAIN)");
}

int main(int argc, char **argv)
{
	return testlib_main(argc, argv);
}
