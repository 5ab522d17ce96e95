// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vip_source.c - the worker's socket on the VIP, and the choice of source
 * address per destination (vip_source.h).
 *
 * Binding to an address this host does not hold needs IP_FREEBIND, and
 * sending from it needs IP_TRANSPARENT as well: the kernel's output route
 * lookup refuses a foreign source address unless the socket is transparent
 * (FLOWI_FLAG_ANYSRC), whatever bind accepted. An operator who would
 * rather not grant CAP_NET_ADMIN can put the VIP on the worker host's
 * loopback instead; then it is a local address and neither is needed.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "endpoint.h"
#include "log.h"
#include "vip_source.h"

void vip_source_init(struct vip_source *vs)
{
	memset(vs, 0, sizeof(*vs));
	vs->fd = -1;
}

static unsigned int addr_bits(int family)
{
	return family == SIPLB_AF_INET6 ? 128 : 32;
}

/* Do the first `bits` bits of a and b agree? (network byte order) */
static bool prefix_match(const __be32 *a, const __be32 *b, unsigned int bits)
{
	const unsigned char *x = (const void *)a, *y = (const void *)b;
	unsigned int i, full = bits / 8, rest = bits % 8;

	for (i = 0; i < full; i++)
		if (x[i] != y[i])
			return false;
	return !rest || !((x[full] ^ y[full]) & (0xff00 >> rest));
}

bool vip_source_wanted(const struct vip_source *vs,
		       const struct siplb_endpoint *to)
{
	if (vs->fd < 0 || to->family != vs->vip.family)
		return false;
	if (!memcmp(to->addr, vs->vip.addr, sizeof(to->addr)))
		return false; /* to a VIP: the balancer steers it */
	return !prefix_match(to->addr, vs->net.addr, vs->net_bits);
}

static unsigned int mask_bits(const struct sockaddr *mask, int family)
{
	const struct sockaddr_in6 *m6 = (const void *)mask;
	const struct sockaddr_in *m4 = (const void *)mask;
	const unsigned char *m;
	unsigned int i, n = 0, len;

	if (family == SIPLB_AF_INET6) {
		m = (const void *)&m6->sin6_addr;
		len = 16;
	} else {
		m = (const void *)&m4->sin_addr;
		len = 4;
	}
	for (i = 0; i < len * 8 && (m[i / 8] & (0x80 >> i % 8)); i++)
		n++;
	return n;
}

/* The prefix of the interface that holds listen's address. */
static void learn_net(struct vip_source *vs,
		      const struct siplb_endpoint *listen)
{
	struct ifaddrs *ifs, *i;
	struct siplb_endpoint ep;

	memcpy(vs->net.addr, listen->addr, sizeof(vs->net.addr));
	vs->net.family = listen->family;
	vs->net_bits = addr_bits(listen->family);
	if (getifaddrs(&ifs)) {
		log_warn("getifaddrs");
		return;
	}
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || !i->ifa_netmask ||
		    (i->ifa_addr->sa_family != AF_INET &&
		     i->ifa_addr->sa_family != AF_INET6))
			continue;
		endpoint_from_sockaddr((void *)i->ifa_addr, &ep);
		if (ep.family != listen->family ||
		    memcmp(ep.addr, listen->addr, sizeof(ep.addr)))
			continue;
		vs->net_bits = mask_bits(i->ifa_netmask, listen->family);
		break;
	}
	freeifaddrs(ifs);
}

/* Is addr one of this host's? (bind without IP_FREEBIND says) */
static bool addr_is_local(const struct siplb_endpoint *vip)
{
	struct siplb_endpoint any_port = *vip;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, ok;

	any_port.port = 0;
	len = endpoint_to_sockaddr(&any_port, &ss);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ok = !bind(fd, (struct sockaddr *)&ss, len);
	close(fd);
	return ok;
}

/* IP_FREEBIND, IP_TRANSPARENT (unless local), SO_REUSEPORT: several
 * workers on one host may all send from the VIP's port. */
static int set_options(struct vip_source *vs, int fd, bool v6)
{
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    setsockopt(fd, v6 ? SOL_IPV6 : SOL_IP,
		       v6 ? IPV6_FREEBIND : IP_FREEBIND, &one, sizeof(one)))
		return -errno;
	if (addr_is_local(&vs->vip))
		return 0;
	if (setsockopt(fd, v6 ? SOL_IPV6 : SOL_IP,
		       v6 ? IPV6_TRANSPARENT : IP_TRANSPARENT, &one,
		       sizeof(one)))
		return -errno;
	vs->transparent = true;
	return 0;
}

int vip_source_open(struct vip_source *vs, const struct siplb_endpoint *vip,
		    const struct siplb_endpoint *listen)
{
	bool v6 = vip->family == SIPLB_AF_INET6;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, err;

	vip_source_init(vs);
	if (vip->family != listen->family)
		return -EAFNOSUPPORT;
	vs->vip = *vip;
	learn_net(vs, listen);
	len = endpoint_to_sockaddr(vip, &ss);
	fd = socket(v6 ? AF_INET6 : AF_INET,
		    SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	err = set_options(vs, fd, v6);
	if (!err && bind(fd, (struct sockaddr *)&ss, len))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	vs->fd = fd;
	return 0;
}

void vip_source_close(struct vip_source *vs)
{
	if (vs->fd >= 0)
		close(vs->fd);
	vs->fd = -1;
}

const char *vip_source_net_text(const struct vip_source *vs, char *buf,
				size_t size)
{
	char host[INET6_ADDRSTRLEN];
	const unsigned char *a = (const void *)vs->net.addr;
	unsigned char masked[16] = {};
	unsigned int i;

	for (i = 0; i < vs->net_bits / 8; i++)
		masked[i] = a[i];
	if (vs->net_bits % 8)
		masked[i] = a[i] & (0xff00 >> vs->net_bits % 8);
	inet_ntop(vs->net.family == SIPLB_AF_INET6 ? AF_INET6 : AF_INET, masked,
		  host, sizeof(host));
	snprintf(buf, size, "%s/%u", host, vs->net_bits);
	return buf;
}
