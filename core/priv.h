/* SPDX-License-Identifier: MIT */
/*
 * priv.h - least privilege. kanmond starts as root, prepares what only root
 * can (state directory ownership, control socket), then becomes `user`
 * keeping CAP_NET_ADMIN (XFRM, TUN, routes) and, until the plugins have
 * bound their ports and opened their sockets, CAP_NET_BIND_SERVICE
 * (500/4500/1701) and CAP_NET_RAW (raw ESP). priv_final() drops those two:
 * from then on the process holds CAP_NET_ADMIN only.
 */
#ifndef KANMON_CORE_PRIV_H
#define KANMON_CORE_PRIV_H

#include <stdbool.h>
#include <sys/types.h>

#include "diag.h"

struct priv {
	bool drop;		/* false: user = "" or not started as root */
	uid_t uid;
	gid_t gid;
	char *user;
};

/* Looks the user up. user "" = keep root (logged as a warning by the caller). */
int priv_lookup(struct priv *p, const char *user, struct diag *d);
/* mkdir -p DIR 0700 owned by the user (no-op owner change when not dropping). */
int priv_state_dir(const struct priv *p, const char *dir, struct diag *d);
/* Become the user, keep CAP_NET_ADMIN + CAP_NET_BIND_SERVICE + CAP_NET_RAW. */
int priv_switch(const struct priv *p, struct diag *d);
/* Drop CAP_NET_BIND_SERVICE and CAP_NET_RAW: only CAP_NET_ADMIN remains. */
int priv_final(const struct priv *p, struct diag *d);
void priv_free(struct priv *p);

#endif
