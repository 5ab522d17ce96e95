/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * endpoint.h - text <-> struct siplb_endpoint: "192.0.2.1:5060",
 * "[2001:db8::1]:5060" (the port is required; 5060 is not assumed), and
 * for start-up options a host name too.
 */
#ifndef SIPLB_ENDPOINT_H
#define SIPLB_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include "siplb_maps.h"

/* "[v6addr]:65535" and the terminating NUL. */
#define ENDPOINT_STRLEN 56

int endpoint_parse(const char *text, struct siplb_endpoint *ep);
/*
 * As endpoint_parse, but the host may also be a name, "sip.example.net:5060",
 * looked up now (getaddrinfo: /etc/hosts, DNS) in family (SIPLB_AF_INET,
 * SIPLB_AF_INET6; 0: either), the first answer kept. For start-up options
 * only: it may block. 0, -EINVAL (not HOST:PORT), -ENOENT (no address for
 * the name), -EAGAIN (try later) or another -errno.
 */
int endpoint_resolve(const char *text, int family, struct siplb_endpoint *ep);
const char *endpoint_format(const struct siplb_endpoint *ep, char *buf,
			    size_t size);
struct sockaddr_storage;
unsigned int endpoint_to_sockaddr(const struct siplb_endpoint *ep,
				  struct sockaddr_storage *ss);
void endpoint_from_sockaddr(const struct sockaddr_storage *ss,
			    struct siplb_endpoint *ep);
bool endpoint_equal(const struct siplb_endpoint *a,
		    const struct siplb_endpoint *b);
/* The address of an endpoint, without its port: the key of the per-source
 * maps (siplb_sources, siplb_blocked, siplb_vip_addrs). */
void endpoint_addr(const struct siplb_endpoint *ep, struct siplb_addr *a);

#endif /* SIPLB_ENDPOINT_H */
