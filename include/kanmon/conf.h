/* SPDX-License-Identifier: MIT */
/*
 * kanmon/conf.h - settings schemas, declared as data.
 *
 * The core and every plugin describe their configuration group as a
 * NULL-name-terminated array of struct kanmon_setting. The core validates the
 * whole file against these schemas before anything starts (unknown settings,
 * wrong types, ranges, malformed addresses are errors naming file, line and
 * setting path), fills in defaults, and prints the reference with
 * `kanmond --help-config`. Plugins read validated values through the
 * kanmon_host conf_* accessors, so they never parse text themselves.
 */
#ifndef KANMON_CONF_H
#define KANMON_CONF_H

#include <stdint.h>

enum kanmon_conf_type {
	KANMON_CONF_BOOL = 1,
	KANMON_CONF_INT,	/* 64-bit integer; min/max apply when min < max */
	KANMON_CONF_FLOAT,	/* integers are accepted too; min/max apply */
	KANMON_CONF_STRING,	/* choices restricts the values when set */
	KANMON_CONF_ADDR,	/* one IPv4 or IPv6 address, as a string */
	KANMON_CONF_PREFIX,	/* "192.0.2.0/24" or "2001:db8::/64" */
	KANMON_CONF_RANGE,	/* "a-b" (same family, a <= b) or a prefix */
	KANMON_CONF_GROUP,	/* children describes the members */
};

/* flags */
#define KANMON_CONF_LIST	0x01	/* an array of the type; for GROUP a list of groups */
#define KANMON_CONF_RELOAD	0x02	/* a reload (SIGHUP) may change it */
#define KANMON_CONF_REQUIRED	0x04	/* no default: must be present */
#define KANMON_CONF_MAP		0x08	/* GROUP whose member names are free; every
					 * member has the type of children[0] */

struct kanmon_setting {
	const char *name;
	uint16_t type;			/* enum kanmon_conf_type */
	uint16_t flags;
	const char *def;		/* default, as it would be written in the file
					 * (without quotes); NULL = none. Lists: none. */
	double min, max;		/* INT, FLOAT; list length for LIST when set */
	const char *const *choices;	/* STRING: NULL-terminated allowed values */
	const struct kanmon_setting *children;	/* GROUP: member schema */
	const char *help;		/* one or two sentences for --help-config */
};

#define KANMON_SETTINGS_END { .name = 0 }

/* Opaque handle of one configuration group (validated, defaults applied). */
struct kanmon_conf;

#endif
