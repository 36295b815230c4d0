/* SPDX-License-Identifier: MIT */
/*
 * ku_route.c - routes into the TUN device for the destinations of outbound
 * tunnel policies (a client's virtual IP, a remote subnet), so that what
 * IKE negotiates is all it takes: traffic for the pool enters the TUN and
 * meets the policy. Selectors are ranges; routes are prefixes: a range is
 * split into at most KU_ROUTE_MAX prefixes. Default routes (/0) are never
 * installed: they would swallow the ESP packets themselves.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ku.h"

#define KU_ROUTE_MAX 16
#define KU_RTPROT 0x4b	/* rtm_protocol "kanmon": ip route show proto 75 lists ours */

static int rt_msg(int ifindex, bool add, int family, const uint8_t *dst, unsigned plen)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		uint8_t attrs[64];
	} req;
	memset(&req, 0, sizeof(req));
	size_t alen = family == AF_INET6 ? 16 : 4;
	req.nh.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = (unsigned char)family;
	req.rt.rtm_dst_len = (unsigned char)plen;
	req.rt.rtm_table = RT_TABLE_MAIN;
	req.rt.rtm_protocol = KU_RTPROT;
	req.rt.rtm_scope = RT_SCOPE_LINK;
	req.rt.rtm_type = RTN_UNICAST;
	struct rtattr *a = (struct rtattr *)(void *)req.attrs;
	a->rta_type = RTA_DST;
	a->rta_len = (unsigned short)RTA_LENGTH(alen);
	memcpy(RTA_DATA(a), dst, alen);
	struct rtattr *b = (struct rtattr *)(void *)(req.attrs + RTA_ALIGN(a->rta_len));
	b->rta_type = RTA_OIF;
	b->rta_len = RTA_LENGTH(sizeof(int));
	memcpy(RTA_DATA(b), &ifindex, sizeof(int));
	req.nh.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(struct rtmsg)) + RTA_ALIGN(a->rta_len) + b->rta_len);
	int err = 0;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		err = -errno;
	} else {
		uint8_t buf[512];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh = (struct nlmsghdr *)(void *)buf;
		if (n < 0)
			err = -errno;
		else if ((size_t)n >= NLMSG_LENGTH(sizeof(struct nlmsgerr)) && nh->nlmsg_type == NLMSG_ERROR)
			err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
	}
	close(fd);
	return err;
}

/*
 * The largest prefix that starts at lo and stays within [lo, hi]: its
 * length is returned, lo is moved past it, *done tells whether it reached hi.
 */
static unsigned next_prefix(uint8_t *lo, const uint8_t *hi, size_t n, bool *done)
{
	unsigned bits = (unsigned)n * 8, plen = bits;
	uint8_t last[16];
	while (plen > 0) {
		unsigned p = plen - 1;
		if (lo[p / 8] & (0x80 >> (p % 8)))
			break;	/* lo is not aligned to a block twice as big */
		memcpy(last, lo, n);
		for (unsigned i = p; i < bits; i++)
			last[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		if (memcmp(last, hi, n) > 0)
			break;
		plen = p;
	}
	memcpy(last, lo, n);
	for (unsigned i = plen; i < bits; i++)
		last[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	*done = !memcmp(last, hi, n);
	/* lo = last + 1 */
	memcpy(lo, last, n);
	for (int i = (int)n - 1; i >= 0; i--)
		if (++lo[i])
			break;
	return plen;
}

int ku_routes(struct ku *ku, const struct ku_pol *p, bool add)
{
	if (!ku->routes || p->dir != KANMON_SA_OUT || p->mode != KANMON_SA_TUNNEL || !p->dst.family ||
	    !ku->tun_ifindex)
		return 0;
	size_t n = p->dst.family == AF_INET6 ? 16 : 4;
	uint8_t lo[16], start[16];
	memcpy(lo, p->dst.from, n);
	bool done = false;
	int count = 0, err = 0;
	while (!done && count < KU_ROUTE_MAX) {
		memcpy(start, lo, n);
		unsigned plen = next_prefix(lo, p->dst.to, n, &done);
		count++;
		if (plen == 0) {
			ku->host->log(ku->host, KANMON_LOG_NOTICE,
				      "not routing a default route into %s: route the policy's destinations yourself",
				      ku->tun_name);
			continue;
		}
		int r = rt_msg(ku->tun_ifindex, add, p->dst.family, start, plen);
		if (r && !(r == -ESRCH && !add) && !err)
			err = r;
	}
	if (err)
		ku->host->log(ku->host, KANMON_LOG_WARNING, "cannot %s routes into %s for a policy: %s",
			      add ? "add" : "remove", ku->tun_name, strerror(-err));
	return err;
}
