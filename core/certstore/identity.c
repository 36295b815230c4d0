/* SPDX-License-Identifier: MIT */
/*
 * identity.c - distinguished names, serials and IKE identities.
 *
 * DNs are shown in ASN.1 order, "C=JP, O=Example Inc., CN=user1", because
 * that is how strongSwan, Openswan and RouterOS print them and how operators
 * write their wildcard rules ("C=JP, O=Example Inc., CN=*", seed B). Multi-
 * valued RDNs are flattened into the same list: no client uses them, and a
 * flat list keeps matching simple. Only ',' and '\' are escaped in values,
 * so "user+tag@example.com" stays readable.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certstore.h"

#define DN_MAX_AVAS 32
#define DN_VALUE_MAX 256

static const struct {
	const char *name, *oid;
} dn_names[] = {
	{ "C", "2.5.4.6" },
	{ "ST", "2.5.4.8" },
	{ "L", "2.5.4.7" },
	{ "O", "2.5.4.10" },
	{ "OU", "2.5.4.11" },
	{ "CN", "2.5.4.3" },
	{ "SN", "2.5.4.4" },
	{ "GN", "2.5.4.42" },
	{ "T", "2.5.4.12" },
	{ "serialNumber", "2.5.4.5" },
	{ "street", "2.5.4.9" },
	{ "postalCode", "2.5.4.17" },
	{ "E", "1.2.840.113549.1.9.1" },
	{ "DC", "0.9.2342.19200300.100.1.25" },
	{ "UID", "0.9.2342.19200300.100.1.1" },
};
/* other spellings operators use */
static const struct {
	const char *alias, *name;
} dn_aliases[] = {
	{ "emailAddress", "E" }, { "Email", "E" }, { "S", "ST" }, { "title", "T" }, { "G", "GN" },
	{ "givenName", "GN" }, { "surname", "SN" }, { "commonName", "CN" }, { "countryName", "C" },
	{ "organizationName", "O" }, { "organizationalUnitName", "OU" }, { "localityName", "L" },
	{ "stateOrProvinceName", "ST" },
};

struct ava {
	char oid[64];
	char value[DN_VALUE_MAX];
	uint8_t tag;		/* ASN.1 string type (when parsed from DER) */
};

struct dn {
	struct ava v[DN_MAX_AVAS];
	size_t n;
};

static const char *oid_name(const char *oid)
{
	for (size_t i = 0; i < sizeof(dn_names) / sizeof(dn_names[0]); i++)
		if (!strcmp(dn_names[i].oid, oid))
			return dn_names[i].name;
	return NULL;
}

static const char *name_oid(const char *name)
{
	for (size_t i = 0; i < sizeof(dn_aliases) / sizeof(dn_aliases[0]); i++)
		if (!strcasecmp(dn_aliases[i].alias, name)) {
			name = dn_aliases[i].name;
			break;
		}
	for (size_t i = 0; i < sizeof(dn_names) / sizeof(dn_names[0]); i++)
		if (!strcasecmp(dn_names[i].name, name))
			return dn_names[i].oid;
	/* a dotted OID as such */
	if (!*name)
		return NULL;
	for (const char *c = name; *c; c++)
		if (!isdigit((unsigned char)*c) && *c != '.')
			return NULL;
	return name;
}

/* ---- DER -> struct dn ------------------------------------------------------- */

static void value_text(const uint8_t *v, size_t vlen, unsigned tag, char *out, size_t len)
{
	size_t o = 0;
	if (tag == 30) {	/* BMPString: UCS-2; keep ASCII, mark the rest */
		for (size_t i = 0; i + 1 < vlen && o + 1 < len; i += 2)
			out[o++] = v[i] == 0 && v[i + 1] >= 0x20 && v[i + 1] < 0x7f ? (char)v[i + 1] : '?';
	} else if (tag == 28) {	/* UniversalString: UCS-4 */
		for (size_t i = 0; i + 3 < vlen && o + 1 < len; i += 4)
			out[o++] = !v[i] && !v[i + 1] && !v[i + 2] && v[i + 3] >= 0x20 && v[i + 3] < 0x7f ? (char)v[i + 3] : '?';
	} else {
		for (size_t i = 0; i < vlen && o + 1 < len; i++)
			out[o++] = v[i] < 0x20 || v[i] == 0x7f ? '?' : (char)v[i];
	}
	out[o] = '\0';
}

static int ava_add(const char *oid, uint8_t tag, const uint8_t *v, size_t vlen, void *arg)
{
	struct dn *dn = arg;
	if (dn->n == DN_MAX_AVAS || strlen(oid) >= sizeof(dn->v[0].oid))
		return -E2BIG;
	struct ava *a = &dn->v[dn->n++];
	strcpy(a->oid, oid);
	a->tag = tag;
	value_text(v, vlen, tag, a->value, sizeof(a->value));
	return 0;
}

/* A Name TLV into its AVAs, ASN.1 order; multi-valued RDNs flattened. */
static int dn_from_der(const gnutls_datum_t *raw, struct dn *out)
{
	out->n = 0;
	if (!raw || !raw->size)
		return 0;
	return der_name_foreach(raw->data, raw->size, ava_add, out);
}

static int dn_format(const struct dn *dn, char *buf, size_t len)
{
	size_t o = 0;
	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (size_t i = 0; i < dn->n; i++) {
		const char *name = oid_name(dn->v[i].oid);
		int n = snprintf(buf + o, len - o, "%s%s=", i ? ", " : "", name ? name : dn->v[i].oid);
		if (n < 0 || (size_t)n >= len - o)
			return -ENOSPC;
		o += (size_t)n;
		for (const char *c = dn->v[i].value; *c; c++) {
			if (o + 3 >= len)
				return -ENOSPC;
			if (*c == ',' || *c == '\\')
				buf[o++] = '\\';
			buf[o++] = *c;
		}
		buf[o] = '\0';
	}
	return 0;
}

int cert_dn_text(const gnutls_datum_t *raw, char *buf, size_t len)
{
	struct dn *dn = malloc(sizeof(*dn));
	if (!dn)
		return -ENOMEM;
	int err = dn_from_der(raw, dn);
	if (!err)
		err = dn_format(dn, buf, len);
	else if (len)
		snprintf(buf, len, "(unreadable DN)");
	free(dn);
	return err;
}

int cert_subject_text(gnutls_x509_crt_t c, char *buf, size_t len)
{
	gnutls_datum_t raw;
	if (gnutls_x509_crt_get_raw_dn(c, &raw) < 0) {
		snprintf(buf, len, "(no subject)");
		return -EINVAL;
	}
	int err = cert_dn_text(&raw, buf, len);
	gnutls_free(raw.data);
	return err;
}

int cert_issuer_text(gnutls_x509_crt_t c, char *buf, size_t len)
{
	gnutls_datum_t raw;
	if (gnutls_x509_crt_get_raw_issuer_dn(c, &raw) < 0) {
		snprintf(buf, len, "(no issuer)");
		return -EINVAL;
	}
	int err = cert_dn_text(&raw, buf, len);
	gnutls_free(raw.data);
	return err;
}

int cert_cn(gnutls_x509_crt_t c, char *buf, size_t len)
{
	size_t l = len;
	if (gnutls_x509_crt_get_dn_by_oid(c, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &l) < 0) {
		if (len)
			buf[0] = '\0';
		return -ENOENT;
	}
	return 0;
}

void cert_hex(const uint8_t *in, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * len] = '\0';
}

size_t cert_serial_norm(const uint8_t *in, size_t len, const uint8_t **out)
{
	while (len > 1 && in[0] == 0) {
		in++;
		len--;
	}
	*out = in;
	return len;
}

int cert_serial_hex(gnutls_x509_crt_t c, char buf[CERT_SERIAL_HEX_MAX])
{
	uint8_t raw[64];
	size_t len = sizeof(raw);
	const uint8_t *s;
	buf[0] = '\0';
	if (gnutls_x509_crt_get_serial(c, raw, &len) < 0 || !len)
		return -EINVAL;
	len = cert_serial_norm(raw, len, &s);
	if (len > 20)	/* RFC 5280: at most 20 octets */
		return -EINVAL;
	cert_hex(s, len, buf);
	return 0;
}

/* ---- text -> struct dn ------------------------------------------------------ */

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	size_t i = 0;
	while (isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

/*
 * "C=JP, O=Example Inc., CN=*" (also '/'-separated "/C=JP/O=x/CN=y" as
 * OpenSSL prints it). Values may escape ',' and '\' with '\'.
 */
static int dn_parse(const char *text, struct dn *out)
{
	out->n = 0;
	char sep = ',';
	const char *p = text;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '/') {
		sep = '/';
		p++;
	}
	while (*p) {
		char item[DN_VALUE_MAX + 80];
		size_t o = 0;
		for (; *p && *p != sep; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (o + 1 >= sizeof(item))
				return -E2BIG;
			item[o++] = *p;
		}
		item[o] = '\0';
		if (*p == sep)
			p++;
		char *eq = strchr(item, '=');
		if (!eq)
			return -EINVAL;
		*eq = '\0';
		trim(item);
		char *value = eq + 1;
		trim(value);
		const char *oid = name_oid(item);
		if (!oid || out->n == DN_MAX_AVAS || strlen(value) >= DN_VALUE_MAX || strlen(oid) >= 64)
			return oid ? -E2BIG : -EINVAL;
		struct ava *a = &out->v[out->n++];
		snprintf(a->oid, sizeof(a->oid), "%s", oid);
		snprintf(a->value, sizeof(a->value), "%s", value);
		a->tag = 0;
	}
	return out->n ? 0 : -EINVAL;
}

/* ---- struct dn -> DER (for ID_DER_ASN1_DN from operator text) -------------- */

static int der_len(uint8_t *out, size_t cap, size_t *o, size_t len)
{
	if (len < 128) {
		if (*o + 1 > cap)
			return -ENOSPC;
		out[(*o)++] = (uint8_t)len;
	} else if (len < 256) {
		if (*o + 2 > cap)
			return -ENOSPC;
		out[(*o)++] = 0x81;
		out[(*o)++] = (uint8_t)len;
	} else {
		if (*o + 3 > cap || len > 0xffff)
			return -ENOSPC;
		out[(*o)++] = 0x82;
		out[(*o)++] = (uint8_t)(len >> 8);
		out[(*o)++] = (uint8_t)len;
	}
	return 0;
}

static int der_tlv(uint8_t *out, size_t cap, size_t *o, uint8_t tag, const uint8_t *v, size_t len)
{
	if (*o + 1 > cap)
		return -ENOSPC;
	out[(*o)++] = tag;
	int err = der_len(out, cap, o, len);
	if (err || *o + len > cap)
		return err ? err : -ENOSPC;
	memcpy(out + *o, v, len);
	*o += len;
	return 0;
}

static int oid_der(const char *oid, uint8_t *out, size_t cap, size_t *len)
{
	unsigned long arcs[32];
	size_t n = 0, o = 0;
	for (const char *p = oid; *p && n < 32;) {
		char *end;
		arcs[n++] = strtoul(p, &end, 10);
		if (end == p)
			return -EINVAL;
		p = *end == '.' ? end + 1 : end;
	}
	if (n < 2 || arcs[0] > 2)
		return -EINVAL;
	arcs[1] += arcs[0] * 40;
	for (size_t i = 1; i < n; i++) {
		uint8_t tmp[10];
		size_t t = 0;
		unsigned long v = arcs[i];
		do {
			tmp[t++] = v & 0x7f;
			v >>= 7;
		} while (v);
		while (t) {
			if (o >= cap)
				return -ENOSPC;
			t--;
			out[o++] = (uint8_t)(tmp[t] | (t ? 0x80 : 0));
		}
	}
	*len = o;
	return 0;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(" '()+,-./:=?", *s))
			return false;
	return true;
}

static int dn_to_der(const struct dn *dn, uint8_t *out, size_t cap, size_t *len)
{
	uint8_t body[1024];
	size_t bo = 0;
	for (size_t i = 0; i < dn->n; i++) {
		uint8_t oid[64], seq[400], set[420];
		size_t ol, so = 0, to = 0;
		int err = oid_der(dn->v[i].oid, oid, sizeof(oid), &ol);
		if (!err)
			err = der_tlv(seq, sizeof(seq), &so, 0x06, oid, ol);
		/* as CAs write them: PrintableString when it can be, else UTF8String; E is IA5 */
		uint8_t tag = !strcmp(dn->v[i].oid, "1.2.840.113549.1.9.1") ? 22 : printable(dn->v[i].value) ? 19 : 12;
		if (!err)
			err = der_tlv(seq, sizeof(seq), &so, tag, (const uint8_t *)dn->v[i].value,
				      strlen(dn->v[i].value));
		if (!err)
			err = der_tlv(set, sizeof(set), &to, 0x30, seq, so);
		if (!err)
			err = der_tlv(body, sizeof(body), &bo, 0x31, set, to);
		if (err)
			return err;
	}
	*len = 0;
	return der_tlv(out, cap, len, 0x30, body, bo);
}

/* ---- identities ---------------------------------------------------------- */

int cert_id_from_text(const char *text, struct cert_id *out)
{
	memset(out, 0, sizeof(*out));
	out->id.data = out->buf;
	if (!text || !*text)
		return -EINVAL;
	if (inet_pton(AF_INET, text, out->buf) == 1) {
		out->id.type = KANMON_ID_IPV4_ADDR;
		out->id.len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->buf) == 1) {
		out->id.type = KANMON_ID_IPV6_ADDR;
		out->id.len = 16;
		return 0;
	}
	if (strchr(text, '=')) {
		struct dn *dn = malloc(sizeof(*dn));
		if (!dn)
			return -ENOMEM;
		int err = dn_parse(text, dn);
		if (!err)
			err = dn_to_der(dn, out->buf, sizeof(out->buf), &out->id.len);
		free(dn);
		out->id.type = KANMON_ID_DER_ASN1_DN;
		return err;
	}
	size_t n = strlen(text);
	if (n >= sizeof(out->buf))
		return -E2BIG;
	memcpy(out->buf, text, n);
	out->id.len = n;
	out->id.type = strchr(text, '@') ? KANMON_ID_RFC822_ADDR : KANMON_ID_FQDN;
	return 0;
}

int cert_id_text(const struct kanmon_id *id, char *buf, size_t len)
{
	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	switch (id->type) {
	case KANMON_ID_IPV4_ADDR:
	case KANMON_ID_IPV6_ADDR: {
		int af = id->type == KANMON_ID_IPV4_ADDR ? AF_INET : AF_INET6;
		if (id->len != (af == AF_INET ? 4u : 16u) || !inet_ntop(af, id->data, buf, (socklen_t)len))
			return -EINVAL;
		return 0;
	}
	case KANMON_ID_FQDN:
	case KANMON_ID_RFC822_ADDR: {
		size_t o = 0;
		for (size_t i = 0; i < id->len && o + 1 < len; i++)
			buf[o++] = id->data[i] < 0x20 || id->data[i] >= 0x7f ? '?' : (char)id->data[i];
		buf[o] = '\0';
		return 0;
	}
	case KANMON_ID_DER_ASN1_DN: {
		gnutls_datum_t raw = { (unsigned char *)(uintptr_t)id->data, (unsigned)id->len };
		return cert_dn_text(&raw, buf, len);
	}
	case KANMON_ID_KEY_ID:
		if (len < 7 + 2 * id->len + 1)
			return -ENOSPC;
		memcpy(buf, "keyid:", 6);
		cert_hex(id->data, id->len, buf + 6);
		return 0;
	default:
		snprintf(buf, len, "(ID type %u)", id->type);
		return -EINVAL;
	}
}

/* '*' matches any run of characters; ASCII case-insensitive. */
static bool glob_ci(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p && tolower((unsigned char)*p) == tolower((unsigned char)*s)) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return !*p;
}

static bool dn_equal(const struct dn *a, const struct dn *b, bool glob, bool reversed)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct ava *x = &a->v[reversed ? a->n - 1 - i : i], *y = &b->v[i];
		if (strcmp(x->oid, y->oid))
			return false;
		if (glob ? !glob_ci(x->value, y->value) : strcasecmp(x->value, y->value))
			return false;
	}
	return true;
}

static bool text_of(const struct kanmon_id *id, char *buf, size_t len)
{
	if (id->len >= len || memchr(id->data, 0, id->len))
		return false;
	memcpy(buf, id->data, id->len);
	buf[id->len] = '\0';
	return true;
}

/* SAN dNSName with a left-most wildcard label ("*.example.com") */
static bool dns_matches(const char *san, const char *name)
{
	if (!strcasecmp(san, name))
		return true;
	if (san[0] == '*' && san[1] == '.') {
		const char *dot = strchr(name, '.');
		return dot && dot != name && !strcasecmp(san + 1, dot);
	}
	return false;
}

struct san_match {
	const struct kanmon_id *id;
	const char *want;	/* text form (FQDN, RFC 822, address) */
	bool ip;
};

static int san_match_cb(int type, const uint8_t *v, size_t vlen, void *arg)
{
	struct san_match *m = arg;
	char san[256];
	if (type == GNUTLS_SAN_IPADDRESS)
		return m->ip && vlen == m->id->len && !memcmp(v, m->id->data, vlen);
	if (vlen >= sizeof(san) || memchr(v, 0, vlen))
		return 0;
	memcpy(san, v, vlen);
	san[vlen] = '\0';
	/* an address as dNSName is what Windows demands (error 13801) */
	if (type == GNUTLS_SAN_DNSNAME)
		return (m->id->type == KANMON_ID_FQDN || m->ip) && dns_matches(san, m->want);
	if (type == GNUTLS_SAN_RFC822NAME)
		return m->id->type == KANMON_ID_RFC822_ADDR && !strcasecmp(san, m->want);
	return 0;
}

bool cert_has_id_raw(const struct der_span *subject, const struct der_span *san, const struct kanmon_id *id)
{
	char want[256];
	if (!id || !id->data)
		return false;
	if (id->type == KANMON_ID_DER_ASN1_DN) {
		if (subject->len == id->len && !memcmp(subject->p, id->data, id->len))
			return true;
		/* same names, other string types or case: still the same subject */
		struct dn *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
		gnutls_datum_t mine = { (unsigned char *)(uintptr_t)subject->p, (unsigned)subject->len };
		gnutls_datum_t other = { (unsigned char *)(uintptr_t)id->data, (unsigned)id->len };
		bool same = a && b && !dn_from_der(&mine, a) && !dn_from_der(&other, b) && b->n &&
			    dn_equal(b, a, false, false);
		free(a);
		free(b);
		return same;
	}
	struct san_match m = { .id = id, .want = want };
	m.ip = id->type == KANMON_ID_IPV4_ADDR || id->type == KANMON_ID_IPV6_ADDR;
	if (m.ip) {
		if (cert_id_text(id, want, sizeof(want)))
			return false;
	} else if (id->type == KANMON_ID_FQDN || id->type == KANMON_ID_RFC822_ADDR) {
		if (!text_of(id, want, sizeof(want)))
			return false;
	} else {
		return false;
	}
	return der_san_foreach(san->p, san->len, san_match_cb, &m) == 1;
}

bool cert_has_id(gnutls_x509_crt_t c, const struct kanmon_id *id)
{
	if (!id || !id->data)
		return false;
	if (id->type == KANMON_ID_KEY_ID) {
		uint8_t kid[64];
		size_t kl = sizeof(kid);
		if (gnutls_x509_crt_get_subject_key_id(c, kid, &kl, NULL) >= 0 && kl == id->len &&
		    !memcmp(kid, id->data, kl))
			return true;
		kl = sizeof(kid);
		return gnutls_x509_crt_get_key_id(c, GNUTLS_KEYID_USE_SHA1, kid, &kl) >= 0 && kl == id->len &&
		       !memcmp(kid, id->data, kl);
	}
	gnutls_datum_t subject = { NULL, 0 }, san = { NULL, 0 };
	unsigned critical;
	if (gnutls_x509_crt_get_raw_dn(c, &subject) < 0)
		return false;
	if (gnutls_x509_crt_get_extension_by_oid2(c, GNUTLS_X509EXT_OID_SAN, 0, &san, &critical) < 0)
		san = (gnutls_datum_t){ NULL, 0 };
	struct der_span sd = { subject.data, subject.size }, nd = { san.data, san.size };
	bool ok = cert_has_id_raw(&sd, &nd, id);
	gnutls_free(subject.data);
	gnutls_free(san.data);
	return ok;
}

static bool prefix_match(const char *pattern, const struct kanmon_id *id)
{
	char buf[64];
	const char *slash = strchr(pattern, '/');
	size_t n = slash ? (size_t)(slash - pattern) : strlen(pattern);
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, pattern, n);
	buf[n] = '\0';
	uint8_t net[16];
	int af = id->type == KANMON_ID_IPV4_ADDR ? AF_INET : AF_INET6;
	unsigned bits = af == AF_INET ? 32 : 128;
	if (inet_pton(af, buf, net) != 1 || id->len != bits / 8)
		return false;
	unsigned plen = bits;
	if (slash) {
		char *end;
		unsigned long v = strtoul(slash + 1, &end, 10);
		if (*end || end == slash + 1 || v > bits)
			return false;
		plen = (unsigned)v;
	}
	for (unsigned i = 0; i < plen; i++) {
		unsigned byte = i / 8, bit = 7 - i % 8;
		if (((net[byte] >> bit) & 1) != ((id->data[byte] >> bit) & 1))
			return false;
	}
	return true;
}

bool cert_id_match(const char *pattern, const struct kanmon_id *id)
{
	if (!pattern || !id || !id->data)
		return false;
	while (isspace((unsigned char)*pattern))
		pattern++;
	if (!strcmp(pattern, "%any") || !strcmp(pattern, "*"))
		return true;
	switch (id->type) {
	case KANMON_ID_DER_ASN1_DN: {
		if (!strchr(pattern, '='))
			return false;
		struct dn *p = malloc(sizeof(*p)), *v = malloc(sizeof(*v));
		gnutls_datum_t raw = { (unsigned char *)(uintptr_t)id->data, (unsigned)id->len };
		/*
		 * ASN.1 order first (how strongSwan prints DNs); RFC 4514 order
		 * ("CN=*, O=x, C=JP", how OpenSSL -nameopt RFC2253 prints them) too,
		 * so a rule written either way means what its author meant.
		 */
		bool ok = p && v && !dn_parse(pattern, p) && !dn_from_der(&raw, v) &&
			  (dn_equal(p, v, true, false) || dn_equal(p, v, true, true));
		free(p);
		free(v);
		return ok;
	}
	case KANMON_ID_FQDN:
	case KANMON_ID_RFC822_ADDR: {
		char text[256];
		if (!text_of(id, text, sizeof(text)))
			return false;
		/* strongSwan's "@fqdn" / "@@user@fqdn" spellings name the same identity */
		if (pattern[0] == '@')
			pattern += pattern[1] == '@' ? 2 : 1;
		return glob_ci(pattern, text);
	}
	case KANMON_ID_IPV4_ADDR:
	case KANMON_ID_IPV6_ADDR:
		return prefix_match(pattern, id);
	case KANMON_ID_KEY_ID: {
		char hex[2 * 64 + 8];
		if (id->len > 64)
			return false;
		cert_hex(id->data, id->len, hex);
		if (!strncmp(pattern, "keyid:", 6))
			pattern += 6;
		return !strcasecmp(pattern, hex);
	}
	default:
		return false;
	}
}

bool cert_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (!n || n > 64 || name[0] == '.' || name[0] == '-')
		return false;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("._@-", *c))
			return false;
	return true;
}
