// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_redis.c - the cluster's Redis store, measured (docs/PERFORMANCE.md
 * "Bindings in Redis"). A redis-server is started on loopback for the run
 * (tests/lib/redis_server.c) and killed at the end.
 *
 *   script   N registrations (default 20,000), one new AOR each, through
 *            cluster_store_register() from one connection, as siplbd
 *            makes them: wall time, this process's CPU (the client side
 *            of each script call) and redis-server's CPU (utime+stime
 *            from /proc), per registration;
 *   lag      at each rate (default 1,000 and 10,000 registrations/s, for
 *            3 s each) with the real siplb-mirror (build/siplb-mirror)
 *            writing a pinned map: the mirror measures each change from
 *            its stream id (Redis's clock when the script ran: when the
 *            200 could go out) to its map write, 1 ms resolution, and
 *            says median, p99 and max when it stops; and its CPU;
 *   sync     B bindings (default 1,000,000) written straight into Redis
 *            in the script's layout (pipelined HSET + ZADD), Redis's
 *            memory per binding (INFO used_memory, before and after),
 *            then mirror_sync() into maps made as bpf/maps.bpf.h makes
 *            them: its time, and the maps' kernel memory (memlock).
 *
 * Usage: bench_redis [--script N] [--rates R1,R2] [--seconds S]
 *                    [--bindings B] [--mirror PATH]      (as root)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <hiredis/hiredis.h>

#include "cluster_store.h"
#include "log.h"
#include "mirror.h"
#include "redis_server.h"

static struct redis_server srv;

static __u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* utime + stime of a process, in microseconds. */
static double proc_cpu_us(pid_t pid)
{
	unsigned long long ut = 0, st = 0;
	char path[64], buf[1024], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
		       "%llu %llu", &ut, &st);
	fclose(f);
	return (ut + st) * 1e6 / sysconf(_SC_CLK_TCK);
}

static double self_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
}

static void contact_of(struct cluster_contact *c, __u64 i, __u64 stamp,
		       __u64 now)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->b.contact, sizeof(c->b.contact),
		 "sip:u%llu@10.%llu.%llu.%llu:5060;t=%llu",
		 (unsigned long long)i, (unsigned long long)(i >> 16) & 255,
		 (unsigned long long)(i >> 8) & 255,
		 (unsigned long long)i & 255, (unsigned long long)stamp);
	c->b.source.family = 2;
	c->b.source.addr[0] = htonl(0x0a000000 | (i & 0xffffff));
	c->b.source.port = htons(5060);
	c->b.q = 1000;
	c->b.expires_at = now + 3600;
	c->b.registered_at = now;
	cluster_binding_id(c->b.contact, "", 0, c->id, sizeof(c->id));
}

static int register_one(struct cluster_store *cs, const char *prefix,
			__u64 i, __u64 stamp, struct location_set *set)
{
	struct cluster_contact c;
	char aor[SIPLB_AOR_MAX];
	struct cluster_register rq = {
		.aor = aor, .max_contacts = 10, .callid_hash = i, .cseq = 1,
		.contacts = &c, .n = 1,
	};

	rq.now = time(NULL);
	snprintf(aor, sizeof(aor), "sip:%s%llu@example.com", prefix,
		 (unsigned long long)i);
	contact_of(&c, i, stamp, rq.now);
	return cluster_store_register(cs, &rq, set);
}

static int bench_script(__u64 n)
{
	struct location_set *set = malloc(sizeof(*set));
	double cpu0, rcpu0, cpu, rcpu;
	struct cluster_store cs;
	__u64 t0, t, i;
	int err = 0;

	cluster_store_init(&cs, "127.0.0.1", srv.port, "bench");
	cpu0 = self_cpu_us();
	rcpu0 = proc_cpu_us(srv.pid);
	t0 = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < n && !err; i++)
		err = register_one(&cs, "s", i, 0, set);
	t = now_ns(CLOCK_MONOTONIC) - t0;
	cpu = self_cpu_us() - cpu0;
	rcpu = proc_cpu_us(srv.pid) - rcpu0;
	if (err) {
		fprintf(stderr, "registration %llu failed: %s\n",
			(unsigned long long)i, strerror(-err));
		return 1;
	}
	printf("script: %llu registrations in %.2f s (%.0f/s): client CPU "
	       "%.1f us, redis-server CPU %.1f us per registration\n",
	       (unsigned long long)n, t / 1e9, n / (t / 1e9), cpu / n,
	       rcpu / n);
	cluster_store_free(&cs);
	free(set);
	return 0;
}

/* Wait (up to 10 s) until aor is in the pinned map; false if not. */
static bool wait_in_map(const char *pin, const char *aor)
{
	struct siplb_location_key key;
	struct siplb_binding b;
	char path[256];
	int fd, i;
	bool found = false;

	snprintf(path, sizeof(path), "%s/siplb_location", pin);
	memset(&key, 0, sizeof(key));
	snprintf(key.aor, sizeof(key.aor), "%s", aor);
	for (i = 0; i < 1000 && !found; i++) {
		fd = bpf_obj_get(path);
		found = fd >= 0 && !bpf_map_lookup_elem(fd, &key, &b);
		if (fd >= 0)
			close(fd);
		if (!found)
			usleep(10000);
	}
	return found;
}

/*
 * The real siplb-mirror follows Redis into a pinned map while this
 * process registers at rate; the mirror measures each change's lag from
 * its stream id (Redis's clock when the script ran, that is when the 200
 * could go out) to its map write, and says median, p99 and max on exit.
 */
static int bench_lag(const char *mirror_bin, __u64 rate, __u64 seconds,
		     int round)
{
	struct location_set *set = malloc(sizeof(*set));
	char pin[64], redis[64], prefix[16], logpath[96], line[512];
	__u64 n = rate * seconds, i, t0, due;
	double sent_s, cpu0;
	struct cluster_store cs;
	char last[SIPLB_AOR_MAX];
	bool arrived;
	pid_t mirror;
	FILE *f;
	int err = 0;

	snprintf(pin, sizeof(pin), "/sys/fs/bpf/bench-redis-%d-%d", getpid(),
		 round);
	snprintf(logpath, sizeof(logpath), "/tmp/bench-redis-%d-%d.log",
		 getpid(), round);
	snprintf(redis, sizeof(redis), "127.0.0.1:%u", srv.port);
	snprintf(prefix, sizeof(prefix), "l%d-", round);
	mirror = fork();
	if (!mirror) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 2);
		execl(mirror_bin, mirror_bin, "-r", redis, "-P", pin, "-m",
		      "1048576", (char *)NULL);
		_exit(127);
	}
	/* Its maps and first sync, before the clock starts. */
	snprintf(last, sizeof(last), "sip:s0@example.com");
	wait_in_map(pin, last);
	cluster_store_init(&cs, "127.0.0.1", srv.port, "bench");
	cpu0 = proc_cpu_us(mirror);
	t0 = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < n && !err; i++) {
		due = t0 + i * 1000000000ULL / rate;
		while (now_ns(CLOCK_MONOTONIC) + 60000 < due)
			usleep(50);	/* not a spin: two cores are shared */
		err = register_one(&cs, prefix, i, 0, set);
	}
	sent_s = (now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	snprintf(last, sizeof(last), "sip:%s%llu@example.com", prefix,
		 (unsigned long long)(n - 1));
	arrived = wait_in_map(pin, last);
	printf("lag at %llu registrations/s (%llu s, achieved %.0f/s): "
	       "siplb-mirror CPU %.1f us per change; ",
	       (unsigned long long)rate, (unsigned long long)seconds,
	       n / sent_s, (proc_cpu_us(mirror) - cpu0) / n);
	kill(mirror, SIGTERM);
	waitpid(mirror, NULL, 0);
	f = fopen(logpath, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "lag: median"))
			printf("%s", strstr(line, "lag: median") + 5);
	if (f)
		fclose(f);
	unlink(logpath);
	snprintf(line, sizeof(line), "rm -rf %s", pin);
	if (system(line))
		fprintf(stderr, "couldn't remove %s\n", pin);
	if (err || !arrived) {
		fprintf(stderr, "lag at %llu/s: %s\n", (unsigned long long)rate,
			err ? strerror(-err) : "the last binding never arrived");
		return 1;
	}
	free(set);
	cluster_store_free(&cs);
	return 0;
}

static long long used_memory(redisContext *c)
{
	redisReply *r = redisCommand(c, "INFO memory");
	long long v = -1;
	char *p;

	if (r && r->type == REDIS_REPLY_STRING &&
	    (p = strstr(r->str, "used_memory:")))
		v = atoll(p + strlen("used_memory:"));
	if (r)
		freeReplyObject(r);
	return v;
}

static long long memlock(int fd)
{
	char path[64], line[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "memlock:", 8))
			v = atoll(line + 8);
	if (f)
		fclose(f);
	return v;
}

/* B bindings in the script's layout, pipelined 1,000 at a time. */
static int fill_redis(redisContext *c, __u64 b)
{
	struct cluster_contact ct;
	char key[160], val[600], member[300];
	__u64 i, j, now = time(NULL);
	redisReply *r;
	int hl, vl, ml;

	for (i = 0; i < b; i += 1000) {
		for (j = i; j < i + 1000 && j < b; j++) {
			contact_of(&ct, j, 0, now);
			snprintf(key, sizeof(key),
				 REDIS_KEY_BINDINGS "sip:f%llu@example.com",
				 (unsigned long long)j);
			hl = snprintf(val, sizeof(val), "0 %llu 1 %016llx\n",
				      (unsigned long long)ct.b.expires_at,
				      (unsigned long long)j);
			memcpy(val + hl, &ct.b, sizeof(ct.b));
			vl = hl + sizeof(ct.b);
			redisAppendCommand(c, "HSET %s %s %b", key, ct.id, val,
					   (size_t)vl);
			ml = snprintf(member, sizeof(member), "%s", key +
				      strlen(REDIS_KEY_BINDINGS)) + 1;
			memcpy(member + ml, ct.id, strlen(ct.id));
			ml += strlen(ct.id);
			redisAppendCommand(c, "ZADD " REDIS_KEY_EXPIRIES
					   " %llu %b", (unsigned long long)
					   ct.b.expires_at, member, (size_t)ml);
		}
		for (j = i; j < i + 1000 && j < b; j++) {
			int k;

			for (k = 0; k < 2; k++) {
				if (redisGetReply(c, (void **)&r) != REDIS_OK)
					return -EIO;
				freeReplyObject(r);
			}
		}
	}
	return 0;
}

static int bench_sync(__u64 b)
{
	LIBBPF_OPTS(bpf_map_create_opts, np, .map_flags = BPF_F_NO_PREALLOC);
	struct timeval tv = { 5, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", srv.port, tv);
	long long before, after;
	struct mirror m = {};
	__u64 t0, t;
	int err;

	if (!c || c->err)
		return 1;
	redisSetTimeout(c, (struct timeval){ 60, 0 });
	freeReplyObject(redisCommand(c, "FLUSHALL"));
	before = used_memory(c);
	t0 = now_ns(CLOCK_MONOTONIC);
	err = fill_redis(c, b);
	after = used_memory(c);
	printf("sync: %llu bindings written to Redis in %.1f s; Redis memory "
	       "%.0f bytes per binding (hash field + expiry entry)\n",
	       (unsigned long long)b,
	       (now_ns(CLOCK_MONOTONIC) - t0) / 1e9,
	       (double)(after - before) / b);
	redisFree(c);
	if (err)
		return 1;
	m.loc.bindings_fd = bpf_map_create(BPF_MAP_TYPE_HASH, NULL,
					   sizeof(struct siplb_location_key),
					   sizeof(struct siplb_binding),
					   SIPLB_LOCATION_SIZE, &np);
	m.loc.sources_fd = bpf_map_create(BPF_MAP_TYPE_HASH, NULL,
					  sizeof(struct siplb_addr),
					  sizeof(struct siplb_source),
					  SIPLB_LOCATION_SIZE, &np);
	m.blocked_fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, NULL,
				      sizeof(struct siplb_addr),
				      sizeof(struct siplb_block),
				      SIPLB_BLOCKED_SIZE, NULL);
	m.loc.max_contacts = SIPLB_CONTACTS_MAX;
	if (m.loc.bindings_fd < 0 || m.loc.sources_fd < 0 ||
	    m.blocked_fd < 0)
		return 1;
	redis_conn_init(&m.rc, "127.0.0.1", srv.port, 60000);
	t0 = now_ns(CLOCK_MONOTONIC);
	err = mirror_sync(&m);
	t = now_ns(CLOCK_MONOTONIC) - t0;
	if (err || m.stats.synced != b) {
		fprintf(stderr, "sync: %s, %llu of %llu bindings\n",
			strerror(-err), (unsigned long long)m.stats.synced,
			(unsigned long long)b);
		return 1;
	}
	printf("sync: a new host's full sync of %llu bindings: %.1f s "
	       "(%.0f bindings/s); its maps: siplb_location %.0f MiB, "
	       "siplb_sources %.0f MiB (memlock)\n", (unsigned long long)b,
	       t / 1e9, b / (t / 1e9), memlock(m.loc.bindings_fd) / 1048576.0,
	       memlock(m.loc.sources_fd) / 1048576.0);
	redis_conn_free(&m.rc);
	return 0;
}

int main(int argc, char **argv)
{
	__u64 script_n = 20000, bindings = 1000000, seconds = 3;
	const char *rates = "1000,10000", *mirror = "build/siplb-mirror";
	char *r, *save, buf[64];
	int i, err = 0, round = 0;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--script"))
			script_n = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--rates"))
			rates = argv[i + 1];
		else if (!strcmp(argv[i], "--seconds"))
			seconds = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--bindings"))
			bindings = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--mirror"))
			mirror = argv[i + 1];
	}
	log_init("bench_redis", LOG_LEVEL_WARN);
	if (redis_server_start(&srv, false)) {
		fprintf(stderr, "couldn't start redis-server\n");
		return 1;
	}
	err = bench_script(script_n);
	snprintf(buf, sizeof(buf), "%s", rates);
	for (r = strtok_r(buf, ",", &save); r && !err;
	     r = strtok_r(NULL, ",", &save))
		err = bench_lag(mirror, strtoull(r, NULL, 10), seconds,
				round++);
	if (!err && bindings)
		err = bench_sync(bindings);
	redis_server_remove(&srv);
	return err;
}
