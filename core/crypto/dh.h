/* SPDX-License-Identifier: MIT */
/*
 * dh.h - IKE key exchange groups (IANA "Transform Type 4"): MODP 1024/1536/
 * 2048/3072/4096 (gmp, mpz_powm_sec), ECP 256/384 (nettle) and Curve25519
 * (nettle). GnuTLS 3.7 has no public key-agreement API, hence these.
 *
 * Wire formats are IKEv2's: MODP values big-endian padded to the prime's
 * length (RFC 7296 3.4, 2.14); ECP public values x || y, each padded to the
 * field size, shared secret x only (RFC 5903 7); Curve25519 32 bytes
 * (RFC 8031). Peer values are validated before use (1 < y < p-1; point on
 * the curve; X25519 result not all zero): an invalid one is -EINVAL.
 * Private values are wiped by dh_free().
 */
#ifndef KANMON_CRYPTO_DH_H
#define KANMON_CRYPTO_DH_H

#include <stddef.h>
#include <stdint.h>

#define DH_MODP1024	2
#define DH_MODP1536	5
#define DH_MODP2048	14
#define DH_MODP3072	15
#define DH_MODP4096	16
#define DH_ECP256	19
#define DH_ECP384	20
#define DH_CURVE25519	31

#define DH_MAX_PUB	512	/* MODP4096 */

struct dh;

/* true for the groups above */
int dh_supported(uint16_t group);
const char *dh_name(uint16_t group);		/* "modp2048", "ecp256", "curve25519" */
size_t dh_public_len(uint16_t group);		/* KE payload data length; 0 unknown */
size_t dh_shared_len(uint16_t group);

/* New key pair with a fresh random private value. -ENOTSUP unknown group. */
int dh_new(uint16_t group, struct dh **out);
/* Known-answer tests only: a given private value (big-endian / X25519 bytes). */
int dh_new_with_private(uint16_t group, const uint8_t *priv, size_t len, struct dh **out);
void dh_free(struct dh *d);
uint16_t dh_group(const struct dh *d);

/* Copies dh_public_len() bytes of our public value. */
int dh_public(const struct dh *d, uint8_t *out, size_t len);
/* Shared secret with the peer's public value; out holds dh_shared_len(). */
int dh_shared(const struct dh *d, const uint8_t *peer, size_t peer_len, uint8_t *out, size_t out_len);

extern const char dh_modp1024_hex[], dh_modp1536_hex[], dh_modp2048_hex[], dh_modp3072_hex[],
	dh_modp4096_hex[];

#endif
