/* SPDX-License-Identifier: MIT */
/*
 * ku_transport.c - transport mode (L2TP/IPsec): decrypted UDP payloads go
 * to the plugin owning the port through host->net_deliver(), marked with
 * the SA (esp_spi, esp_reqid); that plugin's replies come back through the
 * core's net_send hook (ku_transport_output) and leave encrypted.
 *
 * Deliveries are queued and run from the loop after the batch that found
 * them, outside every lock: a plugin may well delete SAs while handling one.
 * Their buffers come from a fixed pool (KU_TNOTES), not from malloc.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ku.h"

#define KU_TNOTES 64

struct tpool {
	pthread_mutex_t lock;
	struct ku_note *free;
};

/* One pool per process is enough: one SA backend per daemon. */
static struct tpool pool = { PTHREAD_MUTEX_INITIALIZER, NULL };
static struct ku_note *pool_mem[KU_TNOTES];

int ku_transport_init(void)
{
	for (int i = 0; i < KU_TNOTES; i++) {
		pool_mem[i] = calloc(1, sizeof(struct ku_note) + KU_SLOT);
		if (!pool_mem[i])
			return -ENOMEM;
		pool_mem[i]->next = pool.free;
		pool.free = pool_mem[i];
	}
	return 0;
}

void ku_transport_fini(void)
{
	for (int i = 0; i < KU_TNOTES; i++) {
		free(pool_mem[i]);
		pool_mem[i] = NULL;
	}
	pool.free = NULL;
}

static struct ku_note *note_get(void)
{
	pthread_mutex_lock(&pool.lock);
	struct ku_note *n = pool.free;
	if (n)
		pool.free = n->next;
	pthread_mutex_unlock(&pool.lock);
	return n;
}

static void note_put(struct ku_note *n)
{
	pthread_mutex_lock(&pool.lock);
	n->next = pool.free;
	pool.free = n;
	pthread_mutex_unlock(&pool.lock);
}

static void to_ss(const struct ku_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a->a, 4);
	} else if (a->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, a->a, 16);
	}
}

static bool port_ok(const struct ku_sel *s, uint16_t port)
{
	/* ports and protocol only: behind NAT the selector addresses are the client's private ones */
	return !s->family || ((!s->proto || s->proto == IPPROTO_UDP) && port >= s->pfrom && port <= s->pto);
}

int ku_transport_input(struct ku_worker *w, struct ku_sa *sa, uint8_t *payload, size_t len,
		       const struct ku_addr *osrc, const struct ku_addr *odst)
{
	uint16_t sport, dport, ulen;
	if (len < 8)
		return KU_DROP_INNER;
	memcpy(&sport, payload, 2);
	memcpy(&dport, payload + 2, 2);
	memcpy(&ulen, payload + 4, 2);
	sport = ntohs(sport);
	dport = ntohs(dport);
	if (ntohs(ulen) < 8 || ntohs(ulen) > len)
		return KU_DROP_INNER;
	len = ntohs(ulen);
	/*
	 * The UDP checksum is not verified: ESP's ICV already vouches for the
	 * payload, and behind NAT it is computed over addresses we never see
	 * (RFC 3948 3.1.2; Linux does the same for transport-in-UDP).
	 */
	if (!port_ok(&sa->rts, sport) || !port_ok(&sa->lts, dport))
		return KU_DROP_POLICY;
	struct ku_note *n = note_get();
	if (!n)
		return KU_DROP_IO;	/* the loop is this far behind: like a full socket buffer */
	n->kind = 1;
	n->len = len - 8;
	memcpy(n->data, payload + 8, n->len);
	memset(&n->pkt, 0, sizeof(n->pkt));
	n->pkt.data = n->data;
	n->pkt.len = n->len;
	to_ss(osrc, sport, &n->pkt.peer);
	to_ss(odst, dport, &n->pkt.local);
	n->pkt.port = dport;
	n->pkt.esp_spi = sa->esp.spi;
	n->pkt.esp_reqid = sa->reqid;
	ku_note_push(w->ku, n);
	return KU_OK;
}

void ku_transport_deliver(struct ku *ku, struct ku_note *n)
{
	/* data may be consumed by the handler only during this call, as from a socket */
	n->pkt.data = n->data;
	ku->host->net_deliver(ku->host, &n->pkt);
	note_put(n);
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)(p[len - 1] << 8);
	return s;
}

static uint16_t udp_csum(const struct ku_addr *src, const struct ku_addr *dst, const uint8_t *udp, size_t len)
{
	size_t alen = src->family == AF_INET6 ? 16 : 4;
	uint32_t s = sum16(src->a, alen, 0);
	s = sum16(dst->a, alen, s);
	s += IPPROTO_UDP + (uint32_t)len;
	s = sum16(udp, len, s);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	uint16_t c = (uint16_t)~s;
	return c ? c : 0xffff;	/* RFC 768: 0 means "no checksum" */
}

int ku_transport_output(void *arg, uint16_t port, const struct sockaddr *local, const struct sockaddr *peer,
			const void *buf, size_t len, uint16_t pkt_flags)
{
	struct ku *ku = arg;
	struct ku_worker *w = ku->loopw;
	struct sockaddr_storage pss, lss;
	struct ku_addr dst, src;
	(void)pkt_flags;
	if (!peer || (peer->sa_family != AF_INET && peer->sa_family != AF_INET6))
		return 0;
	memset(&pss, 0, sizeof(pss));
	memcpy(&pss, peer, peer->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	ku_addr_from_ss(&dst, &pss);
	uint16_t dport = ntohs(peer->sa_family == AF_INET ? ((const struct sockaddr_in *)peer)->sin_port
							  : ((const struct sockaddr_in6 *)peer)->sin6_port);
	memset(&src, 0, sizeof(src));
	if (local && local->sa_family == peer->sa_family) {
		memset(&lss, 0, sizeof(lss));
		memcpy(&lss, local, local->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		ku_addr_from_ss(&src, &lss);
	}
	if (len + 8 > KU_SLOT - KU_HEAD - KU_ESP_TAILROOM)
		return -EMSGSIZE;
	int ret = 0;
	pthread_rwlock_rdlock(&ku->lock);
	/*
	 * Never IKE: its own packets must stay clear whatever the policies say
	 * (the kernel exempts IKE sockets with a socket policy).
	 */
	if (port == 500 || port == ku->natt_port)
		goto out;
	/* unknown source (local NULL): the policy's source port still has to match */
	struct ku_pol *p = ku_pol_lookup(ku, dst.family, src.family ? src.a : NULL, dst.a, IPPROTO_UDP, port,
					 dport);
	if (!p || p->mode != KANMON_SA_TRANSPORT)
		goto out;
	struct ku_sa *sa = ku_sa_by_reqid(ku, p->reqid);
	if (!sa) {
		ku_acquire(ku, p);
		w->st.drops[KU_DROP_NOSA]++;
		ret = -EHOSTUNREACH;
		goto out;
	}
	uint8_t *slot = w->slots;
	uint8_t *udp = slot + KU_HEAD;
	uint16_t v = htons(port);
	memcpy(udp, &v, 2);
	v = htons(dport);
	memcpy(udp + 2, &v, 2);
	v = htons((uint16_t)(len + 8));
	memcpy(udp + 4, &v, 2);
	memset(udp + 6, 0, 2);
	memcpy(udp + 8, buf, len);
	/* over the SA's outer addresses: they are the transport-mode IP header */
	v = htons(udp_csum(&sa->src, &sa->dst, udp, len + 8));
	memcpy(udp + 6, &v, 2);
	int r = ku_output(w, sa, slot, KU_HEAD, len + 8, IPPROTO_UDP);
	ku_flush(w);
	ret = r ? -EIO : 1;
out:
	pthread_rwlock_unlock(&ku->lock);
	return ret;
}
