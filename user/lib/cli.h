/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cli.h - what the four programs (siplbd, siplb-worker, siplbctl,
 * siplb-mirror) share on their command lines: the version, the exit
 * statuses and the words --help uses for them, so that a script can tell
 * a mistake in its own command line (2) from a failure at run time (1)
 * whichever it called.
 */
#ifndef SIPLB_CLI_H
#define SIPLB_CLI_H

#include <stdio.h>

/* Fixed, not `git describe`: a build from a tarball says the same. */
#define SIPLB_VERSION		"0.9.0"

#define CLI_EXIT_OK		0
#define CLI_EXIT_FAILURE	1	/* run-time error, message on stderr */
#define CLI_EXIT_USAGE		2	/* bad command line, message on stderr */

/* The tail of every --help. */
#define CLI_HELP_TAIL                                                         \
	"  -h, --help     this help; --version: the version\n"                \
	"exit status: 0 success, 1 run-time error, 2 usage error\n"

/* "PROG (siplb) 0.9.0" on out. */
void cli_print_version(FILE *out, const char *prog);

#endif /* SIPLB_CLI_H */
