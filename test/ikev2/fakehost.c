/* SPDX-License-Identifier: MIT */
/* fakehost.c - see fakehost.h. */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakehost.h"

struct fakehost fh;

static void fh_log(const struct kanmon_host *h, int level, const char *fmt, ...) KANMON_PRINTF(3, 4);

static void fh_log(const struct kanmon_host *h, int level, const char *fmt, ...)
{
	(void)h;
	size_t i = fh.n_log % FH_MAX_LOG;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fh.log[i], sizeof(fh.log[i]), fmt, ap);
	va_end(ap);
	fh.log_level[i] = level;
	fh.n_log++;
	fh.total_log++;
	if (fh.verbose)
		fprintf(stderr, "[ikev2 %d] %s\n", level, fh.log[i]);
}

static bool fh_log_enabled(const struct kanmon_host *h, int level)
{
	(void)h;
	(void)level;
	return true;
}

static struct kanmon_timer *fh_timer_new(const struct kanmon_host *h, void (*cb)(void *), void *arg)
{
	(void)h;
	for (size_t i = 0; i < fh.n_timers; i++)
		if (fh.timers[i].freed) {
			fh.timers[i] = (struct kanmon_timer){ .cb = cb, .arg = arg };
			return &fh.timers[i];
		}
	if (fh.n_timers == FH_MAX_TIMERS)
		return NULL;
	fh.timers[fh.n_timers] = (struct kanmon_timer){ .cb = cb, .arg = arg };
	return &fh.timers[fh.n_timers++];
}

static void fh_timer_arm(struct kanmon_timer *t, uint64_t ms)
{
	t->armed = true;
	t->due_ms = fh.now + ms;
}

static void fh_timer_cancel(struct kanmon_timer *t)
{
	t->armed = false;
}

static void fh_timer_free(struct kanmon_timer *t)
{
	if (t) {
		t->armed = false;
		t->freed = true;
	}
}

static int fh_net_send(const struct kanmon_host *h, uint16_t port, const struct sockaddr *local,
		       const struct sockaddr *peer, const void *buf, size_t len, uint16_t flags)
{
	(void)h;
	(void)local;
	struct fh_sent *s = &fh.sent[fh.n_sent % FH_MAX_SENT];
	if (len > sizeof(s->data))
		return -90;	/* EMSGSIZE */
	memcpy(s->data, buf, len);
	s->len = len;
	s->port = port;
	s->flags = flags;
	memset(&s->peer, 0, sizeof(s->peer));
	memcpy(&s->peer, peer, peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	fh.n_sent++;
	fh.total_sent++;
	return 0;
}

static void fh_net_unregister(struct kanmon_net_reg *r)
{
	(void)r;
}

void fh_reset(void)
{
	bool verbose = getenv("IKEV2_VERBOSE") != NULL;
	memset(&fh, 0, sizeof(fh));
	fh.verbose = verbose;
	fh.now = 1000000;
	fh.h.size = sizeof(fh.h);
	fh.h.plugin_name = "ikev2";
	fh.h.log = fh_log;
	fh.h.log_enabled = fh_log_enabled;
	fh.h.timer_new = fh_timer_new;
	fh.h.timer_arm = fh_timer_arm;
	fh.h.timer_cancel = fh_timer_cancel;
	fh.h.timer_free = fh_timer_free;
	fh.h.net_send = fh_net_send;
	fh.h.net_unregister = fh_net_unregister;
}

uint64_t fh_now(void)
{
	return fh.now;
}

const struct fh_sent *fh_sent_at(size_t i)
{
	return i < fh.n_sent && i < FH_MAX_SENT ? &fh.sent[i] : NULL;
}

void fh_clear_sent(void)
{
	fh.n_sent = 0;
}

void fh_clear_log(void)
{
	fh.n_log = 0;
}

size_t fh_log_count(const char *needle)
{
	size_t n = 0;
	for (size_t i = 0; i < fh.n_log && i < FH_MAX_LOG; i++)
		n += strstr(fh.log[i], needle) != NULL;
	return n;
}

void fh_run_timers(void)
{
	for (size_t i = 0; i < fh.n_timers; i++) {
		struct kanmon_timer *t = &fh.timers[i];
		if (t->armed && !t->freed && t->due_ms <= fh.now) {
			t->armed = false;
			t->cb(t->arg);
		}
	}
}
