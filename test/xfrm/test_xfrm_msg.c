/* SPDX-License-Identifier: MIT */
/*
 * test_xfrm_msg.c - the pure builders and parsers of xfrm_msg.c against
 * messages captured from real kernels (vectors.h), every truncation of them,
 * and the libnl-built SA requests of xfrm_sa.c field by field.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <linux/netlink.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "vectors.h"
#include "xfrm.h"
#include "xfrm_msg.h"

#define H(v) ((const struct nlmsghdr *)(const void *)(v))

/* vectors are byte arrays: copy to aligned storage like a recv buffer */
static const struct nlmsghdr *aligned(const uint8_t *v, size_t len)
{
	static uint64_t buf[2048];
	ck_assert_uint_le(len, sizeof(buf));
	memcpy(buf, v, len);
	return (const struct nlmsghdr *)buf;
}
#define A(v) aligned((v), sizeof(v))

static void addr4(struct sockaddr_storage *ss, const char *s)
{
	uint8_t b[16] = { 0 };
	ck_assert_int_eq(inet_pton(AF_INET, s, b), 1);
	kx_addr_make(AF_INET, b, 0, ss);
}

static const char *str(const struct sockaddr_storage *ss)
{
	static char buf[4][64];
	static int i;
	i = (i + 1) % 4;
	return kx_addr_str(ss, buf[i], sizeof(buf[i]));
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

START_TEST(allocspi_request_matches_capture)
{
	struct kx_spi_req q = { .family = AF_INET, .proto = 50, .mark_v = 0x2a, .mark_m = 0xff, .min = 0xc0000123,
				.max = 0xc0000123 };
	inet_pton(AF_INET, "192.0.2.1", q.src);
	inet_pton(AF_INET, "192.0.2.2", q.dst);
	struct nl_msg *m;
	ck_assert_int_eq(kx_msg_allocspi(&q, &m), 0);
	struct nlmsghdr *h = nlmsg_hdr(m);
	ck_assert_uint_eq(h->nlmsg_len, sizeof(req_allocspi));
	ck_assert_int_eq(memcmp(h, req_allocspi, sizeof(req_allocspi)), 0);
	nlmsg_free(m);
	q.min = 2, q.max = 1;
	ck_assert_int_eq(kx_msg_allocspi(&q, &m), -EINVAL);
	q.min = 1, q.family = AF_UNIX;
	ck_assert_int_eq(kx_msg_allocspi(&q, &m), -EINVAL);
	/* without mark/if_id the attributes stay out */
	q.family = AF_INET, q.mark_v = q.mark_m = 0, q.if_id = 7;
	ck_assert_int_eq(kx_msg_allocspi(&q, &m), 0);
	struct nlattr *a = nlmsg_find_attr(nlmsg_hdr(m), sizeof(struct xfrm_userspi_info), XFRMA_IF_ID);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(nla_get_u32(a), 7);
	ck_assert_ptr_null(nlmsg_find_attr(nlmsg_hdr(m), sizeof(struct xfrm_userspi_info), XFRMA_MARK));
	nlmsg_free(m);
}
END_TEST

START_TEST(allocspi_reply)
{
	uint32_t spi = 0;
	ck_assert_int_eq(kx_msg_allocspi_reply(A(cap_allocspi_reply), sizeof(cap_allocspi_reply), &spi), 0);
	ck_assert_uint_eq(ntohl(spi), 0xc0000123);
	/* an ACK is not an answer */
	ck_assert_int_eq(kx_msg_allocspi_reply(A(cap_ack_ok), sizeof(cap_ack_ok), &spi), -EBADMSG);
}
END_TEST

START_TEST(acks)
{
	int err = 1;
	char text[128];
	ck_assert_int_eq(kx_msg_ack(A(cap_ack_ok), sizeof(cap_ack_ok), &err, text, sizeof(text)), 0);
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(text, "");
	ck_assert_int_eq(kx_msg_ack(A(cap_ack_no_esp), sizeof(cap_ack_no_esp), &err, text, sizeof(text)), 0);
	ck_assert_int_eq(err, -EPROTONOSUPPORT);
	ck_assert_str_eq(text, "Requested type not found");
	/* short text buffer: cut, terminated */
	ck_assert_int_eq(kx_msg_ack(A(cap_ack_no_esp), sizeof(cap_ack_no_esp), &err, text, 10), 0);
	ck_assert_str_eq(text, "Requested");
	ck_assert_int_eq(kx_msg_ack(A(cap_allocspi_reply), sizeof(cap_allocspi_reply), &err, text, sizeof(text)),
			 -ENOMSG);
}
END_TEST

START_TEST(sa_stats)
{
	struct kanmon_sa_stats st;
	ck_assert_int_eq(kx_msg_sa_stats(A(cap_getsa_larval), sizeof(cap_getsa_larval), &st), 0);
	ck_assert_uint_eq(st.bytes, 0);
	ck_assert_int_eq(st.last_use, 0);
	/* synthetic counters in a copy of the real ESP SA */
	uint8_t v[sizeof(cap_getsa_esp)];
	memcpy(v, cap_getsa_esp, sizeof(v));
	struct xfrm_usersa_info info;
	memcpy(&info, v + NLMSG_HDRLEN, sizeof(info));
	ck_assert_uint_eq(ntohl(info.id.spi), 0xc0000789);
	info.curlft.bytes = 123456;
	info.curlft.packets = 789;
	info.curlft.use_time = 1700000000;
	info.stats.replay = 3;
	info.stats.integrity_failed = 4;
	memcpy(v + NLMSG_HDRLEN, &info, sizeof(info));
	ck_assert_int_eq(kx_msg_sa_stats(A(v), sizeof(v), &st), 0);
	ck_assert_uint_eq(st.bytes, 123456);
	ck_assert_uint_eq(st.packets, 789);
	ck_assert_int_eq(st.last_use, 1700000000);
	ck_assert_uint_eq(st.replay_drops, 3);
	ck_assert_uint_eq(st.integrity_drops, 4);
}
END_TEST

static struct nlattr *attr(struct nlmsghdr *h, int type)
{
	return nlmsg_find_attr(h, sizeof(struct xfrm_usersa_info), type);
}

START_TEST(sa_move_keeps_state)
{
	struct kx_sa_move mv = { .type = XFRM_MSG_NEWSA, .family = AF_INET, .encap = true, .sport = 4500,
				 .dport = 61000 };
	inet_pton(AF_INET, "198.51.100.9", mv.src);
	inet_pton(AF_INET, "198.51.100.10", mv.dst);
	struct nl_msg *m;
	ck_assert_int_eq(kx_msg_sa_move(A(cap_getsa_esp), sizeof(cap_getsa_esp), &mv, &m), 0);
	struct nlmsghdr *h = nlmsg_hdr(m);
	ck_assert_uint_eq(h->nlmsg_type, XFRM_MSG_NEWSA);
	struct xfrm_usersa_info info;
	memcpy(&info, NLMSG_DATA(h), sizeof(info));
	ck_assert_uint_eq(ntohl(info.id.spi), 0xc0000789);
	ck_assert_int_eq(memcmp(&info.saddr, mv.src, 4), 0);
	ck_assert_int_eq(memcmp(&info.id.daddr, mv.dst, 4), 0);
	ck_assert_uint_eq(info.reqid, 9);
	ck_assert_uint_eq(info.replay_window, 0);	/* ESN state carries the window */
	ck_assert_uint_eq(info.flags & XFRM_STATE_ESN, XFRM_STATE_ESN);
	/* key, ESN state, mark carried over; encapsulation replaced */
	struct nlattr *a = attr(h, XFRMA_ALG_AEAD);
	ck_assert_ptr_nonnull(a);
	struct xfrm_algo_aead *aead = nla_data(a);
	ck_assert_str_eq(aead->alg_name, "rfc4106(gcm(aes))");
	ck_assert_uint_eq(aead->alg_key_len, 160);
	ck_assert_uint_eq(aead->alg_key[0], 0x10);
	ck_assert_uint_eq((uint8_t)aead->alg_key[19], 0xc3);
	a = attr(h, XFRMA_REPLAY_ESN_VAL);
	ck_assert_ptr_nonnull(a);
	struct xfrm_replay_state_esn esn;
	memcpy(&esn, nla_data(a), sizeof(esn));
	ck_assert_uint_eq(esn.replay_window, 128);
	ck_assert_uint_eq(esn.bmp_len, 4);
	a = attr(h, XFRMA_MARK);
	ck_assert_ptr_nonnull(a);
	struct xfrm_mark mk;
	memcpy(&mk, nla_data(a), sizeof(mk));
	ck_assert_uint_eq(mk.v, 0x2a);
	ck_assert_uint_eq(mk.m, 0xff);
	a = attr(h, XFRMA_ENCAP);
	ck_assert_ptr_nonnull(a);
	struct xfrm_encap_tmpl et;
	memcpy(&et, nla_data(a), sizeof(et));
	ck_assert_uint_eq(et.encap_type, UDP_ENCAP_ESPINUDP);
	ck_assert_uint_eq(ntohs(et.encap_sport), 4500);
	ck_assert_uint_eq(ntohs(et.encap_dport), 61000);
	/* the counters come back through XFRMA_LTIME_VAL (the dump has none) */
	ck_assert_ptr_nonnull(attr(h, XFRMA_LTIME_VAL));
	kx_msg_wipe(m);
	ck_assert_uint_eq(nlmsg_hdr(m)->nlmsg_len, 0);
	nlmsg_free(m);

	/* encapsulation off, UPDSA; keep_encap restores the original */
	mv.encap = false;
	mv.type = XFRM_MSG_UPDSA;
	ck_assert_int_eq(kx_msg_sa_move(A(cap_getsa_esp), sizeof(cap_getsa_esp), &mv, &m), 0);
	ck_assert_uint_eq(nlmsg_hdr(m)->nlmsg_type, XFRM_MSG_UPDSA);
	ck_assert_ptr_null(attr(nlmsg_hdr(m), XFRMA_ENCAP));
	nlmsg_free(m);
	mv.keep_encap = true;
	ck_assert_int_eq(kx_msg_sa_move(A(cap_getsa_esp), sizeof(cap_getsa_esp), &mv, &m), 0);
	a = attr(nlmsg_hdr(m), XFRMA_ENCAP);
	ck_assert_ptr_nonnull(a);
	memcpy(&et, nla_data(a), sizeof(et));
	ck_assert_uint_eq(ntohs(et.encap_dport), 4501);
	nlmsg_free(m);
	mv.type = XFRM_MSG_DELSA;
	ck_assert_int_eq(kx_msg_sa_move(A(cap_getsa_esp), sizeof(cap_getsa_esp), &mv, &m), -EINVAL);
}
END_TEST

START_TEST(sa_move_transport_selector_follows)
{
	/* the larval SA has a host selector 192.0.2.1/32 -> 192.0.2.2/32 */
	struct kx_sa_move mv = { .type = XFRM_MSG_NEWSA, .family = AF_INET };
	inet_pton(AF_INET, "203.0.113.1", mv.src);
	inet_pton(AF_INET, "192.0.2.2", mv.dst);
	struct nl_msg *m;
	ck_assert_int_eq(kx_msg_sa_move(A(cap_getsa_larval), sizeof(cap_getsa_larval), &mv, &m), 0);
	struct xfrm_usersa_info info;
	memcpy(&info, NLMSG_DATA(nlmsg_hdr(m)), sizeof(info));
	ck_assert_int_eq(memcmp(&info.sel.saddr, mv.src, 4), 0);
	ck_assert_int_eq(memcmp(&info.sel.daddr, mv.dst, 4), 0);
	ck_assert_uint_eq(info.sel.prefixlen_s, 32);
	nlmsg_free(m);
}
END_TEST

START_TEST(event_expire)
{
	struct kanmon_sa_event ev;
	ck_assert_int_eq(kx_msg_event(A(cap_expire_soft), sizeof(cap_expire_soft), &ev), 0);
	ck_assert_int_eq(ev.type, KANMON_SA_SOFT_EXPIRE);
	ck_assert_uint_eq(ntohl(ev.sa.spi), 0xc0000789);
	ck_assert_str_eq(str(&ev.sa.src), "192.0.2.1");
	ck_assert_str_eq(str(&ev.sa.dst), "192.0.2.2");
	ck_assert_uint_eq(ev.sa.proto, 50);
	ck_assert_uint_eq(ev.sa.mark, 0x2a);
	ck_assert_uint_eq(ev.sa.mark_mask, 0xff);
	ck_assert_uint_eq(ev.reqid, 9);
	ck_assert_uint_eq(ev.size, sizeof(ev));
	ck_assert_int_eq(kx_msg_event(A(cap_expire_hard), sizeof(cap_expire_hard), &ev), 0);
	ck_assert_int_eq(ev.type, KANMON_SA_HARD_EXPIRE);
	ck_assert_int_eq(kx_msg_event(A(cap_expire_hard_larval), sizeof(cap_expire_hard_larval), &ev), 0);
	ck_assert_int_eq(ev.type, KANMON_SA_HARD_EXPIRE);
	ck_assert_uint_eq(ntohl(ev.sa.spi), 0xc0000123);
	ck_assert_uint_eq(ev.reqid, 0);
}
END_TEST

START_TEST(event_acquire)
{
	struct kanmon_sa_event ev;
	ck_assert_int_eq(kx_msg_event(A(cap_acquire), sizeof(cap_acquire), &ev), 0);
	ck_assert_int_eq(ev.type, KANMON_SA_ACQUIRE);
	ck_assert_uint_eq(ev.reqid, 7);
	ck_assert_str_eq(str(&ev.sa.src), "192.0.2.1");
	ck_assert_str_eq(str(&ev.sa.dst), "192.0.2.2");
	ck_assert_int_eq(ev.policy.dir, KANMON_SA_OUT);
	ck_assert_str_eq(str(&ev.policy.src_ts.from), "10.1.0.0");
	ck_assert_str_eq(str(&ev.policy.src_ts.to), "10.1.0.255");
	ck_assert_str_eq(str(&ev.policy.dst_ts.from), "10.9.9.0");
	ck_assert_str_eq(str(&ev.policy.dst_ts.to), "10.9.9.255");
	ck_assert_uint_eq(ev.policy.dst_ts.proto, IPPROTO_UDP);
	ck_assert_uint_eq(ev.policy.dst_ts.from_port, 1701);
	ck_assert_uint_eq(ev.policy.dst_ts.to_port, 1701);
	ck_assert_uint_eq(ev.policy.src_ts.from_port, 0);
	ck_assert_uint_eq(ev.policy.src_ts.to_port, 65535);
	ck_assert_uint_eq(ev.policy.mark, 0x2a);
	ck_assert_uint_eq(ev.policy.mark_mask, 0xff);
	ck_assert_uint_eq(ev.policy.if_id, 0);

	/* the same with an XFRMA_IF_ID appended (the kernel adds it for if_id policies) */
	uint8_t v[sizeof(cap_acquire) + 8];
	memcpy(v, cap_acquire, sizeof(cap_acquire));
	struct nlattr na = { .nla_len = 8, .nla_type = XFRMA_IF_ID };
	uint32_t if_id = 0x11, len = sizeof(v);
	memcpy(v + sizeof(cap_acquire), &na, sizeof(na));
	memcpy(v + sizeof(cap_acquire) + 4, &if_id, 4);
	memcpy(v, &len, 4);
	ck_assert_int_eq(kx_msg_event(A(v), sizeof(v), &ev), 0);
	ck_assert_uint_eq(ev.policy.if_id, 0x11);
	ck_assert_uint_eq(ev.sa.if_id, 0x11);
}
END_TEST

START_TEST(event_mapping)
{
	struct kanmon_sa_event ev;
	ck_assert_int_eq(kx_msg_event(A(hand_mapping), sizeof(hand_mapping), &ev), 0);
	ck_assert_int_eq(ev.type, KANMON_SA_MAPPING);
	ck_assert_uint_eq(ntohl(ev.sa.spi), 0xc0000789);
	ck_assert_str_eq(str(&ev.sa.dst), "198.51.100.1");
	ck_assert_str_eq(str(&ev.sa.src), "203.0.113.5");
	ck_assert_uint_eq(port_of(&ev.sa.src), 4500);
	ck_assert_str_eq(str(&ev.new_peer), "203.0.113.7");
	ck_assert_uint_eq(port_of(&ev.new_peer), 61000);
	ck_assert_uint_eq(ev.reqid, 9);
}
END_TEST

START_TEST(non_events_and_garbage)
{
	struct kanmon_sa_event ev;
	ck_assert_int_eq(kx_msg_event(A(cap_allocspi_reply), sizeof(cap_allocspi_reply), &ev), -ENOMSG);
	ck_assert_int_eq(kx_msg_event(A(cap_ack_ok), sizeof(cap_ack_ok), &ev), -ENOMSG);
	/* an unknown address family is refused, not guessed */
	uint8_t v[sizeof(hand_mapping)];
	memcpy(v, hand_mapping, sizeof(v));
	v[NLMSG_HDRLEN + 20] = 99;
	ck_assert_int_eq(kx_msg_event(A(v), sizeof(v), &ev), -EBADMSG);
	/* a too-short XFRMA_MARK makes the whole message malformed */
	uint8_t w[sizeof(cap_expire_soft)];
	memcpy(w, cap_expire_soft, sizeof(w));
	size_t mark_at = sizeof(w) - 12;
	ck_assert_uint_eq(w[mark_at + 2], XFRMA_MARK);
	w[mark_at] = 6;
	ck_assert_int_eq(kx_msg_event(A(w), sizeof(w), &ev), -EBADMSG);
}
END_TEST

START_TEST(policy_dump)
{
	const struct nlmsghdr *h = A(cap_policy_dump_0);
	size_t len = sizeof(cap_policy_dump_0);
	struct kx_pol_key k;
	uint32_t index = 0, reqid = 0;
	/* first: in 10.3.0.0/16 -> 10.4.0.7/32 tcp sport 1024, if_id 0x11, reqid 8 */
	ck_assert_int_eq(kx_msg_policy(h, len, &k, &index, &reqid), 0);
	ck_assert_uint_eq(k.dir, XFRM_POLICY_IN);
	ck_assert_uint_eq(k.sel.family, AF_INET);
	ck_assert_uint_eq(k.sel.plen_s, 16);
	ck_assert_uint_eq(k.sel.plen_d, 32);
	ck_assert_uint_eq(k.sel.proto, IPPROTO_TCP);
	ck_assert_uint_eq(k.sel.sport, 1024);
	ck_assert_uint_eq(k.sel.sport_mask, 0xffff);
	ck_assert_uint_eq(k.sel.dport_mask, 0);
	ck_assert_uint_eq(k.if_id, 0x11);
	ck_assert_uint_eq(k.mark_m, 0);
	ck_assert_uint_eq(reqid, 8);
	ck_assert_uint_eq(index & 7, XFRM_POLICY_IN);
	uint8_t a[4] = { 10, 4, 0, 7 };
	ck_assert_int_eq(memcmp(k.sel.daddr, a, 4), 0);
	/* second: out with mark 0x2a/0xff, reqid 7, udp dport 1701 */
	const struct nlmsghdr *h2 = (const struct nlmsghdr *)((const uint8_t *)h + NLMSG_ALIGN(h->nlmsg_len));
	ck_assert_int_eq(kx_msg_policy(h2, len - NLMSG_ALIGN(h->nlmsg_len), &k, &index, &reqid), 0);
	ck_assert_uint_eq(k.dir, XFRM_POLICY_OUT);
	ck_assert_uint_eq(k.mark_v, 0x2a);
	ck_assert_uint_eq(k.mark_m, 0xff);
	ck_assert_uint_eq(k.sel.dport, 1701);
	ck_assert_uint_eq(k.sel.proto, IPPROTO_UDP);
	ck_assert_uint_eq(reqid, 7);
	ck_assert_uint_eq(index & 7, XFRM_POLICY_OUT);
	/* the end of the dump is no policy */
	ck_assert_int_eq(kx_msg_policy(A(cap_policy_dump_1), sizeof(cap_policy_dump_1), &k, &index, &reqid), -ENOMSG);
	ck_assert_int_eq(kx_msg_policy(A(cap_acquire), sizeof(cap_acquire), &k, &index, &reqid), -ENOMSG);
	/* a dumped policy's key is exactly the key kernel-xfrm records for the same selector */
	struct kanmon_ts s, d;
	kx_sel_to_ts(&k.sel, &s, &d);
	struct kx_sel *v;
	size_t n;
	ck_assert_int_eq(kx_ts_split(&s, &d, &v, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(memcmp(&v[0], &k.sel, sizeof(k.sel)), 0);
	free(v);
}
END_TEST

static const struct {
	const uint8_t *v;
	size_t len;
} all[] = {
	{ cap_policy_dump_0, sizeof(cap_policy_dump_0) }, { cap_policy_dump_1, sizeof(cap_policy_dump_1) },
	{ req_allocspi, sizeof(req_allocspi) },	      { cap_allocspi_reply, sizeof(cap_allocspi_reply) },
	{ cap_ack_ok, sizeof(cap_ack_ok) },	      { cap_ack_no_esp, sizeof(cap_ack_no_esp) },
	{ cap_getsa_larval, sizeof(cap_getsa_larval) }, { cap_expire_hard_larval, sizeof(cap_expire_hard_larval) },
	{ cap_acquire, sizeof(cap_acquire) },	      { cap_getsa_esp, sizeof(cap_getsa_esp) },
	{ cap_expire_soft, sizeof(cap_expire_soft) },   { cap_expire_hard, sizeof(cap_expire_hard) },
	{ hand_mapping, sizeof(hand_mapping) },
};

static void count(const struct kanmon_sa_event *ev, void *arg)
{
	(void)ev;
	(*(int *)arg)++;
}

START_TEST(every_truncation_is_refused)
{
	/* a message cut anywhere (length field intact) is malformed, never misread
	 * (in a datagram of several, only cuts into the first one) */
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		uint32_t first;
		memcpy(&first, all[i].v, 4);
		for (size_t cut = 0; cut < all[i].len && cut < first; cut++) {
			struct kanmon_sa_event ev;
			struct kanmon_sa_stats st;
			uint32_t spi;
			int err;
			char text[64];
			const struct nlmsghdr *h = aligned(all[i].v, all[i].len);
			ck_assert_int_ne(kx_msg_event(h, cut, &ev), 0);
			ck_assert_int_ne(kx_msg_sa_stats(h, cut, &st), 0);
			ck_assert_int_ne(kx_msg_allocspi_reply(h, cut, &spi), 0);
			struct kx_pol_key k;
			uint32_t index, reqid;
			ck_assert_int_ne(kx_msg_policy(h, cut, &k, &index, &reqid), 0);
			ck_assert_int_ne(kx_msg_ack(h, cut, &err, text, sizeof(text)), 0);
			int n = 0;
			ck_assert_int_le(kx_msg_events((const uint8_t *)h, cut, count, &n), 0);
			ck_assert_int_eq(n, 0);
		}
	}
}
END_TEST

START_TEST(events_in_one_buffer)
{
	static uint8_t buf[4096] __attribute__((aligned(8)));
	size_t off = 0;
	const uint8_t *parts[] = { cap_expire_soft, cap_ack_ok, cap_acquire, hand_mapping };
	size_t lens[] = { sizeof(cap_expire_soft), sizeof(cap_ack_ok), sizeof(cap_acquire), sizeof(hand_mapping) };
	for (int i = 0; i < 4; i++) {
		memcpy(buf + off, parts[i], lens[i]);
		off += NLMSG_ALIGN(lens[i]);
	}
	int n = 0;
	ck_assert_int_eq(kx_msg_events(buf, off, count, &n), 3);
	ck_assert_int_eq(n, 3);
	/* broken framing in the middle: what came before is still delivered */
	uint32_t bad = 0xffff;
	memcpy(buf + NLMSG_ALIGN(sizeof(cap_expire_soft)), &bad, 4);
	n = 0;
	ck_assert_int_eq(kx_msg_events(buf, off, count, &n), -EBADMSG);
	ck_assert_int_eq(n, 1);
}
END_TEST

/* ---- libnl-built SA requests ---------------------------------------------------------- */

static uint8_t key[128];

static struct nl_msg *build(uint16_t enc, size_t enc_len, uint16_t integ, size_t integ_len,
			    struct kanmon_sa_params *pp, struct kanmon_sa_id *ip)
{
	struct kanmon_sa_id id = { .spi = htonl(0xc0010203), .proto = 50, .mark = 7, .if_id = 0x33 };
	addr4(&id.src, "192.0.2.1");
	addr4(&id.dst, "192.0.2.2");
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa0 + i);
	struct kanmon_sa_params p = { .size = sizeof(p), .mode = KANMON_SA_TUNNEL, .dir = KANMON_SA_OUT,
				      .enc_alg = enc, .enc_key = key, .enc_key_len = enc_len, .integ_alg = integ,
				      .integ_key = key + 32, .integ_key_len = integ_len, .reqid = 5 };
	if (pp)
		*pp = p;
	if (ip)
		*ip = id;
	struct nl_msg *m = NULL;
	ck_assert_int_eq(kx_sa_msg(&id, &p, 32, false, &m), 0);
	return m;
}

START_TEST(sa_request_cbc_sha256)
{
	struct nl_msg *m = build(KANMON_ENCR_AES_CBC, 32, KANMON_AUTH_HMAC_SHA2_256_128, 32, NULL, NULL);
	struct nlmsghdr *h = nlmsg_hdr(m);
	ck_assert_uint_eq(h->nlmsg_type, XFRM_MSG_NEWSA);
	struct xfrm_usersa_info info;
	memcpy(&info, NLMSG_DATA(h), sizeof(info));
	ck_assert_uint_eq(ntohl(info.id.spi), 0xc0010203);
	ck_assert_uint_eq(info.id.proto, 50);
	ck_assert_uint_eq(info.family, AF_INET);
	ck_assert_uint_eq(info.mode, XFRM_MODE_TUNNEL);
	ck_assert_uint_eq(info.reqid, 5);
	ck_assert_uint_eq(info.replay_window, 32);
	ck_assert_uint_eq(info.flags, XFRM_STATE_AF_UNSPEC);
	ck_assert_uint_eq(info.lft.hard_byte_limit, XFRM_INF);
	ck_assert_uint_eq(info.lft.soft_packet_limit, XFRM_INF);
	ck_assert_uint_eq(info.lft.hard_add_expires_seconds, 0);
	struct nlattr *a = attr(h, XFRMA_ALG_CRYPT);
	ck_assert_ptr_nonnull(a);
	struct xfrm_algo *alg = nla_data(a);
	ck_assert_str_eq(alg->alg_name, "cbc(aes)");
	ck_assert_uint_eq(alg->alg_key_len, 256);
	ck_assert_int_eq(memcmp(alg->alg_key, key, 32), 0);
	a = attr(h, XFRMA_ALG_AUTH_TRUNC);
	ck_assert_ptr_nonnull(a);
	struct xfrm_algo_auth *auth = nla_data(a);
	ck_assert_str_eq(auth->alg_name, "hmac(sha256)");
	ck_assert_uint_eq(auth->alg_key_len, 256);
	ck_assert_uint_eq(auth->alg_trunc_len, 128);
	ck_assert_int_eq(memcmp(auth->alg_key, key + 32, 32), 0);
	/* libnl versions differ in also sending the plain XFRMA_ALG_AUTH: if there, it has the key */
	a = attr(h, XFRMA_ALG_AUTH);
	if (a)
		ck_assert_int_eq(memcmp(((struct xfrm_algo *)nla_data(a))->alg_key, key + 32, 32), 0);
	a = attr(h, XFRMA_MARK);
	struct xfrm_mark mk;
	memcpy(&mk, nla_data(a), sizeof(mk));
	ck_assert_uint_eq(mk.v, 7);
	ck_assert_uint_eq(mk.m, 0xffffffff);	/* a bare mark value matches exactly */
	ck_assert_uint_eq(nla_get_u32(attr(h, XFRMA_IF_ID)), 0x33);
	ck_assert_ptr_null(attr(h, XFRMA_ENCAP));
	ck_assert_ptr_null(attr(h, XFRMA_REPLAY_ESN_VAL));
	kx_msg_wipe(m);
	nlmsg_free(m);
}
END_TEST

START_TEST(sa_request_gcm_esn_encap_lifetimes)
{
	struct kanmon_sa_params p;
	struct kanmon_sa_id id;
	nlmsg_free(build(KANMON_ENCR_AES_GCM_12, 36, 0, 0, &p, &id));
	p.enc_alg = KANMON_ENCR_AES_GCM_12;
	p.enc_key_len = 36;
	p.integ_alg = 0;
	p.esn = true;
	p.encap_sport = 4500;
	p.encap_dport = 4501;
	p.mode = KANMON_SA_TRANSPORT;
	p.soft = (struct kanmon_lifetime){ .bytes = 1000, .packets = 10, .seconds = 30 };
	p.hard = (struct kanmon_lifetime){ .bytes = 2000, .packets = 20, .seconds = 60 };
	addr4(&p.local_ts.from, "192.0.2.1");
	addr4(&p.local_ts.to, "192.0.2.1");
	addr4(&p.remote_ts.from, "192.0.2.2");
	addr4(&p.remote_ts.to, "192.0.2.2");
	p.local_ts.proto = p.remote_ts.proto = IPPROTO_UDP;
	p.local_ts.from_port = p.local_ts.to_port = 1701;
	p.remote_ts.to_port = 65535;
	struct nl_msg *m;
	ck_assert_int_eq(kx_sa_msg(&id, &p, 64, true, &m), 0);
	struct nlmsghdr *h = nlmsg_hdr(m);
	ck_assert_uint_eq(h->nlmsg_type, XFRM_MSG_UPDSA);
	struct xfrm_usersa_info info;
	memcpy(&info, NLMSG_DATA(h), sizeof(info));
	ck_assert_uint_eq(info.mode, XFRM_MODE_TRANSPORT);
	ck_assert_uint_eq(info.flags, XFRM_STATE_ESN);
	ck_assert_uint_eq(info.replay_window, 0);
	ck_assert_uint_eq(info.lft.soft_byte_limit, 1000);
	ck_assert_uint_eq(info.lft.hard_packet_limit, 20);
	ck_assert_uint_eq(info.lft.soft_add_expires_seconds, 30);
	ck_assert_uint_eq(info.lft.hard_add_expires_seconds, 60);
	/* outbound transport selector: local -> remote, udp sport 1701 */
	ck_assert_uint_eq(info.sel.family, AF_INET);
	ck_assert_uint_eq(info.sel.prefixlen_s, 32);
	ck_assert_uint_eq(info.sel.proto, IPPROTO_UDP);
	ck_assert_uint_eq(ntohs(info.sel.sport), 1701);
	ck_assert_uint_eq(ntohs(info.sel.sport_mask), 0xffff);
	ck_assert_uint_eq(info.sel.dport_mask, 0);
	struct xfrm_algo_aead *aead = nla_data(attr(h, XFRMA_ALG_AEAD));
	ck_assert_str_eq(aead->alg_name, "rfc4106(gcm(aes))");
	ck_assert_uint_eq(aead->alg_key_len, 288);
	ck_assert_uint_eq(aead->alg_icv_len, 96);
	ck_assert_int_eq(memcmp(aead->alg_key, key, 36), 0);
	ck_assert_ptr_null(attr(h, XFRMA_ALG_CRYPT));
	struct xfrm_replay_state_esn esn;
	memcpy(&esn, nla_data(attr(h, XFRMA_REPLAY_ESN_VAL)), sizeof(esn));
	ck_assert_uint_eq(esn.replay_window, 64);
	ck_assert_uint_eq(esn.bmp_len, 2);
	ck_assert_uint_eq(esn.oseq, 0);
	struct xfrm_encap_tmpl et;
	memcpy(&et, nla_data(attr(h, XFRMA_ENCAP)), sizeof(et));
	ck_assert_uint_eq(et.encap_type, UDP_ENCAP_ESPINUDP);
	ck_assert_uint_eq(ntohs(et.encap_sport), 4500);
	ck_assert_uint_eq(ntohs(et.encap_dport), 4501);
	kx_msg_wipe(m);
	nlmsg_free(m);
}
END_TEST

START_TEST(sa_request_every_algorithm)
{
	static const struct {
		uint16_t enc;
		size_t enc_len;
		uint16_t integ;
		size_t integ_len;
		const char *ename, *iname;
		unsigned bits;
	} t[] = {
		{ KANMON_ENCR_AES_GCM_16, 20, 0, 0, "rfc4106(gcm(aes))", NULL, 128 },
		{ KANMON_ENCR_AES_GCM_16, 36, 0, 0, "rfc4106(gcm(aes))", NULL, 128 },
		{ KANMON_ENCR_AES_GCM_8, 36, 0, 0, "rfc4106(gcm(aes))", NULL, 64 },
		{ KANMON_ENCR_AES_CBC, 16, KANMON_AUTH_HMAC_SHA1_96, 20, "cbc(aes)", "hmac(sha1)", 96 },
		{ KANMON_ENCR_AES_CBC, 32, KANMON_AUTH_HMAC_SHA2_384_192, 48, "cbc(aes)", "hmac(sha384)", 192 },
		{ KANMON_ENCR_AES_CBC, 32, KANMON_AUTH_HMAC_SHA2_512_256, 64, "cbc(aes)", "hmac(sha512)", 256 },
		{ KANMON_ENCR_3DES, 24, KANMON_AUTH_HMAC_SHA1_96, 20, "cbc(des3_ede)", "hmac(sha1)", 96 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct nl_msg *m = build(t[i].enc, t[i].enc_len, t[i].integ, t[i].integ_len, NULL, NULL);
		struct nlmsghdr *h = nlmsg_hdr(m);
		if (!t[i].iname) {
			struct xfrm_algo_aead *a = nla_data(attr(h, XFRMA_ALG_AEAD));
			ck_assert_str_eq(a->alg_name, t[i].ename);
			ck_assert_uint_eq(a->alg_icv_len, t[i].bits);
			ck_assert_uint_eq(a->alg_key_len, t[i].enc_len * 8);
		} else {
			struct xfrm_algo *e = nla_data(attr(h, XFRMA_ALG_CRYPT));
			struct xfrm_algo_auth *a = nla_data(attr(h, XFRMA_ALG_AUTH_TRUNC));
			ck_assert_str_eq(e->alg_name, t[i].ename);
			ck_assert_str_eq(a->alg_name, t[i].iname);
			ck_assert_uint_eq(a->alg_trunc_len, t[i].bits);
			ck_assert_uint_eq(a->alg_key_len, t[i].integ_len * 8);
			ck_assert_int_eq(memcmp(a->alg_key, key + 32, t[i].integ_len), 0);
		}
		kx_msg_wipe(m);
		nlmsg_free(m);
	}
}
END_TEST

START_TEST(put_key_checks_lengths)
{
	struct nl_msg *m = build(KANMON_ENCR_AES_CBC, 16, KANMON_AUTH_HMAC_SHA1_96, 20, NULL, NULL);
	struct nlmsghdr *h = nlmsg_hdr(m);
	size_t hl = sizeof(struct xfrm_usersa_info);
	ck_assert_int_eq(kx_msg_put_key(h, hl, XFRMA_ALG_CRYPT, key, 24), -EINVAL);
	ck_assert_int_eq(kx_msg_put_key(h, hl, XFRMA_ALG_AEAD, key, 20), -ENOENT);
	ck_assert_int_eq(kx_msg_put_key(h, hl, XFRMA_MARK, key, 4), -EINVAL);
	ck_assert_int_eq(kx_msg_put_key(h, hl, XFRMA_ALG_CRYPT, key + 1, 16), 0);
	ck_assert_int_eq(memcmp(((struct xfrm_algo *)nla_data(attr(h, XFRMA_ALG_CRYPT)))->alg_key, key + 1, 16), 0);
	nlmsg_free(m);
}
END_TEST

START_TEST(del_request)
{
	struct kanmon_sa_id id = { .spi = htonl(0xc0000789), .mark = 0x2a, .mark_mask = 0xff };
	addr4(&id.src, "192.0.2.1");
	addr4(&id.dst, "192.0.2.2");
	struct nl_msg *m;
	ck_assert_int_eq(kx_sa_del_msg(&id, &m), 0);
	struct nlmsghdr *h = nlmsg_hdr(m);
	ck_assert_uint_eq(h->nlmsg_type, XFRM_MSG_DELSA);
	struct xfrm_usersa_id sid;
	memcpy(&sid, NLMSG_DATA(h), sizeof(sid));
	ck_assert_uint_eq(ntohl(sid.spi), 0xc0000789);
	ck_assert_uint_eq(sid.proto, 50);
	ck_assert_uint_eq(sid.family, AF_INET);
	struct nlattr *a = nlmsg_find_attr(h, sizeof(sid), XFRMA_MARK);
	ck_assert_ptr_nonnull(a);
	nlmsg_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xfrm_msg");
	TCase *tc = tcase_create("captured");
	tcase_add_test(tc, allocspi_request_matches_capture);
	tcase_add_test(tc, allocspi_reply);
	tcase_add_test(tc, acks);
	tcase_add_test(tc, sa_stats);
	tcase_add_test(tc, sa_move_keeps_state);
	tcase_add_test(tc, sa_move_transport_selector_follows);
	tcase_add_test(tc, event_expire);
	tcase_add_test(tc, event_acquire);
	tcase_add_test(tc, event_mapping);
	tcase_add_test(tc, non_events_and_garbage);
	tcase_add_test(tc, every_truncation_is_refused);
	tcase_add_test(tc, events_in_one_buffer);
	tcase_add_test(tc, policy_dump);
	suite_add_tcase(s, tc);
	tc = tcase_create("built");
	tcase_add_test(tc, sa_request_cbc_sha256);
	tcase_add_test(tc, sa_request_gcm_esn_encap_lifetimes);
	tcase_add_test(tc, sa_request_every_algorithm);
	tcase_add_test(tc, put_key_checks_lengths);
	tcase_add_test(tc, del_request);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
