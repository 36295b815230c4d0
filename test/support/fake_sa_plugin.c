/* SPDX-License-Identifier: MIT */
/*
 * fake_sa_plugin.c - the recording backend as a loadable plugin "fake-sa"
 * (provides "sa-backend"): every call is logged as "fake-sa: <call>", so
 * daemon-level tests can run protocol plugins without touching the kernel.
 */
#include <stdlib.h>

#include <kanmon/kanmon.h>

#include "fake_sa.h"

struct fake_plugin {
	const struct kanmon_host *host;
	struct fake_sa *f;
};

static void log_call(const char *line, void *arg)
{
	struct fake_plugin *fp = arg;
	fp->host->log(fp->host, KANMON_LOG_INFO, "fake-sa: %s", line);
}

static int fp_init(const struct kanmon_host *host, const struct kanmon_conf *conf, void **state)
{
	(void)conf;
	struct fake_plugin *fp = calloc(1, sizeof(*fp));
	if (!fp || !(fp->f = fake_sa_new())) {
		free(fp);
		return -12;
	}
	fp->host = host;
	fake_sa_set_observer(fp->f, log_call, fp);
	int err = host->sa_register_backend(host, fake_sa_ops(), fp->f);
	if (err) {
		fake_sa_free(fp->f);
		free(fp);
		return err;
	}
	*state = fp;
	return 0;
}

static void fp_fini(void *state)
{
	struct fake_plugin *fp = state;
	if (fake_sa_installed(fp->f) || fake_sa_policies(fp->f))
		fp->host->log(fp->host, KANMON_LOG_WARNING, "fake-sa: %zu SA(s) and %zu policy(ies) left installed",
			      fake_sa_installed(fp->f), fake_sa_policies(fp->f));
	fake_sa_free(fp->f);
	free(fp);
}

static const char *const fp_provides[] = { "sa-backend", NULL };

KANMON_PLUGIN(.name = "fake-sa", .version = "1.0", .description = "recording SA backend (tests only)",
	      .provides = fp_provides, .init = fp_init, .fini = fp_fini);
