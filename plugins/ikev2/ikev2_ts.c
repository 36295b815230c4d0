/* SPDX-License-Identifier: MIT */
/* ikev2_ts.c - traffic selectors and narrowing (ikev2_ts.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "ikev2_ts.h"

#define TS_HDR_LEN	8	/* type, protocol, length, start port, end port */
#define TS4_LEN		(TS_HDR_LEN + 2 * 4)
#define TS6_LEN		(TS_HDR_LEN + 2 * 16)

/* The address bytes of a sockaddr_storage (NULL unless AF_INET/AF_INET6) and their count. */
static uint8_t *addr_bytes(struct sockaddr_storage *ss, size_t *n)
{
	if (ss->ss_family == AF_INET) {
		*n = 4;
		return (uint8_t *)&((struct sockaddr_in *)ss)->sin_addr;
	}
	if (ss->ss_family == AF_INET6) {
		*n = 16;
		return (uint8_t *)&((struct sockaddr_in6 *)ss)->sin6_addr;
	}
	*n = 0;
	return NULL;
}

static const uint8_t *caddr_bytes(const struct sockaddr_storage *ss, size_t *n)
{
	return addr_bytes((struct sockaddr_storage *)ss, n);
}

/*
 * The family of a selector, or 0 when its two ends are not both of one
 * family we know: such a selector is never written, matched or described
 * as an address (a caller's bug, not something a peer can send).
 */
static sa_family_t ts_family(const struct kanmon_ts *ts)
{
	if (ts->from.ss_family != ts->to.ss_family)
		return 0;
	if (ts->from.ss_family != AF_INET && ts->from.ss_family != AF_INET6)
		return 0;
	return ts->from.ss_family;
}

/* Zeroes ss first: no stale port or scope id survives into what the backend installs. */
static void set_addr(struct sockaddr_storage *ss, sa_family_t family, const uint8_t *bytes)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = family;
	if (family == AF_INET)
		memcpy(&((struct sockaddr_in *)ss)->sin_addr, bytes, 4);
	else
		memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr, bytes, 16);
}

static bool ts_equal(const struct kanmon_ts *a, const struct kanmon_ts *b)
{
	size_t na, nb;
	const uint8_t *af = caddr_bytes(&a->from, &na), *at = caddr_bytes(&a->to, &na);
	const uint8_t *bf = caddr_bytes(&b->from, &nb), *bt = caddr_bytes(&b->to, &nb);
	if (ts_family(a) != ts_family(b) || !ts_family(a) || na != nb)
		return false;
	return a->proto == b->proto && a->from_port == b->from_port && a->to_port == b->to_port &&
	       !memcmp(af, bf, na) && !memcmp(at, bt, na);
}

int ikev2_parse_ts(const struct ikev2_payload *p, struct ikev2_ts_set *out)
{
	out->n = 0;
	if ((p->type != IKEV2_PL_TSI && p->type != IKEV2_PL_TSR) || p->len < 4)
		return -EBADMSG;
	const uint8_t *b = p->body;
	size_t count = b[0], at = 4, len = p->len;
	bool too_many = false;
	for (size_t i = 0; i < count; i++) {
		if (len - at < 4)
			return -EBADMSG;
		uint8_t type = b[at];
		size_t sel_len = ikev2_get16(b + at + 2);
		if (sel_len < 4 || sel_len > len - at)
			return -EBADMSG;
		sa_family_t family;
		size_t alen;
		if (type == IKEV2_TS_IPV4_ADDR_RANGE) {
			family = AF_INET;
			alen = 4;
		} else if (type == IKEV2_TS_IPV6_ADDR_RANGE) {
			family = AF_INET6;
			alen = 16;
		} else {
			/* a type from after RFC 7296: skipped, its length says how far */
			at += sel_len;
			continue;
		}
		if (sel_len != TS_HDR_LEN + 2 * alen)
			return -EBADMSG;
		const uint8_t *s = b + at;
		uint16_t from_port = ikev2_get16(s + 4), to_port = ikev2_get16(s + 6);
		const uint8_t *from = s + TS_HDR_LEN, *to = from + alen;
		/*
		 * RFC 7296 3.13.1's OPAQUE ports (65535-0) fall here too: struct
		 * kanmon_ts cannot carry them, and no client we serve sends them.
		 */
		if (from_port > to_port || memcmp(from, to, alen) > 0)
			return -EBADMSG;
		at += sel_len;
		/* keep checking the rest: a malformed payload is -EBADMSG even when long */
		if (out->n == IKEV2_MAX_TS) {
			too_many = true;
			continue;
		}
		struct kanmon_ts *ts = &out->ts[out->n++];
		memset(ts, 0, sizeof(*ts));
		set_addr(&ts->from, family, from);
		set_addr(&ts->to, family, to);
		ts->proto = s[1];
		ts->from_port = from_port;
		ts->to_port = to_port;
	}
	if (at != len)
		return -EBADMSG;	/* fewer selectors than the bytes hold */
	if (too_many) {
		out->n = 0;
		return -E2BIG;
	}
	return 0;
}

void ikev2_gen_ts(struct ikev2_gen *g, uint8_t type, const struct ikev2_ts_set *s)
{
	size_t body = 4, count = 0, n = s->n < IKEV2_MAX_TS ? s->n : IKEV2_MAX_TS;
	for (size_t i = 0; i < n; i++) {
		sa_family_t f = ts_family(&s->ts[i]);
		if (f) {
			body += f == AF_INET ? TS4_LEN : TS6_LEN;
			count++;
		}
	}
	uint8_t *b = ikev2_gen_payload(g, type, false, body);
	if (!b)
		return;
	b[0] = (uint8_t)count;
	b[1] = b[2] = b[3] = 0;
	b += 4;
	for (size_t i = 0; i < n; i++) {
		const struct kanmon_ts *ts = &s->ts[i];
		sa_family_t f = ts_family(ts);
		if (!f)
			continue;
		size_t alen;
		const uint8_t *from = caddr_bytes(&ts->from, &alen), *to = caddr_bytes(&ts->to, &alen);
		b[0] = f == AF_INET ? IKEV2_TS_IPV4_ADDR_RANGE : IKEV2_TS_IPV6_ADDR_RANGE;
		b[1] = ts->proto;
		ikev2_put16(b + 2, (uint16_t)(TS_HDR_LEN + 2 * alen));
		ikev2_put16(b + 4, ts->from_port);
		ikev2_put16(b + 6, ts->to_port);
		memcpy(b + TS_HDR_LEN, from, alen);
		memcpy(b + TS_HDR_LEN + alen, to, alen);
		b += TS_HDR_LEN + 2 * alen;
	}
}

/* a ∩ b into r; false when empty or of different families. */
static bool intersect(const struct kanmon_ts *a, const struct kanmon_ts *b, struct kanmon_ts *r)
{
	sa_family_t f = ts_family(a);
	if (!f || f != ts_family(b))
		return false;
	size_t n;
	const uint8_t *af = caddr_bytes(&a->from, &n), *at = caddr_bytes(&a->to, &n);
	const uint8_t *bf = caddr_bytes(&b->from, &n), *bt = caddr_bytes(&b->to, &n);
	const uint8_t *lo = memcmp(af, bf, n) >= 0 ? af : bf;
	const uint8_t *hi = memcmp(at, bt, n) <= 0 ? at : bt;
	if (memcmp(lo, hi, n) > 0)
		return false;
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	uint16_t plo = a->from_port > b->from_port ? a->from_port : b->from_port;
	uint16_t phi = a->to_port < b->to_port ? a->to_port : b->to_port;
	if (plo > phi)
		return false;
	memset(r, 0, sizeof(*r));
	set_addr(&r->from, f, lo);
	set_addr(&r->to, f, hi);
	r->proto = a->proto ? a->proto : b->proto;
	r->from_port = plo;
	r->to_port = phi;
	return true;
}

size_t ikev2_ts_narrow(const struct ikev2_ts_set *offered, const struct ikev2_ts_set *allowed,
		       struct ikev2_ts_set *out)
{
	out->n = 0;
	for (size_t i = 0; i < offered->n && i < IKEV2_MAX_TS; i++) {
		for (size_t j = 0; j < allowed->n && j < IKEV2_MAX_TS; j++) {
			struct kanmon_ts r;
			if (!intersect(&offered->ts[i], &allowed->ts[j], &r))
				continue;
			bool dup = false;
			for (size_t k = 0; k < out->n && !dup; k++)
				dup = ts_equal(&out->ts[k], &r);
			if (dup)
				continue;
			/*
			 * Full: what fits is still a valid (narrower) answer,
			 * RFC 7296 2.9 lets the responder pick a subset.
			 */
			if (out->n == IKEV2_MAX_TS)
				return out->n;
			out->ts[out->n++] = r;
		}
	}
	return out->n;
}

void ikev2_ts_from_prefix(struct kanmon_ts *ts, const struct sockaddr_storage *addr, unsigned plen)
{
	memset(ts, 0, sizeof(*ts));
	ts->to_port = UINT16_MAX;
	size_t n;
	const uint8_t *a = caddr_bytes(addr, &n);
	if (!a)
		return;		/* families stay AF_UNSPEC: matches nothing */
	uint8_t lo[16], hi[16];
	if (plen > n * 8)
		plen = (unsigned)(n * 8);
	for (size_t i = 0; i < n; i++) {
		unsigned bits = plen >= (i + 1) * 8 ? 8 : plen > i * 8 ? plen - (unsigned)i * 8 : 0;
		uint8_t mask = (uint8_t)(0xff00u >> bits);
		lo[i] = a[i] & mask;
		hi[i] = a[i] | (uint8_t)~mask;
	}
	set_addr(&ts->from, addr->ss_family, lo);
	set_addr(&ts->to, addr->ss_family, hi);
}

void ikev2_ts_host(struct kanmon_ts *ts, const struct sockaddr_storage *addr)
{
	ikev2_ts_from_prefix(ts, addr, 128);
}

bool ikev2_ts_is_any(const struct kanmon_ts *ts)
{
	if (ts->proto || ts->from_port || ts->to_port != UINT16_MAX)
		return false;
	return ikev2_ts_prefix_len(ts) == 0;
}

/* The address part only: "192.0.2.0/24[udp/1701]" is a /24 whatever its ports. */
int ikev2_ts_prefix_len(const struct kanmon_ts *ts)
{
	if (!ts_family(ts))
		return -1;
	size_t n;
	const uint8_t *f = caddr_bytes(&ts->from, &n), *t = caddr_bytes(&ts->to, &n);
	unsigned bit = 0;
	/* the common leading bits ... */
	while (bit < n * 8) {
		unsigned m = 0x80u >> (bit % 8);
		if ((f[bit / 8] & m) != (t[bit / 8] & m))
			break;
		bit++;
	}
	int plen = (int)bit;
	/* ... then from all zeros and to all ones, or it is not one prefix */
	for (; bit < n * 8; bit++) {
		unsigned m = 0x80u >> (bit % 8);
		if ((f[bit / 8] & m) || !(t[bit / 8] & m))
			return -1;
	}
	return plen;
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_ICMP:	return "icmp";
	case IPPROTO_TCP:	return "tcp";
	case IPPROTO_UDP:	return "udp";
	case IPPROTO_ICMPV6:	return "icmp6";
	case IPPROTO_SCTP:	return "sctp";
	default:		return NULL;
	}
}

/* One selector as text into one[] (big enough for two IPv6 addresses and a port range). */
static void describe_one(const struct kanmon_ts *ts, char *one, size_t len)
{
	char from[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];
	size_t n, at;
	sa_family_t f = ts_family(ts);
	if (!f) {
		at = (size_t)snprintf(one, len, "?");
	} else {
		inet_ntop(f, caddr_bytes(&ts->from, &n), from, sizeof(from));
		inet_ntop(f, caddr_bytes(&ts->to, &n), to, sizeof(to));
		int plen = ikev2_ts_prefix_len(ts);
		if (plen >= 0)
			at = (size_t)snprintf(one, len, "%s/%d", from, plen);
		else
			at = (size_t)snprintf(one, len, "%s-%s", from, to);
	}
	bool any_port = !ts->from_port && ts->to_port == UINT16_MAX;
	if (!ts->proto && any_port)
		return;
	const char *name = proto_name(ts->proto);
	char proto[8];
	if (!ts->proto)
		name = "any";
	else if (!name)
		snprintf(proto, sizeof(proto), "%u", ts->proto);
	if (any_port)
		snprintf(one + at, len - at, "[%s]", name ? name : proto);
	else if (ts->from_port == ts->to_port)
		snprintf(one + at, len - at, "[%s/%u]", name ? name : proto, ts->from_port);
	else
		snprintf(one + at, len - at, "[%s/%u-%u]", name ? name : proto, ts->from_port, ts->to_port);
}

size_t ikev2_ts_describe(const struct ikev2_ts_set *s, char *buf, size_t len)
{
	size_t at = 0;
	if (!len)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; i < s->n && i < IKEV2_MAX_TS; i++) {
		char one[2 * INET6_ADDRSTRLEN + 32];
		describe_one(&s->ts[i], one, sizeof(one));
		size_t need = strlen(one) + (at ? 1 : 0);
		/* the last one needs no room for " ..." after it */
		size_t tail = i + 1 < s->n ? 4 : 0;
		if (at + need + tail >= len) {
			snprintf(buf + at, len - at, "%s...", at ? " " : "");
			return strlen(buf);
		}
		at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? " " : "", one);
	}
	return at;
}

struct ikev2_ts_set *ikev2_ts_dup(const struct ikev2_ts_set *s)
{
	size_t n = s->n < IKEV2_MAX_TS ? s->n : IKEV2_MAX_TS;
	struct ikev2_ts_set *d = malloc(offsetof(struct ikev2_ts_set, ts) + n * sizeof(s->ts[0]));
	if (!d)
		return NULL;
	d->n = n;
	memcpy(d->ts, s->ts, n * sizeof(s->ts[0]));
	return d;
}
