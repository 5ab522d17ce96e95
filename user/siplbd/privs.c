// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * privs.c - after start-up siplbd keeps one capability, CAP_NET_ADMIN:
 * the slow path sends with the client's address as source (IP_TRANSPARENT),
 * which needs it. Loading BPF and attaching XDP (CAP_BPF, CAP_NET_ADMIN,
 * CAP_SYS_ADMIN, CAP_PERFMON) happen before; map updates go through file
 * descriptors opened then, which need no capability. Everything else is
 * dropped from the effective, permitted, inheritable and bounding sets, and
 * no_new_privs is set, so nothing the daemon runs can gain them back.
 * (The uid stays 0 so that a SIGHUP can re-read a root-only users file.)
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "log.h"
#include "privs.h"

#define KEEP_CAP CAP_NET_ADMIN

int privs_drop(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	int cap;

	for (cap = 0; cap <= CAP_LAST_CAP; cap++) {
		if (cap == KEEP_CAP)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL) {
			log_warn("Couldn't drop capability %d", cap);
			return -errno;
		}
	}
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = 1u << KEEP_CAP;
	if (syscall(SYS_capset, &hdr, data)) {
		log_warn("Couldn't set capabilities");
		return -errno;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		log_warn("Couldn't set no_new_privs");
		return -errno;
	}
	log_debug("capabilities dropped: only CAP_NET_ADMIN kept");
	return 0;
}
