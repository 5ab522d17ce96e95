// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_config.c - libFuzzer target for siplbd's configuration parser
 * (config.h): the input is a whole siplb.conf, given to
 * conf_parse_buffer() as it would come from conf_load() (not
 * NUL-terminated), once under an absolute name with room for the error
 * message and once under a relative name with a tiny error buffer, where
 * messages are truncated.
 *
 * A config that parses must be what config.h and etc/siplb.conf promise
 * (one to SIPLB_MAX_VIPS VIPs, each with backends of its own family and
 * weights in range, min <= default <= max expires, a health timeout
 * below the interval, strings NUL-terminated within their arrays); one
 * that does not must come with a message naming the file.
 */
#include <errno.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

static void check_string(const char *s, size_t size)
{
	FUZZ_CHECK(memchr(s, '\0', size) != NULL);
}

static void check_alg_list(const struct digest_alg_list *l)
{
	size_t i;

	FUZZ_CHECK(l->n >= 1 && l->n <= DIGEST_ALG_COUNT);
	for (i = 0; i < l->n; i++)
		FUZZ_CHECK((unsigned int)l->algs[i] < DIGEST_ALG_COUNT);
}

static void check_conf(const struct siplb_conf *c)
{
	size_t i, j;

	check_string(c->pin_dir, sizeof(c->pin_dir));
	check_string(c->control_socket, sizeof(c->control_socket));
	check_string(c->realm, sizeof(c->realm));
	check_string(c->users_path, sizeof(c->users_path));
	FUZZ_CHECK(c->realm[0] && c->users_path[0]);
	FUZZ_CHECK(c->ninterfaces <= CONF_MAX_INTERFACES);
	for (i = 0; i < c->ninterfaces; i++)
		check_string(c->interfaces[i], IFNAMSIZ);
	FUZZ_CHECK(c->nvips >= 1 && c->nvips <= SIPLB_MAX_VIPS);
	for (i = 0; i < c->nvips; i++) {
		const struct conf_vip *v = &c->vips[i];

		FUZZ_CHECK(v->nbackends >= 1);
		for (j = 0; j < v->nbackends; j++) {
			FUZZ_CHECK(v->backends[j].ep.family == v->ep.family);
			FUZZ_CHECK(v->backends[j].weight >= 1 &&
				   v->backends[j].weight <= SIPLB_WEIGHT_MAX);
		}
	}
	FUZZ_CHECK(c->affinity_size >= 1 &&
		   c->affinity_size <= CONF_AFFINITY_MAX);
	FUZZ_CHECK(c->registrar.min_expires <= c->registrar.default_expires &&
		   c->registrar.default_expires <= c->registrar.max_expires);
	FUZZ_CHECK(c->health.timeout < c->health.interval);
	check_alg_list(&c->auth.digest.dflt);
	FUZZ_CHECK(c->auth.digest.nrules <= DIGEST_POLICY_RULES_MAX);
	for (i = 0; i < c->auth.digest.nrules; i++) {
		check_alg_list(&c->auth.digest.rules[i].list);
		FUZZ_CHECK(strlen(c->auth.digest.rules[i].pattern) <=
			   DIGEST_POLICY_PATTERN_MAX);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char name[] = "/etc/siplb/siplb.conf";
	struct siplb_conf *conf = NULL;
	char err[256], tiny[8];
	int ret;

	ret = conf_parse_buffer(name, (const char *)data, size, &conf, err,
				sizeof(err));
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOMEM);
	if (ret) {
		FUZZ_CHECK(conf == NULL);
		FUZZ_CHECK(!strncmp(err, name, strlen(name)));
	} else {
		check_conf(conf);
		conf_free(conf);
	}

	ret = conf_parse_buffer("siplb.conf", (const char *)data, size, &conf,
				tiny, sizeof(tiny));
	FUZZ_CHECK(memchr(tiny, '\0', sizeof(tiny)) != NULL);
	if (!ret)
		conf_free(conf);
	return 0;
}
