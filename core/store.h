/* SPDX-License-Identifier: MIT */
/*
 * store.h - durable state behind a small interface. The default backend is
 * an embedded SQLite database (store_sqlite.c) in state_dir; a shared
 * database can replace it later by providing another struct store_ops.
 *
 * Guarantees of every backend:
 *  - one change = one transaction: when a call returned 0 the change survives
 *    a crash of the process (kill -9) at any later moment;
 *  - a store it cannot read (corrupt, not a database, newer schema) stops
 *    store_open() with a clear message and is never modified or overwritten;
 *  - files are created 0600.
 * Next to leases the store holds the built-in CA's state (store_ca_*):
 * the CA certificate, issued and imported certificates with their serials,
 * revocations and the CRL number. Private keys are files beside the store
 * (certstore/ca.c), the rows only name them.
 */
#ifndef KANMON_CORE_STORE_H
#define KANMON_CORE_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "diag.h"
#include "pool.h"

struct store;

/* Schema version this build writes (PRAGMA user_version of kanmon.db). */
#define STORE_SCHEMA_VERSION 2

/*
 * The built-in CA: at most one per store. Strings and cert are malloc'd by
 * the getters; store_ca_clear() frees them.
 */
struct store_ca {
	void *cert;			/* DER */
	size_t cert_len;
	char *key_file;			/* relative to state_dir */
	bool key_encrypted;		/* PKCS#8 with a passphrase */
	char *crl_host;			/* NULL = no CRL distribution point */
	int64_t crl_number;		/* number of the last CRL issued, 0 = none yet */
	time_t created;
};

/* Roles a stored certificate plays. */
#define STORE_ROLE_CA     "ca"		/* trusted issuer (imported) */
#define STORE_ROLE_SERVER "server"
#define STORE_ROLE_CLIENT "client"
#define STORE_ORIGIN_ISSUED   "issued"	/* by the built-in CA */
#define STORE_ORIGIN_IMPORTED "imported"

/* One certificate; the getters malloc every pointer, store_cert_clear() frees. */
struct store_cert {
	char *name;			/* unique, [A-Za-z0-9._@-] */
	char *role;			/* STORE_ROLE_* */
	char *origin;			/* STORE_ORIGIN_* */
	char *serial;			/* lowercase hex, no leading zero bytes */
	char *subject, *issuer;		/* DNs as text (C=JP, O=..., CN=...) */
	time_t not_before, not_after, created;
	void *cert;			/* DER */
	size_t cert_len;
	char *key_file;			/* relative to state_dir; NULL = no key kept */
	time_t revoked;			/* 0 = not revoked */
	int reason;			/* RFC 5280 CRLReason when revoked */
};

struct store_ops {
	void (*close)(struct store *s);
	int (*lease_save)(struct store *s, const struct pool_lease_info *l);
	int (*lease_delete)(struct store *s, const char *pool, const struct sockaddr *addr);
	int (*lease_foreach)(struct store *s, int (*cb)(const struct pool_lease_info *l, void *arg),
			     void *arg);
	int (*schema_version)(struct store *s);
	/*
	 * CA state. Each call is one transaction. Errors: -ENOENT no such
	 * row, -EEXIST a CA already exists / the name or (issuer, serial) is
	 * taken, -EALREADY revoked before, -EAGAIN the CRL number moved, plus
	 * the usual -EIO/-EBUSY/-ENOSPC. The foreach callbacks must not write
	 * to the store (a read transaction is open while they run).
	 */
	int (*ca_get)(struct store *s, struct store_ca *out);
	int (*ca_put)(struct store *s, const struct store_ca *ca);
	/* compare-and-set: from `expect` to `next` (> expect) */
	int (*ca_crl_number)(struct store *s, int64_t expect, int64_t next);
	int (*cert_add)(struct store *s, const struct store_cert *c);
	int (*cert_get)(struct store *s, const char *name, struct store_cert *out);
	int (*cert_foreach)(struct store *s, int (*cb)(const struct store_cert *c, void *arg), void *arg);
	int (*cert_revoke)(struct store *s, const char *name, time_t when, int reason);
	/* undoes a cert_add whose files could not be written (never for revocation) */
	int (*cert_delete)(struct store *s, const char *name);
};

struct store {
	const struct store_ops *ops;
};

#define STORE_SYNC_FULL 0x01	/* fsync every commit (survives power loss, slower) */

/*
 * SQLite backend: opens (creating if absent) DIR/kanmon.db. The directory is
 * created 0700 if missing. WAL journal; synchronous=NORMAL by default (a
 * committed change survives a process crash), FULL with STORE_SYNC_FULL.
 * Migrates older schemas forward inside a transaction. 0 or -errno; the
 * reason (naming the file) is in d.
 */
int store_open_sqlite(const char *dir, unsigned flags, struct store **out, struct diag *d);

static inline void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}
static inline int store_lease_save(struct store *s, const struct pool_lease_info *l)
{
	return s->ops->lease_save(s, l);
}
static inline int store_lease_delete(struct store *s, const char *pool, const struct sockaddr *addr)
{
	return s->ops->lease_delete(s, pool, addr);
}
static inline int store_lease_foreach(struct store *s,
				      int (*cb)(const struct pool_lease_info *l, void *arg), void *arg)
{
	return s->ops->lease_foreach(s, cb, arg);
}

static inline int store_ca_get(struct store *s, struct store_ca *out)
{
	return s->ops->ca_get(s, out);
}
static inline int store_ca_put(struct store *s, const struct store_ca *ca)
{
	return s->ops->ca_put(s, ca);
}
static inline int store_ca_crl_number(struct store *s, int64_t expect, int64_t next)
{
	return s->ops->ca_crl_number(s, expect, next);
}
static inline int store_cert_add(struct store *s, const struct store_cert *c)
{
	return s->ops->cert_add(s, c);
}
static inline int store_cert_get(struct store *s, const char *name, struct store_cert *out)
{
	return s->ops->cert_get(s, name, out);
}
static inline int store_cert_foreach(struct store *s, int (*cb)(const struct store_cert *c, void *arg),
				     void *arg)
{
	return s->ops->cert_foreach(s, cb, arg);
}
static inline int store_cert_revoke(struct store *s, const char *name, time_t when, int reason)
{
	return s->ops->cert_revoke(s, name, when, reason);
}
static inline int store_cert_delete(struct store *s, const char *name)
{
	return s->ops->cert_delete(s, name);
}
void store_ca_clear(struct store_ca *ca);
void store_cert_clear(struct store_cert *c);

/* The persist hook that makes a pool_set write through to a store. */
struct pool_persist store_pool_persist(struct store *s);

#endif
