/* SPDX-License-Identifier: MIT */
/*
 * kanmon/plugin.h - the plugin descriptor: the only symbol a plugin exports.
 *
 * ABI rules (see README "Plugin guide"):
 *  - A plugin is a shared object in $plugindir (pkg-config --variable=plugindir
 *    kanmon) named <name>.so that exports one const struct kanmon_plugin called
 *    "kanmon_plugin"; use KANMON_PLUGIN(...) so the ABI fields are filled in.
 *  - KANMON_ABI_MAJOR changes when an existing struct member or function
 *    changes meaning or position: the loader refuses any other major.
 *  - KANMON_ABI_MINOR grows when members are appended to kanmon_host or to a
 *    descriptor: the loader refuses a plugin built against a newer minor than
 *    the daemon's, and accepts older ones (their `size` tells what they know).
 *  - Everything runs on the daemon's event-loop thread except host->post(),
 *    which a plugin's own threads may call.
 */
#ifndef KANMON_PLUGIN_H
#define KANMON_PLUGIN_H

#include <stdint.h>

#include <kanmon/conf.h>
#include <kanmon/host.h>

#define KANMON_ABI_MAJOR 1
#define KANMON_ABI_MINOR 0

#define KANMON_EXPORT __attribute__((visibility("default")))

struct kanmon_plugin {
	uint16_t abi_major, abi_minor;
	uint32_t size;			/* sizeof(struct kanmon_plugin) at build time */
	const char *name;		/* [a-z0-9_-]+; the identity (config group, logs), by
					 * convention also the file name without .so */
	const char *version;
	const char *description;
	const char *const *provides;	/* NULL-terminated, e.g. {"sa-backend", NULL} */
	const char *const *requires;	/* NULL-terminated capabilities or plugin names */
	const struct kanmon_setting *settings; /* schema of group <name> {...}; may be NULL */
	/*
	 * init: called in dependency order after the whole configuration was
	 * validated. `conf` is the plugin's group; it stays valid until reload()
	 * returns 0 with a newer one, or fini(). Return 0 or -errno; on failure
	 * the daemon does not start and fini() is not called.
	 */
	int (*init)(const struct kanmon_host *host, const struct kanmon_conf *conf, void **state);
	/*
	 * reload: SIGHUP / kanmonctl reload with a validated configuration in
	 * which only KANMON_CONF_RELOAD settings changed. Keep live sessions.
	 * Return -errno to keep the previous settings (the core logs it).
	 * NULL: the plugin has nothing reloadable.
	 */
	int (*reload)(void *state, const struct kanmon_conf *conf);
	void (*fini)(void *state);	/* reverse dependency order; release everything */
	/*
	 * check (may be NULL): what the schema cannot say about the plugin's
	 * group (a proposal that does not parse, settings that contradict each
	 * other), for `kanmond -t`, start-up and every reload, before init or
	 * reload see it. Return 0, or -EINVAL with the problem in err, e.g.
	 * "esp_proposals: unknown algorithm 'aes256foo'" (the core adds file,
	 * line and group). No side effects: only the host's conf_* accessors.
	 */
	int (*check)(const struct kanmon_host *host, const struct kanmon_conf *conf, char *err, size_t len);
	void *reserved[7];		/* zero; later minors give them meaning */
};

#define KANMON_PLUGIN(...)                                                        \
	KANMON_EXPORT const struct kanmon_plugin kanmon_plugin = {                \
		.abi_major = KANMON_ABI_MAJOR, .abi_minor = KANMON_ABI_MINOR,     \
		.size = sizeof(struct kanmon_plugin), __VA_ARGS__ }

#endif
