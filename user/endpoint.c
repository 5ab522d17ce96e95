// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* endpoint.c - parse and print VIP and backend endpoints (endpoint.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"

static int parse_port(const char *text, __be16 *port)
{
	char *end;
	long val;

	if (*text == '\0')
		return -EINVAL;
	errno = 0;
	val = strtol(text, &end, 10);
	if (errno || *end != '\0' || val < 1 || val > 65535)
		return -EINVAL;
	*port = htons((__u16)val);
	return 0;
}

/* Returns 0 or -EINVAL; ep is all zero but for what the text gives. */
int endpoint_parse(const char *text, struct siplb_endpoint *ep)
{
	char host[INET6_ADDRSTRLEN + 2];
	bool bracketed = text[0] == '[';
	const char *colon;
	size_t len;

	memset(ep, 0, sizeof(*ep));
	if (bracketed) {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		len = close - text - 1;
		colon = close + 1;
		text++;
	} else {
		colon = strrchr(text, ':');
		if (!colon)
			return -EINVAL;
		len = colon - text;
	}
	if (len == 0 || len >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, len);
	host[len] = '\0';

	if (inet_pton(AF_INET, host, &ep->addr[0]) == 1)
		ep->family = SIPLB_AF_INET;
	else if (inet_pton(AF_INET6, host, ep->addr) == 1)
		ep->family = SIPLB_AF_INET6;
	else
		return -EINVAL;
	/* A bare IPv6 address has colons of its own: insist on brackets. */
	if (ep->family == SIPLB_AF_INET6 && !bracketed)
		return -EINVAL;
	if (ep->family == SIPLB_AF_INET && bracketed)
		return -EINVAL;
	return parse_port(colon + 1, &ep->port);
}

const char *endpoint_format(const struct siplb_endpoint *ep, char *buf,
			    size_t size)
{
	char host[INET6_ADDRSTRLEN];
	int af = ep->family == SIPLB_AF_INET6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, ep->addr, host, sizeof(host)))
		snprintf(host, sizeof(host), "?");
	snprintf(buf, size, af == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
		 ntohs(ep->port));
	return buf;
}

bool endpoint_equal(const struct siplb_endpoint *a,
		    const struct siplb_endpoint *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}
