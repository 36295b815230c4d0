/* SPDX-License-Identifier: MIT */
/*
 * ikev2_sig.h - the signatures of IKE_AUTH (RFC 7296 2.15, 3.8; RFC 7427):
 * checking a client's AUTH payload against its certificate, and choosing the
 * method and hash the server signs with.
 *
 * Methods: 1 RSA PKCS#1 v1.5 with SHA-1 (Windows, iOS without RFC 7427,
 * Android when the server did not offer SIGNATURE_HASH_ALGORITHMS); 9, 10,
 * 11 ECDSA with SHA-256/384/512 on P-256/384/521, r || s; 14 RFC 7427
 * digital signature: an AlgorithmIdentifier (RSA PKCS#1 v1.5 or RSASSA-PSS
 * with SHA-1/256/384/512, ECDSA with SHA-1/256/384/512) then the signature.
 */
#ifndef KANMON_IKEV2_SIG_H
#define KANMON_IKEV2_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKEV2_AUTH_RSA		1
#define IKEV2_AUTH_PSK		2
#define IKEV2_AUTH_ECDSA_256	9
#define IKEV2_AUTH_ECDSA_384	10
#define IKEV2_AUTH_ECDSA_521	11
#define IKEV2_AUTH_DIGITAL_SIG	14

#define IKEV2_SIG_MAX		1100	/* RFC 7427 header + an RSA-8192 signature */

/* What a checked signature was, for the session's log line. */
struct ikev2_sig_info {
	uint8_t method;
	uint8_t hash;			/* KANMON_HASH_* (RFC 7427 numbers) */
	bool pss;
	char name[32];			/* "RSA-SHA256", "RSA-PSS-SHA384", "ECDSA-SHA256" */
};

/*
 * Checks AUTH data `sig` (method `method`, as received) over `octets` with
 * the public key of DER certificate `cert`. allow_sha1 false refuses SHA-1.
 * 0, or -EKEYREJECTED (not verifiable: wrong key, bad signature),
 * -EOPNOTSUPP (method/algorithm we do not accept; SHA-1 when refused),
 * -EBADMSG (malformed AUTH data). *why names the problem in plain words.
 */
int ikev2_sig_verify(uint8_t method, const uint8_t *sig, size_t sig_len, const uint8_t *cert, size_t cert_len,
		     const uint8_t *octets, size_t octets_len, bool allow_sha1, struct ikev2_sig_info *info,
		     const char **why);

/*
 * The method the server signs with: RFC 7427 (14) with SHA-256 (or SHA-384
 * /512 when only those were offered) when the client sent
 * SIGNATURE_HASH_ALGORITHMS (bit n of peer_hashes = hash n), else the
 * classic method of the key: 1 (RSA, SHA-1) or 9/10/11 by curve.
 * key_type/key_bits from struct kanmon_cert_info. Fills *method, *hash and
 * the cert_sign flags (KANMON_SIGN_*). -EOPNOTSUPP for an unusable key.
 */
int ikev2_sig_choose(uint8_t key_type, uint16_t key_bits, uint8_t peer_hashes, uint8_t *method,
		     uint8_t *hash, unsigned *flags);

/*
 * The RFC 7427 AUTH data header for (key_type, hash): length byte +
 * AlgorithmIdentifier DER, into out (cap >= 32). Returns its length, 0 if
 * there is none for that pair.
 */
size_t ikev2_sig_rfc7427_header(uint8_t key_type, uint8_t hash, uint8_t *out);

#endif
