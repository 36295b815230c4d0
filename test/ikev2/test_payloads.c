/* SPDX-License-Identifier: MIT */
/*
 * test_payloads.c - traffic selector (TSi/TSr) and configuration (CP)
 * payloads: bodies shaped like what strongSwan, Windows and iOS send,
 * written out as bytes here (not produced by the generator under test),
 * malformed bodies refused, the responder's narrowing, the generators
 * checked byte by byte, the prefix helpers and the log formatters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ikev2_cp.h"
#include "ikev2_ts.h"
#include "util.h"

/* A payload of `type` over the body written as hex in `hex` (stored in buf). */
static struct ikev2_payload body(uint8_t type, const char *hex, uint8_t *buf, size_t cap)
{
	struct ikev2_payload p;
	memset(&p, 0, sizeof(p));
	p.type = type;
	p.body = buf;
	p.len = (uint16_t)unhex(hex, buf, cap);
	p.known = 1;
	return p;
}

static struct sockaddr_storage sa(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		ss.ss_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
	} else {
		ss.ss_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr), 1);
	}
	return ss;
}

/* A selector from text addresses, protocol and ports. */
static struct kanmon_ts ts(const char *from, const char *to, uint8_t proto, uint16_t pfrom, uint16_t pto)
{
	struct kanmon_ts t;
	memset(&t, 0, sizeof(t));
	t.from = sa(from);
	t.to = sa(to);
	t.proto = proto;
	t.from_port = pfrom;
	t.to_port = pto;
	return t;
}

static struct kanmon_ts prefix(const char *addr, unsigned plen)
{
	struct kanmon_ts t;
	struct sockaddr_storage ss = sa(addr);
	ikev2_ts_from_prefix(&t, &ss, plen);
	return t;
}

static const char *addr_str(const struct sockaddr_storage *ss)
{
	static char text[2][INET6_ADDRSTRLEN];
	static int which;
	which ^= 1;
	const void *a = ss->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
						 : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	ck_assert(inet_ntop(ss->ss_family, a, text[which], sizeof(text[which])));
	return text[which];
}

static void assert_ts(const struct kanmon_ts *t, const char *from, const char *to, uint8_t proto, uint16_t pfrom,
		      uint16_t pto)
{
	ck_assert_str_eq(addr_str(&t->from), from);
	ck_assert_str_eq(addr_str(&t->to), to);
	ck_assert_uint_eq(t->proto, proto);
	ck_assert_uint_eq(t->from_port, pfrom);
	ck_assert_uint_eq(t->to_port, pto);
}

static const char *describe(const struct ikev2_ts_set *s)
{
	static char buf[512];
	size_t n = ikev2_ts_describe(s, buf, sizeof(buf));
	ck_assert_uint_eq(n, strlen(buf));
	return buf;
}

#define V4_ANY	"07 00 0010 0000 ffff 00000000 ffffffff"
#define V6_ANY	"08 00 0028 0000 ffff 00000000000000000000000000000000 ffffffffffffffffffffffffffffffff"

START_TEST(ts_strongswan)
{
	uint8_t buf[256];
	struct ikev2_ts_set s;
	/* charon's TSi of a road warrior asking for a virtual IP: 0.0.0.0-255.255.255.255, any */
	struct ikev2_payload p = body(IKEV2_PL_TSI, "01 000000" V4_ANY, buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_ts(&p, &s), 0);
	ck_assert_uint_eq(s.n, 1);
	assert_ts(&s.ts[0], "0.0.0.0", "255.255.255.255", 0, 0, 65535);
	ck_assert_uint_eq(s.ts[0].from.ss_family, AF_INET);
	ck_assert(ikev2_ts_is_any(&s.ts[0]));
	ck_assert_int_eq(ikev2_ts_prefix_len(&s.ts[0]), 0);
	ck_assert_str_eq(describe(&s), "0.0.0.0/0");

	/* its TSr for a dual-stack tunnel: both families, any */
	p = body(IKEV2_PL_TSR, "02 000000" V4_ANY V6_ANY, buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_ts(&p, &s), 0);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_uint_eq(s.ts[1].from.ss_family, AF_INET6);
	assert_ts(&s.ts[1], "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, 65535);
	ck_assert(ikev2_ts_is_any(&s.ts[1]));
	ck_assert_str_eq(describe(&s), "0.0.0.0/0 ::/0");

	/* a transport-mode L2TP selector (Windows, macOS): one host, UDP 1701 */
	p = body(IKEV2_PL_TSI, "01 000000 07 11 0010 06a5 06a5 c0000205 c0000205", buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_ts(&p, &s), 0);
	ck_assert_uint_eq(s.n, 1);
	assert_ts(&s.ts[0], "192.0.2.5", "192.0.2.5", 17, 1701, 1701);
	ck_assert(!ikev2_ts_is_any(&s.ts[0]));
	ck_assert_str_eq(describe(&s), "192.0.2.5/32[udp/1701]");

	/* a range that is no prefix, TCP 80-443, and a v6 /64 */
	p = body(IKEV2_PL_TSR,
		 "02 000000 07 06 0010 0050 01bb 0a000001 0a000009"
		 " 08 00 0028 0000 ffff 20010db8000000010000000000000000 20010db800000001ffffffffffffffff",
		 buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_ts(&p, &s), 0);
	ck_assert_uint_eq(s.n, 2);
	assert_ts(&s.ts[0], "10.0.0.1", "10.0.0.9", 6, 80, 443);
	ck_assert_int_eq(ikev2_ts_prefix_len(&s.ts[0]), -1);
	ck_assert_int_eq(ikev2_ts_prefix_len(&s.ts[1]), 64);
	ck_assert_str_eq(describe(&s), "10.0.0.1-10.0.0.9[tcp/80-443] 2001:db8:0:1::/64");

	/* zero selectors is well-formed (narrowing then finds nothing) */
	p = body(IKEV2_PL_TSI, "00 000000", buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_ts(&p, &s), 0);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_str_eq(describe(&s), "");
}
END_TEST

START_TEST(ts_unknown_type_skipped)
{
	uint8_t buf[256];
	struct ikev2_ts_set s;
	/* type 9 (RFC 4595 Fibre Channel) of 12 bytes, then a v4 selector */
	struct ikev2_payload p = body(IKEV2_PL_TSI, "02 000000 09 00 000c 0102030405060708" V4_ANY, buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_ts(&p, &s), 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert(ikev2_ts_is_any(&s.ts[0]));
	/* ... but its length must still hold its own header and stay inside */
	p = body(IKEV2_PL_TSI, "02 000000 09 00 0002 0000" V4_ANY, buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_ts(&p, &s), -EBADMSG);
	p = body(IKEV2_PL_TSI, "01 000000 09 00 0010 01020304", buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_ts(&p, &s), -EBADMSG);
}
END_TEST

START_TEST(ts_malformed)
{
	uint8_t buf[1024];
	struct ikev2_ts_set s;
	struct ikev2_payload p;
	/* every truncation of a good two-selector body */
	p = body(IKEV2_PL_TSR, "02 000000" V4_ANY V6_ANY, buf, sizeof(buf));
	ck_assert_uint_eq(p.len, 4 + 16 + 40);
	for (uint16_t cut = 0; cut < p.len; cut++) {
		struct ikev2_payload q = p;
		q.len = cut;
		ck_assert_int_eq(ikev2_parse_ts(&q, &s), -EBADMSG);
	}
	const char *bad[] = {
		"01 000000 07 00 0028 0000 ffff 00000000 ffffffff",		/* v4 claiming v6's length */
		"01 000000 07 00 000f 0000 ffff 00000000 ffffffff",		/* one short */
		"01 000000 08 00 0010 0000 ffff 00000000 ffffffff",		/* v6 claiming v4's length */
		"01 000000 07 00 0000 0000 ffff 00000000 ffffffff",		/* zero length */
		"01 000000 07 00 0010 0000 ffff 0a000002 0a000001",		/* start address above end */
		"01 000000 07 06 0010 01bb 0050 00000000 ffffffff",		/* start port above end */
		"01 000000 08 00 0028 0000 ffff 20010db8000000000000000000000001"
		" 20010db8000000000000000000000000",				/* v6 start above end */
		"01 000000" V4_ANY "00",					/* a byte after the last */
		"02 000000" V4_ANY,						/* says 2, holds 1 */
		"01 000000" V4_ANY V4_ANY,					/* says 1, holds 2 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = body(IKEV2_PL_TSI, bad[i], buf, sizeof(buf));
		s.n = 99;
		ck_assert_msg(ikev2_parse_ts(&p, &s) == -EBADMSG, "bad[%zu] accepted", i);
	}
	/* only TSi / TSr bodies */
	p = body(IKEV2_PL_CP, "01 000000" V4_ANY, buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_ts(&p, &s), -EBADMSG);

	/* 16 selectors are fine, 17 too many */
	char hex[2048] = "10 000000";
	for (int i = 0; i < 16; i++)
		strcat(hex, V4_ANY);
	p = body(IKEV2_PL_TSI, hex, buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_ts(&p, &s), 0);
	ck_assert_uint_eq(s.n, IKEV2_MAX_TS);
	hex[0] = '1';
	hex[1] = '1';
	strcat(hex, V4_ANY);
	p = body(IKEV2_PL_TSI, hex, buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_ts(&p, &s), -E2BIG);
	ck_assert_uint_eq(s.n, 0);
	/* ... but malformed wins over too many */
	strcat(hex, "00");
	hex[1] = '2';
	p = body(IKEV2_PL_TSI, hex, buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_ts(&p, &s), -EBADMSG);
}
END_TEST

START_TEST(ts_narrow)
{
	struct ikev2_ts_set offered = { 0 }, allowed = { 0 }, out;

	/* a client's 0.0.0.0/0 TSi against its virtual IP: the /32 */
	offered.n = 1;
	offered.ts[0] = ts("0.0.0.0", "255.255.255.255", 0, 0, 65535);
	allowed.n = 1;
	allowed.ts[0] = prefix("10.10.0.7", 32);
	ck_assert_uint_eq(ikev2_ts_narrow(&offered, &allowed, &out), 1);
	assert_ts(&out.ts[0], "10.10.0.7", "10.10.0.7", 0, 0, 65535);
	ck_assert_str_eq(describe(&out), "10.10.0.7/32");

	/* 10.0.0.0/8 asked, 10.1.0.0/16 and 192.0.2.0/24 allowed: only the /16 */
	offered.ts[0] = prefix("10.0.0.0", 8);
	allowed.n = 2;
	allowed.ts[0] = prefix("10.1.0.0", 16);
	allowed.ts[1] = prefix("192.0.2.0", 24);
	ck_assert_uint_eq(ikev2_ts_narrow(&offered, &allowed, &out), 1);
	ck_assert_str_eq(describe(&out), "10.1.0.0/16");

	/* partly overlapping ranges: the overlap, not a prefix */
	offered.ts[0] = ts("10.1.255.7", "10.2.0.255", 0, 0, 65535);
	ck_assert_uint_eq(ikev2_ts_narrow(&offered, &allowed, &out), 1);
	ck_assert_str_eq(describe(&out), "10.1.255.7-10.1.255.255");

	/* protocol: any offered takes the allowed one; equal ones stay; different ones miss */
	offered.ts[0] = ts("0.0.0.0", "255.255.255.255", 0, 0, 65535);
	allowed.n = 1;
	allowed.ts[0] = ts("192.0.2.0", "192.0.2.255", 17, 1701, 1701);
	ck_assert_uint_eq(ikev2_ts_narrow(&offered, &allowed, &out), 1);
	assert_ts(&out.ts[0], "192.0.2.0", "192.0.2.255", 17, 1701, 1701);
	ck_assert_str_eq(describe(&out), "192.0.2.0/24[udp/1701]");
	offered.ts[0] = ts("192.0.2.9", "192.0.2.9", 17, 0, 65535);
	ck_assert_uint_eq(ikev2_ts_narrow(&offered, &allowed, &out), 1);
	assert_ts(&out.ts[0], "192.0.2.9", "192.0.2.9", 17, 1701, 1701);
	offered.ts[0] = ts("192.0.2.9", "192.0.2.9", 6, 0, 65535);
	ck_assert_uint_eq(ikev2_ts_narrow(&offered, &allowed, &out), 0);

	/* ports: the overlap of the ranges; disjoint ranges miss */
	offered.ts[0] = ts("0.0.0.0", "255.255.255.255", 6, 1000, 2000);
	allowed.ts[0] = ts("0.0.0.0", "255.255.255.255", 0, 1500, 65535);
	ck_assert_uint_eq(ikev2_ts_narrow(&offered, &allowed, &out), 1);
	assert_ts(&out.ts[0], "0.0.0.0", "255.255.255.255", 6, 1500, 2000);
	ck_assert_str_eq(describe(&out), "0.0.0.0/0[tcp/1500-2000]");
	allowed.ts[0].from_port = 2001;
	ck_assert_uint_eq(ikev2_ts_narrow(&offered, &allowed, &out), 0);

	/* v4 offered, v6 allowed: nothing (TS_UNACCEPTABLE) */
	offered.ts[0] = ts("0.0.0.0", "255.255.255.255", 0, 0, 65535);
	allowed.ts[0] = prefix("2001:db8::", 32);
	ck_assert_uint_eq(ikev2_ts_narrow(&offered, &allowed, &out), 0);
	ck_assert_uint_eq(out.n, 0);

	/* both families offered and allowed: each meets its own, in the offer's order */
	offered.n = 2;
	offered.ts[0] = prefix("::", 0);
	offered.ts[1] = prefix("0.0.0.0", 0);
	allowed.n = 2;
	allowed.ts[0] = prefix("10.10.0.7", 32);
	allowed.ts[1] = prefix("fd00::7", 128);
	ck_assert_uint_eq(ikev2_ts_narrow(&offered, &allowed, &out), 2);
	ck_assert_str_eq(describe(&out), "fd00::7/128 10.10.0.7/32");

	/* duplicates left out: two offers narrowing to the same /32, and a repeated offer */
	offered.n = 3;
	offered.ts[0] = prefix("0.0.0.0", 0);
	offered.ts[1] = prefix("10.0.0.0", 8);
	offered.ts[2] = prefix("0.0.0.0", 0);
	allowed.n = 1;
	allowed.ts[0] = prefix("10.10.0.7", 32);
	ck_assert_uint_eq(ikev2_ts_narrow(&offered, &allowed, &out), 1);
	ck_assert_str_eq(describe(&out), "10.10.0.7/32");

	/* nothing offered or nothing allowed */
	offered.n = 0;
	ck_assert_uint_eq(ikev2_ts_narrow(&offered, &allowed, &out), 0);
	offered.n = 1;
	allowed.n = 0;
	ck_assert_uint_eq(ikev2_ts_narrow(&offered, &allowed, &out), 0);

	/* a full answer stops at IKEV2_MAX_TS */
	offered.n = 1;
	offered.ts[0] = prefix("0.0.0.0", 0);
	allowed.n = IKEV2_MAX_TS;
	for (size_t i = 0; i < IKEV2_MAX_TS; i++) {
		struct sockaddr_storage a = sa("10.0.0.0");
		((struct sockaddr_in *)&a)->sin_addr.s_addr = htonl(0x0a000000u + (uint32_t)i);
		ikev2_ts_host(&allowed.ts[i], &a);
	}
	ck_assert_uint_eq(ikev2_ts_narrow(&offered, &allowed, &out), IKEV2_MAX_TS);
	ck_assert_int_eq(ikev2_ts_prefix_len(&out.ts[15]), 32);
	ck_assert_str_eq(addr_str(&out.ts[15].from), "10.0.0.15");
}
END_TEST

START_TEST(ts_generate)
{
	uint8_t buf[256], want[256];
	struct ikev2_gen g;
	struct ikev2_ts_set s = { 0 };
	s.n = 3;
	s.ts[0] = ts("192.0.2.5", "192.0.2.5", 17, 1701, 1701);
	s.ts[1] = prefix("::", 0);
	s.ts[2] = ts("10.0.0.1", "10.0.0.9", 6, 80, 443);
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	ikev2_gen_ts(&g, IKEV2_PL_TSR, &s);
	size_t len = 0;
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	ck_assert_uint_eq(g.first, IKEV2_PL_TSR);
	size_t wl = unhex("00 00 0050 03 000000"
			  " 07 11 0010 06a5 06a5 c0000205 c0000205"
			  " 08 00 0028 0000 ffff 00000000000000000000000000000000 ffffffffffffffffffffffffffffffff"
			  " 07 06 0010 0050 01bb 0a000001 0a000009",
			  want, sizeof(want));
	ck_assert_uint_eq(len, wl);
	ck_assert_mem_eq(buf, want, wl);

	/* what it wrote parses back to the same selectors */
	struct ikev2_payload p = { .body = buf + 4, .len = (uint16_t)(len - 4), .type = IKEV2_PL_TSR };
	struct ikev2_ts_set back;
	ck_assert_int_eq(ikev2_parse_ts(&p, &back), 0);
	ck_assert_uint_eq(back.n, 3);
	assert_ts(&back.ts[0], "192.0.2.5", "192.0.2.5", 17, 1701, 1701);
	assert_ts(&back.ts[2], "10.0.0.1", "10.0.0.9", 6, 80, 443);

	/* an empty set, and too little room (sticky -ENOSPC) */
	s.n = 0;
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	ikev2_gen_ts(&g, IKEV2_PL_TSI, &s);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	wl = unhex("00 00 0008 00 000000", want, sizeof(want));
	ck_assert_uint_eq(len, wl);
	ck_assert_mem_eq(buf, want, wl);
	s.n = 3;
	ikev2_gen_init_inner(&g, buf, 40);
	ikev2_gen_ts(&g, IKEV2_PL_TSI, &s);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), -ENOSPC);
}
END_TEST

START_TEST(ts_prefix_helpers)
{
	struct kanmon_ts t = prefix("10.1.2.3", 16);
	assert_ts(&t, "10.1.0.0", "10.1.255.255", 0, 0, 65535);
	ck_assert_int_eq(ikev2_ts_prefix_len(&t), 16);
	t = prefix("10.1.2.3", 23);
	assert_ts(&t, "10.1.2.0", "10.1.3.255", 0, 0, 65535);
	ck_assert_int_eq(ikev2_ts_prefix_len(&t), 23);
	t = prefix("10.1.2.3", 0);
	ck_assert(ikev2_ts_is_any(&t));
	t = prefix("10.1.2.3", 99);		/* past the family's bits: one host */
	assert_ts(&t, "10.1.2.3", "10.1.2.3", 0, 0, 65535);
	ck_assert_int_eq(ikev2_ts_prefix_len(&t), 32);
	ck_assert(!ikev2_ts_is_any(&t));
	t = prefix("2001:db8:1:2::5", 48);
	assert_ts(&t, "2001:db8:1::", "2001:db8:1:ffff:ffff:ffff:ffff:ffff", 0, 0, 65535);
	ck_assert_int_eq(ikev2_ts_prefix_len(&t), 48);
	t = prefix("2001:db8::1", 127);
	assert_ts(&t, "2001:db8::", "2001:db8::1", 0, 0, 65535);

	struct sockaddr_storage a = sa("2001:db8::5");
	((struct sockaddr_in6 *)&a)->sin6_port = htons(500);	/* not carried into the selector */
	ikev2_ts_host(&t, &a);
	assert_ts(&t, "2001:db8::5", "2001:db8::5", 0, 0, 65535);
	ck_assert_uint_eq(((struct sockaddr_in6 *)&t.from)->sin6_port, 0);
	ck_assert_int_eq(ikev2_ts_prefix_len(&t), 128);

	/* ranges that are not one prefix */
	struct {
		const char *from, *to;
		int plen;
	} cases[] = {
		{ "10.0.0.1", "10.0.0.9", -1 },	   { "10.0.0.0", "10.0.0.255", 24 },
		{ "10.0.0.1", "10.0.0.1", 32 },	   { "10.0.0.0", "10.0.1.254", -1 },
		{ "10.0.0.1", "10.0.0.255", -1 },  { "0.0.0.1", "255.255.255.255", -1 },
		{ "0.0.0.0", "127.255.255.255", 1 }, { "10.0.0.0", "10.0.3.255", 22 },
		{ "::", "::ffff", 112 },	   { "::", "::fffe", -1 },
		{ "::1", "::1", 128 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = ts(cases[i].from, cases[i].to, 0, 0, 65535);
		ck_assert_msg(ikev2_ts_prefix_len(&t) == cases[i].plen, "%s-%s: %d", cases[i].from, cases[i].to,
			      ikev2_ts_prefix_len(&t));
	}
	/* mixed families are nothing */
	t = ts("0.0.0.0", "::", 0, 0, 65535);
	ck_assert_int_eq(ikev2_ts_prefix_len(&t), -1);
	ck_assert(!ikev2_ts_is_any(&t));
	/* 0/0 with a protocol or ports is not "any" */
	t = ts("0.0.0.0", "255.255.255.255", 17, 0, 65535);
	ck_assert(!ikev2_ts_is_any(&t));
	t = ts("0.0.0.0", "255.255.255.255", 0, 1, 65535);
	ck_assert(!ikev2_ts_is_any(&t));
}
END_TEST

START_TEST(ts_describe)
{
	struct ikev2_ts_set s = { 0 };
	s.n = 5;
	s.ts[0] = prefix("203.0.113.5", 32);
	s.ts[1] = ts("0.0.0.0", "255.255.255.255", 0, 53, 53);
	s.ts[2] = ts("0.0.0.0", "255.255.255.255", 47, 0, 65535);
	s.ts[3] = ts("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 58, 0, 65535);
	s.ts[4] = ts("fd00::1", "fd00::9", 6, 443, 443);
	ck_assert_str_eq(describe(&s),
			 "203.0.113.5/32 0.0.0.0/0[any/53] 0.0.0.0/0[47] ::/0[icmp6] fd00::1-fd00::9[tcp/443]");

	/* truncated with "...", always terminated, the length returned */
	char small[24];
	size_t n = ikev2_ts_describe(&s, small, sizeof(small));
	ck_assert_str_eq(small, "203.0.113.5/32 ...");
	ck_assert_uint_eq(n, strlen(small));
	char tiny[8];
	n = ikev2_ts_describe(&s, tiny, sizeof(tiny));
	ck_assert_str_eq(tiny, "...");
	ck_assert_uint_eq(n, 3);
	/* a single one that just fits needs no room for more */
	s.n = 1;
	char exact[15];
	n = ikev2_ts_describe(&s, exact, sizeof(exact));
	ck_assert_str_eq(exact, "203.0.113.5/32");
	ck_assert_uint_eq(ikev2_ts_describe(&s, exact, 0), 0);
}
END_TEST

/* ---- configuration payload -------------------------------------------- */

START_TEST(cp_clients)
{
	uint8_t buf[512];
	struct ikev2_cp_request r;
	char text[128];

	/* Windows (agile VPN): ADDRESS, DNS, NBNS, ADDR6, DNS6, all empty */
	struct ikev2_payload p = body(IKEV2_PL_CP, "01 000000 0001 0000 0003 0000 0004 0000 0008 0000 000a 0000",
				      buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_cp(&p, &r), 0);
	ck_assert_uint_eq(r.cfg_type, IKEV2_CFG_REQUEST);
	ck_assert(r.ip4 && r.dns4 && r.ip6 && r.dns6);
	ck_assert(!r.netmask4 && !r.subnet4 && !r.subnet6 && !r.domain);
	ck_assert_uint_eq(r.unknown, 1);	/* NBNS: not answered */
	ikev2_cp_describe(&r, text, sizeof(text));
	ck_assert_str_eq(text, "ADDR DNS ADDR6 DNS6 +1");

	/* iOS / macOS: ADDRESS, NETMASK, DNS, DHCP, DNS_DOMAIN, ADDR6, DNS6, APPLICATION_VERSION "iOS" */
	p = body(IKEV2_PL_CP,
		 "01 000000 0001 0000 0002 0000 0003 0000 0006 0000 0019 0000 0008 0000 000a 0000 0007 0003 694f53",
		 buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_cp(&p, &r), 0);
	ck_assert(r.ip4 && r.netmask4 && r.dns4 && r.domain && r.ip6 && r.dns6);
	ck_assert(!r.subnet4 && !r.subnet6);
	ck_assert_uint_eq(r.unknown, 2);	/* DHCP, APPLICATION_VERSION */
	ikev2_cp_describe(&r, text, sizeof(text));
	ck_assert_str_eq(text, "ADDR NETMASK DNS DOMAIN ADDR6 DNS6 +2");

	/* strongSwan: ADDRESS, ADDR6, DNS, DNS6, and a private-use attribute it adds */
	p = body(IKEV2_PL_CP, "01 000000 0001 0000 0008 0000 0003 0000 000a 0000 6000 0000", buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_cp(&p, &r), 0);
	ck_assert(r.ip4 && r.ip6 && r.dns4 && r.dns6 && !r.netmask4);
	ck_assert_uint_eq(r.unknown, 1);

	/* values of the right size: a client asking for its previous addresses, subnets */
	p = body(IKEV2_PL_CP,
		 "01 000000 0001 0004 0a0a0007 0008 0011 fd000000000000000000000000000007 40"
		 " 000d 0008 0a000000 ff000000 000f 0011 fd000000000000000000000000000000 08"
		 " 0003 0004 01010101 000a 0010 20010db8000000000000000000000001"
		 " 0019 000b 6578616d706c652e636f6d 000e 0004 00010008",
		 buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_cp(&p, &r), 0);
	ck_assert(r.ip4 && r.ip6 && r.subnet4 && r.subnet6 && r.dns4 && r.dns6 && r.domain);
	ck_assert_uint_eq(r.unknown, 1);	/* SUPPORTED_ATTRIBUTES */
	ikev2_cp_describe(&r, text, sizeof(text));
	ck_assert_str_eq(text, "ADDR DNS SUBNET DOMAIN ADDR6 DNS6 SUBNET6 +1");

	/* the reserved top bit of the type is ignored */
	p = body(IKEV2_PL_CP, "01 000000 8001 0000", buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_cp(&p, &r), 0);
	ck_assert(r.ip4);

	/* no attributes; and other CFG types are reported as such */
	p = body(IKEV2_PL_CP, "01 000000", buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_cp(&p, &r), 0);
	ikev2_cp_describe(&r, text, sizeof(text));
	ck_assert_str_eq(text, "none");
	p = body(IKEV2_PL_CP, "03 000000 0001 0004 0a000001", buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_cp(&p, &r), 0);
	ck_assert_uint_eq(r.cfg_type, IKEV2_CFG_SET);
	ikev2_cp_describe(&r, text, sizeof(text));
	ck_assert_str_eq(text, "SET:ADDR");
	r.cfg_type = 9;
	ikev2_cp_describe(&r, text, sizeof(text));
	ck_assert_str_eq(text, "CFG(9):ADDR");
	/* truncated, terminated */
	ck_assert_uint_eq(ikev2_cp_describe(&r, text, 5), 4);
	ck_assert_str_eq(text, "CFG(");
}
END_TEST

START_TEST(cp_malformed)
{
	uint8_t buf[512];
	struct ikev2_cp_request r;
	const char *bad[] = {
		"01 0000",			/* shorter than type + reserved */
		"01 000000 00",			/* half an attribute header */
		"01 000000 0001 00",
		"01 000000 0001 0004 0a00",	/* value past the end */
		"01 000000 0001 0003 0a0000",	/* v4 address of 3 bytes */
		"01 000000 0001 0005 0a00000100",
		"01 000000 0002 0002 ffff",	/* netmask */
		"01 000000 0003 0010 00000000000000000000000000000000",	/* v4 DNS of 16 */
		"01 000000 0004 0001 00",	/* NBNS */
		"01 000000 0006 0008 0000000000000000",			/* DHCP */
		"01 000000 0008 0010 fd000000000000000000000000000007",	/* ADDR6 without prefix length */
		"01 000000 000a 0011 2001000000000000000000000000000140",	/* DNS6 of 17 */
		"01 000000 000c 0004 00000000",				/* DHCP6 */
		"01 000000 000d 0004 0a000000",				/* SUBNET without mask */
		"01 000000 000f 0010 fd000000000000000000000000000000",	/* SUBNET6 without prefix */
		"01 000000 000e 0003 000100",				/* SUPPORTED_ATTRIBUTES: odd */
		"01 000000 0001 0000 0003 0000 00",			/* trailing byte */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ikev2_payload p = body(IKEV2_PL_CP, bad[i], buf, sizeof(buf));
		ck_assert_msg(ikev2_parse_cp(&p, &r) == -EBADMSG, "bad[%zu] accepted", i);
		ck_assert_msg(!r.ip4 && !r.dns4 && !r.unknown, "bad[%zu] left a half result", i);
	}
	/* only CP bodies */
	struct ikev2_payload p = body(IKEV2_PL_NOTIFY, "01 000000 0001 0000", buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_cp(&p, &r), -EBADMSG);
	/* every truncation of a good request */
	p = body(IKEV2_PL_CP, "01 000000 0001 0004 0a0a0007 0019 0003 612e62", buf, sizeof(buf));
	ck_assert_int_eq(ikev2_parse_cp(&p, &r), 0);
	for (uint16_t cut = 0; cut < p.len; cut++) {
		struct ikev2_payload q = p;
		q.len = cut;
		int rc = ikev2_parse_cp(&q, &r);
		/* cut exactly between attributes is a shorter, valid request */
		if (cut == 4 || cut == 12)
			ck_assert_int_eq(rc, 0);
		else
			ck_assert_msg(rc == -EBADMSG, "cut at %u accepted", cut);
	}
}
END_TEST

static struct in_addr in4(const char *text)
{
	struct in_addr a;
	ck_assert_int_eq(inet_pton(AF_INET, text, &a), 1);
	return a;
}

static struct in6_addr in6(const char *text)
{
	struct in6_addr a;
	ck_assert_int_eq(inet_pton(AF_INET6, text, &a), 1);
	return a;
}

START_TEST(cp_generate)
{
	uint8_t buf[512], want[512];
	struct ikev2_gen g;
	struct ikev2_cp_reply r;
	memset(&r, 0, sizeof(r));
	r.has_ip4 = true;
	r.ip4 = in4("10.10.0.7");
	r.has_netmask4 = true;
	r.netmask4 = in4("255.255.255.0");
	r.has_ip6 = true;
	r.ip6 = in6("fd00::7");
	r.ip6_plen = 64;
	r.n_dns4 = 2;
	r.dns4[0] = in4("10.10.0.1");
	r.dns4[1] = in4("1.1.1.1");
	r.n_dns6 = 1;
	r.dns6[0] = in6("fd00::1");
	r.n_subnet4 = 2;
	r.subnet4[0] = (struct ikev2_cp_prefix4){ in4("192.0.2.0"), 24 };
	r.subnet4[1] = (struct ikev2_cp_prefix4){ in4("10.0.0.0"), 9 };
	r.n_subnet6 = 1;
	r.subnet6[0] = (struct ikev2_cp_prefix6){ in6("2001:db8::"), 32 };
	r.n_domains = 2;
	r.domains[0] = "corp.example";
	r.domains[1] = "example.com";
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	ikev2_gen_cp_reply(&g, &r);
	size_t len = 0;
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	ck_assert_uint_eq(g.first, IKEV2_PL_CP);
	size_t wl = unhex("00 00 009d 02 000000"
			  " 0001 0004 0a0a0007"
			  " 0002 0004 ffffff00"
			  " 0008 0011 fd000000000000000000000000000007 40"
			  " 0003 0004 0a0a0001"
			  " 0003 0004 01010101"
			  " 000a 0010 fd000000000000000000000000000001"
			  " 000d 0008 c0000200 ffffff00"
			  " 000d 0008 0a000000 ff800000"
			  " 000f 0011 20010db8000000000000000000000000 20"
			  " 0019 000c 636f72702e6578616d706c65"
			  " 0019 000b 6578616d706c652e636f6d",
			  want, sizeof(want));
	ck_assert_uint_eq(len, wl);
	ck_assert_mem_eq(buf, want, wl);

	/* it parses as a REPLY holding the same kinds */
	struct ikev2_payload p = { .body = buf + 4, .len = (uint16_t)(len - 4), .type = IKEV2_PL_CP };
	struct ikev2_cp_request back;
	ck_assert_int_eq(ikev2_parse_cp(&p, &back), 0);
	ck_assert_uint_eq(back.cfg_type, IKEV2_CFG_REPLY);
	ck_assert(back.ip4 && back.netmask4 && back.ip6 && back.dns4 && back.dns6 && back.subnet4 &&
		  back.subnet6 && back.domain);
	ck_assert_uint_eq(back.unknown, 0);

	/* only the address (what a v4-only pool gives) */
	memset(&r, 0, sizeof(r));
	r.has_ip4 = true;
	r.ip4 = in4("10.10.0.8");
	r.n_subnet4 = 2;
	r.subnet4[0] = (struct ikev2_cp_prefix4){ in4("0.0.0.0"), 0 };
	r.subnet4[1] = (struct ikev2_cp_prefix4){ in4("10.0.0.1"), 32 };
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	ikev2_gen_cp_reply(&g, &r);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	wl = unhex("00 00 0028 02 000000 0001 0004 0a0a0008 000d 0008 00000000 00000000 000d 0008 0a000001 ffffffff",
		   want, sizeof(want));
	ck_assert_uint_eq(len, wl);
	ck_assert_mem_eq(buf, want, wl);

	/* nothing to give: an empty reply; too little room: -ENOSPC */
	memset(&r, 0, sizeof(r));
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	ikev2_gen_cp_reply(&g, &r);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	wl = unhex("00 00 0008 02 000000", want, sizeof(want));
	ck_assert_uint_eq(len, wl);
	ck_assert_mem_eq(buf, want, wl);
	r.has_ip4 = true;
	ikev2_gen_init_inner(&g, buf, 12);
	ikev2_gen_cp_reply(&g, &r);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), -ENOSPC);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ikev2_payloads");
	TCase *tc = tcase_create("payloads");
	tcase_add_test(tc, ts_strongswan);
	tcase_add_test(tc, ts_unknown_type_skipped);
	tcase_add_test(tc, ts_malformed);
	tcase_add_test(tc, ts_narrow);
	tcase_add_test(tc, ts_generate);
	tcase_add_test(tc, ts_prefix_helpers);
	tcase_add_test(tc, ts_describe);
	tcase_add_test(tc, cp_clients);
	tcase_add_test(tc, cp_malformed);
	tcase_add_test(tc, cp_generate);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
