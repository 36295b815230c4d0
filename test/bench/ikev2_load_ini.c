/* SPDX-License-Identifier: MIT */
/*
 * ikev2_load_ini.c - one handshake of the load generator, as an initiator
 * (RFC 7296 1.2): IKE_SA_INIT (aes128gcm16-prfsha256-ecp256), then
 * IKE_AUTH with IDi (RFC 822), CERT, AUTH (method 14: RFC 7427
 * ecdsa-with-SHA256), CP(CFG_REQUEST INTERNAL_IP4_ADDRESS), an ESP SA
 * (aes128gcm16, no ESN) and 0.0.0.0/0 selectors; optionally a DELETE of the
 * IKE SA. Messages are written, parsed, sealed and opened with kanmon's
 * pure ikev2_core pieces, keys derived by ikev2_keys.c, ECDH by core/crypto:
 * the responder's own code, so the generator spends its CPU where the
 * responder does and nothing here is a second implementation to trust.
 *
 * Not announced: FRAGMENTATION_SUPPORTED (the server's IKE_AUTH answer then
 * comes as one UDP datagram, IP-fragmented on the veth at worst), MOBIKE,
 * INITIAL_CONTACT (every identity is new). COOKIE answers are honoured.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <kanmon/cert.h>

#include "ikev2_gen.h"
#include "ikev2_load.h"
#include "ikev2_parse.h"
#include "ikev2_proposal.h"
#include "ikev2_sig.h"
#include "ikev2_sk.h"

#define REQ_CAP		4096
#define CPA_INTERNAL_IP4_ADDRESS 1
#define CFG_REQUEST	1
#define CFG_REPLY	2
#define TS_IPV4_ADDR_RANGE 7

/* one message at a time: the generator is single-threaded */
static uint8_t plain[IKEV2_MAX_MSG];

/* the handshake failed: `what`, then `detail` when given */
static int fail(struct load_hs *h, const char *what, const char *detail)
{
	char d[sizeof(h->why)];
	snprintf(d, sizeof(d), "%s", detail ? detail : "");	/* detail may be h->why itself */
	snprintf(h->why, sizeof(h->why), "%s%s", what, d);
	h->state = HS_FAILED;
	return 0;
}

static void natd(const uint8_t spi_i[8], const uint8_t spi_r[8], struct in_addr ip, uint16_t port, uint8_t out[20])
{
	/* RFC 7296 2.23: SHA-1(SPIi | SPIr | IP | port) */
	uint8_t in[8 + 8 + 4 + 2];
	memcpy(in, spi_i, 8);
	memcpy(in + 8, spi_r, 8);
	memcpy(in + 16, &ip, 4);
	in[20] = (uint8_t)(port >> 8);
	in[21] = (uint8_t)port;
	gnutls_hash_fast(GNUTLS_DIG_SHA1, in, sizeof(in), out);
}

static const struct ikev2_suite ike_suite = { .num = 1, .protocol = IKEV2_PROTO_IKE, .encr = IKE_ENCR_AES_GCM_16,
					      .encr_bits = 128, .prf = PRF_HMAC_SHA2_256, .dh = DH_ECP256 };

static int build_init(struct load_hs *h, const struct load_ini_opts *o, const uint8_t *cookie, size_t cookie_len)
{
	static const uint8_t zero[8];
	uint8_t pub[DH_MAX_PUB], hash[20];
	size_t pl = dh_public_len(DH_ECP256);
	if (dh_public(h->dh, pub, pl))
		return -EIO;
	struct ikev2_gen g;
	ikev2_gen_init(&g, h->req, REQ_CAP, h->spi_i, zero, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
	if (cookie)
		ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_COOKIE, cookie, cookie_len);
	ikev2_gen_sa(&g, &ike_suite);
	ikev2_gen_ke(&g, DH_ECP256, pub, pl);
	ikev2_gen_bytes(&g, IKEV2_PL_NONCE, h->ni, sizeof(h->ni));
	/* a NAT claimed: the hash of an address we do not have (what
	 * strongSwan's force_encap does), so the CHILD SA is UDP-encapsulated */
	struct in_addr src = o->local;
	if (o->fake_nat)
		src.s_addr ^= 0x5a5a5a5a;
	natd(h->spi_i, zero, src, h->sport, hash);
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, hash, 20);
	natd(h->spi_i, zero, o->server.sin_addr, 500, hash);
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, hash, 20);
	static const uint8_t hashes[] = { 0, IKEV2_HASH_SHA256 };
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_SIGNATURE_HASH_ALGORITHMS, hashes, sizeof(hashes));
	if (ikev2_gen_finish(&g, &h->req_len))
		return -ENOSPC;
	free(h->init_req);
	if (!(h->init_req = malloc(h->req_len)))
		return -ENOMEM;
	memcpy(h->init_req, h->req, h->req_len);
	h->init_req_len = h->req_len;
	return 0;
}

int load_hs_start(struct load_hs *h, const struct load_ini_opts *o, const struct load_client *cl)
{
	uint16_t sport = h->sport;
	memset(h, 0, sizeof(*h));
	h->sport = sport;
	h->cl = cl;
	if (!(h->req = malloc(REQ_CAP)))
		return -ENOMEM;
	if (gnutls_rnd(GNUTLS_RND_NONCE, h->spi_i, sizeof(h->spi_i)) ||
	    gnutls_rnd(GNUTLS_RND_NONCE, h->ni, sizeof(h->ni)) || dh_new(DH_ECP256, &h->dh)) {
		snprintf(h->why, sizeof(h->why), "no randomness or ECDH key");
		return -EIO;
	}
	h->state = HS_INIT_SENT;
	return build_init(h, o, NULL, 0);
}

void load_hs_clear(struct load_hs *h)
{
	dh_free(h->dh);
	free(h->req);
	free(h->init_req);
	free(h->init_resp);
	ikev2_keys_wipe(&h->keys);
	uint16_t sport = h->sport;
	memset(h, 0, sizeof(*h));
	h->sport = sport;
}

/* the first error notify of a chain (types below 16384), else 0 */
static uint16_t error_notify(const struct ikev2_chain *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct ikev2_notify n;
		if (c->pl[i].type == IKEV2_PL_NOTIFY && !ikev2_parse_notify(&c->pl[i], &n) && n.type < 16384)
			return n.type;
	}
	return 0;
}

static const char *notify_name(uint16_t t)
{
	const char *s = ikev2_notify_name(t);
	return s ? s : "an unknown error notify";
}

/* a selector for everything IPv4, as TSi and TSr */
static void gen_ts_any(struct ikev2_gen *g, uint8_t type)
{
	uint8_t *b = ikev2_gen_payload(g, type, false, 4 + 16);
	if (!b)
		return;
	static const uint8_t any[4 + 16] = { 1, 0, 0, 0, TS_IPV4_ADDR_RANGE, 0, 0, 16, 0, 0, 0xff, 0xff,
					     0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
	memcpy(b, any, sizeof(any));
}

static int build_auth(struct load_hs *h)
{
	const struct load_client *cl = h->cl;
	struct ikev2_gen g;
	size_t idl = strlen(cl->id);
	uint8_t id[4 + LOAD_ID_MAX] = { 3, 0, 0, 0 };	/* ID_RFC822_ADDR */
	memcpy(id + 4, cl->id, idl);

	/* InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, IDi') */
	size_t ol = h->init_req_len + h->nr_len + h->keys.prf_len;
	uint8_t *octets = malloc(ol);
	if (!octets)
		return -ENOMEM;
	memcpy(octets, h->init_req, h->init_req_len);
	memcpy(octets + h->init_req_len, h->nr, h->nr_len);
	int err = prf(h->keys.prf, h->keys.sk_pi, h->keys.prf_len, id, 4 + idl, octets + h->init_req_len + h->nr_len);
	uint8_t auth[4 + 32 + 160] = { IKEV2_AUTH_DIGITAL_SIG, 0, 0, 0 };
	size_t hl = ikev2_sig_rfc7427_header(KANMON_KEY_ECDSA, KANMON_HASH_SHA256, auth + 4);
	size_t sl = sizeof(auth) - 4 - hl;
	if (!err)
		err = load_client_sign(cl, octets, ol, auth + 4 + hl, &sl);
	free(octets);
	if (err) {
		snprintf(h->why, sizeof(h->why), "signing with the client key failed");
		return err;
	}

	ikev2_gen_init_inner(&g, plain, sizeof(plain));
	ikev2_gen_bytes(&g, IKEV2_PL_IDI, id, 4 + idl);
	uint8_t *cert = ikev2_gen_payload(&g, IKEV2_PL_CERT, false, 1u + cl->cert_len);
	if (cert) {
		cert[0] = IKEV2_CERT_X509_SIG;
		memcpy(cert + 1, cl->cert, cl->cert_len);
	}
	ikev2_gen_bytes(&g, IKEV2_PL_AUTH, auth, 4 + hl + sl);
	static const uint8_t cp[] = { CFG_REQUEST, 0, 0, 0, 0, CPA_INTERNAL_IP4_ADDRESS, 0, 0 };
	ikev2_gen_bytes(&g, IKEV2_PL_CP, cp, sizeof(cp));
	struct ikev2_suite esp = { .num = 1, .protocol = IKEV2_PROTO_ESP, .spi_len = 4, .encr = IKE_ENCR_AES_GCM_16,
				   .encr_bits = 128, .esn = 0 };
	gnutls_rnd(GNUTLS_RND_NONCE, esp.spi, 4);
	esp.spi[0] |= 0x01;	/* never a reserved SPI (1-255) */
	ikev2_gen_sa(&g, &esp);
	gen_ts_any(&g, IKEV2_PL_TSI);
	gen_ts_any(&g, IKEV2_PL_TSR);
	size_t len;
	if (ikev2_gen_finish(&g, &len))
		return -ENOSPC;

	struct ikev2_sk_dir d;
	ikev2_sk_dir(&h->keys, true, &d);
	struct ikev2_gen out;
	ikev2_gen_init(&out, h->req, REQ_CAP, h->spi_i, h->spi_r, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
	return ikev2_sk_seal(&out, &d, g.first, NULL, plain, len, &h->iv_seq, &h->req_len);
}

static int build_delete(struct load_hs *h)
{
	struct ikev2_gen g, out;
	size_t len;
	static const uint8_t del[] = { IKEV2_PROTO_IKE, 0, 0, 0 };	/* the IKE SA: no SPI, count 0 */
	ikev2_gen_init_inner(&g, plain, sizeof(plain));
	ikev2_gen_bytes(&g, IKEV2_PL_DELETE, del, sizeof(del));
	if (ikev2_gen_finish(&g, &len))
		return -ENOSPC;
	struct ikev2_sk_dir d;
	ikev2_sk_dir(&h->keys, true, &d);
	ikev2_gen_init(&out, h->req, REQ_CAP, h->spi_i, h->spi_r, IKEV2_EXCH_INFORMATIONAL, IKEV2_FLAG_INITIATOR, 2);
	return ikev2_sk_seal(&out, &d, g.first, NULL, plain, len, &h->iv_seq, &h->req_len);
}

static int on_init_resp(struct load_hs *h, const struct load_ini_opts *o, const struct ikev2_msg *m)
{
	struct ikev2_notify n;
	if (!ikev2_chain_notify(&m->c, IKEV2_N_COOKIE, &n)) {
		/* RFC 7296 2.6: the same request again, the cookie first */
		if (n.data_len < 1 || n.data_len > 64)
			return fail(h, "malformed COOKIE", NULL);
		uint8_t cookie[64];
		memcpy(cookie, n.data, n.data_len);
		return build_init(h, o, cookie, n.data_len) ? fail(h, "rebuilding IKE_SA_INIT failed", NULL) : 1;
	}
	uint16_t e = error_notify(&m->c);
	if (e)
		return fail(h, "IKE_SA_INIT answered ", notify_name(e));
	const struct ikev2_payload *sa = ikev2_chain_find(&m->c, IKEV2_PL_SA, NULL);
	const struct ikev2_payload *ke = ikev2_chain_find(&m->c, IKEV2_PL_KE, NULL);
	const struct ikev2_payload *no = ikev2_chain_find(&m->c, IKEV2_PL_NONCE, NULL);
	if (!sa || !ke || !no)
		return fail(h, "IKE_SA_INIT answer without SA, KE or Nonce", NULL);
	static struct ikev2_offer chosen;	/* large: not on the stack */
	if (ikev2_offer_parse(sa->body, sa->len, &chosen) || chosen.n != 1 ||
	    chosen.p[0].n[IKEV2_XF_ENCR] != 1 || chosen.p[0].x[IKEV2_XF_ENCR][0].id != IKE_ENCR_AES_GCM_16 ||
	    chosen.p[0].x[IKEV2_XF_ENCR][0].bits != 128)
		return fail(h, "the server chose another IKE suite than aes128gcm16-prfsha256-ecp256", NULL);
	struct ikev2_ke k;
	const uint8_t *nr;
	if (ikev2_parse_ke(ke, &k) || k.group != DH_ECP256)
		return fail(h, "KE of another group than ecp256", NULL);
	if (ikev2_parse_nonce(no, &nr, &h->nr_len) || h->nr_len > sizeof(h->nr))
		return fail(h, "malformed Nonce", NULL);
	memcpy(h->nr, nr, h->nr_len);
	memcpy(h->spi_r, m->spi_r, 8);
	uint8_t gir[64], hash[20];
	size_t gl = dh_shared_len(DH_ECP256);
	if (dh_shared(h->dh, k.data, k.len, gir, gl))
		return fail(h, "invalid ECDH public value of the server", NULL);
	int err = ikev2_derive_keys(&ike_suite, h->ni, sizeof(h->ni), h->nr, h->nr_len, gir, gl, h->spi_i, h->spi_r,
				    &h->keys);
	gnutls_memset(gir, 0, sizeof(gir));
	if (err)
		return fail(h, "key derivation failed", NULL);
	dh_free(h->dh);
	h->dh = NULL;

	/* NAT detection (RFC 7296 2.23): any NAT, claimed or real, moves us to 4500 */
	h->natt = o->fake_nat;
	if (!ikev2_chain_notify(&m->c, IKEV2_N_NAT_DETECTION_SOURCE_IP, &n)) {
		natd(h->spi_i, h->spi_r, o->server.sin_addr, 500, hash);
		if (n.data_len != 20 || memcmp(n.data, hash, 20))
			h->natt = true;
	}
	if (!ikev2_chain_notify(&m->c, IKEV2_N_NAT_DETECTION_DESTINATION_IP, &n)) {
		natd(h->spi_i, h->spi_r, o->local, h->sport, hash);
		if (n.data_len != 20 || memcmp(n.data, hash, 20))
			h->natt = true;
	}
	if (!(h->init_resp = malloc(m->raw_len)))
		return fail(h, "out of memory", NULL);
	memcpy(h->init_resp, m->raw, m->raw_len);
	h->init_resp_len = m->raw_len;
	if (build_auth(h))
		return fail(h, "building IKE_AUTH failed: ", h->why);
	h->state = HS_AUTH_SENT;
	return 1;
}

/* opens the SK payload of a response into `plain`, parses the inner chain */
static int open_sk(struct load_hs *h, const struct ikev2_msg *m, struct ikev2_chain *inner)
{
	if (m->c.sk < 0)
		return fail(h, "answer without SK payload to ", ikev2_exchange_name(m->exchange));
	const struct ikev2_payload *sk = &m->c.pl[m->c.sk];
	if (sk->type != IKEV2_PL_SK)
		return fail(h, "fragmented answer (SKF) although fragmentation was not announced", NULL);
	struct ikev2_sk_dir d;
	size_t pl;
	ikev2_sk_dir(&h->keys, false, &d);
	if (ikev2_sk_open(&d, m->raw, m->raw_len, sk, plain, &pl))
		return fail(h, "the answer's SK payload does not verify", NULL);
	if (ikev2_parse_inner(sk->next, plain, pl, inner))
		return fail(h, "malformed inner payloads: ", inner->error);
	return 1;
}

/* INTERNAL_IP4_ADDRESS of a CFG_REPLY */
static bool cp_vip(const struct ikev2_payload *p, struct in_addr *vip)
{
	if (p->len < 4 || p->body[0] != CFG_REPLY)
		return false;
	for (size_t at = 4; at + 4 <= p->len;) {
		uint16_t type = ikev2_get16(p->body + at) & 0x7fff, len = ikev2_get16(p->body + at + 2);
		if (at + 4 + len > p->len)
			return false;
		if (type == CPA_INTERNAL_IP4_ADDRESS && len == 4) {
			memcpy(vip, p->body + at + 4, 4);
			return vip->s_addr != 0;
		}
		at += 4u + len;
	}
	return false;
}

static int verify_server(struct load_hs *h, const struct ikev2_chain *in, const struct ikev2_payload *idr,
			 const struct ikev2_payload *authp)
{
	struct ikev2_id id;
	struct ikev2_auth a;
	struct ikev2_cert c;
	const struct ikev2_payload *cp = ikev2_chain_find(in, IKEV2_PL_CERT, NULL);
	if (!cp || ikev2_parse_cert(cp, &c) || c.encoding != IKEV2_CERT_X509_SIG)
		return fail(h, "--verify: no X.509 CERT from the server", NULL);
	if (ikev2_parse_id(idr, &id) || ikev2_parse_auth(authp, &a))
		return fail(h, "malformed IDr or AUTH", NULL);
	/* ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, IDr') */
	size_t ol = h->init_resp_len + sizeof(h->ni) + h->keys.prf_len;
	uint8_t *octets = malloc(ol);
	if (!octets)
		return fail(h, "out of memory", NULL);
	memcpy(octets, h->init_resp, h->init_resp_len);
	memcpy(octets + h->init_resp_len, h->ni, sizeof(h->ni));
	const char *why = NULL;
	struct ikev2_sig_info info;
	int err = prf(h->keys.prf, h->keys.sk_pr, h->keys.prf_len, id.body, id.body_len,
		      octets + h->init_resp_len + sizeof(h->ni));
	if (!err)
		err = ikev2_sig_verify(a.method, a.data, a.len, c.data, c.len, octets, ol, true, &info, &why);
	free(octets);
	if (err)
		return fail(h, "--verify: the server's AUTH does not verify: ", why ? why : "error");
	return 1;
}

static int on_auth_resp(struct load_hs *h, const struct load_ini_opts *o, const struct ikev2_msg *m)
{
	static struct ikev2_chain in;
	if (!open_sk(h, m, &in))
		return 0;
	uint16_t e = error_notify(&in);
	if (e)
		return fail(h, "IKE_AUTH answered ", notify_name(e));
	const struct ikev2_payload *idr = ikev2_chain_find(&in, IKEV2_PL_IDR, NULL);
	const struct ikev2_payload *authp = ikev2_chain_find(&in, IKEV2_PL_AUTH, NULL);
	const struct ikev2_payload *cp = ikev2_chain_find(&in, IKEV2_PL_CP, NULL);
	if (!idr || !authp)
		return fail(h, "IKE_AUTH answer without IDr or AUTH", NULL);
	if (!ikev2_chain_find(&in, IKEV2_PL_SA, NULL) || !ikev2_chain_find(&in, IKEV2_PL_TSI, NULL) ||
	    !ikev2_chain_find(&in, IKEV2_PL_TSR, NULL))
		return fail(h, "IKE_AUTH answer without a CHILD SA (SA, TSi, TSr)", NULL);
	if (!cp || !cp_vip(cp, &h->vip))
		return fail(h, "IKE_AUTH answer without INTERNAL_IP4_ADDRESS", NULL);
	if (o->verify && !verify_server(h, &in, idr, authp))
		return 0;
	if (!o->delete) {
		h->state = HS_DONE;
		return 0;
	}
	if (build_delete(h))
		return fail(h, "building DELETE failed", NULL);
	h->state = HS_DELETE_SENT;
	return 1;
}

int load_hs_input(struct load_hs *h, const struct load_ini_opts *o, const uint8_t *buf, size_t len)
{
	static struct ikev2_msg m;
	static const uint8_t exch[] = { [HS_INIT_SENT] = IKEV2_EXCH_IKE_SA_INIT, [HS_AUTH_SENT] = IKEV2_EXCH_IKE_AUTH,
					[HS_DELETE_SENT] = IKEV2_EXCH_INFORMATIONAL };
	static const uint32_t msgid[] = { [HS_INIT_SENT] = 0, [HS_AUTH_SENT] = 1, [HS_DELETE_SENT] = 2 };
	if (h->state < HS_INIT_SENT || h->state > HS_DELETE_SENT)
		return -EAGAIN;
	/* anything but the awaited response (a retransmitted answer of the
	 * previous exchange, a request of the server) is not ours to act on */
	if (ikev2_parse(buf, len, &m) || !(m.flags & IKEV2_FLAG_RESPONSE) || m.exchange != exch[h->state] ||
	    m.msgid != msgid[h->state] || memcmp(m.spi_i, h->spi_i, 8) ||
	    (h->state != HS_INIT_SENT && memcmp(m.spi_r, h->spi_r, 8)))
		return -EAGAIN;
	switch (h->state) {
	case HS_INIT_SENT:
		return on_init_resp(h, o, &m);
	case HS_AUTH_SENT:
		return on_auth_resp(h, o, &m);
	default: {
		static struct ikev2_chain in;
		if (!open_sk(h, &m, &in))
			return 0;
		h->state = HS_DONE;
		return 0;
	}
	}
}
