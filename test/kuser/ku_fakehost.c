/* SPDX-License-Identifier: MIT */
/* ku_fakehost.c - see ku_fakehost.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ku_fakehost.h"

struct fakehost fakehost;

static void fh_log(const struct kanmon_host *h, int level, const char *fmt, ...) KANMON_PRINTF(3, 4);

static void fh_log(const struct kanmon_host *h, int level, const char *fmt, ...)
{
	(void)h;
	(void)level;
	if (!fakehost.verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool fh_log_enabled(const struct kanmon_host *h, int level)
{
	(void)h;
	(void)level;
	return fakehost.verbose;
}

static int fh_post(const struct kanmon_host *h, void (*fn)(void *), void *arg)
{
	(void)h;
	(void)fn;
	(void)arg;
	/* the test drains by calling ku_notes_drain() itself */
	fakehost.posts++;
	return 0;
}

static void fh_sa_event(const struct kanmon_host *h, const struct kanmon_sa_event *ev)
{
	(void)h;
	if (fakehost.n_events < 64)
		fakehost.events[fakehost.n_events++] = *ev;
}

static int fh_net_deliver(const struct kanmon_host *h, struct kanmon_pkt *pkt)
{
	(void)h;
	if (fakehost.n_delivered >= 16)
		return 0;
	int i = fakehost.n_delivered++;
	fakehost.delivered[i] = *pkt;
	memcpy(fakehost.delivered_data[i], pkt->data, pkt->len < 2048 ? pkt->len : 2048);
	fakehost.delivered[i].data = fakehost.delivered_data[i];
	return 1;
}

static void fh_watch_free(struct kanmon_watch *w)
{
	(void)w;
}

static void fh_timer_free(struct kanmon_timer *t)
{
	(void)t;
}

static void fh_timer_arm(struct kanmon_timer *t, uint64_t ms)
{
	(void)t;
	(void)ms;
}

static void fh_unregister(struct kanmon_net_reg *r)
{
	(void)r;
}

void fakehost_reset(void)
{
	int verbose = fakehost.verbose;
	memset(&fakehost, 0, sizeof(fakehost));
	fakehost.verbose = verbose || getenv("KU_VERBOSE");
	fakehost.h.size = sizeof(fakehost.h);
	fakehost.h.plugin_name = "kernel-user";
	fakehost.h.log = fh_log;
	fakehost.h.log_enabled = fh_log_enabled;
	fakehost.h.post = fh_post;
	fakehost.h.sa_event = fh_sa_event;
	fakehost.h.net_deliver = fh_net_deliver;
	fakehost.h.watch_free = fh_watch_free;
	fakehost.h.timer_free = fh_timer_free;
	fakehost.h.timer_arm = fh_timer_arm;
	fakehost.h.net_unregister = fh_unregister;
}

struct ku *fake_ku_new(void)
{
	struct ku *ku = calloc(1, sizeof(*ku));
	if (!ku)
		return NULL;
	ku->host = &fakehost.h;
	ku->raw4 = ku->raw6 = -1;
	ku->mtu = 1400;
	ku->mss_clamp = true;
	ku->natt_port = 4500;
	ku->send_hook = true;
	pthread_rwlock_init(&ku->lock, NULL);
	pthread_mutex_init(&ku->note_lock, NULL);
	ku->notes_tail = &ku->notes;
	if (ku_htab_init(&ku->by_spi, 16) || ku_htab_init(&ku->by_id, 16) || ku_htab_init(&ku->by_reqid, 16) ||
	    ku_htab_init(&ku->pol_vip, 16) || ku_htab_init(&ku->pol_key, 16) || ku_transport_init() || !(ku->loopw = ku_worker_new(ku, 0, -1, true))) {
		fake_ku_free(ku);
		return NULL;
	}
	return ku;
}

void fake_ku_free(struct ku *ku)
{
	if (!ku)
		return;
	ku_sad_free_all(ku);
	ku_htab_free(&ku->by_spi);
	ku_htab_free(&ku->by_id);
	ku_htab_free(&ku->by_reqid);
	ku_htab_free(&ku->pol_vip);
	ku_htab_free(&ku->pol_key);
	ku_worker_free(ku->loopw);
	ku_transport_fini();
	pthread_rwlock_destroy(&ku->lock);
	pthread_mutex_destroy(&ku->note_lock);
	free(ku);
}
