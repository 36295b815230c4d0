/* SPDX-License-Identifier: MIT */
/*
 * kanmon/cert.h - certificates as the host table offers them to protocol
 * plugins: verify a peer's chain, sign with a server key, find a server
 * certificate by name or identity, match identities, and tie a session to
 * the certificate that authenticated it (so a revocation tears it down).
 *
 * Identities use the IKE ID types (RFC 7296 3.5), so an IKE plugin passes the
 * ID payload it received unchanged. The core's certificate store holds the
 * built-in CA (kanmonctl ca/cert/client) plus files named in the `ca` group
 * of kanmon.conf; revocations reach it at once (kanmonctl notifies kanmond).
 */
#ifndef KANMON_CERT_H
#define KANMON_CERT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* IKE identification types (IANA "IKEv2 Identification Payload ID Types") */
enum kanmon_id_type {
	KANMON_ID_IPV4_ADDR = 1,
	KANMON_ID_FQDN = 2,
	KANMON_ID_RFC822_ADDR = 3,
	KANMON_ID_IPV6_ADDR = 5,
	KANMON_ID_DER_ASN1_DN = 9,
	KANMON_ID_KEY_ID = 11,
};

/* An identity as carried in an ID payload: raw bytes of `type`. */
struct kanmon_id {
	uint8_t type;			/* enum kanmon_id_type */
	const uint8_t *data;		/* address bytes, text (no NUL), or DER of a DN */
	size_t len;
};

/* One DER certificate. */
struct kanmon_blob {
	const uint8_t *data;
	size_t len;
};

/* What a certificate must be good for. */
enum kanmon_cert_role {
	KANMON_CERT_CLIENT = 1,		/* a remote access client (clientAuth, ipsecIKE, no EKU) */
	KANMON_CERT_SERVER = 2,		/* a gateway (serverAuth, ipsecIKE, IKE intermediate, no EKU) */
};

/* Outcome of cert_verify. status 0 = accepted. */
struct kanmon_cert_result {
	uint32_t size;			/* sizeof(struct kanmon_cert_result), set by the caller */
	int status;			/* 0, -EKEYREVOKED, -EKEYEXPIRED, -EKEYREJECTED, -EINVAL */
	char reason[256];		/* plain words, for the one log line per failure */
	char subject[256];		/* end entity's subject DN: "C=JP, O=Example, CN=user1@..." */
	char issuer[256];		/* its issuer's DN */
	char serial[41];		/* lowercase hex, no leading zero bytes */
	time_t not_after;
};

/* Key types of a server certificate (to pick the IKE AUTH method). */
enum kanmon_key_type {
	KANMON_KEY_RSA = 1,
	KANMON_KEY_ECDSA = 2,
};

/*
 * A server certificate of the store. Pointers stay valid until control
 * returns to the event loop (a reload or revocation may replace them): copy
 * what you keep.
 */
struct kanmon_cert_info {
	uint32_t size;			/* set by the caller */
	const char *name;		/* store name, or the file path it was loaded from */
	struct kanmon_blob cert;	/* DER, for the CERT payload */
	struct kanmon_blob issuer;	/* DER of the issuing CA when the store has it, else {NULL, 0} */
	uint8_t key_type;		/* enum kanmon_key_type */
	uint16_t key_bits;		/* RSA modulus / EC curve size */
	const char *subject;		/* DN text */
	time_t not_after;
};

/* cert_sign hash algorithms: the RFC 7427 hash algorithm numbers */
#define KANMON_HASH_SHA1	1
#define KANMON_HASH_SHA256	2
#define KANMON_HASH_SHA384	3
#define KANMON_HASH_SHA512	4
/* cert_sign flags */
#define KANMON_SIGN_RSA_PSS	0x01	/* RSASSA-PSS instead of PKCS#1 v1.5 */
#define KANMON_SIGN_ECDSA_RAW	0x02	/* r || s (IKEv2 methods 9-11) instead of DER (RFC 7427) */

#endif
