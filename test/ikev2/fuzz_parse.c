/* SPDX-License-Identifier: MIT */
/*
 * fuzz_parse.c - fuzz target of the IKEv2 message parser: the datagram
 * parser, the inner (SK plaintext) chain parser, every payload body parser,
 * the SA payload (proposal) parser and the log formatters over whatever
 * they accept. Seeds: real messages of the lab's strongSwan clients and of
 * kanmond (corpus/parse/real-*), plus crafted edge cases.
 *   libFuzzer:  fuzz_ikev2_parse corpus/parse      replay: fuzz_ikev2_parse_replay corpus/parse
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "ikev2.h"

static void walk(const struct ikev2_chain *c)
{
	static struct ikev2_offer offer;
	char buf[512];
	for (size_t i = 0; i < c->n; i++) {
		const struct ikev2_payload *p = &c->pl[i];
		struct ikev2_notify n;
		struct ikev2_ke ke;
		struct ikev2_id id;
		struct ikev2_auth a;
		struct ikev2_cert ce;
		struct ikev2_skf f;
		const uint8_t *nonce;
		size_t nl;
		/* every body parser must stay inside p->body[0..p->len) (ASan checks) */
		switch (p->type) {
		case IKEV2_PL_SA:
			if (!ikev2_offer_parse(p->body, p->len, &offer))
				ikev2_offer_describe(&offer, buf, sizeof(buf));
			break;
		case IKEV2_PL_NOTIFY:
			if (!ikev2_parse_notify(p, &n) && n.spi_len + n.data_len + 4 != p->len)
				abort();
			break;
		case IKEV2_PL_KE:
			ikev2_parse_ke(p, &ke);
			break;
		case IKEV2_PL_IDI:
		case IKEV2_PL_IDR:
			if (!ikev2_parse_id(p, &id))
				ikev2_id_str(&id, buf, sizeof(buf));
			break;
		case IKEV2_PL_AUTH:
			ikev2_parse_auth(p, &a);
			break;
		case IKEV2_PL_CERT:
		case IKEV2_PL_CERTREQ:
			ikev2_parse_cert(p, &ce);
			break;
		case IKEV2_PL_SKF:
			if (!ikev2_parse_skf(p, &f) && (!f.number || f.number > f.total))
				abort();
			break;
		case IKEV2_PL_NONCE:
			if (!ikev2_parse_nonce(p, &nonce, &nl) && (nl < 16 || nl > 256))
				abort();
			break;
		default:
			break;
		}
	}
	ikev2_chain_describe(c, buf, sizeof(buf));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ikev2_msg m;
	static struct ikev2_chain c;
	static struct ikev2_offer offer;
	char buf[512];
	int r = ikev2_parse(data, size, &m);
	if (!r || r == -EOPNOTSUPP) {
		if (m.length != size || m.c.n > IKEV2_MAX_PAYLOADS)
			abort();
		if (m.c.sk >= 0 && (size_t)m.c.sk != m.c.n - 1)
			abort();	/* SK is always last */
		walk(&m.c);
	}
	/* the same bytes as an SK plaintext whose first payload is data[0] */
	if (size && !ikev2_parse_inner(data[0], data + 1, size - 1, &c))
		walk(&c);
	/* and as the body of an SA payload */
	if (!ikev2_offer_parse(data, size, &offer))
		ikev2_offer_describe(&offer, buf, sizeof(buf));
	return 0;
}
