// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * metrics.c - the /metrics HTTP server (metrics.h).
 *
 * libmicrohttpd in its external-epoll mode (MHD_USE_EPOLL without an
 * internal thread): it keeps its sockets in an epoll fd of its own, which
 * siplbd's loop watches as one more handler; when it is readable, or once
 * a second for time-outs, MHD_run() does the due work without blocking.
 * So no thread ever runs beside the loop, and a scrape reads siplbd's
 * counters with no lock. A scrape is small (tens of KiB): it is rendered
 * whole into memory and handed to libmicrohttpd, which sends it as the
 * socket drains.
 *
 * Only GET or HEAD of /metrics is served; anything else is refused (404,
 * 405), counted and logged. Connections are few and short-lived by
 * design: a Prometheus server or two, and curl.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "endpoint.h"
#include "log.h"
#include "metrics.h"

#define METRICS_CONN_LIMIT 16
#define METRICS_CONN_TIMEOUT_S 10
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static enum MHD_Result respond_text(struct MHD_Connection *c,
				    unsigned int status, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_metrics(struct metrics_server *ms,
				       struct MHD_Connection *c)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int err;

	out = open_memstream(&buf, &len);
	if (!out)
		goto failed;
	err = ms->render(ms->ctx, out);
	if (fclose(out) || err) {
		free(buf);
		goto failed;
	}
	r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(buf);
		goto failed;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				METRICS_CONTENT_TYPE);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	ms->scrapes++;
	return ret;
failed:
	ms->failed++;
	log_warnx("metrics: couldn't render a scrape");
	return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "scrape failed\n");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct metrics_server *ms = cls;

	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		ms->refused++;
		log_info("metrics: refused %.16s %.64s (405: only GET, HEAD)",
			 method, url);
		return respond_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				    "only GET and HEAD\n");
	}
	if (strcmp(url, "/metrics")) {
		ms->refused++;
		log_info("metrics: refused %.64s (404: only /metrics)", url);
		return respond_text(c, MHD_HTTP_NOT_FOUND,
				    "only /metrics is served here\n");
	}
	return respond_metrics(ms, c);
}

static void on_ready(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct metrics_server *ms = arg;

	MHD_run(ms->mhd);
}

int metrics_open(struct metrics_server *ms, const struct siplb_endpoint *addr,
		 struct evloop *loop, metrics_render_fn render, void *ctx)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	unsigned int flags = MHD_USE_EPOLL;
	char text[ENDPOINT_STRLEN];
	int err;

	memset(ms, 0, sizeof(*ms));
	ms->epoll_fd = -1;
	ms->render = render;
	ms->ctx = ctx;
	endpoint_format(addr, text, sizeof(text));
	endpoint_to_sockaddr(addr, &ss);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	ms->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, ms, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)METRICS_CONN_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)METRICS_CONN_TIMEOUT_S, MHD_OPTION_END);
	if (!ms->mhd) {
		log_warnx("Couldn't serve metrics on %s (is the address in "
			  "use, or not on this host?)",
			  text);
		return -EADDRNOTAVAIL;
	}
	info = MHD_get_daemon_info(ms->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || info->epoll_fd < 0) {
		metrics_close(ms);
		return -EINVAL;
	}
	err = evloop_add(loop, info->epoll_fd, EPOLLIN, on_ready, ms);
	if (err) {
		metrics_close(ms);
		return err;
	}
	ms->loop = loop;
	ms->epoll_fd = info->epoll_fd;
	log_info("metrics on http://%s/metrics", text);
	return 0;
}

void metrics_tick(struct metrics_server *ms)
{
	if (ms->mhd)
		MHD_run(ms->mhd);
}

void metrics_close(struct metrics_server *ms)
{
	if (ms->loop && ms->epoll_fd >= 0)
		evloop_del(ms->loop, ms->epoll_fd);
	if (ms->mhd)
		MHD_stop_daemon(ms->mhd);
	ms->mhd = NULL;
	ms->loop = NULL;
	ms->epoll_fd = -1;
}
