/* SPDX-License-Identifier: MIT */
/*
 * daemon.h - kanmond's life cycle: check a configuration, start, reload,
 * stop. main.c only parses arguments and calls these, so tests and the
 * benchmarks drive the very same code.
 */
#ifndef KANMON_CORE_DAEMON_H
#define KANMON_CORE_DAEMON_H

#include <stdbool.h>

#include <time.h>

#include "conf.h"
#include "diag.h"
#include "plugin.h"
#include "priv.h"
#include "sbuf.h"

struct ev_loop;
struct net;
struct ctl;
struct pool_set;
struct session_registry;
struct sa_core;
struct store;
struct certstore;
struct kanmon_timer;

struct daemon {
	char *conf_path;
	struct conf *conf;		/* the running (validated) configuration */
	struct plugin_set plugins;
	struct conf_group_schema *schemas;
	struct ev_loop *loop;
	struct net *net;
	struct session_registry *sessions;
	struct sa_core *sa;
	struct pool_set *pools;
	struct store *store;
	struct certstore *certs;	/* built from store + conf; rebuilt on reload and revocation */
	struct ctl *ctl;
	struct kanmon_timer *expire;	/* offline leases -> free */
	struct priv priv;
	time_t started;
	bool debug;			/* -d: debug everywhere, over log.level */
	bool running;
};

/* Parse, load plugins, validate. Every problem is one line in d. 0 / -errno. */
int daemon_configure(struct daemon *dm, const char *path, struct diag *d);
/* Event loop, sockets, plugin init, signal handlers. 0 / -errno (reasons in d). */
int daemon_start(struct daemon *dm, struct diag *d);
int daemon_run(struct daemon *dm);
/* Re-read conf_path; on any error keep the running configuration. 0 / -errno. */
int daemon_reload(struct daemon *dm, struct diag *d);
void daemon_stop(struct daemon *dm);
/*
 * Re-reads the certificate store (state store + the running configuration's
 * `ca` files), swaps it in and ends the sessions of certificates revoked
 * since. On failure the previous store stays. *killed: sessions ended.
 */
int daemon_certs_reload(struct daemon *dm, size_t *killed, struct diag *d);
void daemon_free(struct daemon *dm);	/* fini plugins, close everything */

/* The control socket's commands (ctl_cmd.c): a ctl_dispatch_fn. */
int daemon_ctl(void *dm, int argc, char **argv, struct sbuf *out);

#endif
