/* SPDX-License-Identifier: MIT */
/*
 * initiator.h - a minimal IKEv2 initiator for the responder tests, written
 * from RFC 7296 with GnuTLS and core/crypto's DH only: keys are derived here
 * (gnutls_hmac_fast), not by kanmon. SK payloads use ikev2_sk_seal/open with
 * those keys (their format is checked against GnuTLS in test_crypto.c).
 * Drives the responder `ctx` through ikev2_receive() with a fake host.
 */
#ifndef KANMON_TEST_IKEV2_INITIATOR_H
#define KANMON_TEST_IKEV2_INITIATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dh.h"
#include "fakehost.h"
#include "ike_cipher.h"
#include "ikev2.h"
#include "prf.h"
#include "util.h"

#define CLIENT_IP "198.51.100.2"
#define SERVER_IP "198.51.100.1"

extern struct ikev2 *ctx;	/* the responder under test */

struct ini {
	uint8_t spi_i[8], spi_r[8];
	uint8_t ni[32], nr[256];
	size_t nr_len;
	struct dh *dh;
	uint8_t req[2048], resp[2048];
	size_t req_len, resp_len;
	uint16_t cport;
	/* chosen by the server */
	uint16_t encr, bits, integ, prf, group;
	/* keys, derived here */
	size_t prf_len, a_len, e_len;
	uint8_t sk_d[64], sk_ai[64], sk_ar[64], sk_ei[36], sk_er[36], sk_pi[64], sk_pr[64];
	uint64_t seq;
};

struct init_opts {
	const struct test_prop *offer;
	size_t n_offer;
	uint16_t ke_group;		/* 0: the first group of the first proposal */
	bool behind_nat;
	bool frag;
	const uint8_t *cookie;
	size_t cookie_len;
	uint8_t extra_type;		/* an extra payload of this type (0: none) */
	bool extra_critical;
	bool no_ke;
	bool no_sig_hashes;		/* no SIGNATURE_HASH_ALGORITHMS (a client without RFC 7427) */
};

/* offers: aes256-sha256-ecp256, aes256gcm16-prfsha384-curve25519, 3des-sha1-modp1024 */
extern const struct test_prop P_CBC, P_GCM, P_WIN;

/* a fresh fake host and a responder with the defaults, changed by tweak */
struct ikev2 *new_ctx(void (*tweak)(struct ikev2_config *));
void addr(struct sockaddr_storage *ss, const char *ip, uint16_t port);
/* a datagram from CLIENT_IP:cport to the server's port (4500: with the non-ESP marker) */
void deliver(const uint8_t *data, size_t len, uint16_t port, uint16_t cport);
/* RFC 7296 2.23 NAT-D hash */
void natd(const uint8_t spi_i[8], const uint8_t spi_r[8], const char *ip, uint16_t port, uint8_t out[20]);

void ini_new(struct ini *c, uint8_t tag);
void ini_free(struct ini *c);
/* the IKE_SA_INIT request into c->req */
void build_init(struct ini *c, const struct init_opts *o);
/* sends it, checks the SA answer (NAT-D hashes included) and derives the keys here */
void sa_init_ok(struct ini *c, const struct init_opts *o);
const struct fh_sent *last_sent(void);
/* the single notify of an unprotected answer; returns its type */
uint16_t plain_notify(const struct fh_sent *s, struct ikev2_msg *m, struct ikev2_notify *n);
void derive(struct ini *c, const uint8_t *gir, size_t gir_len);
void dirs(const struct ini *c, struct ikev2_sk_dir *to_server, struct ikev2_sk_dir *from_server);
/* IKE_AUTH plaintext: IDi, [CERT of cert_len], N(INITIAL_CONTACT), AUTH, SA, TSi, TSr, [critical extra] */
size_t auth_plain(uint8_t *buf, size_t cap, uint8_t *first, uint8_t extra_type, size_t cert_len);
size_t seal_request(struct ini *c, uint8_t exch, uint32_t msgid, uint8_t first, const uint8_t *plain,
		    size_t len, uint8_t *out, size_t cap);
void open_response(struct ini *c, const struct fh_sent *s, uint32_t msgid, struct ikev2_chain *inner,
		   uint8_t *plain);
/*
 * Any protected message of the client with these header flags (e.g. the
 * answer to a request of the server: IKEV2_FLAG_INITIATOR | IKEV2_FLAG_RESPONSE).
 */
size_t seal_msg(struct ini *c, uint8_t exch, uint8_t flags, uint32_t msgid, uint8_t first, const uint8_t *plain,
		size_t len, uint8_t *out, size_t cap);
/*
 * Opens a protected message from the server (one datagram) whose header
 * must carry exactly these flags (a request of the server: 0).
 */
void open_msg(struct ini *c, const struct fh_sent *s, uint8_t flags, uint32_t msgid, struct ikev2_chain *inner,
	      uint8_t *plain);
/* the type of the single notify in the protected response to msgid */
uint16_t response_notify(struct ini *c, uint32_t msgid);

#endif
