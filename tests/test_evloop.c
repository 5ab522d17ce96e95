// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_evloop.c - unit tests for the event loop (user/lib/evloop.c): an
 * event reaches the handler of its fd with that handler's argument and
 * nobody else; modify and remove; signals and the tick arrive as handler
 * calls; a handler removed while a batch is dispatched is not called for
 * the rest of it, even when its fd number is reused at once; stop ends
 * evloop_run.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "evloop.h"
#include "testlib.h"

/* What a handler saw: calls, the last fd, events and argument. */
struct seen {
	int calls, fd;
	uint32_t events;
	void *arg;
};

static void record(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	s->fd = fd;
	s->events = events;
	s->arg = arg;
}

static void drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

TEST(fd_handlers_dispatch_to_their_own)
{
	struct seen a = { 0 }, b = { 0 };
	struct evloop loop;
	int pa[2], pb[2];

	if (!ASSERT_OK(evloop_init(&loop), "evloop_init"))
		return;
	if (!ASSERT_OK(pipe2(pa, O_NONBLOCK), "pipe a") ||
	    !ASSERT_OK(pipe2(pb, O_NONBLOCK), "pipe b"))
		return;
	ASSERT_OK(evloop_add(&loop, pa[0], EPOLLIN, record, &a), "add a");
	ASSERT_OK(evloop_add(&loop, pb[0], EPOLLIN, record, &b), "add b");
	ASSERT_EQ(evloop_add(&loop, pb[0], EPOLLIN, record, &a), -EEXIST,
		  "a second handler for the same fd");
	ASSERT_EQ(evloop_run_once(&loop, 0), 0, "nothing to read: no event");

	ASSERT_EQ(write(pb[1], "x", 1), 1, "write to b");
	ASSERT_EQ(evloop_run_once(&loop, 1000), 1, "one event");
	ASSERT_EQ(b.calls, 1, "b's handler called");
	ASSERT_EQ(a.calls, 0, "a's handler not called");
	ASSERT_EQ(b.fd, pb[0], "b's handler gets b's fd");
	ASSERT_TRUE(b.arg == &b, "b's handler gets b's argument");
	ASSERT_TRUE(b.events & EPOLLIN, "EPOLLIN reported");
	drain(pb[0]);

	ASSERT_EQ(write(pa[1], "x", 1), 1, "write to a");
	ASSERT_EQ(evloop_run_once(&loop, 1000), 1, "one event");
	ASSERT_EQ(a.calls, 1, "a's handler called");
	ASSERT_EQ(b.calls, 1, "b's handler not called again");
	drain(pa[0]);

	ASSERT_OK(evloop_del(&loop, pa[0]), "del a");
	ASSERT_EQ(evloop_del(&loop, pa[0]), -ENOENT, "del a twice");
	ASSERT_EQ(write(pa[1], "x", 1), 1, "write to a after del");
	ASSERT_EQ(evloop_run_once(&loop, 50), 0, "a removed: no event");
	ASSERT_EQ(a.calls, 1, "a's handler not called after del");
	evloop_free(&loop);
	close(pa[0]), close(pa[1]), close(pb[0]), close(pb[1]);
}

TEST(modify_changes_the_events)
{
	struct seen s = { 0 };
	struct evloop loop;
	int sp[2];

	if (!ASSERT_OK(evloop_init(&loop), "evloop_init") ||
	    !ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp),
		       "socketpair"))
		return;
	ASSERT_OK(evloop_add(&loop, sp[0], EPOLLIN, record, &s), "add");
	ASSERT_EQ(evloop_run_once(&loop, 0), 0, "not readable: no event");
	ASSERT_OK(evloop_mod(&loop, sp[0], EPOLLOUT), "mod to EPOLLOUT");
	ASSERT_EQ(evloop_run_once(&loop, 1000), 1, "writable: one event");
	ASSERT_EQ(s.calls, 1, "handler called");
	ASSERT_TRUE(s.events & EPOLLOUT, "EPOLLOUT reported");
	ASSERT_EQ(evloop_mod(&loop, sp[1], EPOLLOUT), -ENOENT,
		  "mod of an fd with no handler");
	evloop_free(&loop);
	close(sp[0]), close(sp[1]);
}

static int signal_seen, signal_calls;

static void on_signal(struct evloop *loop, int signo, void *arg)
{
	signal_calls++;
	signal_seen = signo;
	*(int *)arg = 1;
}

TEST(signal_arrives_as_a_handler_call)
{
	static const int signos[] = { SIGUSR1 };
	struct evloop loop;
	int flag = 0;

	if (!ASSERT_OK(evloop_init(&loop), "evloop_init"))
		return;
	ASSERT_OK(evloop_signals(&loop, signos, 1, on_signal, &flag),
		  "evloop_signals");
	ASSERT_EQ(evloop_signals(&loop, signos, 1, on_signal, &flag), -EEXIST,
		  "one signal set per loop");
	/* Blocked now, so it waits for the signalfd instead of killing us. */
	ASSERT_OK(raise(SIGUSR1), "raise SIGUSR1");
	ASSERT_EQ(evloop_run_once(&loop, 1000), 1, "one event");
	ASSERT_EQ(signal_calls, 1, "signal handler called once");
	ASSERT_EQ(signal_seen, SIGUSR1, "with SIGUSR1");
	ASSERT_EQ(flag, 1, "with its argument");
	evloop_free(&loop);
}

static uint64_t tick_expirations;
static int tick_calls;

static void on_tick(struct evloop *loop, uint64_t expirations, void *arg)
{
	tick_calls++;
	tick_expirations += expirations;
	if (tick_calls == 3)
		evloop_stop(loop);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST(tick_is_periodic_and_stop_ends_the_loop)
{
	struct evloop loop;
	double t0, dt;

	if (!ASSERT_OK(evloop_init(&loop), "evloop_init"))
		return;
	ASSERT_EQ(evloop_tick(&loop, 0, on_tick, NULL), -EINVAL, "period 0");
	ASSERT_OK(evloop_tick(&loop, 20, on_tick, NULL), "evloop_tick 20 ms");
	t0 = now_s();
	ASSERT_OK(evloop_run(&loop), "evloop_run until the third tick stops it");
	dt = now_s() - t0;
	ASSERT_EQ(tick_calls, 3, "three tick calls, then stopped");
	ASSERT_GE(tick_expirations, 3, "at least three periods counted");
	ASSERT_GE(dt, 0.055, "three 20 ms periods took at least 55 ms");
	ASSERT_LE(dt, 2.0, "and not seconds");
	evloop_free(&loop);
}

/*
 * Removal during dispatch. Two readable pipes in one batch; whichever
 * handler runs first removes the other, closes its fd and registers a new
 * handler on a fresh pipe, which the kernel numbers like the fd just
 * closed. The event already fetched for the removed handler must reach
 * neither it nor the newcomer.
 */
struct remover {
	struct evloop *loop;
	struct remover *other;
	int rfd, wfd, calls;
	struct seen *newcomer;
	int new_pipe[2];
};

static void remove_other(struct evloop *loop, int fd, uint32_t events,
			 void *arg)
{
	struct remover *r = arg, *o = r->other;

	r->calls++;
	drain(fd);
	if (o->rfd < 0)
		return;
	evloop_del(loop, o->rfd);
	close(o->rfd);
	o->rfd = -1;
	if (pipe2(r->new_pipe, O_NONBLOCK))
		return;
	write(r->new_pipe[1], "x", 1);	/* readable, but not in this batch */
	evloop_add(loop, r->new_pipe[0], EPOLLIN, record, r->newcomer);
}

TEST(removal_during_dispatch)
{
	struct remover a = { 0 }, b = { 0 };
	struct seen newcomer = { 0 };
	struct evloop loop;
	int pa[2], pb[2];

	if (!ASSERT_OK(evloop_init(&loop), "evloop_init") ||
	    !ASSERT_OK(pipe2(pa, O_NONBLOCK), "pipe a") ||
	    !ASSERT_OK(pipe2(pb, O_NONBLOCK), "pipe b"))
		return;
	a = (struct remover){ &loop, &b, pa[0], pa[1], 0, &newcomer,
			      { -1, -1 } };
	b = (struct remover){ &loop, &a, pb[0], pb[1], 0, &newcomer,
			      { -1, -1 } };
	ASSERT_OK(evloop_add(&loop, pa[0], EPOLLIN, remove_other, &a), "add a");
	ASSERT_OK(evloop_add(&loop, pb[0], EPOLLIN, remove_other, &b), "add b");
	ASSERT_EQ(write(pa[1], "x", 1), 1, "a readable");
	ASSERT_EQ(write(pb[1], "x", 1), 1, "b readable");
	ASSERT_EQ(evloop_run_once(&loop, 1000), 2, "both in one batch");
	ASSERT_EQ(a.calls + b.calls, 1,
		  "only the first handler ran: the other was removed");
	ASSERT_EQ(newcomer.calls, 0,
		  "the stale event did not reach the fd's new handler");
	ASSERT_EQ(evloop_run_once(&loop, 1000), 1, "next batch: the newcomer");
	ASSERT_EQ(newcomer.calls, 1, "the newcomer's own event reaches it");
	evloop_free(&loop);
	close(pa[1]), close(pb[1]);
	if (a.rfd >= 0)
		close(a.rfd);
	if (b.rfd >= 0)
		close(b.rfd);
	close(a.new_pipe[0] >= 0 ? a.new_pipe[0] : b.new_pipe[0]);
	close(a.new_pipe[1] >= 0 ? a.new_pipe[1] : b.new_pipe[1]);
}

static void remove_self(struct evloop *loop, int fd, uint32_t events,
			void *arg)
{
	(*(int *)arg)++;
	drain(fd);
	evloop_del(loop, fd);
}

TEST(handler_removes_itself)
{
	struct evloop loop;
	int p[2], calls = 0;

	if (!ASSERT_OK(evloop_init(&loop), "evloop_init") ||
	    !ASSERT_OK(pipe2(p, O_NONBLOCK), "pipe"))
		return;
	ASSERT_OK(evloop_add(&loop, p[0], EPOLLIN, remove_self, &calls), "add");
	ASSERT_EQ(write(p[1], "x", 1), 1, "readable");
	ASSERT_EQ(evloop_run_once(&loop, 1000), 1, "one event");
	ASSERT_EQ(write(p[1], "x", 1), 1, "readable again");
	ASSERT_EQ(evloop_run_once(&loop, 50), 0, "removed: no more events");
	ASSERT_EQ(calls, 1, "called once");
	ASSERT_OK(evloop_add(&loop, p[0], EPOLLIN, remove_self, &calls),
		  "the fd can have a handler again");
	ASSERT_EQ(evloop_run_once(&loop, 1000), 1, "and its event arrives");
	ASSERT_EQ(calls, 2, "called again");
	evloop_free(&loop);
	close(p[0]), close(p[1]);
}

int main(int argc, char **argv)
{
	return testlib_main(argc, argv);
}
