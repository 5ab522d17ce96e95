// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * siplb-mirror - keep this host's pinned siplb maps equal to the
 * cluster's Redis (mirror.h), so that the XDP program and the workers
 * here read bindings and blocks locally, with no network hop on the call
 * path. Run one per host: beside siplbd on a balancer (same pin
 * directory), alone on a worker host (it creates the maps there).
 *
 *	siplb-mirror -r HOST:PORT [-P PINDIR] [-m MAX-BINDINGS] [-v]
 *
 * It runs in the foreground (a service manager keeps it), and exits on
 * SIGTERM or SIGINT with a line of counters.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lb_maps.h"
#include "lb_pin.h"
#include "log.h"
#include "mirror.h"
#include "siplb_maps.h"

#define BLOCK_MS	500	/* XREAD BLOCK: how soon a signal is seen */

static volatile sig_atomic_t stop;

static void on_signal(int signo)
{
	stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: siplb-mirror -r HOST:PORT [-P PINDIR] [-m MAX-BINDINGS] "
		"[-v]\n"
		"  -r HOST:PORT   the cluster's Redis\n"
		"  -P PINDIR      pin directory of this host's maps (default "
		SIPLB_PIN_DIR_DEFAULT ")\n"
		"  -m N           siplb_location's size if the maps are made "
		"here\n"
		"  -v             debug messages\n"
		CLI_HELP_TAIL);
}

static const struct option long_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int parse_redis(const char *s, char *host, size_t size, __u16 *port)
{
	const char *colon = strrchr(s, ':');
	long p;

	if (!colon || colon == s || (size_t)(colon - s) >= size)
		return -EINVAL;
	p = strtol(colon + 1, NULL, 10);
	if (p < 1 || p > 65535)
		return -EINVAL;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	*port = p;
	return 0;
}

/* This host's maps: those pinned, or new ones if none are. */
static int open_maps(struct lb_maps *maps, const char *pin_dir, __u32 size)
{
	if (!lb_maps_open(maps, pin_dir))
		return 0;
	log_info("no maps pinned in %s: creating them (a worker host)",
		 pin_dir);
	if (lb_maps_create(pin_dir, size))
		return -ENOENT;
	return lb_maps_open(maps, pin_dir);
}

static void print_stats(const struct mirror *m)
{
#define MIRROR_STAT_LOG(name, help) \
	log_info("%-14s %llu  (%s)", #name, \
		 (unsigned long long)m->stats.name, help);
	MIRROR_STATS(MIRROR_STAT_LOG)
#undef MIRROR_STAT_LOG
	log_info("lag: median %llu ms, p99 %llu ms, max %llu ms (from the "
		 "change in Redis to this host's map; %d ms: that or more)",
		 (unsigned long long)mirror_lag_quantile(m, 0.5),
		 (unsigned long long)mirror_lag_quantile(m, 0.99),
		 (unsigned long long)mirror_lag_quantile(m, 1.0),
		 MIRROR_LAG_BUCKETS - 1);
}

int main(int argc, char **argv)
{
	const char *pin_dir = SIPLB_PIN_DIR_DEFAULT, *redis = NULL;
	enum log_level level = LOG_LEVEL_INFO;
	struct lb_maps maps;
	struct mirror m = {};
	char host[256];
	__u32 size = 0;
	__u16 port;
	int opt, err, down = 0;

	while ((opt = getopt_long(argc, argv, "r:P:m:vh", long_options,
				  NULL)) != -1) {
		switch (opt) {
		case 'r':
			redis = optarg;
			break;
		case 'P':
			pin_dir = optarg;
			break;
		case 'm':
			size = strtoul(optarg, NULL, 10);
			break;
		case 'v':
			level = LOG_LEVEL_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'V':
			cli_print_version(stdout, "siplb-mirror");
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "siplb-mirror: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	log_init("siplb-mirror", level);
	if (!redis || parse_redis(redis, host, sizeof(host), &port)) {
		log_warnx("-r HOST:PORT is required (the cluster's Redis)");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (open_maps(&maps, pin_dir, size))
		return 1;
	m.loc.bindings_fd = maps.location;
	m.loc.sources_fd = maps.sources;
	/* location_put/remove keep the AOR index (siplb_aors) that siplbd
	 * and the workers read an AOR's bindings by. */
	m.loc.aors_fd = maps.aors;
	m.loc.max_contacts = SIPLB_CONTACTS_MAX;
	m.blocked_fd = maps.blocked;
	m.lag_ms = calloc(MIRROR_LAG_BUCKETS, sizeof(*m.lag_ms));
	/* The reply to XREAD BLOCK comes after BLOCK_MS: wait longer. */
	redis_conn_init(&m.rc, host, port, BLOCK_MS + 2000);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	log_info("mirroring Redis at %s:%u into %s", host, port, pin_dir);
	while (!stop) {
		err = mirror_step(&m, BLOCK_MS);
		if (err) {
			if (!down++)
				log_warnx("Redis unreachable: the maps keep "
					  "their last state");
			usleep(200000);
			continue;
		}
		if (down)
			log_info("Redis back after %d tries", down);
		down = 0;
	}
	print_stats(&m);
	redis_conn_free(&m.rc);
	free(m.lag_ms);
	lb_maps_close(&maps);
	return 0;
}
