/* SPDX-License-Identifier: MIT */
/*
 * ikev2_sa.c - the IKE SA table: lookup by our SPI (every message after
 * IKE_SA_INIT) and by (SPIi, peer address) (IKE_SA_INIT retransmissions),
 * states with the half-open count the limits use, one timer per SA, the
 * cached response for retransmits. Keys are wiped when an SA is freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "ikev2.h"

/* ---- SipHash-2-4: (SPIi, peer) are chosen by the peer, so that table is keyed ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                          \
	do {                                                              \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                    \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                    \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t ikev2_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	uint64_t b = (uint64_t)len << 56;
	size_t i;
	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t m = le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- table ----------------------------------------------------------------- */

static size_t addr_bytes(const struct sockaddr_storage *a, const uint8_t **p)
{
	if (a->ss_family == AF_INET) {
		*p = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
		return 4;
	}
	if (a->ss_family == AF_INET6) {
		*p = (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
		return 16;
	}
	*p = NULL;
	return 0;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const uint8_t *pa, *pb;
	size_t la = addr_bytes(a, &pa), lb = addr_bytes(b, &pb);
	return a->ss_family == b->ss_family && la == lb && la && !memcmp(pa, pb, la);
}

static size_t hash_r(const struct ikev2_sa_table *t, const uint8_t spi_r[8])
{
	/* our SPIs are random: their bits are a fine hash */
	return (size_t)(le64(spi_r) & (t->buckets - 1));
}

static size_t hash_i(const struct ikev2_sa_table *t, const uint8_t spi_i[8], const struct sockaddr_storage *peer)
{
	uint8_t k[8 + 16] = { 0 };
	const uint8_t *a;
	size_t al = addr_bytes(peer, &a);
	memcpy(k, spi_i, 8);
	if (al)
		memcpy(k + 8, a, al);
	return (size_t)(ikev2_siphash(t->key, k, 8 + al) & (t->buckets - 1));
}

int ikev2_sa_table_init(struct ikev2_sa_table *t, size_t buckets)
{
	memset(t, 0, sizeof(*t));
	size_t b = 16;
	while (b < buckets)
		b <<= 1;
	t->by_r = calloc(b, sizeof(*t->by_r));
	t->by_i = calloc(b, sizeof(*t->by_i));
	if (!t->by_r || !t->by_i) {
		free(t->by_r);
		free(t->by_i);
		return -ENOMEM;
	}
	t->buckets = b;
	if (gnutls_rnd(GNUTLS_RND_RANDOM, t->key, sizeof(t->key)))
		return -EIO;
	return 0;
}

/* doubles the buckets when the table gets crowded; failure just keeps the old size */
static void table_grow(struct ikev2_sa_table *t)
{
	size_t nb = t->buckets * 2;
	struct ikev2_sa **r = calloc(nb, sizeof(*r)), **i = calloc(nb, sizeof(*i));
	if (!r || !i) {
		free(r);
		free(i);
		return;
	}
	struct ikev2_sa_table n = *t;
	n.by_r = r;
	n.by_i = i;
	n.buckets = nb;
	for (size_t k = 0; k < t->buckets; k++) {
		for (struct ikev2_sa *sa = t->by_r[k], *next; sa; sa = next) {
			next = sa->next_r;
			size_t h = hash_r(&n, sa->spi_r);
			sa->next_r = r[h];
			r[h] = sa;
		}
		for (struct ikev2_sa *sa = t->by_i[k], *next; sa; sa = next) {
			next = sa->next_i;
			size_t h = hash_i(&n, sa->spi_i, &sa->peer);
			sa->next_i = i[h];
			i[h] = sa;
		}
	}
	free(t->by_r);
	free(t->by_i);
	*t = n;
}

struct ikev2_sa *ikev2_sa_by_r(struct ikev2 *ctx, const uint8_t spi_r[8])
{
	struct ikev2_sa_table *t = &ctx->sas;
	for (struct ikev2_sa *sa = t->by_r[hash_r(t, spi_r)]; sa; sa = sa->next_r)
		if (!memcmp(sa->spi_r, spi_r, 8))
			return sa;
	return NULL;
}

struct ikev2_sa *ikev2_sa_by_i(struct ikev2 *ctx, const uint8_t spi_i[8], const struct sockaddr_storage *peer)
{
	struct ikev2_sa_table *t = &ctx->sas;
	for (struct ikev2_sa *sa = t->by_i[hash_i(t, spi_i, peer)]; sa; sa = sa->next_i)
		if (!memcmp(sa->spi_i, spi_i, 8) && same_addr(&sa->peer, peer))
			return sa;
	return NULL;
}

static void unlink_sa(struct ikev2_sa_table *t, struct ikev2_sa *sa)
{
	struct ikev2_sa **pp;
	for (pp = &t->by_r[hash_r(t, sa->spi_r)]; *pp && *pp != sa; pp = &(*pp)->next_r)
		;
	if (*pp)
		*pp = sa->next_r;
	for (pp = &t->by_i[hash_i(t, sa->spi_i, &sa->peer)]; *pp && *pp != sa; pp = &(*pp)->next_i)
		;
	if (*pp)
		*pp = sa->next_i;
}

int ikev2_sa_new_spi(struct ikev2 *ctx, uint8_t spi_r[8])
{
	static const uint8_t zero[8];
	do {
		if (gnutls_rnd(GNUTLS_RND_NONCE, spi_r, 8))
			return -EIO;
	} while (!memcmp(spi_r, zero, 8) || ikev2_sa_by_r(ctx, spi_r));
	return 0;
}

static void link_sa(struct ikev2_sa_table *t, struct ikev2_sa *sa)
{
	if (t->count + 1 > t->buckets && t->buckets < (1u << 20))
		table_grow(t);
	size_t hr = hash_r(t, sa->spi_r), hi = hash_i(t, sa->spi_i, &sa->peer);
	sa->next_r = t->by_r[hr];
	t->by_r[hr] = sa;
	sa->next_i = t->by_i[hi];
	t->by_i[hi] = sa;
	t->count++;
}

struct ikev2_sa *ikev2_sa_new(struct ikev2 *ctx, const uint8_t spi_i[8], const struct kanmon_pkt *pkt)
{
	struct ikev2_sa_table *t = &ctx->sas;
	struct ikev2_sa *sa = calloc(1, sizeof(*sa));
	if (!sa)
		return NULL;
	sa->ctx = ctx;
	memcpy(sa->spi_i, spi_i, 8);
	if (ikev2_sa_new_spi(ctx, sa->spi_r)) {
		free(sa);
		return NULL;
	}
	sa->peer = pkt->peer;
	sa->local = pkt->local;
	sa->port = pkt->port;
	sa->pkt_flags = pkt->flags & KANMON_PKT_NON_ESP_MARKER;
	ikev2_addr_str(&sa->peer, sa->peer_str, sizeof(sa->peer_str));
	sa->created_ms = ctx->now_ms();
	sa->state = IKEV2_HALF_OPEN;
	/* without its timer an SA would never expire: no timer, no SA */
	if (ctx->host->timer_new && !(sa->timer = ctx->host->timer_new(ctx->host, ikev2_sa_expired, sa))) {
		free(sa);
		return NULL;
	}
	link_sa(t, sa);
	t->half_open++;
	return sa;
}

struct ikev2_sa *ikev2_sa_split(struct ikev2 *ctx, struct ikev2_sa *sa, const uint8_t new_spi_i[8],
				const uint8_t new_spi_r[8])
{
	struct ikev2_sa *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	if (ctx->host->timer_new && !(h->timer = ctx->host->timer_new(ctx->host, ikev2_sa_expired, h))) {
		free(h);
		return NULL;
	}
	/* the husk: old SPIs, keys and windows, no client state */
	h->ctx = ctx;
	memcpy(h->spi_i, sa->spi_i, 8);
	memcpy(h->spi_r, sa->spi_r, 8);
	h->peer = sa->peer;
	h->local = sa->local;
	h->port = sa->port;
	h->pkt_flags = sa->pkt_flags;
	h->state = IKEV2_ESTABLISHED;
	h->created_ms = sa->created_ms;
	h->suite = sa->suite;
	h->keys = sa->keys;
	h->iv_seq = sa->iv_seq;
	h->next_msgid = sa->next_msgid;
	h->last_exchange = sa->last_exchange;
	h->my_msgid = sa->my_msgid;
	h->frag = sa->frag;
	h->peer_frag_max = sa->peer_frag_max;
	h->nat_peer = sa->nat_peer;
	h->nat_local = sa->nat_local;
	memcpy(h->peer_str, sa->peer_str, sizeof(h->peer_str));
	/* the client deletes the old IKE SA at once; a husk it forgets goes after a minute */
	ikev2_sa_arm(h, 60000);

	/* sa moves to the new SPIs with fresh windows */
	unlink_sa(&ctx->sas, sa);
	ctx->sas.count--;
	ikev2_req_free(ctx, sa);	/* an outstanding request of ours belonged to the old SPIs */
	sa->req_kind = IKEV2_REQ_NONE;
	for (size_t i = 0; i < sa->n_resp; i++)
		ikev2_buf_free(&sa->resp[i]);
	free(sa->resp);
	sa->resp = NULL;
	sa->n_resp = 0;
	ikev2_reasm_reset(&sa->reasm, &ctx->frag_budget);
	memcpy(sa->spi_i, new_spi_i, 8);
	memcpy(sa->spi_r, new_spi_r, 8);
	sa->next_msgid = 0;
	sa->my_msgid = 0;
	sa->iv_seq = 0;
	link_sa(&ctx->sas, sa);
	link_sa(&ctx->sas, h);
	return h;
}

void ikev2_sa_set_state(struct ikev2 *ctx, struct ikev2_sa *sa, enum ikev2_state st)
{
	if (sa->state == IKEV2_HALF_OPEN && st != IKEV2_HALF_OPEN && ctx->sas.half_open)
		ctx->sas.half_open--;
	sa->state = st;
}

static void free_resp(struct ikev2_sa *sa)
{
	for (size_t i = 0; i < sa->n_resp; i++)
		ikev2_buf_free(&sa->resp[i]);
	free(sa->resp);
	sa->resp = NULL;
	sa->n_resp = 0;
}

void ikev2_sa_free(struct ikev2 *ctx, struct ikev2_sa *sa)
{
	if (!sa)
		return;
	ikev2_session_end(ctx, sa, "IKE SA removed");
	unlink_sa(&ctx->sas, sa);
	ctx->sas.count--;
	if (sa->state == IKEV2_HALF_OPEN && ctx->sas.half_open)
		ctx->sas.half_open--;
	if (sa->timer)
		ctx->host->timer_free(sa->timer);
	if (sa->keepalive)
		ctx->host->timer_free(sa->keepalive);
	ikev2_req_free(ctx, sa);
	ikev2_reasm_reset(&sa->reasm, &ctx->frag_budget);
	free_resp(sa);
	free(sa->init_req);
	free(sa->init_resp);
	ikev2_keys_wipe(&sa->keys);
	gnutls_memset(sa, 0, sizeof(*sa));
	free(sa);
}

void ikev2_sa_table_free(struct ikev2 *ctx)
{
	struct ikev2_sa_table *t = &ctx->sas;
	if (!t->by_r)
		return;
	for (size_t k = 0; k < t->buckets; k++)
		while (t->by_r[k])
			ikev2_sa_free(ctx, t->by_r[k]);
	free(t->by_r);
	free(t->by_i);
	free(t->by_id);
	t->by_r = t->by_i = t->by_id = NULL;
}

/* ---- the identity index --------------------------------------------------- */

static size_t hash_id(const struct ikev2_sa_table *t, const char *identity, size_t buckets)
{
	return (size_t)(ikev2_siphash(t->key, identity, strlen(identity)) & (buckets - 1));
}

static void id_grow(struct ikev2_sa_table *t)
{
	size_t nb = t->id_buckets ? t->id_buckets * 2 : 64;
	struct ikev2_sa **b = calloc(nb, sizeof(*b));
	if (!b)
		return;	/* longer chains, still correct */
	for (size_t k = 0; k < t->id_buckets; k++)
		for (struct ikev2_sa *sa = t->by_id[k], *next; sa; sa = next) {
			next = sa->next_id;
			size_t h = hash_id(t, sa->identity, nb);
			sa->next_id = b[h];
			b[h] = sa;
		}
	free(t->by_id);
	t->by_id = b;
	t->id_buckets = nb;
}

void ikev2_sa_id_link(struct ikev2 *ctx, struct ikev2_sa *sa)
{
	struct ikev2_sa_table *t = &ctx->sas;
	if (sa->id_linked || !sa->identity)
		return;
	if (t->id_count + 1 > t->id_buckets)
		id_grow(t);
	if (!t->id_buckets)
		return;
	size_t h = hash_id(t, sa->identity, t->id_buckets);
	sa->next_id = t->by_id[h];
	t->by_id[h] = sa;
	t->id_count++;
	sa->id_linked = true;
}

void ikev2_sa_id_unlink(struct ikev2 *ctx, struct ikev2_sa *sa)
{
	struct ikev2_sa_table *t = &ctx->sas;
	if (!sa->id_linked)
		return;
	struct ikev2_sa **pp = &t->by_id[hash_id(t, sa->identity, t->id_buckets)];
	while (*pp && *pp != sa)
		pp = &(*pp)->next_id;
	if (*pp)
		*pp = sa->next_id;
	t->id_count--;
	sa->id_linked = false;
}

size_t ikev2_sa_by_identity(struct ikev2 *ctx, const char *identity, const struct ikev2_sa *except,
			    struct ikev2_sa **out, size_t max)
{
	struct ikev2_sa_table *t = &ctx->sas;
	size_t n = 0;
	if (!t->id_buckets)
		return 0;
	for (struct ikev2_sa *sa = t->by_id[hash_id(t, identity, t->id_buckets)]; sa && n < max; sa = sa->next_id)
		if (sa != except && sa->state == IKEV2_ESTABLISHED && !strcmp(sa->identity, identity))
			out[n++] = sa;
	return n;
}

void ikev2_sa_arm(struct ikev2_sa *sa, uint64_t ms)
{
	if (sa->timer)
		sa->ctx->host->timer_arm(sa->timer, ms);
}

static void keepalive(void *arg)
{
	struct ikev2_sa *sa = arg;
	struct ikev2 *ctx = sa->ctx;
	static const uint8_t ff = 0xff;
	if (sa->state != IKEV2_ESTABLISHED)
		return;
	/* on the NAT-T port without the non-ESP marker: RFC 3948 2.3 */
	ctx->host->net_send(ctx->host, ctx->natt_port, (const struct sockaddr *)&sa->local,
			    (const struct sockaddr *)&sa->peer, &ff, 1, 0);
	ctx->host->timer_arm(sa->keepalive, IKEV2_KEEPALIVE_MS);
}

void ikev2_sa_keepalive_start(struct ikev2 *ctx, struct ikev2_sa *sa)
{
	if (!sa->nat_local || sa->keepalive || !ctx->host->timer_new)
		return;
	if ((sa->keepalive = ctx->host->timer_new(ctx->host, keepalive, sa)))
		ctx->host->timer_arm(sa->keepalive, IKEV2_KEEPALIVE_MS);
}

void ikev2_sa_expired(void *arg)
{
	struct ikev2_sa *sa = arg;
	struct ikev2 *ctx = sa->ctx;
	/* an established SA's timer is its liveness check (ikev2_req.c) */
	if (sa->state == IKEV2_ESTABLISHED && sa->child) {
		ikev2_liveness(ctx, sa);
		return;
	}
	/* our DELETE is out: its retransmissions (ikev2_req.c) decide when the SA goes */
	if (sa->state == IKEV2_DELETING && sa->req_kind != IKEV2_REQ_NONE)
		return;
	if (sa->state == IKEV2_HALF_OPEN) {
		ctx->st.half_open_expired++;
		if (ctx->host->log_enabled(ctx->host, KANMON_LOG_DEBUG))
			ctx->host->log(ctx->host, KANMON_LOG_DEBUG,
				       "client %s: no IKE_AUTH within %llu s, half-open IKE SA dropped", sa->peer_str,
				       (unsigned long long)(ctx->half_open_timeout_ms / 1000));
	}
	ikev2_sa_free(ctx, sa);
}

void ikev2_sa_cache(struct ikev2_sa *sa, struct ikev2_buf *bufs, size_t n)
{
	free_resp(sa);
	sa->resp = bufs;
	sa->n_resp = n;
}

void ikev2_sa_endpoint(struct ikev2_sa *sa, const struct kanmon_pkt *pkt)
{
	struct ikev2 *ctx = sa->ctx;
	if (sa->port == pkt->port && !memcmp(&sa->peer, &pkt->peer, sizeof(sa->peer)))
		return;
	/* the (SPIi, peer) key changes with the address: re-hash that chain */
	struct ikev2_sa_table *t = &ctx->sas;
	struct ikev2_sa **pp;
	for (pp = &t->by_i[hash_i(t, sa->spi_i, &sa->peer)]; *pp && *pp != sa; pp = &(*pp)->next_i)
		;
	if (*pp)
		*pp = sa->next_i;
	sa->peer = pkt->peer;
	sa->local = pkt->local;
	sa->port = pkt->port;
	sa->pkt_flags = pkt->flags & KANMON_PKT_NON_ESP_MARKER;
	size_t hi = hash_i(t, sa->spi_i, &sa->peer);
	sa->next_i = t->by_i[hi];
	t->by_i[hi] = sa;
	ikev2_addr_str(&sa->peer, sa->peer_str, sizeof(sa->peer_str));
	/* an authenticated request from elsewhere: NAT rebinding or MOBIKE; ESP follows */
	if (sa->child) {
		if (ctx->host->log_enabled(ctx->host, KANMON_LOG_INFO))
			ctx->host->log(ctx->host, KANMON_LOG_INFO, "client %s (%s): moved, CHILD SA updated", sa->peer_str,
				       sa->identity ? sa->identity : "?");
		ikev2_child_update(ctx, sa);
	}
}
