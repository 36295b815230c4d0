/* SPDX-License-Identifier: MIT */
/* util.c - see util.h. Written from RFC 7296 3.3, not from ikev2_proposal.c. */
#include <string.h>

#include "util.h"

size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;
	for (; *s && n < max; s++) {
		int v;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

static size_t xf(uint8_t *t, int last, uint8_t type, uint16_t id, uint16_t bits)
{
	size_t len = bits ? 12 : 8;
	if (t) {
		t[0] = last ? 0 : 3;
		t[1] = 0;
		t[2] = 0;
		t[3] = (uint8_t)len;
		t[4] = type;
		t[5] = 0;
		t[6] = (uint8_t)(id >> 8);
		t[7] = (uint8_t)id;
		if (bits) {
			t[8] = 0x80;
			t[9] = 14;
			t[10] = (uint8_t)(bits >> 8);
			t[11] = (uint8_t)bits;
		}
	}
	return len;
}

/* writes (or, b NULL, measures) one proposal */
static size_t prop(uint8_t *b, int last, uint8_t num, const struct test_prop *p)
{
	struct { uint8_t type; uint16_t id, bits; } x[40];
	size_t n = 0;
	for (size_t i = 0; i < 8 && p->encr[i]; i++)
		x[n].type = 1, x[n].id = p->encr[i], x[n].bits = p->encr_bits[i], n++;
	for (size_t i = 0; i < 8 && p->prf[i]; i++)
		x[n].type = 2, x[n].id = p->prf[i], x[n].bits = 0, n++;
	for (size_t i = 0; i < 8 && p->integ[i]; i++)
		x[n].type = 3, x[n].id = p->integ[i], x[n].bits = 0, n++;
	for (size_t i = 0; i < 8 && p->dh[i]; i++)
		x[n].type = 4, x[n].id = p->dh[i], x[n].bits = 0, n++;
	for (size_t i = 0; i < 4 && p->esn[i]; i++)
		x[n].type = 5, x[n].id = p->esn[i] == 2 ? 0 : p->esn[i], x[n].bits = 0, n++;	/* 2 = "no ESN" */
	size_t len = 8 + p->spi_len;
	for (size_t i = 0; i < n; i++)
		len += xf(b ? b + len : NULL, i + 1 == n, x[i].type, x[i].id, x[i].bits);
	if (b) {
		b[0] = last ? 0 : 2;
		b[1] = 0;
		b[2] = (uint8_t)(len >> 8);
		b[3] = (uint8_t)len;
		b[4] = num;
		b[5] = p->protocol;
		b[6] = p->spi_len;
		b[7] = (uint8_t)n;
		for (size_t i = 0; i < p->spi_len; i++)
			b[8 + i] = p->spi ? p->spi[i] : (uint8_t)(0xa0 + i);
	}
	return len;
}

void gen_offer(struct ikev2_gen *g, const struct test_prop *p, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += prop(NULL, 0, 0, &p[i]);
	uint8_t *b = ikev2_gen_payload(g, 33, 0, total);
	if (!b)
		return;
	size_t at = 0;
	for (size_t i = 0; i < n; i++)
		at += prop(b + at, i + 1 == n, (uint8_t)(i + 1), &p[i]);
}
