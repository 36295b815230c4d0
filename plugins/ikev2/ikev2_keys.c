/* SPDX-License-Identifier: MIT */
/* ikev2_keys.c - SKEYSEED and the IKE SA keys (ikev2_keys.h). */
#include <errno.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "ikev2_keys.h"

#define NONCE_MAX 256	/* RFC 7296 3.9 */

/* the suite's parameters into out; 0 or -ENOTSUP */
static int keys_init(const struct ikev2_suite *s, struct ikev2_keys *out)
{
	memset(out, 0, sizeof(*out));
	if (!prf_supported(s->prf) || !ike_encr_supported(s->encr, s->encr_bits) ||
	    (!ike_encr_is_aead(s->encr) && !ike_integ_supported(s->integ)))
		return -ENOTSUP;
	out->prf = s->prf;
	out->encr = s->encr;
	out->encr_bits = s->encr_bits;
	out->integ = ike_encr_is_aead(s->encr) ? IKE_INTEG_NONE : s->integ;
	out->prf_len = prf_len(s->prf);
	out->e_len = ike_encr_key_len(s->encr, s->encr_bits);
	out->a_len = out->integ ? ike_integ_key_len(out->integ) : 0;
	return 0;
}

/*
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
 * skeyseed_key/len NULL: SKEYSEED = prf(Ni | Nr, g^ir) (IKE_SA_INIT); else
 * SKEYSEED = prf(skeyseed_key, g^ir | Ni | Nr) with the old SA's PRF (rekey, 2.18).
 */
static int derive(const struct ikev2_suite *s, uint16_t old_prf, const uint8_t *old_sk_d, size_t old_len,
		  const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len, const uint8_t *gir,
		  size_t gir_len, const uint8_t spi_i[8], const uint8_t spi_r[8], struct ikev2_keys *out)
{
	int err = keys_init(s, out);
	if (err)
		return err;
	if (ni_len > NONCE_MAX || nr_len > NONCE_MAX || gir_len > 1024)
		return -EINVAL;

	/* seed = Ni | Nr | SPIi | SPIr; its first ni_len + nr_len bytes are the SKEYSEED key */
	uint8_t seed[2 * NONCE_MAX + 16], skeyseed[PRF_MAX_LEN], rk[1024 + 2 * NONCE_MAX];
	uint8_t km[3 * PRF_MAX_LEN + 2 * IKE_MAX_INTEG_KEY + 2 * IKE_MAX_ENCR_KEY];
	size_t sl = 0;
	memcpy(seed, ni, ni_len);
	sl += ni_len;
	memcpy(seed + sl, nr, nr_len);
	sl += nr_len;
	memcpy(seed + sl, spi_i, 8);
	memcpy(seed + sl + 8, spi_r, 8);
	sl += 16;
	size_t total = 3 * out->prf_len + 2 * out->a_len + 2 * out->e_len;
	if (!old_sk_d) {
		err = prf(s->prf, seed, ni_len + nr_len, gir, gir_len, skeyseed);
	} else {
		memcpy(rk, gir, gir_len);
		memcpy(rk + gir_len, seed, ni_len + nr_len);
		err = prf(old_prf, old_sk_d, old_len, rk, gir_len + ni_len + nr_len, skeyseed);
	}
	if (!err)
		err = prf_plus(s->prf, skeyseed, out->prf_len, seed, sl, km, total);
	if (!err) {
		const uint8_t *k = km;
		memcpy(out->sk_d, k, out->prf_len), k += out->prf_len;
		memcpy(out->sk_ai, k, out->a_len), k += out->a_len;
		memcpy(out->sk_ar, k, out->a_len), k += out->a_len;
		memcpy(out->sk_ei, k, out->e_len), k += out->e_len;
		memcpy(out->sk_er, k, out->e_len), k += out->e_len;
		memcpy(out->sk_pi, k, out->prf_len), k += out->prf_len;
		memcpy(out->sk_pr, k, out->prf_len);
	} else {
		ikev2_keys_wipe(out);
	}
	gnutls_memset(skeyseed, 0, sizeof(skeyseed));
	gnutls_memset(km, 0, sizeof(km));
	gnutls_memset(seed, 0, sizeof(seed));
	gnutls_memset(rk, 0, sizeof(rk));
	return err;
}

int ikev2_derive_keys(const struct ikev2_suite *s, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		      size_t nr_len, const uint8_t *gir, size_t gir_len, const uint8_t spi_i[8],
		      const uint8_t spi_r[8], struct ikev2_keys *out)
{
	return derive(s, 0, NULL, 0, ni, ni_len, nr, nr_len, gir, gir_len, spi_i, spi_r, out);
}

int ikev2_derive_keys_rekey(const struct ikev2_keys *old, const struct ikev2_suite *s, const uint8_t *ni,
			    size_t ni_len, const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len,
			    const uint8_t spi_i[8], const uint8_t spi_r[8], struct ikev2_keys *out)
{
	return derive(s, old->prf, old->sk_d, old->prf_len, ni, ni_len, nr, nr_len, gir, gir_len, spi_i, spi_r,
		      out);
}

void ikev2_keys_wipe(struct ikev2_keys *k)
{
	if (k)
		gnutls_memset(k, 0, sizeof(*k));
}
