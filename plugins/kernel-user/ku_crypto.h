/* SPDX-License-Identifier: MIT */
/*
 * ku_crypto.h - the ESP transforms of kernel-user, on GnuTLS.
 *
 * One struct ku_xform per SA: AES-GCM (RFC 4106: key || 4-byte salt, 8-byte
 * explicit IV, ICV 8/12/16), or a CBC cipher (AES-128/256, 3DES) with an
 * HMAC (SHA1-96, SHA2-256-128, SHA2-384-192, SHA2-512-256: RFC 2404/4868).
 * GnuTLS handles carry per-operation state, so one xform must not be used by
 * two threads at once: the caller (ku_esp) serialises with the SA's lock.
 * Keys are copied into GnuTLS and never kept here; ku_xform_free() deinits
 * the handles, which wipes their key schedules.
 */
#ifndef KU_CRYPTO_H
#define KU_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#define KU_MAX_ICV 32
#define KU_MAX_IV 16

struct ku_xform {
	uint8_t aead;			/* 1: AES-GCM; 0: CBC + HMAC */
	uint8_t iv_len;			/* explicit IV on the wire */
	uint8_t align;			/* payload + trailer multiple of this (RFC 4303 2.4) */
	uint8_t icv_len;
	uint8_t salt[4];		/* GCM nonce = salt || IV */
	gnutls_aead_cipher_hd_t gcm;
	gnutls_cipher_hd_t cbc;
	gnutls_hmac_hd_t hmac;
};

/* 0, -ENOTSUP (algorithm or combination not supported), -EINVAL (key length). */
int ku_xform_init(struct ku_xform *x, uint16_t enc_alg, const uint8_t *enc_key, size_t enc_key_len,
		  uint16_t integ_alg, const uint8_t *integ_key, size_t integ_key_len);
void ku_xform_free(struct ku_xform *x);
/* A name for logs, e.g. "aes256gcm16" or "aes128-sha256". */
const char *ku_xform_name(uint16_t enc_alg, size_t enc_key_len, uint16_t integ_alg);

/* GCM: data[len] encrypted in place, ICV written to icv. */
int ku_xform_seal(struct ku_xform *x, const uint8_t iv[8], const uint8_t *aad, size_t aad_len,
		  uint8_t *data, size_t len, uint8_t *icv);
/* GCM: verifies the ICV (constant time, inside GnuTLS) and decrypts in place. -EBADMSG. */
int ku_xform_open(struct ku_xform *x, const uint8_t iv[8], const uint8_t *aad, size_t aad_len,
		  uint8_t *data, size_t len, const uint8_t *icv);

/* CBC: len is a multiple of the block size. */
int ku_xform_cbc_encrypt(struct ku_xform *x, const uint8_t *iv, uint8_t *data, size_t len);
int ku_xform_cbc_decrypt(struct ku_xform *x, const uint8_t *iv, uint8_t *data, size_t len);
/* HMAC over a || b (b may be NULL), truncated to icv_len. */
int ku_xform_mac(struct ku_xform *x, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
		 uint8_t *icv);

/* Constant-time equality of n bytes: 1 equal, 0 not. */
int ku_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);

#endif
