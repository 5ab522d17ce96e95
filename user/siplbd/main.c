// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * siplbd - the control plane of siplb: registrar with digest
 * authentication, keeper of the VIPs and backends, and the slow path for
 * what the XDP program passes up.
 *
 *	siplbd [-c FILE] [-n] [-d] [-v]
 *
 * Start-up: the configuration and the users file are read and checked
 * completely before anything is attached or changed (-n stops there). Then
 * the XDP program is attached to the configured interfaces, or -- with no
 * `interface` line -- a program the operator attached with `ip link` is
 * adopted through its pinned maps. VIPs and backends in the maps are made
 * to match the configuration, a UDP socket is opened on every VIP, and the
 * event loop runs: SIP datagrams that XDP passed up, a one-second tick
 * (sweeps, health checks), the control socket and signals. SIGHUP reloads
 * the configuration and the users file (both or neither); SIGTERM and
 * SIGINT exit, leaving the program attached and the maps pinned, so
 * forwarding and bindings carry on while the daemon is away.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "lb_attach.h"
#include "daemon.h"
#include "log.h"
#include "privs.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: siplbd [-c FILE] [-n] [-d] [-v]\n"
		"  -c FILE  configuration (default %s)\n"
		"  -n       check the configuration and the users file, exit\n"
		"  -d       stay in the foreground, log to stderr\n"
		"  -v       verbose (debug) logging\n",
		SIPLBD_CONF_DEFAULT);
}

static int setup_signals(struct siplbd *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	d->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return d->sig_fd < 0 ? -errno : 0;
}

static int setup_tick(struct siplbd *d)
{
	struct itimerspec its = {
		.it_interval = { .tv_sec = 1 },
		.it_value = { .tv_sec = 1 },
	};

	d->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->tick_fd < 0 || timerfd_settime(d->tick_fd, 0, &its, NULL))
		return -errno;
	return 0;
}

static void on_signal(struct siplbd *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			daemon_reload(d, NULL, 0);
		} else {
			log_info("signal %u: exiting (the XDP program and the "
				 "maps stay)", si.ssi_signo);
			d->running = false;
		}
	}
}

static void on_tick(struct siplbd *d)
{
	__u64 expirations;

	if (read(d->tick_fd, &expirations, sizeof(expirations)) < 0)
		return;
	daemon_tick(d);
}

static int event_loop(struct siplbd *d)
{
	struct epoll_event evs[16];
	int n, i;

	d->running = true;
	while (d->running) {
		n = epoll_wait(d->ep_fd, evs, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("epoll_wait");
			return -errno;
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == d->sig_fd)
				on_signal(d);
			else if (fd == d->tick_fd)
				on_tick(d);
			else
				daemon_event(d, fd);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct siplbd d;
	enum log_level level = LOG_LEVEL_INFO;
	const char *conf_path = SIPLBD_CONF_DEFAULT;
	bool check_only = false, foreground = false;
	int opt, err;

	while ((opt = getopt(argc, argv, "c:ndvh")) != -1) {
		switch (opt) {
		case 'c':
			conf_path = optarg;
			break;
		case 'n':
			check_only = true;
			break;
		case 'd':
			foreground = true;
			break;
		case 'v':
			level = LOG_LEVEL_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("siplbd", level);

	err = daemon_init(&d, conf_path);
	if (err)
		return 1;
	if (check_only) {
		printf("siplbd: configuration %s OK (%zu VIPs, %zu users)\n",
		       d.conf_path, d.conf->nvips, daemon_user_count(&d));
		daemon_free(&d);
		return 0;
	}
	if (!foreground)
		log_to_syslog();
	err = daemon_start(&d);
	if (!err)
		err = setup_signals(&d);
	if (!err)
		err = setup_tick(&d);
	if (!err)
		err = daemon_watch(&d, d.sig_fd);
	if (!err)
		err = daemon_watch(&d, d.tick_fd);
	if (!err)
		err = privs_drop();
	if (err) {
		log_warnx("start-up failed: %s", strerror(-err));
		daemon_free(&d);
		return 1;
	}
	if (!foreground && daemon(0, 0)) {
		log_warn("Couldn't go to the background");
		daemon_free(&d);
		return 1;
	}
	log_info("running: %zu VIPs, pin directory %s", d.conf->nvips,
		 d.conf->pin_dir);
	err = event_loop(&d);
	daemon_free(&d);
	return err ? 1 : 0;
}
