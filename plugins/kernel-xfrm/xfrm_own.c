/* SPDX-License-Identifier: MIT */
/*
 * xfrm_own.c - what this backend installed. Every SA (by dst, SPI,
 * protocol and mark) and every policy (by selector, direction, mark and
 * if_id) goes into a table when the kernel accepted it; only entries of
 * these tables are ever deleted, so SAs and policies of other software
 * (another IKE daemon, an operator's `ip xfrm`) are never touched, even
 * when they share a reqid.
 *
 * A chained hash table over fixed-size keys (records are compared with
 * memcmp, so keys are always built from a zeroed struct): insert, lookup
 * and delete stay O(1) at 10,000s of SAs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xfrm.h"

static const void *key_of(const struct kx_tab *t, const struct kx_node *n)
{
	return (const uint8_t *)n + t->key_off;
}

/* FNV-1a: keys are short and fixed-size, nothing attacker-chosen at scale. */
static uint32_t hash(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

void kx_tab_init(struct kx_tab *t, size_t key_off, size_t key_len)
{
	memset(t, 0, sizeof(*t));
	t->key_off = key_off;
	t->key_len = key_len;
}

void kx_tab_free(struct kx_tab *t)
{
	free(t->b);
	t->b = NULL;
	t->nb = t->n = 0;
}

struct kx_node *kx_tab_find(const struct kx_tab *t, const void *key)
{
	if (!t->nb)
		return NULL;
	uint32_t h = hash(key, t->key_len);
	for (struct kx_node *n = t->b[h & (t->nb - 1)]; n; n = n->next)
		if (n->hash == h && !memcmp(key_of(t, n), key, t->key_len))
			return n;
	return NULL;
}

static int grow(struct kx_tab *t)
{
	size_t nb = t->nb ? t->nb * 2 : 64;
	struct kx_node **b = calloc(nb, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->nb; i++) {
		while (t->b[i]) {
			struct kx_node *n = t->b[i];
			t->b[i] = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
		}
	}
	free(t->b);
	t->b = b;
	t->nb = nb;
	return 0;
}

int kx_tab_add(struct kx_tab *t, struct kx_node *node)
{
	if (t->n >= t->nb) {
		int err = grow(t);
		if (err)
			return err;
	}
	node->hash = hash(key_of(t, node), t->key_len);
	struct kx_node **head = &t->b[node->hash & (t->nb - 1)];
	node->next = *head;
	*head = node;
	t->n++;
	return 0;
}

void kx_tab_del(struct kx_tab *t, struct kx_node *node)
{
	if (!t->nb)
		return;
	for (struct kx_node **pp = &t->b[node->hash & (t->nb - 1)]; *pp; pp = &(*pp)->next) {
		if (*pp == node) {
			*pp = node->next;
			node->next = NULL;
			t->n--;
			return;
		}
	}
}

struct kx_node *kx_tab_next(const struct kx_tab *t, const struct kx_node *prev)
{
	if (prev && prev->next)
		return prev->next;
	size_t i = prev ? (prev->hash & (t->nb - 1)) + 1 : 0;
	for (; i < t->nb; i++)
		if (t->b[i])
			return t->b[i];
	return NULL;
}

struct kx_node *kx_tab_pop(struct kx_tab *t)
{
	struct kx_node *n = kx_tab_next(t, NULL);
	if (n)
		kx_tab_del(t, n);
	return n;
}

int kx_sa_key_from_id(const struct kanmon_sa_id *id, struct kx_sa_key *k)
{
	memset(k, 0, sizeof(*k));
	int family = kx_addr_bytes(&id->dst, k->dst);
	if (family < 0)
		return family;
	k->family = (uint8_t)family;
	k->spi = id->spi;
	k->proto = id->proto ? id->proto : KANMON_SA_PROTO_ESP;
	k->mark_v = id->mark;
	k->mark_m = kx_mark_mask(id->mark, id->mark_mask);
	return 0;
}
