// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_reload.c - siplbd's reload (daemon_reload, user/siplbd/daemon.c) is
 * all or nothing, against the real pinned maps of the XDP fixture.
 *
 * A struct siplbd is started on configuration A (its VIPs, backends,
 * guard and trunks written as daemon_start writes them), then reloaded
 * with configuration B, which changes all of them: a VIP removed, one
 * added, a backend moved to the new VIP, one removed, one added, a weight
 * changed, trunk prefixes and the guard policy changed, and the realm,
 * health and auth settings.
 *
 *   success        everything of B is in the maps and running, a drained
 *                  backend is still drained.
 *   failures       the maps are made to refuse a write that comes after
 *                  the VIP and backend changes: siplb_guard or
 *                  siplb_trunks frozen (BPF_MAP_FREEZE: the kernel
 *                  rejects every write from user space), or a
 *                  siplb_trunks too small for B's prefixes. The reload
 *                  must fail and leave every map byte for byte, and the
 *                  running configuration, as they were.
 *   no-op          reloading A plans no change and writes nothing (it
 *                  succeeds with siplb_guard frozen).
 *
 * Needs root (BPF, a network namespace).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "config.h"
#include "daemon.h"
#include "guard_apply.h"
#include "lb_apply.h"
#include "lb_table.h"
#include "log.h"
#include "testlib.h"
#include "xdp_fixture.h"

static struct xdp_fixture fix;
static bool fix_up;
static char dir[] = "/tmp/siplb-test-reload-XXXXXX";
static char conf_path[PATH_MAX], users_path[PATH_MAX], sock_path[PATH_MAX];

static const char conf_a[] =
	"realm a.example\n"
	"vip 10.10.0.10:5060 {\n"
	"\tbackend 10.10.2.2:5060\n"
	"\tbackend 10.10.2.3:5060 weight 2\n"
	"}\n"
	"vip 10.10.0.11:5060 {\n"
	"\tbackend 10.10.3.1:5080\n"
	"}\n"
	"guard {\n"
	"\ttrunk 192.0.2.0/24\n"
	"\ttrunk 198.51.100.7\n"
	"}\n";

static const char conf_b[] =
	"realm b.example\n"
	"vip 10.10.0.10:5060 {\n"
	"\tbackend 10.10.2.2:5060 weight 3\n"
	"\tbackend 10.10.2.4:5060\n"
	"}\n"
	"vip 10.10.0.14:5060 {\n"
	"\tbackend 10.10.3.1:5080\n"
	"}\n"
	"vip [fd00::10]:5060 {\n"
	"\tbackend [fd00:2::2]:5060\n"
	"}\n"
	"auth {\n"
	"\tblock-threshold 9\n"
	"}\n"
	"health {\n"
	"\tinterval 7\n"
	"}\n"
	"guard {\n"
	"\tbudget INVITE 2 5\n"
	"\tstrict-dialogs on\n"
	"\ttrunk 192.0.2.0/24\n"
	"\ttrunk 192.0.2.7\n"
	"\ttrunk 203.0.113.0/24\n"
	"\ttrunk 2001:db8::/32\n"
	"}\n";

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

static int write_conf(const char *body)
{
	FILE *f = fopen(conf_path, "w");

	if (!f)
		return -errno;
	fprintf(f, "pin-dir %s\ncontrol-socket %s\nusers %s\n%s",
		fix.pin_dir, sock_path, users_path, body);
	return fclose(f) ? -errno : 0;
}

static struct siplb_endpoint ep(const char *addr, __u16 port)
{
	struct siplb_endpoint e;

	fixture_endpoint(addr, port, &e);
	return e;
}

/* siplbd as daemon_start leaves it, as far as a reload is concerned: A
 * running, its VIPs, backends and guard written; 10.10.2.2 drained. */
static bool start(struct siplbd *d)
{
	struct siplb_endpoint vip = ep(FIX_VIP4, 5060);
	struct siplb_endpoint be = ep("10.10.2.2", 5060);

	if (!ASSERT_OK(write_conf(conf_a), "write configuration A") ||
	    !ASSERT_OK(daemon_init(d, conf_path), "daemon_init on A"))
		return false;
	d->maps = fix.maps;	/* maps_open stays false: the fixture's */
	d->loop_ready = !evloop_init(&d->loop);
	return ASSERT_TRUE(d->loop_ready, "event loop") &&
	       ASSERT_OK(lb_apply_conf(&d->maps, d->conf), "apply A") &&
	       ASSERT_OK(guard_apply(&d->maps, d->conf), "guard of A") &&
	       ASSERT_OK(lb_backend_set_state(&d->maps, &vip, &be,
					      SIPLB_BACKEND_DRAINING),
			 "drain 10.10.2.2") &&
	       ASSERT_OK(write_conf(conf_b), "write configuration B");
}

/* ---- a map, whole, in a form that compares with memcmp --------------- */

struct dump {
	char *buf;
	size_t len;
};

static int dump_array(int fd, const struct bpf_map_info *info,
		      struct dump *d)
{
	__u32 *keys, done = 0, prev, n;
	int err = 0;

	keys = calloc(info->max_entries, sizeof(*keys));
	d->len = (size_t)info->max_entries * info->value_size;
	d->buf = malloc(d->len);
	if (!keys || !d->buf) {
		free(keys);
		return -ENOMEM;
	}
	while (done < info->max_entries) {
		n = info->max_entries - done;
		if (bpf_map_lookup_batch(fd, done ? &prev : NULL, &prev,
					 keys + done,
					 d->buf + (size_t)done *
							  info->value_size,
					 &n, NULL) &&
		    errno != ENOENT) {
			err = -errno;
			break;
		}
		if (!n)
			break;
		done += n;
	}
	free(keys);
	return err;
}

static size_t rec_size;

static int rec_cmp(const void *a, const void *b)
{
	return memcmp(a, b, rec_size);
}

/* Key+value records sorted by key: a hash map's walk order is not its
 * content. */
static int dump_hash(int fd, const struct bpf_map_info *info,
		     struct dump *d)
{
	size_t rec = info->key_size + info->value_size, n = 0;
	char key[64], next[64];
	int err;

	d->buf = calloc(info->max_entries, rec);
	if (!d->buf || info->key_size > sizeof(key))
		return -ENOMEM;
	err = bpf_map_get_next_key(fd, NULL, next);
	while (!err && n < info->max_entries) {
		memcpy(key, next, info->key_size);
		memcpy(d->buf + n * rec, key, info->key_size);
		if (bpf_map_lookup_elem(fd, key,
					d->buf + n * rec + info->key_size))
			return -errno;
		n++;
		err = bpf_map_get_next_key(fd, key, next);
	}
	rec_size = rec;
	qsort(d->buf, n, rec, rec_cmp);
	d->len = n * rec;
	return 0;
}

static int dump_map(int fd, struct dump *d)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	memset(d, 0, sizeof(*d));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type == BPF_MAP_TYPE_ARRAY)
		return dump_array(fd, &info, d);
	return dump_hash(fd, &info, d);
}

#define NMAPS 9

struct snapshot {
	struct dump map[NMAPS];
};

static const char *const map_names[NMAPS] = {
	"siplb_vips", "siplb_backends", "siplb_rings", "siplb_snat",
	"siplb_vip_addrs", "siplb_guard", "siplb_trunks",
	"siplb_guard in use", "siplb_trunks in use",
};

/* The fixture's maps, and the guard and trunk maps d uses (the same, or
 * the stand-ins a case put there). */
static bool snapshot_take(const struct siplbd *d, struct snapshot *s)
{
	const int fds[NMAPS] = {
		fix.maps.vips, fix.maps.backends, fix.maps.rings,
		fix.maps.snat, fix.maps.vip_addrs, fix.maps.guard,
		fix.maps.trunks, d->maps.guard, d->maps.trunks,
	};
	int i;

	for (i = 0; i < NMAPS; i++)
		if (!ASSERT_OK(dump_map(fds[i], &s->map[i]), map_names[i]))
			return false;
	return true;
}

static void snapshot_free(struct snapshot *s)
{
	int i;

	for (i = 0; i < NMAPS; i++)
		free(s->map[i].buf);
}

static void snapshot_same(const struct snapshot *a, const struct snapshot *b)
{
	char what[96];
	int i;

	for (i = 0; i < NMAPS; i++) {
		snprintf(what, sizeof(what), "%s as before the reload",
			 map_names[i]);
		if (ASSERT_EQ(b->map[i].len, a->map[i].len, what))
			ASSERT_MEM_EQ(b->map[i].buf, a->map[i].buf,
				      a->map[i].len, what);
	}
}

/* ---- the running configuration -------------------------------------- */

struct running {
	struct siplb_conf *conf;
	struct users *users;
	struct registrar_conf reg;
	struct health_conf health;
	struct auth_guard guard;
	__u32 max_contacts;
	size_t nsip;
	struct vip_socket sip[SIPLB_MAX_VIPS];
};

static void running_take(const struct siplbd *d, struct running *r)
{
	memset(r, 0, sizeof(*r));
	r->conf = d->conf;
	r->users = d->users;
	r->reg = d->reg.conf;
	r->health = d->health.conf;
	r->guard = d->guard;
	r->max_contacts = d->loc.max_contacts;
	r->nsip = d->nsip;
	memcpy(r->sip, d->sip, sizeof(r->sip));
}

static void running_same(const struct siplbd *d, const struct running *r)
{
	struct running now;

	running_take(d, &now);
	ASSERT_TRUE(now.conf == r->conf && now.users == r->users,
		    "the running configuration and users are A's");
	ASSERT_TRUE(!strcmp(d->conf->realm, "a.example"), "realm still A's");
	ASSERT_MEM_EQ(&now, r, sizeof(now),
		      "registrar, health, auth guard and VIP sockets as "
		      "before");
}

/* ---- stand-ins for siplb_guard and siplb_trunks ---------------------- */

/* A private map of fd's kind holding fd's entries, max_entries entries
 * (0: as fd), frozen or not. */
static int map_copy(int fd, __u32 max_entries, bool freeze)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char key[64], next[64], value[sizeof(struct siplb_guard)];
	int copy, err;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	opts.map_flags = info.map_flags;
	copy = bpf_map_create(info.type, "reload_test", info.key_size,
			      info.value_size,
			      max_entries ? max_entries : info.max_entries,
			      &opts);
	if (copy < 0)
		return -errno;
	err = bpf_map_get_next_key(fd, NULL, next);
	while (!err) {
		memcpy(key, next, info.key_size);
		if (bpf_map_lookup_elem(fd, key, value) ||
		    bpf_map_update_elem(copy, key, value, BPF_ANY))
			break;
		err = bpf_map_get_next_key(fd, key, next);
	}
	if (!err || (freeze && bpf_map_freeze(copy))) {
		err = -errno;
		close(copy);
		return err ? err : -EIO;
	}
	return copy;
}

enum fault { FAULT_GUARD_FROZEN, FAULT_TRUNKS_FROZEN, FAULT_TRUNKS_FULL };

static const struct {
	enum fault fault;
	const char *what;
} faults[] = {
	{ FAULT_GUARD_FROZEN, "siplb_guard refuses the write (frozen)" },
	{ FAULT_TRUNKS_FROZEN, "siplb_trunks refuses the write (frozen)" },
	{ FAULT_TRUNKS_FULL, "siplb_trunks too small for B's 4 prefixes" },
};

static int fault_install(struct siplbd *d, enum fault f)
{
	int fd;

	switch (f) {
	case FAULT_GUARD_FROZEN:
		fd = map_copy(d->maps.guard, 0, true);
		if (fd >= 0)
			d->maps.guard = fd;
		return fd;
	case FAULT_TRUNKS_FROZEN:
		fd = map_copy(d->maps.trunks, 0, true);
		break;
	default:
		fd = map_copy(d->maps.trunks, 2, false);	/* A's two */
		break;
	}
	if (fd >= 0)
		d->maps.trunks = fd;
	return fd;
}

TEST(reload_failure_changes_nothing)
{
	struct snapshot before, after;
	struct running run;
	struct siplbd d;
	char why[256];
	size_t i;
	int fd;

	if (!fix_up)
		return;
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		if (!start(&d))
			return;
		fd = fault_install(&d, faults[i].fault);
		if (!ASSERT_GE(fd, 0, faults[i].what))
			return;
		running_take(&d, &run);
		if (!snapshot_take(&d, &before))
			return;
		why[0] = '\0';
		ASSERT_NEQ(daemon_reload(&d, why, sizeof(why)), 0,
			   faults[i].what);
		ASSERT_TRUE(!strncmp(why, "reload failed: ", 15),
			    "the reply says the reload failed");
		fprintf(stderr, "# %s: %s\n", faults[i].what, why);
		if (snapshot_take(&d, &after))
			snapshot_same(&before, &after);
		running_same(&d, &run);
		snapshot_free(&before);
		snapshot_free(&after);
		close(fd);
		daemon_free(&d);
	}
}

static void check_backend(const struct siplbd *d, const char *vip_addr,
			  const char *be_addr, __u16 port, __u32 weight,
			  __u32 state)
{
	struct siplb_endpoint vip = ep(vip_addr, 5060), be = ep(be_addr, port);
	struct siplb_backend b;
	struct siplb_vip v;
	char what[128];
	__u32 id;

	snprintf(what, sizeof(what), "backend %s of %s", be_addr, vip_addr);
	if (!ASSERT_OK(lb_backend_find(&d->maps, &be, &id, &b), what) ||
	    !ASSERT_NEQ(id, 0, what) ||
	    !ASSERT_OK(bpf_map_lookup_elem(d->maps.vips, &vip, &v), vip_addr))
		return;
	ASSERT_EQ(b.vip_id, v.vip_id, what);
	ASSERT_EQ(b.weight, weight, "its weight");
	ASSERT_EQ(b.state, state, "its state");
}

static void check_gone(const struct siplbd *d, const char *be_addr)
{
	struct siplb_endpoint be = ep(be_addr, 5060), vip;
	__u32 id;

	ASSERT_OK(lb_backend_find(&d->maps, &be, &id, NULL), be_addr);
	ASSERT_EQ(id, 0, "backend removed");
	ASSERT_NEQ(bpf_map_lookup_elem(d->maps.snat, &be, &vip), 0,
		   "and its siplb_snat entry");
}

/* 10.10.2.2 is drained, so out of the table: VIP .10's live table must
 * send every call to 10.10.2.4. */
static void check_ring(const struct siplbd *d)
{
	struct siplb_endpoint vip = ep(FIX_VIP4, 5060);
	struct siplb_endpoint b4 = ep("10.10.2.4", 5060);
	__u32 id4, got, i, bad = 0;
	char callid[32];

	if (!ASSERT_OK(lb_backend_find(&d->maps, &b4, &id4, NULL),
		       "find 10.10.2.4"))
		return;
	for (i = 0; i < 200; i++) {
		snprintf(callid, sizeof(callid), "call-%u@test", i);
		if (lb_maglev_choice(&d->maps, &vip, callid, strlen(callid),
				     &got) || got != id4)
			bad++;
	}
	ASSERT_EQ(bad, 0, "VIP .10's table sends every call to 10.10.2.4");
}

/* siplb_trunks holds exactly B's prefixes. Walked, not looked up: a
 * lookup of 192.0.2.7 would find 192.0.2.0/24 too. */
static void check_trunks(const struct siplbd *d)
{
	static const char *const trunks[] = {
		"192.0.2.0", "192.0.2.7", "203.0.113.0", "2001:db8::",
	};
	static const __u32 lens[] = { 24, 32, 24, 32 };
	struct siplb_trunk_key want[4], key, next;
	bool seen[4] = { false };
	__u32 n = 0, i;

	for (i = 0; i < 4; i++) {
		struct siplb_endpoint e = ep(trunks[i], 0);

		memset(&want[i], 0, sizeof(want[i]));
		want[i].family = e.family;
		want[i].prefixlen = 8 + lens[i];
		memcpy(want[i].addr, e.addr, sizeof(want[i].addr));
	}
	if (!bpf_map_get_next_key(d->maps.trunks, NULL, &next)) {
		do {
			key = next;
			n++;
			for (i = 0; i < 4; i++)
				if (!memcmp(&key, &want[i], sizeof(key)))
					seen[i] = true;
		} while (!bpf_map_get_next_key(d->maps.trunks, &key, &next));
	}
	for (i = 0; i < 4; i++)
		ASSERT_TRUE(seen[i], trunks[i]);
	ASSERT_EQ(n, 4, "siplb_trunks holds B's prefixes and no others");
}

static void check_guard(const struct siplbd *d)
{
	struct siplb_guard want, got;
	__u32 zero = 0;

	guard_build(d->conf, &want);
	if (ASSERT_OK(bpf_map_lookup_elem(d->maps.guard, &zero, &got),
		      "read siplb_guard"))
		ASSERT_MEM_EQ(&got, &want, sizeof(got), "siplb_guard is B's");
	ASSERT_TRUE(got.strict, "strict-dialogs on");
	check_trunks(d);
}

TEST(reload_success_applies_everything)
{
	struct siplb_endpoint old_vip = ep(FIX_VIP_LOCAL, 5060), v6;
	struct siplb_vip v;
	struct siplbd d;
	char why[256] = "";

	if (!fix_up || !start(&d))
		return;
	if (!ASSERT_OK(daemon_reload(&d, why, sizeof(why)), "reload to B"))
		fprintf(stderr, "# %s\n", why);
	ASSERT_NEQ(bpf_map_lookup_elem(d.maps.vips, &old_vip, &v), 0,
		   "VIP .11 removed");
	v6 = ep(FIX_VIP6, 5060);
	ASSERT_OK(bpf_map_lookup_elem(d.maps.vips, &v6, &v), "VIP fd00::10");
	check_backend(&d, FIX_VIP4, "10.10.2.2", 5060, 3,
		      SIPLB_BACKEND_DRAINING);
	check_backend(&d, FIX_VIP4, "10.10.2.4", 5060, 1, SIPLB_BACKEND_UP);
	check_backend(&d, "10.10.0.14", "10.10.3.1", 5080, 1,
		      SIPLB_BACKEND_UP);
	check_backend(&d, FIX_VIP6, "fd00:2::2", 5060, 1, SIPLB_BACKEND_UP);
	check_gone(&d, "10.10.2.3");
	check_ring(&d);
	check_guard(&d);
	ASSERT_TRUE(!strcmp(d.conf->realm, "b.example") &&
		    !strcmp(d.reg.conf.realm, "b.example"), "realm is B's");
	ASSERT_EQ(d.health.conf.interval, 7, "health interval is B's");
	ASSERT_EQ(d.guard.threshold, 9, "block-threshold is B's");
	ASSERT_EQ(d.nsip, 3, "a socket on each of B's VIPs");
	daemon_free(&d);
}

/* A realm nobody in the users file belongs to: every login would fail.
 * The reload is refused and A keeps running, users and all. */
TEST(reload_refuses_users_file_of_another_realm)
{
	struct snapshot before, after;
	struct running run;
	struct siplbd d;
	char why[256] = "";

	if (!fix_up || !start(&d))
		return;
	if (!ASSERT_OK(write_conf("realm c.example\n"
				  "vip 10.10.0.10:5060 {\n"
				  "\tbackend 10.10.2.2:5060\n"
				  "}\n"), "configuration C") ||
	    !snapshot_take(&d, &before))
		return;
	running_take(&d, &run);
	ASSERT_NEQ(daemon_reload(&d, why, sizeof(why)), 0, "reload to C");
	ASSERT_TRUE(strstr(why, "no user of realm 'c.example'") != NULL,
		    "the reply names the realm");
	if (snapshot_take(&d, &after))
		snapshot_same(&before, &after);
	running_same(&d, &run);
	snapshot_free(&before);
	snapshot_free(&after);
	daemon_free(&d);
}

TEST(reload_unchanged_writes_nothing)
{
	struct snapshot before, after;
	struct guard_plan gp;
	struct lb_plan lp;
	struct siplbd d;
	char why[256] = "";
	int fd;

	if (!fix_up || !start(&d))
		return;
	if (ASSERT_OK(lb_plan_build(&d.maps, d.conf, &lp), "plan A over A")) {
		ASSERT_EQ(lp.n, 0, "no VIP or backend change planned");
		lb_plan_free(&lp);
	}
	if (ASSERT_OK(guard_plan_build(&d.maps, d.conf, &gp), "guard plan")) {
		ASSERT_TRUE(!gp.nadd && !gp.ndel && !gp.write_guard,
			    "no guard or trunk change planned");
		guard_plan_free(&gp);
	}
	/* A frozen siplb_guard: any write would fail the reload. */
	fd = fault_install(&d, FAULT_GUARD_FROZEN);
	if (!ASSERT_GE(fd, 0, "frozen siplb_guard") ||
	    !ASSERT_OK(write_conf(conf_a), "configuration A again") ||
	    !snapshot_take(&d, &before))
		return;
	if (!ASSERT_OK(daemon_reload(&d, why, sizeof(why)), "reload A"))
		fprintf(stderr, "# %s\n", why);
	if (snapshot_take(&d, &after))
		snapshot_same(&before, &after);
	snapshot_free(&before);
	snapshot_free(&after);
	close(fd);
	daemon_free(&d);
}

static void cleanup_dir(void)
{
	unlink(conf_path);
	unlink(users_path);
	unlink(sock_path);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	int err, ret;

	log_init("test_reload", LOG_LEVEL_WARN);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(conf_path, sizeof(conf_path), "%s/siplb.conf", dir);
	snprintf(users_path, sizeof(users_path), "%s/users", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/siplbd.sock", dir);
	err = write_file(users_path,
			 "alice:a.example:0123456789abcdef0123456789abcdef\n"
			 "bob:b.example:0123456789abcdef0123456789abcdef\n");
	if (!err)
		err = fixture_setup(&fix);
	if (err)
		fprintf(stderr, "test_reload: setup failed: %s\n",
			strerror(-err));
	fix_up = !err;
	ret = testlib_main(argc, argv);
	fixture_teardown(&fix);
	cleanup_dir();
	return ret || !fix_up;
}
