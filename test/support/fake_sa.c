/* SPDX-License-Identifier: MIT */
/* fake_sa.c - recording SA backend for tests (fake_sa.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_sa.h"

#define FAKE_MAX 4096

struct fake_entry {
	uint32_t spi;
	struct kanmon_sa_stats st;
	int used;
};

struct fake_sa {
	char *calls[FAKE_MAX];
	size_t n_calls;
	struct fake_entry sas[FAKE_MAX];
	size_t n_policies;
	uint32_t next_spi;
	char fail_op[32];
	int fail_err;
	void (*observer)(const char *, void *);
	void *observer_arg;
};

struct fake_sa *fake_sa_new(void)
{
	struct fake_sa *f = calloc(1, sizeof(*f));
	if (f)
		f->next_spi = 0xc001;
	return f;
}

void fake_sa_free(struct fake_sa *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_calls; i++)
		free(f->calls[i]);
	free(f);
}

static void record(struct fake_sa *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void record(struct fake_sa *f, const char *fmt, ...)
{
	char *line = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (r < 0 || f->n_calls >= FAKE_MAX) {
		free(r < 0 ? NULL : line);
		return;
	}
	f->calls[f->n_calls++] = line;
	if (f->observer)
		f->observer(line, f->observer_arg);
}

static int injected(struct fake_sa *f, const char *op)
{
	if (f->fail_err && !strcmp(f->fail_op, op)) {
		int err = f->fail_err;
		f->fail_err = 0;
		record(f, "%s failed (injected %d)", op, err);
		return err;
	}
	return 0;
}

static struct fake_entry *find(struct fake_sa *f, uint32_t spi)
{
	for (size_t i = 0; i < FAKE_MAX; i++)
		if (f->sas[i].used && f->sas[i].spi == spi)
			return &f->sas[i];
	return NULL;
}

static const char *dir_name(enum kanmon_sa_dir d)
{
	return d == KANMON_SA_IN ? "in" : d == KANMON_SA_OUT ? "out" : d == KANMON_SA_FWD ? "fwd" : "?";
}

static int f_alloc_spi(void *be, const struct kanmon_sa_id *id, uint32_t *spi)
{
	struct fake_sa *f = be;
	(void)id;
	int err = injected(f, "alloc_spi");
	if (err)
		return err;
	*spi = htonl(f->next_spi++);
	record(f, "alloc_spi spi=0x%08x", ntohl(*spi));
	return 0;
}

static int f_add_sa(void *be, const struct kanmon_sa_id *id, const struct kanmon_sa_params *p)
{
	struct fake_sa *f = be;
	int err = injected(f, "add_sa");
	if (err)
		return err;
	if (!p || p->size < offsetof(struct kanmon_sa_params, reserved))
		return -EINVAL;
	if (find(f, id->spi))
		return -EEXIST;
	struct fake_entry *e = NULL;
	for (size_t i = 0; i < FAKE_MAX && !e; i++)
		if (!f->sas[i].used)
			e = &f->sas[i];
	if (!e)
		return -ENOSPC;
	memset(e, 0, sizeof(*e));
	e->used = 1;
	e->spi = id->spi;
	record(f, "add_sa dir=%s mode=%s spi=0x%08x reqid=%u enc=%u/%zu integ=%u/%zu encap=%u-%u mark=%u/%u",
	       dir_name(p->dir), p->mode == KANMON_SA_TUNNEL ? "tunnel" : "transport", ntohl(id->spi), p->reqid,
	       p->enc_alg, p->enc_key_len, p->integ_alg, p->integ_key_len, p->encap_sport, p->encap_dport,
	       id->mark, id->mark_mask);
	return 0;
}

static int f_update_sa(void *be, const struct kanmon_sa_id *id, const struct kanmon_sa_id *new_id,
		       uint16_t sport, uint16_t dport)
{
	struct fake_sa *f = be;
	(void)new_id;
	int err = injected(f, "update_sa");
	if (err)
		return err;
	if (!find(f, id->spi))
		return -ESRCH;
	record(f, "update_sa spi=0x%08x encap=%u-%u", ntohl(id->spi), sport, dport);
	return 0;
}

static int f_query_sa(void *be, const struct kanmon_sa_id *id, struct kanmon_sa_stats *st)
{
	struct fake_sa *f = be;
	struct fake_entry *e = find(f, id->spi);
	if (!e)
		return -ESRCH;
	*st = e->st;
	return 0;
}

static int f_del_sa(void *be, const struct kanmon_sa_id *id)
{
	struct fake_sa *f = be;
	int err = injected(f, "del_sa");
	if (err)
		return err;
	struct fake_entry *e = find(f, id->spi);
	if (!e)
		return -ESRCH;
	e->used = 0;
	record(f, "del_sa spi=0x%08x", ntohl(id->spi));
	return 0;
}

static int f_add_policy(void *be, const struct kanmon_policy_id *id, const struct kanmon_policy_params *p)
{
	struct fake_sa *f = be;
	int err = injected(f, "add_policy");
	if (err)
		return err;
	f->n_policies++;
	record(f, "add_policy dir=%s mode=%s reqid=%u mark=%u/%u", dir_name(id->dir),
	       p->mode == KANMON_SA_TUNNEL ? "tunnel" : "transport", p->reqid, id->mark, id->mark_mask);
	return 0;
}

static int f_del_policy(void *be, const struct kanmon_policy_id *id)
{
	struct fake_sa *f = be;
	int err = injected(f, "del_policy");
	if (err)
		return err;
	if (!f->n_policies)
		return -ENOENT;
	f->n_policies--;
	record(f, "del_policy dir=%s", dir_name(id->dir));
	return 0;
}

static const struct kanmon_sa_ops fake_ops = {
	.size = sizeof(struct kanmon_sa_ops),
	.alloc_spi = f_alloc_spi,
	.add_sa = f_add_sa,
	.update_sa = f_update_sa,
	.query_sa = f_query_sa,
	.del_sa = f_del_sa,
	.add_policy = f_add_policy,
	.del_policy = f_del_policy,
};

const struct kanmon_sa_ops *fake_sa_ops(void)
{
	return &fake_ops;
}

size_t fake_sa_count(const struct fake_sa *f)
{
	return f->n_calls;
}

const char *fake_sa_call(const struct fake_sa *f, size_t i)
{
	return i < f->n_calls ? f->calls[i] : NULL;
}

size_t fake_sa_installed(const struct fake_sa *f)
{
	size_t n = 0;
	for (size_t i = 0; i < FAKE_MAX; i++)
		n += f->sas[i].used ? 1 : 0;
	return n;
}

size_t fake_sa_policies(const struct fake_sa *f)
{
	return f->n_policies;
}

void fake_sa_fail_next(struct fake_sa *f, const char *op, int err)
{
	snprintf(f->fail_op, sizeof(f->fail_op), "%s", op);
	f->fail_err = err;
}

int fake_sa_traffic(struct fake_sa *f, uint32_t spi, uint64_t bytes, uint64_t packets)
{
	struct fake_entry *e = find(f, spi);
	if (!e)
		return -ESRCH;
	e->st.bytes += bytes;
	e->st.packets += packets;
	e->st.last_use = time(NULL);
	return 0;
}

void fake_sa_set_observer(struct fake_sa *f, void (*cb)(const char *, void *), void *arg)
{
	f->observer = cb;
	f->observer_arg = arg;
}
