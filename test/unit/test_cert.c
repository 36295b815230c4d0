/* SPDX-License-Identifier: MIT */
/*
 * test_cert.c - the certstore's pure parts: DN text, IKE identities and
 * their matching (seed B's wildcard DN), loading every file format with and
 * without passphrases, PKCS#12 and atomic writes, the server-certificate
 * checks and the client profile generators.
 */
#include <fcntl.h>

#include "bundle.h"
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

static gnutls_x509_crt_t subject_cert(const char *const *dn, const char *dns, const char *email, const char *ip)
{
	struct mk m = { .dns = dns, .email = email, .ip = ip };
	for (size_t i = 0; dn[i]; i++)
		m.dn[i] = dn[i];
	return fx_make(&m, NULL, NULL, NULL);
}

/* ---- DNs and identities ---------------------------------------------------- */

START_TEST(test_dn_text)
{
	const char *dn[] = { "C=JP", "O=Example Inc.", "CN=user1@vpn.example.com", NULL };
	gnutls_x509_crt_t c = subject_cert(dn, NULL, NULL, NULL);
	char buf[CERT_DN_MAX];
	ck_assert_int_eq(cert_subject_text(c, buf, sizeof(buf)), 0);
	/* ASN.1 order, strongSwan style: what operators write their rules against */
	ck_assert_str_eq(buf, "C=JP, O=Example Inc., CN=user1@vpn.example.com");
	ck_assert_int_eq(cert_cn(c, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "user1@vpn.example.com");
	gnutls_x509_crt_deinit(c);

	const char *comma[] = { "C=JP", "O=Example, Inc.", "CN=a\\b", NULL };
	c = subject_cert(comma, NULL, NULL, NULL);
	ck_assert_int_eq(cert_subject_text(c, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "C=JP, O=Example\\, Inc., CN=a\\\\b");
	/* too small a buffer is an error, never a cut DN that might match a rule */
	ck_assert_int_eq(cert_subject_text(c, buf, 10), -ENOSPC);
	gnutls_x509_crt_deinit(c);
}
END_TEST

START_TEST(test_id_from_text)
{
	struct cert_id id;
	char buf[256];
	ck_assert_int_eq(cert_id_from_text("192.0.2.66", &id), 0);
	ck_assert_int_eq(id.id.type, KANMON_ID_IPV4_ADDR);
	ck_assert_uint_eq(id.id.len, 4);
	ck_assert_int_eq(cert_id_from_text("2001:db8::1", &id), 0);
	ck_assert_int_eq(id.id.type, KANMON_ID_IPV6_ADDR);
	ck_assert_int_eq(cert_id_text(&id.id, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "2001:db8::1");
	ck_assert_int_eq(cert_id_from_text("user1@vpn.example.com", &id), 0);
	ck_assert_int_eq(id.id.type, KANMON_ID_RFC822_ADDR);
	ck_assert_int_eq(cert_id_from_text("vpn.example.com", &id), 0);
	ck_assert_int_eq(id.id.type, KANMON_ID_FQDN);
	ck_assert_int_eq(cert_id_from_text("C=JP, O=Example Inc., CN=phone", &id), 0);
	ck_assert_int_eq(id.id.type, KANMON_ID_DER_ASN1_DN);
	ck_assert_int_eq(cert_id_text(&id.id, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "C=JP, O=Example Inc., CN=phone");
	/* OpenSSL's slash form and long names mean the same DN */
	ck_assert_int_eq(cert_id_from_text("/C=JP/organizationName=Example Inc./CN=phone", &id), 0);
	ck_assert_int_eq(cert_id_text(&id.id, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "C=JP, O=Example Inc., CN=phone");
	ck_assert_int_eq(cert_id_from_text("XX=1, CN=y", &id), -EINVAL);
	ck_assert_int_eq(cert_id_from_text("", &id), -EINVAL);
}
END_TEST

START_TEST(test_has_id)
{
	const char *dn[] = { "C=JP", "O=Example Inc.", "CN=phone", NULL };
	gnutls_x509_crt_t c = subject_cert(dn, "*.vpn.example.com", "user1@example.com", "198.51.100.1");
	struct cert_id id;
	ck_assert_int_eq(cert_id_from_text("C=JP, O=Example Inc., CN=phone", &id), 0);
	ck_assert(cert_has_id(c, &id.id));
	ck_assert_int_eq(cert_id_from_text("c=jp, o=EXAMPLE INC., cn=PHONE", &id), 0);
	ck_assert_msg(cert_has_id(c, &id.id), "DN comparison ignores case and string types");
	ck_assert_int_eq(cert_id_from_text("C=JP, O=Example Inc., CN=other", &id), 0);
	ck_assert(!cert_has_id(c, &id.id));
	ck_assert_int_eq(cert_id_from_text("a.vpn.example.com", &id), 0);
	ck_assert_msg(cert_has_id(c, &id.id), "a wildcard SAN covers one label");
	ck_assert_int_eq(cert_id_from_text("a.b.vpn.example.com", &id), 0);
	ck_assert(!cert_has_id(c, &id.id));
	ck_assert_int_eq(cert_id_from_text("phone", &id), 0);
	ck_assert_msg(!cert_has_id(c, &id.id), "the CN is not a name the certificate carries");
	ck_assert_int_eq(cert_id_from_text("USER1@example.com", &id), 0);
	ck_assert(cert_has_id(c, &id.id));
	ck_assert_int_eq(cert_id_from_text("198.51.100.1", &id), 0);
	ck_assert(cert_has_id(c, &id.id));
	ck_assert_int_eq(cert_id_from_text("198.51.100.2", &id), 0);
	ck_assert(!cert_has_id(c, &id.id));
	gnutls_x509_crt_deinit(c);

	/* Windows-style: the address only as a dNSName */
	c = subject_cert(dn, "198.51.100.1", NULL, NULL);
	ck_assert_int_eq(cert_id_from_text("198.51.100.1", &id), 0);
	ck_assert(cert_has_id(c, &id.id));
	gnutls_x509_crt_deinit(c);
}
END_TEST

START_TEST(test_id_match)
{
	struct cert_id id;
	/* seed B: the server accepts any certificate of the company CA's clients */
	const char *rule = "C=JP, O=Example Inc., CN=*";
	ck_assert_int_eq(cert_id_from_text("C=JP, O=Example Inc., CN=user1@vpn.example.com", &id), 0);
	ck_assert(cert_id_match(rule, &id.id));
	ck_assert(cert_id_match("CN=*, O=Example Inc., C=JP", &id.id));
	ck_assert(cert_id_match("C=jp, O=example inc., CN=user1@*", &id.id));
	ck_assert(!cert_id_match("C=JP, O=Other, CN=*", &id.id));
	ck_assert(!cert_id_match("C=JP, CN=*", &id.id));
	ck_assert(!cert_id_match("user1@vpn.example.com", &id.id));
	ck_assert(cert_id_match("%any", &id.id));
	ck_assert_int_eq(cert_id_from_text("C=JP, O=Example Inc., OU=Sales, CN=x", &id), 0);
	ck_assert_msg(!cert_id_match(rule, &id.id), "an extra RDN is another DN");

	ck_assert_int_eq(cert_id_from_text("user1@example.com", &id), 0);
	ck_assert(cert_id_match("*@example.com", &id.id));
	ck_assert(cert_id_match("@@user1@example.com", &id.id));
	ck_assert(!cert_id_match("*@example.org", &id.id));
	ck_assert_int_eq(cert_id_from_text("a.example.com", &id), 0);
	ck_assert(cert_id_match("*.example.com", &id.id));
	ck_assert(cert_id_match("@a.example.com", &id.id));
	ck_assert_int_eq(cert_id_from_text("example.com", &id), 0);
	ck_assert(!cert_id_match("*.example.com", &id.id));

	ck_assert_int_eq(cert_id_from_text("192.0.2.66", &id), 0);
	ck_assert(cert_id_match("192.0.2.0/24", &id.id));
	ck_assert(cert_id_match("192.0.2.66", &id.id));
	ck_assert(!cert_id_match("198.51.100.0/24", &id.id));
	ck_assert(!cert_id_match("192.0.2.0/33", &id.id));
	ck_assert_int_eq(cert_id_from_text("2001:db8::5", &id), 0);
	ck_assert(cert_id_match("2001:db8::/32", &id.id));
	ck_assert(!cert_id_match("192.0.2.0/24", &id.id));
}
END_TEST

START_TEST(test_name_ok)
{
	ck_assert(cert_name_ok("user1"));
	ck_assert(cert_name_ok("user1@vpn.example.com"));
	ck_assert(cert_name_ok("a_b-c.d"));
	ck_assert(!cert_name_ok(""));
	ck_assert(!cert_name_ok("../x"));
	ck_assert(!cert_name_ok("a/b"));
	ck_assert(!cert_name_ok("-x"));
	ck_assert(!cert_name_ok("a b"));
	ck_assert(!cert_name_ok("0123456789012345678901234567890123456789012345678901234567890123456789"));
}
END_TEST

/* ---- loading ------------------------------------------------------------------ */

static char *path_in(const char *name)
{
	static char buf[4][600];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", f.dir, name);
	return buf[k];
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(test_load_formats)
{
	gnutls_x509_privkey_t key, other;
	const char *dn[] = { "CN=x", NULL };
	struct mk m = { .dn = { "CN=x" } };
	gnutls_x509_crt_t c = fx_make(&m, NULL, NULL, &key);
	(void)dn;
	struct cert_bundle b;

	/* PEM: certificate and key in one file */
	fx_write_pem(path_in("both.pem"), c, key);
	ck_assert_int_eq(cert_bundle_load(path_in("both.pem"), NULL, &b, &f.d), 0);
	ck_assert_uint_eq(b.n_certs, 1);
	ck_assert_ptr_nonnull(b.key);
	ck_assert(cert_key_matches(b.certs[0], b.key));
	cert_bundle_clear(&b);

	/* DER certificate, DER key */
	gnutls_datum_t dt;
	ck_assert_int_ge(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &dt), 0);
	write_bytes(path_in("c.der"), dt.data, dt.size);
	gnutls_free(dt.data);
	ck_assert_int_eq(cert_bundle_load(path_in("c.der"), NULL, &b, &f.d), 0);
	ck_assert_uint_eq(b.n_certs, 1);
	cert_bundle_clear(&b);
	ck_assert_int_ge(gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_DER, NULL, GNUTLS_PKCS_PLAIN, &dt), 0);
	write_bytes(path_in("k.der"), dt.data, dt.size);
	gnutls_free(dt.data);
	ck_assert_int_eq(cert_bundle_load(path_in("k.der"), NULL, &b, &f.d), 0);
	ck_assert_ptr_nonnull(b.key);
	cert_bundle_clear(&b);

	/* encrypted PKCS#8: right, wrong and missing passphrase */
	ck_assert_int_ge(gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, "s3cret", GNUTLS_PKCS_PBES2_AES_256,
							   &dt), 0);
	write_bytes(path_in("enc.pem"), dt.data, dt.size);
	gnutls_free(dt.data);
	ck_assert_int_eq(cert_bundle_load(path_in("enc.pem"), "s3cret", &b, &f.d), 0);
	ck_assert(cert_key_matches(c, b.key));
	cert_bundle_clear(&b);
	ck_assert_int_eq(cert_bundle_load(path_in("enc.pem"), "wrong", &b, &f.d), -EACCES);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "wrong passphrase", NULL));
	diag_clear(&f.d);
	ck_assert_int_eq(cert_bundle_load(path_in("enc.pem"), NULL, &b, &f.d), -EACCES);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "encrypted", "passphrase file", NULL));
	diag_clear(&f.d);

	/* PKCS#12 */
	gnutls_datum_t p12;
	ck_assert_int_eq(cert_export_p12(c, key, NULL, "x", "pw", &p12, &f.d), 0);
	write_bytes(path_in("x.p12"), p12.data, p12.size);
	gnutls_free(p12.data);
	ck_assert_int_eq(cert_bundle_load(path_in("x.p12"), "pw", &b, &f.d), 0);
	ck_assert_uint_eq(b.n_certs, 1);
	ck_assert(cert_key_matches(b.certs[0], b.key));
	cert_bundle_clear(&b);
	ck_assert_int_eq(cert_bundle_load(path_in("x.p12"), "nope", &b, &f.d), -EACCES);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "x.p12", "wrong passphrase", NULL));
	diag_clear(&f.d);
	ck_assert_int_eq(cert_bundle_load(path_in("x.p12"), NULL, &b, &f.d), -EACCES);
	diag_clear(&f.d);

	/* garbage, empty, missing */
	static const char junk[] = "\x30\x03\x02\x01\x00 not a certificate";
	write_bytes(path_in("junk"), junk, sizeof(junk) - 1);
	ck_assert_int_eq(cert_bundle_load(path_in("junk"), NULL, &b, &f.d), -EINVAL);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "junk", "not a certificate", NULL));
	diag_clear(&f.d);
	write_bytes(path_in("empty"), "", 0);
	ck_assert_int_eq(cert_bundle_load(path_in("empty"), NULL, &b, &f.d), -EINVAL);
	diag_clear(&f.d);
	ck_assert_int_eq(cert_bundle_load(path_in("missing"), NULL, &b, &f.d), -ENOENT);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "missing", "No such file", NULL));
	diag_clear(&f.d);

	/* a key that is not the certificate's */
	gnutls_x509_crt_t c2 = fx_make(&m, NULL, NULL, &other);
	ck_assert(!cert_key_matches(c, other));
	ck_assert(cert_key_matches(c2, other));
	gnutls_x509_crt_deinit(c2);
	gnutls_x509_privkey_deinit(other);
	gnutls_x509_privkey_deinit(key);
	gnutls_x509_crt_deinit(c);
}
END_TEST

START_TEST(test_load_crl)
{
	gnutls_x509_privkey_t ck;
	gnutls_x509_crt_t ca = fx_make_ca("Example Inc.", "Company CA", &ck);
	gnutls_x509_crl_t crl;
	uint8_t serial[] = { 0x42 };
	ck_assert_int_ge(gnutls_x509_crl_init(&crl), 0);
	gnutls_x509_crl_set_version(crl, 2);
	gnutls_x509_crl_set_this_update(crl, time(NULL));
	gnutls_x509_crl_set_next_update(crl, time(NULL) + 86400);
	gnutls_x509_crl_set_crt_serial(crl, serial, 1, time(NULL));
	ck_assert_int_ge(gnutls_x509_crl_sign2(crl, ca, ck, GNUTLS_DIG_SHA256, 0), 0);
	gnutls_datum_t dt;
	for (int pem = 0; pem < 2; pem++) {
		ck_assert_int_ge(gnutls_x509_crl_export2(crl, pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, &dt), 0);
		write_bytes(path_in("x.crl"), dt.data, dt.size);
		gnutls_free(dt.data);
		struct cert_bundle b;
		ck_assert_int_eq(cert_bundle_load(path_in("x.crl"), NULL, &b, &f.d), 0);
		ck_assert_uint_eq(b.n_crls, 1);
		cert_bundle_clear(&b);
	}
	gnutls_x509_crl_deinit(crl);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_privkey_deinit(ck);
}
END_TEST

START_TEST(test_passphrase_file)
{
	char *pass, *p = tu_write_file(f.dir, "p", "secret words\nsecond line\n"), *e = tu_write_file(f.dir, "e", "\n");
	ck_assert_int_eq(cert_passphrase_file(p, &pass, &f.d), 0);
	ck_assert_str_eq(pass, "secret words");
	cert_passphrase_free(pass);
	ck_assert_int_eq(cert_passphrase_file(e, &pass, &f.d), -EINVAL);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "is empty", NULL));
	free(p);
	free(e);
}
END_TEST

/* ---- writing ------------------------------------------------------------------ */

START_TEST(test_p12)
{
	gnutls_x509_privkey_t key, ck, other;
	gnutls_x509_crt_t ca = fx_make_ca("Example Inc.", "VPN Root CA", &ck);
	struct mk m = { .dn = { "CN=user1@vpn.example.com" } };
	gnutls_x509_crt_t c = fx_make(&m, ca, ck, &key);
	gnutls_datum_t p12;
	ck_assert_int_eq(cert_export_p12(c, key, ca, "user1", "pw pw", &p12, &f.d), 0);
	struct cert_bundle b;
	ck_assert_int_eq(cert_bundle_load_mem(&p12, "p12", "pw pw", &b, &f.d), 0);
	ck_assert_uint_eq(b.n_certs, 2);
	ck_assert(gnutls_x509_crt_equals(b.certs[0], c));
	ck_assert(gnutls_x509_crt_equals(b.certs[1], ca));
	ck_assert(cert_key_matches(b.certs[0], b.key));
	cert_bundle_clear(&b);
	gnutls_free(p12.data);
	/* Windows files a PKCS#12 without passphrase in the wrong store: never write one */
	ck_assert_int_eq(cert_export_p12(c, key, ca, "user1", "", &p12, &f.d), -EINVAL);
	struct mk m2 = { .dn = { "CN=x" } };
	gnutls_x509_crt_t c2 = fx_make(&m2, NULL, NULL, &other);
	ck_assert_int_eq(cert_export_p12(c, other, ca, "user1", "pw", &p12, &f.d), -EINVAL);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "does not belong", NULL));
	gnutls_x509_crt_deinit(c2);
	gnutls_x509_privkey_deinit(other);
	gnutls_x509_crt_deinit(c);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_privkey_deinit(key);
	gnutls_x509_privkey_deinit(ck);
}
END_TEST

START_TEST(test_passphrase_uuid_base64)
{
	char p[32], q[32], u[37];
	ck_assert_int_eq(cert_passphrase_new(p, sizeof(p)), 0);
	ck_assert_int_eq(cert_passphrase_new(q, sizeof(q)), 0);
	ck_assert_uint_eq(strlen(p), 23);
	ck_assert_str_ne(p, q);
	for (int i = 0; i < 23; i++)
		ck_assert(i % 6 == 5 ? p[i] == '-' : strchr("abcdefghijkmnpqrstuvwxyz23456789", p[i]) != NULL);
	ck_assert_int_eq(cert_passphrase_new(p, 10), -ENOSPC);
	ck_assert_int_eq(cert_uuid(u), 0);
	ck_assert_uint_eq(strlen(u), 36);
	ck_assert_int_eq(u[14], '4');
	ck_assert(strchr("89AB", u[19]));
	static const char *const v[][2] = { { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
					    { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" } };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *b;
		ck_assert_int_eq(cert_base64(v[i][0], strlen(v[i][0]), &b), 0);
		ck_assert_str_eq(b, v[i][1]);
		free(b);
	}
}
END_TEST

START_TEST(test_atomic_write)
{
	struct stat st;
	const char *p = path_in("secret.key");
	ck_assert_int_eq(cert_write_atomic(p, "abc", 3, 0600, NULL, &f.d), 0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_size, 3);
	/* replaced whole */
	ck_assert_int_eq(cert_write_atomic(p, "defg", 4, 0644, NULL, &f.d), 0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_size, 4);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	int before = fx_count(f.dir);
	/* a directory that is not there: an error, nothing left behind */
	ck_assert_int_lt(cert_write_atomic(path_in("nodir/x"), "a", 1, 0600, NULL, &f.d), 0);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "nodir/x", NULL));
	ck_assert_int_eq(fx_count(f.dir), before);
	/* staged and aborted: nothing left either */
	struct cert_stage sg;
	ck_assert_int_eq(cert_stage_write(&sg, path_in("staged"), "x", 1, 0600, NULL, &f.d), 0);
	ck_assert_int_eq(fx_count(f.dir), before + 1);
	cert_stage_abort(&sg);
	ck_assert_int_eq(fx_count(f.dir), before);
	ck_assert_int_ne(access(path_in("staged"), F_OK), 0);
}
END_TEST

/* ---- server certificate checks ------------------------------------------------- */

#define SERVER_AUTH "1.3.6.1.5.5.7.3.1"
#define IKE_INT "1.3.6.1.5.5.8.2.2"

static struct diag w;

static int check(const struct mk *m, const char *id, int root)
{
	gnutls_x509_crt_t c = fx_make(m, NULL, NULL, NULL);
	diag_clear(&w);
	int n = cert_check_server(c, "server certificate t", id, root, time(NULL), &w);
	gnutls_x509_crt_deinit(c);
	ck_assert_uint_eq((size_t)n, w.n);
	return n;
}

START_TEST(test_checks)
{
	struct mk good = { .dn = { "CN=vpn.example.com" }, .dns = "vpn.example.com", .eku = { SERVER_AUTH, IKE_INT },
			   .ku = GNUTLS_KEY_DIGITAL_SIGNATURE };
	ck_assert_msg(check(&good, "vpn.example.com", 1) == 0, "%s", tu_diag_dump(&w));
	ck_assert_int_eq(check(&good, NULL, 1), 0);

	struct mk m = good;
	m.dns = NULL;
	ck_assert_int_eq(check(&m, "vpn.example.com", 1), 1);
	ck_assert_ptr_nonnull(tu_diag_find(&w, "no subjectAltName DNS:vpn.example.com", "iOS 13+", NULL));

	m = good;
	m.dn[0] = "CN=198.51.100.1";
	m.dns = NULL;
	m.ip = "198.51.100.1";
	ck_assert_int_eq(check(&m, "198.51.100.1", 1), 1);
	ck_assert_ptr_nonnull(tu_diag_find(&w, "DNS:198.51.100.1", "Windows", "13801", NULL));
	m.dns = "198.51.100.1";
	ck_assert_int_eq(check(&m, "198.51.100.1", 1), 0);
	m.ip = NULL;
	ck_assert_int_eq(check(&m, "198.51.100.1", 1), 1);
	ck_assert_ptr_nonnull(tu_diag_find(&w, "IP:198.51.100.1", "iOS", NULL));

	m = good;
	m.eku[0] = NULL;
	ck_assert_int_eq(check(&m, "vpn.example.com", 1), 1);
	ck_assert_ptr_nonnull(tu_diag_find(&w, "no extended key usage", "Windows", "13801", NULL));
	m.eku[0] = "1.3.6.1.5.5.7.3.2";
	ck_assert_int_eq(check(&m, "vpn.example.com", 1), 1);
	ck_assert_ptr_nonnull(tu_diag_find(&w, "lacks the serverAuth", "Windows", NULL));
	m.eku[0] = SERVER_AUTH;
	m.eku[1] = NULL;
	ck_assert_int_eq(check(&m, "vpn.example.com", 1), 1);
	ck_assert_ptr_nonnull(tu_diag_find(&w, "IKE intermediate", "older macOS", NULL));

	ck_assert_int_eq(check(&good, "vpn.example.com", 0), 1);
	ck_assert_ptr_nonnull(tu_diag_find(&w, "intermediate CA", "Android L2TP/IPsec", NULL));
	ck_assert_int_eq(check(&good, "vpn.example.com", -1), 1);

	ck_assert_int_eq(check(&good, "other.example.com", 1), 2);
	ck_assert_ptr_nonnull(tu_diag_find(&w, "CN \"vpn.example.com\", not the server ID other.example.com",
					   "Android L2TP/IPsec", NULL));

	m = good;
	m.ku = GNUTLS_KEY_KEY_ENCIPHERMENT;
	ck_assert_int_eq(check(&m, NULL, 1), 1);
	ck_assert_ptr_nonnull(tu_diag_find(&w, "digitalSignature", NULL));

	m = good;
	m.to = time(NULL) + 5 * 86400;
	ck_assert_int_eq(check(&m, NULL, 1), 1);
	ck_assert_ptr_nonnull(tu_diag_find(&w, "expires on", "renew", NULL));
	m.from = time(NULL) - 10 * 86400;
	m.to = time(NULL) - 86400;
	ck_assert_int_eq(check(&m, NULL, 1), 1);
	ck_assert_ptr_nonnull(tu_diag_find(&w, "expired on", "every client refuses it", NULL));

	m = good;
	m.rsa_bits = 1024;
	ck_assert_int_eq(check(&m, NULL, 1), 1);
	ck_assert_ptr_nonnull(tu_diag_find(&w, "1024-bit RSA", "iOS 13+", NULL));
	diag_clear(&w);
}
END_TEST

/* ---- client profiles ----------------------------------------------------------- */

START_TEST(test_proposals)
{
	struct bundle_proposal p;
	ck_assert_int_eq(bundle_proposal_parse("aes256-sha256-modp2048", &p), 0);
	ck_assert_int_eq(p.enc, BENC_AES256);
	ck_assert_int_eq(p.integ, BINT_SHA256);
	ck_assert_int_eq(p.dh, 14);
	ck_assert_int_eq(bundle_proposal_parse("aes256gcm16-aes128gcm16-prfsha384-ecp384-ecp256", &p), 0);
	ck_assert_int_eq(p.enc, BENC_AES256GCM);
	ck_assert_int_eq(p.integ, BINT_NONE);
	ck_assert_int_eq(p.prf, BINT_SHA384);
	ck_assert_int_eq(p.dh, 20);
	ck_assert_int_eq(bundle_proposal_parse("aes128-sha1", &p), 0);
	ck_assert(!p.dh_given);
	ck_assert_int_eq(bundle_proposal_parse("3des-sha1-modpnone", &p), 0);
	ck_assert(p.dh_given);
	ck_assert_int_eq(p.dh, 0);
	ck_assert_int_eq(bundle_proposal_parse("sha256-modp2048", &p), -EINVAL);
}
END_TEST

static struct bundle_params params(const char *const *ike, size_t n_ike, const char *const *esp, size_t n_esp)
{
	static const uint8_t blob[] = { 1, 2, 3, 4, 5 };
	static const char *const dns[] = { "198.51.100.53" };
	return (struct bundle_params){
		.name = "user1", .server = "vpn.example.com", .local_id = "user1@vpn.example.com", .p12 = blob,
		.p12_len = sizeof(blob), .ca_der = blob, .ca_der_len = sizeof(blob), .ca_cn = "VPN Root CA & Co",
		.ike = ike, .n_ike = n_ike, .esp = esp, .n_esp = n_esp, .dns = dns, .n_dns = 1,
	};
}

START_TEST(test_profiles)
{
	/* curve25519 first: iOS cannot; ECP384 with GCM second: iOS and Windows can */
	static const char *const ike[] = { "aes256-sha256-curve25519", "aes256gcm16-prfsha384-ecp384" };
	static const char *const esp[] = { "chacha20poly1305", "aes256gcm16" };
	struct bundle_params p = params(ike, 2, esp, 2);
	struct sbuf o = { 0 };
	struct diag note = { 0 };
	ck_assert_int_eq(bundle_mobileconfig(&p, &o, &note), 0);
	ck_assert_uint_eq(note.n, 0);
	ck_assert_ptr_nonnull(strstr(o.data, "<string>AES-256-GCM</string>"));
	ck_assert_ptr_nonnull(strstr(o.data, "<string>SHA2-384</string>"));
	ck_assert_ptr_nonnull(strstr(o.data, "<integer>20</integer>"));
	ck_assert_ptr_nonnull(strstr(o.data, "<key>LocalIdentifier</key>\n\t\t\t\t<string>user1@vpn.example.com</string>"));
	ck_assert_ptr_nonnull(strstr(o.data, "VPN Root CA &amp; Co"));
	ck_assert_ptr_nonnull(strstr(o.data, "<string>198.51.100.53</string>"));
	ck_assert_ptr_nonnull(strstr(o.data, "com.apple.security.pkcs12"));
	ck_assert_ptr_nonnull(strstr(o.data, "com.apple.security.root"));
	ck_assert_ptr_null(strstr(o.data, "Password"));
	sbuf_free(&o);

	ck_assert_int_eq(bundle_windows_ps1(&p, &o, &note), 0);
	ck_assert_ptr_nonnull(strstr(o.data, "-EncryptionMethod GCMAES256 -IntegrityCheckMethod SHA384 -DHGroup ECP384"));
	ck_assert_ptr_nonnull(strstr(o.data, "-CipherTransformConstants GCMAES256 -AuthenticationTransformConstants GCMAES256 -PfsGroup None"));
	ck_assert_ptr_nonnull(strstr(o.data, "Cert:\\LocalMachine\\My"));
	ck_assert_ptr_nonnull(strstr(o.data, "Cert:\\LocalMachine\\Root"));
	sbuf_free(&o);

	ck_assert_int_eq(bundle_sswan(&p, &o, &note), 0);
	/* the app speaks strongSwan: the server's first proposals as they are */
	ck_assert_ptr_nonnull(strstr(o.data, "\"ike-proposal\": \"aes256-sha256-curve25519\""));
	ck_assert_ptr_nonnull(strstr(o.data, "\"esp-proposal\": \"chacha20poly1305\""));
	ck_assert_ptr_nonnull(strstr(o.data, "\"type\": \"ikev2-cert\""));
	ck_assert_ptr_nonnull(strstr(o.data, "\"p12\": \"AQIDBAU=\""));
	sbuf_free(&o);

	ck_assert_int_eq(bundle_readme(&p, &o), 0);
	ck_assert_ptr_nonnull(strstr(o.data, "L2TP/IPSec RSA"));
	ck_assert_ptr_nonnull(strstr(o.data, "ca.crt"));
	sbuf_free(&o);

	/* nothing the platforms can use: the profiles say so and fall back */
	static const char *const odd[] = { "aes256-sha512-curve448" };
	p = params(odd, 1, odd, 1);
	ck_assert_int_eq(bundle_mobileconfig(&p, &o, &note), 0);
	ck_assert_ptr_nonnull(tu_diag_find(&note, "iOS", "IKE proposals", NULL));
	sbuf_free(&o);
	ck_assert_int_eq(bundle_windows_ps1(&p, &o, &note), 0);
	ck_assert_ptr_nonnull(tu_diag_find(&note, "Windows", "IKE proposals", NULL));
	ck_assert_ptr_nonnull(strstr(o.data, "-DHGroup Group14"));
	sbuf_free(&o);
	diag_clear(&note);
}
END_TEST

static Suite *cert_suite(void)
{
	Suite *s = suite_create("cert");
	TCase *tc = tcase_create("identity");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dn_text);
	tcase_add_test(tc, test_id_from_text);
	tcase_add_test(tc, test_has_id);
	tcase_add_test(tc, test_id_match);
	tcase_add_test(tc, test_name_ok);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_load_formats);
	tcase_add_test(tc, test_load_crl);
	tcase_add_test(tc, test_passphrase_file);
	tcase_add_test(tc, test_p12);
	tcase_add_test(tc, test_passphrase_uuid_base64);
	tcase_add_test(tc, test_atomic_write);
	suite_add_tcase(s, tc);
	tc = tcase_create("checks");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_checks);
	suite_add_tcase(s, tc);
	tc = tcase_create("profiles");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_proposals);
	tcase_add_test(tc, test_profiles);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cert_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
