// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * evloop.c - the event loop (evloop.h): epoll with one handler per fd.
 *
 * Handlers live in their own allocations so that the pointer epoll holds
 * in data.ptr stays valid while the fd table grows. A handler removed
 * while a batch of events is being dispatched cannot be freed at once: a
 * later event of the same batch may still point to it (and its fd number
 * may already belong to a new socket). It is marked dead, parked on a
 * list, and freed when the batch is over.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "evloop.h"

#define EVLOOP_BATCH	32	/* events fetched per epoll_wait */

struct evloop_handler {
	int fd;
	evloop_fd_fn fn;		/* NULL once removed */
	void *arg;
	struct evloop_handler *next_dead;
};

int evloop_init(struct evloop *loop)
{
	memset(loop, 0, sizeof(*loop));
	loop->sig_fd = loop->tick_fd = -1;
	loop->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	return loop->ep_fd < 0 ? -errno : 0;
}

static void free_dead(struct evloop *loop)
{
	struct evloop_handler *h;

	while ((h = loop->dead)) {
		loop->dead = h->next_dead;
		free(h);
	}
}

void evloop_free(struct evloop *loop)
{
	size_t i;

	if (loop->sig_fd >= 0)
		close(loop->sig_fd);
	if (loop->tick_fd >= 0)
		close(loop->tick_fd);
	if (loop->ep_fd >= 0)
		close(loop->ep_fd);
	for (i = 0; i < loop->nfd; i++)
		free(loop->by_fd[i]);
	free(loop->by_fd);
	free_dead(loop);
	memset(loop, 0, sizeof(*loop));
	loop->ep_fd = loop->sig_fd = loop->tick_fd = -1;
}

static struct evloop_handler *handler_of(const struct evloop *loop, int fd)
{
	return fd >= 0 && (size_t)fd < loop->nfd ? loop->by_fd[fd] : NULL;
}

/* Room in the fd table for fd (fds are small integers: a flat table). */
static int table_reserve(struct evloop *loop, int fd)
{
	struct evloop_handler **t;
	size_t n = loop->nfd ? loop->nfd : 64;

	if ((size_t)fd < loop->nfd)
		return 0;
	while (n <= (size_t)fd)
		n *= 2;
	t = realloc(loop->by_fd, n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	memset(t + loop->nfd, 0, (n - loop->nfd) * sizeof(*t));
	loop->by_fd = t;
	loop->nfd = n;
	return 0;
}

int evloop_add(struct evloop *loop, int fd, uint32_t events, evloop_fd_fn fn,
	       void *arg)
{
	struct epoll_event ev = { .events = events };
	struct evloop_handler *h;
	int err;

	if (fd < 0 || !fn)
		return -EINVAL;
	if (handler_of(loop, fd))
		return -EEXIST;
	err = table_reserve(loop, fd);
	if (err)
		return err;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = fd;
	h->fn = fn;
	h->arg = arg;
	ev.data.ptr = h;
	if (epoll_ctl(loop->ep_fd, EPOLL_CTL_ADD, fd, &ev)) {
		err = -errno;
		free(h);
		return err;
	}
	loop->by_fd[fd] = h;
	return 0;
}

int evloop_mod(struct evloop *loop, int fd, uint32_t events)
{
	struct evloop_handler *h = handler_of(loop, fd);
	struct epoll_event ev = { .events = events };

	if (!h)
		return -ENOENT;
	ev.data.ptr = h;
	return epoll_ctl(loop->ep_fd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

int evloop_del(struct evloop *loop, int fd)
{
	struct evloop_handler *h = handler_of(loop, fd);

	if (!h)
		return -ENOENT;
	loop->by_fd[fd] = NULL;
	/* Fails only if fd was closed already, which left the set anyway. */
	epoll_ctl(loop->ep_fd, EPOLL_CTL_DEL, fd, NULL);
	if (!loop->dispatching) {
		free(h);
		return 0;
	}
	h->fn = NULL;
	h->next_dead = loop->dead;
	loop->dead = h;
	return 0;
}

static void on_signalfd(struct evloop *loop, int fd, uint32_t events,
			void *arg)
{
	struct signalfd_siginfo si;

	/* Drain: several signals may be pending behind one wake-up. */
	while (read(fd, &si, sizeof(si)) == sizeof(si))
		loop->on_signal(loop, (int)si.ssi_signo, loop->signal_arg);
}

int evloop_signals(struct evloop *loop, const int *signos, size_t n,
		   evloop_signal_fn fn, void *arg)
{
	sigset_t set;
	size_t i;
	int err;

	if (loop->sig_fd >= 0)
		return -EEXIST;
	sigemptyset(&set);
	for (i = 0; i < n; i++)
		sigaddset(&set, signos[i]);
	/* Blocked, or the default action (death) would win the race. */
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	loop->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (loop->sig_fd < 0)
		return -errno;
	loop->on_signal = fn;
	loop->signal_arg = arg;
	err = evloop_add(loop, loop->sig_fd, EPOLLIN, on_signalfd, NULL);
	if (err) {
		close(loop->sig_fd);
		loop->sig_fd = -1;
	}
	return err;
}

static void on_timerfd(struct evloop *loop, int fd, uint32_t events,
		       void *arg)
{
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;	/* EAGAIN: another reader, or a spurious wake-up */
	loop->on_tick(loop, expirations, loop->tick_arg);
}

int evloop_tick(struct evloop *loop, unsigned int period_ms,
		evloop_tick_fn fn, void *arg)
{
	struct itimerspec its = { 0 };
	int err;

	if (loop->tick_fd >= 0)
		return -EEXIST;
	if (!period_ms)
		return -EINVAL;
	its.it_interval.tv_sec = period_ms / 1000;
	its.it_interval.tv_nsec = (long)(period_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	/* Monotonic: a clock step (NTP, the operator) must not skip ticks. */
	loop->tick_fd = timerfd_create(CLOCK_MONOTONIC,
				       TFD_CLOEXEC | TFD_NONBLOCK);
	if (loop->tick_fd < 0)
		return -errno;
	loop->on_tick = fn;
	loop->tick_arg = arg;
	err = timerfd_settime(loop->tick_fd, 0, &its, NULL) ? -errno : 0;
	if (!err)
		err = evloop_add(loop, loop->tick_fd, EPOLLIN, on_timerfd, NULL);
	if (err) {
		close(loop->tick_fd);
		loop->tick_fd = -1;
	}
	return err;
}

int evloop_run_once(struct evloop *loop, int timeout_ms)
{
	struct epoll_event evs[EVLOOP_BATCH];
	struct evloop_handler *h;
	int n, i;

	n = epoll_wait(loop->ep_fd, evs, EVLOOP_BATCH, timeout_ms);
	if (n < 0)
		return -errno;
	loop->dispatching = true;
	for (i = 0; i < n; i++) {
		h = evs[i].data.ptr;
		if (h->fn)	/* NULL: removed earlier in this batch */
			h->fn(loop, h->fd, evs[i].events, h->arg);
	}
	loop->dispatching = false;
	free_dead(loop);
	return n;
}

int evloop_run(struct evloop *loop)
{
	int n;

	loop->stopped = false;
	while (!loop->stopped) {
		n = evloop_run_once(loop, -1);
		if (n == -EINTR)
			continue;	/* a signal we do not take by signalfd */
		if (n < 0)
			return n;
	}
	return 0;
}

void evloop_stop(struct evloop *loop)
{
	loop->stopped = true;
}
