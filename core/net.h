/* SPDX-License-Identifier: MIT */
/*
 * net.h - the core's UDP sockets and their demultiplexer.
 *
 * One socket per (listen address, port), opened when the first handler for
 * the port registers and closed when the last one leaves. Datagrams are read
 * in batches (recvmmsg) and offered to the port's handlers in registration
 * order; the first classifier that claims one gets it. See kanmon/net.h for
 * the RFC 3948 non-ESP marker handling on KANMON_NET_NATT ports.
 */
#ifndef KANMON_CORE_NET_H
#define KANMON_CORE_NET_H

#include <stddef.h>
#include <stdint.h>

#include <kanmon/net.h>

struct ev_loop;
struct net;
struct kanmon_net_reg;

struct net_stats {
	uint64_t rx;		/* datagrams delivered to a handler */
	uint64_t rx_unclaimed;	/* no handler's classifier wanted it: dropped */
	uint64_t rx_keepalive;	/* NAT-T keepalives (RFC 3948 2.3): dropped */
	uint64_t rx_truncated;	/* larger than the receive buffer: dropped */
	uint64_t rx_errors;	/* recvmmsg failures */
	uint64_t tx;
	uint64_t tx_errors;
};

/* listen: IPv4/IPv6 address strings (validated by conf). NULL on failure. */
struct net *net_new(struct ev_loop *loop, const char *const *listen, size_t n_listen);
void net_free(struct net *net);

/* owner: whose registration (freed by net_unregister_owned); name: for logs. */
int net_register(struct net *net, const struct kanmon_net_handler *nh, const void *owner,
		 const char *owner_name, struct kanmon_net_reg **reg);
void net_unregister(struct kanmon_net_reg *reg);
size_t net_unregister_owned(struct net *net, const void *owner);

int net_send(struct net *net, uint16_t port, const struct sockaddr *local,
	     const struct sockaddr *peer, const void *buf, size_t len, uint16_t pkt_flags);

/*
 * Offer one datagram to the handlers of `port` exactly as if it had been read
 * from the port's socket (marker handling included). The socket reader uses
 * it, so do tests and transport-mode ESP (decrypted payloads).
 * Returns 1 when a handler took it, 0 when dropped (and counted).
 */
int net_deliver(struct net *net, struct kanmon_pkt *pkt);

int net_port_stats(const struct net *net, uint16_t port, struct net_stats *st); /* -ENOENT */
typedef int (*net_send_hook_fn)(void *arg, uint16_t port, const struct sockaddr *local,
				const struct sockaddr *peer, const void *buf, size_t len, uint16_t pkt_flags);
/* One output hook (see kanmon_host.net_send_hook); -EBUSY when another owner holds it. */
int net_set_send_hook(struct net *net, net_send_hook_fn hook, void *arg, const void *owner);

/* The port's socket fds (one per listen address); returns how many. */
size_t net_port_fds(const struct net *net, uint16_t port, int *fds, size_t max);

#endif
