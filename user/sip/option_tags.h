/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * option_tags.h - the SIP extensions (option-tags, RFC 3261 19.2) that
 * siplb supports, in one list for the registrar and the worker, and the
 * check of RFC 3261 8.2.2.3 (Require, at a UAS) and 16.3 step 5
 * (Proxy-Require, at a proxy): a request naming a tag we do not support
 * gets 420 Bad Extension with an Unsupported header listing those tags.
 */
#ifndef SIPLB_OPTION_TAGS_H
#define SIPLB_OPTION_TAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "sip_msg.h"

/*
 * The option-tags we support, as a NULL-terminated list: none today.
 * Adding "path" (RFC 3327) or "outbound" (RFC 5626) here makes both the
 * registrar and the worker accept requests that require it.
 */
extern const char *const sip_supported_option_tags[];

/* Is tag (a token, compared case-insensitively: 19.2) in the list? */
bool sip_option_tag_supported(struct sip_slice tag);

/*
 * The option-tags of m's header fields of kind id (SIP_HDR_REQUIRE or
 * SIP_HDR_PROXY_REQUIRE) that we do not support, written as the header
 * line "Unsupported: a, b\r\n" (NUL-terminated) into out. Returns how many
 * there are (0: nothing written, nothing to refuse), -EINVAL for a value
 * that is not a comma-separated list of tokens (answer 400), or -ENOSPC.
 */
int sip_unsupported_tags(const struct sip_msg *m, enum sip_hdr_id id,
			 char *out, size_t size);

#endif /* SIPLB_OPTION_TAGS_H */
