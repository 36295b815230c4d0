/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sig.c - fuzz target of the AUTH payload data a client sends
 * (ikev2_sig_verify): byte 0 picks the AUTH method (1, 9, 10, 11, 14 or
 * anything else) and, by its top bit, the certificate's key (RSA or ECDSA
 * P-256, made once with GnuTLS); the rest is the AUTH data: for method 14
 * the RFC 7427 AlgorithmIdentifier (DER, RSASSA-PSS parameters included) and
 * the signature. Whatever the bytes, the result is 0 or one of the
 * documented errors with a reason, and nothing is read outside the input.
 * Seeds (corpus/sig): the RFC 7427 appendix A headers, PSS with explicit
 * parameters, truncations.
 *   libFuzzer:  fuzz_ikev2_sig corpus/sig   replay: fuzz_ikev2_sig_replay corpus/sig
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "ikev2_sig.h"

static uint8_t certs[2][4096];
static size_t cert_len[2];

static void make_cert(int i, gnutls_pk_algorithm_t pk, unsigned bits)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	if (gnutls_x509_privkey_init(&key) || gnutls_x509_privkey_generate(key, pk, bits, 0) ||
	    gnutls_x509_crt_init(&crt))
		abort();
	static const uint8_t serial[1] = { 1 };
	gnutls_x509_crt_set_version(crt, 3);
	gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "fuzz", 4);
	gnutls_x509_crt_set_activation_time(crt, 0);
	gnutls_x509_crt_set_expiration_time(crt, 2000000000);
	gnutls_x509_crt_set_key(crt, key);
	if (gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0))
		abort();
	cert_len[i] = sizeof(certs[i]);
	if (gnutls_x509_crt_export(crt, GNUTLS_X509_FMT_DER, certs[i], &cert_len[i]))
		abort();
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		make_cert(0, GNUTLS_PK_RSA, 1024);
		make_cert(1, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
		ready = 1;
	}
	if (size < 1)
		return 0;
	static const uint8_t methods[] = { IKEV2_AUTH_RSA, IKEV2_AUTH_ECDSA_256, IKEV2_AUTH_ECDSA_384,
					   IKEV2_AUTH_ECDSA_521, IKEV2_AUTH_DIGITAL_SIG, IKEV2_AUTH_PSK, 0 };
	uint8_t method = methods[(data[0] & 0x7f) % sizeof(methods)];
	int which = data[0] >> 7;
	/* a copy of exactly the AUTH data, so ASan sees any read beyond it */
	size_t len = size - 1;
	uint8_t *auth = malloc(len ? len : 1);
	if (!auth)
		return 0;
	memcpy(auth, data + 1, len);
	static const uint8_t octets[] = "the octets a client signs";
	struct ikev2_sig_info info;
	const char *why = NULL;
	int r = ikev2_sig_verify(method, auth, len, certs[which], cert_len[which], octets, sizeof(octets), true,
				 &info, &why);
	if (r && r != -EKEYREJECTED && r != -EOPNOTSUPP && r != -EBADMSG)
		abort();
	if (r && !why)
		abort();	/* every refusal says why */
	free(auth);
	return 0;
}
