/* SPDX-License-Identifier: MIT */
/*
 * xfrm_nl.c - the request channel to the kernel (xfrm.h "netlink
 * transport"): a plain NETLINK_XFRM socket driven with sendmsg/recv, not a
 * libnl nl_sock, because
 *  - a batch of requests goes out in one sendmsg (one iovec per message) and
 *    the ACKs are collected afterwards: the kernel handles each message of
 *    the datagram in turn and answers each, so n requests cost 1 + n
 *    syscalls instead of 2n;
 *  - the kernel's errno and extended ACK text reach the caller unchanged
 *    (libnl maps errnos to its own NLE_* codes);
 *  - NETLINK_CAP_ACK keeps the kernel from echoing a refused request, which
 *    would carry its keys, back into our buffer.
 * Messages themselves are still built by libnl(-xfrm).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include "xfrm.h"
#include "xfrm_msg.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define KX_NL_BUF (64 * 1024)
/* per sendmsg: bounded so the ACKs of one chunk always fit the receive buffer */
#define KX_NL_CHUNK_MSGS 128
#define KX_NL_CHUNK_BYTES (96 * 1024)
#define KX_NL_SOCKBUF (2 * 1024 * 1024)

void kx_wipe(void *p, size_t len)
{
	if (p && len)
		explicit_bzero(p, len);
}

int kx_nl_open(struct kx_nl *nl)
{
	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_XFRM);
	if (nl->fd < 0)
		return -errno;
	int one = 1, size = KX_NL_SOCKBUF;
	/* extended ACK text and capped ACKs: both optional, older kernels lack them */
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* FORCE needs CAP_NET_ADMIN, which we have; the plain ones are the fallback */
	if (setsockopt(nl->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(nl->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* the kernel answers synchronously; a silent socket means something is badly wrong */
	struct timeval tv = { .tv_sec = 10 };
	(void)setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int err = 0;
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		err = -errno;
	else if (!(nl->buf = malloc(KX_NL_BUF)))
		err = -ENOMEM;
	if (err) {
		close(nl->fd);
		nl->fd = -1;
		return err;
	}
	nl->buf_len = KX_NL_BUF;
	nl->seq = (uint32_t)time(NULL);
	return 0;
}

void kx_nl_wipe(struct kx_nl *nl)
{
	kx_wipe(nl->buf, nl->buf_dirty);
	nl->buf_dirty = 0;
}

void kx_nl_close(struct kx_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
	kx_nl_wipe(nl);
	free(nl->buf);
	nl->buf = NULL;
}

/* Sends r[0..n) in one datagram. */
static int send_chunk(struct kx_nl *nl, struct kx_req *r, size_t n)
{
	struct iovec iov[KX_NL_CHUNK_MSGS];
	for (size_t i = 0; i < n; i++) {
		iov[i].iov_base = r[i].msg;
		iov[i].iov_len = NLMSG_ALIGN(r[i].msg->nlmsg_len);
	}
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct msghdr mh = { .msg_name = &kernel, .msg_namelen = sizeof(kernel), .msg_iov = iov,
			     .msg_iovlen = n };
	ssize_t w;
	do
		w = sendmsg(nl->fd, &mh, 0);
	while (w < 0 && errno == EINTR);
	return w < 0 ? -errno : 0;
}

/* Reads until every request of the chunk (seq first..first+n-1) is answered. */
static int collect(struct kx_nl *nl, struct kx_req *r, size_t n, uint32_t first)
{
	size_t open = n;
	while (open) {
		ssize_t got;
		do
			got = recv(nl->fd, nl->buf, nl->buf_len, MSG_TRUNC);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		if ((size_t)got > nl->buf_len) {
			/* never with our buffer (dumps come in <= 32 KiB pieces); the rest is lost */
			nl->buf_dirty = nl->buf_len;
			return -EMSGSIZE;
		}
		if ((size_t)got > nl->buf_dirty)
			nl->buf_dirty = (size_t)got;
		size_t len = (size_t)got, off = 0;
		while (len - off >= NLMSG_HDRLEN) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)(nl->buf + off);
			if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len - off)
				break;
			uint32_t idx = h->nlmsg_seq - first;
			/* stale answers (a request that timed out earlier) are skipped */
			if (idx < n && r[idx].err == 1) {
				int err = 0;
				char text[sizeof(nl->errmsg)];
				int rc = kx_msg_ack(h, h->nlmsg_len, &err, text, sizeof(text));
				if (rc == -ENOMSG && h->nlmsg_type == NLMSG_DONE) {
					/* the end of a dump (dumps are not ACKed) */
					r[idx].err = 0;
					open--;
				} else if (rc == -ENOMSG) {
					if (r[idx].reply)
						r[idx].reply(&r[idx], h);
				} else {
					r[idx].err = rc ? rc : err;
					open--;
					if (r[idx].err && !nl->errmsg[0])
						memcpy(nl->errmsg, text, sizeof(text));
				}
			}
			off += NLMSG_ALIGN(h->nlmsg_len);
		}
	}
	return 0;
}

int kx_nl_run(struct kx_nl *nl, struct kx_req *r, size_t n)
{
	nl->errmsg[0] = '\0';
	size_t done = 0;
	int err = 0;
	while (done < n && !err) {
		size_t k = 0, bytes = 0;
		uint32_t first = nl->seq;
		while (done + k < n && k < KX_NL_CHUNK_MSGS) {
			struct nlmsghdr *h = r[done + k].msg;
			if (k && bytes + h->nlmsg_len > KX_NL_CHUNK_BYTES)
				break;
			h->nlmsg_seq = nl->seq++;
			h->nlmsg_pid = 0;
			h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
			r[done + k].err = 1;	/* pending */
			bytes += NLMSG_ALIGN(h->nlmsg_len);
			k++;
		}
		err = send_chunk(nl, r + done, k);
		if (!err)
			err = collect(nl, r + done, k, first);
		done += k;
	}
	for (size_t i = 0; i < n; i++)
		if (r[i].err == 1 || i >= done)
			r[i].err = err ? err : -EIO;
	return err;
}

/* ---- addresses ------------------------------------------------------------ */

int kx_addr_bytes(const struct sockaddr_storage *ss, uint8_t out[16])
{
	memset(out, 0, 16);
	if (ss->ss_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return AF_INET;
	}
	if (ss->ss_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		return AF_INET6;
	}
	return -EAFNOSUPPORT;
}

void kx_addr_make(int family, const uint8_t *bytes, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, bytes, 4);
		s->sin_port = htons(port);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, bytes, 16);
		s->sin6_port = htons(port);
	}
}

const char *kx_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	uint8_t b[16];
	int family = kx_addr_bytes(ss, b);
	if (family < 0 || !inet_ntop(family, b, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}
