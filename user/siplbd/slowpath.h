/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * slowpath.h - forward what the XDP program passed up without steering it
 * (fragments, Call-IDs beyond its window or longer than it hashes, IPv6
 * extension headers) to the backend the shared hash picks, so that no
 * message is lost and every message of a call still reaches one backend.
 */
#ifndef SIPLB_SLOWPATH_H
#define SIPLB_SLOWPATH_H

#include <stddef.h>
#include "lb_maps.h"
#include "siplb_maps.h"

struct slowpath {
	const struct lb_maps *maps;
	__u64 forwarded;
	__u64 no_backend;
	__u64 errors;
};

/*
 * Forward datagram buf[0..len) with Call-ID callid, which source sent to
 * vip, keeping source as its source address. 0 or -errno.
 */
int slowpath_forward(struct slowpath *s, const struct siplb_endpoint *vip,
		     const char *callid, size_t callid_len, const void *buf,
		     size_t len, const struct siplb_endpoint *source);

/* The backend for a Call-ID at a VIP: affinity, else the Maglev table. */
int slowpath_choose(const struct lb_maps *m, const struct siplb_endpoint *vip,
		    const char *callid, size_t callid_len,
		    struct siplb_backend *out);

#endif /* SIPLB_SLOWPATH_H */
