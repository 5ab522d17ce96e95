// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * health.c - OPTIONS probes (health.h).
 *
 * One connected UDP socket per backend: connect() picks the local address
 * that routes to the backend (the Via of the probe), and ICMP port
 * unreachable comes back on it as ECONNREFUSED, an immediate miss. A
 * final response carrying the probe's Call-ID counts as an answer when its
 * code is in alive-codes (by default 200-499 but 408: a 404 still shows a
 * SIP stack that is alive, RFC 3261 11 makes OPTIONS the way to ask, but a
 * 5xx says the backend cannot serve). Any other code is a miss at once. A
 * 503 with Retry-After (RFC 3261 21.5.4) marks the backend unhealthy
 * without waiting for down-after misses, and no probe goes to it before
 * the time it asked for (capped by retry-after-max); then up-after
 * answers bring it back as usual. Everything runs from the one-second
 * tick, so there is no timer per backend.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "endpoint.h"
#include "health.h"
#include "lb_table.h"
#include "log.h"

struct health_target {
	struct siplb_endpoint ep;	/* what the socket is connected to */
	int fd;
	__u32 seq;
	bool waiting;
	__u64 sent_ms, next_ms;
	__u32 misses, answers;		/* in a row */
	__u32 retry_after;		/* of the last 503 answer, s */
	char call_id[64];
};

int health_init(struct health *h, const struct lb_maps *maps,
		const struct health_conf *conf)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), i;

	memset(h, 0, sizeof(*h));
	if (bpf_obj_get_info_by_fd(maps->backends, &info, &len))
		return -errno;
	h->t = calloc(info.max_entries, sizeof(*h->t));
	if (!h->t)
		return -ENOMEM;
	for (i = 0; i < info.max_entries; i++)
		h->t[i].fd = -1;
	h->ntargets = info.max_entries;
	h->maps = maps;
	h->conf = *conf;
	return 0;
}

static void target_close(struct health_target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

void health_free(struct health *h)
{
	__u32 i;

	for (i = 0; h->t && i < h->ntargets; i++)
		target_close(&h->t[i]);
	free(h->t);
	h->t = NULL;
}

/*
 * (Re)open the socket to ep. The probe counters survive a reopen for the
 * same endpoint: a backend whose route is gone fails here every time, and
 * those misses must add up.
 */
static int target_open(struct health_target *t, const struct siplb_endpoint *ep)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int err;

	if (memcmp(&t->ep, ep, sizeof(*ep))) {
		target_close(t);	/* another backend in this slot */
		t->ep = *ep;
	} else if (t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
	len = endpoint_to_sockaddr(ep, &ss);
	t->fd = socket(ep->family == SIPLB_AF_INET6 ? AF_INET6 : AF_INET,
		       SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (t->fd < 0)
		return -errno;
	if (connect(t->fd, (struct sockaddr *)&ss, len)) {
		err = -errno;
		close(t->fd);
		t->fd = -1;
		return err;
	}
	return 0;
}

static int send_probe(struct health_target *t, __u32 id)
{
	char local_text[ENDPOINT_STRLEN], be_text[ENDPOINT_STRLEN], msg[768];
	struct sockaddr_storage local;
	struct siplb_endpoint local_ep;
	socklen_t len = sizeof(local);
	int n;

	if (getsockname(t->fd, (struct sockaddr *)&local, &len))
		return -errno;
	endpoint_from_sockaddr(&local, &local_ep);
	endpoint_format(&local_ep, local_text, sizeof(local_text));
	endpoint_format(&t->ep, be_text, sizeof(be_text));
	t->seq++;
	snprintf(t->call_id, sizeof(t->call_id), "siplb-health-%u-%u", id,
		 t->seq);
	n = snprintf(msg, sizeof(msg),
		     "OPTIONS sip:%s SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP %s;branch=z9hG4bK-siplb-hc-%u-%u;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:siplb@%s>;tag=siplb-hc\r\n"
		     "To: <sip:%s>\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: %u OPTIONS\r\n"
		     "Accept: application/sdp\r\n"
		     "Content-Length: 0\r\n\r\n",
		     be_text, local_text, id, t->seq, local_text, be_text,
		     t->call_id, t->seq);
	if (send(t->fd, msg, n, 0) < 0)
		return -errno;
	return 0;
}

enum probe_verdict health_reply_verdict(const struct health_conf *conf,
					unsigned int code,
					unsigned int retry_after)
{
	if (status_set_has(&conf->alive, code))
		return PROBE_ALIVE;
	if (code == 503 && retry_after > 0)
		return PROBE_BACK_OFF;
	return PROBE_DEAD;
}

/* Retry-After: N (seconds; RFC 3261 20.33), or 0 if absent or bad. */
static unsigned int retry_after_of(const char *msg)
{
	const char *h = strcasestr(msg, "\nRetry-After:");
	unsigned long v;

	if (!h)
		return 0;
	h += strlen("\nRetry-After:");
	h += strspn(h, " \t");
	if (*h < '0' || *h > '9')
		return 0;
	v = strtoul(h, NULL, 10);
	return v > 86400 ? 86400 : (unsigned int)v;
}

/*
 * The final response to the outstanding probe, if one arrived: its code
 * (with t->retry_after set), 0 if none yet, -1 if refused (ICMP).
 * Provisional responses are not an answer: the final one follows.
 */
static int read_answers(struct health_target *t)
{
	char buf[4096], needle[96];
	unsigned int code;
	int got = 0;
	ssize_t n;

	snprintf(needle, sizeof(needle), "%s\r\n", t->call_id);
	for (;;) {
		n = recv(t->fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			return errno == ECONNREFUSED ? -1 : got;
		buf[n] = '\0';
		if (n < 12 || memcmp(buf, "SIP/2.0 ", 8) || !strstr(buf, needle))
			continue;
		if (sscanf(buf + 8, "%3u", &code) != 1 || code < 200 ||
		    code > 699)
			continue;
		got = (int)code;
		t->retry_after = retry_after_of(buf);
	}
}

/* Move a backend between up and unhealthy, leaving admin states alone. */
static void judge(struct health *h, struct siplb_backend *be,
		  struct health_target *t)
{
	char text[ENDPOINT_STRLEN];
	struct siplb_endpoint vip;
	int err;

	if (lb_vip_by_id(h->maps, be->vip_id, &vip))
		return;
	endpoint_format(&be->ep, text, sizeof(text));
	if (be->state == SIPLB_BACKEND_UP && t->misses >= h->conf.down_after) {
		err = lb_backend_set_state(h->maps, &vip, &be->ep,
					   SIPLB_BACKEND_UNHEALTHY);
		if (!err) {
			h->marked_unhealthy++;
			log_warnx("backend %s is unhealthy: %u probes in a "
				  "row failed (no answer, or a code not in "
				  "alive-codes); its calls move", text,
				  t->misses);
		}
	} else if (be->state == SIPLB_BACKEND_UNHEALTHY &&
		   t->answers >= h->conf.up_after) {
		err = lb_backend_set_state(h->maps, &vip, &be->ep,
					   SIPLB_BACKEND_UP);
		if (!err) {
			h->marked_up++;
			log_info("backend %s answers again: up", text);
		}
	}
}

static void count_miss(struct health *h, struct health_target *t)
{
	t->waiting = false;
	t->misses++;
	t->answers = 0;
	h->misses++;
}

/*
 * The backend answered 503 with Retry-After: it is unhealthy now (if it
 * was up), and is asked again only when the time it gave has passed.
 */
static void back_off(struct health *h, struct siplb_backend *be,
		     struct health_target *t, __u64 now_ms)
{
	__u32 wait = t->retry_after;
	char text[ENDPOINT_STRLEN];
	struct siplb_endpoint vip;

	if (wait > h->conf.retry_after_max)
		wait = h->conf.retry_after_max;
	h->backed_off++;
	t->next_ms = now_ms + wait * 1000ULL;
	t->answers = 0;
	t->misses = h->conf.down_after;
	endpoint_format(&be->ep, text, sizeof(text));
	log_warnx("backend %s answered 503 with Retry-After %u: next probe "
		  "in %u s", text, t->retry_after, wait);
	if (be->state != SIPLB_BACKEND_UP || lb_vip_by_id(h->maps, be->vip_id,
							    &vip))
		return;
	if (!lb_backend_set_state(h->maps, &vip, &be->ep,
				  SIPLB_BACKEND_UNHEALTHY)) {
		h->marked_unhealthy++;
		log_warnx("backend %s is unhealthy: it asked for a back-off; "
			  "its calls move", text);
	}
}

/* A final reply arrived: alive, a miss, or a back-off. */
static void count_reply(struct health *h, struct siplb_backend *be,
			struct health_target *t, int code, __u64 now_ms)
{
	switch (health_reply_verdict(&h->conf, code, t->retry_after)) {
	case PROBE_ALIVE:
		t->waiting = false;
		t->answers++;
		t->misses = 0;
		h->answers++;
		return;
	case PROBE_BACK_OFF:
		t->waiting = false;
		h->refused_codes++;
		back_off(h, be, t, now_ms);
		return;
	default:
		h->refused_codes++;
		count_miss(h, t);
	}
}

static void probe_one(struct health *h, __u32 id, struct siplb_backend *be,
		      __u64 now_ms)
{
	struct health_target *t = &h->t[id];
	int answer;

	if (t->fd < 0 || memcmp(&t->ep, &be->ep, sizeof(be->ep))) {
		if (target_open(t, &be->ep)) {
			/* No route to the backend (its link is down): a
			 * probe that cannot be sent is a miss, once per
			 * interval, or the backend would stay up forever. */
			if (now_ms >= t->next_ms) {
				count_miss(h, t);
				t->next_ms = now_ms + h->conf.interval * 1000ULL;
			}
			judge(h, be, t);
			return;
		}
	}
	if (t->waiting) {
		answer = read_answers(t);
		if (answer > 0) {
			count_reply(h, be, t, answer, now_ms);
		} else if (answer < 0 ||
			   now_ms - t->sent_ms >= h->conf.timeout * 1000ULL) {
			count_miss(h, t);
		}
	}
	judge(h, be, t);
	if (!t->waiting && now_ms >= t->next_ms) {
		if (send_probe(t, id) == 0) {
			t->waiting = true;
			t->sent_ms = now_ms;
			h->probes++;
		} else {
			/* ENETUNREACH and the like: the route went away
			 * under the connected socket. A miss, as above. */
			count_miss(h, t);
			judge(h, be, t);
		}
		t->next_ms = now_ms + h->conf.interval * 1000ULL;
	}
}

void health_tick(struct health *h, __u64 now_ms)
{
	struct siplb_backend be;
	__u32 id;

	for (id = 1; id < h->ntargets; id++) {
		if (bpf_map_lookup_elem(h->maps->backends, &id, &be))
			return;
		if (be.state == SIPLB_BACKEND_UNUSED) {
			if (h->t[id].fd >= 0)
				target_close(&h->t[id]);
			continue;
		}
		probe_one(h, id, &be, now_ms);
	}
}

void health_restart(struct health *h, __u32 id)
{
	if (id < h->ntargets) {
		h->t[id].answers = 0;
		h->t[id].misses = 0;
	}
}
