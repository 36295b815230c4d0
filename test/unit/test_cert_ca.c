/* SPDX-License-Identifier: MIT */
/*
 * test_cert_ca.c - the built-in CA and its state: the store's v2 calls,
 * ca_create / issue / revoke / CRL / import with the certificate profiles
 * the clients demand, and every bad input leaving nothing behind (no row,
 * no key file, no consumed CRL number).
 */
#include <sys/stat.h>

#include "cert_fixture.h"

static struct fx f;

static void setup(void)
{
	fx_init(&f);
	tu_log_start();
}

static void teardown(void)
{
	tu_log_stop();
	fx_free(&f);
}

static char *keys_dir(void)
{
	static char buf[600];
	snprintf(buf, sizeof(buf), "%s/" CA_KEYS_DIR, f.state);
	return buf;
}

static bool has_eku(gnutls_x509_crt_t c, const char *oid)
{
	for (unsigned i = 0;; i++) {
		char buf[128];
		size_t l = sizeof(buf);
		if (gnutls_x509_crt_get_key_purpose_oid(c, i, buf, &l, NULL) < 0)
			return false;
		if (!strcmp(buf, oid))
			return true;
	}
}

static int san_count(gnutls_x509_crt_t c, int type, const char *text)
{
	int n = 0;
	for (unsigned i = 0;; i++) {
		char buf[256];
		size_t l = sizeof(buf) - 1;
		int t = gnutls_x509_crt_get_subject_alt_name(c, i, buf, &l, NULL);
		if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return n;
		if (t != type)
			continue;
		if (type == GNUTLS_SAN_IPADDRESS) {
			uint8_t a[16];
			n += inet_pton(AF_INET, text, a) == 1 && l == 4 && !memcmp(a, buf, 4);
		} else {
			buf[l] = '\0';
			n += !strcmp(buf, text);
		}
	}
}

/* ---- store v2 ---------------------------------------------------------------- */

START_TEST(test_store_calls)
{
	struct store_ca ca = { .cert = "x", .cert_len = 1, .key_file = "ca/k", .crl_host = "h", .created = 5 }, got;
	ck_assert_int_eq(store_ca_get(f.st, &got), -ENOENT);
	ck_assert_int_eq(store_ca_put(f.st, &ca), 0);
	ck_assert_int_eq(store_ca_put(f.st, &ca), -EEXIST);
	ck_assert_int_eq(store_ca_get(f.st, &got), 0);
	ck_assert_str_eq(got.key_file, "ca/k");
	ck_assert_str_eq(got.crl_host, "h");
	ck_assert_int_eq(got.crl_number, 0);
	store_ca_clear(&got);
	ck_assert_int_eq(store_ca_crl_number(f.st, 0, 1), 0);
	ck_assert_int_eq(store_ca_crl_number(f.st, 0, 2), -EAGAIN);
	ck_assert_int_eq(store_ca_crl_number(f.st, 1, 1), -EINVAL);

	struct store_cert c = { .name = "a", .role = STORE_ROLE_CLIENT, .origin = STORE_ORIGIN_ISSUED, .serial = "01",
				.subject = "CN=a", .issuer = "CN=ca", .cert = "d", .cert_len = 1 }, out;
	ck_assert_int_eq(store_cert_add(f.st, &c), 0);
	ck_assert_int_eq(store_cert_add(f.st, &c), -EEXIST);
	c.name = "b";	/* same issuer and serial: never twice */
	ck_assert_int_eq(store_cert_add(f.st, &c), -EEXIST);
	c.role = "admin";
	ck_assert_int_eq(store_cert_add(f.st, &c), -EINVAL);
	ck_assert_int_eq(store_cert_revoke(f.st, "zz", 1, 0), -ENOENT);
	ck_assert_int_eq(store_cert_revoke(f.st, "a", 7, 1), 0);
	ck_assert_int_eq(store_cert_revoke(f.st, "a", 8, 1), -EALREADY);
	ck_assert_int_eq(store_cert_get(f.st, "a", &out), 0);
	ck_assert_int_eq(out.revoked, 7);
	ck_assert_int_eq(out.reason, 1);
	store_cert_clear(&out);
	ck_assert_int_eq(store_cert_delete(f.st, "a"), -ENOENT);	/* a revocation is kept */
	ck_assert_int_eq(fx_count_certs(&f), 1);
}
END_TEST

/* ---- create ------------------------------------------------------------------ */

START_TEST(test_ca_create)
{
	struct ca_create_params p = { .cn = "VPN Root CA", .country = "JP", .crl_host = "vpn.example.com", .days = 3650,
				      .key = CERT_KEY_RSA2048 };
	ck_assert_int_eq(ca_create(f.state, f.st, &p, &f.d), 0);
	struct ca_ctx ca;
	ck_assert_int_eq(ca_open(&ca, f.state, f.st, true, NULL, &f.d), 0);
	ck_assert_str_eq(ca.subject, "C=JP, CN=VPN Root CA");
	ck_assert_str_eq(ca.crl_host, "vpn.example.com");
	unsigned is_ca = 0, ku = 0, crit = 0;
	int pathlen = -2;
	ck_assert_int_ge(gnutls_x509_crt_get_basic_constraints(ca.crt, &crit, &is_ca, &pathlen), 0);
	ck_assert(is_ca && crit);
	ck_assert_int_eq(pathlen, 0);
	ck_assert_int_ge(gnutls_x509_crt_get_key_usage(ca.crt, &ku, &crit), 0);
	ck_assert_uint_eq(ku, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN);
	unsigned bits = 0;
	ck_assert_int_eq(gnutls_x509_crt_get_pk_algorithm(ca.crt, &bits), GNUTLS_PK_RSA);
	ck_assert_uint_eq(bits, 2048);
	time_t na = gnutls_x509_crt_get_expiration_time(ca.crt), nb = gnutls_x509_crt_get_activation_time(ca.crt);
	ck_assert_int_le(labs((long)(na - time(NULL)) - 3650L * 86400), 5);
	ck_assert_int_lt(nb, time(NULL) - 3600);	/* backdated for clients with lagging clocks */
	unsigned status;
	ck_assert_int_ge(gnutls_x509_crt_verify(ca.crt, &ca.crt, 1, 0, &status), 0);
	ck_assert_uint_eq(status, 0);
	ca_close(&ca);

	/* the key file: 0600 in a 0700 directory */
	char path[700];
	snprintf(path, sizeof(path), "%s/" CA_DIR, f.state);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(fx_count(path), 2);	/* the key and keys/ */
	ck_assert_int_eq(stat(keys_dir(), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);

	/* a second CA: refused, nothing added */
	ck_assert_int_eq(ca_create(f.state, f.st, &p, &f.d), -EEXIST);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "a CA exists already", "C=JP, CN=VPN Root CA", NULL));
	ck_assert_int_eq(fx_count(path), 2);
}
END_TEST

START_TEST(test_ca_bad_params)
{
	struct ca_create_params p = { .cn = "", .days = 10 };
	ck_assert_int_eq(ca_create(f.state, f.st, &p, &f.d), -EINVAL);
	p.cn = "x";
	p.country = "Japan";
	ck_assert_int_eq(ca_create(f.state, f.st, &p, &f.d), -EINVAL);
	p.country = NULL;
	p.days = 0;
	ck_assert_int_eq(ca_create(f.state, f.st, &p, &f.d), -EINVAL);
	struct store_ca got;
	ck_assert_int_eq(store_ca_get(f.st, &got), -ENOENT);
	char path[700];
	snprintf(path, sizeof(path), "%s/" CA_DIR, f.state);
	ck_assert_int_eq(fx_count(path), -1);
}
END_TEST

START_TEST(test_ca_passphrase)
{
	struct ca_create_params p = { .cn = "VPN Root CA", .days = 30, .key = CERT_KEY_ECDSA_P256, .passphrase = "open sesame" };
	ck_assert_int_eq(ca_create(f.state, f.st, &p, &f.d), 0);
	char path[700], buf[4096];
	snprintf(path, sizeof(path), "%s/" CA_DIR, f.state);
	struct ca_ctx ca;
	ck_assert_int_eq(ca_open(&ca, f.state, f.st, true, NULL, &f.d), -EACCES);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "protected by a passphrase", "--ca-passphrase-file", NULL));
	diag_clear(&f.d);
	ck_assert_int_eq(ca_open(&ca, f.state, f.st, true, "open says me", &f.d), -EACCES);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "wrong passphrase", "CA key", NULL));
	diag_clear(&f.d);
	/* without the key (listing, exporting the certificate) no passphrase is needed */
	ck_assert_int_eq(ca_open(&ca, f.state, f.st, false, NULL, &f.d), 0);
	ca_close(&ca);
	ck_assert_int_eq(ca_open(&ca, f.state, f.st, true, "open sesame", &f.d), 0);
	ck_assert(ca.key_encrypted);
	ca_close(&ca);
	/* the file really is encrypted */
	struct store_ca row;
	ck_assert_int_eq(store_ca_get(f.st, &row), 0);
	snprintf(path, sizeof(path), "%s/%s", f.state, row.key_file);
	FILE *fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(buf, "ENCRYPTED PRIVATE KEY"));
	store_ca_clear(&row);
}
END_TEST

/* ---- issue -------------------------------------------------------------------- */

START_TEST(test_issue_profiles)
{
	fx_ca(&f, "JP", "Example Inc.", "vpn.example.com");
	const char *sans[] = { "ip:198.51.100.1", "dns:vpn2.example.com" };
	gnutls_x509_crt_t s = fx_issue(&f, "server", KANMON_CERT_SERVER, "vpn.example.com", sans, 2, NULL);
	char dn[CERT_DN_MAX];
	cert_subject_text(s, dn, sizeof(dn));
	ck_assert_str_eq(dn, "C=JP, O=Example Inc., CN=vpn.example.com");	/* C and O from the CA */
	ck_assert_int_eq(san_count(s, GNUTLS_SAN_DNSNAME, "vpn.example.com"), 1);
	ck_assert_int_eq(san_count(s, GNUTLS_SAN_DNSNAME, "vpn2.example.com"), 1);
	ck_assert_int_eq(san_count(s, GNUTLS_SAN_IPADDRESS, "198.51.100.1"), 1);
	ck_assert_int_eq(san_count(s, GNUTLS_SAN_DNSNAME, "198.51.100.1"), 1);	/* Windows 13801 */
	ck_assert(has_eku(s, "1.3.6.1.5.5.7.3.1"));
	ck_assert(has_eku(s, "1.3.6.1.5.5.8.2.2"));
	ck_assert(has_eku(s, "1.3.6.1.5.5.7.3.17"));
	ck_assert(!has_eku(s, "1.3.6.1.5.5.7.3.2"));
	unsigned ku = 0, is_ca = 1;
	ck_assert_int_ge(gnutls_x509_crt_get_key_usage(s, &ku, NULL), 0);
	ck_assert(ku & GNUTLS_KEY_DIGITAL_SIGNATURE);
	ck_assert_int_ge(gnutls_x509_crt_get_basic_constraints(s, NULL, &is_ca, NULL), 0);
	ck_assert(!is_ca);
	ck_assert(gnutls_x509_crt_check_issuer(s, f.ca.crt));	/* directly by the root */
	char crl[300];
	size_t cl = sizeof(crl);
	ck_assert_int_lt(gnutls_x509_crt_get_crl_dist_points(s, 0, crl, &cl, NULL, NULL), 0);
	ck_assert_msg(cert_check_server(s, "s", "vpn.example.com", 1, time(NULL), &f.d) == 0, "%s", tu_diag_dump(&f.d));
	ck_assert_msg(cert_check_server(s, "s", "198.51.100.1", 1, time(NULL), &f.d) == 1, "only the CN differs: %s",
		      tu_diag_dump(&f.d));
	diag_clear(&f.d);
	gnutls_x509_crt_deinit(s);

	gnutls_x509_crt_t c = fx_issue(&f, "user1", KANMON_CERT_CLIENT, "user1@vpn.example.com", NULL, 0, NULL);
	ck_assert_int_eq(san_count(c, GNUTLS_SAN_RFC822NAME, "user1@vpn.example.com"), 1);
	ck_assert(has_eku(c, "1.3.6.1.5.5.7.3.2"));
	ck_assert(!has_eku(c, "1.3.6.1.5.5.7.3.1"));
	cl = sizeof(crl);
	ck_assert_int_ge(gnutls_x509_crt_get_crl_dist_points(c, 0, crl, &cl, NULL, NULL), 0);
	ck_assert_str_eq(crl, "http://vpn.example.com/kanmon.crl");
	gnutls_x509_crt_deinit(c);

	/* rows and key files */
	struct store_cert e;
	ck_assert_int_eq(store_cert_get(f.st, "server", &e), 0);
	ck_assert_str_eq(e.role, STORE_ROLE_SERVER);
	ck_assert_str_eq(e.issuer, "C=JP, O=Example Inc., CN=VPN Root CA");
	ck_assert_uint_eq(strlen(e.serial), 32);
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", f.state, e.key_file);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	store_cert_clear(&e);
	ck_assert_int_eq(fx_count(keys_dir()), 2);
}
END_TEST

START_TEST(test_issue_bad_input)
{
	fx_ca(&f, "JP", NULL, NULL);
	gnutls_x509_crt_deinit(fx_issue(&f, "user1", KANMON_CERT_CLIENT, "user1@x", NULL, 0, NULL));
	struct ca_issue_params p = { .name = "user1", .role = KANMON_CERT_CLIENT, .cn = "a@b", .days = 10 };
	struct ca_issued is;
	ck_assert_int_eq(ca_issue_prepare(&f.ca, &p, &is, &f.d), -EEXIST);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "named user1 exists already", NULL));
	p.name = "ca";
	ck_assert_int_eq(ca_issue_prepare(&f.ca, &p, &is, &f.d), -EINVAL);
	p.name = "../x";
	ck_assert_int_eq(ca_issue_prepare(&f.ca, &p, &is, &f.d), -EINVAL);
	p.name = "ok";
	const char *bad[] = { "url:http://x" };
	p.sans = bad;
	p.n_sans = 1;
	ck_assert_int_eq(ca_issue_prepare(&f.ca, &p, &is, &f.d), -EINVAL);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "--san url:http://x", "dns:NAME", NULL));
	const char *badip[] = { "ip:300.1.1.1" };
	p.sans = badip;
	ck_assert_int_eq(ca_issue_prepare(&f.ca, &p, &is, &f.d), -EINVAL);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "300.1.1.1", "not an IPv4 or IPv6 address", NULL));
	ck_assert_int_eq(fx_count_certs(&f), 1);
	ck_assert_int_eq(fx_count(keys_dir()), 1);

	/* two kanmonctl issuing the same name at once: the loser leaves no key file */
	struct ca_issued a, b;
	p = (struct ca_issue_params){ .name = "race", .role = KANMON_CERT_CLIENT, .cn = "r@x", .days = 10 };
	ck_assert_int_eq(ca_issue_prepare(&f.ca, &p, &a, &f.d), 0);
	ck_assert_int_eq(ca_issue_prepare(&f.ca, &p, &b, &f.d), 0);
	ck_assert_int_eq(ca_issue_commit(&f.ca, &a, &f.d), 0);
	ck_assert_int_eq(ca_issue_commit(&f.ca, &b, &f.d), -EEXIST);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "at the same time", NULL));
	ck_assert_int_eq(fx_count(keys_dir()), 2);
	/* undo takes row and key back (a bundle that could not be written) */
	ck_assert_int_eq(ca_issue_undo(&f.ca, &a), 0);
	ck_assert_int_eq(fx_count(keys_dir()), 1);
	ck_assert_int_eq(fx_count_certs(&f), 1);
	ca_issued_clear(&a);
	ca_issued_clear(&b);

	/* keys/ is not a directory: the issue fails before any row exists */
	char path[700];
	ck_assert_int_eq(tu_rmrf(keys_dir()), 0);
	snprintf(path, sizeof(path), "%s", keys_dir());
	FILE *fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	p.name = "late";
	ck_assert_int_eq(ca_issue_prepare(&f.ca, &p, &a, &f.d), 0);
	ck_assert_int_lt(ca_issue_commit(&f.ca, &a, &f.d), 0);
	ca_issued_clear(&a);
	ck_assert_int_eq(fx_count_certs(&f), 1);
}
END_TEST

/* An expired CA in the store (as years later): nothing is issued or signed with it. */
START_TEST(test_expired_ca)
{
	gnutls_x509_privkey_t key;
	struct mk m = { .dn = { "C=JP", "CN=Old CA" }, .ca = true, .ku = GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN,
			.from = time(NULL) - 400 * 86400, .to = time(NULL) - 86400 };
	gnutls_x509_crt_t crt = fx_make(&m, NULL, NULL, &key);
	gnutls_datum_t der, pem;
	ck_assert_int_ge(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der), 0);
	ck_assert_int_eq(cert_export_key(key, NULL, &pem), 0);
	char path[700];
	struct cert_owner none = { 0 };
	ck_assert_int_eq(ca_prepare_dirs(f.state, &none, &f.d), 0);
	snprintf(path, sizeof(path), "%s/" CA_DIR "/old.key", f.state);
	ck_assert_int_eq(cert_write_atomic(path, pem.data, pem.size, 0600, NULL, &f.d), 0);
	struct store_ca row = { .cert = der.data, .cert_len = der.size, .key_file = CA_DIR "/old.key", .created = 1 };
	ck_assert_int_eq(store_ca_put(f.st, &row), 0);
	gnutls_free(der.data);
	gnutls_free(pem.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);

	ck_assert_int_eq(ca_open(&f.ca, f.state, f.st, true, NULL, &f.d), 0);
	f.ca_open = true;
	struct ca_issue_params p = { .name = "late", .role = KANMON_CERT_CLIENT, .cn = "a@b", .days = 10 };
	struct ca_issued is;
	ck_assert_int_eq(ca_issue_prepare(&f.ca, &p, &is, &f.d), -EKEYEXPIRED);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "CA certificate", "expired on", "create a new CA", NULL));
	int64_t number;
	size_t entries;
	snprintf(path, sizeof(path), "%s/x.crl", f.dir);
	ck_assert_int_eq(ca_crl_export(&f.ca, path, CERT_FMT_DER, 30, &number, &entries, &f.d), -EKEYEXPIRED);
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_int_eq(fx_count_certs(&f), 0);
	ck_assert_int_eq(fx_count(keys_dir()), 0);
}
END_TEST

/* ---- revoke, CRL --------------------------------------------------------------- */

START_TEST(test_revoke_crl)
{
	fx_ca(&f, "JP", NULL, NULL);
	gnutls_x509_crt_t c1 = fx_issue(&f, "user1", KANMON_CERT_CLIENT, "user1@x", NULL, 0, NULL);
	gnutls_x509_crt_deinit(fx_issue(&f, "user2", KANMON_CERT_CLIENT, "user2@x", NULL, 0, NULL));
	ck_assert_int_eq(ca_revoke(f.st, "user1", ca_reason_parse("keyCompromise"), &f.d), 0);
	ck_assert_int_eq(ca_revoke(f.st, "user1", 0, &f.d), -EALREADY);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "user1 was revoked already on", NULL));
	ck_assert_int_eq(ca_revoke(f.st, "nobody", 0, &f.d), -ENOENT);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "no certificate named nobody", NULL));
	ck_assert_int_eq(ca_revoke(f.st, "ca", 0, &f.d), -EINVAL);
	ck_assert_int_eq(ca_reason_parse("removeFromCRL"), -EINVAL);
	ck_assert_str_eq(ca_reason_name(1), "keyCompromise");

	char path[700];
	int64_t number = 0;
	size_t entries = 0;
	snprintf(path, sizeof(path), "%s/kanmon.crl", f.dir);
	ck_assert_int_eq(ca_crl_export(&f.ca, path, CERT_FMT_DER, 30, &number, &entries, &f.d), 0);
	ck_assert_int_eq(number, 1);
	ck_assert_uint_eq(entries, 1);
	ck_assert_int_eq(ca_crl_export(&f.ca, path, CERT_FMT_PEM, 7, &number, &entries, &f.d), 0);
	ck_assert_int_eq(number, 2);

	struct cert_bundle b;
	ck_assert_int_eq(cert_bundle_load(path, NULL, &b, &f.d), 0);
	ck_assert_uint_eq(b.n_crls, 1);
	unsigned status = 1;
	ck_assert_int_ge(gnutls_x509_crl_verify(b.crls[0], &f.ca.crt, 1, 0, &status), 0);
	ck_assert_uint_eq(status, 0);
	ck_assert_int_eq(gnutls_x509_crt_check_revocation(c1, b.crls, 1), 1);
	uint8_t num[8];
	size_t nl = sizeof(num);
	ck_assert_int_ge(gnutls_x509_crl_get_number(b.crls[0], num, &nl, NULL), 0);
	ck_assert_uint_eq(nl, 1);
	ck_assert_int_eq(num[0], 2);
	time_t next = gnutls_x509_crl_get_next_update(b.crls[0]);
	ck_assert_int_le(labs((long)(next - time(NULL)) - 7L * 86400), 5);
	cert_bundle_clear(&b);
	gnutls_x509_crt_deinit(c1);

	/* an unwritable destination: no file, and the CRL number is not used up */
	ck_assert_int_lt(ca_crl_export(&f.ca, "/proc/kanmon.crl", CERT_FMT_DER, 30, &number, &entries, &f.d), 0);
	struct store_ca row;
	ck_assert_int_eq(store_ca_get(f.st, &row), 0);
	ck_assert_int_eq(row.crl_number, 2);
	store_ca_clear(&row);
}
END_TEST

/* ---- import ------------------------------------------------------------------ */

START_TEST(test_import)
{
	gnutls_x509_privkey_t ck, sk, other;
	gnutls_x509_crt_t corp = fx_make_ca("Other Corp", "Other CA", &ck);
	struct mk m = { .dn = { "CN=vpn.example.com" }, .dns = "vpn.example.com", .eku = { "1.3.6.1.5.5.7.3.1" },
			.serial = 9 };
	gnutls_x509_crt_t srv = fx_make(&m, corp, ck, &sk);
	struct mk m2 = { .dn = { "CN=x" } };
	gnutls_x509_crt_t junk = fx_make(&m2, NULL, NULL, &other);
	char cp[700], kp[700], op[700], cap[700], role[16];
	snprintf(cp, sizeof(cp), "%s/srv.pem", f.dir);
	snprintf(kp, sizeof(kp), "%s/srv.key", f.dir);
	snprintf(op, sizeof(op), "%s/other.key", f.dir);
	snprintf(cap, sizeof(cap), "%s/corp.pem", f.dir);
	fx_write_pem(cp, srv, NULL);
	fx_write_pem(kp, NULL, sk);
	fx_write_pem(op, NULL, other);
	fx_write_pem(cap, corp, NULL);

	/* a certificate that does not match its key: refused, nothing stored */
	struct ca_import_params p = { .name = "ext", .cert_file = cp, .key_file = op };
	ck_assert_int_eq(ca_import(f.state, f.st, &p, role, sizeof(role), &f.d), -EINVAL);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "does not belong to the certificate", NULL));
	ck_assert_int_eq(fx_count_certs(&f), 0);
	ck_assert_int_le(fx_count(keys_dir()), 0);
	/* a server certificate without its key */
	p.key_file = NULL;
	ck_assert_int_eq(ca_import(f.state, f.st, &p, role, sizeof(role), &f.d), -EINVAL);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "needs its private key", NULL));

	p.key_file = kp;
	ck_assert_int_eq(ca_import(f.state, f.st, &p, role, sizeof(role), &f.d), 0);
	ck_assert_str_eq(role, "server");
	ck_assert_int_eq(fx_count(keys_dir()), 1);
	ck_assert_int_eq(ca_import(f.state, f.st, &p, role, sizeof(role), &f.d), -EEXIST);
	p.name = "ext2";	/* the very same certificate under another name */
	ck_assert_int_eq(ca_import(f.state, f.st, &p, role, sizeof(role), &f.d), -EEXIST);
	ck_assert_int_eq(fx_count(keys_dir()), 1);

	struct ca_import_params pc = { .name = "corp", .cert_file = cap };
	ck_assert_int_eq(ca_import(f.state, f.st, &pc, role, sizeof(role), &f.d), 0);
	ck_assert_str_eq(role, "ca");

	/* PKCS#12 with its passphrase */
	gnutls_datum_t p12;
	ck_assert_int_eq(cert_export_p12(junk, other, NULL, "x", "pw", &p12, &f.d), 0);
	snprintf(cp, sizeof(cp), "%s/x.p12", f.dir);
	FILE *fp = fopen(cp, "wb");
	fwrite(p12.data, 1, p12.size, fp);
	fclose(fp);
	gnutls_free(p12.data);
	struct ca_import_params pp = { .name = "p12", .cert_file = cp, .passphrase = "bad" };
	ck_assert_int_eq(ca_import(f.state, f.st, &pp, role, sizeof(role), &f.d), -EACCES);
	pp.passphrase = "pw";
	ck_assert_int_eq(ca_import(f.state, f.st, &pp, role, sizeof(role), &f.d), 0);
	ck_assert_str_eq(role, "client");
	ck_assert_int_eq(fx_count_certs(&f), 3);

	gnutls_x509_crt_deinit(corp);
	gnutls_x509_crt_deinit(srv);
	gnutls_x509_crt_deinit(junk);
	gnutls_x509_privkey_deinit(ck);
	gnutls_x509_privkey_deinit(sk);
	gnutls_x509_privkey_deinit(other);
}
END_TEST

START_TEST(test_load_entry)
{
	fx_ca(&f, NULL, NULL, NULL);
	gnutls_x509_crt_deinit(fx_issue(&f, "user1", KANMON_CERT_CLIENT, "user1@x", NULL, 0, NULL));
	struct store_cert e;
	ck_assert_int_eq(store_cert_get(f.st, "user1", &e), 0);
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
	ck_assert_int_eq(ca_load_entry(&f.ca, &e, &crt, &key, &f.d), 0);
	ck_assert(cert_key_matches(crt, key));
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	/* a key file replaced by another key: noticed */
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", f.state, e.key_file);
	gnutls_x509_privkey_t other;
	ck_assert_int_eq(cert_key_generate(CERT_KEY_ECDSA_P256, &other), 0);
	fx_write_pem(path, NULL, other);
	gnutls_x509_privkey_deinit(other);
	ck_assert_int_eq(ca_load_entry(&f.ca, &e, &crt, &key, &f.d), -EUCLEAN);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "does not belong to its certificate", NULL));
	store_cert_clear(&e);
}
END_TEST

static Suite *ca_suite(void)
{
	Suite *s = suite_create("cert_ca");
	TCase *tc = tcase_create("ca");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_store_calls);
	tcase_add_test(tc, test_ca_create);
	tcase_add_test(tc, test_ca_bad_params);
	tcase_add_test(tc, test_ca_passphrase);
	tcase_add_test(tc, test_issue_profiles);
	tcase_add_test(tc, test_issue_bad_input);
	tcase_add_test(tc, test_expired_ca);
	tcase_add_test(tc, test_revoke_crl);
	tcase_add_test(tc, test_import);
	tcase_add_test(tc, test_load_entry);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ca_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
