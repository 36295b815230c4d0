/* SPDX-License-Identifier: MIT */
/* settings.c - core settings (DESIGN section 4), declared as data. */
#include <stddef.h>

#include "settings.h"

#ifndef KANMON_PLUGINDIR
#define KANMON_PLUGINDIR "/usr/local/lib/kanmon/plugins-1"
#endif

static const char *const log_levels[] = { "err", "warning", "notice", "info", "debug", NULL };

const char *const core_subsystems[] = { "core", "conf", "net", "plugin", "pool", "store",
					"session", "ctl", NULL };

static const struct kanmon_setting log_level_entry[] = {
	{ .name = "level", .type = KANMON_CONF_STRING, .choices = log_levels },
	KANMON_SETTINGS_END,
};

static const struct kanmon_setting log_settings[] = {
	{ .name = "level", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_RELOAD, .def = "info",
	  .choices = log_levels, .help = "Default level for every subsystem." },
	{ .name = "subsystems", .type = KANMON_CONF_GROUP, .flags = KANMON_CONF_RELOAD | KANMON_CONF_MAP,
	  .children = log_level_entry,
	  .help = "Per-subsystem levels, e.g. { net = \"debug\"; ikev2 = \"debug\"; }: a core subsystem "
		  "(core, conf, net, plugin, pool, store, session, ctl) or an enabled plugin's name." },
	KANMON_SETTINGS_END,
};

const struct kanmon_setting core_settings[] = {
	{ .name = "plugins", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_LIST | KANMON_CONF_REQUIRED,
	  .help = "Plugins this deployment enables, by name (files <name>.so in plugin_dir). "
		  "Loaded in dependency order; changing the list needs a restart." },
	{ .name = "plugin_dir", .type = KANMON_CONF_STRING, .def = KANMON_PLUGINDIR,
	  .help = "Directory holding the plugins (pkg-config --variable=plugindir kanmon)." },
	{ .name = "listen", .type = KANMON_CONF_ADDR, .flags = KANMON_CONF_LIST, .def = "0.0.0.0, ::",
	  .min = 1, .max = 16,
	  .help = "Local addresses of the UDP sockets the core opens for the plugins' ports." },
	{ .name = "state_dir", .type = KANMON_CONF_STRING, .def = "/var/lib/kanmon",
	  .help = "Where durable state lives (lease and certificate store); kanmonctl --dir defaults here." },
	{ .name = "control_socket", .type = KANMON_CONF_STRING, .def = "/run/kanmon/kanmon.sock",
	  .help = "UNIX socket kanmonctl talks to." },
	{ .name = "log", .type = KANMON_CONF_GROUP, .children = log_settings,
	  .help = "Logging: syslog when kanmond runs in the background, stderr with -f." },
	KANMON_SETTINGS_END,
};
