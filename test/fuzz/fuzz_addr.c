/* SPDX-License-Identifier: MIT */
/* fuzz_addr - address, prefix and range syntax (conf_addr.c) on arbitrary strings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256];
	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	uint8_t a[16], b[16];
	int fam;
	unsigned plen;
	conf_parse_addr(s, a, &fam);
	if (!conf_parse_prefix(s, a, &fam, &plen) && plen > (fam == 2 ? 32u : 128u))
		abort();	/* a prefix length beyond the family is never accepted */
	if (!conf_parse_range(s, a, b, &fam) && memcmp(a, b, fam == 2 ? 4 : 16) > 0)
		abort();	/* ranges are never reversed */
	return 0;
}
