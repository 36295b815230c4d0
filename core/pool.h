/* SPDX-License-Identifier: MIT */
/*
 * pool.h - named address pools with sticky leases (DESIGN section 4).
 *
 * A lease ties one address to one client identity (the IKE ID, a
 * certificate subject, a PPP user). States:
 *   ONLINE   a session holds the address;
 *   OFFLINE  the session ended; the address stays reserved for that identity
 *            until lease_time seconds have passed, so a reconnect gets it back;
 *   FREE     no lease (the record is gone, the address can go to anyone).
 * Static leases (pools[].static) are reserved for their identity forever.
 *
 * Every change is handed to the persist hook *before* it takes effect in
 * memory; if the hook fails, the change is refused and nothing changed, so an
 * address handed to a client is always durable ("acknowledged").
 *
 * Lookups by address and by identity are O(1) (hash tables); allocation is
 * O(1) amortised (a cursor over never-used addresses, then a free list, then
 * the oldest expired offline lease). Time is a parameter so tests control it.
 */
#ifndef KANMON_CORE_POOL_H
#define KANMON_CORE_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "diag.h"

enum lease_state { LEASE_FREE = 0, LEASE_ONLINE = 1, LEASE_OFFLINE = 2 };

struct pool_lease_info {
	const char *pool;
	const char *identity;
	struct sockaddr_storage addr;	/* AF_INET or AF_INET6, port 0 */
	enum lease_state state;
	time_t since;			/* when the state was entered */
	bool is_static;
};

struct pool_static {
	const char *identity;
	const char *address;		/* inside one of the pool's ranges */
};

struct pool_config {
	const char *name;
	const char *const *ranges;	/* "a-b" or prefix (conf_parse_range syntax), v4 and/or v6 */
	size_t n_ranges;
	uint32_t lease_time;		/* seconds an OFFLINE lease stays reserved */
	const struct pool_static *statics;
	size_t n_statics;
};

/* Called before each change takes effect; non-zero refuses the change. */
struct pool_persist {
	void *arg;
	int (*save)(void *arg, const struct pool_lease_info *l);	/* insert or update */
	int (*remove)(void *arg, const char *pool, const struct sockaddr *addr);
};

struct pool_set;
struct pool;

/* persist may be NULL (in-memory only: benchmarks, tests). */
struct pool_set *pool_set_new(const struct pool_persist *persist);
void pool_set_free(struct pool_set *set);

/*
 * Adds a pool. Errors (one diag line each, naming the pool): duplicate name,
 * bad range, a range overlapping another pool's, a static address outside the
 * ranges or given twice, an identity with two static addresses of one family.
 * Network and broadcast addresses of an IPv4 prefix are never handed out;
 * for "a-b" ranges every address from a to b is.
 */
int pool_add(struct pool_set *set, const struct pool_config *cfg, struct diag *d);
struct pool *pool_find(const struct pool_set *set, const char *name);
const char *pool_name(const struct pool *p);

/*
 * Start-up: re-create a lease read from the store. ONLINE leases come back
 * OFFLINE (their sessions died with the previous process) with since = now.
 * Leases whose pool or address no longer exists are dropped (and removed
 * from the store through the persist hook). Does not call save otherwise.
 */
int pool_restore(struct pool_set *set, const struct pool_lease_info *l, time_t now);

/*
 * Gives `identity` an address of `family`: its existing lease (static,
 * offline or already online) if it has one, else a free address. The lease
 * is ONLINE afterwards. Errors: -EAFNOSUPPORT (pool has no range of that
 * family), -ENOSPC (exhausted: every address is online or reserved offline
 * within lease_time), -EINVAL (empty identity), or the persist hook's error.
 */
int pool_acquire(struct pool *p, const char *identity, int family, time_t now,
		 struct sockaddr_storage *out);

/* ONLINE -> OFFLINE for that identity's lease at addr. -ENOENT if none. */
int pool_release(struct pool *p, const char *identity, const struct sockaddr *addr, time_t now);

/* OFFLINE leases older than lease_time become FREE. Returns how many. */
size_t pool_expire(struct pool_set *set, time_t now);

/* Lookups (NULL = none); the info's strings live until the next change. */
int pool_lookup_addr(const struct pool *p, const struct sockaddr *addr, struct pool_lease_info *out);
int pool_lookup_identity(const struct pool *p, const char *identity, int family,
			 struct pool_lease_info *out);	/* 0 or -ENOENT */

struct pool_stats {
	uint64_t size4, size6;		/* addresses usable (v6 capped at 2^63) */
	uint64_t online, offline, statics;
};
void pool_get_stats(const struct pool *p, struct pool_stats *st);

/* Every lease of every pool (any order); stop when cb returns non-zero. */
int pool_foreach(const struct pool_set *set, int (*cb)(const struct pool_lease_info *l, void *arg),
		 void *arg);

#endif
