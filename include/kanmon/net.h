/* SPDX-License-Identifier: MIT */
/*
 * kanmon/net.h - UDP packets as the core hands them to plugins.
 *
 * The core owns every UDP socket (one per configured listen address and
 * port). A plugin registers a handler for a port: a classifier that claims
 * datagrams by their first bytes and a receive callback. Several plugins may
 * share one port (IKEv1 and IKEv2 on 500/4500); the first handler whose
 * classifier returns true gets the datagram, datagrams nobody claims are
 * dropped and counted.
 *
 * On ports registered with KANMON_NET_NATT (RFC 3948 UDP encapsulation, port
 * 4500) the core handles the four-byte non-ESP marker itself: a datagram that
 * starts with four zero bytes is IKE, the marker is stripped and the packet
 * carries KANMON_PKT_NON_ESP_MARKER; a datagram whose first four bytes are
 * non-zero is ESP (its SPI) and is offered as it is; the one-byte 0xff
 * NAT-keepalive is counted and dropped. kanmon_net_send() on such a port adds
 * the marker back when the caller passes KANMON_PKT_NON_ESP_MARKER.
 */
#ifndef KANMON_NET_H
#define KANMON_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define KANMON_PKT_NON_ESP_MARKER 0x01	/* arrived with (send: add) the marker */

struct kanmon_pkt {
	const uint8_t *data;		/* valid only during the receive callback */
	size_t len;
	struct sockaddr_storage peer;	/* remote address and port */
	struct sockaddr_storage local;	/* local address the datagram was sent to */
	uint16_t port;			/* local port (host order) */
	uint16_t flags;			/* KANMON_PKT_* */
	int ifindex;
	/* set when a userspace SA backend decrypted this datagram (transport mode) */
	uint32_t esp_spi;		/* network order; 0 = arrived in the clear */
	uint32_t esp_reqid;
};

/* registration flags */
#define KANMON_NET_NATT 0x01	/* port uses the RFC 3948 non-ESP marker */

struct kanmon_net_handler {
	uint32_t size;			/* sizeof(struct kanmon_net_handler) */
	uint16_t port;			/* host order */
	uint16_t flags;			/* KANMON_NET_* (must agree among sharers) */
	/* Returns true when the datagram is for this handler. NULL claims all.
	 * Must be cheap and pure: it sees the payload after marker removal. */
	bool (*classify)(const uint8_t *buf, size_t len, uint16_t pkt_flags, void *arg);
	void (*receive)(const struct kanmon_pkt *pkt, void *arg);
	void *arg;
};

/*
 * IKE header version helper for classifiers: returns the major version of
 * an IKE message (1 or 2), or 0 when the buffer is too short to be IKE.
 * RFC 7296 3.1 / RFC 2408 3.1: the version octet is at offset 17.
 */
static inline int kanmon_ike_major_version(const uint8_t *buf, size_t len)
{
	if (len < 28)
		return 0;
	return buf[17] >> 4;
}

#endif
