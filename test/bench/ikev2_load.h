/* SPDX-License-Identifier: MIT */
/*
 * ikev2_load.h - the IKEv2 load generator of test/bench (issue 10,
 * "Benchmarks"): a bounded initiator driving N handshakes against a
 * responder, the PKI it needs, and the crypto microbenchmark that gives the
 * per-handshake bound. Driven by ikev2_load.sh.
 *
 * Files (one concern each):
 *   ikev2_loadgen.c      command line, event loop (window / pacing),
 *                        per-phase figures, /proc readings of the responder
 *   ikev2_load_ini.c     one handshake as an initiator: IKE_SA_INIT,
 *                        IKE_AUTH (certificate, RFC 7427 ECDSA, CP, ESP
 *                        CHILD SA), optional DELETE; built on kanmon's pure
 *                        ikev2_core pieces and core/crypto
 *   ikev2_load_pki.c     CA, server and client certificates made in-process
 *                        with GnuTLS (ECDSA P-256 clients: thousands/s), and
 *                        the client file the runs share
 *   ikev2_load_crypto.c  the crypto a responder does per handshake, timed
 *                        through kanmond's own code paths
 *
 * The generator stays cheap on purpose (ECDSA client keys, the server's
 * AUTH unverified unless asked) so that the responder is what saturates.
 */
#ifndef KANMON_BENCH_IKEV2_LOAD_H
#define KANMON_BENCH_IKEV2_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "dh.h"
#include "ikev2_keys.h"

#define LOAD_ID_MAX	64

/* One client identity: RFC 822 ID, its ECDSA P-256 key and certificate (DER). */
struct load_client {
	char id[LOAD_ID_MAX];
	const uint8_t *key, *cert;
	uint16_t key_len, cert_len;
};

/* The clients file (written by `pki`, read by `run` and `crypto`). */
struct load_clients {
	size_t n;
	struct load_client *c;
	uint8_t *blob;			/* the file, which c[] points into */
};

/* ---- ikev2_load_pki.c ---- */
/*
 * Writes into dir: ca.crt/ca.key (ca_key "rsa" RSA-2048 or "ec" P-256),
 * server-rsa.crt/.key (RSA-2048) and server-ec.crt/.key (P-256) for
 * server_id (CN, dNSName, serverAuth + IKE EKUs), and clients.bin holding n
 * clients c<i>@load.example (P-256, clientAuth, email SAN). 0 or -errno
 * (said on stderr).
 */
int load_pki_generate(const char *dir, const char *server_id, const char *ca_key, size_t n);
/* Reads dir/clients.bin. 0 or -errno. */
int load_clients_read(const char *dir, struct load_clients *out);
void load_clients_free(struct load_clients *cl);
/* Signs data with a client's key (ECDSA SHA-256, DER signature). 0 or -errno. */
int load_client_sign(const struct load_client *c, const uint8_t *data, size_t len, uint8_t *sig,
		     size_t *sig_len);

/* ---- ikev2_load_ini.c ---- */
struct load_ini_opts {
	struct sockaddr_in server;	/* port ignored: 500 then (NAT) 4500 */
	struct in_addr local;		/* our address, for the NAT-D hashes */
	bool fake_nat;			/* claim to be behind a NAT (UDP-encapsulated CHILD SA) */
	bool verify;			/* check the server's AUTH signature */
	bool delete;			/* DELETE the IKE SA once established */
};

enum load_hs_state {
	HS_INIT_SENT = 1,
	HS_AUTH_SENT,
	HS_DELETE_SENT,
	HS_DONE,
	HS_FAILED,
};

/* One handshake in flight. */
struct load_hs {
	enum load_hs_state state;
	const struct load_client *cl;
	uint16_t sport;			/* our UDP port (kept by start/clear) */
	uint8_t spi_i[8], spi_r[8];
	uint8_t ni[32], nr[256];
	size_t nr_len;
	struct dh *dh;
	struct ikev2_keys keys;
	uint64_t iv_seq;
	bool natt;			/* IKE_AUTH and later on port 4500 */
	uint8_t *init_req, *init_resp;	/* RealMessage1/2 (RFC 7296 2.15) */
	size_t init_req_len, init_resp_len;
	uint8_t *req;			/* the request in flight, for retransmission */
	size_t req_len;
	struct in_addr vip;		/* INTERNAL_IP4_ADDRESS given */
	char why[160];			/* HS_FAILED: what went wrong */
};

/* Builds the IKE_SA_INIT request into h->req. 0 or -errno (why set). */
int load_hs_start(struct load_hs *h, const struct load_ini_opts *o, const struct load_client *cl);
/*
 * A datagram for this handshake (non-ESP marker already removed). Returns
 * 1 when a new request is in h->req (send it: port 4500 when h->natt),
 * 0 when the handshake ended (h->state HS_DONE or HS_FAILED), -EAGAIN
 * when the datagram is not the awaited response (ignore it).
 */
int load_hs_input(struct load_hs *h, const struct load_ini_opts *o, const uint8_t *buf, size_t len);
void load_hs_clear(struct load_hs *h);

/* ---- ikev2_load_crypto.c ---- */
/*
 * Times what the responder computes per handshake, through kanmond's code:
 * server signature (certstore_sign, server-<key>.key in dir), ECDH P-256
 * (core/crypto), client AUTH check (ikev2_sig_verify), chain verification
 * (certstore_verify with the identity); prints each and the resulting
 * handshakes/s bound per core. seconds: time per primitive. 0 or -errno.
 */
int load_crypto_bench(const char *dir, const char *server_key, double seconds);

#endif
