// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * control.c - siplbd's end of the control socket (control.h); the
 * protocol and the client are user/lib/control_proto.c.
 *
 * Changes to backends made here go through the same lb_table functions as
 * the configuration, so a drained backend leaves the Maglev table the same
 * way whoever asked. The configuration stays the source of truth: a reload
 * makes the backends match it again (drain/down states are kept).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include "control.h"
#include "control_proto.h"
#include "daemon.h"
#include "endpoint.h"
#include "lb_table.h"
#include "log.h"
#include "nonce.h"
#include "users.h"

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

int control_open(const char *path)
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

static void json_counters(FILE *out, struct siplbd *d)
{
	struct nonce_replay_stats nr;
	const struct registrar_stats *rs = &d->reg.stats;
	const struct daemon_stats *ds = &d->stats;

	nonce_replay_stats(d->reg.replay, &nr);
	fprintf(out, "{\"daemon\":{");
#define JSON_FIELD(name, help) fprintf(out, "\"%s\":%llu,", #name, \
				       (unsigned long long)ds->name);
	DAEMON_STATS(JSON_FIELD)
#undef JSON_FIELD
	fprintf(out, "\"users\":%zu},\"registrar\":{", users_count(d->users));
#define JSON_FIELD(name, help) fprintf(out, "\"%s\":%llu,", #name, \
				       (unsigned long long)rs->name);
	REGISTRAR_STATS(JSON_FIELD)
#undef JSON_FIELD
	fprintf(out, "\"nonce_replays\":%llu},",
		(unsigned long long)nr.replayed);
	fprintf(out, "\"auth_guard\":{\"failures\":%llu,\"blocks\":%llu},",
		(unsigned long long)d->guard.failures,
		(unsigned long long)d->guard.blocks);
	fprintf(out, "\"slow_path\":{\"forwarded\":%llu,\"no_backend\":%llu,"
		"\"errors\":%llu},",
		(unsigned long long)d->slow.forwarded,
		(unsigned long long)d->slow.no_backend,
		(unsigned long long)d->slow.errors);
	fprintf(out, "\"health\":{\"probes\":%llu,\"answers\":%llu,"
		"\"misses\":%llu,\"marked_unhealthy\":%llu,\"marked_up\":%llu}}\n",
		(unsigned long long)d->health.probes,
		(unsigned long long)d->health.answers,
		(unsigned long long)d->health.misses,
		(unsigned long long)d->health.marked_unhealthy,
		(unsigned long long)d->health.marked_up);
}

static int backend_command(struct siplbd *d, char **w, int n, const char **why)
{
	struct siplb_endpoint vip, be;
	__u32 weight = 1;
	int err;

	if (n < 4 || endpoint_parse(w[2], &vip) || endpoint_parse(w[3], &be)) {
		*why = "usage: backend add|del|up|drain|down|weight VIP BACKEND [N]";
		return -EINVAL;
	}
	if (!strcmp(w[1], "weight") || (!strcmp(w[1], "add") && n == 6)) {
		char *end;
		unsigned long v = strtoul(w[n - 1], &end, 10);

		if (*end || v < 1 || v > 1000) {
			*why = "weight must be 1..1000";
			return -EINVAL;
		}
		weight = v;
	}
	if (!strcmp(w[1], "add"))
		err = lb_backend_add(&d->maps, &vip, &be, weight);
	else if (!strcmp(w[1], "del"))
		err = lb_backend_del(&d->maps, &vip, &be);
	else if (!strcmp(w[1], "weight") && n == 5)
		err = lb_backend_set_weight(&d->maps, &vip, &be, weight);
	else if (!strcmp(w[1], "up"))
		err = lb_backend_set_state(&d->maps, &vip, &be,
					   SIPLB_BACKEND_UP);
	else if (!strcmp(w[1], "drain"))
		err = lb_backend_set_state(&d->maps, &vip, &be,
					   SIPLB_BACKEND_DRAINING);
	else if (!strcmp(w[1], "down"))
		err = lb_backend_set_state(&d->maps, &vip, &be,
					   SIPLB_BACKEND_DOWN);
	else {
		*why = "unknown backend command";
		return -EINVAL;
	}
	if (err)
		*why = strerror(-err);
	else
		log_info("control: backend %s %s %s", w[1], w[2], w[3]);
	return err;
}

/* Run one request line; the reply goes to out. */
static void execute(struct siplbd *d, char *line, FILE *out)
{
	const char *why = "unknown command";
	char *w[8], *save = NULL, *tok, reason[CONTROL_LINE_MAX / 2];
	int n = 0, err = -EINVAL;

	for (tok = strtok_r(line, " \t\r\n", &save); tok && n < 8;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = tok;
	if (n == 1 && !strcmp(w[0], "stats")) {
		fprintf(out, "ok\n");
		json_counters(out, d);
		return;
	}
	if (n == 1 && !strcmp(w[0], "reload")) {
		err = daemon_reload(d, reason, sizeof(reason));
		why = reason;
	} else if (n >= 2 && !strcmp(w[0], "backend")) {
		err = backend_command(d, w, n, &why);
	}
	if (err)
		fprintf(out, "error: %s\n", why);
	else
		fprintf(out, "ok\n");
}

void control_serve(struct siplbd *d, int listen_fd)
{
	struct timeval tv = { .tv_sec = 1 };
	char line[CONTROL_LINE_MAX];
	FILE *f;
	int fd;

	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/* A client that connects and says nothing must not stall us. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	f = fdopen(fd, "r+");
	if (!f) {
		close(fd);
		return;
	}
	if (fgets(line, sizeof(line), f)) {
		fseek(f, 0, SEEK_CUR);	/* switch the stream to writing */
		execute(d, line, f);
	}
	fclose(f);
}
