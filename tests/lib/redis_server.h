/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * redis_server.h - a real redis-server for a test: started on loopback on
 * a free port (random, retried on collision), no persistence unless
 * asked, killed by its PID at the end.
 */
#ifndef SIPLB_TEST_REDIS_SERVER_H
#define SIPLB_TEST_REDIS_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

struct redis_server {
	pid_t pid;
	unsigned short port;
	char dir[64];		/* its working directory (dump, AOF) */
};

/* 0, -ENOENT if redis-server is not installed, or -errno. */
int redis_server_start(struct redis_server *s, bool persist);
/* Stop it (SIGTERM, then wait): with persistence it saves first. */
void redis_server_stop(struct redis_server *s);
/* Stop it and remove its directory. */
void redis_server_remove(struct redis_server *s);
/* Start it again on the same port and directory. */
int redis_server_restart(struct redis_server *s, bool persist);

#endif
