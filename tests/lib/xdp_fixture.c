// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xdp_fixture.c - the XDP program under BPF_PROG_TEST_RUN (xdp_fixture.h). */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lb_attach.h"
#include "lb_table.h"
#include "log.h"
#include "siplb.skel.h"
#include "lb_stats.h"
#include "testlib.h"
#include "xdp_fixture.h"

const char *const fix_backends4[FIX_NBACKENDS] = {
	"10.10.2.2", "10.10.2.3", "10.10.2.4",
};
const char *const fix_backends6[FIX_NBACKENDS] = {
	"fd00:2::2", "fd00:2::3", "fd00:2::4",
};
const __u8 fix_backend_macs[FIX_NBACKENDS][6] = {
	{ 0x02, 0, 0, 0, 0x02, 0x02 },
	{ 0x02, 0, 0, 0, 0x02, 0x03 },
	{ 0x02, 0, 0, 0, 0x02, 0x04 },
};
const __u8 fix_client_mac[6] = { 0x02, 0, 0, 0, 0x01, 0x02 };
const __u64 fix_hash_key[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };

/* The namespace's links, addresses, routes and neighbours. */
static const char *const net_setup[] = {
	"ip link set lo up",
	"ip link add " FIX_DEV_CLIENT " type veth peer name fx-client-peer",
	"ip link add " FIX_DEV_BACKEND " type veth peer name fx-backend-peer",
	"ip link set " FIX_DEV_CLIENT " up",
	"ip link set fx-client-peer up",
	"ip link set " FIX_DEV_BACKEND " up",
	"ip link set fx-backend-peer up",
	"ip addr add 10.10.1.1/24 dev " FIX_DEV_CLIENT,
	"ip addr add 10.10.2.1/24 dev " FIX_DEV_BACKEND,
	"ip addr add 10.10.3.1/32 dev lo",
	"ip -6 addr add fd00:1::1/64 dev " FIX_DEV_CLIENT " nodad",
	"ip -6 addr add fd00:2::1/64 dev " FIX_DEV_BACKEND " nodad",
	"sysctl -qw net.ipv4.conf.all.forwarding=1",
	"sysctl -qw net.ipv6.conf.all.forwarding=1",
	"ip neigh add 10.10.1.2 lladdr 02:00:00:00:01:02 nud permanent dev "
	FIX_DEV_CLIENT,
	"ip neigh add fd00:1::2 lladdr 02:00:00:00:01:02 nud permanent dev "
	FIX_DEV_CLIENT,
	"ip neigh add 10.10.2.2 lladdr 02:00:00:00:02:02 nud permanent dev "
	FIX_DEV_BACKEND,
	"ip neigh add 10.10.2.3 lladdr 02:00:00:00:02:03 nud permanent dev "
	FIX_DEV_BACKEND,
	"ip neigh add 10.10.2.4 lladdr 02:00:00:00:02:04 nud permanent dev "
	FIX_DEV_BACKEND,
	"ip neigh add fd00:2::2 lladdr 02:00:00:00:02:02 nud permanent dev "
	FIX_DEV_BACKEND,
	"ip neigh add fd00:2::3 lladdr 02:00:00:00:02:03 nud permanent dev "
	FIX_DEV_BACKEND,
	"ip neigh add fd00:2::4 lladdr 02:00:00:00:02:04 nud permanent dev "
	FIX_DEV_BACKEND,
};

int fixture_endpoint(const char *addr, __u16 port, struct siplb_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->port = htons(port);
	if (inet_pton(AF_INET, addr, ep->addr) == 1) {
		ep->family = SIPLB_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, addr, ep->addr) == 1) {
		ep->family = SIPLB_AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static int net_prepare(void)
{
	size_t i;

	/* A private network namespace: nothing here touches the host's. */
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "fixture: unshare(CLONE_NEWNET): %s (root?)\n",
			strerror(errno));
		return -errno;
	}
	for (i = 0; i < sizeof(net_setup) / sizeof(net_setup[0]); i++) {
		if (system(net_setup[i]) != 0) {
			fprintf(stderr, "fixture: '%s' failed\n", net_setup[i]);
			return -EIO;
		}
	}
	return 0;
}

static int add_vip(struct xdp_fixture *f, const char *vip,
		   const char *const *backends, int n, __u16 be_port)
{
	struct siplb_endpoint v, b;
	int i, err;

	fixture_endpoint(vip, FIX_SIP_PORT, &v);
	err = lb_vip_add(&f->maps, &v);
	for (i = 0; !err && i < n; i++) {
		fixture_endpoint(backends[i], be_port, &b);
		err = lb_backend_add(&f->maps, &v, &b, 1);
	}
	if (err)
		fprintf(stderr, "fixture: VIP %s: %s\n", vip, strerror(-err));
	return err;
}

static int lb_prepare(struct xdp_fixture *f)
{
	static const char *const local[] = { "10.10.3.1" };
	static const char *const noneigh[] = { "10.10.2.9" };
	struct siplb_config cfg = {
		.hash_key = { fix_hash_key[0], fix_hash_key[1] },
	};
	__u32 zero = 0;
	int err;

	if (bpf_map_update_elem(f->maps.config, &zero, &cfg, BPF_ANY))
		return -errno;
	err = add_vip(f, FIX_VIP4, fix_backends4, FIX_NBACKENDS, FIX_SIP_PORT);
	if (!err)
		err = add_vip(f, FIX_VIP6, fix_backends6, FIX_NBACKENDS,
			      FIX_SIP_PORT);
	if (!err)
		err = add_vip(f, FIX_VIP_LOCAL, local, 1, 5080);
	if (!err)
		err = add_vip(f, FIX_VIP_NONEIGH, noneigh, 1, FIX_SIP_PORT);
	if (!err)
		err = add_vip(f, FIX_VIP_EMPTY, NULL, 0, FIX_SIP_PORT);
	return err;
}

/*
 * Pins left by a fixture whose process was killed before its teardown
 * (SIGKILL, a timeout): bpffs is global, so reclaim the directories of
 * processes that no longer exist. Only our own name pattern is touched.
 */
static void reclaim_stale_pins(void)
{
	char path[PATH_MAX];
	struct dirent *de, *pe;
	DIR *root, *dir;
	int pid;

	root = opendir("/sys/fs/bpf");
	if (!root)
		return;
	while ((de = readdir(root))) {
		if (sscanf(de->d_name, "siplb-test-%d", &pid) != 1 ||
		    pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "/sys/fs/bpf/%s", de->d_name);
		dir = opendir(path);
		if (!dir)
			continue;
		while ((pe = readdir(dir)))
			if (pe->d_name[0] != '.')
				unlinkat(dirfd(dir), pe->d_name, 0);
		closedir(dir);
		rmdir(path);
	}
	closedir(root);
}

int fixture_setup(struct xdp_fixture *f)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	int err;

	memset(f, 0, sizeof(*f));
	f->maps.vips = -1;
	log_init("fixture", LOG_LEVEL_WARN);
	reclaim_stale_pins();
	snprintf(f->pin_dir, sizeof(f->pin_dir), "/sys/fs/bpf/siplb-test-%d",
		 (int)getpid());
	err = net_prepare();
	if (err)
		return err;
	f->ifindex_client = if_nametoindex(FIX_DEV_CLIENT);
	f->ifindex_backend = if_nametoindex(FIX_DEV_BACKEND);

	err = lb_pin_dir_prepare(f->pin_dir);
	if (err)
		return err;
	opts.pin_root_path = f->pin_dir;
	f->skel = siplb__open_opts(&opts);
	if (!f->skel)
		return -errno;
	/* A small affinity table: tests fill it, and it is quick to make. */
	bpf_map__set_max_entries(f->skel->maps.siplb_affinity, 65536);
	err = siplb__load(f->skel);
	if (err) {
		fprintf(stderr, "fixture: load: %s\n", strerror(-err));
		return err;
	}
	f->prog_fd = bpf_program__fd(f->skel->progs.siplb_xdp);
	err = lb_progs_install(bpf_map__fd(f->skel->maps.siplb_progs),
			       bpf_program__fd(f->skel->progs.siplb_cookie_xdp));
	if (err)
		return err;
	err = lb_maps_open(&f->maps, f->pin_dir);
	if (err)
		return err;
	return lb_prepare(f);
}

void fixture_teardown(struct xdp_fixture *f)
{
	if (f->maps.vips >= 0)
		lb_maps_close(&f->maps);
	if (f->pin_dir[0]) {
		lb_maps_unpin(f->pin_dir);
		rmdir(f->pin_dir);
	}
	if (f->skel)
		siplb__destroy(f->skel);
	/* The namespace and its links go when the process exits. */
}

int fixture_run(const struct xdp_fixture *f, int ifindex, const void *frame,
		size_t len, __u32 repeat, struct xdp_result *res)
{
	struct xdp_md ctx = {
		.data_end = len,
		.ingress_ifindex = ifindex,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = frame,
		    .data_size_in = len,
		    .data_out = res->out,
		    .data_size_out = sizeof(res->out),
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = repeat);
	int err;

	err = bpf_prog_test_run_opts(f->prog_fd, &opts);
	if (err)
		return -errno;
	res->action = opts.retval;
	res->out_len = opts.data_size_out;
	res->duration_ns = opts.duration;
	return 0;
}

int fixture_stats(const struct xdp_fixture *f, __u64 out[SIPLB_STAT_MAX])
{
	return lb_stats_read(&f->maps, out);
}

bool fixture_run_expect(const struct xdp_fixture *fix, int ifindex,
			const void *frame, size_t len, int action, int stat,
			struct xdp_result *res, const char *what)
{
	__u64 before[SIPLB_STAT_MAX], after[SIPLB_STAT_MAX];
	bool ok = true;
	int i;

	if (!ASSERT_OK(fixture_stats(fix, before), "read counters") ||
	    !ASSERT_OK(fixture_run(fix, ifindex, frame, len, 1, res),
		       "BPF_PROG_TEST_RUN") ||
	    !ASSERT_OK(fixture_stats(fix, after), "read counters"))
		return false;
	if (!testlib_report(res->action == action, __FILE__, __LINE__, what,
			    "verdict %d, expected %d", res->action, action))
		ok = false;
	for (i = 0; i < SIPLB_STAT_MAX; i++) {
		__u64 want = i == stat ? 1 : 0;

		if (!testlib_report(after[i] - before[i] == want, __FILE__,
				    __LINE__, what, "counter %s moved by %llu, "
				    "expected %llu", siplb_stat_names[i],
				    (unsigned long long)(after[i] - before[i]),
				    (unsigned long long)want))
			ok = false;
	}
	return ok;
}
