/* SPDX-License-Identifier: MIT */
/* authkit.c - certificates and prf+ for the IKE_AUTH and lifecycle tests (authkit.h). */
#include <string.h>
#include <time.h>

#include <check.h>

#include "authkit.h"

/* a key and a certificate: issued by `issuer`, self-signed (a CA) when NULL */
void ent_make(struct ent *e, gnutls_pk_algorithm_t pk, unsigned bits, const char *cn, const char *email,
		 const char *dns, const struct ent *issuer, uint8_t serial)
{
	ck_assert_int_eq(gnutls_x509_privkey_init(&e->xkey), 0);
	ck_assert_int_eq(gnutls_x509_privkey_generate(e->xkey, pk, bits, 0), 0);
	ck_assert_int_eq(gnutls_privkey_init(&e->key), 0);
	ck_assert_int_eq(gnutls_privkey_import_x509(e->key, e->xkey, GNUTLS_PRIVKEY_IMPORT_COPY), 0);
	ck_assert_int_eq(gnutls_x509_crt_init(&e->crt), 0);
	gnutls_x509_crt_t c = e->crt;
	ck_assert_int_eq(gnutls_x509_crt_set_version(c, 3), 0);
	uint8_t sn[2] = { 0x10, serial };
	ck_assert_int_eq(gnutls_x509_crt_set_serial(c, sn, sizeof(sn)), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_dn_by_oid(c, GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen(cn)), 0);
	time_t now = time(NULL);
	ck_assert_int_eq(gnutls_x509_crt_set_activation_time(c, now - 3600), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_expiration_time(c, now + 86400), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_key(c, e->xkey), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_basic_constraints(c, issuer == NULL, -1), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_key_usage(c, issuer ? GNUTLS_KEY_DIGITAL_SIGNATURE
								 : GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN), 0);
	if (email)
		ck_assert_int_eq(gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_RFC822NAME, email, strlen(email),
								      GNUTLS_FSAN_APPEND), 0);
	if (dns)
		ck_assert_int_eq(gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_DNSNAME, dns, strlen(dns),
								      GNUTLS_FSAN_APPEND), 0);
	if (issuer)
		ck_assert_int_eq(gnutls_x509_crt_sign2(c, issuer->crt, issuer->xkey, GNUTLS_DIG_SHA256, 0), 0);
	else
		ck_assert_int_eq(gnutls_x509_crt_sign2(c, c, e->xkey, GNUTLS_DIG_SHA256, 0), 0);
	e->der_len = sizeof(e->der);
	ck_assert_int_eq(gnutls_x509_crt_export(c, GNUTLS_X509_FMT_DER, e->der, &e->der_len), 0);
	/* as a peer would hold it: parsed from DER (GnuTLS keeps the raw DNs only of imported ones) */
	gnutls_x509_crt_deinit(c);
	gnutls_datum_t d = { e->der, (unsigned)e->der_len };
	ck_assert_int_eq(gnutls_x509_crt_init(&e->crt), 0);
	ck_assert_int_eq(gnutls_x509_crt_import(e->crt, &d, GNUTLS_X509_FMT_DER), 0);
}

void ent_drop(struct ent *e)
{
	gnutls_privkey_deinit(e->key);
	gnutls_x509_privkey_deinit(e->xkey);
	gnutls_x509_crt_deinit(e->crt);
}

gnutls_mac_algorithm_t mac_of(const struct ini *c)
{
	return c->prf == PRF_HMAC_SHA1 ? GNUTLS_MAC_SHA1 : c->prf == PRF_HMAC_SHA2_256 ? GNUTLS_MAC_SHA256
	       : c->prf == PRF_HMAC_SHA2_384 ? GNUTLS_MAC_SHA384 : GNUTLS_MAC_SHA512;
}

/* RFC 7296 2.13 prf+ with GnuTLS */
void kdf_plus(const struct ini *c, const uint8_t *key, const uint8_t *seed, size_t sl, uint8_t *out,
		     size_t need)
{
	uint8_t t[64], in[64 + 1024 + 1];
	size_t tl = 0, have = 0;
	ck_assert_uint_le(sl, 1024);
	for (uint8_t n = 1; have < need; n++) {
		memcpy(in, t, tl);
		memcpy(in + tl, seed, sl);
		in[tl + sl] = n;
		ck_assert_int_eq(gnutls_hmac_fast(mac_of(c), key, c->prf_len, in, tl + sl + 1, t), 0);
		tl = c->prf_len;
		size_t k = need - have < tl ? need - have : tl;
		memcpy(out + have, t, k);
		have += k;
	}
}

