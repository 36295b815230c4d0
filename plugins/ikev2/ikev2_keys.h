/* SPDX-License-Identifier: MIT */
/*
 * ikev2_keys.h - IKE SA keys (RFC 7296 2.14):
 *   SKEYSEED = prf(Ni | Nr, g^ir)
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *           = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 * SK_d/SK_pi/SK_pr have the PRF's output length, SK_a the integrity key
 * length (none for AEAD), SK_e the encryption key length (AES-GCM: key +
 * 4-byte salt, RFC 5282 7.1). Only HMAC PRFs are offered, so Ni | Nr is used
 * whole as the key (no AES-XCBC truncation rule).
 * Secrets: ikev2_keys_wipe() clears them (gnutls_memset); never log them.
 */
#ifndef KANMON_IKEV2_KEYS_H
#define KANMON_IKEV2_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "ike_cipher.h"
#include "ikev2_proposal.h"
#include "prf.h"

struct ikev2_keys {
	uint16_t prf, encr, encr_bits, integ;
	size_t prf_len, e_len, a_len;
	uint8_t sk_d[PRF_MAX_LEN];
	uint8_t sk_ai[IKE_MAX_INTEG_KEY], sk_ar[IKE_MAX_INTEG_KEY];
	uint8_t sk_ei[IKE_MAX_ENCR_KEY], sk_er[IKE_MAX_ENCR_KEY];
	uint8_t sk_pi[PRF_MAX_LEN], sk_pr[PRF_MAX_LEN];
};

/* 0, -ENOTSUP (a transform of the suite is unknown), -EIO. */
int ikev2_derive_keys(const struct ikev2_suite *s, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		      size_t nr_len, const uint8_t *gir, size_t gir_len, const uint8_t spi_i[8],
		      const uint8_t spi_r[8], struct ikev2_keys *out);

/*
 * Keys of a rekeyed IKE SA (RFC 7296 2.18): SKEYSEED = prf(SK_d (old),
 * g^ir (new) | Ni | Nr) with the old SA's PRF, then the same prf+ with the
 * new SPIs. Same codes.
 */
int ikev2_derive_keys_rekey(const struct ikev2_keys *old, const struct ikev2_suite *s, const uint8_t *ni,
			    size_t ni_len, const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len,
			    const uint8_t spi_i[8], const uint8_t spi_r[8], struct ikev2_keys *out);

void ikev2_keys_wipe(struct ikev2_keys *k);

#endif
