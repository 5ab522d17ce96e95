/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * service.h - what siplbd and siplb-worker tell systemd (sd_notify(3),
 * Type=notify units in etc/systemd/): READY=1 once the sockets are open
 * and the maps set up, so that `systemctl start` returns when the service
 * answers and units ordered after it start then; STOPPING=1 on the way
 * out. Outside systemd (no $NOTIFY_SOCKET) every call does nothing.
 */
#ifndef SIPLB_SERVICE_H
#define SIPLB_SERVICE_H

#include <stdbool.h>

/* Started by systemd as a Type=notify service: do not fork. */
bool service_notify_wanted(void);
/* READY=1 and a STATUS= line for `systemctl status`. */
void service_ready(const char *status);
void service_stopping(void);

#endif /* SIPLB_SERVICE_H */
