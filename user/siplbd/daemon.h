/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * daemon.h - siplbd's state and what the event loop asks of it.
 */
#ifndef SIPLB_DAEMON_H
#define SIPLB_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth_guard.h"
#include "cluster_store.h"
#include "config.h"
#include "control.h"
#include "evloop.h"
#include "health.h"
#include "passive.h"
#include "lb_maps.h"
#include "location.h"
#include "metrics.h"
#include "registrar.h"
#include "slowpath.h"

#define SIPLBD_CONF_DEFAULT "/etc/siplb/siplb.conf"

#define DAEMON_STATS(X)                                                       \
	X(datagrams, "datagrams received on the VIPs")                       \
	X(keepalives, "CRLFCRLF pings answered")                              \
	X(stun, "STUN binding requests answered")                             \
	X(bad_requests, "malformed requests answered 400/505")                \
	X(bad_dropped, "malformed responses and junk dropped")                \
	X(send_failures, "replies the kernel refused (sendmmsg), dropped")   \
	X(sweeps_removed, "expired bindings removed")                         \
	X(state_saves, "state-file writes")                                   \
	X(state_save_failures, "state-file writes that failed")               \
	X(state_loaded, "bindings loaded from the state file at start")

struct daemon_stats {
#define DAEMON_STAT_FIELD(name, help) __u64 name;
	DAEMON_STATS(DAEMON_STAT_FIELD)
#undef DAEMON_STAT_FIELD
};

struct siplbd;

/* A VIP's UDP socket: what the event loop hands its handler. */
struct vip_socket {
	struct siplbd *d;
	size_t vip;	/* index in conf->vips, which a reload keeps */
	int fd;
};

struct siplbd {
	char conf_path[PATH_MAX];
	struct siplb_conf *conf;
	struct users *users;
	struct lb_maps maps;
	bool maps_open;
	struct location loc;
	struct location_cursor sweep;
	struct auth_guard guard;
	struct registrar reg;
	bool reg_ready;
	struct cluster_store cluster;	/* conf->cluster.enabled only */
	bool cluster_ready;
	struct slowpath slow;
	struct health health;
	bool health_ready;
	struct passive passive;
	bool passive_ready;
	struct evloop loop;
	bool loop_ready;
	struct vip_socket sip[SIPLB_MAX_VIPS];
	size_t nsip;
	struct control ctl;
	struct metrics_server metrics;	/* `metrics ADDR:PORT`, if given */
	__u64 metrics_read_errors;
	__u64 ticks;
	bool state_ready;	/* state file loaded (or not needed): save it */
	__u64 state_saved_gen;	/* state_generation() at the last save */
	__u64 state_saved_tick;
	struct daemon_stats stats;
};

int daemon_init(struct siplbd *d, const char *conf_path);
int daemon_start(struct siplbd *d);
void daemon_tick(struct siplbd *d);
int daemon_reload(struct siplbd *d, char *why, size_t whylen);
void daemon_free(struct siplbd *d);
size_t daemon_user_count(const struct siplbd *d);

/* daemon_control.c: the operations the control socket may call. */
extern const struct control_ops daemon_control_ops;

#endif /* SIPLB_DAEMON_H */
