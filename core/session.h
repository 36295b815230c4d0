/* SPDX-License-Identifier: MIT */
/*
 * session.h - registry of live client sessions (kanmon/session.h is what
 * plugins report). Ids are numeric, start at 1, never reused while the daemon
 * runs; lookups by id are O(1); iteration is in id order.
 */
#ifndef KANMON_CORE_SESSION_H
#define KANMON_CORE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kanmon/session.h>

struct session_registry;

struct session_entry {
	uint64_t id;
	const char *plugin;		/* the registering plugin's name */
	const void *owner;
	char *identity;
	char *state;
	char *algorithms;		/* NULL = none */
	struct sockaddr_storage peer;
	struct sockaddr_storage vips[KANMON_SESSION_MAX_VIPS];
	unsigned n_vips;
	time_t established;
	const struct kanmon_session_ops *ops;
	void *arg;
	char *cert_issuer;		/* the authenticating certificate (NULL = none): */
	char *cert_serial;		/* issuer DN text and serial hex, as kanmon_cert_result has them */
};

struct session_registry *session_registry_new(void);
void session_registry_free(struct session_registry *r);

int session_add(struct session_registry *r, const char *plugin, const void *owner,
		const struct kanmon_session *s, const struct kanmon_session_ops *ops, void *arg,
		uint64_t *id);
/* -ENOENT unknown id, -EPERM the session belongs to another plugin */
int session_update(struct session_registry *r, const void *owner, uint64_t id,
		   const struct kanmon_session *s);
void session_remove(struct session_registry *r, const void *owner, uint64_t id);
size_t session_remove_owned(struct session_registry *r, const void *owner);

const struct session_entry *session_find(const struct session_registry *r, uint64_t id);
size_t session_count(const struct session_registry *r);
/* -ENOENT, -EOPNOTSUPP (plugin cannot kill), or the plugin's result */
int session_kill(struct session_registry *r, uint64_t id);
/* zeroes *c when the plugin has no counters */
void session_counters(const struct session_entry *e, struct kanmon_session_counters *c);
/*
 * Ties session id to the certificate that authenticated it (issuer DN text,
 * serial hex). -ENOENT unknown id, -EPERM another plugin's session.
 */
int session_set_cert(struct session_registry *r, const void *owner, uint64_t id, const char *issuer,
		     const char *serial);
/*
 * The revocation hook: kills (through the owning plugin's ops) every session
 * whose certificate `revoked` says is revoked. Returns how many were asked
 * to end; those whose plugin cannot kill are logged.
 */
size_t session_kill_revoked(struct session_registry *r,
			    bool (*revoked)(const char *issuer, const char *serial, void *arg), void *arg);
/* in id order; stop when cb returns non-zero */
int session_foreach(const struct session_registry *r,
		    int (*cb)(const struct session_entry *e, void *arg), void *arg);

#endif
