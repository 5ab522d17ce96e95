/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * fuzz.h - what every libFuzzer target of siplb shares: the entry point's
 * prototype (the build has -Wmissing-prototypes), a check that aborts with
 * a message, so that a broken promise of an API is reported as a crash like
 * any memory error, and a check that a slice lies inside the input.
 *
 * The targets test more than "does not crash": each also checks what the
 * header of the function under test promises (a slice points into the
 * buffer it was parsed from, an output fits and is NUL-terminated, a
 * response never carries a bare CR or LF). Only documented promises are
 * checked, so a failed check is a bug in the parser or in its header.
 */
#ifndef SIPLB_FUZZ_H
#define SIPLB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sip_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n",          \
				__FILE__, __LINE__, #cond);                   \
			abort();                                              \
		}                                                             \
	} while (0)

/* p[0..len) lies inside buf[0..size); an empty slice may be anywhere. */
static inline int fuzz_inside(const void *buf, size_t size, const void *p,
			      size_t len)
{
	const char *b = buf, *q = p;

	if (!len)
		return 1;
	return q >= b && q <= b + size && len <= (size_t)(b + size - q);
}

/* Every part of a parsed URI lies inside buf[0..size). */
static inline void fuzz_check_uri(const void *buf, size_t size,
				  const struct sip_uri *u)
{
	const struct sip_slice parts[] = {
		u->scheme_text, u->opaque, u->user, u->password, u->host,
		u->params, u->headers,
	};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		FUZZ_CHECK(fuzz_inside(buf, size, parts[i].p, parts[i].len));
}

/* A NUL-terminated copy of data (which may hold NULs: C-string APIs then
 * see a prefix, which is what they would see of such a file too). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	for (size_t i = 0; i < size; i++)
		s[i] = (char)data[i];
	s[size] = '\0';
	return s;
}

#endif /* SIPLB_FUZZ_H */
