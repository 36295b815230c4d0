/* SPDX-License-Identifier: MIT */
/*
 * ikev2_parse.h - pure parsers of IKEv2 messages (RFC 7296 3): a datagram
 * into header + payload chain, a decrypted SK plaintext into its inner
 * chain, and the bodies of the simple payloads. No allocation, no I/O, no
 * logging: results point into the caller's buffer, which must outlive them.
 *
 * Strictness (everything refused is -errno with `error` saying why, for the
 * caller's counters and its one log line):
 *  - the header's length must equal the datagram length, at most
 *    IKEV2_MAX_MSG; major version 2 (-EPROTONOSUPPORT otherwise);
 *  - every payload at least its generic header and inside the message,
 *    the chain must end exactly at the end (no trailing bytes, no dangling
 *    "next payload"); known payload types have minimum body lengths;
 *  - SK / SKF ends the outer chain and must reach the end of the message
 *    (its "next payload" names the first inner payload); never inside SK;
 *  - at most IKEV2_MAX_PAYLOADS payloads (-E2BIG);
 *  - an unknown payload with the critical bit set makes the parse return
 *    -EOPNOTSUPP after the whole chain was checked, with `unsupported`
 *    holding its type (the answer is UNSUPPORTED_CRITICAL_PAYLOAD, RFC 7296
 *    2.5); unknown non-critical payloads are kept and skipped by callers.
 * Which payloads an exchange needs, and how often, is the exchange's check.
 */
#ifndef KANMON_IKEV2_PARSE_H
#define KANMON_IKEV2_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikev2_proto.h"

#define IKEV2_MAX_PAYLOADS	64
#define IKEV2_MAX_MSG		32768	/* datagram or reassembled message */

struct ikev2_payload {
	const uint8_t *body;		/* after the generic header */
	uint16_t len;			/* body length */
	uint16_t offset;		/* of the generic header, from the chain start */
	uint8_t type;
	uint8_t critical;		/* the critical bit was set */
	uint8_t next;			/* next payload field (SK: the first inner payload) */
	uint8_t known;			/* a type this parser knows */
};

struct ikev2_chain {
	size_t n;
	struct ikev2_payload pl[IKEV2_MAX_PAYLOADS];
	uint8_t unsupported;		/* first unknown critical type, 0 = none */
	int sk;				/* index of SK/SKF (outer chain only), -1 = none */
	const char *error;		/* why the parse failed (static text) */
};

struct ikev2_msg {
	uint8_t spi_i[8], spi_r[8];
	uint8_t next;			/* first payload */
	uint8_t version;
	uint8_t exchange;
	uint8_t flags;
	uint32_t msgid;
	uint32_t length;
	const uint8_t *raw;		/* the whole message */
	size_t raw_len;
	struct ikev2_chain c;
};

/* Header only (for demultiplexing before a full parse). 0 or -EBADMSG / -EPROTONOSUPPORT. */
int ikev2_parse_header(const uint8_t *buf, size_t len, struct ikev2_msg *m);
/* Header and outer chain. 0, -EBADMSG, -EPROTONOSUPPORT, -E2BIG, -EMSGSIZE, -EOPNOTSUPP. */
int ikev2_parse(const uint8_t *buf, size_t len, struct ikev2_msg *m);
/* The payloads of a decrypted SK (or reassembled SKF) plaintext. Same codes. */
int ikev2_parse_inner(uint8_t first, const uint8_t *buf, size_t len, struct ikev2_chain *c);

/* chain helpers: first payload of `type` at index >= *from (NULL = 0); NULL if none */
const struct ikev2_payload *ikev2_chain_find(const struct ikev2_chain *c, uint8_t type, size_t *from);
size_t ikev2_chain_count(const struct ikev2_chain *c, uint8_t type);

/* ---- payload bodies: 0 or -EBADMSG ------------------------------------ */

struct ikev2_notify {
	uint8_t proto;
	uint8_t spi_len;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t data_len;
};
int ikev2_parse_notify(const struct ikev2_payload *p, struct ikev2_notify *n);
/* First notify of `type` in the chain: 0, -ENOENT, -EBADMSG. */
int ikev2_chain_notify(const struct ikev2_chain *c, uint16_t type, struct ikev2_notify *n);

struct ikev2_ke {
	uint16_t group;
	const uint8_t *data;
	size_t len;
};
int ikev2_parse_ke(const struct ikev2_payload *p, struct ikev2_ke *ke);

/* ID (IDi/IDr): type + 3 reserved bytes + data */
struct ikev2_id {
	uint8_t type;
	const uint8_t *data;
	size_t len;
	const uint8_t *body;		/* type..end: what AUTH signs (RFC 7296 2.15) */
	size_t body_len;
};
int ikev2_parse_id(const struct ikev2_payload *p, struct ikev2_id *id);

/* AUTH: method + 3 reserved bytes + data */
struct ikev2_auth {
	uint8_t method;
	const uint8_t *data;
	size_t len;
};
int ikev2_parse_auth(const struct ikev2_payload *p, struct ikev2_auth *a);

/* CERT / CERTREQ: encoding + data */
struct ikev2_cert {
	uint8_t encoding;
	const uint8_t *data;
	size_t len;
};
int ikev2_parse_cert(const struct ikev2_payload *p, struct ikev2_cert *c);

/* SKF header (RFC 7383 2.5): 1 <= number <= total */
struct ikev2_skf {
	uint16_t number, total;
};
int ikev2_parse_skf(const struct ikev2_payload *p, struct ikev2_skf *f);

/* Nonce data: 16..256 bytes (RFC 7296 3.9) */
int ikev2_parse_nonce(const struct ikev2_payload *p, const uint8_t **nonce, size_t *len);

/*
 * "IDi CERT N(INITIAL_CONTACT) AUTH ..." into buf (always terminated,
 * truncated with "..." when it does not fit). Returns strlen(buf).
 */
size_t ikev2_chain_describe(const struct ikev2_chain *c, char *buf, size_t len);

#endif
