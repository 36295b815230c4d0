/* SPDX-License-Identifier: MIT */
/*
 * ikev2_cp.h - the configuration payload (RFC 7296 3.15; INTERNAL_DNS_DOMAIN
 * from RFC 8598): what a client's CFG_REQUEST asks for, and the CFG_REPLY
 * that gives it. Pure: no I/O, no allocation.
 */
#ifndef KANMON_IKEV2_CP_H
#define KANMON_IKEV2_CP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "ikev2_gen.h"
#include "ikev2_parse.h"

/* CFG types */
#define IKEV2_CFG_REQUEST	1
#define IKEV2_CFG_REPLY		2
#define IKEV2_CFG_SET		3
#define IKEV2_CFG_ACK		4

/* configuration attribute types (IANA "IKEv2 Configuration Payload Attribute Types") */
#define IKEV2_CPA_INTERNAL_IP4_ADDRESS	1
#define IKEV2_CPA_INTERNAL_IP4_NETMASK	2
#define IKEV2_CPA_INTERNAL_IP4_DNS	3
#define IKEV2_CPA_INTERNAL_IP4_NBNS	4
#define IKEV2_CPA_INTERNAL_IP4_DHCP	6
#define IKEV2_CPA_APPLICATION_VERSION	7
#define IKEV2_CPA_INTERNAL_IP6_ADDRESS	8
#define IKEV2_CPA_INTERNAL_IP6_DNS	10
#define IKEV2_CPA_INTERNAL_IP6_DHCP	12
#define IKEV2_CPA_INTERNAL_IP4_SUBNET	13
#define IKEV2_CPA_SUPPORTED_ATTRIBUTES	14
#define IKEV2_CPA_INTERNAL_IP6_SUBNET	15
#define IKEV2_CPA_INTERNAL_DNS_DOMAIN	25

#define IKEV2_CP_MAX_DNS	8
#define IKEV2_CP_MAX_DOMAINS	8
#define IKEV2_CP_MAX_SUBNETS	16

/* What a CFG_REQUEST asked for (the values clients put in are ignored). */
struct ikev2_cp_request {
	uint8_t cfg_type;		/* IKEV2_CFG_*: the caller answers only REQUEST */
	bool ip4, netmask4, dns4, subnet4;
	bool ip6, dns6, subnet6;
	bool domain;			/* INTERNAL_DNS_DOMAIN */
	unsigned unknown;		/* attributes of other types, skipped */
};

/*
 * The body of a CP payload. Attribute lengths are checked against their
 * type (an address attribute with a value must have the address's size...).
 * 0 or -EBADMSG.
 */
int ikev2_parse_cp(const struct ikev2_payload *p, struct ikev2_cp_request *out);

struct ikev2_cp_prefix4 {
	struct in_addr addr;
	uint8_t plen;
};

struct ikev2_cp_prefix6 {
	struct in6_addr addr;
	uint8_t plen;
};

/* A CFG_REPLY: only what is set is written, in this order. */
struct ikev2_cp_reply {
	bool has_ip4;
	struct in_addr ip4;
	bool has_netmask4;		/* INTERNAL_IP4_NETMASK (clients that ask) */
	struct in_addr netmask4;
	bool has_ip6;
	struct in6_addr ip6;		/* INTERNAL_IP6_ADDRESS: address + prefix length */
	uint8_t ip6_plen;
	size_t n_dns4, n_dns6;
	struct in_addr dns4[IKEV2_CP_MAX_DNS];
	struct in6_addr dns6[IKEV2_CP_MAX_DNS];
	size_t n_subnet4, n_subnet6;	/* split-include: INTERNAL_IP4/6_SUBNET */
	struct ikev2_cp_prefix4 subnet4[IKEV2_CP_MAX_SUBNETS];
	struct ikev2_cp_prefix6 subnet6[IKEV2_CP_MAX_SUBNETS];
	size_t n_domains;		/* INTERNAL_DNS_DOMAIN (RFC 8598), names without NUL on the wire */
	const char *domains[IKEV2_CP_MAX_DOMAINS];
};

/* Appends a CP payload of type CFG_REPLY holding r. */
void ikev2_gen_cp_reply(struct ikev2_gen *g, const struct ikev2_cp_reply *r);

/* For logs: "ADDR NETMASK DNS DOMAIN ADDR6 DNS6" of a request. Returns strlen(buf). */
size_t ikev2_cp_describe(const struct ikev2_cp_request *r, char *buf, size_t len);

#endif
