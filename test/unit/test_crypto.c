/* SPDX-License-Identifier: MIT */
/*
 * test_crypto.c - key exchange and PRFs against values computed outside
 * kanmon: RFC 5903 section 8 (ECP 256/384), RFC 7748 section 6.1
 * (Curve25519), RFC 2202 / RFC 4231 (HMAC), the MODP primes re-derived from
 * their defining formula with an independent pi, prf+ re-computed block by
 * block, and every kind of invalid peer value refused. IKE transforms:
 * RFC 3602 section 4 and NIST SP 800-38A F.2 (AES-CBC), the NIST SP 800-67
 * example (3DES), McGrew-Viega GCM test cases 2/4/14/16 (AES-GCM, RFC 5282
 * nonce split), RFC 2202 / RFC 4231 truncated (HMAC integrity).
 */
#include <errno.h>
#include <gmp.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gnutls/crypto.h>

#include "dh.h"
#include "ike_cipher.h"
#include "prf.h"

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		int v;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;	/* spaces as printed in the RFCs */
		if (hi < 0) {
			hi = v;
		} else {
			ck_assert(n < max);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

/* ---- MODP primes: 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + k) ---- */

static void atan_inv(mpz_t r, unsigned long x, unsigned long bits)
{
	mpz_t term, t;
	mpz_inits(term, t, NULL);
	mpz_set_ui(r, 0);
	mpz_set_ui(term, 1);
	mpz_mul_2exp(term, term, bits);
	mpz_fdiv_q_ui(term, term, x);
	for (unsigned long n = 1, neg = 0; mpz_sgn(term); n += 2, neg ^= 1) {
		mpz_fdiv_q_ui(t, term, n);
		if (neg)
			mpz_sub(r, r, t);
		else
			mpz_add(r, r, t);
		mpz_fdiv_q_ui(term, term, x * x);
	}
	mpz_clears(term, t, NULL);
}

START_TEST(modp_primes_follow_their_formula)
{
	static const struct { unsigned bits; unsigned long k; const char *hex; } g[] = {
		{ 1024, 129093, NULL }, { 1536, 741804, NULL }, { 2048, 124476, NULL },
		{ 3072, 1690314, NULL }, { 4096, 240904, NULL },
	};
	const char *hex[] = { dh_modp1024_hex, dh_modp1536_hex, dh_modp2048_hex, dh_modp3072_hex,
			      dh_modp4096_hex };
	for (size_t i = 0; i < 5; i++) {
		unsigned n = g[i].bits;
		unsigned long prec = n + 64;	/* guard bits: Machin's error stays far below */
		mpz_t a, b, pi, p, t, q, ours;
		mpz_inits(a, b, pi, p, t, q, ours, NULL);
		atan_inv(a, 5, prec);
		atan_inv(b, 239, prec);
		mpz_mul_ui(a, a, 16);
		mpz_mul_ui(b, b, 4);
		mpz_sub(pi, a, b);				/* pi * 2^prec */
		mpz_fdiv_q_2exp(t, pi, prec - (n - 130));	/* floor(2^(n-130) pi) */
		mpz_add_ui(t, t, g[i].k);
		mpz_mul_2exp(t, t, 64);
		mpz_set_ui(p, 1);
		mpz_mul_2exp(p, p, n);
		mpz_set_ui(q, 1);
		mpz_mul_2exp(q, q, n - 64);
		mpz_sub(p, p, q);
		mpz_sub_ui(p, p, 1);
		mpz_add(p, p, t);
		mpz_set_str(ours, hex[i], 16);
		ck_assert_msg(!mpz_cmp(p, ours), "MODP%u prime differs from its definition", n);
		ck_assert_uint_eq(mpz_sizeinbase(ours, 2), n);
		ck_assert(mpz_probab_prime_p(ours, 25));
		mpz_sub_ui(q, ours, 1);
		mpz_fdiv_q_2exp(q, q, 1);
		ck_assert(mpz_probab_prime_p(q, 25));	/* safe prime: (p-1)/2 prime */
		mpz_clears(a, b, pi, p, t, q, ours, NULL);
	}
	/* and RFC 2409 B.2 as printed, for the smallest */
	ck_assert(!strncmp(dh_modp1024_hex, "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1", 48));
}
END_TEST

/* ---- ECP: RFC 5903 section 8 ---------------------------------------------- */

static void ecp_vector(uint16_t group, const char *i_hex, const char *gix, const char *giy, const char *grx,
		       const char *gry, const char *girx)
{
	uint8_t priv[48], pub[96], want[96], peer[96], secret[48], want_secret[48];
	size_t plen = unhex(i_hex, priv, sizeof(priv));
	size_t f = unhex(gix, want, 48);
	unhex(giy, want + f, 48);
	unhex(grx, peer, 48);
	unhex(gry, peer + f, 48);
	unhex(girx, want_secret, 48);
	struct dh *d;
	ck_assert_int_eq(dh_new_with_private(group, priv, plen, &d), 0);
	ck_assert_uint_eq(dh_public_len(group), 2 * f);
	ck_assert_int_eq(dh_public(d, pub, 2 * f), 0);
	ck_assert_mem_eq(pub, want, 2 * f);			/* KEi = gix | giy */
	ck_assert_int_eq(dh_shared(d, peer, 2 * f, secret, f), 0);
	ck_assert_mem_eq(secret, want_secret, f);		/* g^ir = x only */
	/* off the curve: flip one bit of y */
	peer[2 * f - 1] ^= 1;
	ck_assert_int_eq(dh_shared(d, peer, 2 * f, secret, f), -EINVAL);
	/* SEC 1 tagged form (0x04 | x | y) is not IKE's encoding */
	ck_assert_int_eq(dh_shared(d, peer, 2 * f + 1, secret, f), -EINVAL);
	memset(peer, 0, sizeof(peer));
	ck_assert_int_eq(dh_shared(d, peer, 2 * f, secret, f), -EINVAL);
	dh_free(d);
}

START_TEST(ecp256_rfc5903)
{
	ecp_vector(DH_ECP256, "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
		   "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180",
		   "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
		   "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63",
		   "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
		   "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE");
}
END_TEST

START_TEST(ecp384_rfc5903)
{
	ecp_vector(DH_ECP384,
		   "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655 E35B5380 41E649EE 3FAEF896 783AB194",
		   "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6 DE3AC808 ACB4BDB4 C88732AE E95F41AA",
		   "9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E EB9FCFF3 C2C947DA E69B4C63 4573A81C",
		   "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D 0D1AC43A 0336DEF9 6FDA41D0 774A3571",
		   "DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF F83FA401 42209DFF 5EAAD96D B9E6386C",
		   "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4 D6031355 69B9E9D0 9CF5D4A2 70F59746");
}
END_TEST

/* ---- Curve25519: RFC 7748 section 6.1 ------------------------------------- */

START_TEST(x25519_rfc7748)
{
	uint8_t a[32], a_pub[32], b_pub[32], k[32], pub[32], secret[32];
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a, 32);
	unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", a_pub, 32);
	unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", b_pub, 32);
	unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", k, 32);
	struct dh *d;
	ck_assert_int_eq(dh_new_with_private(DH_CURVE25519, a, 32, &d), 0);
	ck_assert_int_eq(dh_public(d, pub, 32), 0);
	ck_assert_mem_eq(pub, a_pub, 32);
	ck_assert_int_eq(dh_shared(d, b_pub, 32, secret, 32), 0);
	ck_assert_mem_eq(secret, k, 32);
	/* a low-order point (here u = 0) gives an all-zero secret: refused */
	uint8_t zero[32] = { 0 };
	ck_assert_int_eq(dh_shared(d, zero, 32, secret, 32), -EINVAL);
	dh_free(d);
}
END_TEST

/* ---- agreement and validation for every group ----------------------------- */

START_TEST(every_group_agrees_and_validates)
{
	static const uint16_t all[] = { DH_MODP1024, DH_MODP1536, DH_MODP2048, DH_MODP3072, DH_MODP4096,
					DH_ECP256, DH_ECP384, DH_CURVE25519 };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		uint16_t g = all[i];
		struct dh *x, *y;
		uint8_t px[DH_MAX_PUB], py[DH_MAX_PUB], sx[DH_MAX_PUB], sy[DH_MAX_PUB];
		size_t pl = dh_public_len(g), sl = dh_shared_len(g);
		ck_assert(dh_supported(g));
		ck_assert_int_eq(dh_new(g, &x), 0);
		ck_assert_int_eq(dh_new(g, &y), 0);
		ck_assert_int_eq(dh_public(x, px, pl), 0);
		ck_assert_int_eq(dh_public(y, py, pl), 0);
		ck_assert_msg(memcmp(px, py, pl), "%s: two fresh keys are equal", dh_name(g));
		ck_assert_int_eq(dh_shared(x, py, pl, sx, sl), 0);
		ck_assert_int_eq(dh_shared(y, px, pl, sy, sl), 0);
		ck_assert_msg(!memcmp(sx, sy, sl), "%s: the two sides disagree", dh_name(g));
		ck_assert_int_eq(dh_shared(x, py, pl - 1, sx, sl), -EINVAL);	/* wrong length */
		if (g <= DH_MODP4096) {
			/* 0, 1, p-1 and p are refused */
			uint8_t bad[DH_MAX_PUB];
			memset(bad, 0, pl);
			ck_assert_int_eq(dh_shared(x, bad, pl, sx, sl), -EINVAL);
			bad[pl - 1] = 1;
			ck_assert_int_eq(dh_shared(x, bad, pl, sx, sl), -EINVAL);
			mpz_t p;
			mpz_init_set_str(p, g == DH_MODP1024 ? dh_modp1024_hex : g == DH_MODP1536 ? dh_modp1536_hex :
					 g == DH_MODP2048 ? dh_modp2048_hex : g == DH_MODP3072 ? dh_modp3072_hex
											      : dh_modp4096_hex, 16);
			mpz_export(bad, NULL, 1, 1, 1, 0, p);
			ck_assert_int_eq(dh_shared(x, bad, pl, sx, sl), -EINVAL);
			mpz_sub_ui(p, p, 1);
			mpz_export(bad, NULL, 1, 1, 1, 0, p);
			ck_assert_int_eq(dh_shared(x, bad, pl, sx, sl), -EINVAL);
			mpz_clear(p);
		}
		dh_free(x);
		dh_free(y);
	}
	struct dh *d;
	ck_assert_int_eq(dh_new(1 /* modp768: not offered */, &d), -ENOTSUP);
	ck_assert(!dh_supported(22));
}
END_TEST

/* ---- PRFs: RFC 2202 test 2, RFC 4231 test case 2 --------------------------- */

START_TEST(prf_known_answers)
{
	static const struct { uint16_t id; const char *want; } v[] = {
		{ PRF_HMAC_SHA1, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
		{ PRF_HMAC_SHA2_256, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
		{ PRF_HMAC_SHA2_384, "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
				     "8e2240ca5e69e2c78b3239ecfab21649" },
		{ PRF_HMAC_SHA2_512, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
				     "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
	};
	const char *key = "Jefe", *data = "what do ya want for nothing?";
	for (size_t i = 0; i < 4; i++) {
		uint8_t out[PRF_MAX_LEN], want[PRF_MAX_LEN];
		size_t n = unhex(v[i].want, want, sizeof(want));
		ck_assert_uint_eq(prf_len(v[i].id), n);
		ck_assert_int_eq(prf(v[i].id, (const uint8_t *)key, 4, (const uint8_t *)data, strlen(data), out), 0);
		ck_assert_mem_eq(out, want, n);
	}
	uint8_t out[64];
	ck_assert_int_eq(prf(4 /* AES-XCBC: not offered */, (const uint8_t *)key, 4, NULL, 0, out), -ENOTSUP);
}
END_TEST

START_TEST(prf_plus_blocks)
{
	/* independent re-computation: one HMAC call per block, concatenated */
	uint8_t key[32], seed[100], got[300], want[320], block_in[64 + 100 + 1];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(255 - i);
	static const uint16_t ids[] = { PRF_HMAC_SHA1, PRF_HMAC_SHA2_256, PRF_HMAC_SHA2_512 };
	static const gnutls_mac_algorithm_t macs[] = { GNUTLS_MAC_SHA1, GNUTLS_MAC_SHA256, GNUTLS_MAC_SHA512 };
	for (size_t a = 0; a < 3; a++) {
		size_t bl = prf_len(ids[a]), have = 0, prev = 0;
		for (uint8_t n = 1; have < sizeof(got); n++) {
			size_t l = 0;
			memcpy(block_in, want + have - prev, prev);	/* T(n-1) */
			l += prev;
			memcpy(block_in + l, seed, sizeof(seed));
			l += sizeof(seed);
			block_in[l++] = n;
			ck_assert_int_eq(gnutls_hmac_fast(macs[a], key, sizeof(key), block_in, l, want + have), 0);
			have += bl;
			prev = bl;
		}
		ck_assert_int_eq(prf_plus(ids[a], key, sizeof(key), seed, sizeof(seed), got, sizeof(got)), 0);
		ck_assert_mem_eq(got, want, sizeof(got));
		/* a shorter output is a prefix */
		uint8_t short_out[7];
		ck_assert_int_eq(prf_plus(ids[a], key, sizeof(key), seed, sizeof(seed), short_out, 7), 0);
		ck_assert_mem_eq(short_out, want, 7);
	}
	uint8_t big[20 * 256];
	ck_assert_int_eq(prf_plus(PRF_HMAC_SHA1, key, 32, seed, 10, big, sizeof(big)), -EINVAL); /* > 255 blocks */
}
END_TEST


/* ---- IKE transforms: CBC ------------------------------------------------- */

static void cbc_vector(uint16_t encr, const char *key_hex, const char *iv_hex, const uint8_t *plain,
		       size_t plain_len, const char *ct_hex)
{
	uint8_t key[32], iv[16], want[64], buf[64];
	size_t kl = unhex(key_hex, key, sizeof(key));
	unhex(iv_hex, iv, sizeof(iv));
	size_t cl = unhex(ct_hex, want, sizeof(want));
	ck_assert_uint_eq(cl, plain_len);
	memcpy(buf, plain, plain_len);
	ck_assert_int_eq(ike_cbc_encrypt(encr, key, kl, iv, buf, plain_len), 0);
	ck_assert_mem_eq(buf, want, cl);
	ck_assert_int_eq(ike_cbc_decrypt(encr, key, kl, iv, buf, cl), 0);
	ck_assert_mem_eq(buf, plain, plain_len);
}

START_TEST(aes_cbc_rfc3602)
{
	/* RFC 3602 section 4, cases #1 and #2 */
	cbc_vector(IKE_ENCR_AES_CBC, "06a9214036b8a15b512e03d534120006", "3dafba429d9eb430b422da802c9fac41",
		   (const uint8_t *)"Single block msg", 16, "e353779c1079aeb82708942dbe77181a");
	uint8_t p[32];
	for (size_t i = 0; i < 32; i++)
		p[i] = (uint8_t)i;
	cbc_vector(IKE_ENCR_AES_CBC, "c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58", p,
		   32, "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1");
	/* not a multiple of the block, unknown key size */
	uint8_t key[16] = { 0 }, iv[16] = { 0 };
	ck_assert_int_eq(ike_cbc_encrypt(IKE_ENCR_AES_CBC, key, 16, iv, p, 15), -EINVAL);
	ck_assert_int_eq(ike_cbc_encrypt(IKE_ENCR_AES_CBC, key, 15, iv, p, 16), -ENOTSUP);
}
END_TEST

START_TEST(aes_cbc_sp800_38a)
{
	/* NIST SP 800-38A F.2.3 (CBC-AES192) and F.2.5 (CBC-AES256) */
	uint8_t p[64];
	unhex("6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
	      "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710", p, sizeof(p));
	cbc_vector(IKE_ENCR_AES_CBC, "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
		   "000102030405060708090a0b0c0d0e0f", p, 64,
		   "4f021db243bc633d7178183a9fa071e8 b4d9ada9ad7dedf4e5e738763f69145a"
		   "571b242012fb7ae07fa9baac3df102e0 08b0e27988598881d920a9e64f5615cd");
	cbc_vector(IKE_ENCR_AES_CBC, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
		   "000102030405060708090a0b0c0d0e0f", p, 64,
		   "f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d"
		   "39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b");
	ck_assert_uint_eq(ike_encr_key_len(IKE_ENCR_AES_CBC, 192), 24);
	ck_assert_str_eq(ike_encr_name(IKE_ENCR_AES_CBC, 256), "aes256");
}
END_TEST

START_TEST(tdes_cbc_sp800_67)
{
	/*
	 * NIST SP 800-67 rev1 B.1 publishes 3DES in ECB: "The qufck brown fox
	 * jump" -> A826FD8CE53B855F CCE21C8112256FE6 68D5C05DD9B6B900. CBC with a
	 * zero IV over Q1 = P1, Qi = Pi xor C(i-1) must give exactly those blocks,
	 * which checks the chaining against published values only.
	 */
	static const char *key = "0123456789ABCDEF 23456789ABCDEF01 456789ABCDEF0123";
	const uint8_t *p = (const uint8_t *)"The qufck brown fox jump";
	uint8_t c[24], q[24];
	unhex("A826FD8CE53B855F CCE21C8112256FE6 68D5C05DD9B6B900", c, sizeof(c));
	for (size_t i = 0; i < 24; i++)
		q[i] = (uint8_t)(p[i] ^ (i < 8 ? 0 : c[i - 8]));
	cbc_vector(IKE_ENCR_3DES, key, "0000000000000000", q, 24,
		   "A826FD8CE53B855F CCE21C8112256FE6 68D5C05DD9B6B900");
	ck_assert_uint_eq(ike_encr_block_len(IKE_ENCR_3DES), 8);
	ck_assert_uint_eq(ike_encr_iv_len(IKE_ENCR_3DES), 8);
	ck_assert(ike_encr_supported(IKE_ENCR_3DES, 0));
	ck_assert(!ike_encr_supported(IKE_ENCR_3DES, 128));
	ck_assert(!ike_encr_supported(2 /* DES */, 0));
}
END_TEST

/* ---- IKE transforms: AES-GCM (RFC 5282) ---------------------------------- */

static void gcm_vector(const char *key_hex, const char *iv12_hex, const char *p_hex, const char *aad_hex,
		       const char *c_hex, const char *tag_hex)
{
	/* IKE key material = key || salt; the 12-byte GCM IV is salt || IV */
	uint8_t km[36], iv12[12], p[64], aad[32], want[64], tag[16], got_tag[16], buf[64];
	size_t kl = unhex(key_hex, km, 32);
	unhex(iv12_hex, iv12, sizeof(iv12));
	memcpy(km + kl, iv12, IKE_GCM_SALT);
	size_t pl = unhex(p_hex, p, sizeof(p));
	size_t al = unhex(aad_hex, aad, sizeof(aad));
	ck_assert_uint_eq(unhex(c_hex, want, sizeof(want)), pl);
	unhex(tag_hex, tag, sizeof(tag));
	ck_assert_uint_eq(ike_encr_key_len(IKE_ENCR_AES_GCM_16, (uint16_t)(kl * 8)), kl + 4);
	memcpy(buf, p, pl);
	ck_assert_int_eq(ike_aead_encrypt(IKE_ENCR_AES_GCM_16, km, kl + 4, iv12 + 4, aad, al, buf, pl, got_tag), 0);
	ck_assert_mem_eq(buf, want, pl);
	ck_assert_mem_eq(got_tag, tag, 16);
	ck_assert_int_eq(ike_aead_decrypt(IKE_ENCR_AES_GCM_16, km, kl + 4, iv12 + 4, aad, al, buf, pl, tag), 0);
	ck_assert_mem_eq(buf, p, pl);
	/* any change of ciphertext, AAD or tag is refused */
	memcpy(buf, want, pl);
	if (pl) {
		buf[pl - 1] ^= 0x80;
		ck_assert_int_eq(ike_aead_decrypt(IKE_ENCR_AES_GCM_16, km, kl + 4, iv12 + 4, aad, al, buf, pl, tag),
				 -EBADMSG);
	}
	memcpy(buf, want, pl);
	tag[0] ^= 1;
	ck_assert_int_eq(ike_aead_decrypt(IKE_ENCR_AES_GCM_16, km, kl + 4, iv12 + 4, aad, al, buf, pl, tag),
			 -EBADMSG);
}

START_TEST(aes_gcm_mcgrew_viega)
{
	static const char *p60 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
				 "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
	/* test case 2: AES-128, no AAD */
	gcm_vector("00000000000000000000000000000000", "000000000000000000000000",
		   "00000000000000000000000000000000", "", "0388dace60b6a392f328c2b971b2fe78",
		   "ab6e47d42cec13bdf53a67b21257bddf");
	/* test case 4: AES-128 with AAD */
	gcm_vector("feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", p60,
		   "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		   "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		   "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
		   "5bc94fbc3221a5db94fae95ae7121a47");
	/* test case 14: AES-256, no AAD */
	gcm_vector("0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
		   "00000000000000000000000000000000", "", "cea7403d4d606b6e074ec5d3baf39d18",
		   "d0d1c8a799996bf0265b98b5d48ab919");
	/* test case 16: AES-256 with AAD */
	gcm_vector("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
		   p60, "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		   "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		   "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
		   "76fc6ece0f4e1768cddf8853bb2d551b");
	ck_assert(ike_encr_is_aead(IKE_ENCR_AES_GCM_16));
	ck_assert_uint_eq(ike_encr_icv_len(IKE_ENCR_AES_GCM_16), 16);
	ck_assert_uint_eq(ike_encr_iv_len(IKE_ENCR_AES_GCM_16), 8);
	ck_assert_str_eq(ike_encr_name(IKE_ENCR_AES_GCM_16, 128), "aes128gcm16");
	uint8_t k[20] = { 0 }, iv[8] = { 0 }, t[16];
	ck_assert_int_eq(ike_aead_encrypt(IKE_ENCR_AES_CBC, k, 20, iv, NULL, 0, NULL, 0, t), -ENOTSUP);
	ck_assert_int_eq(ike_aead_encrypt(IKE_ENCR_AES_GCM_16, k, 19, iv, NULL, 0, NULL, 0, t), -ENOTSUP);
}
END_TEST

/* ---- IKE transforms: truncated HMAC integrity ---------------------------- */

START_TEST(integ_truncated_hmac)
{
	/* RFC 2202 test 2 and RFC 4231 test case 2, truncated per RFC 2404 / RFC 4868 */
	static const struct { uint16_t id; size_t key, icv; const char *full; } v[] = {
		{ IKE_INTEG_HMAC_SHA1_96, 20, 12, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
		{ IKE_INTEG_HMAC_SHA2_256_128, 32, 16,
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
		{ IKE_INTEG_HMAC_SHA2_384_192, 48, 24,
		  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
		  "8e2240ca5e69e2c78b3239ecfab21649" },
		{ IKE_INTEG_HMAC_SHA2_512_256, 64, 32,
		  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
	};
	const uint8_t *key = (const uint8_t *)"Jefe", *data = (const uint8_t *)"what do ya want for nothing?";
	for (size_t i = 0; i < 4; i++) {
		uint8_t want[64], icv[IKE_MAX_ICV];
		unhex(v[i].full, want, sizeof(want));
		ck_assert(ike_integ_supported(v[i].id));
		ck_assert_uint_eq(ike_integ_key_len(v[i].id), v[i].key);
		ck_assert_uint_eq(ike_integ_icv_len(v[i].id), v[i].icv);
		ck_assert_int_eq(ike_integ_sign(v[i].id, key, 4, data, 28, icv), 0);
		ck_assert_mem_eq(icv, want, v[i].icv);
		ck_assert_int_eq(ike_integ_verify(v[i].id, key, 4, data, 28, want), 0);
		want[v[i].icv - 1] ^= 1;	/* the last byte that counts */
		ck_assert_int_eq(ike_integ_verify(v[i].id, key, 4, data, 28, want), -EBADMSG);
	}
	uint8_t icv[32];
	ck_assert_int_eq(ike_integ_sign(5 /* AES-XCBC-96 */, key, 4, data, 28, icv), -ENOTSUP);
	ck_assert(ike_ct_equal("abc", "abc", 3));
	ck_assert(!ike_ct_equal("abc", "abd", 3));
	ck_assert_str_eq(ike_integ_name(IKE_INTEG_HMAC_SHA2_384_192), "sha384");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("dh");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, modp_primes_follow_their_formula);
	tcase_add_test(tc, ecp256_rfc5903);
	tcase_add_test(tc, ecp384_rfc5903);
	tcase_add_test(tc, x25519_rfc7748);
	tcase_add_test(tc, every_group_agrees_and_validates);
	suite_add_tcase(s, tc);
	tc = tcase_create("prf");
	tcase_add_test(tc, prf_known_answers);
	tcase_add_test(tc, prf_plus_blocks);
	suite_add_tcase(s, tc);
	tc = tcase_create("ike_cipher");
	tcase_add_test(tc, aes_cbc_rfc3602);
	tcase_add_test(tc, aes_cbc_sp800_38a);
	tcase_add_test(tc, tdes_cbc_sp800_67);
	tcase_add_test(tc, aes_gcm_mcgrew_viega);
	tcase_add_test(tc, integ_truncated_hmac);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
