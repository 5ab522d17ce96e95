/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * secret_file.h - a secret that several processes share, read from a
 * file: the key of the Record-Route tokens every worker of a cluster signs
 * and checks (docs/SECURITY.md, "In-dialog requests").
 *
 * The file's bytes are the key, as they are (a trailing newline
 * included): every node reads the same file, so they agree. Make one
 * with `head -c 32 /dev/urandom > FILE` or `openssl rand -hex 32 > FILE`.
 */
#ifndef SIPLB_SECRET_FILE_H
#define SIPLB_SECRET_FILE_H

#include <stddef.h>

#define SECRET_MIN	16	/* bytes: 128 bits of key at least */
#define SECRET_MAX	4096

struct secret {
	unsigned char key[SECRET_MAX];
	size_t len;
};

/*
 * Read path into s. 0, or -errno with a line saying what is wrong in err:
 * -ENOENT/-EACCES (can't read), -EINVAL (shorter than SECRET_MIN or longer
 * than SECRET_MAX bytes).
 */
int secret_load(const char *path, struct secret *s, char *err, size_t errsz);

/* Wipe the key. */
void secret_wipe(struct secret *s);

#endif /* SIPLB_SECRET_FILE_H */
