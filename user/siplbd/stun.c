// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* stun.c - STUN binding success responses (stun.h). */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "stun.h"

#define STUN_MAGIC		0x2112a442
#define STUN_BINDING_REQUEST	0x0001
#define STUN_BINDING_SUCCESS	0x0101
#define STUN_XOR_MAPPED_ADDRESS	0x0020

int stun_binding_response(const void *req, size_t len,
			  const struct siplb_endpoint *source, void *out,
			  size_t size)
{
	const unsigned char *in = req;
	unsigned char *p = out;
	__u32 magic = htonl(STUN_MAGIC);
	size_t alen = source->family == SIPLB_AF_INET6 ? 16 : 4;
	__u16 port, msg_len;
	size_t i;

	if (len < 20 || (in[0] << 8 | in[1]) != STUN_BINDING_REQUEST ||
	    memcmp(in + 4, &magic, 4) || (size_t)(in[2] << 8 | in[3]) + 20 != len)
		return -EINVAL;
	msg_len = 4 + 4 + alen;
	if (size < 20u + msg_len)
		return -ENOSPC;
	p[0] = STUN_BINDING_SUCCESS >> 8;
	p[1] = STUN_BINDING_SUCCESS & 0xff;
	p[2] = msg_len >> 8;
	p[3] = msg_len & 0xff;
	memcpy(p + 4, in + 4, 16);	/* magic cookie and transaction id */
	p[20] = STUN_XOR_MAPPED_ADDRESS >> 8;
	p[21] = STUN_XOR_MAPPED_ADDRESS & 0xff;
	p[22] = 0;
	p[23] = 4 + alen;
	p[24] = 0;
	p[25] = source->family == SIPLB_AF_INET6 ? 2 : 1;
	port = ntohs(source->port) ^ (STUN_MAGIC >> 16);
	p[26] = port >> 8;
	p[27] = port & 0xff;
	/* X-Address: XOR with the cookie, then (IPv6) the transaction id. */
	for (i = 0; i < alen; i++)
		p[28 + i] = ((const unsigned char *)source->addr)[i] ^ p[4 + i];
	return 20 + msg_len;
}
