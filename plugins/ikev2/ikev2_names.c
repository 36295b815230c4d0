/* SPDX-License-Identifier: MIT */
/* ikev2_names.c - names of payloads, notifies and exchanges for log lines. */
#include <stdio.h>
#include <string.h>

#include "ikev2_parse.h"
#include "ikev2_proto.h"

const char *ikev2_payload_name(uint8_t type)
{
	switch (type) {
	case IKEV2_PL_SA:	return "SA";
	case IKEV2_PL_KE:	return "KE";
	case IKEV2_PL_IDI:	return "IDi";
	case IKEV2_PL_IDR:	return "IDr";
	case IKEV2_PL_CERT:	return "CERT";
	case IKEV2_PL_CERTREQ:	return "CERTREQ";
	case IKEV2_PL_AUTH:	return "AUTH";
	case IKEV2_PL_NONCE:	return "No";
	case IKEV2_PL_NOTIFY:	return "N";
	case IKEV2_PL_DELETE:	return "D";
	case IKEV2_PL_VENDOR:	return "V";
	case IKEV2_PL_TSI:	return "TSi";
	case IKEV2_PL_TSR:	return "TSr";
	case IKEV2_PL_SK:	return "SK";
	case IKEV2_PL_CP:	return "CP";
	case IKEV2_PL_EAP:	return "EAP";
	case IKEV2_PL_GSPM:	return "GSPM";
	case IKEV2_PL_SKF:	return "SKF";
	default:		return NULL;
	}
}

static const struct {
	uint16_t type;
	const char *name;
} notifies[] = {
	{ IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, "UNSUPPORTED_CRITICAL_PAYLOAD" },
	{ IKEV2_N_INVALID_IKE_SPI, "INVALID_IKE_SPI" },
	{ IKEV2_N_INVALID_MAJOR_VERSION, "INVALID_MAJOR_VERSION" },
	{ IKEV2_N_INVALID_SYNTAX, "INVALID_SYNTAX" },
	{ IKEV2_N_INVALID_MESSAGE_ID, "INVALID_MESSAGE_ID" },
	{ IKEV2_N_INVALID_SPI, "INVALID_SPI" },
	{ IKEV2_N_NO_PROPOSAL_CHOSEN, "NO_PROPOSAL_CHOSEN" },
	{ IKEV2_N_INVALID_KE_PAYLOAD, "INVALID_KE_PAYLOAD" },
	{ IKEV2_N_AUTHENTICATION_FAILED, "AUTHENTICATION_FAILED" },
	{ IKEV2_N_SINGLE_PAIR_REQUIRED, "SINGLE_PAIR_REQUIRED" },
	{ IKEV2_N_NO_ADDITIONAL_SAS, "NO_ADDITIONAL_SAS" },
	{ IKEV2_N_INTERNAL_ADDRESS_FAILURE, "INTERNAL_ADDRESS_FAILURE" },
	{ IKEV2_N_FAILED_CP_REQUIRED, "FAILED_CP_REQUIRED" },
	{ IKEV2_N_TS_UNACCEPTABLE, "TS_UNACCEPTABLE" },
	{ IKEV2_N_INVALID_SELECTORS, "INVALID_SELECTORS" },
	{ IKEV2_N_TEMPORARY_FAILURE, "TEMPORARY_FAILURE" },
	{ IKEV2_N_CHILD_SA_NOT_FOUND, "CHILD_SA_NOT_FOUND" },
	{ IKEV2_N_INITIAL_CONTACT, "INITIAL_CONTACT" },
	{ IKEV2_N_SET_WINDOW_SIZE, "SET_WINDOW_SIZE" },
	{ 16386, "ADDITIONAL_TS_POSSIBLE" },
	{ 16387, "IPCOMP_SUPPORTED" },
	{ IKEV2_N_NAT_DETECTION_SOURCE_IP, "NAT_DETECTION_SOURCE_IP" },
	{ IKEV2_N_NAT_DETECTION_DESTINATION_IP, "NAT_DETECTION_DESTINATION_IP" },
	{ IKEV2_N_COOKIE, "COOKIE" },
	{ IKEV2_N_USE_TRANSPORT_MODE, "USE_TRANSPORT_MODE" },
	{ 16392, "HTTP_CERT_LOOKUP_SUPPORTED" },
	{ IKEV2_N_REKEY_SA, "REKEY_SA" },
	{ 16394, "ESP_TFC_PADDING_NOT_SUPPORTED" },
	{ 16395, "NON_FIRST_FRAGMENTS_ALSO" },
	{ IKEV2_N_MOBIKE_SUPPORTED, "MOBIKE_SUPPORTED" },
	{ 16397, "ADDITIONAL_IP4_ADDRESS" },
	{ 16398, "ADDITIONAL_IP6_ADDRESS" },
	{ 16399, "NO_ADDITIONAL_ADDRESSES" },
	{ 16400, "UPDATE_SA_ADDRESSES" },
	{ 16401, "COOKIE2" },
	{ 16402, "NO_NATS_ALLOWED" },
	{ 16403, "AUTH_LIFETIME" },
	{ IKEV2_N_MULTIPLE_AUTH_SUPPORTED, "MULTIPLE_AUTH_SUPPORTED" },
	{ 16405, "ANOTHER_AUTH_FOLLOWS" },
	{ IKEV2_N_REDIRECT_SUPPORTED, "REDIRECT_SUPPORTED" },
	{ 16407, "REDIRECT" },
	{ 16408, "REDIRECTED_FROM" },
	{ IKEV2_N_EAP_ONLY_AUTHENTICATION, "EAP_ONLY_AUTHENTICATION" },
	{ 16418, "CHILDLESS_IKEV2_SUPPORTED" },
	{ 16419, "QUICK_CRASH_DETECTION" },
	{ 16420, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED" },
	{ 16421, "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED" },
	{ IKEV2_N_FRAGMENTATION_SUPPORTED, "IKEV2_FRAGMENTATION_SUPPORTED" },
	{ IKEV2_N_SIGNATURE_HASH_ALGORITHMS, "SIGNATURE_HASH_ALGORITHMS" },
	{ 16438, "INTERMEDIATE_EXCHANGE_SUPPORTED" },
};

const char *ikev2_notify_name(uint16_t type)
{
	for (size_t i = 0; i < sizeof(notifies) / sizeof(notifies[0]); i++)
		if (notifies[i].type == type)
			return notifies[i].name;
	return NULL;
}

const char *ikev2_exchange_name(uint8_t exch)
{
	switch (exch) {
	case IKEV2_EXCH_IKE_SA_INIT:		return "IKE_SA_INIT";
	case IKEV2_EXCH_IKE_AUTH:		return "IKE_AUTH";
	case IKEV2_EXCH_CREATE_CHILD_SA:	return "CREATE_CHILD_SA";
	case IKEV2_EXCH_INFORMATIONAL:		return "INFORMATIONAL";
	default:				return NULL;
	}
}

size_t ikev2_chain_describe(const struct ikev2_chain *c, char *buf, size_t len)
{
	size_t at = 0;
	if (!len)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; i < c->n; i++) {
		const struct ikev2_payload *p = &c->pl[i];
		char one[64];
		const char *name = ikev2_payload_name(p->type);
		if (p->type == IKEV2_PL_NOTIFY && p->len >= 4) {
			uint16_t t = ikev2_get16(p->body + 2);
			const char *nn = ikev2_notify_name(t);
			if (nn)
				snprintf(one, sizeof(one), "N(%s)", nn);
			else
				snprintf(one, sizeof(one), "N(%u)", t);
		} else if (name) {
			snprintf(one, sizeof(one), "%s", name);
		} else {
			snprintf(one, sizeof(one), "UNKNOWN(%u)", p->type);
		}
		size_t need = strlen(one) + (at ? 1 : 0);
		if (at + need + 4 >= len) {	/* room for " ..." and the NUL */
			snprintf(buf + at, len - at, "%s...", at ? " " : "");
			return strlen(buf);
		}
		at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? " " : "", one);
	}
	return at;
}
