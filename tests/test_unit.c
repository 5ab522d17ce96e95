// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_unit.c - user-space units that need no kernel: the shared SipHash
 * (against the reference vectors of the SipHash paper) and the endpoint
 * parser (a table of good and bad inputs).
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

int main(int argc, char **argv)
{
	return testlib_main(argc, argv);
}
