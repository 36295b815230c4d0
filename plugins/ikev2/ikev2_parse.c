/* SPDX-License-Identifier: MIT */
/* ikev2_parse.c - pure IKEv2 message and payload parsers (ikev2_parse.h). */
#include <errno.h>
#include <string.h>

#include "ikev2_parse.h"

/*
 * Minimum body length of each payload type this code knows; -1 = unknown.
 * Values are the fixed fields each body starts with (RFC 7296 3.3-3.16,
 * RFC 7383 2.5), so a body parser never reads past what the chain checked.
 */
static int min_body(uint8_t type)
{
	switch (type) {
	case IKEV2_PL_SA:	return 8;	/* one proposal header */
	case IKEV2_PL_KE:	return 5;	/* group, reserved, data */
	case IKEV2_PL_IDI:
	case IKEV2_PL_IDR:	return 5;	/* type, reserved, data */
	case IKEV2_PL_CERT:
	case IKEV2_PL_CERTREQ:	return 1;	/* encoding */
	case IKEV2_PL_AUTH:	return 5;	/* method, reserved, data */
	case IKEV2_PL_NONCE:	return 16;
	case IKEV2_PL_NOTIFY:	return 4;	/* proto, spi size, type */
	case IKEV2_PL_DELETE:	return 4;
	case IKEV2_PL_VENDOR:	return 0;
	case IKEV2_PL_TSI:
	case IKEV2_PL_TSR:	return 4;	/* count, reserved */
	case IKEV2_PL_SK:	return 0;	/* the transform decides */
	case IKEV2_PL_CP:	return 4;	/* type, reserved */
	case IKEV2_PL_EAP:	return 4;	/* code, id, length */
	case IKEV2_PL_GSPM:	return 1;
	case IKEV2_PL_SKF:	return 4;	/* number, total */
	default:		return -1;
	}
}

static int chain_fail(struct ikev2_chain *c, const char *why, int err)
{
	c->error = why;
	return err;
}

/*
 * Walks a chain starting with payload type `first` over buf[0..len). outer:
 * SK/SKF may (only) come last and stop the walk.
 */
static int parse_chain(uint8_t first, const uint8_t *buf, size_t len, size_t base, bool outer,
		       struct ikev2_chain *c)
{
	c->n = 0;
	c->unsupported = 0;
	c->sk = -1;
	c->error = NULL;
	uint8_t type = first;
	size_t off = 0;
	while (type != IKEV2_PL_NONE) {
		if (c->n == IKEV2_MAX_PAYLOADS)
			return chain_fail(c, "too many payloads", -E2BIG);
		if (len - off < IKEV2_GENERIC_LEN)
			return chain_fail(c, "payload chain runs past the end of the message", -EBADMSG);
		const uint8_t *g = buf + off;
		uint16_t plen = ikev2_get16(g + 2);
		if (plen < IKEV2_GENERIC_LEN)
			return chain_fail(c, "payload length smaller than its header", -EBADMSG);
		if (plen > len - off)
			return chain_fail(c, "payload length exceeds the message", -EBADMSG);
		struct ikev2_payload *p = &c->pl[c->n];
		p->type = type;
		p->next = g[0];
		p->critical = (g[1] & IKEV2_CRITICAL) != 0;
		p->body = g + IKEV2_GENERIC_LEN;
		p->len = (uint16_t)(plen - IKEV2_GENERIC_LEN);
		p->offset = (uint16_t)(base + off);
		int min = min_body(type);
		p->known = min >= 0;
		if (min > (int)p->len)
			return chain_fail(c, "payload body too short for its type", -EBADMSG);
		if (!p->known && p->critical && !c->unsupported)
			c->unsupported = type;
		c->n++;
		off += plen;
		if (type == IKEV2_PL_SK || type == IKEV2_PL_SKF) {
			if (!outer)
				return chain_fail(c, "encrypted payload inside an encrypted payload", -EBADMSG);
			/* its next field is the first inner payload: the outer chain ends here */
			if (off != len)
				return chain_fail(c, "encrypted payload is not the last one", -EBADMSG);
			c->sk = (int)c->n - 1;
			break;
		}
		type = p->next;
	}
	if (off != len)
		return chain_fail(c, "bytes after the last payload", -EBADMSG);
	if (c->unsupported)
		return chain_fail(c, "unsupported critical payload", -EOPNOTSUPP);
	return 0;
}

int ikev2_parse_header(const uint8_t *buf, size_t len, struct ikev2_msg *m)
{
	memset(m, 0, offsetof(struct ikev2_msg, c));
	m->c.n = 0;
	m->c.sk = -1;
	m->c.unsupported = 0;
	m->c.error = NULL;
	if (len < IKEV2_HDR_LEN) {
		m->c.error = "shorter than the IKE header";
		return -EBADMSG;
	}
	memcpy(m->spi_i, buf, 8);
	memcpy(m->spi_r, buf + 8, 8);
	m->next = buf[16];
	m->version = buf[17];
	m->exchange = buf[18];
	m->flags = buf[19];
	m->msgid = ikev2_get32(buf + 20);
	m->length = ikev2_get32(buf + 24);
	m->raw = buf;
	m->raw_len = len;
	if ((m->version >> 4) != 2) {
		m->c.error = "not IKE major version 2";
		return -EPROTONOSUPPORT;
	}
	return 0;
}

int ikev2_parse(const uint8_t *buf, size_t len, struct ikev2_msg *m)
{
	int err = ikev2_parse_header(buf, len, m);
	if (err)
		return err;
	if (len > IKEV2_MAX_MSG) {
		m->c.error = "message larger than the limit";
		return -EMSGSIZE;
	}
	if (m->length != len) {
		m->c.error = m->length > len ? "truncated (header length exceeds the datagram)"
					     : "header length shorter than the datagram";
		return -EBADMSG;
	}
	return parse_chain(m->next, buf + IKEV2_HDR_LEN, len - IKEV2_HDR_LEN, IKEV2_HDR_LEN, true, &m->c);
}

int ikev2_parse_inner(uint8_t first, const uint8_t *buf, size_t len, struct ikev2_chain *c)
{
	if (len > IKEV2_MAX_MSG)
		return chain_fail(c, "message larger than the limit", -EMSGSIZE);
	return parse_chain(first, buf, len, 0, false, c);
}

const struct ikev2_payload *ikev2_chain_find(const struct ikev2_chain *c, uint8_t type, size_t *from)
{
	for (size_t i = from ? *from : 0; i < c->n; i++) {
		if (c->pl[i].type != type)
			continue;
		if (from)
			*from = i + 1;
		return &c->pl[i];
	}
	if (from)
		*from = c->n;
	return NULL;
}

size_t ikev2_chain_count(const struct ikev2_chain *c, uint8_t type)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += c->pl[i].type == type;
	return n;
}

/* ---- payload bodies ------------------------------------------------------- */

int ikev2_parse_notify(const struct ikev2_payload *p, struct ikev2_notify *n)
{
	if (p->type != IKEV2_PL_NOTIFY || p->len < 4)
		return -EBADMSG;
	n->proto = p->body[0];
	n->spi_len = p->body[1];
	n->type = ikev2_get16(p->body + 2);
	if ((size_t)p->len - 4 < n->spi_len)
		return -EBADMSG;
	n->spi = p->body + 4;
	n->data = n->spi + n->spi_len;
	n->data_len = p->len - 4u - n->spi_len;
	return 0;
}

int ikev2_chain_notify(const struct ikev2_chain *c, uint16_t type, struct ikev2_notify *n)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct ikev2_payload *p = &c->pl[i];
		if (p->type != IKEV2_PL_NOTIFY || p->len < 4 || ikev2_get16(p->body + 2) != type)
			continue;
		return ikev2_parse_notify(p, n);
	}
	return -ENOENT;
}

int ikev2_parse_ke(const struct ikev2_payload *p, struct ikev2_ke *ke)
{
	if (p->type != IKEV2_PL_KE || p->len < 5)
		return -EBADMSG;
	ke->group = ikev2_get16(p->body);
	ke->data = p->body + 4;
	ke->len = p->len - 4u;
	return 0;
}

int ikev2_parse_id(const struct ikev2_payload *p, struct ikev2_id *id)
{
	if ((p->type != IKEV2_PL_IDI && p->type != IKEV2_PL_IDR) || p->len < 5)
		return -EBADMSG;
	id->type = p->body[0];
	id->data = p->body + 4;
	id->len = p->len - 4u;
	id->body = p->body;
	id->body_len = p->len;
	return 0;
}

int ikev2_parse_auth(const struct ikev2_payload *p, struct ikev2_auth *a)
{
	if (p->type != IKEV2_PL_AUTH || p->len < 5)
		return -EBADMSG;
	a->method = p->body[0];
	a->data = p->body + 4;
	a->len = p->len - 4u;
	return 0;
}

int ikev2_parse_cert(const struct ikev2_payload *p, struct ikev2_cert *c)
{
	if ((p->type != IKEV2_PL_CERT && p->type != IKEV2_PL_CERTREQ) || p->len < 1)
		return -EBADMSG;
	c->encoding = p->body[0];
	c->data = p->body + 1;
	c->len = p->len - 1u;
	return 0;
}

int ikev2_parse_skf(const struct ikev2_payload *p, struct ikev2_skf *f)
{
	if (p->type != IKEV2_PL_SKF || p->len < 4)
		return -EBADMSG;
	f->number = ikev2_get16(p->body);
	f->total = ikev2_get16(p->body + 2);
	if (!f->number || f->number > f->total)
		return -EBADMSG;
	return 0;
}

int ikev2_parse_nonce(const struct ikev2_payload *p, const uint8_t **nonce, size_t *len)
{
	if (p->type != IKEV2_PL_NONCE || p->len < 16 || p->len > 256)
		return -EBADMSG;
	*nonce = p->body;
	*len = p->len;
	return 0;
}
