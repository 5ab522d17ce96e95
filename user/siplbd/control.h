/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * control.h - siplbd's local control socket (a Unix stream socket, mode
 * 0600). One request per connection: a line such as
 *
 *	stats
 *	backend add|del|up|drain|down VIP BACKEND
 *	backend weight VIP BACKEND N
 *	reload
 *
 * and one reply: a first line "ok" or "error: why", then, for stats, one
 * line of JSON. siplbctl speaks it; `socat - UNIX:PATH` does too.
 */
#ifndef SIPLB_CONTROL_H
#define SIPLB_CONTROL_H

struct siplbd;

int control_open(const char *path);
void control_serve(struct siplbd *d, int listen_fd);

/*
 * Client side: send line, read the reply (NUL-terminated, truncated to
 * size) into reply. 0, or -errno (-ENOENT / -ECONNREFUSED: no siplbd).
 */
int control_request(const char *path, const char *line, char *reply,
		    size_t size);

#endif /* SIPLB_CONTROL_H */
