// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * corpus.c - reading tests/corpus/ (corpus.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "testlib.h"

const char *corpus_dir(void)
{
	const char *dir = getenv("SIPLB_CORPUS");

	return dir && *dir ? dir : "tests/corpus";
}

char *corpus_read(const char *path, size_t *len)
{
	char *buf = NULL, *grown;
	size_t cap = 0, n = 0, got;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*len = n;
	/* An exact-size copy, so that ASan catches a read past the end. */
	grown = malloc(n ? n : 1);
	if (grown)
		memcpy(grown, buf, n);
	free(buf);
	return grown;
}

static int tsv_split(char *line, char **cols)
{
	int n = 0;

	cols[n++] = line;
	for (; *line && n < CORPUS_MAX_COLS; line++) {
		if (*line == '\t') {
			*line = '\0';
			cols[n++] = line + 1;
		}
	}
	return n;
}

static int tsv_col(char **hdr, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(hdr[i], name))
			return i;
	return -1;
}

bool corpus_manifest_load(struct corpus_manifest *mf, const char *dir)
{
	char path[512], *line, *next, *hdr[CORPUS_MAX_COLS];
	size_t len;
	int ncols;

	memset(mf, 0, sizeof(*mf));
	snprintf(path, sizeof(path), "%s/%s/manifest.tsv", corpus_dir(), dir);
	mf->text = corpus_read(path, &len);
	if (!ASSERT_TRUE(mf->text != NULL, path))
		return false;
	mf->text = realloc(mf->text, len + 1);
	mf->text[len] = '\0';
	next = strchr(mf->text, '\n');
	if (!ASSERT_TRUE(next != NULL, "manifest has a header row"))
		return false;
	*next++ = '\0';
	ncols = tsv_split(mf->text, hdr);
	mf->col_name = tsv_col(hdr, ncols, "name");
	mf->col_expected = tsv_col(hdr, ncols, "expected");
	mf->col_call_id = tsv_col(hdr, ncols, "call_id");
	mf->col_method = tsv_col(hdr, ncols, "method_or_status");
	mf->col_cseq = tsv_col(hdr, ncols, "cseq");
	mf->col_file = tsv_col(hdr, ncols, "file");
	if (!ASSERT_TRUE(mf->col_name >= 0 && mf->col_expected >= 0 &&
			 mf->col_call_id >= 0 && mf->col_method >= 0 &&
			 mf->col_cseq >= 0, "manifest columns"))
		return false;
	while ((line = next) && *line) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (mf->nrows == (int)(sizeof(mf->rows) / sizeof(mf->rows[0])))
			break;
		memset(mf->rows[mf->nrows], 0, sizeof(mf->rows[0]));
		if (tsv_split(line, mf->rows[mf->nrows]) > mf->col_cseq)
			mf->nrows++;
	}
	return true;
}

char *corpus_file(const char *dir, const char *file, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/%s", corpus_dir(), dir, file);
	return corpus_read(path, len);
}
