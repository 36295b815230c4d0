/* SPDX-License-Identifier: MIT */
/*
 * xfrm_alg.c - IANA IKEv2 transform IDs -> Linux crypto API names, the way
 * ip-xfrm(8) and strongSwan's kernel-netlink name them. Key lengths are the
 * ones IKEv2 derives (RFC 7296 2.17): integrity keys are as long as the
 * hash output, GCM and ChaCha20-Poly1305 keys carry a 4-byte salt (RFC 4106,
 * RFC 7634). Truncation lengths: RFC 2404 (SHA-1, 96), RFC 4868 (SHA-2: half
 * the output).
 */
#include <errno.h>

#include "xfrm.h"

static const struct kx_alg enc_algs[] = {
	{ KANMON_ENCR_AES_GCM_16, true, "rfc4106(gcm(aes))", 128, { 16, 24, 32 }, 4 },
	{ KANMON_ENCR_AES_GCM_12, true, "rfc4106(gcm(aes))", 96, { 16, 24, 32 }, 4 },
	{ KANMON_ENCR_AES_GCM_8, true, "rfc4106(gcm(aes))", 64, { 16, 24, 32 }, 4 },
	{ KANMON_ENCR_CHACHA20_POLY1305, true, "rfc7539esp(chacha20,poly1305)", 128, { 32 }, 4 },
	{ KANMON_ENCR_AES_CBC, false, "cbc(aes)", 0, { 16, 24, 32 }, 0 },
	{ KANMON_ENCR_AES_CTR, false, "rfc3686(ctr(aes))", 0, { 16, 24, 32 }, 4 },
	{ KANMON_ENCR_3DES, false, "cbc(des3_ede)", 0, { 24 }, 0 },
	{ KANMON_ENCR_NULL, false, "ecb(cipher_null)", 0, { 0 }, 0 },
};

static const struct kx_alg integ_algs[] = {
	{ KANMON_AUTH_HMAC_SHA1_96, false, "hmac(sha1)", 96, { 20 }, 0 },
	{ KANMON_AUTH_HMAC_SHA2_256_128, false, "hmac(sha256)", 128, { 32 }, 0 },
	{ KANMON_AUTH_HMAC_SHA2_384_192, false, "hmac(sha384)", 192, { 48 }, 0 },
	{ KANMON_AUTH_HMAC_SHA2_512_256, false, "hmac(sha512)", 256, { 64 }, 0 },
	{ KANMON_AUTH_HMAC_MD5_96, false, "hmac(md5)", 96, { 16 }, 0 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int lookup(const struct kx_alg *t, size_t n, uint16_t id, size_t key_len, const struct kx_alg **out)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].iana != id)
			continue;
		*out = &t[i];
		for (size_t k = 0; k < N(t[i].key_len); k++) {
			/* slot 0 may legitimately be 0 (NULL encryption); later zero slots are unused */
			if ((k == 0 || t[i].key_len[k]) && key_len == (size_t)t[i].key_len[k] + t[i].salt)
				return 0;
		}
		return -EINVAL;
	}
	*out = NULL;
	return -ENOTSUP;
}

int kx_alg_enc(uint16_t id, size_t key_len, const struct kx_alg **out)
{
	return lookup(enc_algs, N(enc_algs), id, key_len, out);
}

int kx_alg_integ(uint16_t id, size_t key_len, const struct kx_alg **out)
{
	return lookup(integ_algs, N(integ_algs), id, key_len, out);
}
