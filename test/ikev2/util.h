/* SPDX-License-Identifier: MIT */
/* util.h - helpers shared by the ikev2 unit tests. */
#ifndef KANMON_TEST_IKEV2_UTIL_H
#define KANMON_TEST_IKEV2_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "ikev2_gen.h"

size_t unhex(const char *s, uint8_t *out, size_t max);

/* One proposal of a test offer: transform lists per type, 0-terminated. */
struct test_prop {
	uint8_t protocol;
	uint8_t spi_len;
	uint16_t encr[8], encr_bits[8];	/* parallel arrays */
	uint16_t prf[8], integ[8], dh[8], esn[4];
	const uint8_t *spi;		/* spi_len bytes; NULL: a0 a1 a2 ... */
};
/* An SA payload with these proposals, numbered 1.. (as a client would). */
void gen_offer(struct ikev2_gen *g, const struct test_prop *p, size_t n);

#endif
