// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* log.c - leveled logging to stderr (see log.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char *log_progname = "siplb";
static enum log_level log_max = LOG_LEVEL_INFO;
static bool log_syslog;

void log_init(const char *progname, enum log_level level)
{
	log_progname = progname;
	log_max = level;
}

void log_to_syslog(void)
{
	openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = true;
}

static void log_vprint(int prio, const char *fmt, va_list ap, int err)
{
	char msg[1024];

	if (log_syslog) {
		vsnprintf(msg, sizeof(msg), fmt, ap);
		if (err)
			syslog(prio, "%s: %s", msg, strerror(err));
		else
			syslog(prio, "%s", msg);
		return;
	}
	fprintf(stderr, "%s: ", log_progname);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

void log_warn(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vprint(LOG_WARNING, fmt, ap, err);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(LOG_WARNING, fmt, ap, 0);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_max < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	log_vprint(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_max < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vprint(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}
