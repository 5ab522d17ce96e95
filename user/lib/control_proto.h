/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * control_proto.h - the protocol of siplbd's control socket, shared by its
 * server (user/siplbd/control.c) and its client, siplbctl. A Unix stream
 * socket, mode 0600, one request per connection: a line such as
 *
 *	stats
 *	backend add VIP BACKEND [--weight N]
 *	backend del|up|drain|down VIP BACKEND
 *	backend weight VIP BACKEND N
 *	reload
 *
 * (the backend verbs as user/lib/backend_cmd.c parses them, at both ends)
 *
 * and one reply: a first line "ok" or "error: why", then, for stats, one
 * line of JSON. `socat - UNIX:PATH` speaks it too.
 */
#ifndef SIPLB_CONTROL_PROTO_H
#define SIPLB_CONTROL_PROTO_H

#include <stddef.h>
#include <sys/un.h>

/* Where siplbd listens unless `control-socket` says otherwise. */
#define CONTROL_SOCKET_DEFAULT	"/run/siplb/siplbd.sock"

/* The longest request line, newline included. */
#define CONTROL_LINE_MAX	512

/* sun for path: 0, or -ENAMETOOLONG. */
int control_sockaddr(const char *path, struct sockaddr_un *sun);

/*
 * Client side: send line, read the reply (NUL-terminated, truncated to
 * size) into reply. 0, or -errno (-ENOENT / -ECONNREFUSED: no siplbd).
 */
int control_request(const char *path, const char *line, char *reply,
		    size_t size);

#endif /* SIPLB_CONTROL_PROTO_H */
