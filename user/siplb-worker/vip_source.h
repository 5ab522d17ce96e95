/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * vip_source.h - which source address a worker's datagram leaves from.
 *
 * Clients must only ever see the VIP as their peer. The balancer's XDP
 * SNAT rewrites a backend's replies to the VIP, but it cannot see the UDP
 * port of a non-first IP fragment, so the later fragments of a large
 * message (an INVITE with ICE and SRTP offers) would reach the phone from
 * the backend's own address, and the phone could not reassemble it. So the
 * worker sends to clients from the VIP itself: a second socket bound to
 * VIP:PORT (IP_FREEBIND, and IP_TRANSPARENT unless the VIP is an address
 * of this host), and the kernel fragments a datagram whose every fragment
 * carries the VIP.
 *
 * The cluster's own peers keep the backend address: the VIP itself (it
 * would steer our own datagram back by Call-ID) and the backend network,
 * the prefix of the interface that holds the listen address, where
 * siplbd's health checks come from on connected sockets that take answers
 * only from the backend address.
 */
#ifndef SIPLB_VIP_SOURCE_H
#define SIPLB_VIP_SOURCE_H

#include <stdbool.h>
#include "siplb_maps.h"

struct vip_source {
	int fd;				/* bound to vip; -1: off */
	struct siplb_endpoint vip;
	struct siplb_addr net;		/* the backend network, */
	unsigned int net_bits;		/* its prefix length */
	bool transparent;		/* IP_TRANSPARENT was needed and set */
};

/* Off: everything leaves from the listen socket. */
void vip_source_init(struct vip_source *vs);
/*
 * Bind a socket to vip (same family as listen) and learn the backend
 * network from the interface that holds listen's address (a /32 or /128
 * if none does). 0 or -errno; -EPERM: the VIP is not an address of this
 * host and IP_TRANSPARENT needs CAP_NET_ADMIN.
 */
int vip_source_open(struct vip_source *vs, const struct siplb_endpoint *vip,
		    const struct siplb_endpoint *listen);
void vip_source_close(struct vip_source *vs);
/* Should a datagram to `to` leave from the VIP socket? */
bool vip_source_wanted(const struct vip_source *vs,
		       const struct siplb_endpoint *to);
/* The backend network as "10.99.11.0/24". */
const char *vip_source_net_text(const struct vip_source *vs, char *buf,
				size_t size);

#endif /* SIPLB_VIP_SOURCE_H */
