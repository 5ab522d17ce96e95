// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * siplbctl - attach siplb's XDP program and drive its pinned maps:
 * VIPs, backends (Maglev tables), counters.
 *
 * Every command works on the maps pinned in one directory (-P, default
 * iproute2's /sys/fs/bpf/tc/globals), so it equally drives a program that
 * `siplbctl attach` loaded and one an operator attached with
 * `ip link set dev DEV xdp obj siplb.bpf.o sec xdp`. Backend changes go
 * through siplbd's control socket (-S) when siplbd runs, so that it knows
 * of them, and to the maps directly when it does not.
 *
 * The commands are a table (cmds[], as xdp-tools' xdp-filter has): the
 * name, the handler, the arguments it takes, what it needs (the maps,
 * siplbd, either) and a line of help; the usage text is made from it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_cmd.h"
#include "cli.h"
#include "control_proto.h"
#include "bindings.h"
#include "blocked.h"
#include "workers.h"
#include "endpoint.h"
#include "lb_attach.h"
#include "lb_maps.h"
#include "lb_table.h"
#include "list.h"
#include "log.h"
#include "stats.h"
#include "trace.h"
#include "users.h"

/*
 * Not an errno: the command's arguments are wrong (exit 2, where a
 * failure at run time exits 1). Beyond the errno range, as the kernel's
 * internal codes (ENOTSUPP) are, so that no -errno can be mistaken for it.
 */
#define EUSAGE	1000

enum cmd_needs {
	NEEDS_NOTHING,
	NEEDS_MAPS,	/* the maps pinned in -P */
	NEEDS_DAEMON,	/* siplbd, through -S: an error if it is not there */
	NEEDS_EITHER,	/* siplbd if it runs, else the maps */
};

struct ctl;

struct cmd {
	const char *name;
	int (*run)(struct ctl *ctl, int argc, char **argv);
	int min_args, max_args;
	enum cmd_needs needs;
	const char *args;	/* what follows the name, for the usage */
	const char *help;
};

struct ctl {
	const char *pin_dir;
	const char *socket;	/* siplbd's control socket */
	bool json;
	const struct cmd *cmd;	/* the one running */
};

/* "PREFIX NAME ARGS" for each line of cmd's args. */
static void cmd_synopsis(FILE *out, const char *prefix, const struct cmd *cmd)
{
	const char *a = cmd->args;
	size_t len;

	do {
		len = strcspn(a, "\n");
		fprintf(out, "%s%s%s%.*s\n", prefix, cmd->name, len ? " " : "",
			(int)len, a);
		a += len;
	} while (*a++);
}

static int usage_error(const struct ctl *ctl)
{
	cmd_synopsis(stderr, "usage: siplbctl ", ctl->cmd);
	return -EUSAGE;
}

static int parse_u32(const char *text, const char *what, __u32 *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || end == text || v > 0xffffffffUL) {
		log_warnx("Bad %s '%s': expected a number", what, text);
		return -EUSAGE;
	}
	*out = v;
	return 0;
}

static int cmd_attach(struct ctl *ctl, int argc, char **argv)
{
	struct attach_opts o = { .pin_dir = ctl->pin_dir };
	int i;

	o.ifname = argv[0];
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force")) {
			o.replace = true;
		} else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			const char *mode = argv[++i];

			if (!strcmp(mode, "native"))
				o.mode = ATTACH_NATIVE;
			else if (!strcmp(mode, "generic"))
				o.mode = ATTACH_GENERIC;
			else {
				log_warnx("Bad mode '%s': native or generic",
					  mode);
				return -EUSAGE;
			}
		} else if (!strcmp(argv[i], "--affinity-size") &&
			   i + 1 < argc) {
			if (parse_u32(argv[++i], "affinity size",
				      &o.affinity_size))
				return -EUSAGE;
			if (o.affinity_size == 0) {
				log_warnx("The affinity size must be > 0");
				return -EUSAGE;
			}
		} else {
			log_warnx("attach: unknown argument '%s'", argv[i]);
			return usage_error(ctl);
		}
	}
	return lb_attach(&o);
}

static int cmd_detach(struct ctl *ctl, int argc, char **argv)
{
	return lb_detach(argv[0]);
}

static int cmd_vip(struct ctl *ctl, int argc, char **argv)
{
	struct siplb_endpoint vip;
	struct lb_maps m;
	int err;

	if (strcmp(argv[0], "add") && strcmp(argv[0], "del"))
		return usage_error(ctl);
	if (endpoint_parse(argv[1], &vip)) {
		log_warnx("Bad VIP '%s': expected ADDR:PORT or [IPV6]:PORT",
			  argv[1]);
		return -EUSAGE;
	}
	err = lb_maps_open(&m, ctl->pin_dir);
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

/* siplbd is not there: an error for a command that needs it. */
static bool daemon_absent(const struct ctl *ctl, int err)
{
	if (err != -ENOENT && err != -ECONNREFUSED)
		return false;
	if (ctl->cmd->needs == NEEDS_DAEMON)
		log_warnx("cannot reach siplbd at %s: %s (is siplbd running? "
			  "-S SOCKET)", ctl->socket, strerror(-err));
	return true;
}

/*
 * Ask siplbd. Its reply is "ok" or "error: why" and maybe a JSON line,
 * which goes to *json (NULL: printed). A refusal is said as "WHAT: why".
 * -ECONNREFUSED or -ENOENT when it is not running; -EIO when it refused.
 */
static int via_daemon(const struct ctl *ctl, const char *what,
		      const char *line, char *json, size_t size)
{
	char reply[8192], *rest;
	int err;

	err = control_request(ctl->socket, line, reply, sizeof(reply));
	if (daemon_absent(ctl, err))
		return err;
	if (err) {
		log_warnx("%s: cannot talk to siplbd at %s: %s", what,
			  ctl->socket, strerror(-err));
		return err;
	}
	if (strncmp(reply, "ok", 2)) {
		rest = reply;
		if (!strncmp(rest, "error: ", 7))
			rest += 7;
		log_warnx("%s: %.*s", what, (int)strcspn(rest, "\n"), rest);
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

/*
 * The grammar is backend_cmd_parse's, which siplbd uses too: a command is
 * refused here, before siplbd is asked, with the words siplbd would use,
 * and is refused the same way when siplbd is not running.
 */
static int cmd_backend(struct ctl *ctl, int argc, char **argv)
{
	char line[CONTROL_LINE_MAX], what[32];
	struct backend_cmd c;
	struct lb_maps m;
	const char *why;
	int err;

	snprintf(what, sizeof(what), "backend %s", argv[0]);
	if (backend_cmd_parse(&c, argc, argv, &why)) {
		log_warnx("%s: %s", what, why);
		return -EUSAGE;
	}
	err = backend_cmd_format(&c, line, sizeof(line));
	if (err)
		return err;
	err = via_daemon(ctl, what, line, NULL, 0);
	if (err != -ECONNREFUSED && err != -ENOENT)
		return err;
	log_debug("siplbd is not running: changing the maps directly");

	err = lb_maps_open(&m, ctl->pin_dir);
	if (err)
		return err;
	err = backend_cmd_apply(&m, &c);
	if (err)
		log_warnx("%s: %s", what, backend_cmd_strerror(err));
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

static int show(struct ctl *ctl, enum show_what what, const char *arg)
{
	char daemon_json[8192], *buf = NULL;
	bool have_daemon = false;
	FILE *out = stdout;
	struct lb_maps m;
	size_t len = 0;
	int err;

	/* siplbd's counters are added when it runs; none is no error. */
	if (what == SHOW_STATS)
		have_daemon = via_daemon(ctl, "stats", "stats", daemon_json,
					 sizeof(daemon_json)) == 0 &&
			      daemon_json[0] == '{';
	err = lb_maps_open(&m, ctl->pin_dir);
	if (err)
		return err;
	/* JSON is printed whole or not at all: a dump that stops half way
	 * must not leave a document no parser accepts. */
	if (ctl->json && !(out = open_memstream(&buf, &len))) {
		err = -errno;
		lb_maps_close(&m);
		return err;
	}
	switch (what) {
	case SHOW_LIST:
		err = list_print(&m, out, ctl->json);
		break;
	case SHOW_STATS:
		err = stats_print(&m, out, ctl->json,
				  have_daemon ? daemon_json : NULL);
		break;
	case SHOW_BINDINGS:
		err = bindings_print(&m, out, ctl->json, arg);
		break;
	case SHOW_BLOCKED:
		err = blocked_print(&m, out, ctl->json);
		break;
	case SHOW_WORKERS:
		err = workers_print(&m, out, ctl->json);
		break;
	}
	if (ctl->json) {
		if (fclose(out) && !err)
			err = -ENOMEM;
		if (!err)
			fwrite(buf, 1, len, stdout);
		free(buf);
	}
	if (err)
		log_warnx("Couldn't read the maps: %s%s", strerror(-err),
			  ctl->json ? " (no JSON printed)" : "");
	lb_maps_close(&m);
	return err;
}

static int cmd_list(struct ctl *ctl, int argc, char **argv)
{
	return show(ctl, SHOW_LIST, NULL);
}

static int cmd_stats(struct ctl *ctl, int argc, char **argv)
{
	return show(ctl, SHOW_STATS, NULL);
}

static int cmd_bindings(struct ctl *ctl, int argc, char **argv)
{
	return show(ctl, SHOW_BINDINGS, argc ? argv[0] : NULL);
}

static int cmd_block(struct ctl *ctl, int argc, char **argv)
{
	struct lb_maps m;
	int err;

	if (argc == 0)
		return show(ctl, SHOW_BLOCKED, NULL);
	if (argc != 2 || strcmp(argv[0], "del"))
		return usage_error(ctl);
	err = lb_maps_open(&m, ctl->pin_dir);
	if (err)
		return err;
	err = blocked_delete(&m, argv[1]);
	if (err)
		log_warnx("Couldn't unblock %s: %s", argv[1], strerror(-err));
	lb_maps_close(&m);
	return err;
}

static int cmd_workers(struct ctl *ctl, int argc, char **argv)
{
	struct lb_maps m;
	int err;

	if (argc == 0)
		return show(ctl, SHOW_WORKERS, NULL);
	if (argc != 2 || strcmp(argv[0], "del"))
		return usage_error(ctl);
	err = lb_maps_open(&m, ctl->pin_dir);
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

static int cmd_reload(struct ctl *ctl, int argc, char **argv)
{
	return via_daemon(ctl, "reload", "reload", NULL, 0);
}

static int cmd_unpin(struct ctl *ctl, int argc, char **argv)
{
	return lb_maps_unpin(ctl->pin_dir);
}

/*
 * Print the users-file line for USER in REALM, the password read from the
 * first line of stdin (not echoed to a terminal by the caller's shell:
 * `read -s` or a pipe). The password is wiped once hashed.
 */
static int cmd_passwd(struct ctl *ctl, int argc, char **argv)
{
	char password[256], line[1024];
	size_t len;
	int err;

	if (!fgets(password, sizeof(password), stdin)) {
		log_warnx("passwd: no password on stdin");
		return -EINVAL;
	}
	len = strcspn(password, "\r\n");
	password[len] = '\0';
	if (len == 0) {
		log_warnx("passwd: empty password");
		return -EUSAGE;
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

static int cmd_trace(struct ctl *ctl, int argc, char **argv)
{
	struct trace_opts o;

	if (trace_args_parse(&o, argc, argv))
		return usage_error(ctl);
	o.json = ctl->json;
	return trace_run(&o, ctl->pin_dir);
}

static int cmd_help(struct ctl *ctl, int argc, char **argv);

static const struct cmd cmds[] = {
	{ "attach", cmd_attach, 1, 6, NEEDS_NOTHING,
	  "DEV [--mode native|generic] [--affinity-size N] [--force]",
	  "load the XDP program onto DEV and pin its maps; --force replaces "
	  "an XDP program not siplb's" },
	{ "detach", cmd_detach, 1, 1, NEEDS_NOTHING, "DEV",
	  "remove siplb's XDP program from DEV (the maps stay)" },
	{ "vip", cmd_vip, 2, 2, NEEDS_MAPS, "add|del ADDR:PORT",
	  "add or remove a VIP (IPv6: [ADDR]:PORT)" },
	{ "backend", cmd_backend, 3, 5, NEEDS_EITHER,
	  "add|del|up|drain|down VIP BACKEND [--weight N]\n"
	  "weight VIP BACKEND N",
	  "change a VIP's backends; weights " BACKEND_WEIGHT_RANGE },
	{ "list", cmd_list, 0, 0, NEEDS_MAPS, "", "VIPs and backends" },
	{ "backends", cmd_list, 0, 0, NEEDS_MAPS, "", "the same as list" },
	{ "bindings", cmd_bindings, 0, 1, NEEDS_MAPS, "[AOR]",
	  "registered contacts" },
	{ "block", cmd_block, 0, 2, NEEDS_MAPS, "[del ADDR]",
	  "sources blocked in XDP; del unblocks one" },
	{ "workers", cmd_workers, 0, 2, NEEDS_MAPS, "[del ADDR:PORT]",
	  "siplb-worker counters; del forgets a worker" },
	{ "stats", cmd_stats, 0, 0, NEEDS_MAPS, "",
	  "counters (and siplbd's, when it runs)" },
	{ "trace", cmd_trace, 0, 17, NEEDS_MAPS,
	  "[--src PREFIX] [--callid ID] [--vip EP] [--reason NAME] "
	  "[--sample N] [--count N] [--seconds S] [-w FILE]\n"
	  "--off",
	  "XDP's verdicts packet by packet (-w: a pcap); --off: end one left on" },
	{ "reload", cmd_reload, 0, 0, NEEDS_DAEMON, "",
	  "siplbd re-reads its configuration" },
	{ "passwd", cmd_passwd, 2, 2, NEEDS_NOTHING, "USER REALM",
	  "a users-file line (MD5, SHA-256); the password on stdin" },
	{ "unpin", cmd_unpin, 0, 0, NEEDS_MAPS, "",
	  "remove the pinned maps" },
	{ "help", cmd_help, 0, 0, NEEDS_NOTHING, "", "this help" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const char *const needs_text[] = {
	[NEEDS_NOTHING] = "",
	[NEEDS_MAPS] = " [maps]",
	[NEEDS_DAEMON] = " [siplbd]",
	[NEEDS_EITHER] = " [siplbd, else maps]",
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
"usage: siplbctl [-P PINDIR] [-S SOCKET] [-j] [-v] COMMAND [ARGS]\n"
"  -P PINDIR      pin directory of the maps (default $SIPLB_PIN_DIR or\n"
"                 " SIPLB_PIN_DIR_DEFAULT ")\n"
"  -S SOCKET      siplbd's control socket (default $SIPLB_SOCKET or\n"
"                 " CONTROL_SOCKET_DEFAULT ")\n"
"  -j             JSON output (also after the command)\n"
"  -v             verbose\n"
CLI_HELP_TAIL
"commands ([maps]: the pinned maps in PINDIR; [siplbd]: its SOCKET;\n"
"[siplbd, else maps]: through siplbd if it runs, else the maps):\n");
	for (i = 0; i < NCMDS; i++) {
		cmd_synopsis(out, "  ", &cmds[i]);
		fprintf(out, "        %s%s\n", cmds[i].help,
			needs_text[cmds[i].needs]);
	}
}

static int cmd_help(struct ctl *ctl, int argc, char **argv)
{
	usage(stdout);
	return 0;
}

static const struct cmd *cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
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

/* Run argv[0] with its arguments; the exit status. */
static int dispatch(struct ctl *ctl, int argc, char **argv)
{
	int err;

	ctl->cmd = cmd_find(argv[0]);
	if (!ctl->cmd) {
		log_warnx("unknown command '%s' (siplbctl --help lists them)",
			  argv[0]);
		return CLI_EXIT_USAGE;
	}
	argc = take_trailing_json(ctl, argc - 1, argv + 1);
	argv++;
	if (argc < ctl->cmd->min_args || argc > ctl->cmd->max_args) {
		log_warnx("%s: %s arguments", ctl->cmd->name,
			  argc < ctl->cmd->min_args ? "missing" : "too many");
		usage_error(ctl);
		return CLI_EXIT_USAGE;
	}
	err = ctl->cmd->run(ctl, argc, argv);
	if (err == -EUSAGE)
		return CLI_EXIT_USAGE;
	return err ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static const struct option long_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	struct ctl ctl = {
		.pin_dir = getenv("SIPLB_PIN_DIR"),
		.socket = getenv("SIPLB_SOCKET"),
	};
	enum log_level level = LOG_LEVEL_INFO;
	int opt;

	if (!ctl.pin_dir || !*ctl.pin_dir)
		ctl.pin_dir = SIPLB_PIN_DIR_DEFAULT;
	if (!ctl.socket || !*ctl.socket)
		ctl.socket = CONTROL_SOCKET_DEFAULT;
	/* '+': stop at the command, whose own options (--weight) are its. */
	while ((opt = getopt_long(argc, argv, "+P:S:jvh", long_options,
				  NULL)) != -1) {
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
			return CLI_EXIT_OK;
		case 'V':
			cli_print_version(stdout, "siplbctl");
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	log_init("siplbctl", level);
	if (optind >= argc) {
		log_warnx("which command?");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	return dispatch(&ctl, argc - optind, argv + optind);
}
