/* SPDX-License-Identifier: MIT */
/*
 * initiator.c - the test initiator of the responder tests: its own
 * Diffie-Hellman, its own SKEYSEED/prf+ from gnutls_hmac_fast (never
 * kanmon's key derivation), NAT-D hashes from gnutls_hash_fast, and
 * datagrams handed to ikev2_receive() as the core would (see initiator.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "initiator.h"

struct ikev2 *ctx;

struct ikev2 *new_ctx(void (*tweak)(struct ikev2_config *))
{
	struct ikev2_config cfg;
	struct ikev2 *c;
	ikev2_config_defaults(&cfg);
	if (tweak)
		tweak(&cfg);
	fh_reset();
	ck_assert_int_eq(ikev2_ctx_new(&fh.h, &cfg, &c), 0);
	c->now_ms = fh_now;
	return c;
}

void addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s->sin_addr);
}

/* a datagram from the client at CLIENT_IP:cport to the server's port */
void deliver(const uint8_t *data, size_t len, uint16_t port, uint16_t cport)
{
	struct kanmon_pkt pkt = { .data = data, .len = len, .port = port };
	addr(&pkt.peer, CLIENT_IP, cport);
	addr(&pkt.local, SERVER_IP, port);
	if (port == 4500)
		pkt.flags = KANMON_PKT_NON_ESP_MARKER;
	ck_assert(port == 4500 ? ikev2_classify_natt(data, len, pkt.flags, ctx) || len < 28 || data[17] >> 4 != 2
			       : ikev2_classify(data, len, 0, ctx) || len < 28 || data[17] >> 4 != 2);
	ikev2_receive(&pkt, ctx);
}



const struct test_prop P_CBC = { .protocol = 1, .encr = { IKE_ENCR_AES_CBC }, .encr_bits = { 256 },
					.integ = { IKE_INTEG_HMAC_SHA2_256_128 }, .prf = { PRF_HMAC_SHA2_256 },
					.dh = { DH_ECP256 } };
const struct test_prop P_GCM = { .protocol = 1, .encr = { IKE_ENCR_AES_GCM_16 }, .encr_bits = { 256 },
					.prf = { PRF_HMAC_SHA2_384 }, .dh = { DH_CURVE25519 } };
const struct test_prop P_WIN = { .protocol = 1, .encr = { IKE_ENCR_3DES },
					.integ = { IKE_INTEG_HMAC_SHA1_96 }, .prf = { PRF_HMAC_SHA1 },
					.dh = { DH_MODP1024 } };

void natd(const uint8_t spi_i[8], const uint8_t spi_r[8], const char *ip, uint16_t port, uint8_t out[20])
{
	/* RFC 7296 2.23: SHA-1(SPIi | SPIr | IP | port) */
	uint8_t in[8 + 8 + 4 + 2];
	memcpy(in, spi_i, 8);
	memcpy(in + 8, spi_r, 8);
	inet_pton(AF_INET, ip, in + 16);
	in[20] = (uint8_t)(port >> 8);
	in[21] = (uint8_t)port;
	ck_assert_int_eq(gnutls_hash_fast(GNUTLS_DIG_SHA1, in, sizeof(in), out), 0);
}


void ini_new(struct ini *c, uint8_t tag)
{
	memset(c, 0, sizeof(*c));
	memset(c->spi_i, tag, 8);
	memset(c->ni, tag ^ 0x5a, sizeof(c->ni));
	c->cport = 500;
}

void ini_free(struct ini *c)
{
	dh_free(c->dh);
	c->dh = NULL;
}

void build_init(struct ini *c, const struct init_opts *o)
{
	static const uint8_t zero[8];
	uint16_t group = o->ke_group ? o->ke_group : o->offer[0].dh[0];
	dh_free(c->dh);
	ck_assert_int_eq(dh_new(group, &c->dh), 0);
	uint8_t pub[DH_MAX_PUB], h[20];
	ck_assert_int_eq(dh_public(c->dh, pub, dh_public_len(group)), 0);
	struct ikev2_gen g;
	ikev2_gen_init(&g, c->req, sizeof(c->req), c->spi_i, zero, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
	if (o->cookie)
		ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_COOKIE, o->cookie, o->cookie_len);
	gen_offer(&g, o->offer, o->n_offer ? o->n_offer : 1);
	if (!o->no_ke)
		ikev2_gen_ke(&g, group, pub, dh_public_len(group));
	ikev2_gen_bytes(&g, IKEV2_PL_NONCE, c->ni, sizeof(c->ni));
	/* behind a NAT: our private address in the source hash */
	natd(c->spi_i, zero, o->behind_nat ? "192.0.2.2" : CLIENT_IP, c->cport, h);
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, h, 20);
	natd(c->spi_i, zero, SERVER_IP, 500, h);
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, h, 20);
	if (o->frag)
		ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_FRAGMENTATION_SUPPORTED, NULL, 0);
	uint8_t hashes[] = { 0, 2, 0, 3, 0, 4 };
	if (!o->no_sig_hashes)
		ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_SIGNATURE_HASH_ALGORITHMS, hashes, sizeof(hashes));
	if (o->extra_type)
		ikev2_gen_payload(&g, o->extra_type, o->extra_critical, 3);
	ck_assert_int_eq(ikev2_gen_finish(&g, &c->req_len), 0);
}

const struct fh_sent *last_sent(void)
{
	ck_assert_uint_gt(fh.n_sent, 0);
	return fh_sent_at(fh.n_sent - 1);
}

/* the single notify of an unprotected answer; returns its type */
uint16_t plain_notify(const struct fh_sent *s, struct ikev2_msg *m, struct ikev2_notify *n)
{
	ck_assert_int_eq(ikev2_parse(s->data, s->len, m), 0);
	ck_assert_uint_eq(m->flags, IKEV2_FLAG_RESPONSE);
	ck_assert_uint_eq(m->c.n, 1);
	ck_assert_int_eq(ikev2_parse_notify(&m->c.pl[0], n), 0);
	return n->type;
}

/* RFC 7296 2.13/2.14 with GnuTLS calls only */
void derive(struct ini *c, const uint8_t *gir, size_t gir_len)
{
	gnutls_mac_algorithm_t mac = c->prf == PRF_HMAC_SHA1 ? GNUTLS_MAC_SHA1
				     : c->prf == PRF_HMAC_SHA2_256 ? GNUTLS_MAC_SHA256
				     : c->prf == PRF_HMAC_SHA2_384 ? GNUTLS_MAC_SHA384 : GNUTLS_MAC_SHA512;
	c->prf_len = gnutls_hmac_get_len(mac);
	c->a_len = c->integ == IKE_INTEG_HMAC_SHA1_96 ? 20 : c->integ == IKE_INTEG_HMAC_SHA2_256_128 ? 32 : 0;
	c->e_len = c->encr == IKE_ENCR_3DES ? 24 : c->bits / 8 + (c->encr == IKE_ENCR_AES_GCM_16 ? 4 : 0);
	uint8_t key[32 + 256], skeyseed[64], seed[32 + 256 + 16], km[600], in[64 + sizeof(seed) + 1], t[64];
	size_t kl = sizeof(c->ni) + c->nr_len;
	memcpy(key, c->ni, sizeof(c->ni));
	memcpy(key + sizeof(c->ni), c->nr, c->nr_len);
	ck_assert_int_eq(gnutls_hmac_fast(mac, key, kl, gir, gir_len, skeyseed), 0);
	memcpy(seed, key, kl);
	memcpy(seed + kl, c->spi_i, 8);
	memcpy(seed + kl + 8, c->spi_r, 8);
	size_t sl = kl + 16, need = 3 * c->prf_len + 2 * c->a_len + 2 * c->e_len, have = 0, tl = 0;
	for (uint8_t n = 1; have < need; n++) {
		memcpy(in, t, tl);
		memcpy(in + tl, seed, sl);
		in[tl + sl] = n;
		ck_assert_int_eq(gnutls_hmac_fast(mac, skeyseed, c->prf_len, in, tl + sl + 1, t), 0);
		tl = c->prf_len;
		memcpy(km + have, t, need - have < tl ? need - have : tl);
		have += need - have < tl ? need - have : tl;
	}
	const uint8_t *k = km;
	memcpy(c->sk_d, k, c->prf_len), k += c->prf_len;
	memcpy(c->sk_ai, k, c->a_len), k += c->a_len;
	memcpy(c->sk_ar, k, c->a_len), k += c->a_len;
	memcpy(c->sk_ei, k, c->e_len), k += c->e_len;
	memcpy(c->sk_er, k, c->e_len), k += c->e_len;
	memcpy(c->sk_pi, k, c->prf_len), k += c->prf_len;
	memcpy(c->sk_pr, k, c->prf_len);
}

/* sends IKE_SA_INIT, checks the SA answer (NAT-D hashes included), derives the keys */
void sa_init_ok(struct ini *c, const struct init_opts *o)
{
	build_init(c, o);
	fh_clear_sent();
	deliver(c->req, c->req_len, 500, c->cport);
	const struct fh_sent *s = last_sent();
	ck_assert_uint_eq(fh.n_sent, 1);
	ck_assert_uint_eq(s->port, 500);
	ck_assert_uint_eq(s->flags, 0);
	memcpy(c->resp, s->data, s->len);
	c->resp_len = s->len;
	struct ikev2_msg m;
	ck_assert_int_eq(ikev2_parse(c->resp, c->resp_len, &m), 0);
	ck_assert_uint_eq(m.exchange, IKEV2_EXCH_IKE_SA_INIT);
	ck_assert_uint_eq(m.flags, IKEV2_FLAG_RESPONSE);
	ck_assert_mem_eq(m.spi_i, c->spi_i, 8);
	memcpy(c->spi_r, m.spi_r, 8);
	static const uint8_t zero[8];
	ck_assert(memcmp(c->spi_r, zero, 8));
	/* SA: one proposal, one transform of each kind */
	const struct ikev2_payload *p = ikev2_chain_find(&m.c, IKEV2_PL_SA, NULL);
	ck_assert_ptr_nonnull(p);
	struct ikev2_offer chosen;
	ck_assert_int_eq(ikev2_offer_parse(p->body, p->len, &chosen), 0);
	ck_assert_uint_eq(chosen.n, 1);
	const struct ikev2_proposal *pp = &chosen.p[0];
	ck_assert_uint_eq(pp->n[IKEV2_XF_ENCR], 1);
	ck_assert_uint_eq(pp->n[IKEV2_XF_PRF], 1);
	ck_assert_uint_eq(pp->n[IKEV2_XF_DH], 1);
	c->encr = pp->x[IKEV2_XF_ENCR][0].id;
	c->bits = pp->x[IKEV2_XF_ENCR][0].bits;
	c->prf = pp->x[IKEV2_XF_PRF][0].id;
	c->integ = pp->n[IKEV2_XF_INTEG] ? pp->x[IKEV2_XF_INTEG][0].id : 0;
	c->group = pp->x[IKEV2_XF_DH][0].id;
	/* KE of the chosen group, our shared secret */
	struct ikev2_ke ke;
	ck_assert_int_eq(ikev2_parse_ke(ikev2_chain_find(&m.c, IKEV2_PL_KE, NULL), &ke), 0);
	ck_assert_uint_eq(ke.group, c->group);
	uint8_t gir[DH_MAX_PUB];
	size_t gl = dh_shared_len(c->group);
	ck_assert_int_eq(dh_shared(c->dh, ke.data, ke.len, gir, gl), 0);
	const uint8_t *nr;
	ck_assert_int_eq(ikev2_parse_nonce(ikev2_chain_find(&m.c, IKEV2_PL_NONCE, NULL), &nr, &c->nr_len), 0);
	memcpy(c->nr, nr, c->nr_len);
	/* NAT-D: the server's address as source, ours as seen as destination */
	struct ikev2_notify n;
	uint8_t h[20];
	ck_assert_int_eq(ikev2_chain_notify(&m.c, IKEV2_N_NAT_DETECTION_SOURCE_IP, &n), 0);
	natd(c->spi_i, c->spi_r, SERVER_IP, 500, h);
	ck_assert_uint_eq(n.data_len, 20);
	ck_assert_mem_eq(n.data, h, 20);
	ck_assert_int_eq(ikev2_chain_notify(&m.c, IKEV2_N_NAT_DETECTION_DESTINATION_IP, &n), 0);
	natd(c->spi_i, c->spi_r, CLIENT_IP, c->cport, h);
	ck_assert_mem_eq(n.data, h, 20);
	ck_assert_int_eq(ikev2_chain_notify(&m.c, IKEV2_N_FRAGMENTATION_SUPPORTED, &n), o->frag ? 0 : -ENOENT);
	/* RFC 7427: announced only to a client that announced its own */
	ck_assert_int_eq(ikev2_chain_notify(&m.c, IKEV2_N_SIGNATURE_HASH_ALGORITHMS, &n),
			 o->no_sig_hashes ? -ENOENT : 0);
	if (!o->no_sig_hashes)
		ck_assert_uint_eq(n.data_len, 6);
	ck_assert_uint_eq(ikev2_chain_count(&m.c, IKEV2_PL_CERTREQ), 1);
	derive(c, gir, gl);
	c->seq = 0;
}

void dirs(const struct ini *c, struct ikev2_sk_dir *to_server, struct ikev2_sk_dir *from_server)
{
	*to_server = (struct ikev2_sk_dir){ c->encr, c->integ, c->sk_ei, c->sk_ai, c->e_len, c->a_len };
	*from_server = (struct ikev2_sk_dir){ c->encr, c->integ, c->sk_er, c->sk_ar, c->e_len, c->a_len };
}

/* an IKE_AUTH request's plaintext: IDi (email), AUTH, N(INITIAL_CONTACT), an ESP SA, TSi, TSr */
size_t auth_plain(uint8_t *buf, size_t cap, uint8_t *first, uint8_t extra_type, size_t cert_len)
{
	struct ikev2_gen g;
	uint8_t id[4 + 17] = { 3, 0, 0, 0 }, auth[4 + 32] = { 1, 0, 0, 0 }, ts[4 + 16] = { 1, 0, 0, 0 };
	memcpy(id + 4, "alice@example.com", 17);
	ikev2_gen_init_inner(&g, buf, cap);
	ikev2_gen_bytes(&g, IKEV2_PL_IDI, id, sizeof(id));
	if (cert_len) {
		uint8_t *cert = ikev2_gen_payload(&g, IKEV2_PL_CERT, false, cert_len);
		cert[0] = 4;
		memset(cert + 1, 0x30, cert_len - 1);
	}
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	ikev2_gen_bytes(&g, IKEV2_PL_AUTH, auth, sizeof(auth));
	struct test_prop esp = { .protocol = 3, .spi_len = 4, .encr = { IKE_ENCR_AES_CBC }, .encr_bits = { 256 },
				 .integ = { IKE_INTEG_HMAC_SHA2_256_128 }, .esn = { 2 } };
	gen_offer(&g, &esp, 1);
	ikev2_gen_bytes(&g, IKEV2_PL_TSI, ts, sizeof(ts));
	ikev2_gen_bytes(&g, IKEV2_PL_TSR, ts, sizeof(ts));
	if (extra_type)
		ikev2_gen_payload(&g, extra_type, true, 2);
	size_t len;
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	*first = g.first;
	return len;
}

size_t seal_request(struct ini *c, uint8_t exch, uint32_t msgid, uint8_t first, const uint8_t *plain,
			   size_t len, uint8_t *out, size_t cap)
{
	struct ikev2_sk_dir to, from;
	dirs(c, &to, &from);
	struct ikev2_gen g;
	size_t ml;
	ikev2_gen_init(&g, out, cap, c->spi_i, c->spi_r, exch, IKEV2_FLAG_INITIATOR, msgid);
	ck_assert_int_eq(ikev2_sk_seal(&g, &to, first, NULL, plain, len, &c->seq, &ml), 0);
	return ml;
}

/* opens a protected response from the server (one datagram) */
void open_response(struct ini *c, const struct fh_sent *s, uint32_t msgid, struct ikev2_chain *inner,
			  uint8_t *plain)
{
	struct ikev2_sk_dir to, from;
	dirs(c, &to, &from);
	struct ikev2_msg m;
	ck_assert_int_eq(ikev2_parse(s->data, s->len, &m), 0);
	ck_assert_uint_eq(m.flags, IKEV2_FLAG_RESPONSE);
	ck_assert_uint_eq(m.msgid, msgid);
	ck_assert_mem_eq(m.spi_r, c->spi_r, 8);
	ck_assert_int_eq(m.c.sk, 0);
	size_t pl;
	ck_assert_int_eq(ikev2_sk_open(&from, s->data, s->len, &m.c.pl[0], plain, &pl), 0);
	ck_assert_int_eq(ikev2_parse_inner(m.c.pl[0].next, plain, pl, inner), 0);
}

size_t seal_msg(struct ini *c, uint8_t exch, uint8_t flags, uint32_t msgid, uint8_t first, const uint8_t *plain,
		size_t len, uint8_t *out, size_t cap)
{
	struct ikev2_sk_dir to, from;
	dirs(c, &to, &from);
	struct ikev2_gen g;
	size_t ml;
	ikev2_gen_init(&g, out, cap, c->spi_i, c->spi_r, exch, flags, msgid);
	ck_assert_int_eq(ikev2_sk_seal(&g, &to, first, NULL, plain, len, &c->seq, &ml), 0);
	return ml;
}

void open_msg(struct ini *c, const struct fh_sent *s, uint8_t flags, uint32_t msgid, struct ikev2_chain *inner,
	      uint8_t *plain)
{
	struct ikev2_sk_dir to, from;
	dirs(c, &to, &from);
	struct ikev2_msg m;
	ck_assert_int_eq(ikev2_parse(s->data, s->len, &m), 0);
	ck_assert_uint_eq(m.flags, flags);
	ck_assert_uint_eq(m.msgid, msgid);
	ck_assert_mem_eq(m.spi_i, c->spi_i, 8);
	ck_assert_mem_eq(m.spi_r, c->spi_r, 8);
	ck_assert_int_eq(m.c.sk, 0);
	size_t pl;
	ck_assert_int_eq(ikev2_sk_open(&from, s->data, s->len, &m.c.pl[0], plain, &pl), 0);
	ck_assert_int_eq(ikev2_parse_inner(m.c.pl[0].next, plain, pl, inner), 0);
}

uint16_t response_notify(struct ini *c, uint32_t msgid)
{
	struct ikev2_chain inner;
	uint8_t plain[2048];
	struct ikev2_notify n;
	open_response(c, last_sent(), msgid, &inner, plain);
	ck_assert_uint_eq(inner.n, 1);
	ck_assert_int_eq(ikev2_parse_notify(&inner.pl[0], &n), 0);
	return n.type;
}

