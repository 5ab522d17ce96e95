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
#include <sys/un.h>
#include <linux/types.h>

#include "control_proto.h"
#include "lb_attach.h"
#include "digest.h"
#include "siplb_maps.h"
#include "siplb_location.h"
#include "siplb_guard.h"

#define CONF_MAX_INTERFACES	8
#define CONF_LINE_MAX		1024	/* lines are shorter (newline aside) */
#define CONF_FILE_MAX		(1 << 20)	/* a config is not a megabyte */
#define CONF_SOCKET_MAX		sizeof(((struct sockaddr_un *)0)->sun_path)
#define CONF_REALM_MAX		128	/* bytes, NUL included */
#define CONF_NODE_MAX		64	/* cluster node name, NUL included */
#define CONF_HOST_MAX		256	/* a host name, NUL included */

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

/* A trunk prefix of the guard block, as the siplb_trunks key. */
struct conf_trunk {
	struct siplb_trunk_key key;
	unsigned int line;
};

struct siplb_conf {
	char *path;			/* the config file, as given */
	char pin_dir[PATH_MAX];
	char interfaces[CONF_MAX_INTERFACES][IFNAMSIZ];
	size_t ninterfaces;		/* 0: adopt an `ip link` attachment */
	enum attach_mode xdp_mode;
	__u32 affinity_size;
	char control_socket[CONF_SOCKET_MAX];
	char state_path[PATH_MAX];	/* "": no state file */
	__u32 state_interval;		/* seconds, at most one write per */
	char realm[CONF_REALM_MAX];
	char users_path[PATH_MAX];	/* relative ones joined to path's dir */
	struct conf_vip *vips;		/* 1..SIPLB_MAX_VIPS, in file order */
	size_t nvips;
	struct {
		__u32 default_expires, min_expires, max_expires;
		__u32 max_contacts, max_bindings;
	} registrar;
	struct {
		__u32 nonce_lifetime;
		__u32 block_threshold, block_window, block_time;
		enum digest_alg algorithms[DIGEST_ALG_COUNT];	/* offered, */
		size_t nalgorithms;			/* in this order */
	} auth;
	struct {
		__u32 interval, timeout, down_after, up_after;
	} health;
	struct {
		/* per enum siplb_method_class; rate 0: unlimited */
		struct siplb_budget_conf budget[SIPLB_METHOD_CLASSES];
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
	/*
	 * The cluster block (docs/ARCHITECTURE.md "Beyond one host"): absent,
	 * siplbd is the single node it has always been. c-steer's branch
	 * owns this block; these are the fields the Redis store needs, in
	 * the same shape, until the two are merged.
	 */
	struct {
		bool enabled;			/* a cluster block was given */
		char node[CONF_NODE_MAX];	/* this node's name */
		char secret_path[PATH_MAX];	/* the shared secret file */
		struct {
			char host[CONF_HOST_MAX];	/* "": no Redis */
			__u16 port;
		} redis;
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
const char *conf_xdp_mode_name(enum attach_mode mode);

#endif /* SIPLB_CONFIG_H */
