/* SPDX-License-Identifier: MIT */
/*
 * test_store.c - the SQLite state store (core/store_sqlite.c) against the
 * promises of store.h: round trips, restarts, schema migrations, refusal of
 * stores it cannot read (and leaving their bytes alone), file modes,
 * concurrent writers in separate processes and durability of every
 * acknowledged change across kill -9.
 *
 * The on-disk fixtures (a v1 database written with plain SQL) are the point:
 * they pin the file format, so a change to migration 1 fails here.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "testutil.h"

#define APP_ID 0x4b4e4d4e	/* "KNMN", see store_sqlite.c */

/* ---- helpers -------------------------------------------------------------- */

static struct sockaddr_storage ip(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else
		ck_abort_msg("bad address in test: %s", text);
	return ss;
}

static const char *ip_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
						   : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	ck_assert_ptr_nonnull(inet_ntop(ss->ss_family, a, buf, (socklen_t)len));
	return buf;
}

static struct pool_lease_info lease(const char *pool, const char *identity, const char *addr,
				    enum lease_state state, time_t since, bool is_static)
{
	return (struct pool_lease_info){ .pool = pool, .identity = identity, .addr = ip(addr),
					 .state = state, .since = since, .is_static = is_static };
}

/* A copy of everything foreach returned (its strings die after the callback). */
struct saved {
	char *pool, *identity, addr[INET6_ADDRSTRLEN];
	int family;
	enum lease_state state;
	time_t since;
	bool is_static;
};
struct lset {
	struct saved *v;
	size_t n;
};

static int collect_cb(const struct pool_lease_info *l, void *arg)
{
	struct lset *set = arg;
	set->v = realloc(set->v, (set->n + 1) * sizeof(*set->v));
	ck_assert_ptr_nonnull(set->v);
	struct saved *sv = &set->v[set->n++];
	sv->pool = strdup(l->pool);
	sv->identity = strdup(l->identity);
	ck_assert(sv->pool && sv->identity);
	ip_str(&l->addr, sv->addr, sizeof(sv->addr));
	sv->family = l->addr.ss_family;
	sv->state = l->state;
	sv->since = l->since;
	sv->is_static = l->is_static;
	/* port 0 and nothing but the address: pools compare whole sockaddrs */
	if (l->addr.ss_family == AF_INET)
		ck_assert_int_eq(((const struct sockaddr_in *)&l->addr)->sin_port, 0);
	else
		ck_assert_int_eq(((const struct sockaddr_in6 *)&l->addr)->sin6_scope_id, 0);
	return 0;
}

static void lset_free(struct lset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->v[i].pool);
		free(set->v[i].identity);
	}
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

static struct lset collect(struct store *s)
{
	struct lset set = { 0 };
	ck_assert_int_eq(store_lease_foreach(s, collect_cb, &set), 0);
	return set;
}

static void assert_lease(const struct lset *set, const struct pool_lease_info *l)
{
	char a[INET6_ADDRSTRLEN];
	ip_str(&l->addr, a, sizeof(a));
	const struct saved *sv = NULL;
	for (size_t i = 0; i < set->n && !sv; i++)
		if (!strcmp(set->v[i].pool, l->pool) && !strcmp(set->v[i].addr, a))
			sv = &set->v[i];
	ck_assert_msg(sv, "lease %s/%s missing", l->pool, a);
	ck_assert_str_eq(sv->identity, l->identity);
	ck_assert_int_eq(sv->family, l->addr.ss_family);
	ck_assert_int_eq(sv->state, l->state);
	ck_assert_int_eq(sv->since, l->since);
	ck_assert_int_eq(sv->is_static, l->is_static);
}

/* The store holds exactly the n leases given (as pointers) and nothing else. */
static void assert_store(struct store *s, size_t n, ...)
{
	struct lset set = collect(s);
	ck_assert_uint_eq(set.n, n);
	va_list ap;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_lease(&set, va_arg(ap, const struct pool_lease_info *));
	va_end(ap);
	lset_free(&set);
}

/* Saves every lease of a NULL-terminated list of pointers. */
static void save_ok(struct store *s, ...)
{
	va_list ap;
	va_start(ap, s);
	for (const struct pool_lease_info *l; (l = va_arg(ap, const struct pool_lease_info *));)
		ck_assert_int_eq(store_lease_save(s, l), 0);
	va_end(ap);
}

static struct store *open_ok(const char *where, unsigned flags)
{
	struct diag d = { 0 };
	struct store *s = NULL;
	int err = store_open_sqlite(where, flags, &s, &d);
	ck_assert_msg(err == 0 && s, "store_open_sqlite(%s): %d: %s", where, err, tu_diag_dump(&d));
	ck_assert_uint_eq(d.n, 0);
	diag_clear(&d);
	return s;
}

/* Expects a refusal whose diag line contains every NULL-terminated needle; returns the error. */
static int open_refused(const char *where, ...)
{
	struct diag d = { 0 };
	struct store *s = NULL;
	int err = store_open_sqlite(where, 0, &s, &d);
	ck_assert_msg(err < 0, "store in %s was opened, expected a refusal", where);
	ck_assert_ptr_null(s);
	ck_assert_uint_ge(d.n, 1);
	va_list ap;
	va_start(ap, where);
	for (const char *needle; (needle = va_arg(ap, const char *));)
		ck_assert_msg(diag_contains(&d, needle), "diag lacks \"%s\": %s", needle, tu_diag_dump(&d));
	va_end(ap);
	diag_clear(&d);
	return err;
}

/* printf into one of 16 rotating buffers: paths that live as long as a test needs them */
static const char *pf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *pf(const char *fmt, ...)
{
	static char buf[16][512];
	static unsigned next;
	char *b = buf[next++ % 16];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	ck_assert(n > 0 && (size_t)n < sizeof(buf[0]));
	return b;
}

/* Every test gets a fresh directory `dir`; `db` is dir/kanmon.db. */
static char *dir, *db;

static void setup(void)
{
	dir = tu_tmpdir();
	ck_assert_int_ge(asprintf(&db, "%s/kanmon.db", dir), 0);
}

static void teardown(void)
{
	tu_rmrf(dir);
	free(dir);
	free(db);
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *h = NULL;
	ck_assert_int_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
			 SQLITE_OK);
	char *msg = NULL;
	int rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
}

static long long raw_int(const char *path, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;
	ck_assert_int_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	long long v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
	return v;
}

/* The exact bytes, size, inode and mtime of a file, to prove a refusal left it alone. */
struct snap {
	unsigned char *data;
	size_t len;
	struct stat st;
};

static struct snap snap_take(const char *path)
{
	struct snap sn = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fstat(fd, &sn.st), 0);
	sn.len = (size_t)sn.st.st_size;
	sn.data = malloc(sn.len + 1);
	ck_assert_ptr_nonnull(sn.data);
	size_t off = 0;
	while (off < sn.len) {
		ssize_t r = read(fd, sn.data + off, sn.len - off);
		ck_assert_int_gt(r, 0);
		off += (size_t)r;
	}
	close(fd);
	return sn;
}

/* Compares, then frees `before`. */
static void snap_assert_same(struct snap *before, const char *path)
{
	struct snap now = snap_take(path);
	ck_assert_uint_eq(now.len, before->len);
	ck_assert_msg(!memcmp(now.data, before->data, now.len), "%s: contents changed", path);
	ck_assert_uint_eq(now.st.st_ino, before->st.st_ino);
	ck_assert_int_eq(now.st.st_mtim.tv_sec, before->st.st_mtim.tv_sec);
	ck_assert_int_eq(now.st.st_mtim.tv_nsec, before->st.st_mtim.tv_nsec);
	ck_assert_uint_eq(now.st.st_mode, before->st.st_mode);
	free(now.data);
	free(before->data);
	before->data = NULL;
}

static void write_bytes(const char *path, off_t off, const void *buf, size_t len, int oflags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | oflags, 0600);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(pwrite(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

static void random_bytes(unsigned char *buf, size_t len, unsigned *seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)rand_r(seed);
}

static unsigned test_seed(void)
{
	const char *e = getenv("KANMON_TEST_SEED");
	return e ? (unsigned)strtoul(e, NULL, 0) : (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
}

/* ---- round trips ---------------------------------------------------------- */

static int stop_cb(const struct pool_lease_info *l, void *arg)
{
	(void)l;
	(*(int *)arg)++;
	return 42;
}

START_TEST(test_roundtrip)
{
	struct store *s = open_ok(dir, 0);
	ck_assert_int_eq(s->ops->schema_version(s), STORE_SCHEMA_VERSION);
	assert_store(s, 0);

	struct pool_lease_info a = lease("corp", "alice@example.com", "10.0.0.5", LEASE_ONLINE, 1000, false);
	struct pool_lease_info b = lease("corp", "CN=bob,O=Example", "2001:db8::7", LEASE_OFFLINE, 2000, true);
	/* same address, other pool: a different lease (the key is pool + address) */
	struct pool_lease_info c = lease("guest", "carol", "10.0.0.5", LEASE_ONLINE, 3000, false);
	struct pool_lease_info e = lease("corp", "dave", "::ffff:10.0.0.5", LEASE_FREE, -5, false);
	save_ok(s, &a, &b, &c, &e, NULL);
	assert_store(s, 4, &a, &b, &c, &e);

	/* upsert: every column but the key changes */
	a.identity = "alice2";
	a.state = LEASE_OFFLINE;
	a.since = 1500;
	a.is_static = true;
	ck_assert_int_eq(store_lease_save(s, &a), 0);
	b.state = LEASE_ONLINE;
	b.since = (time_t)1 << 40;	/* times past 2038 */
	b.is_static = false;
	ck_assert_int_eq(store_lease_save(s, &b), 0);
	assert_store(s, 4, &a, &b, &c, &e);

	ck_assert_int_eq(store_lease_delete(s, "corp", (struct sockaddr *)&b.addr), 0);
	ck_assert_int_eq(store_lease_delete(s, "corp", (struct sockaddr *)&b.addr), -ENOENT);
	ck_assert_int_eq(store_lease_delete(s, "nope", (struct sockaddr *)&a.addr), -ENOENT);
	assert_store(s, 3, &a, &c, &e);

	/* refused input changes nothing */
	struct pool_lease_info bad[4] = { a, a, a, a };
	bad[0].addr.ss_family = AF_UNIX;
	bad[1].pool = "";
	bad[2].identity = NULL;
	bad[3].state = (enum lease_state)7;
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(store_lease_save(s, &bad[i]), i ? -EINVAL : -EAFNOSUPPORT);
	ck_assert_int_eq(store_lease_delete(s, NULL, (struct sockaddr *)&a.addr), -EINVAL);
	assert_store(s, 3, &a, &c, &e);

	/* a non-zero callback return stops the walk and is returned */
	int calls = 0;
	ck_assert_int_eq(store_lease_foreach(s, stop_cb, &calls), 42);
	ck_assert_int_eq(calls, 1);
	store_close(s);
}
END_TEST

static struct pool_lease_info many_lease(int i, char *ident, size_t len)
{
	static const char *const pools[] = { "a", "bb", "c" };
	snprintf(ident, len, "id-%d", i);
	const char *addr = i % 2 ? pf("fd00:%x::%x", i % 3, i) : pf("10.%d.%d.%d", i % 3, (i >> 8) & 255, i & 255);
	return lease(pools[i % 3], ident, addr, i % 5 ? LEASE_ONLINE : LEASE_OFFLINE, i, i % 11 == 0);
}

#define MANY 1000

struct walk {
	struct store *s;
	unsigned char seen[MANY];
	int deleted;
};

/* Deletes the lease it is shown, as pool_restore does for stale leases. */
static int delete_cb(const struct pool_lease_info *l, void *arg)
{
	struct walk *w = arg;
	int i = -1;
	ck_assert_int_eq(sscanf(l->identity, "id-%d", &i), 1);
	ck_assert(i >= 0 && i < MANY);
	ck_assert_msg(!w->seen[i], "lease %d shown twice", i);
	w->seen[i] = 1;
	ck_assert_int_eq(store_lease_delete(w->s, l->pool, (const struct sockaddr *)&l->addr), 0);
	w->deleted++;
	return 0;
}

/* More leases than one foreach batch, and a callback that changes the store. */
START_TEST(test_foreach_batches)
{
	struct store *s = open_ok(dir, 0);
	char ident[32];
	for (int i = 0; i < MANY; i++) {
		struct pool_lease_info l = many_lease(i, ident, sizeof(ident));
		ck_assert_int_eq(store_lease_save(s, &l), 0);
	}
	struct lset set = collect(s);
	ck_assert_uint_eq(set.n, MANY);
	for (int i = 0; i < MANY; i++) {
		struct pool_lease_info l = many_lease(i, ident, sizeof(ident));
		assert_lease(&set, &l);
	}
	lset_free(&set);
	struct walk w = { .s = s };
	ck_assert_int_eq(store_lease_foreach(s, delete_cb, &w), 0);
	ck_assert_int_eq(w.deleted, MANY);
	assert_store(s, 0);
	store_close(s);
}
END_TEST

/* The pool's persist hook writes through; removing what is already gone is fine. */
START_TEST(test_pool_persist)
{
	struct store *s = open_ok(dir, 0);
	struct pool_persist p = store_pool_persist(s);
	ck_assert_ptr_eq(p.arg, s);
	struct pool_lease_info a = lease("corp", "alice", "192.0.2.1", LEASE_ONLINE, 7, false);
	ck_assert_int_eq(p.save(p.arg, &a), 0);
	assert_store(s, 1, &a);
	ck_assert_int_eq(p.remove(p.arg, "corp", (struct sockaddr *)&a.addr), 0);
	ck_assert_int_eq(p.remove(p.arg, "corp", (struct sockaddr *)&a.addr), 0);
	assert_store(s, 0);
	a.pool = NULL;
	ck_assert_int_eq(p.save(p.arg, &a), -EINVAL);
	store_close(s);
}
END_TEST

/* A restart is close + open: everything comes back, in either sync mode. */
START_TEST(test_reopen)
{
	struct pool_lease_info a = lease("corp", "alice", "10.1.2.3", LEASE_ONLINE, 100, false);
	struct pool_lease_info b = lease("corp", "bob", "fd00::1:2", LEASE_OFFLINE, 200, true);
	struct pool_lease_info c = lease("v6only", "carol", "2001:db8:ffff::ffff", LEASE_OFFLINE, 300, false);
	struct store *s = open_ok(dir, 0);
	save_ok(s, &a, &b, &c, NULL);
	ck_assert_int_eq(store_lease_delete(s, "v6only", (struct sockaddr *)&c.addr), 0);
	store_close(s);

	s = open_ok(dir, STORE_SYNC_FULL);
	assert_store(s, 2, &a, &b);
	a.state = LEASE_OFFLINE;
	a.since = 150;
	ck_assert_int_eq(store_lease_save(s, &a), 0);
	store_close(s);

	s = open_ok(dir, 0);
	assert_store(s, 2, &a, &b);
	ck_assert_int_eq(s->ops->schema_version(s), STORE_SCHEMA_VERSION);
	store_close(s);
}
END_TEST

/* ---- schema versions -------------------------------------------------------- */

static void assert_migrated(void)
{
	struct store *s = open_ok(dir, 0);
	ck_assert_int_eq(s->ops->schema_version(s), STORE_SCHEMA_VERSION);
	struct pool_lease_info a = lease("corp", "alice", "10.9.9.9", LEASE_ONLINE, 1, false);
	ck_assert_int_eq(store_lease_save(s, &a), 0);
	store_close(s);
	ck_assert_int_eq(raw_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(raw_int(db, "PRAGMA application_id"), APP_ID);
	ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM meta WHERE key = 'schema_written_by'"
				     " AND value = 'kanmon " KANMON_VERSION "'"), 1);
	ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM leases WHERE pool = 'corp' AND family = 4"
				     " AND address = x'0a090909' AND identity = 'alice'"), 1);
}

/* v0, the pre-versioned store: an empty (0-byte) file, as a crash right after creation leaves it. */
START_TEST(test_migrate_v0_empty_file)
{
	write_bytes(db, 0, "", 0, O_CREAT | O_EXCL);
	assert_migrated();
}
END_TEST

/* v0 written by SQLite itself: pages exist, no tables, user_version 0. */
START_TEST(test_migrate_v0_database)
{
	raw_exec(db, "PRAGMA journal_mode = DELETE; CREATE TABLE x (a); DROP TABLE x;");
	struct stat st;
	ck_assert_int_eq(stat(db, &st), 0);
	ck_assert_int_gt(st.st_size, 0);
	ck_assert_int_eq(raw_int(db, "PRAGMA user_version"), 0);
	assert_migrated();
}
END_TEST

/* The v1 format as released, written with plain SQL: opens, migrated to the current version with its leases. */
static const char v1_fixture[] =
	"CREATE TABLE leases ("
	" pool TEXT NOT NULL CHECK (length(pool) > 0),"
	" family INTEGER NOT NULL,"
	" address BLOB NOT NULL,"
	" identity TEXT NOT NULL CHECK (length(identity) > 0),"
	" state INTEGER NOT NULL CHECK (state IN (0, 1, 2)),"
	" since INTEGER NOT NULL,"
	" is_static INTEGER NOT NULL DEFAULT 0 CHECK (is_static IN (0, 1)),"
	" CHECK (typeof(address) = 'blob' AND ((family = 4 AND length(address) = 4) OR"
	"        (family = 6 AND length(address) = 16))),"
	" PRIMARY KEY (pool, address)"
	") WITHOUT ROWID;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"INSERT INTO meta VALUES ('schema_written_by', 'fixture');"
	"INSERT INTO leases VALUES ('corp', 4, x'c0000201', 'alice', 1, 1700000000, 0);"
	"INSERT INTO leases VALUES ('corp', 6, x'20010db8000000000000000000000042', 'bob', 2, 1700000001, 1);"
	"PRAGMA application_id = 1263422798;"
	"PRAGMA user_version = 1;";

START_TEST(test_open_v1)
{
	raw_exec(db, v1_fixture);
	struct store *s = open_ok(dir, 0);
	ck_assert_int_eq(s->ops->schema_version(s), STORE_SCHEMA_VERSION);
	struct pool_lease_info a = lease("corp", "alice", "192.0.2.1", LEASE_ONLINE, 1700000000, false);
	struct pool_lease_info b = lease("corp", "bob", "2001:db8::42", LEASE_OFFLINE, 1700000001, true);
	assert_store(s, 2, &a, &b);
	store_close(s);
	/* v1 -> v2 added the CA tables and nothing else changed */
	ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('ca', 'certs', 'revocations')"), 3);
	ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM meta WHERE value = 'kanmon " KANMON_VERSION "'"), 1);
}
END_TEST

START_TEST(test_newer_schema_refused)
{
	struct store *s = open_ok(dir, 0);
	struct pool_lease_info a = lease("corp", "alice", "10.0.0.1", LEASE_ONLINE, 1, false);
	ck_assert_int_eq(store_lease_save(s, &a), 0);
	store_close(s);
	raw_exec(db, "PRAGMA user_version = 99;");
	struct snap before = snap_take(db);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(open_refused(dir, db, "was written by a newer kanmon", "schema version 99", NULL),
				 -EPROTONOSUPPORT);
	snap_assert_same(&before, db);
	ck_assert_int_eq(raw_int(db, "PRAGMA user_version"), 99);
}
END_TEST

static void copy_file(const char *from, const char *to)
{
	struct snap sn = snap_take(from);
	write_bytes(to, 0, sn.data, sn.len, O_CREAT | O_TRUNC);
	free(sn.data);
}

/*
 * A newer kanmon crashed with committed changes still in its WAL. Reading
 * them is fine, but the refused open must not checkpoint them into the
 * database file (SQLite does that on close unless told not to).
 */
START_TEST(test_newer_schema_wal_untouched)
{
	const char *live = pf("%s/live", dir), *crashed = pf("%s/crashed", dir);
	const char *crashed_db = pf("%s/kanmon.db", crashed), *crashed_wal = pf("%s/kanmon.db-wal", crashed);
	store_close(open_ok(live, 0));
	sqlite3 *h = NULL;
	ck_assert_int_eq(sqlite3_open_v2(pf("%s/kanmon.db", live), &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, "PRAGMA wal_autocheckpoint = 0; PRAGMA user_version = 3;"
				     "INSERT INTO leases VALUES ('corp', 4, x'0a000001', 'a', 1, 1, 0);",
				      NULL, NULL, NULL), SQLITE_OK);
	/* a copy while the writer is alive is what a crash leaves behind */
	ck_assert_int_eq(mkdir(crashed, 0700), 0);
	copy_file(pf("%s/kanmon.db", live), crashed_db);
	copy_file(pf("%s/kanmon.db-wal", live), crashed_wal);
	ck_assert_int_eq(sqlite3_close(h), SQLITE_OK);
	struct snap before = snap_take(crashed_db), wal_before = snap_take(crashed_wal);
	ck_assert_uint_gt(wal_before.len, 0);
	ck_assert_int_eq(open_refused(crashed, "was written by a newer kanmon", "schema version 3", NULL),
			 -EPROTONOSUPPORT);
	snap_assert_same(&before, crashed_db);
	snap_assert_same(&wal_before, crashed_wal);
}
END_TEST

/* Never add kanmon tables to another program's database. */
START_TEST(test_foreign_database_refused)
{
	raw_exec(db, "CREATE TABLE customers (name TEXT); INSERT INTO customers VALUES ('x');");
	struct snap before = snap_take(db);
	ck_assert_int_eq(open_refused(dir, db, "another program", NULL), -EUCLEAN);
	snap_assert_same(&before, db);
	ck_assert_int_eq(unlink(db), 0);

	raw_exec(db, "PRAGMA application_id = 1234; CREATE TABLE t (a);");
	before = snap_take(db);
	ck_assert_int_eq(open_refused(dir, db, "another program", NULL), -EUCLEAN);
	snap_assert_same(&before, db);
}
END_TEST

/* ---- stores it cannot read ---------------------------------------------------- */

/* Only the database file may be in the directory after a refusal (no journal, no WAL). */
static void assert_only_db(void)
{
	DIR *dh = opendir(dir);
	ck_assert_ptr_nonnull(dh);
	for (struct dirent *e; (e = readdir(dh));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			ck_assert_msg(!strcmp(e->d_name, "kanmon.db"), "unexpected file %s", e->d_name);
	closedir(dh);
}

static void assert_corrupt_refused(void)
{
	struct snap before = snap_take(db);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(open_refused(dir, db, "is not a SQLite database or is corrupt", "move it aside",
					      NULL), -EUCLEAN);
	snap_assert_same(&before, db);
}

START_TEST(test_garbage_refused)
{
	unsigned seed = test_seed();
	static unsigned char junk[65536];
	random_bytes(junk, sizeof(junk), &seed);
	write_bytes(db, 0, junk, sizeof(junk), O_CREAT | O_EXCL);
	assert_corrupt_refused();
	ck_assert_int_eq(open_refused(dir, "(file is not a database)", NULL), -EUCLEAN);
	assert_only_db();
	ck_assert_int_eq(unlink(db), 0);

	/* short text: shorter than a database header */
	write_bytes(db, 0, "hello\n", 6, O_CREAT | O_EXCL);
	assert_corrupt_refused();
	assert_only_db();
}
END_TEST

/* A real store to damage: 3000 leases, about 40 pages. */
static void make_big_store(void)
{
	struct store *s = open_ok(dir, 0);
	char ident[32];
	for (int i = 0; i < 3000; i++) {
		struct pool_lease_info l = many_lease(i, ident, sizeof(ident));
		ck_assert_int_eq(store_lease_save(s, &l), 0);
	}
	store_close(s);
	/* the last close checkpointed: every lease is in the main file now */
	assert_only_db();
}

/* The first half of every seventh page overwritten with noise. */
START_TEST(test_damaged_pages_refused)
{
	unsigned seed = test_seed();
	make_big_store();
	long long page = raw_int(db, "PRAGMA page_size"), pages = raw_int(db, "PRAGMA page_count");
	ck_assert_int_gt(pages, 20);
	unsigned char *junk = malloc((size_t)page / 2);
	ck_assert_ptr_nonnull(junk);
	for (long long p = 2; p < pages; p += 7) {
		random_bytes(junk, (size_t)page / 2, &seed);
		write_bytes(db, (off_t)((p - 1) * page), junk, (size_t)page / 2, 0);
	}
	free(junk);
	assert_corrupt_refused();

	/* the advice in the message works: moved aside, a new empty store starts */
	ck_assert_int_eq(rename(db, pf("%s/kanmon.db.broken", dir)), 0);
	struct store *s = open_ok(dir, 0);
	assert_store(s, 0);
	store_close(s);
}
END_TEST

START_TEST(test_truncated_refused)
{
	make_big_store();
	struct stat st;
	ck_assert_int_eq(stat(db, &st), 0);
	ck_assert_int_eq(truncate(db, st.st_size / 2), 0);
	assert_corrupt_refused();
}
END_TEST

START_TEST(test_unreadable_paths)
{
	/* the state directory is a regular file */
	char *file = tu_write_file(dir, "plain", "x\n");
	ck_assert_int_eq(open_refused(file, pf("%s/kanmon.db", file), "is not a directory", NULL), -ENOTDIR);
	/* ... or below one */
	const char *below = pf("%s/state", file);
	ck_assert_int_eq(open_refused(below, below, NULL), -ENOTDIR);
	free(file);
	/* the store is a directory */
	const char *sd = pf("%s/sd", dir), *sdb = pf("%s/sd/kanmon.db", dir);
	ck_assert_int_eq(mkdir(sd, 0700), 0);
	ck_assert_int_eq(mkdir(sdb, 0700), 0);
	ck_assert_int_eq(open_refused(sd, sdb, "not a regular file", NULL), -EISDIR);
	/* an orphaned WAL (database removed without it): refused, nothing created */
	const char *od = pf("%s/od", dir), *odb = pf("%s/od/kanmon.db", dir), *owal = pf("%s-wal", odb);
	ck_assert_int_eq(mkdir(od, 0700), 0);
	write_bytes(owal, 0, "wal", 3, O_CREAT | O_EXCL);
	ck_assert_int_eq(open_refused(od, odb, owal, "move the journal aside", NULL), -EEXIST);
	ck_assert_int_eq(access(odb, F_OK), -1);
	/* a dangling symlink: refused, and nothing created at its target */
	const char *ld = pf("%s/ld", dir), *ldb = pf("%s/ld/kanmon.db", dir), *target = pf("%s/target.db", dir);
	ck_assert_int_eq(mkdir(ld, 0700), 0);
	ck_assert_int_eq(symlink(target, ldb), 0);
	ck_assert_int_eq(open_refused(ld, ldb, NULL), -ENOENT);
	ck_assert_int_eq(access(target, F_OK), -1);
}
END_TEST

/* ---- files ---------------------------------------------------------------------- */

static void assert_mode(const char *path, mode_t want)
{
	struct stat st;
	ck_assert_msg(stat(path, &st) == 0, "%s: %s", path, strerror(errno));
	ck_assert_msg((st.st_mode & 07777) == want, "%s: mode %04o, want %04o", path,
		      (unsigned)(st.st_mode & 07777), (unsigned)want);
}

START_TEST(test_file_modes)
{
	/* umask 0: the modes must come from the code, not from a friendly umask */
	mode_t old = umask(0);
	const char *state = pf("%s/state", dir), *sdb = pf("%s/kanmon.db", state);
	const char *wal = pf("%s-wal", sdb), *shm = pf("%s-shm", sdb);
	struct store *s = open_ok(state, 0);
	struct pool_lease_info a = lease("corp", "alice", "10.0.0.1", LEASE_ONLINE, 1, false);
	ck_assert_int_eq(store_lease_save(s, &a), 0);
	assert_mode(state, 0700);
	assert_mode(sdb, 0600);
	assert_mode(wal, 0600);
	assert_mode(shm, 0600);
	/* a second process (kanmonctl) joining must not widen anything either */
	struct store *s2 = open_ok(state, 0);
	assert_store(s2, 1, &a);
	store_close(s2);
	assert_mode(wal, 0600);
	assert_mode(shm, 0600);
	store_close(s);
	umask(old);
	assert_mode(sdb, 0600);
	ck_assert_int_eq(raw_int(sdb, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
	/* an existing directory keeps its mode: it is the operator's */
	ck_assert_int_eq(chmod(state, 0750), 0);
	store_close(open_ok(state, 0));
	assert_mode(state, 0750);
}
END_TEST

/* ---- concurrent writers ------------------------------------------------------------ */

#define PER_WRITER 500

static struct pool_lease_info writer_lease(int who, int i, char *ident, size_t len)
{
	snprintf(ident, len, "w%d-%d", who, i);
	const char *addr = i % 2 ? pf("fd00:%d::%x", who, i) : pf("10.%d.%d.%d", who, i >> 8, i & 255);
	return lease("shared", ident, addr, LEASE_ONLINE, i, false);
}

/* A forked writer with its own handle; exits with the number of failed saves (capped). */
static void writer_child(const char *where, int who, int barrier, bool open_first)
{
	struct diag d = { 0 };
	struct store *s = NULL;
	char c, ident[32];
	if (!open_first && read(barrier, &c, 1) != 1)
		_exit(100);
	if (store_open_sqlite(where, 0, &s, &d)) {
		fprintf(stderr, "writer %d: %s\n", who, tu_diag_dump(&d));
		_exit(101);
	}
	if (open_first && read(barrier, &c, 1) != 1)
		_exit(100);
	int failed = 0;
	for (int i = 0; i < PER_WRITER; i++) {
		struct pool_lease_info l = writer_lease(who, i, ident, sizeof(ident));
		int err = store_lease_save(s, &l);
		if (err) {
			fprintf(stderr, "writer %d: lease %d: %s\n", who, i, strerror(-err));
			failed++;
		}
	}
	store_close(s);
	_exit(failed > 99 ? 99 : failed);
}

/* `where` must not come from pf(): writer_lease() cycles through its buffers */
static void run_writers(const char *where, bool open_first)
{
	int barrier[2];
	pid_t pid[2];
	ck_assert_int_eq(pipe(barrier), 0);
	for (int w = 0; w < 2; w++) {
		pid[w] = fork();
		ck_assert_int_ge(pid[w], 0);
		if (pid[w] == 0) {
			close(barrier[1]);
			writer_child(where, w, barrier[0], open_first);
		}
	}
	close(barrier[0]);
	/* both are blocked on the pipe: one write releases them together */
	ck_assert_int_eq(write(barrier[1], "gg", 2), 2);
	close(barrier[1]);
	for (int w = 0; w < 2; w++) {
		int status = 0;
		ck_assert_int_eq(waitpid(pid[w], &status, 0), pid[w]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "writer %d: status 0x%x (exit code = failed saves, 100+ = setup)", w, status);
	}
	struct store *s = open_ok(where, 0);
	struct lset set = collect(s);
	ck_assert_uint_eq(set.n, 2 * PER_WRITER);
	char ident[32];
	for (int w = 0; w < 2; w++)
		for (int i = 0; i < PER_WRITER; i++) {
			struct pool_lease_info l = writer_lease(w, i, ident, sizeof(ident));
			assert_lease(&set, &l);
		}
	lset_free(&set);
	store_close(s);
}

START_TEST(test_concurrent_writers)
{
	store_close(open_ok(dir, 0));
	run_writers(dir, true);
}
END_TEST

/* Both processes find no store and create, configure and migrate it at once. */
START_TEST(test_concurrent_create)
{
	char state[512];
	snprintf(state, sizeof(state), "%s/state", dir);
	run_writers(state, false);
	ck_assert_int_eq(raw_int(pf("%s/kanmon.db", state), "PRAGMA user_version"), STORE_SCHEMA_VERSION);
}
END_TEST

/* ---- crash durability ----------------------------------------------------------------- */

/*
 * The child runs a fixed sequence of changes; op j touches lease g = j / 3:
 * insert it, update it, then update or (every fourth) delete it. After each
 * change returned 0 it writes an ack naming the op and the lease's key; the
 * parent kills it after a random number of acks plus a random delay.
 */
#define CRASH_ROUNDS 20
#define CRASH_OPS 6000
#define CRASH_MAX_ACKS 1500
#define CRASH_LEASES (CRASH_OPS / 3 + 1)

struct crash_op {
	bool remove;
	struct pool_lease_info l;
	char ident[32];
	char key[64];
};

struct ack {
	uint32_t op;
	char key[64];
};

static void crash_op(int j, struct crash_op *op)
{
	static const char *const pools[] = { "p0", "p1", "p2" };
	int g = j / 3;
	memset(op, 0, sizeof(*op));
	snprintf(op->ident, sizeof(op->ident), "user-%d", g);
	const char *addr = g % 2 ? pf("fd00::%x", g) : pf("10.77.%d.%d", g >> 8, g & 255);
	op->l = lease(pools[g % 3], op->ident, addr, LEASE_ONLINE, g, g % 7 == 0);
	snprintf(op->key, sizeof(op->key), "%.8s/%.48s", op->l.pool, addr);
	if (j % 3 == 1) {
		op->l.state = LEASE_OFFLINE;
		op->l.since = 100000 + g;
	} else if (j % 3 == 2) {
		op->remove = g % 4 == 3;
		op->l.since = 200000 + g;
	}
}

static void crash_child(const char *where, int ackfd)
{
	struct diag d = { 0 };
	struct store *s = NULL;
	if (store_open_sqlite(where, 0, &s, &d))
		_exit(101);
	for (int j = 0; j < CRASH_OPS; j++) {
		struct crash_op op;
		crash_op(j, &op);
		int err = op.remove ? store_lease_delete(s, op.l.pool, (struct sockaddr *)&op.l.addr)
				    : store_lease_save(s, &op.l);
		if (err)
			_exit(102);
		struct ack a = { .op = (uint32_t)j };
		memcpy(a.key, op.key, sizeof(a.key));
		/* one write of less than PIPE_BUF bytes: atomic, never half an ack */
		if (write(ackfd, &a, sizeof(a)) != (ssize_t)sizeof(a))
			_exit(103);
	}
	store_close(s);
	_exit(0);
}

/* 1: a whole ack, 0: end of file. */
static int read_ack(int fd, struct ack *a)
{
	size_t off = 0;
	while (off < sizeof(*a)) {
		ssize_t r = read(fd, (char *)a + off, sizeof(*a) - off);
		if (r < 0 && errno == EINTR)
			continue;
		ck_assert_int_ge(r, 0);
		if (r == 0) {
			ck_assert_uint_eq(off, 0);	/* a torn ack would be a test bug */
			return 0;
		}
		off += (size_t)r;
	}
	return 1;
}

struct model {
	bool present;
	enum lease_state state;
	time_t since;
};

/* The leases after ops [0, n). */
static void model_run(struct model *m, int n)
{
	memset(m, 0, CRASH_LEASES * sizeof(*m));
	for (int j = 0; j < n; j++) {
		struct crash_op op;
		crash_op(j, &op);
		m[j / 3] = (struct model){ .present = !op.remove, .state = op.l.state, .since = op.l.since };
	}
}

static bool model_matches(const struct model *m, const struct lset *set)
{
	size_t present = 0;
	for (int g = 0; g < CRASH_LEASES; g++)
		present += m[g].present;
	if (present != set->n)
		return false;
	for (size_t i = 0; i < set->n; i++) {
		const struct saved *sv = &set->v[i];
		int g = -1;
		char a[INET6_ADDRSTRLEN];
		if (sscanf(sv->identity, "user-%d", &g) != 1 || g < 0 || g >= CRASH_LEASES || !m[g].present)
			return false;
		struct crash_op op;
		crash_op(g * 3, &op);
		if (strcmp(sv->pool, op.l.pool) || strcmp(sv->addr, ip_str(&op.l.addr, a, sizeof(a))) ||
		    sv->state != m[g].state || sv->since != m[g].since || sv->is_static != op.l.is_static)
			return false;
	}
	return true;
}

static void crash_round(int round, unsigned *seed, unsigned seed0)
{
	/* not pf(): crash_op() below cycles through its buffers */
	char where[512];
	snprintf(where, sizeof(where), "%s/round-%d", dir, round);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		crash_child(where, p[1]);
	}
	close(p[1]);
	int kill_after = rand_r(seed) % (CRASH_MAX_ACKS + 1), acked = 0;
	struct ack a;
	while (acked < kill_after && read_ack(p[0], &a)) {
		ck_assert_uint_eq(a.op, (uint32_t)acked);
		acked++;
	}
	/* a little jitter so the kill also lands inside a commit, not only between two */
	nanosleep(&(struct timespec){ .tv_nsec = (long)(rand_r(seed) % 300) * 1000 }, NULL);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
		      "round %d: child status 0x%x (seed %u)", round, status, seed0);
	/* acks still in the pipe were written before the kill: acknowledged too */
	while (read_ack(p[0], &a)) {
		struct crash_op op;
		crash_op(acked, &op);
		ck_assert_uint_eq(a.op, (uint32_t)acked);
		ck_assert_str_eq(a.key, op.key);
		acked++;
	}
	close(p[0]);

	struct store *s = open_ok(where, 0);
	struct lset set = collect(s);
	store_close(s);
	static struct model done[CRASH_LEASES], in_flight[CRASH_LEASES];
	model_run(done, acked);
	model_run(in_flight, acked + 1);
	/* every acknowledged change is there; the one in flight may or may not be */
	ck_assert_msg(model_matches(done, &set) || model_matches(in_flight, &set),
		      "round %d (seed %u): store does not hold the %d acknowledged changes (%zu leases)",
		      round, seed0, acked, set.n);
	lset_free(&set);
}

START_TEST(test_crash_durability)
{
	unsigned seed0 = test_seed(), seed = seed0;
	for (int round = 0; round < CRASH_ROUNDS; round++)
		crash_round(round, &seed, seed0);
}
END_TEST

static Suite *store_suite(void)
{
	/* not static: START_TEST's TTest pointers are variables */
	const struct {
		const char *name;
		const TTest *tests[7];
	} cases[] = {
		{ "api", { test_roundtrip, test_foreach_batches, test_pool_persist, test_reopen } },
		{ "schema", { test_migrate_v0_empty_file, test_migrate_v0_database, test_open_v1,
			      test_newer_schema_refused, test_newer_schema_wal_untouched,
			      test_foreign_database_refused } },
		{ "refusal", { test_garbage_refused, test_damaged_pages_refused, test_truncated_refused,
			       test_unreadable_paths } },
		{ "files", { test_file_modes } },
		{ "processes", { test_concurrent_writers, test_concurrent_create, test_crash_durability } },
	};
	Suite *su = suite_create("store");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_set_timeout(tc, 240);
		for (size_t j = 0; cases[i].tests[j]; j++)
			tcase_add_test(tc, cases[i].tests[j]);
		suite_add_tcase(su, tc);
	}
	return su;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
