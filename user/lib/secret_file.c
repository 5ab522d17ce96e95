// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * secret_file.c - read a shared secret (secret_file.h).
 *
 * Read whole or refused: a short key would make every token guessable,
 * and a key cut at some buffer size would differ from the one a node
 * with a bigger buffer reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "secret_file.h"

void secret_wipe(struct secret *s)
{
	explicit_bzero(s->key, sizeof(s->key));
	s->len = 0;
}

int secret_load(const char *path, struct secret *s, char *err, size_t errsz)
{
	unsigned char extra;
	ssize_t n;
	int fd, e;

	secret_wipe(s);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
		snprintf(err, errsz, "%s: %s", path, strerror(-e));
		return e;
	}
	n = read(fd, s->key, sizeof(s->key));
	if (n == (ssize_t)sizeof(s->key) && read(fd, &extra, 1) > 0)
		n = -2;
	e = n == -1 ? -errno : 0;
	close(fd);
	if (e) {
		snprintf(err, errsz, "%s: %s", path, strerror(-e));
		return e;
	}
	if (n < SECRET_MIN) {
		secret_wipe(s);
		snprintf(err, errsz, "%s: the secret must be %d to %d bytes "
			 "(try: head -c 32 /dev/urandom > %s)", path,
			 SECRET_MIN, SECRET_MAX, path);
		return -EINVAL;
	}
	s->len = (size_t)n;
	return 0;
}
