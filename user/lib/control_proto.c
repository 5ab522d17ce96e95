// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * control_proto.c - the client end of siplbd's control socket, and the
 * address both ends agree on (control_proto.h).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "control_proto.h"

int control_sockaddr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	strcpy(sun->sun_path, path);
	return 0;
}

int control_request(const char *path, const char *line, char *reply,
		    size_t size)
{
	struct sockaddr_un sun;
	size_t got = 0;
	ssize_t n;
	int fd, err;

	reply[0] = '\0';
	err = control_sockaddr(path, &sun);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	while (got + 1 < size &&
	       (n = read(fd, reply + got, size - 1 - got)) > 0)
		got += n;
	reply[got] = '\0';
	close(fd);
	return 0;
}
