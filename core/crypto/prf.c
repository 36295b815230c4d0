/* SPDX-License-Identifier: MIT */
/* prf.c - IKE PRFs and prf+ (prf.h). */
#include <errno.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "prf.h"

static const struct {
	uint16_t id;
	gnutls_mac_algorithm_t mac;
	size_t len;
	const char *name;
} prfs[] = {
	{ PRF_HMAC_SHA1, GNUTLS_MAC_SHA1, 20, "prfsha1" },
	{ PRF_HMAC_SHA2_256, GNUTLS_MAC_SHA256, 32, "prfsha256" },
	{ PRF_HMAC_SHA2_384, GNUTLS_MAC_SHA384, 48, "prfsha384" },
	{ PRF_HMAC_SHA2_512, GNUTLS_MAC_SHA512, 64, "prfsha512" },
};

static int find(uint16_t id)
{
	for (size_t i = 0; i < sizeof(prfs) / sizeof(prfs[0]); i++)
		if (prfs[i].id == id)
			return (int)i;
	return -1;
}

int prf_supported(uint16_t id)
{
	return find(id) >= 0;
}

const char *prf_name(uint16_t id)
{
	int i = find(id);
	return i < 0 ? "unknown" : prfs[i].name;
}

size_t prf_len(uint16_t id)
{
	int i = find(id);
	return i < 0 ? 0 : prfs[i].len;
}

int prf(uint16_t id, const uint8_t *key, size_t key_len, const uint8_t *data, size_t data_len, uint8_t *out)
{
	int i = find(id);
	if (i < 0)
		return -ENOTSUP;
	return gnutls_hmac_fast(prfs[i].mac, key, key_len, data, data_len, out) ? -EIO : 0;
}

int prf_plus(uint16_t id, const uint8_t *key, size_t key_len, const uint8_t *seed, size_t seed_len,
	     uint8_t *out, size_t out_len)
{
	int i = find(id);
	if (i < 0)
		return -ENOTSUP;
	size_t blen = prfs[i].len;
	if (out_len > 255 * blen)
		return -EINVAL;
	gnutls_hmac_hd_t h;
	uint8_t t[PRF_MAX_LEN];
	size_t have = 0;
	int err = 0;
	if (gnutls_hmac_init(&h, prfs[i].mac, key, key_len))
		return -EIO;
	for (uint8_t n = 1; have < out_len; n++) {
		/* Tn = prf(K, Tn-1 | S | n); T0 is empty */
		if ((n > 1 && gnutls_hmac(h, t, blen)) || gnutls_hmac(h, seed, seed_len) || gnutls_hmac(h, &n, 1)) {
			err = -EIO;
			break;
		}
		gnutls_hmac_output(h, t);	/* also resets h for the next block */
		size_t take = out_len - have < blen ? out_len - have : blen;
		memcpy(out + have, t, take);
		have += take;
	}
	gnutls_hmac_deinit(h, NULL);
	gnutls_memset(t, 0, sizeof(t));
	return err;
}
