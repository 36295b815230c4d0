/* SPDX-License-Identifier: MIT */
/* testhost.c - a kanmon_host for kernel-xfrm tests (testhost.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "testhost.h"

#define TH_MAX_SETTINGS 16
#define TH_MAX_EVENTS 4096
#define TH_MAX_FDS 8

struct th {
	struct kanmon_host host;	/* first: the host pointer finds the struct */
	struct ev_loop *loop;
	char name[32];
	bool echo;
	int level;
	struct {
		char key[32];
		int64_t v;
	} set[TH_MAX_SETTINGS];
	size_t n_set;
	uint16_t fd_port;
	int fds[TH_MAX_FDS];
	size_t n_fds;
	const struct kanmon_sa_ops *ops;
	void *be;
	struct kanmon_sa_event *events;
	size_t n_events;
	char *log;
	size_t log_len, log_cap;
	int wait_type;
	uint32_t wait_spi;
	long wait_hit;
	struct kanmon_timer *wait_timer;
};

static struct th *of(const struct kanmon_host *h)
{
	return (struct th *)(void *)h;
}

static void h_log(const struct kanmon_host *h, int level, const char *fmt, ...)
{
	struct th *t = of(h);
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (t->echo)
		fprintf(stderr, "%s: <%d> %s\n", t->name, level, line);
	size_t n = strlen(line);
	if (t->log_len + n + 2 > t->log_cap) {
		size_t cap = (t->log_cap + n + 2) * 2;
		char *g = realloc(t->log, cap);
		if (!g)
			return;
		t->log = g;
		t->log_cap = cap;
	}
	memcpy(t->log + t->log_len, line, n);
	t->log_len += n;
	t->log[t->log_len++] = '\n';
	t->log[t->log_len] = '\0';
}

static bool h_log_enabled(const struct kanmon_host *h, int level)
{
	return level <= of(h)->level;
}

static struct kanmon_timer *h_timer_new(const struct kanmon_host *h, void (*cb)(void *), void *arg)
{
	return ev_timer_new(of(h)->loop, cb, arg, of(h));
}

static struct kanmon_watch *h_watch_new(const struct kanmon_host *h, int fd, unsigned events,
					void (*cb)(int, unsigned, void *), void *arg)
{
	return ev_watch_new(of(h)->loop, fd, events, cb, arg, of(h));
}

static int h_post(const struct kanmon_host *h, void (*fn)(void *), void *arg)
{
	return ev_post(of(h)->loop, fn, arg);
}

static int64_t h_conf_int(const struct kanmon_conf *c, const char *path)
{
	const struct th *t = (const struct th *)(const void *)c;
	for (size_t i = 0; i < t->n_set; i++)
		if (!strcmp(t->set[i].key, path))
			return t->set[i].v;
	return 0;
}

/* booleans live in the same table: non-zero is true, unset is false */
static bool h_conf_bool(const struct kanmon_conf *c, const char *path)
{
	return h_conf_int(c, path) != 0;
}

static int h_register(const struct kanmon_host *h, const struct kanmon_sa_ops *ops, void *be)
{
	struct th *t = of(h);
	if (t->ops)
		return -EEXIST;
	t->ops = ops;
	t->be = be;
	return 0;
}

static int h_backend(const struct kanmon_host *h, const struct kanmon_sa_ops **ops, void **be)
{
	return th_backend(of(h), ops, be);
}

static void h_sa_event(const struct kanmon_host *h, const struct kanmon_sa_event *ev)
{
	struct th *t = of(h);
	if (t->n_events >= TH_MAX_EVENTS)
		return;
	t->events[t->n_events] = *ev;
	if (t->wait_hit < 0 && (!t->wait_type || t->wait_type == (int)ev->type) &&
	    (!t->wait_spi || t->wait_spi == ev->sa.spi)) {
		t->wait_hit = (long)t->n_events;
		ev_stop(t->loop);
	}
	t->n_events++;
}

static size_t h_net_fds(const struct kanmon_host *h, uint16_t port, int *fds, size_t max)
{
	struct th *t = of(h);
	size_t n = 0;
	if (port == t->fd_port)
		for (; n < t->n_fds && n < max; n++)
			fds[n] = t->fds[n];
	return n;
}

struct th *th_new(struct ev_loop *loop, const char *name, bool echo)
{
	struct th *t = calloc(1, sizeof(*t));
	if (!t || !(t->events = calloc(TH_MAX_EVENTS, sizeof(*t->events)))) {
		free(t);
		return NULL;
	}
	t->host.size = sizeof(t->host);
	t->host.abi_major = KANMON_ABI_MAJOR;
	t->host.abi_minor = KANMON_ABI_MINOR;
	t->host.plugin_name = "kernel-xfrm";
	t->host.log = h_log;
	t->host.log_enabled = h_log_enabled;
	t->host.timer_new = h_timer_new;
	t->host.timer_arm = ev_timer_arm;
	t->host.timer_cancel = ev_timer_cancel;
	t->host.timer_free = ev_timer_free;
	t->host.watch_new = h_watch_new;
	t->host.watch_free = ev_watch_free;
	t->host.post = h_post;
	t->host.conf_int = h_conf_int;
	t->host.conf_bool = h_conf_bool;
	t->host.sa_register_backend = h_register;
	t->host.sa_backend = h_backend;
	t->host.sa_event = h_sa_event;
	t->host.net_fds = h_net_fds;
	t->loop = loop;
	t->echo = echo;
	t->level = KANMON_LOG_DEBUG;
	t->wait_hit = 0;
	snprintf(t->name, sizeof(t->name), "%s", name);
	th_set_int(t, "natt_port", 4500);
	th_set_int(t, "replay_window", 32);
	return t;
}

void th_free(struct th *t)
{
	if (!t)
		return;
	ev_timer_free(t->wait_timer);
	ev_free_owned(t->loop, t);
	free(t->events);
	free(t->log);
	free(t);
}

const struct kanmon_host *th_host(struct th *t)
{
	return &t->host;
}

struct ev_loop *th_loop(struct th *t)
{
	return t->loop;
}

void th_set_int(struct th *t, const char *key, int64_t v)
{
	for (size_t i = 0; i < t->n_set; i++) {
		if (!strcmp(t->set[i].key, key)) {
			t->set[i].v = v;
			return;
		}
	}
	if (t->n_set < TH_MAX_SETTINGS) {
		snprintf(t->set[t->n_set].key, sizeof(t->set[t->n_set].key), "%s", key);
		t->set[t->n_set++].v = v;
	}
}

const struct kanmon_conf *th_conf(struct th *t)
{
	/* the conf handle is opaque to plugins: our struct answers conf_int */
	return (const struct kanmon_conf *)(void *)t;
}

void th_set_fds(struct th *t, uint16_t port, const int *fds, size_t n)
{
	t->fd_port = port;
	t->n_fds = n < TH_MAX_FDS ? n : TH_MAX_FDS;
	memcpy(t->fds, fds, t->n_fds * sizeof(int));
}

int th_backend(struct th *t, const struct kanmon_sa_ops **ops, void **be)
{
	if (!t->ops)
		return -ENOENT;
	*ops = t->ops;
	*be = t->be;
	return 0;
}

size_t th_event_count(const struct th *t)
{
	return t->n_events;
}

const struct kanmon_sa_event *th_event(const struct th *t, size_t i)
{
	return i < t->n_events ? &t->events[i] : NULL;
}

void th_events_clear(struct th *t)
{
	t->n_events = 0;
}

static void wait_timeout(void *arg)
{
	ev_stop(((struct th *)arg)->loop);
}

long th_wait_event(struct th *t, int type, uint32_t spi, unsigned ms)
{
	for (size_t i = 0; i < t->n_events; i++)
		if ((!type || (int)t->events[i].type == type) && (!spi || t->events[i].sa.spi == spi))
			return (long)i;
	if (!t->wait_timer && !(t->wait_timer = ev_timer_new(t->loop, wait_timeout, t, NULL)))
		return -1;
	t->wait_type = type;
	t->wait_spi = spi;
	t->wait_hit = -1;
	ev_timer_arm(t->wait_timer, ms);
	ev_run(t->loop);
	ev_timer_cancel(t->wait_timer);
	long hit = t->wait_hit;
	t->wait_hit = 0;
	return hit;
}

void th_run_for(struct th *t, unsigned ms)
{
	th_wait_event(t, -1, 0, ms);	/* type -1 never matches */
}

void th_set_level(struct th *t, int level)
{
	t->level = level;
}

bool th_logged(const struct th *t, const char *needle)
{
	return t->log && strstr(t->log, needle);
}

const char *th_log_dump(struct th *t)
{
	return t->log ? t->log : "";
}

void th_log_clear(struct th *t)
{
	t->log_len = 0;
	if (t->log)
		t->log[0] = '\0';
}
