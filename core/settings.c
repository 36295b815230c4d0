/* SPDX-License-Identifier: MIT */
/* settings.c - core settings (DESIGN section 4), declared as data. */
#include <stddef.h>

#include "settings.h"

#ifndef KANMON_PLUGINDIR
#define KANMON_PLUGINDIR "/usr/local/lib/kanmon/plugins-1"
#endif

static const char *const log_levels[] = { "err", "warning", "notice", "info", "debug", NULL };

const char *const core_subsystems[] = { "core", "conf", "net", "plugin", "pool", "store",
					"session", "ctl", "cert", NULL };

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
		  "(core, conf, net, plugin, pool, store, session, ctl, cert) or an enabled plugin's name." },
	KANMON_SETTINGS_END,
};

static const char *const sync_modes[] = { "normal", "full", NULL };

static const struct kanmon_setting pool_static_settings[] = {
	{ .name = "identity", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_REQUIRED,
	  .help = "Client identity (IKE ID, certificate subject or PPP user) that always gets this address." },
	{ .name = "address", .type = KANMON_CONF_ADDR, .flags = KANMON_CONF_REQUIRED,
	  .help = "The address, inside one of the pool's ranges." },
	KANMON_SETTINGS_END,
};

static const struct kanmon_setting pool_settings[] = {
	{ .name = "name", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_REQUIRED,
	  .help = "Name the protocol plugins refer to (e.g. ikev2.pool)." },
	{ .name = "range", .type = KANMON_CONF_RANGE, .flags = KANMON_CONF_LIST | KANMON_CONF_REQUIRED,
	  .min = 1, .max = 64,
	  .help = "Address ranges \"FIRST-LAST\" or prefixes, IPv4 and/or IPv6; a single string or a list." },
	{ .name = "dns", .type = KANMON_CONF_ADDR, .flags = KANMON_CONF_LIST | KANMON_CONF_RELOAD, .max = 8,
	  .help = "DNS servers pushed to clients of this pool." },
	{ .name = "lease_time", .type = KANMON_CONF_INT, .def = "86400", .min = 0, .max = 31536000,
	  .help = "Seconds an address stays reserved for its identity after the session ended." },
	{ .name = "static", .type = KANMON_CONF_GROUP, .flags = KANMON_CONF_LIST, .max = 256,
	  .children = pool_static_settings,
	  .help = "Fixed addresses per identity: ( { identity = \"...\"; address = \"...\"; } )." },
	KANMON_SETTINGS_END,
};

static const struct kanmon_setting ca_cert_settings[] = {
	{ .name = "name", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_REQUIRED | KANMON_CONF_RELOAD,
	  .help = "Name the protocol plugins use for it (certificate = \"...\")." },
	{ .name = "cert", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_REQUIRED | KANMON_CONF_RELOAD,
	  .help = "Certificate file: PEM (may also hold the key), DER, or PKCS#12 with the key." },
	{ .name = "key", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_RELOAD, .def = "",
	  .help = "Private key file (PEM or DER, PKCS#1 or PKCS#8, may be encrypted) when cert does not hold it." },
	{ .name = "passphrase_file", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_RELOAD, .def = "",
	  .help = "File whose first line is the passphrase of the key or the PKCS#12 file." },
	KANMON_SETTINGS_END,
};

static const struct kanmon_setting ca_settings[] = {
	{ .name = "server_id", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_LIST | KANMON_CONF_RELOAD, .max = 16,
	  .help = "Names or addresses clients are given for this server (their remote ID). Every server "
		  "certificate is checked against them at start-up and reload, with a warning naming the "
		  "clients a problem would break; default: each certificate's CN." },
	{ .name = "trust", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_LIST | KANMON_CONF_RELOAD, .max = 32,
	  .help = "CA certificate files (PEM, DER) trusted to authenticate clients, besides the built-in "
		  "CA of state_dir (kanmonctl ca create) and CAs imported with kanmonctl cert import." },
	{ .name = "crl", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_LIST | KANMON_CONF_RELOAD, .max = 32,
	  .help = "CRL files (PEM or DER) of trusted CAs, re-read on reload. Revocations by the built-in CA "
		  "need none: kanmonctl cert revoke reaches kanmond at once." },
	{ .name = "certificates", .type = KANMON_CONF_GROUP, .flags = KANMON_CONF_LIST | KANMON_CONF_RELOAD,
	  .max = 32, .children = ca_cert_settings,
	  .help = "Server certificates kept outside the store: ( { name = \"ext\"; cert = \"/etc/kanmon/server.p12\"; "
		  "passphrase_file = \"/etc/kanmon/server.pass\"; } )." },
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
	{ .name = "store_sync", .type = KANMON_CONF_STRING, .def = "normal", .choices = sync_modes,
	  .help = "normal: a stored change survives a crash of kanmond; full: also a power loss (fsync per change, slower)." },
	{ .name = "control_socket", .type = KANMON_CONF_STRING, .def = "/run/kanmon/kanmon.sock",
	  .help = "UNIX socket kanmonctl talks to (mode 0660, group of `user`)." },
	{ .name = "user", .type = KANMON_CONF_STRING, .def = "kanmon",
	  .help = "Once its sockets are open kanmond runs as this user with CAP_NET_ADMIN only; \"\" keeps root." },
	{ .name = "pools", .type = KANMON_CONF_GROUP, .flags = KANMON_CONF_LIST, .max = 64,
	  .children = pool_settings,
	  .help = "Address pools: ( { name = \"clients\"; range = \"203.0.113.2-203.0.113.126\"; dns = [\"198.51.100.53\"]; } )." },
	{ .name = "ca", .type = KANMON_CONF_GROUP, .flags = KANMON_CONF_RELOAD, .children = ca_settings,
	  .help = "Certificates: the built-in CA and the certificates in state_dir, plus these files." },
	{ .name = "log", .type = KANMON_CONF_GROUP, .children = log_settings,
	  .help = "Logging: syslog when kanmond runs in the background, stderr with -f." },
	KANMON_SETTINGS_END,
};
