/* SPDX-License-Identifier: MIT */
/*
 * store_sqlite_int.h - what the SQLite backend's files share: the store
 * record and the SQLite-to-errno mapping. Leases live in store_sqlite.c,
 * the CA state in store_sqlite_ca.c; nothing outside the backend includes
 * this.
 */
#ifndef KANMON_CORE_STORE_SQLITE_INT_H
#define KANMON_CORE_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "store.h"

struct sqlite_store {
	struct store base;
	sqlite3 *db;
	char *path;
	sqlite3_stmt *begin, *commit, *rollback;
	sqlite3_stmt *save, *del, *page_first, *page_next, *version;
};

/* 0 for OK/ROW/DONE, else the -errno store.h documents. */
int store_sqlite_errno(int rc);

int store_sqlite_ca_get(struct store *s, struct store_ca *out);
int store_sqlite_ca_put(struct store *s, const struct store_ca *ca);
int store_sqlite_ca_crl_number(struct store *s, int64_t expect, int64_t next);
int store_sqlite_cert_add(struct store *s, const struct store_cert *c);
int store_sqlite_cert_get(struct store *s, const char *name, struct store_cert *out);
int store_sqlite_cert_foreach(struct store *s, int (*cb)(const struct store_cert *c, void *arg), void *arg);
int store_sqlite_cert_revoke(struct store *s, const char *name, time_t when, int reason);
int store_sqlite_cert_delete(struct store *s, const char *name);

#endif
