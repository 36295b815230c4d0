/* SPDX-License-Identifier: MIT */
/*
 * ikev2_sig.c - IKE_AUTH signatures: the client's checked with GnuTLS
 * against the public key of its (already verified) certificate; the
 * server's method chosen from what the client announced. See ikev2_sig.h.
 *
 * RFC 7427 AlgorithmIdentifiers are parsed, not compared as whole blobs:
 * clients differ in whether ECDSA carries a NULL parameter, and RSASSA-PSS
 * parameters name the hash. Only the DER this needs is read here (tag,
 * length, value), bounded by the AUTH payload.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <kanmon/cert.h>

#include "ikev2_sig.h"

/* ---- a little DER ------------------------------------------------------------ */

struct der {
	const uint8_t *p;
	size_t len;
};

/* the next TLV of `in`: its tag and value; in advances past it. 0 or -EBADMSG. */
static int der_next(struct der *in, uint8_t *tag, struct der *val)
{
	if (in->len < 2)
		return -EBADMSG;
	size_t l = in->p[1], hdr = 2;
	if (l & 0x80) {
		size_t n = l & 0x7f;
		if (n < 1 || n > 2 || in->len < 2 + n)
			return -EBADMSG;
		l = 0;
		for (size_t i = 0; i < n; i++)
			l = l << 8 | in->p[2 + i];
		hdr += n;
	}
	if (l > in->len - hdr)
		return -EBADMSG;
	*tag = in->p[0];
	val->p = in->p + hdr;
	val->len = l;
	in->p += hdr + l;
	in->len -= hdr + l;
	return 0;
}

static bool oid_is(const struct der *oid, const uint8_t *want, size_t n)
{
	return oid->len == n && !memcmp(oid->p, want, n);
}

static const uint8_t OID_RSA_SHA1[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05 };
static const uint8_t OID_RSA_SHA256[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b };
static const uint8_t OID_RSA_SHA384[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c };
static const uint8_t OID_RSA_SHA512[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d };
static const uint8_t OID_RSA_PSS[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a };
static const uint8_t OID_ECDSA_SHA1[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01 };
static const uint8_t OID_ECDSA_SHA256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t OID_ECDSA_SHA384[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };
static const uint8_t OID_ECDSA_SHA512[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 };
static const uint8_t OID_SHA1[] = { 0x2b, 0x0e, 0x03, 0x02, 0x1a };
static const uint8_t OID_SHA256[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 };
static const uint8_t OID_SHA384[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02 };
static const uint8_t OID_SHA512[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03 };

#define OID(o) o, sizeof(o)

static uint8_t hash_of_oid(const struct der *oid)
{
	if (oid_is(oid, OID(OID_SHA1)))
		return KANMON_HASH_SHA1;
	if (oid_is(oid, OID(OID_SHA256)))
		return KANMON_HASH_SHA256;
	if (oid_is(oid, OID(OID_SHA384)))
		return KANMON_HASH_SHA384;
	if (oid_is(oid, OID(OID_SHA512)))
		return KANMON_HASH_SHA512;
	return 0;
}

static size_t hash_len(uint8_t hash)
{
	switch (hash) {
	case KANMON_HASH_SHA1: return 20;
	case KANMON_HASH_SHA256: return 32;
	case KANMON_HASH_SHA384: return 48;
	case KANMON_HASH_SHA512: return 64;
	default: return 0;
	}
}

static const char *hash_name(uint8_t hash)
{
	switch (hash) {
	case KANMON_HASH_SHA1: return "SHA1";
	case KANMON_HASH_SHA256: return "SHA256";
	case KANMON_HASH_SHA384: return "SHA384";
	case KANMON_HASH_SHA512: return "SHA512";
	default: return "?";
	}
}

/* [n] EXPLICIT AlgorithmIdentifier of a hash inside PSS parameters */
static int pss_hash(const struct der *tagged, uint8_t *hash)
{
	struct der in = *tagged, alg, oid;
	uint8_t tag;
	if (der_next(&in, &tag, &alg) || tag != 0x30 || der_next(&alg, &tag, &oid) || tag != 0x06)
		return -EBADMSG;
	*hash = hash_of_oid(&oid);
	return *hash ? 0 : -EOPNOTSUPP;
}

/*
 * RSASSA-PSS-params (RFC 4055): [0] hash (default SHA-1), [1] MGF (MGF1 with
 * the same hash is what every implementation sends), [2] salt length
 * (default 20), [3] trailer. GnuTLS verifies with salt = hash length.
 */
static int pss_params(const struct der *params, uint8_t *hash, const char **why)
{
	struct der in = *params, v;
	uint8_t tag;
	unsigned long salt = 20;
	*hash = KANMON_HASH_SHA1;
	*why = "malformed RSASSA-PSS parameters";	/* until they parse */
	while (in.len) {
		if (der_next(&in, &tag, &v))
			return -EBADMSG;
		if (tag == 0xa0) {
			int err = pss_hash(&v, hash);
			if (err) {
				*why = "RSASSA-PSS with an unknown hash";
				return err;
			}
		} else if (tag == 0xa2) {
			struct der i;
			if (der_next(&v, &tag, &i) || tag != 0x02 || i.len < 1 || i.len > 3)
				return -EBADMSG;
			salt = 0;
			for (size_t k = 0; k < i.len; k++)
				salt = salt << 8 | i.p[k];
		}
	}
	if (salt != hash_len(*hash)) {
		*why = "RSASSA-PSS salt length other than the hash length";
		return -EOPNOTSUPP;
	}
	*why = NULL;
	return 0;
}

/* The AlgorithmIdentifier of an RFC 7427 AUTH payload: what to verify with. */
static int rfc7427_alg(const uint8_t *d, size_t len, bool *ecdsa, bool *pss, uint8_t *hash, const char **why)
{
	struct der in = { d, len }, seq, oid;
	uint8_t tag;
	if (der_next(&in, &tag, &seq) || tag != 0x30 || in.len || der_next(&seq, &tag, &oid) || tag != 0x06) {
		*why = "malformed RFC 7427 AlgorithmIdentifier";
		return -EBADMSG;
	}
	static const struct {
		const uint8_t *oid;
		size_t len;
		bool ecdsa;
		uint8_t hash;
	} algs[] = {
		{ OID(OID_RSA_SHA1), false, KANMON_HASH_SHA1 },
		{ OID(OID_RSA_SHA256), false, KANMON_HASH_SHA256 },
		{ OID(OID_RSA_SHA384), false, KANMON_HASH_SHA384 },
		{ OID(OID_RSA_SHA512), false, KANMON_HASH_SHA512 },
		{ OID(OID_ECDSA_SHA1), true, KANMON_HASH_SHA1 },
		{ OID(OID_ECDSA_SHA256), true, KANMON_HASH_SHA256 },
		{ OID(OID_ECDSA_SHA384), true, KANMON_HASH_SHA384 },
		{ OID(OID_ECDSA_SHA512), true, KANMON_HASH_SHA512 },
	};
	*pss = false;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (!oid_is(&oid, algs[i].oid, algs[i].len))
			continue;
		/* parameters: absent or NULL */
		if (seq.len && !(seq.len == 2 && seq.p[0] == 0x05 && seq.p[1] == 0)) {
			*why = "unexpected signature algorithm parameters";
			return -EBADMSG;
		}
		*ecdsa = algs[i].ecdsa;
		*hash = algs[i].hash;
		return 0;
	}
	if (oid_is(&oid, OID(OID_RSA_PSS))) {
		struct der params;
		*ecdsa = false;
		*pss = true;
		if (!seq.len) {
			*why = "RSASSA-PSS with SHA-1 defaults";
			return -EOPNOTSUPP;
		}
		if (der_next(&seq, &tag, &params) || tag != 0x30 || seq.len) {
			*why = "malformed RSASSA-PSS parameters";
			return -EBADMSG;
		}
		return pss_params(&params, hash, why);
	}
	*why = "unknown RFC 7427 signature algorithm";
	return -EOPNOTSUPP;
}

static gnutls_sign_algorithm_t sign_alg(bool ecdsa, bool pss, bool pss_key, uint8_t hash)
{
	static const gnutls_sign_algorithm_t rsa[] = { 0, GNUTLS_SIGN_RSA_SHA1, GNUTLS_SIGN_RSA_SHA256,
						       GNUTLS_SIGN_RSA_SHA384, GNUTLS_SIGN_RSA_SHA512 };
	static const gnutls_sign_algorithm_t ec[] = { 0, GNUTLS_SIGN_ECDSA_SHA1, GNUTLS_SIGN_ECDSA_SHA256,
						      GNUTLS_SIGN_ECDSA_SHA384, GNUTLS_SIGN_ECDSA_SHA512 };
	/* PSS with an rsaEncryption key is GnuTLS' "RSAE" flavour */
	static const gnutls_sign_algorithm_t rsae[] = { 0, 0, GNUTLS_SIGN_RSA_PSS_RSAE_SHA256,
							GNUTLS_SIGN_RSA_PSS_RSAE_SHA384, GNUTLS_SIGN_RSA_PSS_RSAE_SHA512 };
	static const gnutls_sign_algorithm_t psskey[] = { 0, 0, GNUTLS_SIGN_RSA_PSS_SHA256, GNUTLS_SIGN_RSA_PSS_SHA384,
							  GNUTLS_SIGN_RSA_PSS_SHA512 };
	if (hash < 1 || hash > 4)
		return GNUTLS_SIGN_UNKNOWN;
	if (ecdsa)
		return ec[hash];
	if (pss)
		return pss_key ? psskey[hash] : rsae[hash];
	return rsa[hash];
}

int ikev2_sig_verify(uint8_t method, const uint8_t *sig, size_t sig_len, const uint8_t *cert, size_t cert_len,
		     const uint8_t *octets, size_t octets_len, bool allow_sha1, struct ikev2_sig_info *info,
		     const char **why)
{
	bool ecdsa = false, pss = false;
	uint8_t hash = 0;
	size_t curve_bits = 0;	/* methods 9-11 fix the curve */
	const uint8_t *s = sig;
	size_t s_len = sig_len;
	int err;

	memset(info, 0, sizeof(*info));
	info->method = method;
	*why = NULL;
	switch (method) {
	case IKEV2_AUTH_RSA:
		hash = KANMON_HASH_SHA1;
		break;
	case IKEV2_AUTH_ECDSA_256:
		ecdsa = true, hash = KANMON_HASH_SHA256, curve_bits = 256;
		break;
	case IKEV2_AUTH_ECDSA_384:
		ecdsa = true, hash = KANMON_HASH_SHA384, curve_bits = 384;
		break;
	case IKEV2_AUTH_ECDSA_521:
		ecdsa = true, hash = KANMON_HASH_SHA512, curve_bits = 521;
		break;
	case IKEV2_AUTH_DIGITAL_SIG:
		if (sig_len < 1 || (size_t)sig[0] + 1 >= sig_len) {
			*why = "truncated RFC 7427 signature";
			return -EBADMSG;
		}
		if ((err = rfc7427_alg(sig + 1, sig[0], &ecdsa, &pss, &hash, why)))
			return err;
		s = sig + 1 + sig[0];
		s_len = sig_len - 1 - sig[0];
		break;
	case IKEV2_AUTH_PSK:
		*why = "pre-shared key authentication is not accepted (certificates only)";
		return -EOPNOTSUPP;
	default:
		*why = "unknown authentication method";
		return -EOPNOTSUPP;
	}
	info->hash = hash;
	info->pss = pss;
	snprintf(info->name, sizeof(info->name), "%s-%s", ecdsa ? "ECDSA" : pss ? "RSA-PSS" : "RSA", hash_name(hash));
	if (hash == KANMON_HASH_SHA1 && !allow_sha1) {
		*why = "SHA-1 signatures are refused (sha1_signatures = false)";
		return -EOPNOTSUPP;
	}

	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t key = NULL;
	gnutls_datum_t der_sig = { NULL, 0 };
	err = -EKEYREJECTED;
	gnutls_datum_t der = { (unsigned char *)cert, (unsigned)cert_len };
	if (gnutls_x509_crt_init(&crt) || gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) ||
	    gnutls_pubkey_init(&key) || gnutls_pubkey_import_x509(key, crt, 0)) {
		*why = "the certificate's public key is unusable";
		goto out;
	}
	unsigned bits = 0;
	int pk = gnutls_pubkey_get_pk_algorithm(key, &bits);
	bool key_ec = pk == GNUTLS_PK_ECDSA, key_pss = pk == GNUTLS_PK_RSA_PSS;
	if (key_ec != ecdsa || (!ecdsa && pk != GNUTLS_PK_RSA && !key_pss) || (key_pss && !pss)) {
		*why = "the signature's algorithm does not match the certificate's key";
		goto out;
	}
	if (curve_bits && bits != curve_bits) {
		*why = "ECDSA method for another curve than the certificate's";
		goto out;
	}
	gnutls_datum_t sd = { (unsigned char *)s, (unsigned)s_len };
	if (curve_bits) {
		/* methods 9-11: r || s of the curve's size (RFC 4754), GnuTLS wants DER */
		size_t half = (curve_bits + 7) / 8;
		if (s_len != 2 * half) {
			*why = "ECDSA signature of the wrong length";
			err = -EBADMSG;
			goto out;
		}
		gnutls_datum_t r = { (unsigned char *)s, (unsigned)half }, ss = { (unsigned char *)s + half,
										   (unsigned)half };
		if (gnutls_encode_rs_value(&der_sig, &r, &ss)) {
			*why = "ECDSA signature not encodable";
			goto out;
		}
		sd = der_sig;
	}
	gnutls_sign_algorithm_t alg = sign_alg(ecdsa, pss, key_pss, hash);
	if (alg == GNUTLS_SIGN_UNKNOWN) {
		*why = "signature algorithm not supported";
		err = -EOPNOTSUPP;
		goto out;
	}
	gnutls_datum_t data = { (unsigned char *)octets, (unsigned)octets_len };
	unsigned vflags = hash == KANMON_HASH_SHA1 ? GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 : 0;
	int r = gnutls_pubkey_verify_data2(key, alg, vflags, &data, &sd);
	if (r < 0) {
		*why = r == GNUTLS_E_INSUFFICIENT_SECURITY ? "signature algorithm considered insecure by GnuTLS"
							   : "the AUTH signature does not verify with the certificate's key";
		err = r == GNUTLS_E_INSUFFICIENT_SECURITY ? -EOPNOTSUPP : -EKEYREJECTED;
		goto out;
	}
	err = 0;
out:
	gnutls_free(der_sig.data);
	gnutls_pubkey_deinit(key);
	gnutls_x509_crt_deinit(crt);
	return err;
}

int ikev2_sig_choose(uint8_t key_type, uint16_t key_bits, uint8_t peer_hashes, uint8_t *method, uint8_t *hash,
		     unsigned *flags)
{
	*flags = 0;
	if (peer_hashes) {
		/* RFC 7427: the first of SHA-256, 384, 512 the peer takes */
		static const uint8_t pref[] = { KANMON_HASH_SHA256, KANMON_HASH_SHA384, KANMON_HASH_SHA512 };
		for (size_t i = 0; i < sizeof(pref); i++) {
			if (peer_hashes & (1u << pref[i])) {
				if (key_type != KANMON_KEY_RSA && key_type != KANMON_KEY_ECDSA)
					return -EOPNOTSUPP;
				*method = IKEV2_AUTH_DIGITAL_SIG;
				*hash = pref[i];
				return 0;
			}
		}
	}
	if (key_type == KANMON_KEY_RSA) {
		*method = IKEV2_AUTH_RSA;
		*hash = KANMON_HASH_SHA1;
		return 0;
	}
	if (key_type == KANMON_KEY_ECDSA) {
		*flags = KANMON_SIGN_ECDSA_RAW;
		switch (key_bits) {
		case 256: *method = IKEV2_AUTH_ECDSA_256, *hash = KANMON_HASH_SHA256; return 0;
		case 384: *method = IKEV2_AUTH_ECDSA_384, *hash = KANMON_HASH_SHA384; return 0;
		case 521: *method = IKEV2_AUTH_ECDSA_521, *hash = KANMON_HASH_SHA512; return 0;
		default: break;
		}
	}
	return -EOPNOTSUPP;
}

size_t ikev2_sig_rfc7427_header(uint8_t key_type, uint8_t hash, uint8_t *out)
{
	const uint8_t *oid;
	size_t oid_len;
	bool null_params = key_type == KANMON_KEY_RSA;
	switch (hash) {
	case KANMON_HASH_SHA256:
		oid = key_type == KANMON_KEY_RSA ? OID_RSA_SHA256 : OID_ECDSA_SHA256;
		break;
	case KANMON_HASH_SHA384:
		oid = key_type == KANMON_KEY_RSA ? OID_RSA_SHA384 : OID_ECDSA_SHA384;
		break;
	case KANMON_HASH_SHA512:
		oid = key_type == KANMON_KEY_RSA ? OID_RSA_SHA512 : OID_ECDSA_SHA512;
		break;
	case KANMON_HASH_SHA1:
		oid = key_type == KANMON_KEY_RSA ? OID_RSA_SHA1 : OID_ECDSA_SHA1;
		break;
	default:
		return 0;
	}
	if (key_type != KANMON_KEY_RSA && key_type != KANMON_KEY_ECDSA)
		return 0;
	oid_len = key_type == KANMON_KEY_RSA ? sizeof(OID_RSA_SHA256)
		  : hash == KANMON_HASH_SHA1  ? sizeof(OID_ECDSA_SHA1)
					      : sizeof(OID_ECDSA_SHA256);
	/* length byte, SEQUENCE { OID [, NULL] } (RFC 7427 appendix A) */
	size_t inner = 2 + oid_len + (null_params ? 2 : 0);
	out[0] = (uint8_t)(2 + inner);
	out[1] = 0x30;
	out[2] = (uint8_t)inner;
	out[3] = 0x06;
	out[4] = (uint8_t)oid_len;
	memcpy(out + 5, oid, oid_len);
	if (null_params) {
		out[5 + oid_len] = 0x05;
		out[6 + oid_len] = 0x00;
	}
	return 3 + inner;
}
