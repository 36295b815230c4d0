/* SPDX-License-Identifier: MIT */
/*
 * ku_net.c - the outer side: ESP-in-UDP through the core's natt_port
 * sockets, raw ESP (IP protocol 50) through sockets of our own, input
 * dispatch by SPI, batched output (sendmmsg) and the data-path workers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ku.h"

/* ---- output ---------------------------------------------------------- */

int ku_sa_bind_output(struct ku *ku, struct ku_sa *sa)
{
	struct ku_xform *x = &sa->esp.xf;
	bool v6 = sa->dst.family == AF_INET6;
	sa->overhead = (v6 ? 40 : 20) + (sa->encap_dport ? 8 : 0) + 8 + x->iv_len + (x->align - 1) + 2 +
		       x->icv_len;
	if (sa->dir != KANMON_SA_OUT)
		return 0;
	memset(&sa->peer, 0, sizeof(sa->peer));
	if (v6) {
		sa->peer.sin6_family = AF_INET6;
		memcpy(&sa->peer.sin6_addr, sa->dst.a, 16);
		sa->peer.sin6_port = htons(sa->encap_dport);
		sa->peer_len = sizeof(struct sockaddr_in6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&sa->peer;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, sa->dst.a, 4);
		sin->sin_port = htons(sa->encap_dport);
		sa->peer_len = sizeof(struct sockaddr_in);
	}
	sa->fd = -1;
	sa->pktinfo = true;
	if (sa->encap_dport) {
		static const uint8_t zero[16];
		if (sa->encap_sport && sa->encap_sport != ku->natt_port)
			ku->host->log(ku->host, KANMON_LOG_WARNING,
				      "SA spi 0x%08x: encap source port %u is not natt_port %u: sending from %u",
				      ntohl(sa->esp.spi), sa->encap_sport, ku->natt_port, ku->natt_port);
		/* the core's socket bound to our address, else its wildcard one */
		for (int i = 0; i < ku->n_udp; i++) {
			if (ku->udp_addr[i].family != sa->src.family)
				continue;
			if (!memcmp(ku->udp_addr[i].a, sa->src.a, 16)) {
				sa->fd = ku->udp_fds[i];
				sa->pktinfo = false;
				break;
			}
			if (!memcmp(ku->udp_addr[i].a, zero, 16) && sa->fd < 0)
				sa->fd = ku->udp_fds[i];
		}
		if (sa->fd < 0) {
			ku->host->log(ku->host, KANMON_LOG_ERR,
				      "SA spi 0x%08x: no udp port %u socket for this address family: add a listen address",
				      ntohl(sa->esp.spi), ku->natt_port);
			return -EAFNOSUPPORT;
		}
	} else {
		sa->fd = v6 ? ku->raw6 : ku->raw4;
		if (sa->fd < 0) {
			ku->host->log(ku->host, KANMON_LOG_ERR,
				      "SA spi 0x%08x: raw ESP needs the IP protocol 50 socket, which could not be opened (CAP_NET_RAW, raw_esp = true): use UDP encapsulation",
				      ntohl(sa->esp.spi));
			return -EPROTONOSUPPORT;
		}
	}
	return 0;
}

uint8_t *ku_slot_next(struct ku_worker *w)
{
	/* a slot stays pending until its packet is sent: reuse only after a full flush */
	if (w->slot_used == KU_BATCH) {
		ku_flush(w);
		w->slot_used = 0;
	}
	return w->slots + w->slot_used++ * KU_SLOT;
}

static void send_plain(struct ku_worker *w, unsigned from, unsigned to)
{
	while (from < to) {
		int n = sendmmsg(w->out_fd, w->out + from, to - from, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* the socket buffer is full or the route is gone: like a full queue, drop */
			w->st.drops[KU_DROP_IO]++;
			from++;
			continue;
		}
		from += (unsigned)n;
		w->st.tx += (uint64_t)n;
	}
}

static bool same_dest(const struct ku_worker *w, unsigned a, unsigned b)
{
	const struct msghdr *x = &w->out[a].msg_hdr, *y = &w->out[b].msg_hdr;
	return x->msg_namelen == y->msg_namelen && !memcmp(x->msg_name, y->msg_name, x->msg_namelen) &&
	       x->msg_controllen == y->msg_controllen &&
	       (!x->msg_controllen || !memcmp(x->msg_control, y->msg_control, x->msg_controllen));
}

/* One sendmsg for out[from, to): equal-sized ESP packets, the kernel cuts them (UDP_SEGMENT). */
static int send_gso(struct ku_worker *w, unsigned from, unsigned to)
{
	struct msghdr mh = w->out[from].msg_hdr;
	uint8_t cbuf[128];
	uint16_t seg = (uint16_t)w->out_iov[from].iov_len;
	memset(cbuf, 0, sizeof(cbuf));
	if (mh.msg_controllen)
		memcpy(cbuf, mh.msg_control, mh.msg_controllen);
	struct cmsghdr *c = (struct cmsghdr *)(void *)(cbuf + mh.msg_controllen);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	mh.msg_control = cbuf;
	mh.msg_controllen += CMSG_SPACE(sizeof(seg));
	mh.msg_iov = &w->out_iov[from];
	mh.msg_iovlen = to - from;
	if (sendmsg(w->out_fd, &mh, MSG_DONTWAIT) < 0) {
		if (errno == EAGAIN || errno == ENOBUFS) {
			w->st.drops[KU_DROP_IO] += to - from;
			return 0;
		}
		return -errno;
	}
	w->st.tx += to - from;
	w->st.gso_sends++;
	return 0;
}

void ku_flush(struct ku_worker *w)
{
	struct ku *ku = w->ku;
	bool gso = ku->udp_gso && w->out_fd != ku->raw4 && w->out_fd != ku->raw6;
	unsigned i = 0, plain = 0;
	while (i < w->n_out) {
		unsigned j = i + 1;
		size_t seg = w->out_iov[i].iov_len, total = seg;
		/* a run to one peer: all of one size, the last maybe shorter; at most 64 (UDP_MAX_SEGMENTS) */
		while (gso && j < w->n_out && j - i < 64 && same_dest(w, i, j) && w->out_iov[j - 1].iov_len == seg &&
		       w->out_iov[j].iov_len <= seg && total + w->out_iov[j].iov_len <= 65000)
			total += w->out_iov[j++].iov_len;
		if (j - i < 2) {
			i = j;
			continue;
		}
		send_plain(w, plain, i);
		int err = send_gso(w, i, j);
		if (err) {
			/* no UDP GSO here (old kernel, device): batch without it from now on */
			ku->udp_gso = gso = false;
			send_plain(w, i, j);
		}
		plain = i = j;
	}
	send_plain(w, plain, w->n_out);
	w->n_out = 0;
	w->out_fd = -1;
}

static void set_pktinfo(struct msghdr *mh, uint8_t *cbuf, const struct ku_addr *src)
{
	struct cmsghdr *c = (struct cmsghdr *)(void *)cbuf;
	memset(cbuf, 0, 64);
	mh->msg_control = cbuf;
	if (src->family == AF_INET) {
		struct in_pktinfo pi = { 0 };
		memcpy(&pi.ipi_spec_dst, src->a, 4);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = { 0 };
		memcpy(&pi.ipi6_addr, src->a, 16);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
	}
}

int ku_output(struct ku_worker *w, struct ku_sa *sa, uint8_t *buf, size_t off, size_t len, uint8_t nh)
{
	uint64_t seq;
	if (atomic_load_explicit(&sa->dead, memory_order_relaxed)) {
		w->st.drops[KU_DROP_EXPIRED]++;
		return KU_DROP_EXPIRED;
	}
	size_t inner = len;
	pthread_spin_lock(&sa->lock);
	int r = ku_esp_encap(&sa->esp, buf, KU_SLOT, &off, &len, nh, &seq);
	if (r == KU_OK)
		ku_sa_account(w->ku, sa, inner);
	else if (r == KU_DROP_SEQ && !sa->hard_sent) {
		/* RFC 4303 3.3.3: a new SA is needed; the kernel reports it as a hard expire */
		sa->hard_sent = true;
		atomic_store(&sa->dead, true);
		ku_sa_event(w->ku, sa, KANMON_SA_HARD_EXPIRE, NULL);
	}
	pthread_spin_unlock(&sa->lock);
	if (r) {
		w->st.drops[r]++;
		return r;
	}
	if (w->n_out && (w->out_fd != sa->fd || w->n_out == KU_BATCH))
		ku_flush(w);
	unsigned i = w->n_out++;
	w->out_fd = sa->fd;
	w->out_iov[i] = (struct iovec){ buf + off, len };
	memcpy(&w->out_peer[i], &sa->peer, sa->peer_len);
	struct msghdr *mh = &w->out[i].msg_hdr;
	*mh = (struct msghdr){ .msg_name = &w->out_peer[i], .msg_namelen = sa->peer_len,
			       .msg_iov = &w->out_iov[i], .msg_iovlen = 1 };
	if (sa->pktinfo)
		set_pktinfo(mh, w->out_cmsg[i], &sa->src);
	w->out[i].msg_len = 0;
	return KU_OK;
}

/* ---- input --------------------------------------------------------------- */

static bool same_peer(const struct ku_sa *sa, const struct sockaddr_storage *p)
{
	struct ku_addr a;
	ku_addr_from_ss(&a, p);
	uint16_t port = p->ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)p)->sin_port)
						: ntohs(((const struct sockaddr_in6 *)p)->sin6_port);
	return a.family == sa->src.family && !memcmp(a.a, sa->src.a, 16) && port == sa->encap_sport;
}

int ku_input(struct ku_worker *w, uint8_t *buf, size_t off, size_t len, const struct ku_addr *osrc,
	     const struct ku_addr *odst, const struct sockaddr_storage *udp_peer)
{
	uint32_t spi;
	uint64_t seq;
	uint8_t nh;
	w->st.rx++;
	if (len < 8) {
		w->st.drops[KU_DROP_SHORT]++;
		return KU_DROP_SHORT;
	}
	memcpy(&spi, buf + off, 4);
	struct ku_sa *sa = ku_sa_by_spi(w->ku, spi);
	if (!sa || sa->larval) {
		w->st.drops[KU_DROP_SPI]++;
		return KU_DROP_SPI;
	}
	if (atomic_load_explicit(&sa->dead, memory_order_relaxed)) {
		w->st.drops[KU_DROP_EXPIRED]++;
		return KU_DROP_EXPIRED;
	}
	pthread_spin_lock(&sa->lock);
	int r = ku_esp_decap(&sa->esp, buf, &off, &len, &nh, &seq);
	if (r == KU_OK) {
		ku_sa_account(w->ku, sa, len);
		/* RFC 3948 / XFRM_MSG_MAPPING: an authenticated packet from a new NAT port */
		if (udp_peer && sa->encap_sport && !sa->mapping_sent && !same_peer(sa, udp_peer)) {
			sa->mapping_sent = true;
			ku_sa_event(w->ku, sa, KANMON_SA_MAPPING, udp_peer);
		}
	} else if (r == KU_DROP_REPLAY) {
		sa->replay_drops++;
	} else if (r == KU_DROP_ICV) {
		sa->icv_drops++;
	}
	pthread_spin_unlock(&sa->lock);
	if (r) {
		w->st.drops[r]++;
		return r;
	}
	(void)osrc;
	(void)odst;
	if (nh == 59)	/* RFC 4303 2.6: dummy packet (TFC), discard silently */
		return KU_OK;
	if (sa->mode == KANMON_SA_TUNNEL)
		r = ku_tun_deliver(w, sa, buf + off, len, nh);
	else if (nh == IPPROTO_UDP)
		r = ku_transport_input(w, sa, buf + off, len, osrc, odst);
	else
		r = KU_DROP_INNER;
	if (r)
		w->st.drops[r]++;
	return r;
}

/* The core hands us ESP-in-UDP from natt_port: non-zero first four bytes. */
static bool udp_classify(const uint8_t *buf, size_t len, uint16_t flags, void *arg)
{
	(void)arg;
	(void)buf;
	return !(flags & KANMON_PKT_NON_ESP_MARKER) && len >= 8;
}

static void udp_receive(const struct kanmon_pkt *pkt, void *arg)
{
	struct ku *ku = arg;
	struct ku_worker *w = ku->loopw;
	struct ku_addr src, dst;
	if (pkt->len > KU_SLOT - KU_HEAD) {
		w->st.drops[KU_DROP_SHORT]++;
		return;
	}
	/* the core's buffer is read-only to us: decrypt in a slot of our own */
	if (w->rx_used == KU_BATCH)
		ku_tun_flush(w);
	uint8_t *buf = w->rx_slots + w->rx_used++ * KU_SLOT;
	memcpy(buf + KU_HEAD, pkt->data, pkt->len);
	ku_addr_from_ss(&src, &pkt->peer);
	ku_addr_from_ss(&dst, &pkt->local);
	pthread_rwlock_rdlock(&ku->lock);
	ku_input(w, buf, KU_HEAD, pkt->len, &src, &dst, &pkt->peer);
	ku_flush(w);
	pthread_rwlock_unlock(&ku->lock);
	/*
	 * The core hands us one datagram at a time from its recvmmsg batch: the
	 * TUN writes (coalesced) go out on the next loop turn, after the batch.
	 */
	if (!w->tq_n)
		w->rx_used = 0;
	else if (!ku->tq_armed && ku->tq_timer) {
		ku->tq_armed = true;
		ku->host->timer_arm(ku->tq_timer, 0);
	}
}

void ku_tq_timer(void *arg)
{
	struct ku *ku = arg;
	ku->tq_armed = false;
	ku_tun_flush(ku->loopw);
}

/* Raw ESP: recvmmsg a batch from one of our protocol 50 sockets. */
static void raw_batch(struct ku_worker *w, int fd, int family)
{
	struct ku *ku = w->ku;
	struct mmsghdr msgs[KU_BATCH];
	struct iovec iov[KU_BATCH];
	struct sockaddr_in6 from[KU_BATCH];
	uint8_t cmsg[KU_BATCH][64];
	for (int i = 0; i < KU_BATCH; i++) {
		iov[i] = (struct iovec){ w->rx_slots + (size_t)i * KU_SLOT + KU_HEAD, KU_SLOT - KU_HEAD };
		msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof(from[i]),
						   .msg_iov = &iov[i], .msg_iovlen = 1,
						   .msg_control = cmsg[i], .msg_controllen = sizeof(cmsg[i]) };
		msgs[i].msg_len = 0;
	}
	if (w->tq_n)	/* the loop's slots may still hold the core's batch */
		ku_tun_flush(w);
	int n = recvmmsg(fd, msgs, KU_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	pthread_rwlock_rdlock(&ku->lock);
	for (int i = 0; i < n; i++) {
		uint8_t *buf = w->rx_slots + (size_t)i * KU_SLOT;
		size_t off = KU_HEAD, len = msgs[i].msg_len;
		struct ku_addr src = { 0 }, dst = { 0 };
		if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
			w->st.drops[KU_DROP_SHORT]++;
			continue;
		}
		if (family == AF_INET) {
			/* IPv4 raw sockets see the IP header */
			if (len < 20 || (buf[off] >> 4) != 4 || (size_t)(buf[off] & 15) * 4 > len) {
				w->st.drops[KU_DROP_SHORT]++;
				continue;
			}
			size_t ihl = (size_t)(buf[off] & 15) * 4;
			src.family = dst.family = AF_INET;
			memcpy(src.a, buf + off + 12, 4);
			memcpy(dst.a, buf + off + 16, 4);
			off += ihl;
			len -= ihl;
		} else {
			src.family = dst.family = AF_INET6;
			memcpy(src.a, &from[i].sin6_addr, 16);
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c;
			     c = CMSG_NXTHDR(&msgs[i].msg_hdr, c))
				if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
					struct in6_pktinfo pi;
					memcpy(&pi, CMSG_DATA(c), sizeof(pi));
					memcpy(dst.a, &pi.ipi6_addr, 16);
				}
		}
		ku_input(w, buf, off, len, &src, &dst, NULL);
	}
	ku_flush(w);
	pthread_rwlock_unlock(&ku->lock);
	ku_tun_flush(w);
}

static void raw4_ready(int fd, unsigned events, void *arg)
{
	(void)events;
	raw_batch(arg, fd, AF_INET);
}

static void raw6_ready(int fd, unsigned events, void *arg)
{
	(void)events;
	raw_batch(arg, fd, AF_INET6);
}

static int raw_open(int family)
{
	int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP), one = 1;
	if (fd < 0)
		return -errno;
	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ku_net_open(struct ku *ku)
{
	const struct kanmon_host *h = ku->host;
	struct kanmon_net_handler nh = { .size = sizeof(nh), .port = ku->natt_port, .flags = KANMON_NET_NATT,
					 .classify = udp_classify, .receive = udp_receive, .arg = ku };
	int err = h->net_register(h, &nh, &ku->reg);
	if (err) {
		h->log(h, KANMON_LOG_ERR, "cannot receive ESP-in-UDP on udp port %u: %s", ku->natt_port,
		       strerror(-err));
		return err;
	}
	ku->n_udp = (int)h->net_fds(h, ku->natt_port, ku->udp_fds, 16);
	for (int i = 0; i < ku->n_udp; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		if (getsockname(ku->udp_fds[i], (struct sockaddr *)&ss, &sl) == 0)
			ku_addr_from_ss(&ku->udp_addr[i], &ss);
	}
	ku->raw4 = ku->raw6 = -1;
	if (ku->raw_esp) {
		/* now or never: CAP_NET_RAW is dropped once the plugins are up */
		ku->raw4 = raw_open(AF_INET);
		ku->raw6 = raw_open(AF_INET6);
		if (ku->raw4 < 0)
			h->log(h, KANMON_LOG_WARNING, "raw ESP (IP protocol 50) over IPv4 unavailable: %s: only UDP-encapsulated SAs work",
			       strerror(-ku->raw4));
		if (ku->raw6 < 0 && ku->raw6 != -EAFNOSUPPORT)
			h->log(h, KANMON_LOG_WARNING, "raw ESP over IPv6 unavailable: %s", strerror(-ku->raw6));
		if (ku->raw4 < 0)
			ku->raw4 = -1;
		if (ku->raw6 < 0)
			ku->raw6 = -1;
	}
	if (!ku->threads) {
		if (ku->raw4 >= 0)
			ku->raw4_watch = h->watch_new(h, ku->raw4, KANMON_WATCH_READ, raw4_ready, ku->loopw);
		if (ku->raw6 >= 0)
			ku->raw6_watch = h->watch_new(h, ku->raw6, KANMON_WATCH_READ, raw6_ready, ku->loopw);
		if ((ku->raw4 >= 0 && !ku->raw4_watch) || (ku->raw6 >= 0 && !ku->raw6_watch))
			return -ENOMEM;
	}
	return 0;
}

void ku_net_close(struct ku *ku)
{
	const struct kanmon_host *h = ku->host;
	h->watch_free(ku->raw4_watch);
	h->watch_free(ku->raw6_watch);
	ku->raw4_watch = ku->raw6_watch = NULL;
	h->net_unregister(ku->reg);
	ku->reg = NULL;
	if (ku->raw4 >= 0)
		close(ku->raw4);
	if (ku->raw6 >= 0)
		close(ku->raw6);
	ku->raw4 = ku->raw6 = -1;
}

/* ---- workers --------------------------------------------------------------- */

struct ku_worker *ku_worker_new(struct ku *ku, int idx, int tun_fd, bool on_loop)
{
	struct ku_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->ku = ku;
	w->idx = idx;
	w->on_loop = on_loop;
	w->tun_fd = tun_fd;
	w->out_fd = -1;
	w->stop_fd = -1;
	/* every packet buffer the data path will ever use, allocated once */
	w->slots = malloc((size_t)KU_BATCH * KU_SLOT);
	w->rx_slots = malloc((size_t)KU_BATCH * KU_SLOT);
	if (ku->offload) {
		w->big = malloc(KU_BIG);
		w->gro = malloc(KU_BIG);
		if (!w->big || !w->gro) {
			ku_worker_free(w);
			return NULL;
		}
	}
	if (!on_loop)
		w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!w->slots || !w->rx_slots || (!on_loop && w->stop_fd < 0)) {
		ku_worker_free(w);
		return NULL;
	}
	return w;
}

void ku_worker_free(struct ku_worker *w)
{
	if (!w)
		return;
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	free(w->slots);
	free(w->rx_slots);
	free(w->big);
	free(w->gro);
	free(w);
}

static void *worker_main(void *arg)
{
	struct ku_worker *w = arg;
	struct ku *ku = w->ku;
	struct pollfd pfd[4] = {
		{ .fd = w->stop_fd, .events = POLLIN },
		{ .fd = w->tun_fd, .events = POLLIN },
		{ .fd = ku->raw4, .events = POLLIN },
		{ .fd = ku->raw6, .events = POLLIN },
	};
	while (!atomic_load(&ku->stopping)) {
		if (poll(pfd, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[1].revents & POLLIN)
			ku_tun_batch(w);
		if (pfd[2].revents & POLLIN)
			raw_batch(w, ku->raw4, AF_INET);
		if (pfd[3].revents & POLLIN)
			raw_batch(w, ku->raw6, AF_INET6);
	}
	return NULL;
}

int ku_workers_start(struct ku *ku)
{
	for (int i = 0; i < ku->threads; i++) {
		struct ku_worker *w = ku_worker_new(ku, i + 1, ku->tun_fds[i % ku->n_tun], false);
		if (!w)
			return -ENOMEM;
		int err = pthread_create(&w->thread, NULL, worker_main, w);
		if (err) {
			ku_worker_free(w);
			return -err;
		}
		w->started = true;
		ku->workers[ku->n_workers++] = w;
	}
	return 0;
}

void ku_workers_stop(struct ku *ku)
{
	atomic_store(&ku->stopping, true);
	for (int i = 0; i < ku->n_workers; i++) {
		uint64_t one = 1;
		if (write(ku->workers[i]->stop_fd, &one, sizeof(one)) < 0) {
			/* the eventfd cannot be full after one write: nothing to do */
		}
	}
	for (int i = 0; i < ku->n_workers; i++) {
		pthread_join(ku->workers[i]->thread, NULL);
		ku_worker_free(ku->workers[i]);
		ku->workers[i] = NULL;
	}
	ku->n_workers = 0;
}

void ku_stats_sum(const struct ku *ku, struct ku_stats *out)
{
	memset(out, 0, sizeof(*out));
	const struct ku_worker *all[KU_MAX_THREADS + 1];
	int n = 0;
	if (ku->loopw)
		all[n++] = ku->loopw;
	for (int i = 0; i < ku->n_workers; i++)
		all[n++] = ku->workers[i];
	for (int i = 0; i < n; i++) {
		/* counters of running workers: a snapshot, good enough for statistics */
		const struct ku_stats *s = &all[i]->st;
		for (int d = 0; d < KU_DROP_N; d++)
			out->drops[d] += s->drops[d];
		out->rx += s->rx;
		out->tx += s->tx;
		out->tun_rx += s->tun_rx;
		out->tun_tx += s->tun_tx;
		out->mss_clamped += s->mss_clamped;
		out->tso_segs += s->tso_segs;
		out->gro_merged += s->gro_merged;
		out->gso_sends += s->gso_sends;
	}
}
