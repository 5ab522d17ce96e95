// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * slowpath.c - user-space steering with the XDP program's rules
 * (slowpath.h): the same keyed hash (include/siplb_hash.h), the same
 * affinity entries, the same Maglev table. The datagram leaves with the
 * client's address and port as its source (an IP_TRANSPARENT socket bound
 * to them), as the XDP program's rewrite would have it, so the backend's
 * replies take the usual path back through the balancer's SNAT.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#include "endpoint.h"
#include "log.h"
#include "siplb_hash.h"
#include "slowpath.h"

int slowpath_choose(const struct lb_maps *m, const struct siplb_endpoint *vip_ep,
		    const char *callid, size_t callid_len,
		    struct siplb_backend *out)
{
	struct siplb_affinity_key key = {};
	struct siplb_affinity aff = {};
	struct siplb_config cfg;
	struct siplb_vip vip;
	__u32 zero = 0, idx, id;

	if (bpf_map_lookup_elem(m->vips, vip_ep, &vip) ||
	    bpf_map_lookup_elem(m->config, &zero, &cfg))
		return -ENOENT;
	/* No length cap here: Call-IDs too long for XDP only come this way,
	 * so each call is hashed by one side only. */
	key.callid_hash = siplb_siphash((const __u8 *)callid, callid_len,
					(__u32)-1, cfg.hash_key);
	key.vip_id = vip.vip_id;
	if (!bpf_map_lookup_elem(m->affinity, &key, &aff) &&
	    !bpf_map_lookup_elem(m->backends, &aff.backend_id, out) &&
	    siplb_backend_usable(out, &vip, vip_ep->family, true))
		return 0;
	idx = siplb_ring_index(vip.ring_id, siplb_maglev_slot(key.callid_hash));
	if (bpf_map_lookup_elem(m->rings, &idx, &id) || id == 0 ||
	    bpf_map_lookup_elem(m->backends, &id, out) ||
	    !siplb_backend_usable(out, &vip, vip_ep->family, false))
		return -EHOSTUNREACH;
	aff.backend_id = id;
	bpf_map_update_elem(m->affinity, &key, &aff, BPF_ANY);
	return 0;
}

/* Send buf from `from` (not a local address) to `to`. */
static int send_as(const struct siplb_endpoint *from,
		   const struct siplb_endpoint *to, const void *buf,
		   size_t len)
{
	int v6 = from->family == SIPLB_AF_INET6, one = 1, fd, err = 0;
	struct sockaddr_storage src, dst;
	socklen_t slen, dlen;

	slen = endpoint_to_sockaddr(from, &src);
	dlen = endpoint_to_sockaddr(to, &dst);
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, v6 ? SOL_IPV6 : SOL_IP,
		       v6 ? IPV6_TRANSPARENT : IP_TRANSPARENT, &one,
		       sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&src, slen) ||
	    sendto(fd, buf, len, 0, (struct sockaddr *)&dst, dlen) < 0)
		err = -errno;
	close(fd);
	return err;
}

int slowpath_forward(struct slowpath *s, const struct siplb_endpoint *vip,
		     const char *callid, size_t callid_len, const void *buf,
		     size_t len, const struct siplb_endpoint *source)
{
	struct siplb_backend be;
	int err;

	err = slowpath_choose(s->maps, vip, callid, callid_len, &be);
	if (err) {
		s->no_backend++;
		return err;
	}
	err = send_as(source, &be.ep, buf, len);
	if (err) {
		s->errors++;
		log_debug("slow path: send to backend failed: %s",
			  strerror(-err));
		return err;
	}
	s->forwarded++;
	return 0;
}
