// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * daemon.c - siplbd's state: start-up, the datagrams XDP passes up, the
 * periodic tick and SIGHUP reload (daemon.h). Each VIP socket and the
 * control socket are handlers in the event loop (evloop.h); main.c adds
 * the signals and the tick.
 *
 * A datagram on a VIP socket is one of: a CRLFCRLF keep-alive (answered
 * with CRLF, RFC 5626 4.4.1), a STUN binding request (answered), a REGISTER
 * (the registrar), another SIP message XDP could not steer (the slow path),
 * or junk (a 400/505 where the RFC asks for one, else counted and dropped).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "lb_attach.h"
#include "control.h"
#include "cookie_apply.h"
#include "cluster_apply.h"
#include "lb_canon.h"
#include "daemon.h"
#include "endpoint.h"
#include "guard_apply.h"
#include "lb_apply.h"
#include "lb_table.h"
#include "log.h"
#include "map_journal.h"
#include "nonce.h"
#include "sip_msg.h"
#include "state_file.h"
#include "stun.h"
#include "udp_batch.h"
#include "users.h"

#define DATAGRAM_MAX	65535
#define SWEEP_EVERY	10	/* seconds between sweeps of the block map */
#define SWEEP_SLICE	65536	/* bindings visited per tick: ~25 ms */
/* Seconds from the end of one pass over the bindings to the next: a map
 * of fewer than SWEEP_SLICE bindings was walked whole every second, a few
 * percent of siplbd's CPU under registrations (scenario 3's profile). */
#define SWEEP_PASS_EVERY 10
#define VIP_RCVBUF	(8 << 20)	/* bytes: bursts of REGISTERs */

#define VIP_BATCHES	2	/* recvmmsg batches a wake-up: 64 datagrams */

static char tx_buf[DATAGRAM_MAX + 1];
/* Datagrams in by recvmmsg, replies out by sendmmsg at the end of each
 * batch (udp_batch.h): one daemon per process, like tx_buf. */
static struct udp_rxq rxq;
static struct udp_txq txq;
static bool batch_ready;
static int rx_fd;	/* the VIP socket whose batch is being handled */

static void answer_batched(void *arg, unsigned int i, const char *buf, int n);

size_t daemon_user_count(const struct siplbd *d)
{
	return d->users ? users_count(d->users) : 0;
}

static void warn_realm(void *ctx, unsigned int line, const char *user,
		       const char *realm)
{
	const struct siplb_conf *conf = ctx;

	log_warnx("%s:%u: user '%s' is of realm '%s', not '%s': that user "
		  "cannot log in", conf->users_path, line, user, realm,
		  conf->realm);
}

/* A users file with nobody of our realm: every login would fail (and
 * get the phones blocked). -EINVAL with why; warnings for the others. */
static int check_users_realm(const struct siplb_conf *conf,
			     const struct users *users, char *why,
			     size_t whylen)
{
	if (users_check_realm(users, conf->realm, warn_realm, (void *)conf))
		return 0;
	int n = snprintf(why, whylen, "%s: no user of realm '%.128s' (the "
			 "realm directive): nobody could register",
			 conf->users_path, conf->realm);

	if (n < 0 || (size_t)n >= whylen)
		snprintf(why, whylen, "the users file has no user of realm "
			 "'%.128s'", conf->realm);
	return -EINVAL;
}

/* Read and check the configuration and the users file; touch nothing. */
static int load_conf(const char *path, struct siplb_conf **conf,
		     struct users **users)
{
	char err[512];
	int ret;

	ret = conf_load(path, conf, err, sizeof(err));
	if (ret) {
		log_warnx("%s", err);
		return ret;
	}
	ret = users_load((*conf)->users_path, users, err, sizeof(err));
	if (!ret) {
		ret = check_users_realm(*conf, *users, err, sizeof(err));
		if (ret) {
			users_free(*users);
			*users = NULL;
		}
	}
	if (ret) {
		log_warnx("%s", err);
		conf_free(*conf);
		*conf = NULL;
	}
	return ret;
}

int daemon_init(struct siplbd *d, const char *conf_path)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	d->ctl.listen_fd = -1;
	for (i = 0; i < SIPLB_MAX_VIPS; i++)
		d->sip[i].fd = -1;
	/* Absolute, so that relative paths inside it survive daemon(). */
	if (!realpath(conf_path, d->conf_path)) {
		log_warn("Couldn't read the configuration %s", conf_path);
		return -errno;
	}
	return load_conf(d->conf_path, &d->conf, &d->users);
}

static void health_conf_from(const struct siplb_conf *conf,
			     struct health_conf *hc)
{
	hc->interval = conf->health.interval;
	hc->timeout = conf->health.timeout;
	hc->down_after = conf->health.down_after;
	hc->up_after = conf->health.up_after;
	hc->alive = conf->health.alive;
	hc->retry_after_max = conf->health.retry_after_max;
}

static void passive_conf_from(const struct siplb_conf *conf,
			      struct passive_conf *pc)
{
	pc->on = conf->health.passive;
	pc->silence_ms = conf->health.passive_silence;
	pc->min_requests = conf->health.passive_min_requests;
	pc->error_share = conf->health.passive_error_share;
	pc->window_ms = conf->health.passive_window;
}

/* Traffic-based detection and worker overload, on their own timer. */
static int passive_setup(struct siplbd *d)
{
	struct passive_conf pc;
	int err;

	passive_conf_from(d->conf, &pc);
	err = passive_init(&d->passive, &d->maps, d->conf->pin_dir,
			   &d->health, &pc);
	d->passive_ready = true;
	return err ? err : passive_start(&d->passive, &d->loop);
}

static void registrar_conf_from(const struct siplb_conf *conf,
				struct registrar_conf *rc)
{
	memset(rc, 0, sizeof(*rc));
	snprintf(rc->realm, sizeof(rc->realm), "%s", conf->realm);
	rc->default_expires = conf->registrar.default_expires;
	rc->min_expires = conf->registrar.min_expires;
	rc->max_expires = conf->registrar.max_expires;
	rc->max_contacts = conf->registrar.max_contacts;
	rc->nonce_lifetime = conf->auth.nonce_lifetime;
	rc->digest = conf->auth.digest;
}

/* Attach to the configured interfaces, or adopt what `ip link` attached. */
static int data_plane_start(struct siplbd *d)
{
	const struct siplb_conf *c = d->conf;
	size_t i;
	int err;

	for (i = 0; i < c->ninterfaces; i++) {
		struct attach_opts o = {
			.pin_dir = c->pin_dir,
			.ifname = c->interfaces[i],
			.mode = c->xdp_mode,
			.affinity_size = c->affinity_size,
			.location_size = c->registrar.max_bindings,
			.replace = c->xdp_replace,
		};

		err = lb_attach(&o);
		if (err)
			return err;
	}
	err = lb_maps_open(&d->maps, c->pin_dir);
	if (err) {
		if (!c->ninterfaces)
			log_warnx("No `interface` configured and no program "
				  "attached with its maps in %s: attach one "
				  "with `ip link set dev DEV xdp obj "
				  "siplb.bpf.o sec xdp` or add an interface "
				  "line", c->pin_dir);
		return err;
	}
	d->maps_open = true;
	if (!c->ninterfaces) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		log_info("adopted the XDP program whose maps are in %s",
			 c->pin_dir);
		/* `ip link` loaded siplb_xdp alone: add its challenge
		 * program, else every REGISTER would go up (logged there). */
		if (lb_progs_ensure(c->pin_dir) == -ENOENT)
			log_warnx("%s has no siplb_progs (an older siplb.bpf.o?):"
				  " REGISTERs are challenged by siplbd, not XDP",
				  c->pin_dir);
		if (!bpf_obj_get_info_by_fd(d->maps.location, &info, &len) &&
		    info.max_entries != c->registrar.max_bindings)
			log_warnx("max-bindings is %u but the adopted "
				  "siplb_location holds %u: the map's size "
				  "applies", c->registrar.max_bindings,
				  info.max_entries);
	}
	d->maps.cluster = c->cluster.enabled;
	if (c->cluster.enabled) {
		err = cluster_apply_hash_key(c, d->maps.config);
		if (!err)	/* adopted maps may hold add-order ids */
			err = lb_backends_canonicalize(&d->maps);
	} else {
		err = lb_hash_key_ensure(d->maps.config);
	}
	if (!err)
		err = lb_apply_conf(&d->maps, c);
	if (!err)
		err = guard_apply(&d->maps, c);
	return err;
}

/* A UDP socket on the VIP: REGISTER and whatever else XDP passes up. */
static int open_vip_socket(const struct siplb_endpoint *vip)
{
	int v6 = vip->family == SIPLB_AF_INET6, one = 1, fd;
	int rcvbuf = VIP_RCVBUF;
	char text[ENDPOINT_STRLEN];
	struct sockaddr_storage ss;
	socklen_t len;

	len = endpoint_to_sockaddr(vip, &ss);
	fd = socket(v6 ? AF_INET6 : AF_INET,
		    SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A burst of REGISTERs must not overflow the default buffer; FORCE
	 * goes past rmem_max (we still hold CAP_NET_ADMIN here). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* FREEBIND: the VIP may be added to the host after we start. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, v6 ? SOL_IPV6 : SOL_IP,
		       v6 ? IPV6_FREEBIND : IP_FREEBIND, &one, sizeof(one)) ||
	    (v6 && setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (struct sockaddr *)&ss, len)) {
		int err = -errno;	/* before log_warn and close touch it */

		log_warn("Couldn't listen on %s",
			 endpoint_format(vip, text, sizeof(text)));
		close(fd);
		return err;
	}
	return fd;
}

static void close_vip_sockets(struct siplbd *d)
{
	size_t i;

	for (i = 0; i < d->nsip; i++) {
		if (d->sip[i].fd >= 0) {
			evloop_del(&d->loop, d->sip[i].fd);
			close(d->sip[i].fd);
		}
		d->sip[i].fd = -1;
	}
	d->nsip = 0;
}

static void on_vip(struct evloop *loop, int fd, uint32_t events, void *arg);

/* fd becomes VIP i's socket, served by the loop. */
static int watch_vip_socket(struct siplbd *d, size_t i, int fd)
{
	d->sip[i] = (struct vip_socket){ .d = d, .vip = i, .fd = fd };
	d->nsip = i + 1;
	return evloop_add(&d->loop, fd, EPOLLIN, on_vip, &d->sip[i]);
}

static int open_vip_sockets(struct siplbd *d)
{
	size_t i;
	int fd, err;

	for (i = 0; i < d->conf->nvips; i++) {
		fd = open_vip_socket(&d->conf->vips[i].ep);
		if (fd < 0)
			return fd;
		err = watch_vip_socket(d, i, fd);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Changes to the bindings since start: every 200 to a REGISTER (most
 * change a binding) and every binding swept. A save happens only when
 * this moved, so an idle registrar does not rewrite the file.
 */
static __u64 state_generation(const struct siplbd *d)
{
	return d->reg.stats.ok + d->stats.sweeps_removed;
}

static void state_save(struct siplbd *d)
{
	struct timespec rt;
	char err[512];
	__u64 saved;
	int ret;

	clock_gettime(CLOCK_REALTIME, &rt);
	ret = state_file_save(d->conf->state_path, &d->loc, rt.tv_sec, &saved,
			      err, sizeof(err));
	d->state_saved_tick = d->ticks;
	if (ret) {
		d->stats.state_save_failures++;
		log_warnx("%s", err);
		return;
	}
	d->stats.state_saves++;
	d->state_saved_gen = state_generation(d);
	log_debug("state file %s: %llu bindings written",
		  d->conf->state_path, (unsigned long long)saved);
}

/*
 * With a state file: if siplb_location is empty (new maps: a reboot, or
 * `siplbctl unpin`), put the file's bindings back. A pinned map that
 * survived is newer than any file, so it wins. A damaged file is moved
 * aside (PATH.corrupt) so that the next save does not destroy the
 * evidence, and siplbd starts with no bindings rather than not at all.
 * Returns true if the file now matches the map (nothing to write yet).
 */
static bool state_restore(struct siplbd *d)
{
	const char *path = d->conf->state_path;
	struct state_file_counts c;
	char err[512], aside[PATH_MAX + 16];
	struct timespec rt;
	__u64 present = 0;
	int ret;

	if (!path[0])
		return false;
	d->state_ready = true;
	ret = location_count(&d->loc, &present);
	if (ret || present) {
		log_info("state file %s not read: %llu bindings in the pinned "
			 "map", path, (unsigned long long)present);
		return false;
	}
	clock_gettime(CLOCK_REALTIME, &rt);
	ret = state_file_load(path, &d->loc, rt.tv_sec, &c, err, sizeof(err));
	if (ret == -ENOENT) {
		log_info("state file %s does not exist yet: no bindings to "
			 "restore", path);
		return false;
	}
	if (ret) {
		snprintf(aside, sizeof(aside), "%s.corrupt", path);
		log_warnx("%s; starting with no bindings, the file is kept as "
			  "%s", err, aside);
		if (ret == -EINVAL && rename(path, aside))
			log_warn("Couldn't rename %s", path);
		return false;
	}
	d->stats.state_loaded = c.loaded;
	log_info("state file %s: %llu bindings restored, %llu expired, "
		 "%llu invalid, %llu did not fit (max-bindings)", path,
		 (unsigned long long)c.loaded, (unsigned long long)c.expired,
		 (unsigned long long)c.invalid, (unsigned long long)c.full);
	return true;
}

/*
 * A cluster block: bindings, nonce counts and failed logins go through
 * Redis (cluster_store.h), and the nonce secret is the cluster's, so a
 * nonce one node issues validates on every node. The local maps are the
 * mirror's to write (siplb-mirror), and a state file is not read: Redis
 * with persistence is the copy that outlives a host.
 */
static int cluster_start(struct siplbd *d)
{
	const typeof(d->conf->cluster) *cc = &d->conf->cluster;
	char host[INET6_ADDRSTRLEN] = "";
	__u16 port = ntohs(cc->redis_ep.port);
	int err;

	/* The nonce secret every node derives from the cluster secret
	 * (cluster_keys.h): a nonce one node issued validates on all. */
	err = cluster_apply_nonce_secret(d->conf, d->reg.nonces);
	if (err)
		return err;
	if (!cc->redis) {
		log_info("cluster node %s: shared keys, bindings kept on this "
			 "node (no redis line)", cc->node);
		return 0;
	}
	inet_ntop(cc->redis_ep.family == SIPLB_AF_INET6 ? AF_INET6 : AF_INET,
		  cc->redis_ep.addr, host, sizeof(host));
	cluster_store_init(&d->cluster, host, port, cc->node);
	d->cluster_ready = true;
	d->reg.cluster = &d->cluster;
	/* A batch's Redis calls in one round trip (registrar_pipe.c). */
	err = registrar_pipe_init(&d->reg, answer_batched, NULL);
	if (err)
		return err;
	if (!redis_conn_get(&d->cluster.rc))
		log_warnx("cluster: Redis at %s:%u unreachable for now: "
			  "REGISTERs get 503 until it answers", host, port);
	log_info("cluster node %s: bindings in Redis at %s:%u", cc->node,
		 host, port);
	return 0;
}

/*
 * Bindings in a siplb_location pinned by a siplb without the index
 * siplb_aors (an upgrade while the maps stayed pinned) would be invisible
 * to every reader: index them once. An empty index with bindings present
 * can only come from there, since every writer sets the bit first.
 */
static int index_upgrade(struct siplbd *d)
{
	struct siplb_aor_key ak;
	__u64 indexed = 0;
	int err;

	if (!bpf_map_get_next_key(d->loc.aors_fd, NULL, &ak))
		return 0;
	err = location_index_rebuild(&d->loc, &indexed);
	if (err) {
		log_warnx("Couldn't index siplb_location in siplb_aors: %s",
			  strerror(-err));
		return err;
	}
	if (indexed)
		log_info("siplb_aors: %llu bindings of an older siplb "
			 "indexed", (unsigned long long)indexed);
	return 0;
}

static void now_of(struct registrar_now *now);

/* Sleep until CLOCK_MONOTONIC's next whole second. */
static void wait_next_second(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec++;
	t.tv_nsec = 0;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) ==
	       EINTR)
		;
}

/*
 * Alone, siplbd draws its nonce secret at start; the pinned siplb_cookie
 * outlives it. Taking the keys back from there keeps the nonces issued
 * before a restart valid: XDP would otherwise drop every answer to them
 * as forged, and phones that refresh with their last nonce would get no
 * answer at all. The replay table starts empty, so every nonce issued
 * before the next second is refused as forgotten (stale=true, a fresh
 * nonce): none can be replayed across the restart. Nonces carry whole
 * seconds, so siplbd then waits for that second to begin (under 1 s, at
 * a restart only): a nonce XDP issues once siplbd answers is never one of
 * the refused. A cluster derives its keys.
 */
static void nonce_keys_keep(struct siplbd *d)
{
	struct siplb_cookie old;
	struct registrar_now now;
	uint64_t key[4];
	__u32 zero = 0;

	if (d->conf->cluster.enabled || d->maps.cookie < 0 ||
	    bpf_map_lookup_elem(d->maps.cookie, &zero, &old))
		return;
	if (!(old.key[0] | old.key[1] | old.key[2] | old.key[3]))
		return;		/* a new map: keep the fresh secret */
	now_of(&now);
	memcpy(key, old.key, sizeof(key));	/* __u64 and uint64_t differ */
	nonce_issuer_set_keys(d->reg.nonces, key);
	nonce_replay_forget_before(d->reg.replay, now.mono_s + 1);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(&old, sizeof(old));
	log_info("nonce keys kept from the pinned siplb_cookie: nonces "
		 "issued before this start get stale=true, not silence");
	wait_next_second();
}

/*
 * The XDP challenge program's settings (cookie_apply.h), from the
 * registrar's: at start, at reload and, when nonces are on the real-time
 * clock (a cluster with Redis), on every tick for the clock's offset.
 */
static int cookie_update(struct siplbd *d)
{
	struct cookie_conf cc = {
		.enabled = d->conf->auth.xdp_challenge,
		.realm = d->reg.conf.realm,
		.policy = &d->reg.conf.digest,
		.lifetime_s = d->reg.conf.nonce_lifetime,
		.nonces = d->reg.nonces,
		.clock_offset_ns = cookie_clock_offset(d->reg.cluster != NULL),
	};
	struct siplb_cookie v;
	int err;

	if (!d->reg_ready || d->maps.cookie < 0)
		return 0;	/* nothing to take the keys from, or to */
	err = cookie_build(&cc, &v);
	if (err)
		log_warnx("XDP challenges off: the challenge does not fit "
			  "siplb_cookie: %s", strerror(-err));
	err = cookie_apply(d->maps.cookie, &v);
	explicit_bzero(&v, sizeof(v));	/* the nonce keys */
	if (err)
		log_warnx("Couldn't write siplb_cookie: %s", strerror(-err));
	return err;
}

int daemon_start(struct siplbd *d)
{
	struct registrar_conf rc;
	struct health_conf hc;
	int err;

	err = evloop_init(&d->loop);
	if (err)
		return err;
	d->loop_ready = true;
	err = udp_rxq_init(&rxq, DATAGRAM_MAX + 1);
	batch_ready = true;	/* frees whichever was allocated */
	if (!err)
		err = udp_txq_init(&txq);
	if (err)
		return err;
	err = data_plane_start(d);
	if (err)
		return err;
	d->loc.bindings_fd = d->maps.location;
	d->loc.sources_fd = d->maps.sources;
	d->loc.aors_fd = d->maps.aors;
	d->loc.max_contacts = d->conf->registrar.max_contacts;
	err = index_upgrade(d);
	if (err)
		return err;
	err = auth_guard_init(&d->guard, d->maps.blocked,
			      d->conf->auth.block_threshold,
			      d->conf->auth.block_window,
			      d->conf->auth.block_time);
	if (err)
		return err;
	registrar_conf_from(d->conf, &rc);
	err = registrar_init(&d->reg, &rc, d->users, &d->loc, &d->guard);
	if (err)
		return err;
	d->reg_ready = true;
	if (d->conf->cluster.enabled) {
		err = cluster_start(d);
		if (err)
			return err;
		if (d->cluster_ready && d->conf->state_path[0])
			log_warnx("cluster: state-file ignored, the bindings "
				  "are Redis's");
		/* Not refused: with a return route per balancer it works. */
		if (d->conf->health.passive)
			log_warnx("cluster: passive health detection is on; "
				  "if backends reply over other balancers too, "
				  "this node sees silence and marks live "
				  "backends down on its own (set passive off; "
				  "docs/ARCHITECTURE.md, Beyond one host)");
	}
	if (!d->cluster_ready) {
		/* (__u64)-1: never matches: the first tick writes it. */
		d->state_saved_gen = state_restore(d) ? state_generation(d) :
							(__u64)-1;
	}
	d->slow.maps = &d->maps;
	health_conf_from(d->conf, &hc);
	err = health_init(&d->health, &d->maps, &hc);
	if (err)
		return err;
	d->health_ready = true;
	err = passive_setup(d);
	if (err)
		return err;
	nonce_keys_keep(d);
	err = cookie_update(d);
	if (err)
		return err;
	err = control_open(&d->ctl, d->conf->control_socket, &d->loop,
			   &daemon_control_ops, d);
	if (err)
		return err;
	if (d->conf->metrics_on) {
		err = metrics_open(&d->metrics, &d->conf->metrics, &d->loop,
				   daemon_metrics_render, d);
		if (err)
			return err;
	}
	return open_vip_sockets(d);
}

static void now_of(struct registrar_now *now)
{
	struct timespec rt, mt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	now->real_s = rt.tv_sec;
	now->mono_s = mt.tv_sec;
	now->mono_ns = mt.tv_sec * 1000000000ULL + mt.tv_nsec;
}

/* Queued: leaves with the rest of the batch's replies (flush_replies). */
static void send_to(int fd, const void *buf, size_t len,
		    const struct sockaddr_storage *to, socklen_t tolen)
{
	int err = udp_txq_add(&txq, fd, buf, len, (const struct sockaddr *)to,
			      tolen);

	if (err)
		log_debug("sendto: %s", strerror(-err));
}

static void flush_replies(struct siplbd *d)
{
	unsigned long long before = txq.failed;

	udp_txq_flush(&txq);
	d->stats.send_failures += txq.failed - before;
}

static bool is_double_crlf(const char *buf, size_t len)
{
	return len == 4 && !memcmp(buf, "\r\n\r\n", 4);
}

/* RFC 3581: what a response's top Via says about where the request came
 * from (received, rport). */
static void note_source(struct sip_msg *msg, const struct siplb_endpoint *src)
{
	sip_msg_set_source(msg, src->family == SIPLB_AF_INET6 ? AF_INET6 :
								 AF_INET,
			   src->addr, ntohs(src->port));
}

/* The registrar's answer n (registrar_handle()) to a REGISTER. */
static void answer_register(int fd, const char *buf, int n,
			    const struct sockaddr_storage *to, socklen_t tolen)
{
	if (n > 0)
		send_to(fd, buf, n, to, tolen);
	else if (n != REGISTRAR_NO_ANSWER)	/* blocked: silence */
		log_warnx("no answer to a REGISTER: %s", strerror(-n));
}

/* Cluster mode: a REGISTER of the batch in rxq, entry i, answered. */
static void answer_batched(void *arg, unsigned int i, const char *buf, int n)
{
	(void)arg;
	answer_register(rx_fd, buf, n, &rxq.from[i],
			rxq.msg[i].msg_hdr.msg_namelen);
}

/* One datagram (entry i of rxq) that arrived on the socket of VIP vip. */
static void handle_datagram(struct siplbd *d, int fd,
			    const struct siplb_endpoint *vip, unsigned int i,
			    const char *rx_buf, size_t len,
			    const struct sockaddr_storage *from,
			    socklen_t fromlen)
{
	struct siplb_endpoint source;
	struct registrar_now now;
	static struct sip_msg msg;
	int err, n;

	d->stats.datagrams++;
	endpoint_from_sockaddr(from, &source);
	if (is_double_crlf(rx_buf, len)) {
		d->stats.keepalives++;
		send_to(fd, "\r\n", 2, from, fromlen);
		return;
	}
	n = stun_binding_response(rx_buf, len, &source, tx_buf, sizeof(tx_buf));
	if (n > 0) {
		d->stats.stun++;
		send_to(fd, tx_buf, n, from, fromlen);
		return;
	}

	err = sip_msg_parse(&msg, rx_buf, len);
	if (err == -ENODATA)
		return;	/* a bare CRLF: a pong, nothing to answer */
	note_source(&msg, &source);
	if (err) {
		/* RFC 3261 8.2.1/16.3: answer a bad request; drop the rest. */
		n = -EINVAL;
		if (msg.request)
			n = sip_build_response(&msg,
					       err == -EPROTONOSUPPORT ? 505 :
									 400,
					       err == -EPROTONOSUPPORT ?
						       NULL : msg.error,
					       NULL, NULL, tx_buf,
					       sizeof(tx_buf));
		if (n > 0) {
			d->stats.bad_requests++;
			send_to(fd, tx_buf, n, from, fromlen);
		} else {
			d->stats.bad_dropped++;
		}
		return;
	}
	if (msg.request && sip_slice_eq_str(msg.method, "REGISTER")) {
		now_of(&now);
		if (d->reg.pipe) {	/* a cluster: answered by the drain */
			registrar_submit(&d->reg, &msg, &source, &now, i);
			return;
		}
		n = registrar_handle(&d->reg, &msg, &source, &now, tx_buf,
				     sizeof(tx_buf));
		answer_register(fd, tx_buf, n, from, fromlen);
		return;
	}
	slowpath_forward(&d->slow, vip, msg.call_id.p, msg.call_id.len,
			 rx_buf, len, &source);
}

/* A VIP socket is readable: batches of datagrams in, their replies out. */
static void on_vip(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct vip_socket *vs = arg;
	struct siplbd *d = vs->d;
	unsigned int i;
	int batch, n;

	/* A bounded number per wake-up keeps the other sockets served. */
	for (batch = 0; batch < VIP_BATCHES; batch++) {
		n = udp_rxq_recv(&rxq, fd, UDP_BATCH_MAX);
		if (n <= 0)
			return;	/* EAGAIN, or an ICMP error: nothing to do */
		rx_fd = fd;
		for (i = 0; i < rxq.n; i++)
			handle_datagram(d, fd, &d->conf->vips[vs->vip].ep, i,
					udp_rxq_buf(&rxq, i),
					rxq.msg[i].msg_len, &rxq.from[i],
					rxq.msg[i].msg_hdr.msg_namelen);
		/* Before the next recvmmsg reuses the datagrams. */
		registrar_pipe_drain(&d->reg);
		flush_replies(d);
		if ((unsigned int)n < UDP_BATCH_MAX)
			return;	/* drained */
	}
}

/*
 * Once a second: health checks, a slice of the bindings sweep (a whole pass
 * over a million bindings takes about 16 ticks, so the loop never stalls;
 * readers skip expired bindings meanwhile), now and then the blocks, and
 * control connections that have gone quiet.
 */
void daemon_tick(struct siplbd *d)
{
	struct registrar_now now;
	__u64 removed = 0;
	int err;

	d->ticks++;
	control_tick(&d->ctl);
	metrics_tick(&d->metrics);
	now_of(&now);
	if (d->reg.cluster)	/* the offset of the real-time clock */
		cookie_update(d);
	health_tick(&d->health, now.mono_ns / 1000000);
	err = 0;
	if (location_sweep_due(&d->sweep, now.real_s, SWEEP_PASS_EVERY))
		err = location_sweep_step(&d->loc, now.real_s, &d->sweep,
					  SWEEP_SLICE, &removed);
	if (err < 0)
		log_warnx("sweeping expired bindings failed: %s",
			  strerror(-err));
	if (d->cluster_ready) {
		/* Every node sweeps Redis: whichever gets there first
		 * removes a binding, once, and the stream says so. */
		err = cluster_store_sweep(&d->cluster, now.real_s,
					  SWEEP_SLICE, &removed);
		if (err)
			log_debug("sweeping Redis: %s", strerror(-err));
	}
	d->stats.sweeps_removed += removed;
	if (removed)
		log_debug("swept %llu expired bindings",
			  (unsigned long long)removed);
	if (d->ticks % SWEEP_EVERY == 0)
		auth_guard_sweep(&d->guard, now.mono_ns, &removed);
	if (d->state_ready && d->conf->state_path[0] &&
	    d->ticks - d->state_saved_tick >= d->conf->state_interval &&
	    state_generation(d) != d->state_saved_gen)
		state_save(d);
}

/* Same VIPs in the same order: the sockets (and what is queued on them)
 * can stay. */
static bool same_vip_list(const struct siplb_conf *a,
			  const struct siplb_conf *b)
{
	size_t i;

	if (a->nvips != b->nvips)
		return false;
	for (i = 0; i < a->nvips; i++)
		if (!endpoint_equal(&a->vips[i].ep, &b->vips[i].ep))
			return false;
	return true;
}

/*
 * A reload, planned: the new configuration and users file, the changes
 * to the maps, and the new VIP sockets if the VIP list changed. Making
 * one writes no map; everything here that can fail fails now.
 */
struct reload_plan {
	struct siplb_conf *conf;
	struct users *users;
	struct lb_plan lb;
	struct guard_plan guard;
	bool same_vips;
	int sip_fd[SIPLB_MAX_VIPS];
	size_t nsip;
};

static void reload_plan_free(struct reload_plan *rp)
{
	size_t i;

	for (i = 0; i < rp->nsip; i++)
		close(rp->sip_fd[i]);	/* never watched: see reload_commit */
	lb_plan_free(&rp->lb);
	guard_plan_free(&rp->guard);
	users_free(rp->users);
	conf_free(rp->conf);
}

/* The VIP sockets of the new list, opened beside the old ones
 * (SO_REUSEADDR): if anything else fails, the old ones are still there.
 * The loop serves them from reload_commit on; what arrives before queues
 * in the socket. */
static int reload_open_sockets(struct siplbd *d, struct reload_plan *rp)
{
	int fd;

	for (rp->nsip = 0; rp->nsip < rp->conf->nvips; rp->nsip++) {
		fd = open_vip_socket(&rp->conf->vips[rp->nsip].ep);
		if (fd < 0)
			return fd;
		rp->sip_fd[rp->nsip] = fd;
	}
	return 0;
}

static int reload_plan_make(struct siplbd *d, struct reload_plan *rp,
			    char *why, size_t whylen)
{
	int err;

	err = conf_load(d->conf_path, &rp->conf, why, whylen);
	if (!err)
		err = users_load(rp->conf->users_path, &rp->users, why,
				 whylen);
	if (!err)
		err = check_users_realm(rp->conf, rp->users, why, whylen);
	if (err)
		return err;
	if (strcmp(rp->conf->pin_dir, d->conf->pin_dir) ||
	    rp->conf->ninterfaces != d->conf->ninterfaces ||
	    memcmp(rp->conf->interfaces, d->conf->interfaces,
		   sizeof(rp->conf->interfaces)))
		log_warnx("reload: interface and pin-dir changes need a "
			  "restart; ignoring them");
	if (strcmp(rp->conf->control_socket, d->conf->control_socket))
		log_warnx("reload: a new control-socket path needs a restart");
	if (rp->conf->cluster.enabled != d->conf->cluster.enabled ||
	    rp->conf->cluster.secret_len != d->conf->cluster.secret_len ||
	    memcmp(rp->conf->cluster.secret, d->conf->cluster.secret,
		   d->conf->cluster.secret_len))
		log_warnx("reload: cluster block or secret changes need a "
			  "restart; the keys in use stay");
	if (rp->conf->metrics_on != d->conf->metrics_on ||
	    !endpoint_equal(&rp->conf->metrics, &d->conf->metrics))
		log_warnx("reload: a new metrics address needs a restart");
	err = lb_plan_build(&d->maps, rp->conf, &rp->lb);
	if (err) {
		snprintf(why, whylen, "planning VIPs and backends: %s",
			 strerror(-err));
		return err;
	}
	err = guard_plan_build(&d->maps, rp->conf, &rp->guard);
	if (err) {
		snprintf(why, whylen, "planning the guard block: %s",
			 strerror(-err));
		return err;
	}
	rp->same_vips = same_vip_list(d->conf, rp->conf);
	err = rp->same_vips ? 0 : reload_open_sockets(d, rp);
	if (err)
		snprintf(why, whylen, "opening the VIP sockets: %s",
			 strerror(-err));
	return err;
}

/* Write the planned changes; if one fails, undo those made. */
static int reload_apply_maps(struct siplbd *d, struct reload_plan *rp,
			     char *why, size_t whylen)
{
	struct map_journal j = {};
	const char *what = "VIPs and backends";
	int err, undo;

	err = lb_plan_apply(&d->maps, &rp->lb, &j);
	if (!err) {
		what = "the guard block";
		err = guard_plan_apply(&d->maps, &rp->guard, &j);
	}
	if (!err) {
		map_journal_free(&j);
		return 0;
	}
	undo = map_journal_undo(&j);
	snprintf(why, whylen, "applying %s: %s; %s", what, strerror(-err),
		 undo ? "UNDOING THE CHANGES FAILED, the maps are mixed: "
			"restart siplbd" : "the changes made were undone");
	if (undo)
		log_warnx("reload: undoing the changes to the maps: %s",
			  strerror(-undo));
	return err;
}

/* Make the planned configuration the running one: nothing here fails. */
static void reload_commit(struct siplbd *d, struct reload_plan *rp)
{
	struct registrar_conf rc;
	size_t i;

	if (!rp->same_vips) {
		close_vip_sockets(d);
		for (i = 0; i < rp->nsip; i++)
			if (watch_vip_socket(d, i, rp->sip_fd[i]))
				/* epoll out of memory: the socket still
				 * queues; say so rather than lose it quietly */
				log_warn("reload: serving VIP socket %zu", i);
		rp->nsip = 0;
	}
	users_free(d->users);
	conf_free(d->conf);
	d->users = rp->users;
	d->conf = rp->conf;
	rp->users = NULL;
	rp->conf = NULL;
	registrar_conf_from(d->conf, &rc);
	d->reg.conf = rc;
	d->reg.users = d->users;
	d->loc.max_contacts = d->conf->registrar.max_contacts;
	if (d->conf->state_path[0] && !d->state_ready) {
		/* state-file added by this reload: the map is live, save
		 * it from the next tick on (nothing to restore). */
		d->state_ready = true;
		d->state_saved_gen = (__u64)-1;
	}
	auth_guard_configure(&d->guard, d->conf->auth.block_threshold,
			     d->conf->auth.block_window,
			     d->conf->auth.block_time);
	health_conf_from(d->conf, &d->health.conf);
	passive_conf_from(d->conf, &d->passive.conf);
}

/*
 * SIGHUP and `siplbctl reload`: all or nothing. Everything is read,
 * checked and planned before any map is written; if writing fails
 * half-way, what was written is undone, so the maps and the running
 * configuration stay as they were. The interfaces and the pin directory
 * are fixed for the life of the process. why (may be NULL) receives what
 * failed. 0 or -errno.
 */
int daemon_reload(struct siplbd *d, char *why, size_t whylen)
{
	struct reload_plan rp = {};
	char buf[512];
	int err;

	log_info("reloading %s", d->conf_path);
	buf[0] = '\0';
	err = reload_plan_make(d, &rp, buf, sizeof(buf));
	if (!err)
		err = reload_apply_maps(d, &rp, buf, sizeof(buf));
	if (err) {
		log_warnx("reload failed: keeping the running configuration: "
			  "%s", buf[0] ? buf : strerror(-err));
		if (why)
			snprintf(why, whylen, "reload failed: %s",
				 buf[0] ? buf : strerror(-err));
		reload_plan_free(&rp);
		return err;
	}
	reload_commit(d, &rp);
	cookie_update(d);	/* logged if it fails; the old one stays */
	reload_plan_free(&rp);
	log_info("reloaded: %zu VIPs, %zu users", d->conf->nvips,
		 users_count(d->users));
	return 0;
}

void daemon_free(struct siplbd *d)
{
	/* On the way out (SIGTERM): the file as of now, if it changed. */
	if (d->state_ready && d->conf && d->conf->state_path[0] &&
	    state_generation(d) != d->state_saved_gen)
		state_save(d);
	close_vip_sockets(d);
	if (d->passive_ready)
		passive_free(&d->passive, d->loop_ready ? &d->loop : NULL);
	d->passive_ready = false;
	metrics_close(&d->metrics);
	if (d->health_ready)
		health_free(&d->health);
	if (d->reg_ready)
		registrar_free(&d->reg);
	if (d->cluster_ready)
		cluster_store_free(&d->cluster);
	auth_guard_free(&d->guard);
	if (d->maps_open)
		lb_maps_close(&d->maps);
	if (d->ctl.listen_fd >= 0) {
		control_close(&d->ctl);
		if (d->conf)
			unlink(d->conf->control_socket);
	}
	if (d->loop_ready)
		evloop_free(&d->loop);
	d->loop_ready = false;
	if (batch_ready) {
		udp_rxq_free(&rxq);
		udp_txq_free(&txq);
	}
	batch_ready = false;
	users_free(d->users);
	conf_free(d->conf);
	d->users = NULL;
	d->conf = NULL;
}
