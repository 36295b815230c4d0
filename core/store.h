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
 * Later issues add certificates, revocations and users next to leases.
 */
#ifndef KANMON_CORE_STORE_H
#define KANMON_CORE_STORE_H

#include <stdbool.h>

#include "diag.h"
#include "pool.h"

struct store;

struct store_ops {
	void (*close)(struct store *s);
	int (*lease_save)(struct store *s, const struct pool_lease_info *l);
	int (*lease_delete)(struct store *s, const char *pool, const struct sockaddr *addr);
	int (*lease_foreach)(struct store *s, int (*cb)(const struct pool_lease_info *l, void *arg),
			     void *arg);
	int (*schema_version)(struct store *s);
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

/* The persist hook that makes a pool_set write through to a store. */
struct pool_persist store_pool_persist(struct store *s);

#endif
