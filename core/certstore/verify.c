/* SPDX-License-Identifier: MIT */
/*
 * verify.c - verifying a peer's certificate chain against the runtime store
 * (build.c): trust, validity, revocation, key usage and EKU per role,
 * identity. This runs at every IKE_AUTH, so a single certificate issued
 * directly by a trusted CA takes a fast path (der.c reads it, one signature
 * check over its TBSCertificate); anything else, or anything the fast path
 * does not read, is verified by GnuTLS's trust list. Both give the same
 * answers in the same words.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certstore_int.h"

#define OID_SERVER_AUTH "1.3.6.1.5.5.7.3.1"
#define OID_CLIENT_AUTH "1.3.6.1.5.5.7.3.2"
#define OID_IPSEC_END_SYSTEM "1.3.6.1.5.5.7.3.5"
#define OID_IPSEC_TUNNEL "1.3.6.1.5.5.7.3.6"
#define OID_IPSEC_USER "1.3.6.1.5.5.7.3.7"
#define OID_IPSEC_IKE "1.3.6.1.5.5.7.3.17"
#define OID_IKE_INTERMEDIATE "1.3.6.1.5.5.8.2.2"
#define OID_ANY_EKU "2.5.29.37.0"

/* ---- verification ------------------------------------------------------------ */

static int refuse(struct kanmon_cert_result *res, int status, const char *fmt, ...) KANMON_PRINTF(3, 4);
static int refuse(struct kanmon_cert_result *res, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	res->status = status;
	return status;
}

/* EKU per role, one OID at a time for both paths; `has` lists the refused ones. */
struct eku_acc {
	int role;
	bool seen, ok;
	char has[200];
	size_t o;
};

static int eku_one(const char *oid, void *arg)
{
	static const char *const client_ok[] = { OID_CLIENT_AUTH, OID_IPSEC_IKE, OID_IPSEC_USER, OID_IPSEC_END_SYSTEM,
						 OID_IPSEC_TUNNEL, OID_ANY_EKU, NULL };
	static const char *const server_ok[] = { OID_SERVER_AUTH, OID_IPSEC_IKE, OID_IKE_INTERMEDIATE,
						 OID_IPSEC_END_SYSTEM, OID_IPSEC_TUNNEL, OID_ANY_EKU, NULL };
	struct eku_acc *e = arg;
	const char *const *ok = e->role == KANMON_CERT_SERVER ? server_ok : client_ok;
	e->seen = true;
	for (size_t k = 0; ok[k]; k++)
		if (!strcmp(ok[k], oid)) {
			e->ok = true;
			return 1;
		}
	const char *name = !strcmp(oid, OID_SERVER_AUTH) ? "serverAuth" : !strcmp(oid, OID_CLIENT_AUTH) ? "clientAuth" : oid;
	int n = snprintf(e->has + e->o, sizeof(e->has) - e->o, "%s%s", e->o ? ", " : "", name);
	if (n > 0 && (size_t)n < sizeof(e->has) - e->o)
		e->o += (size_t)n;
	return 0;
}

/* no EKU extension: any use (RFC 5280 4.2.1.12) */
static bool eku_done(const struct eku_acc *e)
{
	return !e->seen || e->ok;
}

static bool eku_ok(gnutls_x509_crt_t crt, int role, char *has, size_t has_len)
{
	struct eku_acc e = { .role = role };
	for (unsigned i = 0;; i++) {
		char oid[128];
		size_t l = sizeof(oid);
		if (gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &l, NULL) < 0 || eku_one(oid, &e))
			break;
	}
	snprintf(has, has_len, "%s", e.has);
	return eku_done(&e);
}

static void status_reason(struct kanmon_cert_result *res, unsigned status, gnutls_x509_crt_t ee)
{
	char date[40];
	if (status & GNUTLS_CERT_EXPIRED) {
		time_t na = gnutls_x509_crt_get_expiration_time(ee);
		if (na != (time_t)-1 && na < time(NULL)) {
			certstore_date_text(na, date, sizeof(date));
			refuse(res, -EKEYEXPIRED, "certificate expired on %s", date);
		} else {
			refuse(res, -EKEYEXPIRED, "the issuing CA's certificate has expired");
		}
	} else if (status & GNUTLS_CERT_NOT_ACTIVATED) {
		certstore_date_text(gnutls_x509_crt_get_activation_time(ee), date, sizeof(date));
		refuse(res, -EKEYEXPIRED, "certificate is valid only from %s (is the peer's or our clock wrong?)", date);
	} else if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
		refuse(res, -EKEYREJECTED, "issued by \"%s\", a CA this server does not trust", res->issuer);
	} else if (status & GNUTLS_CERT_SIGNATURE_FAILURE) {
		refuse(res, -EKEYREJECTED, "bad signature: the certificate is forged or damaged");
	} else if (status & GNUTLS_CERT_INSECURE_ALGORITHM) {
		refuse(res, -EKEYREJECTED, "signed with an insecure algorithm (SHA-1 or MD5): reissue it with SHA-256");
	} else if (status & GNUTLS_CERT_SIGNER_NOT_CA) {
		refuse(res, -EKEYREJECTED, "its issuer \"%s\" is not a CA certificate", res->issuer);
	} else if (status & GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE) {
		refuse(res, -EKEYREJECTED, "its issuer's constraints forbid it (path length or key usage of the CA)");
	} else if (status & GNUTLS_CERT_REVOKED) {
		refuse(res, -EKEYREVOKED, "certificate revoked");
	} else {
		gnutls_datum_t txt = { NULL, 0 };
		gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &txt, 0);
		refuse(res, -EKEYREJECTED, "not accepted: %s", txt.data ? (char *)txt.data : "verification failed");
		gnutls_free(txt.data);
	}
}

/* ---- the fast path ------------------------------------------------------------ */

/* The signature algorithms the fast path checks itself; others go GnuTLS's way. */
static gnutls_sign_algorithm_t sign_algo(const struct x509_view *v)
{
	static const struct {
		uint8_t oid[9];
		uint8_t len;
		bool rsa;
		gnutls_sign_algorithm_t algo;
	} algos[] = {
		{ { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b }, 9, true, GNUTLS_SIGN_RSA_SHA256 },
		{ { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c }, 9, true, GNUTLS_SIGN_RSA_SHA384 },
		{ { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d }, 9, true, GNUTLS_SIGN_RSA_SHA512 },
		{ { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 }, 8, false, GNUTLS_SIGN_ECDSA_SHA256 },
		{ { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 }, 8, false, GNUTLS_SIGN_ECDSA_SHA384 },
		{ { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 }, 8, false, GNUTLS_SIGN_ECDSA_SHA512 },
	};
	for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++) {
		if (v->sig_alg.len != algos[i].len || memcmp(v->sig_alg.p, algos[i].oid, algos[i].len))
			continue;
		/* RSA: NULL parameters (or none); ECDSA: none (RFC 5758 3.2) */
		bool params_ok = algos[i].rsa ? (!v->sig_params.len ||
						 (v->sig_params.len == 2 && v->sig_params.p[0] == 0x05 && !v->sig_params.p[1]))
					      : !v->sig_params.len;
		return params_ok ? algos[i].algo : GNUTLS_SIGN_UNKNOWN;
	}
	return GNUTLS_SIGN_UNKNOWN;
}

/*
 * One certificate issued directly by a trusted CA. Returns 1 when it decided
 * (res->status set), 0 when GnuTLS's path must decide (a chain, an algorithm
 * or extension this path does not read, an issuer it does not know).
 */
static int verify_fast(struct certstore *cs, const uint8_t *der, size_t len, int role, const struct kanmon_id *id,
		       time_t now, struct kanmon_cert_result *res)
{
	struct x509_view v;
	char date[40];
	if (x509_view_parse(der, len, &v) || v.version != 3 || v.unknown_critical ||
	    (id && id->type == KANMON_ID_KEY_ID))
		return 0;
	gnutls_sign_algorithm_t algo = sign_algo(&v);
	const uint8_t *serial;
	size_t serial_len = cert_serial_norm(v.serial.p, v.serial.len, &serial);
	if (algo == GNUTLS_SIGN_UNKNOWN || !serial_len || serial_len > 20)
		return 0;
	gnutls_datum_t subj = { (unsigned char *)(uintptr_t)v.subject.p, (unsigned)v.subject.len };
	gnutls_datum_t iss = { (unsigned char *)(uintptr_t)v.issuer.p, (unsigned)v.issuer.len };
	if (cert_dn_text(&subj, res->subject, sizeof(res->subject)) || cert_dn_text(&iss, res->issuer, sizeof(res->issuer)))
		return 0;
	cert_hex(serial, serial_len, res->serial);
	res->not_after = v.not_after;

	/* revocation first: a set lookup, cheaper than the signature check */
	const struct rev_entry *e = certstore_rev_find(cs, res->issuer, serial, serial_len);
	if (e) {
		certstore_date_text((time_t)e->when, date, sizeof(date));
		refuse(res, -EKEYREVOKED, "certificate revoked on %s", date);
		return 1;
	}
	const struct ca_fast *ca = NULL;
	bool named = false;
	gnutls_datum_t tbs = { (unsigned char *)(uintptr_t)v.tbs.p, (unsigned)v.tbs.len };
	gnutls_datum_t sig = { (unsigned char *)(uintptr_t)v.sig.p, (unsigned)v.sig.len };
	for (size_t i = 0; i < cs->n_cas && !ca; i++) {
		const struct ca_fast *f = &cs->fast[i];
		if (!f->pub || f->subject.size != v.issuer.len || memcmp(f->subject.data, v.issuer.p, v.issuer.len))
			continue;
		named = true;
		/* same name, other key (a renewed CA): try the next one */
		if (gnutls_pubkey_verify_data2(f->pub, algo, 0, &tbs, &sig) >= 0)
			ca = f;
	}
	if (!ca) {
		if (!named)
			return 0;	/* an intermediate, or a CA GnuTLS's path names better */
		refuse(res, -EKEYREJECTED, "bad signature: the certificate is forged or damaged");
		return 1;
	}
	if ((ca->not_after != (time_t)-1 && now > ca->not_after) ||
	    (ca->not_before != (time_t)-1 && now < ca->not_before)) {
		refuse(res, -EKEYEXPIRED, "the issuing CA's certificate has expired");
		return 1;
	}
	if (now > v.not_after) {
		certstore_date_text(v.not_after, date, sizeof(date));
		refuse(res, -EKEYEXPIRED, "certificate expired on %s", date);
		return 1;
	}
	if (now < v.not_before) {
		certstore_date_text(v.not_before, date, sizeof(date));
		refuse(res, -EKEYEXPIRED, "certificate is valid only from %s (is the peer's or our clock wrong?)", date);
		return 1;
	}
	if (v.is_ca) {
		refuse(res, -EKEYREJECTED, "this is a CA certificate, not a %s's",
		       role == KANMON_CERT_SERVER ? "server" : "client");
		return 1;
	}
	if (v.has_ku && !(v.ku & (GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_NON_REPUDIATION))) {
		refuse(res, -EKEYREJECTED, "its key usage does not allow signatures (no digitalSignature)");
		return 1;
	}
	struct eku_acc ek = { .role = role };
	if (der_eku_foreach(v.eku.p, v.eku.len, eku_one, &ek) < 0)
		return 0;
	if (!eku_done(&ek)) {
		refuse(res, -EKEYREJECTED, "its extended key usage (%s) does not allow a VPN %s: issue it as a %s certificate",
		       ek.has, role == KANMON_CERT_SERVER ? "server" : "client", role == KANMON_CERT_SERVER ? "server" : "client");
		return 1;
	}
	if (id && !cert_has_id_raw(&v.subject, &v.san, id)) {
		char want[256];
		cert_id_text(id, want, sizeof(want));
		refuse(res, -EKEYREJECTED, "the certificate does not carry the identity %s the peer claimed (subject %s; put it in a subjectAltName)",
		       want, res->subject);
		return 1;
	}
	res->status = 0;
	return 1;
}

static void result_clear(struct kanmon_cert_result *res)
{
	res->status = 0;
	res->reason[0] = res->subject[0] = res->issuer[0] = res->serial[0] = '\0';
	res->not_after = 0;
}

/* ---- GnuTLS's path: chains and everything the fast path leaves ---------------- */

static int verify_slow(struct certstore *cs, gnutls_x509_crt_t *chain, size_t n, int role, const struct kanmon_id *id,
		       struct kanmon_cert_result *res)
{
	char date[40], has[256];
	result_clear(res);
	gnutls_x509_crt_t ee = chain[0];
	cert_subject_text(ee, res->subject, sizeof(res->subject));
	cert_issuer_text(ee, res->issuer, sizeof(res->issuer));
	if (cert_serial_hex(ee, res->serial))
		return refuse(res, -EKEYREJECTED, "the certificate has no valid serial number");
	res->not_after = gnutls_x509_crt_get_expiration_time(ee);

	/* revocation first: a set lookup, cheaper than the signature check */
	for (size_t i = 0; i < n; i++) {
		uint8_t raw[64];
		size_t len = sizeof(raw);
		char issuer[CERT_DN_MAX];
		if (gnutls_x509_crt_get_serial(chain[i], raw, &len) < 0)
			continue;
		const char *iss = res->issuer;
		if (i) {
			cert_issuer_text(chain[i], issuer, sizeof(issuer));
			iss = issuer;
		}
		const struct rev_entry *e = certstore_rev_find(cs, iss, raw, len);
		if (e) {
			certstore_date_text((time_t)e->when, date, sizeof(date));
			return refuse(res, -EKEYREVOKED, "%s revoked on %s", i ? "an intermediate CA certificate was"
									      : "certificate", date);
		}
	}

	unsigned status = 0;
	int rc = gnutls_x509_trust_list_verify_crt2(cs->tl, chain, (unsigned)n, NULL, 0, 0, &status, NULL);
	if (rc < 0)
		return refuse(res, -EKEYREJECTED, "cannot verify: %s", gnutls_strerror(rc));
	if (status) {
		status_reason(res, status, ee);
		return res->status;
	}

	unsigned is_ca = 0;
	if (gnutls_x509_crt_get_basic_constraints(ee, NULL, &is_ca, NULL) >= 0 && is_ca)
		return refuse(res, -EKEYREJECTED, "this is a CA certificate, not a %s's",
			      role == KANMON_CERT_SERVER ? "server" : "client");
	unsigned ku = 0;
	if (gnutls_x509_crt_get_key_usage(ee, &ku, NULL) >= 0 &&
	    !(ku & (GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_NON_REPUDIATION)))
		return refuse(res, -EKEYREJECTED, "its key usage does not allow signatures (no digitalSignature)");
	if (!eku_ok(ee, role, has, sizeof(has)))
		return refuse(res, -EKEYREJECTED, "its extended key usage (%s) does not allow a VPN %s: issue it as a %s certificate",
			      has, role == KANMON_CERT_SERVER ? "server" : "client",
			      role == KANMON_CERT_SERVER ? "server" : "client");
	if (id && !cert_has_id(ee, id)) {
		char want[256];
		cert_id_text(id, want, sizeof(want));
		return refuse(res, -EKEYREJECTED, "the certificate does not carry the identity %s the peer claimed (subject %s; put it in a subjectAltName)",
			      want, res->subject);
	}
	return 0;
}

int certstore_verify_crts(struct certstore *cs, gnutls_x509_crt_t *chain, size_t n, int role,
			  const struct kanmon_id *id, time_t now, struct kanmon_cert_result *res)
{
	result_clear(res);
	if (!n || n > MAX_CHAIN)
		return refuse(res, -EINVAL, n ? "too many certificates in the chain" : "no certificate");
	if (n == 1) {
		/* kanmonctl cert check: the very path kanmond takes for this certificate */
		gnutls_datum_t der;
		int decided = 0;
		if (gnutls_x509_crt_export2(chain[0], GNUTLS_X509_FMT_DER, &der) >= 0) {
			decided = verify_fast(cs, der.data, der.size, role, id, now, res);
			gnutls_free(der.data);
		}
		if (decided)
			return res->status;
	}
	return verify_slow(cs, chain, n, role, id, res);
}

int certstore_verify(struct certstore *cs, const struct kanmon_blob *chain, size_t n, int role,
		     const struct kanmon_id *id, time_t now, struct kanmon_cert_result *res)
{
	gnutls_x509_crt_t crts[MAX_CHAIN];
	size_t got = 0;
	int rc;
	result_clear(res);
	if (!n || n > MAX_CHAIN || !chain)
		return refuse(res, -EINVAL, n ? "too many certificates in the chain" : "no certificate");
	if (n == 1 && verify_fast(cs, chain[0].data, chain[0].len, role, id, now, res))
		return res->status;
	for (; got < n; got++)
		if (cert_from_der(chain[got].data, chain[got].len, &crts[got])) {
			result_clear(res);
			rc = refuse(res, -EINVAL, "certificate %zu of the chain is not valid DER", got + 1);
			goto out;
		}
	rc = verify_slow(cs, crts, n, role, id, res);
out:
	for (size_t i = 0; i < got; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return rc;
}
