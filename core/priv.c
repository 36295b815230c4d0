/* SPDX-License-Identifier: MIT */
/* priv.c - user switch and capability bounding with libcap-ng (priv.h). */
#include <cap-ng.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

int priv_lookup(struct priv *p, const char *user, struct diag *d)
{
	memset(p, 0, sizeof(*p));
	if (!user || !user[0] || geteuid() != 0)
		return 0;
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		diag_add(d, "user '%s' does not exist: create it (useradd --system --no-create-home "
			    "--shell /usr/sbin/nologin %s) or set user = \"\" to run as root",
			 user, user);
		return -ENOENT;
	}
	p->user = strdup(user);
	if (!p->user)
		return -ENOMEM;
	p->drop = true;
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	return 0;
}

int priv_state_dir(const struct priv *p, const char *dir, struct diag *d)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s", dir);
	/* mkdir -p: parents 0755 (they are shared), the state dir itself 0700 */
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			diag_add(d, "state_dir: cannot create %s: %s", path, strerror(errno));
			return -errno;
		}
		*s = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		diag_add(d, "state_dir: cannot create %s: %s", path, strerror(errno));
		return -errno;
	}
	if (p->drop && chown(path, p->uid, p->gid) < 0) {
		diag_add(d, "state_dir: cannot give %s to user %s: %s", path, p->user, strerror(errno));
		return -errno;
	}
	/* private data: nobody else reads leases or keys */
	if (chmod(path, 0700) < 0) {
		diag_add(d, "state_dir: cannot chmod %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

int priv_switch(const struct priv *p, struct diag *d)
{
	if (!p->drop)
		return 0;
	capng_clear(CAPNG_SELECT_BOTH);
	/* NET_RAW: a userspace ESP backend opens its raw IP socket during init */
	capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN,
		      CAP_NET_BIND_SERVICE, CAP_NET_RAW, -1);
	/* CAPNG_CLEAR_BOUNDING: no way back to other capabilities, even via exec */
	int rc = capng_change_id((int)p->uid, (int)p->gid, CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	if (rc) {
		diag_add(d, "cannot switch to user %s keeping CAP_NET_ADMIN (libcap-ng error %d)", p->user, rc);
		return -EPERM;
	}
	return 0;
}

int priv_final(const struct priv *p, struct diag *d)
{
	if (!p->drop)
		return 0;
	capng_get_caps_process();
	capng_updatev(CAPNG_DROP, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_BIND_SERVICE, CAP_NET_RAW, -1);
	if (capng_apply(CAPNG_SELECT_CAPS)) {
		diag_add(d, "cannot drop CAP_NET_BIND_SERVICE and CAP_NET_RAW");
		return -EPERM;
	}
	log_info("core", "running as user %s with CAP_NET_ADMIN only", p->user);
	return 0;
}

void priv_free(struct priv *p)
{
	free(p->user);
	p->user = NULL;
}
