/* SPDX-License-Identifier: MIT */
/*
 * xfrm_capture.c - records real kernel XFRM netlink messages as C arrays
 * for test/xfrm/vectors.h (how the test vectors were made; not run by ctest).
 *
 *   xfrm_capture host   (root; any kernel with XFRM_USER, ESP not needed)
 *       ALLOCSPI reply, plain ACK, GETSA reply of the larval SA, the refusal
 *       of an ESP SA with its extended ACK (on a kernel without ESP), an
 *       ACQUIRE (marked policy, marked packet) and the hard EXPIRE of the
 *       larval SA (net.core.xfrm_acq_expires = 1).
 *   xfrm_capture esp    (root; a kernel with ESP, e.g. inside UML)
 *       GETSA reply of a real AES-GCM SA with ESN, encapsulation and mark;
 *       its soft and hard EXPIRE (soft 1 s, hard 2 s).
 *
 * Runs in a scratch network namespace of its own (unshare).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netlink/msg.h>

#include "xfrm.h"
#include "xfrm_msg.h"

static void dump(const char *name, const char *comment, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	printf("/* %s */\nstatic const uint8_t %s[] = {", comment, name);
	for (size_t i = 0; i < len; i++)
		printf("%s0x%02x,", i % 12 ? " " : "\n\t", p[i]);
	printf("\n};\n\n");
}

static int ev_fd;

static int ev_open(void)
{
	ev_fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_XFRM);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	if (ev_fd < 0 || bind(ev_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	unsigned g[] = { XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE, XFRMNLGRP_MAPPING };
	for (int i = 0; i < 3; i++)
		if (setsockopt(ev_fd, 270, NETLINK_ADD_MEMBERSHIP, &g[i], sizeof(g[i])) < 0)
			return -1;
	return 0;
}

/* waits up to secs for an event of type (with spi != 0 when want_spi) */
static int ev_wait(uint16_t type, int want_spi, int hard, const char *name, const char *comment, int secs)
{
	struct timeval tv = { .tv_sec = secs };
	setsockopt(ev_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	uint8_t buf[8192];
	for (;;) {
		ssize_t n = recv(ev_fd, buf, sizeof(buf), 0);
		if (n <= 0) {
			fprintf(stderr, "no %s within %d s\n", name, secs);
			return -1;
		}
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		if (getenv("CAPTURE_DEBUG"))
			fprintf(stderr, "event type %u len %u\n", h->nlmsg_type, h->nlmsg_len);
		if (h->nlmsg_type != type)
			continue;
		if (type == XFRM_MSG_EXPIRE) {
			struct xfrm_user_expire x;
			memcpy(&x, NLMSG_DATA(h), sizeof(x));
			if ((want_spi && !x.state.id.spi) || x.hard != hard)
				continue;
		}
		dump(name, comment, buf, h->nlmsg_len);
		return 0;
	}
}

/* sends msg, dumps every answer: data replies as name, the ACK as ack_name */
static int talk(int fd, struct nlmsghdr *h, const char *name, const char *comment, const char *ack_name,
		const char *ack_comment)
{
	static uint32_t seq = 1;
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = seq++;
	if (send(fd, h, h->nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		uint8_t buf[16384];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		struct nlmsghdr *r = (struct nlmsghdr *)buf;
		if (r->nlmsg_type == NLMSG_ERROR) {
			int err;
			memcpy(&err, NLMSG_DATA(r), sizeof(err));
			if (ack_name)
				dump(ack_name, ack_comment, buf, r->nlmsg_len);
			return err;
		}
		if (name)
			dump(name, comment, buf, r->nlmsg_len);
	}
}

/* a dump: every datagram until NLMSG_DONE, each printed as one array */
static void dump_policies(int fd, struct nlmsghdr *h)
{
	h->nlmsg_flags |= NLM_F_REQUEST;
	h->nlmsg_seq = 77;
	if (send(fd, h, h->nlmsg_len, 0) < 0)
		return;
	for (int part = 0;; part++) {
		uint8_t buf[32768];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return;
		char name[32];
		snprintf(name, sizeof(name), "cap_policy_dump_%d", part);
		dump(name, part ? "policy dump, continued" :
			     "GETPOLICY dump: out 10.1.0.0/24 -> 10.9.9.0/24 udp dport 1701 mark 0x2a/0xff reqid 7 prio 1000; "
			     "in 10.3.0.0/16 -> 10.4.0.7/32 tcp sport 1024 if_id 0x11 reqid 8 prio 2000 (then NLMSG_DONE)",
		     buf, (size_t)n);
		for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, n); m = NLMSG_NEXT(m, n))
			if (m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR)
				return;
	}
}

static int nl_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_XFRM), one = 1;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	setsockopt(fd, 270, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, 270, NETLINK_CAP_ACK, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

static void ids(struct kanmon_sa_id *id, uint32_t spi)
{
	static const uint8_t a[4] = { 192, 0, 2, 1 }, b[4] = { 192, 0, 2, 2 };
	memset(id, 0, sizeof(*id));
	kx_addr_make(AF_INET, a, 0, &id->src);
	kx_addr_make(AF_INET, b, 0, &id->dst);
	id->spi = htonl(spi);
	id->proto = 50;
	id->mark = 0x2a;
	id->mark_mask = 0xff;
}

static int host_mode(void)
{
	int fd = nl_socket();
	if (fd < 0 || ev_open() || system("ip link set lo up && ip link add v0 type veth peer name v1 && "
					  "ip link set v0 up && ip link set v1 up && ip addr add 10.1.0.1/24 dev v0 && "
					  "ip route add 10.9.9.0/24 dev v0 && "
					  "sysctl -qw net.core.xfrm_acq_expires=1"))
		return 1;
	struct kx_spi_req q = { .family = AF_INET, .proto = 50, .mark_v = 0x2a, .mark_m = 0xff,
				.min = 0xc0000123, .max = 0xc0000123 };
	q.src[0] = 192, q.src[1] = 0, q.src[2] = 2, q.src[3] = 1;
	q.dst[0] = 192, q.dst[1] = 0, q.dst[2] = 2, q.dst[3] = 2;
	struct nl_msg *m;
	if (kx_msg_allocspi(&q, &m))
		return 1;
	dump("req_allocspi",
	     "kx_msg_allocspi(): 192.0.2.1 -> 192.0.2.2 ESP, mark 0x2a/0xff, SPI 0xc0000123 only (request as sent, seq 1)",
	     nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
	talk(fd, nlmsg_hdr(m), "cap_allocspi_reply", "kernel's ALLOCSPI answer (XFRM_MSG_NEWSA, larval SA)", "cap_ack_ok",
	     "plain ACK (NLMSG_ERROR 0, capped)");
	nlmsg_free(m);

	struct kanmon_sa_id id;
	ids(&id, 0xc0000123);
	struct kanmon_sa_params p = { .size = sizeof(p), .mode = KANMON_SA_TUNNEL, .dir = KANMON_SA_IN,
				      .enc_alg = KANMON_ENCR_AES_CBC, .enc_key_len = 16, .integ_alg = KANMON_AUTH_HMAC_SHA2_256_128,
				      .integ_key_len = 32, .reqid = 7 };
	static const uint8_t key[32];
	p.enc_key = key;
	p.integ_key = key;
	ids(&id, 0xc0000456);
	if (!kx_sa_msg(&id, &p, 32, false, &m)) {
		talk(fd, nlmsg_hdr(m), NULL, NULL, "cap_ack_no_esp",
		     "NEWSA of an AES-CBC/HMAC-SHA-256 SA refused by a kernel without esp4 (capped, extended ACK text)");
		nlmsg_free(m);
	}

	/* the larval SA as GETSA shows it */
	struct {
		struct nlmsghdr h;
		struct xfrm_usersa_id id;
		uint8_t attr[NLA_HDRLEN + sizeof(struct xfrm_mark)];
	} get;
	memset(&get, 0, sizeof(get));
	get.h.nlmsg_type = XFRM_MSG_GETSA;
	get.h.nlmsg_len = sizeof(get);
	get.id.family = AF_INET;
	get.id.proto = 50;
	get.id.spi = htonl(0xc0000123);
	memcpy(&get.id.daddr, q.dst, 4);
	struct nlattr *a = (struct nlattr *)get.attr;
	a->nla_type = XFRMA_MARK;
	a->nla_len = NLA_HDRLEN + sizeof(struct xfrm_mark);
	struct xfrm_mark mk = { 0x2a, 0xff };
	memcpy(get.attr + NLA_HDRLEN, &mk, sizeof(mk));
	talk(fd, &get.h, "cap_getsa_larval", "GETSA answer for the larval SA (XFRM_MSG_NEWSA)", NULL, NULL);

	ev_wait(XFRM_MSG_EXPIRE, 1, 1, "cap_expire_hard_larval",
		"hard EXPIRE of the ALLOCSPI larval SA 0xc0000123 (xfrm_acq_expires = 1), mark 0x2a/0xff", 5);
	if (system("ip xfrm policy add src 10.1.0.0/24 dst 10.9.9.0/24 proto udp dport 1701 dir out "
		   "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 7 mode tunnel mark 0x2a mask 0xff "
		   "priority 1000"))
		return 1;
	int u = socket(AF_INET, SOCK_DGRAM, 0), mark = 0x2a;
	setsockopt(u, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(1701) };
	inet_pton(AF_INET, "10.9.9.9", &to.sin_addr);
	sendto(u, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to));
	ev_wait(XFRM_MSG_ACQUIRE, 0, 0, "cap_acquire",
		"ACQUIRE: policy out 10.1.0.0/24 -> 10.9.9.0/24 udp dport 1701, tmpl 192.0.2.1 -> 192.0.2.2 "
		"ESP tunnel reqid 7, mark 0x2a/0xff; packet 10.1.0.1 -> 10.9.9.9",
		5);

	/* a policy dump: the acquire's policy plus one with if_id (dumps may be multipart) */
	if (system("ip xfrm policy add src 10.3.0.0/16 dst 10.4.0.7/32 proto tcp sport 1024 dir in "
		   "tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 8 mode tunnel if_id 0x11 priority 2000"))
		return 1;
	struct {
		struct nlmsghdr h;
		struct xfrm_userpolicy_info p;
	} dump;
	memset(&dump, 0, sizeof(dump));
	dump.h.nlmsg_type = XFRM_MSG_GETPOLICY;
	dump.h.nlmsg_flags = NLM_F_DUMP;
	dump.h.nlmsg_len = sizeof(dump);
	dump_policies(fd, &dump.h);
	return 0;
}

static int esp_mode(void)
{
	int fd = nl_socket();
	if (fd < 0 || ev_open() || system("ip link set lo up"))
		return 1;
	static const uint8_t key[36] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
					 0x1c, 0x1d, 0x1e, 0x1f, 0xc0, 0xc1, 0xc2, 0xc3 };
	struct kanmon_sa_id id;
	ids(&id, 0xc0000789);
	struct kanmon_sa_params p = { .size = sizeof(p), .mode = KANMON_SA_TUNNEL, .dir = KANMON_SA_IN,
				      .enc_alg = KANMON_ENCR_AES_GCM_16, .enc_key = key, .enc_key_len = 20,
				      .esn = true, .replay_window = 128, .encap_sport = 4500, .encap_dport = 4501,
				      .reqid = 9 };
	p.soft.seconds = 2;
	p.hard.seconds = 6;
	p.soft.bytes = 100000;
	struct nl_msg *m;
	if (kx_sa_msg(&id, &p, 128, false, &m))
		return 1;
	if (talk(fd, nlmsg_hdr(m), NULL, NULL, NULL, NULL))
		return 1;
	nlmsg_free(m);
	struct {
		struct nlmsghdr h;
		struct xfrm_usersa_id id;
		uint8_t attr[NLA_HDRLEN + sizeof(struct xfrm_mark)];
	} get;
	memset(&get, 0, sizeof(get));
	get.h.nlmsg_type = XFRM_MSG_GETSA;
	get.h.nlmsg_len = sizeof(get);
	get.id.family = AF_INET;
	get.id.proto = 50;
	get.id.spi = htonl(0xc0000789);
	kx_addr_bytes(&id.dst, (uint8_t *)&get.id.daddr);
	struct nlattr *a = (struct nlattr *)get.attr;
	a->nla_type = XFRMA_MARK;
	a->nla_len = NLA_HDRLEN + sizeof(struct xfrm_mark);
	struct xfrm_mark mk = { 0x2a, 0xff };
	memcpy(get.attr + NLA_HDRLEN, &mk, sizeof(mk));
	talk(fd, &get.h, "cap_getsa_esp",
	     "GETSA answer for SA 0xc0000789 192.0.2.1 -> 192.0.2.2: rfc4106(gcm(aes)) 128-bit key + salt (test key "
	     "10..1f c0..c3), ICV 128, ESN, window 128, encap 4500 -> 4501, mark 0x2a/0xff, reqid 9, soft 2 s / "
	     "100000 bytes, hard 6 s",
	     NULL, NULL);
	ev_wait(XFRM_MSG_EXPIRE, 1, 0, "cap_expire_soft", "soft EXPIRE of that SA (soft add time 2 s)", 10);
	ev_wait(XFRM_MSG_EXPIRE, 1, 1, "cap_expire_hard", "hard EXPIRE of that SA (hard add time 6 s)", 10);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2 || unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "usage (root): xfrm_capture host|esp\n");
		return 2;
	}
	printf("/* captured by test/xfrm/tools/xfrm_capture %s */\n\n", argv[1]);
	return !strcmp(argv[1], "host") ? host_mode() : !strcmp(argv[1], "esp") ? esp_mode() : 2;
}
