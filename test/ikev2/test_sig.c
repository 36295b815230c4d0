/* SPDX-License-Identifier: MIT */
/*
 * test_sig.c - IKE_AUTH signatures (ikev2_sig.c) against keys and
 * self-signed certificates generated here with GnuTLS (RSA-2048, ECDSA
 * P-256 and P-384): signatures made by GnuTLS for every method a client
 * uses are accepted, and each way a client can get it wrong is refused with
 * the error the IKE_AUTH code maps to a Windows code. RFC 7427
 * AlgorithmIdentifiers are written here byte by byte from RFC 7427
 * Appendix A and RFC 4055, never taken from kanmon.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <kanmon/cert.h>

#include "ikev2_sig.h"

struct keycert {
	gnutls_privkey_t key;
	uint8_t der[4096];
	size_t der_len;
};

static struct keycert rsa, p256, p384;

/* a key and a self-signed certificate carrying it */
static void make_keycert(struct keycert *kc, gnutls_pk_algorithm_t pk, unsigned bits, const char *cn)
{
	gnutls_x509_privkey_t xk;
	gnutls_x509_crt_t crt;
	ck_assert_int_eq(gnutls_x509_privkey_init(&xk), 0);
	ck_assert_int_eq(gnutls_x509_privkey_generate(xk, pk, bits, 0), 0);
	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_version(crt, 3), 0);
	uint8_t serial[] = { 0x01, 0x23 };
	ck_assert_int_eq(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen(cn)), 0);
	time_t now = time(NULL);
	ck_assert_int_eq(gnutls_x509_crt_set_activation_time(crt, now - 3600), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_expiration_time(crt, now + 86400), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_key(crt, xk), 0);
	ck_assert_int_eq(gnutls_x509_crt_sign2(crt, crt, xk, GNUTLS_DIG_SHA256, 0), 0);
	kc->der_len = sizeof(kc->der);
	ck_assert_int_eq(gnutls_x509_crt_export(crt, GNUTLS_X509_FMT_DER, kc->der, &kc->der_len), 0);
	ck_assert_int_eq(gnutls_privkey_init(&kc->key), 0);
	ck_assert_int_eq(gnutls_privkey_import_x509(kc->key, xk, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE), 0);
	gnutls_x509_crt_deinit(crt);
}

static void keys_setup(void)
{
	make_keycert(&rsa, GNUTLS_PK_RSA, 2048, "rsa.test");
	make_keycert(&p256, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), "p256.test");
	make_keycert(&p384, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1), "p384.test");
}

static void keys_teardown(void)
{
	gnutls_privkey_deinit(rsa.key);
	gnutls_privkey_deinit(p256.key);
	gnutls_privkey_deinit(p384.key);
}

/* what the AUTH payload covers: any octets do for these tests */
static const uint8_t octets[] = "RealMessage1 | NonceRData | MACedIDForI (RFC 7296 2.15)";

/* ---- RFC 7427 Appendix A and RFC 4055 AlgorithmIdentifiers, length byte first ---- */

/* A.1.2 sha256WithRSAEncryption */
static const uint8_t H_RSA_SHA256[] = { 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
/* A.1.1 sha1WithRSAEncryption */
static const uint8_t H_RSA_SHA1[] = { 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
				      0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00 };
/* A.1.3 sha384WithRSAEncryption */
static const uint8_t H_RSA_SHA384[] = { 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00 };
/* A.1.4 sha512WithRSAEncryption */
static const uint8_t H_RSA_SHA512[] = { 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00 };
/* A.3.1 ecdsa-with-SHA256 */
static const uint8_t H_ECDSA_SHA256[] = { 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
					  0xce, 0x3d, 0x04, 0x03, 0x02 };
/* A.3.2 ecdsa-with-SHA384 */
static const uint8_t H_ECDSA_SHA384[] = { 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
					  0xce, 0x3d, 0x04, 0x03, 0x03 };
/* A.3.3 ecdsa-with-SHA512 */
static const uint8_t H_ECDSA_SHA512[] = { 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
					  0xce, 0x3d, 0x04, 0x03, 0x04 };

/*
 * RSASSA-PSS (RFC 4055 3.1) with SHA-256, MGF1 with SHA-256 and saltLength
 * `salt`: id-RSASSA-PSS, SEQUENCE { [0] sha256, [1] mgf1(sha256), [2] salt }.
 */
static size_t pss_header(uint8_t salt, uint8_t *out)
{
	static const uint8_t sha256_alg[] = { 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
					      0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00 };
	static const uint8_t mgf1_oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08 };
	static const uint8_t pss_oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a };
	size_t n = 0;
	out[n++] = 0x43;			/* 67 bytes of AlgorithmIdentifier */
	out[n++] = 0x30, out[n++] = 0x41;	/* AlgorithmIdentifier */
	memcpy(out + n, pss_oid, sizeof(pss_oid)), n += sizeof(pss_oid);
	out[n++] = 0x30, out[n++] = 0x34;	/* RSASSA-PSS-params */
	out[n++] = 0xa0, out[n++] = 0x0f;	/* [0] hashAlgorithm */
	memcpy(out + n, sha256_alg, sizeof(sha256_alg)), n += sizeof(sha256_alg);
	out[n++] = 0xa1, out[n++] = 0x1c;	/* [1] maskGenAlgorithm */
	out[n++] = 0x30, out[n++] = 0x1a;
	memcpy(out + n, mgf1_oid, sizeof(mgf1_oid)), n += sizeof(mgf1_oid);
	memcpy(out + n, sha256_alg, sizeof(sha256_alg)), n += sizeof(sha256_alg);
	out[n++] = 0xa2, out[n++] = 0x03;	/* [2] saltLength */
	out[n++] = 0x02, out[n++] = 0x01, out[n++] = salt;
	ck_assert_uint_eq(n, 1 + 0x43);
	return n;
}

/* ---- signing with GnuTLS ---- */

/* PKCS#1 v1.5 or ECDSA (DER) */
static size_t sign(gnutls_privkey_t k, gnutls_digest_algorithm_t dig, uint8_t *out, size_t cap)
{
	gnutls_datum_t data = { (unsigned char *)octets, sizeof(octets) }, sig;
	ck_assert_int_eq(gnutls_privkey_sign_data(k, dig, 0, &data, &sig), 0);
	ck_assert_uint_le(sig.size, cap);
	memcpy(out, sig.data, sig.size);
	size_t n = sig.size;
	gnutls_free(sig.data);
	return n;
}

/* ECDSA as methods 9-11 want it: r || s, each left-padded to the curve's size (RFC 4754) */
static size_t sign_raw(gnutls_privkey_t k, gnutls_digest_algorithm_t dig, size_t half, uint8_t *out)
{
	uint8_t der[256];
	size_t dl = sign(k, dig, der, sizeof(der));
	gnutls_datum_t d = { der, (unsigned)dl }, r, s;
	ck_assert_int_eq(gnutls_decode_rs_value(&d, &r, &s), 0);
	const gnutls_datum_t *v[2] = { &r, &s };
	for (int i = 0; i < 2; i++) {
		const uint8_t *p = v[i]->data;
		size_t l = v[i]->size;
		while (l > half && !*p)
			p++, l--;
		ck_assert_uint_le(l, half);
		memset(out + i * half, 0, half - l);
		memcpy(out + i * half + half - l, p, l);
	}
	gnutls_free(r.data);
	gnutls_free(s.data);
	return 2 * half;
}

/* method 14 AUTH data: header then the signature */
static size_t with_header(const uint8_t *hdr, size_t hl, const uint8_t *sig, size_t sl, uint8_t *out)
{
	memcpy(out, hdr, hl);
	memcpy(out + hl, sig, sl);
	return hl + sl;
}

static int verify(uint8_t method, const uint8_t *sig, size_t len, const struct keycert *kc, bool sha1,
		  struct ikev2_sig_info *info, const char **why)
{
	return ikev2_sig_verify(method, sig, len, kc->der, kc->der_len, octets, sizeof(octets), sha1, info, why);
}

/* ---- accepted ---- */

START_TEST(rsa_sha1_method1)
{
	uint8_t sig[512];
	size_t n = sign(rsa.key, GNUTLS_DIG_SHA1, sig, sizeof(sig));
	struct ikev2_sig_info info;
	const char *why = "unset";
	ck_assert_int_eq(verify(IKEV2_AUTH_RSA, sig, n, &rsa, true, &info, &why), 0);
	ck_assert_ptr_null(why);
	ck_assert_uint_eq(info.method, IKEV2_AUTH_RSA);
	ck_assert_uint_eq(info.hash, KANMON_HASH_SHA1);
	ck_assert_str_eq(info.name, "RSA-SHA1");
}
END_TEST

START_TEST(rsa_sha256_method14)
{
	uint8_t sig[512], auth[600];
	size_t n = sign(rsa.key, GNUTLS_DIG_SHA256, sig, sizeof(sig));
	size_t al = with_header(H_RSA_SHA256, sizeof(H_RSA_SHA256), sig, n, auth);
	struct ikev2_sig_info info;
	const char *why;
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &rsa, false, &info, &why), 0);
	ck_assert_uint_eq(info.hash, KANMON_HASH_SHA256);
	ck_assert(!info.pss);
	ck_assert_str_eq(info.name, "RSA-SHA256");
	/* SHA-384 and SHA-512 the same way */
	n = sign(rsa.key, GNUTLS_DIG_SHA384, sig, sizeof(sig));
	al = with_header(H_RSA_SHA384, sizeof(H_RSA_SHA384), sig, n, auth);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &rsa, false, &info, &why), 0);
	ck_assert_str_eq(info.name, "RSA-SHA384");
	n = sign(rsa.key, GNUTLS_DIG_SHA512, sig, sizeof(sig));
	al = with_header(H_RSA_SHA512, sizeof(H_RSA_SHA512), sig, n, auth);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &rsa, false, &info, &why), 0);
	ck_assert_str_eq(info.name, "RSA-SHA512");
}
END_TEST

START_TEST(rsa_pss_sha256_method14)
{
	uint8_t hdr[80], auth[600];
	size_t hl = pss_header(32, hdr);
	gnutls_datum_t data = { (unsigned char *)octets, sizeof(octets) }, sig;
	/* RSASSA-PSS with an rsaEncryption key, salt = hash length */
	ck_assert_int_eq(gnutls_privkey_sign_data2(rsa.key, GNUTLS_SIGN_RSA_PSS_RSAE_SHA256, 0, &data, &sig), 0);
	size_t al = with_header(hdr, hl, sig.data, sig.size, auth);
	gnutls_free(sig.data);
	struct ikev2_sig_info info;
	const char *why;
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &rsa, false, &info, &why), 0);
	ck_assert(info.pss);
	ck_assert_uint_eq(info.hash, KANMON_HASH_SHA256);
	ck_assert_str_eq(info.name, "RSA-PSS-SHA256");
	/* the same signature under a PKCS#1 v1.5 header does not verify */
	memcpy(auth + hl - sizeof(H_RSA_SHA256), H_RSA_SHA256, sizeof(H_RSA_SHA256));
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth + hl - sizeof(H_RSA_SHA256),
				al - hl + sizeof(H_RSA_SHA256), &rsa, false, &info, &why), -EKEYREJECTED);
}
END_TEST

START_TEST(ecdsa_sha256_der_method14)
{
	uint8_t sig[256], auth[300];
	size_t n = sign(p256.key, GNUTLS_DIG_SHA256, sig, sizeof(sig));
	size_t al = with_header(H_ECDSA_SHA256, sizeof(H_ECDSA_SHA256), sig, n, auth);
	struct ikev2_sig_info info;
	const char *why;
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &p256, false, &info, &why), 0);
	ck_assert_str_eq(info.name, "ECDSA-SHA256");
	/* RFC 7427 does not tie the hash to the curve: SHA-384 on P-256, SHA-512 on P-384 */
	n = sign(p256.key, GNUTLS_DIG_SHA384, sig, sizeof(sig));
	al = with_header(H_ECDSA_SHA384, sizeof(H_ECDSA_SHA384), sig, n, auth);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &p256, false, &info, &why), 0);
	n = sign(p384.key, GNUTLS_DIG_SHA512, sig, sizeof(sig));
	al = with_header(H_ECDSA_SHA512, sizeof(H_ECDSA_SHA512), sig, n, auth);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &p384, false, &info, &why), 0);
	ck_assert_str_eq(info.name, "ECDSA-SHA512");
	/* some clients send ecdsa-with-SHA256 with a NULL parameter */
	static const uint8_t with_null[] = { 0x0e, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
					     0x3d, 0x04, 0x03, 0x02, 0x05, 0x00 };
	n = sign(p256.key, GNUTLS_DIG_SHA256, sig, sizeof(sig));
	al = with_header(with_null, sizeof(with_null), sig, n, auth);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &p256, false, &info, &why), 0);
}
END_TEST

START_TEST(ecdsa_raw_methods_9_10)
{
	uint8_t sig[132];
	struct ikev2_sig_info info;
	const char *why;
	size_t n = sign_raw(p256.key, GNUTLS_DIG_SHA256, 32, sig);
	ck_assert_uint_eq(n, 64);
	ck_assert_int_eq(verify(IKEV2_AUTH_ECDSA_256, sig, n, &p256, false, &info, &why), 0);
	ck_assert_uint_eq(info.hash, KANMON_HASH_SHA256);
	ck_assert_str_eq(info.name, "ECDSA-SHA256");
	n = sign_raw(p384.key, GNUTLS_DIG_SHA384, 48, sig);
	ck_assert_uint_eq(n, 96);
	ck_assert_int_eq(verify(IKEV2_AUTH_ECDSA_384, sig, n, &p384, false, &info, &why), 0);
	ck_assert_uint_eq(info.hash, KANMON_HASH_SHA384);
}
END_TEST

/* ---- refused ---- */

START_TEST(flipped_byte_rejected)
{
	uint8_t sig[512], auth[600];
	struct ikev2_sig_info info;
	const char *why;
	size_t n = sign(rsa.key, GNUTLS_DIG_SHA1, sig, sizeof(sig));
	sig[n / 2] ^= 0x01;
	ck_assert_int_eq(verify(IKEV2_AUTH_RSA, sig, n, &rsa, true, &info, &why), -EKEYREJECTED);
	ck_assert_ptr_nonnull(why);
	n = sign(p256.key, GNUTLS_DIG_SHA256, sig, sizeof(sig));
	size_t al = with_header(H_ECDSA_SHA256, sizeof(H_ECDSA_SHA256), sig, n, auth);
	auth[al - 1] ^= 0x80;
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &p256, false, &info, &why), -EKEYREJECTED);
	n = sign_raw(p256.key, GNUTLS_DIG_SHA256, 32, sig);
	sig[5] ^= 0x10;
	ck_assert_int_eq(verify(IKEV2_AUTH_ECDSA_256, sig, n, &p256, false, &info, &why), -EKEYREJECTED);
	/* a good signature over other octets */
	n = sign(rsa.key, GNUTLS_DIG_SHA256, sig, sizeof(sig));
	al = with_header(H_RSA_SHA256, sizeof(H_RSA_SHA256), sig, n, auth);
	ck_assert_int_eq(ikev2_sig_verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, rsa.der, rsa.der_len, octets,
					  sizeof(octets) - 1, false, &info, &why), -EKEYREJECTED);
	/* with another certificate's key */
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &p256, false, &info, &why), -EKEYREJECTED);
}
END_TEST

START_TEST(wrong_key_type_for_method)
{
	uint8_t sig[512], auth[600];
	struct ikev2_sig_info info;
	const char *why;
	/* method 1 (RSA) with an ECDSA certificate */
	size_t n = sign(p256.key, GNUTLS_DIG_SHA1, sig, sizeof(sig));
	ck_assert_int_eq(verify(IKEV2_AUTH_RSA, sig, n, &p256, true, &info, &why), -EKEYREJECTED);
	ck_assert_ptr_nonnull(why);
	/* method 9 with an RSA certificate */
	n = sign_raw(p256.key, GNUTLS_DIG_SHA256, 32, sig);
	ck_assert_int_eq(verify(IKEV2_AUTH_ECDSA_256, sig, n, &rsa, true, &info, &why), -EKEYREJECTED);
	/* method 14 ecdsa-with-SHA256 with an RSA certificate, sha256WithRSA with an ECDSA one */
	size_t al = with_header(H_ECDSA_SHA256, sizeof(H_ECDSA_SHA256), sig, n, auth);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &rsa, false, &info, &why), -EKEYREJECTED);
	n = sign(rsa.key, GNUTLS_DIG_SHA256, sig, sizeof(sig));
	al = with_header(H_RSA_SHA256, sizeof(H_RSA_SHA256), sig, n, auth);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &p256, false, &info, &why), -EKEYREJECTED);
	/* RSASSA-PSS header with an ECDSA certificate */
	uint8_t hdr[80];
	size_t hl = pss_header(32, hdr);
	al = with_header(hdr, hl, sig, n, auth);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &p256, false, &info, &why), -EKEYREJECTED);
}
END_TEST

START_TEST(method9_needs_p256)
{
	uint8_t sig[132];
	struct ikev2_sig_info info;
	const char *why = NULL;
	/* a P-384 certificate: method 9 names P-256, whatever the length */
	size_t n = sign_raw(p256.key, GNUTLS_DIG_SHA256, 32, sig);
	ck_assert_int_eq(verify(IKEV2_AUTH_ECDSA_256, sig, n, &p384, false, &info, &why), -EKEYREJECTED);
	ck_assert_ptr_nonnull(why);
	n = sign_raw(p384.key, GNUTLS_DIG_SHA384, 48, sig);
	ck_assert_int_eq(verify(IKEV2_AUTH_ECDSA_256, sig, n, &p384, false, &info, &why), -EKEYREJECTED);
	/* and method 10 with a P-256 one */
	n = sign_raw(p256.key, GNUTLS_DIG_SHA384, 48, sig);
	ck_assert_int_eq(verify(IKEV2_AUTH_ECDSA_384, sig, n, &p256, false, &info, &why), -EKEYREJECTED);
}
END_TEST

START_TEST(ecdsa_raw_wrong_length)
{
	uint8_t sig[132];
	struct ikev2_sig_info info;
	const char *why = NULL;
	size_t n = sign_raw(p256.key, GNUTLS_DIG_SHA256, 32, sig);
	ck_assert_int_eq(verify(IKEV2_AUTH_ECDSA_256, sig, n - 1, &p256, false, &info, &why), -EBADMSG);
	ck_assert_ptr_nonnull(why);
	sig[64] = 0;
	ck_assert_int_eq(verify(IKEV2_AUTH_ECDSA_256, sig, n + 1, &p256, false, &info, &why), -EBADMSG);
	/* a DER signature under method 9 is not r || s */
	n = sign(p256.key, GNUTLS_DIG_SHA256, sig, sizeof(sig));
	if (n != 64)
		ck_assert_int_eq(verify(IKEV2_AUTH_ECDSA_256, sig, n, &p256, false, &info, &why), -EBADMSG);
	ck_assert_int_eq(verify(IKEV2_AUTH_ECDSA_384, sig, 64, &p384, false, &info, &why), -EBADMSG);
}
END_TEST

START_TEST(pss_salt_must_be_hash_length)
{
	uint8_t hdr[80], auth[600];
	size_t hl = pss_header(64, hdr);
	gnutls_datum_t data = { (unsigned char *)octets, sizeof(octets) }, sig;
	ck_assert_int_eq(gnutls_privkey_sign_data2(rsa.key, GNUTLS_SIGN_RSA_PSS_RSAE_SHA256, 0, &data, &sig), 0);
	size_t al = with_header(hdr, hl, sig.data, sig.size, auth);
	gnutls_free(sig.data);
	struct ikev2_sig_info info;
	const char *why = NULL;
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &rsa, false, &info, &why), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_nonnull(strstr(why, "salt"));
	/* salt 20 (the RFC 4055 default) with SHA-256 likewise */
	hdr[hl - 1] = 20;
	memcpy(auth, hdr, hl);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &rsa, false, &info, &why), -EOPNOTSUPP);
}
END_TEST

START_TEST(sha1_refused_when_off)
{
	uint8_t sig[512], auth[600];
	struct ikev2_sig_info info;
	const char *why = NULL;
	size_t n = sign(rsa.key, GNUTLS_DIG_SHA1, sig, sizeof(sig));
	ck_assert_int_eq(verify(IKEV2_AUTH_RSA, sig, n, &rsa, false, &info, &why), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_nonnull(strstr(why, "sha1_signatures"));
	/* sha1WithRSAEncryption under method 14 as well */
	size_t al = with_header(H_RSA_SHA1, sizeof(H_RSA_SHA1), sig, n, auth);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &rsa, false, &info, &why), -EOPNOTSUPP);
	/* and is accepted when allowed */
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &rsa, true, &info, &why), 0);
	ck_assert_str_eq(info.name, "RSA-SHA1");
}
END_TEST

START_TEST(psk_and_unknown_methods)
{
	uint8_t psk[32] = { 0 };
	struct ikev2_sig_info info;
	const char *why = NULL;
	ck_assert_int_eq(verify(IKEV2_AUTH_PSK, psk, sizeof(psk), &rsa, true, &info, &why), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_nonnull(strstr(why, "pre-shared key"));
	/* DSS (3) and a private-use number */
	ck_assert_int_eq(verify(3, psk, sizeof(psk), &rsa, true, &info, &why), -EOPNOTSUPP);
	ck_assert_int_eq(verify(201, psk, sizeof(psk), &rsa, true, &info, &why), -EOPNOTSUPP);
}
END_TEST

START_TEST(rfc7427_header_malformed)
{
	uint8_t sig[512], auth[600];
	struct ikev2_sig_info info;
	const char *why = NULL;
	size_t n = sign(rsa.key, GNUTLS_DIG_SHA256, sig, sizeof(sig));
	size_t al = with_header(H_RSA_SHA256, sizeof(H_RSA_SHA256), sig, n, auth);
	/* nothing, the length byte only, the header without a signature, cut inside the header */
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, 0, &rsa, false, &info, &why), -EBADMSG);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, 1, &rsa, false, &info, &why), -EBADMSG);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, sizeof(H_RSA_SHA256), &rsa, false, &info, &why),
			 -EBADMSG);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, 9, &rsa, false, &info, &why), -EBADMSG);
	/* a length byte larger than the AUTH data */
	uint8_t bad[600];
	memcpy(bad, auth, al);
	bad[0] = 0xff;
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, bad, 100, &rsa, false, &info, &why), -EBADMSG);
	/* a length byte that disagrees with the DER inside */
	memcpy(bad, auth, al);
	bad[0] = 0x0e;
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, bad, al, &rsa, false, &info, &why), -EBADMSG);
	memcpy(bad, auth, al);
	bad[2] = 0x0e;	/* SEQUENCE longer than the header */
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, bad, al, &rsa, false, &info, &why), -EBADMSG);
	/* garbage: not a SEQUENCE, then a SEQUENCE without an OID */
	memcpy(bad, auth, al);
	memset(bad + 1, 0x04, 15);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, bad, al, &rsa, false, &info, &why), -EBADMSG);
	static const uint8_t no_oid[] = { 0x04, 0x30, 0x02, 0x05, 0x00 };
	al = with_header(no_oid, sizeof(no_oid), sig, n, bad);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, bad, al, &rsa, false, &info, &why), -EBADMSG);
	/* indefinite length */
	static const uint8_t indef[] = { 0x0f, 0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x00, 0x00 };
	al = with_header(indef, sizeof(indef), sig, n, bad);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, bad, al, &rsa, false, &info, &why), -EBADMSG);
	/* sha256WithRSA with a parameter other than NULL */
	static const uint8_t params[] = { 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					  0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x04, 0x00 };
	al = with_header(params, sizeof(params), sig, n, bad);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, bad, al, &rsa, false, &info, &why), -EBADMSG);
}
END_TEST

START_TEST(rfc7427_unknown_oid)
{
	uint8_t sig[512], auth[600];
	struct ikev2_sig_info info;
	const char *why = NULL;
	size_t n = sign(rsa.key, GNUTLS_DIG_SHA256, sig, sizeof(sig));
	/* sha224WithRSAEncryption (1.2.840.113549.1.1.14) */
	static const uint8_t sha224[] = { 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					  0xf7, 0x0d, 0x01, 0x01, 0x0e, 0x05, 0x00 };
	size_t al = with_header(sha224, sizeof(sha224), sig, n, auth);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &rsa, false, &info, &why), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(why);
	/* Ed25519 (1.3.101.112), RFC 8420 */
	static const uint8_t ed25519[] = { 0x07, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };
	al = with_header(ed25519, sizeof(ed25519), sig, n, auth);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &rsa, false, &info, &why), -EOPNOTSUPP);
	/* RSASSA-PSS with an unknown hash (SHA-224 in [0]) */
	uint8_t hdr[80];
	size_t hl = pss_header(28, hdr);
	hdr[1 + 2 + 11 + 2 + 2 + 12] = 0x04;	/* ...04 02 01 -> ...04 02 04 (SHA-224) */
	al = with_header(hdr, hl, sig, n, auth);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, al, &rsa, false, &info, &why), -EOPNOTSUPP);
}
END_TEST

/* ---- the server's side ---- */

START_TEST(choose_method)
{
	uint8_t method = 0, hash = 0;
	unsigned flags = 99;
	const uint8_t all = 1u << KANMON_HASH_SHA256 | 1u << KANMON_HASH_SHA384 | 1u << KANMON_HASH_SHA512;
	/* no SIGNATURE_HASH_ALGORITHMS from the client: the classic method of the key */
	ck_assert_int_eq(ikev2_sig_choose(KANMON_KEY_RSA, 2048, 0, &method, &hash, &flags), 0);
	ck_assert_uint_eq(method, IKEV2_AUTH_RSA);
	ck_assert_uint_eq(hash, KANMON_HASH_SHA1);
	ck_assert_uint_eq(flags, 0);
	ck_assert_int_eq(ikev2_sig_choose(KANMON_KEY_ECDSA, 256, 0, &method, &hash, &flags), 0);
	ck_assert_uint_eq(method, IKEV2_AUTH_ECDSA_256);
	ck_assert_uint_eq(hash, KANMON_HASH_SHA256);
	ck_assert_uint_eq(flags, KANMON_SIGN_ECDSA_RAW);
	ck_assert_int_eq(ikev2_sig_choose(KANMON_KEY_ECDSA, 384, 0, &method, &hash, &flags), 0);
	ck_assert_uint_eq(method, IKEV2_AUTH_ECDSA_384);
	ck_assert_uint_eq(hash, KANMON_HASH_SHA384);
	ck_assert_uint_eq(flags, KANMON_SIGN_ECDSA_RAW);
	ck_assert_int_eq(ikev2_sig_choose(KANMON_KEY_ECDSA, 521, 0, &method, &hash, &flags), 0);
	ck_assert_uint_eq(method, IKEV2_AUTH_ECDSA_521);
	ck_assert_uint_eq(hash, KANMON_HASH_SHA512);
	/* a curve without a classic method, an unknown key type */
	ck_assert_int_eq(ikev2_sig_choose(KANMON_KEY_ECDSA, 224, 0, &method, &hash, &flags), -EOPNOTSUPP);
	ck_assert_int_eq(ikev2_sig_choose(7, 2048, 0, &method, &hash, &flags), -EOPNOTSUPP);
	ck_assert_int_eq(ikev2_sig_choose(7, 2048, all, &method, &hash, &flags), -EOPNOTSUPP);

	/* the client sent SIGNATURE_HASH_ALGORITHMS: RFC 7427, SHA-256 first, DER ECDSA */
	ck_assert_int_eq(ikev2_sig_choose(KANMON_KEY_RSA, 2048, all, &method, &hash, &flags), 0);
	ck_assert_uint_eq(method, IKEV2_AUTH_DIGITAL_SIG);
	ck_assert_uint_eq(hash, KANMON_HASH_SHA256);
	ck_assert_uint_eq(flags, 0);
	static const uint16_t bits[] = { 256, 384, 521 };
	for (size_t i = 0; i < 3; i++) {
		flags = 99;
		ck_assert_int_eq(ikev2_sig_choose(KANMON_KEY_ECDSA, bits[i], all, &method, &hash, &flags), 0);
		ck_assert_uint_eq(method, IKEV2_AUTH_DIGITAL_SIG);
		ck_assert_uint_eq(hash, KANMON_HASH_SHA256);
		ck_assert_uint_eq(flags, 0);
	}
	/* only SHA-384 / only SHA-512 offered */
	ck_assert_int_eq(ikev2_sig_choose(KANMON_KEY_RSA, 2048, 1u << KANMON_HASH_SHA384, &method, &hash, &flags), 0);
	ck_assert_uint_eq(method, IKEV2_AUTH_DIGITAL_SIG);
	ck_assert_uint_eq(hash, KANMON_HASH_SHA384);
	ck_assert_int_eq(ikev2_sig_choose(KANMON_KEY_ECDSA, 384, 1u << KANMON_HASH_SHA512, &method, &hash, &flags), 0);
	ck_assert_uint_eq(hash, KANMON_HASH_SHA512);
	/* only SHA-1 or Identity (5) offered: nothing RFC 7427 we sign with, the classic method */
	ck_assert_int_eq(ikev2_sig_choose(KANMON_KEY_RSA, 2048, 1u << KANMON_HASH_SHA1 | 1u << 5, &method, &hash,
					  &flags), 0);
	ck_assert_uint_eq(method, IKEV2_AUTH_RSA);
	ck_assert_int_eq(ikev2_sig_choose(KANMON_KEY_ECDSA, 256, 1u << KANMON_HASH_SHA1, &method, &hash, &flags), 0);
	ck_assert_uint_eq(method, IKEV2_AUTH_ECDSA_256);
	/* ECDSA on a curve without a classic method is fine under RFC 7427 */
	ck_assert_int_eq(ikev2_sig_choose(KANMON_KEY_ECDSA, 224, all, &method, &hash, &flags), 0);
	ck_assert_uint_eq(method, IKEV2_AUTH_DIGITAL_SIG);
}
END_TEST

START_TEST(rfc7427_header_bytes)
{
	uint8_t out[64];
	struct {
		uint8_t key, hash;
		const uint8_t *want;
		size_t len;
	} cases[] = {
		{ KANMON_KEY_RSA, KANMON_HASH_SHA1, H_RSA_SHA1, sizeof(H_RSA_SHA1) },
		{ KANMON_KEY_RSA, KANMON_HASH_SHA256, H_RSA_SHA256, sizeof(H_RSA_SHA256) },
		{ KANMON_KEY_RSA, KANMON_HASH_SHA384, H_RSA_SHA384, sizeof(H_RSA_SHA384) },
		{ KANMON_KEY_RSA, KANMON_HASH_SHA512, H_RSA_SHA512, sizeof(H_RSA_SHA512) },
		{ KANMON_KEY_ECDSA, KANMON_HASH_SHA256, H_ECDSA_SHA256, sizeof(H_ECDSA_SHA256) },
		{ KANMON_KEY_ECDSA, KANMON_HASH_SHA384, H_ECDSA_SHA384, sizeof(H_ECDSA_SHA384) },
		{ KANMON_KEY_ECDSA, KANMON_HASH_SHA512, H_ECDSA_SHA512, sizeof(H_ECDSA_SHA512) },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 0xee, sizeof(out));
		ck_assert_uint_eq(ikev2_sig_rfc7427_header(cases[i].key, cases[i].hash, out), cases[i].len);
		ck_assert_mem_eq(out, cases[i].want, cases[i].len);
	}
	/* ecdsa-with-SHA1 (1.2.840.10045.4.1): a 7-byte OID */
	static const uint8_t ecdsa_sha1[] = { 0x0b, 0x30, 0x09, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01 };
	ck_assert_uint_eq(ikev2_sig_rfc7427_header(KANMON_KEY_ECDSA, KANMON_HASH_SHA1, out), sizeof(ecdsa_sha1));
	ck_assert_mem_eq(out, ecdsa_sha1, sizeof(ecdsa_sha1));
	/* no header for an unknown hash or key type */
	ck_assert_uint_eq(ikev2_sig_rfc7427_header(KANMON_KEY_RSA, 5, out), 0);
	ck_assert_uint_eq(ikev2_sig_rfc7427_header(KANMON_KEY_RSA, 0, out), 0);
	ck_assert_uint_eq(ikev2_sig_rfc7427_header(9, KANMON_HASH_SHA256, out), 0);
}
END_TEST

START_TEST(server_signature_round_trip)
{
	/* what the server sends (header from ikev2_sig_rfc7427_header + a GnuTLS signature) is what it accepts */
	uint8_t auth[600];
	struct ikev2_sig_info info;
	const char *why;
	size_t hl = ikev2_sig_rfc7427_header(KANMON_KEY_ECDSA, KANMON_HASH_SHA384, auth);
	ck_assert_uint_gt(hl, 0);
	size_t n = sign(p384.key, GNUTLS_DIG_SHA384, auth + hl, sizeof(auth) - hl);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, hl + n, &p384, false, &info, &why), 0);
	hl = ikev2_sig_rfc7427_header(KANMON_KEY_RSA, KANMON_HASH_SHA512, auth);
	n = sign(rsa.key, GNUTLS_DIG_SHA512, auth + hl, sizeof(auth) - hl);
	ck_assert_int_eq(verify(IKEV2_AUTH_DIGITAL_SIG, auth, hl + n, &rsa, false, &info, &why), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ikev2_sig");
	TCase *tc = tcase_create("sig");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
	tcase_add_test(tc, rsa_sha1_method1);
	tcase_add_test(tc, rsa_sha256_method14);
	tcase_add_test(tc, rsa_pss_sha256_method14);
	tcase_add_test(tc, ecdsa_sha256_der_method14);
	tcase_add_test(tc, ecdsa_raw_methods_9_10);
	tcase_add_test(tc, flipped_byte_rejected);
	tcase_add_test(tc, wrong_key_type_for_method);
	tcase_add_test(tc, method9_needs_p256);
	tcase_add_test(tc, ecdsa_raw_wrong_length);
	tcase_add_test(tc, pss_salt_must_be_hash_length);
	tcase_add_test(tc, sha1_refused_when_off);
	tcase_add_test(tc, psk_and_unknown_methods);
	tcase_add_test(tc, rfc7427_header_malformed);
	tcase_add_test(tc, rfc7427_unknown_oid);
	tcase_add_test(tc, choose_method);
	tcase_add_test(tc, rfc7427_header_bytes);
	tcase_add_test(tc, server_signature_round_trip);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
