/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * corpus.h - the byte-exact test messages in tests/corpus/ (RFC 4475,
 * RFC 5118) and their manifests, for the C tests. $SIPLB_CORPUS names
 * another corpus directory.
 */
#ifndef SIPLB_TESTS_CORPUS_H
#define SIPLB_TESTS_CORPUS_H

#include <stdbool.h>
#include <stddef.h>

#define CORPUS_MAX_COLS 16

struct corpus_manifest {
	char *text;
	char *rows[128][CORPUS_MAX_COLS];
	int nrows;
	int col_name, col_expected, col_call_id, col_method, col_cseq,
	    col_file;
};

const char *corpus_dir(void);
/* A whole file in an exact-size buffer (no NUL, no slack); NULL if it
 * cannot be read. Free it. */
char *corpus_read(const char *path, size_t *len);
/* DIR/FILE under corpus_dir(), as corpus_read(). */
char *corpus_file(const char *dir, const char *file, size_t *len);
/* Load DIR/manifest.tsv (a failed assertion if it cannot): the row fields
 * point into mf->text, which the caller frees. */
bool corpus_manifest_load(struct corpus_manifest *mf, const char *dir);

#endif /* SIPLB_TESTS_CORPUS_H */
