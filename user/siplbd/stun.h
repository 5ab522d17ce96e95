/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * stun.h - the answer to a STUN binding request (RFC 5389), which SIP
 * outbound (RFC 5626) uses over UDP as a keep-alive that also tells the
 * client its address as the server sees it.
 */
#ifndef SIPLB_STUN_H
#define SIPLB_STUN_H

#include <stddef.h>
#include "siplb_maps.h"

/* Returns the response length written to out, or -EINVAL if req is not a
 * binding request. */
int stun_binding_response(const void *req, size_t len,
			  const struct siplb_endpoint *source, void *out,
			  size_t size);

#endif /* SIPLB_STUN_H */
