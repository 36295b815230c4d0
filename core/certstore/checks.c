/* SPDX-License-Identifier: MIT */
/*
 * checks.c - a server certificate against what the clients demand
 * (CLIENTS.md 1b and pain point 2), so the operator reads "Windows will
 * refuse this (error 13801)" at start-up instead of debugging a phone.
 *
 *  - iOS 13+/macOS: a subjectAltName matching the remote ID (the CN is
 *    ignored); serverAuth EKU; older macOS also the IKE intermediate EKU.
 *  - Windows IKEv2: serverAuth EKU; an address must be a dNSName SAN, not
 *    only an iPAddress SAN (error 13801).
 *  - Android native IKEv2: the hostname in a SAN.
 *  - Android L2TP/IPsec (racoon): the CN equal to what is typed on the phone
 *    and the certificate issued directly by the root, because racoon uses
 *    the first CERT payload only and Android imports one CA certificate.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "certstore.h"

#define OID_SERVER_AUTH "1.3.6.1.5.5.7.3.1"
#define OID_IKE_INTERMEDIATE "1.3.6.1.5.5.8.2.2"
#define OID_IPSEC_IKE "1.3.6.1.5.5.7.3.17"
#define OID_ANY_EKU "2.5.29.37.0"

static void date_text(time_t t, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

/* Is there a SAN of `want_type` equal to `want` (case-insensitively for names; raw for addresses)? */
static bool has_san(gnutls_x509_crt_t c, int want_type, const void *want, size_t want_len)
{
	for (unsigned i = 0;; i++) {
		char san[256];
		size_t sl = sizeof(san) - 1;
		int type = gnutls_x509_crt_get_subject_alt_name(c, i, san, &sl, NULL);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return false;
		if (type != want_type)
			continue;
		if (type == GNUTLS_SAN_IPADDRESS) {
			if (sl == want_len && !memcmp(san, want, sl))
				return true;
		} else {
			san[sl < sizeof(san) ? sl : sizeof(san) - 1] = '\0';
			if (strlen(san) == want_len && !strncasecmp(san, want, want_len))
				return true;
			/* a wildcard SAN covers one label */
			const char *dot = memchr(want, '.', want_len);
			if (san[0] == '*' && san[1] == '.' && dot && dot != want &&
			    strlen(san + 1) == want_len - (size_t)(dot - (const char *)want) &&
			    !strncasecmp(san + 1, dot, strlen(san + 1)))
				return true;
		}
	}
}

static bool has_eku(gnutls_x509_crt_t c, const char *oid, bool *any_present)
{
	*any_present = false;
	for (unsigned i = 0;; i++) {
		char buf[128];
		size_t l = sizeof(buf);
		int rc = gnutls_x509_crt_get_key_purpose_oid(c, i, buf, &l, NULL);
		if (rc < 0)
			return false;
		*any_present = true;
		if (!strcmp(buf, oid))
			return true;
	}
}

int cert_check_server(gnutls_x509_crt_t crt, const char *label, const char *server_id, int issuer_root,
		      time_t now, struct diag *warn)
{
	int n = 0;
	char cn[256], date[32];
	cert_cn(crt, cn, sizeof(cn));
	const char *id = server_id && *server_id ? server_id : cn;

	time_t nb = gnutls_x509_crt_get_activation_time(crt), na = gnutls_x509_crt_get_expiration_time(crt);
	if (na != (time_t)-1 && na < now) {
		date_text(na, date, sizeof(date));
		diag_add(warn, "%s expired on %s: every client refuses it; issue a new one (kanmonctl cert issue server)",
			 label, date);
		n++;
	} else if (nb != (time_t)-1 && nb > now) {
		date_text(nb, date, sizeof(date));
		diag_add(warn, "%s is valid only from %s: every client refuses it until then (is the clock right?)",
			 label, date);
		n++;
	} else if (na != (time_t)-1 && na - now < 30 * 86400) {
		date_text(na, date, sizeof(date));
		diag_add(warn, "%s expires on %s (in %lld days): renew it before every client starts refusing it",
			 label, date, (long long)((na - now) / 86400));
		n++;
	}

	if (!*id) {
		diag_add(warn, "%s has no CN and no server ID is configured (ca.server_id): cannot check the names clients will match",
			 label);
		n++;
	} else {
		uint8_t addr[16];
		int af = inet_pton(AF_INET, id, addr) == 1 ? AF_INET : inet_pton(AF_INET6, id, addr) == 1 ? AF_INET6 : 0;
		if (af) {
			if (!has_san(crt, GNUTLS_SAN_DNSNAME, id, strlen(id))) {
				diag_add(warn, "%s has no subjectAltName DNS:%s for server address %s: Windows refuses an address that is not a dNSName SAN (error 13801)",
					 label, id, id);
				n++;
			}
			if (!has_san(crt, GNUTLS_SAN_IPADDRESS, addr, af == AF_INET ? 4 : 16)) {
				diag_add(warn, "%s has no subjectAltName IP:%s for server address %s: iOS/macOS and Android native IKEv2 refuse it when given the address",
					 label, id, id);
				n++;
			}
		} else if (!has_san(crt, GNUTLS_SAN_DNSNAME, id, strlen(id))) {
			diag_add(warn, "%s has no subjectAltName DNS:%s for server ID %s: iOS 13+/macOS (they ignore the CN) and Android native IKEv2 refuse it",
				 label, id, id);
			n++;
		}
		if (strcasecmp(cn, id)) {
			diag_add(warn, "%s has CN \"%s\", not the server ID %s: Android L2TP/IPsec compares the CN with the server address typed on the phone",
				 label, cn, id);
			n++;
		}
	}

	bool ekus = false;
	if (!has_eku(crt, OID_SERVER_AUTH, &ekus) && !has_eku(crt, OID_ANY_EKU, &ekus)) {
		if (ekus)
			diag_add(warn, "%s lacks the serverAuth extended key usage: Windows (error 13801) and iOS/macOS refuse it",
				 label);
		else
			diag_add(warn, "%s has no extended key usage: Windows wants serverAuth and refuses it (error 13801)",
				 label);
		n++;
	} else if (ekus && !has_eku(crt, OID_IKE_INTERMEDIATE, &ekus) && !has_eku(crt, OID_ANY_EKU, &ekus)) {
		diag_add(warn, "%s lacks the IKE intermediate extended key usage (1.3.6.1.5.5.8.2.2): older macOS versions refuse it",
			 label);
		n++;
	}

	unsigned ku = 0, critical = 0;
	if (gnutls_x509_crt_get_key_usage(crt, &ku, &critical) >= 0 && !(ku & GNUTLS_KEY_DIGITAL_SIGNATURE)) {
		diag_add(warn, "%s has a key usage without digitalSignature: clients refuse the server's AUTH signature",
			 label);
		n++;
	}

	unsigned bits = 0;
	int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	if (pk == GNUTLS_PK_RSA && bits < 2048) {
		diag_add(warn, "%s has a %u-bit RSA key: iOS 13+ and macOS 10.15+ refuse RSA keys shorter than 2048 bits",
			 label, bits);
		n++;
	}
	int sig = gnutls_x509_crt_get_signature_algorithm(crt);
	if (sig == GNUTLS_SIGN_RSA_SHA1 || sig == GNUTLS_SIGN_ECDSA_SHA1 || sig == GNUTLS_SIGN_DSA_SHA1 ||
	    sig == GNUTLS_SIGN_RSA_MD5) {
		diag_add(warn, "%s is signed with %s: iOS 13+/macOS and current Android refuse such certificates",
			 label, gnutls_sign_get_name((gnutls_sign_algorithm_t)sig));
		n++;
	}

	if (issuer_root == 0) {
		diag_add(warn, "%s is issued by an intermediate CA, not directly by the root: Android L2TP/IPsec uses only the first certificate the server sends and one CA certificate, so it cannot verify it",
			 label);
		n++;
	} else if (issuer_root < 0) {
		char issuer[CERT_DN_MAX];
		cert_issuer_text(crt, issuer, sizeof(issuer));
		diag_add(warn, "%s is issued by \"%s\", a CA this server does not hold: cannot tell whether it is a root (Android L2TP/IPsec needs the server certificate issued directly by the root; add it with kanmonctl cert import or ca.trust)",
			 label, issuer);
		n++;
	}
	return n;
}
