// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* endpoint.c - parse and print VIP and backend endpoints (endpoint.h). */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
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

static int lookup_error(int gai)
{
	switch (gai) {
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		return -errno;
	default:
		return -ENOENT;	/* no such name, or none in the family */
	}
}

int endpoint_resolve(const char *text, int family, struct siplb_endpoint *ep)
{
	struct addrinfo hints = {
		.ai_family = family == SIPLB_AF_INET6 ? AF_INET6 :
			     family == SIPLB_AF_INET ? AF_INET : AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
		.ai_flags = AI_NUMERICSERV,
	};
	struct sockaddr_storage ss = {};
	struct addrinfo *res;
	const char *colon;
	char host[256];
	__be16 port;
	int gai;

	if (!endpoint_parse(text, ep))
		return 0;
	colon = strrchr(text, ':');
	/* A bracket means an IPv6 literal, which endpoint_parse refused. */
	if (!colon || colon == text || text[0] == '[' ||
	    (size_t)(colon - text) >= sizeof(host) ||
	    parse_port(colon + 1, &port))
		return -EINVAL;
	memcpy(host, text, colon - text);
	host[colon - text] = '\0';
	gai = getaddrinfo(host, colon + 1, &hints, &res);
	if (gai)
		return lookup_error(gai);
	memcpy(&ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	endpoint_from_sockaddr(&ss, ep);
	return 0;
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

/* The socket address of an endpoint; returns its length. */
unsigned int endpoint_to_sockaddr(const struct siplb_endpoint *ep,
				  struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->family == SIPLB_AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, ep->addr, 16);
		s6->sin6_port = ep->port;
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = ep->addr[0];
		s4->sin_port = ep->port;
		return sizeof(*s4);
	}
}

void endpoint_from_sockaddr(const struct sockaddr_storage *ss,
			    struct siplb_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		ep->family = SIPLB_AF_INET6;
		memcpy(ep->addr, &s6->sin6_addr, 16);
		ep->port = s6->sin6_port;
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		ep->family = SIPLB_AF_INET;
		ep->addr[0] = s4->sin_addr.s_addr;
		ep->port = s4->sin_port;
	}
}

bool endpoint_equal(const struct siplb_endpoint *a,
		    const struct siplb_endpoint *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

void endpoint_addr(const struct siplb_endpoint *ep, struct siplb_addr *a)
{
	memset(a, 0, sizeof(*a));	/* a map key: no stray padding */
	memcpy(a->addr, ep->addr, sizeof(a->addr));
	a->family = ep->family;
}
