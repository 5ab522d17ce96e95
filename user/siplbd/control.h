/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * control.h - siplbd's control socket: the server end. The protocol, and
 * the client siplbctl uses, are in user/lib/control_proto.h.
 */
#ifndef SIPLB_CONTROL_H
#define SIPLB_CONTROL_H

struct siplbd;

int control_open(const char *path);
void control_serve(struct siplbd *d, int listen_fd);

#endif /* SIPLB_CONTROL_H */
