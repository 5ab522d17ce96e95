// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_control.c - unit tests for siplbd's control server
 * (user/siplbd/control.c) on an event loop, with stand-in operations:
 * requests reach the named operations with their arguments; a client that
 * connects and says nothing does not hold up another client's request;
 * a request that arrives in pieces runs once its line is complete; beyond
 * CONTROL_MAX_CONNS connections the oldest is closed; an idle connection
 * is closed by control_tick; an over-long line is refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "control.h"
#include "endpoint.h"
#include "testlib.h"

/* What the stand-in operations were asked. */
static struct {
	int reloads, stats, adds, states;
	struct siplb_endpoint vip, be;
	__u32 weight;
	enum siplb_backend_state state;
} asked;

static int fake_reload(void *ctx, char *why, size_t whylen)
{
	asked.reloads++;
	return 0;
}

static int fake_stats_json(void *ctx, FILE *out)
{
	asked.stats++;
	fprintf(out, "{\"fake\":1}\n");
	return 0;
}

static int fake_add(void *ctx, const struct siplb_endpoint *vip,
		    const struct siplb_endpoint *be, __u32 weight)
{
	asked.adds++;
	asked.vip = *vip;
	asked.be = *be;
	asked.weight = weight;
	return 0;
}

static int fake_del(void *ctx, const struct siplb_endpoint *vip,
		    const struct siplb_endpoint *be)
{
	return -ENOENT;
}

static int fake_weight(void *ctx, const struct siplb_endpoint *vip,
		       const struct siplb_endpoint *be, __u32 weight)
{
	return 0;
}

static int fake_state(void *ctx, const struct siplb_endpoint *vip,
		      const struct siplb_endpoint *be,
		      enum siplb_backend_state state)
{
	asked.states++;
	asked.state = state;
	return 0;
}

static const struct control_ops fake_ops = {
	.reload = fake_reload,
	.stats_json = fake_stats_json,
	.backend_add = fake_add,
	.backend_del = fake_del,
	.backend_set_weight = fake_weight,
	.backend_set_state = fake_state,
};

static struct evloop loop;
static struct control ctl;
static char sock_path[108];

static bool server_up(void)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/test_control.%d.sock",
		 (int)getpid());
	memset(&asked, 0, sizeof(asked));
	if (!ASSERT_OK(evloop_init(&loop), "evloop_init"))
		return false;
	return ASSERT_OK(control_open(&ctl, sock_path, &loop, &fake_ops, NULL),
			 "control_open");
}

static void server_down(void)
{
	control_close(&ctl);
	evloop_free(&loop);
	unlink(sock_path);
}

static int client_connect(void)
{
	struct sockaddr_un sun;
	int fd;

	control_sockaddr(sock_path, &sun);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Run the loop until fd has the whole reply (the server closed), at most
 * 50 rounds of 20 ms: the reply, or "" if none came. */
static const char *reply_of(int fd)
{
	static char buf[4096];
	size_t got = 0;
	ssize_t n;
	int i;

	buf[0] = '\0';
	for (i = 0; i < 50; i++) {
		evloop_run_once(&loop, 20);
		while ((n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
			got += n;
		buf[got] = '\0';
		if (n == 0)
			return buf;
	}
	return buf;
}

/* Is fd closed by the server (EOF), after a few rounds of the loop? */
static bool closed_by_server(int fd)
{
	char c;
	int i;

	for (i = 0; i < 5; i++) {
		evloop_run_once(&loop, 10);
		if (read(fd, &c, 1) == 0)
			return true;
	}
	return false;
}

static const char *request(const char *line)
{
	const char *r;
	int fd = client_connect();

	if (fd < 0 || write(fd, line, strlen(line)) < 0)
		return "(connect or write failed)";
	r = reply_of(fd);
	close(fd);
	return r;
}

TEST(requests_call_the_named_operations)
{
	struct siplb_endpoint vip, be;

	if (!server_up())
		return;
	ASSERT_TRUE(!strcmp(request("stats\n"), "ok\n{\"fake\":1}\n"),
		    "stats: ok and the operation's JSON");
	ASSERT_EQ(asked.stats, 1, "stats_json called");
	ASSERT_TRUE(!strcmp(request("reload\n"), "ok\n"), "reload: ok");
	ASSERT_EQ(asked.reloads, 1, "reload called");
	ASSERT_TRUE(!strcmp(request("backend add 10.0.0.1:5060 10.0.1.2:5060\n"),
			    "ok\n"), "backend add: ok");
	endpoint_parse("10.0.0.1:5060", &vip);
	endpoint_parse("10.0.1.2:5060", &be);
	ASSERT_EQ(asked.adds, 1, "backend_add called");
	ASSERT_TRUE(endpoint_equal(&asked.vip, &vip), "with the VIP");
	ASSERT_TRUE(endpoint_equal(&asked.be, &be), "with the backend");
	ASSERT_EQ(asked.weight, 1, "with the default weight");
	ASSERT_TRUE(!strcmp(request("backend drain 10.0.0.1:5060 10.0.1.2:5060\n"),
			    "ok\n"), "backend drain: ok");
	ASSERT_EQ(asked.state, SIPLB_BACKEND_DRAINING, "set_state DRAINING");
	ASSERT_TRUE(!strncmp(request("backend del 10.0.0.1:5060 10.0.1.2:5060\n"),
			     "error: ", 7), "the operation's error reported");
	ASSERT_TRUE(!strcmp(request("frobnicate\n"), "error: unknown command\n"),
		    "unknown command");
	server_down();
}

TEST(silent_client_does_not_hold_up_another)
{
	const char *r;
	int silent, fd;

	if (!server_up())
		return;
	silent = client_connect();
	if (!ASSERT_TRUE(silent >= 0, "silent client connects"))
		return;
	evloop_run_once(&loop, 20);	/* accepted */
	/* Half a line from the second client, then the rest. */
	fd = client_connect();
	ASSERT_EQ(write(fd, "sta", 3), 3, "first part");
	evloop_run_once(&loop, 20);
	evloop_run_once(&loop, 20);
	ASSERT_EQ(asked.stats, 0, "no request before its newline");
	ASSERT_EQ(write(fd, "ts\n", 3), 3, "the rest");
	r = reply_of(fd);
	ASSERT_TRUE(!strcmp(r, "ok\n{\"fake\":1}\n"),
		    "the second client's stats answered meanwhile");
	close(fd);
	ASSERT_FALSE(closed_by_server(silent), "the silent one is still open");
	close(silent);
	server_down();
}

TEST(last_line_without_newline_runs_at_eof)
{
	int fd;

	if (!server_up())
		return;
	fd = client_connect();
	ASSERT_EQ(write(fd, "reload", 6), 6, "a line without newline");
	shutdown(fd, SHUT_WR);
	ASSERT_TRUE(!strcmp(reply_of(fd), "ok\n"), "answered at EOF");
	ASSERT_EQ(asked.reloads, 1, "reload called");
	close(fd);
	server_down();
}

TEST(beyond_the_cap_the_oldest_is_closed)
{
	int fds[CONTROL_MAX_CONNS + 1], i, fd;

	if (!server_up())
		return;
	for (i = 0; i <= CONTROL_MAX_CONNS; i++) {
		fds[i] = client_connect();
		if (!ASSERT_TRUE(fds[i] >= 0, "connect"))
			return;
		evloop_run_once(&loop, 20);	/* accept in order */
	}
	ASSERT_TRUE(closed_by_server(fds[0]), "the oldest was closed");
	ASSERT_FALSE(closed_by_server(fds[1]), "the second oldest was not");
	ASSERT_FALSE(closed_by_server(fds[CONTROL_MAX_CONNS]),
		     "the newest was not");
	ASSERT_EQ(ctl.evicted, 1, "one eviction counted");
	/* A full house of silent clients does not lock the operator out. */
	fd = client_connect();
	ASSERT_EQ(write(fd, "stats\n", 6), 6, "stats");
	ASSERT_TRUE(!strcmp(reply_of(fd), "ok\n{\"fake\":1}\n"),
		    "stats answered with every slot taken");
	close(fd);
	for (i = 0; i <= CONTROL_MAX_CONNS; i++)
		close(fds[i]);
	server_down();
}

TEST(idle_connection_closed_by_the_tick)
{
	int idle, busy, i;

	if (!server_up())
		return;
	idle = client_connect();
	busy = client_connect();
	evloop_run_once(&loop, 20);
	evloop_run_once(&loop, 20);
	control_tick(&ctl);
	ASSERT_FALSE(closed_by_server(idle), "not idle long enough yet");
	/* Age the first connection past the timeout, rather than wait. */
	for (i = 0; i < CONTROL_MAX_CONNS; i++)
		if (ctl.conns[i].fd >= 0 && ctl.conns[i].seq == 1)
			ctl.conns[i].last_ms -= CONTROL_IDLE_MS;
	control_tick(&ctl);
	ASSERT_TRUE(closed_by_server(idle), "idle connection closed");
	ASSERT_FALSE(closed_by_server(busy), "the younger one stays");
	ASSERT_EQ(ctl.idle_closed, 1, "one idle close counted");
	close(idle);
	close(busy);
	server_down();
}

TEST(over_long_line_refused)
{
	char line[CONTROL_LINE_MAX + 10];
	int fd;

	if (!server_up())
		return;
	memset(line, 'x', sizeof(line));
	fd = client_connect();
	ASSERT_EQ(write(fd, line, sizeof(line)), (long)sizeof(line),
		  "a line longer than CONTROL_LINE_MAX");
	ASSERT_TRUE(closed_by_server(fd), "closed without running it");
	ASSERT_EQ(asked.stats + asked.reloads + asked.adds, 0, "nothing ran");
	close(fd);
	server_down();
}

int main(int argc, char **argv)
{
	return testlib_main(argc, argv);
}
