// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * pps_gen.c - an in-kernel SIP packet generator for scripts/bench/s2_pps.sh.
 *
 * Replays one real INVITE (with SDP) as an Ethernet/IPv4/UDP frame out of
 * a device, millions of times a second: BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES runs pps_gen.bpf.o on the frame as if the
 * device had received it, and the program's XDP_TX sends it out of that
 * device (to the veth's peer). The program rewrites 8 hex digits of the
 * Call-ID on every frame from a pool of --callids distinct values, so the
 * balancer sees many calls, not one. One thread per CPU, each pinned,
 * loops on test runs of --batch frames until --secs have passed (each
 * test run sets up a page pool of its own: small batches measure that).
 *
 * With --register SOURCES (a power of two up to 65536) the frame is a
 * REGISTER without credentials instead, from SOURCES forged addresses
 * (the low bits of --src vary per frame): the flood that siplb's
 * challenge program answers in XDP (scripts/bench/cookie_flood.sh).
 *
 * Prints one line: "offered N secs S" (frames the program was run on, and
 * the wall-clock time). What arrived is counted at the far end.
 *
 * Usage (as root, in the sender's network namespace):
 *   pps_gen --obj pps_gen.bpf.o --dev IFNAME --dmac MAC --src IP
 *           --dst IP [--sport N] [--dport N] [--secs S] [--threads N]
 *           [--callids POW2] [--batch N] [--print-frame]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "packet.h"

/* What sipp sends as a call's first message, with an SDP offer. The
 * first 8 characters of the Call-ID's value are rewritten per frame. */
static const char invite[] =
	"INVITE sip:service@10.99.0.10:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 10.99.1.2:5070;branch=z9hG4bK-12345-1-0\r\n"
	"From: sipp <sip:sipp@10.99.1.2:5070>;tag=12345SIPpTag001\r\n"
	"To: service <sip:service@10.99.0.10:5060>\r\n"
	"Call-ID: 00000000-12345@10.99.1.2\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: sip:sipp@10.99.1.2:5070\r\n"
	"Max-Forwards: 70\r\n"
	"Subject: Performance Test\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length:   129\r\n"
	"\r\n"
	"v=0\r\n"
	"o=user1 53655765 2353687637 IN IP4 10.99.1.2\r\n"
	"s=-\r\n"
	"c=IN IP4 10.99.1.2\r\n"
	"t=0 0\r\n"
	"m=audio 6000 RTP/AVP 0\r\n"
	"a=rtpmap:0 PCMU/8000\r\n";

/* --register: what a phone sends first, without credentials. */
static const char reg[] =
	"REGISTER sip:siplb.test SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 10.99.1.2:5070;branch=z9hG4bK-flood-1;rport\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:flood@siplb.test>;tag=flood1\r\n"
	"To: <sip:flood@siplb.test>\r\n"
	"Call-ID: 00000000-flood@10.99.1.2\r\n"
	"CSeq: 1 REGISTER\r\n"
	"Contact: <sip:flood@10.99.1.2:5070>\r\n"
	"Expires: 3600\r\n"
	"Content-Length: 0\r\n\r\n";

struct gen {
	int prog_fd;
	int ifindex;
	int cpu;
	__u32 batch;
	const __u8 *frame;
	size_t len;
	double secs;
	unsigned long long sent;
	int err;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *gen_thread(void *arg)
{
	struct gen *g = arg;
	struct xdp_md ctx = { .ingress_ifindex = g->ifindex,
			      .data_end = g->len };
	cpu_set_t set;
	double until;

	CPU_ZERO(&set);
	CPU_SET(g->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	until = now() + g->secs;
	while (now() < until) {
		LIBBPF_OPTS(bpf_test_run_opts, o,
			.data_in = g->frame,
			.data_size_in = g->len,
			.ctx_in = &ctx,
			.ctx_size_in = sizeof(ctx),
			.repeat = g->batch,
			.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		);

		if (bpf_prog_test_run_opts(g->prog_fd, &o)) {
			g->err = errno;
			break;
		}
		g->sent += g->batch;
	}
	return NULL;
}

static int parse_mac(const char *s, __u8 mac[6])
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		      &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -1;
}

static int own_mac(const char *dev, __u8 mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rc;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (rc)
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: pps_gen --obj FILE --dev IFNAME --dmac MAC "
		"--src IP --dst IP [--sport N] [--dport N] [--secs S]\n"
		"              [--threads N] [--callids POW2] [--batch N] "
		"[--print-frame]\n"
		"              [--register SOURCES]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "obj", 1, 0, 'o' }, { "dev", 1, 0, 'd' },
		{ "dmac", 1, 0, 'm' }, { "src", 1, 0, 's' },
		{ "dst", 1, 0, 't' }, { "sport", 1, 0, 'S' },
		{ "dport", 1, 0, 'D' }, { "secs", 1, 0, 'T' },
		{ "threads", 1, 0, 'n' }, { "callids", 1, 0, 'c' },
		{ "batch", 1, 0, 'b' }, { "print-frame", 0, 0, 'p' },
		{ "register", 1, 0, 'r' },
		{ 0 }
	};
	const char *obj_path = NULL, *dev = NULL, *src = NULL, *dst = NULL;
	struct pkt_spec spec = { .family = 4, .sport = 5070, .dport = 5060,
				 .payload = invite, .len = sizeof(invite) - 1,
				 .no_udp_csum = true };
	/* pps_gen.bpf.c's struct pps_cfg */
	struct {
		__u32 callid_off, mask;
		__u8 hdr[48];
		__u32 src_mask, len;
		__u8 frame[512];
	} cfg = { 0 };
	unsigned long callids = 65536, sources = 0;
	double secs = 5, t0, t1;
	int threads = 0, opt, i, map_fd, prog_fd, print = 0;
	__u32 batch = 262144, key = 0;
	__u8 frame[PKT_MAX], dmac[6], smac[6];
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct gen *gens;
	pthread_t *tids;
	unsigned long long total = 0;
	const char *cid;
	size_t len;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': obj_path = optarg; break;
		case 'd': dev = optarg; break;
		case 'm': if (parse_mac(optarg, dmac)) usage(); break;
		case 's': src = optarg; break;
		case 't': dst = optarg; break;
		case 'S': spec.sport = atoi(optarg); break;
		case 'D': spec.dport = atoi(optarg); break;
		case 'T': secs = atof(optarg); break;
		case 'n': threads = atoi(optarg); break;
		case 'c': callids = strtoul(optarg, NULL, 0); break;
		case 'b': batch = strtoul(optarg, NULL, 0); break;
		case 'p': print = 1; break;
		case 'r': sources = strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (!obj_path || !dev || !src || !dst || secs <= 0 || !batch ||
	    !callids || (callids & (callids - 1)) || callids > (1UL << 32) ||
	    (sources & (sources - 1)) || sources > 65536)
		usage();
	if (sources) {
		spec.payload = reg;
		spec.len = sizeof(reg) - 1;
	}
	if (threads <= 0)
		threads = sysconf(_SC_NPROCESSORS_ONLN);
	spec.src = src;
	spec.dst = dst;
	len = pkt_build(&spec, frame, sizeof(frame));
	if (!len) {
		fprintf(stderr, "pps_gen: cannot build the frame (%s -> %s)\n",
			src, dst);
		return 1;
	}
	if (own_mac(dev, smac)) {
		fprintf(stderr, "pps_gen: no device %s here\n", dev);
		return 1;
	}
	memcpy(frame, dmac, 6);
	memcpy(frame + 6, smac, 6);
	cid = memmem(frame, len, "Call-ID: ", 9);
	if (!cid)
		return 1;
	cfg.callid_off = (const __u8 *)cid + 9 - frame;
	cfg.mask = callids - 1;
	/* Restored on every frame (pps_gen.bpf.c): Ethernet, IPv4, UDP. */
	memcpy(cfg.hdr, frame, 42);
	if (sources > 1) {
		if (len > sizeof(cfg.frame))
			return 1;
		memcpy(cfg.frame, frame, len);
		cfg.len = len;
		cfg.src_mask = sources - 1;
	}
	if (print) {
		fwrite(frame + len - spec.len, 1, spec.len, stdout);
		return 0;
	}

	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "pps_gen: cannot load %s\n", obj_path);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "pps_gen");
	map_fd = bpf_object__find_map_fd_by_name(obj, "pps_cfg");
	if (!prog || map_fd < 0 || bpf_map_update_elem(map_fd, &key, &cfg, 0)) {
		fprintf(stderr, "pps_gen: %s has no pps_gen/pps_cfg\n", obj_path);
		return 1;
	}
	prog_fd = bpf_program__fd(prog);

	gens = calloc(threads, sizeof(*gens));
	tids = calloc(threads, sizeof(*tids));
	if (!gens || !tids)
		return 1;
	t0 = now();
	for (i = 0; i < threads; i++) {
		gens[i] = (struct gen){ .prog_fd = prog_fd,
			.ifindex = if_nametoindex(dev), .cpu = i % sysconf(_SC_NPROCESSORS_ONLN),
			.batch = batch, .frame = frame, .len = len, .secs = secs };
		if (pthread_create(&tids[i], NULL, gen_thread, &gens[i])) {
			fprintf(stderr, "pps_gen: pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < threads; i++) {
		pthread_join(tids[i], NULL);
		if (gens[i].err) {
			fprintf(stderr, "pps_gen: BPF_PROG_TEST_RUN (live frames): %s\n",
				strerror(gens[i].err));
			return 1;
		}
		total += gens[i].sent;
	}
	t1 = now();
	printf("offered %llu secs %.3f frame %zu\n", total, t1 - t0, len);
	bpf_object__close(obj);
	return 0;
}
