/* SPDX-License-Identifier: MIT */
/*
 * xfrm_route.c - routes for the destinations of outbound tunnel policies.
 *
 * An XFRM output policy is only consulted after the routing lookup found a
 * route: a client's virtual IP (203.0.113.7 from the pool) is usually on no
 * network of the concentrator, so without a route the LAN's replies to it
 * die as "network unreachable" before they ever meet the policy. Like
 * strongSwan, we route each outbound tunnel policy's destination the way the
 * tunnel's outer packets leave: RTM_GETROUTE to the outer peer (p->dst)
 * gives the interface and gateway, and "DST/PLEN dev OIF [via GW] proto 75"
 * goes into the main table (`ip route show proto 75` lists ours, as for
 * kernel-user). The route never carries the traffic in the clear: the
 * output policy matches first and the packet leaves as ESP.
 *
 * Rules:
 *  - one route per destination prefix of the policy's selectors (the same
 *    split as the policies: xfrm_policy.c), shared by every policy with that
 *    prefix (reference counted: several source selectors, one VIP);
 *  - never a default route (/0): it would take the host's own traffic;
 *  - policies with an if_id belong to an XFRM interface, whose routes are
 *    the operator's business: none;
 *  - only our routes are ever removed (protocol 75 and recorded here): a
 *    foreign route to the same prefix is left as it is, and then none of
 *    ours is added; a stale one of ours (a kanmond that was killed) is
 *    replaced;
 *  - routes go before their policy does (xfrm_policy.c): a route without its
 *    policy would send the LAN's packets for the client in the clear to the
 *    outer peer's link.
 * A route that cannot be added is a warning, not a failed policy: the SA
 * pair and policies are right and other routing (an operator's) may serve.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "xfrm.h"

#define KX_RTPROT 75	/* rtm_protocol "kanmon", as kernel-user (ku_route.c) */

static size_t alen_of(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

int kx_route_open(struct kx *kx)
{
	kx->rt_fd = -1;
	KX_RT_TAB_INIT(&kx->routes);
	if (!kx->cfg.routes)
		return 0;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	/* the kernel answers at once; a silent socket must not hang the loop */
	struct timeval tv = { .tv_sec = 5 };
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	kx->rt_fd = fd;
	return 0;
}

struct rt_req {
	struct nlmsghdr nh;
	struct rtmsg rt;
	uint8_t attrs[128];
};

static void put_attr(struct rt_req *q, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(void *)((uint8_t *)q + NLMSG_ALIGN(q->nh.nlmsg_len));
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	q->nh.nlmsg_len = NLMSG_ALIGN(q->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* what the kernel says about the path to the outer peer */
struct rt_path {
	int oif;
	int gw_family;		/* 0: on-link, no gateway */
	uint8_t gw[16];
	uint8_t type;		/* RTN_UNICAST, RTN_LOCAL, ... */
};

static void parse_route(const struct nlmsghdr *h, struct rt_path *out)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	out->type = rt->rtm_type;
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*rt));
	for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		size_t n = RTA_PAYLOAD(a);
		if (a->rta_type == RTA_OIF && n >= sizeof(int))
			memcpy(&out->oif, RTA_DATA(a), sizeof(int));
		else if (a->rta_type == RTA_GATEWAY && n == alen_of(rt->rtm_family)) {
			out->gw_family = rt->rtm_family;
			memcpy(out->gw, RTA_DATA(a), n);
		}
		/* RTA_VIA (a gateway of the other family) is left out: the route
		 * then goes on-link through the interface, which is all XFRM needs */
	}
}

/*
 * Sends one request, reads its answer: the NEWROUTE reply of a GETROUTE (into
 * path) or the ACK of the others. 0 or -errno.
 */
static int rt_talk(struct kx *kx, struct rt_req *q, struct rt_path *path)
{
	q->nh.nlmsg_seq = ++kx->rt_seq;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t w;
	do
		w = sendto(kx->rt_fd, q, q->nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	for (;;) {
		union {
			struct nlmsghdr nh;
			uint8_t b[4096];
		} buf;
		ssize_t n;
		do
			n = recv(kx->rt_fd, buf.b, sizeof(buf.b), 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		/* by hand, not NLMSG_OK/NEXT: their int length trips clang's
		 * -Wsign-compare and an unsigned one could wrap past the end */
		size_t left = (size_t)n;
		for (const uint8_t *p = buf.b; left >= sizeof(struct nlmsghdr);) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)(const void *)p;
			if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > left)
				break;
			if (h->nlmsg_seq == q->nh.nlmsg_seq) {
				if (h->nlmsg_type == NLMSG_ERROR) {
					if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
						return -EBADMSG;
					return ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
				}
				if (h->nlmsg_type == RTM_NEWROUTE && path) {
					if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
						return -EBADMSG;
					parse_route(h, path);
					return 0;
				}
			}
			/* (another seq: a late answer to an earlier request that timed out) */
			size_t step = NLMSG_ALIGN(h->nlmsg_len);
			if (step >= left)
				break;
			p += step;
			left -= step;
		}
	}
}

static void req_init(struct rt_req *q, uint16_t type, uint16_t flags, int family)
{
	memset(q, 0, sizeof(*q));
	q->nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	q->nh.nlmsg_type = type;
	q->nh.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	q->rt.rtm_family = (unsigned char)family;
}

/* The path the tunnel's outer packets take: RTM_GETROUTE to dst (from src when it is ours). */
static int outer_path(struct kx *kx, const struct kanmon_policy_params *p, struct rt_path *path)
{
	uint8_t dst[16], src[16];
	int family = kx_addr_bytes(&p->dst, dst);
	if (family < 0)
		return family;
	bool with_src = kx_addr_bytes(&p->src, src) == family;
	for (;;) {
		struct rt_req q;
		req_init(&q, RTM_GETROUTE, 0, family);
		q.rt.rtm_dst_len = (unsigned char)(alen_of(family) * 8);
		put_attr(&q, RTA_DST, dst, alen_of(family));
		if (with_src) {
			q.rt.rtm_src_len = q.rt.rtm_dst_len;
			put_attr(&q, RTA_SRC, src, alen_of(family));
		}
		memset(path, 0, sizeof(*path));
		int err = rt_talk(kx, &q, path);
		/* a template source that is not (yet) a local address: ask without it */
		if (err && with_src) {
			with_src = false;
			continue;
		}
		if (!err && !path->oif)
			err = -ENETUNREACH;
		return err;
	}
}

static int route_msg(struct kx *kx, uint16_t type, uint16_t flags, const struct kx_rt_rec *r)
{
	struct rt_req q;
	req_init(&q, type, (uint16_t)(NLM_F_ACK | flags), r->k.family);
	q.rt.rtm_dst_len = r->k.plen;
	q.rt.rtm_table = RT_TABLE_MAIN;
	q.rt.rtm_protocol = KX_RTPROT;	/* a delete matches only routes of this protocol */
	/* a delete of any scope: a stale route of ours may have had a gateway (or not) */
	q.rt.rtm_scope = type == RTM_DELROUTE ? RT_SCOPE_NOWHERE : r->gw_family ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	q.rt.rtm_type = RTN_UNICAST;
	put_attr(&q, RTA_DST, r->k.dst, alen_of(r->k.family));
	if (type == RTM_NEWROUTE) {
		put_attr(&q, RTA_OIF, &r->oif, sizeof(r->oif));
		if (r->gw_family)
			put_attr(&q, RTA_GATEWAY, r->gw, alen_of(r->gw_family));
	}
	return rt_talk(kx, &q, NULL);
}

static const char *rt_name(const struct kx_rt_rec *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN], dev[IF_NAMESIZE] = "";
	inet_ntop(r->k.family, r->k.dst, a, sizeof(a));
	if (r->oif && !if_indextoname((unsigned)r->oif, dev))
		snprintf(dev, sizeof(dev), "#%d", r->oif);
	if (r->gw_family)
		snprintf(buf, len, "%s/%u via %s dev %s", a, r->k.plen, inet_ntop(r->gw_family, r->gw, g, sizeof(g)), dev);
	else
		snprintf(buf, len, "%s/%u dev %s", a, r->k.plen, dev);
	return buf;
}

bool kx_route_applies(const struct kx *kx, const struct kx_pol_key *k, const struct kanmon_policy_params *p)
{
	return kx->rt_fd >= 0 && k->dir == XFRM_POLICY_OUT && p->mode == KANMON_SA_TUNNEL && !k->if_id;
}

bool kx_route_hold(struct kx *kx, const struct kx_sel *sel, const struct kanmon_policy_params *p)
{
	const struct kanmon_host *h = kx->host;
	char name[128];
	if (!sel->plen_d)
		return false;	/* never a default route; the caller says so once per policy */
	struct kx_rt_key k;
	memset(&k, 0, sizeof(k));
	k.family = sel->family;
	k.plen = sel->plen_d;
	memcpy(k.dst, sel->daddr, alen_of(sel->family));
	struct kx_rt_rec *r = (struct kx_rt_rec *)(void *)kx_tab_find(&kx->routes, &k);
	if (r) {
		r->refs++;
		return true;
	}
	struct kx_rt_rec rec;
	memset(&rec, 0, sizeof(rec));
	rec.k = k;
	struct rt_path path;
	int err = outer_path(kx, p, &path);
	char peer[INET6_ADDRSTRLEN + 8];
	if (err) {
		h->log(h, KANMON_LOG_WARNING, "no route for %s/%u: the tunnel's peer %s is unreachable (%s)",
		       inet_ntop(k.family, k.dst, name, sizeof(name)), k.plen, kx_addr_str(&p->dst, peer, sizeof(peer)),
		       strerror(-err));
		return false;
	}
	if (path.type != RTN_UNICAST) {
		/* a local peer (both ends on this host): routing the selector to lo would loop */
		h->log(h, KANMON_LOG_NOTICE, "no route for %s/%u: the tunnel's peer %s is not reached through an interface",
		       inet_ntop(k.family, k.dst, name, sizeof(name)), k.plen, kx_addr_str(&p->dst, peer, sizeof(peer)));
		return false;
	}
	rec.oif = path.oif;
	/* a gateway of the other family cannot be the route's next hop: on-link then */
	if (path.gw_family == k.family) {
		rec.gw_family = path.gw_family;
		memcpy(rec.gw, path.gw, sizeof(rec.gw));
	}
	err = route_msg(kx, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rec);
	if (err == -EEXIST) {
		/* ours from an earlier run (protocol 75) goes; someone else's stays */
		int d = route_msg(kx, RTM_DELROUTE, 0, &rec);
		if (d == -ESRCH) {
			h->log(h, KANMON_LOG_NOTICE, "not routing %s: a route to it exists already (not kanmon's)",
			       rt_name(&rec, name, sizeof(name)));
			return false;
		}
		err = d ? d : route_msg(kx, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rec);
	}
	if (err) {
		h->log(h, KANMON_LOG_WARNING, "cannot add route %s: %s", rt_name(&rec, name, sizeof(name)),
		       strerror(-err));
		return false;
	}
	r = malloc(sizeof(*r));
	if (r) {
		*r = rec;
		r->refs = 1;
	}
	if (!r || kx_tab_add(&kx->routes, &r->node)) {
		free(r);
		/* untracked it would stay forever: take it back */
		route_msg(kx, RTM_DELROUTE, 0, &rec);
		h->log(h, KANMON_LOG_ERR, "out of memory tracking route %s: not installed", rt_name(&rec, name, sizeof(name)));
		return false;
	}
	if (h->log_enabled(h, KANMON_LOG_DEBUG))
		h->log(h, KANMON_LOG_DEBUG, "added route %s proto %d", rt_name(r, name, sizeof(name)), KX_RTPROT);
	return true;
}

static int route_del(struct kx *kx, struct kx_rt_rec *r)
{
	int err = route_msg(kx, RTM_DELROUTE, 0, r);
	/* gone already (its interface went away, an operator removed it): fine */
	if (err && err != -ESRCH) {
		char name[128];
		kx->host->log(kx->host, KANMON_LOG_WARNING, "cannot remove route %s: %s", rt_name(r, name, sizeof(name)),
			      strerror(-err));
	}
	return err == -ESRCH ? 0 : err;
}

void kx_route_release(struct kx *kx, const struct kx_sel *sel)
{
	struct kx_rt_key k;
	memset(&k, 0, sizeof(k));
	k.family = sel->family;
	k.plen = sel->plen_d;
	memcpy(k.dst, sel->daddr, alen_of(sel->family));
	struct kx_rt_rec *r = (struct kx_rt_rec *)(void *)kx_tab_find(&kx->routes, &k);
	if (!r || --r->refs)
		return;
	if (kx->host->log_enabled(kx->host, KANMON_LOG_DEBUG)) {
		char name[128];
		kx->host->log(kx->host, KANMON_LOG_DEBUG, "removing route %s", rt_name(r, name, sizeof(name)));
	}
	route_del(kx, r);
	/* forgotten even when the kernel refused: never retried blindly (as policies at close) */
	kx_tab_del(&kx->routes, &r->node);
	free(r);
}

size_t kx_route_close(struct kx *kx)
{
	size_t removed = 0;
	struct kx_node *n;
	while ((n = kx_tab_pop(&kx->routes))) {
		if (!route_del(kx, (struct kx_rt_rec *)(void *)n))
			removed++;
		free(n);
	}
	kx_tab_free(&kx->routes);
	if (kx->rt_fd >= 0)
		close(kx->rt_fd);
	kx->rt_fd = -1;
	return removed;
}
