/* SPDX-License-Identifier: MIT */
/*
 * authkit.h - what the IKE_AUTH and lifecycle tests share: certificates
 * made with GnuTLS in the test (a CA, clients, servers) and prf+ computed
 * independently of kanmon (RFC 7296 2.13).
 */
#ifndef KANMON_TEST_IKEV2_AUTHKIT_H
#define KANMON_TEST_IKEV2_AUTHKIT_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "initiator.h"

struct ent {
	gnutls_x509_privkey_t xkey;
	gnutls_privkey_t key;
	gnutls_x509_crt_t crt;
	uint8_t der[4096];
	size_t der_len;
};

/* a key and a certificate issued by `issuer` (self-signed, a CA, when NULL) */
void ent_make(struct ent *e, gnutls_pk_algorithm_t pk, unsigned bits, const char *cn, const char *email,
	      const char *dns, const struct ent *issuer, uint8_t serial);
void ent_drop(struct ent *e);
/* the HMAC of the initiator's negotiated PRF */
gnutls_mac_algorithm_t mac_of(const struct ini *c);
/* prf+(key, seed) with GnuTLS, key of prf_len bytes */
void kdf_plus(const struct ini *c, const uint8_t *key, const uint8_t *seed, size_t sl, uint8_t *out, size_t need);

#endif
