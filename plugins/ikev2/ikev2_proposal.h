/* SPDX-License-Identifier: MIT */
/*
 * ikev2_proposal.h - SA payload proposals (RFC 7296 3.3): the peer's offer
 * parsed (pure), the server's configured proposals parsed from strongSwan-
 * style strings, selection in the SERVER's preference order, and the SA
 * payload of the answer.
 *
 * Configured proposal strings: algorithms joined by '-', any number of each
 * kind, most preferred first: "aes256gcm16-prfsha256-ecp256",
 * "aes256-aes128-sha256-sha1-modp2048", "3des-sha1-modp1024".
 *  encryption  aes128 aes192 aes256 3des aes128gcm16 aes256gcm16 (also ...gcm)
 *  integrity   sha1 sha256 sha384 sha512 (HMAC, truncated per RFC 4868)
 *  PRF         prfsha1 prfsha256 prfsha384 prfsha512; when none is given the
 *              PRFs of the integrity algorithms (strongSwan's convention)
 *  DH          modp1024 modp1536 modp2048 modp3072 modp4096 ecp256 ecp384
 *              curve25519 (x25519); ESP only: modpnone (PFS optional)
 *  ESN (ESP)   esn noesn (default noesn)
 * An AEAD proposal has no integrity algorithm; AEAD and CBC ciphers do not
 * mix in one proposal (make two).
 *
 * Selection: the configured proposals in order (modern, then legacy), and
 * for each the peer's proposals in the peer's order; the first pair that
 * shares an algorithm of every kind wins, and of each kind the configured
 * proposal's first shared algorithm is taken. Order the configuration to
 * say what you prefer.
 */
#ifndef KANMON_IKEV2_PROPOSAL_H
#define KANMON_IKEV2_PROPOSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikev2_gen.h"

#define IKEV2_MAX_PROPOSALS	16	/* in one SA payload */
#define IKEV2_MAX_XF		48	/* of one type in one proposal */

struct ikev2_xf {
	uint16_t id;
	uint16_t bits;			/* Key Length attribute, 0 = none */
	bool usable;			/* false: an attribute we do not understand */
};

struct ikev2_proposal {
	uint8_t num;			/* proposal number */
	uint8_t protocol;		/* IKEV2_PROTO_* */
	uint8_t spi_len;
	uint8_t spi[8];
	uint8_t n[IKEV2_XF_MAX + 1];	/* count per transform type (index 1..5) */
	struct ikev2_xf x[IKEV2_XF_MAX + 1][IKEV2_MAX_XF];
	bool dh_optional;		/* configured ESP proposal with modpnone */
	bool dh_ignored;		/* offered in IKE_AUTH: no KE there, so DH
					 * transforms mean nothing (RFC 7296 1.2) */
};

struct ikev2_offer {
	size_t n;
	struct ikev2_proposal p[IKEV2_MAX_PROPOSALS];
};

/* What was chosen: one algorithm of each kind (0 = none). */
struct ikev2_suite {
	uint8_t num, protocol, spi_len;
	uint8_t spi[8];
	uint16_t encr, encr_bits, prf, integ, dh, esn;
	bool legacy;			/* from the legacy set */
};

/*
 * Pure: the body of an SA payload. 0, -EBADMSG (malformed: lengths,
 * substructure markers, counts), -E2BIG (more proposals/transforms than the
 * limits above).
 */
int ikev2_offer_parse(const uint8_t *body, size_t len, struct ikev2_offer *out);

/*
 * A configured proposal string for `protocol` (IKE or ESP). 0 or -EINVAL
 * with a message in err naming the offending word.
 */
int ikev2_proposal_parse_conf(const char *s, uint8_t protocol, struct ikev2_proposal *out, char *err,
			      size_t err_len);

/*
 * Picks a suite from `offer` for the configured proposals conf[0..n); those
 * at index >= legacy_from are the legacy set (suite.legacy). 0 or -ENOENT.
 */
int ikev2_select(const struct ikev2_proposal *conf, size_t n, size_t legacy_from,
		 const struct ikev2_offer *offer, uint8_t protocol, struct ikev2_suite *out);

/* Appends an SA payload holding exactly the chosen suite. */
void ikev2_gen_sa(struct ikev2_gen *g, const struct ikev2_suite *s);

/* "aes256-sha256-prfsha256-ecp256" / "aes256gcm16-prfsha256-ecp256" */
size_t ikev2_suite_name(const struct ikev2_suite *s, char *buf, size_t len);
/* The peer's offer for a log line: "aes256/sha1/prfsha1/modp1024, 3des/..." */
size_t ikev2_offer_describe(const struct ikev2_offer *o, char *buf, size_t len);

#endif
