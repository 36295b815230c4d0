/* SPDX-License-Identifier: MIT */
/*
 * der.c - a small, strict DER reader for the verification fast path.
 *
 * Why: GnuTLS decodes a certificate through libtasn1 (about 30 us for one
 * certificate here) and its trust-list verification costs over 100 us,
 * four times the RSA-2048 signature check itself (26 us). A peer's chain
 * is verified at every IKE_AUTH, so verify.c reads the few fields it needs
 * with this reader and checks the signature over the TBSCertificate with
 * gnutls_pubkey_verify_data2 against the trusted CA's key; anything it does
 * not handle (chains, unknown critical extensions, other algorithms) goes
 * the GnuTLS way. The same reader renders DNs and walks subjectAltNames for
 * identity.c, so both paths answer identity questions alike.
 *
 * Hostile input: every length is checked against what encloses it; only
 * definite lengths of at most 4 bytes, single-byte tags; nothing is
 * allocated; nothing is trusted before the signature was checked except the
 * structure needed to find the signed bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "certstore.h"

int der_read(struct der_span *in, uint8_t *tag, struct der_span *content, struct der_span *whole)
{
	const uint8_t *p = in->p;
	size_t left = in->len;
	if (left < 2)
		return -EINVAL;
	uint8_t t = p[0];
	if ((t & 0x1f) == 0x1f)
		return -EINVAL;	/* multi-byte tags: nothing in X.509 uses them */
	size_t hdr = 2, len = p[1];
	if (len & 0x80) {
		size_t n = len & 0x7f;
		if (n == 0 || n > 4 || left < 2 + n)
			return -EINVAL;	/* indefinite or absurd */
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = (len << 8) | p[2 + i];
		hdr += n;
	}
	if (len > left - hdr)
		return -EINVAL;
	if (tag)
		*tag = t;
	if (content)
		*content = (struct der_span){ p + hdr, len };
	if (whole)
		*whole = (struct der_span){ p, hdr + len };
	in->p = p + hdr + len;
	in->len = left - hdr - len;
	return 0;
}

/* The next element must have tag `want`. */
static int expect(struct der_span *in, uint8_t want, struct der_span *content, struct der_span *whole)
{
	uint8_t t;
	int err = der_read(in, &t, content, whole);
	return err ? err : t == want ? 0 : -EINVAL;
}

int der_oid_text(const uint8_t *p, size_t len, char *buf, size_t n)
{
	size_t o = 0;
	unsigned long v = 0;
	bool first = true;
	if (!len || !n)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (v > (~0UL >> 8))
			return -EINVAL;
		v = (v << 7) | (p[i] & 0x7f);
		if (p[i] & 0x80)
			continue;
		int w;
		if (first) {
			unsigned long a = v < 40 ? 0 : v < 80 ? 1 : 2;
			w = snprintf(buf + o, n - o, "%lu.%lu", a, v - a * 40);
			first = false;
		} else {
			w = snprintf(buf + o, n - o, ".%lu", v);
		}
		if (w < 0 || (size_t)w >= n - o)
			return -ENOSPC;
		o += (size_t)w;
		v = 0;
	}
	return (p[len - 1] & 0x80) ? -EINVAL : 0;
}

int der_name_foreach(const uint8_t *name, size_t len,
		     int (*cb)(const char *oid, uint8_t tag, const uint8_t *v, size_t vlen, void *arg), void *arg)
{
	struct der_span in = { name, len }, seq, set, ava;
	if (expect(&in, 0x30, &seq, NULL) || in.len)
		return -EINVAL;
	while (seq.len) {
		if (expect(&seq, 0x31, &set, NULL))
			return -EINVAL;
		while (set.len) {
			struct der_span oid, val;
			uint8_t vt;
			char text[64];
			if (expect(&set, 0x30, &ava, NULL) || expect(&ava, 0x06, &oid, NULL) ||
			    der_read(&ava, &vt, &val, NULL) || ava.len || der_oid_text(oid.p, oid.len, text, sizeof(text)))
				return -EINVAL;
			int rc = cb(text, vt, val.p, val.len, arg);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280 4.1.2.5) */
static int der_time(uint8_t tag, const struct der_span *v, time_t *out)
{
	int d[14];
	size_t digits = tag == 0x17 ? 12 : tag == 0x18 ? 14 : 0;
	if (!digits || v->len != digits + 1 || v->p[digits] != 'Z')
		return -EINVAL;
	for (size_t i = 0; i < digits; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return -EINVAL;
		d[i] = v->p[i] - '0';
	}
	struct tm tm = { 0 };
	size_t k = 0;
	if (digits == 12) {
		int yy = d[0] * 10 + d[1];
		tm.tm_year = (yy < 50 ? 2000 + yy : 1900 + yy) - 1900;
		k = 2;
	} else {
		tm.tm_year = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3] - 1900;
		k = 4;
	}
	tm.tm_mon = d[k] * 10 + d[k + 1] - 1;
	tm.tm_mday = d[k + 2] * 10 + d[k + 3];
	tm.tm_hour = d[k + 4] * 10 + d[k + 5];
	tm.tm_min = d[k + 6] * 10 + d[k + 7];
	tm.tm_sec = d[k + 8] * 10 + d[k + 9];
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	*out = timegm(&tm);
	return 0;
}

static bool oid_is(const struct der_span *oid, const uint8_t *want, size_t n)
{
	return oid->len == n && !memcmp(oid->p, want, n);
}

/* 2.5.29.x */
static int ext_id(const struct der_span *oid)
{
	return oid->len == 3 && oid->p[0] == 0x55 && oid->p[1] == 0x1d ? oid->p[2] : -1;
}

static int parse_extension(struct der_span *exts, struct x509_view *v)
{
	struct der_span ext, oid, val;
	uint8_t t;
	bool critical = false;
	if (expect(exts, 0x30, &ext, NULL) || expect(&ext, 0x06, &oid, NULL) || der_read(&ext, &t, &val, NULL))
		return -EINVAL;
	if (t == 0x01) {	/* critical BOOLEAN, then the value */
		if (val.len != 1)
			return -EINVAL;
		critical = val.p[0] != 0;
		if (der_read(&ext, &t, &val, NULL))
			return -EINVAL;
	}
	if (t != 0x04 || ext.len)
		return -EINVAL;
	struct der_span in = val, c;
	switch (ext_id(&oid)) {
	case 19: {	/* basicConstraints: SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen } */
		if (expect(&in, 0x30, &c, NULL) || in.len)
			return -EINVAL;
		struct der_span b;
		if (c.len && c.p[0] == 0x01) {
			if (expect(&c, 0x01, &b, NULL) || b.len != 1)
				return -EINVAL;
			v->is_ca = b.p[0] != 0;
		}
		v->has_bc = true;
		return 0;
	}
	case 15:	/* keyUsage: BIT STRING */
		if (expect(&in, 0x03, &c, NULL) || in.len || c.len < 1 || c.len > 3 || c.p[0] > 7)
			return -EINVAL;
		v->has_ku = true;
		v->ku = c.len > 1 ? c.p[1] : 0;
		if (c.len > 2 && (c.p[2] & 0x80))
			v->ku |= GNUTLS_KEY_DECIPHER_ONLY;
		return 0;
	case 37:	/* extKeyUsage */
		if (expect(&in, 0x30, &c, &v->eku) || in.len)
			return -EINVAL;
		return 0;
	case 17:	/* subjectAltName */
		if (expect(&in, 0x30, &c, &v->san) || in.len)
			return -EINVAL;
		return 0;
	case 14: case 35: case 31: case 32: case 18: case 36:
		return 0;	/* SKI, AKI, CRL DP, policies, issuerAltName, policy constraints: not needed here */
	default: {
		static const uint8_t aia[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01 };
		if (critical && !oid_is(&oid, aia, sizeof(aia)))
			v->unknown_critical = true;	/* GnuTLS's path decides */
		return 0;
	}
	}
}

int x509_view_parse(const uint8_t *der, size_t len, struct x509_view *v)
{
	struct der_span in = { der, len }, cert, tbs, alg, x, vers, validity, t1, t2;
	uint8_t tag;
	memset(v, 0, sizeof(*v));
	if (expect(&in, 0x30, &cert, NULL) || in.len)
		return -EINVAL;
	if (expect(&cert, 0x30, &x, &v->tbs) || expect(&cert, 0x30, &alg, NULL) ||
	    expect(&cert, 0x03, &v->sig, NULL) || cert.len)
		return -EINVAL;
	if (!v->sig.len || v->sig.p[0] != 0)
		return -EINVAL;	/* signatures are whole bytes */
	v->sig.p++;
	v->sig.len--;
	if (expect(&alg, 0x06, &v->sig_alg, NULL))
		return -EINVAL;
	v->sig_params = alg;	/* NULL or parameters, compared with the TBS copy below */
	tbs = x;
	/* [0] EXPLICIT version: v3 is what carries the extensions we need */
	if (tbs.len && tbs.p[0] == 0xa0) {
		struct der_span ver;
		if (expect(&tbs, 0xa0, &vers, NULL) || expect(&vers, 0x02, &ver, NULL) || vers.len || ver.len != 1)
			return -EINVAL;
		v->version = ver.p[0] + 1;
	} else {
		v->version = 1;
	}
	struct der_span talg, talg_oid;
	if (expect(&tbs, 0x02, &v->serial, NULL) || expect(&tbs, 0x30, &talg, NULL) ||
	    expect(&talg, 0x06, &talg_oid, NULL))
		return -EINVAL;
	/* RFC 5280 4.1.1.2: the signed algorithm must be the one used */
	if (talg_oid.len != v->sig_alg.len || memcmp(talg_oid.p, v->sig_alg.p, talg_oid.len) ||
	    talg.len != v->sig_params.len || memcmp(talg.p, v->sig_params.p, talg.len))
		return -EINVAL;
	if (expect(&tbs, 0x30, NULL, &v->issuer) || expect(&tbs, 0x30, &validity, NULL) ||
	    expect(&tbs, 0x30, NULL, &v->subject) || expect(&tbs, 0x30, NULL, &v->spki))
		return -EINVAL;
	if (der_read(&validity, &tag, &t1, NULL) || der_time(tag, &t1, &v->not_before) ||
	    der_read(&validity, &tag, &t2, NULL) || der_time(tag, &t2, &v->not_after) || validity.len)
		return -EINVAL;
	while (tbs.len) {
		struct der_span field;
		if (der_read(&tbs, &tag, &field, NULL))
			return -EINVAL;
		if (tag == 0x81 || tag == 0x82)
			continue;	/* issuer/subject unique IDs */
		if (tag != 0xa3 || v->version != 3)
			return -EINVAL;
		struct der_span exts;
		if (expect(&field, 0x30, &exts, NULL) || field.len)
			return -EINVAL;
		while (exts.len)
			if (parse_extension(&exts, v))
				return -EINVAL;
	}
	return 0;
}

int der_san_foreach(const uint8_t *san, size_t len, int (*cb)(int type, const uint8_t *v, size_t vlen, void *arg),
		    void *arg)
{
	struct der_span in = { san, len }, names;
	if (!len)
		return 0;
	if (expect(&in, 0x30, &names, NULL) || in.len)
		return -EINVAL;
	while (names.len) {
		uint8_t t;
		struct der_span v;
		if (der_read(&names, &t, &v, NULL))
			return -EINVAL;
		int type = t == 0x81 ? GNUTLS_SAN_RFC822NAME : t == 0x82 ? GNUTLS_SAN_DNSNAME :
			   t == 0x87 ? GNUTLS_SAN_IPADDRESS : t == 0x86 ? GNUTLS_SAN_URI : 0;
		if (!type)
			continue;
		int rc = cb(type, v.p, v.len, arg);
		if (rc)
			return rc;
	}
	return 0;
}

int der_eku_foreach(const uint8_t *eku, size_t len, int (*cb)(const char *oid, void *arg), void *arg)
{
	struct der_span in = { eku, len }, seq;
	if (!len)
		return 0;
	if (expect(&in, 0x30, &seq, NULL) || in.len)
		return -EINVAL;
	while (seq.len) {
		struct der_span oid;
		char text[64];
		if (expect(&seq, 0x06, &oid, NULL) || der_oid_text(oid.p, oid.len, text, sizeof(text)))
			return -EINVAL;
		int rc = cb(text, arg);
		if (rc)
			return rc;
	}
	return 0;
}
