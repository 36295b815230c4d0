/* SPDX-License-Identifier: MIT */
/*
 * ikev2_frag.h - IKEv2 message fragmentation (RFC 7383).
 *
 * Reassembly takes fragments that were already authenticated and decrypted
 * (ikev2_sk_open: RFC 7383 2.6 checks each fragment's ICV first, so nobody
 * without the keys can make us store anything) and keeps them until the
 * message is whole. Memory is bounded twice: per message (IKEV2_MAX_MSG and
 * IKEV2_FRAG_MAX_COUNT fragments; an IKE SA collects one message at a time)
 * and in total over all SAs (a budget shared by the plugin). Every stored
 * fragment is charged its length plus a fixed overhead, so floods of tiny
 * fragments hit the bound as surely as big ones. Buffers are wiped on free.
 *
 * Splitting cuts an SK plaintext into SKF messages that each fit a given
 * message size (RFC 7383 2.5: every fragment is a complete, protected IKE
 * message with the same message ID).
 */
#ifndef KANMON_IKEV2_FRAG_H
#define KANMON_IKEV2_FRAG_H

#include <stddef.h>
#include <stdint.h>

#include "ikev2_parse.h"
#include "ikev2_sk.h"

#define IKEV2_FRAG_MAX_COUNT	128	/* fragments of one message (Windows sends > 16) */
#define IKEV2_FRAG_OVERHEAD	64	/* bytes charged per stored fragment besides its data */

struct ikev2_frag_budget {
	size_t used;			/* bytes charged over all SAs */
	size_t limit;			/* total bound */
};

struct ikev2_reasm {
	uint32_t msgid;
	uint16_t total, have;		/* total 0: nothing collected */
	uint8_t first;			/* next payload of fragment 1 */
	size_t charged;			/* what this SA holds of the budget */
	size_t bytes;			/* data bytes held */
	uint8_t **frag;			/* [total], NULL = missing */
	uint16_t *len;
};

/*
 * Adds fragment f (decrypted data[0..len), its SKF next-payload field
 * `next`) of message `msgid`. Returns
 *   0          stored, more are missing;
 *   1          complete: *out (malloc'd; wipe and free it) holds the
 *              concatenated plaintext, *out_len its length, *first the first
 *              inner payload; the SA's collection is reset;
 *   -EALREADY  a fragment with this number is already held (dropped);
 *   -ESTALE    a smaller Total Fragments than the collection's (dropped,
 *              RFC 7383 2.6); a greater one restarts the collection;
 *   -ENOBUFS   the per-message or the total bound would be exceeded: the
 *              SA's collection is dropped with it;
 *   -EINVAL    number/total out of range; -ENOMEM.
 */
int ikev2_reasm_add(struct ikev2_reasm *r, struct ikev2_frag_budget *b, uint32_t msgid, const struct ikev2_skf *f,
		    uint8_t next, const uint8_t *data, size_t len, uint8_t **out, size_t *out_len, uint8_t *first);
/* Drops whatever the SA collected and returns it to the budget. */
void ikev2_reasm_reset(struct ikev2_reasm *r, struct ikev2_frag_budget *b);

/* One outgoing datagram payload (an IKE message), malloc'd. */
struct ikev2_buf {
	uint8_t *data;
	size_t len;
};

/*
 * Splits plain[0..len) (first inner payload `first`) into protected SKF
 * messages of at most max_msg bytes each (IKE header included), appended to
 * out[*n..max_out). 0, -EMSGSIZE (max_msg too small, or more fragments than
 * max_out / IKEV2_FRAG_MAX_COUNT), -ENOMEM, -EIO. On error nothing is added.
 */
int ikev2_frag_split(const struct ikev2_sk_dir *d, const uint8_t spi_i[8], const uint8_t spi_r[8],
		     uint8_t exchange, uint8_t flags, uint32_t msgid, uint8_t first, const uint8_t *plain,
		     size_t len, size_t max_msg, uint64_t *seq, struct ikev2_buf *out, size_t max_out, size_t *n);

void ikev2_buf_free(struct ikev2_buf *b);	/* wipes; NULL data is fine */

#endif
