/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * trace_event.h - one event of the verdict trace (include/siplb_trace.h)
 * as a line of text, a JSON object, or a pcap record.
 */
#ifndef SIPLB_TRACE_EVENT_H
#define SIPLB_TRACE_EVENT_H

#include <stdbool.h>
#include <stdio.h>
#include "siplb_trace.h"

/* What an event is printed with besides itself. */
struct trace_ctx {
	__s64 mono_to_real_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	const char *backend; /* the chosen backend's endpoint, or NULL */
};

/* The XDP action's name ("XDP_TX"), or "XDP_?" for another number. */
const char *trace_verdict_name(unsigned int verdict);
/* The counter's name ("steer_tx"), or "?" for another number. */
const char *trace_reason_name(unsigned int reason);

/* The first bytes of the SIP start line (method or status), printable
 * ASCII only, into buf (at most 16 characters): "" if none. */
void trace_start_line(const struct siplb_trace_event *ev, char *buf,
		      size_t size);

/* One line, or one JSON object on a line. */
void trace_event_print(FILE *out, const struct siplb_trace_event *ev,
		       const struct trace_ctx *tc, bool json);

/* A classic pcap file (LINKTYPE_ETHERNET, microseconds, SNAPLEN): the
 * header, then one record per event. 0 or -errno. */
int trace_pcap_header(FILE *f);
int trace_pcap_record(FILE *f, const struct siplb_trace_event *ev,
		      const struct trace_ctx *tc);

#endif /* SIPLB_TRACE_EVENT_H */
