/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * log.h - leveled logging to stderr, in the manner of OpenBSD's log.c:
 * log_warn() appends strerror(errno), log_warnx() does not.
 */
#ifndef SIPLB_LOG_H
#define SIPLB_LOG_H

enum log_level {
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_init(const char *progname, enum log_level level);
/* From now on to syslog (daemon facility) instead of stderr. */
void log_to_syslog(void);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* SIPLB_LOG_H */
