/* SPDX-License-Identifier: MIT */
/*
 * xfrm_msg.h - pure builders and parsers of the XFRM netlink messages that
 * libnl-xfrm 3.7 has no helpers for (ALLOCSPI, ACQUIRE, EXPIRE, MAPPING,
 * ACKs with extended messages) plus two buffer transforms the SA ops need
 * (putting a key into a built request, turning a GETSA reply into a re-add).
 *
 * Pure: no sockets, no globals; input is a buffer, output a struct or a new
 * nl_msg the caller frees (nlmsg_free, after kx_msg_wipe if it held keys).
 * Built and parsed with libnl core (nlmsg_*, nla_*). Parsers never trust a
 * length: every function here is fed arbitrary bytes by the fuzz harness.
 * Layouts are those of <linux/xfrm.h>; structs are copied out with memcpy
 * because attributes are only 4-byte aligned.
 */
#ifndef KANMON_XFRM_MSG_H
#define KANMON_XFRM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kanmon/sa.h>

struct nl_msg;
struct nlmsghdr;

/* XFRM_MSG_ALLOCSPI request: reserve an SPI for SAs from src to dst. */
struct kx_spi_req {
	int family;
	uint8_t src[16], dst[16];	/* network order */
	uint8_t proto;
	uint32_t reqid;
	uint32_t mark_v, mark_m, if_id;	/* 0: attribute left out */
	uint32_t min, max;		/* host order, inclusive */
};
int kx_msg_allocspi(const struct kx_spi_req *r, struct nl_msg **out);
/* The kernel's answer (XFRM_MSG_NEWSA): the SPI, network order. -EBADMSG. */
int kx_msg_allocspi_reply(const struct nlmsghdr *h, size_t len, uint32_t *spi);

/*
 * An NLMSG_ERROR message: *err = 0 (plain ACK) or -errno, text = the
 * kernel's extended ACK message ("Requested type not found") or "".
 * -ENOMSG: not an NLMSG_ERROR; -EBADMSG: truncated.
 */
int kx_msg_ack(const struct nlmsghdr *h, size_t len, int *err, char *text, size_t text_len);

/* Counters of a GETSA reply (XFRM_MSG_NEWSA). Never looks at key attributes. */
int kx_msg_sa_stats(const struct nlmsghdr *h, size_t len, struct kanmon_sa_stats *st);

/*
 * Turns a GETSA reply into a request of `type` (XFRM_MSG_NEWSA to re-add
 * after a delete, XFRM_MSG_UPDSA in place) with new outer addresses and
 * encapsulation, keeping everything else the kernel reported: algorithms
 * and keys, replay/ESN state, current lifetime, marks, if_id. A transport
 * selector naming the old host addresses follows them.
 */
struct kx_sa_move {
	uint16_t type;
	int family;			/* new outer family */
	uint8_t src[16], dst[16];	/* new outer addresses */
	bool encap;			/* ESP-in-UDP after the move */
	uint16_t sport, dport;		/* host order */
	bool keep_encap;		/* instead: XFRMA_ENCAP exactly as it was (restores) */
};
int kx_msg_sa_move(const struct nlmsghdr *h, size_t len, const struct kx_sa_move *mv, struct nl_msg **out);

/*
 * Writes key into the XFRMA_ALG_{AEAD,CRYPT,AUTH,AUTH_TRUNC} attribute
 * `attr` of a built request whose fixed header is hdrlen bytes (requests are
 * built with a zero placeholder key so libnl never holds the real one).
 * -ENOENT no such attribute, -EINVAL the attribute's key length differs.
 */
int kx_msg_put_key(struct nlmsghdr *h, size_t hdrlen, int attr, const uint8_t *key, size_t len);
/* Wipes a built message (it may hold keys); NULL is fine. */
void kx_msg_wipe(struct nl_msg *msg);

/*
 * One policy of a GETPOLICY dump (XFRM_MSG_NEWPOLICY): its key as the
 * ownership table has it (selector, direction, mark, if_id) and the index
 * the kernel gave it; reqid of the first template (0: none). -ENOMSG for
 * anything else (sub-policies too), -EBADMSG when malformed.
 */
struct kx_pol_key;
int kx_msg_policy(const struct nlmsghdr *h, size_t len, struct kx_pol_key *k, uint32_t *index, uint32_t *reqid);

/*
 * Kernel events: one message -> one ABI event. XFRM_MSG_ACQUIRE fills
 * policy, reqid (first template) and sa (the addresses of the wanted SA);
 * XFRM_MSG_EXPIRE sa, reqid and SOFT/HARD; XFRM_MSG_MAPPING sa (old peer),
 * reqid and new_peer. 0, -ENOMSG (not an event type) or -EBADMSG.
 */
int kx_msg_event(const struct nlmsghdr *h, size_t len, struct kanmon_sa_event *ev);
/*
 * Every message in a received buffer: cb for each event parsed. Returns the
 * number of events, or -EBADMSG if the framing itself is broken (the events
 * before that point were still delivered).
 */
int kx_msg_events(const uint8_t *buf, size_t len, void (*cb)(const struct kanmon_sa_event *ev, void *arg),
		  void *arg);

#endif
