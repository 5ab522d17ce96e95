// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * option_tags.c - Require / Proxy-Require against the option-tags we
 * support (option_tags.h).
 *
 * The check is answered before anything of the request is acted on: a
 * UAC that requires an extension must not have the request half applied
 * without it (RFC 3261 8.2.2.3). Tags are tokens; a value that is not a
 * list of tokens is malformed, not merely unsupported.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "option_tags.h"
#include "slice.h"

const char *const sip_supported_option_tags[] = {
	NULL,
};

bool sip_option_tag_supported(struct sip_slice tag)
{
	size_t i;

	for (i = 0; sip_supported_option_tags[i]; i++)
		if (sip_slice_caseeq_str(tag, sip_supported_option_tags[i]))
			return true;
	return false;
}

/* Append "tag" (after ", " unless first) to out at *used. */
static int add_tag(char *out, size_t size, size_t *used, int n,
		   struct sip_slice tag)
{
	int w = snprintf(out + *used, size - *used, "%s%.*s", n ? ", " : "",
			 (int)tag.len, tag.p);

	if (w < 0 || (size_t)w >= size - *used)
		return -ENOSPC;
	*used += (size_t)w;
	return 0;
}

/* The unsupported tags of one header value, appended to out. */
static int scan_value(struct sip_slice v, char *out, size_t size,
		      size_t *used, int *n)
{
	struct sip_slice tag;
	int err;

	for (;;) {
		sip_slice_skip_lws(&v);
		tag = sip_slice_take(&v, SIP_CC_TOKEN);
		sip_slice_skip_lws(&v);
		if (!tag.len)
			return -EINVAL;
		if (!sip_option_tag_supported(tag)) {
			err = add_tag(out, size, used, *n, tag);
			if (err)
				return err;
			(*n)++;
		}
		if (!v.len)
			return 0;
		if (!sip_slice_take_char(&v, ','))
			return -EINVAL;
	}
}

int sip_unsupported_tags(const struct sip_msg *m, enum sip_hdr_id id,
			 char *out, size_t size)
{
	static const char head[] = "Unsupported: ";
	struct sip_slice value;
	unsigned int pos = 0;
	size_t used = sizeof(head) - 1;
	int n = 0, err;

	if (size < sizeof(head) + 2)
		return -ENOSPC;
	memcpy(out, head, sizeof(head));
	while (!sip_msg_hdr_next(m, id, &pos, &value)) {
		err = scan_value(value, out, size - 2, &used, &n);
		if (err)
			return err;
	}
	if (!n) {
		out[0] = '\0';
		return 0;
	}
	memcpy(out + used, "\r\n", 3);
	return n;
}
