// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lb_apply.c - reconcile the maps with a configuration (lb_apply.h), at
 * start and on SIGHUP. Only differences are written, so a reload that
 * changes nothing rebuilds no table and moves no call. A backend marked
 * draining or down at run time keeps that state across a reload.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "endpoint.h"
#include "lb_apply.h"
#include "lb_table.h"
#include "log.h"

static bool conf_has_vip(const struct siplb_conf *conf,
			 const struct siplb_endpoint *ep)
{
	size_t i;

	for (i = 0; i < conf->nvips; i++)
		if (endpoint_equal(&conf->vips[i].ep, ep))
			return true;
	return false;
}

static bool vip_has_backend(const struct conf_vip *vip,
			    const struct siplb_endpoint *ep)
{
	size_t i;

	for (i = 0; i < vip->nbackends; i++)
		if (endpoint_equal(&vip->backends[i].ep, ep))
			return true;
	return false;
}

/* Remove VIPs the configuration no longer has. */
static int drop_old_vips(const struct lb_maps *m, const struct siplb_conf *conf)
{
	struct siplb_endpoint key, next, gone[SIPLB_MAX_VIPS];
	char text[ENDPOINT_STRLEN];
	size_t n = 0, i;
	int err;

	err = bpf_map_get_next_key(m->vips, NULL, &next);
	while (!err) {
		key = next;
		if (!conf_has_vip(conf, &key) && n < SIPLB_MAX_VIPS)
			gone[n++] = key;
		err = bpf_map_get_next_key(m->vips, &key, &next);
	}
	for (i = 0; i < n; i++) {
		err = lb_vip_del(m, &gone[i]);
		if (err)
			return err;
		log_info("VIP %s removed",
			 endpoint_format(&gone[i], text, sizeof(text)));
	}
	return 0;
}

/* Remove this VIP's backends that the configuration no longer lists. */
static int drop_old_backends(const struct lb_maps *m,
			     const struct conf_vip *vip, __u32 vip_id)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), id;
	struct siplb_backend be;
	int err;

	if (bpf_obj_get_info_by_fd(m->backends, &info, &len))
		return -errno;
	for (id = 1; id < info.max_entries; id++) {
		if (bpf_map_lookup_elem(m->backends, &id, &be))
			return -errno;
		if (be.state == SIPLB_BACKEND_UNUSED || be.vip_id != vip_id ||
		    vip_has_backend(vip, &be.ep))
			continue;
		err = lb_backend_del(m, &vip->ep, &be.ep);
		if (err)
			return err;
	}
	return 0;
}

static int apply_vip(const struct lb_maps *m, const struct conf_vip *vip)
{
	char vtext[ENDPOINT_STRLEN], btext[ENDPOINT_STRLEN];
	struct siplb_backend be;
	struct siplb_vip v;
	size_t i;
	__u32 id;
	int err;

	endpoint_format(&vip->ep, vtext, sizeof(vtext));
	if (bpf_map_lookup_elem(m->vips, &vip->ep, &v)) {
		err = lb_vip_add(m, &vip->ep);
		if (err)
			return err;
		log_info("VIP %s added", vtext);
		if (bpf_map_lookup_elem(m->vips, &vip->ep, &v))
			return -errno;
	}
	err = drop_old_backends(m, vip, v.vip_id);
	if (err)
		return err;
	for (i = 0; i < vip->nbackends; i++) {
		const struct conf_backend *cb = &vip->backends[i];

		endpoint_format(&cb->ep, btext, sizeof(btext));
		err = lb_backend_find(m, &cb->ep, &id, &be);
		if (err)
			return err;
		if (id && be.vip_id != v.vip_id) {
			/* Moved to another VIP: re-add it there. */
			struct siplb_endpoint old;

			err = lb_vip_by_id(m, be.vip_id, &old);
			if (!err)
				err = lb_backend_del(m, &old, &cb->ep);
			if (err)
				return err;
			id = 0;
		}
		if (!id) {
			err = lb_backend_add(m, &vip->ep, &cb->ep, cb->weight);
			if (!err)
				log_info("backend %s of %s added", btext, vtext);
		} else {
			err = lb_backend_set_weight(m, &vip->ep, &cb->ep,
						    cb->weight);
		}
		if (err) {
			log_warnx("backend %s of VIP %s: %s", btext, vtext,
				  strerror(-err));
			return err;
		}
	}
	return 0;
}

int lb_apply_conf(const struct lb_maps *m, const struct siplb_conf *conf)
{
	size_t i;
	int err;

	err = drop_old_vips(m, conf);
	for (i = 0; !err && i < conf->nvips; i++)
		err = apply_vip(m, &conf->vips[i]);
	return err;
}
