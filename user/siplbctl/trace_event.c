// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * trace_event.c - an event of the verdict trace printed for an operator
 * (one line, or JSON lines for a program) and written as a pcap record.
 *
 * The pcap is the classic libpcap format, written by hand (24-byte file
 * header, 16-byte record headers, host byte order with the magic saying
 * which): every tool from tcpdump to Wireshark reads it, and no library
 * is needed to write 40 bytes of headers. The frame is the one XDP
 * settled: rewritten for a steered or source-rewritten packet, as
 * received for the rest.
 */
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>

#include "endpoint.h"
#include "lb_stats.h"
#include "trace_event.h"

#define START_LINE_MAX 16 /* bytes of the start line shown */
#define PCAP_MAGIC_US 0xa1b2c3d4 /* microsecond timestamps */
#define LINKTYPE_ETHERNET 1

struct pcap_file_header {
	uint32_t magic;
	uint16_t version_major, version_minor;
	int32_t thiszone;
	uint32_t sigfigs, snaplen, linktype;
};
_Static_assert(sizeof(struct pcap_file_header) == 24, "pcap file header");

struct pcap_record_header {
	uint32_t ts_sec, ts_usec, incl_len, orig_len;
};
_Static_assert(sizeof(struct pcap_record_header) == 16, "pcap record header");

const char *trace_verdict_name(unsigned int verdict)
{
	static const char *const names[] = {
		[XDP_ABORTED] = "XDP_ABORTED",	 [XDP_DROP] = "XDP_DROP",
		[XDP_PASS] = "XDP_PASS",	 [XDP_TX] = "XDP_TX",
		[XDP_REDIRECT] = "XDP_REDIRECT",
	};

	if (verdict >= sizeof(names) / sizeof(names[0]))
		return "XDP_?";
	return names[verdict];
}

const char *trace_reason_name(unsigned int reason)
{
	return reason < SIPLB_STAT_MAX ? siplb_stat_names[reason] : "?";
}

void trace_start_line(const struct siplb_trace_event *ev, char *buf,
		      size_t size)
{
	size_t n = 0, off = ev->payload_off;
	unsigned char c;

	while (off && off < ev->cap_len && off < SIPLB_TRACE_SNAPLEN &&
	       n < START_LINE_MAX && n + 1 < size) {
		c = ev->data[off++];
		if (c < 0x20 || c > 0x7e) /* CR, LF, binary: stop */
			break;
		buf[n++] = c;
	}
	if (size)
		buf[n] = '\0';
}

/* The event's time on the wall clock: seconds and nanoseconds. */
static void event_time(const struct siplb_trace_event *ev,
		       const struct trace_ctx *tc, struct timespec *ts)
{
	__s64 ns = (__s64)ev->time_ns + tc->mono_to_real_ns;

	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
}

static const char *ifname(__u32 ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	return buf;
}

static const char *ep_text(const struct siplb_endpoint *ep, char *buf,
			   size_t size)
{
	if (ep->family != SIPLB_AF_INET && ep->family != SIPLB_AF_INET6)
		return "-";
	return endpoint_format(ep, buf, size);
}

/* JSON string: the start line is printable ASCII already; quote and
 * backslash are all that need escaping. */
static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void trace_event_print(FILE *out, const struct siplb_trace_event *ev,
		       const struct trace_ctx *tc, bool json)
{
	char src[ENDPOINT_STRLEN], dst[ENDPOINT_STRLEN], dev[IF_NAMESIZE];
	char start[START_LINE_MAX + 1], when[32];
	struct timespec ts;
	struct tm tm;

	event_time(ev, tc, &ts);
	trace_start_line(ev, start, sizeof(start));
	if (json) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(out,
			"{\"time\":\"%s.%06ldZ\",\"ifindex\":%u,"
			"\"interface\":",
			when, ts.tv_nsec / 1000, ev->ifindex);
		json_string(out, ifname(ev->ifindex, dev));
		fprintf(out, ",\"src\":");
		json_string(out, ep_text(&ev->src, src, sizeof(src)));
		fprintf(out, ",\"dst\":");
		json_string(out, ep_text(&ev->dst, dst, sizeof(dst)));
		fprintf(out, ",\"start\":");
		json_string(out, start);
		fprintf(out,
			",\"callid_hash\":\"%016llx\",\"backend_id\":%u,"
			"\"backend\":",
			(unsigned long long)ev->callid_hash, ev->backend_id);
		json_string(out, tc->backend ? tc->backend : "");
		fprintf(out,
			",\"verdict\":\"%s\",\"reason\":\"%s\","
			"\"len\":%u,\"caplen\":%u}\n",
			trace_verdict_name(ev->verdict),
			trace_reason_name(ev->reason), ev->pkt_len,
			ev->cap_len);
		return;
	}
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(out, "%s.%06ld %s %s > %s \"%s\" callid %016llx", when,
		ts.tv_nsec / 1000, ifname(ev->ifindex, dev),
		ep_text(&ev->src, src, sizeof(src)),
		ep_text(&ev->dst, dst, sizeof(dst)), start,
		(unsigned long long)ev->callid_hash);
	if (ev->backend_id)
		fprintf(out, " backend %u (%s)", ev->backend_id,
			tc->backend ? tc->backend : "?");
	else
		fprintf(out, " backend -");
	fprintf(out, " %s %s\n", trace_verdict_name(ev->verdict),
		trace_reason_name(ev->reason));
}

int trace_pcap_header(FILE *f)
{
	struct pcap_file_header h = {
		.magic = PCAP_MAGIC_US,
		.version_major = 2,
		.version_minor = 4,
		.snaplen = SIPLB_TRACE_SNAPLEN,
		.linktype = LINKTYPE_ETHERNET,
	};

	return fwrite(&h, sizeof(h), 1, f) == 1 ? 0 : -EIO;
}

int trace_pcap_record(FILE *f, const struct siplb_trace_event *ev,
		      const struct trace_ctx *tc)
{
	struct pcap_record_header r;
	struct timespec ts;
	__u32 cap = ev->cap_len;

	if (cap > SIPLB_TRACE_SNAPLEN) /* never, from the program */
		cap = SIPLB_TRACE_SNAPLEN;
	event_time(ev, tc, &ts);
	r.ts_sec = ts.tv_sec;
	r.ts_usec = ts.tv_nsec / 1000;
	r.incl_len = cap;
	r.orig_len = ev->pkt_len > cap ? ev->pkt_len : cap;
	if (fwrite(&r, sizeof(r), 1, f) != 1 ||
	    (cap && fwrite(ev->data, cap, 1, f) != 1))
		return -EIO;
	return 0;
}
