/* SPDX-License-Identifier: MIT */
/*
 * test_crypto.c - IKE SA keys, the SK payload and fragmentation.
 *
 * Keys are re-derived here from RFC 7296 2.13/2.14 with gnutls_hmac_fast
 * directly (never from kanmon's output). SK payloads kanmon seals are opened
 * here with GnuTLS's own CBC/GCM/HMAC calls, and payloads built here are
 * opened by kanmon. Fragment reassembly: any order, duplicates, re-
 * fragmentation, and floods against the per-message and total bounds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "dh.h"
#include "ike_cipher.h"
#include "ikev2_frag.h"
#include "ikev2_keys.h"
#include "ikev2_parse.h"
#include "ikev2_sk.h"
#include "prf.h"

static const uint8_t SPI_I[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
static const uint8_t SPI_R[8] = { 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01 };

/* prf+ the RFC 7296 2.13 way, one HMAC per block */
static void my_prf_plus(gnutls_mac_algorithm_t mac, size_t hl, const uint8_t *k, size_t kl, const uint8_t *s,
			size_t sl, uint8_t *out, size_t len)
{
	uint8_t in[64 + 600], t[64];
	size_t have = 0, tl = 0;
	for (uint8_t n = 1; have < len; n++) {
		memcpy(in, t, tl);
		memcpy(in + tl, s, sl);
		in[tl + sl] = n;
		ck_assert_int_eq(gnutls_hmac_fast(mac, k, kl, in, tl + sl + 1, t), 0);
		tl = hl;
		size_t take = len - have < hl ? len - have : hl;
		memcpy(out + have, t, take);
		have += take;
	}
}

static void check_keys(const struct ikev2_suite *s, gnutls_mac_algorithm_t mac, size_t prf_len, size_t a_len,
		       size_t e_len)
{
	uint8_t ni[32], nr[48], gir[256];
	for (size_t i = 0; i < sizeof(ni); i++)
		ni[i] = (uint8_t)(i * 3 + 1);
	for (size_t i = 0; i < sizeof(nr); i++)
		nr[i] = (uint8_t)(200 - i);
	for (size_t i = 0; i < sizeof(gir); i++)
		gir[i] = (uint8_t)(i ^ 0x5a);
	/* SKEYSEED = prf(Ni | Nr, g^ir) */
	uint8_t key[80], skeyseed[64], seed[32 + 48 + 16], want[512];
	memcpy(key, ni, 32);
	memcpy(key + 32, nr, 48);
	ck_assert_int_eq(gnutls_hmac_fast(mac, key, 80, gir, sizeof(gir), skeyseed), 0);
	memcpy(seed, key, 80);
	memcpy(seed + 80, SPI_I, 8);
	memcpy(seed + 88, SPI_R, 8);
	size_t total = 3 * prf_len + 2 * a_len + 2 * e_len;
	my_prf_plus(mac, prf_len, skeyseed, prf_len, seed, sizeof(seed), want, total);

	struct ikev2_keys k;
	ck_assert_int_eq(ikev2_derive_keys(s, ni, 32, nr, 48, gir, sizeof(gir), SPI_I, SPI_R, &k), 0);
	ck_assert_uint_eq(k.prf_len, prf_len);
	ck_assert_uint_eq(k.a_len, a_len);
	ck_assert_uint_eq(k.e_len, e_len);
	const uint8_t *w = want;
	ck_assert_mem_eq(k.sk_d, w, prf_len);
	w += prf_len;
	if (a_len) {
		ck_assert_mem_eq(k.sk_ai, w, a_len);
		w += a_len;
		ck_assert_mem_eq(k.sk_ar, w, a_len);
		w += a_len;
	}
	ck_assert_mem_eq(k.sk_ei, w, e_len);
	w += e_len;
	ck_assert_mem_eq(k.sk_er, w, e_len);
	w += e_len;
	ck_assert_mem_eq(k.sk_pi, w, prf_len);
	w += prf_len;
	ck_assert_mem_eq(k.sk_pr, w, prf_len);
	ikev2_keys_wipe(&k);
	static const uint8_t zero[sizeof(k)];
	ck_assert_mem_eq(&k, zero, sizeof(k));
}

START_TEST(keys_independent)
{
	struct ikev2_suite cbc = { .protocol = 1, .encr = IKE_ENCR_AES_CBC, .encr_bits = 256,
				   .integ = IKE_INTEG_HMAC_SHA2_256_128, .prf = PRF_HMAC_SHA2_256, .dh = DH_ECP256 };
	check_keys(&cbc, GNUTLS_MAC_SHA256, 32, 32, 32);
	struct ikev2_suite win = { .protocol = 1, .encr = IKE_ENCR_3DES, .integ = IKE_INTEG_HMAC_SHA1_96,
				   .prf = PRF_HMAC_SHA1, .dh = DH_MODP1024 };
	check_keys(&win, GNUTLS_MAC_SHA1, 20, 20, 24);
	/* GCM: no integrity keys, SK_e = key + 4-byte salt */
	struct ikev2_suite gcm = { .protocol = 1, .encr = IKE_ENCR_AES_GCM_16, .encr_bits = 128,
				   .prf = PRF_HMAC_SHA2_384, .dh = DH_CURVE25519 };
	check_keys(&gcm, GNUTLS_MAC_SHA384, 48, 0, 20);
	struct ikev2_suite big = { .protocol = 1, .encr = IKE_ENCR_AES_CBC, .encr_bits = 128,
				   .integ = IKE_INTEG_HMAC_SHA2_512_256, .prf = PRF_HMAC_SHA2_512, .dh = DH_MODP4096 };
	check_keys(&big, GNUTLS_MAC_SHA512, 64, 64, 16);
	struct ikev2_keys k;
	struct ikev2_suite bad = gcm;
	bad.prf = 4;	/* AES-XCBC PRF: not offered */
	ck_assert_int_eq(ikev2_derive_keys(&bad, SPI_I, 8, SPI_R, 8, SPI_I, 8, SPI_I, SPI_R, &k), -ENOTSUP);
}
END_TEST

/* ---- SK payload ----------------------------------------------------------- */

static void keys_for(uint16_t encr, uint16_t bits, uint16_t integ, struct ikev2_keys *k)
{
	struct ikev2_suite s = { .protocol = 1, .encr = encr, .encr_bits = bits, .integ = integ,
				 .prf = PRF_HMAC_SHA2_256, .dh = DH_ECP256 };
	uint8_t ni[16] = { 1 }, nr[16] = { 2 }, gir[32] = { 3 };
	ck_assert_int_eq(ikev2_derive_keys(&s, ni, 16, nr, 16, gir, 32, SPI_I, SPI_R, k), 0);
}

/* seals plain as the responder, then opens it with GnuTLS directly */
static void seal_and_check(uint16_t encr, uint16_t bits, uint16_t integ, size_t plain_len)
{
	struct ikev2_keys k;
	keys_for(encr, bits, integ, &k);
	struct ikev2_sk_dir out;
	ikev2_sk_dir(&k, false, &out);
	uint8_t plain[700], msg[1024], dec[1024];
	for (size_t i = 0; i < plain_len; i++)
		plain[i] = (uint8_t)(i * 7);
	struct ikev2_gen g;
	size_t len;
	uint64_t seq = 0x0102030405060708ULL;
	ikev2_gen_init(&g, msg, sizeof(msg), SPI_I, SPI_R, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_RESPONSE, 1);
	ck_assert_int_eq(ikev2_sk_seal(&g, &out, IKEV2_PL_IDR, NULL, plain, plain_len, &seq, &len), 0);
	ck_assert_uint_eq(len, ikev2_get32(msg + 24));
	ck_assert_uint_eq(msg[16], IKEV2_PL_SK);
	ck_assert_uint_eq(msg[28], IKEV2_PL_IDR);	/* SK's next = the first inner payload */

	size_t iv = encr == IKE_ENCR_3DES ? 8 : encr == IKE_ENCR_AES_GCM_16 ? 8 : 16;
	size_t icv = encr == IKE_ENCR_AES_GCM_16 ? 16 : ike_integ_icv_len(integ);
	const uint8_t *ivp = msg + 32, *ct = ivp + iv;
	size_t ct_len = len - 32 - iv - icv;
	memcpy(dec, ct, ct_len);
	if (encr == IKE_ENCR_AES_GCM_16) {
		/* RFC 5282: nonce = salt (last 4 bytes of SK_er) | IV; AAD = header + SK generic header */
		ck_assert_mem_eq(ivp, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);	/* counter IV */
		ck_assert_uint_eq(seq, 0x0102030405060709ULL);
		uint8_t nonce[12];
		memcpy(nonce, k.sk_er + k.e_len - 4, 4);
		memcpy(nonce + 4, ivp, 8);
		gnutls_aead_cipher_hd_t h;
		gnutls_datum_t key = { k.sk_er, (unsigned)(k.e_len - 4) };
		ck_assert_int_eq(gnutls_aead_cipher_init(&h, bits == 128 ? GNUTLS_CIPHER_AES_128_GCM
									  : GNUTLS_CIPHER_AES_256_GCM, &key), 0);
		uint8_t both[1024];
		size_t pl = sizeof(dec);
		memcpy(both, ct, ct_len + 16);
		ck_assert_int_eq(gnutls_aead_cipher_decrypt(h, nonce, 12, msg, 32, 16, both, ct_len + 16, dec, &pl), 0);
		ck_assert_uint_eq(pl, ct_len);
		gnutls_aead_cipher_deinit(h);
	} else {
		uint8_t mac[64];
		gnutls_mac_algorithm_t m = integ == IKE_INTEG_HMAC_SHA1_96 ? GNUTLS_MAC_SHA1 : GNUTLS_MAC_SHA256;
		ck_assert_int_eq(gnutls_hmac_fast(m, k.sk_ar, k.a_len, msg, len - icv, mac), 0);
		ck_assert_mem_eq(mac, msg + len - icv, icv);
		gnutls_cipher_hd_t h;
		gnutls_datum_t key = { k.sk_er, (unsigned)k.e_len }, v = { (uint8_t *)ivp, (unsigned)iv };
		gnutls_cipher_algorithm_t alg = encr == IKE_ENCR_3DES ? GNUTLS_CIPHER_3DES_CBC
						: bits == 128 ? GNUTLS_CIPHER_AES_128_CBC : GNUTLS_CIPHER_AES_256_CBC;
		ck_assert_int_eq(gnutls_cipher_init(&h, alg, &key, &v), 0);
		ck_assert_int_eq(gnutls_cipher_decrypt(h, dec, ct_len), 0);
		gnutls_cipher_deinit(h);
	}
	/* plaintext | padding | pad length */
	ck_assert_uint_eq(dec[ct_len - 1], ct_len - 1 - plain_len);
	ck_assert_mem_eq(dec, plain, plain_len);

	/* and kanmon opens what it sealed, as the initiator would (keys of the other direction) */
	struct ikev2_msg pm;
	ck_assert_int_eq(ikev2_parse(msg, len, &pm), 0);
	struct ikev2_sk_dir in = out;
	uint8_t back[1024];
	size_t bl;
	ck_assert_int_eq(ikev2_sk_open(&in, msg, len, &pm.c.pl[0], back, &bl), 0);
	ck_assert_uint_eq(bl, plain_len);
	ck_assert_mem_eq(back, plain, plain_len);
	/* every single flipped bit anywhere in the message is refused */
	for (size_t i = 0; i < len; i += 1 + len / 64) {
		msg[i] ^= 0x10;
		int r = ikev2_parse(msg, len, &pm);
		if (!r)
			r = ikev2_sk_open(&in, msg, len, &pm.c.pl[0], back, &bl);
		ck_assert_msg(r != 0, "byte %zu flipped and still accepted", i);
		msg[i] ^= 0x10;
	}
	/* the keys of the wrong direction */
	ikev2_sk_dir(&k, true, &in);
	ck_assert_int_eq(ikev2_sk_open(&in, msg, len, &pm.c.pl[0], back, &bl), -EBADMSG);
	ikev2_keys_wipe(&k);
}

START_TEST(sk_seal_open)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 100, 600 };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		seal_and_check(IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, lens[i]);
		seal_and_check(IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA1_96, lens[i]);
		seal_and_check(IKE_ENCR_3DES, 0, IKE_INTEG_HMAC_SHA1_96, lens[i]);
		seal_and_check(IKE_ENCR_AES_GCM_16, 256, 0, lens[i]);
		seal_and_check(IKE_ENCR_AES_GCM_16, 128, 0, lens[i]);
	}
}
END_TEST

START_TEST(sk_open_malformed)
{
	struct ikev2_keys k;
	keys_for(IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, &k);
	struct ikev2_sk_dir d;
	ikev2_sk_dir(&k, true, &d);
	/* a ciphertext that is not whole blocks, authenticated correctly: -EINVAL */
	uint8_t msg[256], out[256];
	struct ikev2_gen g;
	size_t len;
	ikev2_gen_init(&g, msg, sizeof(msg), SPI_I, SPI_R, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
	uint8_t *b = ikev2_gen_payload(&g, IKEV2_PL_SK, false, 16 + 20 + 16);
	memset(b, 0, 16 + 20);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	ck_assert_int_eq(ike_integ_sign(d.integ, d.ka, d.ka_len, msg, len - 16, msg + len - 16), 0);
	struct ikev2_msg m;
	ck_assert_int_eq(ikev2_parse(msg, len, &m), 0);
	ck_assert_int_eq(ikev2_sk_open(&d, msg, len, &m.c.pl[0], out, &len), -EINVAL);
	/* a pad length larger than the plaintext, authenticated: -EINVAL */
	ikev2_gen_init(&g, msg, sizeof(msg), SPI_I, SPI_R, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
	b = ikev2_gen_payload(&g, IKEV2_PL_SK, false, 16 + 16 + 16);
	memset(b, 0, 32);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	uint8_t block[16];
	memset(block, 0, 16);
	block[15] = 16;	/* pad length 16 in a 16-byte plaintext */
	ck_assert_int_eq(ike_cbc_encrypt(d.encr, d.ke, d.ke_len, b, block, 16), 0);
	memcpy(b + 16, block, 16);
	ck_assert_int_eq(ike_integ_sign(d.integ, d.ka, d.ka_len, msg, len - 16, msg + len - 16), 0);
	ck_assert_int_eq(ikev2_parse(msg, len, &m), 0);
	size_t pl;
	ck_assert_int_eq(ikev2_sk_open(&d, msg, len, &m.c.pl[0], out, &pl), -EINVAL);
	/* too short for IV + ICV */
	ikev2_gen_init(&g, msg, sizeof(msg), SPI_I, SPI_R, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
	ikev2_gen_payload(&g, IKEV2_PL_SK, false, 31);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	ck_assert_int_eq(ikev2_parse(msg, len, &m), 0);
	ck_assert_int_eq(ikev2_sk_open(&d, msg, len, &m.c.pl[0], out, &pl), -EINVAL);
	ikev2_keys_wipe(&k);
}
END_TEST

/* ---- fragmentation --------------------------------------------------------- */

START_TEST(split_and_reassemble)
{
	struct ikev2_keys k;
	keys_for(IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA1_96, &k);
	struct ikev2_sk_dir d;
	ikev2_sk_dir(&k, false, &d);
	uint8_t plain[3000];
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 13 + 5);
	struct ikev2_buf frags[16];
	size_t n = 0;
	uint64_t seq = 0;
	/* 598 = a 626-byte IP datagram to 4500 (IP 20 + UDP 8), what Windows uses */
	ck_assert_int_eq(ikev2_frag_split(&d, SPI_I, SPI_R, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_RESPONSE, 1,
					  IKEV2_PL_IDR, plain, sizeof(plain), 598 - 4, &seq, frags, 16, &n), 0);
	ck_assert_uint_ge(n, 5);
	struct ikev2_frag_budget b = { .limit = 1 << 20 };
	struct ikev2_reasm r = { 0 };
	uint8_t *whole = NULL, first = 0;
	size_t whole_len = 0;
	/* feed in reverse order, with a duplicate of each */
	for (size_t j = n; j-- > 0;) {
		ck_assert_uint_le(frags[j].len, 598 - 4);
		struct ikev2_msg m;
		ck_assert_int_eq(ikev2_parse(frags[j].data, frags[j].len, &m), 0);
		ck_assert_uint_eq(m.c.pl[0].type, IKEV2_PL_SKF);
		ck_assert_uint_eq(m.c.pl[0].next, j ? 0 : IKEV2_PL_IDR);
		struct ikev2_skf f;
		ck_assert_int_eq(ikev2_parse_skf(&m.c.pl[0], &f), 0);
		ck_assert_uint_eq(f.number, j + 1);
		ck_assert_uint_eq(f.total, n);
		uint8_t dec[1024];
		size_t dl;
		ck_assert_int_eq(ikev2_sk_open(&d, frags[j].data, frags[j].len, &m.c.pl[0], dec, &dl), 0);
		int rr = ikev2_reasm_add(&r, &b, 1, &f, m.c.pl[0].next, dec, dl, &whole, &whole_len, &first);
		ck_assert_int_eq(rr, j ? 0 : 1);
		if (j)
			ck_assert_int_eq(ikev2_reasm_add(&r, &b, 1, &f, 0, dec, dl, &whole, &whole_len, &first),
					 -EALREADY);
	}
	ck_assert_uint_eq(whole_len, sizeof(plain));
	ck_assert_mem_eq(whole, plain, sizeof(plain));
	ck_assert_uint_eq(first, IKEV2_PL_IDR);
	ck_assert_uint_eq(b.used, 0);	/* all returned */
	free(whole);
	for (size_t j = 0; j < n; j++)
		ikev2_buf_free(&frags[j]);
	/* too small to carry anything, or too many fragments for the table */
	n = 0;
	ck_assert_int_eq(ikev2_frag_split(&d, SPI_I, SPI_R, 35, 0x20, 1, 36, plain, 100, 60, &seq, frags, 16, &n),
			 -EMSGSIZE);
	ck_assert_int_eq(ikev2_frag_split(&d, SPI_I, SPI_R, 35, 0x20, 1, 36, plain, 3000, 200, &seq, frags, 16, &n),
			 -EMSGSIZE);
	ck_assert_uint_eq(n, 0);
	ikev2_keys_wipe(&k);
}
END_TEST

START_TEST(reassembly_rules)
{
	struct ikev2_frag_budget b = { .limit = 1 << 20 };
	struct ikev2_reasm r = { 0 };
	uint8_t data[100], *whole = NULL, first;
	size_t wl;
	memset(data, 0x42, sizeof(data));
	struct ikev2_skf f = { 1, 3 };
	ck_assert_int_eq(ikev2_reasm_add(&r, &b, 1, &f, 35, data, 10, &whole, &wl, &first), 0);
	/* a smaller total than the collection's: ignored */
	f = (struct ikev2_skf){ 2, 2 };
	ck_assert_int_eq(ikev2_reasm_add(&r, &b, 1, &f, 0, data, 10, &whole, &wl, &first), -ESTALE);
	/* a greater one: the sender re-fragmented, start over */
	f = (struct ikev2_skf){ 2, 4 };
	ck_assert_int_eq(ikev2_reasm_add(&r, &b, 1, &f, 0, data, 10, &whole, &wl, &first), 0);
	ck_assert_uint_eq(r.have, 1);
	ck_assert_uint_eq(r.total, 4);
	/* out of range */
	f = (struct ikev2_skf){ 5, 4 };
	ck_assert_int_eq(ikev2_reasm_add(&r, &b, 1, &f, 0, data, 10, &whole, &wl, &first), -EINVAL);
	f = (struct ikev2_skf){ 1, IKEV2_FRAG_MAX_COUNT + 1 };
	ck_assert_int_eq(ikev2_reasm_add(&r, &b, 1, &f, 0, data, 10, &whole, &wl, &first), -EINVAL);
	/* a newer message ID drops the old collection */
	f = (struct ikev2_skf){ 1, 2 };
	ck_assert_int_eq(ikev2_reasm_add(&r, &b, 2, &f, 35, data, 10, &whole, &wl, &first), 0);
	ck_assert_uint_eq(r.msgid, 2);
	f = (struct ikev2_skf){ 2, 2 };
	ck_assert_int_eq(ikev2_reasm_add(&r, &b, 2, &f, 0, data, 20, &whole, &wl, &first), 1);
	ck_assert_uint_eq(wl, 30);
	ck_assert_uint_eq(first, 35);
	free(whole);
	ck_assert_uint_eq(b.used, 0);
}
END_TEST

START_TEST(flood_is_bounded)
{
	/* one SA: at most IKEV2_MAX_MSG bytes per message */
	struct ikev2_frag_budget b = { .limit = 1 << 20 };
	struct ikev2_reasm r = { 0 };
	static uint8_t data[1500];
	uint8_t *whole = NULL, first;
	size_t wl;
	int nobufs = 0;
	for (uint16_t i = 1; i <= IKEV2_FRAG_MAX_COUNT; i++) {
		struct ikev2_skf f = { i, IKEV2_FRAG_MAX_COUNT };
		int rr = ikev2_reasm_add(&r, &b, 7, &f, 0, data, sizeof(data), &whole, &wl, &first);
		ck_assert_int_ne(rr, 1);
		ck_assert_uint_le(r.bytes, IKEV2_MAX_MSG);
		nobufs += rr == -ENOBUFS;
	}
	ck_assert_int_gt(nobufs, 0);
	ikev2_reasm_reset(&r, &b);
	ck_assert_uint_eq(b.used, 0);

	/* many SAs: together never above the total budget, all of it returned */
	enum { SAS = 64 };
	struct ikev2_reasm many[SAS];
	memset(many, 0, sizeof(many));
	b.limit = 256 * 1024;
	size_t refused = 0;
	for (int round = 0; round < 20; round++)
		for (int s = 0; s < SAS; s++) {
			struct ikev2_skf f = { (uint16_t)(round + 1), 100 };
			int rr = ikev2_reasm_add(&many[s], &b, 1, &f, 0, data, 1000, &whole, &wl, &first);
			refused += rr == -ENOBUFS;
			ck_assert_uint_le(b.used, b.limit);
		}
	ck_assert_uint_gt(refused, 0);
	for (int s = 0; s < SAS; s++)
		ikev2_reasm_reset(&many[s], &b);
	ck_assert_uint_eq(b.used, 0);
	/* tiny fragments cost their overhead too: 128 one-byte fragments of 64 SAs */
	b.limit = 64 * 1024;
	refused = 0;
	for (int s = 0; s < SAS; s++)
		for (uint16_t i = 1; i <= 100; i++) {
			struct ikev2_skf f = { i, IKEV2_FRAG_MAX_COUNT };
			refused += ikev2_reasm_add(&many[s], &b, 1, &f, 0, data, 1, &whole, &wl, &first) == -ENOBUFS;
			ck_assert_uint_le(b.used, b.limit);
		}
	ck_assert_uint_gt(refused, 0);
	for (int s = 0; s < SAS; s++)
		ikev2_reasm_reset(&many[s], &b);
	ck_assert_uint_eq(b.used, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ikev2_crypto");
	TCase *tc = tcase_create("keys");
	tcase_add_test(tc, keys_independent);
	suite_add_tcase(s, tc);
	tc = tcase_create("sk");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sk_seal_open);
	tcase_add_test(tc, sk_open_malformed);
	suite_add_tcase(s, tc);
	tc = tcase_create("frag");
	tcase_add_test(tc, split_and_reassemble);
	tcase_add_test(tc, reassembly_rules);
	tcase_add_test(tc, flood_is_bounded);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
