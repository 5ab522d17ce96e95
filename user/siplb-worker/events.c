// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * events.c - SUBSCRIBE and PUBLISH policy of the worker (events.h).
 *
 * A proxy that serves no event package itself has two honest answers to a
 * request that creates event state: pass it to a server that does serve
 * the package (RFC 6665 4.1, RFC 3903 6: the notifier or the event state
 * compositor), or 489 Bad Event with the packages it can reach in
 * Allow-Events (RFC 6665 8.2.2; for PUBLISH, RFC 3903 section 6 step 3).
 * Forwarding to the AOR's bindings is not one of them: the phones that
 * send these requests subscribe to and publish for their own AOR, so the
 * request comes back to the phone that sent it (a loop of 78,726
 * SUBSCRIBEs in 75 s with baresip's mwi module). NOTIFY and requests
 * inside a dialog are routed as any other: they travel the dialog the
 * event server set up.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "events.h"

int events_add(struct proxy_events *ev, const char *spec)
{
	const char *eq = strchr(spec, '=');
	struct events_server *s;
	size_t len, i, used;

	if (!eq || eq == spec || (size_t)(eq - spec) >= EVENTS_PACKAGE_MAX)
		return -EINVAL;
	len = eq - spec;
	for (i = 0; i < len; i++)
		if (!sip_char_is((unsigned char)spec[i], SIP_CC_TOKEN))
			return -EINVAL;
	for (i = 0; i < ev->n; i++)
		if (strlen(ev->e[i].package) == len &&
		    !strncasecmp(ev->e[i].package, spec, len))
			return -EEXIST;
	if (ev->n == EVENTS_MAX)
		return -ENOSPC;
	s = &ev->e[ev->n];
	if (endpoint_parse(eq + 1, &s->server))
		return -EINVAL;
	memcpy(s->package, spec, len);
	s->package[len] = '\0';
	ev->n++;
	/* The Allow-Events of our 489s: every package we can reach. */
	used = snprintf(ev->allow, sizeof(ev->allow), "Allow-Events: ");
	for (i = 0; i < ev->n; i++)
		used += snprintf(ev->allow + used, sizeof(ev->allow) - used,
				 "%s%s", i ? ", " : "", ev->e[i].package);
	snprintf(ev->allow + used, sizeof(ev->allow) - used, "\r\n");
	return 0;
}

/* The package of the Event header (before its parameters), or empty. */
static struct sip_slice event_package(const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_EVENT);
	struct sip_slice v;

	if (!h)
		return sip_slice_make("", 0);
	v = sip_slice_trim(h->value);
	return sip_slice_take(&v, SIP_CC_TOKEN);
}

void events_decide(const struct proxy_events *ev, const struct sip_msg *m,
		   struct events_verdict *v)
{
	struct sip_slice pkg;
	size_t i;

	memset(v, 0, sizeof(*v));
	v->action = EVENTS_ROUTE;
	if (m->to.tag.len || (!sip_slice_eq_str(m->method, "SUBSCRIBE") &&
			      !sip_slice_eq_str(m->method, "PUBLISH")))
		return;
	pkg = event_package(m);
	for (i = 0; i < ev->n && pkg.len; i++) {
		if (sip_slice_caseeq_str(pkg, ev->e[i].package)) {
			v->action = EVENTS_TO_SERVER;
			v->server = &ev->e[i].server;
			return;
		}
	}
	/* Allow-Events needs one package at least (its grammar is 1#): with
	 * no server configured, the 489 goes without it. */
	v->action = EVENTS_REFUSE;
	v->extra = ev->n ? ev->allow : NULL;
}
