/* SPDX-License-Identifier: MIT */
/* ikev2_proposal.c - SA proposals: parse, configure, select, generate (ikev2_proposal.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dh.h"
#include "ike_cipher.h"
#include "ikev2_proposal.h"
#include "prf.h"

/* ---- the peer's offer (pure) --------------------------------------------- */

static int parse_transform(const uint8_t *t, size_t tlen, struct ikev2_proposal *p)
{
	uint8_t type = t[4];
	uint16_t id = ikev2_get16(t + 6);
	struct ikev2_xf x = { .id = id, .usable = true };
	/* attributes: TV (AF=1, two-byte value) or TLV (AF=0, length, value) */
	for (size_t off = 8; off < tlen;) {
		if (tlen - off < 4)
			return -EBADMSG;
		uint16_t at = ikev2_get16(t + off);
		if (at & 0x8000) {
			if ((at & 0x7fff) == IKEV2_ATTR_KEY_LENGTH)
				x.bits = ikev2_get16(t + off + 2);
			else
				x.usable = false;	/* RFC 7296 3.3.6: unknown attribute */
			off += 4;
		} else {
			size_t alen = ikev2_get16(t + off + 2);
			if (tlen - off - 4 < alen)
				return -EBADMSG;
			x.usable = false;	/* no TLV attribute is defined for IKEv2 */
			off += 4 + alen;
		}
	}
	if (type < 1 || type > IKEV2_XF_MAX)
		return 0;	/* unknown transform type: ignored */
	if (p->n[type] == IKEV2_MAX_XF)
		return -E2BIG;
	p->x[type][p->n[type]++] = x;
	return 0;
}

static int parse_proposal(const uint8_t *b, size_t plen, struct ikev2_proposal *p)
{
	memset(p, 0, sizeof(*p));
	p->num = b[4];
	p->protocol = b[5];
	p->spi_len = b[6];
	uint8_t nxf = b[7];
	if (p->spi_len > sizeof(p->spi) || plen < 8u + p->spi_len)
		return -EBADMSG;
	memcpy(p->spi, b + 8, p->spi_len);
	size_t off = 8u + p->spi_len;
	for (unsigned i = 0; i < nxf; i++) {
		if (plen - off < 8)
			return -EBADMSG;
		const uint8_t *t = b + off;
		uint16_t tlen = ikev2_get16(t + 2);
		bool last = i + 1 == nxf;
		/* last substruc: 0 for the last transform, 3 before more */
		if (t[0] != (last ? 0 : 3) || tlen < 8 || tlen > plen - off)
			return -EBADMSG;
		int err = parse_transform(t, tlen, p);
		if (err)
			return err;
		off += tlen;
	}
	return off == plen ? 0 : -EBADMSG;
}

int ikev2_offer_parse(const uint8_t *body, size_t len, struct ikev2_offer *out)
{
	out->n = 0;
	size_t off = 0;
	while (off < len) {
		if (len - off < 8)
			return -EBADMSG;
		const uint8_t *b = body + off;
		uint16_t plen = ikev2_get16(b + 2);
		if (plen < 8 || plen > len - off)
			return -EBADMSG;
		bool last = off + plen == len;
		/* last substruc: 0 for the last proposal, 2 before more */
		if (b[0] != (last ? 0 : 2))
			return -EBADMSG;
		if (out->n == IKEV2_MAX_PROPOSALS)
			return -E2BIG;
		int err = parse_proposal(b, plen, &out->p[out->n]);
		if (err)
			return err;
		out->n++;
		off += plen;
	}
	return out->n ? 0 : -EBADMSG;
}

/* ---- configured proposals ------------------------------------------------- */

static const struct word {
	const char *name;
	uint8_t type;
	uint16_t id, bits;
} words[] = {
	{ "aes128", IKEV2_XF_ENCR, IKE_ENCR_AES_CBC, 128 },
	{ "aes192", IKEV2_XF_ENCR, IKE_ENCR_AES_CBC, 192 },
	{ "aes256", IKEV2_XF_ENCR, IKE_ENCR_AES_CBC, 256 },
	{ "aes", IKEV2_XF_ENCR, IKE_ENCR_AES_CBC, 128 },
	{ "3des", IKEV2_XF_ENCR, IKE_ENCR_3DES, 0 },
	{ "aes128gcm16", IKEV2_XF_ENCR, IKE_ENCR_AES_GCM_16, 128 },
	{ "aes256gcm16", IKEV2_XF_ENCR, IKE_ENCR_AES_GCM_16, 256 },
	{ "aes128gcm", IKEV2_XF_ENCR, IKE_ENCR_AES_GCM_16, 128 },
	{ "aes256gcm", IKEV2_XF_ENCR, IKE_ENCR_AES_GCM_16, 256 },
	{ "sha1", IKEV2_XF_INTEG, IKE_INTEG_HMAC_SHA1_96, 0 },
	{ "sha256", IKEV2_XF_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0 },
	{ "sha384", IKEV2_XF_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0 },
	{ "sha512", IKEV2_XF_INTEG, IKE_INTEG_HMAC_SHA2_512_256, 0 },
	{ "prfsha1", IKEV2_XF_PRF, PRF_HMAC_SHA1, 0 },
	{ "prfsha256", IKEV2_XF_PRF, PRF_HMAC_SHA2_256, 0 },
	{ "prfsha384", IKEV2_XF_PRF, PRF_HMAC_SHA2_384, 0 },
	{ "prfsha512", IKEV2_XF_PRF, PRF_HMAC_SHA2_512, 0 },
	{ "modp1024", IKEV2_XF_DH, DH_MODP1024, 0 },
	{ "modp1536", IKEV2_XF_DH, DH_MODP1536, 0 },
	{ "modp2048", IKEV2_XF_DH, DH_MODP2048, 0 },
	{ "modp3072", IKEV2_XF_DH, DH_MODP3072, 0 },
	{ "modp4096", IKEV2_XF_DH, DH_MODP4096, 0 },
	{ "ecp256", IKEV2_XF_DH, DH_ECP256, 0 },
	{ "ecp384", IKEV2_XF_DH, DH_ECP384, 0 },
	{ "curve25519", IKEV2_XF_DH, DH_CURVE25519, 0 },
	{ "x25519", IKEV2_XF_DH, DH_CURVE25519, 0 },
	{ "esn", IKEV2_XF_ESN, 1, 0 },
	{ "noesn", IKEV2_XF_ESN, 0, 0 },
};

static uint16_t integ_to_prf(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96:		return PRF_HMAC_SHA1;
	case IKE_INTEG_HMAC_SHA2_256_128:	return PRF_HMAC_SHA2_256;
	case IKE_INTEG_HMAC_SHA2_384_192:	return PRF_HMAC_SHA2_384;
	case IKE_INTEG_HMAC_SHA2_512_256:	return PRF_HMAC_SHA2_512;
	default:				return 0;
	}
}

static bool has_xf(const struct ikev2_proposal *p, uint8_t type, uint16_t id, uint16_t bits)
{
	for (unsigned i = 0; i < p->n[type]; i++)
		if (p->x[type][i].id == id && p->x[type][i].bits == bits)
			return true;
	return false;
}

static void add_xf(struct ikev2_proposal *p, uint8_t type, uint16_t id, uint16_t bits)
{
	if (!has_xf(p, type, id, bits) && p->n[type] < IKEV2_MAX_XF)
		p->x[type][p->n[type]++] = (struct ikev2_xf){ .id = id, .bits = bits, .usable = true };
}

int ikev2_proposal_parse_conf(const char *s, uint8_t protocol, struct ikev2_proposal *out, char *err,
			      size_t err_len)
{
	memset(out, 0, sizeof(*out));
	out->protocol = protocol;
	char word[32];
	for (const char *w = s; *w;) {
		size_t n = strcspn(w, "-");
		if (!n || n >= sizeof(word)) {
			snprintf(err, err_len, "'%s': empty or overlong algorithm name", s);
			return -EINVAL;
		}
		memcpy(word, w, n);
		word[n] = '\0';
		w += n + (w[n] == '-');
		if (protocol == IKEV2_PROTO_ESP && !strcmp(word, "modpnone")) {
			out->dh_optional = true;
			continue;
		}
		const struct word *k = NULL;
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]) && !k; i++)
			if (!strcmp(words[i].name, word))
				k = &words[i];
		if (!k || (k->type == IKEV2_XF_ESN && protocol != IKEV2_PROTO_ESP) ||
		    (k->type == IKEV2_XF_PRF && protocol != IKEV2_PROTO_IKE)) {
			snprintf(err, err_len, "'%s': unknown %s algorithm '%s'", s,
				 protocol == IKEV2_PROTO_IKE ? "IKE" : "ESP", word);
			return -EINVAL;
		}
		add_xf(out, k->type, k->id, k->bits);
	}
	unsigned aead = 0;
	for (unsigned i = 0; i < out->n[IKEV2_XF_ENCR]; i++)
		aead += ike_encr_is_aead(out->x[IKEV2_XF_ENCR][i].id);
	const char *why = NULL;
	if (!out->n[IKEV2_XF_ENCR])
		why = "no encryption algorithm";
	else if (aead && aead != out->n[IKEV2_XF_ENCR])
		why = "AEAD and CBC ciphers mixed (make two proposals)";
	else if (aead && out->n[IKEV2_XF_INTEG])
		why = "an AEAD cipher takes no integrity algorithm";
	else if (!aead && !out->n[IKEV2_XF_INTEG])
		why = "no integrity algorithm";
	else if (protocol == IKEV2_PROTO_IKE && !out->n[IKEV2_XF_DH])
		why = "no DH group";
	if (!why && protocol == IKEV2_PROTO_IKE && !out->n[IKEV2_XF_PRF]) {
		for (unsigned i = 0; i < out->n[IKEV2_XF_INTEG]; i++)
			add_xf(out, IKEV2_XF_PRF, integ_to_prf(out->x[IKEV2_XF_INTEG][i].id), 0);
		if (!out->n[IKEV2_XF_PRF])
			why = "an AEAD proposal needs a PRF (e.g. prfsha256)";
	}
	if (why) {
		snprintf(err, err_len, "'%s': %s", s, why);
		return -EINVAL;
	}
	if (protocol == IKEV2_PROTO_ESP && !out->n[IKEV2_XF_ESN])
		add_xf(out, IKEV2_XF_ESN, 0, 0);
	return 0;
}

/* ---- selection ------------------------------------------------------------ */

/* The configured proposal's first transform of `type` the peer offers too. */
static bool pick(const struct ikev2_proposal *c, const struct ikev2_proposal *p, uint8_t type, uint16_t *id,
		 uint16_t *bits)
{
	for (unsigned i = 0; i < c->n[type]; i++)
		for (unsigned j = 0; j < p->n[type]; j++) {
			const struct ikev2_xf *a = &c->x[type][i], *b = &p->x[type][j];
			if (b->usable && a->id == b->id && a->bits == b->bits) {
				*id = a->id;
				if (bits)
					*bits = a->bits;
				return true;
			}
		}
	return false;
}

static bool match(const struct ikev2_proposal *c, const struct ikev2_proposal *p, struct ikev2_suite *s)
{
	if (p->protocol != c->protocol)
		return false;
	/* IKE_SA_INIT: no SPI (RFC 7296 3.3.1); rekeying an IKE SA: 8; ESP/AH: 4 */
	if (c->protocol == IKEV2_PROTO_IKE ? (p->spi_len != 0 && p->spi_len != 8) : p->spi_len != 4)
		return false;
	memset(s, 0, sizeof(*s));
	if (!pick(c, p, IKEV2_XF_ENCR, &s->encr, &s->encr_bits))
		return false;
	bool aead = ike_encr_is_aead(s->encr);
	if (aead) {
		/* integrity must be absent or NONE (RFC 5282 8) */
		for (unsigned j = 0; j < p->n[IKEV2_XF_INTEG]; j++)
			if (p->x[IKEV2_XF_INTEG][j].id != IKE_INTEG_NONE)
				return false;
	} else if (!pick(c, p, IKEV2_XF_INTEG, &s->integ, NULL)) {
		return false;
	}
	if (c->protocol == IKEV2_PROTO_IKE) {
		if (!pick(c, p, IKEV2_XF_PRF, &s->prf, NULL) || !pick(c, p, IKEV2_XF_DH, &s->dh, NULL))
			return false;
	} else {
		/* PFS: a group both sides list, or none when the peer offers none
		 * (or NONE) and the configuration allows it */
		bool peer_none = !p->n[IKEV2_XF_DH] || has_xf(p, IKEV2_XF_DH, 0, 0);
		if (p->dh_ignored) {
			s->dh = 0;
		} else if (!pick(c, p, IKEV2_XF_DH, &s->dh, NULL)) {
			if (!(peer_none && (c->dh_optional || !c->n[IKEV2_XF_DH])))
				return false;
			s->dh = 0;
		}
		if (!p->n[IKEV2_XF_ESN] || !pick(c, p, IKEV2_XF_ESN, &s->esn, NULL))
			return false;
	}
	s->num = p->num;
	s->protocol = p->protocol;
	s->spi_len = p->spi_len;
	memcpy(s->spi, p->spi, p->spi_len);
	return true;
}

int ikev2_select(const struct ikev2_proposal *conf, size_t n, size_t legacy_from,
		 const struct ikev2_offer *offer, uint8_t protocol, struct ikev2_suite *out)
{
	for (size_t i = 0; i < n; i++) {
		if (conf[i].protocol != protocol)
			continue;
		for (size_t j = 0; j < offer->n; j++) {
			if (match(&conf[i], &offer->p[j], out)) {
				out->legacy = i >= legacy_from;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* ---- the answer's SA payload ---------------------------------------------- */

static uint8_t *put_xf(uint8_t *t, bool last, uint8_t type, uint16_t id, uint16_t bits)
{
	size_t len = bits ? 12 : 8;
	t[0] = last ? 0 : 3;
	t[1] = 0;
	ikev2_put16(t + 2, (uint16_t)len);
	t[4] = type;
	t[5] = 0;
	ikev2_put16(t + 6, id);
	if (bits) {
		ikev2_put16(t + 8, 0x8000 | IKEV2_ATTR_KEY_LENGTH);
		ikev2_put16(t + 10, bits);
	}
	return t + len;
}

void ikev2_gen_sa(struct ikev2_gen *g, const struct ikev2_suite *s)
{
	struct sel { uint8_t type; uint16_t id, bits; } x[5];
	unsigned n = 0;
	x[n++] = (struct sel){ IKEV2_XF_ENCR, s->encr, s->encr_bits };
	if (s->protocol == IKEV2_PROTO_IKE)
		x[n++] = (struct sel){ IKEV2_XF_PRF, s->prf, 0 };
	if (s->integ)
		x[n++] = (struct sel){ IKEV2_XF_INTEG, s->integ, 0 };
	if (s->dh)
		x[n++] = (struct sel){ IKEV2_XF_DH, s->dh, 0 };
	if (s->protocol != IKEV2_PROTO_IKE)
		x[n++] = (struct sel){ IKEV2_XF_ESN, s->esn, 0 };
	size_t len = 8u + s->spi_len;
	for (unsigned i = 0; i < n; i++)
		len += x[i].bits ? 12 : 8;
	uint8_t *b = ikev2_gen_payload(g, IKEV2_PL_SA, false, len);
	if (!b)
		return;
	b[0] = 0;	/* the only proposal */
	b[1] = 0;
	ikev2_put16(b + 2, (uint16_t)len);
	b[4] = s->num;
	b[5] = s->protocol;
	b[6] = s->spi_len;
	b[7] = (uint8_t)n;
	memcpy(b + 8, s->spi, s->spi_len);
	uint8_t *t = b + 8 + s->spi_len;
	for (unsigned i = 0; i < n; i++)
		t = put_xf(t, i + 1 == n, x[i].type, x[i].id, x[i].bits);
}

/* ---- names ---------------------------------------------------------------- */

/* snprintf that appends at *at and never moves *at past the terminator */
static void app(char *buf, size_t len, size_t *at, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void app(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	if (*at + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at = *at + (size_t)n < len ? *at + (size_t)n : len - 1;
}

size_t ikev2_suite_name(const struct ikev2_suite *s, char *buf, size_t len)
{
	size_t at = 0;
	if (!len)
		return 0;
	buf[0] = '\0';
	app(buf, len, &at, "%s", ike_encr_name(s->encr, s->encr_bits));
	if (s->integ)
		app(buf, len, &at, "-%s", ike_integ_name(s->integ));
	if (s->prf)
		app(buf, len, &at, "-%s", prf_name(s->prf));
	if (s->dh)
		app(buf, len, &at, "-%s", dh_name(s->dh));
	if (s->protocol == IKEV2_PROTO_ESP && s->esn)
		app(buf, len, &at, "-esn");
	return at;
}

static void xf_name(uint8_t type, const struct ikev2_xf *x, char *buf, size_t len, size_t *at)
{
	const char *name = NULL;
	switch (type) {
	case IKEV2_XF_ENCR:
		name = ike_encr_supported(x->id, x->bits) ? ike_encr_name(x->id, x->bits) : NULL;
		break;
	case IKEV2_XF_INTEG:
		name = ike_integ_supported(x->id) ? ike_integ_name(x->id) : NULL;
		break;
	case IKEV2_XF_PRF:
		name = prf_supported(x->id) ? prf_name(x->id) : NULL;
		break;
	case IKEV2_XF_DH:
		name = dh_supported(x->id) ? dh_name(x->id) : NULL;
		break;
	}
	static const char *const kind[] = { "", "encr", "prf", "integ", "dh", "esn" };
	if (name)
		app(buf, len, at, "%s", name);
	else if (x->bits)
		app(buf, len, at, "%s%u_%u", kind[type], x->id, x->bits);
	else
		app(buf, len, at, "%s%u", kind[type], x->id);
}

size_t ikev2_offer_describe(const struct ikev2_offer *o, char *buf, size_t len)
{
	static const uint8_t order[] = { IKEV2_XF_ENCR, IKEV2_XF_INTEG, IKEV2_XF_PRF, IKEV2_XF_DH };
	size_t at = 0;
	if (!len)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; i < o->n; i++) {
		const struct ikev2_proposal *p = &o->p[i];
		if (i)
			app(buf, len, &at, ", ");
		bool first = true;
		for (size_t k = 0; k < sizeof(order); k++) {
			uint8_t t = order[k];
			for (unsigned j = 0; j < p->n[t]; j++) {
				if (!first)
					app(buf, len, &at, j ? "-" : "/");
				first = false;
				xf_name(t, &p->x[t][j], buf, len, &at);
			}
		}
	}
	return at;
}
