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
#ifdef TP_SA_USER
	const struct kanmon_sa_ops *ops;
	void *be;
	struct kanmon_sa_id in, out;
	struct kanmon_policy_id pol[3];
#endif
};

#ifdef TP_SA_USER
#include <arpa/inet.h>
#include <string.h>

/* What a protocol plugin does for one client: an SA pair and three policies. */
static int tp_install(struct tp *t)
{
	int err = t->host->sa_backend(t->host, &t->ops, &t->be);
	if (err)
		return err;
	struct sockaddr_in srv = { .sin_family = AF_INET }, cli = { .sin_family = AF_INET };
	inet_pton(AF_INET, "198.51.100.1", &srv.sin_addr);
	inet_pton(AF_INET, "198.51.100.2", &cli.sin_addr);
	memcpy(&t->in.src, &cli, sizeof(cli));
	memcpy(&t->in.dst, &srv, sizeof(srv));
	t->in.proto = KANMON_SA_PROTO_ESP;
	if ((err = t->ops->alloc_spi(t->be, &t->in, &t->in.spi)))
		return err;
	t->out = t->in;
	memcpy(&t->out.src, &srv, sizeof(srv));
	memcpy(&t->out.dst, &cli, sizeof(cli));
	t->out.spi = htonl(0x12345678);
	static const uint8_t key[36];
	struct kanmon_sa_params p = { .size = sizeof(p), .mode = KANMON_SA_TUNNEL, .dir = KANMON_SA_IN,
				      .enc_alg = KANMON_ENCR_AES_GCM_16, .enc_key = key, .enc_key_len = 36,
				      .encap_sport = 4500, .encap_dport = 4500, .reqid = 7 };
	if ((err = t->ops->add_sa(t->be, &t->in, &p)))
		return err;
	p.dir = KANMON_SA_OUT;
	if ((err = t->ops->add_sa(t->be, &t->out, &p)))
		return err;
	struct kanmon_policy_params pp = { .size = sizeof(pp), .mode = KANMON_SA_TUNNEL, .reqid = 7 };
	for (int i = 0; i < 3; i++) {
		t->pol[i].dir = (enum kanmon_sa_dir)(i + 1);
		if ((err = t->ops->add_policy(t->be, &t->pol[i], &pp)))
			return err;
	}
	return 0;
}
#endif

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
#ifdef TP_SA_USER
	int err = tp_install(t);
	if (err) {
		free(t);
		return err;
	}
#endif
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
#ifdef TP_SA_USER
	for (int i = 0; i < 3; i++)
		t->ops->del_policy(t->be, &t->pol[i]);
	t->ops->del_sa(t->be, &t->out);
	t->ops->del_sa(t->be, &t->in);
#endif
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
