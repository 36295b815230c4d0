/* SPDX-License-Identifier: MIT */
/*
 * conf.h - strict configuration: parse a libconfig file, validate it against
 * schemas declared as data (kanmon/conf.h), then read values with defaults.
 * conf.c is the only file that includes libconfig.
 *
 * Life of a configuration:
 *   conf_parse()      syntax only; errors carry file:line
 *   conf_plugins()    the `plugins` list, needed to load the plugins' schemas
 *   conf_validate()   every group against its schema; all errors collected as
 *                     "FILE:LINE: PATH: message"
 *   conf_root()/conf_group_of()  handles for accessors and plugins
 *   conf_check_reload()  which non-reloadable settings differ between two
 */
#ifndef KANMON_CORE_CONF_H
#define KANMON_CORE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kanmon/conf.h>

#include "diag.h"

struct conf;

/* A named top-level group and the schema of its members (one per plugin). */
struct conf_group_schema {
	const char *name;
	const struct kanmon_setting *settings;	/* may be NULL: empty group */
	bool unchecked;				/* accept any content (refused plugin) */
};

/* 0, or -EINVAL with the syntax error in `d`, -ENOMEM. */
int conf_parse(const char *path, struct conf **out, struct diag *d);
/* The same from a NUL-terminated buffer (fuzzing, tests); `name` labels messages. */
int conf_parse_text(const char *name, const char *text, struct conf **out, struct diag *d);
/* Reference counted: plugins that keep settings hold the configuration they
 * were given until they accept a newer one. conf_free drops one reference. */
struct conf *conf_ref(struct conf *c);
void conf_free(struct conf *c);
const char *conf_path(const struct conf *c);

/*
 * The `plugins` list as written (validated as strings only). Returns the count;
 * names[i] live as long as c. `where` (optional) receives "FILE:LINE" of the
 * i-th entry for error messages.
 */
size_t conf_plugins(const struct conf *c, const char **names, size_t max);
void conf_where(const struct conf *c, const char *path, char *buf, size_t len);
/* A string as written, before validation (e.g. plugin_dir); NULL if absent. */
const char *conf_raw_string(const struct conf *c, const char *path);

/*
 * Validate the whole file: the core schema at top level plus one group per
 * entry of `groups`. Returns 0 or -EINVAL (errors appended to d). On success
 * the accessors below may be used.
 */
int conf_validate(struct conf *c, const struct kanmon_setting *core,
		  const struct conf_group_schema *groups, size_t n_groups, struct diag *d);

const struct kanmon_conf *conf_root(const struct conf *c);
const struct kanmon_conf *conf_group_of(const struct conf *c, const char *name);

/* Accessors (the kanmon_host conf_* members point here). */
bool conf_bool(const struct kanmon_conf *n, const char *path);
int64_t conf_int(const struct kanmon_conf *n, const char *path);
double conf_float(const struct kanmon_conf *n, const char *path);
const char *conf_string(const struct kanmon_conf *n, const char *path);
size_t conf_count(const struct kanmon_conf *n, const char *path);
const char *conf_string_at(const struct kanmon_conf *n, const char *path, size_t i);
const struct kanmon_conf *conf_group(const struct kanmon_conf *n, const char *path);
const struct kanmon_conf *conf_group_at(const struct kanmon_conf *n, const char *path, size_t i);
/* KANMON_CONF_MAP of strings: i-th member's name and value */
const char *conf_map_at(const struct kanmon_conf *n, const char *path, size_t i, const char **value);

/*
 * Lists in d every setting without KANMON_CONF_RELOAD whose effective value
 * differs between old and new (both validated with the same schemas).
 * Returns the number of such settings.
 */
size_t conf_check_reload(const struct conf *old, const struct conf *new_conf, struct diag *d);

/* Schema sanity (defaults parse, types allowed): for plugin authors' bugs. */
int conf_schema_check(const char *owner, const struct kanmon_setting *s, struct diag *d);

/* Address helpers shared with the pool and net code. */
int conf_parse_addr(const char *s, void *addr16, int *family);	/* 0 or -EINVAL */
int conf_parse_prefix(const char *s, uint8_t addr[16], int *family, unsigned *plen);
int conf_parse_range(const char *s, uint8_t lo[16], uint8_t hi[16], int *family);

/* --help-config: the reference for one group, indented, to the FILE*. */
void conf_print_help(void *file, const char *group, const struct kanmon_setting *s);

#endif
