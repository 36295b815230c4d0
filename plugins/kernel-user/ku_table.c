/* SPDX-License-Identifier: MIT */
/*
 * ku_table.c - hash tables by SPI, SA id, reqid and virtual IP, and selector
 * matching. Chained tables with intrusive nodes: inserting allocates only
 * when a table doubles (on the loop, under the write lock); a lookup never
 * allocates and costs the same with 1 or 100,000 entries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ku.h"

int ku_htab_init(struct ku_htab *t, size_t buckets)
{
	size_t n = 16;
	while (n < buckets)
		n <<= 1;
	t->b = calloc(n, sizeof(*t->b));
	if (!t->b)
		return -ENOMEM;
	t->mask = n - 1;
	t->n = 0;
	return 0;
}

void ku_htab_free(struct ku_htab *t)
{
	free(t->b);
	t->b = NULL;
	t->n = 0;
}

static int htab_grow(struct ku_htab *t)
{
	size_t n = (t->mask + 1) * 2;
	struct ku_hnode **b = calloc(n, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i <= t->mask; i++) {
		struct ku_hnode *e = t->b[i], *next;
		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(t->b);
	t->b = b;
	t->mask = n - 1;
	return 0;
}

int ku_htab_add(struct ku_htab *t, struct ku_hnode *n, uint32_t hash)
{
	/* load factor <= 1: chains stay a node or two long */
	if (t->n >= t->mask + 1 && htab_grow(t) && t->n >= 2 * (t->mask + 1))
		return -ENOMEM;
	n->hash = hash;
	n->next = t->b[hash & t->mask];
	t->b[hash & t->mask] = n;
	t->n++;
	return 0;
}

void ku_htab_del(struct ku_htab *t, struct ku_hnode *n)
{
	struct ku_hnode **pp = &t->b[n->hash & t->mask];
	while (*pp && *pp != n)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = n->next;
		t->n--;
	}
	n->next = NULL;
}

uint32_t ku_hash32(uint32_t x)
{
	/* a bijective mixer (lowbias32): SPIs from a peer need not be random */
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

uint32_t ku_hash_addr(int family, const uint8_t *a)
{
	uint32_t h = (uint32_t)family, w;
	for (int i = 0; i < (family == AF_INET6 ? 16 : 4); i += 4) {
		memcpy(&w, a + i, 4);
		h = ku_hash32(h ^ w);
	}
	return h;
}

void ku_addr_from_ss(struct ku_addr *a, const struct sockaddr_storage *ss)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		a->family = AF_INET;
		memcpy(a->a, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		a->family = AF_INET6;
		memcpy(a->a, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	}
}

void ku_sel_from_ts(struct ku_sel *s, const struct kanmon_ts *ts)
{
	struct ku_addr lo, hi;
	memset(s, 0, sizeof(*s));
	ku_addr_from_ss(&lo, &ts->from);
	ku_addr_from_ss(&hi, &ts->to);
	if (!lo.family || lo.family != hi.family)
		return;	/* no selector: matches all */
	s->family = lo.family;
	memcpy(s->from, lo.a, 16);
	memcpy(s->to, hi.a, 16);
	s->proto = ts->proto;
	s->pfrom = ts->from_port;
	s->pto = ts->to_port ? ts->to_port : (ts->from_port ? ts->from_port : 65535);
	if (!ts->from_port && !ts->to_port)
		s->pto = 65535;
}

bool ku_sel_match(const struct ku_sel *s, int family, const uint8_t *addr, uint8_t proto, uint16_t port)
{
	if (!s->family)
		return true;
	if (s->family != family)
		return false;
	size_t n = family == AF_INET6 ? 16 : 4;
	if (memcmp(addr, s->from, n) < 0 || memcmp(addr, s->to, n) > 0)
		return false;
	if (s->proto && s->proto != proto)
		return false;
	return port >= s->pfrom && port <= s->pto;
}

bool ku_sel_single(const struct ku_sel *s)
{
	return s->family && !memcmp(s->from, s->to, s->family == AF_INET6 ? 16 : 4);
}

struct ku_sa *ku_sa_by_spi(const struct ku *ku, uint32_t spi_net)
{
	uint32_t h = ku_hash32(spi_net);
	for (struct ku_hnode *n = ku_htab_first(&ku->by_spi, h); n; n = n->next) {
		struct ku_sa *sa = (struct ku_sa *)(void *)((char *)n - offsetof(struct ku_sa, h_spi));
		if (n->hash == h && sa->esp.spi == spi_net)
			return sa;
	}
	return NULL;
}

static bool addr_eq_ss(const struct ku_addr *a, const struct sockaddr_storage *ss)
{
	struct ku_addr b;
	ku_addr_from_ss(&b, ss);
	return a->family == b.family && !memcmp(a->a, b.a, 16);
}

struct ku_sa *ku_sa_by_id(const struct ku *ku, const struct kanmon_sa_id *id)
{
	uint32_t h = ku_hash32(id->spi);
	for (struct ku_hnode *n = ku_htab_first(&ku->by_id, h); n; n = n->next) {
		struct ku_sa *sa = (struct ku_sa *)(void *)((char *)n - offsetof(struct ku_sa, h_id));
		/* the kernel's key: (dst, spi, proto), and the mark when one is set */
		if (n->hash == h && sa->esp.spi == id->spi && !sa->larval && addr_eq_ss(&sa->dst, &id->dst) &&
		    (id->proto ? id->proto : KANMON_SA_PROTO_ESP) == sa->proto &&
		    (sa->mark & sa->mark_mask) == (id->mark & id->mark_mask))
			return sa;
	}
	return NULL;
}

struct ku_sa *ku_sa_by_reqid(const struct ku *ku, uint32_t reqid)
{
	uint32_t h = ku_hash32(reqid);
	/* newest first: after a rekey the new outbound SA takes the traffic */
	for (struct ku_hnode *n = ku_htab_first(&ku->by_reqid, h); n; n = n->next) {
		struct ku_sa *sa = (struct ku_sa *)(void *)((char *)n - offsetof(struct ku_sa, h_reqid));
		if (n->hash == h && sa->reqid == reqid && !atomic_load_explicit(&sa->dead, memory_order_relaxed))
			return sa;
	}
	return NULL;
}

static bool pol_match(const struct ku_pol *p, int family, const uint8_t *src, const uint8_t *dst,
		      uint8_t proto, uint16_t sport, uint16_t dport)
{
	if (p->dir != KANMON_SA_OUT || !ku_sel_match(&p->dst, family, dst, proto, dport))
		return false;
	if (src)
		return ku_sel_match(&p->src, family, src, proto, sport);
	/* source address unknown (a reply the kernel would route): protocol and port only */
	return !p->src.family || (p->src.family == family && (!p->src.proto || p->src.proto == proto) &&
				  sport >= p->src.pfrom && sport <= p->src.pto);
}

struct ku_pol *ku_pol_lookup(const struct ku *ku, int family, const uint8_t *src, const uint8_t *dst,
			     uint8_t proto, uint16_t sport, uint16_t dport)
{
	/* the common case, a client's virtual IP: one hash probe */
	if (ku->pol_vip.n) {
		uint32_t h = ku_hash_addr(family, dst);
		for (struct ku_hnode *n = ku_htab_first(&ku->pol_vip, h); n; n = n->next) {
			struct ku_pol *p = (struct ku_pol *)(void *)((char *)n - offsetof(struct ku_pol, h_vip));
			if (n->hash == h && pol_match(p, family, src, dst, proto, sport, dport))
				return p;
		}
	}
	/* ranges (site-to-site, 0.0.0.0/0): few, in priority order */
	if (!ku->n_range_pol)
		return NULL;
	for (struct ku_pol *p = ku->pols; p; p = p->next)
		if (!p->vip && pol_match(p, family, src, dst, proto, sport, dport))
			return p;
	return NULL;
}

static bool sel_eq(const struct ku_sel *a, const struct ku_sel *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* hash of what names a policy (XFRM's policy key) */
static uint32_t pol_key_hash(enum kanmon_sa_dir dir, const struct ku_sel *src, const struct ku_sel *dst, uint32_t mark,
			     uint32_t mark_mask, uint32_t if_id)
{
	uint32_t h = ku_hash32((uint32_t)dir ^ (mark * 31u) ^ (mark_mask * 17u) ^ (if_id * 7u));
	const struct ku_sel *sels[2] = { src, dst };
	for (int k = 0; k < 2; k++) {
		const struct ku_sel *x = sels[k];
		h = ku_hash32(h ^ ((uint32_t)x->family << 8 | x->proto) ^ ((uint32_t)x->pfrom << 16 | x->pto));
		/* mixed one after the other: from == to (a VIP) must not cancel out */
		h = ku_hash32(h ^ ku_hash_addr(x->family ? x->family : AF_INET, x->from));
		h = ku_hash32(h + ku_hash_addr(x->family ? x->family : AF_INET, x->to));
	}
	return h;
}

struct ku_pol *ku_pol_find(const struct ku *ku, const struct kanmon_policy_id *id)
{
	struct ku_sel s, d;
	ku_sel_from_ts(&s, &id->src_ts);
	ku_sel_from_ts(&d, &id->dst_ts);
	uint32_t h = pol_key_hash(id->dir, &s, &d, id->mark, id->mark_mask, id->if_id);
	for (struct ku_hnode *n = ku_htab_first(&ku->pol_key, h); n; n = n->next) {
		struct ku_pol *p = (struct ku_pol *)(void *)((char *)n - offsetof(struct ku_pol, h_key));
		if (n->hash == h && p->dir == id->dir && sel_eq(&p->src, &s) && sel_eq(&p->dst, &d) &&
		    p->mark == id->mark && p->mark_mask == id->mark_mask && p->if_id == id->if_id)
			return p;
	}
	return NULL;
}

int ku_pol_insert(struct ku *ku, struct ku_pol *p)
{
	int err = ku_htab_add(&ku->pol_key, &p->h_key,
			      pol_key_hash(p->dir, &p->src, &p->dst, p->mark, p->mark_mask, p->if_id));
	if (err)
		return err;
	/* lower priority value first, as XFRM orders them; equal ones in arrival
	 * order, so the common case (all the same priority) appends in O(1) */
	struct ku_pol *after = ku->pols_tail;
	while (after && after->priority > p->priority)
		after = after->prev;
	p->prev = after;
	p->next = after ? after->next : ku->pols;
	if (p->next)
		p->next->prev = p;
	else
		ku->pols_tail = p;
	if (after)
		after->next = p;
	else
		ku->pols = p;
	ku->n_pol++;
	p->vip = p->dir == KANMON_SA_OUT && ku_sel_single(&p->dst) &&
		 !ku_htab_add(&ku->pol_vip, &p->h_vip, ku_hash_addr(p->dst.family, p->dst.from));
	if (!p->vip)
		ku->n_range_pol++;
	return 0;
}

void ku_pol_remove(struct ku *ku, struct ku_pol *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		ku->pols = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		ku->pols_tail = p->prev;
	p->next = p->prev = NULL;
	ku_htab_del(&ku->pol_key, &p->h_key);
	ku->n_pol--;
	if (p->vip)
		ku_htab_del(&ku->pol_vip, &p->h_vip);
	else
		ku->n_range_pol--;
}
