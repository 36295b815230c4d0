/* SPDX-License-Identifier: MIT */
/*
 * test_pool - address pools: allocation order, stickiness across release and
 * restart, lease states under controlled time, exhaustion, statics, IPv6,
 * validation messages, the persist hook (and what a failing one leaves), and
 * a randomised run checked against a reference model.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "log.h"
#include "pool.h"

/* ---- helpers ----------------------------------------------------------- */

/* Address text in rotating static buffers: several can be used in one assert. */
static const char *astr(const struct sockaddr_storage *ss)
{
	static char bufs[16][INET6_ADDRSTRLEN];
	static unsigned i;
	char *b = bufs[i++ % 16];
	const void *a = ss->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
						 : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (!inet_ntop(ss->ss_family, a, b, INET6_ADDRSTRLEN))
		strcpy(b, "?");
	return b;
}

static const struct sockaddr *sa(const char *text)
{
	static struct sockaddr_storage ss[8];
	static unsigned i;
	struct sockaddr_storage *s = memset(&ss[i++ % 8], 0, sizeof(ss[0]));
	struct sockaddr_in *s4 = (struct sockaddr_in *)s;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)s;
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1)
		s6->sin6_family = AF_INET6;
	else
		ck_abort_msg("bad address in test: %s", text);
	return (const struct sockaddr *)s;
}

static const char *ddump(const struct diag *d)
{
	static char buf[4096];
	buf[0] = '\0';
	for (size_t i = 0; i < d->n; i++) {
		strncat(buf, d->lines[i], sizeof(buf) - strlen(buf) - 2);
		strcat(buf, "\n");
	}
	return buf;
}

static struct pool *mk(struct pool_set *s, const char *name, const char *const *ranges, size_t n,
		       uint32_t lease_time, const struct pool_static *st, size_t nst)
{
	struct pool_config cfg = { .name = name, .ranges = ranges, .n_ranges = n,
				   .lease_time = lease_time, .statics = st, .n_statics = nst };
	struct diag d = { 0 };
	int r = pool_add(s, &cfg, &d);
	ck_assert_msg(r == 0, "pool_add %s: %d\n%s", name, r, ddump(&d));
	diag_clear(&d);
	struct pool *p = pool_find(s, name);
	ck_assert_ptr_nonnull(p);
	return p;
}

#define RANGES(...) (const char *const[]){ __VA_ARGS__ }, sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *)

/* acquire that must succeed; returns the address text */
static const char *acq(struct pool *p, const char *id, int family, time_t now)
{
	struct sockaddr_storage ss;
	int r = pool_acquire(p, id, family, now, &ss);
	ck_assert_msg(r == 0, "acquire %s: %s", id, strerror(-r));
	ck_assert_int_eq(ss.ss_family, family);
	return astr(&ss);
}

static int acq_err(struct pool *p, const char *id, int family, time_t now)
{
	struct sockaddr_storage ss;
	return pool_acquire(p, id, family, now, &ss);
}

static int rel(struct pool *p, const char *id, const char *addr, time_t now)
{
	return pool_release(p, id, sa(addr), now);
}

static enum lease_state state_of(struct pool *p, const char *addr)
{
	struct pool_lease_info li;
	return pool_lookup_addr(p, sa(addr), &li) ? LEASE_FREE : li.state;
}

/* ---- a test store behind the persist hook ------------------------------ */

struct row {
	char pool[32], id[64], addr[INET6_ADDRSTRLEN];
	enum lease_state state;
	time_t since;
	bool is_static;
};

struct tstore {
	int fail;			/* non-zero: the next calls return it */
	size_t saves, removes;
	struct row rows[256];
	size_t n;
	char log[64][160];		/* "save ID ADDR STATE SINCE [static]" / "remove ADDR" */
	size_t nlog;
};

static struct tstore TS;

static void ts_log(const char *line)
{
	if (TS.nlog < 64)
		snprintf(TS.log[TS.nlog++], sizeof(TS.log[0]), "%s", line);
}

static struct row *ts_find(const char *pool, const char *addr)
{
	for (size_t i = 0; i < TS.n; i++)
		if (!strcmp(TS.rows[i].pool, pool) && !strcmp(TS.rows[i].addr, addr))
			return &TS.rows[i];
	return NULL;
}

static int ts_save(void *arg, const struct pool_lease_info *l)
{
	(void)arg;
	if (TS.fail)
		return TS.fail;
	TS.saves++;
	const char *a = astr(&l->addr);
	char line[160];
	snprintf(line, sizeof(line), "save %s %s %s %lld%s", l->identity, a,
		 l->state == LEASE_ONLINE ? "online" : l->state == LEASE_OFFLINE ? "offline" : "free",
		 (long long)l->since, l->is_static ? " static" : "");
	ts_log(line);
	struct row *r = ts_find(l->pool, a);
	if (!r) {
		ck_assert_uint_lt(TS.n, 256);
		r = &TS.rows[TS.n++];
	}
	snprintf(r->pool, sizeof(r->pool), "%s", l->pool);
	snprintf(r->id, sizeof(r->id), "%s", l->identity);
	snprintf(r->addr, sizeof(r->addr), "%s", a);
	r->state = l->state;
	r->since = l->since;
	r->is_static = l->is_static;
	return 0;
}

static int ts_remove(void *arg, const char *pool, const struct sockaddr *addr)
{
	(void)arg;
	if (TS.fail)
		return TS.fail;
	TS.removes++;
	const char *a = astr((const struct sockaddr_storage *)addr);
	char line[160];
	snprintf(line, sizeof(line), "remove %s", a);
	ts_log(line);
	struct row *r = ts_find(pool, a);
	if (r)
		*r = TS.rows[--TS.n];
	return 0;
}

static const struct pool_persist TS_HOOK = { .arg = NULL, .save = ts_save, .remove = ts_remove };

/* Re-create every stored lease in `s`, as start-up does. */
static void ts_restore(struct pool_set *s, time_t now)
{
	struct row copy[256];
	size_t n = TS.n;
	memcpy(copy, TS.rows, n * sizeof(copy[0]));	/* restore may remove rows */
	for (size_t i = 0; i < n; i++) {
		struct pool_lease_info li = { .pool = copy[i].pool, .identity = copy[i].id,
					      .state = copy[i].state, .since = copy[i].since,
					      .is_static = copy[i].is_static };
		memcpy(&li.addr, sa(copy[i].addr), sizeof(struct sockaddr_in6));
		ck_assert_int_eq(pool_restore(s, &li, now), 0);
	}
}

/* A canonical text of every lease, to prove a refused change left no trace. */
static int snap_cb(const struct pool_lease_info *l, void *arg)
{
	char *out = arg;
	char line[256];
	snprintf(line, sizeof(line), "%s|%s|%s|%d|%lld|%d\n", l->pool, l->identity, astr(&l->addr),
		 l->state, (long long)l->since, l->is_static);
	strcat(out, line);
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *snapshot(struct pool_set *s)
{
	char *raw = calloc(1, 65536), *out = calloc(1, 65536);
	char *lines[256];
	size_t n = 0;
	pool_foreach(s, snap_cb, raw);
	for (char *t = strtok(raw, "\n"); t && n < 256; t = strtok(NULL, "\n"))
		lines[n++] = t;
	qsort(lines, n, sizeof(lines[0]), cmp_line);
	for (size_t i = 0; i < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
	}
	free(raw);
	return out;
}

static void setup(void)
{
	memset(&TS, 0, sizeof(TS));
}

/* ---- tests ------------------------------------------------------------- */

START_TEST(alloc_in_order)
{
	struct pool_set *s = pool_set_new(NULL);
	struct pool *p = mk(s, "c", RANGES("10.0.0.0/29", "10.0.1.10-10.0.1.12"), 0, NULL, 0);
	const char *want[] = { "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5",
			       "10.0.0.6", "10.0.1.10", "10.0.1.11", "10.0.1.12" };
	char id[32];
	for (size_t i = 0; i < 9; i++) {
		snprintf(id, sizeof(id), "user%zu", i);
		ck_assert_str_eq(acq(p, id, AF_INET, 1), want[i]);
	}
	ck_assert_int_eq(acq_err(p, "one-too-many", AF_INET, 1), -ENOSPC);
	ck_assert_int_eq(acq_err(p, "", AF_INET, 1), -EINVAL);
	ck_assert_int_eq(acq_err(p, NULL, AF_INET, 1), -EINVAL);
	struct pool_stats st;
	pool_get_stats(p, &st);
	ck_assert_uint_eq(st.size4, 9);
	ck_assert_uint_eq(st.size6, 0);
	ck_assert_uint_eq(st.online, 9);

	/* /31 and /32 keep every address */
	struct pool *q = mk(s, "p2p", RANGES("192.0.2.0/31", "192.0.2.9/32"), 0, NULL, 0);
	ck_assert_str_eq(acq(q, "a", AF_INET, 1), "192.0.2.0");
	ck_assert_str_eq(acq(q, "b", AF_INET, 1), "192.0.2.1");
	ck_assert_str_eq(acq(q, "c", AF_INET, 1), "192.0.2.9");
	ck_assert_int_eq(acq_err(q, "d", AF_INET, 1), -ENOSPC);
	ck_assert_str_eq(pool_name(q), "p2p");
	pool_set_free(s);
}
END_TEST

START_TEST(sticky_release_and_restart)
{
	struct pool_set *s = pool_set_new(&TS_HOOK);
	const char *const ranges[] = { "10.1.0.0/24", "2001:db8:1::/64" };
	struct pool *p = mk(s, "c", ranges, 2, 3600, NULL, 0);
	ck_assert_str_eq(acq(p, "alice", AF_INET, 10), "10.1.0.1");
	ck_assert_str_eq(acq(p, "alice", AF_INET6, 10), "2001:db8:1::1");
	ck_assert_str_eq(acq(p, "bob", AF_INET, 10), "10.1.0.2");
	ck_assert_int_eq(rel(p, "alice", "10.1.0.1", 20), 0);
	ck_assert_str_eq(acq(p, "carol", AF_INET, 21), "10.1.0.3");	/* not alice's */
	ck_assert_str_eq(acq(p, "alice", AF_INET, 22), "10.1.0.1");
	ck_assert_int_eq(rel(p, "alice", "10.1.0.1", 30), 0);
	ck_assert_int_eq(rel(p, "alice", "2001:db8:1::1", 30), 0);
	ck_assert_int_eq(rel(p, "bob", "10.1.0.2", 30), 0);
	pool_set_free(s);

	/* restart: a fresh set from the store, carol's session died with it */
	s = pool_set_new(&TS_HOOK);
	p = mk(s, "c", ranges, 2, 3600, NULL, 0);
	ts_restore(s, 100);
	struct pool_lease_info li;
	ck_assert_int_eq(pool_lookup_identity(p, "carol", AF_INET, &li), 0);
	ck_assert_int_eq(li.state, LEASE_OFFLINE);
	ck_assert_int_eq(li.since, 100);		/* ONLINE comes back OFFLINE, since = now */
	ck_assert_int_eq(pool_lookup_identity(p, "bob", AF_INET, &li), 0);
	ck_assert_int_eq(li.since, 30);			/* OFFLINE keeps its clock */
	ck_assert_str_eq(acq(p, "dave", AF_INET, 101), "10.1.0.4");	/* cursor skips restored */
	ck_assert_str_eq(acq(p, "bob", AF_INET, 102), "10.1.0.2");
	ck_assert_str_eq(acq(p, "alice", AF_INET6, 102), "2001:db8:1::1");
	ck_assert_str_eq(acq(p, "alice", AF_INET, 103), "10.1.0.1");
	ck_assert_str_eq(acq(p, "carol", AF_INET, 104), "10.1.0.3");
	ck_assert_str_eq(acq(p, "erin", AF_INET6, 104), "2001:db8:1::2");
	pool_set_free(s);
}
END_TEST

START_TEST(state_transitions)
{
	struct pool_set *s = pool_set_new(NULL);
	struct pool *p = mk(s, "c", RANGES("10.2.0.0/24"), 100, NULL, 0);
	struct pool_lease_info li;
	struct pool_stats st;
	ck_assert_str_eq(acq(p, "alice", AF_INET, 1000), "10.2.0.1");
	ck_assert_int_eq(pool_lookup_addr(p, sa("10.2.0.1"), &li), 0);
	ck_assert_int_eq(li.state, LEASE_ONLINE);
	ck_assert_int_eq(li.since, 1000);
	ck_assert_str_eq(li.pool, "c");
	ck_assert_str_eq(li.identity, "alice");
	ck_assert(!li.is_static);
	ck_assert_int_eq(rel(p, "bob", "10.2.0.1", 1010), -ENOENT);	/* not bob's */
	ck_assert_int_eq(rel(p, "alice", "10.2.0.9", 1010), -ENOENT);
	ck_assert_int_eq(rel(p, "alice", "10.2.0.1", 1010), 0);
	ck_assert_int_eq(rel(p, "alice", "10.2.0.1", 1011), 0);		/* repeated: no-op */
	ck_assert_int_eq(pool_lookup_identity(p, "alice", AF_INET, &li), 0);
	ck_assert_int_eq(li.state, LEASE_OFFLINE);
	ck_assert_int_eq(li.since, 1010);
	pool_get_stats(p, &st);
	ck_assert_uint_eq(st.online, 0);
	ck_assert_uint_eq(st.offline, 1);
	ck_assert_uint_eq(pool_expire(s, 1109), 0);
	ck_assert_int_eq(state_of(p, "10.2.0.1"), LEASE_OFFLINE);
	ck_assert_uint_eq(pool_expire(s, 1110), 1);
	ck_assert_int_eq(state_of(p, "10.2.0.1"), LEASE_FREE);
	ck_assert_int_eq(pool_lookup_identity(p, "alice", AF_INET, &li), -ENOENT);
	pool_get_stats(p, &st);
	ck_assert_uint_eq(st.offline, 0);
	/* the freed address is reused only after the never-used ones */
	ck_assert_str_eq(acq(p, "alice", AF_INET, 1200), "10.2.0.2");
	pool_set_free(s);
}
END_TEST

START_TEST(exhaustion_and_takeover)
{
	struct pool_set *s = pool_set_new(NULL);
	struct pool *p = mk(s, "tiny", RANGES("10.3.0.0/30"), 100, NULL, 0);
	ck_assert_str_eq(acq(p, "alice", AF_INET, 0), "10.3.0.1");
	ck_assert_str_eq(acq(p, "bob", AF_INET, 0), "10.3.0.2");
	ck_assert_int_eq(acq_err(p, "carol", AF_INET, 0), -ENOSPC);
	ck_assert_int_eq(rel(p, "bob", "10.3.0.2", 10), 0);
	ck_assert_int_eq(rel(p, "alice", "10.3.0.1", 20), 0);
	/* reserved for their owners until lease_time has passed */
	ck_assert_int_eq(acq_err(p, "carol", AF_INET, 109), -ENOSPC);
	ck_assert_int_eq(state_of(p, "10.3.0.2"), LEASE_OFFLINE);
	/* then the oldest offline lease goes first: bob's */
	ck_assert_str_eq(acq(p, "carol", AF_INET, 110), "10.3.0.2");
	ck_assert_int_eq(pool_lookup_identity(p, "bob", AF_INET, NULL), -ENOENT);
	ck_assert_int_eq(acq_err(p, "dave", AF_INET, 119), -ENOSPC);
	ck_assert_str_eq(acq(p, "alice", AF_INET, 119), "10.3.0.1");	/* still hers */
	ck_assert_int_eq(acq_err(p, "bob", AF_INET, 200), -ENOSPC);
	struct pool_stats st;
	pool_get_stats(p, &st);
	ck_assert_uint_eq(st.online, 2);
	ck_assert_uint_eq(st.offline, 0);
	pool_set_free(s);
}
END_TEST

START_TEST(static_leases)
{
	struct pool_set *s = pool_set_new(NULL);
	const struct pool_static st[] = { { "boss", "10.4.0.2" }, { "boss", "2001:db8:4::9" } };
	struct pool *p = mk(s, "c", RANGES("10.4.0.0/29", "2001:db8:4::/120"), 10, st, 2);
	struct pool_stats ps;
	pool_get_stats(p, &ps);
	ck_assert_uint_eq(ps.statics, 2);
	ck_assert_uint_eq(ps.online, 0);
	ck_assert_uint_eq(ps.size6, 255);
	struct pool_lease_info li;
	ck_assert_int_eq(pool_lookup_addr(p, sa("10.4.0.2"), &li), 0);
	ck_assert(li.is_static);
	ck_assert_int_eq(li.state, LEASE_OFFLINE);
	/* others never get it */
	ck_assert_str_eq(acq(p, "a", AF_INET, 1), "10.4.0.1");
	ck_assert_str_eq(acq(p, "b", AF_INET, 1), "10.4.0.3");
	ck_assert_str_eq(acq(p, "boss", AF_INET, 1), "10.4.0.2");
	ck_assert_str_eq(acq(p, "boss", AF_INET6, 1), "2001:db8:4::9");
	ck_assert_int_eq(rel(p, "boss", "10.4.0.2", 2), 0);
	ck_assert_uint_eq(pool_expire(s, 100000), 0);			/* never expires */
	ck_assert_int_eq(pool_lookup_identity(p, "boss", AF_INET, &li), 0);
	ck_assert_str_eq(astr(&li.addr), "10.4.0.2");
	ck_assert_int_eq(li.state, LEASE_OFFLINE);
	ck_assert_str_eq(acq(p, "c", AF_INET, 100000), "10.4.0.4");
	ck_assert_str_eq(acq(p, "d", AF_INET, 100000), "10.4.0.5");
	ck_assert_str_eq(acq(p, "e", AF_INET, 100000), "10.4.0.6");
	ck_assert_int_eq(acq_err(p, "f", AF_INET, 200000), -ENOSPC);	/* not stolen */
	ck_assert_str_eq(acq(p, "boss", AF_INET, 200000), "10.4.0.2");
	pool_get_stats(p, &ps);
	ck_assert_uint_eq(ps.statics, 2);
	ck_assert_uint_eq(ps.online, 7);
	pool_set_free(s);
}
END_TEST

START_TEST(ipv6_pools)
{
	struct pool_set *s = pool_set_new(NULL);
	struct pool *p = mk(s, "v6", RANGES("2001:db8:6::/64"), 0, NULL, 0);
	struct pool_stats st;
	pool_get_stats(p, &st);
	ck_assert_uint_eq(st.size6, UINT64_C(1) << 63);		/* capped */
	ck_assert_uint_eq(st.size4, 0);
	ck_assert_str_eq(acq(p, "a", AF_INET6, 1), "2001:db8:6::1");	/* not the anycast ::0 */
	ck_assert_str_eq(acq(p, "b", AF_INET6, 1), "2001:db8:6::2");
	ck_assert_int_eq(acq_err(p, "a", AF_INET, 1), -EAFNOSUPPORT);
	ck_assert_int_eq(acq_err(p, "a", AF_UNIX, 1), -EAFNOSUPPORT);

	/* a range crossing a 64-bit boundary: 128-bit cursor arithmetic */
	struct pool *q = mk(s, "wide", RANGES("2001:db8:7::ffff:ffff:ffff:fffe-2001:db8:7:1::1"), 0,
			    NULL, 0);
	pool_get_stats(q, &st);
	ck_assert_uint_eq(st.size6, 4);
	ck_assert_str_eq(acq(q, "a", AF_INET6, 1), "2001:db8:7:0:ffff:ffff:ffff:fffe");
	ck_assert_str_eq(acq(q, "b", AF_INET6, 1), "2001:db8:7:0:ffff:ffff:ffff:ffff");
	ck_assert_str_eq(acq(q, "c", AF_INET6, 1), "2001:db8:7:1::");
	ck_assert_str_eq(acq(q, "d", AF_INET6, 1), "2001:db8:7:1::1");
	ck_assert_int_eq(acq_err(q, "e", AF_INET6, 1), -ENOSPC);

	struct pool *r = mk(s, "p2p6", RANGES("2001:db8:8::/127", "2001:db8:9::/128"), 0, NULL, 0);
	ck_assert_str_eq(acq(r, "a", AF_INET6, 1), "2001:db8:8::");	/* RFC 6164 */
	ck_assert_str_eq(acq(r, "b", AF_INET6, 1), "2001:db8:8::1");
	ck_assert_str_eq(acq(r, "c", AF_INET6, 1), "2001:db8:9::");
	pool_set_free(s);

	s = pool_set_new(NULL);
	r = mk(s, "all", RANGES("::/0", "0.0.0.0/0"), 0, NULL, 0);
	pool_get_stats(r, &st);
	ck_assert_uint_eq(st.size6, UINT64_C(1) << 63);
	ck_assert_uint_eq(st.size4, (UINT64_C(1) << 32) - 2);
	ck_assert_str_eq(acq(r, "a", AF_INET6, 1), "::1");
	ck_assert_str_eq(acq(r, "a", AF_INET, 1), "0.0.0.1");
	pool_set_free(s);
}
END_TEST

START_TEST(mixed_families)
{
	struct pool_set *s = pool_set_new(NULL);
	struct pool *p = mk(s, "m", RANGES("2001:db8:5::/64", "10.5.0.0/24"), 60, NULL, 0);
	ck_assert_str_eq(acq(p, "alice", AF_INET, 1), "10.5.0.1");
	ck_assert_str_eq(acq(p, "alice", AF_INET6, 1), "2001:db8:5::1");
	ck_assert_str_eq(acq(p, "bob", AF_INET6, 1), "2001:db8:5::2");
	struct pool_lease_info li;
	ck_assert_int_eq(pool_lookup_identity(p, "alice", AF_INET, &li), 0);
	ck_assert_str_eq(astr(&li.addr), "10.5.0.1");
	ck_assert_int_eq(pool_lookup_identity(p, "alice", AF_INET6, &li), 0);
	ck_assert_str_eq(astr(&li.addr), "2001:db8:5::1");
	ck_assert_int_eq(pool_lookup_identity(p, "bob", AF_INET, &li), -ENOENT);
	ck_assert_int_eq(rel(p, "alice", "2001:db8:5::1", 2), 0);
	ck_assert_int_eq(state_of(p, "10.5.0.1"), LEASE_ONLINE);
	ck_assert_uint_eq(pool_expire(s, 62), 1);
	ck_assert_int_eq(state_of(p, "2001:db8:5::1"), LEASE_FREE);
	ck_assert_int_eq(state_of(p, "10.5.0.1"), LEASE_ONLINE);
	struct pool_stats st;
	pool_get_stats(p, &st);
	ck_assert_uint_eq(st.size4, 254);
	ck_assert_uint_eq(st.online, 2);
	pool_set_free(s);
}
END_TEST

START_TEST(lookups)
{
	struct pool_set *s = pool_set_new(NULL);
	struct pool *p = mk(s, "c", RANGES("10.6.0.0/24"), 0, NULL, 0);
	struct pool *q = mk(s, "d", RANGES("10.7.0.0/24"), 0, NULL, 0);
	char id[32];
	for (int i = 0; i < 200; i++) {
		snprintf(id, sizeof(id), "user%d@example.com", i);
		acq(p, id, AF_INET, i);
	}
	struct pool_lease_info li;
	ck_assert_int_eq(pool_lookup_addr(p, sa("10.6.0.77"), &li), 0);
	ck_assert_str_eq(li.identity, "user76@example.com");
	ck_assert_int_eq(li.since, 76);
	ck_assert_int_eq(pool_lookup_identity(p, "user199@example.com", AF_INET, &li), 0);
	ck_assert_str_eq(astr(&li.addr), "10.6.0.200");
	ck_assert_int_eq(pool_lookup_identity(p, "user199@example.com", AF_INET6, &li), -ENOENT);
	ck_assert_int_eq(pool_lookup_identity(p, "user200@example.com", AF_INET, &li), -ENOENT);
	ck_assert_int_eq(pool_lookup_addr(p, sa("10.6.0.201"), &li), -ENOENT);
	ck_assert_int_eq(pool_lookup_addr(q, sa("10.6.0.1"), &li), -ENOENT);	/* other pool */
	ck_assert_int_eq(pool_lookup_addr(p, sa("2001:db8::1"), &li), -ENOENT);
	ck_assert_ptr_null(pool_find(s, "nope"));
	ck_assert_ptr_eq(pool_find(s, "d"), q);
	pool_set_free(s);
}
END_TEST

/* pool_add with one config; returns its result, diag in *d */
static int try_add(struct pool_set *s, const char *name, const char *const *ranges, size_t n,
		   const struct pool_static *st, size_t nst, struct diag *d)
{
	struct pool_config cfg = { .name = name, .ranges = ranges, .n_ranges = n, .lease_time = 60,
				   .statics = st, .n_statics = nst };
	diag_clear(d);
	return pool_add(s, &cfg, d);
}

#define ADD_FAILS(s, d, want, ...)                                                              \
	do {                                                                                      \
		ck_assert_int_eq(try_add(s, "clients", __VA_ARGS__, d), -EINVAL);                  \
		ck_assert_msg(diag_contains(d, want), "want \"%s\" in:\n%s", want, ddump(d));     \
		ck_assert_ptr_null(pool_find(s, "clients"));                                       \
	} while (0)

START_TEST(add_errors)
{
	struct pool_set *s = pool_set_new(NULL);
	struct diag d = { 0 };
	mk(s, "other", RANGES("10.8.0.0/24", "2001:db8:8::/64"), 60, NULL, 0);
	ck_assert_int_eq(try_add(s, "other", RANGES("10.9.0.0/24"), NULL, 0, &d), -EINVAL);
	ck_assert_str_eq(d.lines[0], "pool 'other': a pool with this name already exists");

	ADD_FAILS(s, &d, "pool 'clients': range \"10.8.0.128-10.8.1.5\" overlaps pool 'other' "
			 "(range \"10.8.0.0/24\")", RANGES("10.8.0.128-10.8.1.5"), NULL, 0);
	ADD_FAILS(s, &d, "pool 'clients': range \"2001:db8:8::5/128\" overlaps pool 'other'",
		  RANGES("10.9.0.0/24", "2001:db8:8::5/128"), NULL, 0);
	ADD_FAILS(s, &d, "pool 'clients': range \"10.9.0.5-10.9.0.6\" overlaps range "
			 "\"10.9.0.0/24\" of the same pool", RANGES("10.9.0.0/24", "10.9.0.5-10.9.0.6"),
		  NULL, 0);
	ADD_FAILS(s, &d, "pool 'clients': range \"10.9.0.1/24\" is neither \"FIRST-LAST\" (one "
			 "family, FIRST <= LAST) nor a prefix \"NETWORK/LENGTH\" without host bits",
		  RANGES("10.9.0.1/24"), NULL, 0);
	ADD_FAILS(s, &d, "pool 'clients': range \"10.9.0.0/33\" is neither", RANGES("10.9.0.0/33"),
		  NULL, 0);
	ADD_FAILS(s, &d, "range \"10.9.0.9-10.9.0.1\" is neither", RANGES("10.9.0.9-10.9.0.1"), NULL, 0);
	ADD_FAILS(s, &d, "range \"10.9.0.1-2001:db8::1\" is neither", RANGES("10.9.0.1-2001:db8::1"),
		  NULL, 0);
	ADD_FAILS(s, &d, "range \"bogus\" is neither", RANGES("bogus"), NULL, 0);
	ADD_FAILS(s, &d, "pool 'clients': no address ranges", NULL, 0, NULL, 0);

	const struct pool_static out[] = { { "alice", "10.10.0.1" } };
	ADD_FAILS(s, &d, "pool 'clients': static address \"10.10.0.1\" for 'alice' is outside the "
			 "pool's ranges", RANGES("10.9.0.0/24"), out, 1);
	const struct pool_static bcast[] = { { "alice", "10.9.0.255" } };
	ADD_FAILS(s, &d, "static address \"10.9.0.255\" for 'alice' is a network, broadcast",
		  RANGES("10.9.0.0/24"), bcast, 1);
	const struct pool_static twice[] = { { "alice", "10.9.0.7" }, { "bob", "10.9.0.7" } };
	ADD_FAILS(s, &d, "pool 'clients': static address \"10.9.0.7\" is given to both 'alice' and "
			 "'bob'", RANGES("10.9.0.0/24"), twice, 2);
	const struct pool_static two[] = { { "alice", "10.9.0.7" }, { "alice", "10.9.0.8" } };
	ADD_FAILS(s, &d, "pool 'clients': 'alice' has two static IPv4 addresses (\"10.9.0.7\" and "
			 "\"10.9.0.8\")", RANGES("10.9.0.0/24"), two, 2);
	const struct pool_static bad[] = { { "alice", "10.9.0.300" } };
	ADD_FAILS(s, &d, "static address \"10.9.0.300\" for 'alice' is not an IP address",
		  RANGES("10.9.0.0/24"), bad, 1);
	const struct pool_static noid[] = { { "", "10.9.0.3" } };
	ADD_FAILS(s, &d, "static address \"10.9.0.3\" has an empty identity", RANGES("10.9.0.0/24"),
		  noid, 1);

	/* every problem at once, one line each */
	ck_assert_int_eq(try_add(s, "clients", RANGES("bogus", "10.8.0.9/32", "10.9.0.1/24"), NULL, 0,
				 &d), -EINVAL);
	ck_assert_msg(d.n == 3, "%s", ddump(&d));
	ck_assert_int_eq(try_add(s, "", RANGES("10.9.0.0/24"), NULL, 0, &d), -EINVAL);

	/* a failed add leaves nothing behind */
	const struct pool_static ok[] = { { "alice", "10.9.0.7" }, { "alice", "2001:db8:9::7" } };
	ck_assert_int_eq(try_add(s, "clients", RANGES("10.9.0.0/24", "2001:db8:9::/64"), ok, 2, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	/* v4 and v6 never overlap each other */
	ck_assert_int_eq(try_add(s, "v6", RANGES("a00::/8"), NULL, 0, &d), 0);
	diag_clear(&d);
	pool_set_free(s);
}
END_TEST

START_TEST(failing_hook_changes_nothing)
{
	struct pool_set *s = pool_set_new(&TS_HOOK);
	const struct pool_static st[] = { { "boss", "10.11.0.6" } };
	struct pool *p = mk(s, "c", RANGES("10.11.0.0/29"), 50, st, 1);
	acq(p, "a", AF_INET, 0);
	acq(p, "b", AF_INET, 0);
	ck_assert_int_eq(rel(p, "b", "10.11.0.2", 5), 0);
	char *before = snapshot(s), *after;
	struct pool_stats st0, st1;
	pool_get_stats(p, &st0);

	TS.fail = -EIO;
	ck_assert_int_eq(acq_err(p, "c", AF_INET, 10), -EIO);		/* new lease */
	ck_assert_int_eq(acq_err(p, "b", AF_INET, 10), -EIO);		/* offline -> online */
	ck_assert_int_eq(acq_err(p, "boss", AF_INET, 10), -EIO);	/* static */
	ck_assert_int_eq(rel(p, "a", "10.11.0.1", 10), -EIO);
	ck_assert_uint_eq(pool_expire(s, 1000), 0);
	TS.fail = 1;				/* any non-zero refuses, reported as -errno */
	ck_assert_int_lt(acq_err(p, "c", AF_INET, 10), 0);
	after = snapshot(s);
	ck_assert_str_eq(before, after);
	free(after);
	pool_get_stats(p, &st1);
	ck_assert_mem_eq(&st0, &st1, sizeof(st0));

	/* the cursor did not move either */
	TS.fail = 0;
	ck_assert_str_eq(acq(p, "c", AF_INET, 11), "10.11.0.3");
	acq(p, "d", AF_INET, 11);
	acq(p, "e", AF_INET, 11);
	ck_assert_int_eq(acq_err(p, "f", AF_INET, 11), -ENOSPC);
	/* a refused takeover of an expired lease keeps the old owner */
	TS.fail = -EROFS;			/* the hook's own error comes back */
	ck_assert_int_eq(acq_err(p, "f", AF_INET, 100), -EROFS);
	after = snapshot(s);
	ck_assert_ptr_nonnull(strstr(after, "c|b|10.11.0.2|2|5|0"));
	free(after);
	TS.fail = 0;
	ck_assert_str_eq(acq(p, "f", AF_INET, 100), "10.11.0.2");
	free(before);
	pool_set_free(s);
}
END_TEST

START_TEST(hook_sees_every_change)
{
	struct pool_set *s = pool_set_new(&TS_HOOK);
	const struct pool_static st[] = { { "dave", "10.12.1.1" } };
	struct pool *p = mk(s, "c", RANGES("10.12.0.0/30"), 10, NULL, 0);
	struct pool *q = mk(s, "s", RANGES("10.12.1.0/30"), 10, st, 1);
	ck_assert_uint_eq(TS.nlog, 0);		/* statics come from the config, not the store */
	acq(p, "alice", AF_INET, 100);
	acq(p, "alice", AF_INET, 101);		/* already online: no change */
	rel(p, "alice", "10.12.0.1", 105);
	rel(p, "alice", "10.12.0.1", 105);	/* already offline: no change */
	acq(p, "alice", AF_INET, 106);
	rel(p, "alice", "10.12.0.1", 107);
	acq(p, "bob", AF_INET, 108);
	acq_err(p, "carol", AF_INET, 110);	/* full */
	acq(p, "carol", AF_INET, 117);		/* takes over alice's expired lease */
	rel(p, "bob", "10.12.0.2", 120);
	ck_assert_uint_eq(pool_expire(s, 129), 0);
	ck_assert_uint_eq(pool_expire(s, 130), 1);
	acq(q, "dave", AF_INET, 140);
	rel(q, "dave", "10.12.1.1", 141);
	const char *want[] = {
		"save alice 10.12.0.1 online 100",
		"save alice 10.12.0.1 offline 105",
		"save alice 10.12.0.1 online 106",
		"save alice 10.12.0.1 offline 107",
		"save bob 10.12.0.2 online 108",
		"save carol 10.12.0.1 online 117",
		"save bob 10.12.0.2 offline 120",
		"remove 10.12.0.2",
		"save dave 10.12.1.1 online 140 static",
		"save dave 10.12.1.1 offline 141 static",
	};
	size_t n = sizeof(want) / sizeof(want[0]);
	for (size_t i = 0; i < TS.nlog && i < n; i++)
		ck_assert_str_eq(TS.log[i], want[i]);
	ck_assert_uint_eq(TS.nlog, n);
	pool_set_free(s);
}
END_TEST

struct walk {
	size_t n, stop_at;
};

static int walk_cb(const struct pool_lease_info *l, void *arg)
{
	struct walk *w = arg;
	ck_assert_ptr_nonnull(l->pool);
	ck_assert_ptr_nonnull(l->identity);
	return ++w->n == w->stop_at ? 7 : 0;
}

START_TEST(foreach_visits_all)
{
	struct pool_set *s = pool_set_new(NULL);
	const struct pool_static st[] = { { "boss", "10.13.0.2" } };
	struct pool *p = mk(s, "a", RANGES("10.13.0.0/24"), 60, st, 1);
	struct pool *q = mk(s, "b", RANGES("2001:db8:13::/64"), 60, NULL, 0);
	char id[32];
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "u%d", i);
		acq(p, id, AF_INET, 0);
		acq(q, id, AF_INET6, 0);
	}
	ck_assert_int_eq(rel(p, "u3", "10.13.0.5", 1), 0);	/* u0 .1, boss .2, u1 .3 ... */
	struct walk w = { 0, 0 };
	ck_assert_int_eq(pool_foreach(s, walk_cb, &w), 0);
	ck_assert_uint_eq(w.n, 201);
	char *snap = snapshot(s);
	ck_assert_ptr_nonnull(strstr(snap, "a|boss|10.13.0.2|2|0|1\n"));
	ck_assert_ptr_nonnull(strstr(snap, "a|u3|10.13.0.5|2|1|0\n"));
	ck_assert_ptr_nonnull(strstr(snap, "b|u99|2001:db8:13::64|1|0|0\n"));
	free(snap);
	w = (struct walk){ 0, 50 };	/* the callback stops the walk */
	ck_assert_int_eq(pool_foreach(s, walk_cb, &w), 7);
	ck_assert_uint_eq(w.n, 50);
	pool_set_free(s);
}
END_TEST

static void restore_one(struct pool_set *s, const char *pool, const char *id, const char *addr,
			enum lease_state st, time_t since, time_t now, int want)
{
	struct pool_lease_info li = { .pool = pool, .identity = id, .state = st, .since = since };
	memcpy(&li.addr, sa(addr), sizeof(struct sockaddr_in6));
	ck_assert_int_eq(pool_restore(s, &li, now), want);
}

START_TEST(restore_rules)
{
	struct pool_set *s = pool_set_new(&TS_HOOK);
	const struct pool_static st[] = { { "boss", "10.14.0.9" } };
	struct pool *p = mk(s, "c", RANGES("10.14.0.0/28"), 100, st, 1);
	/* out of order on purpose: expiry must still go oldest first */
	restore_one(s, "c", "u300", "10.14.0.3", LEASE_OFFLINE, 300, 1000, 0);
	restore_one(s, "c", "u100", "10.14.0.1", LEASE_OFFLINE, 100, 1000, 0);
	restore_one(s, "c", "u200", "10.14.0.2", LEASE_OFFLINE, 200, 1000, 0);
	restore_one(s, "c", "on", "10.14.0.4", LEASE_ONLINE, 50, 1000, 0);
	restore_one(s, "c", "boss", "10.14.0.9", LEASE_ONLINE, 50, 1000, 0);	/* the static */
	ck_assert_uint_eq(TS.removes, 0);
	/* dropped and removed from the store */
	restore_one(s, "gone", "x", "10.99.0.1", LEASE_OFFLINE, 1, 1000, 0);
	restore_one(s, "c", "x", "10.15.0.1", LEASE_OFFLINE, 1, 1000, 0);	/* outside */
	restore_one(s, "c", "x", "10.14.0.0", LEASE_OFFLINE, 1, 1000, 0);	/* network */
	restore_one(s, "c", "x", "10.14.0.9", LEASE_OFFLINE, 1, 1000, 0);	/* boss's static */
	restore_one(s, "c", "u100", "10.14.0.7", LEASE_OFFLINE, 1, 1000, 0);	/* second lease */
	ck_assert_uint_eq(TS.removes, 5);
	restore_one(s, "c", "y", "10.14.0.1", LEASE_OFFLINE, 1, 1000, -EEXIST);
	ck_assert_uint_eq(TS.saves, 0);		/* restore never saves */

	struct pool_lease_info li;
	ck_assert_int_eq(pool_lookup_identity(p, "on", AF_INET, &li), 0);
	ck_assert_int_eq(li.state, LEASE_OFFLINE);
	ck_assert_int_eq(li.since, 1000);
	ck_assert_int_eq(pool_lookup_identity(p, "boss", AF_INET, &li), 0);
	ck_assert(li.is_static);
	ck_assert_int_eq(li.since, 1000);
	struct pool_stats ps;
	pool_get_stats(p, &ps);
	ck_assert_uint_eq(ps.offline, 5);
	ck_assert_uint_eq(ps.statics, 1);

	ck_assert_uint_eq(pool_expire(s, 250), 1);	/* u100 only */
	ck_assert_int_eq(state_of(p, "10.14.0.1"), LEASE_FREE);
	/* fill the pool: 14 usable, 4 held (u200, u300, on, boss) */
	char id[16];
	for (int i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "n%d", i);
		acq(p, id, AF_INET, 260);
	}
	ck_assert_int_eq(acq_err(p, "late", AF_INET, 260), -ENOSPC);
	ck_assert_str_eq(acq(p, "late", AF_INET, 300), "10.14.0.2");	/* u200, the oldest */
	ck_assert_str_eq(acq(p, "later", AF_INET, 400), "10.14.0.3");
	ck_assert_int_eq(acq_err(p, "last", AF_INET, 400), -ENOSPC);
	ck_assert_str_eq(acq(p, "last", AF_INET, 1100), "10.14.0.4");
	pool_set_free(s);
}
END_TEST

/* ---- randomised run against a reference model -------------------------- */

#define NID 48
static uint64_t rng = 0x9e3779b97f4a7c15;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

struct ml {
	bool has, online, is_static;
	char addr[INET6_ADDRSTRLEN];
	time_t since;
};

static struct ml M[NID][2];
static const char *const SR[] = { "10.20.0.0/28", "10.20.1.5-10.20.1.9", "2001:db8:20::/125",
				   "2001:db8:20:1::ffff-2001:db8:20:1::1:2" };
static const struct pool_static SST[] = { { "id0", "10.20.0.7" }, { "id1", "2001:db8:20::3" } };
#define LT 40

static struct ml *holder(int f, const char *addr)
{
	for (int i = 0; i < NID; i++)
		if (M[i][f].has && !strcmp(M[i][f].addr, addr))
			return &M[i][f];
	return NULL;
}

static struct pool_set *p_set;

static void model_check(struct pool *p)
{
	uint64_t online = 0, offline = 0, n = 0;
	char id[16];
	for (int i = 0; i < NID; i++) {
		snprintf(id, sizeof(id), "id%d", i);
		for (int f = 0; f < 2; f++) {
			struct pool_lease_info li;
			int r = pool_lookup_identity(p, id, f ? AF_INET6 : AF_INET, &li);
			const struct ml *m = &M[i][f];
			ck_assert_int_eq(r, m->has ? 0 : -ENOENT);
			if (!m->has)
				continue;
			n++;
			ck_assert_str_eq(astr(&li.addr), m->addr);
			ck_assert_int_eq(li.state, m->online ? LEASE_ONLINE : LEASE_OFFLINE);
			ck_assert_int_eq(li.since, m->since);
			ck_assert_int_eq(li.is_static, m->is_static);
			ck_assert_ptr_eq(holder(f, m->addr), m);	/* one holder per address */
			ck_assert_int_eq(pool_lookup_addr(p, sa(m->addr), &li), 0);
			ck_assert_str_eq(li.identity, id);
			*(m->online ? &online : &offline) += 1;
			if (!m->is_static) {
				struct row *row = ts_find("s", m->addr);
				ck_assert_ptr_nonnull(row);
				ck_assert_str_eq(row->id, id);
			}
		}
	}
	struct pool_stats st;
	pool_get_stats(p, &st);
	ck_assert_uint_eq(st.online, online);
	ck_assert_uint_eq(st.offline, offline);
	ck_assert_uint_eq(st.statics, 2);
	struct walk w = { 0, 0 };
	ck_assert_int_eq(pool_foreach(p_set, walk_cb, &w), 0);
	ck_assert_uint_eq(w.n, n);
	ck_assert_uint_le(TS.n, n);	/* no row left behind for a forgotten lease */
}

START_TEST(stress_against_model)
{
	char usable[2][32][INET6_ADDRSTRLEN];
	size_t nu[2] = { 0, 0 };
	for (int i = 1; i <= 14; i++)
		snprintf(usable[0][nu[0]++], INET6_ADDRSTRLEN, "10.20.0.%d", i);
	for (int i = 5; i <= 9; i++)
		snprintf(usable[0][nu[0]++], INET6_ADDRSTRLEN, "10.20.1.%d", i);
	for (int i = 1; i <= 7; i++)
		snprintf(usable[1][nu[1]++], INET6_ADDRSTRLEN, "2001:db8:20::%d", i);
	const char *tail[] = { "2001:db8:20:1::ffff", "2001:db8:20:1::1:0", "2001:db8:20:1::1:1",
			       "2001:db8:20:1::1:2" };
	for (int i = 0; i < 4; i++)
		snprintf(usable[1][nu[1]++], INET6_ADDRSTRLEN, "%s", tail[i]);

	p_set = pool_set_new(&TS_HOOK);
	struct pool *p = mk(p_set, "s", SR, 4, LT, SST, 2);
	struct pool_stats st;
	pool_get_stats(p, &st);
	ck_assert_uint_eq(st.size4, nu[0]);
	ck_assert_uint_eq(st.size6, nu[1]);
	memset(M, 0, sizeof(M));
	M[0][0] = (struct ml){ .has = true, .is_static = true, .addr = "10.20.0.7" };
	M[1][1] = (struct ml){ .has = true, .is_static = true, .addr = "2001:db8:20::3" };

	time_t now = 1000;
	char id[16];
	size_t stolen = 0, exhausted = 0, expired_n = 0, refused = 0;
	for (int op = 0; op < 100000; op++) {
		now += rnd(4);
		bool fail = rnd(100) == 0;
		TS.fail = fail ? -EIO : 0;
		refused += fail;
		int i = (int)rnd(NID), f = (int)rnd(2), family = f ? AF_INET6 : AF_INET;
		snprintf(id, sizeof(id), "id%d", i);
		struct ml *m = &M[i][f];
		unsigned what = rnd(100);
		if (what < 50) {
			struct sockaddr_storage ss;
			int r = pool_acquire(p, id, family, now, &ss);
			if (m->has) {
				ck_assert_int_eq(r, m->online || !fail ? 0 : -EIO);
				if (!r)
					ck_assert_str_eq(astr(&ss), m->addr);
				if (!r && !m->online) {
					m->online = true;
					m->since = now;
				}
				continue;
			}
			uint64_t held = 0;
			const struct ml *oldest = NULL;
			for (int j = 0; j < NID; j++) {
				const struct ml *o = &M[j][f];
				held += o->has;
				if (o->has && !o->online && !o->is_static && now - o->since >= LT &&
				    (!oldest || o->since < oldest->since))
					oldest = o;
			}
			if (held >= nu[f] && !oldest) {
				ck_assert_int_eq(r, -ENOSPC);
				exhausted++;
				continue;
			}
			ck_assert_int_eq(r, fail ? -EIO : 0);
			if (r)
				continue;
			const char *a = astr(&ss);
			bool ok = false;
			for (size_t k = 0; k < nu[f]; k++)
				ok = ok || !strcmp(usable[f][k], a);
			ck_assert_msg(ok, "%s is not a usable address", a);
			struct ml *h = holder(f, a);
			if (held < nu[f]) {
				ck_assert_msg(!h, "%s given twice", a);
			} else {
				/* took over the oldest expired offline lease */
				ck_assert_ptr_nonnull(h);
				ck_assert(!h->online && !h->is_static && now - h->since >= LT);
				ck_assert_int_eq(h->since, oldest->since);
				h->has = false;
				stolen++;
			}
			*m = (struct ml){ .has = true, .online = true, .since = now };
			snprintf(m->addr, sizeof(m->addr), "%s", a);
		} else if (what < 85) {
			const char *a = m->has && rnd(8) ? m->addr : usable[f][rnd((unsigned)nu[f])];
			int r = rel(p, id, a, now);
			if (!m->has || strcmp(a, m->addr)) {
				ck_assert_int_eq(r, -ENOENT);
			} else if (!m->online) {
				ck_assert_int_eq(r, 0);
			} else {
				ck_assert_int_eq(r, fail ? -EIO : 0);
				if (!r) {
					m->online = false;
					m->since = now;
				}
			}
		} else if (what < 97) {
			size_t want = 0;
			for (int j = 0; j < NID; j++)
				for (int g = 0; g < 2; g++) {
					struct ml *o = &M[j][g];
					if (o->has && !o->online && !o->is_static && now - o->since >= LT) {
						want++;
						o->has = fail;	/* a refused removal keeps it */
					}
				}
			ck_assert_uint_eq(pool_expire(p_set, now), fail ? 0 : want);
			expired_n += fail ? 0 : want;
		}
		if (op % 10000 == 9999) {
			/* restart from the store, as after a crash */
			TS.fail = 0;
			pool_set_free(p_set);
			p_set = pool_set_new(&TS_HOOK);
			p = mk(p_set, "s", SR, 4, LT, SST, 2);
			for (int j = 0; j < NID; j++)
				for (int g = 0; g < 2; g++) {
					struct ml *o = &M[j][g];
					struct row *row = o->has ? ts_find("s", o->addr) : NULL;
					if (o->online || (row && row->state == LEASE_ONLINE))
						o->since = now;
					o->online = false;
				}
			ts_restore(p_set, now);
		}
		if (op % 500 == 0 || op % 10000 == 9999)
			model_check(p);
	}
	model_check(p);
	/* the run must have exercised every path */
	ck_assert_uint_gt(stolen, 100);
	ck_assert_uint_gt(exhausted, 100);
	ck_assert_uint_gt(expired_n, 100);
	ck_assert_uint_gt(refused, 100);
	pool_set_free(p_set);
}
END_TEST

static Suite *pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, alloc_in_order);
	tcase_add_test(tc, sticky_release_and_restart);
	tcase_add_test(tc, state_transitions);
	tcase_add_test(tc, exhaustion_and_takeover);
	tcase_add_test(tc, static_leases);
	tcase_add_test(tc, ipv6_pools);
	tcase_add_test(tc, mixed_families);
	tcase_add_test(tc, lookups);
	tcase_add_test(tc, add_errors);
	tcase_add_test(tc, failing_hook_changes_nothing);
	tcase_add_test(tc, hook_sees_every_change);
	tcase_add_test(tc, foreach_visits_all);
	tcase_add_test(tc, restore_rules);
	tcase_add_test(tc, stress_against_model);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* refused expiries are logged as warnings by design; keep the output short */
	log_set_default_level(KANMON_LOG_ERR);
	SRunner *sr = srunner_create(pool_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
