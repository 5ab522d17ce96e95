/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * users.h - the registrar's users file: who may register, as digest HA1s.
 *
 * The format is Apache's htdigest, one user per line, extended so that a
 * user can have an HA1 for each Digest algorithm RFC 8760 brings to SIP:
 *
 *	# comment
 *	user:realm:HA1
 *	user:realm:HA1:SHA-256=HEX
 *	user:realm:HA1:SHA-256=HEX:SHA-512-256=HEX
 *	user:realm::SHA-256=HEX
 *
 *   - HA1 is htdigest's: MD5(user:realm:password), 32 hex digits. Empty
 *     (the last form), the user cannot authenticate with MD5 at all.
 *   - After it, any number of ALGORITHM=HEX fields, ALGORITHM being a
 *     Digest algorithm name (case-insensitive) other than MD5 and the
 *     -sess forms, HEX = ALGORITHM(user:realm:password), 64 hex digits.
 *   - user and realm are not empty and hold no ':' (as in htdigest) and no
 *     control character; they are compared byte for byte, case matters.
 *   - Empty and blank lines, and lines whose first non-blank character is
 *     '#', are ignored; a trailing CR is dropped (files edited on Windows).
 *   - Hex digits may be in either case; they are kept in lower case.
 *
 * Why one line per user and not one per algorithm: Apache's mod_authn_file
 * (and anything else that reads htdigest files) takes the third field of
 * the first user:realm match and ignores the rest of the line, so a file
 * with extensions keeps working there with MD5; and htdigest(1), when it
 * changes a password, rewrites the whole line, dropping hashes of the old
 * password rather than leaving them behind.
 *
 * Any error rejects the whole file, with a message naming the file, the
 * line and the fault ("users.htdigest:12: HA1 must be 32 hex digits"), so
 * that a reload either applies completely or not at all. A user:realm
 * given twice is an error. No password is ever stored; the HA1s (password
 * equivalents for their realm) are wiped when the table is freed.
 */
#ifndef SIPLB_USERS_H
#define SIPLB_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include "digest.h"

/* The biggest users file accepted (some 400,000 users with SHA-256). */
#define USERS_FILE_MAX (64u << 20)

struct users;

/*
 * Read and check the file at path. On error *out is NULL and, if err is
 * not NULL, err holds one line saying what is wrong and where.
 */
int users_load(const char *path, struct users **out, char *err,
	       size_t errsz);

/* The same from memory; name stands for the file in messages. */
int users_parse(const char *name, const char *text, size_t len,
		struct users **out, char *err, size_t errsz);

/*
 * The lower-case hex HA1 of user in realm for alg, NUL-terminated and
 * valid until users_free(), or NULL if there is none. O(1).
 */
const char *users_find(const struct users *db, const char *user,
		       const char *realm, enum digest_alg alg);

/* Is there a line for user in realm (whatever its algorithms)? O(1). */
bool users_known(const struct users *db, const char *user,
		 const char *realm);

size_t users_count(const struct users *db);

/*
 * The file against the realm it is used for: warn(ctx, line, user, realm)
 * for each line of another realm (those users can never log in), in file
 * order. Returns how many users are of realm: 0 means nobody can, and
 * siplbd -n, siplbd and the worker refuse such a file.
 */
typedef void (*users_realm_warn_fn)(void *ctx, unsigned int line,
				    const char *user, const char *realm);
size_t users_check_realm(const struct users *db, const char *realm,
			 users_realm_warn_fn warn, void *ctx);

/* Wipe and free; NULL is fine. */
void users_free(struct users *db);

/* HA1 = alg(user:realm:password) in lower-case hex into out. */
int users_ha1(enum digest_alg alg, const char *user, const char *realm,
	      const char *password, char out[DIGEST_HEX_SIZE]);

/*
 * One line of the users file (without newline) for user, realm and
 * password, with the HA1 of each algorithm in algs (DIGEST_ALG_BIT()s; 0:
 * MD5 and SHA-256). For tests and for a "siplbctl passwd".
 */
int users_format_line(const char *user, const char *realm,
		      const char *password, unsigned int algs, char *buf,
		      size_t bufsz);

#endif /* SIPLB_USERS_H */
