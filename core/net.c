/* SPDX-License-Identifier: MIT */
/* net.c - UDP sockets owned by the core, batched receive, demux (net.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conf.h"
#include "event.h"
#include "list.h"
#include "log.h"
#include "net.h"

#define NET_BATCH 16		/* datagrams per recvmmsg */
#define NET_BUF (64 * 1024)	/* the largest UDP payload fits */

struct kanmon_net_reg {
	struct list_node node;		/* port->handlers */
	struct net_port *port;
	struct kanmon_net_handler h;
	const void *owner;
	const char *owner_name;
};

struct net_sock {
	int fd;
	int family;
	uint8_t addr[16];		/* bound address; all zero = wildcard */
	struct kanmon_watch *watch;
	struct net_port *port;
};

struct net_port {
	struct list_node node;		/* net->ports */
	struct net *net;
	uint16_t port;
	uint16_t flags;
	struct list_node handlers;	/* struct kanmon_net_reg */
	struct net_sock *socks;
	size_t n_socks;
	struct net_stats st;
};

struct net {
	struct ev_loop *loop;
	char **listen;
	size_t n_listen;
	struct list_node ports;
	/* shared receive buffers: the loop is single-threaded */
	uint8_t *bufs;
	struct mmsghdr msgs[NET_BATCH];
	struct iovec iov[NET_BATCH];
	struct sockaddr_storage from[NET_BATCH];
	uint8_t cmsg[NET_BATCH][128];
	/* a userspace SA backend's look at every outgoing datagram */
	net_send_hook_fn hook;
	void *hook_arg;
	const void *hook_owner;
};

struct net *net_new(struct ev_loop *loop, const char *const *listen, size_t n_listen)
{
	struct net *net = calloc(1, sizeof(*net));
	if (!net)
		return NULL;
	net->loop = loop;
	list_init(&net->ports);
	net->listen = calloc(n_listen ? n_listen : 1, sizeof(char *));
	net->bufs = malloc((size_t)NET_BATCH * NET_BUF);
	if (!net->listen || !net->bufs)
		goto fail;
	for (size_t i = 0; i < n_listen; i++) {
		if (!(net->listen[i] = strdup(listen[i])))
			goto fail;
		net->n_listen++;
	}
	return net;
fail:
	net_free(net);
	return NULL;
}

static void port_close(struct net_port *p)
{
	for (size_t i = 0; i < p->n_socks; i++) {
		ev_watch_free(p->socks[i].watch);
		close(p->socks[i].fd);
	}
	free(p->socks);
	list_del(&p->node);
	free(p);
}

void net_free(struct net *net)
{
	if (!net)
		return;
	while (!list_empty(&net->ports)) {
		struct net_port *p = list_entry(net->ports.next, struct net_port, node);
		while (!list_empty(&p->handlers)) {
			struct list_node *n = p->handlers.next;
			list_del(n);
			free(list_entry(n, struct kanmon_net_reg, node));
		}
		port_close(p);
	}
	for (size_t i = 0; i < net->n_listen; i++)
		free(net->listen[i]);
	free(net->listen);
	free(net->bufs);
	free(net);
}

static struct net_port *port_find(const struct net *net, uint16_t port)
{
	for (struct list_node *it = net->ports.next; it != &net->ports; it = it->next) {
		struct net_port *p = list_entry(it, struct net_port, node);
		if (p->port == port)
			return p;
	}
	return NULL;
}

int net_deliver(struct net *net, struct kanmon_pkt *pkt)
{
	struct net_port *p = port_find(net, pkt->port);
	if (!p)
		return 0;
	if (p->flags & KANMON_NET_NATT) {
		if (pkt->len == 1 && pkt->data[0] == 0xff) {
			p->st.rx_keepalive++;
			return 0;
		}
		static const uint8_t marker[4];
		if (pkt->len >= 4 && !memcmp(pkt->data, marker, 4)) {
			pkt->data += 4;
			pkt->len -= 4;
			pkt->flags |= KANMON_PKT_NON_ESP_MARKER;
		}
	}
	for (struct list_node *it = p->handlers.next; it != &p->handlers; it = it->next) {
		struct kanmon_net_reg *r = list_entry(it, struct kanmon_net_reg, node);
		if (!r->h.classify || r->h.classify(pkt->data, pkt->len, pkt->flags, r->h.arg)) {
			p->st.rx++;
			r->h.receive(pkt, r->h.arg);
			return 1;
		}
	}
	p->st.rx_unclaimed++;
	return 0;
}

static void sock_local(const struct net_sock *s, struct msghdr *mh, struct kanmon_pkt *pkt)
{
	memset(&pkt->local, 0, sizeof(pkt->local));
	pkt->ifindex = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			struct sockaddr_in *sin = (struct sockaddr_in *)&pkt->local;
			sin->sin_family = AF_INET;
			sin->sin_port = htons(s->port->port);
			sin->sin_addr = pi.ipi_addr;
			pkt->ifindex = pi.ipi_ifindex;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&pkt->local;
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(s->port->port);
			sin6->sin6_addr = pi.ipi6_addr;
			pkt->ifindex = (int)pi.ipi6_ifindex;
		}
	}
}

static void sock_readable(int fd, unsigned events, void *arg)
{
	struct net_sock *s = arg;
	struct net_port *p = s->port;
	struct net *net = p->net;
	uint16_t port = p->port;
	(void)events;
	for (unsigned i = 0; i < NET_BATCH; i++) {
		net->iov[i].iov_base = net->bufs + (size_t)i * NET_BUF;
		net->iov[i].iov_len = NET_BUF;
		net->msgs[i].msg_hdr = (struct msghdr){
			.msg_name = &net->from[i], .msg_namelen = sizeof(net->from[i]),
			.msg_iov = &net->iov[i], .msg_iovlen = 1,
			.msg_control = net->cmsg[i], .msg_controllen = sizeof(net->cmsg[i]),
		};
		net->msgs[i].msg_len = 0;
	}
	int n = recvmmsg(fd, net->msgs, NET_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			p->st.rx_errors++;
		return;
	}
	for (int i = 0; i < n; i++) {
		struct msghdr *mh = &net->msgs[i].msg_hdr;
		if (mh->msg_flags & MSG_TRUNC) {
			p->st.rx_truncated++;
			continue;
		}
		struct kanmon_pkt pkt = {
			.data = net->iov[i].iov_base,
			.len = net->msgs[i].msg_len,
			.port = port,
		};
		memcpy(&pkt.peer, &net->from[i], sizeof(pkt.peer));
		sock_local(s, mh, &pkt);
		net_deliver(net, &pkt);
		/* a handler may have unregistered the last handler: port is gone */
		if (port_find(net, port) != p)
			return;
	}
}

static int sock_open(struct net *net, struct net_port *p, const char *addr, struct net_sock *s)
{
	uint8_t a[16];
	int family, one = 1, err;
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	if (conf_parse_addr(addr, a, &family))
		return -EINVAL;
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p->port);
		memcpy(&sin->sin_addr, a, 4);
		sl = sizeof(*sin);
		if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
			goto fail_errno;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p->port);
		memcpy(&sin6->sin6_addr, a, 16);
		sl = sizeof(*sin6);
		/* "0.0.0.0" and "::" are separate listen entries: keep v6 sockets v6 only */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
			goto fail_errno;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail_errno;
	s->fd = fd;
	s->family = family;
	memcpy(s->addr, a, 16);
	s->port = p;
	s->watch = ev_watch_new(net->loop, fd, KANMON_WATCH_READ, sock_readable, s, net);
	if (!s->watch) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
fail_errno:
	err = -errno;
	close(fd);
	return err;
}

static int port_open(struct net *net, uint16_t port, uint16_t flags, const char *who,
		     struct net_port **out)
{
	struct net_port *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->net = net;
	p->port = port;
	p->flags = flags;
	list_init(&p->handlers);
	list_add(&net->ports, &p->node);
	p->socks = calloc(net->n_listen ? net->n_listen : 1, sizeof(*p->socks));
	if (!p->socks) {
		port_close(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < net->n_listen; i++) {
		int r = sock_open(net, p, net->listen[i], &p->socks[p->n_socks]);
		if (r) {
			log_err("net", "%s: cannot open udp port %u on %s: %s", who, port, net->listen[i],
				strerror(-r));
			port_close(p);
			return r;
		}
		p->n_socks++;
	}
	log_info("net", "listening on udp port %u (%zu address%s) for %s", port, p->n_socks,
		 p->n_socks == 1 ? "" : "es", who);
	*out = p;
	return 0;
}

int net_register(struct net *net, const struct kanmon_net_handler *nh, const void *owner,
		 const char *owner_name, struct kanmon_net_reg **reg)
{
	if (!nh || nh->size < sizeof(*nh) || !nh->port || !nh->receive)
		return -EINVAL;
	struct net_port *p = port_find(net, nh->port);
	if (p && p->flags != nh->flags) {
		log_err("net", "%s: udp port %u is already registered with other flags", owner_name,
			nh->port);
		return -EINVAL;
	}
	struct kanmon_net_reg *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (!p) {
		int err = port_open(net, nh->port, nh->flags, owner_name, &p);
		if (err) {
			free(r);
			return err;
		}
	}
	r->port = p;
	r->h = *nh;
	r->owner = owner;
	r->owner_name = owner_name;
	list_add(&p->handlers, &r->node);
	if (reg)
		*reg = r;
	return 0;
}

void net_unregister(struct kanmon_net_reg *reg)
{
	if (!reg)
		return;
	struct net_port *p = reg->port;
	list_del(&reg->node);
	free(reg);
	if (list_empty(&p->handlers))
		port_close(p);
}

int net_set_send_hook(struct net *net, net_send_hook_fn hook, void *arg, const void *owner)
{
	if (hook && net->hook && net->hook_owner != owner)
		return -EBUSY;
	net->hook = hook;
	net->hook_arg = hook ? arg : NULL;
	net->hook_owner = hook ? owner : NULL;
	return 0;
}

size_t net_unregister_owned(struct net *net, const void *owner)
{
	size_t n = 0;
	if (net->hook && net->hook_owner == owner)
		net_set_send_hook(net, NULL, NULL, NULL);
	struct list_node *pit, *pnext;
	for (pit = net->ports.next; pit != &net->ports; pit = pnext) {
		pnext = pit->next;
		struct net_port *p = list_entry(pit, struct net_port, node);
		struct list_node *it, *next;
		for (it = p->handlers.next; it != &p->handlers; it = next) {
			next = it->next;
			struct kanmon_net_reg *r = list_entry(it, struct kanmon_net_reg, node);
			if (r->owner != owner)
				continue;
			n++;
			if (next == &p->handlers) {	/* last one closes the port */
				net_unregister(r);
				break;
			}
			net_unregister(r);
		}
	}
	return n;
}

static const struct net_sock *sock_pick(const struct net_port *p, const struct sockaddr *peer,
					const struct sockaddr *local)
{
	const struct net_sock *wild = NULL;
	for (size_t i = 0; i < p->n_socks; i++) {
		const struct net_sock *s = &p->socks[i];
		if (s->family != peer->sa_family)
			continue;
		const void *la = NULL;
		if (local && local->sa_family == AF_INET)
			la = &((const struct sockaddr_in *)local)->sin_addr;
		else if (local && local->sa_family == AF_INET6)
			la = &((const struct sockaddr_in6 *)local)->sin6_addr;
		if (la && !memcmp(s->addr, la, s->family == AF_INET ? 4 : 16))
			return s;
		static const uint8_t zero[16];
		if (!memcmp(s->addr, zero, 16) || !wild)
			wild = s;
	}
	return wild;
}

int net_send(struct net *net, uint16_t port, const struct sockaddr *local,
	     const struct sockaddr *peer, const void *buf, size_t len, uint16_t pkt_flags)
{
	struct net_port *p = port_find(net, port);
	if (!p)
		return -ENOENT;
	if (net->hook) {
		int r = net->hook(net->hook_arg, port, local, peer, buf, len, pkt_flags);
		if (r) {
			if (r > 0)
				p->st.tx++;
			else
				p->st.tx_errors++;
			return r < 0 ? r : 0;
		}
	}
	const struct net_sock *s = sock_pick(p, peer, local);
	if (!s) {
		p->st.tx_errors++;
		return -EAFNOSUPPORT;
	}
	static const uint8_t marker[4];
	struct iovec iov[2];
	int niov = 0;
	if ((pkt_flags & KANMON_PKT_NON_ESP_MARKER) && (p->flags & KANMON_NET_NATT))
		iov[niov++] = (struct iovec){ (void *)marker, sizeof(marker) };
	iov[niov++] = (struct iovec){ (void *)buf, len };
	uint8_t cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	memset(cbuf, 0, sizeof(cbuf));
	struct msghdr mh = {
		.msg_name = (void *)peer,
		.msg_namelen = peer->sa_family == AF_INET ? sizeof(struct sockaddr_in)
							  : sizeof(struct sockaddr_in6),
		.msg_iov = iov,
		.msg_iovlen = (size_t)niov,
	};
	/* choose the source address on wildcard sockets: reply from where asked */
	if (local && local->sa_family == s->family) {
		mh.msg_control = cbuf;
		struct cmsghdr *c = (struct cmsghdr *)cbuf;
		if (s->family == AF_INET) {
			struct in_pktinfo pi = { .ipi_spec_dst = ((const struct sockaddr_in *)local)->sin_addr };
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		} else {
			struct in6_pktinfo pi = { .ipi6_addr = ((const struct sockaddr_in6 *)local)->sin6_addr };
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		}
	}
	if (sendmsg(s->fd, &mh, MSG_DONTWAIT) < 0) {
		p->st.tx_errors++;
		return -errno;
	}
	p->st.tx++;
	return 0;
}

int net_port_stats(const struct net *net, uint16_t port, struct net_stats *st)
{
	const struct net_port *p = port_find(net, port);
	if (!p)
		return -ENOENT;
	*st = p->st;
	return 0;
}

size_t net_port_fds(const struct net *net, uint16_t port, int *fds, size_t max)
{
	const struct net_port *p = port_find(net, port);
	size_t n = 0;
	for (size_t i = 0; p && i < p->n_socks && n < max; i++)
		fds[n++] = p->socks[i].fd;
	return n;
}
