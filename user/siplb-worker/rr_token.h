/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * rr_token.h - the token a worker puts in its Record-Route, so that an
 * in-dialog request is routed only along a route set this cluster made.
 *
 * The token is HMAC-SHA256, keyed with the secret every worker shares
 * (secret_file.h), over the dialog's Call-ID and the caller's tag (the
 * From tag of the request that created the dialog), cut to 96 bits and
 * written in base64url (16 characters): the URI parameter
 * ";tok=TOKEN" of <sip:VIP:PORT;lr;tok=TOKEN>.
 *
 * Why the caller's tag alone: when the dialog-creating request passes,
 * the callee's tag does not exist yet. The caller's tag is the From tag
 * of the caller's later requests and the To tag of the callee's (12.2:
 * the callee's From is the original To), so a request checks out if the
 * token matches its Call-ID with either its From tag or its To tag. Any
 * worker holding the secret checks any other's tokens.
 */
#ifndef SIPLB_RR_TOKEN_H
#define SIPLB_RR_TOKEN_H

#include <stdbool.h>

#include "secret_file.h"
#include "sip_msg.h"

#define RR_TOKEN_LEN	16	/* base64url of 12 bytes */
#define RR_TOKEN_PARAM	"tok"

/* The token of the dialog (call_id, caller_tag) into out. 0 or -EINVAL
 * (no key, values over 64 KiB), -EIO (OpenSSL). */
int rr_token_of(const struct secret *key, struct sip_slice call_id,
		struct sip_slice caller_tag, char out[RR_TOKEN_LEN + 1]);

/* Free the keyed HMAC context rr_token_of keeps, and wipe its key copy
 * (at exit; the next token keys a new one). */
void rr_token_forget(void);

/* The token of a dialog-creating request m into out (RR_TOKEN_LEN + 1). */
int rr_token_make(const struct secret *key, const struct sip_msg *m,
		  char out[RR_TOKEN_LEN + 1]);

/*
 * Is tok (the ";tok=" value of our Route element) the token of the
 * dialog in-dialog request m belongs to? Compared in constant time.
 */
bool rr_token_check(const struct secret *key, const struct sip_msg *m,
		    struct sip_slice tok);

#endif /* SIPLB_RR_TOKEN_H */
