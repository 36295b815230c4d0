/* SPDX-License-Identifier: MIT */
/*
 * offline.c - what kanmonctl's offline command groups (cert.c, client.c)
 * share: option parsing, opening the store as the daemon's user would own
 * it, passphrase files, the validated `ca` settings of kanmon.conf, and
 * telling a running kanmond to re-read its certificate store.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "certstore.h"
#include "cmd.h"
#include "conf.h"
#include "settings.h"
#include "store.h"

void ctl_errors(const void *diag)
{
	const struct diag *d = diag;
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "kanmonctl: %s\n", d->lines[i]);
}

const struct ctl_opt *ctl_opt(const struct ctl_opt *opts, const char *name)
{
	for (; opts->name; opts++)
		if (!strcmp(opts->name, name))
			return opts->value ? opts : NULL;
	return NULL;
}

int ctl_parse(const char *cmd, int argc, char **argv, struct ctl_opt *opts, const char **pos, size_t max,
	      size_t *n_pos)
{
	*n_pos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) || !a[2]) {
			if (*n_pos == max) {
				fprintf(stderr, "kanmonctl %s: unexpected argument '%s'\n", cmd, a);
				return 2;
			}
			pos[(*n_pos)++] = a;
			continue;
		}
		const char *eq = strchr(a, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		struct ctl_opt *o = opts;
		for (; o->name; o++)
			if (strlen(o->name) == len && !strncmp(o->name, a + 2, len))
				break;
		if (!o->name) {
			fprintf(stderr, "kanmonctl %s: unknown option %.*s\n", cmd, (int)len + 2, a);
			return 2;
		}
		const char *v = "";
		if (o->has_arg) {
			if (eq)
				v = eq + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else {
				fprintf(stderr, "kanmonctl %s: --%s needs a value\n", cmd, o->name);
				return 2;
			}
		} else if (eq) {
			fprintf(stderr, "kanmonctl %s: --%s takes no value\n", cmd, o->name);
			return 2;
		}
		if (o->multi) {
			if (o->n == sizeof(o->values) / sizeof(o->values[0])) {
				fprintf(stderr, "kanmonctl %s: too many --%s\n", cmd, o->name);
				return 2;
			}
			o->values[o->n++] = v;
		}
		o->value = v;
	}
	return 0;
}

int ctl_passphrase(const char *path, char **pass)
{
	struct diag d = { 0 };
	*pass = NULL;
	if (!path)
		return 0;
	int err = cert_passphrase_file(path, pass, &d);
	ctl_errors(&d);
	diag_clear(&d);
	return err ? 1 : 0;
}

/* Files kanmonctl (root) creates must belong to the daemon's user, or kanmond cannot read them. */
static void give_to_dir_owner(const char *dir, const char *file)
{
	struct stat sd, sf;
	char path[4096];
	if (geteuid() != 0 || stat(dir, &sd) < 0 || sd.st_uid == 0)
		return;
	static const char *const sfx[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, file, sfx[i]);
		if (lstat(path, &sf) == 0 && S_ISREG(sf.st_mode) && sf.st_uid != sd.st_uid &&
		    chown(path, sd.st_uid, sd.st_gid) < 0)
			fprintf(stderr, "kanmonctl: cannot give %s to the daemon's user: %m\n", path);
	}
}

int ctl_store_open(struct ctl_ctx *c, bool create, struct store **st)
{
	struct diag d = { 0 };
	struct stat sb;
	*st = NULL;
	if (stat(c->dir, &sb) < 0) {
		if (!create) {
			fprintf(stderr, "kanmonctl: state directory %s does not exist (create the CA first: kanmonctl ca create --cn \"VPN Root CA\")\n",
				c->dir);
			return 1;
		}
		struct cert_owner owner = { 0 };
		struct passwd *pw = geteuid() == 0 && c->user && *c->user ? getpwnam(c->user) : NULL;
		if (pw) {
			/* the directory kanmond would create for itself (priv_state_dir) */
			owner = (struct cert_owner){ .set = true, .uid = pw->pw_uid, .gid = pw->pw_gid };
		}
		if (cert_mkdir(c->dir, 0700, &owner, &d)) {
			ctl_errors(&d);
			diag_clear(&d);
			return 1;
		}
	}
	int err = store_open_sqlite(c->dir, 0, st, &d);
	ctl_errors(&d);
	diag_clear(&d);
	if (err)
		return 1;
	give_to_dir_owner(c->dir, "kanmon.db");
	return 0;
}

void ctl_notify_daemon(struct ctl_ctx *c, const char *why)
{
	static const char req[] = "certs reload\n";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (!c->socket || strlen(c->socket) >= sizeof(sun.sun_path))
		return;
	strcpy(sun.sun_path, c->socket);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		printf("kanmond is not running (no answer on %s): it reads %s when it starts\n", c->socket, why);
		close(fd);
		return;
	}
	struct timeval tv = { .tv_sec = 30 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) == (ssize_t)sizeof(req) - 1)
		while (len < sizeof(buf) - 1 && (n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) > 0)
			len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	char *body = strchr(buf, '\n');
	if (len >= 3 && !memcmp(buf, "ok\n", 3) && body) {
		printf("kanmond: %s", body + 1);
	} else {
		/* stored all the same: a reload or restart picks it up */
		fprintf(stderr, "kanmonctl: kanmond did not take %s (%s): run kanmonctl reload\n", why,
			len ? (body ? body + 1 : buf) : "no answer");
	}
}

const struct kanmon_conf *ctl_conf_ca(struct ctl_ctx *c)
{
	static bool tried;
	static const struct kanmon_conf *ca;
	if (tried || !c->conf)
		return ca;
	tried = true;
	/* the plugins' groups are not ours to judge here: only the core schema */
	const char *names[32];
	size_t n = conf_plugins(c->conf, names, 32);
	struct conf_group_schema groups[32];
	for (size_t i = 0; i < n; i++)
		groups[i] = (struct conf_group_schema){ .name = names[i], .unchecked = true };
	struct diag d = { 0 };
	if (!conf_validate(c->conf, core_settings, groups, n, &d))
		ca = conf_group(conf_root(c->conf), "ca");
	else
		fprintf(stderr, "kanmonctl: note: %s is not valid, its ca settings are not used (kanmond -t tells why)\n",
			conf_path(c->conf));
	diag_clear(&d);
	return ca;
}

