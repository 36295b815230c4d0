/* SPDX-License-Identifier: MIT */
/*
 * kanmon/host.h - what the daemon offers a plugin: a versioned function table.
 *
 * Each plugin gets its own const struct kanmon_host in init(); pass it back as
 * the first argument so the core knows who is calling (log prefix, resource
 * ownership). A table instead of symbols exported by the executable keeps
 * plugins free of -rdynamic, lets unit tests pass a fake host, and lets the ABI
 * grow: new members are only ever appended, `size` says how many exist.
 * Check `host->size > offsetof(struct kanmon_host, member)` before calling a
 * member added after the minor you require.
 *
 * Threading: every function here must be called on the event-loop thread,
 * except post(), which any thread may call.
 *
 * Ownership: timers, watches and net registrations belong to the plugin that
 * created them. The core releases whatever is left after fini() (and logs it
 * as a plugin bug), so a sloppy plugin cannot crash the daemon at exit.
 */
#ifndef KANMON_HOST_H
#define KANMON_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <kanmon/cert.h>
#include <kanmon/conf.h>
#include <kanmon/log.h>
#include <kanmon/net.h>
#include <kanmon/sa.h>
#include <kanmon/session.h>

/* feature test for plugins built against several kanmon versions */
#define KANMON_HOST_NET_SEND_HOOK 1

struct kanmon_timer;
struct kanmon_watch;
struct kanmon_net_reg;

#define KANMON_WATCH_READ  0x02
#define KANMON_WATCH_WRITE 0x04

struct kanmon_host {
	uint32_t size;			/* sizeof(struct kanmon_host) of the daemon */
	uint16_t abi_major, abi_minor;	/* the daemon's ABI */
	const char *plugin_name;	/* the name this table was made for */

	/* -- logging: one line, no trailing newline, no secrets. -- */
	void (*log)(const struct kanmon_host *h, int level, const char *fmt, ...)
		KANMON_PRINTF(3, 4);
	bool (*log_enabled)(const struct kanmon_host *h, int level);

	/* -- timers: one-shot, re-arm from the callback for periodic work. -- */
	struct kanmon_timer *(*timer_new)(const struct kanmon_host *h,
					  void (*cb)(void *arg), void *arg);
	void (*timer_arm)(struct kanmon_timer *t, uint64_t msec);
	void (*timer_cancel)(struct kanmon_timer *t);
	void (*timer_free)(struct kanmon_timer *t);	/* NULL is fine */

	/* -- file descriptor watches (persistent until freed). -- */
	struct kanmon_watch *(*watch_new)(const struct kanmon_host *h, int fd, unsigned events,
					  void (*cb)(int fd, unsigned events, void *arg),
					  void *arg);
	void (*watch_free)(struct kanmon_watch *w);	/* NULL is fine; never closes fd */

	/* -- thread-safe: run fn(arg) on the event loop soon. 0 or -errno. -- */
	int (*post)(const struct kanmon_host *h, void (*fn)(void *arg), void *arg);

	/* -- UDP through the core's sockets (kanmon/net.h). -- */
	int (*net_register)(const struct kanmon_host *h, const struct kanmon_net_handler *nh,
			    struct kanmon_net_reg **reg);
	void (*net_unregister)(struct kanmon_net_reg *reg);	/* NULL is fine */
	/*
	 * Send from local port `port`; `local` picks the source address (the
	 * kanmon_pkt.local of the request, so replies leave from the address the
	 * client used), NULL lets the kernel choose. 0 or -errno.
	 */
	int (*net_send)(const struct kanmon_host *h, uint16_t port, const struct sockaddr *local,
			const struct sockaddr *peer, const void *buf, size_t len, uint16_t pkt_flags);

	/*
	 * -- configuration (kanmon/conf.h): `path` is relative to `c`, dotted for
	 * nested groups ("retransmit.delay"). Values were validated against the
	 * schema and default when absent; asking for a path or type the schema
	 * does not declare is a plugin bug: it is logged and 0/NULL returned.
	 * Strings live as long as `c`.
	 */
	bool (*conf_bool)(const struct kanmon_conf *c, const char *path);
	int64_t (*conf_int)(const struct kanmon_conf *c, const char *path);
	double (*conf_float)(const struct kanmon_conf *c, const char *path);
	const char *(*conf_string)(const struct kanmon_conf *c, const char *path);
	size_t (*conf_count)(const struct kanmon_conf *c, const char *path);	/* list length */
	const char *(*conf_string_at)(const struct kanmon_conf *c, const char *path, size_t i);
	const struct kanmon_conf *(*conf_group)(const struct kanmon_conf *c, const char *path);
	const struct kanmon_conf *(*conf_group_at)(const struct kanmon_conf *c, const char *path,
						   size_t i);

	/*
	 * -- address pools (pools = ( { name = ...; } ) in the core config). --
	 * pool_acquire gives `identity` an address of `family` (AF_INET or
	 * AF_INET6) from the named pool: the same one it had before when its
	 * lease is still reserved. The lease is durable when this returns 0.
	 * Errors: -ENOENT no such pool, -EAFNOSUPPORT no range of that family,
	 * -ENOSPC pool exhausted (the core logs it naming the pool), -EIO store.
	 * pool_release marks it offline (reserved for lease_time).
	 */
	int (*pool_acquire)(const struct kanmon_host *h, const char *pool, const char *identity,
			    int family, struct sockaddr_storage *addr);
	int (*pool_release)(const struct kanmon_host *h, const char *pool, const char *identity,
			    const struct sockaddr *addr);
	/* The pool's configuration group (dns, ...); NULL if there is no such pool. */
	const struct kanmon_conf *(*pool_conf)(const struct kanmon_host *h, const char *pool);

	/*
	 * -- session registry (kanmon/session.h): strings are copied. --
	 * session_add returns the session's numeric id in *id (never 0).
	 */
	int (*session_add)(const struct kanmon_host *h, const struct kanmon_session *s,
			   const struct kanmon_session_ops *ops, void *arg, uint64_t *id);
	int (*session_update)(const struct kanmon_host *h, uint64_t id, const struct kanmon_session *s);
	void (*session_remove)(const struct kanmon_host *h, uint64_t id);

	/*
	 * -- SA backend (kanmon/sa.h). --
	 * The plugin providing "sa-backend" registers its ops in init (once);
	 * protocol plugins (requiring "sa-backend", so initialised after it)
	 * fetch them. sa_event: backends report acquire/expire/mapping events on
	 * the loop thread; the core calls every subscriber.
	 */
	int (*sa_register_backend)(const struct kanmon_host *h, const struct kanmon_sa_ops *ops, void *be);
	int (*sa_backend)(const struct kanmon_host *h, const struct kanmon_sa_ops **ops, void **be);
	void (*sa_event)(const struct kanmon_host *h, const struct kanmon_sa_event *ev);
	int (*sa_subscribe)(const struct kanmon_host *h,
			    void (*cb)(const struct kanmon_sa_event *ev, void *arg), void *arg);
	/* The core's socket fds for a registered port (e.g. to set UDP_ENCAP); count. */
	size_t (*net_fds)(const struct kanmon_host *h, uint16_t port, int *fds, size_t max);
	/*
	 * Offer a datagram to the handlers of pkt->port as if it had arrived on
	 * that port (a userspace SA backend hands over decrypted transport-mode
	 * payloads this way, with esp_spi/esp_reqid set). 1 taken, 0 dropped.
	 */
	int (*net_deliver)(const struct kanmon_host *h, struct kanmon_pkt *pkt);

	/*
	 * -- certificates (kanmon/cert.h). --
	 * cert_verify checks a peer's chain (chain[0] the end entity, then any
	 * intermediates in the order received) against the store's trusted CAs:
	 * signatures, validity, revocation (built-in CA and configured CRLs),
	 * key usage and extended key usage for `role`, and, when `id` is not
	 * NULL, that the certificate carries that identity (subject DN or a
	 * subjectAltName). Returns res->status; res->reason says why in plain
	 * words (log it with the peer's address).
	 */
	int (*cert_verify)(const struct kanmon_host *h, const struct kanmon_blob *chain, size_t n,
			   int role, const struct kanmon_id *id, struct kanmon_cert_result *res);
	/*
	 * Sign `data` with the private key of server certificate `name` (a store
	 * name, or a path of the `ca.certificates` configuration). hash is a
	 * KANMON_HASH_*, flags KANMON_SIGN_*. *sig_len: buffer size in, length
	 * out. -ENOENT unknown name, -ENOSPC buffer too small, -EOPNOTSUPP
	 * hash/flags not usable with that key.
	 */
	int (*cert_sign)(const struct kanmon_host *h, const char *name, unsigned hash, unsigned flags,
			 const void *data, size_t len, uint8_t *sig, size_t *sig_len);
	/*
	 * A server certificate by name, or (name NULL) the first one that
	 * carries identity `id` (what a client asked for in IDr). -ENOENT.
	 */
	int (*cert_lookup)(const struct kanmon_host *h, const char *name, const struct kanmon_id *id,
			   struct kanmon_cert_info *info);
	/*
	 * Does `id` match `pattern`? Patterns: a DN with wildcard values
	 * ("C=JP, O=Example Inc., CN=*"), "*@example.com", "*.example.com", an
	 * address or prefix ("192.0.2.0/24"), "%any"; otherwise equality
	 * (case-insensitive for names).
	 */
	bool (*cert_id_match)(const struct kanmon_host *h, const char *pattern, const struct kanmon_id *id);
	/*
	 * Records that session `id` (from session_add) was authenticated by the
	 * certificate in `res` (an accepted cert_verify result): when that
	 * certificate is revoked the core kills the session through its ops.
	 */
	int (*session_cert)(const struct kanmon_host *h, uint64_t id, const struct kanmon_cert_result *res);
	/*
	 * Checks server certificate `name` against what clients demand when they
	 * reach this server as `server_id` (the FQDN or address they are given),
	 * and logs a warning per problem naming the client it would break.
	 * Returns the number of warnings, or -ENOENT.
	 */
	int (*cert_check_server)(const struct kanmon_host *h, const char *name, const char *server_id);

	/*
	 * A userspace SA backend sees every net_send before it leaves, so that
	 * replies on a transport-mode SA's flow (L2TP) are encrypted. The hook
	 * returns 0 to let the datagram go out as it is, 1 when it consumed it
	 * (sent it encrypted), or -errno. One hook per daemon: -EBUSY if held.
	 */
	int (*net_send_hook)(const struct kanmon_host *h,
			     int (*hook)(void *arg, uint16_t port, const struct sockaddr *local,
					 const struct sockaddr *peer, const void *buf, size_t len,
					 uint16_t pkt_flags),
			     void *arg);
};

#endif
