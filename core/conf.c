/* SPDX-License-Identifier: MIT */
/* conf.c - strict libconfig loading (see conf.h). The only libconfig user. */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "conf.h"
#include "log.h"

int conf_prefix_host_bits(const char *s);	/* conf_addr.c */

struct conf_slot {
	struct kanmon_conf *group;	/* GROUP member */
	struct kanmon_conf **items;	/* GROUP|LIST member */
	size_t n_items;
	char **defaults;		/* scalar LIST member absent from the file */
	size_t n_defaults;
};

struct kanmon_conf {
	const struct kanmon_setting *members;	/* schema of this group's members */
	size_t n_members;
	const struct kanmon_setting *map_elem;	/* MAP: the schema of every member */
	config_setting_t *set;			/* NULL: group absent, defaults apply */
	struct conf *conf;
	struct conf_slot *slots;		/* parallel to members */
};

struct conf {
	config_t cfg;
	char *path;
	struct kanmon_setting *top;		/* merged: core + one group per plugin */
	struct kanmon_conf *root;
	int refs;
};

static const char *const type_names[] = {
	[KANMON_CONF_BOOL] = "a boolean (true or false)",
	[KANMON_CONF_INT] = "an integer",
	[KANMON_CONF_FLOAT] = "a number",
	[KANMON_CONF_STRING] = "a string",
	[KANMON_CONF_ADDR] = "an IP address string",
	[KANMON_CONF_PREFIX] = "a prefix string like \"192.0.2.0/24\"",
	[KANMON_CONF_RANGE] = "an address range string like \"192.0.2.10-192.0.2.99\" or a prefix",
	[KANMON_CONF_GROUP] = "a group { ... }",
};

static size_t schema_len(const struct kanmon_setting *s)
{
	size_t n = 0;
	while (s && s[n].name)
		n++;
	return n;
}

/* ---- parsing ---------------------------------------------------------- */

/* text == NULL: read the file at path; else parse text, named path in messages */
static int parse(const char *path, const char *text, struct conf **out, struct diag *d)
{
	struct conf *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	config_init(&c->cfg);
	c->refs = 1;
	c->path = strdup(path);
	char *dir_copy = strdup(path);
	if (!c->path || !dir_copy) {
		free(dir_copy);
		conf_free(c);
		return -ENOMEM;
	}
	/* @include "x.conf" is relative to the including file's directory */
	config_set_include_dir(&c->cfg, dirname(dir_copy));
	free(dir_copy);
	int ok = text ? config_read_string(&c->cfg, text) : config_read_file(&c->cfg, path);
	if (ok != CONFIG_TRUE) {
		if (config_error_type(&c->cfg) == CONFIG_ERR_FILE_IO)
			diag_add(d, "%s: cannot read configuration file: %s", path,
				 config_error_text(&c->cfg));
		else
			diag_add(d, "%s:%d: syntax error: %s",
				 config_error_file(&c->cfg) ? config_error_file(&c->cfg) : path,
				 config_error_line(&c->cfg), config_error_text(&c->cfg));
		conf_free(c);
		return -EINVAL;
	}
	*out = c;
	return 0;
}

int conf_parse(const char *path, struct conf **out, struct diag *d)
{
	return parse(path, NULL, out, d);
}

int conf_parse_text(const char *name, const char *text, struct conf **out, struct diag *d)
{
	return parse(name, text, out, d);
}

static void node_free(struct kanmon_conf *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_members && n->slots; i++) {
		struct conf_slot *sl = &n->slots[i];
		node_free(sl->group);
		for (size_t j = 0; j < sl->n_items; j++)
			node_free(sl->items[j]);
		free(sl->items);
		for (size_t j = 0; j < sl->n_defaults; j++)
			free(sl->defaults[j]);
		free(sl->defaults);
	}
	free(n->slots);
	free(n);
}

struct conf *conf_ref(struct conf *c)
{
	c->refs++;
	return c;
}

void conf_free(struct conf *c)
{
	if (!c || --c->refs > 0)
		return;
	node_free(c->root);
	config_destroy(&c->cfg);
	free(c->top);
	free(c->path);
	free(c);
}

const char *conf_path(const struct conf *c)
{
	return c->path;
}

size_t conf_plugins(const struct conf *c, const char **names, size_t max)
{
	config_setting_t *p = config_lookup(&c->cfg, "plugins");
	size_t n = 0;
	if (!p || !config_setting_is_aggregate(p))
		return 0;
	for (int i = 0; i < config_setting_length(p) && n < max; i++) {
		const char *s = config_setting_get_string_elem(p, i);
		if (s)
			names[n++] = s;
	}
	return n;
}

static void where_of(const struct conf *c, const config_setting_t *s, char *buf, size_t len)
{
	const char *file = s ? config_setting_source_file(s) : NULL;
	unsigned line = s ? config_setting_source_line(s) : 0;
	const char *dir = config_get_include_dir(&c->cfg);
	char full[1024];
	/* @include "x.conf" is read from the main file's directory: say so */
	if (file && file[0] != '/' && strcmp(file, c->path) && dir) {
		snprintf(full, sizeof(full), "%s/%s", dir, file);
		file = full;
	}
	if (line)
		snprintf(buf, len, "%s:%u", file ? file : c->path, line);
	else
		snprintf(buf, len, "%s", file ? file : c->path);
}

void conf_where(const struct conf *c, const char *path, char *buf, size_t len)
{
	where_of(c, config_lookup(&c->cfg, path), buf, len);
}

/* ---- validation ------------------------------------------------------- */

struct vctx {
	struct conf *c;
	struct diag *d;
	int errors;
};

static void verr(struct vctx *v, const config_setting_t *s, const char *path, const char *fmt, ...)
	KANMON_PRINTF(4, 5);
static void verr(struct vctx *v, const config_setting_t *s, const char *path, const char *fmt, ...)
{
	char where[512], msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	where_of(v->c, s, where, sizeof(where));
	diag_add(v->d, "%s: %s: %s", where, path[0] ? path : "(top level)", msg);
	v->errors++;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 64;
	size_t row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static const char *suggest(const char *name, const struct kanmon_setting *members)
{
	const char *best = NULL;
	size_t best_d = 3;	/* more than two edits away is not a typo */
	for (size_t i = 0; members && members[i].name; i++) {
		size_t dist = edit_distance(name, members[i].name);
		if (dist < best_d) {
			best_d = dist;
			best = members[i].name;
		}
	}
	return best;
}

static void join_path(char *out, size_t len, const char *parent, const char *name)
{
	if (parent[0])
		snprintf(out, len, "%s.%s", parent, name);
	else
		snprintf(out, len, "%s", name);
}

static void validate_group(struct vctx *v, config_setting_t *set, const struct kanmon_setting *members,
			   const struct kanmon_setting *map_elem, const char *path);

static const char *choices_text(const char *const *choices, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; choices[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s\"%s\"", i ? ", " : "", choices[i]);
	return buf;
}

static void validate_scalar(struct vctx *v, config_setting_t *s, const struct kanmon_setting *sch,
			    const char *path)
{
	int t = config_setting_type(s);
	switch (sch->type) {
	case KANMON_CONF_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			goto wrong_type;
		return;
	case KANMON_CONF_INT: {
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
			goto wrong_type;
		long long val = config_setting_get_int64(s);
		if (sch->min < sch->max && ((double)val < sch->min || (double)val > sch->max))
			verr(v, s, path, "%lld is out of range %.0f..%.0f", val, sch->min, sch->max);
		return;
	}
	case KANMON_CONF_FLOAT: {
		double val;
		if (t == CONFIG_TYPE_FLOAT)
			val = config_setting_get_float(s);
		else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
			val = (double)config_setting_get_int64(s);
		else
			goto wrong_type;
		if (sch->min < sch->max && (val < sch->min || val > sch->max))
			verr(v, s, path, "%g is out of range %g..%g", val, sch->min, sch->max);
		return;
	}
	default:
		break;
	}
	if (t != CONFIG_TYPE_STRING)
		goto wrong_type;
	const char *str = config_setting_get_string(s);
	uint8_t lo[16], hi[16];
	int family;
	unsigned plen;
	char buf[512];
	switch (sch->type) {
	case KANMON_CONF_STRING:
		if (sch->choices) {
			for (size_t i = 0; sch->choices[i]; i++)
				if (!strcmp(sch->choices[i], str))
					return;
			verr(v, s, path, "\"%s\" is not one of %s", str,
			     choices_text(sch->choices, buf, sizeof(buf)));
		}
		return;
	case KANMON_CONF_ADDR:
		if (conf_parse_addr(str, NULL, &family))
			verr(v, s, path, "\"%s\" is not an IPv4 or IPv6 address", str);
		return;
	case KANMON_CONF_PREFIX:
		if (conf_parse_prefix(str, lo, &family, &plen))
			verr(v, s, path, "\"%s\" is not a prefix like \"192.0.2.0/24\" or \"2001:db8::/64\"", str);
		else if (conf_prefix_host_bits(str))
			verr(v, s, path, "\"%s\" has host bits set below the prefix length", str);
		return;
	case KANMON_CONF_RANGE:
		if (conf_parse_range(str, lo, hi, &family)) {
			if (conf_prefix_host_bits(str))
				verr(v, s, path, "\"%s\" has host bits set below the prefix length", str);
			else
				verr(v, s, path,
				     "\"%s\" is not a range \"FIRST-LAST\" (same family, FIRST <= LAST) or a prefix",
				     str);
		}
		return;
	default:
		return;
	}
wrong_type:
	verr(v, s, path, "expected %s", type_names[sch->type]);
}

static void validate_value(struct vctx *v, config_setting_t *s, const struct kanmon_setting *sch,
			   const char *path)
{
	char sub[512];
	if (sch->flags & KANMON_CONF_LIST) {
		int t = config_setting_type(s);
		bool groups = sch->type == KANMON_CONF_GROUP;
		if (!groups && t == CONFIG_TYPE_STRING) {
			/* range = "a-b" reads better than range = ["a-b"]: a one-entry list */
			validate_scalar(v, s, sch, path);
			return;
		}
		if (groups ? t != CONFIG_TYPE_LIST : (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)) {
			verr(v, s, path, groups ? "expected a list of groups ( { ... }, ... )"
						: "expected a list [ ... ] of %s", type_names[sch->type]);
			return;
		}
		int n = config_setting_length(s);
		if (sch->min < sch->max && (n < sch->min || n > sch->max))
			verr(v, s, path, "has %d entries, expected %.0f..%.0f", n, sch->min, sch->max);
		for (int i = 0; i < n; i++) {
			config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
			snprintf(sub, sizeof(sub), "%s[%d]", path, i);
			if (groups) {
				if (config_setting_type(e) != CONFIG_TYPE_GROUP)
					verr(v, e, sub, "expected a group { ... }");
				else
					validate_group(v, e, sch->children, NULL, sub);
			} else {
				validate_scalar(v, e, sch, sub);
			}
		}
		return;
	}
	if (sch->type == KANMON_CONF_GROUP) {
		if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
			verr(v, s, path, "expected a group { ... }");
			return;
		}
		if ((sch->flags & KANMON_CONF_MAP) && !sch->children)
			return;	/* unchecked group */
		if (sch->flags & KANMON_CONF_MAP)
			validate_group(v, s, NULL, sch->children, path);
		else
			validate_group(v, s, sch->children, NULL, path);
		return;
	}
	validate_scalar(v, s, sch, path);
}

/* An absent group still owes its REQUIRED members (reported at the parent). */
static void required_in_absent(struct vctx *v, config_setting_t *parent, const struct kanmon_setting *members,
			       const char *path)
{
	char sub[512];
	for (size_t j = 0; members && members[j].name; j++) {
		const struct kanmon_setting *m = &members[j];
		join_path(sub, sizeof(sub), path, m->name);
		if (m->flags & KANMON_CONF_REQUIRED)
			verr(v, parent, sub, "required setting is missing");
		else if (m->type == KANMON_CONF_GROUP && !(m->flags & (KANMON_CONF_LIST | KANMON_CONF_MAP)))
			required_in_absent(v, parent, m->children, sub);
	}
}

static void validate_group(struct vctx *v, config_setting_t *set, const struct kanmon_setting *members,
			   const struct kanmon_setting *map_elem, const char *path)
{
	char sub[512];
	for (int i = 0; i < config_setting_length(set); i++) {
		config_setting_t *m = config_setting_get_elem(set, (unsigned)i);
		const char *name = config_setting_name(m);
		join_path(sub, sizeof(sub), path, name);
		if (map_elem) {
			validate_value(v, m, map_elem, sub);
			continue;
		}
		const struct kanmon_setting *sch = NULL;
		for (size_t j = 0; members && members[j].name; j++)
			if (!strcmp(members[j].name, name))
				sch = &members[j];
		if (sch) {
			validate_value(v, m, sch, sub);
			continue;
		}
		const char *hint = suggest(name, members);
		if (hint)
			verr(v, m, sub, "unknown setting (did you mean '%s'?)", hint);
		else if (!path[0])
			verr(v, m, sub, "unknown setting (a plugin's group? plugins that are not in 'plugins' cannot be configured)");
		else
			verr(v, m, sub, "unknown setting");
	}
	for (size_t j = 0; members && members[j].name; j++) {
		const struct kanmon_setting *m = &members[j];
		if (config_setting_get_member(set, m->name))
			continue;
		join_path(sub, sizeof(sub), path, m->name);
		if (m->flags & KANMON_CONF_REQUIRED)
			verr(v, set, sub, "required setting is missing");
		else if (m->type == KANMON_CONF_GROUP && !(m->flags & (KANMON_CONF_LIST | KANMON_CONF_MAP)))
			required_in_absent(v, set, m->children, sub);
	}
}

/* ---- value tree (built once the file validated) ------------------------ */

static struct kanmon_conf *node_new(struct conf *c, config_setting_t *set,
				    const struct kanmon_setting *members,
				    const struct kanmon_setting *map_elem);

static char **split_default(const char *def, size_t *n)
{
	char **out = NULL;
	*n = 0;
	if (!def || !def[0])
		return NULL;
	char *copy = strdup(def), *save = NULL;
	if (!copy)
		return NULL;
	for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		char **grown = realloc(out, (*n + 1) * sizeof(*out));
		if (!grown)
			break;
		out = grown;
		out[*n] = strdup(tok);
		if (out[*n])
			(*n)++;
	}
	free(copy);
	return out;
}

static int slot_fill(struct conf *c, struct kanmon_conf *n, size_t i)
{
	const struct kanmon_setting *m = &n->members[i];
	struct conf_slot *sl = &n->slots[i];
	config_setting_t *s = n->set ? config_setting_get_member(n->set, m->name) : NULL;
	if (m->type == KANMON_CONF_GROUP && (m->flags & KANMON_CONF_LIST)) {
		int len = s ? config_setting_length(s) : 0;
		if (len > 0 && !(sl->items = calloc((size_t)len, sizeof(*sl->items))))
			return -ENOMEM;
		for (int j = 0; j < len; j++) {
			sl->items[j] = node_new(c, config_setting_get_elem(s, (unsigned)j), m->children, NULL);
			if (!sl->items[j])
				return -ENOMEM;
			sl->n_items++;
		}
	} else if (m->type == KANMON_CONF_GROUP) {
		bool map = m->flags & KANMON_CONF_MAP;
		sl->group = node_new(c, s, map ? NULL : m->children, map ? m->children : NULL);
		if (!sl->group)
			return -ENOMEM;
	} else if ((m->flags & KANMON_CONF_LIST) && !s) {
		sl->defaults = split_default(m->def, &sl->n_defaults);
	}
	return 0;
}

static struct kanmon_conf *node_new(struct conf *c, config_setting_t *set,
				    const struct kanmon_setting *members,
				    const struct kanmon_setting *map_elem)
{
	struct kanmon_conf *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->conf = c;
	n->set = set;
	n->members = members;
	n->map_elem = map_elem;
	n->n_members = schema_len(members);
	if (n->n_members && !(n->slots = calloc(n->n_members, sizeof(*n->slots))))
		goto fail;
	for (size_t i = 0; i < n->n_members; i++)
		if (slot_fill(c, n, i))
			goto fail;
	return n;
fail:
	node_free(n);
	return NULL;
}

int conf_validate(struct conf *c, const struct kanmon_setting *core,
		  const struct conf_group_schema *groups, size_t n_groups, struct diag *d)
{
	size_t n_core = schema_len(core);
	struct vctx v = { .c = c, .d = d };
	free(c->top);
	node_free(c->root);
	c->root = NULL;
	c->top = calloc(n_core + n_groups + 1, sizeof(*c->top));
	if (!c->top)
		return -ENOMEM;
	if (n_core)
		memcpy(c->top, core, n_core * sizeof(*core));
	for (size_t i = 0; i < n_groups; i++) {
		for (size_t j = 0; j < n_core + i; j++) {
			if (!strcmp(c->top[j].name, groups[i].name)) {
				diag_add(d, "%s: plugin '%s' has the name of a core setting; rename the plugin",
					 c->path, groups[i].name);
				v.errors++;
			}
		}
		c->top[n_core + i] = (struct kanmon_setting){
			.name = groups[i].name,
			.type = KANMON_CONF_GROUP,
			.flags = groups[i].unchecked ? KANMON_CONF_MAP : 0,
			.children = groups[i].unchecked ? NULL : groups[i].settings,
			.help = "settings of the plugin of this name",
		};
	}
	validate_group(&v, config_root_setting(&c->cfg), c->top, NULL, "");
	if (v.errors)
		return -EINVAL;
	c->root = node_new(c, config_root_setting(&c->cfg), c->top, NULL);
	return c->root ? 0 : -ENOMEM;
}

const struct kanmon_conf *conf_root(const struct conf *c)
{
	return c->root;
}

const struct kanmon_conf *conf_group_of(const struct conf *c, const char *name)
{
	return conf_group(c->root, name);
}

/* ---- accessors ----------------------------------------------------------- */

/*
 * Walk a dotted path to the group holding the last component; returns the
 * member index or -1 (a plugin asked for something its schema lacks: logged).
 */
static long resolve(const struct kanmon_conf **np, const char *path, int want_type)
{
	const struct kanmon_conf *n = *np;
	char part[128];
	while (n) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);
		if (len >= sizeof(part))
			break;
		memcpy(part, path, len);
		part[len] = '\0';
		long idx = -1;
		for (size_t i = 0; i < n->n_members; i++)
			if (!strcmp(n->members[i].name, part))
				idx = (long)i;
		if (idx < 0)
			break;
		const struct kanmon_setting *m = &n->members[idx];
		if (!dot) {
			if (want_type && m->type != want_type &&
			    !(want_type == KANMON_CONF_STRING && m->type >= KANMON_CONF_STRING &&
			      m->type <= KANMON_CONF_RANGE))
				break;
			*np = n;
			return idx;
		}
		if (m->type != KANMON_CONF_GROUP || (m->flags & (KANMON_CONF_LIST | KANMON_CONF_MAP)))
			break;
		n = n->slots[idx].group;
		path = dot + 1;
	}
	log_err("conf", "plugin bug: no setting '%s' of the requested type in the schema", path);
	return -1;
}

static config_setting_t *member_setting(const struct kanmon_conf *n, long idx)
{
	return n->set ? config_setting_get_member(n->set, n->members[idx].name) : NULL;
}

bool conf_bool(const struct kanmon_conf *n, const char *path)
{
	long i = resolve(&n, path, KANMON_CONF_BOOL);
	if (i < 0)
		return false;
	config_setting_t *s = member_setting(n, i);
	if (s)
		return config_setting_get_bool(s);
	return n->members[i].def && !strcmp(n->members[i].def, "true");
}

int64_t conf_int(const struct kanmon_conf *n, const char *path)
{
	long i = resolve(&n, path, KANMON_CONF_INT);
	if (i < 0)
		return 0;
	config_setting_t *s = member_setting(n, i);
	if (s)
		return config_setting_get_int64(s);
	return n->members[i].def ? strtoll(n->members[i].def, NULL, 0) : 0;
}

double conf_float(const struct kanmon_conf *n, const char *path)
{
	long i = resolve(&n, path, KANMON_CONF_FLOAT);
	if (i < 0)
		return 0;
	config_setting_t *s = member_setting(n, i);
	if (s)
		return config_setting_type(s) == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
								   : (double)config_setting_get_int64(s);
	return n->members[i].def ? strtod(n->members[i].def, NULL) : 0;
}

const char *conf_string(const struct kanmon_conf *n, const char *path)
{
	long i = resolve(&n, path, KANMON_CONF_STRING);
	if (i < 0 || (n->members[i].flags & KANMON_CONF_LIST))
		return NULL;
	config_setting_t *s = member_setting(n, i);
	return s ? config_setting_get_string(s) : n->members[i].def;
}

size_t conf_count(const struct kanmon_conf *n, const char *path)
{
	long i = resolve(&n, path, 0);
	if (i < 0)
		return 0;
	const struct kanmon_setting *m = &n->members[i];
	if (m->type == KANMON_CONF_GROUP && (m->flags & KANMON_CONF_LIST))
		return n->slots[i].n_items;
	if (m->type == KANMON_CONF_GROUP && (m->flags & KANMON_CONF_MAP)) {
		const struct kanmon_conf *g = n->slots[i].group;
		return g->set ? (size_t)config_setting_length(g->set) : 0;
	}
	if (!(m->flags & KANMON_CONF_LIST))
		return 0;
	config_setting_t *s = member_setting(n, i);
	if (s && config_setting_type(s) == CONFIG_TYPE_STRING)
		return 1;
	return s ? (size_t)config_setting_length(s) : n->slots[i].n_defaults;
}

const char *conf_string_at(const struct kanmon_conf *n, const char *path, size_t idx)
{
	long i = resolve(&n, path, KANMON_CONF_STRING);
	if (i < 0 || !(n->members[i].flags & KANMON_CONF_LIST))
		return NULL;
	config_setting_t *s = member_setting(n, i);
	if (s && config_setting_type(s) == CONFIG_TYPE_STRING)
		return idx ? NULL : config_setting_get_string(s);
	if (s)
		return config_setting_get_string_elem(s, (int)idx);
	return idx < n->slots[i].n_defaults ? n->slots[i].defaults[idx] : NULL;
}

const struct kanmon_conf *conf_group(const struct kanmon_conf *n, const char *path)
{
	long i = resolve(&n, path, KANMON_CONF_GROUP);
	if (i < 0 || (n->members[i].flags & KANMON_CONF_LIST))
		return NULL;
	return n->slots[i].group;
}

const struct kanmon_conf *conf_group_at(const struct kanmon_conf *n, const char *path, size_t idx)
{
	long i = resolve(&n, path, KANMON_CONF_GROUP);
	if (i < 0 || !(n->members[i].flags & KANMON_CONF_LIST) || idx >= n->slots[i].n_items)
		return NULL;
	return n->slots[i].items[idx];
}

const char *conf_map_at(const struct kanmon_conf *n, const char *path, size_t idx, const char **value)
{
	const struct kanmon_conf *g = conf_group(n, path);
	if (!g || !g->map_elem || !g->set || idx >= (size_t)config_setting_length(g->set))
		return NULL;
	config_setting_t *m = config_setting_get_elem(g->set, (unsigned)idx);
	*value = config_setting_get_string(m);
	return config_setting_name(m);
}

/* ---- reload: which non-reloadable values changed ----------------------- */

static void member_repr(const struct kanmon_conf *n, size_t i, char *buf, size_t len)
{
	const struct kanmon_setting *m = &n->members[i];
	buf[0] = '\0';
	if (m->flags & KANMON_CONF_LIST) {
		size_t off = 0, cnt = conf_count(n, m->name);
		for (size_t j = 0; j < cnt && off < len; j++)
			off += (size_t)snprintf(buf + off, len - off, "%s,", conf_string_at(n, m->name, j));
		return;
	}
	switch (m->type) {
	case KANMON_CONF_BOOL:
		snprintf(buf, len, "%d", conf_bool(n, m->name));
		break;
	case KANMON_CONF_INT:
		snprintf(buf, len, "%" PRId64, conf_int(n, m->name));
		break;
	case KANMON_CONF_FLOAT:
		snprintf(buf, len, "%.17g", conf_float(n, m->name));
		break;
	default: {
		const char *s = conf_string(n, m->name);
		snprintf(buf, len, "%s", s ? s : "");
	}
	}
}

static size_t diff_nodes(const struct kanmon_conf *a, const struct kanmon_conf *b, const char *path,
			 struct diag *d)
{
	size_t changed = 0;
	char sub[512];
	if (a->map_elem) {
		/* maps compare as a whole: same names and values in the same order */
		size_t na = a->set ? (size_t)config_setting_length(a->set) : 0;
		size_t nb = b->set ? (size_t)config_setting_length(b->set) : 0;
		bool same = na == nb;
		for (size_t j = 0; same && j < na; j++) {
			config_setting_t *x = config_setting_get_elem(a->set, (unsigned)j);
			config_setting_t *y = config_setting_get_elem(b->set, (unsigned)j);
			const char *xs = config_setting_get_string(x), *ys = config_setting_get_string(y);
			same = !strcmp(config_setting_name(x), config_setting_name(y)) && xs && ys &&
			       !strcmp(xs, ys);
		}
		if (!same) {
			diag_add(d, "%s", path);
			changed++;
		}
		return changed;
	}
	for (size_t i = 0; i < a->n_members && i < b->n_members; i++) {
		const struct kanmon_setting *m = &a->members[i];
		if (m->flags & KANMON_CONF_RELOAD)
			continue;
		join_path(sub, sizeof(sub), path, m->name);
		if (m->type == KANMON_CONF_GROUP && (m->flags & KANMON_CONF_LIST)) {
			const struct conf_slot *sa = &a->slots[i], *sb = &b->slots[i];
			if (sa->n_items != sb->n_items) {
				diag_add(d, "%s", sub);
				changed++;
				continue;
			}
			for (size_t j = 0; j < sa->n_items; j++) {
				char item[540];
				snprintf(item, sizeof(item), "%s[%zu]", sub, j);
				changed += diff_nodes(sa->items[j], sb->items[j], item, d);
			}
		} else if (m->type == KANMON_CONF_GROUP) {
			changed += diff_nodes(a->slots[i].group, b->slots[i].group, sub, d);
		} else {
			char va[1024], vb[1024];
			member_repr(a, i, va, sizeof(va));
			member_repr(b, i, vb, sizeof(vb));
			if (strcmp(va, vb)) {
				diag_add(d, "%s", sub);
				changed++;
			}
		}
	}
	return changed;
}

size_t conf_check_reload(const struct conf *old, const struct conf *new_conf, struct diag *d)
{
	return diff_nodes(old->root, new_conf->root, "", d);
}

const char *conf_raw_string(const struct conf *c, const char *path)
{
	config_setting_t *s = config_lookup(&c->cfg, path);
	return s && config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
}
