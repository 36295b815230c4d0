/* SPDX-License-Identifier: MIT */
/*
 * cert_fixture.h - shared by the test_cert*.c suites (static functions, one
 * copy per suite): a state directory with the built-in CA, and a free-form
 * certificate builder for the shapes the CA never issues (expired, no EKU,
 * SHA-1, intermediates, foreign CAs) that verification and the checks must
 * recognise.
 */
#ifndef KANMON_TEST_CERT_FIXTURE_H
#define KANMON_TEST_CERT_FIXTURE_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "certstore.h"
#include "store.h"
#include "testutil.h"

struct fx {
	char *dir;		/* temporary; the state directory is dir/state */
	char state[512];
	struct store *st;
	struct ca_ctx ca;
	bool ca_open;
	struct diag d;
};

static inline void fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	ck_assert_int_eq(cert_global_init(), 0);
	f->dir = tu_tmpdir();
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	struct diag d = { 0 };
	int err = store_open_sqlite(f->state, 0, &f->st, &d);
	ck_assert_msg(!err, "store: %s", tu_diag_dump(&d));
	diag_clear(&d);
}

static inline void fx_free(struct fx *f)
{
	if (f->ca_open)
		ca_close(&f->ca);
	store_close(f->st);
	diag_clear(&f->d);
	tu_rmrf(f->dir);
	free(f->dir);
	memset(f, 0, sizeof(*f));
}

/* The built-in CA, opened with its key. */
static inline void fx_ca(struct fx *f, const char *country, const char *org, const char *crl_host)
{
	struct ca_create_params p = { .cn = "VPN Root CA", .country = country, .org = org, .crl_host = crl_host,
				      .days = 3650, .key = CERT_KEY_ECDSA_P256 };
	int err = ca_create(f->state, f->st, &p, &f->d);
	ck_assert_msg(!err, "ca_create: %d %s", err, tu_diag_dump(&f->d));
	err = ca_open(&f->ca, f->state, f->st, true, NULL, &f->d);
	ck_assert_msg(!err, "ca_open: %d %s", err, tu_diag_dump(&f->d));
	f->ca_open = true;
}

/* Issues and commits NAME; returns a copy of its certificate (and key if asked). */
static inline gnutls_x509_crt_t fx_issue(struct fx *f, const char *name, int role, const char *cn, const char *const *sans,
				  size_t n_sans, gnutls_x509_privkey_t *key)
{
	struct ca_issue_params p = { .name = name, .role = role, .cn = cn, .sans = sans, .n_sans = n_sans,
				     .days = 365, .key = CERT_KEY_ECDSA_P256 };
	struct ca_issued is;
	int err = ca_issue_prepare(&f->ca, &p, &is, &f->d);
	ck_assert_msg(!err, "issue %s: %d %s", name, err, tu_diag_dump(&f->d));
	err = ca_issue_commit(&f->ca, &is, &f->d);
	ck_assert_msg(!err, "commit %s: %d %s", name, err, tu_diag_dump(&f->d));
	gnutls_datum_t der;
	ck_assert_int_ge(gnutls_x509_crt_export2(is.crt, GNUTLS_X509_FMT_DER, &der), 0);
	gnutls_x509_crt_t out;
	ck_assert_int_eq(cert_from_der(der.data, der.size, &out), 0);
	gnutls_free(der.data);
	if (key) {
		*key = is.key;
		is.key = NULL;
	}
	ca_issued_clear(&is);
	return out;
}

/* ---- free-form certificates ------------------------------------------------ */

struct mk {
	const char *dn[8];		/* "C=JP" style pairs in ASN.1 order, NULL-terminated */
	bool ca;
	const char *eku[4];		/* NULL-terminated; empty: no extension */
	unsigned ku;			/* 0: no extension */
	const char *dns, *email, *ip;	/* one SAN of each kind at most */
	time_t from, to;		/* 0: now - 1 h / now + 1 y */
	gnutls_digest_algorithm_t hash;	/* 0: SHA-256 */
	unsigned rsa_bits;		/* 0: ECDSA P-256 */
	uint8_t serial;			/* 0: 1 */
};

static const char *oid_of(const char *name)
{
	if (!strcmp(name, "C"))
		return GNUTLS_OID_X520_COUNTRY_NAME;
	if (!strcmp(name, "O"))
		return GNUTLS_OID_X520_ORGANIZATION_NAME;
	if (!strcmp(name, "OU"))
		return GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME;
	return GNUTLS_OID_X520_COMMON_NAME;
}

/* Signed by (issuer, ikey), or self-signed when issuer is NULL. Key in *key_out. */
static inline gnutls_x509_crt_t fx_make(const struct mk *m, gnutls_x509_crt_t issuer, gnutls_x509_privkey_t ikey,
				 gnutls_x509_privkey_t *key_out)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t c;
	time_t now = time(NULL);
	ck_assert_int_ge(gnutls_x509_privkey_init(&key), 0);
	if (m->rsa_bits)
		ck_assert_int_ge(gnutls_x509_privkey_generate(key, GNUTLS_PK_RSA, m->rsa_bits, 0), 0);
	else
		ck_assert_int_ge(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
							      GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	ck_assert_int_ge(gnutls_x509_crt_init(&c), 0);
	uint8_t serial = m->serial ? m->serial : 1;
	ck_assert_int_ge(gnutls_x509_crt_set_version(c, 3), 0);
	ck_assert_int_ge(gnutls_x509_crt_set_serial(c, &serial, 1), 0);
	for (size_t i = 0; m->dn[i]; i++) {
		char name[16];
		const char *eq = strchr(m->dn[i], '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq - m->dn[i]), m->dn[i]);
		ck_assert_int_ge(gnutls_x509_crt_set_dn_by_oid(c, oid_of(name), 0, eq + 1, (unsigned)strlen(eq + 1)), 0);
	}
	ck_assert_int_ge(gnutls_x509_crt_set_key(c, key), 0);
	ck_assert_int_ge(gnutls_x509_crt_set_activation_time(c, m->from ? m->from : now - 3600), 0);
	ck_assert_int_ge(gnutls_x509_crt_set_expiration_time(c, m->to ? m->to : now + 365 * 86400), 0);
	ck_assert_int_ge(gnutls_x509_crt_set_basic_constraints(c, m->ca, -1), 0);
	if (m->ku)
		ck_assert_int_ge(gnutls_x509_crt_set_key_usage(c, m->ku), 0);
	for (size_t i = 0; m->eku[i]; i++)
		ck_assert_int_ge(gnutls_x509_crt_set_key_purpose_oid(c, m->eku[i], 0), 0);
	if (m->dns)
		ck_assert_int_ge(gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_DNSNAME, m->dns, (unsigned)strlen(m->dns),
								      GNUTLS_FSAN_APPEND), 0);
	if (m->email)
		ck_assert_int_ge(gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_RFC822NAME, m->email,
								      (unsigned)strlen(m->email), GNUTLS_FSAN_APPEND), 0);
	if (m->ip) {
		uint8_t a[16];
		unsigned l = inet_pton(AF_INET, m->ip, a) == 1 ? 4 : 16;
		if (l == 16)
			ck_assert_int_eq(inet_pton(AF_INET6, m->ip, a), 1);
		ck_assert_int_ge(gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_IPADDRESS, a, l, GNUTLS_FSAN_APPEND), 0);
	}
	uint8_t kid[64];
	size_t kl = sizeof(kid);
	ck_assert_int_ge(gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA1, kid, &kl), 0);
	ck_assert_int_ge(gnutls_x509_crt_set_subject_key_id(c, kid, kl), 0);
	gnutls_digest_algorithm_t h = m->hash ? m->hash : GNUTLS_DIG_SHA256;
	int rc = gnutls_x509_crt_sign2(c, issuer ? issuer : c, issuer ? ikey : key, h, 0);
	ck_assert_msg(rc >= 0, "sign: %s", gnutls_strerror(rc));
	/* parsed back from DER: what a peer would send */
	gnutls_datum_t der;
	ck_assert_int_ge(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &der), 0);
	gnutls_x509_crt_deinit(c);
	ck_assert_int_eq(cert_from_der(der.data, der.size, &c), 0);
	gnutls_free(der.data);
	if (key_out)
		*key_out = key;
	else
		gnutls_x509_privkey_deinit(key);
	return c;
}

/* A self-signed CA "C=JP, O=<org>, CN=<cn>". */
static inline gnutls_x509_crt_t fx_make_ca(const char *org, const char *cn, gnutls_x509_privkey_t *key)
{
	char o[64], n[64];
	snprintf(o, sizeof(o), "O=%s", org);
	snprintf(n, sizeof(n), "CN=%s", cn);
	struct mk m = { .dn = { "C=JP", o, n }, .ca = true, .ku = GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN };
	return fx_make(&m, NULL, NULL, key);
}

static inline void fx_write_pem(const char *path, gnutls_x509_crt_t c, gnutls_x509_privkey_t key)
{
	FILE *fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	gnutls_datum_t dt;
	if (c) {
		ck_assert_int_ge(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_PEM, &dt), 0);
		fwrite(dt.data, 1, dt.size, fp);
		gnutls_free(dt.data);
	}
	if (key) {
		ck_assert_int_ge(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &dt), 0);
		fwrite(dt.data, 1, dt.size, fp);
		gnutls_free(dt.data);
	}
	ck_assert_int_eq(fclose(fp), 0);
}

/* Entries of a directory (not . and ..), -1 if it does not exist. */
static inline int fx_count(const char *dir)
{
	DIR *dh = opendir(dir);
	if (!dh)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(dh)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(dh);
	return n;
}

static inline int fx_count_certs_cb(const struct store_cert *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static inline int fx_count_certs(struct fx *f)
{
	int n = 0;
	ck_assert_int_eq(store_cert_foreach(f->st, fx_count_certs_cb, &n), 0);
	return n;
}

#endif
