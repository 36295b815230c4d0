/* SPDX-License-Identifier: MIT */
/*
 * plugin.h - loading, ordering and running plugins (kanmon/plugin.h is the
 * descriptor a plugin exports; this is the daemon's side).
 *
 * plugins_load() dlopens each enabled plugin and checks its descriptor;
 * every refusal is one line "plugin FILE refused: REASON" in the diag.
 * plugins_init() runs init in dependency order (requires -> provides),
 * plugins_fini() runs fini in reverse and reclaims what a plugin left.
 */
#ifndef KANMON_CORE_PLUGIN_H
#define KANMON_CORE_PLUGIN_H

#include <stddef.h>

#include <kanmon/plugin.h>

#include "conf.h"
#include "diag.h"

struct ev_loop;
struct net;
struct pool_set;
struct session_registry;
struct sa_core;
struct certstore;

struct plugin {
	struct kanmon_host host;	/* first: the host pointer finds the record */
	struct plugin_set *set;
	char *path;
	void *dl;
	const struct kanmon_plugin *desc;
	void *state;
	struct conf *conf;		/* the configuration the plugin holds values of */
	int initialized;
};

struct plugin_set {
	struct plugin **v;		/* dependency order once loaded */
	size_t n;
	struct ev_loop *loop;		/* set before plugins_init */
	struct net *net;
	struct pool_set *pools;
	struct session_registry *sessions;
	struct sa_core *sa;
	struct certstore *certs;	/* replaced on reload and revocation; may be NULL */
};

/*
 * Loads dir/<name>.so for each name. 0, or -EINVAL with reasons in d.
 * where[i] (optional) is the "FILE:LINE" that named names[i], for messages.
 */
int plugins_load(struct plugin_set *ps, const char *dir, const char *const *names,
		 const char *const *where, size_t n, struct diag *d);
/*
 * Each plugin's check() on its group of `c` (settings the schema cannot
 * judge); problems go to d with file and line. 0 or -EINVAL.
 */
int plugins_check(const struct plugin_set *ps, const struct conf *c, struct diag *d);

/* Load one file and check its descriptor only (--help-config, tests). */
int plugin_open(const char *path, struct plugin **out, struct diag *d);
void plugin_close(struct plugin *p);

/* Schemas of the loaded plugins, for conf_validate(); array of ps->n. */
struct conf_group_schema *plugins_schemas(const struct plugin_set *ps);

int plugins_init(struct plugin_set *ps, struct conf *c, struct diag *d);
/* Calls reload on each plugin; returns how many failed (each logged). */
int plugins_reload(struct plugin_set *ps, struct conf *c);
void plugins_fini(struct plugin_set *ps);
void plugins_unload(struct plugin_set *ps);

const struct plugin *plugins_find(const struct plugin_set *ps, const char *name);

#endif
