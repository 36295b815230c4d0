/* SPDX-License-Identifier: MIT */
/*
 * ike_cipher.h - the transforms that protect IKE messages (the SK payload,
 * RFC 7296 3.14; AES-GCM per RFC 5282), on GnuTLS ciphers and MACs. Shared
 * by the IKEv2 plugin and (later) IKEv1.
 *
 * Algorithms are named by their IANA IKEv2 transform IDs (Transform Type 1
 * "Encryption Algorithm" with the Key Length attribute in bits, Transform
 * Type 3 "Integrity Algorithm"), so protocol code passes what it negotiated
 * unchanged.
 *
 *  - CBC (3DES, AES-128/192/256): in place, len a multiple of the block
 *    size; padding is the caller's business (IKE's differs from PKCS#7).
 *  - AEAD (AES-GCM with a 16-byte ICV, 128/256): the key material is
 *    key || 4-byte salt (RFC 5282 7.1); nonce = salt || 8-byte IV.
 *  - Integrity: HMAC truncated to the ICV length of the transform; verify
 *    compares in constant time.
 *
 * Every function returns 0 or -errno: -ENOTSUP unknown transform, -EINVAL
 * bad lengths, -EBADMSG authentication failed, -EIO GnuTLS refused.
 * Nothing here keeps state, so nothing needs wiping but the caller's keys.
 */
#ifndef KANMON_CRYPTO_IKE_CIPHER_H
#define KANMON_CRYPTO_IKE_CIPHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Transform Type 1 */
#define IKE_ENCR_3DES		3
#define IKE_ENCR_AES_CBC	12
#define IKE_ENCR_AES_GCM_16	20

/* Transform Type 3 */
#define IKE_INTEG_NONE			0
#define IKE_INTEG_HMAC_SHA1_96		2
#define IKE_INTEG_HMAC_SHA2_256_128	12
#define IKE_INTEG_HMAC_SHA2_384_192	13
#define IKE_INTEG_HMAC_SHA2_512_256	14

#define IKE_MAX_ENCR_KEY	36	/* AES-256 key + GCM salt */
#define IKE_MAX_INTEG_KEY	64	/* HMAC-SHA2-512 */
#define IKE_MAX_ICV		32	/* HMAC-SHA2-512-256 */
#define IKE_MAX_IV		16
#define IKE_GCM_SALT		4
#define IKE_GCM_IV		8

/* key_bits: the Key Length attribute; 0 for fixed-size ciphers (3DES). */
bool ike_encr_supported(uint16_t encr, uint16_t key_bits);
bool ike_encr_is_aead(uint16_t encr);
/* Bytes of keying material (SK_e): AES key (+ salt for GCM), 24 for 3DES. */
size_t ike_encr_key_len(uint16_t encr, uint16_t key_bits);
/* Padding alignment of the plaintext: the cipher block, 1 for GCM. */
size_t ike_encr_block_len(uint16_t encr);
size_t ike_encr_iv_len(uint16_t encr);
/* ICV of an AEAD transform (16); 0 for CBC (the integrity transform's). */
size_t ike_encr_icv_len(uint16_t encr);
/* "aes256", "3des", "aes128gcm16" (strongSwan's names); "?" unknown. */
const char *ike_encr_name(uint16_t encr, uint16_t key_bits);

bool ike_integ_supported(uint16_t integ);
size_t ike_integ_key_len(uint16_t integ);
size_t ike_integ_icv_len(uint16_t integ);
const char *ike_integ_name(uint16_t integ);	/* "sha1", "sha256", ... */

int ike_cbc_encrypt(uint16_t encr, const uint8_t *key, size_t key_len, const uint8_t *iv, uint8_t *buf,
		    size_t len);
int ike_cbc_decrypt(uint16_t encr, const uint8_t *key, size_t key_len, const uint8_t *iv, uint8_t *buf,
		    size_t len);

/* In place; tag receives ike_encr_icv_len() bytes. key_len includes the salt. */
int ike_aead_encrypt(uint16_t encr, const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *aad,
		     size_t aad_len, uint8_t *buf, size_t len, uint8_t *tag);
/* In place; -EBADMSG (buf then undefined) when the tag does not verify. */
int ike_aead_decrypt(uint16_t encr, const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *aad,
		     size_t aad_len, uint8_t *buf, size_t len, const uint8_t *tag);

/* icv receives ike_integ_icv_len() bytes. */
int ike_integ_sign(uint16_t integ, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
		   uint8_t *icv);
/* 0 when icv matches, -EBADMSG otherwise (constant time). */
int ike_integ_verify(uint16_t integ, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
		     const uint8_t *icv);

/* Constant-time equality of two buffers of n bytes. */
bool ike_ct_equal(const void *a, const void *b, size_t n);

#endif
