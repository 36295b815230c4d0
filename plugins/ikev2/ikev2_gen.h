/* SPDX-License-Identifier: MIT */
/*
 * ikev2_gen.h - writes IKEv2 messages into a caller's buffer: the header,
 * then payloads, each chained to the previous one's "next payload" field.
 * Errors are sticky (the first -ENOSPC is kept and every later call is a
 * no-op), so a message is built without checking each step and
 * ikev2_gen_finish() reports once. No allocation.
 *
 * The same writer builds SK plaintexts (ikev2_gen_init_inner): no header,
 * and the type of the first payload is kept in `first` for the SK payload's
 * "next payload" field.
 */
#ifndef KANMON_IKEV2_GEN_H
#define KANMON_IKEV2_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikev2_proto.h"

struct ikev2_gen {
	uint8_t *buf;
	size_t cap, len;
	size_t next_at;			/* offset of the "next payload" byte to patch; SIZE_MAX: `first` */
	uint8_t first;			/* inner chains: type of the first payload */
	bool header;			/* buf starts with an IKE header */
	int err;			/* sticky: 0 or -ENOSPC */
};

void ikev2_gen_init(struct ikev2_gen *g, uint8_t *buf, size_t cap, const uint8_t spi_i[8],
		    const uint8_t spi_r[8], uint8_t exchange, uint8_t flags, uint32_t msgid);
void ikev2_gen_init_inner(struct ikev2_gen *g, uint8_t *buf, size_t cap);

/*
 * Appends a payload of `type` with a body of body_len bytes and returns a
 * pointer to the body for the caller to fill (NULL after an error).
 */
uint8_t *ikev2_gen_payload(struct ikev2_gen *g, uint8_t type, bool critical, size_t body_len);
/* A payload whose body is `data` copied. */
void ikev2_gen_bytes(struct ikev2_gen *g, uint8_t type, const void *data, size_t len);
void ikev2_gen_notify(struct ikev2_gen *g, uint8_t proto, const uint8_t *spi, uint8_t spi_len, uint16_t type,
		      const void *data, size_t len);
void ikev2_gen_ke(struct ikev2_gen *g, uint16_t group, const uint8_t *data, size_t len);

/* Patches the header length. Returns 0 (len = message length) or the sticky error. */
int ikev2_gen_finish(struct ikev2_gen *g, size_t *len);

#endif
