/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * outbuf.h - a bounded writer for the messages siplb builds (sip_msg.c's
 * responses, proxy_msg.c's forwarded requests and relayed responses):
 * once something does not fit, nothing more is written and out_finish()
 * says -ENOSPC, so a builder writes on and checks once at the end.
 */
#ifndef SIPLB_OUTBUF_H
#define SIPLB_OUTBUF_H

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "slice.h"

struct outbuf {
	char *p;
	size_t size;
	size_t len;
	bool full;
};

static inline void out_mem(struct outbuf *o, const char *s, size_t n)
{
	if (o->full || n > o->size - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static inline void out_str(struct outbuf *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static inline void out_slice(struct outbuf *o, struct sip_slice s)
{
	out_mem(o, s.p, s.len);
}

/* A formatted piece of at most 511 bytes (header lines, numbers). */
static inline __attribute__((format(printf, 2, 3))) void
out_fmt(struct outbuf *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->full = true;
		return;
	}
	out_mem(o, tmp, (size_t)n);
}

/* NUL-terminate; the length or -ENOSPC. */
static inline int out_finish(struct outbuf *o)
{
	if (o->full || o->len >= o->size || o->len > INT_MAX)
		return -ENOSPC;
	o->p[o->len] = '\0';
	return (int)o->len;
}

#endif /* SIPLB_OUTBUF_H */
