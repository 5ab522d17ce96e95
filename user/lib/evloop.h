/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * evloop.h - one single-threaded event loop for siplbd and siplb-worker,
 * after baresip/re's fd_listen()/re_main(): each file descriptor has one
 * handler (a callback and its argument), and epoll hands the handler back
 * through epoll_event.data.ptr, so nobody compares fds to find out who an
 * event is for. Signals (a signalfd) and a periodic tick (a timerfd) are
 * handlers like any other.
 *
 *	evloop_init(&loop);
 *	evloop_add(&loop, fd, EPOLLIN, on_readable, ctx);
 *	evloop_signals(&loop, sigs, 2, on_signal, ctx);
 *	evloop_tick(&loop, 1000, on_tick, ctx);
 *	evloop_run(&loop);		(until a handler calls evloop_stop)
 *	evloop_free(&loop);
 *
 * A handler may add, modify and remove handlers, its own included, while
 * the loop dispatches: a removed handler is never called again, even for
 * an event already fetched in the same batch.
 */
#ifndef SIPLB_EVLOOP_H
#define SIPLB_EVLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;

/* events: what epoll reported (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP). */
typedef void (*evloop_fd_fn)(struct evloop *loop, int fd, uint32_t events,
			     void *arg);
typedef void (*evloop_signal_fn)(struct evloop *loop, int signo, void *arg);
/* expirations: ticks since the last call (> 1 if the loop was late). */
typedef void (*evloop_tick_fn)(struct evloop *loop, uint64_t expirations,
			       void *arg);

struct evloop_handler;

struct evloop {
	int ep_fd, sig_fd, tick_fd;
	struct evloop_handler **by_fd;	/* fd -> its handler, or NULL */
	size_t nfd;
	struct evloop_handler *dead;	/* removed during dispatch */
	bool dispatching, stopped;
	evloop_signal_fn on_signal;
	void *signal_arg;
	evloop_tick_fn on_tick;
	void *tick_arg;
};

int evloop_init(struct evloop *loop);
/* Closes the loop's own fds (epoll, signal, tick), not the handlers'. */
void evloop_free(struct evloop *loop);

/* One handler per fd: -EEXIST if fd has one already. */
int evloop_add(struct evloop *loop, int fd, uint32_t events, evloop_fd_fn fn,
	       void *arg);
int evloop_mod(struct evloop *loop, int fd, uint32_t events);
/* Forget fd's handler (before closing fd); -ENOENT if it has none. */
int evloop_del(struct evloop *loop, int fd);

/* Block signos and deliver them to fn from the loop (one set per loop). */
int evloop_signals(struct evloop *loop, const int *signos, size_t n,
		   evloop_signal_fn fn, void *arg);
/* fn every period_ms milliseconds, first after one period (one per loop). */
int evloop_tick(struct evloop *loop, unsigned int period_ms,
		evloop_tick_fn fn, void *arg);

/* Dispatch until evloop_stop(): 0, or -errno if epoll_wait failed. */
int evloop_run(struct evloop *loop);
/* Run at most one batch of events, waiting up to timeout_ms (-1: forever);
 * returns the events dispatched or -errno. For tests, and for callers that
 * interleave other work. */
int evloop_run_once(struct evloop *loop, int timeout_ms);
void evloop_stop(struct evloop *loop);

#endif /* SIPLB_EVLOOP_H */
