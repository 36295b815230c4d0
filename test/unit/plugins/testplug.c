/* SPDX-License-Identifier: MIT */
/*
 * testplug.c - one source, many deliberately good or broken plugins for the
 * loader's tests (test/unit/CMakeLists.txt builds the variants):
 *   TP_NAME, TP_PROVIDES, TP_REQUIRES  descriptor fields (strings)
 *   TP_MAJOR_DELTA, TP_MINOR_DELTA     ABI numbers relative to the headers
 *   TP_INIT_FAIL                       init returns -EADDRINUSE
 *   TP_NO_DESC                         exports no descriptor at all
 * Each init/fini logs "init NAME" / "fini NAME" so tests can check order.
 */
#include <errno.h>
#include <stdlib.h>

#include <kanmon/kanmon.h>

#ifdef TP_NO_DESC
KANMON_EXPORT int not_a_descriptor = 1;
#else

#ifndef TP_MAJOR_DELTA
#define TP_MAJOR_DELTA 0
#endif
#ifndef TP_MINOR_DELTA
#define TP_MINOR_DELTA 0
#endif

struct tp {
	const struct kanmon_host *host;
};

static const struct kanmon_setting tp_settings[] = {
	{ .name = "value", .type = KANMON_CONF_INT, .def = "1", .min = 0, .max = 10,
	  .flags = KANMON_CONF_RELOAD, .help = "a number" },
	KANMON_SETTINGS_END,
};

#ifdef TP_PROVIDES
static const char *const tp_provides[] = { TP_PROVIDES, NULL };
#else
static const char *const tp_provides[] = { NULL };
#endif
#ifdef TP_REQUIRES
static const char *const tp_requires[] = { TP_REQUIRES, NULL };
#else
static const char *const tp_requires[] = { NULL };
#endif

static int tp_init(const struct kanmon_host *host, const struct kanmon_conf *conf, void **state)
{
	host->log(host, KANMON_LOG_NOTICE, "init %s value=%lld", TP_NAME,
		  (long long)host->conf_int(conf, "value"));
#ifdef TP_INIT_FAIL
	return -EADDRINUSE;
#endif
	struct tp *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->host = host;
	*state = t;
	return 0;
}

static int tp_reload(void *state, const struct kanmon_conf *conf)
{
	struct tp *t = state;
	t->host->log(t->host, KANMON_LOG_NOTICE, "reload %s value=%lld", TP_NAME,
		     (long long)t->host->conf_int(conf, "value"));
	return 0;
}

static void tp_fini(void *state)
{
	struct tp *t = state;
	t->host->log(t->host, KANMON_LOG_NOTICE, "fini %s", TP_NAME);
	free(t);
}

KANMON_EXPORT const struct kanmon_plugin kanmon_plugin = {
	.abi_major = KANMON_ABI_MAJOR + TP_MAJOR_DELTA,
	.abi_minor = KANMON_ABI_MINOR + TP_MINOR_DELTA,
	.size = sizeof(struct kanmon_plugin),
	.name = TP_NAME,
	.version = "0",
	.description = "loader test plugin",
	.provides = tp_provides,
	.requires = tp_requires,
	.settings = tp_settings,
	.init = tp_init,
	.reload = tp_reload,
	.fini = tp_fini,
};
#endif
