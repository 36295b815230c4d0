/* SPDX-License-Identifier: MIT */
/* ikev2_gen.c - IKEv2 message writer (ikev2_gen.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ikev2_gen.h"

void ikev2_gen_init(struct ikev2_gen *g, uint8_t *buf, size_t cap, const uint8_t spi_i[8],
		    const uint8_t spi_r[8], uint8_t exchange, uint8_t flags, uint32_t msgid)
{
	memset(g, 0, sizeof(*g));
	g->buf = buf;
	g->cap = cap;
	g->header = true;
	if (cap < IKEV2_HDR_LEN) {
		g->err = -ENOSPC;
		return;
	}
	memcpy(buf, spi_i, 8);
	memcpy(buf + 8, spi_r, 8);
	buf[16] = IKEV2_PL_NONE;
	buf[17] = IKEV2_VERSION;
	buf[18] = exchange;
	buf[19] = flags;
	ikev2_put32(buf + 20, msgid);
	ikev2_put32(buf + 24, IKEV2_HDR_LEN);
	g->len = IKEV2_HDR_LEN;
	g->next_at = 16;
}

void ikev2_gen_init_inner(struct ikev2_gen *g, uint8_t *buf, size_t cap)
{
	memset(g, 0, sizeof(*g));
	g->buf = buf;
	g->cap = cap;
	g->next_at = SIZE_MAX;
	g->first = IKEV2_PL_NONE;
}

uint8_t *ikev2_gen_payload(struct ikev2_gen *g, uint8_t type, bool critical, size_t body_len)
{
	if (g->err)
		return NULL;
	if (body_len > UINT16_MAX - IKEV2_GENERIC_LEN || g->cap - g->len < IKEV2_GENERIC_LEN + body_len) {
		g->err = -ENOSPC;
		return NULL;
	}
	if (g->next_at == SIZE_MAX)
		g->first = type;
	else
		g->buf[g->next_at] = type;
	uint8_t *p = g->buf + g->len;
	p[0] = IKEV2_PL_NONE;
	p[1] = critical ? IKEV2_CRITICAL : 0;
	ikev2_put16(p + 2, (uint16_t)(IKEV2_GENERIC_LEN + body_len));
	g->next_at = g->len;
	g->len += IKEV2_GENERIC_LEN + body_len;
	return p + IKEV2_GENERIC_LEN;
}

void ikev2_gen_bytes(struct ikev2_gen *g, uint8_t type, const void *data, size_t len)
{
	uint8_t *b = ikev2_gen_payload(g, type, false, len);
	if (b && len)
		memcpy(b, data, len);
}

void ikev2_gen_notify(struct ikev2_gen *g, uint8_t proto, const uint8_t *spi, uint8_t spi_len, uint16_t type,
		      const void *data, size_t len)
{
	uint8_t *b = ikev2_gen_payload(g, IKEV2_PL_NOTIFY, false, 4 + (size_t)spi_len + len);
	if (!b)
		return;
	b[0] = proto;
	b[1] = spi_len;
	ikev2_put16(b + 2, type);
	if (spi_len)
		memcpy(b + 4, spi, spi_len);
	if (len)
		memcpy(b + 4 + spi_len, data, len);
}

void ikev2_gen_ke(struct ikev2_gen *g, uint16_t group, const uint8_t *data, size_t len)
{
	uint8_t *b = ikev2_gen_payload(g, IKEV2_PL_KE, false, 4 + len);
	if (!b)
		return;
	ikev2_put16(b, group);
	b[2] = b[3] = 0;
	memcpy(b + 4, data, len);
}

int ikev2_gen_finish(struct ikev2_gen *g, size_t *len)
{
	if (g->err)
		return g->err;
	if (g->header)
		ikev2_put32(g->buf + 24, (uint32_t)g->len);
	if (len)
		*len = g->len;
	return 0;
}
