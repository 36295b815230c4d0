/* SPDX-License-Identifier: MIT */
/*
 * ikev2_sk.h - the Encrypted payload SK (RFC 7296 3.14) and its fragment
 * form SKF (RFC 7383 2.5), with CBC + HMAC or AES-GCM (RFC 5282).
 *
 *   SK:  generic header | IV | ciphertext(inner payloads | padding | pad len) | ICV
 *   SKF: generic header | fragment number | total | IV | ciphertext | ICV
 * CBC: the ICV is the truncated HMAC over the whole message up to the ICV.
 * GCM: the ICV is the tag; the AAD is the message up to the IV (header,
 * generic header and, for SKF, the fragment fields).
 * The ICV is always checked before anything is decrypted.
 */
#ifndef KANMON_IKEV2_SK_H
#define KANMON_IKEV2_SK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikev2_gen.h"
#include "ikev2_keys.h"
#include "ikev2_parse.h"

/* One direction's keys: borrowed from a struct ikev2_keys. */
struct ikev2_sk_dir {
	uint16_t encr, integ;
	const uint8_t *ke, *ka;
	size_t ke_len, ka_len;
};

/* Keys for messages from the initiator (inbound for a responder) or to it. */
void ikev2_sk_dir(const struct ikev2_keys *k, bool from_initiator, struct ikev2_sk_dir *d);

/*
 * Opens the SK or SKF payload `p`, the last payload of raw[0..raw_len).
 * out needs p->len bytes. 0 with the plaintext length in *out_len;
 * -EBADMSG the ICV does not verify; -EINVAL malformed (lengths, padding).
 */
int ikev2_sk_open(const struct ikev2_sk_dir *d, const uint8_t *raw, size_t raw_len,
		  const struct ikev2_payload *p, uint8_t *out, size_t *out_len);

/*
 * Appends an SK payload (frag NULL) or an SKF payload (frag given) carrying
 * plain[0..len), whose first inner payload is `first` (SKF: 0 except in
 * fragment 1), finishes the message and protects it. *seq feeds the GCM IV
 * (a counter: unique per key), CBC IVs are random. 0, -ENOSPC, -EIO.
 */
int ikev2_sk_seal(struct ikev2_gen *g, const struct ikev2_sk_dir *d, uint8_t first, const struct ikev2_skf *frag,
		  const uint8_t *plain, size_t len, uint64_t *seq, size_t *msg_len);

/* The largest plaintext whose SK (frag: SKF) payload fits in `room` bytes; 0 if none. */
size_t ikev2_sk_max_plain(const struct ikev2_sk_dir *d, bool frag, size_t room);

#endif
