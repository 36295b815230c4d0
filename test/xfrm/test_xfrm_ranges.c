/* SPDX-License-Identifier: MIT */
/*
 * test_xfrm_ranges.c - IKEv2 ranges -> XFRM prefixes and port masks
 * (xfrm_policy.c), back again for events, and the algorithm table
 * (xfrm_alg.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "xfrm.h"

static int split(int family, const char *from, const char *to, struct kx_prefix *out, size_t max)
{
	uint8_t f[16] = { 0 }, t[16] = { 0 };
	ck_assert_int_eq(inet_pton(family, from, f), 1);
	ck_assert_int_eq(inet_pton(family, to, t), 1);
	return kx_range_prefixes(family, f, t, out, max);
}

static const char *pfx(int family, const struct kx_prefix *p)
{
	static char buf[8][80];
	static int i;
	char a[INET6_ADDRSTRLEN];
	i = (i + 1) % 8;
	inet_ntop(family, p->addr, a, sizeof(a));
	snprintf(buf[i], sizeof(buf[i]), "%s/%u", a, p->plen);
	return buf[i];
}

START_TEST(v4_ranges)
{
	struct kx_prefix p[64];
	ck_assert_int_eq(split(AF_INET, "192.0.2.5", "192.0.2.10", p, 64), 4);
	ck_assert_str_eq(pfx(AF_INET, &p[0]), "192.0.2.5/32");
	ck_assert_str_eq(pfx(AF_INET, &p[1]), "192.0.2.6/31");
	ck_assert_str_eq(pfx(AF_INET, &p[2]), "192.0.2.8/31");
	ck_assert_str_eq(pfx(AF_INET, &p[3]), "192.0.2.10/32");
	ck_assert_int_eq(split(AF_INET, "0.0.0.0", "255.255.255.255", p, 64), 1);
	ck_assert_str_eq(pfx(AF_INET, &p[0]), "0.0.0.0/0");
	ck_assert_int_eq(split(AF_INET, "10.0.0.0", "10.0.0.255", p, 64), 1);
	ck_assert_str_eq(pfx(AF_INET, &p[0]), "10.0.0.0/24");
	ck_assert_int_eq(split(AF_INET, "203.0.113.7", "203.0.113.7", p, 64), 1);
	ck_assert_str_eq(pfx(AF_INET, &p[0]), "203.0.113.7/32");
	/* the pool range of the lab: .100-.150 */
	ck_assert_int_eq(split(AF_INET, "203.0.113.100", "203.0.113.150", p, 64), 7);
	ck_assert_str_eq(pfx(AF_INET, &p[0]), "203.0.113.100/30");
	ck_assert_str_eq(pfx(AF_INET, &p[1]), "203.0.113.104/29");
	ck_assert_str_eq(pfx(AF_INET, &p[2]), "203.0.113.112/28");
	ck_assert_str_eq(pfx(AF_INET, &p[3]), "203.0.113.128/28");
	ck_assert_str_eq(pfx(AF_INET, &p[4]), "203.0.113.144/30");
	ck_assert_str_eq(pfx(AF_INET, &p[5]), "203.0.113.148/31");
	ck_assert_str_eq(pfx(AF_INET, &p[6]), "203.0.113.150/32");
}
END_TEST

START_TEST(v4_worst_case_and_edges)
{
	struct kx_prefix p[64];
	/* 0.0.0.1 - 255.255.255.254: the worst case, 62 prefixes */
	ck_assert_int_eq(split(AF_INET, "0.0.0.1", "255.255.255.254", p, 64), 62);
	ck_assert_str_eq(pfx(AF_INET, &p[0]), "0.0.0.1/32");
	ck_assert_str_eq(pfx(AF_INET, &p[31]), "128.0.0.0/2");
	ck_assert_str_eq(pfx(AF_INET, &p[61]), "255.255.255.254/32");
	/* max smaller than the count: count still returned, only max written */
	ck_assert_int_eq(split(AF_INET, "0.0.0.1", "255.255.255.254", p, 2), 62);
	/* the top of the space does not wrap */
	ck_assert_int_eq(split(AF_INET, "255.255.255.255", "255.255.255.255", p, 64), 1);
	ck_assert_int_eq(split(AF_INET, "255.255.255.0", "255.255.255.255", p, 64), 1);
	ck_assert_str_eq(pfx(AF_INET, &p[0]), "255.255.255.0/24");
	ck_assert_int_eq(split(AF_INET, "10.0.0.2", "10.0.0.1", p, 64), -EINVAL);
	uint8_t z[16] = { 0 };
	ck_assert_int_eq(kx_range_prefixes(AF_UNIX, z, z, p, 64), -EINVAL);
}
END_TEST

START_TEST(v6_ranges)
{
	struct kx_prefix p[256];
	ck_assert_int_eq(split(AF_INET6, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", p, 256), 1);
	ck_assert_str_eq(pfx(AF_INET6, &p[0]), "::/0");
	ck_assert_int_eq(split(AF_INET6, "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", p, 256), 1);
	ck_assert_str_eq(pfx(AF_INET6, &p[0]), "2001:db8::/64");
	ck_assert_int_eq(split(AF_INET6, "2001:db8::1", "2001:db8::6", p, 256), 4);
	ck_assert_str_eq(pfx(AF_INET6, &p[0]), "2001:db8::1/128");
	ck_assert_str_eq(pfx(AF_INET6, &p[1]), "2001:db8::2/127");
	ck_assert_str_eq(pfx(AF_INET6, &p[2]), "2001:db8::4/127");
	ck_assert_str_eq(pfx(AF_INET6, &p[3]), "2001:db8::6/128");
	ck_assert_int_eq(split(AF_INET6, "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", p, 256), 254);
}
END_TEST

START_TEST(ports)
{
	struct kx_portmask m[32];
	ck_assert_int_eq(kx_port_masks(0, 65535, m, 32), 1);
	ck_assert_uint_eq(m[0].port, 0);
	ck_assert_uint_eq(m[0].mask, 0);
	ck_assert_int_eq(kx_port_masks(1701, 1701, m, 32), 1);
	ck_assert_uint_eq(m[0].port, 1701);
	ck_assert_uint_eq(m[0].mask, 0xffff);
	ck_assert_int_eq(kx_port_masks(1024, 2047, m, 32), 1);
	ck_assert_uint_eq(m[0].port, 1024);
	ck_assert_uint_eq(m[0].mask, 0xfc00);
	ck_assert_int_eq(kx_port_masks(500, 501, m, 32), 1);
	ck_assert_uint_eq(m[0].mask, 0xfffe);
	ck_assert_int_eq(kx_port_masks(1, 65534, m, 32), 30);
	ck_assert_int_eq(kx_port_masks(3, 2, m, 32), -EINVAL);
}
END_TEST

static void ts(struct kanmon_ts *t, const char *from, const char *to, uint8_t proto, uint16_t pf, uint16_t pt)
{
	uint8_t f[16] = { 0 }, e[16] = { 0 };
	int family = strchr(from, ':') ? AF_INET6 : AF_INET;
	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(inet_pton(family, from, f), 1);
	ck_assert_int_eq(inet_pton(family, to, e), 1);
	kx_addr_make(family, f, 0, &t->from);
	kx_addr_make(family, e, 0, &t->to);
	t->proto = proto;
	t->from_port = pf;
	t->to_port = pt;
}

START_TEST(selector_products)
{
	struct kanmon_ts s, d;
	struct kx_sel *v;
	size_t n;
	ts(&s, "192.0.2.5", "192.0.2.10", 0, 0, 65535);
	ts(&d, "0.0.0.0", "255.255.255.255", 0, 0, 65535);
	ck_assert_int_eq(kx_ts_split(&s, &d, &v, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(v[1].plen_s, 31);
	ck_assert_uint_eq(v[1].plen_d, 0);
	ck_assert_uint_eq(v[1].family, AF_INET);
	free(v);
	/* L2TP: udp sport 1701 -> any port */
	ts(&s, "192.0.2.1", "192.0.2.1", 17, 1701, 1701);
	ts(&d, "203.0.113.9", "203.0.113.9", 17, 0, 65535);
	ck_assert_int_eq(kx_ts_split(&s, &d, &v, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(v[0].proto, 17);
	ck_assert_uint_eq(v[0].sport, 1701);
	ck_assert_uint_eq(v[0].sport_mask, 0xffff);
	ck_assert_uint_eq(v[0].dport_mask, 0);
	/* and back to ranges, as events report them */
	struct kanmon_ts s2, d2;
	kx_sel_to_ts(&v[0], &s2, &d2);
	ck_assert_int_eq(memcmp(&s2.from, &s.from, sizeof(s.from)), 0);
	ck_assert_int_eq(memcmp(&d2.to, &d.to, sizeof(d.to)), 0);
	ck_assert_uint_eq(s2.from_port, 1701);
	ck_assert_uint_eq(s2.to_port, 1701);
	ck_assert_uint_eq(d2.from_port, 0);
	ck_assert_uint_eq(d2.to_port, 65535);
	free(v);
	/* 4 src prefixes x 4 dst prefixes x 1 (ports 1000-1003) x 2 (ports 5, 6) */
	ts(&s, "192.0.2.5", "192.0.2.10", 6, 1000, 1003);
	ts(&d, "2001:db8::1", "2001:db8::6", 6, 5, 6);
	ck_assert_int_eq(kx_ts_split(&s, &d, &v, &n), -EINVAL);	/* mixed families */
	ts(&d, "198.51.100.1", "198.51.100.6", 6, 5, 6);
	ck_assert_int_eq(kx_ts_split(&s, &d, &v, &n), 0);
	ck_assert_uint_eq(n, 4 * 4 * 1 * 2);
	free(v);
	/* different protocols cannot share one selector */
	ts(&d, "198.51.100.1", "198.51.100.6", 17, 0, 65535);
	ck_assert_int_eq(kx_ts_split(&s, &d, &v, &n), -EINVAL);
	/* too many pieces */
	ts(&s, "0.0.0.1", "255.255.255.254", 6, 1, 65534);
	ts(&d, "0.0.0.1", "255.255.255.254", 6, 0, 65535);
	ck_assert_int_eq(kx_ts_split(&s, &d, &v, &n), -E2BIG);
}
END_TEST

START_TEST(lab_pool_range_is_exact)
{
	/* every prefix lies within the range and they tile it without gaps */
	struct kx_prefix p[64];
	int n = split(AF_INET, "203.0.113.100", "203.0.113.150", p, 64);
	uint32_t next = 0xcb007164;	/* 203.0.113.100 */
	for (int i = 0; i < n; i++) {
		uint32_t a;
		memcpy(&a, p[i].addr, 4);
		a = ntohl(a);
		ck_assert_uint_eq(a, next);
		next = a + (1u << (32 - p[i].plen));
	}
	ck_assert_uint_eq(next, 0xcb007197);	/* 203.0.113.151 */
}
END_TEST

START_TEST(algorithms)
{
	static const struct {
		int integ;
		uint16_t id;
		size_t key;
		const char *name;
		unsigned bits;
		bool aead;
	} ok[] = {
		{ 0, KANMON_ENCR_AES_GCM_16, 20, "rfc4106(gcm(aes))", 128, true },
		{ 0, KANMON_ENCR_AES_GCM_16, 36, "rfc4106(gcm(aes))", 128, true },
		{ 0, KANMON_ENCR_AES_GCM_12, 20, "rfc4106(gcm(aes))", 96, true },
		{ 0, KANMON_ENCR_AES_GCM_8, 28, "rfc4106(gcm(aes))", 64, true },
		{ 0, KANMON_ENCR_AES_CBC, 16, "cbc(aes)", 0, false },
		{ 0, KANMON_ENCR_AES_CBC, 32, "cbc(aes)", 0, false },
		{ 0, KANMON_ENCR_3DES, 24, "cbc(des3_ede)", 0, false },
		{ 0, KANMON_ENCR_CHACHA20_POLY1305, 36, "rfc7539esp(chacha20,poly1305)", 128, true },
		{ 0, KANMON_ENCR_NULL, 0, "ecb(cipher_null)", 0, false },
		{ 1, KANMON_AUTH_HMAC_SHA1_96, 20, "hmac(sha1)", 96, false },
		{ 1, KANMON_AUTH_HMAC_SHA2_256_128, 32, "hmac(sha256)", 128, false },
		{ 1, KANMON_AUTH_HMAC_SHA2_384_192, 48, "hmac(sha384)", 192, false },
		{ 1, KANMON_AUTH_HMAC_SHA2_512_256, 64, "hmac(sha512)", 256, false },
		{ 1, KANMON_AUTH_HMAC_MD5_96, 16, "hmac(md5)", 96, false },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const struct kx_alg *a = NULL;
		int err = ok[i].integ ? kx_alg_integ(ok[i].id, ok[i].key, &a) : kx_alg_enc(ok[i].id, ok[i].key, &a);
		ck_assert_msg(err == 0, "transform %u key %zu: %d", ok[i].id, ok[i].key, err);
		ck_assert_str_eq(a->name, ok[i].name);
		ck_assert_uint_eq(a->bits, ok[i].bits);
		ck_assert_int_eq(a->aead, ok[i].aead);
	}
	const struct kx_alg *a;
	ck_assert_int_eq(kx_alg_enc(KANMON_ENCR_AES_GCM_16, 16, &a), -EINVAL);	/* salt missing */
	ck_assert_int_eq(kx_alg_enc(KANMON_ENCR_AES_CBC, 20, &a), -EINVAL);
	ck_assert_int_eq(kx_alg_enc(KANMON_ENCR_3DES, 16, &a), -EINVAL);
	ck_assert_int_eq(kx_alg_enc(KANMON_ENCR_NULL, 16, &a), -EINVAL);
	ck_assert_int_eq(kx_alg_enc(99, 16, &a), -ENOTSUP);
	ck_assert_int_eq(kx_alg_integ(KANMON_AUTH_HMAC_SHA2_256_128, 16, &a), -EINVAL);
	ck_assert_int_eq(kx_alg_integ(KANMON_AUTH_NONE, 0, &a), -ENOTSUP);
	ck_assert_int_eq(kx_alg_integ(5, 20, &a), -ENOTSUP);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xfrm_ranges");
	TCase *tc = tcase_create("ranges");
	tcase_add_test(tc, v4_ranges);
	tcase_add_test(tc, v4_worst_case_and_edges);
	tcase_add_test(tc, v6_ranges);
	tcase_add_test(tc, ports);
	tcase_add_test(tc, selector_products);
	tcase_add_test(tc, lab_pool_range_is_exact);
	tcase_add_test(tc, algorithms);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
