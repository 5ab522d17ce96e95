// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_location.c - capacity, speed and kernel memory of the registrar's
 * location map (user/lib/location.c on the maps of include/siplb_location.h).
 *
 * The two maps are made in this process with bpf_map_create(), exactly as
 * bpf/maps.bpf.h declares siplb_location and siplb_sources (hash,
 * BPF_F_NO_PREALLOC, 1,048,576 entries each), and never pinned: they go
 * away with the process. Then, timing each step:
 *
 *   put      N bindings (default 1,000,000) through location_put(): AOR
 *            sip:userNNNNNNN@example.com, slot 0, a realistic Contact URI,
 *            each from a source address of its own (so siplb_sources holds
 *            N entries too), expiring an hour from "now";
 *   count    location_count() must find N; siplb_sources must hold N;
 *   read     location_read() of a random sample (default 100,000), each
 *            checked field by field against what was put; an absent AOR
 *            and a sample read at the expiry time must find nothing;
 *   capacity the map is filled to SIPLB_LOCATION_SIZE, one more put must
 *            fail with E2BIG, and the extra bindings are removed again;
 *   sweep    location_sweep() at "now" (nothing expired: the cost of one
 *            whole pass, which siplbd spreads over 1 s ticks of 65,536
 *            bindings; must remove 0), then at the
 *            expiry time (everything expired: must remove N, and leave both
 *            maps empty).
 *
 * Kernel memory is read at four points (before the maps exist, empty,
 * holding N bindings, after the sweep, after close): the kernel's own
 * figure for each map (memlock in /proc/self/fdinfo/FD), this process's
 * memory cgroup (kernel memory charged to it), and /proc/meminfo (Slab,
 * VmallocUsed, Percpu; system-wide). See print_memory() for what each
 * includes.
 *
 * Any wrong result (an error from the location API, a count, a binding
 * read back different, a removed count) ends the program with status 1
 * before anything is printed as a figure.
 *
 * The AOR index siplb_aors is made too, unless --no-index (then
 * location_read probes every slot, the layout before the index).
 *
 * Usage: bench_location [--bindings N] [--sample N] [--max-contacts N]
 *                       [--sweeps N] [--no-index]             (as root)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/utsname.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "location.h"
#include "location_sweep.h"
#include "siplb_location.h"
#include "siplb_maps.h"

#define DEFAULT_BINDINGS	1000000
#define DEFAULT_SAMPLE		100000
#define DEFAULT_MAX_CONTACTS	10	/* etc/siplb.conf's default */
#define DEFAULT_SWEEPS		3
#define MAX_SWEEPS		15
#define LIFETIME		3600	/* seconds a binding is granted */
#define SOURCE_BASE		0x64400001u	/* 100.64.0.1: RFC 6598 space */
#define SETTLE_MS		2000	/* wait for deferred frees, at most */

#define DOMAIN			"example.com"

static const char *prog = "bench_location";

struct bench_opts {
	long bindings;
	long sample;
	long max_contacts;
	int sweeps;
	bool no_index;	/* --no-index: probe every slot, as before */
};

/* ------------------------------------------------------------------ */
/* Bindings, regenerated from their index whenever needed.             */

static __u64 mix64(__u64 x)
{
	/* splitmix64's finaliser: distinct, well-spread values per index */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int aor_of(long i, char *buf, size_t size)
{
	return snprintf(buf, size, "sip:user%07ld@" DOMAIN, i);
}

static void binding_of(long i, __u64 now, struct siplb_binding *b)
{
	__u32 ip = SOURCE_BASE + (__u32)i;
	__u16 port = 1024 + (__u16)(mix64(i) % 60000);
	char addr[INET_ADDRSTRLEN];
	struct in_addr in = { .s_addr = htonl(ip) };

	memset(b, 0, sizeof(*b));
	inet_ntop(AF_INET, &in, addr, sizeof(addr));
	/* What a softphone behind NAT registers, e.g. Zoiper or Linphone. */
	snprintf(b->contact, sizeof(b->contact),
		 "sip:user%07ld@%s:%u;transport=udp;rinstance=%016llx", i,
		 addr, port, (unsigned long long)mix64(i ^ 0x5bd1e995));
	b->source.addr[0] = htonl(ip);
	b->source.port = htons(port);
	b->source.family = SIPLB_AF_INET;
	b->q = 1000;
	b->registered_at = now;
	b->expires_at = now + LIFETIME;
	b->callid_hash = mix64(i + 0x1234567);
	b->cseq = 2;
}

/* ------------------------------------------------------------------ */
/* Clocks and memory.                                                  */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long meminfo_kb(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			v = strtoll(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static long long memlock_of(int fd)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	if (fd < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "memlock:", 8)) {
			v = strtoll(line + 8, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/*
 * The kernel memory charged to our memory cgroup: cgroup v1's
 * memory.kmem.usage_in_bytes, or cgroup v2's "kernel" line of memory.stat.
 * Found once; cg_file is empty if neither is there.
 */
static char cg_file[PATH_MAX];
static bool cg_v2;

static void cgroup_find(void)
{
	char line[PATH_MAX], v1[PATH_MAX] = "", v2[PATH_MAX] = "";
	FILE *f = fopen("/proc/self/cgroup", "r");
	char *p;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		p = strchr(line, ':');
		if (!p)
			continue;
		if (!strncmp(p, "::", 2))
			snprintf(v2, sizeof(v2), "%s", p + 2);
		else if ((p = strstr(line, ":memory:")))
			snprintf(v1, sizeof(v1), "%s", p + 8);
	}
	fclose(f);
	if (*v1) {
		snprintf(cg_file, sizeof(cg_file),
			 "/sys/fs/cgroup/memory%s/memory.kmem.usage_in_bytes",
			 strcmp(v1, "/") ? v1 : "");
		if (!access(cg_file, R_OK))
			return;
	}
	if (*v2) {
		snprintf(cg_file, sizeof(cg_file), "/sys/fs/cgroup%s/memory.stat",
			 strcmp(v2, "/") ? v2 : "");
		cg_v2 = true;
		if (!access(cg_file, R_OK))
			return;
	}
	cg_file[0] = '\0';
}

static long long cgroup_kmem(void)
{
	char line[256];
	long long v = -1;
	FILE *f;

	if (!*cg_file)
		return -1;
	f = fopen(cg_file, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!cg_v2) {
			v = strtoll(line, NULL, 10);
			break;
		}
		if (!strncmp(line, "kernel ", 7)) {
			v = strtoll(line + 7, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

struct mem_snap {
	long long loc_memlock, src_memlock;	/* bytes, -1: no map */
	long long cg_kmem;			/* bytes, -1: unknown */
	long long sunreclaim_kb, vmalloc_kb;	/* /proc/meminfo */
};

static void mem_snap(struct mem_snap *m, int loc_fd, int src_fd)
{
	m->loc_memlock = memlock_of(loc_fd);
	m->src_memlock = memlock_of(src_fd);
	m->cg_kmem = cgroup_kmem();
	m->sunreclaim_kb = meminfo_kb("SUnreclaim");
	m->vmalloc_kb = meminfo_kb("VmallocUsed");
}

/*
 * Frees of hash map elements and of whole maps are deferred (RCU, the BPF
 * memory allocator's caches, a work queue): wait until the cgroup's kernel
 * memory stops moving, SETTLE_MS at most.
 */
static void mem_settle(void)
{
	long long last = cgroup_kmem(), cur;
	int i;

	for (i = 0; i < SETTLE_MS / 100; i++) {
		usleep(100000);
		cur = cgroup_kmem();
		if (i >= 2 && cur == last)
			break;
		last = cur;
	}
}

/* ------------------------------------------------------------------ */
/* The maps.                                                           */

static int create_maps(struct location *loc, bool index)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);

	loc->aors_fd = -1;
	if (index) {
		loc->aors_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_aors",
					      sizeof(struct siplb_aor_key),
					      sizeof(struct siplb_aor),
					      SIPLB_LOCATION_SIZE, &opts);
		if (loc->aors_fd < 0) {
			fprintf(stderr, "%s: bpf_map_create(siplb_aors): %s\n",
				prog, strerror(errno));
			return -1;
		}
	}

	loc->bindings_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_location",
					  sizeof(struct siplb_location_key),
					  sizeof(struct siplb_binding),
					  SIPLB_LOCATION_SIZE, &opts);
	if (loc->bindings_fd < 0) {
		fprintf(stderr, "%s: bpf_map_create(siplb_location): %s\n",
			prog, strerror(errno));
		return -1;
	}
	loc->sources_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_sources",
					 sizeof(struct siplb_addr),
					 sizeof(struct siplb_source),
					 SIPLB_SOURCES_SIZE, &opts);
	if (loc->sources_fd < 0) {
		fprintf(stderr, "%s: bpf_map_create(siplb_sources): %s\n",
			prog, strerror(errno));
		return -1;
	}
	return 0;
}

/* The kernel's view of a map must be what bpf/maps.bpf.h declares. */
static int check_map(int fd, const char *name, __u32 key, __u32 value,
		     __u32 max)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "%s: %s: bpf_obj_get_info_by_fd: %s\n", prog,
			name, strerror(errno));
		return -1;
	}
	if (info.type != BPF_MAP_TYPE_HASH || info.key_size != key ||
	    info.value_size != value || info.max_entries != max ||
	    !(info.map_flags & BPF_F_NO_PREALLOC) || strcmp(info.name, name)) {
		fprintf(stderr, "%s: %s: the kernel reports type %u key %u "
			"value %u max %u flags %#x name %s\n", prog, name,
			info.type, info.key_size, info.value_size,
			info.max_entries, info.map_flags, info.name);
		return -1;
	}
	return 0;
}

/* Entries in a map whose keys fit 132 bytes (both of ours). */
static int count_entries(int fd, __u64 *count)
{
	char key[sizeof(struct siplb_location_key)];
	char next[sizeof(struct siplb_location_key)];
	int err;

	*count = 0;
	err = bpf_map_get_next_key(fd, NULL, next);
	while (!err) {
		(*count)++;
		memcpy(key, next, sizeof(key));
		err = bpf_map_get_next_key(fd, key, next);
	}
	return errno == ENOENT ? 0 : -errno;
}

/* ------------------------------------------------------------------ */
/* The steps.                                                          */

struct results {
	__u64 now;			/* CLOCK_REALTIME s the bindings start at */
	double gen_s, put_s, count_s, read_s;
	long reads;
	double sweep_idle_s[MAX_SWEEPS];
	double sweep_all_s;
	__u64 removed;
	long capacity;			/* bindings the map took */
	int capacity_err;		/* the next put's error */
	struct mem_snap m_before, m_empty, m_full, m_swept, m_closed;
};

static int put_range(const struct location *loc, long from, long to,
		     __u64 now)
{
	struct siplb_binding b;
	char aor[SIPLB_AOR_MAX];
	long i;
	int n, err;

	for (i = from; i < to; i++) {
		n = aor_of(i, aor, sizeof(aor));
		binding_of(i, now, &b);
		err = location_put(loc, aor, n, 0, &b);
		if (err) {
			fprintf(stderr, "%s: location_put(%s) #%ld: %s\n", prog,
				aor, i, strerror(-err));
			return -1;
		}
	}
	return 0;
}

/* What put_range() spends outside location_put(): making the bindings. */
static double time_generation(long n, __u64 now)
{
	struct siplb_binding b;
	char aor[SIPLB_AOR_MAX];
	volatile unsigned long sink = 0;
	double t0 = now_s();
	long i;

	for (i = 0; i < n; i++) {
		sink += aor_of(i, aor, sizeof(aor));
		binding_of(i, now, &b);
		sink += b.contact[20] + aor[10];
	}
	(void)sink;
	return now_s() - t0;
}

static int check_counts(const struct location *loc, __u64 want,
			const char *when, double *secs)
{
	__u64 bindings, sources;
	double t0 = now_s();
	int err;

	err = location_count(loc, &bindings);
	if (secs)
		*secs = now_s() - t0;
	if (err) {
		fprintf(stderr, "%s: location_count %s: %s\n", prog, when,
			strerror(-err));
		return -1;
	}
	err = count_entries(loc->sources_fd, &sources);
	if (err) {
		fprintf(stderr, "%s: counting siplb_sources %s: %s\n", prog,
			when, strerror(-err));
		return -1;
	}
	if (bindings != want || sources != want) {
		fprintf(stderr, "%s: %s: %llu bindings and %llu sources, "
			"expected %llu of each\n", prog, when,
			(unsigned long long)bindings,
			(unsigned long long)sources, (unsigned long long)want);
		return -1;
	}
	return 0;
}

static bool same_binding(const struct siplb_binding *got,
			 const struct siplb_binding *want)
{
	return !strcmp(got->contact, want->contact) &&
	       !memcmp(&got->source, &want->source, sizeof(got->source)) &&
	       got->q == want->q && got->expires_at == want->expires_at &&
	       got->registered_at == want->registered_at &&
	       got->callid_hash == want->callid_hash &&
	       got->cseq == want->cseq;
}

/* A sample of random AORs read back and compared; also the misses. */
static int read_sample(const struct location *loc, const struct bench_opts *o,
		       struct results *r)
{
	static struct location_set set;	/* 31 KB: not on the stack */
	struct siplb_binding want;
	char aor[SIPLB_AOR_MAX];
	__u64 state = 0x2545f4914f6cdd1dULL;
	long k, i;
	double t0;
	int n, err;

	t0 = now_s();
	for (k = 0; k < o->sample; k++) {
		state = mix64(state);
		i = (long)(state % (__u64)o->bindings);
		n = aor_of(i, aor, sizeof(aor));
		err = location_read(loc, aor, n, r->now, &set);
		if (err) {
			fprintf(stderr, "%s: location_read(%s): %s\n", prog,
				aor, strerror(-err));
			return -1;
		}
		binding_of(i, r->now, &want);
		if (set.n != 1 || set.slot[0] != 0 ||
		    set.free_slots != loc->max_contacts - 1 ||
		    !same_binding(&set.b[0], &want)) {
			fprintf(stderr, "%s: location_read(%s): %zu bindings "
				"(slot %u, contact '%s'), %u free slots; "
				"expected 1 in slot 0 ('%s'), %u free\n",
				prog, aor, set.n, set.n ? set.slot[0] : 0,
				set.n ? set.b[0].contact : "", set.free_slots,
				want.contact, loc->max_contacts - 1);
			return -1;
		}
	}
	r->read_s = now_s() - t0;
	r->reads = o->sample;

	/* Someone never registered, and everyone at their expiry time. */
	n = aor_of(o->bindings + 12345678, aor, sizeof(aor));
	err = location_read(loc, aor, n, r->now, &set);
	if (err || set.n != 0 || set.free_slots != loc->max_contacts) {
		fprintf(stderr, "%s: location_read(%s), never registered: "
			"err %d, %zu bindings\n", prog, aor, err, set.n);
		return -1;
	}
	for (k = 0; k < 1000; k++) {
		i = (long)(mix64(k) % (__u64)o->bindings);
		n = aor_of(i, aor, sizeof(aor));
		err = location_read(loc, aor, n, r->now + LIFETIME, &set);
		if (err || set.n != 0) {
			fprintf(stderr, "%s: location_read(%s) at expiry: "
				"err %d, %zu bindings, expected none\n", prog,
				aor, err, set.n);
			return -1;
		}
	}
	return 0;
}

/*
 * Fill the map to SIPLB_LOCATION_SIZE, check that one more binding is
 * refused with E2BIG, then remove the extra ones again.
 */
static int probe_capacity(const struct location *loc,
			  const struct bench_opts *o, struct results *r)
{
	struct siplb_binding b;
	char aor[SIPLB_AOR_MAX];
	long i, cap = SIPLB_LOCATION_SIZE;
	int n, err;

	if (put_range(loc, o->bindings, cap, r->now))
		return -1;
	n = aor_of(cap, aor, sizeof(aor));
	binding_of(cap, r->now, &b);
	err = location_put(loc, aor, n, 0, &b);
	r->capacity = cap;
	r->capacity_err = err;
	if (err != -E2BIG) {
		fprintf(stderr, "%s: binding %ld into a map of %ld: %s, "
			"expected E2BIG\n", prog, cap + 1, cap,
			err ? strerror(-err) : "accepted");
		return -1;
	}
	for (i = o->bindings; i < cap; i++) {
		n = aor_of(i, aor, sizeof(aor));
		binding_of(i, r->now, &b);
		err = location_remove(loc, aor, n, 0, &b);
		if (err) {
			fprintf(stderr, "%s: location_remove(%s): %s\n", prog,
				aor, strerror(-err));
			return -1;
		}
	}
	return check_counts(loc, o->bindings, "after the capacity probe",
			    NULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int sweep_steps(const struct location *loc, const struct bench_opts *o,
		       struct results *r)
{
	__u64 removed;
	double t0;
	int k, err;

	/* Nothing expired: one whole pass of siplbd's sweep in steady state. */
	for (k = 0; k < o->sweeps; k++) {
		t0 = now_s();
		err = location_sweep(loc, r->now, &removed);
		r->sweep_idle_s[k] = now_s() - t0;
		if (err || removed) {
			fprintf(stderr, "%s: sweep with nothing expired: %s, "
				"removed %llu (expected 0)\n", prog,
				err ? strerror(-err) : "ok",
				(unsigned long long)removed);
			return -1;
		}
	}
	qsort(r->sweep_idle_s, o->sweeps, sizeof(double), cmp_double);

	/* Time passes: every binding has expired. */
	t0 = now_s();
	err = location_sweep(loc, r->now + LIFETIME, &r->removed);
	r->sweep_all_s = now_s() - t0;
	if (err) {
		fprintf(stderr, "%s: sweep of expired bindings: %s\n", prog,
			strerror(-err));
		return -1;
	}
	if (r->removed != (__u64)o->bindings) {
		fprintf(stderr, "%s: the sweep removed %llu bindings, "
			"expected %ld\n", prog,
			(unsigned long long)r->removed, o->bindings);
		return -1;
	}
	return check_counts(loc, 0, "after the sweep", NULL);
}

/* ------------------------------------------------------------------ */
/* Output.                                                             */

/* 1234567 -> "1,234,567" */
static const char *thousands(long long v, char *buf, size_t size)
{
	unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
	char raw[32];
	size_t len, i, o = 0;

	snprintf(raw, sizeof(raw), "%llu", u);
	len = strlen(raw);
	if (v < 0)
		buf[o++] = '-';
	for (i = 0; i < len && o + 2 < size; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = '\0';
	return buf;
}

static const char *human_bytes(long long v, char *buf, size_t size)
{
	double a = v < 0 ? -(double)v : (double)v;

	if (a >= 1048576)
		snprintf(buf, size, "%.1f MiB", v / 1048576.0);
	else if (a >= 1024)
		snprintf(buf, size, "%.1f KiB", v / 1024.0);
	else
		snprintf(buf, size, "%lld B", v);
	return buf;
}

static const char *human_time(double s, char *buf, size_t size)
{
	if (s >= 1)
		snprintf(buf, size, "%.2f s", s);
	else if (s >= 1e-3)
		snprintf(buf, size, "%.1f ms", s * 1e3);
	else
		snprintf(buf, size, "%.1f us", s * 1e6);
	return buf;
}

static void time_row(const char *what, long n, double secs)
{
	char nb[32], tb[32];

	printf("| %-58s | %9s | %9s | %8.0f |\n", what,
	       thousands(n, nb, sizeof(nb)), human_time(secs, tb, sizeof(tb)),
	       secs * 1e9 / n);
}

static void cpu_model(char *buf, size_t size)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");
	char *v;

	snprintf(buf, size, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) &&
		    (v = strchr(line, ':'))) {
			v += 1 + strspn(v + 1, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(buf, size, "%s", v);
			break;
		}
	fclose(f);
}

/* A memory row: each column the difference from the row's base. */
static void mem_row(const char *what, long long before, long long empty,
		    long long full, long long swept, long long closed,
		    long long scale, long bindings)
{
	char b[5][32];

	if (before < 0 || empty < 0 || full < 0) {
		printf("| %-36s | %10s | %10s | %10s | %10s | %10s |\n", what,
		       "n/a", "n/a", "n/a", "n/a", "n/a");
		return;
	}
	printf("| %-36s | %10s | %10s | %10.0f | %10s | %10s |\n", what,
	       human_bytes((empty - before) * scale, b[0], sizeof(b[0])),
	       human_bytes((full - before) * scale, b[1], sizeof(b[1])),
	       (double)(full - empty) * scale / bindings,
	       swept < 0 ? "n/a" :
			   human_bytes((swept - before) * scale, b[3],
				       sizeof(b[3])),
	       closed < 0 ? "n/a" :
			    human_bytes((closed - before) * scale, b[4],
					sizeof(b[4])));
}

static void print_memory(const struct results *r, long bindings)
{
	const struct mem_snap *b = &r->m_before, *e = &r->m_empty,
			      *f = &r->m_full, *s = &r->m_swept,
			      *c = &r->m_closed;
	char nb[32];

	printf("\nKernel memory, each column the change from before the maps "
	       "existed (per binding: (full - empty) / %s):\n\n",
	       thousands(bindings, nb, sizeof(nb)));
	printf("| %-36s | %10s | %10s | %10s | %10s | %10s |\n", "figure",
	       "empty maps", "full", "B/binding", "swept", "closed");
	printf("|%s|%s|%s|%s|%s|%s|\n", "--------------------------------------",
	       "-----------:", "-----------:", "-----------:", "-----------:",
	       "-----------:");
	mem_row("fdinfo memlock, siplb_location", 0, e->loc_memlock,
		f->loc_memlock, s->loc_memlock, -1, 1, bindings);
	mem_row("fdinfo memlock, siplb_sources", 0, e->src_memlock,
		f->src_memlock, s->src_memlock, -1, 1, bindings);
	mem_row("memory cgroup: kernel memory", b->cg_kmem, e->cg_kmem,
		f->cg_kmem, s->cg_kmem, c->cg_kmem, 1, bindings);
	mem_row("/proc/meminfo SUnreclaim", b->sunreclaim_kb,
		e->sunreclaim_kb, f->sunreclaim_kb, s->sunreclaim_kb,
		c->sunreclaim_kb, 1024, bindings);
	mem_row("/proc/meminfo VmallocUsed", b->vmalloc_kb, e->vmalloc_kb,
		f->vmalloc_kb, s->vmalloc_kb, c->vmalloc_kb, 1024, bindings);
	printf("\n- fdinfo memlock: the kernel's own estimate for one map "
	       "(htab_map_mem_usage): the\n  bucket array (16 B x "
	       "1,048,576 buckets), lock counters, and for a NO_PREALLOC "
	       "map\n  (element + 8 B) x the entries it holds now; element = "
	       "48 B header + key and\n  value rounded to 8 B (496 B for "
	       "siplb_location, 88 B for siplb_sources).\n  Not slab "
	       "rounding (a 504 B object takes a 512 B slot) nor the "
	       "allocator's caches.\n");
	printf("- memory cgroup: all kernel memory charged to this process's "
	       "cgroup (%s):\n  both maps' elements as allocated (slab "
	       "slots and slab pages), the bucket arrays\n  (vmalloc), "
	       "per-CPU data, and anything else the cgroup's processes "
	       "allocated\n  meanwhile (page tables of this process's own "
	       "heap, other processes in the cgroup).\n",
	       *cg_file ? cg_file : "not found");
	printf("- /proc/meminfo: machine-wide, so anything else running "
	       "on the machine shows\n  too. SUnreclaim (unreclaimable "
	       "slab) holds the elements of both maps, as slab\n  slots "
	       "of the kmalloc size class plus partly used slab pages; "
	       "VmallocUsed the\n  two bucket arrays (2 x 16 MiB).\n");
	printf("- Expected slab use per binding: one siplb_location element "
	       "(496 + 8 B: a\n  512 B kmalloc slot) and one siplb_sources "
	       "element (88 + 8 B: a 96 B slot),\n  608 B, plus slab page "
	       "overhead.\n");
	printf("- swept: after location_sweep() removed every binding "
	       "and %d ms of settling;\n  closed: after both maps were "
	       "closed (freed) and the same settling.\n", SETTLE_MS);
}

static void print_results(const struct bench_opts *o, const struct results *r)
{
	char nb[32], cap[32], cpu[128], tb[32], what[80];
	struct utsname u;
	double med;
	int k;

	uname(&u);
	cpu_model(cpu, sizeof(cpu));
	med = r->sweep_idle_s[o->sweeps / 2];
	printf("siplb location map: capacity, speed and kernel memory\n\n");
	printf("- Maps made in-process as bpf/maps.bpf.h declares them: "
	       "siplb_location (hash,\n  BPF_F_NO_PREALLOC, %s entries, "
	       "key %zu B, value %zu B) and siplb_sources\n  (hash, "
	       "BPF_F_NO_PREALLOC, %s entries, key %zu B, value %zu B).\n",
	       thousands(SIPLB_LOCATION_SIZE, cap, sizeof(cap)),
	       sizeof(struct siplb_location_key), sizeof(struct siplb_binding),
	       thousands(SIPLB_SOURCES_SIZE, nb, sizeof(nb)),
	       sizeof(struct siplb_addr), sizeof(struct siplb_source));
	printf("- %s bindings through user/lib/location.c: AOR "
	       "sip:userNNNNNNN@" DOMAIN ", slot 0,\n  Contact like "
	       "sip:user0000001@100.64.0.2:PORT;transport=udp;rinstance="
	       "<16 hex>,\n  each from its own source address "
	       "(100.64.0.0/10), so siplb_sources holds as many.\n",
	       thousands(o->bindings, nb, sizeof(nb)));
	if (o->no_index)
		printf("- location_put: lookup of the slot, update, lookup and "
		       "update of the source's\n  count: 4 bpf() calls. "
		       "--no-index: location_read with max-contacts %ld: "
		       "%ld lookups.\n  ", o->max_contacts, o->max_contacts);
	else
		printf("- location_put: lookup and update of the AOR's entry "
		       "in siplb_aors, lookup of\n  the slot, update, lookup "
		       "and update of the source's count: 6 bpf() calls.\n  "
		       "location_read: the AOR's entry, then its %ld used "
		       "slot(s): 2 lookups (max-contacts %ld).\n  ", 1L,
		       o->max_contacts);
	printf(
	       "location_sweep: bpf_map_lookup_batch in 4096s over the whole "
	       "map, and per\n  expired binding a lookup and a delete of its "
	       "source, a batch delete per batch.\n");
	printf("- Wall-clock times of one run, single-threaded; the idle "
	       "sweep is the median of %d.\n", o->sweeps);
	printf("- Kernel %s %s, CPU %s, %ld online.\n\n", u.release,
	       u.machine, cpu, sysconf(_SC_NPROCESSORS_ONLN));

	printf("| %-58s | %9s | %9s | %8s |\n", "step (per: binding, or read)",
	       "count", "time", "ns per");
	printf("|%s|%s|%s|%s|\n",
	       "------------------------------------------------------------",
	       "----------:", "----------:", "---------:");
	time_row("location_put, new AOR and source", o->bindings, r->put_s);
	time_row("  of which: making AOR and binding in user space",
		 o->bindings, r->gen_s);
	time_row("location_count (bpf_map_get_next_key walk)", o->bindings,
		 r->count_s);
	snprintf(what, sizeof(what),
		 "location_read, random AORs, max-contacts %ld",
		 o->max_contacts);
	time_row(what, r->reads, r->read_s);
	time_row("location_sweep, nothing expired (one pass; siplbd: 65536 a tick)",
		 o->bindings, med);
	time_row("location_sweep, all expired (removes them)", o->bindings,
		 r->sweep_all_s);
	printf("\n- idle sweeps: ");
	for (k = 0; k < o->sweeps; k++)
		printf("%s%s", k ? ", " : "",
		       human_time(r->sweep_idle_s[k], tb, sizeof(tb)));
	printf("; removed 0 each, the map still full.\n");
	printf("- all expired: the sweep is called with now = the bindings' "
	       "expiry time, as if an\n  hour had passed without a "
	       "refresh; the bindings themselves are not rewritten.\n");
	printf("- full sweep: removed %s bindings (expected %s); then 0 "
	       "bindings and 0 sources\n  left (location_count and a walk "
	       "of siplb_sources).\n",
	       thousands((long long)r->removed, cap, sizeof(cap)),
	       thousands(o->bindings, nb, sizeof(nb)));
	printf("- read back: %s random AORs, each binding equal field by "
	       "field to what was put;\n  an AOR never registered and 1,000 "
	       "read at their expiry time: no binding.\n",
	       thousands(r->reads, nb, sizeof(nb)));
	printf("- capacity: the map took %s bindings; the next location_put "
	       "failed with %s.\n", thousands(r->capacity, cap, sizeof(cap)),
	       r->capacity_err == -E2BIG ? "E2BIG" : strerror(-r->capacity_err));
	print_memory(r, o->bindings);
}

/* ------------------------------------------------------------------ */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s [--bindings N] [--sample N] [--max-contacts N] "
		"[--sweeps N] [--no-index]\n"
		"  --bindings N      bindings to put and sweep (default %d, "
		"at most %d)\n"
		"  --sample N        bindings read back and checked (default "
		"%d)\n"
		"  --max-contacts N  slots location_read looks at (default %d)\n"
		"  --sweeps N        sweeps with nothing expired, median "
		"taken (default %d)\n"
		"  --no-index        no siplb_aors: location_read probes every "
		"slot\n",
		prog, DEFAULT_BINDINGS, SIPLB_LOCATION_SIZE, DEFAULT_SAMPLE,
		DEFAULT_MAX_CONTACTS, DEFAULT_SWEEPS);
}

static int parse_long(const char *s, long min, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno || end == s || *end || *v < min || *v > max) {
		fprintf(stderr, "%s: '%s' is not a number %ld..%ld\n", prog, s,
			min, max);
		return -1;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longs[] = {
		{ "bindings", required_argument, NULL, 'b' },
		{ "sample", required_argument, NULL, 's' },
		{ "max-contacts", required_argument, NULL, 'm' },
		{ "sweeps", required_argument, NULL, 'w' },
		{ "no-index", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long v;
	int c;

	o->bindings = DEFAULT_BINDINGS;
	o->sample = DEFAULT_SAMPLE;
	o->max_contacts = DEFAULT_MAX_CONTACTS;
	o->sweeps = DEFAULT_SWEEPS;
	o->no_index = false;
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (parse_long(optarg, 1, SIPLB_LOCATION_SIZE,
				       &o->bindings))
				return -1;
			break;
		case 's':
			if (parse_long(optarg, 1, 100000000, &o->sample))
				return -1;
			break;
		case 'm':
			if (parse_long(optarg, 1, SIPLB_CONTACTS_MAX,
				       &o->max_contacts))
				return -1;
			break;
		case 'w':
			if (parse_long(optarg, 1, MAX_SWEEPS, &v))
				return -1;
			o->sweeps = (int)v;
			break;
		case 'n':
			o->no_index = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct location loc = { .bindings_fd = -1, .sources_fd = -1,
				.aors_fd = -1 };
	static struct results r;
	struct bench_opts o;
	struct timespec rt;
	double t0;
	int rc = 1;

	if (parse_opts(argc, argv, &o))
		return 2;
	if (geteuid() != 0)
		fprintf(stderr, "%s: not root: bpf_map_create will probably "
			"be refused\n", prog);
	loc.max_contacts = (__u32)o.max_contacts;
	clock_gettime(CLOCK_REALTIME, &rt);
	r.now = rt.tv_sec;
	cgroup_find();

	mem_snap(&r.m_before, -1, -1);
	if (create_maps(&loc, !o.no_index) ||
	    check_map(loc.bindings_fd, "siplb_location",
		      sizeof(struct siplb_location_key),
		      sizeof(struct siplb_binding), SIPLB_LOCATION_SIZE) ||
	    check_map(loc.sources_fd, "siplb_sources",
		      sizeof(struct siplb_addr), sizeof(struct siplb_source),
		      SIPLB_SOURCES_SIZE))
		goto out;
	mem_snap(&r.m_empty, loc.bindings_fd, loc.sources_fd);

	r.gen_s = time_generation(o.bindings, r.now);
	t0 = now_s();
	if (put_range(&loc, 0, o.bindings, r.now))
		goto out;
	r.put_s = now_s() - t0;
	mem_snap(&r.m_full, loc.bindings_fd, loc.sources_fd);

	if (check_counts(&loc, o.bindings, "after the puts", &r.count_s) ||
	    read_sample(&loc, &o, &r) || probe_capacity(&loc, &o, &r) ||
	    sweep_steps(&loc, &o, &r))
		goto out;
	mem_settle();
	mem_snap(&r.m_swept, loc.bindings_fd, loc.sources_fd);

	close(loc.bindings_fd);
	close(loc.sources_fd);
	loc.bindings_fd = loc.sources_fd = -1;
	mem_settle();
	mem_snap(&r.m_closed, -1, -1);

	print_results(&o, &r);
	rc = 0;
out:
	if (loc.bindings_fd >= 0)
		close(loc.bindings_fd);
	if (loc.sources_fd >= 0)
		close(loc.sources_fd);
	if (loc.aors_fd >= 0)
		close(loc.aors_fd);
	if (rc)
		fprintf(stderr, "%s: FAILED\n", prog);
	return rc;
}
