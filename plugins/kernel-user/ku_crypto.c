/* SPDX-License-Identifier: MIT */
/* ku_crypto.c - ESP transforms on GnuTLS (ku_crypto.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <kanmon/sa.h>

#include "ku_crypto.h"

struct integ_info {
	uint16_t id;
	gnutls_mac_algorithm_t mac;
	uint8_t key_len, icv_len;	/* RFC 2404 / RFC 4868: key = full hash output, ICV half */
	const char *name;
};

static const struct integ_info integs[] = {
	{ KANMON_AUTH_HMAC_SHA1_96, GNUTLS_MAC_SHA1, 20, 12, "sha1" },
	{ KANMON_AUTH_HMAC_SHA2_256_128, GNUTLS_MAC_SHA256, 32, 16, "sha256" },
	{ KANMON_AUTH_HMAC_SHA2_384_192, GNUTLS_MAC_SHA384, 48, 24, "sha384" },
	{ KANMON_AUTH_HMAC_SHA2_512_256, GNUTLS_MAC_SHA512, 64, 32, "sha512" },
};

static const struct integ_info *integ_find(uint16_t id)
{
	for (size_t i = 0; i < sizeof(integs) / sizeof(integs[0]); i++)
		if (integs[i].id == id)
			return &integs[i];
	return NULL;
}

const char *ku_xform_name(uint16_t enc_alg, size_t enc_key_len, uint16_t integ_alg)
{
	/* static storage: only for log lines built on the loop thread */
	static char buf[48];
	const struct integ_info *ii = integ_find(integ_alg);
	switch (enc_alg) {
	case KANMON_ENCR_AES_GCM_8:
	case KANMON_ENCR_AES_GCM_12:
	case KANMON_ENCR_AES_GCM_16:
		snprintf(buf, sizeof(buf), "aes%zugcm%d", enc_key_len > 4 ? (enc_key_len - 4) * 8 : 0,
			 enc_alg == KANMON_ENCR_AES_GCM_8 ? 8 : enc_alg == KANMON_ENCR_AES_GCM_12 ? 12 : 16);
		break;
	case KANMON_ENCR_AES_CBC:
		snprintf(buf, sizeof(buf), "aes%zu-%s", enc_key_len * 8, ii ? ii->name : "?");
		break;
	case KANMON_ENCR_3DES:
		snprintf(buf, sizeof(buf), "3des-%s", ii ? ii->name : "?");
		break;
	default:
		snprintf(buf, sizeof(buf), "enc%u-integ%u", enc_alg, integ_alg);
	}
	return buf;
}

int ku_xform_init(struct ku_xform *x, uint16_t enc_alg, const uint8_t *enc_key, size_t enc_key_len,
		  uint16_t integ_alg, const uint8_t *integ_key, size_t integ_key_len)
{
	memset(x, 0, sizeof(*x));
	gnutls_datum_t k;
	int icv = 0;
	switch (enc_alg) {
	case KANMON_ENCR_AES_GCM_8: icv = 8; break;
	case KANMON_ENCR_AES_GCM_12: icv = 12; break;
	case KANMON_ENCR_AES_GCM_16: icv = 16; break;
	}
	if (icv) {
		gnutls_cipher_algorithm_t alg;
		/* RFC 4106 8.1: AES-192 is allowed too, but IKEv2 peers use 128/256 */
		if (enc_key_len == 16 + 4)
			alg = GNUTLS_CIPHER_AES_128_GCM;
		else if (enc_key_len == 24 + 4)
			alg = GNUTLS_CIPHER_AES_192_GCM;
		else if (enc_key_len == 32 + 4)
			alg = GNUTLS_CIPHER_AES_256_GCM;
		else
			return -EINVAL;
		/* combined mode: an integrity algorithm on top is a caller error */
		if (integ_alg != KANMON_AUTH_NONE)
			return -ENOTSUP;
		k.data = (unsigned char *)enc_key;
		k.size = (unsigned)(enc_key_len - 4);
		if (gnutls_aead_cipher_init(&x->gcm, alg, &k) < 0)
			return -ENOTSUP;
		memcpy(x->salt, enc_key + enc_key_len - 4, 4);
		x->aead = 1;
		x->iv_len = 8;
		x->align = 4;
		x->icv_len = (uint8_t)icv;
		return 0;
	}
	gnutls_cipher_algorithm_t calg;
	if (enc_alg == KANMON_ENCR_AES_CBC) {
		if (enc_key_len == 16)
			calg = GNUTLS_CIPHER_AES_128_CBC;
		else if (enc_key_len == 24)
			calg = GNUTLS_CIPHER_AES_192_CBC;
		else if (enc_key_len == 32)
			calg = GNUTLS_CIPHER_AES_256_CBC;
		else
			return -EINVAL;
		x->iv_len = 16;
	} else if (enc_alg == KANMON_ENCR_3DES) {
		if (enc_key_len != 24)
			return -EINVAL;
		calg = GNUTLS_CIPHER_3DES_CBC;
		x->iv_len = 8;
	} else {
		return -ENOTSUP;
	}
	const struct integ_info *ii = integ_find(integ_alg);
	if (!ii)
		return -ENOTSUP;
	/*
	 * RFC 4868 2.1.1 wants key length = hash length, and IKEv2 always
	 * derives that much; like Linux we take any length HMAC allows.
	 */
	if (!integ_key_len || integ_key_len > 128)
		return -EINVAL;
	uint8_t zero_iv[KU_MAX_IV] = { 0 };
	gnutls_datum_t iv = { zero_iv, x->iv_len };
	k.data = (unsigned char *)enc_key;
	k.size = (unsigned)enc_key_len;
	if (gnutls_cipher_init(&x->cbc, calg, &k, &iv) < 0)
		return -ENOTSUP;
	if (gnutls_hmac_init(&x->hmac, ii->mac, integ_key, integ_key_len) < 0) {
		gnutls_cipher_deinit(x->cbc);
		x->cbc = NULL;
		return -ENOTSUP;
	}
	x->align = x->iv_len;	/* the block size */
	x->icv_len = ii->icv_len;
	return 0;
}

void ku_xform_free(struct ku_xform *x)
{
	if (x->gcm)
		gnutls_aead_cipher_deinit(x->gcm);
	if (x->cbc)
		gnutls_cipher_deinit(x->cbc);
	if (x->hmac)
		gnutls_hmac_deinit(x->hmac, NULL);
	gnutls_memset(x, 0, sizeof(*x));
}

int ku_xform_seal(struct ku_xform *x, const uint8_t iv[8], const uint8_t *aad, size_t aad_len,
		  uint8_t *data, size_t len, uint8_t *icv)
{
	uint8_t nonce[12];
	memcpy(nonce, x->salt, 4);
	memcpy(nonce + 4, iv, 8);
	/*
	 * In place: GnuTLS writes ciphertext || tag to the output, and the tag
	 * lands right behind the data, where the ESP ICV belongs (icv must be
	 * data + len; ku_esp lays packets out that way).
	 */
	size_t out_len = len + x->icv_len;
	if (icv != data + len)
		return -EINVAL;
	if (gnutls_aead_cipher_encrypt(x->gcm, nonce, sizeof(nonce), aad, aad_len, x->icv_len, data, len,
				       data, &out_len) < 0)
		return -EIO;
	return 0;
}

int ku_xform_open(struct ku_xform *x, const uint8_t iv[8], const uint8_t *aad, size_t aad_len,
		  uint8_t *data, size_t len, const uint8_t *icv)
{
	uint8_t nonce[12];
	memcpy(nonce, x->salt, 4);
	memcpy(nonce + 4, iv, 8);
	size_t out_len = len;
	if (icv != data + len)
		return -EINVAL;
	/* GnuTLS compares the tag in constant time before releasing plaintext */
	if (gnutls_aead_cipher_decrypt(x->gcm, nonce, sizeof(nonce), aad, aad_len, x->icv_len, data,
				       len + x->icv_len, data, &out_len) < 0)
		return -EBADMSG;
	return 0;
}

int ku_xform_cbc_encrypt(struct ku_xform *x, const uint8_t *iv, uint8_t *data, size_t len)
{
	gnutls_cipher_set_iv(x->cbc, (void *)iv, x->iv_len);
	return gnutls_cipher_encrypt2(x->cbc, data, len, data, len) < 0 ? -EIO : 0;
}

int ku_xform_cbc_decrypt(struct ku_xform *x, const uint8_t *iv, uint8_t *data, size_t len)
{
	gnutls_cipher_set_iv(x->cbc, (void *)iv, x->iv_len);
	return gnutls_cipher_decrypt2(x->cbc, data, len, data, len) < 0 ? -EIO : 0;
}

int ku_xform_mac(struct ku_xform *x, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
		 uint8_t *icv)
{
	uint8_t full[64];
	if (gnutls_hmac(x->hmac, a, a_len) < 0 || (b && gnutls_hmac(x->hmac, b, b_len) < 0))
		return -EIO;
	/* output also resets the handle for the next packet, keeping the key */
	gnutls_hmac_output(x->hmac, full);
	memcpy(icv, full, x->icv_len);
	return 0;
}

int ku_ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	/* no early exit: the time taken does not tell how many bytes matched */
	volatile uint8_t d = 0;
	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}
