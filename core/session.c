/* SPDX-License-Identifier: MIT */
/* session.c - session registry: hash by id + list in id order (session.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "list.h"
#include "log.h"
#include "session.h"

struct session_node {
	struct session_entry e;
	struct list_node order;		/* registry->all, ascending id */
	struct session_node *hnext;	/* hash chain */
};

struct session_registry {
	struct session_node **buckets;
	size_t n_buckets;		/* power of two */
	size_t count;
	uint64_t next_id;
	struct list_node all;
};

struct session_registry *session_registry_new(void)
{
	struct session_registry *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->n_buckets = 64;
	r->buckets = calloc(r->n_buckets, sizeof(*r->buckets));
	if (!r->buckets) {
		free(r);
		return NULL;
	}
	r->next_id = 1;
	list_init(&r->all);
	return r;
}

static void node_free(struct session_node *n)
{
	free(n->e.cert_issuer);
	free(n->e.cert_serial);
	free(n->e.identity);
	free(n->e.state);
	free(n->e.algorithms);
	free(n);
}

void session_registry_free(struct session_registry *r)
{
	if (!r)
		return;
	while (!list_empty(&r->all)) {
		struct session_node *n = list_entry(r->all.next, struct session_node, order);
		list_del(&n->order);
		node_free(n);
	}
	free(r->buckets);
	free(r);
}

static size_t bucket_of(const struct session_registry *r, uint64_t id)
{
	/* ids are sequential: a multiplicative mix spreads them */
	return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 32) & (r->n_buckets - 1);
}

static struct session_node *lookup(const struct session_registry *r, uint64_t id)
{
	for (struct session_node *n = r->buckets[bucket_of(r, id)]; n; n = n->hnext)
		if (n->e.id == id)
			return n;
	return NULL;
}

static void grow(struct session_registry *r)
{
	size_t nb = r->n_buckets * 2;
	struct session_node **b = calloc(nb, sizeof(*b));
	if (!b)
		return;	/* keep the longer chains: still correct */
	free(r->buckets);
	r->buckets = b;
	r->n_buckets = nb;
	for (struct list_node *it = r->all.next; it != &r->all; it = it->next) {
		struct session_node *n = list_entry(it, struct session_node, order);
		size_t i = bucket_of(r, n->e.id);
		n->hnext = r->buckets[i];
		r->buckets[i] = n;
	}
}

static int fill(struct session_entry *e, const struct kanmon_session *s)
{
	char *identity = strdup(s->identity ? s->identity : "");
	char *state = strdup(s->state ? s->state : "established");
	char *alg = s->algorithms ? strdup(s->algorithms) : NULL;
	if (!identity || !state || (s->algorithms && !alg)) {
		free(identity);
		free(state);
		free(alg);
		return -ENOMEM;
	}
	free(e->identity);
	free(e->state);
	free(e->algorithms);
	e->identity = identity;
	e->state = state;
	e->algorithms = alg;
	e->peer = s->peer;
	e->n_vips = s->n_vips > KANMON_SESSION_MAX_VIPS ? KANMON_SESSION_MAX_VIPS : s->n_vips;
	memcpy(e->vips, s->vips, e->n_vips * sizeof(e->vips[0]));
	if (s->established)
		e->established = s->established;
	return 0;
}

int session_add(struct session_registry *r, const char *plugin, const void *owner,
		const struct kanmon_session *s, const struct kanmon_session_ops *ops, void *arg,
		uint64_t *id)
{
	if (!s || s->size < sizeof(*s) || (ops && ops->size < sizeof(*ops)))
		return -EINVAL;
	struct session_node *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->e.established = time(NULL);
	if (fill(&n->e, s)) {
		node_free(n);
		return -ENOMEM;
	}
	n->e.id = r->next_id++;
	n->e.plugin = plugin;
	n->e.owner = owner;
	n->e.ops = ops;
	n->e.arg = arg;
	if (r->count >= r->n_buckets)
		grow(r);
	size_t i = bucket_of(r, n->e.id);
	n->hnext = r->buckets[i];
	r->buckets[i] = n;
	list_add(&r->all, &n->order);
	r->count++;
	if (id)
		*id = n->e.id;
	return 0;
}

int session_update(struct session_registry *r, const void *owner, uint64_t id,
		   const struct kanmon_session *s)
{
	struct session_node *n = lookup(r, id);
	if (!n)
		return -ENOENT;
	if (n->e.owner != owner)
		return -EPERM;
	if (!s || s->size < sizeof(*s))
		return -EINVAL;
	return fill(&n->e, s);
}

static void unlink_node(struct session_registry *r, struct session_node *n)
{
	struct session_node **pp = &r->buckets[bucket_of(r, n->e.id)];
	while (*pp != n)
		pp = &(*pp)->hnext;
	*pp = n->hnext;
	list_del(&n->order);
	r->count--;
	node_free(n);
}

void session_remove(struct session_registry *r, const void *owner, uint64_t id)
{
	struct session_node *n = lookup(r, id);
	if (n && n->e.owner == owner)
		unlink_node(r, n);
}

size_t session_remove_owned(struct session_registry *r, const void *owner)
{
	size_t removed = 0;
	struct list_node *it, *next;
	for (it = r->all.next; it != &r->all; it = next) {
		next = it->next;
		struct session_node *n = list_entry(it, struct session_node, order);
		if (n->e.owner == owner) {
			unlink_node(r, n);
			removed++;
		}
	}
	return removed;
}

const struct session_entry *session_find(const struct session_registry *r, uint64_t id)
{
	struct session_node *n = lookup(r, id);
	return n ? &n->e : NULL;
}

size_t session_count(const struct session_registry *r)
{
	return r->count;
}

int session_kill(struct session_registry *r, uint64_t id)
{
	struct session_node *n = lookup(r, id);
	if (!n)
		return -ENOENT;
	if (!n->e.ops || !n->e.ops->kill)
		return -EOPNOTSUPP;
	return n->e.ops->kill(n->e.arg, id);
}

void session_counters(const struct session_entry *e, struct kanmon_session_counters *c)
{
	memset(c, 0, sizeof(*c));
	if (e->ops && e->ops->counters && e->ops->counters(e->arg, e->id, c))
		memset(c, 0, sizeof(*c));
}

int session_foreach(const struct session_registry *r,
		    int (*cb)(const struct session_entry *e, void *arg), void *arg)
{
	struct list_node *it, *next;
	for (it = r->all.next; it != &r->all; it = next) {
		next = it->next;	/* cb may not remove, but be safe */
		int rc = cb(&list_entry(it, struct session_node, order)->e, arg);
		if (rc)
			return rc;
	}
	return 0;
}

int session_set_cert(struct session_registry *r, const void *owner, uint64_t id, const char *issuer,
		     const char *serial)
{
	struct session_node *n = lookup(r, id);
	if (!n)
		return -ENOENT;
	if (n->e.owner != owner)
		return -EPERM;
	if (!issuer || !serial || !*serial)
		return -EINVAL;
	char *i = strdup(issuer), *s = strdup(serial);
	if (!i || !s) {
		free(i);
		free(s);
		return -ENOMEM;
	}
	free(n->e.cert_issuer);
	free(n->e.cert_serial);
	n->e.cert_issuer = i;
	n->e.cert_serial = s;
	return 0;
}

size_t session_kill_revoked(struct session_registry *r,
			    bool (*revoked)(const char *issuer, const char *serial, void *arg), void *arg)
{
	/* ids first: a plugin's kill may remove the session (and others) right away */
	size_t n = 0, cap = 0, killed = 0;
	uint64_t *ids = NULL;
	for (struct list_node *it = r->all.next; it != &r->all; it = it->next) {
		struct session_entry *e = &list_entry(it, struct session_node, order)->e;
		if (!e->cert_serial || !revoked(e->cert_issuer, e->cert_serial, arg))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			uint64_t *v = realloc(ids, nc * sizeof(*v));
			if (!v)
				break;	/* the rest goes at the next revocation or reload */
			ids = v;
			cap = nc;
		}
		ids[n++] = e->id;
	}
	for (size_t i = 0; i < n; i++) {
		const struct session_entry *e = session_find(r, ids[i]);
		if (!e)
			continue;
		char identity[256], serial[48];
		snprintf(identity, sizeof(identity), "%s", e->identity);
		snprintf(serial, sizeof(serial), "%s", e->cert_serial);
		int rc = session_kill(r, ids[i]);
		if (rc)
			log_warn("session", "session %llu (%s): its certificate (serial %s) was revoked but the session could not be ended: %s",
				 (unsigned long long)ids[i], identity, serial, strerror(-rc));
		else {
			log_notice("session", "session %llu (%s) ended: its certificate (serial %s) was revoked",
				   (unsigned long long)ids[i], identity, serial);
			killed++;
		}
	}
	free(ids);
	return killed;
}
