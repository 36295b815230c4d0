/* SPDX-License-Identifier: MIT */
/* ikev2_cp.c - the configuration payload (ikev2_cp.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ikev2_cp.h"

#define CPA_HDR_LEN	4	/* R bit + type, length */
#define CPA_TYPE_MASK	0x7fff	/* the top bit is reserved (RFC 7296 3.15.1) */
#define DOMAIN_MAX	255	/* a DNS name on the wire; longer is a caller's bug */

/*
 * Is len a valid value length for an attribute of this type? Requests
 * carry empty values, but a client may suggest a value (e.g. the address
 * it had before), so the type's full size is accepted as well.
 */
static bool value_len_ok(uint16_t type, size_t len)
{
	switch (type) {
	case IKEV2_CPA_INTERNAL_IP4_ADDRESS:
	case IKEV2_CPA_INTERNAL_IP4_NETMASK:
	case IKEV2_CPA_INTERNAL_IP4_DNS:
	case IKEV2_CPA_INTERNAL_IP4_NBNS:
	case IKEV2_CPA_INTERNAL_IP4_DHCP:
		return len == 0 || len == 4;
	case IKEV2_CPA_INTERNAL_IP6_DNS:
	case IKEV2_CPA_INTERNAL_IP6_DHCP:
		return len == 0 || len == 16;
	case IKEV2_CPA_INTERNAL_IP6_ADDRESS:
	case IKEV2_CPA_INTERNAL_IP6_SUBNET:
		return len == 0 || len == 17;	/* address + prefix length */
	case IKEV2_CPA_INTERNAL_IP4_SUBNET:
		return len == 0 || len == 8;	/* address + netmask */
	case IKEV2_CPA_SUPPORTED_ATTRIBUTES:
		return len % 2 == 0;		/* a list of 2-byte types */
	default:
		return true;			/* text (version, domain) or unknown */
	}
}

int ikev2_parse_cp(const struct ikev2_payload *p, struct ikev2_cp_request *out)
{
	memset(out, 0, sizeof(*out));
	if (p->type != IKEV2_PL_CP || p->len < 4)
		return -EBADMSG;
	const uint8_t *b = p->body;
	size_t at = 4, len = p->len;
	out->cfg_type = b[0];
	while (at < len) {
		if (len - at < CPA_HDR_LEN)
			goto bad;
		uint16_t type = ikev2_get16(b + at) & CPA_TYPE_MASK;
		size_t vlen = ikev2_get16(b + at + 2);
		if (vlen > len - at - CPA_HDR_LEN || !value_len_ok(type, vlen))
			goto bad;
		at += CPA_HDR_LEN + vlen;
		switch (type) {
		case IKEV2_CPA_INTERNAL_IP4_ADDRESS:	out->ip4 = true; break;
		case IKEV2_CPA_INTERNAL_IP4_NETMASK:	out->netmask4 = true; break;
		case IKEV2_CPA_INTERNAL_IP4_DNS:	out->dns4 = true; break;
		case IKEV2_CPA_INTERNAL_IP4_SUBNET:	out->subnet4 = true; break;
		case IKEV2_CPA_INTERNAL_IP6_ADDRESS:	out->ip6 = true; break;
		case IKEV2_CPA_INTERNAL_IP6_DNS:	out->dns6 = true; break;
		case IKEV2_CPA_INTERNAL_IP6_SUBNET:	out->subnet6 = true; break;
		case IKEV2_CPA_INTERNAL_DNS_DOMAIN:	out->domain = true; break;
		default:				out->unknown++; break;
		}
	}
	return 0;
bad:
	/* nothing half-parsed for a caller that ignores the code */
	memset(out, 0, sizeof(*out));
	return -EBADMSG;
}

static uint8_t *put_attr(uint8_t *b, uint16_t type, const void *value, size_t len)
{
	ikev2_put16(b, type);
	ikev2_put16(b + 2, (uint16_t)len);
	if (len)
		memcpy(b + CPA_HDR_LEN, value, len);
	return b + CPA_HDR_LEN + len;
}

static struct in_addr mask4(uint8_t plen)
{
	struct in_addr m;
	m.s_addr = htonl(plen >= 32 ? 0xffffffffu : plen ? ~(0xffffffffu >> plen) : 0);
	return m;
}

static size_t clamp(size_t n, size_t max)
{
	return n < max ? n : max;
}

static size_t domain_len(const char *d)
{
	size_t n = d ? strnlen(d, DOMAIN_MAX + 1) : 0;
	return n > DOMAIN_MAX ? 0 : n;	/* 0: left out */
}

void ikev2_gen_cp_reply(struct ikev2_gen *g, const struct ikev2_cp_reply *r)
{
	size_t n_dns4 = clamp(r->n_dns4, IKEV2_CP_MAX_DNS), n_dns6 = clamp(r->n_dns6, IKEV2_CP_MAX_DNS);
	size_t n_sub4 = clamp(r->n_subnet4, IKEV2_CP_MAX_SUBNETS);
	size_t n_sub6 = clamp(r->n_subnet6, IKEV2_CP_MAX_SUBNETS);
	size_t n_dom = clamp(r->n_domains, IKEV2_CP_MAX_DOMAINS);
	size_t body = 4;
	body += r->has_ip4 ? CPA_HDR_LEN + 4 : 0;
	body += r->has_netmask4 ? CPA_HDR_LEN + 4 : 0;
	body += r->has_ip6 ? CPA_HDR_LEN + 17 : 0;
	body += n_dns4 * (CPA_HDR_LEN + 4) + n_dns6 * (CPA_HDR_LEN + 16);
	body += n_sub4 * (CPA_HDR_LEN + 8) + n_sub6 * (CPA_HDR_LEN + 17);
	for (size_t i = 0; i < n_dom; i++) {
		size_t dl = domain_len(r->domains[i]);
		body += dl ? CPA_HDR_LEN + dl : 0;
	}
	uint8_t *b = ikev2_gen_payload(g, IKEV2_PL_CP, false, body);
	if (!b)
		return;
	b[0] = IKEV2_CFG_REPLY;
	b[1] = b[2] = b[3] = 0;
	b += 4;
	if (r->has_ip4)
		b = put_attr(b, IKEV2_CPA_INTERNAL_IP4_ADDRESS, &r->ip4, 4);
	if (r->has_netmask4)
		b = put_attr(b, IKEV2_CPA_INTERNAL_IP4_NETMASK, &r->netmask4, 4);
	if (r->has_ip6) {
		uint8_t v[17];
		memcpy(v, &r->ip6, 16);
		v[16] = r->ip6_plen > 128 ? 128 : r->ip6_plen;
		b = put_attr(b, IKEV2_CPA_INTERNAL_IP6_ADDRESS, v, sizeof(v));
	}
	for (size_t i = 0; i < n_dns4; i++)
		b = put_attr(b, IKEV2_CPA_INTERNAL_IP4_DNS, &r->dns4[i], 4);
	for (size_t i = 0; i < n_dns6; i++)
		b = put_attr(b, IKEV2_CPA_INTERNAL_IP6_DNS, &r->dns6[i], 16);
	for (size_t i = 0; i < n_sub4; i++) {
		uint8_t v[8];
		struct in_addr m = mask4(r->subnet4[i].plen);
		memcpy(v, &r->subnet4[i].addr, 4);
		memcpy(v + 4, &m, 4);
		b = put_attr(b, IKEV2_CPA_INTERNAL_IP4_SUBNET, v, sizeof(v));
	}
	for (size_t i = 0; i < n_sub6; i++) {
		uint8_t v[17];
		memcpy(v, &r->subnet6[i].addr, 16);
		v[16] = r->subnet6[i].plen > 128 ? 128 : r->subnet6[i].plen;
		b = put_attr(b, IKEV2_CPA_INTERNAL_IP6_SUBNET, v, sizeof(v));
	}
	for (size_t i = 0; i < n_dom; i++) {
		size_t dl = domain_len(r->domains[i]);
		if (dl)
			b = put_attr(b, IKEV2_CPA_INTERNAL_DNS_DOMAIN, r->domains[i], dl);
	}
}

size_t ikev2_cp_describe(const struct ikev2_cp_request *r, char *buf, size_t len)
{
	static const char *const cfg[] = { NULL, NULL, "REPLY", "SET", "ACK" };
	const struct {
		bool on;
		const char *name;
	} items[] = {
		{ r->ip4, "ADDR" }, { r->netmask4, "NETMASK" }, { r->dns4, "DNS" }, { r->subnet4, "SUBNET" },
		{ r->domain, "DOMAIN" }, { r->ip6, "ADDR6" }, { r->dns6, "DNS6" }, { r->subnet6, "SUBNET6" },
	};
	char text[128];
	size_t at = 0;
	text[0] = '\0';
	/* only a request is the usual case; anything else says what it was */
	if (r->cfg_type != IKEV2_CFG_REQUEST) {
		if (r->cfg_type < sizeof(cfg) / sizeof(cfg[0]) && cfg[r->cfg_type])
			at += (size_t)snprintf(text + at, sizeof(text) - at, "%s:", cfg[r->cfg_type]);
		else
			at += (size_t)snprintf(text + at, sizeof(text) - at, "CFG(%u):", r->cfg_type);
	}
	size_t start = at;
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		if (items[i].on)
			at += (size_t)snprintf(text + at, sizeof(text) - at, "%s%s", at > start ? " " : "",
					       items[i].name);
	if (r->unknown)
		at += (size_t)snprintf(text + at, sizeof(text) - at, "%s+%u", at > start ? " " : "", r->unknown);
	if (at == start)
		snprintf(text + at, sizeof(text) - at, "none");
	if (!len)
		return 0;
	snprintf(buf, len, "%s", text);
	return strlen(buf);
}
