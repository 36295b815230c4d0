/* SPDX-License-Identifier: MIT */
/* ikev2_sk.c - SK / SKF payload protection (ikev2_sk.h). */
#include <errno.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "ikev2_sk.h"

void ikev2_sk_dir(const struct ikev2_keys *k, bool from_initiator, struct ikev2_sk_dir *d)
{
	d->encr = k->encr;
	d->integ = k->integ;
	d->ke = from_initiator ? k->sk_ei : k->sk_er;
	d->ka = from_initiator ? k->sk_ai : k->sk_ar;
	d->ke_len = k->e_len;
	d->ka_len = k->a_len;
}

static size_t icv_len(const struct ikev2_sk_dir *d)
{
	return ike_encr_is_aead(d->encr) ? ike_encr_icv_len(d->encr) : ike_integ_icv_len(d->integ);
}

int ikev2_sk_open(const struct ikev2_sk_dir *d, const uint8_t *raw, size_t raw_len,
		  const struct ikev2_payload *p, uint8_t *out, size_t *out_len)
{
	size_t hdr = p->type == IKEV2_PL_SKF ? 4 : 0;
	size_t iv = ike_encr_iv_len(d->encr), icv = icv_len(d), block = ike_encr_block_len(d->encr);
	bool aead = ike_encr_is_aead(d->encr);
	if (!iv || !icv || !block)
		return -EINVAL;
	/* the payload is the last one: it ends where the message ends */
	if ((size_t)p->offset + IKEV2_GENERIC_LEN + p->len != raw_len || p->len < hdr + iv + icv + 1)
		return -EINVAL;
	const uint8_t *ivp = p->body + hdr;
	const uint8_t *ct = ivp + iv;
	size_t ct_len = p->len - hdr - iv - icv;
	const uint8_t *tag = ct + ct_len;
	if (ct_len % block)
		return -EINVAL;
	int err;
	memcpy(out, ct, ct_len);
	if (aead) {
		size_t aad_len = (size_t)(ivp - raw);
		err = ike_aead_decrypt(d->encr, d->ke, d->ke_len, ivp, raw, aad_len, out, ct_len, tag);
	} else {
		err = ike_integ_verify(d->integ, d->ka, d->ka_len, raw, raw_len - icv, tag);
		if (!err)
			err = ike_cbc_decrypt(d->encr, d->ke, d->ke_len, ivp, out, ct_len);
	}
	if (err) {
		gnutls_memset(out, 0, ct_len);
		return err == -EBADMSG ? -EBADMSG : -EINVAL;
	}
	uint8_t pad = out[ct_len - 1];
	if ((size_t)pad + 1 > ct_len) {
		gnutls_memset(out, 0, ct_len);
		return -EINVAL;
	}
	*out_len = ct_len - pad - 1;
	return 0;
}

size_t ikev2_sk_max_plain(const struct ikev2_sk_dir *d, bool frag, size_t room)
{
	size_t fixed = IKEV2_GENERIC_LEN + (frag ? 4 : 0) + ike_encr_iv_len(d->encr) + icv_len(d);
	size_t block = ike_encr_block_len(d->encr);
	if (!block || room <= fixed)
		return 0;
	size_t ct = (room - fixed) / block * block;	/* largest whole-block ciphertext */
	return ct ? ct - 1 : 0;				/* minus the pad length byte */
}

int ikev2_sk_seal(struct ikev2_gen *g, const struct ikev2_sk_dir *d, uint8_t first, const struct ikev2_skf *frag,
		  const uint8_t *plain, size_t len, uint64_t *seq, size_t *msg_len)
{
	size_t hdr = frag ? 4 : 0;
	size_t iv_len = ike_encr_iv_len(d->encr), icv = icv_len(d), block = ike_encr_block_len(d->encr);
	bool aead = ike_encr_is_aead(d->encr);
	if (!iv_len || !icv || !block)
		return -EINVAL;
	size_t pad = (block - (len + 1) % block) % block;
	size_t ct_len = len + pad + 1;
	uint8_t *b = ikev2_gen_payload(g, frag ? IKEV2_PL_SKF : IKEV2_PL_SK, false, hdr + iv_len + ct_len + icv);
	if (!b)
		return g->err;
	/* the SK payload's next field names the first inner payload */
	b[-IKEV2_GENERIC_LEN] = first;
	if (frag) {
		ikev2_put16(b, frag->number);
		ikev2_put16(b + 2, frag->total);
	}
	uint8_t *ivp = b + hdr, *ct = ivp + iv_len, *tag = ct + ct_len;
	if (aead) {
		uint64_t s = (*seq)++;
		for (size_t i = 0; i < iv_len; i++)
			ivp[i] = (uint8_t)(s >> (8 * (iv_len - 1 - i)));
	} else if (gnutls_rnd(GNUTLS_RND_NONCE, ivp, iv_len)) {
		return -EIO;
	}
	if (len)
		memcpy(ct, plain, len);
	memset(ct + len, 0, pad);
	ct[ct_len - 1] = (uint8_t)pad;
	size_t total;
	int err = ikev2_gen_finish(g, &total);
	if (err)
		return err;
	if (aead) {
		err = ike_aead_encrypt(d->encr, d->ke, d->ke_len, ivp, g->buf, (size_t)(ivp - g->buf), ct, ct_len,
				       tag);
	} else {
		err = ike_cbc_encrypt(d->encr, d->ke, d->ke_len, ivp, ct, ct_len);
		if (!err)
			err = ike_integ_sign(d->integ, d->ka, d->ka_len, g->buf, total - icv, tag);
	}
	if (err)
		return -EIO;
	if (msg_len)
		*msg_len = total;
	return 0;
}
