/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * json.h - the one JSON string writer of siplbctl's `-j` outputs and
 * siplbd's stats line. Map contents (AORs, Contact URIs, instance IDs)
 * are bytes a client chose, so the writer must turn any bytes into a valid
 * JSON string (RFC 8259):
 *
 *  - '"' and '\' are escaped, control characters (< 0x20, and DEL) as
 *    \u00XX;
 *  - well-formed UTF-8 passes through unchanged;
 *  - every byte that is not part of well-formed UTF-8 (a stray
 *    continuation byte, an overlong form, a surrogate, a sequence cut
 *    short, 0xF5-0xFF) is written as \u00XX: the byte's value as a code
 *    point, as if it were Latin-1. The output stays valid and no byte is
 *    lost (a reader that knows the field may hold raw bytes can map
 *    U+0080..U+00FF back), at the price that such a byte and a real
 *    U+00XX print alike.
 */
#ifndef SIPLB_JSON_H
#define SIPLB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* s[0..len) up to its first NUL, as a quoted JSON string. */
void json_string(FILE *out, const char *s, size_t len);
/* The same for a NUL-terminated string. */
void json_cstring(FILE *out, const char *s);
/* "name":value, preceded by a comma unless first. */
void json_u64_member(FILE *out, bool first, const char *name,
		     unsigned long long value);

#endif /* SIPLB_JSON_H */
