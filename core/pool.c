/* SPDX-License-Identifier: MIT */
/*
 * pool.c - named address pools with sticky leases; see pool.h.
 *
 * Layout, and why:
 *  - one malloc'd record per lease with the identity inline (flexible array
 *    member): one allocation, one cache line or two, ~80 bytes of heap for a
 *    20-character identity;
 *  - two open-addressing tables of record pointers per pool (by address, by
 *    identity+family), linear probing, backward-shift deletion (no
 *    tombstones, so lookups never degrade after churn), doubled at 3/4 load;
 *  - the identity hash is SipHash-1-3 keyed from getrandom(): identities are
 *    chosen by clients, and a predictable hash would let them pile every
 *    lease into one probe run;
 *  - per family: a cursor over never-used addresses (addresses are 16-byte
 *    big-endian numbers, so a /64 or a wider "a-b" range is no problem), a
 *    FIFO ring of freed addresses, and a FIFO list of OFFLINE leases, oldest
 *    first, from which an expired lease is taken when nothing else is left.
 *
 * Every change is prepared completely (memory reserved, address chosen)
 * before the persist hook is called, so that once the hook accepted it,
 * applying it in memory cannot fail.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "conf.h"
#include "list.h"
#include "log.h"
#include "pool.h"

#define SIZE_CAP (UINT64_C(1) << 63)
#define TAB_MIN 16

struct lease {
	struct list_node fifo;		/* family's offline list; only OFFLINE, non-static */
	int64_t since;
	uint32_t hid;			/* hash of identity+family: rehash without re-reading it */
	uint8_t addr[16];		/* network order, IPv4 in the first 4 bytes, rest 0 */
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t state;
	uint8_t is_static;
	char identity[];
};

/*
 * Open addressing, linear probing. A slot holds a record pointer whose low
 * bits (always zero: malloc aligns to max_align_t) carry a few more bits of
 * the key's hash, so most mismatching slots are skipped without touching
 * the record: with a million leases each touch is a cache miss.
 */
struct ltab {
	uintptr_t *slot;		/* 0 = empty */
	size_t mask;			/* capacity - 1, capacity a power of two */
	size_t n;
	bool by_id;
};

#define TAG_MASK ((uintptr_t)(_Alignof(max_align_t) >= 16 ? 15 : _Alignof(max_align_t) - 1))

struct range {
	uint8_t lo[16], hi[16];		/* usable addresses, inclusive */
	uint8_t raw_lo[16], raw_hi[16];	/* as written: overlap checks cover the whole prefix */
	char *text;
};

struct fam {
	int family;
	struct range *r;
	size_t n;
	size_t cur_r;			/* cursor: next never-used address is cur in r[cur_r] */
	uint8_t cur[16];
	uint8_t (*ring)[16];		/* freed addresses, FIFO: reused last-freed-last */
	size_t ring_cap, ring_head, ring_n;
	struct list_node offline;	/* OFFLINE leases, oldest `since` first */
	bool unsorted;			/* restore or a clock step broke the order */
	uint64_t size;
};

struct pool {
	struct pool_set *set;
	char *name;
	uint32_t lease_time;
	struct fam v4, v6;
	struct ltab by_addr, by_id;
	uint64_t online, offline, statics;
};

struct pool_set {
	struct pool_persist persist;
	uint64_t key[2];		/* SipHash key */
	uint64_t akey;			/* address hash seed */
	struct pool **pools;
	size_t n;
};

/* ---- hashing ----------------------------------------------------------- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); v2 += v3; v3 = ROTL(v3, 16); \
	v3 ^= v2; v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; \
	v2 = ROTL(v2, 32); } while (0)

/* SipHash-1-3 (the variant Python and Rust use for their dict keys). */
static uint64_t siphash13(const uint64_t k[2], const void *data, size_t len)
{
	uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ k[0];
	uint64_t v1 = UINT64_C(0x646f72616e646f6d) ^ k[1];
	uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ k[0];
	uint64_t v3 = UINT64_C(0x7465646279746573) ^ k[1];
	const uint8_t *p = data;
	size_t full = len & ~(size_t)7;
	for (size_t i = 0; i < full; i += 8) {
		uint64_t m;
		memcpy(&m, p + i, 8);
		m = le64toh(m);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)p[full + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND; SIPROUND; SIPROUND;	/* 3 finalisation rounds */
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= UINT64_C(0xd6e8feb86659fd93);
	x ^= x >> 32;
	x *= UINT64_C(0xd6e8feb86659fd93);
	x ^= x >> 32;
	return x;
}

/* Addresses are chosen by us, not by clients: a keyed mixer is enough. */
static uint64_t addr_hash(const struct pool_set *s, int family, const uint8_t *a)
{
	uint64_t w0, w1;
	memcpy(&w0, a, 8);
	memcpy(&w1, a + 8, 8);
	return mix64(mix64(s->akey ^ w0 ^ (uint64_t)family) ^ w1);
}

static uint32_t id_hash(const struct pool_set *s, const char *id, int family)
{
	uint64_t h = siphash13(s->key, id, strlen(id));
	h ^= (uint64_t)family * UINT64_C(0x9e3779b97f4a7c15);
	return (uint32_t)(h ^ (h >> 32));
}

/* ---- tables ------------------------------------------------------------ */

static uint64_t key_hash(const struct pool_set *s, const struct ltab *t, const struct lease *l)
{
	return t->by_id ? l->hid : addr_hash(s, l->family, l->addr);
}

/* index from the low bits of the hash, tag from bits the index never uses */
static uintptr_t tag_of(const struct ltab *t, uint64_t h)
{
	return (uintptr_t)(t->by_id ? h >> 28 : h >> 60) & TAG_MASK;
}

static struct lease *untag(uintptr_t v)
{
	return (struct lease *)(v & ~TAG_MASK);
}

static int tab_init(struct ltab *t, bool by_id)
{
	t->slot = calloc(TAB_MIN, sizeof(*t->slot));
	if (!t->slot)
		return -ENOMEM;
	t->mask = TAB_MIN - 1;
	t->n = 0;
	t->by_id = by_id;
	return 0;
}

static void tab_put(const struct pool_set *s, struct ltab *t, struct lease *l)
{
	uint64_t h = key_hash(s, t, l);
	size_t i = (size_t)h & t->mask;
	while (t->slot[i])
		i = (i + 1) & t->mask;
	t->slot[i] = (uintptr_t)l | tag_of(t, h);
	t->n++;
}

/* Room for one more entry, so inserting after the persist hook cannot fail. */
static int tab_reserve(const struct pool_set *s, struct ltab *t)
{
	size_t cap = t->mask + 1;
	if ((t->n + 1) * 4 <= cap * 3)
		return 0;
	if (cap > SIZE_MAX / 2 / sizeof(*t->slot))
		return -ENOMEM;
	uintptr_t *old = t->slot;
	t->slot = calloc(cap * 2, sizeof(*t->slot));
	if (!t->slot) {
		t->slot = old;
		return -ENOMEM;
	}
	t->mask = cap * 2 - 1;
	t->n = 0;
	for (size_t i = 0; i < cap; i++)
		if (old[i])
			tab_put(s, t, untag(old[i]));
	free(old);
	return 0;
}

/* Backward-shift deletion: later members of the probe run move up into the
 * hole when their home slot allows it, so no tombstones are ever needed. */
static void tab_del(const struct pool_set *s, struct ltab *t, const struct lease *l)
{
	size_t i = (size_t)key_hash(s, t, l) & t->mask;
	while (untag(t->slot[i]) != l) {
		if (!t->slot[i])
			return;		/* not there: nothing to do */
		i = (i + 1) & t->mask;
	}
	size_t j = i;
	for (;;) {
		j = (j + 1) & t->mask;
		if (!t->slot[j])
			break;
		size_t k = (size_t)key_hash(s, t, untag(t->slot[j])) & t->mask;
		/* stays if its home lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t->slot[i] = t->slot[j];
		i = j;
	}
	t->slot[i] = 0;
	t->n--;
}

static struct lease *find_addr(const struct pool *p, int family, const uint8_t *a)
{
	const struct ltab *t = &p->by_addr;
	uint64_t h = addr_hash(p->set, family, a);
	uintptr_t tag = tag_of(t, h);
	for (size_t i = (size_t)h & t->mask; t->slot[i]; i = (i + 1) & t->mask) {
		if ((t->slot[i] & TAG_MASK) != tag)
			continue;
		struct lease *l = untag(t->slot[i]);
		if (l->family == family && !memcmp(l->addr, a, 16))
			return l;
	}
	return NULL;
}

static struct lease *find_id(const struct pool *p, const char *id, int family, uint32_t hid)
{
	const struct ltab *t = &p->by_id;
	uintptr_t tag = tag_of(t, hid);
	for (size_t i = hid & t->mask; t->slot[i]; i = (i + 1) & t->mask) {
		if ((t->slot[i] & TAG_MASK) != tag)
			continue;
		struct lease *l = untag(t->slot[i]);
		if (l->hid == hid && l->family == family && !strcmp(l->identity, id))
			return l;
	}
	return NULL;
}

/* ---- addresses --------------------------------------------------------- */

static size_t alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

static void addr_inc(uint8_t *a, int family)
{
	for (size_t i = alen(family); i-- > 0;)
		if (++a[i])
			break;
}

static void addr_dec(uint8_t *a, int family)
{
	for (size_t i = alen(family); i-- > 0;)
		if (a[i]--)
			break;
}

static void addr_u64s(const uint8_t *a, int family, uint64_t *hi, uint64_t *lo)
{
	if (family == AF_INET) {
		uint32_t v;
		memcpy(&v, a, 4);
		*hi = 0;
		*lo = ntohl(v);
		return;
	}
	memcpy(hi, a, 8);
	memcpy(lo, a + 8, 8);
	*hi = be64toh(*hi);
	*lo = be64toh(*lo);
}

/* hi - lo + 1, saturated at 2^63 (pool_stats' documented cap). */
static uint64_t range_size(const uint8_t *lo, const uint8_t *hi, int family)
{
	uint64_t hh, hl, lh, ll;
	addr_u64s(hi, family, &hh, &hl);
	addr_u64s(lo, family, &lh, &ll);
	uint64_t dl = hl - ll;
	uint64_t dh = hh - lh - (hl < ll);
	if (dh || dl >= SIZE_CAP - 1)
		return SIZE_CAP;
	return dl + 1;
}

static void to_sockaddr(int family, const uint8_t *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)family;
	if (family == AF_INET)
		memcpy((char *)ss + offsetof(struct sockaddr_in, sin_addr), a, 4);
	else
		memcpy((char *)ss + offsetof(struct sockaddr_in6, sin6_addr), a, 16);
}

static int from_sockaddr(const struct sockaddr *sa, int *family, uint8_t a[16])
{
	memset(a, 0, 16);
	if (!sa)
		return -EINVAL;
	if (sa->sa_family == AF_INET)
		memcpy(a, (const char *)sa + offsetof(struct sockaddr_in, sin_addr), 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(a, (const char *)sa + offsetof(struct sockaddr_in6, sin6_addr), 16);
	else
		return -EAFNOSUPPORT;
	*family = sa->sa_family;
	return 0;
}

static const char *ntop(int family, const uint8_t *a, char *buf, size_t len)
{
	return inet_ntop(family, a, buf, (socklen_t)len) ? buf : "?";
}

static bool in_range(const uint8_t *a, const uint8_t *lo, const uint8_t *hi)
{
	return memcmp(a, lo, 16) >= 0 && memcmp(a, hi, 16) <= 0;
}

static struct fam *fam_of(struct pool *p, int family)
{
	if (family == AF_INET)
		return &p->v4;
	if (family == AF_INET6)
		return &p->v6;
	return NULL;
}

/* Index of the usable range holding a, or -1. */
static long range_of(const struct fam *f, const uint8_t *a)
{
	for (size_t i = 0; i < f->n; i++)
		if (in_range(a, f->r[i].lo, f->r[i].hi))
			return (long)i;
	return -1;
}

/* ---- never-used cursor and free ring ----------------------------------- */

static void cursor_step(struct fam *f)
{
	if (memcmp(f->cur, f->r[f->cur_r].hi, 16)) {
		addr_inc(f->cur, f->family);
		return;
	}
	if (++f->cur_r < f->n)
		memcpy(f->cur, f->r[f->cur_r].lo, 16);
}

/* The next never-used address that nobody holds. Skipping held addresses
 * (statics, restored leases) is final: once freed they go to the ring. */
static bool cursor_peek(const struct pool *p, struct fam *f, uint8_t out[16])
{
	while (f->cur_r < f->n) {
		if (!find_addr(p, f->family, f->cur)) {
			memcpy(out, f->cur, 16);
			return true;
		}
		cursor_step(f);
	}
	return false;
}

/* Has the cursor passed a (so it will never hand it out again)? */
static bool behind_cursor(const struct fam *f, const uint8_t *a)
{
	if (f->cur_r >= f->n)
		return true;
	long ri = range_of(f, a);
	if (ri < 0)
		return false;
	if ((size_t)ri != f->cur_r)
		return (size_t)ri < f->cur_r;
	return memcmp(a, f->cur, 16) < 0;
}

static int ring_reserve(struct fam *f)
{
	if (f->ring_n < f->ring_cap)
		return 0;
	size_t cap = f->ring_cap ? f->ring_cap * 2 : 16;
	uint8_t (*ring)[16] = malloc(cap * sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	for (size_t i = 0; i < f->ring_n; i++)
		memcpy(ring[i], f->ring[(f->ring_head + i) & (f->ring_cap - 1)], 16);
	free(f->ring);
	f->ring = ring;
	f->ring_cap = cap;
	f->ring_head = 0;
	return 0;
}

static void ring_pop(struct fam *f)
{
	f->ring_head = (f->ring_head + 1) & (f->ring_cap - 1);
	f->ring_n--;
}

/* Oldest freed address still free (stale entries can only come from a
 * restore after allocations began; they are dropped here). */
static bool ring_peek(const struct pool *p, struct fam *f, uint8_t out[16])
{
	for (; f->ring_n; ring_pop(f))
		if (!find_addr(p, f->family, f->ring[f->ring_head])) {
			memcpy(out, f->ring[f->ring_head], 16);
			return true;
		}
	return false;
}

/* ---- offline FIFO ------------------------------------------------------ */

static int64_t since_of(const struct list_node *n)
{
	return list_entry(n, struct lease, fifo)->since;
}

static struct list_node *merge(struct list_node *a, struct list_node *b)
{
	struct list_node head, *t = &head;
	while (a && b) {
		if (since_of(b) < since_of(a)) {
			t->next = b;
			b = b->next;
		} else {
			t->next = a;
			a = a->next;
		}
		t = t->next;
	}
	t->next = a ? a : b;
	return head.next;
}

/* Stable bottom-up merge sort of the list by `since`, O(n log n), no
 * allocation: bins[k] holds a sorted run of 2^k earlier nodes. */
static void fifo_sort(struct fam *f)
{
	struct list_node *head = &f->offline;
	f->unsorted = false;
	if (list_empty(head))
		return;
	struct list_node *bins[64] = { NULL };
	head->prev->next = NULL;
	for (struct list_node *n = head->next, *next; n; n = next) {
		next = n->next;
		n->next = NULL;
		size_t k = 0;
		for (; k < 63 && bins[k]; k++) {
			n = merge(bins[k], n);
			bins[k] = NULL;
		}
		bins[k] = bins[k] ? merge(bins[k], n) : n;
	}
	struct list_node *all = NULL;
	for (size_t k = 0; k < 64; k++)
		if (bins[k])
			all = all ? merge(bins[k], all) : bins[k];
	struct list_node *prev = head;
	for (struct list_node *n = all; n; n = n->next) {
		n->prev = prev;
		prev = n;
	}
	head->next = all;
	head->prev = prev;
	prev->next = head;
}

static void fifo_append(struct fam *f, struct lease *l)
{
	if (!list_empty(&f->offline) && since_of(f->offline.prev) > l->since)
		f->unsorted = true;	/* restored out of order, or the clock stepped back */
	list_add(&f->offline, &l->fifo);
}

static bool expired(const struct pool *p, const struct lease *l, time_t now)
{
	/* unsigned difference: since comes from the store and may be anything */
	return l->since <= (int64_t)now &&
	       (uint64_t)now - (uint64_t)l->since >= p->lease_time;
}

/* The oldest OFFLINE lease of f if its lease_time has passed, else NULL. */
static struct lease *oldest_expired(const struct pool *p, struct fam *f, time_t now)
{
	if (f->unsorted)
		fifo_sort(f);
	if (list_empty(&f->offline))
		return NULL;
	struct lease *l = list_entry(f->offline.next, struct lease, fifo);
	return expired(p, l, now) ? l : NULL;
}

/* ---- records and state ------------------------------------------------- */

static struct lease *lease_new(const struct pool_set *s, const char *id, int family)
{
	size_t len = strlen(id);
	size_t sz = offsetof(struct lease, identity) + len + 1;
	struct lease *l = calloc(1, sz < sizeof(*l) ? sizeof(*l) : sz);
	if (!l)
		return NULL;
	memcpy(l->identity, id, len + 1);
	l->family = (uint8_t)family;
	l->hid = id_hash(s, id, family);
	list_init(&l->fifo);
	return l;
}

static void count(struct pool *p, const struct lease *l, int delta)
{
	if (l->state == LEASE_ONLINE)
		p->online += (uint64_t)delta;
	else if (l->state == LEASE_OFFLINE)
		p->offline += (uint64_t)delta;
	if (l->is_static)
		p->statics += (uint64_t)delta;
}

static void set_state(struct pool *p, struct lease *l, enum lease_state st, time_t now)
{
	struct fam *f = fam_of(p, l->family);
	count(p, l, -1);
	list_del(&l->fifo);
	l->state = (uint8_t)st;
	l->since = now;
	count(p, l, +1);
	if (st == LEASE_OFFLINE && !l->is_static)
		fifo_append(f, l);
}

/* Tables must have been reserved by the caller. */
static void lease_insert(struct pool *p, struct lease *l)
{
	tab_put(p->set, &p->by_addr, l);
	tab_put(p->set, &p->by_id, l);
	count(p, l, +1);
	if (l->state == LEASE_OFFLINE && !l->is_static)
		fifo_append(fam_of(p, l->family), l);
}

static int lease_reserve(struct pool *p)
{
	int r = tab_reserve(p->set, &p->by_addr);
	return r ? r : tab_reserve(p->set, &p->by_id);
}

/* Forget a lease; its address goes to the ring if the cursor already passed
 * it (ring_reserve() must have succeeded when `to_ring`). */
static void lease_drop(struct pool *p, struct lease *l, bool to_ring)
{
	struct fam *f = fam_of(p, l->family);
	tab_del(p->set, &p->by_addr, l);
	tab_del(p->set, &p->by_id, l);
	list_del(&l->fifo);
	count(p, l, -1);
	if (to_ring && behind_cursor(f, l->addr)) {
		memcpy(f->ring[(f->ring_head + f->ring_n) & (f->ring_cap - 1)], l->addr, 16);
		f->ring_n++;
	}
	free(l);
}

static void make_info(const struct pool *p, const char *id, int family, const uint8_t *a,
		      enum lease_state st, int64_t since, bool is_static, struct pool_lease_info *out)
{
	memset(out, 0, sizeof(*out));
	out->pool = p->name;
	out->identity = id;
	to_sockaddr(family, a, &out->addr);
	out->state = st;
	out->since = (time_t)since;
	out->is_static = is_static;
}

static void lease_info(const struct pool *p, const struct lease *l, struct pool_lease_info *out)
{
	make_info(p, l->identity, l->family, l->addr, (enum lease_state)l->state, l->since,
		  l->is_static, out);
}

static int persist_save(const struct pool *p, const char *id, int family, const uint8_t *a,
			enum lease_state st, time_t since, bool is_static)
{
	const struct pool_persist *ps = &p->set->persist;
	if (!ps->save)
		return 0;
	struct pool_lease_info info;
	make_info(p, id, family, a, st, since, is_static, &info);
	int r = ps->save(ps->arg, &info);
	return r > 0 ? -EIO : r;	/* non-zero refuses; keep the 0/-errno convention */
}

static int persist_remove(const struct pool_set *s, const char *pool, int family, const uint8_t *a)
{
	if (!s->persist.remove)
		return 0;
	struct sockaddr_storage ss;
	to_sockaddr(family, a, &ss);
	int r = s->persist.remove(s->persist.arg, pool, (const struct sockaddr *)&ss);
	return r > 0 ? -EIO : r;
}

/* ---- set and pools ----------------------------------------------------- */

struct pool_set *pool_set_new(const struct pool_persist *persist)
{
	struct pool_set *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (persist)
		s->persist = *persist;
	/* a guessable key would defeat SipHash: no weak fallback (Linux >= 3.17) */
	uint64_t k[3];
	if (getrandom(k, sizeof(k), 0) != (ssize_t)sizeof(k)) {
		free(s);
		return NULL;
	}
	s->key[0] = k[0];
	s->key[1] = k[1];
	s->akey = k[2];
	return s;
}

static void fam_free(struct fam *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->r[i].text);
	free(f->r);
	free(f->ring);
}

static void pool_free(struct pool *p)
{
	if (!p)
		return;
	if (p->by_addr.slot)
		for (size_t i = 0; i <= p->by_addr.mask; i++)
			free(untag(p->by_addr.slot[i]));
	free(p->by_addr.slot);
	free(p->by_id.slot);
	fam_free(&p->v4);
	fam_free(&p->v6);
	free(p->name);
	free(p);
}

void pool_set_free(struct pool_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		pool_free(set->pools[i]);
	free(set->pools);
	free(set);
}

struct pool *pool_find(const struct pool_set *set, const char *name)
{
	for (size_t i = 0; name && i < set->n; i++)
		if (!strcmp(set->pools[i]->name, name))
			return set->pools[i];
	return NULL;
}

const char *pool_name(const struct pool *p)
{
	return p->name;
}

static void perr(struct diag *d, const char *pool, const char *fmt, ...) KANMON_PRINTF(3, 4);
static void perr(struct diag *d, const char *pool, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d)
		diag_add(d, "pool '%s': %s", pool, msg);
}

/* The first range of fam `f` that overlaps [lo, hi] (whole prefixes), or NULL. */
static const struct range *overlap(const struct fam *f, const uint8_t *lo, const uint8_t *hi)
{
	for (size_t i = 0; i < f->n; i++)
		if (memcmp(lo, f->r[i].raw_hi, 16) <= 0 && memcmp(f->r[i].raw_lo, hi, 16) <= 0)
			return &f->r[i];
	return NULL;
}

/* Parses one range into p; 0, -EINVAL (reported) or -ENOMEM. */
static int add_range(struct pool_set *set, struct pool *p, const char *text, struct diag *d)
{
	struct range rg = { .text = NULL };
	int family;
	/* the configuration schema (KANMON_CONF_RANGE) explains typos in detail */
	if (!text || conf_parse_range(text, rg.raw_lo, rg.raw_hi, &family)) {
		perr(d, p->name, "range \"%s\" is neither \"FIRST-LAST\" (one family, FIRST <= LAST) "
		     "nor a prefix \"NETWORK/LENGTH\" without host bits", text ? text : "(null)");
		return -EINVAL;
	}
	memcpy(rg.lo, rg.raw_lo, 16);
	memcpy(rg.hi, rg.raw_hi, 16);
	const char *slash = strchr(text, '/');
	unsigned plen = slash ? (unsigned)atoi(slash + 1) : 0;
	if (slash && family == AF_INET && plen <= 30) {
		/* network and broadcast addresses (RFC 3021 /31 and /32 have neither) */
		addr_inc(rg.lo, family);
		addr_dec(rg.hi, family);
	} else if (slash && family == AF_INET6 && plen <= 126) {
		/* the subnet-router anycast address (RFC 4291 2.6.1; /127 per RFC 6164) */
		addr_inc(rg.lo, family);
	}

	struct fam *f = fam_of(p, family);
	const struct range *o = overlap(f, rg.raw_lo, rg.raw_hi);
	if (o) {
		perr(d, p->name, "range \"%s\" overlaps range \"%s\" of the same pool", text, o->text);
		return -EINVAL;
	}
	int bad = 0;
	for (size_t i = 0; i < set->n; i++) {
		if (set->pools[i] == p)
			continue;
		o = overlap(fam_of(set->pools[i], family), rg.raw_lo, rg.raw_hi);
		if (o) {
			perr(d, p->name, "range \"%s\" overlaps pool '%s' (range \"%s\")", text,
			     set->pools[i]->name, o->text);
			bad = -EINVAL;
		}
	}
	if (bad)
		return bad;

	struct range *r = realloc(f->r, (f->n + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	f->r = r;
	rg.text = strdup(text);
	if (!rg.text)
		return -ENOMEM;
	if (!f->n)
		memcpy(f->cur, rg.lo, 16);	/* the cursor starts at the first range */
	f->r[f->n++] = rg;
	uint64_t sz = range_size(rg.lo, rg.hi, family);
	f->size = f->size + sz >= SIZE_CAP || f->size + sz < f->size ? SIZE_CAP : f->size + sz;
	return 0;
}

/* One static reservation; 0, -EINVAL (reported) or -ENOMEM. */
static int add_static(struct pool *p, const struct pool_static *st, struct diag *d)
{
	uint8_t a[16] = { 0 };
	int family;
	char buf[INET6_ADDRSTRLEN];
	const char *id = st->identity, *text = st->address ? st->address : "(null)";
	if (!id || !*id) {
		perr(d, p->name, "static address \"%s\" has an empty identity", text);
		return -EINVAL;
	}
	if (!st->address || conf_parse_addr(st->address, a, &family)) {
		perr(d, p->name, "static address \"%s\" for '%s' is not an IP address", text, id);
		return -EINVAL;
	}
	struct fam *f = fam_of(p, family);
	if (range_of(f, a) < 0) {
		bool raw = overlap(f, a, a);	/* in a prefix, but not a usable address */
		perr(d, p->name, "static address \"%s\" for '%s' is %s", text, id,
		     raw ? "a network, broadcast or anycast address, never handed out"
			 : "outside the pool's ranges");
		return -EINVAL;
	}
	const struct lease *other = find_addr(p, family, a);
	if (other) {
		perr(d, p->name, "static address \"%s\" is given to both '%s' and '%s'", text,
		     other->identity, id);
		return -EINVAL;
	}
	other = find_id(p, id, family, id_hash(p->set, id, family));
	if (other) {
		perr(d, p->name, "'%s' has two static %s addresses (\"%s\" and \"%s\")", id,
		     family == AF_INET ? "IPv4" : "IPv6", ntop(family, other->addr, buf, sizeof(buf)),
		     text);
		return -EINVAL;
	}
	if (lease_reserve(p))
		return -ENOMEM;
	struct lease *l = lease_new(p->set, id, family);
	if (!l)
		return -ENOMEM;
	memcpy(l->addr, a, 16);
	l->state = LEASE_OFFLINE;	/* reserved, no session yet */
	l->is_static = 1;
	lease_insert(p, l);
	return 0;
}

/* Keeps the first error, but running out of memory outranks a bad setting. */
static int worst(int a, int b)
{
	return !a || b == -ENOMEM ? b : a;
}

int pool_add(struct pool_set *set, const struct pool_config *cfg, struct diag *d)
{
	const char *name = cfg->name ? cfg->name : "";
	int ret = 0;
	if (!*name) {
		if (d)
			diag_add(d, "pool: a pool needs a name");
		return -EINVAL;
	}
	if (pool_find(set, name)) {
		perr(d, name, "a pool with this name already exists");
		return -EINVAL;
	}
	struct pool **pools = realloc(set->pools, (set->n + 1) * sizeof(*pools));
	if (!pools)
		return -ENOMEM;
	set->pools = pools;
	struct pool *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->set = set;
	p->lease_time = cfg->lease_time;
	p->v4.family = AF_INET;
	p->v6.family = AF_INET6;
	list_init(&p->v4.offline);
	list_init(&p->v6.offline);
	p->name = strdup(name);
	if (!p->name || tab_init(&p->by_addr, false) || tab_init(&p->by_id, true)) {
		ret = -ENOMEM;
		goto cleanup;
	}
	if (!cfg->n_ranges) {
		perr(d, name, "no address ranges");
		ret = -EINVAL;
	}
	/* report every problem, not just the first (kanmond -t); statics are
	 * checked against the ranges, so only once those are right */
	for (size_t i = 0; i < cfg->n_ranges; i++)
		ret = worst(ret, add_range(set, p, cfg->ranges[i], d));
	if (ret)
		goto cleanup;
	for (size_t i = 0; i < cfg->n_statics; i++)
		ret = worst(ret, add_static(p, &cfg->statics[i], d));
	if (ret)
		goto cleanup;
	set->pools[set->n++] = p;
	return 0;
cleanup:
	if (ret == -ENOMEM)
		perr(d, name, "out of memory");
	pool_free(p);
	return ret;
}

/* ---- leases ------------------------------------------------------------ */

int pool_acquire(struct pool *p, const char *identity, int family, time_t now,
		 struct sockaddr_storage *out)
{
	if (!identity || !*identity)
		return -EINVAL;
	struct fam *f = fam_of(p, family);
	if (!f || !f->n)
		return -EAFNOSUPPORT;
	uint32_t hid = id_hash(p->set, identity, family);
	struct lease *l = find_id(p, identity, family, hid);
	if (l) {
		if (l->state != LEASE_ONLINE) {
			int r = persist_save(p, l->identity, family, l->addr, LEASE_ONLINE, now,
					     l->is_static);
			if (r)
				return r;
			set_state(p, l, LEASE_ONLINE, now);
		}
		if (out)
			to_sockaddr(family, l->addr, out);
		return 0;
	}

	int r = lease_reserve(p);
	if (r)
		return r;
	l = lease_new(p->set, identity, family);
	if (!l)
		return -ENOMEM;
	struct lease *victim = NULL;
	enum { FROM_CURSOR, FROM_RING, FROM_OFFLINE } from;
	if (cursor_peek(p, f, l->addr))
		from = FROM_CURSOR;
	else if (ring_peek(p, f, l->addr))
		from = FROM_RING;
	else if ((victim = oldest_expired(p, f, now))) {
		from = FROM_OFFLINE;
		memcpy(l->addr, victim->addr, 16);
	} else {
		r = -ENOSPC;
		goto cleanup;
	}
	/* One save: the store is keyed by (pool, address), so taking over an
	 * expired lease is a single update, never a remove-then-insert gap. */
	r = persist_save(p, identity, family, l->addr, LEASE_ONLINE, now, false);
	if (r)
		goto cleanup;
	if (from == FROM_CURSOR)
		cursor_step(f);
	else if (from == FROM_RING)
		ring_pop(f);
	else
		lease_drop(p, victim, false);
	l->state = LEASE_ONLINE;
	l->since = now;
	lease_insert(p, l);
	if (out)
		to_sockaddr(family, l->addr, out);
	return 0;
cleanup:
	free(l);
	return r;
}

int pool_release(struct pool *p, const char *identity, const struct sockaddr *addr, time_t now)
{
	uint8_t a[16];
	int family;
	if (!identity || from_sockaddr(addr, &family, a))
		return -ENOENT;
	struct lease *l = find_addr(p, family, a);
	if (!l || strcmp(l->identity, identity))
		return -ENOENT;
	if (l->state == LEASE_OFFLINE)
		return 0;	/* already released: a repeated release is harmless */
	int r = persist_save(p, l->identity, family, l->addr, LEASE_OFFLINE, now, l->is_static);
	if (r)
		return r;
	set_state(p, l, LEASE_OFFLINE, now);
	return 0;
}

static size_t expire_fam(struct pool *p, struct fam *f, time_t now)
{
	size_t n = 0;
	struct lease *l;
	while ((l = oldest_expired(p, f, now))) {
		int r = ring_reserve(f);
		if (!r)
			r = persist_remove(p->set, p->name, l->family, l->addr);
		if (r) {
			char buf[INET6_ADDRSTRLEN];
			log_warn("pool", "pool '%s': cannot expire the lease of %s on %s: %s; "
				 "will retry", p->name, ntop(l->family, l->addr, buf, sizeof(buf)),
				 l->identity, strerror(-r));
			break;
		}
		lease_drop(p, l, true);
		n++;
	}
	return n;
}

size_t pool_expire(struct pool_set *set, time_t now)
{
	size_t n = 0;
	for (size_t i = 0; i < set->n; i++) {
		n += expire_fam(set->pools[i], &set->pools[i]->v4, now);
		n += expire_fam(set->pools[i], &set->pools[i]->v6, now);
	}
	return n;
}

int pool_restore(struct pool_set *set, const struct pool_lease_info *l, time_t now)
{
	uint8_t a[16];
	int family;
	if (!l || !l->pool || from_sockaddr((const struct sockaddr *)&l->addr, &family, a))
		return -EINVAL;
	struct pool *p = pool_find(set, l->pool);
	struct fam *f = p ? fam_of(p, family) : NULL;
	if (!p || range_of(f, a) < 0 || !l->identity || !*l->identity ||
	    (l->state != LEASE_ONLINE && l->state != LEASE_OFFLINE))
		return persist_remove(set, l->pool, family, a);

	/* sessions died with the previous process; offline ones keep their clock */
	int64_t since = l->state == LEASE_ONLINE ? (int64_t)now : (int64_t)l->since;
	uint32_t hid = id_hash(set, l->identity, family);
	struct lease *at = find_addr(p, family, a);
	struct lease *mine = find_id(p, l->identity, family, hid);
	if (at && at == mine) {
		if (at->is_static && at->state == LEASE_OFFLINE)
			at->since = since;	/* the static's history, from the store */
		return 0;
	}
	if (at && at->is_static)
		return persist_remove(set, l->pool, family, a);	/* now reserved for someone else */
	if (at)
		return -EEXIST;				/* two stored leases on one address */
	if (mine)
		return persist_remove(set, l->pool, family, a);	/* one lease per identity and family */

	int r = lease_reserve(p);
	if (r)
		return r;
	struct lease *nl = lease_new(set, l->identity, family);
	if (!nl)
		return -ENOMEM;
	memcpy(nl->addr, a, 16);
	nl->state = LEASE_OFFLINE;
	nl->since = since;
	lease_insert(p, nl);
	return 0;
}

/* ---- queries ----------------------------------------------------------- */

static int found(const struct pool *p, const struct lease *l, struct pool_lease_info *out)
{
	if (l && out)
		lease_info(p, l, out);
	return l ? 0 : -ENOENT;
}

int pool_lookup_addr(const struct pool *p, const struct sockaddr *addr, struct pool_lease_info *out)
{
	uint8_t a[16];
	int family;
	return from_sockaddr(addr, &family, a) ? -ENOENT : found(p, find_addr(p, family, a), out);
}

int pool_lookup_identity(const struct pool *p, const char *identity, int family,
			 struct pool_lease_info *out)
{
	if (!identity || (family != AF_INET && family != AF_INET6))
		return -ENOENT;
	return found(p, find_id(p, identity, family, id_hash(p->set, identity, family)), out);
}

void pool_get_stats(const struct pool *p, struct pool_stats *st)
{
	st->size4 = p->v4.size;
	st->size6 = p->v6.size;
	st->online = p->online;
	st->offline = p->offline;
	st->statics = p->statics;
}

int pool_foreach(const struct pool_set *set, int (*cb)(const struct pool_lease_info *l, void *arg),
		 void *arg)
{
	struct pool_lease_info info;
	for (size_t i = 0; i < set->n; i++) {
		const struct pool *p = set->pools[i];
		for (size_t j = 0; j <= p->by_addr.mask; j++) {
			if (!p->by_addr.slot[j])
				continue;
			lease_info(p, untag(p->by_addr.slot[j]), &info);
			int r = cb(&info, arg);
			if (r)
				return r;
		}
	}
	return 0;
}
