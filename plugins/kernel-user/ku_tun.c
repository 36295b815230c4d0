/* SPDX-License-Identifier: MIT */
/*
 * ku_tun.c - tunnel mode: the TUN device, inner packets out of it (looked
 * up by destination, encrypted, sent) and decrypted ones into it, and TCP
 * MSS clamping so tunnelled TCP never needs outer fragments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ku.h"

#define KU_PATH_MTU 1500

static int tun_queue(const char *name, bool multi, bool vnet, char *actual)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (multi ? IFF_MULTI_QUEUE : 0) | (vnet ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	/* the kernel may now hand us TCP super-packets and unchecksummed ones */
	unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
	if (vnet && ioctl(fd, TUNSETOFFLOAD, off) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	if (actual)
		snprintf(actual, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

int ku_tun_open(struct ku *ku)
{
	const struct kanmon_host *h = ku->host;
	int queues = ku->threads > 1 ? ku->threads : 1;
	char name[IFNAMSIZ];
	/* one queue per worker: the kernel spreads flows over them (IFF_MULTI_QUEUE) */
	for (int i = 0; i < queues; i++) {
		int fd = tun_queue(i ? name : ku->tun_name, queues > 1, ku->offload, i ? NULL : name);
		if (fd < 0) {
			h->log(h, KANMON_LOG_ERR, "cannot create TUN device %s: %s%s", ku->tun_name, strerror(-fd),
			       fd == -EPERM ? " (needs CAP_NET_ADMIN)" : fd == -ENOENT ? " (no /dev/net/tun: modprobe tun)" : "");
			return fd;
		}
		ku->tun_fds[ku->n_tun++] = fd;
	}
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_mtu = ku->mtu;
	int err = 0;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
	if (!err && ioctl(s, SIOCGIFINDEX, &ifr) == 0)
		ku->tun_ifindex = ifr.ifr_ifindex;
	close(s);
	if (err) {
		h->log(h, KANMON_LOG_ERR, "cannot bring TUN device %s up with mtu %d: %s", name, ku->mtu,
		       strerror(-err));
		return err;
	}
	snprintf(ku->tun_name, sizeof(ku->tun_name), "%s", name);
	h->log(h, KANMON_LOG_INFO, "TUN device %s up, mtu %d, %d queue%s%s", name, ku->mtu, queues,
	       queues == 1 ? "" : "s", ku->offload ? ", TSO/GRO offloads" : "");
	return 0;
}

void ku_tun_close(struct ku *ku)
{
	for (int i = 0; i < ku->n_tun; i++)
		close(ku->tun_fds[i]);
	ku->n_tun = 0;
}

/* What the data path needs to know of an inner packet. */
struct inner {
	int family;
	const uint8_t *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;
	size_t l4;			/* offset of the transport header; 0 = none/fragment */
};

static int parse_inner(const uint8_t *p, size_t len, struct inner *in)
{
	memset(in, 0, sizeof(*in));
	if (len < 20)
		return -1;
	if ((p[0] >> 4) == 4) {
		size_t ihl = (size_t)(p[0] & 15) * 4;
		uint16_t tot, frag;
		memcpy(&tot, p + 2, 2);
		memcpy(&frag, p + 6, 2);
		if (ihl < 20 || ihl > len || ntohs(tot) > len || ntohs(tot) < ihl)
			return -1;
		in->family = AF_INET;
		in->src = p + 12;
		in->dst = p + 16;
		in->proto = p[9];
		if ((ntohs(frag) & 0x1fff) == 0)	/* ports only in first fragments */
			in->l4 = ihl;
	} else if ((p[0] >> 4) == 6) {
		if (len < 40)
			return -1;
		in->family = AF_INET6;
		in->src = p + 8;
		in->dst = p + 24;
		in->proto = p[6];
		in->l4 = 40;
	} else {
		return -1;
	}
	if (in->l4 && (in->proto == IPPROTO_TCP || in->proto == IPPROTO_UDP) && in->l4 + 4 <= len) {
		uint16_t v;
		memcpy(&v, p + in->l4, 2);
		in->sport = ntohs(v);
		memcpy(&v, p + in->l4 + 2, 2);
		in->dport = ntohs(v);
	}
	return 0;
}

static uint16_t csum_fold_update(uint16_t csum, uint16_t old, uint16_t new)
{
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') */
	uint32_t s = (uint16_t)~csum + (uint16_t)~old + new;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

int ku_mss_clamp(uint8_t *pkt, size_t len, uint16_t mss)
{
	struct inner in;
	if (parse_inner(pkt, len, &in) || in.proto != IPPROTO_TCP || !in.l4 || in.l4 + 20 > len)
		return 0;
	uint8_t *tcp = pkt + in.l4;
	size_t doff = (size_t)(tcp[12] >> 4) * 4;
	if (!(tcp[13] & 0x02) || doff < 20 || in.l4 + doff > len)	/* SYN only */
		return 0;
	for (size_t o = 20; o < doff;) {
		uint8_t kind = tcp[o];
		if (kind == 0)
			break;
		if (kind == 1) {
			o++;
			continue;
		}
		if (o + 1 >= doff || tcp[o + 1] < 2 || o + tcp[o + 1] > doff)
			break;
		if (kind == 2 && tcp[o + 1] == 4) {
			uint16_t cur, ck;
			memcpy(&cur, tcp + o + 2, 2);
			if (ntohs(cur) <= mss)
				return 0;
			uint16_t nv = htons(mss);
			memcpy(&ck, tcp + 16, 2);
			ck = csum_fold_update(ck, cur, nv);
			memcpy(tcp + 16, &ck, 2);
			memcpy(tcp + o + 2, &nv, 2);
			return 1;
		}
		o += tcp[o + 1];
	}
	return 0;
}

static uint16_t mss_for(const struct ku *ku, const struct ku_sa *sa, int family)
{
	size_t inner_mtu = (size_t)ku->mtu;
	if (sa->overhead < KU_PATH_MTU && KU_PATH_MTU - sa->overhead < inner_mtu)
		inner_mtu = KU_PATH_MTU - sa->overhead;
	return (uint16_t)(inner_mtu - (family == AF_INET6 ? 60 : 40));
}

/* One inner packet in a TX slot: policy, SA, MSS clamp, encrypt, queue. */
static void tun_out(struct ku_worker *w, uint8_t *buf, size_t n, void *arg)
{
	struct ku *ku = w->ku;
	struct inner in;
	(void)arg;
	if (parse_inner(buf + KU_HEAD, n, &in)) {
		w->st.drops[KU_DROP_INNER]++;
		return;
	}
	struct ku_pol *p = ku_pol_lookup(ku, in.family, in.src, in.dst, in.proto, in.sport, in.dport);
	struct ku_sa *sa = p ? ku_sa_by_reqid(ku, p->reqid) : NULL;
	if (!sa) {
		/* routed to us but not (yet) protected: ask IKE for an SA, drop */
		if (p)
			ku_acquire(ku, p);
		w->st.drops[KU_DROP_NOSA]++;
		return;
	}
	if (ku->mss_clamp && in.proto == IPPROTO_TCP && ku_mss_clamp(buf + KU_HEAD, n, mss_for(ku, sa, in.family)))
		w->st.mss_clamped++;
	ku_output(w, sa, buf, KU_HEAD, n, in.family == AF_INET6 ? 41 : 4);
}

/* Offload: a vnet header, then a packet of up to 64 KiB. */
static int tun_read_big(struct ku_worker *w)
{
	ssize_t n = read(w->tun_fd, w->big, KU_BIG);
	if (n < (ssize_t)sizeof(struct virtio_net_hdr))
		return -1;
	struct virtio_net_hdr h;
	memcpy(&h, w->big, sizeof(h));
	uint8_t *pkt = w->big + sizeof(h);
	size_t len = (size_t)n - sizeof(h);
	w->st.tun_rx++;
	uint8_t gso = h.gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	if (gso == VIRTIO_NET_HDR_GSO_TCPV4 || gso == VIRTIO_NET_HDR_GSO_TCPV6) {
		if (ku_tso_segment(w, pkt, len, h.gso_size, gso == VIRTIO_NET_HDR_GSO_TCPV6, tun_out, NULL))
			w->st.drops[KU_DROP_INNER]++;
		return 0;
	}
	if (gso != VIRTIO_NET_HDR_GSO_NONE || len > KU_SLOT - KU_HEAD - KU_ESP_TAILROOM) {
		w->st.drops[KU_DROP_INNER]++;
		return 0;
	}
	if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		ku_csum_complete(pkt, len, h.csum_start, h.csum_offset);
	uint8_t *slot = ku_slot_next(w);
	memcpy(slot + KU_HEAD, pkt, len);
	tun_out(w, slot, len, NULL);
	return 0;
}

void ku_tun_batch(struct ku_worker *w)
{
	struct ku *ku = w->ku;
	pthread_rwlock_rdlock(&ku->lock);
	for (int i = 0; i < KU_BATCH; i++) {
		if (ku->offload) {
			if (tun_read_big(w))
				break;
			continue;
		}
		uint8_t *buf = ku_slot_next(w);
		ssize_t n = read(w->tun_fd, buf + KU_HEAD, KU_SLOT - KU_HEAD - KU_ESP_TAILROOM);
		if (n <= 0) {
			w->slot_used--;
			break;
		}
		w->st.tun_rx++;
		tun_out(w, buf, (size_t)n, NULL);
	}
	ku_flush(w);
	w->slot_used = 0;
	pthread_rwlock_unlock(&ku->lock);
}

int ku_tun_deliver(struct ku_worker *w, struct ku_sa *sa, uint8_t *pkt, size_t len, uint8_t nh)
{
	struct ku *ku = w->ku;
	struct inner in;
	if ((nh != 4 && nh != 41) || parse_inner(pkt, len, &in) || (nh == 4) != (in.family == AF_INET))
		return KU_DROP_INNER;
	/* RFC 4301 5.2: what arrives on an SA must lie inside its selectors. An
	 * SA without them (IKE gave it several selector pairs, e.g. a client's
	 * IPv4 and IPv6 addresses) is held to the policies: the reply to the
	 * packet must be sent back through this very SA (same reqid), so a
	 * client cannot use another source address than its own. */
	if (!sa->rts.family && !sa->lts.family && ku->n_pol) {
		const struct ku_pol *p = ku_pol_lookup(ku, in.family, in.dst, in.src, in.proto, in.dport, in.sport);
		if (!p || p->reqid != sa->reqid)
			return KU_DROP_POLICY;
	} else if (!ku_sel_match(&sa->rts, in.family, in.src, in.proto, in.sport) ||
		   !ku_sel_match(&sa->lts, in.family, in.dst, in.proto, in.dport)) {
		return KU_DROP_POLICY;
	}
	if (ku->mss_clamp && in.proto == IPPROTO_TCP && ku_mss_clamp(pkt, len, mss_for(ku, sa, in.family)))
		w->st.mss_clamped++;
	if (ku->offload) {
		/* written (and coalesced) after the batch: ku_tun_flush */
		w->tq[w->tq_n].p = pkt;
		w->tq[w->tq_n].len = len;
		if (++w->tq_n == KU_BATCH)
			ku_tun_flush(w);
		return KU_OK;
	}
	if (write(w->tun_fd, pkt, len) < 0)
		return KU_DROP_IO;
	w->st.tun_tx++;
	return KU_OK;
}
