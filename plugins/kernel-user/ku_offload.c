/* SPDX-License-Identifier: MIT */
/*
 * ku_offload.c - the TUN offloads of DESIGN.md section 3, which take the
 * per-packet syscalls and kernel stack traversals out of the data path:
 *  - out of TUN: with IFF_VNET_HDR and TUNSETOFFLOAD(TSO4/TSO6/CSUM) the
 *    kernel hands us TCP super-packets (up to 64 KiB): one read instead of
 *    ~45; we cut them into MSS-sized segments ourselves (ku_tso_segment);
 *  - into TUN: decrypted TCP segments of one flow within a batch are
 *    coalesced (userspace GRO) and written as one GSO packet
 *    (ku_tun_flush): one write and one pass through the TCP stack instead
 *    of one per segment;
 *  - ESP-in-UDP out: equal-sized ESP packets to one peer leave in one
 *    sendmsg with UDP_SEGMENT (UDP GSO), see ku_net.c.
 * Every checksum the kernel would have computed is computed here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <unistd.h>

#include "ku.h"

#define VNET_LEN ((size_t)sizeof(struct virtio_net_hdr))

/*
 * Ones' complement sum of p in network order, added to s. It is the hot
 * spot of segmentation (one pass over every payload byte): 8 bytes per step
 * in host order, folded and byte-swapped once at the end (RFC 1071 1.2:
 * the sum is byte-order independent up to that swap).
 */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	uint64_t acc = 0;
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		acc += v;
		acc += acc < v;	/* end-around carry */
	}
	for (; len >= 2; p += 2, len -= 2) {
		uint16_t v;
		memcpy(&v, p, 2);
		acc += v;
	}
	if (len) {
		uint16_t v = 0;
		memcpy(&v, p, 1);	/* the odd byte, padded with zero after it */
		acc += v;
	}
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	uint32_t x = (uint32_t)acc;
	x = (x & 0xffff) + (x >> 16);
	x = (x & 0xffff) + (x >> 16);
	uint16_t h = (uint16_t)x;
	if (*(const uint8_t *)&(uint16_t){ 1 })	/* little endian: back to network order */
		h = (uint16_t)(h >> 8 | h << 8);
	return s + h;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* Sum of the TCP/UDP pseudo header (RFC 793 / RFC 8200 8.1). */
static uint32_t pseudo(const uint8_t *ip, bool v6, uint8_t proto, size_t l4len)
{
	uint32_t s = v6 ? sum16(ip + 8, 32, 0) : sum16(ip + 12, 8, 0);
	return s + proto + (uint32_t)(l4len & 0xffff) + (uint32_t)(l4len >> 16);
}

static void ip4_csum(uint8_t *ip, size_t ihl)
{
	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~fold(sum16(ip, ihl, 0)));
}

void ku_csum_complete(uint8_t *pkt, size_t len, size_t start, size_t offset)
{
	/* the kernel left the pseudo-header sum in the field: sum from start, fold, invert */
	if (start + offset + 2 > len)
		return;
	uint16_t c = (uint16_t)~fold(sum16(pkt + start, len - start, 0));
	put16(pkt + start + offset, c);
}

int ku_tso_segment(struct ku_worker *w, const uint8_t *pkt, size_t len, size_t mss, bool v6,
		   void (*emit)(struct ku_worker *w, uint8_t *slot, size_t len, void *arg), void *arg)
{
	size_t ihl = v6 ? 40 : (size_t)(pkt[0] & 15) * 4;
	if (len < ihl + 20 || (v6 ? pkt[6] : pkt[9]) != IPPROTO_TCP)
		return -EINVAL;
	const uint8_t *tcp = pkt + ihl;
	size_t thl = (size_t)(tcp[12] >> 4) * 4, hlen = ihl + thl;
	if (thl < 20 || hlen > len || !mss || hlen + mss > KU_SLOT - KU_HEAD - KU_ESP_TAILROOM)
		return -EINVAL;
	uint32_t seq = get32(tcp + 4);
	uint16_t id = v6 ? 0 : get16(pkt + 4);
	uint8_t flags = tcp[13];
	size_t off = hlen;
	for (unsigned k = 0; off < len; k++) {
		size_t n = len - off < mss ? len - off : mss;
		bool last = off + n >= len;
		uint8_t *slot = ku_slot_next(w), *p = slot + KU_HEAD;
		memcpy(p, pkt, hlen);
		memcpy(p + hlen, pkt + off, n);
		if (v6) {
			put16(p + 4, (uint16_t)(thl + n));
		} else {
			put16(p + 2, (uint16_t)(hlen + n));
			put16(p + 4, (uint16_t)(id + k));	/* as the kernel's TSO does */
			ip4_csum(p, ihl);
		}
		uint8_t *t = p + ihl;
		put32(t + 4, seq + (uint32_t)(off - hlen));
		/* FIN and PSH belong to the last segment, CWR to the first (RFC 3168 6.1.2) */
		t[13] = (uint8_t)(flags & ~((last ? 0 : 0x09) | (k ? 0x80 : 0)));
		put16(t + 16, 0);
		put16(t + 16, (uint16_t)~fold(sum16(t, thl + n, pseudo(p, v6, IPPROTO_TCP, thl + n))));
		w->st.tso_segs++;
		emit(w, slot, hlen + n, arg);
		off += n;
	}
	return 0;
}

/* ---- into TUN: coalesce, then write ---------------------------------- */

struct seg {
	const uint8_t *p;
	size_t len, ihl, thl;
	bool v6;
};

static bool seg_parse(const uint8_t *p, size_t len, struct seg *s)
{
	s->p = p;
	s->len = len;
	if (len < 40)
		return false;
	if ((p[0] >> 4) == 4) {
		s->v6 = false;
		s->ihl = (size_t)(p[0] & 15) * 4;
		/* no IP options, no fragments: everything else goes out as it came */
		if (s->ihl != 20 || p[9] != IPPROTO_TCP || (get16(p + 6) & 0x3fff) || get16(p + 2) != len)
			return false;
	} else if ((p[0] >> 4) == 6) {
		s->v6 = true;
		s->ihl = 40;
		if (len < 60 || p[6] != IPPROTO_TCP || get16(p + 4) + 40u != len)
			return false;
	} else {
		return false;
	}
	s->thl = (size_t)(p[s->ihl + 12] >> 4) * 4;
	uint8_t fl = p[s->ihl + 13];
	/* plain data segments only: ACK, maybe PSH */
	return s->thl >= 20 && s->ihl + s->thl < len && (fl & ~0x08) == 0x10;
}

/* Does b continue a's flow right where a ends, with the same headers? */
static bool seg_follows(const struct seg *a, const struct seg *b, size_t mss)
{
	if (a->v6 != b->v6 || a->thl != b->thl || a->len - a->ihl - a->thl != mss)
		return false;
	const uint8_t *x = a->p, *y = b->p, *tx = x + a->ihl, *ty = y + b->ihl;
	if (a->v6 ? memcmp(x + 8, y + 8, 32) || (x[0] ^ y[0]) || x[1] != y[1] || x[7] != y[7]
		  : memcmp(x + 12, y + 12, 8) || x[1] != y[1] || x[8] != y[8] || (x[6] ^ y[6]))
		return false;
	if (a->p[a->ihl + 13] & 0x08)	/* PSH ends a run */
		return false;
	return !memcmp(tx, ty, 4) && get32(ty + 4) == get32(tx + 4) + (uint32_t)mss &&
	       !memcmp(tx + 8, ty + 8, 4) && !memcmp(tx + 14, ty + 14, 2) &&
	       !memcmp(tx + 20, ty + 20, a->thl - 20);	/* ack, window, options (timestamps) alike */
}

static void tun_write(struct ku_worker *w, const struct virtio_net_hdr *h, const uint8_t *p, size_t len)
{
	struct iovec iov[2] = { { (void *)h, VNET_LEN }, { (void *)p, len } };
	if (writev(w->tun_fd, iov, 2) < 0)
		w->st.drops[KU_DROP_IO]++;
	else
		w->st.tun_tx++;
}

void ku_tun_flush(struct ku_worker *w)
{
	struct virtio_net_hdr plain = { 0 };
	size_t i = 0;
	while (i < w->tq_n) {
		struct seg a, b;
		size_t j = i + 1;
		if (seg_parse(w->tq[i].p, w->tq[i].len, &a)) {
			size_t mss = a.len - a.ihl - a.thl, total = a.len;
			struct seg prev = a;
			while (j < w->tq_n && seg_parse(w->tq[j].p, w->tq[j].len, &b) && seg_follows(&prev, &b, mss) &&
			       total + b.len - b.ihl - b.thl <= 65000) {
				total += b.len - b.ihl - b.thl;
				prev = b;
				j++;
			}
			if (j - i > 1) {
				/* one GSO packet: first headers, every payload, last segment's flags */
				size_t hlen = a.ihl + a.thl;
				uint8_t *g = w->gro;
				memcpy(g, a.p, hlen);
				size_t off = hlen;
				for (size_t k = i; k < j; k++) {
					memcpy(g + off, w->tq[k].p + hlen, w->tq[k].len - hlen);
					off += w->tq[k].len - hlen;
				}
				g[a.ihl + 13] = prev.p[prev.ihl + 13];
				if (a.v6) {
					put16(g + 4, (uint16_t)(off - 40));
				} else {
					put16(g + 2, (uint16_t)off);
					ip4_csum(g, a.ihl);
				}
				/* CHECKSUM_PARTIAL convention: the field holds the folded pseudo-header sum */
				put16(g + a.ihl + 16, fold(pseudo(g, a.v6, IPPROTO_TCP, off - a.ihl)));
				struct virtio_net_hdr h = {
					.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					.gso_type = a.v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4,
					.hdr_len = (uint16_t)hlen,
					.gso_size = (uint16_t)mss,
					.csum_start = (uint16_t)a.ihl,
					.csum_offset = 16,
				};
				tun_write(w, &h, g, off);
				w->st.gro_merged += j - i;
				i = j;
				continue;
			}
		}
		tun_write(w, &plain, w->tq[i].p, w->tq[i].len);
		i++;
	}
	w->tq_n = 0;
	w->rx_used = 0;	/* nothing points into the receive slots any more */
}
