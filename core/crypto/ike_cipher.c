/* SPDX-License-Identifier: MIT */
/* ike_cipher.c - IKE SK payload transforms on GnuTLS (ike_cipher.h). */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nettle/memops.h>

#include "ike_cipher.h"

static const struct encr {
	uint16_t id, bits;
	gnutls_cipher_algorithm_t alg;
	uint8_t key, block, iv, icv;
	const char *name;
} encrs[] = {
	{ IKE_ENCR_3DES, 0, GNUTLS_CIPHER_3DES_CBC, 24, 8, 8, 0, "3des" },
	{ IKE_ENCR_AES_CBC, 128, GNUTLS_CIPHER_AES_128_CBC, 16, 16, 16, 0, "aes128" },
	{ IKE_ENCR_AES_CBC, 192, GNUTLS_CIPHER_AES_192_CBC, 24, 16, 16, 0, "aes192" },
	{ IKE_ENCR_AES_CBC, 256, GNUTLS_CIPHER_AES_256_CBC, 32, 16, 16, 0, "aes256" },
	/* block 1: RFC 5282 needs no alignment; key includes the salt */
	{ IKE_ENCR_AES_GCM_16, 128, GNUTLS_CIPHER_AES_128_GCM, 16 + IKE_GCM_SALT, 1, IKE_GCM_IV, 16,
	  "aes128gcm16" },
	{ IKE_ENCR_AES_GCM_16, 256, GNUTLS_CIPHER_AES_256_GCM, 32 + IKE_GCM_SALT, 1, IKE_GCM_IV, 16,
	  "aes256gcm16" },
};

static const struct integ {
	uint16_t id;
	gnutls_mac_algorithm_t mac;
	uint8_t key, icv;
	const char *name;
} integs[] = {
	{ IKE_INTEG_HMAC_SHA1_96, GNUTLS_MAC_SHA1, 20, 12, "sha1" },
	{ IKE_INTEG_HMAC_SHA2_256_128, GNUTLS_MAC_SHA256, 32, 16, "sha256" },
	{ IKE_INTEG_HMAC_SHA2_384_192, GNUTLS_MAC_SHA384, 48, 24, "sha384" },
	{ IKE_INTEG_HMAC_SHA2_512_256, GNUTLS_MAC_SHA512, 64, 32, "sha512" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct encr *encr_find(uint16_t id, uint16_t bits)
{
	for (size_t i = 0; i < N(encrs); i++)
		if (encrs[i].id == id && encrs[i].bits == bits)
			return &encrs[i];
	return NULL;
}

/* block-level facts do not depend on the key size: any entry of the id */
static const struct encr *encr_any(uint16_t id)
{
	for (size_t i = 0; i < N(encrs); i++)
		if (encrs[i].id == id)
			return &encrs[i];
	return NULL;
}

static const struct integ *integ_find(uint16_t id)
{
	for (size_t i = 0; i < N(integs); i++)
		if (integs[i].id == id)
			return &integs[i];
	return NULL;
}

bool ike_encr_supported(uint16_t encr, uint16_t key_bits)
{
	return encr_find(encr, key_bits) != NULL;
}

bool ike_encr_is_aead(uint16_t encr)
{
	return encr == IKE_ENCR_AES_GCM_16;
}

size_t ike_encr_key_len(uint16_t encr, uint16_t key_bits)
{
	const struct encr *e = encr_find(encr, key_bits);
	return e ? e->key : 0;
}

size_t ike_encr_block_len(uint16_t encr)
{
	const struct encr *e = encr_any(encr);
	return e ? e->block : 0;
}

size_t ike_encr_iv_len(uint16_t encr)
{
	const struct encr *e = encr_any(encr);
	return e ? e->iv : 0;
}

size_t ike_encr_icv_len(uint16_t encr)
{
	const struct encr *e = encr_any(encr);
	return e ? e->icv : 0;
}

const char *ike_encr_name(uint16_t encr, uint16_t key_bits)
{
	const struct encr *e = encr_find(encr, key_bits);
	return e ? e->name : "?";
}

bool ike_integ_supported(uint16_t integ)
{
	return integ_find(integ) != NULL;
}

size_t ike_integ_key_len(uint16_t integ)
{
	const struct integ *t = integ_find(integ);
	return t ? t->key : 0;
}

size_t ike_integ_icv_len(uint16_t integ)
{
	const struct integ *t = integ_find(integ);
	return t ? t->icv : 0;
}

const char *ike_integ_name(uint16_t integ)
{
	const struct integ *t = integ_find(integ);
	return t ? t->name : "?";
}

/* the CBC key length tells the key size: 3DES 24, AES 16/24/32 */
static const struct encr *cbc_find(uint16_t encr, size_t key_len)
{
	if (encr == IKE_ENCR_3DES)
		return key_len == 24 ? &encrs[0] : NULL;
	if (encr != IKE_ENCR_AES_CBC)
		return NULL;
	return encr_find(encr, (uint16_t)(key_len * 8));
}

static int cbc(bool enc, uint16_t encr, const uint8_t *key, size_t key_len, const uint8_t *iv, uint8_t *buf,
	       size_t len)
{
	const struct encr *e = cbc_find(encr, key_len);
	if (!e)
		return -ENOTSUP;
	if (len % e->block)
		return -EINVAL;
	if (!len)
		return 0;
	gnutls_cipher_hd_t h;
	gnutls_datum_t k = { (unsigned char *)key, (unsigned)key_len };
	gnutls_datum_t v = { (unsigned char *)iv, e->iv };
	if (gnutls_cipher_init(&h, e->alg, &k, &v))
		return -EIO;
	int r = enc ? gnutls_cipher_encrypt(h, buf, len) : gnutls_cipher_decrypt(h, buf, len);
	gnutls_cipher_deinit(h);
	return r ? -EIO : 0;
}

int ike_cbc_encrypt(uint16_t encr, const uint8_t *key, size_t key_len, const uint8_t *iv, uint8_t *buf,
		    size_t len)
{
	return cbc(true, encr, key, key_len, iv, buf, len);
}

int ike_cbc_decrypt(uint16_t encr, const uint8_t *key, size_t key_len, const uint8_t *iv, uint8_t *buf,
		    size_t len)
{
	return cbc(false, encr, key, key_len, iv, buf, len);
}

static int aead(bool enc, uint16_t encr, const uint8_t *key, size_t key_len, const uint8_t *iv,
		const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len, uint8_t *tag)
{
	if (encr != IKE_ENCR_AES_GCM_16 || key_len <= IKE_GCM_SALT)
		return -ENOTSUP;
	const struct encr *e = encr_find(encr, (uint16_t)((key_len - IKE_GCM_SALT) * 8));
	if (!e)
		return -ENOTSUP;
	/* RFC 5282 4: nonce = salt (from the key material) || the payload's IV */
	uint8_t nonce[IKE_GCM_SALT + IKE_GCM_IV];
	memcpy(nonce, key + key_len - IKE_GCM_SALT, IKE_GCM_SALT);
	memcpy(nonce + IKE_GCM_SALT, iv, IKE_GCM_IV);
	gnutls_aead_cipher_hd_t h;
	gnutls_datum_t k = { (unsigned char *)key, (unsigned)(key_len - IKE_GCM_SALT) };
	if (gnutls_aead_cipher_init(&h, e->alg, &k))
		return -EIO;
	giovec_t a = { (void *)aad, aad_len }, d = { buf, len };
	size_t tag_len = e->icv;
	int r;
	if (enc)
		r = gnutls_aead_cipher_encryptv2(h, nonce, sizeof(nonce), &a, aad_len ? 1 : 0, &d, len ? 1 : 0,
						 tag, &tag_len);
	else
		r = gnutls_aead_cipher_decryptv2(h, nonce, sizeof(nonce), &a, aad_len ? 1 : 0, &d, len ? 1 : 0,
						 tag, tag_len);
	gnutls_aead_cipher_deinit(h);
	if (r == GNUTLS_E_DECRYPTION_FAILED)
		return -EBADMSG;
	return r ? -EIO : 0;
}

int ike_aead_encrypt(uint16_t encr, const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *aad,
		     size_t aad_len, uint8_t *buf, size_t len, uint8_t *tag)
{
	return aead(true, encr, key, key_len, iv, aad, aad_len, buf, len, tag);
}

int ike_aead_decrypt(uint16_t encr, const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *aad,
		     size_t aad_len, uint8_t *buf, size_t len, const uint8_t *tag)
{
	return aead(false, encr, key, key_len, iv, aad, aad_len, buf, len, (uint8_t *)tag);
}

int ike_integ_sign(uint16_t integ, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
		   uint8_t *icv)
{
	const struct integ *t = integ_find(integ);
	if (!t)
		return -ENOTSUP;
	uint8_t full[64];
	if (gnutls_hmac_fast(t->mac, key, key_len, data, len, full))
		return -EIO;
	memcpy(icv, full, t->icv);
	gnutls_memset(full, 0, sizeof(full));
	return 0;
}

int ike_integ_verify(uint16_t integ, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
		     const uint8_t *icv)
{
	const struct integ *t = integ_find(integ);
	if (!t)
		return -ENOTSUP;
	uint8_t mine[IKE_MAX_ICV];
	int r = ike_integ_sign(integ, key, key_len, data, len, mine);
	if (!r && !ike_ct_equal(mine, icv, t->icv))
		r = -EBADMSG;
	gnutls_memset(mine, 0, sizeof(mine));
	return r;
}

bool ike_ct_equal(const void *a, const void *b, size_t n)
{
	/* nettle's memeql_sec: runtime independent of where the buffers differ */
	return memeql_sec(a, b, n) != 0;
}
