/* SPDX-License-Identifier: MIT */
/*
 * ikev2_proto.h - IKEv2 wire constants (RFC 7296 and the IANA "IKEv2
 * Parameters" registry) and their names for logs. No state, no I/O.
 */
#ifndef KANMON_IKEV2_PROTO_H
#define KANMON_IKEV2_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define IKEV2_HDR_LEN		28
#define IKEV2_GENERIC_LEN	4	/* generic payload header */
#define IKEV2_VERSION		0x20	/* major 2, minor 0 */

/* exchange types */
#define IKEV2_EXCH_IKE_SA_INIT		34
#define IKEV2_EXCH_IKE_AUTH		35
#define IKEV2_EXCH_CREATE_CHILD_SA	36
#define IKEV2_EXCH_INFORMATIONAL	37

/* header flags */
#define IKEV2_FLAG_INITIATOR	0x08
#define IKEV2_FLAG_VERSION	0x10
#define IKEV2_FLAG_RESPONSE	0x20

/* the critical bit of the generic payload header */
#define IKEV2_CRITICAL		0x80

/* payload types */
#define IKEV2_PL_NONE		0
#define IKEV2_PL_SA		33
#define IKEV2_PL_KE		34
#define IKEV2_PL_IDI		35
#define IKEV2_PL_IDR		36
#define IKEV2_PL_CERT		37
#define IKEV2_PL_CERTREQ	38
#define IKEV2_PL_AUTH		39
#define IKEV2_PL_NONCE		40
#define IKEV2_PL_NOTIFY		41
#define IKEV2_PL_DELETE		42
#define IKEV2_PL_VENDOR		43
#define IKEV2_PL_TSI		44
#define IKEV2_PL_TSR		45
#define IKEV2_PL_SK		46
#define IKEV2_PL_CP		47
#define IKEV2_PL_EAP		48
#define IKEV2_PL_GSPM		49
#define IKEV2_PL_SKF		53	/* RFC 7383 */

/* protocol IDs (SA proposals, notify, delete) */
#define IKEV2_PROTO_IKE		1
#define IKEV2_PROTO_AH		2
#define IKEV2_PROTO_ESP		3

/* transform types */
#define IKEV2_XF_ENCR		1
#define IKEV2_XF_PRF		2
#define IKEV2_XF_INTEG		3
#define IKEV2_XF_DH		4
#define IKEV2_XF_ESN		5
#define IKEV2_XF_MAX		5

#define IKEV2_ATTR_KEY_LENGTH	14	/* transform attribute, TV format */

/* notify message types: errors */
#define IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD	1
#define IKEV2_N_INVALID_IKE_SPI			4
#define IKEV2_N_INVALID_MAJOR_VERSION		5
#define IKEV2_N_INVALID_SYNTAX			7
#define IKEV2_N_INVALID_MESSAGE_ID		9
#define IKEV2_N_INVALID_SPI			11
#define IKEV2_N_NO_PROPOSAL_CHOSEN		14
#define IKEV2_N_INVALID_KE_PAYLOAD		17
#define IKEV2_N_AUTHENTICATION_FAILED		24
#define IKEV2_N_SINGLE_PAIR_REQUIRED		34
#define IKEV2_N_NO_ADDITIONAL_SAS		35
#define IKEV2_N_INTERNAL_ADDRESS_FAILURE	36
#define IKEV2_N_FAILED_CP_REQUIRED		37
#define IKEV2_N_TS_UNACCEPTABLE			38
#define IKEV2_N_INVALID_SELECTORS		39
#define IKEV2_N_TEMPORARY_FAILURE		43
#define IKEV2_N_CHILD_SA_NOT_FOUND		44
/* notify message types: status */
#define IKEV2_N_INITIAL_CONTACT			16384
#define IKEV2_N_SET_WINDOW_SIZE			16385
#define IKEV2_N_NAT_DETECTION_SOURCE_IP		16388
#define IKEV2_N_NAT_DETECTION_DESTINATION_IP	16389
#define IKEV2_N_COOKIE				16390
#define IKEV2_N_USE_TRANSPORT_MODE		16391
#define IKEV2_N_REKEY_SA			16393
#define IKEV2_N_MOBIKE_SUPPORTED		16396
#define IKEV2_N_UPDATE_SA_ADDRESSES		16400	/* RFC 4555 (MOBIKE) */
#define IKEV2_N_COOKIE2				16401
#define IKEV2_N_NO_NATS_ALLOWED			16402
#define IKEV2_N_MULTIPLE_AUTH_SUPPORTED		16404
#define IKEV2_N_REDIRECT_SUPPORTED		16406
#define IKEV2_N_EAP_ONLY_AUTHENTICATION		16417
#define IKEV2_N_FRAGMENTATION_SUPPORTED		16430
#define IKEV2_N_SIGNATURE_HASH_ALGORITHMS	16431

/* RFC 7427 hash algorithm identifiers (SIGNATURE_HASH_ALGORITHMS) */
#define IKEV2_HASH_SHA1		1
#define IKEV2_HASH_SHA256	2
#define IKEV2_HASH_SHA384	3
#define IKEV2_HASH_SHA512	4

/* certificate encodings (CERT, CERTREQ) */
#define IKEV2_CERT_X509_SIG	4

/* "SA", "IDi", "N", ...; NULL for types this code does not know. */
const char *ikev2_payload_name(uint8_t type);
/* "NAT_DETECTION_SOURCE_IP", ...; NULL when unknown. */
const char *ikev2_notify_name(uint16_t type);
/* "IKE_SA_INIT", ...; NULL when unknown. */
const char *ikev2_exchange_name(uint8_t exch);

/* Big-endian helpers for the wire format. */
static inline uint16_t ikev2_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t ikev2_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void ikev2_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ikev2_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
