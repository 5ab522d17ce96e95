/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * events.h - what the worker does with SUBSCRIBE and PUBLISH (RFC 6665,
 * RFC 3903): it is a proxy with no presence or voicemail server of its
 * own, so a request that creates event state goes to the event server
 * configured for its package (-e PACKAGE=HOST:PORT, the `event-server`
 * directive of siplb.conf) or is answered 489 Bad Event here. It is never
 * forked to the phones' bindings: a phone that subscribes to its own AOR
 * (baresip's mwi and presence modules do) would get its own SUBSCRIBE back
 * and loop.
 */
#ifndef SIPLB_EVENTS_H
#define SIPLB_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "endpoint.h"
#include "sip_msg.h"

#define EVENTS_MAX		16	/* packages with a server */
#define EVENTS_PACKAGE_MAX	64	/* bytes of a package name, NUL too */
#define EVENTS_ALLOW_MAX	(EVENTS_MAX * EVENTS_PACKAGE_MAX + 32)

struct events_server {
	char package[EVENTS_PACKAGE_MAX];
	struct siplb_endpoint server;
};

struct proxy_events {
	size_t n;
	struct events_server e[EVENTS_MAX];
	/* "Allow-Events: a, b\r\n" for the 489s, or "" with no server */
	char allow[EVENTS_ALLOW_MAX];
};

/* What to do with a request. */
enum events_action {
	EVENTS_ROUTE,		/* not ours to decide: route it as usual */
	EVENTS_TO_SERVER,	/* to events_verdict.server */
	EVENTS_REFUSE,		/* answer 489 Bad Event + Allow-Events */
};

struct events_verdict {
	enum events_action action;
	const struct siplb_endpoint *server;
	const char *extra;	/* header lines of the answer */
};

/* Add one server, "PACKAGE=HOST:PORT"; 0, -EINVAL (malformed), -EEXIST
 * (package given twice) or -ENOSPC (more than EVENTS_MAX). */
int events_add(struct proxy_events *ev, const char *spec);

/*
 * The verdict on a request whose Request-URI is one of our users: an
 * out-of-dialog SUBSCRIBE or PUBLISH goes to its package's server or is
 * refused; anything else (NOTIFY, in-dialog requests) is routed as usual.
 */
void events_decide(const struct proxy_events *ev, const struct sip_msg *m,
		   struct events_verdict *v);

#endif /* SIPLB_EVENTS_H */
