/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * config.h - siplbd's configuration file (etc/siplb.conf documents the
 * format), parsed and validated in full into one struct before the daemon
 * does anything privileged, in the manner of relayd's parse.y: `siplbd -n`
 * is conf_load() and nothing else.
 *
 * The parser is pure: it reads the one file it is given and writes only the
 * struct it returns. Paths it finds (the users file, the pin directory, the
 * control socket) are stored, never opened.
 *
 * Errors: the return value is 0 or -errno (-EINVAL for anything wrong in
 * the text, -ENOMEM, or the errno of opening/reading the file), and err
 * receives one line without a newline:
 *
 *	FILE:LINE: what is wrong		(a line of the file)
 *	FILE:0: what is missing			(a required directive is absent)
 *	FILE: can't read: strerror		(the file itself)
 *
 * Only the first error is reported: later ones are often its echoes.
 */
#ifndef SIPLB_CONFIG_H
#define SIPLB_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/un.h>
#include <linux/types.h>

#include "status_set.h"
#include "control_proto.h"
#include "lb_attach.h"
#include "digest.h"
#include "digest_policy.h"
#include "endpoint.h"
#include "siplb_maps.h"
#include "siplb_location.h"
#include "siplb_guard.h"

#define CONF_MAX_INTERFACES	8
#define CONF_LINE_MAX		1024	/* lines are shorter (newline aside) */
#define CONF_FILE_MAX		(1 << 20)	/* a config is not a megabyte */
#define CONF_SOCKET_MAX		sizeof(((struct sockaddr_un *)0)->sun_path)
#define CONF_REALM_MAX		128	/* bytes, NUL included */
#define CONF_NODE_MAX		64	/* cluster node name, NUL included */
#define CONF_SECRET_MIN		32	/* cluster secret bytes: 256 bits */
#define CONF_SECRET_MAX		1024

/* Defaults: what a directive (or its whole block) left out means. */
#define CONF_DEFAULT_CONTROL_SOCKET	CONTROL_SOCKET_DEFAULT
#define CONF_DEFAULT_EXPIRES		3600
#define CONF_DEFAULT_MIN_EXPIRES	60
#define CONF_DEFAULT_MAX_EXPIRES	7200
#define CONF_DEFAULT_MAX_CONTACTS	10
#define CONF_DEFAULT_MAX_BINDINGS	SIPLB_LOCATION_SIZE
#define CONF_DEFAULT_NONCE_LIFETIME	300
#define CONF_DEFAULT_BLOCK_THRESHOLD	5
#define CONF_DEFAULT_BLOCK_WINDOW	60
#define CONF_DEFAULT_BLOCK_TIME		600
#define CONF_DEFAULT_HEALTH_INTERVAL	2
#define CONF_DEFAULT_HEALTH_TIMEOUT	1
#define CONF_DEFAULT_DOWN_AFTER		3
#define CONF_DEFAULT_UP_AFTER		2
#define CONF_DEFAULT_RETRY_AFTER_MAX	300	/* s */
#define CONF_DEFAULT_PASSIVE_SILENCE	1000	/* ms */
#define CONF_DEFAULT_PASSIVE_MIN_REQ	5
#define CONF_DEFAULT_PASSIVE_SHARE	50	/* % */
#define CONF_DEFAULT_PASSIVE_WINDOW	2000	/* ms */
#define CONF_PASSIVE_MS_MIN		100	/* the passive check's period */
#define CONF_PASSIVE_MS_MAX		60000
#define CONF_DEFAULT_STATE_INTERVAL	10	/* s between state-file writes */

/* Ranges, inclusive (etc/siplb.conf says why each is what it is). */
#define CONF_AFFINITY_MAX	(1U << 26)
#define CONF_EXPIRES_MAX	0x7fffffffU	/* 2^31-1: fits a signed int */
#define CONF_BINDINGS_MAX	(1U << 24)
#define CONF_SECONDS_MAX	86400		/* a day: nonce, block window */
#define CONF_THRESHOLD_MAX	1000
#define CONF_HEALTH_SECONDS_MAX	3600
#define CONF_HEALTH_COUNT_MAX	100

struct conf_backend {
	struct siplb_endpoint ep;
	__u32 weight;		/* 1..SIPLB_WEIGHT_MAX */
	unsigned int line;	/* where it is configured, for messages */
};

struct conf_vip {
	struct siplb_endpoint ep;
	struct conf_backend *backends;	/* at least one, same family as ep */
	size_t nbackends;
	unsigned int line;
};

/* The policy block: who may send new requests through the workers
 * (docs/SECURITY.md "Routing policy"). */
enum conf_relay {
	CONF_RELAY_OFF,			/* nothing leaves for elsewhere */
	CONF_RELAY_AUTHENTICATED,	/* from local users and trunks */
};

enum conf_inbound {
	CONF_INBOUND_FROM_ANYONE,	/* calls from outside to our users */
	CONF_INBOUND_AUTHENTICATED,	/* only our users call ours */
};

#define CONF_ALIAS_NAME_MAX	64	/* bytes, NUL included */
#define CONF_ALIASES_MAX	4096

/* `alias USER ALIAS...`: one pair per alias. */
struct conf_alias {
	char user[CONF_ALIAS_NAME_MAX];
	char alias[CONF_ALIAS_NAME_MAX];
	unsigned int line;
};

/* `worker NAME { ... }`: what `siplb-worker -c FILE -n NAME` runs with,
 * so that a unit (siplb-worker@NAME.service) carries no command line. */
#define CONF_WORKER_NAME_MAX	64	/* bytes, NUL included */
#define CONF_WORKER_HOST_MAX	256	/* record-route HOST:PORT, domain */
#define CONF_WORKERS_MAX	64
#define CONF_RING_TIMEOUT_MAX	86400	/* seconds, as -C */
#define CONF_FORK_GROUP_MAX	86400	/* seconds, as -G */
#define CONF_REDIRECTS_MAX	8	/* 3xx followed per call, as -F */
#define CONF_TRANSACTIONS_MAX	(1U << 24)	/* as -t */

struct conf_worker {
	char name[CONF_WORKER_NAME_MAX];	/* [A-Za-z0-9_.-]+ */
	char listen[ENDPOINT_STRLEN];		/* as given: -l */
	struct siplb_endpoint listen_ep;	/* parsed, for uniqueness */
	char domain[CONF_WORKER_HOST_MAX];	/* -d, required */
	char record_route[CONF_WORKER_HOST_MAX];	/* -r; "": none */
	char send_from[ENDPOINT_STRLEN];	/* -s; "": the default */
	__u32 ring_timeout;		/* -C seconds; 0: the default */
	__u32 max_transactions;		/* -t; 0: the default */
	__u32 fork_group_timeout;	/* -G seconds; 0 is a value: */
	bool fork_group_timeout_set;	/* ... given at all */
	__u32 max_redirects;		/* -F; 0: relay 3xx (the default) */
	unsigned int line;
};

/* A trunk prefix of the guard block, as the siplb_trunks key. */
struct conf_trunk {
	struct siplb_trunk_key key;
	unsigned int line;
};

/* event-server PACKAGE ADDR:PORT: where the workers send SUBSCRIBE and
 * PUBLISH of that event package (user/siplb-worker/events.h). */
#define CONF_EVENT_SERVERS_MAX	16
#define CONF_EVENT_PACKAGE_MAX	64	/* bytes, NUL included */

struct conf_event_server {
	char package[CONF_EVENT_PACKAGE_MAX];
	struct siplb_endpoint server;
	unsigned int line;
};

struct siplb_conf {
	char *path;			/* the config file, as given */
	char pin_dir[PATH_MAX];
	char interfaces[CONF_MAX_INTERFACES][IFNAMSIZ];
	size_t ninterfaces;		/* 0: adopt an `ip link` attachment */
	enum attach_mode xdp_mode;
	bool xdp_replace;		/* replace another XDP program */
	bool metrics_on;		/* `metrics ADDR:PORT` given */
	struct siplb_endpoint metrics;	/* where /metrics is served */
	__u32 affinity_size;
	char control_socket[CONF_SOCKET_MAX];
	char state_path[PATH_MAX];	/* "": no state file */
	__u32 state_interval;		/* seconds, at most one write per */
	char realm[CONF_REALM_MAX];
	char users_path[PATH_MAX];	/* relative ones joined to path's dir */
	struct conf_event_server event_servers[CONF_EVENT_SERVERS_MAX];
	size_t nevent_servers;
	/* The Record-Route token key of the workers (siplb-worker -k);
	 * "": none. Checked (readable, 16..4096 bytes) when parsed. */
	char dialog_secret_path[PATH_MAX];
	struct conf_vip *vips;		/* 1..SIPLB_MAX_VIPS, in file order */
	size_t nvips;
	struct {
		__u32 default_expires, min_expires, max_expires;
		__u32 max_contacts, max_bindings;
	} registrar;
	struct {
		__u32 nonce_lifetime;
		__u32 block_threshold, block_window, block_time;
		/* `algorithms` and `user-agent-algorithms` */
		struct digest_policy digest;
		/* xdp-challenge on|off: XDP answers REGISTERs without
		 * credentials and checks nonces (bpf/cookie.bpf.h) */
		bool xdp_challenge;
	} auth;
	struct {
		__u32 interval, timeout, down_after, up_after;
		struct status_set alive;	/* alive-codes */
		__u32 retry_after_max;		/* s: cap on a 503's back-off */
		bool passive;			/* passive on|off */
		__u32 passive_silence;		/* ms without a response */
		__u32 passive_min_requests;	/* ...while this many came */
		__u32 passive_error_share;	/* %: 500/503 per request */
		__u32 passive_window;		/* ms: the share's window */
	} health;
	struct {
		/* per enum siplb_method_class; rate 0: unlimited */
		struct siplb_budget_conf budget[SIPLB_METHOD_CLASSES];
		struct siplb_budget_conf registered;	/* registered-budget */
		bool strict;		/* strict-dialogs on */
		bool block_scanners;	/* block-scanners on */
		/* the built-in signatures and any `scanner` lines */
		char scanners[SIPLB_SCANNER_MAX][SIPLB_SCANNER_LEN + 1];
		size_t nscanners;
		struct conf_trunk *trunks;
		size_t ntrunks;
	} guard;
	struct {
		bool caller_auth;		/* default on */
		enum conf_relay relay;		/* default off */
		enum conf_inbound inbound;	/* default from-anyone */
		struct conf_alias *aliases;
		size_t naliases;
	} policy;
	struct conf_worker *workers;	/* in file order */
	size_t nworkers;
	/*
	 * The cluster block (docs/ARCHITECTURE.md "Beyond one host"): absent,
	 * siplbd runs alone as it always did. The secret is read by
	 * conf_load() (conf_parse_buffer() stays pure and leaves it empty);
	 * cluster_keys.h derives the shared keys from it.
	 */
	struct {
		bool enabled;			/* a cluster block was given */
		char node[CONF_NODE_MAX];	/* this node's name */
		char secret_path[PATH_MAX];
		unsigned int secret_line;	/* of secret-file, for messages */
		unsigned char secret[CONF_SECRET_MAX];
		size_t secret_len;		/* 0 until conf_load() reads it */
		bool redis;			/* a redis line was given */
		struct siplb_endpoint redis_ep;
	} cluster;
};

/* What `block-scanners on` blocks: User-Agent prefixes (docs/SECURITY.md). */
extern const char *const conf_builtin_scanners[];
extern const size_t conf_nbuiltin_scanners;

int conf_load(const char *path, struct siplb_conf **out, char *err,
	      size_t errlen);
int conf_parse_buffer(const char *name, const char *text, size_t len,
		      struct siplb_conf **out, char *err, size_t errlen);
void conf_free(struct siplb_conf *conf);
/* The worker section called name, or NULL. */
const struct conf_worker *conf_find_worker(const struct siplb_conf *conf,
					   const char *name);
/* Every directive's keyword, one per line, in the parser's table order
 * (siplbd --list-directives: the man page test checks each is there). */
void conf_print_directives(FILE *out);
/* Read conf->cluster.secret from secret_path (conf_load() calls it). */
int conf_read_cluster_secret(struct siplb_conf *conf, char *err,
			     size_t errlen);
const char *conf_xdp_mode_name(enum attach_mode mode);

#endif /* SIPLB_CONFIG_H */
