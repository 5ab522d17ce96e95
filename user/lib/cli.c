// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cli.c - the --version line of siplb's programs (cli.h). */
#include "cli.h"

void cli_print_version(FILE *out, const char *prog)
{
	fprintf(out, "%s (siplb) %s\n", prog, SIPLB_VERSION);
}
