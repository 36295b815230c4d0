/* SPDX-License-Identifier: MIT */
/* dh.c - MODP, ECP and Curve25519 key exchange (dh.h). */
#include <errno.h>
#include <gmp.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nettle/curve25519.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>

#include "dh.h"

struct dh_group {
	uint16_t id;
	const char *name;
	const char *prime_hex;		/* MODP */
	unsigned bits;			/* prime / field size */
	unsigned exp_bits;		/* MODP private exponent length */
	const struct ecc_curve *(*curve)(void);
};

/*
 * Exponent lengths: twice the group's estimated strength (RFC 3526 section
 * 8 / NIST SP 800-57), rounded up; a full-length exponent would cost several
 * times more per handshake for no security gain.
 */
static const struct dh_group groups[] = {
	{ DH_MODP1024, "modp1024", dh_modp1024_hex, 1024, 256, NULL },
	{ DH_MODP1536, "modp1536", dh_modp1536_hex, 1536, 256, NULL },
	{ DH_MODP2048, "modp2048", dh_modp2048_hex, 2048, 320, NULL },
	{ DH_MODP3072, "modp3072", dh_modp3072_hex, 3072, 384, NULL },
	{ DH_MODP4096, "modp4096", dh_modp4096_hex, 4096, 512, NULL },
	{ DH_ECP256, "ecp256", NULL, 256, 0, nettle_get_secp_256r1 },
	{ DH_ECP384, "ecp384", NULL, 384, 0, nettle_get_secp_384r1 },
	{ DH_CURVE25519, "curve25519", NULL, 256, 0, NULL },
};

struct dh {
	const struct dh_group *g;
	mpz_t p, x;			/* MODP prime and private exponent */
	struct ecc_scalar k;		/* ECP private */
	uint8_t priv25519[32];
	uint8_t pub[DH_MAX_PUB];
	size_t pub_len;
};

static const struct dh_group *find(uint16_t id)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (groups[i].id == id)
			return &groups[i];
	return NULL;
}

int dh_supported(uint16_t group)
{
	return find(group) != NULL;
}

const char *dh_name(uint16_t group)
{
	const struct dh_group *g = find(group);
	return g ? g->name : "unknown";
}

size_t dh_public_len(uint16_t group)
{
	const struct dh_group *g = find(group);
	if (!g)
		return 0;
	if (g->curve)
		return 2 * (g->bits / 8);
	return g->bits / 8;
}

size_t dh_shared_len(uint16_t group)
{
	const struct dh_group *g = find(group);
	return g ? g->bits / 8 : 0;
}

uint16_t dh_group(const struct dh *d)
{
	return d->g->id;
}

static void rnd(void *ctx, size_t len, uint8_t *dst)
{
	(void)ctx;
	/* GNUTLS_RND_KEY: the strongest generator, for long-term-ish secrets */
	if (gnutls_rnd(GNUTLS_RND_KEY, dst, len))
		abort();	/* no randomness: never continue with a guessable key */
}

/* big-endian export padded with leading zeros to exactly len bytes */
static void export_padded(uint8_t *out, size_t len, const mpz_t v)
{
	size_t n = (mpz_sizeinbase(v, 2) + 7) / 8;
	memset(out, 0, len);
	if (mpz_sgn(v) && n <= len)
		mpz_export(out + (len - n), NULL, 1, 1, 1, 0, v);
}

static int modp_init(struct dh *d, const uint8_t *priv, size_t len)
{
	mpz_init_set_str(d->p, d->g->prime_hex, 16);
	mpz_init(d->x);
	if (priv) {
		mpz_import(d->x, len, 1, 1, 1, 0, priv);
	} else {
		uint8_t buf[64];
		size_t n = d->g->exp_bits / 8;
		rnd(NULL, n, buf);
		buf[0] |= 0x80;		/* full-length exponent, never tiny */
		mpz_import(d->x, n, 1, 1, 1, 0, buf);
		gnutls_memset(buf, 0, sizeof(buf));
	}
	if (mpz_cmp_ui(d->x, 1) <= 0)
		return -EINVAL;
	mpz_t g, y;
	mpz_init_set_ui(g, 2);
	mpz_init(y);
	mpz_powm_sec(y, g, d->x, d->p);	/* constant time in the secret exponent */
	d->pub_len = d->g->bits / 8;
	export_padded(d->pub, d->pub_len, y);
	mpz_clear(g);
	mpz_clear(y);
	return 0;
}

static int ecp_init(struct dh *d, const uint8_t *priv, size_t len)
{
	const struct ecc_curve *c = d->g->curve();
	ecc_scalar_init(&d->k, c);
	if (priv) {
		mpz_t z;
		mpz_init(z);
		mpz_import(z, len, 1, 1, 1, 0, priv);
		int ok = ecc_scalar_set(&d->k, z);
		mpz_clear(z);
		if (!ok)
			return -EINVAL;
	} else {
		ecc_scalar_random(&d->k, NULL, rnd);
	}
	struct ecc_point pub;
	mpz_t x, y;
	ecc_point_init(&pub, c);
	mpz_init(x);
	mpz_init(y);
	ecc_point_mul_g(&pub, &d->k);
	ecc_point_get(&pub, x, y);
	size_t flen = d->g->bits / 8;
	export_padded(d->pub, flen, x);
	export_padded(d->pub + flen, flen, y);
	d->pub_len = 2 * flen;
	ecc_point_clear(&pub);
	mpz_clear(x);
	mpz_clear(y);
	return 0;
}

static int x25519_init(struct dh *d, const uint8_t *priv, size_t len)
{
	if (priv) {
		if (len != 32)
			return -EINVAL;
		memcpy(d->priv25519, priv, 32);
	} else {
		rnd(NULL, 32, d->priv25519);
	}
	/* nettle clamps the scalar as RFC 7748 5 requires */
	curve25519_mul_g(d->pub, d->priv25519);
	d->pub_len = 32;
	return 0;
}

int dh_new_with_private(uint16_t group, const uint8_t *priv, size_t len, struct dh **out)
{
	const struct dh_group *g = find(group);
	if (!g)
		return -ENOTSUP;
	struct dh *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->g = g;
	int err;
	if (g->prime_hex)
		err = modp_init(d, priv, len);
	else if (g->curve)
		err = ecp_init(d, priv, len);
	else
		err = x25519_init(d, priv, len);
	if (err) {
		dh_free(d);
		return err;
	}
	*out = d;
	return 0;
}

int dh_new(uint16_t group, struct dh **out)
{
	return dh_new_with_private(group, NULL, 0, out);
}

void dh_free(struct dh *d)
{
	if (!d)
		return;
	if (d->g->prime_hex) {
		/* overwrite the limbs before gmp frees them */
		size_t n = mpz_size(d->x);
		if (n)
			gnutls_memset(mpz_limbs_modify(d->x, (mp_size_t)n), 0, n * sizeof(mp_limb_t));
		mpz_clear(d->x);
		mpz_clear(d->p);
	} else if (d->g->curve) {
		ecc_scalar_clear(&d->k);
	}
	gnutls_memset(d, 0, sizeof(*d));
	free(d);
}

int dh_public(const struct dh *d, uint8_t *out, size_t len)
{
	if (len != d->pub_len)
		return -EINVAL;
	memcpy(out, d->pub, len);
	return 0;
}

static int modp_shared(const struct dh *d, const uint8_t *peer, size_t peer_len, uint8_t *out, size_t out_len)
{
	mpz_t y, z, pm1;
	int err = 0;
	mpz_init(y);
	mpz_init(z);
	mpz_init(pm1);
	mpz_import(y, peer_len, 1, 1, 1, 0, peer);
	mpz_sub_ui(pm1, d->p, 1);
	/* 1 < y < p-1: rejects the small-subgroup values 0, 1 and p-1 */
	if (mpz_cmp_ui(y, 1) <= 0 || mpz_cmp(y, pm1) >= 0) {
		err = -EINVAL;
		goto out;
	}
	mpz_powm_sec(z, y, d->x, d->p);
	export_padded(out, out_len, z);
out:
	mpz_set_ui(z, 0);
	mpz_clear(y);
	mpz_clear(z);
	mpz_clear(pm1);
	return err;
}

static int ecp_shared(const struct dh *d, const uint8_t *peer, uint8_t *out, size_t out_len)
{
	const struct ecc_curve *c = d->g->curve();
	size_t flen = d->g->bits / 8;
	struct ecc_point p, r;
	mpz_t x, y;
	int err = 0;
	ecc_point_init(&p, c);
	ecc_point_init(&r, c);
	mpz_init(x);
	mpz_init(y);
	mpz_import(x, flen, 1, 1, 1, 0, peer);
	mpz_import(y, flen, 1, 1, 1, 0, peer + flen);
	/* ecc_point_set checks the point is on the curve (and coordinates < p) */
	if (!ecc_point_set(&p, x, y)) {
		err = -EINVAL;
		goto out;
	}
	ecc_point_mul(&r, &d->k, &p);
	ecc_point_get(&r, x, y);
	export_padded(out, out_len, x);
out:
	ecc_point_clear(&p);
	ecc_point_clear(&r);
	mpz_clear(x);
	mpz_clear(y);
	return err;
}

int dh_shared(const struct dh *d, const uint8_t *peer, size_t peer_len, uint8_t *out, size_t out_len)
{
	if (peer_len != dh_public_len(d->g->id) || out_len != dh_shared_len(d->g->id))
		return -EINVAL;
	if (d->g->prime_hex)
		return modp_shared(d, peer, peer_len, out, out_len);
	if (d->g->curve)
		return ecp_shared(d, peer, out, out_len);
	curve25519_mul(out, d->priv25519, peer);
	uint8_t acc = 0;
	for (size_t i = 0; i < 32; i++)
		acc |= out[i];
	/* an all-zero result means a low-order peer point (RFC 7748 6.1) */
	return acc ? 0 : -EINVAL;
}
