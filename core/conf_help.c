/* SPDX-License-Identifier: MIT */
/*
 * conf_help.c - the settings reference printed by `kanmond --help-config`,
 * and a check of schemas themselves (a plugin's schema is code too).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static const char *const short_types[] = {
	[KANMON_CONF_BOOL] = "bool", [KANMON_CONF_INT] = "integer",
	[KANMON_CONF_FLOAT] = "number", [KANMON_CONF_STRING] = "string",
	[KANMON_CONF_ADDR] = "address", [KANMON_CONF_PREFIX] = "prefix",
	[KANMON_CONF_RANGE] = "range", [KANMON_CONF_GROUP] = "group",
};

static void print_members(FILE *f, const struct kanmon_setting *s, int depth)
{
	for (size_t i = 0; s && s[i].name; i++) {
		const struct kanmon_setting *m = &s[i];
		fprintf(f, "%*s%s%s", depth * 2, "", m->name, (m->flags & KANMON_CONF_MAP) ? " { <name> = ...; }" : "");
		fprintf(f, " (%s%s%s", (m->flags & KANMON_CONF_LIST) ? "list of " : "",
			(m->flags & KANMON_CONF_MAP) ? "map of " : "",
			(m->flags & KANMON_CONF_MAP) && m->children ? short_types[m->children[0].type]
								    : short_types[m->type]);
		if (m->flags & KANMON_CONF_REQUIRED)
			fprintf(f, ", required");
		else if (m->def)
			fprintf(f, ", default %s%s%s", m->type >= KANMON_CONF_STRING ? "\"" : "", m->def,
				m->type >= KANMON_CONF_STRING ? "\"" : "");
		if (m->min < m->max)
			fprintf(f, ", %s%g..%g", (m->flags & KANMON_CONF_LIST) ? "entries " : "", m->min,
				m->max);
		const char *const *ch = m->choices;
		if (!ch && (m->flags & KANMON_CONF_MAP) && m->children)
			ch = m->children[0].choices;
		if (ch) {
			fprintf(f, ", one of");
			for (size_t j = 0; ch[j]; j++)
				fprintf(f, "%s %s", j ? "," : "", ch[j]);
		}
		fprintf(f, ", %s)\n", (m->flags & KANMON_CONF_RELOAD) ? "reloadable" : "restart to change");
		if (m->help)
			fprintf(f, "%*s    %s\n", depth * 2, "", m->help);
		if (m->type == KANMON_CONF_GROUP && !(m->flags & KANMON_CONF_MAP))
			print_members(f, m->children, depth + 1);
	}
}

void conf_print_help(void *file, const char *group, const struct kanmon_setting *s)
{
	FILE *f = file;
	if (group) {
		fprintf(f, "%s = {\n", group);
		print_members(f, s, 1);
		fprintf(f, "};\n\n");
	} else {
		print_members(f, s, 0);
		fprintf(f, "\n");
	}
}

static bool def_entry_parses(const struct kanmon_setting *m, const char *def);

/* List defaults are "a, b, c": each entry must be valid like a file's list. */
static bool def_parses(const struct kanmon_setting *m)
{
	if (!m->def || !(m->flags & KANMON_CONF_LIST))
		return def_entry_parses(m, m->def);
	char *copy = strdup(m->def), *save = NULL;
	bool ok = copy != NULL;
	size_t n = 0;
	for (char *tok = copy ? strtok_r(copy, ", ", &save) : NULL; tok && ok; tok = strtok_r(NULL, ", ", &save)) {
		ok = def_entry_parses(m, tok);
		n++;
	}
	if (ok && m->min < m->max && (n < m->min || n > m->max))
		ok = false;
	free(copy);
	return ok;
}

static bool def_entry_parses(const struct kanmon_setting *m, const char *def)
{
	char *end;
	uint8_t a[16], b[16];
	int fam;
	unsigned plen;
	if (!def)
		return true;
	switch (m->type) {
	case KANMON_CONF_BOOL:
		return !strcmp(def, "true") || !strcmp(def, "false");
	case KANMON_CONF_INT: {
		long long v = strtoll(def, &end, 0);
		return !*end && end != def && (!(m->min < m->max) || (v >= m->min && v <= m->max));
	}
	case KANMON_CONF_FLOAT: {
		double v = strtod(def, &end);
		return !*end && end != def && (!(m->min < m->max) || (v >= m->min && v <= m->max));
	}
	case KANMON_CONF_ADDR:
		return !conf_parse_addr(def, NULL, &fam);
	case KANMON_CONF_PREFIX:
		return !conf_parse_prefix(def, a, &fam, &plen);
	case KANMON_CONF_RANGE:
		return !conf_parse_range(def, a, b, &fam);
	case KANMON_CONF_STRING:
		if (m->choices) {
			for (size_t i = 0; m->choices[i]; i++)
				if (!strcmp(m->choices[i], def))
					return true;
			return false;
		}
		return true;
	default:
		return false;
	}
}

int conf_schema_check(const char *owner, const struct kanmon_setting *s, struct diag *d)
{
	int bad = 0;
	for (size_t i = 0; s && s[i].name; i++) {
		const struct kanmon_setting *m = &s[i];
		const char *why = NULL;
		if (m->type < KANMON_CONF_BOOL || m->type > KANMON_CONF_GROUP)
			why = "unknown type";
		else if ((m->flags & KANMON_CONF_LIST) && m->type < KANMON_CONF_STRING)
			why = "lists must hold strings, addresses, prefixes, ranges or groups";
		else if ((m->flags & KANMON_CONF_MAP) &&
			 (m->type != KANMON_CONF_GROUP || !m->children || !m->children[0].name ||
			  m->children[0].type != KANMON_CONF_STRING))
			why = "a map must be a group whose children[0] is a string";
		else if (m->type == KANMON_CONF_GROUP && m->def)
			why = "a group cannot have a default";
		else if (!def_parses(m))
			why = "its default does not satisfy its own type, range or choices";
		if (why) {
			diag_add(d, "%s: setting '%s' in the schema is invalid: %s", owner, m->name, why);
			bad++;
		}
		if (m->type == KANMON_CONF_GROUP && !(m->flags & KANMON_CONF_MAP))
			bad += conf_schema_check(owner, m->children, d) ? 1 : 0;
	}
	return bad ? -EINVAL : 0;
}
