/* SPDX-License-Identifier: MIT */
/*
 * xfrm_events.c - kernel events to the core. A second NETLINK_XFRM socket
 * (the request socket must only ever see answers to its own requests) joins
 * the multicast groups ACQUIRE, EXPIRE and MAPPING and is watched on the
 * event loop; messages are parsed by the pure parser in xfrm_msg.c and
 * handed to host->sa_event() on the loop thread.
 *
 * Only events about our own SAs and policies go out: the kernel multicasts
 * every SA's expiry to every listener, and another IKE daemon's SAs are none
 * of our business. A hard expire means the kernel deleted the SA, so it
 * leaves the ownership table too; a larval SA (alloc_spi never followed by
 * add_sa) expiring is dropped quietly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>

#include "xfrm.h"
#include "xfrm_msg.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define LOG(kx, lvl, ...) (kx)->host->log((kx)->host, (lvl), __VA_ARGS__)

static const char *type_name(enum kanmon_sa_event_type t)
{
	switch (t) {
	case KANMON_SA_ACQUIRE:
		return "acquire";
	case KANMON_SA_SOFT_EXPIRE:
		return "soft expire";
	case KANMON_SA_HARD_EXPIRE:
		return "hard expire";
	case KANMON_SA_MAPPING:
		return "NAT mapping change";
	}
	return "?";
}

static struct kx_sa_rec *sa_by_event(struct kx *kx, const struct kanmon_sa_event *ev, bool ignore_mark)
{
	struct kx_sa_key k;
	if (kx_sa_key_from_id(&ev->sa, &k))
		return NULL;
	if (!ignore_mark)
		return (struct kx_sa_rec *)(void *)kx_tab_find(&kx->sas, &k);
	/* MAPPING carries no mark: (dst, SPI, protocol) is unique among inbound SAs anyway */
	for (struct kx_node *n = kx_tab_next(&kx->sas, NULL); n; n = kx_tab_next(&kx->sas, n)) {
		struct kx_sa_rec *r = (struct kx_sa_rec *)(void *)n;
		if (r->k.family == k.family && r->k.spi == k.spi && r->k.proto == k.proto &&
		    !memcmp(r->k.dst, k.dst, 16))
			return r;
	}
	return NULL;
}

static bool policy_owned(struct kx *kx, const struct kanmon_policy_id *p)
{
	struct kx_sel *sel = NULL;
	size_t n = 0;
	bool owned = false;
	/* the event's ranges came from one prefix pair: they split back into exactly it */
	if (!kx_ts_split(&p->src_ts, &p->dst_ts, &sel, &n) && n == 1) {
		struct kx_pol_key k;
		memset(&k, 0, sizeof(k));
		k.sel = sel[0];
		k.dir = p->dir == KANMON_SA_IN ? XFRM_POLICY_IN : p->dir == KANMON_SA_FWD ? XFRM_POLICY_FWD : XFRM_POLICY_OUT;
		k.mark_v = p->mark;
		k.mark_m = p->mark_mask;
		k.if_id = p->if_id;
		owned = kx_tab_find(&kx->pols, &k) != NULL;
	}
	free(sel);
	return owned;
}

static void deliver(const struct kanmon_sa_event *in, void *arg)
{
	struct kx *kx = arg;
	struct kanmon_sa_event ev = *in;
	char name[160];
	if (ev.type == KANMON_SA_ACQUIRE) {
		if (!policy_owned(kx, &ev.policy))
			return;
		LOG(kx, KANMON_LOG_INFO, "acquire for reqid %u (traffic without an SA)", ev.reqid);
		kx->host->sa_event(kx->host, &ev);
		return;
	}
	struct kx_sa_rec *rec = sa_by_event(kx, &ev, ev.type == KANMON_SA_MAPPING);
	if (!rec)
		return;
	if (rec->larval) {
		if (ev.type == KANMON_SA_HARD_EXPIRE) {
			kx_tab_del(&kx->sas, &rec->node);
			free(rec);
		}
		return;
	}
	/* what the kernel left out (MAPPING: mark, if_id; EXPIRE: nothing) from our record */
	ev.sa.mark = rec->k.mark_v;
	ev.sa.mark_mask = rec->k.mark_m;
	ev.sa.if_id = rec->if_id;
	if (!ev.reqid)
		ev.reqid = rec->reqid;
	kx_sa_name(&ev.sa, name, sizeof(name));
	LOG(kx, KANMON_LOG_INFO, "%s of %s reqid %u", type_name(ev.type), name, ev.reqid);
	if (ev.type == KANMON_SA_HARD_EXPIRE) {
		/* the kernel already deleted it */
		kx_tab_del(&kx->sas, &rec->node);
		free(rec);
	}
	kx->host->sa_event(kx->host, &ev);
}

void kx_events_input(struct kx *kx, const uint8_t *buf, size_t len)
{
	if (kx_msg_events(buf, len, deliver, kx) < 0)
		LOG(kx, KANMON_LOG_WARNING, "malformed XFRM event message (%zu bytes) ignored", len);
}

static void on_readable(int fd, unsigned events, void *arg)
{
	struct kx *kx = arg;
	/* 8 KiB: the biggest event (ACQUIRE with templates and a security context) is far smaller */
	static uint8_t buf[8192] __attribute__((aligned(8)));
	(void)events;
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS) {
			/* the kernel dropped events: say so once, keep reading what is left */
			if (!kx->events_lost++)
				LOG(kx, KANMON_LOG_WARNING, "XFRM event socket overran: some expire/acquire events were lost");
			continue;
		}
		if (n <= 0)
			return;
		kx_events_input(kx, buf, (size_t)n);
	}
}

int kx_events_open(struct kx *kx)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_XFRM);
	if (fd < 0)
		return -errno;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int size = 1024 * 1024, err = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		err = -errno;
	static const unsigned groups[] = { XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE, XFRMNLGRP_MAPPING };
	for (size_t i = 0; !err && i < sizeof(groups) / sizeof(groups[0]); i++)
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof(groups[i])) < 0)
			err = -errno;
	if (!err && !(kx->ev_watch = kx->host->watch_new(kx->host, fd, KANMON_WATCH_READ, on_readable, kx)))
		err = -ENOMEM;
	if (err) {
		close(fd);
		return err;
	}
	kx->ev_fd = fd;
	return 0;
}

void kx_events_close(struct kx *kx)
{
	kx->host->watch_free(kx->ev_watch);
	kx->ev_watch = NULL;
	if (kx->ev_fd >= 0)
		close(kx->ev_fd);
	kx->ev_fd = -1;
}
