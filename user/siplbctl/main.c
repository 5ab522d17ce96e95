// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * siplbctl - attach siplb's XDP program and drive its pinned maps:
 * VIPs, backends (Maglev tables), counters.
 *
 * Every command works on the maps pinned in one directory (-P, default
 * iproute2's /sys/fs/bpf/tc/globals), so it equally drives a program that
 * `siplbctl attach` loaded and one an operator attached with
 * `ip link set dev DEV xdp obj siplb.bpf.o sec xdp`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lb_attach.h"
#include "control_proto.h"
#include "bindings.h"
#include "blocked.h"
#include "workers.h"
#include "endpoint.h"
#include "lb_maps.h"
#include "lb_table.h"
#include "list.h"
#include "log.h"
#include "stats.h"
#include "users.h"

struct ctl {
	const char *pin_dir;
	const char *socket;	/* siplbd's control socket */
	bool json;
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: siplbctl [-P PINDIR] [-S SOCKET] [-j] [-v] COMMAND [ARGS]\n"
"  -P PINDIR   pin directory of the maps (default $SIPLB_PIN_DIR or\n"
"              " SIPLB_PIN_DIR_DEFAULT ")\n"
"  -S SOCKET   siplbd's control socket (default $SIPLB_SOCKET or\n"
"              " CONTROL_SOCKET_DEFAULT "); backend changes go\n"
"              through siplbd when it runs, else to the maps directly\n"
"  -j          JSON output\n"
"  -v          verbose\n"
"commands:\n"
"  attach DEV [--mode native|generic] [--affinity-size N]\n"
"  detach DEV\n"
"  vip add|del ADDR:PORT                      (IPv6: [ADDR]:PORT)\n"
"  backend add VIP BACKEND [--weight N]\n"
"  backend del VIP BACKEND\n"
"  backend up|drain|down VIP BACKEND\n"
"  backend weight VIP BACKEND N\n"
"  list | backends                            VIPs and backends\n"
"  bindings [AOR]                             registered contacts\n"
"  block [del ADDR]                           sources blocked in XDP\n"
"  workers [del ADDR:PORT]                    siplb-worker counters\n"
"  stats                                      counters (and siplbd's)\n"
"  reload                                     siplbd re-reads its config\n"
"  passwd USER REALM                          a users-file line (MD5 and\n"
"                                             SHA-256 HA1s); password on stdin\n"
"  unpin                                      remove the pinned maps\n");
}

static int parse_u32(const char *text, const char *what, __u32 *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || end == text || v > 0xffffffffUL) {
		log_warnx("Bad %s '%s': expected a number", what, text);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_endpoint(const char *text, const char *what,
			  struct siplb_endpoint *ep)
{
	int err = endpoint_parse(text, ep);

	if (err)
		log_warnx("Bad %s '%s': expected ADDR:PORT or [IPV6]:PORT",
			  what, text);
	return err;
}

static int cmd_attach(const struct ctl *ctl, int argc, char **argv)
{
	struct attach_opts o = { .pin_dir = ctl->pin_dir };
	int i;

	if (argc < 1) {
		log_warnx("attach: which device?");
		return -EINVAL;
	}
	o.ifname = argv[0];
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			const char *mode = argv[++i];

			if (!strcmp(mode, "native"))
				o.mode = ATTACH_NATIVE;
			else if (!strcmp(mode, "generic"))
				o.mode = ATTACH_GENERIC;
			else {
				log_warnx("Bad mode '%s': native or generic",
					  mode);
				return -EINVAL;
			}
		} else if (!strcmp(argv[i], "--affinity-size") &&
			   i + 1 < argc) {
			if (parse_u32(argv[++i], "affinity size",
				      &o.affinity_size))
				return -EINVAL;
			if (o.affinity_size == 0) {
				log_warnx("The affinity size must be > 0");
				return -EINVAL;
			}
		} else {
			log_warnx("attach: unknown argument '%s'", argv[i]);
			return -EINVAL;
		}
	}
	return lb_attach(&o);
}

static int with_maps(const struct ctl *ctl, struct lb_maps *m)
{
	return lb_maps_open(m, ctl->pin_dir);
}

static int cmd_vip(const struct ctl *ctl, int argc, char **argv)
{
	struct siplb_endpoint vip;
	struct lb_maps m;
	int err;

	if (argc != 2 || (strcmp(argv[0], "add") && strcmp(argv[0], "del"))) {
		log_warnx("usage: vip add|del ADDR:PORT");
		return -EINVAL;
	}
	err = parse_endpoint(argv[1], "VIP", &vip);
	if (err)
		return err;
	err = with_maps(ctl, &m);
	if (err)
		return err;
	err = !strcmp(argv[0], "add") ? lb_vip_add(&m, &vip) :
					 lb_vip_del(&m, &vip);
	if (err == -EEXIST)
		log_warnx("VIP %s exists already", argv[1]);
	else if (err == -ENOENT)
		log_warnx("No VIP %s", argv[1]);
	else if (err == -ENOSPC)
		log_warnx("No room for another VIP (at most %d)",
			  SIPLB_MAX_VIPS);
	else if (err)
		log_warnx("vip %s %s failed: %s", argv[0], argv[1],
			  strerror(-err));
	lb_maps_close(&m);
	return err;
}

static void backend_error(const char *verb, const char *vip, const char *be,
			  int err)
{
	switch (err) {
	case -ENOENT:
		log_warnx("No VIP %s, or %s is not one of its backends", vip,
			  be);
		break;
	case -EEXIST:
		log_warnx("Backend %s exists already (an endpoint serves one "
			  "VIP)", be);
		break;
	case -EAFNOSUPPORT:
		log_warnx("Backend %s and VIP %s must be of one address family",
			  be, vip);
		break;
	case -ENOSPC:
		log_warnx("No room for another backend (at most %d)",
			  SIPLB_MAX_BACKENDS - 1);
		break;
	default:
		log_warnx("backend %s %s %s failed: %s", verb, vip, be,
			  strerror(-err));
	}
}

/*
 * Ask siplbd. Its reply is "ok" or "error: why" and maybe a JSON line,
 * which goes to *json (NULL: printed). -ECONNREFUSED or -ENOENT when it is
 * not running; -EIO when it refused.
 */
static int via_daemon(const struct ctl *ctl, const char *line, char *json,
		      size_t size)
{
	char reply[8192], *rest;
	int err;

	err = control_request(ctl->socket, line, reply, sizeof(reply));
	if (err)
		return err;
	if (strncmp(reply, "ok", 2)) {
		log_warnx("siplbd: %.*s", (int)strcspn(reply, "\n"), reply);
		return -EIO;
	}
	rest = strchr(reply, '\n');
	rest = rest ? rest + 1 : reply + strlen(reply);
	rest[strcspn(rest, "\n")] = '\0';
	if (json)
		snprintf(json, size, "%s", rest);
	else if (*rest)
		printf("%s\n", rest);
	return 0;
}

static int cmd_backend(const struct ctl *ctl, int argc, char **argv)
{
	struct siplb_endpoint vip, be;
	char line[256];
	const char *verb;
	__u32 weight = 1;
	struct lb_maps m;
	int err;

	if (argc < 3) {
		log_warnx("usage: backend add|del|up|drain|down|weight VIP "
			  "BACKEND");
		return -EINVAL;
	}
	verb = argv[0];
	if (argc == 4 && !strcmp(verb, "weight")) {
		if (parse_u32(argv[3], "weight", &weight))
			return -EINVAL;
		if (weight == 0 || weight > 1000) {
			log_warnx("The weight must be 1..1000");
			return -EINVAL;
		}
	} else if (argc == 5 && !strcmp(verb, "add") &&
		   !strcmp(argv[3], "--weight")) {
		if (parse_u32(argv[4], "weight", &weight))
			return -EINVAL;
		if (weight == 0) {
			log_warnx("The weight must be >= 1 (use `backend "
				  "drain` to stop new calls)");
			return -EINVAL;
		}
	} else if (argc != 3) {
		log_warnx("backend %s: unexpected argument '%s'", verb,
			  argv[3]);
		return -EINVAL;
	}
	if (parse_endpoint(argv[1], "VIP", &vip) ||
	    parse_endpoint(argv[2], "backend", &be))
		return -EINVAL;

	snprintf(line, sizeof(line), "backend %s %s %s %u", verb, argv[1],
		 argv[2], weight);
	if (strcmp(verb, "add") && strcmp(verb, "weight"))
		snprintf(line, sizeof(line), "backend %s %s %s", verb, argv[1],
			 argv[2]);
	else if (!strcmp(verb, "add"))
		snprintf(line, sizeof(line), "backend add %s %s weight %u",
			 argv[1], argv[2], weight);
	err = via_daemon(ctl, line, NULL, 0);
	if (err != -ECONNREFUSED && err != -ENOENT)
		return err;
	log_debug("siplbd is not running: changing the maps directly");

	err = with_maps(ctl, &m);
	if (err)
		return err;
	if (!strcmp(verb, "weight"))
		err = lb_backend_set_weight(&m, &vip, &be, weight);
	else if (!strcmp(verb, "add"))
		err = lb_backend_add(&m, &vip, &be, weight);
	else if (!strcmp(verb, "del"))
		err = lb_backend_del(&m, &vip, &be);
	else if (!strcmp(verb, "up"))
		err = lb_backend_set_state(&m, &vip, &be, SIPLB_BACKEND_UP);
	else if (!strcmp(verb, "drain"))
		err = lb_backend_set_state(&m, &vip, &be,
					   SIPLB_BACKEND_DRAINING);
	else if (!strcmp(verb, "down"))
		err = lb_backend_set_state(&m, &vip, &be, SIPLB_BACKEND_DOWN);
	else {
		log_warnx("Unknown backend command '%s'", verb);
		err = -EINVAL;
		goto out;
	}
	if (err)
		backend_error(verb, argv[1], argv[2], err);
out:
	lb_maps_close(&m);
	return err;
}

enum show_what {
	SHOW_LIST,
	SHOW_STATS,
	SHOW_BINDINGS,
	SHOW_BLOCKED,
	SHOW_WORKERS,
};

static int cmd_show(const struct ctl *ctl, enum show_what what,
		    const char *arg)
{
	char daemon_json[8192];
	bool have_daemon = false;
	struct lb_maps m;
	int err;

	if (what == SHOW_STATS)
		have_daemon = via_daemon(ctl, "stats", daemon_json,
					 sizeof(daemon_json)) == 0 &&
			      daemon_json[0] == '{';
	err = with_maps(ctl, &m);
	if (err)
		return err;
	switch (what) {
	case SHOW_LIST:
		err = list_print(&m, stdout, ctl->json);
		break;
	case SHOW_STATS:
		err = stats_print(&m, stdout, ctl->json,
				  have_daemon ? daemon_json : NULL);
		break;
	case SHOW_BINDINGS:
		err = bindings_print(&m, stdout, ctl->json, arg);
		break;
	case SHOW_BLOCKED:
		err = blocked_print(&m, stdout, ctl->json);
		break;
	case SHOW_WORKERS:
		err = workers_print(&m, stdout, ctl->json);
		break;
	}
	if (err)
		log_warnx("Couldn't read the maps: %s", strerror(-err));
	lb_maps_close(&m);
	return err;
}

static int cmd_block(const struct ctl *ctl, int argc, char **argv)
{
	struct lb_maps m;
	int err;

	if (argc == 0)
		return cmd_show(ctl, SHOW_BLOCKED, NULL);
	if (argc != 2 || strcmp(argv[0], "del")) {
		log_warnx("usage: block [del ADDR]");
		return -EINVAL;
	}
	err = with_maps(ctl, &m);
	if (err)
		return err;
	err = blocked_delete(&m, argv[1]);
	if (err)
		log_warnx("Couldn't unblock %s: %s", argv[1], strerror(-err));
	lb_maps_close(&m);
	return err;
}

static int cmd_workers(const struct ctl *ctl, int argc, char **argv)
{
	struct lb_maps m;
	int err;

	if (argc == 0)
		return cmd_show(ctl, SHOW_WORKERS, NULL);
	if (argc != 2 || strcmp(argv[0], "del")) {
		log_warnx("usage: workers [del ADDR:PORT]");
		return -EINVAL;
	}
	err = with_maps(ctl, &m);
	if (err)
		return err;
	err = workers_delete(&m, argv[1]);
	if (err)
		log_warnx("Couldn't forget worker %s: %s", argv[1],
			  err == -EINVAL ? "expected ADDR:PORT or [IPV6]:PORT"
					 : strerror(-err));
	lb_maps_close(&m);
	return err;
}

/*
 * Print the users-file line for USER in REALM, the password read from the
 * first line of stdin (not echoed to a terminal by the caller's shell:
 * `read -s` or a pipe). The password is wiped once hashed.
 */
static int cmd_passwd(int argc, char **argv)
{
	char password[256], line[1024];
	size_t len;
	int err;

	if (argc != 2) {
		log_warnx("usage: passwd USER REALM (password on stdin)");
		return -EINVAL;
	}
	if (!fgets(password, sizeof(password), stdin)) {
		log_warnx("passwd: no password on stdin");
		return -EINVAL;
	}
	len = strcspn(password, "\r\n");
	password[len] = '\0';
	if (len == 0) {
		log_warnx("passwd: empty password");
		return -EINVAL;
	}
	err = users_format_line(argv[0], argv[1], password, 0, line,
				sizeof(line));
	explicit_bzero(password, sizeof(password));
	if (err) {
		log_warnx("passwd: %s", strerror(-err));
		return err;
	}
	printf("%s\n", line);
	explicit_bzero(line, sizeof(line));
	return 0;
}

/* `siplbctl list -j` as well as `siplbctl -j list`: take -j from the
 * command's arguments too (getopt stops at the command, so that its own
 * options such as --weight are left alone). Returns the new argc. */
static int take_trailing_json(struct ctl *ctl, int argc, char **argv)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-j"))
			ctl->json = true;
		else
			argv[n++] = argv[i];
	}
	return n;
}

int main(int argc, char **argv)
{
	struct ctl ctl = {
		.pin_dir = getenv("SIPLB_PIN_DIR"),
		.socket = getenv("SIPLB_SOCKET"),
	};
	enum log_level level = LOG_LEVEL_INFO;
	const char *cmd;
	int opt, err;

	if (!ctl.pin_dir || !*ctl.pin_dir)
		ctl.pin_dir = SIPLB_PIN_DIR_DEFAULT;
	if (!ctl.socket || !*ctl.socket)
		ctl.socket = CONTROL_SOCKET_DEFAULT;
	if (argc > 1 && !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	while ((opt = getopt(argc, argv, "+P:S:jvh")) != -1) {
		switch (opt) {
		case 'P':
			ctl.pin_dir = optarg;
			break;
		case 'S':
			ctl.socket = optarg;
			break;
		case 'j':
			ctl.json = true;
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
	log_init("siplbctl", level);
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	argc -= optind + 1;
	argv += optind + 1;
	argc = take_trailing_json(&ctl, argc, argv);

	if (!strcmp(cmd, "attach"))
		err = cmd_attach(&ctl, argc, argv);
	else if (!strcmp(cmd, "detach") && argc == 1)
		err = lb_detach(argv[0]);
	else if (!strcmp(cmd, "vip"))
		err = cmd_vip(&ctl, argc, argv);
	else if (!strcmp(cmd, "backend"))
		err = cmd_backend(&ctl, argc, argv);
	else if ((!strcmp(cmd, "list") || !strcmp(cmd, "backends")) &&
		 argc == 0)
		err = cmd_show(&ctl, SHOW_LIST, NULL);
	else if (!strcmp(cmd, "stats") && argc == 0)
		err = cmd_show(&ctl, SHOW_STATS, NULL);
	else if (!strcmp(cmd, "bindings") && argc <= 1)
		err = cmd_show(&ctl, SHOW_BINDINGS, argc ? argv[0] : NULL);
	else if (!strcmp(cmd, "block"))
		err = cmd_block(&ctl, argc, argv);
	else if (!strcmp(cmd, "workers"))
		err = cmd_workers(&ctl, argc, argv);
	else if (!strcmp(cmd, "passwd"))
		err = cmd_passwd(argc, argv);
	else if (!strcmp(cmd, "reload") && argc == 0)
		err = via_daemon(&ctl, "reload", NULL, 0);
	else if (!strcmp(cmd, "unpin") && argc == 0)
		err = lb_maps_unpin(ctl.pin_dir);
	else if (!strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	} else {
		log_warnx("Unknown command or arguments: %s", cmd);
		usage(stderr);
		return 2;
	}
	return err ? 1 : 0;
}
