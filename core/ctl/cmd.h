/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - kanmonctl's offline command groups (one file each, WireGuard
 * style): ca/cert/crl in cert.c, client in client.c. They work on the state
 * directory directly and tell a running kanmond about changes it must see
 * at once (revocations) over the control socket.
 *
 * Exit status of every command: 0 done, 1 failed (the reason on stderr,
 * nothing changed), 2 usage.
 */
#ifndef KANMON_CTL_CMD_H
#define KANMON_CTL_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include <kanmon/conf.h>

struct conf;
struct store;

struct ctl_ctx {
	const char *dir;		/* state directory (--dir) */
	const char *socket;		/* control socket of a running kanmond */
	bool json;
	struct conf *conf;		/* kanmon.conf as parsed (NULL when unreadable) */
	const char *user;		/* the daemon's user: owner of a state directory we create */
};

int ctl_cert_main(struct ctl_ctx *c, int argc, char **argv);	/* argv[0]: ca | cert | crl */
int ctl_client_main(struct ctl_ctx *c, int argc, char **argv);	/* argv[0]: client */
bool ctl_is_offline_group(const char *word);

/* ---- shared by the groups (offline.c) ---- */

/* --name VALUE / --name=VALUE options; `multi` ones may repeat. */
struct ctl_opt {
	const char *name;	/* without the leading -- */
	bool has_arg;
	bool multi;
	const char *value;	/* last value ("" for a flag that was given) */
	const char *values[16];
	size_t n;
};
#define OPT(n) { .name = (n), .has_arg = true }
#define OPT_MULTI(n) { .name = (n), .has_arg = true, .multi = true }
#define OPT_END { .name = NULL }

/* Positional words into pos (at most max). 0, or 2 after printing a usage error. */
int ctl_parse(const char *cmd, int argc, char **argv, struct ctl_opt *opts, const char **pos, size_t max,
	      size_t *n_pos);
const struct ctl_opt *ctl_opt(const struct ctl_opt *opts, const char *name);

/* Opens the store; `create` makes the state directory (owned by the daemon's user). */
int ctl_store_open(struct ctl_ctx *c, bool create, struct store **st);
/* Reads --ca-passphrase-file / --passphrase-file; NULL path: *pass = NULL. 0 or 1. */
int ctl_passphrase(const char *path, char **pass);
/* Tells a running kanmond to re-read the certificate store; prints what it says. */
void ctl_notify_daemon(struct ctl_ctx *c, const char *why);
/* The `ca` group of kanmon.conf validated against the core schema, or NULL. */
const struct kanmon_conf *ctl_conf_ca(struct ctl_ctx *c);
void ctl_errors(const void *diag);
/* cert list / client list (cert.c) */
int ctl_cert_list(struct ctl_ctx *c, struct store *st, const char *role);
int ctl_revoke(struct ctl_ctx *c, const char *name, const char *reason, const char *require_role);

#endif
