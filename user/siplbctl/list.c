// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * list.c - `siplbctl list`: the VIPs and their backends, read from the
 * pinned maps (list.h). The backends part is also `siplbctl stats`',
 * with each backend's counters.
 */
#include <errno.h>
#include <bpf/bpf.h>

#include "endpoint.h"
#include "json.h"
#include "lb_stats.h"
#include "lb_table.h"
#include "list.h"

int list_backends_print(const struct lb_maps *m, FILE *out, bool json,
			bool with_stats)
{
	char vip_s[ENDPOINT_STRLEN], be_s[ENDPOINT_STRLEN];
	struct siplb_backend_stats bst = {};
	struct siplb_endpoint vip_ep;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), id;
	struct siplb_backend be;
	bool first = true;
	int err;

	if (bpf_obj_get_info_by_fd(m->backends, &info, &len))
		return -errno;
	if (!json)
		fprintf(out,
			with_stats ? "%-4s %-24s %-24s %-9s %6s %12s %14s\n" :
				     "%-4s %-24s %-24s %-9s %6s\n",
			"id", "vip", "backend", "state", "weight", "packets",
			"bytes");
	for (id = 1; id < info.max_entries; id++) {
		if (bpf_map_lookup_elem(m->backends, &id, &be))
			return -errno;
		if (be.state == SIPLB_BACKEND_UNUSED)
			continue;
		if (lb_vip_by_id(m, be.vip_id, &vip_ep))
			snprintf(vip_s, sizeof(vip_s), "?");
		else
			endpoint_format(&vip_ep, vip_s, sizeof(vip_s));
		endpoint_format(&be.ep, be_s, sizeof(be_s));
		if (with_stats) {
			err = lb_stats_read_backend(m, id, &bst);
			if (err)
				return err;
		}
		if (json) {
			fprintf(out, "%s{\"id\":%u,\"vip\":", first ? "" : ",",
				id);
			json_cstring(out, vip_s);
			fprintf(out, ",\"addr\":");
			json_cstring(out, be_s);
			fprintf(out, ",\"state\":");
			json_cstring(out, lb_backend_state_name(be.state));
			fprintf(out, ",\"weight\":%u", be.weight);
			if (with_stats)
				fprintf(out, ",\"packets\":%llu,\"bytes\":%llu",
					(unsigned long long)bst.packets,
					(unsigned long long)bst.bytes);
			fputc('}', out);
		} else {
			fprintf(out, "%-4u %-24s %-24s %-9s %6u", id, vip_s,
				be_s, lb_backend_state_name(be.state),
				be.weight);
			if (with_stats)
				fprintf(out, " %12llu %14llu",
					(unsigned long long)bst.packets,
					(unsigned long long)bst.bytes);
			fputc('\n', out);
		}
		first = false;
	}
	return 0;
}

int list_print(const struct lb_maps *m, FILE *out, bool json)
{
	char vip_s[ENDPOINT_STRLEN];
	struct siplb_endpoint key, next;
	struct siplb_vip vip;
	bool first = true;
	int err;

	fprintf(out, json ? "{\"vips\":[" : "VIPs:\n");
	err = bpf_map_get_next_key(m->vips, NULL, &next);
	while (!err) {
		key = next;
		if (!bpf_map_lookup_elem(m->vips, &key, &vip)) {
			endpoint_format(&key, vip_s, sizeof(vip_s));
			if (json) {
				fprintf(out, "%s{\"vip\":", first ? "" : ",");
				json_cstring(out, vip_s);
				fprintf(out, ",\"id\":%u,\"ring\":%u}",
					vip.vip_id, vip.ring_id);
			} else {
				fprintf(out, "  %-24s id %u, table %u\n", vip_s,
					vip.vip_id, vip.ring_id);
			}
			first = false;
		}
		err = bpf_map_get_next_key(m->vips, &key, &next);
	}
	fprintf(out, json ? "],\"backends\":[" : "\nBackends:\n");
	err = list_backends_print(m, out, json, false);
	if (json)
		fprintf(out, "]}\n");
	return err;
}
