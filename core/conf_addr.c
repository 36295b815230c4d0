/* SPDX-License-Identifier: MIT */
/* conf_addr.c - the address, prefix and range syntax accepted in settings. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"

int conf_parse_addr(const char *s, void *addr16, int *family)
{
	uint8_t buf[16];
	memset(buf, 0, sizeof(buf));
	if (inet_pton(AF_INET, s, buf) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, s, buf) == 1)
		*family = AF_INET6;
	else
		return -EINVAL;
	if (addr16)
		memcpy(addr16, buf, 16);
	return 0;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

int conf_parse_prefix(const char *s, uint8_t addr[16], int *family, unsigned *plen)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(tmp) || !slash[1])
		return -EINVAL;
	memcpy(tmp, s, (size_t)(slash - s));
	tmp[slash - s] = '\0';
	if (conf_parse_addr(tmp, addr, family))
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long len = strtoul(slash + 1, &end, 10);
	if (errno || *end || slash[1] < '0' || slash[1] > '9' || len > addr_len(*family) * 8)
		return -EINVAL;
	*plen = (unsigned)len;
	return 0;
}

/* Host bits set below the prefix length? ("192.0.2.1/24" is a typo, not a network.) */
static int prefix_has_host_bits(const uint8_t *a, int family, unsigned plen)
{
	for (unsigned bit = plen; bit < addr_len(family) * 8; bit++)
		if (a[bit / 8] & (0x80 >> (bit % 8)))
			return 1;
	return 0;
}

int conf_parse_range(const char *s, uint8_t lo[16], uint8_t hi[16], int *family)
{
	const char *dash = strchr(s, '-');
	if (!dash) {
		unsigned plen;
		if (conf_parse_prefix(s, lo, family, &plen) || prefix_has_host_bits(lo, *family, plen))
			return -EINVAL;
		memcpy(hi, lo, 16);
		for (unsigned bit = plen; bit < addr_len(*family) * 8; bit++)
			hi[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		return 0;
	}
	char a[INET6_ADDRSTRLEN + 1];
	if ((size_t)(dash - s) >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	int fa, fb;
	if (conf_parse_addr(a, lo, &fa) || conf_parse_addr(dash + 1, hi, &fb) || fa != fb)
		return -EINVAL;
	if (memcmp(lo, hi, addr_len(fa)) > 0)
		return -EINVAL;
	*family = fa;
	return 0;
}

/* exported for conf.c's messages */
int conf_prefix_host_bits(const char *s)
{
	uint8_t a[16];
	int family;
	unsigned plen;
	if (conf_parse_prefix(s, a, &family, &plen))
		return 0;
	return prefix_has_host_bits(a, family, plen);
}
