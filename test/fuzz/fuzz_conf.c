/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conf - the configuration parser and strict validator on arbitrary
 * text: parse, validate against the core schema plus a plugin-like group
 * exercising every type, read every value back, compare for reload, and
 * print the help. Must never crash, leak or trip a sanitizer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "settings.h"

static const char *const modes[] = { "a", "b", NULL };
static const struct kanmon_setting inner[] = {
	{ .name = "delay", .type = KANMON_CONF_FLOAT, .def = "1.0", .min = 0.1, .max = 60 },
	{ .name = "need", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_REQUIRED },
	KANMON_SETTINGS_END,
};
static const struct kanmon_setting map_elem[] = { { .name = "v", .type = KANMON_CONF_STRING, .choices = modes },
						  KANMON_SETTINGS_END };
static const struct kanmon_setting plug[] = {
	{ .name = "flag", .type = KANMON_CONF_BOOL, .def = "false" },
	{ .name = "n", .type = KANMON_CONF_INT, .def = "5", .min = 1, .max = 10 },
	{ .name = "mode", .type = KANMON_CONF_STRING, .def = "a", .choices = modes, .flags = KANMON_CONF_RELOAD },
	{ .name = "net", .type = KANMON_CONF_PREFIX, .flags = KANMON_CONF_LIST },
	{ .name = "r", .type = KANMON_CONF_RANGE, .flags = KANMON_CONF_LIST, .def = "192.0.2.0/28" },
	{ .name = "g", .type = KANMON_CONF_GROUP, .children = inner },
	{ .name = "gl", .type = KANMON_CONF_GROUP, .flags = KANMON_CONF_LIST, .children = inner },
	{ .name = "m", .type = KANMON_CONF_GROUP, .flags = KANMON_CONF_MAP, .children = map_elem },
	KANMON_SETTINGS_END,
};

static void walk(const struct kanmon_conf *n, const struct kanmon_setting *s)
{
	for (size_t i = 0; s && s[i].name; i++) {
		const struct kanmon_setting *m = &s[i];
		if (m->flags & KANMON_CONF_MAP) {
			const char *v;
			for (size_t j = 0; j < conf_count(n, m->name); j++)
				conf_map_at(n, m->name, j, &v);
		} else if (m->type == KANMON_CONF_GROUP && (m->flags & KANMON_CONF_LIST)) {
			for (size_t j = 0; j < conf_count(n, m->name); j++)
				walk(conf_group_at(n, m->name, j), m->children);
		} else if (m->type == KANMON_CONF_GROUP) {
			walk(conf_group(n, m->name), m->children);
		} else if (m->flags & KANMON_CONF_LIST) {
			for (size_t j = 0; j < conf_count(n, m->name); j++)
				conf_string_at(n, m->name, j);
		} else if (m->type == KANMON_CONF_BOOL) {
			conf_bool(n, m->name);
		} else if (m->type == KANMON_CONF_INT) {
			conf_int(n, m->name);
		} else if (m->type == KANMON_CONF_FLOAT) {
			conf_float(n, m->name);
		} else {
			conf_string(n, m->name);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet) {
		log_set_default_level(KANMON_LOG_ERR - 1);	/* accessor misuse logs: silence */
		quiet = 1;
	}
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* @include reads files (even /dev/zero): not the parser under test */
	if (strstr(text, "@include")) {
		free(text);
		return 0;
	}
	struct diag d = { 0 };
	struct conf *c = NULL, *c2 = NULL;
	const struct conf_group_schema groups[] = { { .name = "plug", .settings = plug } };
	if (!conf_parse_text("/fuzz/kanmon.conf", text, &c, &d) &&
	    !conf_validate(c, core_settings, groups, 1, &d)) {
		walk(conf_root(c), core_settings);
		walk(conf_group_of(c, "plug"), plug);
		if (!conf_parse_text("/fuzz/kanmon.conf", text, &c2, &d) &&
		    !conf_validate(c2, core_settings, groups, 1, &d))
			conf_check_reload(c, c2, &d);
	}
	conf_free(c);
	conf_free(c2);
	diag_clear(&d);
	free(text);
	return 0;
}
