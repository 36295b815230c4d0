/* SPDX-License-Identifier: MIT */
/* ikev2_frag.c - RFC 7383 reassembly with bounded memory, and splitting (ikev2_frag.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "ikev2_frag.h"

void ikev2_reasm_reset(struct ikev2_reasm *r, struct ikev2_frag_budget *b)
{
	if (r->frag) {
		for (unsigned i = 0; i < r->total; i++) {
			if (!r->frag[i])
				continue;
			gnutls_memset(r->frag[i], 0, r->len[i]);
			free(r->frag[i]);
		}
	}
	free(r->frag);
	free(r->len);
	b->used -= r->charged <= b->used ? r->charged : b->used;
	memset(r, 0, sizeof(*r));
}

/* starts a collection of `total` fragments for msgid, charging its tables */
static int reasm_start(struct ikev2_reasm *r, struct ikev2_frag_budget *b, uint32_t msgid, uint16_t total)
{
	size_t tables = (size_t)total * (sizeof(*r->frag) + sizeof(*r->len));
	if (b->used + tables > b->limit)
		return -ENOBUFS;
	r->frag = calloc(total, sizeof(*r->frag));
	r->len = calloc(total, sizeof(*r->len));
	if (!r->frag || !r->len) {
		free(r->frag);
		free(r->len);
		r->frag = NULL;
		r->len = NULL;
		return -ENOMEM;
	}
	r->msgid = msgid;
	r->total = total;
	r->charged = tables;
	b->used += tables;
	return 0;
}

int ikev2_reasm_add(struct ikev2_reasm *r, struct ikev2_frag_budget *b, uint32_t msgid, const struct ikev2_skf *f,
		    uint8_t next, const uint8_t *data, size_t len, uint8_t **out, size_t *out_len, uint8_t *first)
{
	if (!f->number || f->number > f->total || f->total > IKEV2_FRAG_MAX_COUNT || len > IKEV2_MAX_MSG)
		return -EINVAL;
	if (r->total && r->msgid != msgid)
		ikev2_reasm_reset(r, b);	/* a newer message: the old one will never complete */
	if (r->total && f->total < r->total)
		return -ESTALE;
	if (r->total && f->total > r->total)
		ikev2_reasm_reset(r, b);	/* the sender re-fragmented smaller: start over */
	int err;
	if (!r->total && (err = reasm_start(r, b, msgid, f->total)))
		return err;
	unsigned i = f->number - 1u;
	if (r->frag[i])
		return -EALREADY;
	size_t charge = len + IKEV2_FRAG_OVERHEAD;
	if (r->bytes + len > IKEV2_MAX_MSG || b->used + charge > b->limit) {
		ikev2_reasm_reset(r, b);
		return -ENOBUFS;
	}
	if (!(r->frag[i] = malloc(len ? len : 1)))
		return -ENOMEM;
	memcpy(r->frag[i], data, len);
	r->len[i] = (uint16_t)len;
	r->bytes += len;
	r->charged += charge;
	b->used += charge;
	r->have++;
	if (f->number == 1)
		r->first = next;
	if (r->have < r->total)
		return 0;

	uint8_t *whole = malloc(r->bytes ? r->bytes : 1);
	if (!whole) {
		ikev2_reasm_reset(r, b);
		return -ENOMEM;
	}
	size_t at = 0;
	for (unsigned k = 0; k < r->total; k++) {
		memcpy(whole + at, r->frag[k], r->len[k]);
		at += r->len[k];
	}
	*out = whole;
	*out_len = at;
	*first = r->first;
	ikev2_reasm_reset(r, b);
	return 1;
}

void ikev2_buf_free(struct ikev2_buf *b)
{
	if (!b || !b->data)
		return;
	gnutls_memset(b->data, 0, b->len);
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

int ikev2_frag_split(const struct ikev2_sk_dir *d, const uint8_t spi_i[8], const uint8_t spi_r[8],
		     uint8_t exchange, uint8_t flags, uint32_t msgid, uint8_t first, const uint8_t *plain,
		     size_t len, size_t max_msg, uint64_t *seq, struct ikev2_buf *out, size_t max_out, size_t *n)
{
	if (max_msg <= IKEV2_HDR_LEN)
		return -EMSGSIZE;
	size_t chunk = ikev2_sk_max_plain(d, true, max_msg - IKEV2_HDR_LEN);
	if (!chunk)
		return -EMSGSIZE;
	size_t total = len ? (len + chunk - 1) / chunk : 1;
	if (total > IKEV2_FRAG_MAX_COUNT || total > max_out - *n)
		return -EMSGSIZE;
	size_t start = *n;
	for (size_t i = 0; i < total; i++) {
		size_t off = i * chunk, this = len - off < chunk ? len - off : chunk;
		struct ikev2_buf *o = &out[*n];
		if (!(o->data = malloc(max_msg)))
			goto fail_nomem;
		struct ikev2_gen g;
		ikev2_gen_init(&g, o->data, max_msg, spi_i, spi_r, exchange, flags, msgid);
		struct ikev2_skf f = { .number = (uint16_t)(i + 1), .total = (uint16_t)total };
		/* RFC 7383 2.5: the next payload field is set in the first fragment only */
		int err = ikev2_sk_seal(&g, d, i ? IKEV2_PL_NONE : first, &f, plain + off, this, seq, &o->len);
		if (err) {
			free(o->data);
			o->data = NULL;
			while (*n > start)
				ikev2_buf_free(&out[--*n]);
			return err == -ENOSPC ? -EMSGSIZE : err;
		}
		(*n)++;
	}
	return 0;
fail_nomem:
	while (*n > start)
		ikev2_buf_free(&out[--*n]);
	return -ENOMEM;
}
