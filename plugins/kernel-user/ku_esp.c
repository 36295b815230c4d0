/* SPDX-License-Identifier: MIT */
/* ku_esp.c - RFC 4303 encapsulation and decapsulation on buffers (ku_esp.h). */
#include <arpa/inet.h>
#include <string.h>

#include "ku_esp.h"

static const char *const verdict_names[KU_DROP_N] = {
	[KU_OK] = "ok",
	[KU_DROP_SHORT] = "short",
	[KU_DROP_SPI] = "unknown-spi",
	[KU_DROP_REPLAY] = "replay",
	[KU_DROP_ICV] = "bad-icv",
	[KU_DROP_PAD] = "bad-padding",
	[KU_DROP_POLICY] = "policy",
	[KU_DROP_NOSA] = "no-sa",
	[KU_DROP_SEQ] = "seq-overflow",
	[KU_DROP_EXPIRED] = "expired",
	[KU_DROP_INNER] = "bad-inner",
	[KU_DROP_IO] = "io",
};

const char *ku_verdict_name(int v)
{
	return v >= 0 && v < KU_DROP_N ? verdict_names[v] : "?";
}

size_t ku_replay_words(uint32_t window)
{
	if (!window)
		window = KU_REPLAY_DEFAULT;
	if (window > KU_REPLAY_MAX)
		window = KU_REPLAY_MAX;
	/* one spare word: the block of the highest number is never shared with the oldest */
	size_t words = window / 64 + 2, n = 1;
	while (n < words)
		n <<= 1;
	return n;
}

void ku_esp_init(struct ku_esp *e, uint32_t spi_net, int esn, uint32_t window, uint64_t *bmp)
{
	e->spi = spi_net;
	e->esn = esn ? 1 : 0;
	e->seq = 0;
	e->bmp = bmp;
	if (!window)
		window = KU_REPLAY_DEFAULT;
	if (window > KU_REPLAY_MAX)
		window = KU_REPLAY_MAX;
	e->window = window;
	e->nblocks = bmp ? (uint32_t)ku_replay_words(window) : 0;
	if (bmp)
		memset(bmp, 0, e->nblocks * sizeof(*bmp));
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return ntohl(v);
}

int ku_esp_encap(struct ku_esp *e, uint8_t *buf, size_t cap, size_t *off, size_t *len, uint8_t nh,
		 uint64_t *seq)
{
	struct ku_xform *x = &e->xf;
	size_t hdr = 8 + x->iv_len;
	size_t pad = (x->align - ((*len + 2) % x->align)) % x->align;
	size_t body = *len + pad + 2;
	if (*off < hdr || *off + body + x->icv_len > cap)
		return KU_DROP_SHORT;
	/* RFC 4303 3.3.3: never cycle; without ESN the counter stops at 2^32 - 1 */
	if (e->seq == (e->esn ? UINT64_MAX : UINT32_MAX))
		return KU_DROP_SEQ;
	uint64_t s = ++e->seq;
	uint8_t *esp = buf + *off - hdr, *p = buf + *off;
	memcpy(esp, &e->spi, 4);
	put32(esp + 4, (uint32_t)s);
	/* RFC 4303 2.4: padding bytes 1, 2, 3, ... */
	for (size_t i = 0; i < pad; i++)
		p[*len + i] = (uint8_t)(i + 1);
	p[*len + pad] = (uint8_t)pad;
	p[*len + pad + 1] = nh;
	if (x->aead) {
		/* RFC 4106 3.1: the 64-bit counter is a unique IV per key */
		uint8_t iv[8], aad[12];
		put32(iv, (uint32_t)(s >> 32));
		put32(iv + 4, (uint32_t)s);
		memcpy(esp + 8, iv, 8);
		size_t aad_len = 8;
		memcpy(aad, &e->spi, 4);
		if (e->esn) {
			put32(aad + 4, (uint32_t)(s >> 32));	/* RFC 4106 5: SPI, seq hi, seq lo */
			put32(aad + 8, (uint32_t)s);
			aad_len = 12;
		} else {
			put32(aad + 4, (uint32_t)s);
		}
		if (ku_xform_seal(x, iv, aad, aad_len, p, body, p + body))
			return KU_DROP_IO;
	} else {
		/* CBC needs an unpredictable IV (RFC 3602 2.4) */
		if (gnutls_rnd(GNUTLS_RND_NONCE, esp + 8, x->iv_len) < 0 ||
		    ku_xform_cbc_encrypt(x, esp + 8, p, body))
			return KU_DROP_IO;
		uint8_t hi[4];
		put32(hi, (uint32_t)(s >> 32));
		/* RFC 4303 2.2.1: with ESN the high bits are authenticated, not sent */
		if (ku_xform_mac(x, esp, hdr + body, e->esn ? hi : NULL, 4, p + body))
			return KU_DROP_IO;
	}
	*off -= hdr;
	*len = hdr + body + x->icv_len;
	*seq = s;
	return KU_OK;
}

uint64_t ku_esn_infer(const struct ku_esp *e, uint32_t seq_lo)
{
	if (!e->esn)
		return seq_lo;
	/* RFC 4303 Appendix A2.2 */
	uint32_t tl = (uint32_t)e->seq, th = (uint32_t)(e->seq >> 32), w = e->window;
	uint32_t bottom = tl - w + 1;	/* modulo 2^32 on purpose */
	uint32_t sh;
	if (tl >= w - 1)
		sh = seq_lo >= bottom ? th : th + 1;
	else
		sh = seq_lo >= bottom ? th - 1 : th;
	return (uint64_t)sh << 32 | seq_lo;
}

int ku_replay_check(const struct ku_esp *e, uint64_t seq)
{
	if (seq == 0)
		return KU_DROP_REPLAY;	/* never sent: the first packet is 1 */
	if (seq > e->seq)
		return KU_OK;
	if (e->seq - seq >= e->window)
		return KU_DROP_REPLAY;
	uint64_t word = e->bmp[(seq >> 6) & (e->nblocks - 1)];
	return word & (1ULL << (seq & 63)) ? KU_DROP_REPLAY : KU_OK;
}

void ku_replay_update(struct ku_esp *e, uint64_t seq)
{
	if (seq > e->seq) {
		uint64_t from = e->seq >> 6, to = seq >> 6;
		if (to - from >= e->nblocks) {
			memset(e->bmp, 0, e->nblocks * sizeof(*e->bmp));
		} else {
			/* RFC 6479: clear whole words the window slid over, no bit shifting */
			for (uint64_t b = from + 1; b <= to; b++)
				e->bmp[b & (e->nblocks - 1)] = 0;
		}
		e->seq = seq;
	}
	e->bmp[(seq >> 6) & (e->nblocks - 1)] |= 1ULL << (seq & 63);
}

int ku_esp_decap(struct ku_esp *e, uint8_t *buf, size_t *off, size_t *len, uint8_t *nh, uint64_t *seq)
{
	struct ku_xform *x = &e->xf;
	size_t hdr = 8 + x->iv_len;
	if (*len < hdr + x->icv_len + 2)
		return KU_DROP_SHORT;
	size_t ct = *len - hdr - x->icv_len;
	if (ct % x->align)
		return KU_DROP_SHORT;
	uint8_t *esp = buf + *off, *p = esp + hdr;
	uint64_t s = ku_esn_infer(e, get32(esp + 4));
	/* cheap check first: replayed packets cost no crypto (RFC 4303 3.4.3) */
	if (ku_replay_check(e, s))
		return KU_DROP_REPLAY;
	if (x->aead) {
		uint8_t aad[12];
		size_t aad_len = 8;
		memcpy(aad, esp, 4);
		if (e->esn) {
			put32(aad + 4, (uint32_t)(s >> 32));
			put32(aad + 8, (uint32_t)s);
			aad_len = 12;
		} else {
			memcpy(aad + 4, esp + 4, 4);
		}
		if (ku_xform_open(x, esp + 8, aad, aad_len, p, ct, p + ct))
			return KU_DROP_ICV;
	} else {
		uint8_t icv[KU_MAX_ICV], hi[4];
		put32(hi, (uint32_t)(s >> 32));
		if (ku_xform_mac(x, esp, hdr + ct, e->esn ? hi : NULL, 4, icv) ||
		    !ku_ct_equal(icv, p + ct, x->icv_len))
			return KU_DROP_ICV;
		if (ku_xform_cbc_decrypt(x, esp + 8, p, ct))
			return KU_DROP_ICV;
	}
	size_t padlen = p[ct - 2];
	if (padlen + 2 > ct)
		return KU_DROP_PAD;
	/* RFC 4303 2.4: the receiver should check the monotonic padding */
	uint8_t bad = 0;
	for (size_t i = 0; i < padlen; i++)
		bad |= p[ct - 2 - padlen + i] ^ (uint8_t)(i + 1);
	if (bad)
		return KU_DROP_PAD;
	/* authenticated: now the window may move (3.4.3) */
	ku_replay_update(e, s);
	*nh = p[ct - 1];
	*off += hdr;
	*len = ct - 2 - padlen;
	*seq = s;
	return KU_OK;
}
