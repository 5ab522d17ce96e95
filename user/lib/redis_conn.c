// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * redis_conn.c - a hiredis connection that fails fast and recovers
 * (redis_conn.h).
 *
 * siplbd calls Redis from its event loop, synchronously: a command at a
 * time, or a receive batch's commands pipelined (appended, then the
 * replies read in order), so that the loop waits one round trip per batch
 * rather than per request. What must not happen is the loop waiting
 * seconds for a dead Redis, so every read has a short timeout, and after a
 * failure the connection is dropped and not tried again for a second:
 * meanwhile callers get NULL at once (and the registrar answers 503).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include "log.h"
#include "redis_conn.h"
#include "siplb_location.h"

#define RETRY_MS	1000

static __u64 mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

void redis_conn_init(struct redis_conn *rc, const char *host, __u16 port,
		     int timeout_ms)
{
	memset(rc, 0, sizeof(*rc));
	snprintf(rc->host, sizeof(rc->host), "%s", host);
	rc->port = port;
	rc->timeout_ms = timeout_ms;
}

void redis_conn_drop(struct redis_conn *rc)
{
	if (!rc->c)
		return;
	redisFree(rc->c);
	rc->c = NULL;
	rc->failures++;
	rc->next_try_ms = mono_ms() + RETRY_MS;
}

void redis_conn_free(struct redis_conn *rc)
{
	if (rc->c)
		redisFree(rc->c);
	rc->c = NULL;
}

redisContext *redis_conn_get(struct redis_conn *rc)
{
	struct timeval tv = { rc->timeout_ms / 1000,
			      (rc->timeout_ms % 1000) * 1000 };
	redisContext *c;

	if (rc->c)
		return rc->c;
	if (mono_ms() < rc->next_try_ms)
		return NULL;
	rc->next_try_ms = mono_ms() + RETRY_MS;
	c = redisConnectWithTimeout(rc->host, rc->port, tv);
	if (!c || c->err) {
		log_warnx("Couldn't connect to Redis at %s:%u: %s (retrying "
			  "every second)", rc->host, rc->port,
			  c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		rc->failures++;
		return NULL;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		redisFree(c);
		return NULL;
	}
	rc->connects++;
	if (rc->connects > 1)
		log_info("reconnected to Redis at %s:%u", rc->host, rc->port);
	rc->c = c;
	return c;
}

redisReply *redis_conn_cmd(struct redis_conn *rc, int argc, const char **argv,
			   const size_t *lens)
{
	redisContext *c = redis_conn_get(rc);
	redisReply *r;

	if (!c)
		return NULL;
	r = redisCommandArgv(c, argc, argv, lens);
	if (!r) {
		log_warnx("Redis at %s:%u: %s", rc->host, rc->port,
			  c->errstr[0] ? c->errstr : "no reply");
		redis_conn_drop(rc);
	}
	return r;
}

void redis_hex(const void *p, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * len] = '\0';
}

void redis_script_init(struct redis_script *s)
{
	unsigned char md[SHA_DIGEST_LENGTH];

	SHA1((const unsigned char *)s->lua, strlen(s->lua), md);
	redis_hex(md, sizeof(md), s->sha);
}

#define SCRIPT_ARGS_MAX	512

/* "VERB BODY NKEYS argv..." as one command's words. */
struct script_words {
	const char *av[SCRIPT_ARGS_MAX + 3];
	size_t al[SCRIPT_ARGS_MAX + 3];
	char nk[16];
	int n;
};

static int script_words(struct script_words *w, const char *verb,
			const char *body, int nkeys, int argc,
			const char **argv, const size_t *lens)
{
	int i;

	if (argc > SCRIPT_ARGS_MAX)
		return -E2BIG;
	snprintf(w->nk, sizeof(w->nk), "%d", nkeys);
	w->av[0] = verb;
	w->av[1] = body;
	w->av[2] = w->nk;
	for (i = 0; i < 3; i++)
		w->al[i] = strlen(w->av[i]);
	for (i = 0; i < argc; i++) {
		w->av[i + 3] = argv[i];
		w->al[i + 3] = lens ? lens[i] : strlen(argv[i]);
	}
	w->n = argc + 3;
	return 0;
}

static redisReply *script_call(struct redis_conn *rc, const char *verb,
			       const char *body, int nkeys, int argc,
			       const char **argv, const size_t *lens)
{
	static struct script_words w;	/* 12 KB: not on the stack */

	if (script_words(&w, verb, body, nkeys, argc, argv, lens))
		return NULL;
	return redis_conn_cmd(rc, w.n, w.av, w.al);
}

redisReply *redis_conn_script(struct redis_conn *rc,
			      const struct redis_script *s, int nkeys,
			      int argc, const char **argv, const size_t *lens)
{
	redisReply *r;

	r = script_call(rc, "EVALSHA", s->sha, nkeys, argc, argv, lens);
	if (r && r->type == REDIS_REPLY_ERROR &&
	    !strncmp(r->str, "NOSCRIPT", 8)) {
		freeReplyObject(r);
		r = script_call(rc, "EVAL", s->lua, nkeys, argc, argv, lens);
	}
	if (r && r->type == REDIS_REPLY_ERROR)
		log_warnx("Redis script %s: %s", s->name, r->str);
	return r;
}

void redis_reply_free(redisReply *r)
{
	if (r)
		freeReplyObject(r);
}

int redis_binding_parse(const char *v, size_t len, __u32 *slot,
			struct siplb_binding *b)
{
	const char *nl = memchr(v, '\n', len < REDIS_BINDING_HEADER_MAX ?
					 len : REDIS_BINDING_HEADER_MAX);
	unsigned int s;

	if (!nl || sscanf(v, "%u ", &s) != 1 || s >= SIPLB_CONTACTS_MAX ||
	    (size_t)(v + len - (nl + 1)) != sizeof(*b))
		return -EINVAL;
	memcpy(b, nl + 1, sizeof(*b));
	b->contact[SIPLB_CONTACT_MAX - 1] = '\0';
	b->instance[SIPLB_INSTANCE_MAX - 1] = '\0';
	*slot = s;
	return 0;
}

int redis_conn_load_scripts(struct redis_conn *rc,
			    const struct redis_script *const *s, size_t n)
{
	const char *argv[3] = { "SCRIPT", "LOAD" };
	redisReply *r;
	size_t i;

	if (!redis_conn_get(rc))
		return -EIO;
	if (rc->scripts_loaded_on == rc->connects)
		return 0;
	for (i = 0; i < n; i++) {
		argv[2] = s[i]->lua;
		r = redis_conn_cmd(rc, 3, argv, NULL);
		if (!r || r->type != REDIS_REPLY_STRING ||
		    strcmp(r->str, s[i]->sha)) {
			log_warnx("Redis at %s:%u: SCRIPT LOAD %s failed",
				  rc->host, rc->port, s[i]->name);
			redis_reply_free(r);
			return -EIO;
		}
		redis_reply_free(r);
	}
	rc->scripts_loaded_on = rc->connects;
	return 0;
}

int redis_conn_append_script(struct redis_conn *rc,
			     const struct redis_script *s, int nkeys, int argc,
			     const char **argv, const size_t *lens)
{
	static struct script_words w;

	if (!rc->c)
		return -EIO;
	if (script_words(&w, "EVALSHA", s->sha, nkeys, argc, argv, lens))
		return -E2BIG;
	if (redisAppendCommandArgv(rc->c, w.n, w.av, w.al) != REDIS_OK)
		return -ENOMEM;
	return 0;
}

redisReply *redis_conn_read(struct redis_conn *rc)
{
	void *r = NULL;

	if (!rc->c)
		return NULL;
	if (redisGetReply(rc->c, &r) != REDIS_OK || !r) {
		log_warnx("Redis at %s:%u: %s", rc->host, rc->port,
			  rc->c->errstr[0] ? rc->c->errstr : "no reply");
		redis_conn_drop(rc);
		return NULL;
	}
	if (((redisReply *)r)->type == REDIS_REPLY_ERROR) {
		log_warnx("Redis at %s:%u: %s", rc->host, rc->port,
			  ((redisReply *)r)->str);
		/* SCRIPT FLUSH: load them again before the next batch. */
		if (!strncmp(((redisReply *)r)->str, "NOSCRIPT", 8))
			rc->scripts_loaded_on = 0;
	}
	return r;
}
