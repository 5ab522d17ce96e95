/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * privs.h - drop the capabilities siplbd no longer needs after start-up.
 */
#ifndef SIPLB_PRIVS_H
#define SIPLB_PRIVS_H

int privs_drop(void);

#endif /* SIPLB_PRIVS_H */
