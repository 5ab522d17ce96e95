// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * redis_server.c - a redis-server per test (redis_server.h). Never a
 * mock: the scripts under test run in the real thing.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <hiredis/hiredis.h>

#include "redis_server.h"

#define REDIS_BIN	"/usr/bin/redis-server"

static pid_t spawn(const struct redis_server *s, bool persist)
{
	char port[8];
	pid_t pid;
	int fd;

	snprintf(port, sizeof(port), "%u", s->port);
	pid = fork();
	if (pid)
		return pid;
	/* A test that crashes must not leave its server behind. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
	}
	execl(REDIS_BIN, REDIS_BIN, "--port", port, "--bind", "127.0.0.1",
	      "--dir", s->dir, "--save", persist ? "1 1" : "",
	      "--appendonly", persist ? "yes" : "no", "--appendfsync",
	      "always", "--daemonize", "no", "--loglevel", "warning",
	      (char *)NULL);
	_exit(127);
}

/* Up to 5 s for it to answer PING; false if it died (port taken). */
static bool wait_ready(const struct redis_server *s)
{
	struct timeval tv = { 0, 200000 };
	int i, status;

	for (i = 0; i < 100; i++) {
		redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port,
							  tv);
		redisReply *r = NULL;

		if (c && !c->err)
			r = redisCommand(c, "PING");
		if (c)
			redisFree(c);
		if (r) {
			bool ok = r->type == REDIS_REPLY_STATUS;

			freeReplyObject(r);
			if (ok)
				return true;
		}
		if (waitpid(s->pid, &status, WNOHANG) == s->pid)
			return false;
		usleep(50000);
	}
	return false;
}

static int start_on(struct redis_server *s, bool persist)
{
	s->pid = spawn(s, persist);
	if (s->pid < 0)
		return -errno;
	if (wait_ready(s))
		return 0;
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
	return -EADDRINUSE;
}

int redis_server_start(struct redis_server *s, bool persist)
{
	static unsigned int starts;
	int tries, err = -EADDRINUSE;

	memset(s, 0, sizeof(*s));
	if (access(REDIS_BIN, X_OK))
		return -ENOENT;
	snprintf(s->dir, sizeof(s->dir), "/tmp/siplb-redis-XXXXXX");
	if (!mkdtemp(s->dir))
		return -errno;
	/* A second server of the same process in the same second must not
	 * draw the first one's port: its PING would answer for it. */
	srand(getpid() ^ time(NULL) ^ (++starts * 2654435761u));
	for (tries = 0; tries < 10 && err == -EADDRINUSE; tries++) {
		s->port = 20000 + rand() % 40000;
		err = start_on(s, persist);
	}
	return err;
}

void redis_server_stop(struct redis_server *s)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
}

int redis_server_restart(struct redis_server *s, bool persist)
{
	redis_server_stop(s);
	return start_on(s, persist);
}

#include <ftw.h>

static int remove_one(const char *path, const struct stat *sb, int flag,
		      struct FTW *ftw)
{
	return remove(path);
}

void redis_server_remove(struct redis_server *s)
{
	redis_server_stop(s);
	if (s->dir[0])
		nftw(s->dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	s->dir[0] = '\0';
}
