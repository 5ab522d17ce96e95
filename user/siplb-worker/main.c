// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * siplb-worker - the backend worker of siplb: a transaction-stateful SIP
 * proxy over UDP (proxy.c) that routes calls to the contacts siplbd
 * registered, read from the pinned siplb_location map.
 *
 *	siplb-worker -l ADDR:PORT -P PINDIR -d DOMAIN [-r HOST:PORT -k FILE]
 *		     [-c CONFIG] [-T PREFIX]... [-s ADDR:PORT|off]
 *		     [-u USERS_FILE] [-R REALM]
 *		     [-C SECONDS] [-G SECONDS] [-F MAX] [-t MAX] [-v]
 *	siplb-worker -c CONFIG -n NAME [-f] [options as above]
 *
 * With -n, the listen address, domain, Record-Route and the rest come
 * from siplb.conf's `worker NAME` block (worker_conf.h), so that a unit
 * (siplb-worker@NAME.service) carries no command line; options given
 * override the block. A worker started so is a service: it logs to syslog
 * unless -f (foreground) keeps it on stderr, and tells systemd it is ready
 * (sd_notify) once its sockets are open. It never forks.
 *
 * It listens on its backend address (the balancer steers every message of
 * a call there by Call-ID), Record-Routes through -r (the VIP) so that
 * in-dialog requests come back through the balancer, sends to clients from
 * the VIP itself (-s, by default -r's address: vip_source.h), and runs one
 * single-threaded event loop (evloop.h): the SIP socket, a 50 ms tick for
 * the transaction timers, and signals (SIGHUP reloads the users file,
 * SIGUSR1 prints the counters; SIGINT/SIGTERM print them and exit).
 *
 * Three pinned maps are opened: siplb_location and its index siplb_aors,
 * only read (the worker never writes a binding), and siplb_workers, where
 * the worker publishes its counters under its listen address once a
 * second and when it stops (`siplbctl workers`). Once a second it also checks that the pins still
 * name the maps it holds, and follows them if they were made anew.
 *
 * The users file (-u, or siplb.conf's `users`), the one siplbd reads,
 * authenticates callers: the routing policy (caller_auth.h) is
 * siplb.conf's policy block and guard trunks with -c, and the same secure
 * defaults without (caller-auth on, relay off, inbound from-anyone, no
 * trunk); -T adds trunk prefixes. Caller authentication cannot work
 * without a users file, so the worker refuses to start without one
 * unless siplb.conf says `caller-auth off`. -u and -R override -c. A
 * stranger and a user with no binding now both get 480 (no enumeration;
 * the counters tell them apart).
 *
 * The Record-Route key (-k, siplb.conf's dialog-secret-file) is the one
 * every worker shares: a dialog set up through one worker goes on through
 * any other (rr_token.h). It is required with -r: a per-process key
 * would make the other workers refuse the dialog's BYE.
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
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "caller_auth.h"
#include "service.h"
#include "cli.h"
#include "config.h"
#include "endpoint.h"
#include "evloop.h"
#include "lb_maps.h"
#include "log.h"
#include "proxy.h"
#include "rr_token.h"
#include "siplb.skel.h"
#include "udp_batch.h"
#include "users.h"
#include "overload.h"
#include "vip_source.h"
#include "worker_conf.h"

#define WORKER_MAX_CONTACTS	10
/* Transactions linger 32 s after their last message (RFC 3261 Timers J,
 * K, L), about 64 records per call/s; 1M serves some 16,000 calls/s. The
 * table is virtual memory until used (txn_table.c). */
#define WORKER_MAX_TXNS		(1 << 20)
#define WORKER_TICK_MS		50
#define WORKER_RCVBUF		(4 << 20)
#define WORKER_BATCH		64
/* Counters go out every 250 ms: siplbd reads a worker's responses for its
 * passive failure detection (user/siplbd/passive.c). */
#define WORKER_PUBLISH_TICKS	(250 / WORKER_TICK_MS)
#define WORKER_FOLLOW_TICKS	(1000 / WORKER_TICK_MS)	/* once a second */

struct worker {
	int sip_fd, location_fd, aors_fd, workers_fd;
	struct vip_source vip;	/* the socket clients are sent to from */
	char location_pin[PATH_MAX], aors_pin[PATH_MAX];
	char workers_pin[PATH_MAX];
	struct evloop loop;
	bool loop_ready;
	unsigned int ticks;
	bool overloaded;	/* overload.h: no new calls, please */
	uint64_t started_at;
	const char *users_path;
	struct users *users;
	struct siplb_conf *conf;	/* -c, or NULL */
	struct caller_auth auth;
	bool auth_ready;
	/* Trunk prefixes: the config's, then -T's. */
	struct siplb_trunk_key trunks[SIPLB_TRUNKS_SIZE];
	size_t ntrunks;
	struct secret rr_key;
	struct proxy_events events;	/* -e, then siplb.conf's */
};

static struct proxy proxy;	/* large: buffers inside */
/*
 * Datagrams in by recvmmsg; what handling a batch sends is queued and
 * leaves by sendmmsg when the batch is done (udp_batch.h), over whichever
 * socket each datagram needs (the VIP source or the backend address), in
 * the order it was produced. Timers send at once (batching false).
 */
static struct udp_rxq rxq;
static struct udp_txq txq;
static bool batching;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: siplb-worker -l ADDR:PORT -P PINDIR -d DOMAIN "
		"[-r HOST:PORT -k FILE] [-c CONFIG]\n"
		"                    [-T PREFIX]... [-s ADDR:PORT|off] "
		"[-u USERS_FILE] [-R REALM]\n"
		"                    [-C SECONDS] [-G SECONDS] [-F MAX] "
		"[-t MAX_TXNS]\n"
		"                    [-e PACKAGE=ADDR:PORT]... [-v]\n"
		"       siplb-worker -c CONFIG -n NAME [-f] [options]\n"
		"  -n NAME        take -l, -d, -r, -s, -C and -t from CONFIG's\n"
		"                 `worker NAME` block (options given override\n"
		"                 it); log to syslog unless -f\n"
		"  -f, --foreground  with -n: log to stderr, not syslog\n"
		"  -l ADDR:PORT   listen here (the backend address)\n"
		"  -P PINDIR      pin directory of siplb's maps (siplb_location;\n"
		"                 default with -c: its pin-dir)\n"
		"  -d DOMAIN      the domain of the registered AORs\n"
		"  -r HOST:PORT   Record-Route through this address (the VIP); a\n"
		"                 host name is looked up once, at start-up\n"
		"  -k FILE        the Record-Route token key every worker shares\n"
		"                 (siplb.conf's dialog-secret-file; needed with -r)\n"
		"  -c CONFIG      siplb.conf: its users, realm, auth, guard trunks\n"
		"                 and policy block (default: caller-auth on,\n"
		"                 relay off, inbound from-anyone, no trunk)\n"
		"  -T PREFIX      a trunk: ADDRESS[/LEN] whose requests need no\n"
		"                 caller authentication (as siplb.conf's trunk)\n"
		"  -s ADDR:PORT   send to clients from this address (default:\n"
		"                 -r's, the VIP), so that every IP fragment of\n"
		"                 a large message comes from the VIP; needs\n"
		"                 CAP_NET_ADMIN (IP_TRANSPARENT) unless the\n"
		"                 address is this host's. The listen interface's\n"
		"                 network and the VIP itself still get the\n"
		"                 backend address. off: always the backend\n"
		"                 address (the balancer's SNAT rewrites it)\n"
		"  -u FILE        siplbd's users file: authenticates callers (407);\n"
		"                 480 for a user with no binding, known or not;\n"
		"                 required unless caller-auth off\n"
		"  -R REALM       the realm of the users in FILE (default: the\n"
		"                 config's realm, else DOMAIN)\n"
		"  -C SECONDS     ring at most this long, then CANCEL and answer\n"
		"                 408 (Timer C; default %u, at least %u)\n"
		"  -G SECONDS     the phones of a user's highest q ring this\n"
		"                 long, then are CANCELled for the next q\n"
		"                 (default %u; 0: only once all failed)\n"
		"  -F MAX         follow up to MAX 3xx per call to our users\n"
		"                 (default 0: relay them; at most %u)\n"
		"  -t MAX_TXNS    transaction table size (default %u)\n"
		"  -e PKG=ADDR:PORT  SUBSCRIBE/PUBLISH of event package PKG go\n"
		"                 to this server (repeatable); a package with no\n"
		"                 server is answered 489 Bad Event\n"
		"  -v             verbose (debug) logging\n"
		CLI_HELP_TAIL
		"ADDR: IPV4 or [IPV6]\n",
		PROXY_TIMER_C / 1000, PROXY_TIMER_C_MIN / 1000,
		PROXY_GROUP_TIMER / 1000, CONF_REDIRECTS_MAX,
		WORKER_MAX_TXNS);
}

static const struct option long_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "foreground", no_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void now_of(struct proxy_now *now)
{
	now->mono_ms = clock_ms(CLOCK_MONOTONIC);
	now->real_s = clock_ms(CLOCK_REALTIME) / 1000;
}

/* The pinned maps a worker uses, by the names the skeleton gives. */
static int open_maps(struct worker *w, const char *pin_dir)
{
	struct siplb *skel;
	int err;

	skel = siplb__open();
	if (!skel)
		return -errno;
	snprintf(w->location_pin, sizeof(w->location_pin), "%s/%s", pin_dir,
		 bpf_map__name(skel->maps.siplb_location));
	snprintf(w->aors_pin, sizeof(w->aors_pin), "%s/%s", pin_dir,
		 bpf_map__name(skel->maps.siplb_aors));
	snprintf(w->workers_pin, sizeof(w->workers_pin), "%s/%s", pin_dir,
		 bpf_map__name(skel->maps.siplb_workers));
	err = lb_map_open(pin_dir, skel->maps.siplb_location, &w->location_fd);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_aors, &w->aors_fd);
	if (!err)
		err = lb_map_open(pin_dir, skel->maps.siplb_workers,
				  &w->workers_fd);
	siplb__destroy(skel);
	if (err)
		log_warnx("(from a network namespace, run the worker with "
			  "nsenter --net, not ip netns exec: that hides "
			  "/sys/fs/bpf)");
	return err;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/*
 * Follow a map that was made anew under the same pin (siplbctl unpin and
 * a new siplbd, or a start from the state file after a reboot): an fd
 * keeps the old map alive, and its bindings would never change again.
 * While the pin is missing (siplbd re-creating the maps), keep the old.
 */
static void follow_pin(const char *pin, int *fd, const char *what)
{
	int fresh = bpf_obj_get(pin);
	__u32 old_id, new_id;

	if (fresh < 0)
		return;
	old_id = map_id(*fd);
	new_id = map_id(fresh);
	if (!new_id || new_id == old_id) {
		close(fresh);
		return;
	}
	log_info("%s %s was made anew (map id %u, was %u): following it",
		 what, pin, new_id, old_id);
	close(*fd);
	*fd = fresh;
}

static void follow_maps(struct worker *w)
{
	follow_pin(w->location_pin, &w->location_fd, "the location map");
	proxy.loc.bindings_fd = w->location_fd;
	follow_pin(w->aors_pin, &w->aors_fd, "the AOR index");
	proxy.loc.aors_fd = w->aors_fd;
	follow_pin(w->workers_pin, &w->workers_fd, "the counters map");
}

/* Publish the counters under our listen address (siplbctl workers). */
static void publish(struct worker *w, enum siplb_worker_state state)
{
	struct siplb_worker_stats st = {
		.pid = (__u32)getpid(),
		.state = state,
		.transactions = proxy.txns.used,
		.pending = proxy_pending(&proxy),
		.started_at = w->started_at,
		.updated_at = clock_ms(CLOCK_REALTIME) / 1000,
		.c = proxy.stats,
	};

	if (bpf_map_update_elem(w->workers_fd, &proxy.self.addr, &st,
				BPF_ANY))
		log_debug("publishing counters: %s", strerror(errno));
}

static void warn_realm(void *ctx, unsigned int line, const char *user,
		       const char *realm)
{
	struct worker *w = ctx;

	log_warnx("%s:%u: user '%s' is of realm '%s', not '%s': ignored",
		  w->users_path, line, user, realm, proxy.realm);
}

/* (Re)read the users file; on error keep the list we have. */
static int load_users(struct worker *w)
{
	struct users *db;
	char err[256];

	if (!w->users_path)
		return 0;
	if (users_load(w->users_path, &db, err, sizeof(err))) {
		log_warnx("%s%s", err, w->users ? "; keeping the old list" : "");
		return -EINVAL;
	}
	if (!users_check_realm(db, proxy.realm, warn_realm, w)) {
		log_warnx("%s: no user of realm '%s'%s", w->users_path,
			  proxy.realm, w->users ? "; keeping the old list" : "");
		users_free(db);
		return -EINVAL;
	}
	users_free(w->users);
	w->users = db;
	proxy.users = db;
	w->auth.users = db;
	log_info("%zu users from %s", users_count(db), w->users_path);
	return 0;
}

static int open_sip_socket(const struct siplb_endpoint *ep)
{
	int v6 = ep->family == SIPLB_AF_INET6, rcvbuf = WORKER_RCVBUF, fd;
	char text[ENDPOINT_STRLEN];
	struct sockaddr_storage ss;
	socklen_t len;

	len = endpoint_to_sockaddr(ep, &ss);
	fd = socket(v6 ? AF_INET6 : AF_INET,
		    SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		int err = -errno;

		log_warn("Couldn't listen on %s",
			 endpoint_format(ep, text, sizeof(text)));
		close(fd);
		return err;
	}
	return fd;
}

/* To a client from the VIP, to the cluster from the backend address. */
static int send_datagram(void *ctx, const char *buf, size_t len,
			 const struct siplb_endpoint *to)
{
	struct worker *w = ctx;
	struct sockaddr_storage ss;
	socklen_t sslen = endpoint_to_sockaddr(to, &ss);
	int fd = vip_source_wanted(&w->vip, to) ? w->vip.fd : w->sip_fd;

	if (batching)
		return udp_txq_add(&txq, fd, buf, len, (struct sockaddr *)&ss,
				   sslen);
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sslen) < 0)
		return -errno;
	return 0;
}

/* The VIP to send to clients from: -s ADDR:PORT, else -r's address;
 * family 0 for "off" or neither. 0 or -EINVAL. */
static int source_option(const struct proxy_self *self, const char *text,
			 struct siplb_endpoint *vip)
{
	memset(vip, 0, sizeof(*vip));
	if (text && !strcmp(text, "off"))
		return 0;
	if (!text) {
		if (self->has_rr)
			*vip = self->rr;
		return 0;
	}
	if (endpoint_parse(text, vip) || vip->family != self->addr.family)
		return -EINVAL;
	return 0;
}

static int open_vip_source(struct worker *w, const struct proxy_self *self,
			   const struct siplb_endpoint *vip)
{
	char vip_text[ENDPOINT_STRLEN], net_text[64];
	int err;

	if (!vip->family)
		return 0;
	endpoint_format(vip, vip_text, sizeof(vip_text));
	err = vip_source_open(&w->vip, vip, &self->addr);
	if (err) {
		log_warnx("Couldn't send from the VIP %s: %s (%s)", vip_text,
			  strerror(-err), err == -EPERM ?
			  "IP_TRANSPARENT needs CAP_NET_ADMIN; or put the VIP "
			  "on this host's lo, or give -s off to leave the "
			  "source to the balancer's SNAT" :
			  "give -s off to leave the source to the balancer's "
			  "SNAT");
		return err;
	}
	log_info("sending to clients from %s%s; to %s and the VIP from %s:%u",
		 vip_text, w->vip.transparent ? " (IP_TRANSPARENT)" : "",
		 vip_source_net_text(&w->vip, net_text, sizeof(net_text)),
		 self->host, self->port);
	return 0;
}

static void on_signal(struct evloop *loop, int signo, void *arg)
{
	struct worker *w = arg;

	if (signo == SIGHUP) {
		load_users(w);
		return;
	}
	proxy_stats_print(&proxy, stderr);
	if (signo != SIGUSR1)
		evloop_stop(loop);
}

static void on_sip(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct siplb_endpoint source;
	struct proxy_now now;
	unsigned int i;
	int n, done;

	for (done = 0; done < WORKER_BATCH; done += n) {
		n = udp_rxq_recv(&rxq, fd, UDP_BATCH_MAX);
		if (n <= 0)
			return;	/* EAGAIN, or an ICMP error */
		batching = true;
		for (i = 0; i < rxq.n; i++) {
			endpoint_from_sockaddr(&rxq.from[i], &source);
			now_of(&now);
			proxy_handle(&proxy, udp_rxq_buf(&rxq, i),
				     rxq.msg[i].msg_len, &source, &now);
		}
		batching = false;
		/* Refused ones count as the sendto()s they replace did. */
		proxy.stats.send_errors += udp_txq_flush(&txq);
		if (n < UDP_BATCH_MAX)
			return;	/* drained */
	}
}

static enum siplb_worker_state running_state(const struct worker *w)
{
	return w->overloaded ? SIPLB_WORKER_OVERLOADED : SIPLB_WORKER_RUNNING;
}

/* Near the limits, or back from them? True when that changed. */
static bool check_overload(struct worker *w)
{
	struct overload_load l = {
		.txns = proxy.txns.used,
		.txn_cap = proxy.txns.cap,
	};
	bool over;

	if (overload_rx_queue(w->sip_fd, &l.rxq, &l.rcvbuf))
		l.rxq = l.rcvbuf = 0;
	over = overload_judge(w->overloaded, &l);
	if (over == w->overloaded)
		return false;
	w->overloaded = over;
	if (over)
		log_warnx("overloaded: %u of %u transactions, %u of %u bytes "
			  "queued; asking for no new calls", l.txns,
			  l.txn_cap, l.rxq, l.rcvbuf);
	else
		log_info("no longer overloaded: %u of %u transactions",
			 l.txns, l.txn_cap);
	return true;
}

static void on_tick(struct evloop *loop, uint64_t expirations, void *arg)
{
	struct worker *w = arg;
	struct proxy_now now;

	now_of(&now);
	proxy_tick(&proxy, &now);
	if (++w->ticks % WORKER_FOLLOW_TICKS == 0)
		follow_maps(w);
	if (check_overload(w) || w->ticks % WORKER_PUBLISH_TICKS == 0)
		publish(w, running_state(w));
}

/* The SIP sockets, a 50 ms tick for the transaction timers, signals.
 * Nothing is sent to the VIP socket on the worker's host, but should the
 * VIP be local here, what comes is SIP like any other. */
static int setup_events(struct worker *w)
{
	static const int signos[] = { SIGINT, SIGTERM, SIGUSR1, SIGHUP };
	int err;

	err = evloop_init(&w->loop);
	if (err)
		return err;
	w->loop_ready = true;
	err = udp_rxq_init(&rxq, PROXY_DATAGRAM_MAX + 1);
	if (!err)
		err = udp_txq_init(&txq);
	if (!err)
		err = evloop_signals(&w->loop, signos, 4, on_signal, w);
	if (!err)
		err = evloop_tick(&w->loop, WORKER_TICK_MS, on_tick, w);
	if (!err)
		err = evloop_add(&w->loop, w->sip_fd, EPOLLIN, on_sip, w);
	if (!err && w->vip.fd >= 0)
		err = evloop_add(&w->loop, w->vip.fd, EPOLLIN, on_sip, w);
	return err;
}

static void worker_close(struct worker *w)
{
	int *fds[] = { &w->sip_fd, &w->location_fd, &w->aors_fd,
		       &w->workers_fd };
	size_t i;

	if (w->loop_ready)
		evloop_free(&w->loop);
	w->loop_ready = false;
	udp_rxq_free(&rxq);	/* free(NULL) if never set up */
	udp_txq_free(&txq);
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	if (w->auth_ready)
		caller_auth_free(&w->auth);
	w->auth_ready = false;
	vip_source_close(&w->vip);
	users_free(w->users);
	w->users = NULL;
	secret_wipe(&w->rr_key);
	rr_token_forget();
	conf_free(w->conf);
	w->conf = NULL;
}

/* -c: siplb.conf, as siplbd reads it; -n: its worker block. */
static int load_config(struct worker *w, struct worker_args *a)
{
	char err[512];
	int ret = conf_load(a->conf_path, &w->conf, err, sizeof(err));

	if (ret == -EINVAL) {
		log_warnx("%s", err);	/* FILE:LINE: what is wrong */
		return ret;
	}
	if (ret) {
		log_warnx("Couldn't read the configuration %s: %s",
			  a->conf_path, ret == -EFBIG ? "file too large" :
							strerror(-ret));
		return ret;
	}
	if (worker_args_from_conf(a, w->conf)) {
		log_warnx("%s: no worker block called %s (worker %s { listen "
			  "ADDR:PORT; domain DOMAIN ... })", a->conf_path,
			  a->name, a->name);
		return -ENOENT;
	}
	return 0;
}

/* The routing policy: the config's, or the same defaults without one. */
static int setup_policy(struct worker *w, const char *realm)
{
	const struct siplb_conf *c = w->conf;
	struct caller_policy pol = {
		.caller_auth = true,
		.relay = CONF_RELAY_OFF,
		.inbound = CONF_INBOUND_FROM_ANYONE,
		.nonce_lifetime = CONF_DEFAULT_NONCE_LIFETIME,
	};
	size_t i, n = w->ntrunks;
	int err;

	if (c) {
		pol.caller_auth = c->policy.caller_auth;
		pol.relay = c->policy.relay;
		pol.inbound = c->policy.inbound;
		pol.aliases = c->policy.aliases;
		pol.naliases = c->policy.naliases;
		pol.nonce_lifetime = c->auth.nonce_lifetime;
		pol.digest = &c->auth.digest;
		if (n + c->guard.ntrunks > SIPLB_TRUNKS_SIZE)
			return -E2BIG;
		memmove(w->trunks + c->guard.ntrunks, w->trunks,
			n * sizeof(w->trunks[0]));
		for (i = 0; i < c->guard.ntrunks; i++)
			w->trunks[i] = c->guard.trunks[i].key;
		n += c->guard.ntrunks;
	}
	pol.trunks = w->trunks;
	pol.ntrunks = n;
	err = caller_auth_init(&w->auth, &pol, w->users, realm);
	if (err)
		return err;
	w->auth_ready = true;
	proxy.auth = &w->auth;
	log_info("policy: caller-auth %s, relay %s, inbound %s, %zu trunk "
		 "prefix(es), %zu alias(es)", pol.caller_auth ? "on" : "off",
		 pol.relay == CONF_RELAY_OFF ? "off" : "authenticated",
		 pol.inbound == CONF_INBOUND_FROM_ANYONE ? "from-anyone" :
							   "authenticated",
		 pol.ntrunks, pol.naliases);
	return 0;
}

/* siplb.conf's event-server lines join -e's; -e wins for a package. */
static int events_from_conf(struct proxy_events *ev,
			    const struct siplb_conf *c)
{
	char spec[CONF_EVENT_PACKAGE_MAX + ENDPOINT_STRLEN + 1];
	char addr[ENDPOINT_STRLEN];
	size_t i;
	int err;

	for (i = 0; c && i < c->nevent_servers; i++) {
		snprintf(spec, sizeof(spec), "%s=%s",
			 c->event_servers[i].package,
			 endpoint_format(&c->event_servers[i].server, addr,
					 sizeof(addr)));
		err = events_add(ev, spec);
		if (err && err != -EEXIST) {
			log_warnx("%s:%u: event-server %s: %s", c->path,
				  c->event_servers[i].line, spec,
				  strerror(-err));
			return err;
		}
	}
	return 0;
}

/* The command line into a; CLI_EXIT_OK to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct worker *w,
		      struct worker_args *a, enum log_level *level)
{
	int opt, err;
	char *end;

	while ((opt = getopt_long(argc, argv,
				  "l:P:d:r:c:n:fT:s:k:u:R:C:G:F:t:e:vh",
				  long_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			a->conf_path = optarg;
			break;
		case 'n':
			a->name = optarg;
			break;
		case 'f':
			a->foreground = true;
			break;
		case 'T':
			if (w->ntrunks == SIPLB_TRUNKS_SIZE ||
			    caller_trunk_parse(optarg, &w->trunks[w->ntrunks])) {
				fprintf(stderr, "siplb-worker: bad -T %s "
					"(ADDRESS[/LEN], host bits zero; at "
					"most %d)\n", optarg,
					SIPLB_TRUNKS_SIZE);
				return CLI_EXIT_USAGE;
			}
			w->ntrunks++;
			break;
		case 'l':
			a->listen = optarg;
			break;
		case 'P':
			a->pin_dir = optarg;
			break;
		case 'd':
			a->domain = optarg;
			break;
		case 'r':
			a->rr = optarg;
			break;
		case 's':
			a->source = optarg;
			break;
		case 'k':
			a->key = optarg;
			break;
		case 'u':
			a->users = optarg;
			break;
		case 'R':
			a->realm = optarg;
			break;
		case 'C':
			a->timer_c_s = strtoul(optarg, &end, 10);
			if (*end || a->timer_c_s < PROXY_TIMER_C_MIN / 1000 ||
			    a->timer_c_s > CONF_RING_TIMEOUT_MAX) {
				fprintf(stderr, "siplb-worker: bad -C %s (1 to "
					"86400 seconds)\n", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'G':
			a->group_s = strtoul(optarg, &end, 10);
			a->group_set = true;
			if (*end || !*optarg || a->group_s > CONF_FORK_GROUP_MAX) {
				fprintf(stderr, "siplb-worker: bad -G %s (0 to "
					"86400 seconds)\n", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'F':
			a->redirects = strtoul(optarg, &end, 10);
			a->redirects_set = true;
			if (*end || !*optarg ||
			    a->redirects > CONF_REDIRECTS_MAX) {
				fprintf(stderr, "siplb-worker: bad -F %s (0 to "
					"%u)\n", optarg, CONF_REDIRECTS_MAX);
				return CLI_EXIT_USAGE;
			}
			break;
		case 't':
			a->max_txns = strtoul(optarg, &end, 10);
			if (*end || a->max_txns == 0 ||
			    a->max_txns > (1UL << 24)) {
				fprintf(stderr, "siplb-worker: bad -t %s (1 to "
					"%lu)\n", optarg, 1UL << 24);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'e':
			err = events_add(&w->events, optarg);
			if (err) {
				fprintf(stderr, "siplb-worker: bad -e %s: %s\n",
					optarg, err == -EEXIST ?
					"package given twice" : err == -ENOSPC ?
					"too many packages" : "expected "
					"PACKAGE=ADDR:PORT");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'v':
			*level = LOG_LEVEL_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case 'V':
			cli_print_version(stdout, "siplb-worker");
			return -1;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "siplb-worker: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (a->name && !a->conf_path) {
		fprintf(stderr, "siplb-worker: -n needs -c CONFIG\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* After the config: what is still missing is a usage error. */
static bool args_complete(const struct worker_args *a)
{
	if (a->listen && a->pin_dir && a->domain)
		return true;
	if (a->name)
		fprintf(stderr, "siplb-worker: worker %s: -l, -P and -d are "
			"required (listen and domain in its block)\n",
			a->name);
	else
		fprintf(stderr, "siplb-worker: -l, -P and -d are required\n");
	usage(stderr);
	return false;
}

int main(int argc, char **argv)
{
	struct worker w = {
		.sip_fd = -1, .location_fd = -1, .aors_fd = -1,
		.workers_fd = -1,
	};
	struct worker_args a = { 0 };
	enum log_level level = LOG_LEVEL_INFO;
	struct proxy_self self;
	struct siplb_endpoint vip;
	bool proxy_up = false;
	int err, ret;
	char status[256];

	vip_source_init(&w.vip);
	ret = parse_args(argc, argv, &w, &a, &level);
	if (ret)
		return ret < 0 ? CLI_EXIT_OK : ret;
	ret = CLI_EXIT_FAILURE;
	log_init("siplb-worker", level);
	if (a.conf_path && load_config(&w, &a))
		goto cleanup;
	if (!args_complete(&a)) {
		ret = CLI_EXIT_USAGE;
		goto cleanup;
	}
	if (a.rr && !a.key) {
		fprintf(stderr, "siplb-worker: -r needs -k FILE, the Record-Route "
			"key all workers share (or -c with dialog-secret-file)\n");
		ret = CLI_EXIT_USAGE;
		goto cleanup;
	}
	w.users_path = a.users;
	if (!a.timer_c_s)
		a.timer_c_s = PROXY_TIMER_C / 1000;
	if (!a.max_txns)
		a.max_txns = WORKER_MAX_TXNS;
	if (!w.users_path && !(w.conf && !w.conf->policy.caller_auth)) {
		log_warnx("caller authentication needs the users file: give "
			  "-u FILE or -c CONFIG (or set caller-auth off in "
			  "its policy block)");
		ret = CLI_EXIT_USAGE;
		goto cleanup;
	}
	err = proxy_self_init(&self, a.listen, a.rr, a.domain);
	if (err == -EINVAL) {
		log_warnx("Bad address or domain: -l %s -r %s -d %s (-l is "
			  "ADDR:PORT, -r HOST:PORT; IPv6 as [ADDR]:PORT)",
			  a.listen, a.rr ? a.rr : "-", a.domain);
		ret = CLI_EXIT_USAGE;
		goto cleanup;
	}
	if (err) {
		log_warnx("Couldn't look up -r %s: %s", a.rr,
			  err == -ENOENT ? "no such host, or no address "
					   "of -l's family" : strerror(-err));
		goto cleanup;
	}
	if (source_option(&self, a.source, &vip)) {
		log_warnx("Bad -s %s (ADDR:PORT of -l's family, or off)",
			  a.source);
		ret = CLI_EXIT_USAGE;
		goto cleanup;
	}
	if (a.key) {
		char why[PATH_MAX + 128];

		if (secret_load(a.key, &w.rr_key, why, sizeof(why))) {
			log_warnx("Couldn't read the Record-Route key: %s", why);
			goto cleanup;
		}
	}
	/* A service (-n) logs to syslog from here on, as siplbd does. */
	if (a.name && !a.foreground)
		log_to_syslog();
	if (open_maps(&w, a.pin_dir))
		goto cleanup;
	w.sip_fd = open_sip_socket(&self.addr);
	if (w.sip_fd < 0)
		goto cleanup;
	if (open_vip_source(&w, &self, &vip))
		goto cleanup;
	err = proxy_init(&proxy, &self, w.location_fd, WORKER_MAX_CONTACTS,
			 a.max_txns, send_datagram, &w);
	if (err) {
		log_warnx("Couldn't set up the proxy: %s", strerror(-err));
		goto cleanup;
	}
	proxy_up = true;
	proxy.loc.aors_fd = w.aors_fd;
	proxy.realm = a.realm ? a.realm : w.conf ? w.conf->realm : self.domain;
	proxy.rr_key = a.key ? &w.rr_key : NULL;
	proxy.timer_c_ms = (uint64_t)a.timer_c_s * 1000;
	proxy.group_ms = (uint64_t)(a.group_set ? a.group_s :
				    PROXY_GROUP_TIMER / 1000) * 1000;
	proxy.max_redirects = (unsigned int)a.redirects;
	if (events_from_conf(&w.events, w.conf))
		goto cleanup;
	proxy.events = w.events;
	if (load_users(&w))
		goto cleanup;
	err = setup_policy(&w, proxy.realm);
	if (err) {
		log_warnx("Couldn't set up caller authentication: %s",
			  strerror(-err));
		goto cleanup;
	}
	err = setup_events(&w);
	if (err) {
		log_warnx("Couldn't set up the event loop: %s",
			  strerror(-err));
		goto cleanup;
	}
	snprintf(status, sizeof(status), "listening on %s:%u for %s%s%s",
		 self.host, self.port, self.domain, a.name ? ", worker " : "",
		 a.name ? a.name : "");
	log_info("%s, Record-Route %s, bindings from %s, Timer C %lu s",
		 status, a.rr ? a.rr : "(none)", a.pin_dir, a.timer_c_s);
	w.started_at = clock_ms(CLOCK_REALTIME) / 1000;
	publish(&w, SIPLB_WORKER_RUNNING);
	service_ready(status);
	err = evloop_run(&w.loop);
	if (err)
		log_warnx("event loop: %s", strerror(-err));
	service_stopping();
	ret = err ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
	publish(&w, SIPLB_WORKER_STOPPED);
cleanup:
	if (proxy_up)
		proxy_free(&proxy);
	worker_close(&w);
	return ret;
}
