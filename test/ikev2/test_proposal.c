/* SPDX-License-Identifier: MIT */
/*
 * test_proposal.c - configured proposal strings, the peer's SA payload
 * (built here from RFC 7296 3.3 by test/ikev2/util.c), selection in the
 * server's order, and the answer's SA payload.
 */
#include <errno.h>
#include <string.h>

#include <check.h>

#include "dh.h"
#include "ike_cipher.h"
#include "ikev2_gen.h"
#include "ikev2_parse.h"
#include "ikev2_proposal.h"
#include "prf.h"
#include "util.h"

#define AES IKE_ENCR_AES_CBC
#define GCM IKE_ENCR_AES_GCM_16
#define SHA1 IKE_INTEG_HMAC_SHA1_96
#define SHA256 IKE_INTEG_HMAC_SHA2_256_128

static int conf(const char *s, uint8_t proto, struct ikev2_proposal *p)
{
	char err[256];
	return ikev2_proposal_parse_conf(s, proto, p, err, sizeof(err));
}

/* parses the SA payload of an offer built by gen_offer */
static void offer_of(const struct test_prop *tp, size_t n, struct ikev2_offer *o)
{
	static uint8_t buf[4096];
	struct ikev2_gen g;
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	gen_offer(&g, tp, n);
	size_t len;
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	ck_assert_int_eq(ikev2_offer_parse(buf + 4, len - 4, o), 0);
}

START_TEST(conf_strings)
{
	struct ikev2_proposal p;
	char err[256];
	ck_assert_int_eq(conf("aes256-sha256-ecp256", 1, &p), 0);
	ck_assert_uint_eq(p.n[IKEV2_XF_ENCR], 1);
	ck_assert_uint_eq(p.x[IKEV2_XF_ENCR][0].bits, 256);
	/* no PRF given: those of the integrity algorithms */
	ck_assert_uint_eq(p.n[IKEV2_XF_PRF], 1);
	ck_assert_uint_eq(p.x[IKEV2_XF_PRF][0].id, PRF_HMAC_SHA2_256);
	ck_assert_int_eq(conf("aes256gcm16-aes128gcm-prfsha384-curve25519-x25519-modp2048", 1, &p), 0);
	ck_assert_uint_eq(p.n[IKEV2_XF_ENCR], 2);
	ck_assert_uint_eq(p.n[IKEV2_XF_INTEG], 0);
	ck_assert_uint_eq(p.n[IKEV2_XF_DH], 2);	/* x25519 = curve25519, once */
	ck_assert_int_eq(conf("3des-sha1-modp1024", 1, &p), 0);
	ck_assert_uint_eq(p.x[IKEV2_XF_ENCR][0].id, IKE_ENCR_3DES);
	ck_assert_uint_eq(p.x[IKEV2_XF_ENCR][0].bits, 0);
	/* refused, each with a reason naming the string */
	ck_assert_int_eq(ikev2_proposal_parse_conf("aes256-md5-modp2048", 1, &p, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "'md5'"));
	ck_assert_int_eq(conf("aes256gcm16-sha256-prfsha256-ecp256", 1, &p), -EINVAL);	/* AEAD + integ */
	ck_assert_int_eq(conf("aes256gcm16-ecp256", 1, &p), -EINVAL);		/* AEAD without PRF */
	ck_assert_int_eq(conf("aes256gcm16-aes256-sha1-prfsha1-ecp256", 1, &p), -EINVAL);	/* mixed */
	ck_assert_int_eq(conf("aes256-sha256", 1, &p), -EINVAL);			/* IKE without DH */
	ck_assert_int_eq(conf("aes256-ecp256", 1, &p), -EINVAL);			/* no integrity */
	ck_assert_int_eq(conf("sha256-ecp256", 1, &p), -EINVAL);			/* no cipher */
	ck_assert_int_eq(conf("aes256--sha256-ecp256", 1, &p), -EINVAL);
	ck_assert_int_eq(conf("", 1, &p), -EINVAL);
	ck_assert_int_eq(conf("aes256-sha256-ecp256-esn", 1, &p), -EINVAL);	/* ESN is ESP's */
	/* ESP: no DH needed, modpnone = optional PFS, ESN defaults to off */
	ck_assert_int_eq(conf("aes256-sha256", 3, &p), 0);
	ck_assert_uint_eq(p.n[IKEV2_XF_ESN], 1);
	ck_assert_uint_eq(p.x[IKEV2_XF_ESN][0].id, 0);
	ck_assert_int_eq(conf("aes256gcm16-modp2048-modpnone-esn-noesn", 3, &p), 0);
	ck_assert(p.dh_optional);
	ck_assert_uint_eq(p.n[IKEV2_XF_ESN], 2);
	ck_assert_int_eq(conf("aes256-sha256-prfsha256", 3, &p), -EINVAL);	/* PRF is IKE's */
}
END_TEST

START_TEST(offer_parse_and_malformed)
{
	struct test_prop tp[2] = {
		{ .protocol = 1, .encr = { AES, AES }, .encr_bits = { 256, 128 }, .integ = { SHA256 },
		  .prf = { PRF_HMAC_SHA2_256 }, .dh = { DH_ECP256, DH_MODP2048 } },
		{ .protocol = 1, .encr = { GCM }, .encr_bits = { 256 }, .prf = { PRF_HMAC_SHA2_384 },
		  .dh = { DH_CURVE25519 } },
	};
	struct ikev2_offer o;
	offer_of(tp, 2, &o);
	ck_assert_uint_eq(o.n, 2);
	ck_assert_uint_eq(o.p[0].num, 1);
	ck_assert_uint_eq(o.p[1].num, 2);
	ck_assert_uint_eq(o.p[0].n[IKEV2_XF_ENCR], 2);
	ck_assert_uint_eq(o.p[0].x[IKEV2_XF_ENCR][1].bits, 128);
	ck_assert_uint_eq(o.p[0].n[IKEV2_XF_DH], 2);
	ck_assert_uint_eq(o.p[1].x[IKEV2_XF_DH][0].id, DH_CURVE25519);
	char d[256];
	ikev2_offer_describe(&o, d, sizeof(d));
	ck_assert_str_eq(d, "aes256-aes128/sha256/prfsha256/ecp256-modp2048, aes256gcm16/prfsha384/curve25519");

	uint8_t buf[512];
	struct ikev2_gen g;
	size_t len;
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	gen_offer(&g, tp, 2);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	uint8_t *b = buf + 4;
	size_t bl = len - 4, p1 = (size_t)(b[2] << 8 | b[3]);
	/* last-substruc of the first proposal says "last" */
	b[0] = 0;
	ck_assert_int_eq(ikev2_offer_parse(b, bl, &o), -EBADMSG);
	b[0] = 2;
	/* transform count one too many / too few */
	b[7]++;
	ck_assert_int_eq(ikev2_offer_parse(b, bl, &o), -EBADMSG);
	b[7] -= 2;
	ck_assert_int_eq(ikev2_offer_parse(b, bl, &o), -EBADMSG);
	b[7]++;
	/* a proposal length past the payload */
	b[p1 + 3] = 0xff;
	ck_assert_int_eq(ikev2_offer_parse(b, bl, &o), -EBADMSG);
	/* truncated anywhere */
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	gen_offer(&g, tp, 2);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	for (size_t l = 0; l < len - 4; l++)
		ck_assert_int_ne(ikev2_offer_parse(b, l, &o), 0);
	/* transforms with an attribute we do not know are kept but unusable (RFC 7296 3.3.6) */
	uint8_t raw[] = {
		0, 0, 0, 8 + 12 + 12 + 8 + 8 + 8, 1, 1, 0, 5,
		3, 0, 0, 12, 1, 0, 0, 12, 0x00, 0x0f, 0x00, 0x00,	/* AES-CBC, TLV attribute 15 */
		3, 0, 0, 12, 1, 0, 0, 12, 0x80, 0x63, 0x00, 0x80,	/* AES-CBC, TV attribute 99 */
		3, 0, 0, 8, 3, 0, 0, 2,					/* HMAC-SHA1-96 */
		3, 0, 0, 8, 2, 0, 0, 2,					/* PRF-HMAC-SHA1 */
		0, 0, 0, 8, 4, 0, 0, 14,				/* MODP2048 */
	};
	ck_assert_int_eq(ikev2_offer_parse(raw, sizeof(raw), &o), 0);
	ck_assert_uint_eq(o.p[0].n[IKEV2_XF_ENCR], 2);
	ck_assert(!o.p[0].x[IKEV2_XF_ENCR][0].usable);
	ck_assert(!o.p[0].x[IKEV2_XF_ENCR][1].usable);
	struct ikev2_proposal c;
	struct ikev2_suite s;
	ck_assert_int_eq(conf("aes128-sha1-modp2048", 1, &c), 0);
	ck_assert_int_eq(ikev2_select(&c, 1, 1, &o, 1, &s), -ENOENT);
	/* a TLV attribute longer than its transform */
	raw[19] = 9;
	ck_assert_int_eq(ikev2_offer_parse(raw, sizeof(raw), &o), -EBADMSG);
	raw[19] = 0;
	/* a transform shorter than 8, a wrong last-substruc on the last transform */
	raw[8 + 12 + 12 + 3] = 7;
	ck_assert_int_eq(ikev2_offer_parse(raw, sizeof(raw), &o), -EBADMSG);
	raw[8 + 12 + 12 + 3] = 8;
	raw[sizeof(raw) - 8] = 3;
	ck_assert_int_eq(ikev2_offer_parse(raw, sizeof(raw), &o), -EBADMSG);
	raw[sizeof(raw) - 8] = 0;
	/* an SPI size over 8 */
	raw[6] = 9;
	ck_assert_int_eq(ikev2_offer_parse(raw, sizeof(raw), &o), -EBADMSG);
	raw[6] = 0;
	ck_assert_int_eq(ikev2_offer_parse(raw, sizeof(raw), &o), 0);
	ck_assert_int_eq(ikev2_offer_parse(raw, 0, &o), -EBADMSG);	/* no proposal at all */
}
END_TEST

START_TEST(too_many)
{
	struct test_prop tp[IKEV2_MAX_PROPOSALS + 1];
	for (size_t i = 0; i < IKEV2_MAX_PROPOSALS + 1; i++)
		tp[i] = (struct test_prop){ .protocol = 1, .encr = { AES }, .encr_bits = { 128 }, .integ = { SHA1 },
					    .prf = { PRF_HMAC_SHA1 }, .dh = { DH_MODP2048 } };
	static uint8_t buf[8192];
	struct ikev2_gen g;
	size_t len;
	struct ikev2_offer o;
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	gen_offer(&g, tp, IKEV2_MAX_PROPOSALS);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	ck_assert_int_eq(ikev2_offer_parse(buf + 4, len - 4, &o), 0);
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	gen_offer(&g, tp, IKEV2_MAX_PROPOSALS + 1);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	ck_assert_int_eq(ikev2_offer_parse(buf + 4, len - 4, &o), -E2BIG);
}
END_TEST

START_TEST(server_order_wins)
{
	struct ikev2_proposal c[3];
	ck_assert_int_eq(conf("aes256-sha256-ecp256", 1, &c[0]), 0);
	ck_assert_int_eq(conf("aes128-aes256-sha1-sha256-modp2048-ecp256", 1, &c[1]), 0);
	ck_assert_int_eq(conf("3des-sha1-modp1024", 1, &c[2]), 0);
	/* the client prefers aes128/sha1/modp2048; the server's first proposal is met */
	struct test_prop tp[2] = {
		{ .protocol = 1, .encr = { AES }, .encr_bits = { 128 }, .integ = { SHA1 }, .prf = { PRF_HMAC_SHA1 },
		  .dh = { DH_MODP2048 } },
		{ .protocol = 1, .encr = { AES }, .encr_bits = { 256 }, .integ = { SHA256 },
		  .prf = { PRF_HMAC_SHA2_256 }, .dh = { DH_ECP256 } },
	};
	struct ikev2_offer o;
	struct ikev2_suite s;
	offer_of(tp, 2, &o);
	ck_assert_int_eq(ikev2_select(c, 3, 2, &o, 1, &s), 0);
	ck_assert_uint_eq(s.num, 2);
	ck_assert_uint_eq(s.encr_bits, 256);
	ck_assert_uint_eq(s.dh, DH_ECP256);
	ck_assert(!s.legacy);
	char name[64];
	ikev2_suite_name(&s, name, sizeof(name));
	ck_assert_str_eq(name, "aes256-sha256-prfsha256-ecp256");

	/* within one configured proposal the server's order of algorithms decides */
	struct test_prop both = { .protocol = 1, .encr = { AES, AES }, .encr_bits = { 256, 128 },
				  .integ = { SHA256, SHA1 }, .prf = { PRF_HMAC_SHA2_256, PRF_HMAC_SHA1 },
				  .dh = { DH_ECP256, DH_MODP2048 } };
	offer_of(&both, 1, &o);
	ck_assert_int_eq(ikev2_select(&c[1], 1, 1, &o, 1, &s), 0);
	ck_assert_uint_eq(s.encr_bits, 128);
	ck_assert_uint_eq(s.integ, SHA1);
	ck_assert_uint_eq(s.prf, PRF_HMAC_SHA1);
	ck_assert_uint_eq(s.dh, DH_MODP2048);

	/* only the legacy set matches: flagged as such */
	struct test_prop win = { .protocol = 1, .encr = { IKE_ENCR_3DES }, .integ = { SHA1 },
				 .prf = { PRF_HMAC_SHA1 }, .dh = { DH_MODP1024 } };
	offer_of(&win, 1, &o);
	ck_assert_int_eq(ikev2_select(c, 3, 2, &o, 1, &s), 0);
	ck_assert(s.legacy);
	ck_assert_int_eq(ikev2_select(c, 2, 2, &o, 1, &s), -ENOENT);	/* legacy off */

	/* an ESP offer never matches IKE proposals, an IKE SPI must be 0 or 8 */
	win.protocol = 3;
	offer_of(&win, 1, &o);
	ck_assert_int_eq(ikev2_select(c, 3, 2, &o, 1, &s), -ENOENT);
	win.protocol = 1;
	win.spi_len = 4;
	offer_of(&win, 1, &o);
	ck_assert_int_eq(ikev2_select(c, 3, 2, &o, 1, &s), -ENOENT);
	/* a key length we do not have (AES-192 offered, not configured) */
	struct test_prop a192 = { .protocol = 1, .encr = { AES }, .encr_bits = { 192 }, .integ = { SHA256 },
				  .prf = { PRF_HMAC_SHA2_256 }, .dh = { DH_ECP256 } };
	offer_of(&a192, 1, &o);
	ck_assert_int_eq(ikev2_select(c, 3, 2, &o, 1, &s), -ENOENT);
}
END_TEST

START_TEST(aead_rules)
{
	struct ikev2_proposal c;
	ck_assert_int_eq(conf("aes256gcm16-prfsha256-ecp256", 1, &c), 0);
	struct test_prop gcm = { .protocol = 1, .encr = { GCM }, .encr_bits = { 256 }, .prf = { PRF_HMAC_SHA2_256 },
				 .dh = { DH_ECP256 } };
	struct ikev2_offer o;
	struct ikev2_suite s;
	offer_of(&gcm, 1, &o);
	ck_assert_int_eq(ikev2_select(&c, 1, 1, &o, 1, &s), 0);
	ck_assert_uint_eq(s.integ, 0);
	char name[64];
	ikev2_suite_name(&s, name, sizeof(name));
	ck_assert_str_eq(name, "aes256gcm16-prfsha256-ecp256");
	/* an AEAD proposal that also lists a real integrity algorithm is refused (RFC 5282 8) */
	gcm.integ[0] = SHA256;
	offer_of(&gcm, 1, &o);
	ck_assert_int_eq(ikev2_select(&c, 1, 1, &o, 1, &s), -ENOENT);
}
END_TEST

START_TEST(esp_selection)
{
	struct ikev2_proposal c[2];
	ck_assert_int_eq(conf("aes256gcm16-modpnone-ecp256", 3, &c[0]), 0);
	ck_assert_int_eq(conf("aes256-sha256-sha1", 3, &c[1]), 0);
	struct ikev2_offer o;
	struct ikev2_suite s;
	/* iOS: with and without PFS (DH list includes NONE) */
	struct test_prop ios = { .protocol = 3, .spi_len = 4, .encr = { GCM }, .encr_bits = { 256 },
				 .dh = { DH_ECP256 }, .esn = { 2 } };
	offer_of(&ios, 1, &o);
	ck_assert_int_eq(ikev2_select(c, 2, 2, &o, 3, &s), 0);
	ck_assert_uint_eq(s.dh, DH_ECP256);
	ck_assert_uint_eq(s.spi_len, 4);
	ck_assert_uint_eq(s.spi[0], 0xa0);
	/* macOS rekey: no DH at all; allowed by modpnone */
	ios.dh[0] = 0;
	offer_of(&ios, 1, &o);
	ck_assert_int_eq(ikev2_select(c, 2, 2, &o, 3, &s), 0);
	ck_assert_uint_eq(s.dh, 0);
	/* Windows: aes256-sha1 without PFS; the proposal without modpnone and without DH accepts it */
	struct test_prop win = { .protocol = 3, .spi_len = 4, .encr = { AES }, .encr_bits = { 256 },
				 .integ = { SHA1 }, .esn = { 2 } };
	offer_of(&win, 1, &o);
	ck_assert_int_eq(ikev2_select(c, 2, 2, &o, 3, &s), 0);
	ck_assert_uint_eq(s.integ, SHA1);
	/* ESN demanded, we only do without */
	win.esn[0] = 1;
	offer_of(&win, 1, &o);
	ck_assert_int_eq(ikev2_select(c, 2, 2, &o, 3, &s), -ENOENT);
}
END_TEST

START_TEST(answer_round_trip)
{
	/* the SA payload we send parses back into exactly the suite */
	struct ikev2_suite in[] = {
		{ .num = 3, .protocol = 1, .encr = AES, .encr_bits = 256, .prf = PRF_HMAC_SHA2_256, .integ = SHA256,
		  .dh = DH_ECP256 },
		{ .num = 1, .protocol = 1, .encr = GCM, .encr_bits = 128, .prf = PRF_HMAC_SHA2_384, .dh = DH_CURVE25519 },
		{ .num = 2, .protocol = 1, .encr = IKE_ENCR_3DES, .prf = PRF_HMAC_SHA1, .integ = SHA1, .dh = DH_MODP1024 },
		{ .num = 1, .protocol = 3, .spi_len = 4, .spi = { 1, 2, 3, 4 }, .encr = AES, .encr_bits = 128,
		  .integ = SHA1, .esn = 0 },
	};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		uint8_t buf[256];
		struct ikev2_gen g;
		size_t len;
		ikev2_gen_init_inner(&g, buf, sizeof(buf));
		ikev2_gen_sa(&g, &in[i]);
		ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
		struct ikev2_chain c;
		ck_assert_int_eq(ikev2_parse_inner(g.first, buf, len, &c), 0);
		ck_assert_uint_eq(c.pl[0].type, IKEV2_PL_SA);
		struct ikev2_offer o;
		ck_assert_int_eq(ikev2_offer_parse(c.pl[0].body, c.pl[0].len, &o), 0);
		ck_assert_uint_eq(o.n, 1);
		const struct ikev2_proposal *p = &o.p[0];
		ck_assert_uint_eq(p->num, in[i].num);
		ck_assert_uint_eq(p->protocol, in[i].protocol);
		ck_assert_uint_eq(p->spi_len, in[i].spi_len);
		ck_assert_uint_eq(p->x[IKEV2_XF_ENCR][0].id, in[i].encr);
		ck_assert_uint_eq(p->x[IKEV2_XF_ENCR][0].bits, in[i].encr_bits);
		ck_assert_uint_eq(p->n[IKEV2_XF_INTEG], in[i].integ ? 1 : 0);
		ck_assert_uint_eq(p->n[IKEV2_XF_PRF], in[i].prf ? 1 : 0);
		ck_assert_uint_eq(p->n[IKEV2_XF_DH], in[i].dh ? 1 : 0);
		ck_assert_uint_eq(p->n[IKEV2_XF_ESN], in[i].protocol == 3 ? 1 : 0);
		/* and selecting from our own answer gives the same suite back */
		char conf_s[128], err[128];
		struct ikev2_proposal cp;
		ikev2_suite_name(&in[i], conf_s, sizeof(conf_s));
		if (in[i].protocol == 1 && !in[i].integ) {
			ck_assert_int_eq(ikev2_proposal_parse_conf(conf_s, 1, &cp, err, sizeof(err)), 0);
			struct ikev2_suite s;
			ck_assert_int_eq(ikev2_select(&cp, 1, 1, &o, 1, &s), 0);
			ck_assert_uint_eq(s.prf, in[i].prf);
			ck_assert_uint_eq(s.dh, in[i].dh);
		}
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ikev2_proposal");
	TCase *tc = tcase_create("proposal");
	tcase_add_test(tc, conf_strings);
	tcase_add_test(tc, offer_parse_and_malformed);
	tcase_add_test(tc, too_many);
	tcase_add_test(tc, server_order_wins);
	tcase_add_test(tc, aead_rules);
	tcase_add_test(tc, esp_selection);
	tcase_add_test(tc, answer_round_trip);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
