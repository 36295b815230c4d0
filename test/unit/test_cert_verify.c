/* SPDX-License-Identifier: MIT */
/*
 * test_cert_verify.c - the daemon's runtime certificate store: chain
 * verification per role with revocation, validity, key usage, EKU and
 * identity; CRLs and extra trust from the `ca` configuration; signing with
 * a server key as IKE needs it; lookups; and the revocation hook ending the
 * sessions of a revoked certificate, in the registry and in a running
 * daemon.
 */
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include "cert_fixture.h"
#include "conf.h"
#include "daemon.h"
#include "session.h"
#include "settings.h"

static struct fx f;
static struct certstore *cs;
static struct conf *conf;

static void setup(void)
{
	fx_init(&f);
	cs = NULL;
	conf = NULL;
	tu_log_start();
}

static void teardown(void)
{
	certstore_free(cs);
	conf_free(conf);
	tu_log_stop();
	fx_free(&f);
}

/* The `ca` group from libconfig text, validated like kanmond does. */
static const struct kanmon_conf *ca_conf(const char *text)
{
	char *full = NULL;
	ck_assert_int_ge(asprintf(&full, "plugins = [];\n%s\n", text), 0);
	struct diag d = { 0 };
	conf_free(conf);
	conf = NULL;
	ck_assert_int_eq(conf_parse_text("test.conf", full, &conf, &d), 0);
	ck_assert_msg(!conf_validate(conf, core_settings, NULL, 0, &d), "%s", tu_diag_dump(&d));
	free(full);
	diag_clear(&d);
	return conf_group(conf_root(conf), "ca");
}

static int build(const struct kanmon_conf *ca)
{
	certstore_free(cs);
	cs = NULL;
	struct certstore_params p = { .state_dir = f.state, .store = f.st, .ca = ca, .load_keys = true };
	return certstore_new(&p, &cs, &f.d);
}

static struct kanmon_cert_result res;

static int verify1(gnutls_x509_crt_t c, int role, const char *id_text)
{
	struct cert_id id;
	if (id_text)
		ck_assert_int_eq(cert_id_from_text(id_text, &id), 0);
	gnutls_datum_t der;
	ck_assert_int_ge(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &der), 0);
	struct kanmon_blob b = { der.data, der.size };
	memset(&res, 0, sizeof(res));
	res.size = sizeof(res);
	int rc = certstore_verify(cs, &b, 1, role, id_text ? &id.id : NULL, time(NULL), &res);
	gnutls_free(der.data);
	ck_assert_int_eq(rc, res.status);
	return rc;
}

/* ---- verification ------------------------------------------------------------ */

START_TEST(test_verify_roles)
{
	fx_ca(&f, "JP", "Example Inc.", NULL);
	gnutls_x509_crt_t srv = fx_issue(&f, "server", KANMON_CERT_SERVER, "vpn.example.com", NULL, 0, NULL);
	gnutls_x509_crt_t cli = fx_issue(&f, "user1", KANMON_CERT_CLIENT, "user1@vpn.example.com", NULL, 0, NULL);
	ck_assert_int_eq(build(NULL), 0);
	struct certstore_stats st;
	certstore_stats(cs, &st);
	ck_assert_uint_eq(st.trusted, 1);
	ck_assert_uint_eq(st.servers, 1);
	ck_assert_uint_eq(st.revoked, 0);

	ck_assert_msg(verify1(cli, KANMON_CERT_CLIENT, NULL) == 0, "%s", res.reason);
	ck_assert_str_eq(res.subject, "C=JP, O=Example Inc., CN=user1@vpn.example.com");
	ck_assert_str_eq(res.issuer, "C=JP, O=Example Inc., CN=VPN Root CA");
	ck_assert_uint_eq(strlen(res.serial), 32);
	ck_assert_int_gt(res.not_after, time(NULL));
	/* the identity the client sends: its email (iOS LocalIdentifier) or its DN (Windows) */
	ck_assert_int_eq(verify1(cli, KANMON_CERT_CLIENT, "user1@vpn.example.com"), 0);
	ck_assert_int_eq(verify1(cli, KANMON_CERT_CLIENT, "C=JP, O=Example Inc., CN=user1@vpn.example.com"), 0);
	ck_assert_int_eq(verify1(cli, KANMON_CERT_CLIENT, "user2@vpn.example.com"), -EKEYREJECTED);
	ck_assert_ptr_nonnull(strstr(res.reason, "does not carry the identity user2@vpn.example.com"));

	ck_assert_int_eq(verify1(srv, KANMON_CERT_SERVER, "vpn.example.com"), 0);
	/* a client certificate is no server's, and the other way round */
	ck_assert_int_eq(verify1(cli, KANMON_CERT_SERVER, NULL), -EKEYREJECTED);
	ck_assert_ptr_nonnull(strstr(res.reason, "clientAuth"));
	ck_assert_ptr_nonnull(strstr(res.reason, "VPN server"));
	/* id-kp-ipsecIKE says "for IKE", in either role (RFC 4945 5.1.3.12) */
	ck_assert_int_eq(verify1(srv, KANMON_CERT_CLIENT, NULL), 0);
	struct mk web = { .dn = { "CN=www.example.com" }, .eku = { "1.3.6.1.5.5.7.3.1" }, .serial = 6 };
	gnutls_x509_crt_t w = fx_make(&web, f.ca.crt, f.ca.key, NULL);
	ck_assert_int_eq(verify1(w, KANMON_CERT_CLIENT, NULL), -EKEYREJECTED);
	ck_assert_ptr_nonnull(strstr(res.reason, "serverAuth"));
	gnutls_x509_crt_deinit(w);
	/* the CA's own certificate as a peer's */
	ck_assert_int_eq(verify1(f.ca.crt, KANMON_CERT_CLIENT, NULL), -EKEYREJECTED);
	ck_assert_ptr_nonnull(strstr(res.reason, "CA certificate"));
	gnutls_x509_crt_deinit(srv);
	gnutls_x509_crt_deinit(cli);

	/* shapes the CA does not issue: signed by it through the free-form builder */
	struct mk noeku = { .dn = { "CN=legacy" } };
	gnutls_x509_crt_t c = fx_make(&noeku, f.ca.crt, f.ca.key, NULL);
	ck_assert_msg(verify1(c, KANMON_CERT_CLIENT, NULL) == 0, "no EKU: any use (%s)", res.reason);
	gnutls_x509_crt_deinit(c);
	struct mk ike = { .dn = { "CN=ike" }, .eku = { "1.3.6.1.5.5.7.3.17" }, .serial = 2 };
	c = fx_make(&ike, f.ca.crt, f.ca.key, NULL);
	ck_assert_int_eq(verify1(c, KANMON_CERT_CLIENT, NULL), 0);
	ck_assert_int_eq(verify1(c, KANMON_CERT_SERVER, NULL), 0);
	gnutls_x509_crt_deinit(c);
	struct mk noku = { .dn = { "CN=enc" }, .ku = GNUTLS_KEY_KEY_ENCIPHERMENT, .serial = 3 };
	c = fx_make(&noku, f.ca.crt, f.ca.key, NULL);
	ck_assert_int_eq(verify1(c, KANMON_CERT_CLIENT, NULL), -EKEYREJECTED);
	ck_assert_ptr_nonnull(strstr(res.reason, "digitalSignature"));
	gnutls_x509_crt_deinit(c);
	struct mk old = { .dn = { "CN=old" }, .from = time(NULL) - 100 * 86400, .to = time(NULL) - 86400, .serial = 4 };
	c = fx_make(&old, f.ca.crt, f.ca.key, NULL);
	ck_assert_int_eq(verify1(c, KANMON_CERT_CLIENT, NULL), -EKEYEXPIRED);
	ck_assert_ptr_nonnull(strstr(res.reason, "expired on"));
	gnutls_x509_crt_deinit(c);
	struct mk early = { .dn = { "CN=early" }, .from = time(NULL) + 86400, .serial = 5 };
	c = fx_make(&early, f.ca.crt, f.ca.key, NULL);
	ck_assert_int_eq(verify1(c, KANMON_CERT_CLIENT, NULL), -EKEYEXPIRED);
	ck_assert_ptr_nonnull(strstr(res.reason, "valid only from"));
	gnutls_x509_crt_deinit(c);

	/* a stranger's CA */
	gnutls_x509_privkey_t ok;
	gnutls_x509_crt_t other = fx_make_ca("Evil Inc.", "VPN Root CA", &ok);
	struct mk forged = { .dn = { "CN=user1@vpn.example.com" } };
	c = fx_make(&forged, other, ok, NULL);
	ck_assert_int_eq(verify1(c, KANMON_CERT_CLIENT, NULL), -EKEYREJECTED);
	ck_assert_ptr_nonnull(strstr(res.reason, "does not trust"));
	ck_assert_ptr_nonnull(strstr(res.reason, "Evil Inc."));
	gnutls_x509_crt_deinit(c);
	gnutls_x509_crt_deinit(other);
	gnutls_x509_privkey_deinit(ok);

	/* not DER at all */
	struct kanmon_blob junk = { (const uint8_t *)"junk", 4 };
	memset(&res, 0, sizeof(res));
	ck_assert_int_eq(certstore_verify(cs, &junk, 1, KANMON_CERT_CLIENT, NULL, time(NULL), &res), -EINVAL);
	ck_assert_int_eq(certstore_verify(cs, &junk, 0, KANMON_CERT_CLIENT, NULL, time(NULL), &res), -EINVAL);
}
END_TEST

START_TEST(test_verify_revoked)
{
	fx_ca(&f, "JP", NULL, NULL);
	gnutls_x509_crt_t a = fx_issue(&f, "a", KANMON_CERT_CLIENT, "a@x", NULL, 0, NULL);
	gnutls_x509_crt_t b = fx_issue(&f, "b", KANMON_CERT_CLIENT, "b@x", NULL, 0, NULL);
	ck_assert_int_eq(build(NULL), 0);
	ck_assert_int_eq(verify1(a, KANMON_CERT_CLIENT, NULL), 0);
	char serial[CERT_SERIAL_HEX_MAX];
	ck_assert_int_eq(cert_serial_hex(a, serial), 0);
	ck_assert(!certstore_revoked(cs, f.ca.subject, serial));

	ck_assert_int_eq(ca_revoke(f.st, "a", 0, &f.d), 0);
	/* the running store learns it when rebuilt (kanmonctl -> "certs reload") */
	ck_assert_int_eq(verify1(a, KANMON_CERT_CLIENT, NULL), 0);
	ck_assert_int_eq(build(NULL), 0);
	ck_assert_int_eq(verify1(a, KANMON_CERT_CLIENT, NULL), -EKEYREVOKED);
	ck_assert_ptr_nonnull(strstr(res.reason, "revoked on"));
	ck_assert_int_eq(verify1(b, KANMON_CERT_CLIENT, NULL), 0);
	ck_assert(certstore_revoked(cs, f.ca.subject, serial));
	ck_assert(!certstore_revoked(cs, "C=XX, CN=other", serial));
	ck_assert(!certstore_revoked(cs, f.ca.subject, "zz"));
	gnutls_x509_crt_deinit(a);
	gnutls_x509_crt_deinit(b);

	/* many revocations: still found, others still pass */
	for (int i = 0; i < 300; i++) {
		char name[16];
		snprintf(name, sizeof(name), "u%d", i);
		gnutls_x509_crt_t c = fx_issue(&f, name, KANMON_CERT_CLIENT, "u@x", NULL, 0, NULL);
		if (i % 3 == 0)
			ck_assert_int_eq(ca_revoke(f.st, name, 0, &f.d), 0);
		gnutls_x509_crt_deinit(c);
	}
	ck_assert_int_eq(build(NULL), 0);
	struct certstore_stats st;
	certstore_stats(cs, &st);
	ck_assert_uint_eq(st.revoked, 101);
	struct store_cert e;
	for (int i = 0; i < 300; i++) {
		char name[16];
		snprintf(name, sizeof(name), "u%d", i);
		ck_assert_int_eq(store_cert_get(f.st, name, &e), 0);
		ck_assert_int_eq(certstore_revoked(cs, e.issuer, e.serial), i % 3 == 0);
		store_cert_clear(&e);
	}
}
END_TEST

static void write_crl(const char *path, gnutls_x509_crt_t ca, gnutls_x509_privkey_t key, uint8_t serial,
		      time_t next)
{
	gnutls_x509_crl_t crl;
	ck_assert_int_ge(gnutls_x509_crl_init(&crl), 0);
	gnutls_x509_crl_set_version(crl, 2);
	gnutls_x509_crl_set_this_update(crl, time(NULL) - 60);
	gnutls_x509_crl_set_next_update(crl, next);
	gnutls_x509_crl_set_crt_serial(crl, &serial, 1, time(NULL) - 60);
	ck_assert_int_ge(gnutls_x509_crl_sign2(crl, ca, key, GNUTLS_DIG_SHA256, 0), 0);
	gnutls_datum_t dt;
	ck_assert_int_ge(gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_PEM, &dt), 0);
	FILE *fp = fopen(path, "w");
	fwrite(dt.data, 1, dt.size, fp);
	fclose(fp);
	gnutls_free(dt.data);
	gnutls_x509_crl_deinit(crl);
}

/* Seed B: a company CA (not the built-in one) with its CRL, from kanmon.conf. */
START_TEST(test_trust_and_crl_files)
{
	gnutls_x509_privkey_t ck;
	gnutls_x509_crt_t corp = fx_make_ca("Example Inc.", "Company CA", &ck);
	struct mk m1 = { .dn = { "C=JP", "O=Example Inc.", "CN=phone1" }, .serial = 0x41 };
	struct mk m2 = { .dn = { "C=JP", "O=Example Inc.", "CN=phone2" }, .serial = 0x42 };
	gnutls_x509_crt_t p1 = fx_make(&m1, corp, ck, NULL), p2 = fx_make(&m2, corp, ck, NULL);
	char ca_path[600], crl_path[600], text[2000];
	snprintf(ca_path, sizeof(ca_path), "%s/corp.pem", f.dir);
	snprintf(crl_path, sizeof(crl_path), "%s/corp.crl", f.dir);
	fx_write_pem(ca_path, corp, NULL);
	write_crl(crl_path, corp, ck, 0x42, time(NULL) + 86400);
	snprintf(text, sizeof(text), "ca = { trust = [\"%s\"]; crl = [\"%s\"]; };", ca_path, crl_path);
	ck_assert_msg(build(ca_conf(text)) == 0, "%s", tu_diag_dump(&f.d));
	ck_assert_int_eq(verify1(p1, KANMON_CERT_CLIENT, "C=JP, O=Example Inc., CN=phone1"), 0);
	ck_assert_int_eq(verify1(p2, KANMON_CERT_CLIENT, NULL), -EKEYREVOKED);

	/* an out-of-date CRL still counts, with a warning */
	write_crl(crl_path, corp, ck, 0x42, time(NULL) - 60);
	ck_assert_int_eq(build(ca_conf(text)), 0);
	ck_assert(tu_logged("out of date"));
	ck_assert_int_eq(verify1(p2, KANMON_CERT_CLIENT, NULL), -EKEYREVOKED);

	/* a CRL nobody trusted signed: refused with the reason */
	gnutls_x509_privkey_t ek;
	gnutls_x509_crt_t evil = fx_make_ca("Evil", "Evil CA", &ek);
	write_crl(crl_path, evil, ek, 0x41, time(NULL) + 86400);
	ck_assert_int_eq(build(ca_conf(text)), -EINVAL);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "corp.crl", "not signed by a trusted CA", NULL));
	ck_assert_ptr_null(cs);
	diag_clear(&f.d);
	/* a trust file that is not a CA */
	fx_write_pem(ca_path, p1, NULL);
	ck_assert_int_eq(build(ca_conf(text)), -EINVAL);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "is not a CA certificate", NULL));
	diag_clear(&f.d);
	snprintf(text, sizeof(text), "ca = { trust = [\"%s/missing.pem\"]; };", f.dir);
	ck_assert_int_eq(build(ca_conf(text)), -EINVAL);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "missing.pem", NULL));

	gnutls_x509_crt_deinit(evil);
	gnutls_x509_privkey_deinit(ek);
	gnutls_x509_crt_deinit(p1);
	gnutls_x509_crt_deinit(p2);
	gnutls_x509_crt_deinit(corp);
	gnutls_x509_privkey_deinit(ck);
}
END_TEST

/*
 * The fast path (one certificate, der.c) and GnuTLS's (the same certificate
 * sent with its CA as a chain) must decide alike, in the same words.
 */
static int verify_chain(gnutls_x509_crt_t c, gnutls_x509_crt_t ca, int role, const char *id_text,
			struct kanmon_cert_result *r)
{
	struct cert_id id;
	if (id_text)
		ck_assert_int_eq(cert_id_from_text(id_text, &id), 0);
	gnutls_datum_t a, b;
	ck_assert_int_ge(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &a), 0);
	ck_assert_int_ge(gnutls_x509_crt_export2(ca, GNUTLS_X509_FMT_DER, &b), 0);
	struct kanmon_blob chain[2] = { { a.data, a.size }, { b.data, b.size } };
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	int rc = certstore_verify(cs, chain, 2, role, id_text ? &id.id : NULL, time(NULL), r);
	gnutls_free(a.data);
	gnutls_free(b.data);
	return rc;
}

START_TEST(test_fast_equals_gnutls)
{
	fx_ca(&f, "JP", "Example Inc.", NULL);
	gnutls_x509_crt_t rev = fx_issue(&f, "rev", KANMON_CERT_CLIENT, "rev@x", NULL, 0, NULL);
	ck_assert_int_eq(ca_revoke(f.st, "rev", 0, &f.d), 0);
	ck_assert_int_eq(build(NULL), 0);
	gnutls_x509_privkey_t ok;
	gnutls_x509_crt_t other = fx_make_ca("Other", "VPN Root CA", &ok);
	time_t now = time(NULL);
	const struct {
		struct mk m;
		bool foreign;
		int role;
		const char *id;
	} cases[] = {
		{ .m = { .dn = { "C=JP", "CN=good@x" }, .email = "good@x", .eku = { "1.3.6.1.5.5.7.3.2" }, .serial = 10 },
		  .role = KANMON_CERT_CLIENT, .id = "good@x" },
		{ .m = { .dn = { "CN=good@x" }, .email = "good@x", .serial = 11 }, .role = KANMON_CERT_CLIENT, .id = "bad@x" },
		{ .m = { .dn = { "CN=s" }, .dns = "vpn.example.com", .ip = "198.51.100.1", .eku = { "1.3.6.1.5.5.7.3.1" },
			 .serial = 12 }, .role = KANMON_CERT_SERVER, .id = "198.51.100.1" },
		{ .m = { .dn = { "CN=s" }, .eku = { "1.3.6.1.5.5.7.3.1" }, .serial = 13 }, .role = KANMON_CERT_CLIENT },
		{ .m = { .dn = { "CN=old" }, .from = now - 9 * 86400, .to = now - 86400, .serial = 14 }, .role = KANMON_CERT_CLIENT },
		{ .m = { .dn = { "CN=new" }, .from = now + 86400, .serial = 15 }, .role = KANMON_CERT_CLIENT },
		{ .m = { .dn = { "CN=ca" }, .ca = true, .serial = 16 }, .role = KANMON_CERT_CLIENT },
		{ .m = { .dn = { "CN=enc" }, .ku = GNUTLS_KEY_KEY_ENCIPHERMENT, .serial = 17 }, .role = KANMON_CERT_CLIENT },
		{ .m = { .dn = { "CN=rsa" }, .rsa_bits = 2048, .hash = GNUTLS_DIG_SHA384, .serial = 18 }, .role = KANMON_CERT_CLIENT,
		  .id = "CN=rsa" },
		{ .m = { .dn = { "CN=x" }, .serial = 19 }, .foreign = true, .role = KANMON_CERT_CLIENT },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gnutls_x509_crt_t c = cases[i].foreign ? fx_make(&cases[i].m, other, ok, NULL)
						       : fx_make(&cases[i].m, f.ca.crt, f.ca.key, NULL);
		struct kanmon_cert_result slow;
		int fast_rc = verify1(c, cases[i].role, cases[i].id);
		int slow_rc = verify_chain(c, cases[i].foreign ? other : f.ca.crt, cases[i].role, cases[i].id, &slow);
		ck_assert_msg(fast_rc == slow_rc && !strcmp(res.reason, slow.reason), "case %zu: fast %d '%s', GnuTLS %d '%s'",
			      i, fast_rc, res.reason, slow_rc, slow.reason);
		ck_assert_str_eq(res.subject, slow.subject);
		ck_assert_str_eq(res.issuer, slow.issuer);
		ck_assert_str_eq(res.serial, slow.serial);
		gnutls_x509_crt_deinit(c);
	}
	struct kanmon_cert_result slow;
	ck_assert_int_eq(verify1(rev, KANMON_CERT_CLIENT, NULL), -EKEYREVOKED);
	ck_assert_int_eq(verify_chain(rev, f.ca.crt, KANMON_CERT_CLIENT, NULL, &slow), -EKEYREVOKED);
	ck_assert_str_eq(res.reason, slow.reason);
	/* SHA-1: not the fast path's to judge; GnuTLS refuses it as insecure */
	struct mk sha1 = { .dn = { "CN=old-style" }, .rsa_bits = 2048, .hash = GNUTLS_DIG_SHA1, .serial = 20 };
	gnutls_x509_crt_t c = fx_make(&sha1, f.ca.crt, f.ca.key, NULL);
	ck_assert_int_eq(verify1(c, KANMON_CERT_CLIENT, NULL), -EKEYREJECTED);
	ck_assert_ptr_nonnull(strstr(res.reason, "insecure algorithm"));
	gnutls_x509_crt_deinit(c);
	gnutls_x509_crt_deinit(rev);
	gnutls_x509_crt_deinit(other);
	gnutls_x509_privkey_deinit(ok);
}
END_TEST

/* Hostile bytes: every truncation and many mutations of a real certificate, never a crash or an acceptance. */
START_TEST(test_der_hostile)
{
	fx_ca(&f, "JP", NULL, NULL);
	gnutls_x509_crt_t c = fx_issue(&f, "u", KANMON_CERT_CLIENT, "u@x", NULL, 0, NULL);
	ck_assert_int_eq(build(NULL), 0);
	gnutls_datum_t der;
	ck_assert_int_ge(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &der), 0);
	struct x509_view v;
	ck_assert_int_eq(x509_view_parse(der.data, der.size, &v), 0);
	ck_assert_int_eq(v.version, 3);
	ck_assert(v.san.len && v.eku.len && v.has_ku && v.has_bc && !v.is_ca);
	uint8_t *buf = malloc(der.size);
	struct kanmon_cert_result r = { .size = sizeof(r) };
	ck_assert_int_eq(x509_view_parse(der.data, der.size, &v), 0);
	for (size_t n = 0; n < der.size; n++) {
		memcpy(buf, der.data, n);	/* exactly n bytes: ASan sees any read past them */
		uint8_t *t = malloc(n ? n : 1);
		memcpy(t, der.data, n);
		ck_assert_int_ne(x509_view_parse(t, n, &v), 0);
		struct kanmon_blob b = { t, n };
		ck_assert_int_ne(certstore_verify(cs, &b, 1, KANMON_CERT_CLIENT, NULL, time(NULL), &r), 0);
		free(t);
	}
	ck_assert_int_eq(x509_view_parse(der.data, der.size, &v), 0);
	unsigned seed = 12345;
	for (int i = 0; i < 3000; i++) {
		memcpy(buf, der.data, der.size);
		for (int k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245 + 12345;
			buf[(seed >> 8) % der.size] ^= (uint8_t)(1u << ((seed >> 4) & 7));
		}
		struct kanmon_blob b = { buf, der.size };
		int rc = certstore_verify(cs, &b, 1, KANMON_CERT_CLIENT, NULL, time(NULL), &r);
		/* accepted only if the signed bytes and the signature are the original ones */
		if (!rc) {
			struct x509_view m;
			ck_assert_msg(x509_view_parse(buf, der.size, &m) == 0, "mutation %d accepted unparsed", i);
			ck_assert_msg(m.tbs.len == v.tbs.len && !memcmp(m.tbs.p, v.tbs.p, v.tbs.len) &&
					      m.sig.len == v.sig.len && !memcmp(m.sig.p, v.sig.p, v.sig.len),
				      "mutation %d of the signed bytes accepted", i);
		}
	}
	free(buf);
	gnutls_free(der.data);
	gnutls_x509_crt_deinit(c);
}
END_TEST

/* ---- signing and lookup ------------------------------------------------------- */

static void check_sig(gnutls_x509_crt_t crt, gnutls_sign_algorithm_t algo, const char *data, const uint8_t *sig,
		      size_t len)
{
	gnutls_pubkey_t pub;
	ck_assert_int_ge(gnutls_pubkey_init(&pub), 0);
	ck_assert_int_ge(gnutls_pubkey_import_x509(pub, crt, 0), 0);
	gnutls_datum_t d = { (unsigned char *)data, (unsigned)strlen(data) }, s = { (unsigned char *)sig, (unsigned)len };
	int rc = gnutls_pubkey_verify_data2(pub, algo, GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &d, &s);
	ck_assert_msg(rc >= 0, "%s: %s", gnutls_sign_get_name(algo), gnutls_strerror(rc));
	gnutls_pubkey_deinit(pub);
}

START_TEST(test_sign_lookup)
{
	fx_ca(&f, "JP", NULL, NULL);
	gnutls_x509_crt_t ec = fx_issue(&f, "ec", KANMON_CERT_SERVER, "vpn.example.com", NULL, 0, NULL);
	/* an RSA server key, imported */
	gnutls_x509_privkey_t rk;
	struct mk m = { .dn = { "CN=rsa.example.com" }, .dns = "rsa.example.com", .rsa_bits = 2048,
			.eku = { "1.3.6.1.5.5.7.3.1" } };
	gnutls_x509_crt_t rsa = fx_make(&m, f.ca.crt, f.ca.key, &rk);
	char cp[600];
	snprintf(cp, sizeof(cp), "%s/rsa.pem", f.dir);
	fx_write_pem(cp, rsa, rk);
	struct ca_import_params ip = { .name = "rsa", .cert_file = cp };
	char role[16];
	ck_assert_int_eq(ca_import(f.state, f.st, &ip, role, sizeof(role), &f.d), 0);
	ck_assert_int_eq(build(NULL), 0);

	static const char data[] = "IKE_SA_INIT octets | nonce | prf(SK_pr, IDr)";
	uint8_t sig[600];
	size_t len = sizeof(sig);
	ck_assert_int_eq(certstore_sign(cs, "rsa", KANMON_HASH_SHA256, 0, data, strlen(data), sig, &len), 0);
	ck_assert_uint_eq(len, 256);
	check_sig(rsa, GNUTLS_SIGN_RSA_SHA256, data, sig, len);
	/* Windows: method 1, RSA PKCS#1 v1.5 with SHA-1 */
	len = sizeof(sig);
	ck_assert_int_eq(certstore_sign(cs, "rsa", KANMON_HASH_SHA1, 0, data, strlen(data), sig, &len), 0);
	check_sig(rsa, GNUTLS_SIGN_RSA_SHA1, data, sig, len);
	len = sizeof(sig);
	ck_assert_int_eq(certstore_sign(cs, "rsa", KANMON_HASH_SHA384, KANMON_SIGN_RSA_PSS, data, strlen(data), sig, &len), 0);
	check_sig(rsa, GNUTLS_SIGN_RSA_PSS_SHA384, data, sig, len);
	len = 10;
	ck_assert_int_eq(certstore_sign(cs, "rsa", KANMON_HASH_SHA256, 0, data, strlen(data), sig, &len), -ENOSPC);
	len = sizeof(sig);
	ck_assert_int_eq(certstore_sign(cs, "rsa", 99, 0, data, strlen(data), sig, &len), -EOPNOTSUPP);
	ck_assert_int_eq(certstore_sign(cs, "nope", KANMON_HASH_SHA256, 0, data, strlen(data), sig, &len), -ENOENT);

	/* ECDSA: DER (RFC 7427) and r || s (IKEv2 method 9) */
	len = sizeof(sig);
	ck_assert_int_eq(certstore_sign(cs, "ec", KANMON_HASH_SHA256, 0, data, strlen(data), sig, &len), 0);
	check_sig(ec, GNUTLS_SIGN_ECDSA_SHA256, data, sig, len);
	len = sizeof(sig);
	ck_assert_int_eq(certstore_sign(cs, "ec", KANMON_HASH_SHA256, KANMON_SIGN_ECDSA_RAW, data, strlen(data), sig, &len),
			 0);
	ck_assert_uint_eq(len, 64);
	gnutls_datum_t r = { sig, 32 }, s = { sig + 32, 32 }, der;
	ck_assert_int_ge(gnutls_encode_rs_value(&der, &r, &s), 0);
	check_sig(ec, GNUTLS_SIGN_ECDSA_SHA256, data, der.data, der.size);
	gnutls_free(der.data);
	ck_assert_int_eq(certstore_sign(cs, "ec", KANMON_HASH_SHA256, KANMON_SIGN_RSA_PSS, data, strlen(data), sig, &len),
			 -EOPNOTSUPP);

	struct kanmon_cert_info info = { .size = sizeof(info) };
	ck_assert_int_eq(certstore_lookup(cs, "rsa", NULL, &info), 0);
	ck_assert_str_eq(info.name, "rsa");
	ck_assert_int_eq(info.key_type, KANMON_KEY_RSA);
	ck_assert_uint_eq(info.key_bits, 2048);
	ck_assert_ptr_nonnull(info.issuer.data);
	struct cert_id id;
	ck_assert_int_eq(cert_id_from_text("vpn.example.com", &id), 0);
	ck_assert_int_eq(certstore_lookup(cs, NULL, &id.id, &info), 0);
	ck_assert_str_eq(info.name, "ec");
	ck_assert_int_eq(info.key_type, KANMON_KEY_ECDSA);
	ck_assert_str_eq(info.subject, "C=JP, CN=vpn.example.com");
	gnutls_x509_crt_t back;
	ck_assert_int_eq(cert_from_der(info.cert.data, info.cert.len, &back), 0);
	ck_assert(gnutls_x509_crt_equals(back, ec));
	gnutls_x509_crt_deinit(back);
	ck_assert_int_eq(cert_id_from_text("other.example.com", &id), 0);
	ck_assert_int_eq(certstore_lookup(cs, NULL, &id.id, &info), -ENOENT);

	/* the start-up checks: the imported one has no IKE intermediate EKU, its CN is not the ID */
	ck_assert_int_gt(certstore_check_server(cs, "rsa", "vpn.example.com", &f.d), 0);
	ck_assert(tu_logged("server certificate rsa"));
	ck_assert(tu_logged("no subjectAltName DNS:vpn.example.com"));
	diag_clear(&f.d);
	tu_log_clear();
	const char *ids[] = { "vpn.example.com", "missing.example.com" };
	certstore_check_servers(cs, ids, 2);
	ck_assert(tu_logged("no server certificate carries the server ID missing.example.com"));
	ck_assert(tu_logged("older macOS"));	/* rsa checked against its own name */

	gnutls_x509_crt_deinit(ec);
	gnutls_x509_crt_deinit(rsa);
	gnutls_x509_privkey_deinit(rk);
}
END_TEST

/* ---- the revocation hook -------------------------------------------------------- */

static int owner;
static int n_killed;
static struct session_registry *reg;

static int kill_cb(void *arg, uint64_t id)
{
	(void)arg;
	n_killed++;
	session_remove(reg, &owner, id);
	return 0;
}

static const struct kanmon_session_ops ops = { sizeof(ops), NULL, kill_cb };
static const struct kanmon_session_ops no_kill = { sizeof(no_kill), NULL, NULL };

static bool revoked_cb(const char *issuer, const char *serial, void *arg)
{
	return certstore_revoked(arg, issuer, serial);
}

START_TEST(test_session_hook)
{
	fx_ca(&f, "JP", NULL, NULL);
	gnutls_x509_crt_t a = fx_issue(&f, "a", KANMON_CERT_CLIENT, "a@x", NULL, 0, NULL);
	gnutls_x509_crt_t b = fx_issue(&f, "b", KANMON_CERT_CLIENT, "b@x", NULL, 0, NULL);
	ck_assert_int_eq(build(NULL), 0);
	reg = session_registry_new();
	struct kanmon_session s = { .size = sizeof(s), .identity = "a@x" };
	uint64_t ids[4];
	n_killed = 0;
	ck_assert_int_eq(session_add(reg, "ikev2", &owner, &s, &ops, NULL, &ids[0]), 0);
	ck_assert_int_eq(session_add(reg, "ikev2", &owner, &s, &ops, NULL, &ids[1]), 0);	/* a again (two devices) */
	s.identity = "b@x";
	ck_assert_int_eq(session_add(reg, "ikev2", &owner, &s, &ops, NULL, &ids[2]), 0);
	ck_assert_int_eq(session_add(reg, "l2tp", &owner, &s, &no_kill, NULL, &ids[3]), 0);	/* no cert recorded */
	ck_assert_int_eq(verify1(a, KANMON_CERT_CLIENT, NULL), 0);
	ck_assert_int_eq(session_set_cert(reg, &owner, ids[0], res.issuer, res.serial), 0);
	ck_assert_int_eq(session_set_cert(reg, &owner, ids[1], res.issuer, res.serial), 0);
	ck_assert_int_eq(session_set_cert(reg, &n_killed, ids[1], res.issuer, res.serial), -EPERM);
	ck_assert_int_eq(session_set_cert(reg, &owner, 99, res.issuer, res.serial), -ENOENT);
	ck_assert_int_eq(verify1(b, KANMON_CERT_CLIENT, NULL), 0);
	ck_assert_int_eq(session_set_cert(reg, &owner, ids[2], res.issuer, res.serial), 0);

	ck_assert_uint_eq(session_kill_revoked(reg, revoked_cb, cs), 0);
	ck_assert_int_eq(ca_revoke(f.st, "a", 0, &f.d), 0);
	ck_assert_int_eq(build(NULL), 0);
	ck_assert_uint_eq(session_kill_revoked(reg, revoked_cb, cs), 2);
	ck_assert_int_eq(n_killed, 2);
	ck_assert_uint_eq(session_count(reg), 2);
	ck_assert_ptr_null(session_find(reg, ids[0]));
	ck_assert_ptr_nonnull(session_find(reg, ids[2]));
	ck_assert(tu_logged("its certificate (serial"));
	session_registry_free(reg);
	gnutls_x509_crt_deinit(a);
	gnutls_x509_crt_deinit(b);
}
END_TEST

/* kanmond itself: "certs reload" (what kanmonctl sends) ends the session at once; a bad reload keeps the store. */
START_TEST(test_daemon_reload)
{
	tu_require_env("KANMON_BUILD_PLUGINDIR");
	struct daemon dm;
	memset(&dm, 0, sizeof(dm));
	char text[3000], *file;
	/* the state directory the daemon will use: the fixture's CA goes there */
	snprintf(text, sizeof(text),
		 "plugin_dir = \"%s\";\nplugins = [\"sample\"];\nlisten = [\"127.0.0.1\"];\n%s"
		 "sample = { port = %u; };\nca = { server_id = [\"vpn.example.com\"]; };\n",
		 tu_build_plugindir(), tu_sandbox_settings(f.dir), tu_free_udp_port());
	fx_ca(&f, "JP", NULL, NULL);
	gnutls_x509_crt_t a = fx_issue(&f, "a", KANMON_CERT_CLIENT, "a@x", NULL, 0, NULL);
	const char *ip[] = { "ip:198.51.100.1" };
	gnutls_x509_crt_deinit(fx_issue(&f, "server", KANMON_CERT_SERVER, "vpn.example.com", ip, 1, NULL));
	file = tu_write_file(f.dir, "kanmon.conf", text);
	ck_assert_msg(daemon_configure(&dm, file, &f.d) == 0, "%s", tu_diag_dump(&f.d));
	ck_assert_msg(daemon_start(&dm, &f.d) == 0, "%s", tu_diag_dump(&f.d));
	ck_assert(tu_logged("1 trusted CA, 1 server certificate, 0 revoked"));

	reg = dm.sessions;
	n_killed = 0;
	struct kanmon_session s = { .size = sizeof(s), .identity = "a@x" };
	uint64_t id;
	ck_assert_int_eq(session_add(dm.sessions, "test", &owner, &s, &ops, NULL, &id), 0);
	ck_assert_int_eq(build(NULL), 0);	/* what a plugin's cert_verify returned at IKE_AUTH */
	ck_assert_int_eq(verify1(a, KANMON_CERT_CLIENT, NULL), 0);
	ck_assert_int_eq(session_set_cert(dm.sessions, &owner, id, res.issuer, res.serial), 0);

	ck_assert_int_eq(ca_revoke(f.st, "a", 0, &f.d), 0);
	size_t killed = 0;
	ck_assert_int_eq(daemon_certs_reload(&dm, &killed, &f.d), 0);
	ck_assert_uint_eq(killed, 1);
	ck_assert_int_eq(n_killed, 1);
	ck_assert_uint_eq(session_count(dm.sessions), 0);

	/* a reload naming a file that is not there: refused, the old store stays */
	struct certstore *before = dm.certs;
	char *ca = strstr(text, "ca = {");
	snprintf(ca, sizeof(text) - (size_t)(ca - text), "ca = { crl = [\"%s/none.crl\"]; };\n", f.dir);
	free(file);
	file = tu_write_file(f.dir, "kanmon.conf", text);
	diag_clear(&f.d);
	ck_assert_int_ne(daemon_reload(&dm, &f.d), 0);
	ck_assert_ptr_nonnull(tu_diag_find(&f.d, "none.crl", NULL));
	ck_assert_ptr_eq(dm.certs, before);
	/* the `ca` group may change on reload; the checks run again against the new server ID */
	snprintf(ca, sizeof(text) - (size_t)(ca - text), "ca = { server_id = [\"other.example.com\"]; };\n");
	free(file);
	file = tu_write_file(f.dir, "kanmon.conf", text);
	diag_clear(&f.d);
	tu_log_clear();
	ck_assert_msg(daemon_reload(&dm, &f.d) == 0, "%s", tu_diag_dump(&f.d));
	ck_assert(tu_logged("no server certificate carries the server ID other.example.com"));
	daemon_free(&dm);
	free(file);
	gnutls_x509_crt_deinit(a);
}
END_TEST

static Suite *verify_suite(void)
{
	Suite *s = suite_create("cert_verify");
	TCase *tc = tcase_create("verify");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_verify_roles);
	tcase_add_test(tc, test_verify_revoked);
	tcase_add_test(tc, test_trust_and_crl_files);
	tcase_add_test(tc, test_fast_equals_gnutls);
	tcase_add_test(tc, test_der_hostile);
	tcase_add_test(tc, test_sign_lookup);
	tcase_add_test(tc, test_session_hook);
	tcase_add_test(tc, test_daemon_reload);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(verify_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
