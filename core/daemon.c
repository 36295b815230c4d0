/* SPDX-License-Identifier: MIT */
/* daemon.c - check, start, reload, stop (see daemon.h). */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "certstore.h"
#include "ctl.h"
#include "daemon.h"
#include "event.h"
#include "log.h"
#include "net.h"
#include "pool.h"
#include "sa.h"
#include "session.h"
#include "settings.h"
#include "store.h"

#define MAX_PLUGINS 32
#define EXPIRE_INTERVAL_MS (60 * 1000)

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * Pools from the configuration into `set` (a scratch set for checks, the
 * live one at start). Each problem is one line naming file:line and pool.
 */
static int pools_from_conf(const struct conf *c, struct pool_set *set, struct diag *d)
{
	const struct kanmon_conf *root = conf_root(c);
	size_t n = conf_count(root, "pools");
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		const struct kanmon_conf *g = conf_group_at(root, "pools", i);
		const char *ranges[64];
		struct pool_static statics[256];
		struct pool_config pc = {
			.name = conf_string(g, "name"),
			.ranges = ranges,
			.n_ranges = conf_count(g, "range"),
			.lease_time = (uint32_t)conf_int(g, "lease_time"),
			.statics = statics,
			.n_statics = conf_count(g, "static"),
		};
		if (pc.n_ranges > 64)
			pc.n_ranges = 64;
		if (pc.n_statics > 256)
			pc.n_statics = 256;
		for (size_t j = 0; j < pc.n_ranges; j++)
			ranges[j] = conf_string_at(g, "range", j);
		for (size_t j = 0; j < pc.n_statics; j++) {
			const struct kanmon_conf *st = conf_group_at(g, "static", j);
			statics[j] = (struct pool_static){ conf_string(st, "identity"), conf_string(st, "address") };
		}
		struct diag pd = { 0 };
		if (pool_add(set, &pc, &pd)) {
			char where[512], path[64];
			snprintf(path, sizeof(path), "pools.[%zu]", i);
			conf_where(c, path, where, sizeof(where));
			for (size_t j = 0; j < pd.n; j++)
				diag_add(d, "%s: pools[%zu]: %s", where, i, pd.lines[j]);
			if (!pd.n)
				diag_add(d, "%s: pools[%zu]: cannot create pool '%s'", where, i, pc.name);
			bad++;
		}
		diag_clear(&pd);
	}
	return bad ? -EINVAL : 0;
}

/* Checks the schema cannot express: they need the set of loaded plugins. */
static int check_semantics(const struct daemon *dm, const struct conf *c, struct diag *d)
{
	int bad = 0;
	const struct kanmon_conf *root = conf_root(c);
	size_t n = conf_count(root, "log.subsystems");
	for (size_t i = 0; i < n; i++) {
		const char *value, *name = conf_map_at(root, "log.subsystems", i, &value);
		bool known = plugins_find(&dm->plugins, name) != NULL;
		for (const char *const *s = core_subsystems; *s && !known; s++)
			known = !strcmp(*s, name);
		if (!known) {
			char where[512], path[256];
			snprintf(path, sizeof(path), "log.subsystems.%s", name);
			conf_where(c, path, where, sizeof(where));
			diag_add(d, "%s: %s: unknown subsystem: use a core subsystem (core, conf, net, plugin, pool, store, session, ctl, cert) or an enabled plugin's name",
				 where, path);
			bad++;
		}
	}
	struct pool_set *scratch = pool_set_new(NULL);
	if (!scratch || pools_from_conf(c, scratch, d))
		bad++;
	pool_set_free(scratch);
	if (plugins_check(&dm->plugins, c, d))
		bad++;
	return bad ? -EINVAL : 0;
}

static void apply_log_levels(const struct daemon *dm, const struct conf *c)
{
	const struct kanmon_conf *root = conf_root(c);
	log_reset_levels();
	if (dm->debug) {
		log_set_default_level(KANMON_LOG_DEBUG);
		return;
	}
	log_set_default_level(log_level_from_name(conf_string(root, "log.level")));
	size_t n = conf_count(root, "log.subsystems");
	for (size_t i = 0; i < n; i++) {
		const char *value, *name = conf_map_at(root, "log.subsystems", i, &value);
		log_set_level(name, log_level_from_name(value));
	}
}

int daemon_configure(struct daemon *dm, const char *path, struct diag *d)
{
	struct conf *c = NULL;
	int err = conf_parse(path, &c, d);
	if (err)
		return err;
	const char *names[MAX_PLUGINS];
	size_t n = conf_plugins(c, names, MAX_PLUGINS);
	const char *dir = conf_raw_string(c, "plugin_dir");
	for (size_t i = 0; core_settings[i].name && !dir; i++)
		if (!strcmp(core_settings[i].name, "plugin_dir"))
			dir = core_settings[i].def;
	char where_buf[MAX_PLUGINS][512];
	const char *where[MAX_PLUGINS];
	for (size_t i = 0; i < n; i++) {
		char path_buf[64];
		snprintf(path_buf, sizeof(path_buf), "plugins.[%zu]", i);
		conf_where(c, path_buf, where_buf[i], sizeof(where_buf[i]));
		where[i] = where_buf[i];
	}
	/* a bad plugin still lets us report the rest of the file's problems */
	int perr = plugins_load(&dm->plugins, dir, names, where, n, d);
	dm->schemas = plugins_schemas(&dm->plugins);
	struct conf_group_schema *groups = calloc(n + 1, sizeof(*groups));
	if (!dm->schemas || !groups) {
		free(groups);
		conf_free(c);
		return -ENOMEM;
	}
	/* refused plugins' groups are not checked: their refusal says it all */
	size_t n_groups = dm->plugins.n;
	memcpy(groups, dm->schemas, n_groups * sizeof(*groups));
	for (size_t i = 0; i < n; i++)
		if (!plugins_find(&dm->plugins, names[i]))
			groups[n_groups++] = (struct conf_group_schema){ .name = names[i], .unchecked = true };
	err = conf_validate(c, core_settings, groups, n_groups, d);
	free(groups);
	if (!err)
		err = check_semantics(dm, c, d);
	if (!err)
		err = perr;
	if (err) {
		conf_free(c);
		return err;
	}
	free(dm->conf_path);
	dm->conf_path = strdup(path);
	dm->conf = c;
	apply_log_levels(dm, c);
	return dm->conf_path ? 0 : -ENOMEM;
}

static void on_stop_signal(int signo, void *arg)
{
	struct daemon *dm = arg;
	log_notice("core", "%s received: stopping", strsignal(signo));
	daemon_stop(dm);
}

static void on_reload_signal(int signo, void *arg)
{
	struct daemon *dm = arg;
	struct diag d = { 0 };
	(void)signo;
	daemon_reload(dm, &d);
	diag_clear(&d);
}

static void on_expire(void *arg)
{
	struct daemon *dm = arg;
	size_t n = pool_expire(dm->pools, time(NULL));
	if (n)
		log_info("pool", "%zu offline lease%s expired and became free", n, n == 1 ? "" : "s");
	ev_timer_arm(dm->expire, EXPIRE_INTERVAL_MS);
}

static int restore_lease(const struct pool_lease_info *l, void *arg)
{
	struct daemon *dm = arg;
	time_t now = time(NULL);
	if (pool_restore(dm->pools, l, now)) {
		log_warn("pool", "stored lease %s of pool '%s' could not be restored", l->identity, l->pool);
		return 0;
	}
	/*
	 * Its session died with the previous process: record it offline from
	 * now, once, so that repeated restarts do not keep extending it.
	 */
	if (l->state == LEASE_ONLINE && !l->is_static) {
		struct pool_lease_info off = *l;
		off.state = LEASE_OFFLINE;
		off.since = now;
		if (store_lease_save(dm->store, &off))
			log_warn("store", "cannot record lease %s of pool '%s' as offline", l->identity, l->pool);
	}
	return 0;
}

/* Store, pools and their leases of previous runs. */
static int open_state(struct daemon *dm, struct diag *d)
{
	const struct kanmon_conf *root = conf_root(dm->conf);
	unsigned flags = !strcmp(conf_string(root, "store_sync"), "full") ? STORE_SYNC_FULL : 0;
	int err = store_open_sqlite(conf_string(root, "state_dir"), flags, &dm->store, d);
	if (err)
		return err;
	struct pool_persist persist = store_pool_persist(dm->store);
	dm->pools = pool_set_new(&persist);
	if (!dm->pools)
		return -ENOMEM;
	err = pools_from_conf(dm->conf, dm->pools, d);
	if (err)
		return err;
	err = store_lease_foreach(dm->store, restore_lease, dm);
	if (err) {
		diag_add(d, "cannot read the stored leases: %s", strerror(-err));
		return err;
	}
	pool_expire(dm->pools, time(NULL));
	return 0;
}

/* ---- certificates -------------------------------------------------------- */

static int certs_build(struct daemon *dm, const struct conf *c, struct certstore **out, struct diag *d)
{
	const struct kanmon_conf *root = conf_root(c);
	struct certstore_params p = {
		.state_dir = conf_string(root, "state_dir"),
		.store = dm->store,
		.ca = conf_group(root, "ca"),
		.load_keys = true,
	};
	return certstore_new(&p, out, d);
}

/*
 * Files kanmonctl created as root before kanmond's user existed (or with
 * another user configured) would be unreadable after the switch: the store
 * and the certificate keys go to the user, as priv_state_dir does for the
 * directory. Only regular files and directories, never following links.
 */
static const struct priv *owner_priv;

static int give_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if ((type == FTW_F || type == FTW_D) && (st->st_uid != owner_priv->uid || st->st_gid != owner_priv->gid) &&
	    lchown(path, owner_priv->uid, owner_priv->gid) < 0)
		log_warn("cert", "cannot give %s to user %s: %s", path, owner_priv->user, strerror(errno));
	return 0;
}

static void give_state_files(const struct daemon *dm, const char *state_dir)
{
	static const char *const names[] = { "kanmon.db", "kanmon.db-wal", "kanmon.db-shm", CA_DIR };
	char path[4096];
	if (!dm->priv.drop)
		return;
	owner_priv = &dm->priv;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", state_dir, names[i]);
		if (access(path, F_OK) == 0)
			nftw(path, give_one, 8, FTW_PHYS);
	}
}

/* What clients would refuse, in plain words, at start-up and on every reload. */
static void certs_check(struct daemon *dm, const struct conf *c)
{
	const struct kanmon_conf *ca = conf_group(conf_root(c), "ca");
	const char *ids[16];
	size_t n = ca ? conf_count(ca, "server_id") : 0;
	for (size_t i = 0; i < n && i < 16; i++)
		ids[i] = conf_string_at(ca, "server_id", i);
	certstore_check_servers(dm->certs, ids, n < 16 ? n : 16);
}

static bool cert_revoked(const char *issuer, const char *serial, void *arg)
{
	return certstore_revoked(arg, issuer, serial);
}

static void certs_swap(struct daemon *dm, struct certstore *cs, size_t *killed)
{
	certstore_free(dm->certs);
	dm->certs = cs;
	dm->plugins.certs = cs;
	struct certstore_stats st;
	certstore_stats(cs, &st);
	size_t k = dm->sessions ? session_kill_revoked(dm->sessions, cert_revoked, cs) : 0;
	if (killed)
		*killed = k;
	log_info("cert", "certificate store: %zu trusted CA%s, %zu server certificate%s, %zu revoked, %zu CRL%s%s",
		 st.trusted, st.trusted == 1 ? "" : "s", st.servers, st.servers == 1 ? "" : "s", st.revoked, st.crls,
		 st.crls == 1 ? "" : "s", k ? "; sessions of revoked certificates ended" : "");
}

int daemon_certs_reload(struct daemon *dm, size_t *killed, struct diag *d)
{
	struct certstore *cs = NULL;
	*killed = 0;
	int err = certs_build(dm, dm->conf, &cs, d);
	if (err) {
		for (size_t i = 0; i < d->n; i++)
			log_err("cert", "%s", d->lines[i]);
		log_err("cert", "certificate store not re-read: keeping the previous one");
		return err;
	}
	certs_swap(dm, cs, killed);
	return 0;
}

int daemon_start(struct daemon *dm, struct diag *d)
{
	double t0 = now_ms();
	const struct kanmon_conf *root = conf_root(dm->conf);
	size_t n_listen = conf_count(root, "listen");
	const char *listen[16];
	for (size_t i = 0; i < n_listen && i < 16; i++)
		listen[i] = conf_string_at(root, "listen", i);
	dm->started = time(NULL);
	signal(SIGPIPE, SIG_IGN);
	int err = priv_lookup(&dm->priv, conf_string(root, "user"), d);
	if (err)
		return err;
	if (!dm->priv.drop)
		log_warn("core", "running as root with every capability: set user = \"kanmon\" to drop privileges");
	err = priv_state_dir(&dm->priv, conf_string(root, "state_dir"), d);
	if (err)
		return err;
	give_state_files(dm, conf_string(root, "state_dir"));
	dm->loop = ev_loop_new();
	dm->sessions = session_registry_new();
	dm->sa = sa_core_new();
	if (!dm->loop || !dm->sessions || !dm->sa)
		return -ENOMEM;
	dm->net = net_new(dm->loop, listen, n_listen < 16 ? n_listen : 16);
	if (!dm->net)
		return -ENOMEM;
	err = ctl_open(dm->loop, conf_string(root, "control_socket"), dm->priv.drop ? dm->priv.gid : (gid_t)-1,
		       daemon_ctl, dm, &dm->ctl, d);
	if (err)
		return err;
	err = priv_switch(&dm->priv, d);
	if (!err)
		err = open_state(dm, d);
	/* after the switch: kanmond reads its keys as the user that owns them */
	struct certstore *certs = NULL;
	if (!err)
		err = certs_build(dm, dm->conf, &certs, d);
	if (err)
		return err;
	certs_swap(dm, certs, NULL);
	certs_check(dm, dm->conf);
	dm->plugins.loop = dm->loop;
	dm->plugins.net = dm->net;
	dm->plugins.pools = dm->pools;
	dm->plugins.sessions = dm->sessions;
	dm->plugins.sa = dm->sa;
	if (ev_signal(dm->loop, SIGTERM, on_stop_signal, dm) || ev_signal(dm->loop, SIGINT, on_stop_signal, dm) ||
	    ev_signal(dm->loop, SIGHUP, on_reload_signal, dm))
		return -ENOMEM;
	err = plugins_init(&dm->plugins, dm->conf, d);
	if (!err)
		err = priv_final(&dm->priv, d);
	if (err)
		return err;
	dm->expire = ev_timer_new(dm->loop, on_expire, dm, dm);
	if (!dm->expire)
		return -ENOMEM;
	ev_timer_arm(dm->expire, EXPIRE_INTERVAL_MS);
	dm->running = true;
	char names[512] = "";
	size_t off = 0;
	for (size_t i = 0; i < dm->plugins.n && off < sizeof(names); i++)
		off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", i ? ", " : "",
					dm->plugins.v[i]->desc->name);
	log_notice("core", "kanmond " KANMON_VERSION " ready in %.1f ms: %zu plugin%s (%s)", now_ms() - t0,
		   dm->plugins.n, dm->plugins.n == 1 ? "" : "s", names);
	return 0;
}

int daemon_run(struct daemon *dm)
{
	return ev_run(dm->loop);
}

int daemon_reload(struct daemon *dm, struct diag *d)
{
	double t0 = now_ms();
	struct conf *c = NULL;
	size_t before = d->n;
	int err = conf_parse(dm->conf_path, &c, d);
	if (!err)
		err = conf_validate(c, core_settings, dm->schemas, dm->plugins.n, d);
	if (!err)
		err = check_semantics(dm, c, d);
	struct certstore *certs = NULL;
	if (!err) {
		struct diag changed = { 0 };
		if (conf_check_reload(dm->conf, c, &changed)) {
			for (size_t i = 0; i < changed.n; i++)
				diag_add(d, "%s: %s: cannot change on reload: restart kanmond to apply it",
					 dm->conf_path, changed.lines[i]);
			err = -EINVAL;
		}
		diag_clear(&changed);
	}
	/* the files of the new `ca` group are validated like the rest, before anything changes */
	if (!err && dm->loop)
		err = certs_build(dm, c, &certs, d);
	if (err) {
		for (size_t i = before; i < d->n; i++)
			log_err("conf", "%s", d->lines[i]);
		log_err("conf", "reload refused: keeping the running configuration");
		conf_free(c);
		return err;
	}
	apply_log_levels(dm, c);
	if (certs) {
		/* also picks up revocations and certificates changed by kanmonctl meanwhile */
		certs_swap(dm, certs, NULL);
		certs_check(dm, c);
	}
	int failed = plugins_reload(&dm->plugins, c);
	/* plugins that did not take the new one still hold a reference to theirs */
	conf_free(dm->conf);
	dm->conf = c;
	log_notice("conf", "configuration reloaded from %s in %.2f ms%s", dm->conf_path, now_ms() - t0,
		   failed ? " (some plugins kept their previous settings)" : "");
	return 0;
}

void daemon_stop(struct daemon *dm)
{
	if (dm->loop)
		ev_stop(dm->loop);
}

void daemon_free(struct daemon *dm)
{
	/* plugins first: ending their sessions releases leases into the store */
	plugins_fini(&dm->plugins);
	ctl_close(dm->ctl);
	dm->ctl = NULL;
	ev_timer_free(dm->expire);
	dm->expire = NULL;
	session_registry_free(dm->sessions);
	dm->sessions = NULL;
	certstore_free(dm->certs);
	dm->certs = NULL;
	dm->plugins.certs = NULL;
	sa_core_free(dm->sa);
	dm->sa = NULL;
	pool_set_free(dm->pools);
	dm->pools = NULL;
	store_close(dm->store);
	dm->store = NULL;
	net_free(dm->net);
	dm->net = NULL;
	ev_loop_free(dm->loop);
	dm->loop = NULL;
	plugins_unload(&dm->plugins);
	free(dm->schemas);
	dm->schemas = NULL;
	conf_free(dm->conf);
	dm->conf = NULL;
	free(dm->conf_path);
	dm->conf_path = NULL;
	priv_free(&dm->priv);
	log_reset_levels();
}
