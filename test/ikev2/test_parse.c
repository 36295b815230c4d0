/* SPDX-License-Identifier: MIT */
/*
 * test_parse.c - the IKEv2 message parser and generator: round trips, and
 * every kind of bad input refused with the right code (truncated, oversized,
 * bad lengths, bad chains, SK not last or nested, unknown critical payloads,
 * too many payloads, short bodies).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ikev2_gen.h"
#include "ikev2_parse.h"
#include "util.h"

static const uint8_t SPI_I[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, SPI_R[8] = { 9, 10, 11, 12, 13, 14, 15, 16 };

/* HDR, KE, No, N(NAT_D_S, 20 bytes), N(with a 4-byte SPI), V(critical bit) */
static size_t sample(uint8_t *buf, size_t cap)
{
	struct ikev2_gen g;
	uint8_t ke[64], nonce[32], natd[20], spi[4] = { 0xde, 0xad, 0xbe, 0xef };
	memset(ke, 0x11, sizeof(ke));
	memset(nonce, 0x22, sizeof(nonce));
	memset(natd, 0x33, sizeof(natd));
	ikev2_gen_init(&g, buf, cap, SPI_I, SPI_R, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0x01020304);
	ikev2_gen_ke(&g, 19, ke, sizeof(ke));
	ikev2_gen_bytes(&g, IKEV2_PL_NONCE, nonce, sizeof(nonce));
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, natd, sizeof(natd));
	ikev2_gen_notify(&g, IKEV2_PROTO_ESP, spi, 4, IKEV2_N_REKEY_SA, NULL, 0);
	uint8_t *v = ikev2_gen_payload(&g, IKEV2_PL_VENDOR, true, 3);
	memcpy(v, "abc", 3);
	size_t len = 0;
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	return len;
}

START_TEST(round_trip)
{
	uint8_t buf[512];
	size_t len = sample(buf, sizeof(buf));
	ck_assert_uint_eq(len, 28 + (4 + 68) + (4 + 32) + (4 + 4 + 20) + (4 + 4 + 4) + (4 + 3));
	struct ikev2_msg m;
	ck_assert_int_eq(ikev2_parse(buf, len, &m), 0);
	ck_assert_mem_eq(m.spi_i, SPI_I, 8);
	ck_assert_mem_eq(m.spi_r, SPI_R, 8);
	ck_assert_uint_eq(m.version, 0x20);
	ck_assert_uint_eq(m.exchange, IKEV2_EXCH_IKE_SA_INIT);
	ck_assert_uint_eq(m.flags, IKEV2_FLAG_INITIATOR);
	ck_assert_uint_eq(m.msgid, 0x01020304);
	ck_assert_uint_eq(m.length, len);
	ck_assert_uint_eq(m.c.n, 5);
	ck_assert_int_eq(m.c.sk, -1);
	ck_assert_uint_eq(m.c.pl[0].type, IKEV2_PL_KE);
	ck_assert_uint_eq(m.c.pl[0].offset, 28);
	ck_assert_uint_eq(m.c.pl[1].offset, 28 + 72);
	ck_assert_uint_eq(m.c.pl[4].type, IKEV2_PL_VENDOR);
	ck_assert(m.c.pl[4].critical);	/* known type: the bit does not matter */
	ck_assert(!m.c.pl[3].critical);

	struct ikev2_ke ke;
	ck_assert_int_eq(ikev2_parse_ke(&m.c.pl[0], &ke), 0);
	ck_assert_uint_eq(ke.group, 19);
	ck_assert_uint_eq(ke.len, 64);
	const uint8_t *nonce;
	size_t nl;
	ck_assert_int_eq(ikev2_parse_nonce(&m.c.pl[1], &nonce, &nl), 0);
	ck_assert_uint_eq(nl, 32);
	struct ikev2_notify n;
	ck_assert_int_eq(ikev2_chain_notify(&m.c, IKEV2_N_NAT_DETECTION_SOURCE_IP, &n), 0);
	ck_assert_uint_eq(n.data_len, 20);
	ck_assert_uint_eq(n.data[0], 0x33);
	ck_assert_int_eq(ikev2_chain_notify(&m.c, IKEV2_N_REKEY_SA, &n), 0);
	ck_assert_uint_eq(n.proto, IKEV2_PROTO_ESP);
	ck_assert_uint_eq(n.spi_len, 4);
	ck_assert_uint_eq(n.spi[0], 0xde);
	ck_assert_uint_eq(n.data_len, 0);
	ck_assert_int_eq(ikev2_chain_notify(&m.c, IKEV2_N_COOKIE, &n), -ENOENT);
	ck_assert_uint_eq(ikev2_chain_count(&m.c, IKEV2_PL_NOTIFY), 2);
	size_t from = 0;
	ck_assert_ptr_eq(ikev2_chain_find(&m.c, IKEV2_PL_NOTIFY, &from), &m.c.pl[2]);
	ck_assert_ptr_eq(ikev2_chain_find(&m.c, IKEV2_PL_NOTIFY, &from), &m.c.pl[3]);
	ck_assert_ptr_null(ikev2_chain_find(&m.c, IKEV2_PL_NOTIFY, &from));

	char d[256];
	ikev2_chain_describe(&m.c, d, sizeof(d));
	ck_assert_str_eq(d, "KE No N(NAT_DETECTION_SOURCE_IP) N(REKEY_SA) V");
	/* a short buffer ends in "..." and stays terminated */
	ikev2_chain_describe(&m.c, d, 16);
	ck_assert_str_eq(d, "KE No ...");
}
END_TEST

START_TEST(inner_chain_and_sk)
{
	/* an SK plaintext: IDi, AUTH, N(INITIAL_CONTACT) */
	uint8_t plain[128], id[] = { 3, 0, 0, 0, 'a', '@', 'b' }, auth[] = { 1, 0, 0, 0, 0x55 };
	struct ikev2_gen g;
	ikev2_gen_init_inner(&g, plain, sizeof(plain));
	ikev2_gen_bytes(&g, IKEV2_PL_IDI, id, sizeof(id));
	ikev2_gen_bytes(&g, IKEV2_PL_AUTH, auth, sizeof(auth));
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	size_t len;
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	ck_assert_uint_eq(g.first, IKEV2_PL_IDI);
	struct ikev2_chain c;
	ck_assert_int_eq(ikev2_parse_inner(g.first, plain, len, &c), 0);
	ck_assert_uint_eq(c.n, 3);
	struct ikev2_id i;
	ck_assert_int_eq(ikev2_parse_id(&c.pl[0], &i), 0);
	ck_assert_uint_eq(i.type, 3);
	ck_assert_uint_eq(i.len, 3);
	ck_assert_uint_eq(i.body_len, 7);
	struct ikev2_auth a;
	ck_assert_int_eq(ikev2_parse_auth(&c.pl[1], &a), 0);
	ck_assert_uint_eq(a.method, 1);
	ck_assert_uint_eq(a.len, 1);

	/* the outer message: HDR, SK whose next field names IDi */
	uint8_t msg[256];
	ikev2_gen_init(&g, msg, sizeof(msg), SPI_I, SPI_R, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
	uint8_t *sk = ikev2_gen_payload(&g, IKEV2_PL_SK, false, 40);
	memset(sk, 0x77, 40);
	sk[-4] = IKEV2_PL_IDI;
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	struct ikev2_msg m;
	ck_assert_int_eq(ikev2_parse(msg, len, &m), 0);
	ck_assert_int_eq(m.c.sk, 0);
	ck_assert_uint_eq(m.c.pl[0].next, IKEV2_PL_IDI);
	ck_assert_uint_eq(m.c.pl[0].len, 40);

	/* SK inside SK is refused */
	ikev2_gen_init_inner(&g, plain, sizeof(plain));
	ikev2_gen_payload(&g, IKEV2_PL_SK, false, 8);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	ck_assert_int_eq(ikev2_parse_inner(g.first, plain, len, &c), -EBADMSG);
	ck_assert_ptr_nonnull(c.error);
}
END_TEST

START_TEST(every_truncation_refused)
{
	uint8_t buf[512];
	size_t len = sample(buf, sizeof(buf));
	struct ikev2_msg m;
	for (size_t l = 0; l < len; l++) {
		/* as received: fewer bytes than the header claims */
		ck_assert_int_ne(ikev2_parse(buf, l, &m), 0);
		/* and with a header that agrees with the short datagram: the chain breaks */
		if (l >= 28) {
			uint8_t copy[512];
			memcpy(copy, buf, l);
			ikev2_put32(copy + 24, (uint32_t)l);
			int r = ikev2_parse(copy, l, &m);
			ck_assert_msg(r == -EBADMSG, "length %zu parsed (%d)", l, r);
		}
	}
}
END_TEST

START_TEST(length_mismatch_and_trailing)
{
	uint8_t buf[520];
	size_t len = sample(buf, sizeof(buf));
	struct ikev2_msg m;
	/* header says less than the datagram */
	ck_assert_int_eq(ikev2_parse(buf, len + 4, &m), -EBADMSG);
	/* trailing bytes after the last payload (header agrees with the datagram) */
	memset(buf + len, 0, 4);
	ikev2_put32(buf + 24, (uint32_t)(len + 4));
	ck_assert_int_eq(ikev2_parse(buf, len + 4, &m), -EBADMSG);
	ck_assert_str_eq(m.c.error, "bytes after the last payload");
	/* a payload length below its header, and one past the end */
	len = sample(buf, sizeof(buf));
	ikev2_put16(buf + 28 + 2, 3);
	ck_assert_int_eq(ikev2_parse(buf, len, &m), -EBADMSG);
	ikev2_put16(buf + 28 + 2, 0xffff);
	ck_assert_int_eq(ikev2_parse(buf, len, &m), -EBADMSG);
	/* a dangling next payload on the last one */
	len = sample(buf, sizeof(buf));
	buf[len - 7] = IKEV2_PL_NOTIFY;
	ck_assert_int_eq(ikev2_parse(buf, len, &m), -EBADMSG);
	/* not version 2 */
	len = sample(buf, sizeof(buf));
	buf[17] = 0x10;
	ck_assert_int_eq(ikev2_parse(buf, len, &m), -EPROTONOSUPPORT);
	/* below the header */
	ck_assert_int_eq(ikev2_parse(buf, 27, &m), -EBADMSG);
	ck_assert_int_eq(ikev2_parse_header(buf, 27, &m), -EBADMSG);
}
END_TEST

START_TEST(oversized_refused)
{
	size_t big = IKEV2_MAX_MSG + 1000;
	uint8_t *buf = calloc(1, big);
	struct ikev2_gen g;
	size_t len;
	ikev2_gen_init(&g, buf, big, SPI_I, SPI_R, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
	for (int i = 0; i < 3; i++)
		ikev2_gen_payload(&g, IKEV2_PL_VENDOR, false, 11000);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	ck_assert_uint_gt(len, IKEV2_MAX_MSG);
	struct ikev2_msg m;
	ck_assert_int_eq(ikev2_parse(buf, len, &m), -EMSGSIZE);
	/* a generator that runs out of room says so once, at the end */
	ikev2_gen_init(&g, buf, 100, SPI_I, SPI_R, IKEV2_EXCH_IKE_AUTH, 0, 1);
	ck_assert_ptr_null(ikev2_gen_payload(&g, IKEV2_PL_VENDOR, false, 100));
	ikev2_gen_notify(&g, 0, NULL, 0, 1, NULL, 0);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), -ENOSPC);
	free(buf);
}
END_TEST

START_TEST(sk_must_be_last)
{
	uint8_t buf[256];
	struct ikev2_gen g;
	size_t len;
	ikev2_gen_init(&g, buf, sizeof(buf), SPI_I, SPI_R, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
	ikev2_gen_payload(&g, IKEV2_PL_SK, false, 32);
	ikev2_gen_payload(&g, IKEV2_PL_VENDOR, false, 4);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	struct ikev2_msg m;
	/* the SK's next field is its first inner payload: a payload after it is garbage */
	ck_assert_int_eq(ikev2_parse(buf, len, &m), -EBADMSG);
	ck_assert_str_eq(m.c.error, "encrypted payload is not the last one");
}
END_TEST

START_TEST(unknown_payloads)
{
	uint8_t buf[256];
	struct ikev2_gen g;
	size_t len;
	/* unknown, not critical: kept, skipped */
	ikev2_gen_init(&g, buf, sizeof(buf), SPI_I, SPI_R, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
	ikev2_gen_payload(&g, 200, false, 5);
	ikev2_gen_bytes(&g, IKEV2_PL_NONCE, buf + 100, 16);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	struct ikev2_msg m;
	ck_assert_int_eq(ikev2_parse(buf, len, &m), 0);
	ck_assert_uint_eq(m.c.n, 2);
	ck_assert(!m.c.pl[0].known);
	ck_assert(m.c.pl[1].known);
	/* unknown and critical: the whole chain is checked, then -EOPNOTSUPP naming it */
	ikev2_gen_init(&g, buf, sizeof(buf), SPI_I, SPI_R, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
	ikev2_gen_payload(&g, 201, true, 5);
	ikev2_gen_payload(&g, 202, true, 0);
	ikev2_gen_bytes(&g, IKEV2_PL_NONCE, buf + 100, 16);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	ck_assert_int_eq(ikev2_parse(buf, len, &m), -EOPNOTSUPP);
	ck_assert_uint_eq(m.c.unsupported, 201);
	ck_assert_uint_eq(m.c.n, 3);
	ck_assert_uint_eq(m.exchange, IKEV2_EXCH_IKE_SA_INIT);
	char d[64];
	ikev2_chain_describe(&m.c, d, sizeof(d));
	ck_assert_str_eq(d, "UNKNOWN(201) UNKNOWN(202) No");
	/* a malformed chain after an unknown critical one is malformed, not unsupported */
	ikev2_put16(buf + len - 20 + 2, 0x7fff);	/* the nonce's length */
	ck_assert_int_eq(ikev2_parse(buf, len, &m), -EBADMSG);
}
END_TEST

START_TEST(too_many_payloads)
{
	uint8_t buf[1024];
	struct ikev2_gen g;
	size_t len;
	ikev2_gen_init(&g, buf, sizeof(buf), SPI_I, SPI_R, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
	for (int i = 0; i < IKEV2_MAX_PAYLOADS; i++)
		ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	struct ikev2_msg m;
	ck_assert_int_eq(ikev2_parse(buf, len, &m), 0);
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	ck_assert_int_eq(ikev2_parse(buf, len, &m), -E2BIG);
}
END_TEST

START_TEST(short_bodies)
{
	static const struct { uint8_t type; size_t min; } t[] = {
		{ IKEV2_PL_SA, 8 }, { IKEV2_PL_KE, 5 }, { IKEV2_PL_IDI, 5 }, { IKEV2_PL_IDR, 5 },
		{ IKEV2_PL_CERT, 1 }, { IKEV2_PL_CERTREQ, 1 }, { IKEV2_PL_AUTH, 5 }, { IKEV2_PL_NONCE, 16 },
		{ IKEV2_PL_NOTIFY, 4 }, { IKEV2_PL_DELETE, 4 }, { IKEV2_PL_TSI, 4 }, { IKEV2_PL_TSR, 4 },
		{ IKEV2_PL_CP, 4 }, { IKEV2_PL_EAP, 4 }, { IKEV2_PL_SKF, 4 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t buf[128] = { 0 };
		struct ikev2_gen g;
		size_t len;
		struct ikev2_msg m;
		ikev2_gen_init(&g, buf, sizeof(buf), SPI_I, SPI_R, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
		ikev2_gen_payload(&g, t[i].type, false, t[i].min - 1);
		ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
		ck_assert_msg(ikev2_parse(buf, len, &m) == -EBADMSG, "type %u with %zu bytes accepted", t[i].type,
			      t[i].min - 1);
		ikev2_gen_init(&g, buf, sizeof(buf), SPI_I, SPI_R, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
		ikev2_gen_payload(&g, t[i].type, false, t[i].min);
		ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
		ck_assert_msg(ikev2_parse(buf, len, &m) == 0, "type %u with %zu bytes refused", t[i].type, t[i].min);
	}
}
END_TEST

START_TEST(body_parsers_refuse)
{
	struct ikev2_payload p = { 0 };
	uint8_t b[300] = { 0 };
	p.body = b;
	/* notify with an SPI size beyond its body */
	p.type = IKEV2_PL_NOTIFY;
	p.len = 6;
	b[1] = 4;
	struct ikev2_notify n;
	ck_assert_int_eq(ikev2_parse_notify(&p, &n), -EBADMSG);
	b[1] = 2;
	ck_assert_int_eq(ikev2_parse_notify(&p, &n), 0);
	ck_assert_uint_eq(n.data_len, 0);
	/* SKF: number 0, number > total */
	struct ikev2_skf f;
	p.type = IKEV2_PL_SKF;
	p.len = 4;
	memset(b, 0, 4);
	b[3] = 2;
	ck_assert_int_eq(ikev2_parse_skf(&p, &f), -EBADMSG);
	b[1] = 3;
	ck_assert_int_eq(ikev2_parse_skf(&p, &f), -EBADMSG);
	b[1] = 2;
	ck_assert_int_eq(ikev2_parse_skf(&p, &f), 0);
	ck_assert_uint_eq(f.number, 2);
	ck_assert_uint_eq(f.total, 2);
	/* nonce over 256 */
	const uint8_t *nn;
	size_t nl;
	p.type = IKEV2_PL_NONCE;
	p.len = 257;
	ck_assert_int_eq(ikev2_parse_nonce(&p, &nn, &nl), -EBADMSG);
	p.len = 256;
	ck_assert_int_eq(ikev2_parse_nonce(&p, &nn, &nl), 0);
	/* wrong payload type for the parser */
	struct ikev2_ke ke;
	ck_assert_int_eq(ikev2_parse_ke(&p, &ke), -EBADMSG);
	struct ikev2_cert c;
	ck_assert_int_eq(ikev2_parse_cert(&p, &c), -EBADMSG);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(ikev2_payload_name(IKEV2_PL_SKF), "SKF");
	ck_assert_ptr_null(ikev2_payload_name(99));
	ck_assert_str_eq(ikev2_notify_name(IKEV2_N_INVALID_KE_PAYLOAD), "INVALID_KE_PAYLOAD");
	ck_assert_ptr_null(ikev2_notify_name(12345));
	ck_assert_str_eq(ikev2_exchange_name(IKEV2_EXCH_IKE_AUTH), "IKE_AUTH");
	ck_assert_ptr_null(ikev2_exchange_name(99));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ikev2_parse");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, inner_chain_and_sk);
	tcase_add_test(tc, every_truncation_refused);
	tcase_add_test(tc, length_mismatch_and_trailing);
	tcase_add_test(tc, oversized_refused);
	tcase_add_test(tc, sk_must_be_last);
	tcase_add_test(tc, unknown_payloads);
	tcase_add_test(tc, too_many_payloads);
	tcase_add_test(tc, short_bodies);
	tcase_add_test(tc, body_parsers_refuse);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
