// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_state_file - how long siplbd's state file takes to write and to
 * load at a given number of bindings (user/siplbd/state_file.c):
 *
 *	build/bench/bench_state_file [BINDINGS [FILE]]
 *
 * Fills an in-process siplb_location (and siplb_sources) map with BINDINGS
 * bindings (default 1,000,000), writes FILE (default
 * /var/tmp/siplb-bench.state, removed afterwards) as siplbd does, then
 * loads it into new, empty maps. Prints one line per step with its time.
 * The write runs in siplbd's event loop, so its time is how long REGISTERs
 * wait (queued in the socket buffer) during a save. Needs root (maps).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "location.h"
#include "log.h"
#include "state_file.h"

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int maps_new(struct location *loc, __u32 n)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);

	loc->max_contacts = 1;
	loc->bindings_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_location",
					  sizeof(struct siplb_location_key),
					  sizeof(struct siplb_binding), n, &o);
	loc->sources_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_sources",
					 sizeof(struct siplb_addr),
					 sizeof(struct siplb_source), n, &o);
	loc->aors_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_aors",
				      sizeof(struct siplb_aor_key),
				      sizeof(struct siplb_aor), n, &o);
	return loc->bindings_fd < 0 || loc->sources_fd < 0 ||
	       loc->aors_fd < 0 ? -errno : 0;
}

static void maps_close(struct location *loc)
{
	close(loc->bindings_fd);
	close(loc->sources_fd);
	close(loc->aors_fd);
}

int main(int argc, char **argv)
{
	const __u64 now = 1800000000ULL;	/* CLOCK_REALTIME seconds */
	__u32 n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	const char *path = argc > 2 ? argv[2] : "/var/tmp/siplb-bench.state";
	struct siplb_binding b = { .expires_at = now + 3600 };
	struct state_file_counts c;
	struct location loc;
	char aor[64], err[512] = "";
	double t0, t1;
	__u64 saved;
	__u32 i;
	int ret;

	log_init("bench_state_file", LOG_LEVEL_WARN);
	if (n == 0 || maps_new(&loc, n)) {
		fprintf(stderr, "bench_state_file: BINDINGS > 0, and run as "
			"root (bpf_map_create)\n");
		return 1;
	}
	t0 = now_s();
	for (i = 0; i < n; i++) {
		snprintf(aor, sizeof(aor), "sip:user%u@example.com", i);
		snprintf(b.contact, sizeof(b.contact),
			 "sip:user%u@10.%u.%u.%u:5060", i, i >> 16 & 255,
			 i >> 8 & 255, i & 255);
		b.source.family = SIPLB_AF_INET;
		b.source.addr[0] = htonl(0x0a000000 + i);
		ret = location_put(&loc, aor, strlen(aor), 0, &b);
		if (ret) {
			fprintf(stderr, "location_put: %s\n", strerror(-ret));
			return 1;
		}
	}
	t1 = now_s();
	printf("fill   %u bindings: %.2f s\n", n, t1 - t0);

	t0 = now_s();
	ret = state_file_save(path, &loc, now, &saved, err, sizeof(err));
	t1 = now_s();
	if (ret) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("write  %llu bindings (%llu bytes, fsync, rename): %.2f s\n",
	       (unsigned long long)saved,
	       (unsigned long long)(24 + saved * 448 + 40), t1 - t0);
	maps_close(&loc);

	if (maps_new(&loc, n))
		return 1;
	t0 = now_s();
	ret = state_file_load(path, &loc, now, &c, err, sizeof(err));
	t1 = now_s();
	unlink(path);
	if (ret) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("load   %llu bindings (checksum, then the map): %.2f s\n",
	       (unsigned long long)c.loaded, t1 - t0);
	maps_close(&loc);
	return 0;
}
