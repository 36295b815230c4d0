/* SPDX-License-Identifier: MIT */
/*
 * p12.c - writing PKCS#12 (RFC 7292) in the legacy format every iOS,
 * Windows and Android version imports: the certificates in an encryptedData
 * and the key in a pkcs8ShroudedKeyBag, both pbeWithSHAAnd3-KeyTripleDES-CBC,
 * an HMAC-SHA1 MAC, friendlyName and localKeyId tying key and certificate.
 *
 * Why not gnutls_pkcs12_*: GnuTLS 3.7 fixes the PBE iteration count at
 * 600,000 for each of the three derivations, which made a client bundle
 * take ~0.3 s of pure KDF here and makes old phones crawl on import, while
 * the passphrase is a generated ~99-bit secret (export.c) that needs no key
 * stretching. We use 2048 iterations, what OpenSSL's legacy writer and
 * Windows' own export use, so the files look like the ones every client
 * has imported for two decades. Reading PKCS#12 stays with GnuTLS (load.c).
 *
 * Everything is DER, built inside out: each structure is encoded into its
 * own buffer and wrapped, so every length is minimal.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "certstore.h"

#define P12_ITERATIONS 2048
#define SALT_LEN 8

struct dbuf {
	uint8_t *p;
	size_t len, cap;
	bool failed;
};

static void put(struct dbuf *b, const void *data, size_t len)
{
	if (b->failed || !len)
		return;
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + len)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void dbuf_free(struct dbuf *b)
{
	if (b->p)
		gnutls_memset(b->p, 0, b->cap);	/* may hold key material in the clear */
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void tlv(struct dbuf *b, uint8_t tag, const void *v, size_t len)
{
	uint8_t h[6];
	size_t n = 0;
	h[n++] = tag;
	if (len < 0x80) {
		h[n++] = (uint8_t)len;
	} else {
		size_t bytes = len > 0xffffff ? 4 : len > 0xffff ? 3 : len > 0xff ? 2 : 1;
		h[n++] = (uint8_t)(0x80 | bytes);
		for (size_t i = bytes; i-- > 0;)
			h[n++] = (uint8_t)(len >> (8 * i));
	}
	put(b, h, n);
	put(b, v, len);
}

/* wraps `in` (its content) as one TLV appended to out, then empties in */
static void wrap(struct dbuf *out, uint8_t tag, struct dbuf *in)
{
	if (in->failed)
		out->failed = true;
	else
		tlv(out, tag, in->p, in->len);
	dbuf_free(in);
}

static void oid(struct dbuf *b, const uint8_t *o, size_t len)
{
	tlv(b, 0x06, o, len);
}

static void integer(struct dbuf *b, unsigned v)
{
	uint8_t x[5];
	size_t n = 0;
	uint8_t bytes[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	size_t i = 0;
	while (i < 3 && bytes[i] == 0 && !(bytes[i + 1] & 0x80))
		i++;
	if (bytes[i] & 0x80)
		x[n++] = 0;
	memcpy(x + n, bytes + i, 4 - i);
	tlv(b, 0x02, x, n + 4 - i);
}

static const uint8_t OID_DATA[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };
static const uint8_t OID_ENCRYPTED_DATA[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06 };
static const uint8_t OID_PBE_3DES[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x03 };
static const uint8_t OID_KEY_BAG[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02 };
static const uint8_t OID_CERT_BAG[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x03 };
static const uint8_t OID_X509_CERT[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x16, 0x01 };
static const uint8_t OID_FRIENDLY_NAME[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x14 };
static const uint8_t OID_LOCAL_KEY_ID[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x15 };
static const uint8_t OID_SHA1[] = { 0x2b, 0x0e, 0x03, 0x02, 0x1a };

/* The passphrase as PKCS#12 wants it: BMPString, two zero bytes at the end (RFC 7292 B.1). */
static int bmp_password(const char *pass, uint8_t **out, size_t *len)
{
	size_t n = strlen(pass);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)pass[i] >= 0x80)
			return -EINVAL;	/* our passphrases are ASCII; UTF-16 of the rest is not worth the risk */
	*len = 2 * n + 2;
	*out = calloc(1, *len);
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		(*out)[2 * i + 1] = (uint8_t)pass[i];
	return 0;
}

/* RFC 7292 appendix B.2 with SHA-1 (u = 20, v = 64): n bytes of key material for purpose id. */
static int kdf(const uint8_t *pw, size_t pw_len, const uint8_t *salt, size_t salt_len, uint8_t id, unsigned iter,
	       uint8_t *out, size_t n)
{
	enum { U = 20, V = 64 };
	size_t slen = V * ((salt_len + V - 1) / V), plen = V * ((pw_len + V - 1) / V), ilen = slen + plen;
	uint8_t *I = malloc(ilen), *buf = malloc(V + ilen);
	uint8_t A[U], B[V];
	int err = 0;
	if (!I || !buf) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < slen; i++)
		I[i] = salt[i % salt_len];
	for (size_t i = 0; i < plen; i++)
		I[slen + i] = pw[i % pw_len];
	memset(buf, id, V);
	for (size_t done = 0; done < n;) {
		memcpy(buf + V, I, ilen);
		if (gnutls_hash_fast(GNUTLS_DIG_SHA1, buf, V + ilen, A) < 0) {
			err = -EIO;
			goto out;
		}
		for (unsigned r = 1; r < iter; r++)
			if (gnutls_hash_fast(GNUTLS_DIG_SHA1, A, U, A) < 0) {
				err = -EIO;
				goto out;
			}
		size_t take = n - done < U ? n - done : U;
		memcpy(out + done, A, take);
		done += take;
		if (done >= n)
			break;
		for (size_t i = 0; i < V; i++)
			B[i] = A[i % U];
		/* I_j = (I_j + B + 1) mod 2^512, for each 64-byte block of I */
		for (size_t j = 0; j < ilen; j += V) {
			unsigned carry = 1;
			for (size_t k = V; k-- > 0;) {
				carry += (unsigned)I[j + k] + B[k];
				I[j + k] = (uint8_t)carry;
				carry >>= 8;
			}
		}
	}
out:
	if (I)
		gnutls_memset(I, 0, ilen);
	if (buf)
		gnutls_memset(buf, 0, V + ilen);
	gnutls_memset(A, 0, sizeof(A));
	free(I);
	free(buf);
	return err;
}

/* pbeWithSHAAnd3-KeyTripleDES-CBC over in; appends the AlgorithmIdentifier to alg and the ciphertext to ct. */
static int pbe_encrypt(const uint8_t *pw, size_t pw_len, const uint8_t *in, size_t in_len, struct dbuf *alg,
		       struct dbuf *ct)
{
	uint8_t salt[SALT_LEN], key[24], iv[8];
	gnutls_cipher_hd_t h = NULL;
	int err = -EIO;
	size_t len = (in_len / 8 + 1) * 8;	/* PKCS#7 padding: 1..8 bytes */
	uint8_t *buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, in, in_len);
	memset(buf + in_len, (int)(len - in_len), len - in_len);
	if (gnutls_rnd(GNUTLS_RND_NONCE, salt, sizeof(salt)) < 0 ||
	    kdf(pw, pw_len, salt, sizeof(salt), 1, P12_ITERATIONS, key, sizeof(key)) ||
	    kdf(pw, pw_len, salt, sizeof(salt), 2, P12_ITERATIONS, iv, sizeof(iv)))
		goto out;
	gnutls_datum_t k = { key, sizeof(key) }, v = { iv, sizeof(iv) };
	if (gnutls_cipher_init(&h, GNUTLS_CIPHER_3DES_CBC, &k, &v) < 0 || gnutls_cipher_encrypt(h, buf, len) < 0)
		goto out;
	struct dbuf params = { 0 };
	tlv(&params, 0x04, salt, sizeof(salt));
	integer(&params, P12_ITERATIONS);
	oid(alg, OID_PBE_3DES, sizeof(OID_PBE_3DES));
	wrap(alg, 0x30, &params);
	put(ct, buf, len);
	err = alg->failed || ct->failed ? -ENOMEM : 0;
out:
	if (h)
		gnutls_cipher_deinit(h);
	gnutls_memset(key, 0, sizeof(key));
	gnutls_memset(buf, 0, len);
	free(buf);
	return err;
}

/* DER orders a SET OF by the encodings, the shorter one as if padded with zeros (X.690 11.6) */
static int der_order(const struct dbuf *a, const struct dbuf *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->p, b->p, n);
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* bagAttributes: friendlyName (BMPString) and localKeyId, each optional */
static void attributes(struct dbuf *bag, const char *friendly, const uint8_t *kid, size_t kid_len)
{
	struct dbuf fa = { 0 }, ka = { 0 }, set = { 0 };
	if (friendly) {
		struct dbuf a = { 0 }, v = { 0 }, bmp = { 0 };
		for (const char *c = friendly; *c; c++) {
			uint8_t u[2] = { 0, (uint8_t)((unsigned char)*c < 0x80 ? *c : '?') };
			put(&bmp, u, 2);
		}
		wrap(&v, 0x1e, &bmp);
		oid(&a, OID_FRIENDLY_NAME, sizeof(OID_FRIENDLY_NAME));
		wrap(&a, 0x31, &v);
		wrap(&fa, 0x30, &a);
	}
	if (kid) {
		struct dbuf a = { 0 }, v = { 0 };
		tlv(&v, 0x04, kid, kid_len);
		oid(&a, OID_LOCAL_KEY_ID, sizeof(OID_LOCAL_KEY_ID));
		wrap(&a, 0x31, &v);
		wrap(&ka, 0x30, &a);
	}
	if (fa.failed || ka.failed)
		bag->failed = true;
	if (!fa.len && !ka.len)
		return;
	struct dbuf *first = &fa, *second = &ka;
	if (fa.len && ka.len && der_order(&fa, &ka) > 0) {
		first = &ka;
		second = &fa;
	}
	put(&set, first->p, first->len);
	put(&set, second->p, second->len);
	dbuf_free(&fa);
	dbuf_free(&ka);
	wrap(bag, 0x31, &set);
}

static void cert_bag(struct dbuf *contents, gnutls_x509_crt_t crt, const char *friendly, const uint8_t *kid,
		     size_t kid_len)
{
	gnutls_datum_t der;
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0) {
		contents->failed = true;
		return;
	}
	struct dbuf cb = { 0 }, value = { 0 }, inner = { 0 }, bag = { 0 }, explicit0 = { 0 };
	tlv(&value, 0x04, der.data, der.size);
	gnutls_free(der.data);
	oid(&cb, OID_X509_CERT, sizeof(OID_X509_CERT));
	wrap(&cb, 0xa0, &value);
	wrap(&inner, 0x30, &cb);
	oid(&bag, OID_CERT_BAG, sizeof(OID_CERT_BAG));
	put(&explicit0, inner.p, inner.len);
	explicit0.failed = inner.failed;
	dbuf_free(&inner);
	wrap(&bag, 0xa0, &explicit0);
	attributes(&bag, friendly, kid, kid_len);
	wrap(contents, 0x30, &bag);
}

int cert_export_p12(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, gnutls_x509_crt_t ca,
		    const char *friendly, const char *pass, gnutls_datum_t *out, struct diag *d)
{
	uint8_t *pw = NULL, kid[64], salt[SALT_LEN], mac_key[20], mac[20];
	size_t pw_len = 0, kid_len = sizeof(kid);
	gnutls_datum_t pk8 = { NULL, 0 };
	struct dbuf safe = { 0 }, pfx = { 0 };
	int err = -EIO;
	out->data = NULL;
	out->size = 0;
	if (!pass || !*pass) {
		/* Windows imports a PKCS#12 without passphrase into the wrong store (seed A) */
		diag_add(d, "a PKCS#12 file needs a passphrase");
		return -EINVAL;
	}
	if (!cert_key_matches(crt, key)) {
		diag_add(d, "the private key does not belong to the certificate");
		return -EINVAL;
	}
	if (bmp_password(pass, &pw, &pw_len)) {
		diag_add(d, "a PKCS#12 passphrase must be ASCII");
		return -EINVAL;
	}
	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, kid, &kid_len) < 0)
		goto out;

	/* 1. the certificates: a SafeContents, encrypted as one encryptedData */
	struct dbuf bags = { 0 }, plain = { 0 };
	cert_bag(&bags, crt, friendly, kid, kid_len);
	if (ca)
		cert_bag(&bags, ca, NULL, NULL, 0);
	wrap(&plain, 0x30, &bags);
	struct dbuf alg = { 0 }, ct = { 0 }, eci = { 0 }, ed = { 0 }, ci = { 0 }, e0 = { 0 };
	err = plain.failed ? -ENOMEM : pbe_encrypt(pw, pw_len, plain.p, plain.len, &alg, &ct);
	dbuf_free(&plain);
	if (err) {
		dbuf_free(&alg);
		dbuf_free(&ct);
		goto out;
	}
	oid(&eci, OID_DATA, sizeof(OID_DATA));
	wrap(&eci, 0x30, &alg);
	wrap(&eci, 0x80, &ct);	/* [0] IMPLICIT OCTET STRING */
	integer(&ed, 0);
	wrap(&ed, 0x30, &eci);
	struct dbuf edseq = { 0 };
	wrap(&edseq, 0x30, &ed);
	oid(&ci, OID_ENCRYPTED_DATA, sizeof(OID_ENCRYPTED_DATA));
	wrap(&e0, 0xa0, &edseq);
	put(&ci, e0.p, e0.len);
	ci.failed |= e0.failed;
	dbuf_free(&e0);
	wrap(&safe, 0x30, &ci);

	/* 2. the key: a pkcs8ShroudedKeyBag in a plain data SafeContents */
	err = -EIO;
	if (gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_DER, NULL, GNUTLS_PKCS_PLAIN, &pk8) < 0)
		goto out;
	struct dbuf kalg = { 0 }, kct = { 0 }, epki = { 0 }, bag = { 0 }, v0 = { 0 }, kbags = { 0 }, sc = { 0 };
	err = pbe_encrypt(pw, pw_len, pk8.data, pk8.size, &kalg, &kct);
	if (err) {
		dbuf_free(&kalg);
		dbuf_free(&kct);
		goto out;
	}
	wrap(&epki, 0x30, &kalg);
	wrap(&epki, 0x04, &kct);
	struct dbuf epki_seq = { 0 };
	wrap(&epki_seq, 0x30, &epki);
	oid(&bag, OID_KEY_BAG, sizeof(OID_KEY_BAG));
	wrap(&v0, 0xa0, &epki_seq);
	put(&bag, v0.p, v0.len);
	bag.failed |= v0.failed;
	dbuf_free(&v0);
	attributes(&bag, friendly, kid, kid_len);
	wrap(&kbags, 0x30, &bag);
	wrap(&sc, 0x30, &kbags);	/* SafeContents DER */
	struct dbuf octets = { 0 }, data0 = { 0 }, dci = { 0 };
	wrap(&octets, 0x04, &sc);
	wrap(&data0, 0xa0, &octets);
	oid(&dci, OID_DATA, sizeof(OID_DATA));
	put(&dci, data0.p, data0.len);
	dci.failed |= data0.failed;
	dbuf_free(&data0);
	wrap(&safe, 0x30, &dci);

	/* 3. AuthenticatedSafe, its MAC, the PFX */
	struct dbuf auth = { 0 };
	wrap(&auth, 0x30, &safe);	/* the bytes the MAC covers */
	err = -EIO;
	if (auth.failed || gnutls_rnd(GNUTLS_RND_NONCE, salt, sizeof(salt)) < 0 ||
	    kdf(pw, pw_len, salt, sizeof(salt), 3, P12_ITERATIONS, mac_key, sizeof(mac_key)) ||
	    gnutls_hmac_fast(GNUTLS_MAC_SHA1, mac_key, sizeof(mac_key), auth.p, auth.len, mac) < 0) {
		dbuf_free(&auth);
		goto out;
	}
	struct dbuf as_octets = { 0 }, as0 = { 0 }, as_ci = { 0 }, digalg = { 0 }, di = { 0 }, md = { 0 };
	wrap(&as_octets, 0x04, &auth);
	wrap(&as0, 0xa0, &as_octets);
	oid(&as_ci, OID_DATA, sizeof(OID_DATA));
	put(&as_ci, as0.p, as0.len);
	as_ci.failed |= as0.failed;
	dbuf_free(&as0);
	oid(&digalg, OID_SHA1, sizeof(OID_SHA1));
	tlv(&digalg, 0x05, NULL, 0);
	wrap(&di, 0x30, &digalg);
	tlv(&di, 0x04, mac, sizeof(mac));
	struct dbuf di_seq = { 0 };
	wrap(&di_seq, 0x30, &di);
	put(&md, di_seq.p, di_seq.len);
	md.failed |= di_seq.failed;
	dbuf_free(&di_seq);
	tlv(&md, 0x04, salt, sizeof(salt));
	integer(&md, P12_ITERATIONS);
	integer(&pfx, 3);
	wrap(&pfx, 0x30, &as_ci);
	wrap(&pfx, 0x30, &md);
	struct dbuf whole = { 0 };
	wrap(&whole, 0x30, &pfx);
	if (whole.failed) {
		err = -ENOMEM;
		dbuf_free(&whole);
		goto out;
	}
	out->data = gnutls_malloc(whole.len);
	if (!out->data) {
		err = -ENOMEM;
		dbuf_free(&whole);
		goto out;
	}
	memcpy(out->data, whole.p, whole.len);
	out->size = (unsigned)whole.len;
	dbuf_free(&whole);
	err = 0;
out:
	if (err && !d->n)
		diag_add(d, "cannot build the PKCS#12 file");
	if (pk8.data) {
		gnutls_memset(pk8.data, 0, pk8.size);
		gnutls_free(pk8.data);
	}
	if (pw) {
		gnutls_memset(pw, 0, pw_len);
		free(pw);
	}
	gnutls_memset(mac_key, 0, sizeof(mac_key));
	dbuf_free(&safe);
	dbuf_free(&pfx);
	return err;
}
