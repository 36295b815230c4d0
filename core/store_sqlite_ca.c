/* SPDX-License-Identifier: MIT */
/*
 * store_sqlite_ca.c - the built-in CA's state in the SQLite store (schema
 * v2, store_sqlite.c has the migration): the CA row, certificates,
 * revocations, the CRL number.
 *
 * These calls are rare (kanmonctl, daemon start and reload), so statements
 * are prepared per call instead of being kept. Every change is one
 * BEGIN IMMEDIATE ... COMMIT: a failed call leaves no row behind, and the
 * check-then-write steps (revoking twice, CRL number) run under the write
 * lock, so two kanmonctl processes cannot both win.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_sqlite_int.h"

#define CERT_COLUMNS                                                                     \
	"c.name, c.role, c.origin, c.serial, c.subject, c.issuer, c.not_before, c.not_after," \
	" c.created, c.cert, c.key_file, r.revoked_at, r.reason"
#define CERT_SELECT "SELECT " CERT_COLUMNS " FROM certs c LEFT JOIN revocations r ON r.name = c.name"

void store_ca_clear(struct store_ca *ca)
{
	if (!ca)
		return;
	free(ca->cert);
	free(ca->key_file);
	free(ca->crl_host);
	memset(ca, 0, sizeof(*ca));
}

void store_cert_clear(struct store_cert *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->role);
	free(c->origin);
	free(c->serial);
	free(c->subject);
	free(c->issuer);
	free(c->cert);
	free(c->key_file);
	memset(c, 0, sizeof(*c));
}

static int fail(struct sqlite_store *s, int rc, const char *what)
{
	log_err("store", "state store %s: cannot %s: %s", s->path, what, sqlite3_errmsg(s->db));
	int err = store_sqlite_errno(rc);
	return err ? err : -EIO;
}

static int begin(struct sqlite_store *s)
{
	int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : fail(s, rc, "start a transaction");
}

/* Commits, or rolls back on err; returns err or the commit's error. */
static int finish(struct sqlite_store *s, int err)
{
	if (!err) {
		int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			err = fail(s, rc, "commit");
	}
	/* a failed COMMIT (or an I/O error that did not roll back) leaves it open */
	if (err && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

static int prepare(struct sqlite_store *s, const char *sql, sqlite3_stmt **q)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, q, NULL);
	return rc == SQLITE_OK ? 0 : fail(s, rc, "prepare a query");
}

static char *col_strdup(sqlite3_stmt *q, int i, bool *oom)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	if (!t)
		return NULL;
	char *r = strdup((const char *)t);
	if (!r)
		*oom = true;
	return r;
}

static void *col_blobdup(sqlite3_stmt *q, int i, size_t *len, bool *oom)
{
	const void *b = sqlite3_column_blob(q, i);
	int n = sqlite3_column_bytes(q, i);
	*len = 0;
	if (!b || n <= 0)
		return NULL;
	void *r = malloc((size_t)n);
	if (!r) {
		*oom = true;
		return NULL;
	}
	memcpy(r, b, (size_t)n);
	*len = (size_t)n;
	return r;
}

/* ---- the CA row ------------------------------------------------------------ */

int store_sqlite_ca_get(struct store *st, struct store_ca *out)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q = NULL;
	bool oom = false;
	memset(out, 0, sizeof(*out));
	int err = prepare(s, "SELECT cert, key_file, key_encrypted, crl_host, crl_number, created FROM ca"
			     " WHERE id = 1", &q);
	if (err)
		return err;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		out->cert = col_blobdup(q, 0, &out->cert_len, &oom);
		out->key_file = col_strdup(q, 1, &oom);
		out->key_encrypted = sqlite3_column_int(q, 2) != 0;
		out->crl_host = col_strdup(q, 3, &oom);
		out->crl_number = sqlite3_column_int64(q, 4);
		out->created = (time_t)sqlite3_column_int64(q, 5);
		err = oom ? -ENOMEM : (!out->cert || !out->key_file) ? -EUCLEAN : 0;
	} else if (rc == SQLITE_DONE) {
		err = -ENOENT;
	} else {
		err = fail(s, rc, "read the CA");
	}
	sqlite3_finalize(q);
	if (err)
		store_ca_clear(out);
	return err;
}

int store_sqlite_ca_put(struct store *st, const struct store_ca *ca)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q = NULL;
	if (!ca || !ca->cert || !ca->cert_len || !ca->key_file || !*ca->key_file || ca->crl_number < 0)
		return -EINVAL;
	int err = begin(s);
	if (err)
		return err;
	err = prepare(s, "INSERT INTO ca (id, cert, key_file, key_encrypted, crl_host, crl_number, created)"
			 " VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)", &q);
	if (!err) {
		sqlite3_bind_blob(q, 1, ca->cert, (int)ca->cert_len, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, ca->key_file, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 3, ca->key_encrypted ? 1 : 0);
		if (ca->crl_host)
			sqlite3_bind_text(q, 4, ca->crl_host, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 5, ca->crl_number);
		sqlite3_bind_int64(q, 6, (sqlite3_int64)ca->created);
		int rc = sqlite3_step(q);
		if ((rc & 0xff) == SQLITE_CONSTRAINT)
			err = -EEXIST;
		else if (rc != SQLITE_DONE)
			err = fail(s, rc, "store the CA");
	}
	sqlite3_finalize(q);
	return finish(s, err);
}

int store_sqlite_ca_crl_number(struct store *st, int64_t expect, int64_t next)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q = NULL;
	if (next <= expect)
		return -EINVAL;
	int err = begin(s);
	if (err)
		return err;
	err = prepare(s, "UPDATE ca SET crl_number = ?2 WHERE id = 1 AND crl_number = ?1", &q);
	if (!err) {
		sqlite3_bind_int64(q, 1, expect);
		sqlite3_bind_int64(q, 2, next);
		int rc = sqlite3_step(q);
		if (rc != SQLITE_DONE)
			err = fail(s, rc, "advance the CRL number");
		else if (sqlite3_changes(s->db) != 1)
			err = -EAGAIN;	/* no CA, or another CRL was issued meanwhile */
	}
	sqlite3_finalize(q);
	return finish(s, err);
}

/* ---- certificates ------------------------------------------------------------ */

static bool cert_ok(const struct store_cert *c)
{
	static const char *const roles[] = { STORE_ROLE_CA, STORE_ROLE_SERVER, STORE_ROLE_CLIENT };
	bool role = false;
	if (!c || !c->name || !*c->name || !c->role || !c->origin || !c->serial || !*c->serial ||
	    !c->subject || !c->issuer || !c->cert || !c->cert_len)
		return false;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		role |= !strcmp(c->role, roles[i]);
	return role && (!strcmp(c->origin, STORE_ORIGIN_ISSUED) || !strcmp(c->origin, STORE_ORIGIN_IMPORTED));
}

int store_sqlite_cert_add(struct store *st, const struct store_cert *c)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q = NULL;
	if (!cert_ok(c))
		return -EINVAL;
	int err = begin(s);
	if (err)
		return err;
	err = prepare(s, "INSERT INTO certs (name, role, origin, serial, subject, issuer, not_before, not_after,"
			 " created, cert, key_file) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", &q);
	if (!err) {
		sqlite3_bind_text(q, 1, c->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, c->role, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, c->origin, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, c->serial, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, c->subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, c->issuer, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 7, (sqlite3_int64)c->not_before);
		sqlite3_bind_int64(q, 8, (sqlite3_int64)c->not_after);
		sqlite3_bind_int64(q, 9, (sqlite3_int64)c->created);
		sqlite3_bind_blob(q, 10, c->cert, (int)c->cert_len, SQLITE_STATIC);
		if (c->key_file)
			sqlite3_bind_text(q, 11, c->key_file, -1, SQLITE_STATIC);
		int rc = sqlite3_step(q);
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
			err = -EEXIST;
		else if (rc != SQLITE_DONE)
			err = fail(s, rc, "store a certificate");
	}
	sqlite3_finalize(q);
	return finish(s, err);
}

static int cert_read(sqlite3_stmt *q, struct store_cert *out)
{
	bool oom = false;
	memset(out, 0, sizeof(*out));
	out->name = col_strdup(q, 0, &oom);
	out->role = col_strdup(q, 1, &oom);
	out->origin = col_strdup(q, 2, &oom);
	out->serial = col_strdup(q, 3, &oom);
	out->subject = col_strdup(q, 4, &oom);
	out->issuer = col_strdup(q, 5, &oom);
	out->not_before = (time_t)sqlite3_column_int64(q, 6);
	out->not_after = (time_t)sqlite3_column_int64(q, 7);
	out->created = (time_t)sqlite3_column_int64(q, 8);
	out->cert = col_blobdup(q, 9, &out->cert_len, &oom);
	out->key_file = col_strdup(q, 10, &oom);
	if (sqlite3_column_type(q, 11) != SQLITE_NULL) {
		out->revoked = (time_t)sqlite3_column_int64(q, 11);
		out->reason = sqlite3_column_int(q, 12);
		if (!out->revoked)
			out->revoked = 1;	/* revoked at the epoch still means revoked */
	}
	int err = oom ? -ENOMEM : 0;
	if (!err && (!out->name || !out->role || !out->origin || !out->serial || !out->subject ||
		     !out->issuer || !out->cert))
		err = -EUCLEAN;
	if (err)
		store_cert_clear(out);
	return err;
}

int store_sqlite_cert_get(struct store *st, const char *name, struct store_cert *out)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q = NULL;
	memset(out, 0, sizeof(*out));
	if (!name)
		return -EINVAL;
	int err = prepare(s, CERT_SELECT " WHERE c.name = ?1", &q);
	if (err)
		return err;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		err = cert_read(q, out);
	else if (rc == SQLITE_DONE)
		err = -ENOENT;
	else
		err = fail(s, rc, "read a certificate");
	sqlite3_finalize(q);
	return err;
}

/* In name order; stops at the first non-zero return of cb and returns it. */
int store_sqlite_cert_foreach(struct store *st, int (*cb)(const struct store_cert *c, void *arg), void *arg)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q = NULL;
	int err = prepare(s, CERT_SELECT " ORDER BY c.name", &q);
	if (err)
		return err;
	int rc = SQLITE_DONE;
	while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_cert c;
		err = cert_read(q, &c);
		if (!err)
			err = cb(&c, arg);
		store_cert_clear(&c);
	}
	if (!err && rc != SQLITE_DONE)
		err = fail(s, rc, "read the certificates");
	sqlite3_finalize(q);
	return err;
}

int store_sqlite_cert_revoke(struct store *st, const char *name, time_t when, int reason)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q = NULL;
	if (!name || reason < 0 || reason > 10)
		return -EINVAL;
	int err = begin(s);
	if (err)
		return err;
	err = prepare(s, "SELECT (SELECT count(*) FROM certs WHERE name = ?1),"
			 " (SELECT count(*) FROM revocations WHERE name = ?1)", &q);
	if (!err) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		int rc = sqlite3_step(q);
		if (rc != SQLITE_ROW)
			err = fail(s, rc, "look up a certificate");
		else if (!sqlite3_column_int(q, 0))
			err = -ENOENT;
		else if (sqlite3_column_int(q, 1))
			err = -EALREADY;
		sqlite3_finalize(q);
		q = NULL;
	}
	if (!err)
		err = prepare(s, "INSERT INTO revocations (name, revoked_at, reason) VALUES (?1, ?2, ?3)", &q);
	if (!err) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, (sqlite3_int64)when);
		sqlite3_bind_int(q, 3, reason);
		int rc = sqlite3_step(q);
		if (rc != SQLITE_DONE)
			err = fail(s, rc, "record a revocation");
	}
	sqlite3_finalize(q);
	return finish(s, err);
}

int store_sqlite_cert_delete(struct store *st, const char *name)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q = NULL;
	if (!name)
		return -EINVAL;
	int err = begin(s);
	if (err)
		return err;
	/* a revoked certificate stays: its revocation must keep reaching every CRL */
	err = prepare(s, "DELETE FROM certs WHERE name = ?1 AND name NOT IN (SELECT name FROM revocations)", &q);
	if (!err) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		int rc = sqlite3_step(q);
		if (rc != SQLITE_DONE)
			err = fail(s, rc, "delete a certificate");
		else if (sqlite3_changes(s->db) != 1)
			err = -ENOENT;
	}
	sqlite3_finalize(q);
	return finish(s, err);
}
