/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sip_samples.h - SIP messages for the BPF tests and the benchmark, built
 * around a start line and a Call-ID header line given by the test.
 */
#ifndef SIPLB_TEST_SIP_SAMPLES_H
#define SIPLB_TEST_SIP_SAMPLES_H

#include <stddef.h>

/*
 * A request or response with the usual headers, the Call-ID line as given
 * (NULL: none), CRLF line ends and an empty body. Returns the length.
 */
size_t sip_sample(char *buf, size_t size, const char *start_line,
		  const char *callid_line);

/* A message of about `total` bytes whose last header is the Call-ID. */
size_t sip_sample_callid_last(char *buf, size_t size, size_t total,
			      const char *callid);

#endif /* SIPLB_TEST_SIP_SAMPLES_H */
