/* SPDX-License-Identifier: MIT */
/*
 * prf.h - IKEv2 pseudo-random functions (IANA "Transform Type 2") and prf+
 * (RFC 7296 2.13), on GnuTLS HMAC. Shared by the IKEv2 and IKEv1 plugins.
 */
#ifndef KANMON_CRYPTO_PRF_H
#define KANMON_CRYPTO_PRF_H

#include <stddef.h>
#include <stdint.h>

#define PRF_HMAC_SHA1		2
#define PRF_HMAC_SHA2_256	5
#define PRF_HMAC_SHA2_384	6
#define PRF_HMAC_SHA2_512	7

#define PRF_MAX_LEN 64

int prf_supported(uint16_t prf);
const char *prf_name(uint16_t prf);		/* "prfsha256" ... */
size_t prf_len(uint16_t prf);			/* output (and preferred key) length */

/* out receives prf_len() bytes. 0 or -errno. */
int prf(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *data, size_t data_len,
	uint8_t *out);
/*
 * prf+(K, S) = T1 | T2 | ... with T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n),
 * truncated to out_len; at most 255 blocks (-EINVAL beyond).
 */
int prf_plus(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *seed, size_t seed_len,
	     uint8_t *out, size_t out_len);

#endif
