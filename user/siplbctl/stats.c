// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stats.c - `siplbctl stats` (stats.h): the data plane's counters (read
 * through lb_stats.h), the guard policy, each backend with its counters,
 * and siplbd's own counters when it answers.
 */
#include "guard_print.h"
#include "json.h"
#include "lb_stats.h"
#include "list.h"
#include "stats.h"

int stats_print(const struct lb_maps *m, FILE *out, bool json,
		const char *daemon_json)
{
	__u64 counters[SIPLB_STAT_MAX], events[SIPLB_EVENT_MAX];
	int i, err;

	err = lb_stats_read(m, counters);
	if (!err)
		err = lb_events_read(m, events);
	if (err)
		return err;
	if (json) {
		fprintf(out, "{\"counters\":{");
		for (i = 0; i < SIPLB_STAT_MAX; i++) {
			fputs(i ? "," : "", out);
			json_cstring(out, siplb_stat_names[i]);
			fprintf(out, ":%llu", (unsigned long long)counters[i]);
		}
		fprintf(out, "},\"events\":{");
		for (i = 0; i < SIPLB_EVENT_MAX; i++) {
			fputs(i ? "," : "", out);
			json_cstring(out, siplb_event_names[i]);
			fprintf(out, ":%llu", (unsigned long long)events[i]);
		}
		fprintf(out, "},\"backends\":[");
		err = list_backends_print(m, out, true, true);
		fprintf(out, "],\"guard\":");
		if (guard_print(m, out, true))
			fprintf(out, "null");
		if (daemon_json)
			fprintf(out, ",\"daemon\":%s", daemon_json);
		fprintf(out, "}\n");
		return err;
	}
	for (i = 0; i < SIPLB_STAT_MAX; i++)
		fprintf(out, "%-20s %12llu  %s\n", siplb_stat_names[i],
			(unsigned long long)counters[i], siplb_stat_help[i]);
	fputc('\n', out);
	for (i = 0; i < SIPLB_EVENT_MAX; i++)	/* not verdicts: apart */
		fprintf(out, "%-20s %12llu  %s\n", siplb_event_names[i],
			(unsigned long long)events[i], siplb_event_help[i]);
	fputc('\n', out);
	guard_print(m, out, false);
	fputc('\n', out);
	err = list_backends_print(m, out, false, true);
	if (daemon_json)
		fprintf(out, "\nsiplbd: %s\n", daemon_json);
	return err;
}
