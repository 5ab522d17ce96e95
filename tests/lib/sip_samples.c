// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sip_samples.c - SIP messages for tests (sip_samples.h). */
#include <stdio.h>
#include <string.h>

#include "sip_samples.h"

size_t sip_sample(char *buf, size_t size, const char *start_line,
		  const char *callid_line)
{
	int n = snprintf(buf, size,
		"%s\r\n"
		"Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bK776asdhds\r\n"
		"Max-Forwards: 70\r\n"
		"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
		"To: Bob <sip:bob@example.com>\r\n"
		"%s%s"
		"CSeq: 314159 INVITE\r\n"
		"Contact: <sip:alice@10.10.1.2:5070>\r\n"
		"Content-Length: 0\r\n"
		"\r\n",
		start_line, callid_line ? callid_line : "",
		callid_line ? "\r\n" : "");

	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

size_t sip_sample_callid_last(char *buf, size_t size, size_t total,
			      const char *callid)
{
	const char *head =
		"MESSAGE sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bK776asdhds\r\n"
		"Max-Forwards: 70\r\n"
		"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
		"To: Bob <sip:bob@example.com>\r\n"
		"CSeq: 1 MESSAGE\r\n";
	size_t len = strlen(head), tail = strlen(callid) + 13;
	size_t line;

	if (total >= size || total < len + tail + 40)
		return 0;
	memcpy(buf, head, len);
	/* Filler headers of 60 bytes each, then one to make up the rest. */
	while (total - len - tail > 60 + 30) {
		line = 60;
		memcpy(buf + len, "X-Filler: ", 10);
		memset(buf + len + 10, 'f', line - 12);
		memcpy(buf + len + line - 2, "\r\n", 2);
		len += line;
	}
	line = total - len - tail;
	memcpy(buf + len, "X-Pad: ", 7);
	memset(buf + len + 7, 'p', line - 9);
	memcpy(buf + len + line - 2, "\r\n", 2);
	len += line;
	len += snprintf(buf + len, size - len, "Call-ID: %s\r\n\r\n", callid);
	return len;
}
