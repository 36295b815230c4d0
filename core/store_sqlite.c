/* SPDX-License-Identifier: MIT */
/*
 * store_sqlite.c - the default store backend: one SQLite database,
 * STATE_DIR/kanmon.db (store.h lists the guarantees).
 *
 * Opening is careful because the file holds the only copy of which client
 * owns which address:
 *  - the file is created by us (O_EXCL, mode 0600, never next to an orphaned
 *    journal) and SQLite only ever opens an existing file, never with
 *    SQLITE_OPEN_CREATE, so nothing SQLite does can recreate or replace it;
 *  - until every check passed (readable, PRAGMA quick_check, application_id,
 *    schema version) nothing is written: WAL mode, synchronous and the
 *    migrations come after, and the connection does not even checkpoint on
 *    close, so a refused store keeps its exact bytes;
 *  - the schema is versioned with PRAGMA user_version; migrations[i] brings a
 *    database from version i to i + 1 inside one transaction.
 *
 * Every change is its own BEGIN IMMEDIATE ... COMMIT: taking the write lock
 * up front lets busy_timeout queue concurrent writers (the daemon and an
 * offline kanmonctl) instead of failing them with SQLITE_BUSY half-way.
 * With WAL and synchronous=NORMAL a committed change is in the WAL through
 * write(2) before COMMIT returns, so it survives kill -9; power loss needs
 * STORE_SYNC_FULL (an fsync per commit).
 *
 * Errors: -EUCLEAN for a file that is not a SQLite database, is corrupt or
 * belongs to another program; -EPROTONOSUPPORT for a newer schema; -EBUSY
 * when the lock was not obtained within the busy timeout; -ENOSPC, -EACCES,
 * -ENOMEM as usual; -EIO for any other SQLite failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_sqlite_int.h"

#define STORE_FILE "kanmon.db"
/* PRAGMA application_id of a kanmon store ("KNMN"): tells our file from another program's */
#define STORE_APP_ID 0x4b4e4d4e
#define BUSY_TIMEOUT_MS 5000
/* foreach copies rows in batches so no read transaction spans the callbacks */
#define FOREACH_BATCH 256
#define FOREACH_BATCH_STR "256"

/*
 * migrations[i] takes schema version i to i + 1. Append only: a released
 * entry never changes, because databases in the field were built by it.
 */
static const char *const migrations[] = {
	/*
	 * v1: leases. family is 4 or 6 and address the raw network-order bytes,
	 * so the file does not depend on the platform's AF_* numbers. WITHOUT
	 * ROWID: (pool, address) is the only access path, so the table is the
	 * index. meta holds free-form facts about the file (who wrote it).
	 */
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
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",
	/*
	 * v2: the built-in CA (store_sqlite_ca.c). ca has at most one row.
	 * certs keeps every certificate ever issued or imported, revoked ones
	 * included, so (issuer, serial) is never reused; revocations is
	 * separate so a revocation is one INSERT that cannot half-happen.
	 * Private keys are files; key_file names them relative to state_dir.
	 */
	"CREATE TABLE ca ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" cert BLOB NOT NULL CHECK (length(cert) > 0),"
	" key_file TEXT NOT NULL CHECK (length(key_file) > 0),"
	" key_encrypted INTEGER NOT NULL CHECK (key_encrypted IN (0, 1)),"
	" crl_host TEXT,"
	" crl_number INTEGER NOT NULL DEFAULT 0 CHECK (crl_number >= 0),"
	" created INTEGER NOT NULL"
	");"
	"CREATE TABLE certs ("
	" name TEXT PRIMARY KEY CHECK (length(name) > 0),"
	" role TEXT NOT NULL CHECK (role IN ('ca', 'server', 'client')),"
	" origin TEXT NOT NULL CHECK (origin IN ('issued', 'imported')),"
	" serial TEXT NOT NULL CHECK (length(serial) > 0),"
	" subject TEXT NOT NULL,"
	" issuer TEXT NOT NULL,"
	" not_before INTEGER NOT NULL,"
	" not_after INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" cert BLOB NOT NULL CHECK (length(cert) > 0),"
	" key_file TEXT,"
	" UNIQUE (issuer, serial)"
	");"
	"CREATE TABLE revocations ("
	" name TEXT PRIMARY KEY REFERENCES certs (name),"
	" revoked_at INTEGER NOT NULL,"
	" reason INTEGER NOT NULL DEFAULT 0 CHECK (reason BETWEEN 0 AND 10)"
	") WITHOUT ROWID;",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

_Static_assert(SCHEMA_VERSION == STORE_SCHEMA_VERSION, "store.h names the schema version");

static const struct store_ops sqlite_ops;

int store_sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EUCLEAN;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static const char *sync_name(unsigned flags)
{
	return flags & STORE_SYNC_FULL ? "FULL" : "NORMAL";
}

/* ---- addresses ---------------------------------------------------------- */

/* The bytes stored for addr: 4 or 16, network order; family 4 or 6. */
static int addr_to_raw(const struct sockaddr *sa, uint8_t raw[16], int *len, int *family)
{
	if (!sa)
		return -EINVAL;
	if (sa->sa_family == AF_INET) {
		memcpy(raw, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		*len = 4;
		*family = 4;
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(raw, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		*len = 16;
		*family = 6;
		return 0;
	}
	return -EAFNOSUPPORT;
}

static int addr_from_raw(int family, const void *raw, int len, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (family == 4 && len == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)out;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, raw, 4);
		return 0;
	}
	if (family == 6 && len == 16) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, raw, 16);
		return 0;
	}
	return -EUCLEAN;
}

static const char *addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *a = NULL;
	if (sa && sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa && sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (!a || !inet_ntop(sa->sa_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "(bad address)");
	return buf;
}

/* ---- small SQLite helpers ----------------------------------------------- */

/* Steps a kept statement once and resets it; returns the step's code. */
static int step_reset(sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc;
}

/* One integer from a one-off query (PRAGMAs, counts). */
static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(q, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			rc = SQLITE_ERROR;
		}
	}
	sqlite3_finalize(q);
	return rc;
}

/*
 * The diag line for a store SQLite could not read. Corruption gets the
 * operator's way out; the other causes name the OS error when there is one.
 */
static int refuse_unreadable(struct sqlite_store *s, int rc, const char *why, struct diag *d)
{
	int sys = 0;
	switch (rc & 0xff) {
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_PERM:
	case SQLITE_FULL:
		/* only these come from a failed system call; otherwise the value is stale */
		sys = sqlite3_system_errno(s->db);
		break;
	}
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		diag_add(d, "state store %s is not a SQLite database or is corrupt (%s): move it aside (with its -wal file, if any) to start with an empty store, or restore a backup",
			 s->path, why);
		return -EUCLEAN;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		diag_add(d, "state store %s stayed locked by another process for %d ms (%s): is another kanmond or kanmonctl stuck?",
			 s->path, BUSY_TIMEOUT_MS, why);
		return -EBUSY;
	default:
		if (sys) {
			diag_add(d, "cannot read state store %s: %s (%s)", s->path, why, strerror(sys));
			return -sys;
		}
		diag_add(d, "cannot read state store %s: %s", s->path, why);
		return store_sqlite_errno(rc) ? store_sqlite_errno(rc) : -EIO;
	}
}

/* ---- opening -------------------------------------------------------------- */

static int prepare_dir(const char *dir, struct diag *d)
{
	if (mkdir(dir, 0700) == 0) {
		/* the umask may have removed owner bits; never leave more than 0700 */
		if (chmod(dir, 0700) < 0) {
			int e = errno;
			diag_add(d, "cannot set mode 0700 on state directory %s: %s", dir, strerror(e));
			return -e;
		}
		log_info("store", "created state directory %s", dir);
		return 0;
	}
	int e = errno;
	if (e != EEXIST) {
		diag_add(d, "cannot create state directory %s for the state store: %s", dir, strerror(e));
		return -e;
	}
	struct stat st;
	if (stat(dir, &st) < 0) {
		e = errno;
		diag_add(d, "cannot open state directory %s: %s", dir, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		diag_add(d, "cannot open state store %s/" STORE_FILE ": %s is not a directory", dir, dir);
		return -ENOTDIR;
	}
	return 0;
}

/* Creates an empty store file (a valid empty SQLite database) when none exists. */
static int create_if_missing(const char *path, bool *created, struct diag *d)
{
	struct stat st;
	*created = false;
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			diag_add(d, "state store %s is not a regular file", path);
			return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		}
		if (st.st_mode & 077)
			log_warn("store", "state store %s is accessible to other users (mode %04o): chmod 600 it",
				 path, (unsigned)(st.st_mode & 07777));
		return 0;
	}
	int e = errno;
	if (e != ENOENT) {
		diag_add(d, "cannot open state store %s: %s", path, strerror(e));
		return -e;
	}
	/*
	 * A journal without its database: SQLite would replay it into the new
	 * empty file (garbage), and it may hold the only copy of recent changes.
	 * Re-checking the database after the journal tells an orphan from a
	 * store another process has just created.
	 */
	static const char *const journals[] = { "-wal", "-journal" };
	for (size_t i = 0; i < sizeof(journals) / sizeof(journals[0]); i++) {
		char j[4096];
		snprintf(j, sizeof(j), "%s%s", path, journals[i]);
		/* empty ones are harmless: a refused open may leave an empty -wal behind */
		if (stat(j, &st) == 0 && st.st_size > 0 && stat(path, &st) < 0 && errno == ENOENT) {
			diag_add(d, "state store %s is missing but its journal %s is there (the database was removed without it): put the database back, or move the journal aside to start with an empty store",
				 path, j);
			return -EEXIST;
		}
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		e = errno;
		if (e == EEXIST)	/* another process just created it: open theirs */
			return 0;
		diag_add(d, "cannot create state store %s: %s", path, strerror(e));
		return -e;
	}
	/*
	 * Exactly 0600 whatever the umask: SQLite gives the -wal and -shm files
	 * the database file's mode, so this one fchmod covers all three.
	 */
	if (fchmod(fd, 0600) < 0 || fsync(fd) < 0) {
		e = errno;
		close(fd);
		unlink(path);
		diag_add(d, "cannot create state store %s: %s", path, strerror(e));
		return -e;
	}
	close(fd);
	*created = true;
	return 0;
}

/* The new directory entry must survive power loss too, like the commits will. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fsync(fd) < 0)
		log_warn("store", "fsync of state directory %s: %s", dir, strerror(errno));
	close(fd);
}

/* PRAGMA quick_check: every b-tree page is walked, so a torn or overwritten page stops us here. */
static int check_integrity(struct sqlite_store *s, struct diag *d)
{
	sqlite3_stmt *q = NULL;
	int err = 0;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const char *res = (const char *)sqlite3_column_text(q, 0);
		if (!res || strcmp(res, "ok")) {
			/* quick_check's report spans lines; a diag is one line */
			char why[256];
			snprintf(why, sizeof(why), "%s", res ? res : "integrity check failed");
			for (char *c = why; *c; c++)
				if (*c == '\n' || *c == '\r')
					*c = ' ';
			err = refuse_unreadable(s, SQLITE_CORRUPT, why, d);
		}
	} else {
		err = refuse_unreadable(s, rc, sqlite3_errmsg(s->db), d);
	}
	sqlite3_finalize(q);
	return err;
}

static void refuse_newer(struct sqlite_store *s, int64_t version, struct diag *d)
{
	/* meta exists from v1 on; a newer schema may have changed it, so best effort */
	sqlite3_stmt *q = NULL;
	const char *by = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'schema_written_by'", -1, &q,
			       NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		by = (const char *)sqlite3_column_text(q, 0);
	diag_add(d, "state store %s was written by a newer kanmon (schema version %" PRId64 "%s%s; kanmon " KANMON_VERSION " knows up to version %d): run that version or newer, or restore a backup made for this one",
		 s->path, version, by ? ", last migrated by " : "", by ? by : "", SCHEMA_VERSION);
	sqlite3_finalize(q);
}

/* Is this our file, and a schema we know? Reads only. */
static int check_version(struct sqlite_store *s, struct diag *d)
{
	int64_t app_id = 0, version = 0, objects = 0;
	sqlite3_stmt *q = NULL;
	/* one statement, one snapshot: another process may be migrating the file right now */
	int rc = sqlite3_prepare_v2(s->db, "SELECT a.application_id, v.user_version,"
				    " (SELECT count(*) FROM sqlite_master)"
				    " FROM pragma_application_id AS a, pragma_user_version AS v", -1, &q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		app_id = sqlite3_column_int64(q, 0);
		version = sqlite3_column_int64(q, 1);
		objects = sqlite3_column_int64(q, 2);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_OK)
		return refuse_unreadable(s, rc, sqlite3_errmsg(s->db), d);
	/* a pre-versioned database is only ours when it is empty: never add tables to a stranger's */
	if ((app_id != 0 && app_id != STORE_APP_ID) || (app_id == 0 && (version != 0 || objects != 0))) {
		diag_add(d, "state store %s is a SQLite database of another program (application_id 0x%08" PRIx64 ", user_version %" PRId64 ", %" PRId64 " schema objects): move it aside to start with an empty store, or restore a backup",
			 s->path, (uint64_t)app_id & 0xffffffffu, version, objects);
		return -EUCLEAN;
	}
	if (version > SCHEMA_VERSION) {
		refuse_newer(s, version, d);
		return -EPROTONOSUPPORT;
	}
	return 0;
}

/* Connection settings; the first write to the file happens here (journal mode). */
static int configure(struct sqlite_store *s, unsigned flags, struct diag *d)
{
	/*
	 * Entering WAL needs the file to itself for a moment, and SQLite answers
	 * BUSY at once instead of calling the busy handler when another
	 * connection is in the way (two processes creating the store together):
	 * retry up to the same timeout. Once in WAL, the mode is in the file and
	 * this is a no-op.
	 */
	int rc;
	for (int waited_ms = 0;; waited_ms += 2) {
		sqlite3_stmt *q = NULL;
		rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &q, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			const char *mode = (const char *)sqlite3_column_text(q, 0);
			/* e.g. a file system without shared mmap: still correct, only slower */
			if (!mode || strcmp(mode, "wal"))
				log_warn("store", "state store %s: WAL journal refused, using journal mode %s",
					 s->path, mode ? mode : "?");
			rc = SQLITE_OK;
		}
		sqlite3_finalize(q);
		if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= BUSY_TIMEOUT_MS)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 2 * 1000 * 1000 }, NULL);
	}
	if (rc != SQLITE_OK)
		return refuse_unreadable(s, rc, sqlite3_errmsg(s->db), d);
	char sql[128];
	snprintf(sql, sizeof(sql), "PRAGMA synchronous = %s; PRAGMA foreign_keys = ON;", sync_name(flags));
	rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return refuse_unreadable(s, rc, sqlite3_errmsg(s->db), d);
	return 0;
}

/* Brings the schema to SCHEMA_VERSION, one transaction per migration. */
static int migrate(struct sqlite_store *s, struct diag *d)
{
	for (;;) {
		int64_t version = 0;
		/* re-read inside the lock: another process may have migrated meanwhile */
		int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = query_int(s->db, "PRAGMA user_version", &version);
		if (rc != SQLITE_OK) {
			int err = refuse_unreadable(s, rc, sqlite3_errmsg(s->db), d);
			if (!sqlite3_get_autocommit(s->db))
				sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return err;
		}
		if (version >= SCHEMA_VERSION) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			if (version == SCHEMA_VERSION)
				return 0;
			refuse_newer(s, version, d);
			return -EPROTONOSUPPORT;
		}
		char *sql = sqlite3_mprintf("%s;"
					    "PRAGMA application_id = %d;"
					    "PRAGMA user_version = %d;"
					    "INSERT INTO meta (key, value) VALUES ('schema_written_by', %Q)"
					    " ON CONFLICT (key) DO UPDATE SET value = excluded.value;",
					    migrations[version], STORE_APP_ID, (int)version + 1,
					    "kanmon " KANMON_VERSION);
		char *msg = NULL;
		rc = sql ? sqlite3_exec(s->db, sql, NULL, NULL, &msg) : SQLITE_NOMEM;
		sqlite3_free(sql);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg);
		if (rc != SQLITE_OK) {
			diag_add(d, "cannot migrate state store %s from schema version %" PRId64 " to %" PRId64 ": %s (nothing was changed)",
				 s->path, version, version + 1, msg ? msg : sqlite3_errstr(rc));
			sqlite3_free(msg);
			if (!sqlite3_get_autocommit(s->db))
				sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return store_sqlite_errno(rc) ? store_sqlite_errno(rc) : -EIO;
		}
		log_notice("store", "state store %s: schema migrated from version %" PRId64 " to %" PRId64,
			   s->path, version, version + 1);
	}
}

#define LEASE_SELECT "SELECT pool, family, address, identity, state, since, is_static FROM leases"

static int prepare_statements(struct sqlite_store *s, struct diag *d)
{
	const struct {
		sqlite3_stmt **q;
		const char *sql;
	} st[] = {
		{ &s->begin, "BEGIN IMMEDIATE" },
		{ &s->commit, "COMMIT" },
		{ &s->rollback, "ROLLBACK" },
		{ &s->save, "INSERT INTO leases (pool, family, address, identity, state, since, is_static)"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			    " ON CONFLICT (pool, address) DO UPDATE SET family = excluded.family,"
			    " identity = excluded.identity, state = excluded.state,"
			    " since = excluded.since, is_static = excluded.is_static" },
		{ &s->del, "DELETE FROM leases WHERE pool = ?1 AND address = ?2" },
		/* keyset pages: the primary key order, resuming after the last key seen */
		{ &s->page_first, LEASE_SELECT " ORDER BY pool, address LIMIT " FOREACH_BATCH_STR },
		{ &s->page_next, LEASE_SELECT " WHERE (pool, address) > (?1, ?2)"
				 " ORDER BY pool, address LIMIT " FOREACH_BATCH_STR },
		{ &s->version, "PRAGMA user_version" },
	};
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		int rc = sqlite3_prepare_v3(s->db, st[i].sql, -1, SQLITE_PREPARE_PERSISTENT, st[i].q, NULL);
		if (rc != SQLITE_OK)
			return refuse_unreadable(s, rc, sqlite3_errmsg(s->db), d);
	}
	return 0;
}

static void sqlite_close(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	if (!s)
		return;
	sqlite3_stmt *q[] = { s->begin, s->commit, s->rollback, s->save, s->del,
			      s->page_first, s->page_next, s->version };
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		sqlite3_finalize(q[i]);
	if (s->db) {
		int rc = sqlite3_close(s->db);
		if (rc != SQLITE_OK)
			log_err("store", "closing state store %s: %s", s->path, sqlite3_errstr(rc));
	}
	free(s->path);
	free(s);
}

int store_open_sqlite(const char *dir, unsigned flags, struct store **out, struct diag *d)
{
	*out = NULL;
	if (!dir || !*dir) {
		diag_add(d, "state store: no state directory given");
		return -EINVAL;
	}
	struct sqlite_store *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base.ops = &sqlite_ops;
	bool created = false;
	int err = prepare_dir(dir, d);
	if (err)
		goto fail;
	if (asprintf(&s->path, "%s/" STORE_FILE, dir) < 0) {
		s->path = NULL;
		err = -ENOMEM;
		goto fail;
	}
	err = create_if_missing(s->path, &created, d);
	if (err)
		goto fail;
	if (created)
		sync_dir(dir);
	/* never SQLITE_OPEN_CREATE: a missing file here means it vanished, not "start empty" */
	int rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		if (!s->db) {
			err = -ENOMEM;
			goto fail;
		}
		err = refuse_unreadable(s, rc, sqlite3_errmsg(s->db), d);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	/* a refused store must keep its bytes: not even a checkpoint when we close it */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* READWRITE silently falls back to read-only on a write-protected file */
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		diag_add(d, "state store %s is not writable by this user", s->path);
		err = -EACCES;
		goto fail;
	}
	err = check_integrity(s, d);
	if (!err)
		err = check_version(s, d);
	if (!err)
		err = configure(s, flags, d);
	if (!err)
		err = migrate(s, d);
	if (!err)
		err = prepare_statements(s, d);
	if (err)
		goto fail;
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);
	log_info("store", "state store %s open (schema version %d, WAL, synchronous %s)", s->path,
		 SCHEMA_VERSION, sync_name(flags));
	*out = &s->base;
	return 0;
fail:
	sqlite_close(&s->base);
	return err;
}

/* ---- changes -------------------------------------------------------------- */

/*
 * Runs one bound change statement in its own transaction. *changed gets the
 * number of rows it touched. On failure the transaction is rolled back and
 * the reason logged, naming the file and the lease.
 */
static int run_change(struct sqlite_store *s, sqlite3_stmt *q, const char *what, const char *pool,
		      const struct sockaddr *addr, int *changed)
{
	int rc = step_reset(s->begin);
	if (rc == SQLITE_DONE) {
		rc = step_reset(q);
		if (rc == SQLITE_DONE) {
			*changed = sqlite3_changes(s->db);
			rc = step_reset(s->commit);
		}
	}
	sqlite3_clear_bindings(q);
	if (rc == SQLITE_DONE)
		return 0;
	char buf[INET6_ADDRSTRLEN + 16];
	log_err("store", "state store %s: cannot %s lease %s of pool %s: %s", s->path, what,
		addr_str(addr, buf, sizeof(buf)), pool, sqlite3_errmsg(s->db));
	/* some errors (I/O, full disk) already rolled back; a failed COMMIT did not */
	if (!sqlite3_get_autocommit(s->db))
		step_reset(s->rollback);
	int err = store_sqlite_errno(rc);
	return err ? err : -EIO;
}

static int sqlite_lease_save(struct store *st, const struct pool_lease_info *l)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	uint8_t raw[16];
	int len, family, changed = 0;
	if (!l || !l->pool || !*l->pool || !l->identity || !*l->identity ||
	    (l->state != LEASE_FREE && l->state != LEASE_ONLINE && l->state != LEASE_OFFLINE))
		return -EINVAL;
	int err = addr_to_raw((const struct sockaddr *)&l->addr, raw, &len, &family);
	if (err)
		return err;
	sqlite3_bind_text(s->save, 1, l->pool, -1, SQLITE_STATIC);
	sqlite3_bind_int(s->save, 2, family);
	sqlite3_bind_blob(s->save, 3, raw, len, SQLITE_STATIC);
	sqlite3_bind_text(s->save, 4, l->identity, -1, SQLITE_STATIC);
	sqlite3_bind_int(s->save, 5, (int)l->state);
	sqlite3_bind_int64(s->save, 6, (sqlite3_int64)l->since);
	sqlite3_bind_int(s->save, 7, l->is_static ? 1 : 0);
	return run_change(s, s->save, "save", l->pool, (const struct sockaddr *)&l->addr, &changed);
}

/* -ENOENT when there was no such lease (the store is unchanged then). */
static int sqlite_lease_delete(struct store *st, const char *pool, const struct sockaddr *addr)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	uint8_t raw[16];
	int len, family, changed = 0;
	if (!pool || !*pool)
		return -EINVAL;
	int err = addr_to_raw(addr, raw, &len, &family);
	if (err)
		return err;
	sqlite3_bind_text(s->del, 1, pool, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s->del, 2, raw, len, SQLITE_STATIC);
	err = run_change(s, s->del, "delete", pool, addr, &changed);
	if (!err && !changed)
		err = -ENOENT;
	return err;
}

/* ---- reading -------------------------------------------------------------- */

struct row {
	struct pool_lease_info info;
	char *strings;		/* pool and identity, one allocation */
};

static int row_read(struct sqlite_store *s, sqlite3_stmt *q, struct row *r)
{
	const char *pool = (const char *)sqlite3_column_text(q, 0);
	size_t plen = (size_t)sqlite3_column_bytes(q, 0);
	int family = sqlite3_column_int(q, 1);
	const void *raw = sqlite3_column_blob(q, 2);
	int alen = sqlite3_column_bytes(q, 2);
	const char *ident = (const char *)sqlite3_column_text(q, 3);
	size_t ilen = (size_t)sqlite3_column_bytes(q, 3);
	int state = sqlite3_column_int(q, 4);
	if (!pool || !ident || addr_from_raw(family, raw, alen, &r->info.addr) ||
	    state < LEASE_FREE || state > LEASE_OFFLINE) {
		/* the CHECK constraints forbid this: someone edited the file by hand */
		log_err("store", "state store %s: malformed lease row (pool %s, family %d, %d address bytes, state %d)",
			s->path, pool ? pool : "NULL", family, alen, state);
		return -EUCLEAN;
	}
	r->strings = malloc(plen + ilen + 2);
	if (!r->strings)
		return -ENOMEM;
	memcpy(r->strings, pool, plen + 1);
	memcpy(r->strings + plen + 1, ident, ilen + 1);
	r->info.pool = r->strings;
	r->info.identity = r->strings + plen + 1;
	r->info.state = (enum lease_state)state;
	r->info.since = (time_t)sqlite3_column_int64(q, 5);
	r->info.is_static = sqlite3_column_int(q, 6) != 0;
	return 0;
}

/*
 * Every lease in (pool, address) order. Rows are read FOREACH_BATCH at a
 * time and copied, and the next batch starts after the last key seen, so the
 * callback may change the store (pool_restore deletes stale leases through
 * the persist hook) and no read transaction is held while it runs (which
 * would stall WAL checkpoints). A lease saved or deleted by someone else
 * during the walk may or may not be seen; every other lease is seen once.
 * Stops at the first non-zero return of cb and returns it.
 */
static int sqlite_lease_foreach(struct store *st, int (*cb)(const struct pool_lease_info *l, void *arg),
				void *arg)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	struct row *rows = calloc(FOREACH_BATCH, sizeof(*rows));
	sqlite3_stmt *q = s->page_first;
	int ret = 0;
	if (!rows)
		return -ENOMEM;
	for (;;) {
		size_t n = 0;
		int rc = SQLITE_DONE;
		while (n < FOREACH_BATCH && (rc = sqlite3_step(q)) == SQLITE_ROW) {
			ret = row_read(s, q, &rows[n]);
			if (ret)
				break;
			n++;
		}
		if (!ret && n < FOREACH_BATCH && rc != SQLITE_DONE) {
			log_err("store", "state store %s: cannot read leases: %s", s->path, sqlite3_errmsg(s->db));
			ret = store_sqlite_errno(rc) ? store_sqlite_errno(rc) : -EIO;
		}
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
		for (size_t i = 0; i < n && !ret; i++)
			ret = cb(&rows[i].info, arg);
		if (!ret && n == FOREACH_BATCH) {
			/* TRANSIENT: SQLite copies the key, the row goes away below */
			uint8_t raw[16];
			int len = 0, family = 0;
			/* cannot fail: row_read only accepts 4- and 16-byte addresses */
			addr_to_raw((const struct sockaddr *)&rows[n - 1].info.addr, raw, &len, &family);
			q = s->page_next;
			sqlite3_bind_text(q, 1, rows[n - 1].info.pool, -1, SQLITE_TRANSIENT);
			sqlite3_bind_blob(q, 2, raw, len, SQLITE_TRANSIENT);
		}
		for (size_t i = 0; i < n; i++) {
			free(rows[i].strings);
			rows[i].strings = NULL;
		}
		if (ret || n < FOREACH_BATCH)
			break;
	}
	sqlite3_clear_bindings(s->page_next);
	free(rows);
	return ret;
}

static int sqlite_schema_version(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	int rc = sqlite3_step(s->version);
	int v = rc == SQLITE_ROW ? sqlite3_column_int(s->version, 0) : -1;
	sqlite3_reset(s->version);
	if (rc != SQLITE_ROW)
		return store_sqlite_errno(rc) ? store_sqlite_errno(rc) : -EIO;
	return v;
}

static const struct store_ops sqlite_ops = {
	.close = sqlite_close,
	.lease_save = sqlite_lease_save,
	.lease_delete = sqlite_lease_delete,
	.lease_foreach = sqlite_lease_foreach,
	.schema_version = sqlite_schema_version,
	.ca_get = store_sqlite_ca_get,
	.ca_put = store_sqlite_ca_put,
	.ca_crl_number = store_sqlite_ca_crl_number,
	.cert_add = store_sqlite_cert_add,
	.cert_get = store_sqlite_cert_get,
	.cert_foreach = store_sqlite_cert_foreach,
	.cert_revoke = store_sqlite_cert_revoke,
	.cert_delete = store_sqlite_cert_delete,
};

/* ---- pool write-through (any backend) ----------------------------------- */

static int persist_save(void *arg, const struct pool_lease_info *l)
{
	return store_lease_save(arg, l);
}

/* The pool removes what it believes exists; "already gone" is the state it wants. */
static int persist_remove(void *arg, const char *pool, const struct sockaddr *addr)
{
	int err = store_lease_delete(arg, pool, addr);
	return err == -ENOENT ? 0 : err;
}

struct pool_persist store_pool_persist(struct store *s)
{
	return (struct pool_persist){ .arg = s, .save = persist_save, .remove = persist_remove };
}
