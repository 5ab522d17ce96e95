// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * siplbd - the control plane of siplb: registrar with digest
 * authentication, keeper of the VIPs and backends, and the slow path for
 * what the XDP program passes up.
 *
 *	siplbd [-c FILE] [-n] [-d] [-v]	(--help, --version)
 *
 * Run by systemd (etc/systemd/siplbd.service, Type=notify: $NOTIFY_SOCKET
 * is set) it does not fork, logs to syslog (the journal) and reports
 * READY=1 once the maps are set up and the VIP sockets are open; else it
 * forks with daemon(3) unless -d keeps it in the foreground, on stderr.
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

#include "cli.h"
#include "lb_attach.h"
#include "daemon.h"
#include "evloop.h"
#include "log.h"
#include "privs.h"
#include "service.h"
#include "config.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: siplbd [-c FILE] [-n] [-d] [-v]\n"
		"  -c FILE        configuration (default %s)\n"
		"  -n             check the configuration and the users file, "
		"exit\n"
		"  -d, --foreground  stay in the foreground, log to stderr\n"
		"                 (under systemd, Type=notify: no fork either,\n"
		"                 but syslog)\n"
		"  --list-directives  print every siplb.conf directive, exit\n"
		"  -v             verbose (debug) logging\n"
		CLI_HELP_TAIL,
		SIPLBD_CONF_DEFAULT);
}

static const struct option long_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "foreground", no_argument, NULL, 'd' },
	{ "list-directives", no_argument, NULL, 'L' },
	{ NULL, 0, NULL, 0 },
};

static void on_signal(struct evloop *loop, int signo, void *arg)
{
	if (signo == SIGHUP) {
		daemon_reload(arg, NULL, 0);
		return;
	}
	log_info("signal %d: exiting (the XDP program and the maps stay)",
		 signo);
	evloop_stop(loop);
}

static void on_tick(struct evloop *loop, uint64_t expirations, void *arg)
{
	daemon_tick(arg);
}

/* Signals and the one-second tick join the loop daemon_start() made. */
static int setup_events(struct siplbd *d)
{
	static const int signos[] = { SIGHUP, SIGTERM, SIGINT };
	int err;

	signal(SIGPIPE, SIG_IGN);
	err = evloop_signals(&d->loop, signos, 3, on_signal, d);
	if (!err)
		err = evloop_tick(&d->loop, 1000, on_tick, d);
	return err;
}

/* The maps are set up and the VIP sockets open: systemd may go on. */
static void ready(const struct siplbd *d)
{
	char status[PATH_MAX + 64];

	snprintf(status, sizeof(status), "%zu VIPs, pin directory %s",
		 d->conf->nvips, d->conf->pin_dir);
	service_ready(status);
}

int main(int argc, char **argv)
{
	struct siplbd d;
	enum log_level level = LOG_LEVEL_INFO;
	const char *conf_path = SIPLBD_CONF_DEFAULT;
	bool check_only = false, foreground = false;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "c:ndvh", long_options,
				  NULL)) != -1) {
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
			return CLI_EXIT_OK;
		case 'V':
			cli_print_version(stdout, "siplbd");
			return CLI_EXIT_OK;
		case 'L':
			conf_print_directives(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "siplbd: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	log_init("siplbd", level);

	err = daemon_init(&d, conf_path);
	if (err)
		return CLI_EXIT_FAILURE;
	if (check_only) {
		printf("siplbd: configuration %s OK (%zu VIPs, %zu users)\n",
		       d.conf_path, d.conf->nvips, daemon_user_count(&d));
		daemon_free(&d);
		return CLI_EXIT_OK;
	}
	if (!foreground)
		log_to_syslog();
	err = daemon_start(&d);
	if (!err)
		err = setup_events(&d);
	if (!err)
		err = privs_drop();
	if (err) {
		log_warnx("start-up failed: %s", strerror(-err));
		daemon_free(&d);
		return CLI_EXIT_FAILURE;
	}
	if (!foreground && !service_notify_wanted() && daemon(0, 0)) {
		log_warn("Couldn't go to the background");
		daemon_free(&d);
		return CLI_EXIT_FAILURE;
	}
	log_info("running: %zu VIPs, pin directory %s", d.conf->nvips,
		 d.conf->pin_dir);
	ready(&d);
	err = evloop_run(&d.loop);
	service_stopping();
	if (err)
		log_warnx("event loop: %s", strerror(-err));
	daemon_free(&d);
	return err ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
