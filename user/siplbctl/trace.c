// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * trace.c - `siplbctl trace` (trace.h): the operator's answer to "why was
 * this packet not forwarded?" that tcpdump cannot give, since it never
 * sees what XDP dropped, sent back out or redirected.
 *
 * It writes the filter into siplb_trace_cfg (which switches the trace on),
 * reads the events bpf/trace.bpf.h puts in the siplb_trace ring buffer,
 * prints each (trace_event.c) and may write them to a pcap file, and
 * switches the trace off again when the count or time is reached, on
 * SIGINT, SIGTERM or SIGHUP, and on any error. One trace at a time: a
 * second one is refused while the first runs (a trace left on by a
 * siplbctl that was killed is switched off with --off).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "endpoint.h"
#include "lb_maps.h"
#include "lb_stats.h"
#include "log.h"
#include "siplb.skel.h"
#include "siplb_hash.h"
#include "trace.h"
#include "trace_event.h"

#define POLL_MS 100 /* how often the limits and signals are looked at */

/* What the ring buffer callback needs. */
struct trace_state {
	const struct trace_opts *o;
	struct trace_ctx tc;
	int backends_fd; /* siplb_backends, to name the backend */
	FILE *pcap;
	unsigned long long seen;
	bool discard; /* emptying events of an earlier trace */
	int err; /* a write error: stop */
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = 1;
}

static int parse_ull(const char *text, const char *what, unsigned long long max,
		     unsigned long long *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || end == text || text[0] == '-' || v == 0 ||
	    v > max) {
		log_warnx("trace: bad %s '%s': expected a number 1..%llu", what,
			  text, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int trace_prefix_parse(const char *text, struct siplb_addr *addr,
		       __be32 mask[4])
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned long long len;
	int i, max, bits;

	if (snprintf(buf, sizeof(buf), "%s", text) >= (int)sizeof(buf))
		return -EINVAL;
	memset(addr, 0, sizeof(*addr));
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, addr->addr) == 1) {
		addr->family = SIPLB_AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, addr->addr) == 1) {
		addr->family = SIPLB_AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	len = max;
	if (slash && (slash[1] < '0' || slash[1] > '9' ||
		      parse_ull(slash + 1, "prefix length", max, &len)))
		return -EINVAL;
	for (i = 0; i < 4; i++) {
		bits = (int)len - 32 * i;
		bits = bits < 0 ? 0 : bits > 32 ? 32 : bits;
		mask[i] = bits ? htonl(~0u << (32 - bits)) : 0;
		addr->addr[i] &= mask[i];
	}
	return 0;
}

static int reason_parse(const char *name, __u32 *reason)
{
	__u32 i;

	for (i = 0; i < SIPLB_STAT_MAX; i++) {
		if (!strcmp(siplb_stat_names[i], name)) {
			*reason = i;
			return 0;
		}
	}
	log_warnx("trace: no counter '%s' (siplbctl stats lists them)", name);
	return -EINVAL;
}

/* One option and its value; -EINVAL if unknown or bad. */
static int trace_option(struct trace_opts *o, const char *opt, const char *val)
{
	struct siplb_trace_cfg *c = &o->cfg;
	unsigned long long v;

	if (!strcmp(opt, "--src")) {
		if (trace_prefix_parse(val, &c->src, c->src_mask)) {
			log_warnx("trace: bad --src '%s': expected ADDR or "
				  "ADDR/LEN",
				  val);
			return -EINVAL;
		}
		c->filters |= SIPLB_TRACE_F_SRC;
	} else if (!strcmp(opt, "--callid")) {
		if (!*val || strlen(val) > SIPLB_CALLID_MAX) {
			log_warnx("trace: a Call-ID of 1..%d bytes: XDP hashes "
				  "no other",
				  SIPLB_CALLID_MAX);
			return -EINVAL;
		}
		o->callid = val;
		c->filters |= SIPLB_TRACE_F_CALLID;
	} else if (!strcmp(opt, "--vip")) {
		if (endpoint_parse(val, &c->vip)) {
			log_warnx("trace: bad --vip '%s': expected ADDR:PORT "
				  "or [IPV6]:PORT",
				  val);
			return -EINVAL;
		}
		c->filters |= SIPLB_TRACE_F_VIP;
	} else if (!strcmp(opt, "--reason")) {
		if (reason_parse(val, &c->reason))
			return -EINVAL;
		c->filters |= SIPLB_TRACE_F_REASON;
	} else if (!strcmp(opt, "--sample")) {
		if (parse_ull(val, "sample rate", 0xffffffffULL, &v))
			return -EINVAL;
		c->sample = v;
	} else if (!strcmp(opt, "--count")) {
		if (parse_ull(val, "count", ~0ULL, &o->count))
			return -EINVAL;
	} else if (!strcmp(opt, "--seconds")) {
		if (parse_ull(val, "seconds", 86400 * 365, &v))
			return -EINVAL;
		o->seconds = v;
	} else if (!strcmp(opt, "-w")) {
		o->pcap_path = val;
	} else {
		log_warnx("trace: unknown argument '%s'", opt);
		return -EINVAL;
	}
	return 0;
}

int trace_args_parse(struct trace_opts *o, int argc, char **argv)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--off")) {
			o->off = true;
			continue;
		}
		if (i + 1 >= argc) {
			log_warnx("trace: '%s' needs a value", argv[i]);
			return -EINVAL;
		}
		if (trace_option(o, argv[i], argv[i + 1]))
			return -EINVAL;
		i++;
	}
	if (o->off && argc != 1) {
		log_warnx("trace: --off takes no other argument");
		return -EINVAL;
	}
	return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct trace_state *st = ctx;
	const struct siplb_trace_event *ev = data;
	char backend[ENDPOINT_STRLEN];
	struct siplb_backend be;

	if (st->discard || st->err || size < sizeof(*ev) ||
	    (st->o->count && st->seen >= st->o->count))
		return 0;
	st->seen++;
	st->tc.backend = NULL;
	if (ev->backend_id &&
	    !bpf_map_lookup_elem(st->backends_fd, &ev->backend_id, &be) &&
	    be.ep.family)
		st->tc.backend =
			endpoint_format(&be.ep, backend, sizeof(backend));
	trace_event_print(stdout, ev, &st->tc, st->o->json);
	fflush(stdout);
	if (st->pcap && trace_pcap_record(st->pcap, ev, &st->tc))
		st->err = -EIO;
	return 0;
}

static __s64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__s64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void signals_catch(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: the poll returns, and the loop sees the flag. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
}

/* The Call-ID filter as the program compares it: hashed with its key. */
static int callid_filter(struct trace_opts *o, int config_fd)
{
	struct siplb_config cfg;
	__u32 zero = 0;

	if (!o->callid)
		return 0;
	if (bpf_map_lookup_elem(config_fd, &zero, &cfg))
		return -errno;
	o->cfg.callid_hash = siplb_callid_hash((const __u8 *)o->callid,
					       strlen(o->callid), cfg.hash_key);
	return 0;
}

/* Until a limit, a signal or an error. 0 or -errno. */
static int trace_loop(struct ring_buffer *rb, struct trace_state *st)
{
	__s64 deadline = 0;
	int n;

	if (st->o->seconds)
		deadline = clock_ns(CLOCK_MONOTONIC) +
			   (__s64)st->o->seconds * 1000000000;
	while (!stop_requested && !st->err) {
		if (st->o->count && st->seen >= st->o->count)
			break;
		if (deadline && clock_ns(CLOCK_MONOTONIC) >= deadline)
			break;
		n = ring_buffer__poll(rb, POLL_MS);
		if (n < 0 && n != -EINTR) {
			log_warnx("trace: reading the ring buffer: %s",
				  strerror(-n));
			return n;
		}
	}
	return st->err;
}

/* Switch off; say how many events the ring had no room for. */
static int trace_off(int cfg_fd, bool report)
{
	struct siplb_trace_cfg cfg = {}, old;
	__u32 zero = 0;

	if (report && !bpf_map_lookup_elem(cfg_fd, &zero, &old) && old.lost)
		log_warnx("trace: %llu events lost: the ring buffer was full "
			  "(filter more, or --sample N)",
			  (unsigned long long)old.lost);
	if (bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY)) {
		log_warn("trace: Couldn't switch the trace off (siplbctl "
			 "trace --off)");
		return -errno;
	}
	return 0;
}

/* The trace's two maps, opened by the skeleton's names. */
static int trace_maps_open(const char *pin_dir, int *cfg_fd, int *ring_fd)
{
	struct siplb *skel = siplb__open();
	int err;

	if (!skel)
		return -errno;
	err = lb_map_open(pin_dir, skel->maps.siplb_trace_cfg, cfg_fd);
	if (!err) {
		err = lb_map_open(pin_dir, skel->maps.siplb_trace, ring_fd);
		if (err)
			close(*cfg_fd);
	}
	siplb__destroy(skel);
	if (err == -ENOENT)
		log_warnx("trace: the attached program has no trace maps "
			  "(attached by an older siplb? attach it again)");
	return err;
}

static int trace_session(struct trace_opts *o, struct lb_maps *m, int cfg_fd,
			 int ring_fd)
{
	struct trace_state st = { .o = o, .backends_fd = m->backends };
	struct ring_buffer *rb = NULL;
	__u32 zero = 0;
	int err;

	err = callid_filter(o, m->config);
	if (err)
		return err;
	if (o->pcap_path) {
		st.pcap = fopen(o->pcap_path, "w");
		if (!st.pcap || trace_pcap_header(st.pcap)) {
			err = -errno;
			log_warn("trace: Couldn't write %s", o->pcap_path);
			goto out;
		}
	}
	rb = ring_buffer__new(ring_fd, on_event, &st, NULL);
	if (!rb) {
		err = -errno;
		log_warn("trace: Couldn't read the ring buffer");
		goto out;
	}
	st.discard = true; /* what an earlier trace left unread */
	ring_buffer__consume(rb);
	st.discard = false;

	signals_catch();
	st.tc.mono_to_real_ns =
		clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	o->cfg.enabled = 1;
	o->cfg.lost = 0;
	if (bpf_map_update_elem(cfg_fd, &zero, &o->cfg, BPF_ANY)) {
		err = -errno;
		log_warn("trace: Couldn't switch the trace on");
		goto out;
	}
	log_info("tracing (Ctrl-C stops)");
	err = trace_loop(rb, &st);
	if (trace_off(cfg_fd, true) && !err)
		err = -EIO;
	ring_buffer__consume(rb); /* those settled before the switch */
	log_info("%llu events", st.seen);
	if (!err)
		err = st.err;
out:
	ring_buffer__free(rb);
	if (st.pcap && fclose(st.pcap) && !err) {
		err = -errno;
		log_warn("trace: Couldn't write %s", o->pcap_path);
	}
	return err;
}

int trace_run(struct trace_opts *o, const char *pin_dir)
{
	struct siplb_trace_cfg cur;
	int cfg_fd, ring_fd, err;
	struct lb_maps m;
	__u32 zero = 0;

	/* The product's maps first: their absence has the better message. */
	err = lb_maps_open(&m, pin_dir);
	if (err)
		return err;
	err = trace_maps_open(pin_dir, &cfg_fd, &ring_fd);
	if (err)
		goto out_maps;
	if (o->off) {
		err = trace_off(cfg_fd, true);
	} else if (bpf_map_lookup_elem(cfg_fd, &zero, &cur) == 0 &&
		   cur.enabled) {
		log_warnx("trace: a trace is on already (another siplbctl "
			  "trace? if none runs, `siplbctl trace --off`)");
		err = -EBUSY;
	} else {
		err = trace_session(o, &m, cfg_fd, ring_fd);
	}
	close(cfg_fd);
	close(ring_fd);
out_maps:
	lb_maps_close(&m);
	return err;
}
