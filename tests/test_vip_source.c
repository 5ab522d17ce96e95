// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_vip_source.c - which datagrams of siplb-worker leave from the VIP
 * (user/siplb-worker/vip_source.c): clients get the VIP, the backend
 * network and the VIP itself the backend address; off sends nothing from
 * the VIP. As root, a socket really binds to a foreign VIP and sends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>

#include "endpoint.h"
#include "vip_source.h"
#include "testlib.h"

/* VIP 10.99.0.10:5060, backend network 10.99.11.0/24 (or v6 /64). */
static void fake(struct vip_source *vs, const char *vip, const char *net,
		 unsigned int bits)
{
	struct siplb_endpoint ep;

	vip_source_init(vs);
	endpoint_parse(vip, &vs->vip);
	endpoint_parse(net, &ep);
	memcpy(vs->net.addr, ep.addr, sizeof(ep.addr));
	vs->net.family = ep.family;
	vs->net_bits = bits;
	vs->fd = 1000;	/* "open": only compared with -1 here */
}

static const struct {
	const char *to;
	bool vip;
	const char *why;
} v4_cases[] = {
	{ "10.99.1.2:5072", true, "a phone behind the balancer" },
	{ "203.0.113.7:5060", true, "a foreign proxy" },
	{ "10.99.12.2:5060", true, "a backend of another network (as SNAT)" },
	{ "10.99.11.1:40000", false, "siplbd's health check, same network" },
	{ "10.99.11.200:5060", false, "a backend of the same network" },
	{ "10.99.0.10:5060", false, "the VIP itself" },
	{ "10.99.0.10:5999", false, "the VIP's address, other port" },
	{ "10.99.10.255:5060", true, "just below the backend network" },
	{ "10.99.12.0:5060", true, "just above the backend network" },
	{ "[fd00:99:1::2]:5060", false, "another family" },
};

TEST(v4_destinations)
{
	struct vip_source vs;
	struct siplb_endpoint to;
	size_t i;

	fake(&vs, "10.99.0.10:5060", "10.99.11.2:0", 24);
	for (i = 0; i < sizeof(v4_cases) / sizeof(v4_cases[0]); i++) {
		ASSERT_OK(endpoint_parse(v4_cases[i].to, &to), v4_cases[i].to);
		ASSERT_EQ(vip_source_wanted(&vs, &to), v4_cases[i].vip,
			  v4_cases[i].why);
	}
}

TEST(odd_prefixes)
{
	struct vip_source vs;
	struct siplb_endpoint to;
	char text[64];

	/* /27: 10.99.11.32-63 */
	fake(&vs, "10.99.0.10:5060", "10.99.11.40:0", 27);
	endpoint_parse("10.99.11.63:5060", &to);
	ASSERT_FALSE(vip_source_wanted(&vs, &to), ".63 is in /27");
	endpoint_parse("10.99.11.64:5060", &to);
	ASSERT_TRUE(vip_source_wanted(&vs, &to), ".64 is not");
	vip_source_net_text(&vs, text, sizeof(text));
	ASSERT_EQ(strcmp(text, "10.99.11.32/27"), 0, "net text 10.99.11.32/27");
	/* /32: only the backend itself */
	fake(&vs, "10.99.0.10:5060", "10.99.11.2:0", 32);
	endpoint_parse("10.99.11.1:5060", &to);
	ASSERT_TRUE(vip_source_wanted(&vs, &to), "/32: a neighbour is a client");
}

TEST(v6_destinations)
{
	struct vip_source vs;
	struct siplb_endpoint to;

	fake(&vs, "[fd00:99::10]:5060", "[fd00:99:11::2]:0", 64);
	endpoint_parse("[fd00:99:1::2]:5072", &to);
	ASSERT_TRUE(vip_source_wanted(&vs, &to), "v6 phone: from the VIP");
	endpoint_parse("[fd00:99:11::1]:5060", &to);
	ASSERT_FALSE(vip_source_wanted(&vs, &to), "v6 balancer: backend's");
	endpoint_parse("[fd00:99::10]:5060", &to);
	ASSERT_FALSE(vip_source_wanted(&vs, &to), "v6 VIP: backend's");
	endpoint_parse("10.99.1.2:5060", &to);
	ASSERT_FALSE(vip_source_wanted(&vs, &to), "v4 to a v6 VIP: backend's");
}

TEST(off)
{
	struct vip_source vs;
	struct siplb_endpoint to;

	vip_source_init(&vs);
	endpoint_parse("10.99.1.2:5072", &to);
	ASSERT_FALSE(vip_source_wanted(&vs, &to), "off: never the VIP");
}

/* A foreign VIP on loopback's network: bind (IP_FREEBIND) and send
 * (IP_TRANSPARENT) both work, and the datagram carries the VIP. */
TEST(open_foreign_vip)
{
	struct siplb_endpoint vip, listen, to;
	struct sockaddr_storage ss, from;
	socklen_t len, fromlen = sizeof(from);
	struct vip_source vs;
	int rx, err;
	char buf[8];

	if (geteuid() != 0) {
		testlib_skip("needs CAP_NET_ADMIN (IP_TRANSPARENT)");
		return;
	}
	endpoint_parse("192.0.2.77:5999", &vip);	/* not this host's */
	endpoint_parse("127.0.0.1:5998", &listen);
	err = vip_source_open(&vs, &vip, &listen);
	if (!ASSERT_OK(err, "open on 192.0.2.77:5999"))
		return;
	ASSERT_TRUE(vs.transparent, "a foreign VIP needs IP_TRANSPARENT");
	ASSERT_EQ(vs.net_bits, 8, "lo's 127.0.0.0/8 learnt");
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	endpoint_parse("127.0.0.1:0", &to);
	len = endpoint_to_sockaddr(&to, &ss);
	bind(rx, (struct sockaddr *)&ss, len);
	len = sizeof(ss);
	getsockname(rx, (struct sockaddr *)&ss, &len);
	endpoint_from_sockaddr(&ss, &to);
	/* 127/8 is the backend network here: route a copy anyway. */
	ASSERT_FALSE(vip_source_wanted(&vs, &to), "loopback is ours");
	ASSERT_EQ(sendto(vs.fd, "ping", 4, 0, (struct sockaddr *)&ss, len), 4,
		  "sent from the VIP");
	ASSERT_EQ(recvfrom(rx, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			   &fromlen), 4, "received");
	endpoint_from_sockaddr(&from, &to);
	ASSERT_EQ(to.addr[0], vip.addr[0], "source is the VIP");
	ASSERT_EQ(to.port, vip.port, "source port is the VIP's");
	close(rx);
	vip_source_close(&vs);
}

int main(int argc, char **argv)
{
	return testlib_main(argc, argv);
}
