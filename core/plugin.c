/* SPDX-License-Identifier: MIT */
/* plugin.c - dlopen, descriptor checks, dependency order, host table. */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certstore.h"
#include "event.h"
#include "log.h"
#include "net.h"
#include "plugin.h"
#include "pool.h"
#include "sa.h"
#include "session.h"

/* ---- host table -------------------------------------------------------- */

static struct plugin *owner_of(const struct kanmon_host *h)
{
	/* host is the first member of struct plugin */
	return (struct plugin *)(void *)h;
}

static void host_log(const struct kanmon_host *h, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(h->plugin_name, level, fmt, ap);
	va_end(ap);
}

static bool host_log_enabled(const struct kanmon_host *h, int level)
{
	return log_enabled(h->plugin_name, level);
}

static struct kanmon_timer *host_timer_new(const struct kanmon_host *h, void (*cb)(void *), void *arg)
{
	struct plugin *p = owner_of(h);
	return ev_timer_new(p->set->loop, cb, arg, p);
}

static struct kanmon_watch *host_watch_new(const struct kanmon_host *h, int fd, unsigned events,
					   void (*cb)(int, unsigned, void *), void *arg)
{
	struct plugin *p = owner_of(h);
	return ev_watch_new(p->set->loop, fd, events, cb, arg, p);
}

static int host_post(const struct kanmon_host *h, void (*fn)(void *), void *arg)
{
	return ev_post(owner_of(h)->set->loop, fn, arg);
}

static int host_net_register(const struct kanmon_host *h, const struct kanmon_net_handler *nh,
			     struct kanmon_net_reg **reg)
{
	struct plugin *p = owner_of(h);
	return net_register(p->set->net, nh, p, h->plugin_name, reg);
}

static int host_net_send(const struct kanmon_host *h, uint16_t port, const struct sockaddr *local,
			 const struct sockaddr *peer, const void *buf, size_t len, uint16_t flags)
{
	return net_send(owner_of(h)->set->net, port, local, peer, buf, len, flags);
}

static int host_pool_acquire(const struct kanmon_host *h, const char *name, const char *identity,
			     int family, struct sockaddr_storage *addr)
{
	struct plugin *p = owner_of(h);
	struct pool *pool = p->set->pools ? pool_find(p->set->pools, name) : NULL;
	if (!pool)
		return -ENOENT;
	int err = pool_acquire(pool, identity, family, time(NULL), addr);
	if (err == -ENOSPC)
		log_warn("pool", "pool '%s' is exhausted: no %s address for %s (widen its range or shorten lease_time)",
			 name, family == AF_INET6 ? "IPv6" : "IPv4", identity);
	else if (err && err != -EAFNOSUPPORT)
		log_err("pool", "pool '%s': cannot lease an address to %s: %s", name, identity, strerror(-err));
	return err;
}

static int host_pool_release(const struct kanmon_host *h, const char *name, const char *identity,
			     const struct sockaddr *addr)
{
	struct plugin *p = owner_of(h);
	struct pool *pool = p->set->pools ? pool_find(p->set->pools, name) : NULL;
	return pool ? pool_release(pool, identity, addr, time(NULL)) : -ENOENT;
}

static const struct kanmon_conf *host_pool_conf(const struct kanmon_host *h, const char *name)
{
	struct plugin *p = owner_of(h);
	const struct kanmon_conf *root = p->conf ? conf_root(p->conf) : NULL;
	size_t n = root ? conf_count(root, "pools") : 0;
	for (size_t i = 0; i < n; i++) {
		const struct kanmon_conf *g = conf_group_at(root, "pools", i);
		if (!strcmp(conf_string(g, "name"), name))
			return g;
	}
	return NULL;
}

static int host_session_add(const struct kanmon_host *h, const struct kanmon_session *s,
			    const struct kanmon_session_ops *ops, void *arg, uint64_t *id)
{
	struct plugin *p = owner_of(h);
	return p->set->sessions ? session_add(p->set->sessions, h->plugin_name, p, s, ops, arg, id) : -ENOSYS;
}

static int host_session_update(const struct kanmon_host *h, uint64_t id, const struct kanmon_session *s)
{
	struct plugin *p = owner_of(h);
	return p->set->sessions ? session_update(p->set->sessions, p, id, s) : -ENOSYS;
}

static void host_session_remove(const struct kanmon_host *h, uint64_t id)
{
	struct plugin *p = owner_of(h);
	if (p->set->sessions)
		session_remove(p->set->sessions, p, id);
}

static int host_sa_register_backend(const struct kanmon_host *h, const struct kanmon_sa_ops *ops, void *be)
{
	struct plugin *p = owner_of(h);
	return p->set->sa ? sa_core_register(p->set->sa, p, h->plugin_name, ops, be) : -ENOSYS;
}

static int host_sa_backend(const struct kanmon_host *h, const struct kanmon_sa_ops **ops, void **be)
{
	struct plugin *p = owner_of(h);
	return p->set->sa ? sa_core_backend(p->set->sa, ops, be) : -ENOENT;
}

static void host_sa_event(const struct kanmon_host *h, const struct kanmon_sa_event *ev)
{
	struct plugin *p = owner_of(h);
	if (p->set->sa)
		sa_core_event(p->set->sa, ev);
}

static int host_sa_subscribe(const struct kanmon_host *h,
			     void (*cb)(const struct kanmon_sa_event *ev, void *arg), void *arg)
{
	struct plugin *p = owner_of(h);
	return p->set->sa ? sa_core_subscribe(p->set->sa, p, cb, arg) : -ENOSYS;
}

static size_t host_net_fds(const struct kanmon_host *h, uint16_t port, int *fds, size_t max)
{
	return net_port_fds(owner_of(h)->set->net, port, fds, max);
}

static int host_net_deliver(const struct kanmon_host *h, struct kanmon_pkt *pkt)
{
	return net_deliver(owner_of(h)->set->net, pkt);
}

/*
 * Certificates: the runtime store is replaced on reload and revocation, so
 * each call looks it up afresh (never cached by a plugin).
 */
static int host_cert_verify(const struct kanmon_host *h, const struct kanmon_blob *chain, size_t n, int role,
			    const struct kanmon_id *id, struct kanmon_cert_result *res)
{
	struct plugin *p = owner_of(h);
	if (!res || res->size < sizeof(*res))
		return -EINVAL;
	if (!p->set->certs) {
		res->status = -EKEYREJECTED;
		snprintf(res->reason, sizeof(res->reason), "no certificate store (kanmonctl ca create)");
		return res->status;
	}
	return certstore_verify(p->set->certs, chain, n, role, id, time(NULL), res);
}

static int host_cert_sign(const struct kanmon_host *h, const char *name, unsigned hash, unsigned flags,
			  const void *data, size_t len, uint8_t *sig, size_t *sig_len)
{
	struct plugin *p = owner_of(h);
	return p->set->certs ? certstore_sign(p->set->certs, name, hash, flags, data, len, sig, sig_len) : -ENOENT;
}

static int host_cert_lookup(const struct kanmon_host *h, const char *name, const struct kanmon_id *id,
			    struct kanmon_cert_info *info)
{
	struct plugin *p = owner_of(h);
	if (!info || info->size < sizeof(*info))
		return -EINVAL;
	return p->set->certs ? certstore_lookup(p->set->certs, name, id, info) : -ENOENT;
}

static bool host_cert_id_match(const struct kanmon_host *h, const char *pattern, const struct kanmon_id *id)
{
	(void)h;
	return cert_id_match(pattern, id);
}

static int host_session_cert(const struct kanmon_host *h, uint64_t id, const struct kanmon_cert_result *res)
{
	struct plugin *p = owner_of(h);
	if (!res || res->size < sizeof(*res) || res->status)
		return -EINVAL;
	return p->set->sessions ? session_set_cert(p->set->sessions, p, id, res->issuer, res->serial) : -ENOSYS;
}

static int host_cert_check_server(const struct kanmon_host *h, const char *name, const char *server_id)
{
	struct plugin *p = owner_of(h);
	return p->set->certs ? certstore_check_server(p->set->certs, name, server_id, NULL) : -ENOENT;
}

static int host_net_send_hook(const struct kanmon_host *h,
			      int (*hook)(void *, uint16_t, const struct sockaddr *, const struct sockaddr *,
					  const void *, size_t, uint16_t),
			      void *arg)
{
	struct plugin *p = owner_of(h);
	int err = net_set_send_hook(p->set->net, hook, arg, p);
	if (err)
		log_err("net", "%s: another plugin already watches outgoing datagrams", h->plugin_name);
	return err;
}

static const struct kanmon_host host_template = {
	.size = sizeof(struct kanmon_host),
	.abi_major = KANMON_ABI_MAJOR,
	.abi_minor = KANMON_ABI_MINOR,
	.log = host_log,
	.log_enabled = host_log_enabled,
	.timer_new = host_timer_new,
	.timer_arm = ev_timer_arm,
	.timer_cancel = ev_timer_cancel,
	.timer_free = ev_timer_free,
	.watch_new = host_watch_new,
	.watch_free = ev_watch_free,
	.post = host_post,
	.net_register = host_net_register,
	.net_unregister = net_unregister,
	.net_send = host_net_send,
	.conf_bool = conf_bool,
	.conf_int = conf_int,
	.conf_float = conf_float,
	.conf_string = conf_string,
	.conf_count = conf_count,
	.conf_string_at = conf_string_at,
	.conf_group = conf_group,
	.conf_group_at = conf_group_at,
	.pool_acquire = host_pool_acquire,
	.pool_release = host_pool_release,
	.pool_conf = host_pool_conf,
	.session_add = host_session_add,
	.session_update = host_session_update,
	.session_remove = host_session_remove,
	.sa_register_backend = host_sa_register_backend,
	.sa_backend = host_sa_backend,
	.sa_event = host_sa_event,
	.sa_subscribe = host_sa_subscribe,
	.net_fds = host_net_fds,
	.net_deliver = host_net_deliver,
	.cert_verify = host_cert_verify,
	.cert_sign = host_cert_sign,
	.cert_lookup = host_cert_lookup,
	.cert_id_match = host_cert_id_match,
	.session_cert = host_session_cert,
	.cert_check_server = host_cert_check_server,
	.net_send_hook = host_net_send_hook,
};

/* ---- loading ----------------------------------------------------------- */

static bool name_ok(const char *name)
{
	if (!name || !name[0] || strlen(name) > 64)
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
			return false;
	return true;
}

void plugin_close(struct plugin *p)
{
	if (!p)
		return;
	if (p->dl)
		dlclose(p->dl);
	free(p->path);
	free(p);
}

#define REFUSE(...)                                         \
	do {                                                \
		char why_[512];                             \
		snprintf(why_, sizeof(why_), __VA_ARGS__);  \
		diag_add(d, "plugin %s refused: %s", path, why_); \
		goto refuse;                                \
	} while (0)

int plugin_open(const char *path, struct plugin **out, struct diag *d)
{
	struct plugin *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->path = strdup(path);
	if (!p->path) {
		free(p);
		return -ENOMEM;
	}
	/* RTLD_LOCAL: plugins never see each other's symbols, only the host table */
	p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!p->dl)
		REFUSE("cannot load: %s", dlerror());
	const struct kanmon_plugin *desc = dlsym(p->dl, "kanmon_plugin");
	if (!desc)
		REFUSE("no 'kanmon_plugin' descriptor exported (not a kanmon plugin, or built without KANMON_PLUGIN())");
	if (desc->abi_major != KANMON_ABI_MAJOR)
		REFUSE("built for plugin ABI %u.%u but this kanmond speaks ABI %u.%u: rebuild the plugin against this kanmon's headers",
		       desc->abi_major, desc->abi_minor, KANMON_ABI_MAJOR, KANMON_ABI_MINOR);
	if (desc->abi_minor > KANMON_ABI_MINOR)
		REFUSE("built for plugin ABI %u.%u, newer than this kanmond's %u.%u: upgrade kanmond",
		       desc->abi_major, desc->abi_minor, KANMON_ABI_MAJOR, KANMON_ABI_MINOR);
	if (desc->size < offsetof(struct kanmon_plugin, reserved))
		REFUSE("descriptor is %u bytes, smaller than ABI %u.0 requires: corrupt or hand-made descriptor",
		       desc->size, KANMON_ABI_MAJOR);
	if (!name_ok(desc->name))
		REFUSE("descriptor name is missing or not made of [a-z0-9_-]");
	if (!desc->init)
		REFUSE("descriptor has no init function");
	struct diag schema_errs = { 0 };
	if (conf_schema_check(desc->name, desc->settings, &schema_errs)) {
		char first[400];
		snprintf(first, sizeof(first), "%s", schema_errs.lines[0]);
		diag_clear(&schema_errs);
		REFUSE("%s", first);
	}
	p->desc = desc;
	p->host = host_template;
	p->host.plugin_name = desc->name;
	*out = p;
	return 0;
refuse:
	plugin_close(p);
	return -EINVAL;
}

static bool provides(const struct plugin *p, const char *what)
{
	if (!strcmp(p->desc->name, what))
		return true;
	for (const char *const *c = p->desc->provides; c && *c; c++)
		if (!strcmp(*c, what))
			return true;
	return false;
}

/*
 * Order by requirements (Kahn's algorithm on at most a handful of plugins).
 * Refuses plugins with unmet requirements or in a cycle.
 */
static int order(struct plugin_set *ps, struct diag *d)
{
	size_t n = ps->n, done = 0;
	struct plugin **sorted = calloc(n ? n : 1, sizeof(*sorted));
	bool *placed = calloc(n ? n : 1, sizeof(*placed));
	int err = 0;
	if (!sorted || !placed) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		for (const char *const *r = ps->v[i]->desc->requires; r && *r; r++) {
			bool met = false;
			for (size_t j = 0; j < n; j++)
				met |= j != i && provides(ps->v[j], *r);
			if (!met) {
				diag_add(d, "plugin %s refused: requires '%s', which no enabled plugin provides: add a plugin that provides it to 'plugins'",
					 ps->v[i]->path, *r);
				err = -EINVAL;
			}
		}
	}
	if (err)
		goto out;
	while (done < n) {
		bool progress = false;
		for (size_t i = 0; i < n; i++) {
			if (placed[i])
				continue;
			bool ready = true;
			for (const char *const *r = ps->v[i]->desc->requires; r && *r && ready; r++)
				for (size_t j = 0; j < n; j++)
					if (j != i && !placed[j] && provides(ps->v[j], *r))
						ready = false;
			if (ready) {
				placed[i] = true;
				sorted[done++] = ps->v[i];
				progress = true;
			}
		}
		if (!progress) {
			for (size_t i = 0; i < n; i++)
				if (!placed[i])
					diag_add(d, "plugin %s refused: its requirements form a cycle", ps->v[i]->path);
			err = -EINVAL;
			goto out;
		}
	}
	memcpy(ps->v, sorted, n * sizeof(*sorted));
out:
	free(sorted);
	free(placed);
	return err;
}

int plugins_load(struct plugin_set *ps, const char *dir, const char *const *names,
		 const char *const *where, size_t n, struct diag *d)
{
	int err = 0;
	ps->v = calloc(n ? n : 1, sizeof(*ps->v));
	if (!ps->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		const char *at = where ? where[i] : "";
		const char *sep = where ? ": plugins: " : "";
		if (!name_ok(names[i])) {
			diag_add(d, "%s%splugin '%s' refused: a plugin name is made of [a-z0-9_-] only", at, sep,
				 names[i]);
			err = -EINVAL;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s.so", dir, names[i]);
		bool twice = false;
		for (size_t j = 0; j < i; j++)
			twice |= !strcmp(names[j], names[i]);
		if (twice) {
			diag_add(d, "%s%splugin %s refused: listed twice", at, sep, path);
			err = -EINVAL;
			continue;
		}
		if (access(path, F_OK)) {
			diag_add(d, "%s%splugin '%s' refused: unknown plugin, there is no %s", at, sep, names[i],
				 path);
			err = -EINVAL;
			continue;
		}
		struct plugin *p;
		int r = plugin_open(path, &p, d);
		if (r) {
			err = r;
			continue;
		}
		const struct plugin *holder = NULL;
		for (size_t j = 0; j < ps->n && !holder; j++)
			if (provides(ps->v[j], "sa-backend") && provides(p, "sa-backend"))
				holder = ps->v[j];
		if (holder) {
			diag_add(d, "%s%splugin %s refused: 'sa-backend' is already provided by %s: enable only one SA backend",
				 at, sep, path, holder->desc->name);
			plugin_close(p);
			err = -EINVAL;
			continue;
		}
		const struct plugin *dup = plugins_find(ps, p->desc->name);
		if (dup) {
			diag_add(d, "plugin %s refused: its name '%s' duplicates the plugin loaded from %s",
				 path, p->desc->name, dup->path);
			plugin_close(p);
			err = -EINVAL;
			continue;
		}
		p->set = ps;
		ps->v[ps->n++] = p;
	}
	if (!err)
		err = order(ps, d);
	return err;
}

const struct plugin *plugins_find(const struct plugin_set *ps, const char *name)
{
	for (size_t i = 0; i < ps->n; i++)
		if (!strcmp(ps->v[i]->desc->name, name))
			return ps->v[i];
	return NULL;
}

struct conf_group_schema *plugins_schemas(const struct plugin_set *ps)
{
	struct conf_group_schema *g = calloc(ps->n ? ps->n : 1, sizeof(*g));
	for (size_t i = 0; g && i < ps->n; i++) {
		g[i].name = ps->v[i]->desc->name;
		g[i].settings = ps->v[i]->desc->settings;
	}
	return g;
}

static void reclaim(struct plugin *p)
{
	size_t left = 0;
	if (p->set->loop)
		left += ev_free_owned(p->set->loop, p);
	if (p->set->net)
		left += net_unregister_owned(p->set->net, p);
	if (p->set->sessions)
		left += session_remove_owned(p->set->sessions, p);
	if (p->set->sa)
		sa_core_forget(p->set->sa, p);	/* subscriptions are not leaks: no count */
	if (left)
		log_warn("plugin", "%s left %zu timer(s), watch(es) or socket registration(s) behind; released them",
			 p->desc->name, left);
}

int plugins_check(const struct plugin_set *ps, const struct conf *c, struct diag *d)
{
	int bad = 0;
	for (size_t i = 0; i < ps->n; i++) {
		const struct plugin *p = ps->v[i];
		if (p->desc->size <= offsetof(struct kanmon_plugin, check) || !p->desc->check)
			continue;
		char err[512] = "", where[512];
		if (!p->desc->check(&p->host, conf_group_of(c, p->desc->name), err, sizeof(err)))
			continue;
		conf_where(c, p->desc->name, where, sizeof(where));
		diag_add(d, "%s: %s: %s", where, p->desc->name, err[0] ? err : "refused by the plugin");
		bad++;
	}
	return bad ? -EINVAL : 0;
}

int plugins_init(struct plugin_set *ps, struct conf *c, struct diag *d)
{
	for (size_t i = 0; i < ps->n; i++) {
		struct plugin *p = ps->v[i];
		const struct kanmon_conf *group = conf_group_of(c, p->desc->name);
		p->conf = conf_ref(c);	/* host calls made from init see this configuration */
		int r = p->desc->init(&p->host, group, &p->state);
		if (r) {
			diag_add(d, "plugin %s refused: init failed: %s", p->path,
				 strerror(r < 0 ? -r : EINVAL));
			/* undo what init itself may have registered before failing */
			reclaim(p);
			conf_free(p->conf);
			p->conf = NULL;
			for (size_t j = i; j-- > 0;) {
				if (ps->v[j]->desc->fini)
					ps->v[j]->desc->fini(ps->v[j]->state);
				ps->v[j]->initialized = 0;
				reclaim(ps->v[j]);
				conf_free(ps->v[j]->conf);
				ps->v[j]->conf = NULL;
			}
			return r < 0 ? r : -EINVAL;
		}
		p->initialized = 1;
		if (ps->sa && provides(p, "sa-backend") && !sa_core_backend_name(ps->sa)) {
			diag_add(d, "plugin %s refused: it provides 'sa-backend' but registered no backend in init",
				 p->path);
			plugins_fini(ps);
			return -EINVAL;
		}
		log_debug("plugin", "%s %s initialised", p->desc->name, p->desc->version ? p->desc->version : "");
	}
	return 0;
}

int plugins_reload(struct plugin_set *ps, struct conf *c)
{
	int failed = 0;
	for (size_t i = 0; i < ps->n; i++) {
		struct plugin *p = ps->v[i];
		if (!p->initialized || !p->desc->reload)
			continue;
		int r = p->desc->reload(p->state, conf_group_of(c, p->desc->name));
		if (r) {
			log_err("plugin", "%s: reload failed (%s): it keeps its previous settings",
				p->desc->name, strerror(r < 0 ? -r : EINVAL));
			failed++;
			continue;
		}
		conf_free(p->conf);
		p->conf = conf_ref(c);
	}
	return failed;
}

void plugins_fini(struct plugin_set *ps)
{
	for (size_t i = ps->n; i-- > 0;) {
		struct plugin *p = ps->v[i];
		if (!p->initialized)
			continue;
		if (p->desc->fini)
			p->desc->fini(p->state);
		p->initialized = 0;
		reclaim(p);
		conf_free(p->conf);
		p->conf = NULL;
	}
}

void plugins_unload(struct plugin_set *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		plugin_close(ps->v[i]);
	free(ps->v);
	ps->v = NULL;
	ps->n = 0;
}
