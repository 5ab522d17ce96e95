// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_users.c - libFuzzer target for the registrar's users file
 * (users.h).
 *
 * The input is a whole htdigest file given to users_parse(). When it is
 * accepted, every user:realm on it must be found by users_find(), with
 * lower-case hex HA1s of the algorithm's length, and the table must hold
 * exactly those entries. Then the input, split at NULs, is a user, a
 * realm and a password for users_format_line(): a line it writes must be
 * read back by users_parse() as that user with the HA1s users_ha1()
 * computes (the line is for "siplbctl passwd"; it has to mean what it
 * says).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "users.h"
#include "fuzz.h"

static void check_ha1(const char *ha1, enum digest_alg alg)
{
	size_t i, n = digest_alg_hexlen(alg);

	FUZZ_CHECK(strlen(ha1) == n);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(strchr("0123456789abcdef", ha1[i]) && ha1[i]);
}

/* Look up the user:realm of one line the parser accepted. */
static bool find_line(const struct users *db, char *line)
{
	char *rest = line, *user, *realm;
	const char *ha1;
	bool any = false;
	int alg;

	if (!line[strspn(line, " \t")] || line[strspn(line, " \t")] == '#')
		return false;
	user = strsep(&rest, ":");
	realm = strsep(&rest, ":");
	FUZZ_CHECK(realm != NULL);
	for (alg = 0; alg < DIGEST_ALG_COUNT; alg++) {
		ha1 = users_find(db, user, realm, (enum digest_alg)alg);
		if (ha1) {
			check_ha1(ha1, (enum digest_alg)alg);
			any = true;
		}
	}
	FUZZ_CHECK(any);
	return true;
}

static void parse_file(const uint8_t *data, size_t size)
{
	struct users *db = NULL;
	char err[256], *text, *p, *nl;
	size_t lines = 0;
	int ret;

	ret = users_parse("users.htdigest", (const char *)data, size, &db, err,
			  sizeof(err));
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret) {
		FUZZ_CHECK(db == NULL);
		FUZZ_CHECK(!strncmp(err, "users.htdigest", 14));
		return;
	}
	/* Accepted: no NUL in it, so the C string is the whole file. */
	text = fuzz_strdup(data, size);
	for (p = text; p; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		if (*p && p[strlen(p) - 1] == '\r')
			p[strlen(p) - 1] = '\0';
		lines += find_line(db, p);
	}
	FUZZ_CHECK(users_count(db) == lines);
	free(text);
	users_free(db);
}

/* flags byte, then user NUL realm NUL password. */
static void format_line(const uint8_t *data, size_t size)
{
	char *text = fuzz_strdup(data, size), *end = text + size;
	char *user, *realm, *password, line[512], ha1[DIGEST_HEX_SIZE];
	unsigned int algs = size ? data[0] & 7 : 0;
	struct users *db = NULL;
	const char *found;
	int alg, ret;

	user = size ? text + 1 : text;
	realm = user + strlen(user);
	realm = realm < end ? realm + 1 : realm;
	password = realm + strlen(realm);
	password = password < end ? password + 1 : password;

	ret = users_format_line(user, realm, password, algs, line,
				sizeof(line));
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOSPC);
	if (ret) {
		free(text);
		return;
	}
	if (!algs)
		algs = DIGEST_ALG_BIT(DIGEST_ALG_MD5) |
		       DIGEST_ALG_BIT(DIGEST_ALG_SHA256);
	ret = users_parse("line", line, strlen(line), &db, NULL, 0);
	FUZZ_CHECK(ret == 0);
	FUZZ_CHECK(users_count(db) == 1);
	for (alg = 0; alg < DIGEST_ALG_COUNT; alg++) {
		found = users_find(db, user, realm, (enum digest_alg)alg);
		if (!(algs & DIGEST_ALG_BIT(alg))) {
			FUZZ_CHECK(found == NULL);
			continue;
		}
		FUZZ_CHECK(found != NULL);
		FUZZ_CHECK(!users_ha1((enum digest_alg)alg, user, realm,
				      password, ha1));
		FUZZ_CHECK(!strcmp(found, ha1));
	}
	users_free(db);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_file(data, size);
	format_line(data, size);
	return 0;
}
