// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * control.c - siplbd's end of the control socket (control.h); the
 * protocol and the client are user/lib/control_proto.c.
 *
 * Changes to backends made here go through the daemon's operations
 * (control_ops), which use the same lb_table functions as the
 * configuration, so a drained backend leaves the Maglev table the same
 * way whoever asked. The configuration stays the source of truth: a reload
 * makes the backends match it again (drain/down states are kept).
 *
 * Connections are served as events, in the manner of OpenBSD relayd's
 * control.c: the loop reads what a client has sent, runs the request when
 * its line is complete, and writes the reply as the socket takes it. A
 * client that connects and says nothing costs a slot until the idle
 * timeout, never the loop's time; when every slot is taken, the oldest
 * connection is closed to make room, so silent clients cannot lock the
 * operator out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "backend_cmd.h"
#include "control.h"
#include "control_proto.h"
#include "endpoint.h"
#include "log.h"

#define CONTROL_ACCEPT_BATCH	CONTROL_MAX_CONNS	/* per wake-up */

/* mkdir -p of the socket's directory. */
static void make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	mkdir(dir, 0755);
}

static int listen_on(const char *path)
{
	struct sockaddr_un sun;
	int fd, err;

	err = control_sockaddr(path, &sun);
	if (err)
		return err;
	make_parent(path);
	unlink(path);	/* a socket left by a daemon that died */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    chmod(path, 0600) || listen(fd, 16)) {
		err = -errno;
		log_warn("Couldn't open the control socket %s", path);
		close(fd);
		return err;
	}
	return fd;
}

/* The backend verb through the daemon's operations (parsed as siplbctl does). */
static int backend_apply(struct control *c, const struct backend_cmd *cmd)
{
	switch (cmd->verb) {
	case BACKEND_ADD:
		return c->ops->backend_add(c->ctx, &cmd->vip, &cmd->be,
					   cmd->weight);
	case BACKEND_DEL:
		return c->ops->backend_del(c->ctx, &cmd->vip, &cmd->be);
	case BACKEND_WEIGHT:
		return c->ops->backend_set_weight(c->ctx, &cmd->vip, &cmd->be,
						  cmd->weight);
	case BACKEND_UP:
		return c->ops->backend_set_state(c->ctx, &cmd->vip, &cmd->be,
						 SIPLB_BACKEND_UP);
	case BACKEND_DRAIN:
		return c->ops->backend_set_state(c->ctx, &cmd->vip, &cmd->be,
						 SIPLB_BACKEND_DRAINING);
	case BACKEND_DOWN:
		return c->ops->backend_set_state(c->ctx, &cmd->vip, &cmd->be,
						 SIPLB_BACKEND_DOWN);
	}
	return -EINVAL;
}

static int backend_command(struct control *c, char **w, int n,
			   const char **why)
{
	char line[CONTROL_LINE_MAX];
	struct backend_cmd cmd;
	int err;

	err = backend_cmd_parse(&cmd, n - 1, w + 1, why);
	if (err)
		return err;
	err = backend_apply(c, &cmd);
	if (err) {
		*why = backend_cmd_strerror(err);
		return err;
	}
	backend_cmd_format(&cmd, line, sizeof(line));
	log_info("control: %s", line);
	return 0;
}

/* Run one request line; the reply goes to out. */
static void execute(struct control *c, char *line, FILE *out)
{
	const char *why = "unknown command";
	char *w[8], *save = NULL, *tok, reason[CONTROL_LINE_MAX / 2];
	int n = 0, err = -EINVAL;

	for (tok = strtok_r(line, " \t\r\n", &save); tok && n < 8;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = tok;
	if (n == 1 && !strcmp(w[0], "stats")) {
		fprintf(out, "ok\n");
		c->ops->stats_json(c->ctx, out);
		return;
	}
	if (n == 1 && !strcmp(w[0], "reload")) {
		err = c->ops->reload(c->ctx, reason, sizeof(reason));
		why = reason;
	} else if (n >= 2 && !strcmp(w[0], "backend")) {
		err = backend_command(c, w, n, &why);
	}
	if (err)
		fprintf(out, "error: %s\n", why);
	else
		fprintf(out, "ok\n");
}

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_close(struct control_conn *cc)
{
	if (cc->fd < 0)
		return;
	evloop_del(cc->ctl->loop, cc->fd);
	close(cc->fd);
	cc->fd = -1;
	free(cc->out);
	cc->out = NULL;
	cc->inlen = cc->outlen = cc->outoff = 0;
}

/*
 * Write what the socket takes now; wait for EPOLLOUT for the rest. One
 * request per connection: once the reply is out, the connection ends.
 */
static void conn_flush(struct control_conn *cc)
{
	ssize_t n;

	while (cc->outoff < cc->outlen) {
		/* MSG_NOSIGNAL: a client gone away must not kill us. */
		n = send(cc->fd, cc->out + cc->outoff, cc->outlen - cc->outoff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (evloop_mod(cc->ctl->loop, cc->fd, EPOLLOUT))
				conn_close(cc);
			return;
		}
		if (n <= 0) {
			conn_close(cc);
			return;
		}
		cc->outoff += n;
		cc->last_ms = now_ms();
	}
	conn_close(cc);
}

/* The request line is complete (or the client stopped sending): run it. */
static void conn_execute(struct control_conn *cc)
{
	FILE *out;

	cc->in[cc->inlen] = '\0';	/* inlen < sizeof(in): conn_read */
	out = open_memstream(&cc->out, &cc->outlen);
	if (!out) {
		conn_close(cc);
		return;
	}
	execute(cc->ctl, cc->in, out);
	if (fclose(out)) {	/* out of memory: no reply to give */
		conn_close(cc);
		return;
	}
	cc->outoff = 0;
	conn_flush(cc);
}

static void conn_read(struct control_conn *cc)
{
	size_t room = sizeof(cc->in) - 1 - cc->inlen;
	char *nl;
	ssize_t n;

	if (!room) {	/* no newline within CONTROL_LINE_MAX: not ours */
		conn_close(cc);
		return;
	}
	n = recv(cc->fd, cc->in + cc->inlen, room, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(cc);
		return;
	}
	if (n == 0) {	/* EOF: a last line without its newline still counts */
		if (cc->inlen)
			conn_execute(cc);
		else
			conn_close(cc);
		return;
	}
	cc->last_ms = now_ms();
	nl = memchr(cc->in + cc->inlen, '\n', n);
	cc->inlen += n;
	if (nl) {
		cc->inlen = nl - cc->in;	/* what follows is ignored */
		conn_execute(cc);
	}
}

static void on_conn(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct control_conn *cc = arg;

	if (cc->out)
		conn_flush(cc);
	else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		conn_read(cc);
}

/* A free slot; with none, the oldest connection is closed for room. */
static struct control_conn *conn_slot(struct control *c)
{
	struct control_conn *oldest = NULL;
	size_t i;

	for (i = 0; i < CONTROL_MAX_CONNS; i++) {
		if (c->conns[i].fd < 0)
			return &c->conns[i];
		if (!oldest || c->conns[i].seq < oldest->seq)
			oldest = &c->conns[i];
	}
	log_debug("control: %d connections open, closing the oldest",
		  CONTROL_MAX_CONNS);
	c->evicted++;
	conn_close(oldest);
	return oldest;
}

static void on_listen(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct control *c = arg;
	struct control_conn *cc;
	int i, cfd;

	/* Bounded: a flood of connections must not keep the loop here. */
	for (i = 0; i < CONTROL_ACCEPT_BATCH; i++) {
		cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0)
			return;	/* EAGAIN; or EMFILE: the client waits */
		cc = conn_slot(c);
		cc->fd = cfd;
		cc->seq = ++c->seq;
		cc->last_ms = now_ms();
		if (evloop_add(loop, cfd, EPOLLIN, on_conn, cc)) {
			close(cfd);
			cc->fd = -1;
		}
	}
}

int control_open(struct control *c, const char *path, struct evloop *loop,
		 const struct control_ops *ops, void *ctx)
{
	size_t i;
	int err;

	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->ops = ops;
	c->ctx = ctx;
	for (i = 0; i < CONTROL_MAX_CONNS; i++) {
		c->conns[i].ctl = c;
		c->conns[i].fd = -1;
	}
	c->listen_fd = listen_on(path);
	if (c->listen_fd < 0)
		return c->listen_fd;
	err = evloop_add(loop, c->listen_fd, EPOLLIN, on_listen, c);
	if (err) {
		close(c->listen_fd);
		c->listen_fd = -1;
	}
	return err;
}

void control_tick(struct control *c)
{
	__u64 now = now_ms();
	size_t i;

	for (i = 0; i < CONTROL_MAX_CONNS; i++) {
		struct control_conn *cc = &c->conns[i];

		if (cc->fd >= 0 && now - cc->last_ms >= CONTROL_IDLE_MS) {
			c->idle_closed++;
			conn_close(cc);
		}
	}
}

void control_close(struct control *c)
{
	size_t i;

	for (i = 0; i < CONTROL_MAX_CONNS; i++)
		if (c->conns[i].ctl)
			conn_close(&c->conns[i]);
	if (c->listen_fd >= 0) {
		evloop_del(c->loop, c->listen_fd);
		close(c->listen_fd);
	}
	c->listen_fd = -1;
}
