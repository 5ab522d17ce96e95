// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* service.c - readiness for systemd through libsystemd (see service.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "service.h"

bool service_notify_wanted(void)
{
	const char *sock = getenv("NOTIFY_SOCKET");

	return sock && sock[0];
}

/* A failed notification is logged, not fatal: systemd times the unit
 * out (TimeoutStartSec) and says why in its own log. */
static void notify(const char *state)
{
	int err;

	if (!service_notify_wanted())
		return;
	err = sd_notify(0, state);
	if (err < 0)
		log_warnx("Couldn't notify systemd (%s): %s", state,
			  strerror(-err));
}

void service_ready(const char *status)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	notify(msg);
}

void service_stopping(void)
{
	notify("STOPPING=1");
}
