/* SPDX-License-Identifier: MIT */
/*
 * fuzz_payloads.c - fuzz target of the traffic selector and configuration
 * payload bodies: the input is parsed as the body of a TSi payload and of
 * a CP payload; whatever parses must survive a round trip (generated again,
 * parsed again, the same selectors / the same kinds of attributes), narrow
 * consistently, and be described inside its buffer. Seeds: TS bodies of
 * one or both families, with protocols and ports, CP requests shaped like
 * strongSwan's, Windows' and iOS's, and edge cases (corpus/payloads).
 *   libFuzzer:  fuzz_ikev2_payloads corpus/payloads   replay: fuzz_ikev2_payloads_replay corpus/payloads
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2_cp.h"
#include "ikev2_ts.h"

static bool same_ts(const struct kanmon_ts *a, const struct kanmon_ts *b)
{
	/* both come out of the parser, which zeroes every byte it does not set */
	return !memcmp(&a->from, &b->from, sizeof(a->from)) && !memcmp(&a->to, &b->to, sizeof(a->to)) &&
	       a->proto == b->proto && a->from_port == b->from_port && a->to_port == b->to_port;
}

static bool inside(const struct kanmon_ts *in, const struct kanmon_ts *out)
{
	const uint8_t *inf, *int_, *outf, *outt;
	size_t n;
	if (in->from.ss_family != out->from.ss_family)
		return false;
	if (in->from.ss_family == AF_INET) {
		inf = (const uint8_t *)&((const struct sockaddr_in *)&in->from)->sin_addr;
		int_ = (const uint8_t *)&((const struct sockaddr_in *)&in->to)->sin_addr;
		outf = (const uint8_t *)&((const struct sockaddr_in *)&out->from)->sin_addr;
		outt = (const uint8_t *)&((const struct sockaddr_in *)&out->to)->sin_addr;
		n = 4;
	} else {
		inf = (const uint8_t *)&((const struct sockaddr_in6 *)&in->from)->sin6_addr;
		int_ = (const uint8_t *)&((const struct sockaddr_in6 *)&in->to)->sin6_addr;
		outf = (const uint8_t *)&((const struct sockaddr_in6 *)&out->from)->sin6_addr;
		outt = (const uint8_t *)&((const struct sockaddr_in6 *)&out->to)->sin6_addr;
		n = 16;
	}
	return memcmp(inf, outf, n) >= 0 && memcmp(int_, outt, n) <= 0 && memcmp(inf, int_, n) <= 0 &&
	       in->from_port >= out->from_port && in->to_port <= out->to_port &&
	       (!out->proto || in->proto == out->proto);
}

static void ts_case(const uint8_t *data, size_t size)
{
	static struct ikev2_ts_set s, back, out, any;
	static uint8_t buf[IKEV2_GENERIC_LEN + 4 + IKEV2_MAX_TS * 40];
	char text[256];
	struct ikev2_payload p = { .body = data, .len = (uint16_t)size, .type = IKEV2_PL_TSI };
	if (ikev2_parse_ts(&p, &s))
		return;
	if (s.n > IKEV2_MAX_TS)
		abort();
	if (ikev2_ts_describe(&s, text, sizeof(text)) != strlen(text))
		abort();
	for (size_t i = 0; i < s.n; i++)
		ikev2_ts_prefix_len(&s.ts[i]);

	/* round trip: what parsed is generated and parses to the same selectors */
	struct ikev2_gen g;
	size_t len;
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	ikev2_gen_ts(&g, IKEV2_PL_TSR, &s);
	if (ikev2_gen_finish(&g, &len) || g.first != IKEV2_PL_TSR)
		abort();
	struct ikev2_payload q = { .body = buf + IKEV2_GENERIC_LEN, .len = (uint16_t)(len - IKEV2_GENERIC_LEN),
				   .type = IKEV2_PL_TSR };
	if (ikev2_parse_ts(&q, &back) || back.n != s.n)
		abort();
	for (size_t i = 0; i < s.n; i++)
		if (!same_ts(&s.ts[i], &back.ts[i]))
			abort();

	/* narrowing against everything gives each offer once; against itself stays inside it */
	any.n = 2;
	struct sockaddr_storage zero4 = { .ss_family = AF_INET }, zero6 = { .ss_family = AF_INET6 };
	ikev2_ts_from_prefix(&any.ts[0], &zero4, 0);
	ikev2_ts_from_prefix(&any.ts[1], &zero6, 0);
	size_t n = ikev2_ts_narrow(&s, &any, &out);
	if (n != out.n || n > s.n)
		abort();
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (size_t j = 0; j < s.n && !found; j++)
			found = same_ts(&out.ts[i], &s.ts[j]);
		for (size_t j = 0; j < i; j++)
			if (same_ts(&out.ts[i], &out.ts[j]))
				abort();	/* a duplicate */
		if (!found)
			abort();
	}
	n = ikev2_ts_narrow(&s, &s, &out);
	for (size_t i = 0; i < n; i++) {
		bool in_some = false;
		for (size_t j = 0; j < s.n && !in_some; j++)
			in_some = inside(&out.ts[i], &s.ts[j]);
		if (!in_some)
			abort();
	}
	ikev2_ts_describe(&out, text, sizeof(text));
}

static void cp_case(const uint8_t *data, size_t size)
{
	static uint8_t buf[1024];
	struct ikev2_cp_request r, back;
	char text[128];
	struct ikev2_payload p = { .body = data, .len = (uint16_t)size, .type = IKEV2_PL_CP };
	if (ikev2_parse_cp(&p, &r))
		return;
	if (ikev2_cp_describe(&r, text, sizeof(text)) != strlen(text))
		abort();

	/* round trip: a reply giving one of each kind asked for parses to the same kinds */
	struct ikev2_cp_reply reply;
	memset(&reply, 0, sizeof(reply));
	reply.has_ip4 = r.ip4;
	reply.has_netmask4 = r.netmask4;
	reply.has_ip6 = r.ip6;
	reply.ip6_plen = 64;
	reply.n_dns4 = r.dns4;
	reply.n_dns6 = r.dns6;
	reply.n_subnet4 = r.subnet4;
	reply.n_subnet6 = r.subnet6;
	reply.n_domains = r.domain;
	reply.domains[0] = "example.com";
	struct ikev2_gen g;
	size_t len;
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	ikev2_gen_cp_reply(&g, &reply);
	if (ikev2_gen_finish(&g, &len) || g.first != IKEV2_PL_CP)
		abort();
	struct ikev2_payload q = { .body = buf + IKEV2_GENERIC_LEN, .len = (uint16_t)(len - IKEV2_GENERIC_LEN),
				   .type = IKEV2_PL_CP };
	if (ikev2_parse_cp(&q, &back) || back.cfg_type != IKEV2_CFG_REPLY || back.unknown)
		abort();
	if (back.ip4 != r.ip4 || back.netmask4 != r.netmask4 || back.dns4 != r.dns4 || back.subnet4 != r.subnet4 ||
	    back.ip6 != r.ip6 || back.dns6 != r.dns6 || back.subnet6 != r.subnet6 || back.domain != r.domain)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > UINT16_MAX - IKEV2_GENERIC_LEN)
		return 0;	/* no payload body is longer */
	ts_case(data, size);
	cp_case(data, size);
	return 0;
}
