/* SPDX-License-Identifier: MIT */
/*
 * test_lifecycle.c - what happens to an established IKE SA after IKE_AUTH
 * (issue 10), through ikev2_receive(), the SA timers of the fake host (its
 * clock moved with fh_advance) and ikev2_sa_event():
 *
 *   DPD              a silent client is probed after `dpd` s with an empty
 *                    INFORMATIONAL request of ours; unanswered, it is
 *                    retransmitted after 1, 2, 4 s and the client removed
 *                    15 s after the first send; ESP from it (the backend's
 *                    last_use) counts as life
 *   client rekeys    CHILD SA with and without PFS (KEYMAT computed here),
 *                    refusals (INVALID_KE_PAYLOAD, CHILD_SA_NOT_FOUND,
 *                    NO_ADDITIONAL_SAS), IKE SA (new SPIs and keys derived
 *                    here from the old SK_d, RFC 7296 2.18)
 *   our rekey        on SOFT_EXPIRE: our CREATE_CHILD_SA request, the new
 *                    pair keyed with us as the initiator, our DELETE of
 *                    the old pair
 *   collisions       RFC 7296 2.8.1, both outcomes, nonces chosen here
 *   duplicates       replace / keep / refuse, INITIAL_CONTACT
 *   kill             while a liveness check is out: window of one
 *
 * Everything the server sends is opened here with keys the test derived
 * itself (initiator.c); what it installs is read from the fake backend.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "fakehost.h"
#include "ikev2.h"
#include "ikev2_sig.h"
#include "authkit.h"
#include "initiator.h"
#include "util.h"

/* ---- the test's PKI, made once ---------------------------------------------------- */

static struct ent ca, client, server;

#define CLIENT_ID "alice@example.com"
#define SERVER_ID "vpn.example.com"
#define POOL "vpn"
#define VIP "10.10.0.10"
#define VIP2 "10.10.0.11"
#define DPD_MS 30000u
#define GIVE_UP_MS 15000u

static void pki_setup(void)
{
	unsigned p256 = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1);
	ent_make(&ca, GNUTLS_PK_ECDSA, p256, "Test VPN CA", NULL, NULL, NULL, 1);
	ent_make(&client, GNUTLS_PK_RSA, 2048, CLIENT_ID, CLIENT_ID, NULL, &ca, 3);
	ent_make(&server, GNUTLS_PK_ECDSA, p256, SERVER_ID, NULL, SERVER_ID, &ca, 6);
}

static void pki_teardown(void)
{
	ent_drop(&ca);
	ent_drop(&client);
	ent_drop(&server);
}

/* ---- the responder with the fake host's services --------------------------------- */

static const char *dup_policy;	/* duplicates setting of the next context, NULL: the default */

static void tweak(struct ikev2_config *cfg)
{
	cfg->pool = POOL;
	cfg->server_id = SERVER_ID;
	if (dup_policy)
		cfg->duplicates = dup_policy;
}

static void new_auth_ctx(void)
{
	struct ikev2_config cfg;
	fh_reset();
	fh_auth_on();
	fh.auth.ca = ca.crt;
	fh.auth.server_name = "server";
	fh.auth.server_key = server.key;
	fh.auth.server_cert = server.der;
	fh.auth.server_cert_len = server.der_len;
	fh.auth.server_issuer = ca.der;
	fh.auth.server_issuer_len = ca.der_len;
	fh.auth.key_type = KANMON_KEY_ECDSA;
	fh.auth.key_bits = 256;
	fh.auth.pool = POOL;
	fh.auth.pool4_prefix = "10.10.0.";
	fh.auth.dns[0] = "10.10.0.1";
	fh.auth.n_dns = 1;
	ikev2_config_defaults(&cfg);
	tweak(&cfg);
	ck_assert_int_eq(ikev2_ctx_new(&fh.h, &cfg, &ctx), 0);
	ctx->now_ms = fh_now;
	ck_assert_ptr_nonnull(ctx->sa_ops);
	ck_assert_uint_eq(ctx->dpd, DPD_MS / 1000);
}

static void setup(void)
{
	dup_policy = NULL;
	new_auth_ctx();
}

static void teardown(void)
{
	ikev2_ctx_free(ctx);
	ctx = NULL;
}

/* ---- keys, computed here (RFC 7296 2.13, 2.17, 2.18) ------------------------------ */


/* ESP aes256-cbc + hmac-sha256-128: 32 + 32 bytes per direction */
#define KM_LEN 128

/* KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr) (RFC 7296 2.17) */
static void keymat(const struct ini *c, const uint8_t *gir, size_t gl, const uint8_t *ni, size_t nil,
		   const uint8_t *nr, size_t nrl, uint8_t km[KM_LEN])
{
	uint8_t seed[1024];
	size_t l = 0;
	ck_assert_uint_le(gl + nil + nrl, sizeof(seed));
	if (gl)
		memcpy(seed, gir, gl), l += gl;
	memcpy(seed + l, ni, nil), l += nil;
	memcpy(seed + l, nr, nrl), l += nrl;
	kdf_plus(c, c->sk_d, seed, l, km, KM_LEN);
}

/*
 * The IKE SA's new keys after a rekey (RFC 7296 2.18):
 * SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), then
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
 */
static void ike_rekey_keys(struct ini *c, const uint8_t *gir, size_t gl, const uint8_t *ni, size_t nil,
			   const uint8_t *nr, size_t nrl, const uint8_t spi_i[8], const uint8_t spi_r[8])
{
	uint8_t in[1024], skeyseed[64], seed[600], km[600];
	size_t l = 0;
	memcpy(in, gir, gl), l += gl;
	memcpy(in + l, ni, nil), l += nil;
	memcpy(in + l, nr, nrl), l += nrl;
	ck_assert_int_eq(gnutls_hmac_fast(mac_of(c), c->sk_d, c->prf_len, in, l, skeyseed), 0);
	l = 0;
	memcpy(seed, ni, nil), l += nil;
	memcpy(seed + l, nr, nrl), l += nrl;
	memcpy(seed + l, spi_i, 8), l += 8;
	memcpy(seed + l, spi_r, 8), l += 8;
	size_t need = 3 * c->prf_len + 2 * c->a_len + 2 * c->e_len;
	kdf_plus(c, skeyseed, seed, l, km, need);
	const uint8_t *k = km;
	memcpy(c->sk_d, k, c->prf_len), k += c->prf_len;
	memcpy(c->sk_ai, k, c->a_len), k += c->a_len;
	memcpy(c->sk_ar, k, c->a_len), k += c->a_len;
	memcpy(c->sk_ei, k, c->e_len), k += c->e_len;
	memcpy(c->sk_er, k, c->e_len), k += c->e_len;
	memcpy(c->sk_pi, k, c->prf_len), k += c->prf_len;
	memcpy(c->sk_pr, k, c->prf_len);
	memcpy(c->spi_i, spi_i, 8);
	memcpy(c->spi_r, spi_r, 8);
}

/* ---- a client ------------------------------------------------------------------ */

/* RFC 7427 Appendix A: sha256WithRSAEncryption, length byte first */
static const uint8_t H_RSA_SHA256[] = { 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };

/* SPIs a client picks for its inbound ESP SAs */
static const uint8_t SPI_A[4] = { 0xa0, 0xa1, 0xa2, 0xa3 }, SPI_B[4] = { 0xb0, 0xb1, 0xb2, 0xb3 },
		     SPI_C[4] = { 0xc5, 0xc6, 0xc7, 0xc8 }, SPI_D[4] = { 0xd0, 0xd1, 0xd2, 0xd3 };

/* ESP aes256-sha256 without ESN (configured by default), SPI given; dh: PFS group (0: none) */
static struct test_prop esp_prop(const uint8_t spi[4], uint16_t dh)
{
	struct test_prop p = { .protocol = IKEV2_PROTO_ESP, .spi_len = 4, .encr = { IKE_ENCR_AES_CBC },
			       .encr_bits = { 256 }, .integ = { IKE_INTEG_HMAC_SHA2_256_128 }, .esn = { 2 },
			       .spi = spi };
	p.dh[0] = dh;
	return p;
}

static uint32_t spi32(const uint8_t b[4])
{
	uint32_t v;
	memcpy(&v, b, 4);
	return v;
}

struct cl {
	struct ini c;
	uint16_t cport;
	uint32_t next;			/* ID of our next request */
	uint32_t spi_in;		/* the server's inbound SPI of our CHILD SA (network order) */
	uint32_t spi_out;		/* ours: the server's outbound */
	char vip[INET_ADDRSTRLEN];
	uint8_t last[4096];		/* our last request as sent */
	size_t last_len;
};

/* the answer or request of the server opened last */
static uint8_t PLAIN[8192];
static struct ikev2_chain IN;

/* datagrams sent to client k (by header SPIs) since the last fh_clear_sent() */
static size_t n_for(const struct cl *k)
{
	size_t n = 0;
	for (size_t i = 0; i < fh.n_sent && i < FH_MAX_SENT; i++)
		n += fh.sent[i].len >= 28 && !memcmp(fh.sent[i].data, k->c.spi_i, 8) &&
		     !memcmp(fh.sent[i].data + 8, k->c.spi_r, 8);
	return n;
}

static const struct fh_sent *nth_for(const struct cl *k, size_t n)
{
	for (size_t i = 0; i < fh.n_sent && i < FH_MAX_SENT; i++)
		if (fh.sent[i].len >= 28 && !memcmp(fh.sent[i].data, k->c.spi_i, 8) &&
		    !memcmp(fh.sent[i].data + 8, k->c.spi_r, 8) && !n--)
			return &fh.sent[i];
	ck_abort_msg("no such datagram to the client");
	return NULL;
}

static const struct ikev2_payload *find(uint8_t type)
{
	return ikev2_chain_find(&IN, type, NULL);
}

static bool has_notify(uint16_t type)
{
	struct ikev2_notify n;
	return ikev2_chain_notify(&IN, type, &n) == 0;
}

/* a TS payload body with one IPv4 range, all protocols and ports */
static size_t ts_body(uint8_t *b, const char *from, const char *to)
{
	memset(b, 0, 20);
	b[0] = 1;
	b[4] = 7;			/* TS_IPV4_ADDR_RANGE */
	b[6] = 0, b[7] = 16;
	b[10] = 0xff, b[11] = 0xff;
	ck_assert_int_eq(inet_pton(AF_INET, from, b + 12), 1);
	ck_assert_int_eq(inet_pton(AF_INET, to, b + 16), 1);
	return 20;
}

static void check_ts(uint8_t type, const char *from, const char *to)
{
	const struct ikev2_payload *p = find(type);
	ck_assert_ptr_nonnull(p);
	uint8_t want[20];
	ck_assert_uint_eq(p->len, ts_body(want, from, to));
	ck_assert_mem_eq(p->body, want, sizeof(want));
}

/* the SA payload of IN must be exactly one proposal: prop with this SPI */
static void check_sa_payload(const struct test_prop *want)
{
	const struct ikev2_payload *p = find(IKEV2_PL_SA);
	ck_assert_ptr_nonnull(p);
	uint8_t buf[512];
	struct ikev2_gen g;
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	gen_offer(&g, want, 1);
	size_t len;
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	ck_assert_uint_eq(p->len + 4u, len);
	ck_assert_mem_eq(p->body, buf + 4, p->len);
}

/* the SPI of the single proposal of IN's SA payload (4 bytes) */
static uint32_t sa_payload_spi(void)
{
	const struct ikev2_payload *p = find(IKEV2_PL_SA);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_ge(p->len, 12);
	ck_assert_uint_eq(p->body[0], 0);	/* the last proposal */
	ck_assert_uint_eq(p->body[5], IKEV2_PROTO_ESP);
	ck_assert_uint_eq(p->body[6], 4);
	return spi32(p->body + 8);
}

/* IN's nonce into out */
static size_t nonce_of(uint8_t *out)
{
	const struct ikev2_payload *p = find(IKEV2_PL_NONCE);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_ge(p->len, 16);
	ck_assert_uint_le(p->len, 256);
	memcpy(out, p->body, p->len);
	return p->len;
}

/* the IPv4 address of IN's CFG_REPLY */
static void cp_ip4(char *out)
{
	const struct ikev2_payload *cp = find(IKEV2_PL_CP);
	ck_assert_ptr_nonnull(cp);
	ck_assert_uint_eq(cp->body[0], 2);	/* CFG_REPLY */
	for (size_t at = 4; at + 4 <= cp->len;) {
		uint16_t type = (uint16_t)((cp->body[at] << 8 | cp->body[at + 1]) & 0x7fff);
		uint16_t len = (uint16_t)(cp->body[at + 2] << 8 | cp->body[at + 3]);
		if (type == 1 && len == 4) {
			inet_ntop(AF_INET, cp->body + at + 4, out, INET_ADDRSTRLEN);
			return;
		}
		at += 4u + len;
	}
	ck_abort_msg("no INTERNAL_IP4_ADDRESS in the CFG_REPLY");
}

/* AUTH body (method 14, sha256WithRSAEncryption) over InitiatorSignedOctets (RFC 7296 2.15) */
static size_t client_auth(const struct ini *c, const uint8_t *idi, size_t idi_len, uint8_t *out)
{
	static uint8_t octets[4096];
	size_t ol = 0;
	memcpy(octets, c->req, c->req_len), ol += c->req_len;
	memcpy(octets + ol, c->nr, c->nr_len), ol += c->nr_len;
	ck_assert_int_eq(gnutls_hmac_fast(mac_of(c), c->sk_pi, c->prf_len, idi, idi_len, octets + ol), 0);
	ol += c->prf_len;
	gnutls_datum_t data = { octets, (unsigned)ol }, sig;
	size_t n = 0;
	out[n++] = IKEV2_AUTH_DIGITAL_SIG;
	out[n++] = 0, out[n++] = 0, out[n++] = 0;
	memcpy(out + n, H_RSA_SHA256, sizeof(H_RSA_SHA256));
	n += sizeof(H_RSA_SHA256);
	ck_assert_int_eq(gnutls_privkey_sign_data(client.key, GNUTLS_DIG_SHA256, 0, &data, &sig), 0);
	memcpy(out + n, sig.data, sig.size);
	n += sig.size;
	gnutls_free(sig.data);
	return n;
}

/* IKE_AUTH: IDi, CERT, [N(INITIAL_CONTACT)], IDr, AUTH, CP(IPv4 address + DNS), SA, TSi, TSr */
static size_t auth_request(const struct ini *c, bool initial_contact, const uint8_t esp_spi[4], uint8_t *buf,
			   size_t cap, uint8_t *first)
{
	struct ikev2_gen g;
	uint8_t idi[64] = { KANMON_ID_RFC822_ADDR, 0, 0, 0 }, auth[1024], ts[20];
	uint8_t idr[4 + sizeof(SERVER_ID) - 1] = { KANMON_ID_FQDN, 0, 0, 0 };
	size_t il = 4 + strlen(CLIENT_ID);
	memcpy(idi + 4, CLIENT_ID, strlen(CLIENT_ID));
	memcpy(idr + 4, SERVER_ID, sizeof(SERVER_ID) - 1);
	ikev2_gen_init_inner(&g, buf, cap);
	ikev2_gen_bytes(&g, IKEV2_PL_IDI, idi, il);
	uint8_t *p = ikev2_gen_payload(&g, IKEV2_PL_CERT, false, 1 + client.der_len);
	ck_assert_ptr_nonnull(p);
	p[0] = IKEV2_CERT_X509_SIG;
	memcpy(p + 1, client.der, client.der_len);
	if (initial_contact)
		ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	ikev2_gen_bytes(&g, IKEV2_PL_IDR, idr, sizeof(idr));
	ikev2_gen_bytes(&g, IKEV2_PL_AUTH, auth, client_auth(c, idi, il, auth));
	static const uint8_t cp[] = { 1, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0 };
	ikev2_gen_bytes(&g, IKEV2_PL_CP, cp, sizeof(cp));
	struct test_prop esp = esp_prop(esp_spi, 0);
	gen_offer(&g, &esp, 1);
	ikev2_gen_bytes(&g, IKEV2_PL_TSI, ts, ts_body(ts, "0.0.0.0", "255.255.255.255"));
	ikev2_gen_bytes(&g, IKEV2_PL_TSR, ts, ts_body(ts, "0.0.0.0", "255.255.255.255"));
	size_t len;
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	*first = g.first;
	return len;
}

/*
 * IKE_SA_INIT (aes256-sha256-prfsha256-ecp256) and IKE_AUTH of client k
 * from CLIENT_IP:cport; the answer opened into IN. Returns true when the
 * answer established a CHILD SA (k->spi_in, k->vip recorded).
 */
static bool connect_client(struct cl *k, uint8_t tag, uint16_t cport, bool initial_contact, const uint8_t esp_spi[4])
{
	memset(k, 0, sizeof(*k));
	ini_new(&k->c, tag);
	k->c.cport = k->cport = cport;
	struct init_opts io = { .offer = &P_CBC };
	sa_init_ok(&k->c, &io);
	ini_free(&k->c);	/* its DH is done with (and a failing check leaks nothing) */
	static uint8_t plain[8192];
	uint8_t first;
	size_t pl = auth_request(&k->c, initial_contact, esp_spi, plain, sizeof(plain), &first);
	k->last_len = seal_request(&k->c, IKEV2_EXCH_IKE_AUTH, 1, first, plain, pl, k->last, sizeof(k->last));
	k->next = 2;
	fh_clear_sent();
	deliver(k->last, k->last_len, 500, cport);
	ck_assert_uint_eq(n_for(k), 1);
	open_response(&k->c, nth_for(k, 0), 1, &IN, PLAIN);
	if (!find(IKEV2_PL_AUTH) || !find(IKEV2_PL_SA))
		return false;
	k->spi_in = sa_payload_spi();
	k->spi_out = spi32(esp_spi);
	cp_ip4(k->vip);
	return true;
}

/* a client connected with N(INITIAL_CONTACT), SPI_A, checked */
static void connect_a(struct cl *k)
{
	ck_assert(connect_client(k, 0x21, 500, true, SPI_A));
	ck_assert_str_eq(k->vip, VIP);
	ck_assert_uint_eq(fh_sas_present(), 2);
	ck_assert_ptr_nonnull(fh_sa_by_spi(k->spi_in));
	ck_assert_ptr_nonnull(fh_sa_by_spi(k->spi_out));
	ck_assert_uint_eq(fh_policies_present(), 3);
}

static struct ikev2_sa *sa_of(const struct cl *k)
{
	return ikev2_sa_by_r(ctx, k->c.spi_r);
}

/* sends a protected request of k (its next message ID) and opens its answer into IN */
static void request(struct cl *k, uint8_t exch, const uint8_t *plain, size_t len, uint8_t first)
{
	uint32_t id = k->next++;
	k->last_len = seal_request(&k->c, exch, id, first, plain, len, k->last, sizeof(k->last));
	fh_clear_sent();
	deliver(k->last, k->last_len, 500, k->cport);
	ck_assert_uint_eq(n_for(k), 1);
	open_response(&k->c, nth_for(k, 0), id, &IN, PLAIN);
}

/* the single notify of IN; its data into data (2 bytes at most) */
static uint16_t only_notify(uint8_t *data, size_t *dl)
{
	struct ikev2_notify n;
	ck_assert_uint_eq(IN.n, 1);
	ck_assert_int_eq(ikev2_parse_notify(&IN.pl[0], &n), 0);
	if (data) {
		ck_assert_uint_le(n.data_len, 2);
		memcpy(data, n.data, n.data_len);
		*dl = n.data_len;
	}
	return n.type;
}

/* opens datagram s to k as a request of the server: no I and no R flag, exchange exch, ID id */
static void open_server_request(struct cl *k, const struct fh_sent *s, uint8_t exch, uint32_t id)
{
	struct ikev2_msg m;
	ck_assert_int_eq(ikev2_parse(s->data, s->len, &m), 0);
	ck_assert_uint_eq(m.exchange, exch);
	open_msg(&k->c, s, 0, id, &IN, PLAIN);
}

/* k answers request id of the server */
static void answer_server(struct cl *k, uint8_t exch, uint32_t id, const uint8_t *plain, size_t len, uint8_t first)
{
	uint8_t msg[4096];
	size_t ml = seal_msg(&k->c, exch, IKEV2_FLAG_INITIATOR | IKEV2_FLAG_RESPONSE, id, first, plain, len, msg,
			     sizeof(msg));
	deliver(msg, ml, 500, k->cport);
}

/* a DELETE payload body: ESP with one SPI, or IKE (spi NULL) */
static size_t delete_plain(uint8_t *buf, size_t cap, const uint8_t *spi, uint8_t *first)
{
	struct ikev2_gen g;
	size_t len;
	ikev2_gen_init_inner(&g, buf, cap);
	uint8_t *d = ikev2_gen_payload(&g, IKEV2_PL_DELETE, false, spi ? 8 : 4);
	ck_assert_ptr_nonnull(d);
	d[0] = spi ? IKEV2_PROTO_ESP : IKEV2_PROTO_IKE;
	d[1] = spi ? 4 : 0;
	d[2] = 0;
	d[3] = spi ? 1 : 0;
	if (spi)
		memcpy(d + 4, spi, 4);
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	*first = g.first;
	return len;
}

/* IN holds a DELETE of one ESP SPI: returns it */
static uint32_t deleted_esp_spi(void)
{
	const struct ikev2_payload *d = find(IKEV2_PL_DELETE);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->len, 8);
	ck_assert_uint_eq(d->body[0], IKEV2_PROTO_ESP);
	ck_assert_uint_eq(d->body[1], 4);
	ck_assert_uint_eq(d->body[2], 0);
	ck_assert_uint_eq(d->body[3], 1);
	return spi32(d->body + 4);
}

/* the client deletes its ESP SA `spi` (the server's outbound); returns the SPI the answer lists */
static uint32_t client_delete_child(struct cl *k, const uint8_t spi[4])
{
	uint8_t plain[64], first;
	size_t pl = delete_plain(plain, sizeof(plain), spi, &first);
	request(k, IKEV2_EXCH_INFORMATIONAL, plain, pl, first);
	return deleted_esp_spi();
}

/*
 * The installed pair (in = spi_in, out = spi_out) holds KEYMAT's halves:
 * the first (encr_i | integ_i) protects what the exchange's initiator
 * sends. Same reqid as the CHILD SA of IKE_AUTH.
 */
static void check_pair(uint32_t spi_in, uint32_t spi_out, const uint8_t km[KM_LEN], bool server_initiated,
		       uint32_t reqid)
{
	const struct fh_sa *in = fh_sa_by_spi(spi_in), *out = fh_sa_by_spi(spi_out);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(in->p.dir, KANMON_SA_IN);
	ck_assert_int_eq(out->p.dir, KANMON_SA_OUT);
	const uint8_t *k_in = server_initiated ? km + 64 : km, *k_out = server_initiated ? km : km + 64;
	for (int i = 0; i < 2; i++) {
		const struct fh_sa *s = i ? out : in;
		const uint8_t *k = i ? k_out : k_in;
		ck_assert_uint_eq(s->p.enc_alg, KANMON_ENCR_AES_CBC);
		ck_assert_uint_eq(s->p.integ_alg, KANMON_AUTH_HMAC_SHA2_256_128);
		ck_assert_uint_eq(s->p.enc_key_len, 32);
		ck_assert_uint_eq(s->p.integ_key_len, 32);
		ck_assert_mem_eq(s->enc_key, k, 32);
		ck_assert_mem_eq(s->integ_key, k + 32, 32);
		ck_assert_int_eq(s->p.mode, KANMON_SA_TUNNEL);
		ck_assert_uint_eq(s->p.reqid, reqid);
	}
}

/* the session, lease, SAs and policies of k are all there */
static void check_alive(const struct cl *k, size_t session)
{
	ck_assert_ptr_nonnull(sa_of(k));
	ck_assert_int_eq(sa_of(k)->state, IKEV2_ESTABLISHED);
	ck_assert(fh.sessions[session].present);
	ck_assert(fh_lease_of(CLIENT_ID)->online);
}

/* ---- 1. DPD ------------------------------------------------------------------------ */

/* the liveness check of the server to k: message ID id, empty */
static void check_dpd(struct cl *k, const struct fh_sent *s, uint32_t id)
{
	open_server_request(k, s, IKEV2_EXCH_INFORMATIONAL, id);
	ck_assert_uint_eq(IN.n, 0);
}

START_TEST(dpd_silent_client_probed_and_answer_keeps_it)
{
	struct cl a;
	connect_a(&a);
	/* nothing before `dpd` seconds of silence (the backend reports no ESP: last_use 0) */
	fh_clear_sent();
	fh_advance(DPD_MS - 1);
	ck_assert_uint_eq(fh.n_sent, 0);
	fh_advance(1);
	ck_assert_uint_eq(fh.n_sent, 1);
	check_dpd(&a, nth_for(&a, 0), 0);
	ck_assert_uint_eq(ctx->st.dpd_sent, 1);
	/* answered: no retransmission, nothing removed */
	answer_server(&a, IKEV2_EXCH_INFORMATIONAL, 0, NULL, 0, 0);
	ck_assert_uint_eq(fh.n_sent, 1);
	fh_advance(GIVE_UP_MS + 1000);
	ck_assert_uint_eq(fh.n_sent, 1);
	ck_assert_uint_eq(ctx->st.req_retransmits, 0);
	check_alive(&a, 0);
	ck_assert_uint_eq(fh_sas_present(), 2);
	ck_assert_uint_eq(fh_policies_present(), 3);
	ck_assert_uint_eq(ctx->st.dpd_dead, 0);
	/* silent again for `dpd` s after that answer: the next check, message ID 1 */
	fh_clear_sent();
	fh_advance(DPD_MS - GIVE_UP_MS - 1000 - 1);
	ck_assert_uint_eq(fh.n_sent, 0);
	fh_advance(1);
	ck_assert_uint_eq(fh.n_sent, 1);
	check_dpd(&a, nth_for(&a, 0), 1);
	answer_server(&a, IKEV2_EXCH_INFORMATIONAL, 1, NULL, 0, 0);
	ck_assert_uint_eq(ctx->st.dpd_sent, 2);
	/* the client's own requests still use its window: ID 2 is answered */
	request(&a, IKEV2_EXCH_INFORMATIONAL, NULL, 0, 0);
	ck_assert_uint_eq(IN.n, 0);
	check_alive(&a, 0);
	ini_free(&a.c);
}
END_TEST

START_TEST(dpd_unanswered_retransmits_then_removes)
{
	struct cl a;
	connect_a(&a);
	fh_clear_sent();
	fh_advance(DPD_MS);
	ck_assert_uint_eq(fh.n_sent, 1);
	check_dpd(&a, nth_for(&a, 0), 0);
	uint8_t first[4096];
	size_t first_len = nth_for(&a, 0)->len;
	memcpy(first, nth_for(&a, 0)->data, first_len);
	/* retransmitted unchanged 1, 1+2, 1+2+4 s after the first send */
	static const uint64_t at[] = { 1000, 3000, 7000 };
	uint64_t t = 0;
	for (size_t i = 0; i < 3; i++) {
		fh_advance(at[i] - t - 1);
		ck_assert_uint_eq(fh.n_sent, i + 1);
		fh_advance(1);
		t = at[i];
		ck_assert_uint_eq(fh.n_sent, i + 2);
		ck_assert_uint_eq(fh_sent_at(i + 1)->len, first_len);
		ck_assert_mem_eq(fh_sent_at(i + 1)->data, first, first_len);
	}
	ck_assert_uint_eq(ctx->st.req_retransmits, 3);
	/* still there until 15 s after the first send */
	fh_advance(GIVE_UP_MS - t - 1);
	ck_assert_uint_eq(fh_sas_present(), 2);
	check_alive(&a, 0);
	ck_assert_uint_eq(ctx->st.dpd_dead, 0);
	/* then the client is gone: SAs and policies removed, lease offline, session removed */
	fh_advance(1);
	ck_assert_uint_eq(fh.n_sent, 4);
	ck_assert_ptr_null(sa_of(&a));
	ck_assert_uint_eq(ctx->sas.count, 0);
	ck_assert_uint_eq(fh_sas_present(), 0);
	ck_assert_uint_eq(fh_policies_present(), 0);
	ck_assert(!fh_lease_of(CLIENT_ID)->online);
	ck_assert(!fh.sessions[0].present);
	ck_assert_uint_eq(fh.n_session_remove, 1);
	ck_assert_uint_eq(ctx->st.dpd_sent, 1);
	ck_assert_uint_eq(ctx->st.dpd_dead, 1);
	ck_assert_uint_eq(fh_log_count("no answer to our liveness check in 15 s: removed"), 1);
	/* a late answer finds nothing */
	answer_server(&a, IKEV2_EXCH_INFORMATIONAL, 0, NULL, 0, 0);
	ck_assert_uint_eq(fh.n_sent, 4);
	/* and nothing fires any more */
	fh_advance(10 * DPD_MS);
	ck_assert_uint_eq(fh.n_sent, 4);
	ck_assert_uint_eq(fh.n_session_remove, 1);
	ini_free(&a.c);
}
END_TEST

START_TEST(dpd_not_sent_while_esp_arrives)
{
	struct cl a;
	connect_a(&a);
	fh_clear_sent();
	/* ESP from the client just now (the backend's last use of our inbound SA) */
	fh_advance(DPD_MS - 5000);
	fh_set_last_use(a.spi_in, time(NULL));
	fh_advance(5000);
	ck_assert_uint_eq(fh.n_sent, 0);
	ck_assert_uint_eq(ctx->st.dpd_sent, 0);
	/* ESP stops: 40 s since its last packet, 60 s since the last IKE message: probed */
	fh_set_last_use(a.spi_in, time(NULL) - 40);
	fh_advance(DPD_MS);
	ck_assert_uint_eq(fh.n_sent, 1);
	check_dpd(&a, nth_for(&a, 0), 0);
	ck_assert_uint_eq(ctx->st.dpd_sent, 1);
	ini_free(&a.c);
}
END_TEST

/* ---- 2. the client rekeys its CHILD SA -------------------------------------------- */

struct child_rekey {
	const uint8_t *rekey_spi;	/* N(REKEY_SA) of this SPI; NULL: none */
	const uint8_t *new_spi;		/* the client's new inbound SPI */
	uint16_t prop_dh;		/* DH group in the proposal (0: none) */
	uint16_t ke_group;		/* KE payload of this group (0: none) */
	const uint8_t *ni;
	size_t ni_len;
	struct dh *dh;			/* out: the client's KE private value */
};

/* CREATE_CHILD_SA request: [N(REKEY_SA)], SA, Ni, [KEi], TSi (our VIP), TSr (all) (RFC 7296 1.3.3) */
static size_t child_rekey_plain(const struct cl *k, struct child_rekey *o, uint8_t *buf, size_t cap, uint8_t *first)
{
	struct ikev2_gen g;
	uint8_t ts[20];
	ikev2_gen_init_inner(&g, buf, cap);
	if (o->rekey_spi)
		ikev2_gen_notify(&g, IKEV2_PROTO_ESP, o->rekey_spi, 4, IKEV2_N_REKEY_SA, NULL, 0);
	struct test_prop p = esp_prop(o->new_spi, o->prop_dh);
	gen_offer(&g, &p, 1);
	ikev2_gen_bytes(&g, IKEV2_PL_NONCE, o->ni, o->ni_len);
	if (o->ke_group) {
		uint8_t pub[DH_MAX_PUB];
		size_t pl = dh_public_len(o->ke_group);
		ck_assert_int_eq(dh_new(o->ke_group, &o->dh), 0);
		ck_assert_int_eq(dh_public(o->dh, pub, pl), 0);
		ikev2_gen_ke(&g, o->ke_group, pub, pl);
	}
	ikev2_gen_bytes(&g, IKEV2_PL_TSI, ts, ts_body(ts, k->vip, k->vip));
	ikev2_gen_bytes(&g, IKEV2_PL_TSR, ts, ts_body(ts, "0.0.0.0", "255.255.255.255"));
	size_t len;
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	*first = g.first;
	return len;
}

static void send_child_rekey(struct cl *k, struct child_rekey *o)
{
	uint8_t plain[2048], first;
	size_t pl = child_rekey_plain(k, o, plain, sizeof(plain), &first);
	request(k, IKEV2_EXCH_CREATE_CHILD_SA, plain, pl, first);
}

static const uint8_t NI_C[32] = { 0x6e, 0x69, 0x2d, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 1, 2, 3, 4, 5, 6, 7,
				  8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 };

/*
 * A client rekey of the CHILD SA of IKE_AUTH, accepted: the answer, the new
 * pair (its KEYMAT computed here), the old pair and the policies kept.
 * Returns the server's new inbound SPI.
 */
static uint32_t client_rekey_ok(struct cl *k, uint16_t dh, const uint8_t new_spi[4])
{
	uint32_t reqid = fh_sa_by_spi(k->spi_in)->p.reqid;
	size_t sas = fh_sas_present(), adds = fh.n_add_policy;
	uint8_t old_out[4];
	memcpy(old_out, &k->spi_out, 4);
	struct child_rekey o = { .rekey_spi = old_out, .new_spi = new_spi, .prop_dh = dh, .ke_group = dh,
				 .ni = NI_C, .ni_len = sizeof(NI_C) };
	send_child_rekey(k, &o);
	/* the answer: SA (the chosen proposal, our new SPI), Nr, [KEr], TSi, TSr */
	ck_assert(!has_notify(IKEV2_N_NO_PROPOSAL_CHOSEN));
	uint32_t spi_in = sa_payload_spi();
	ck_assert_uint_ne(spi_in, k->spi_in);
	uint8_t spi_b[4];
	memcpy(spi_b, &spi_in, 4);
	struct test_prop want = esp_prop(spi_b, dh);
	check_sa_payload(&want);
	uint8_t nr[256], gir[DH_MAX_PUB];
	size_t nrl = nonce_of(nr), gl = 0;
	const struct ikev2_payload *kep = find(IKEV2_PL_KE);
	if (dh) {
		struct ikev2_ke ke;
		ck_assert_ptr_nonnull(kep);
		ck_assert_int_eq(ikev2_parse_ke(kep, &ke), 0);
		ck_assert_uint_eq(ke.group, dh);
		gl = dh_shared_len(dh);
		ck_assert_int_eq(dh_shared(o.dh, ke.data, ke.len, gir, gl), 0);
		dh_free(o.dh);
	} else {
		ck_assert_ptr_null(kep);
	}
	check_ts(IKEV2_PL_TSI, k->vip, k->vip);
	check_ts(IKEV2_PL_TSR, "0.0.0.0", "255.255.255.255");
	/* the new pair: the client initiated, so our inbound takes KEYMAT's first half */
	uint8_t km[KM_LEN];
	keymat(&k->c, gir, gl, NI_C, sizeof(NI_C), nr, nrl, km);
	check_pair(spi_in, spi32(new_spi), km, false, reqid);
	/* and without PFS the keys are not those of a KEYMAT with some g^ir (and vice versa) */
	ck_assert_uint_eq(fh_sas_present(), sas + 2);
	/* the old pair until the client deletes it, the policies untouched */
	ck_assert_ptr_nonnull(fh_sa_by_spi(k->spi_in));
	ck_assert_ptr_nonnull(fh_sa_by_spi(k->spi_out));
	ck_assert_uint_eq(fh.n_add_policy, adds);
	ck_assert_uint_eq(fh_policies_present(), 3);
	return spi_in;
}

/* the client deletes the old pair: answered with our old inbound SPI; only the old pair goes */
static void client_deletes_old(struct cl *k, uint32_t new_in, const uint8_t new_out[4])
{
	size_t sas = fh_sas_present();
	uint8_t old_out[4];
	memcpy(old_out, &k->spi_out, 4);
	ck_assert_uint_eq(client_delete_child(k, old_out), k->spi_in);
	ck_assert_uint_eq(fh_sas_present(), sas - 2);
	ck_assert_ptr_null(fh_sa_by_spi(k->spi_in));
	ck_assert_ptr_null(fh_sa_by_spi(k->spi_out));
	ck_assert_ptr_nonnull(fh_sa_by_spi(new_in));
	ck_assert_ptr_nonnull(fh_sa_by_spi(spi32(new_out)));
	ck_assert_uint_eq(fh_policies_present(), 3);
	ck_assert_int_eq(sa_of(k)->state, IKEV2_ESTABLISHED);
	ck_assert(fh.sessions[0].present);
	k->spi_in = new_in;
	k->spi_out = spi32(new_out);
}

START_TEST(client_child_rekey_without_pfs)
{
	/* macOS: CREATE_CHILD_SA without KE */
	struct cl a;
	connect_a(&a);
	uint32_t in = client_rekey_ok(&a, 0, SPI_B);
	ck_assert_uint_eq(ntohl(in), 0xc0de0002);	/* what the backend allocated next */
	ck_assert_uint_eq(ctx->st.child_rekeys, 1);
	/* the request again (its answer was lost): the same answer, nothing installed twice */
	uint8_t answer[4096];
	size_t answer_len = nth_for(&a, 0)->len, adds = fh.n_add_sa, allocs = fh.n_alloc_spi;
	memcpy(answer, nth_for(&a, 0)->data, answer_len);
	fh_clear_sent();
	deliver(a.last, a.last_len, 500, a.cport);
	ck_assert_uint_eq(fh.n_sent, 1);
	ck_assert_uint_eq(last_sent()->len, answer_len);
	ck_assert_mem_eq(last_sent()->data, answer, answer_len);
	ck_assert_uint_eq(fh.n_add_sa, adds);
	ck_assert_uint_eq(fh.n_alloc_spi, allocs);
	ck_assert_uint_eq(ctx->st.child_rekeys, 1);
	ck_assert_uint_eq(fh_sas_present(), 4);
	client_deletes_old(&a, in, SPI_B);
	ck_assert_uint_eq(fh_sas_present(), 2);
	/* a second rekey works the same on the new pair */
	uint32_t in2 = client_rekey_ok(&a, 0, SPI_C);
	client_deletes_old(&a, in2, SPI_C);
	ck_assert_uint_eq(ctx->st.child_rekeys, 2);
	check_alive(&a, 0);
	ini_free(&a.c);
}
END_TEST

START_TEST(client_child_rekey_with_pfs)
{
	struct cl a;
	connect_a(&a);
	uint32_t in = client_rekey_ok(&a, DH_ECP256, SPI_B);
	client_deletes_old(&a, in, SPI_B);
	uint32_t in2 = client_rekey_ok(&a, DH_MODP2048, SPI_C);
	client_deletes_old(&a, in2, SPI_C);
	ck_assert_uint_eq(fh_sas_present(), 2);
	ck_assert_uint_eq(fh_log_count("CHILD SA rekeyed with PFS"), 2);
	check_alive(&a, 0);
	ini_free(&a.c);
}
END_TEST

START_TEST(client_child_rekey_refusals)
{
	struct cl a;
	connect_a(&a);
	uint8_t old_out[4], data[2];
	size_t dl, adds = fh.n_add_sa, allocs = fh.n_alloc_spi;
	memcpy(old_out, &a.spi_out, 4);
	/* KE of modp2048 for a proposal of ecp256: INVALID_KE_PAYLOAD naming ecp256 */
	struct child_rekey o = { .rekey_spi = old_out, .new_spi = SPI_B, .prop_dh = DH_ECP256,
				 .ke_group = DH_MODP2048, .ni = NI_C, .ni_len = sizeof(NI_C) };
	send_child_rekey(&a, &o);
	dh_free(o.dh);
	ck_assert_uint_eq(only_notify(data, &dl), IKEV2_N_INVALID_KE_PAYLOAD);
	ck_assert_uint_eq(dl, 2);
	ck_assert_uint_eq(data[0] << 8 | data[1], DH_ECP256);
	/* REKEY_SA of an SPI that is no CHILD SA of this client */
	static const uint8_t unknown[4] = { 0x12, 0x34, 0x56, 0x78 };
	struct child_rekey u = { .rekey_spi = unknown, .new_spi = SPI_B, .ni = NI_C, .ni_len = sizeof(NI_C) };
	send_child_rekey(&a, &u);
	ck_assert_uint_eq(only_notify(NULL, NULL), IKEV2_N_CHILD_SA_NOT_FOUND);
	/* a CHILD SA more (no REKEY_SA): one per client */
	struct child_rekey n = { .new_spi = SPI_B, .ni = NI_C, .ni_len = sizeof(NI_C) };
	send_child_rekey(&a, &n);
	ck_assert_uint_eq(only_notify(NULL, NULL), IKEV2_N_NO_ADDITIONAL_SAS);
	/* nothing installed, the CHILD SA of IKE_AUTH untouched, still rekeyable */
	ck_assert_uint_eq(fh.n_add_sa, adds);
	ck_assert_uint_eq(fh.n_alloc_spi, allocs);
	ck_assert_uint_eq(fh_sas_present(), 2);
	ck_assert_uint_eq(ctx->st.child_rekeys, 0);
	ck_assert_uint_eq(ctx->st.invalid_ke, 1);
	check_alive(&a, 0);
	uint32_t in = client_rekey_ok(&a, DH_ECP256, SPI_B);
	client_deletes_old(&a, in, SPI_B);
	ini_free(&a.c);
}
END_TEST

/* ---- 3. the client rekeys the IKE SA --------------------------------------------- */

static const uint8_t NEW_SPI_I[8] = { 0x1e, 0x11, 0x5e, 0xc0, 0x4d, 0x5a, 0x0a, 0x0b };

START_TEST(client_ike_rekey_invalid_ke)
{
	/* an IKE SA rekey offering ecp256 with a KE of modp2048: INVALID_KE_PAYLOAD naming ecp256 */
	struct cl a;
	connect_a(&a);
	struct test_prop ike = { .protocol = IKEV2_PROTO_IKE, .spi_len = 8, .encr = { IKE_ENCR_AES_CBC },
				 .encr_bits = { 256 }, .integ = { IKE_INTEG_HMAC_SHA2_256_128 },
				 .prf = { PRF_HMAC_SHA2_256 }, .dh = { DH_ECP256 }, .spi = NEW_SPI_I };
	struct dh *d;
	uint8_t pub[DH_MAX_PUB], plain[1024], data[2];
	size_t pl, dl;
	ck_assert_int_eq(dh_new(DH_MODP2048, &d), 0);
	ck_assert_int_eq(dh_public(d, pub, dh_public_len(DH_MODP2048)), 0);
	dh_free(d);
	struct ikev2_gen g;
	ikev2_gen_init_inner(&g, plain, sizeof(plain));
	gen_offer(&g, &ike, 1);
	ikev2_gen_bytes(&g, IKEV2_PL_NONCE, NI_C, sizeof(NI_C));
	ikev2_gen_ke(&g, DH_MODP2048, pub, dh_public_len(DH_MODP2048));
	ck_assert_int_eq(ikev2_gen_finish(&g, &pl), 0);
	request(&a, IKEV2_EXCH_CREATE_CHILD_SA, plain, pl, g.first);
	ck_assert_uint_eq(only_notify(data, &dl), IKEV2_N_INVALID_KE_PAYLOAD);
	ck_assert_uint_eq(dl, 2);
	ck_assert_uint_eq(data[0] << 8 | data[1], DH_ECP256);
	/* the IKE SA goes on under its SPIs and keys */
	ck_assert_uint_eq(ctx->st.ike_rekeys, 0);
	request(&a, IKEV2_EXCH_INFORMATIONAL, NULL, 0, 0);
	ck_assert_uint_eq(IN.n, 0);
	check_alive(&a, 0);
	ini_free(&a.c);
}
END_TEST

START_TEST(client_ike_rekey)
{
	struct cl a;
	connect_a(&a);
	struct ini old = a.c;
	old.dh = NULL;
	/* CREATE_CHILD_SA on the old SPIs: SA (IKE, our new SPIi), Ni, KEi (RFC 7296 1.3.2) */
	struct test_prop ike = { .protocol = IKEV2_PROTO_IKE, .spi_len = 8, .encr = { IKE_ENCR_AES_CBC },
				 .encr_bits = { 256 }, .integ = { IKE_INTEG_HMAC_SHA2_256_128 },
				 .prf = { PRF_HMAC_SHA2_256 }, .dh = { DH_ECP256 }, .spi = NEW_SPI_I };
	struct dh *d;
	uint8_t pub[DH_MAX_PUB], plain[1024], first;
	ck_assert_int_eq(dh_new(DH_ECP256, &d), 0);
	ck_assert_int_eq(dh_public(d, pub, dh_public_len(DH_ECP256)), 0);
	struct ikev2_gen g;
	size_t pl;
	ikev2_gen_init_inner(&g, plain, sizeof(plain));
	gen_offer(&g, &ike, 1);
	ikev2_gen_bytes(&g, IKEV2_PL_NONCE, NI_C, sizeof(NI_C));
	ikev2_gen_ke(&g, DH_ECP256, pub, dh_public_len(DH_ECP256));
	ck_assert_int_eq(ikev2_gen_finish(&g, &pl), 0);
	first = g.first;
	request(&a, IKEV2_EXCH_CREATE_CHILD_SA, plain, pl, first);
	uint8_t answer[4096];
	size_t answer_len = nth_for(&a, 0)->len;
	memcpy(answer, nth_for(&a, 0)->data, answer_len);
	/* the answer: SA (IKE, the chosen suite, our new 8-byte SPI), Nr, KEr */
	const struct ikev2_payload *sap = find(IKEV2_PL_SA);
	ck_assert_ptr_nonnull(sap);
	ck_assert_uint_ge(sap->len, 16);
	ck_assert_uint_eq(sap->body[5], IKEV2_PROTO_IKE);
	ck_assert_uint_eq(sap->body[6], 8);
	uint8_t spi_r[8];
	static const uint8_t zero[8];
	memcpy(spi_r, sap->body + 8, 8);
	ck_assert(memcmp(spi_r, zero, 8));
	ck_assert(memcmp(spi_r, old.spi_r, 8));
	struct test_prop want = ike;
	want.spi = spi_r;
	check_sa_payload(&want);
	uint8_t nr[256], gir[DH_MAX_PUB];
	size_t nrl = nonce_of(nr), gl = dh_shared_len(DH_ECP256);
	struct ikev2_ke ke;
	ck_assert_int_eq(ikev2_parse_ke(find(IKEV2_PL_KE), &ke), 0);
	ck_assert_uint_eq(ke.group, DH_ECP256);
	ck_assert_int_eq(dh_shared(d, ke.data, ke.len, gir, gl), 0);
	dh_free(d);
	ck_assert_uint_eq(ctx->st.ike_rekeys, 1);

	/* a retransmit of the rekey request on the old SPIs: the identical answer, nothing rekeyed twice */
	fh_clear_sent();
	deliver(a.last, a.last_len, 500, a.cport);
	ck_assert_uint_eq(fh.n_sent, 1);
	ck_assert_uint_eq(last_sent()->len, answer_len);
	ck_assert_mem_eq(last_sent()->data, answer, answer_len);
	ck_assert_uint_eq(ctx->st.ike_rekeys, 1);

	/* the new IKE SA: keys derived here, message IDs from 0 */
	ike_rekey_keys(&a.c, gir, gl, NI_C, sizeof(NI_C), nr, nrl, NEW_SPI_I, spi_r);
	a.next = 0;
	ck_assert_ptr_nonnull(sa_of(&a));
	request(&a, IKEV2_EXCH_INFORMATIONAL, NULL, 0, 0);
	ck_assert_uint_eq(IN.n, 0);
	/* (not something the old keys open) */
	{
		struct ikev2_sk_dir to, from;
		struct ikev2_msg m;
		size_t dl;
		dirs(&old, &to, &from);
		ck_assert_int_eq(ikev2_parse(last_sent()->data, last_sent()->len, &m), 0);
		ck_assert_int_ne(ikev2_sk_open(&from, last_sent()->data, last_sent()->len, &m.c.pl[0], PLAIN, &dl), 0);
	}
	/* the client's state moved: session, lease and CHILD SA belong to the new SPIs */
	ck_assert_uint_eq(fh.n_add_sa, 2);
	ck_assert_uint_eq(fh_sas_present(), 2);
	ck_assert_uint_eq(fh_policies_present(), 3);
	check_alive(&a, 0);

	/* the client deletes the old IKE SA: answered with the old keys, nothing of the client ends */
	struct cl o = a;
	o.c = old;
	o.next = 3;
	uint8_t dp[64];
	pl = delete_plain(dp, sizeof(dp), NULL, &first);
	request(&o, IKEV2_EXCH_INFORMATIONAL, dp, pl, first);
	ck_assert_uint_eq(IN.n, 0);
	ck_assert_uint_eq(fh_sas_present(), 2);
	ck_assert_ptr_nonnull(fh_sa_by_spi(a.spi_in));
	ck_assert_ptr_nonnull(fh_sa_by_spi(a.spi_out));
	ck_assert_uint_eq(fh_policies_present(), 3);
	ck_assert_uint_eq(fh.n_session_remove, 0);
	ck_assert_uint_eq(fh.n_release, 0);
	check_alive(&a, 0);
	ck_assert_uint_eq(fh_log_count("session ended"), 0);

	/* the new SA carries on: a client CHILD SA rekey keyed from the new SK_d */
	uint32_t in = client_rekey_ok(&a, 0, SPI_B);
	client_deletes_old(&a, in, SPI_B);
	/* and our liveness checks go out on the new SPIs with our message IDs from 0 */
	fh_clear_sent();
	fh_advance(DPD_MS);
	ck_assert_uint_eq(n_for(&a), 1);
	check_dpd(&a, nth_for(&a, 0), 0);
	/* the old SPIs are gone (the husk lingered, then went) */
	fh_advance(60000);
	ck_assert_ptr_null(ikev2_sa_by_r(ctx, old.spi_r));
	ini_free(&a.c);
}
END_TEST

/* ---- 4. we rekey the CHILD SA ---------------------------------------------------- */

static void soft_expire(uint32_t spi)
{
	const struct fh_sa *s = fh_sa_by_spi(spi);
	ck_assert_ptr_nonnull(s);
	struct kanmon_sa_event ev = { .size = sizeof(ev), .type = KANMON_SA_SOFT_EXPIRE, .sa = s->id,
				      .reqid = s->p.reqid };
	ikev2_sa_event(&ev, ctx);
}

/* our CREATE_CHILD_SA request as the client saw it */
struct our_rekey {
	uint32_t id;			/* its message ID */
	uint32_t spi_in;		/* our new inbound SPI (its SA payload) */
	uint8_t ni[256];
	size_t ni_len;
	struct ikev2_ke ke;		/* KEi, group 0: none */
	uint8_t ke_data[DH_MAX_PUB];
};

/*
 * Opens our rekey request (the i-th datagram to k): N(REKEY_SA) of our
 * inbound SPI of the CHILD SA, SA (its suite, our new SPI), Ni, [KEi of
 * dh], TSi (our side), TSr (the client's).
 */
static void open_our_rekey(struct cl *k, size_t i, uint32_t id, uint16_t dh, struct our_rekey *r)
{
	open_server_request(k, nth_for(k, i), IKEV2_EXCH_CREATE_CHILD_SA, id);
	r->id = id;
	struct ikev2_notify n;
	ck_assert_int_eq(ikev2_chain_notify(&IN, IKEV2_N_REKEY_SA, &n), 0);
	ck_assert_uint_eq(n.proto, IKEV2_PROTO_ESP);
	ck_assert_uint_eq(n.spi_len, 4);
	ck_assert_uint_eq(spi32(n.spi), k->spi_in);
	r->spi_in = sa_payload_spi();
	uint8_t spi_b[4];
	memcpy(spi_b, &r->spi_in, 4);
	struct test_prop want = esp_prop(spi_b, dh);
	check_sa_payload(&want);
	r->ni_len = nonce_of(r->ni);
	const struct ikev2_payload *kep = find(IKEV2_PL_KE);
	memset(&r->ke, 0, sizeof(r->ke));
	if (dh) {
		ck_assert_ptr_nonnull(kep);
		ck_assert_int_eq(ikev2_parse_ke(kep, &r->ke), 0);
		ck_assert_uint_eq(r->ke.group, dh);
		memcpy(r->ke_data, r->ke.data, r->ke.len);
		r->ke.data = r->ke_data;
	} else {
		ck_assert_ptr_null(kep);
	}
	check_ts(IKEV2_PL_TSI, "0.0.0.0", "255.255.255.255");
	check_ts(IKEV2_PL_TSR, k->vip, k->vip);
}

/*
 * k answers our rekey: SA (its new SPI), Nr, [KEr], TSi, TSr. Returns the
 * KEYMAT of the new CHILD SA computed here.
 */
static void answer_our_rekey(struct cl *k, const struct our_rekey *r, const uint8_t new_spi[4], const uint8_t *nr,
			     size_t nrl, uint8_t km[KM_LEN])
{
	uint8_t plain[2048], ts[20], gir[DH_MAX_PUB];
	size_t gl = 0;
	struct ikev2_gen g;
	ikev2_gen_init_inner(&g, plain, sizeof(plain));
	struct test_prop p = esp_prop(new_spi, r->ke.group);
	gen_offer(&g, &p, 1);
	ikev2_gen_bytes(&g, IKEV2_PL_NONCE, nr, nrl);
	if (r->ke.group) {
		struct dh *d;
		uint8_t pub[DH_MAX_PUB];
		size_t pl = dh_public_len(r->ke.group);
		gl = dh_shared_len(r->ke.group);
		ck_assert_int_eq(dh_new(r->ke.group, &d), 0);
		ck_assert_int_eq(dh_public(d, pub, pl), 0);
		ck_assert_int_eq(dh_shared(d, r->ke.data, r->ke.len, gir, gl), 0);
		dh_free(d);
		ikev2_gen_ke(&g, r->ke.group, pub, pl);
	}
	ikev2_gen_bytes(&g, IKEV2_PL_TSI, ts, ts_body(ts, "0.0.0.0", "255.255.255.255"));
	ikev2_gen_bytes(&g, IKEV2_PL_TSR, ts, ts_body(ts, k->vip, k->vip));
	size_t len;
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	answer_server(k, IKEV2_EXCH_CREATE_CHILD_SA, r->id, plain, len, g.first);
	/* we initiated: Ni is ours, Nr the client's */
	keymat(&k->c, gir, gl, r->ni, r->ni_len, nr, nrl, km);
}

static const uint8_t NR_C[32] = { 0x6e, 0x72, 0x2d, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 9, 9, 9, 9, 9, 9, 9,
				  9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 };

/* SOFT_EXPIRE of k's CHILD SA, our rekey answered, then our DELETE of the old pair, answered */
static void our_rekey_ok(struct cl *k, uint16_t dh, uint32_t id, const uint8_t new_spi[4])
{
	uint32_t reqid = fh_sa_by_spi(k->spi_in)->p.reqid;
	size_t adds = fh.n_add_policy, dels = fh.n_del_policy;
	fh_clear_sent();
	soft_expire(k->spi_in);
	ck_assert_uint_eq(n_for(k), 1);
	struct our_rekey r;
	open_our_rekey(k, 0, id, dh, &r);
	ck_assert_uint_ne(r.spi_in, k->spi_in);
	/* nothing installed before the answer */
	ck_assert_uint_eq(fh_sas_present(), 2);
	ck_assert_ptr_null(fh_sa_by_spi(r.spi_in));
	uint8_t km[KM_LEN];
	fh_clear_sent();
	answer_our_rekey(k, &r, new_spi, NR_C, sizeof(NR_C), km);
	/* the new pair: we initiated, so OUR outbound takes KEYMAT's first half */
	check_pair(r.spi_in, spi32(new_spi), km, true, reqid);
	/* the old pair is gone, and our DELETE of it goes out: our old inbound SPI */
	ck_assert_uint_eq(fh_sas_present(), 2);
	ck_assert_ptr_null(fh_sa_by_spi(k->spi_in));
	ck_assert_ptr_null(fh_sa_by_spi(k->spi_out));
	ck_assert_uint_eq(n_for(k), 1);
	open_server_request(k, nth_for(k, 0), IKEV2_EXCH_INFORMATIONAL, id + 1);
	ck_assert_uint_eq(deleted_esp_spi(), k->spi_in);
	/* the client answers with its side of the old pair */
	uint8_t plain[64], first, old_out[4];
	memcpy(old_out, &k->spi_out, 4);
	size_t pl = delete_plain(plain, sizeof(plain), old_out, &first);
	fh_clear_sent();
	answer_server(k, IKEV2_EXCH_INFORMATIONAL, id + 1, plain, pl, first);
	ck_assert_uint_eq(fh.n_sent, 0);
	ck_assert_uint_eq(fh_sas_present(), 2);
	/* the policies never changed */
	ck_assert_uint_eq(fh.n_add_policy, adds);
	ck_assert_uint_eq(fh.n_del_policy, dels);
	ck_assert_uint_eq(fh_policies_present(), 3);
	k->spi_in = r.spi_in;
	k->spi_out = spi32(new_spi);
	check_alive(k, 0);
}

START_TEST(our_child_rekey_on_soft_expire)
{
	struct cl a;
	connect_a(&a);
	/* the CHILD SA of IKE_AUTH has no PFS group: no KE */
	our_rekey_ok(&a, 0, 0, SPI_D);
	ck_assert_uint_eq(ctx->st.child_rekeys, 1);
	ck_assert_uint_eq(ctx->st.requests, 2);
	/* the new pair's soft expiry: the next rekey, our message IDs going on */
	our_rekey_ok(&a, 0, 2, SPI_C);
	ck_assert_uint_eq(ctx->st.child_rekeys, 2);
	ini_free(&a.c);
}
END_TEST

START_TEST(our_child_rekey_with_pfs)
{
	/* the client rekeyed with ecp256 first: our rekey of that CHILD SA uses ecp256 too */
	struct cl a;
	connect_a(&a);
	uint32_t in = client_rekey_ok(&a, DH_ECP256, SPI_B);
	client_deletes_old(&a, in, SPI_B);
	our_rekey_ok(&a, DH_ECP256, 0, SPI_D);
	ck_assert_uint_eq(ctx->st.child_rekeys, 2);
	ini_free(&a.c);
}
END_TEST

START_TEST(our_child_rekey_old_pair_expiry_ignored)
{
	/* a soft expiry of the replaced pair (still there until the client deletes it) starts nothing */
	struct cl a;
	connect_a(&a);
	uint32_t old_in = a.spi_in;
	uint32_t in = client_rekey_ok(&a, 0, SPI_B);
	fh_clear_sent();
	soft_expire(old_in);
	ck_assert_uint_eq(fh.n_sent, 0);
	client_deletes_old(&a, in, SPI_B);
	ini_free(&a.c);
}
END_TEST

START_TEST(our_child_rekey_refused_keeps_old)
{
	struct cl a;
	connect_a(&a);
	size_t adds = fh.n_add_sa;
	fh_clear_sent();
	soft_expire(a.spi_in);
	struct our_rekey r;
	open_our_rekey(&a, 0, 0, 0, &r);
	/* the client says no */
	uint8_t plain[64];
	struct ikev2_gen g;
	size_t pl;
	ikev2_gen_init_inner(&g, plain, sizeof(plain));
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	ck_assert_int_eq(ikev2_gen_finish(&g, &pl), 0);
	fh_clear_sent();
	answer_server(&a, IKEV2_EXCH_CREATE_CHILD_SA, 0, plain, pl, g.first);
	/* nothing installed, nothing deleted, no request of ours follows */
	ck_assert_uint_eq(fh.n_sent, 0);
	ck_assert_uint_eq(fh.n_add_sa, adds);
	ck_assert_uint_eq(fh_sas_present(), 2);
	ck_assert_ptr_nonnull(fh_sa_by_spi(a.spi_in));
	ck_assert_ptr_nonnull(fh_sa_by_spi(a.spi_out));
	ck_assert_uint_eq(ctx->st.child_rekeys, 0);
	check_alive(&a, 0);
	/* the old pair is still the current one: its next soft expiry tries again (message ID 1) */
	soft_expire(a.spi_in);
	ck_assert_uint_eq(n_for(&a), 1);
	open_our_rekey(&a, 0, 1, 0, &r);
	ini_free(&a.c);
}
END_TEST

START_TEST(hard_expiry_of_current_child_ends_client)
{
	struct cl a;
	connect_a(&a);
	const struct fh_sa *in = fh_sa_by_spi(a.spi_in);
	struct kanmon_sa_event ev = { .size = sizeof(ev), .type = KANMON_SA_HARD_EXPIRE, .sa = in->id,
				      .reqid = in->p.reqid };
	fh_clear_sent();
	ikev2_sa_event(&ev, ctx);
	/* no CHILD SA left to carry traffic: the client is told with a DELETE and its session ends */
	ck_assert_uint_eq(n_for(&a), 1);
	open_server_request(&a, nth_for(&a, 0), IKEV2_EXCH_INFORMATIONAL, 0);
	const struct ikev2_payload *d = find(IKEV2_PL_DELETE);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->body[0], IKEV2_PROTO_IKE);
	ck_assert_uint_eq(fh_sas_present(), 0);
	ck_assert_uint_eq(fh_policies_present(), 0);
	ck_assert(!fh.sessions[0].present);
	ck_assert(!fh_lease_of(CLIENT_ID)->online);
	answer_server(&a, IKEV2_EXCH_INFORMATIONAL, 0, NULL, 0, 0);
	ck_assert_ptr_null(sa_of(&a));
	ini_free(&a.c);
}
END_TEST

/*
 * The SA backends raise SOFT_EXPIRE once per SA (kernel-user: soft_sent;
 * XFRM: one soft expire message). When it comes while a liveness check of
 * ours is out, the rekey must follow that request's answer, or nothing
 * rekeys the CHILD SA before its hard expiry ends the client.
 * (This test found the deferred rekey being dropped.)
 */
START_TEST(soft_expire_during_dpd_rekeys_after_answer)
{
	struct cl a;
	connect_a(&a);
	fh_clear_sent();
	fh_advance(DPD_MS);
	check_dpd(&a, nth_for(&a, 0), 0);
	soft_expire(a.spi_in);
	soft_expire(a.spi_out);
	ck_assert_uint_eq(fh.n_sent, 1);	/* one request at a time */
	fh_clear_sent();
	answer_server(&a, IKEV2_EXCH_INFORMATIONAL, 0, NULL, 0, 0);
	/* now the rekey goes out */
	ck_assert_uint_eq(n_for(&a), 1);
	struct our_rekey r;
	open_our_rekey(&a, 0, 1, 0, &r);
	ini_free(&a.c);
}
END_TEST

/* ---- 5. collisions (RFC 7296 2.8.1) ---------------------------------------------- */

/*
 * We rekey (SOFT_EXPIRE), the client rekeys the same CHILD SA before
 * answering ours, then answers ours. ours_lowest: the lowest of the four
 * nonces is in our exchange (the client's Nr there is all zeros, its Ni
 * in its own all 0xff), else in the client's (the other way round).
 */
static void collision(bool ours_lowest)
{
	struct cl a;
	connect_a(&a);
	uint32_t reqid = fh_sa_by_spi(a.spi_in)->p.reqid;
	uint32_t old_in = a.spi_in, old_out = a.spi_out;
	uint8_t lo[16], hi[32];
	memset(lo, 0, sizeof(lo));
	memset(hi, 0xff, sizeof(hi));
	/* our rekey: out, unanswered */
	fh_clear_sent();
	soft_expire(a.spi_in);
	struct our_rekey r;
	open_our_rekey(&a, 0, 0, 0, &r);
	/* the client's rekey of the same CHILD SA: answered and installed meanwhile */
	uint8_t old_out_b[4];
	memcpy(old_out_b, &old_out, 4);
	const uint8_t *their_ni = ours_lowest ? hi : lo;
	size_t their_ni_len = ours_lowest ? sizeof(hi) : sizeof(lo);
	struct child_rekey o = { .rekey_spi = old_out_b, .new_spi = SPI_B, .ni = their_ni, .ni_len = their_ni_len };
	send_child_rekey(&a, &o);
	uint32_t theirs_in = sa_payload_spi();
	uint8_t their_nr[256];
	size_t their_nr_len = nonce_of(their_nr);
	uint8_t km_theirs[KM_LEN];
	keymat(&a.c, NULL, 0, their_ni, their_ni_len, their_nr, their_nr_len, km_theirs);
	check_pair(theirs_in, spi32(SPI_B), km_theirs, false, reqid);
	ck_assert_uint_eq(fh_sas_present(), 4);
	/* then the answer to ours */
	uint8_t km_mine[KM_LEN];
	fh_clear_sent();
	answer_our_rekey(&a, &r, SPI_D, ours_lowest ? lo : hi, ours_lowest ? sizeof(lo) : sizeof(hi), km_mine);
	ck_assert_uint_eq(ctx->st.rekey_collisions, 1);
	ck_assert_uint_eq(n_for(&a), 1);
	open_server_request(&a, nth_for(&a, 0), IKEV2_EXCH_INFORMATIONAL, 1);
	uint32_t deleted = deleted_esp_spi();
	uint8_t plain[64], first;
	size_t pl;
	uint32_t keep_in, keep_out;
	if (ours_lowest) {
		/* our exchange made the redundant SA: we delete OUR new one; the client deletes the old one */
		ck_assert_uint_eq(deleted, r.spi_in);
		ck_assert_ptr_null(fh_sa_by_spi(r.spi_in));
		ck_assert_ptr_null(fh_sa_by_spi(spi32(SPI_D)));
		ck_assert_ptr_nonnull(fh_sa_by_spi(old_in));
		pl = delete_plain(plain, sizeof(plain), SPI_D, &first);
		answer_server(&a, IKEV2_EXCH_INFORMATIONAL, 1, plain, pl, first);
		ck_assert_uint_eq(client_delete_child(&a, old_out_b), old_in);
		keep_in = theirs_in;
		keep_out = spi32(SPI_B);
		check_pair(keep_in, keep_out, km_theirs, false, reqid);
	} else {
		/* the client's exchange made it: it deletes its new one; we keep ours and delete the old one */
		ck_assert_uint_eq(deleted, old_in);
		ck_assert_ptr_null(fh_sa_by_spi(old_in));
		ck_assert_ptr_null(fh_sa_by_spi(old_out));
		check_pair(r.spi_in, spi32(SPI_D), km_mine, true, reqid);
		pl = delete_plain(plain, sizeof(plain), old_out_b, &first);
		answer_server(&a, IKEV2_EXCH_INFORMATIONAL, 1, plain, pl, first);
		ck_assert_uint_eq(client_delete_child(&a, SPI_B), theirs_in);
		keep_in = r.spi_in;
		keep_out = spi32(SPI_D);
		check_pair(keep_in, keep_out, km_mine, true, reqid);
	}
	/* exactly one pair left, policies as they were */
	ck_assert_uint_eq(fh_sas_present(), 2);
	ck_assert_uint_eq(fh_policies_present(), 3);
	ck_assert_uint_eq(fh.n_del_policy, 0);
	check_alive(&a, 0);
	/* and it is the current CHILD SA: its soft expiry rekeys it */
	a.spi_in = keep_in;
	a.spi_out = keep_out;
	fh_clear_sent();
	soft_expire(keep_in);
	ck_assert_uint_eq(n_for(&a), 1);
	open_our_rekey(&a, 0, 2, 0, &r);
	ini_free(&a.c);
}

START_TEST(collision_our_nonce_lowest)
{
	collision(true);
}
END_TEST

START_TEST(collision_their_nonce_lowest)
{
	collision(false);
}
END_TEST

/* ---- 6. duplicate identities ------------------------------------------------------ */

static void use_policy(const char *policy)
{
	teardown();
	dup_policy = policy;
	new_auth_ctx();
}

/* a replaced a with b: a got our DELETE, its SAs went, b has the same address */
static void check_replaced(struct cl *a, struct cl *b)
{
	ck_assert_str_eq(b->vip, VIP);
	ck_assert_uint_eq(fh.n_leases, 1);
	ck_assert(fh_lease_of(CLIENT_ID)->online);
	/* the DELETE went to a before b's answer */
	ck_assert_uint_eq(n_for(a), 1);
	ck_assert(nth_for(a, 0) < nth_for(b, 0));
	open_server_request(a, nth_for(a, 0), IKEV2_EXCH_INFORMATIONAL, 0);
	const struct ikev2_payload *d = find(IKEV2_PL_DELETE);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->body[0], IKEV2_PROTO_IKE);
	ck_assert_int_eq(sa_of(a)->state, IKEV2_DELETING);
	/* only b's SAs and session */
	ck_assert_uint_eq(fh_sas_present(), 2);
	ck_assert_ptr_null(fh_sa_by_spi(a->spi_in));
	ck_assert_ptr_null(fh_sa_by_spi(a->spi_out));
	ck_assert_ptr_nonnull(fh_sa_by_spi(b->spi_in));
	ck_assert_ptr_nonnull(fh_sa_by_spi(b->spi_out));
	ck_assert_uint_eq(fh_policies_present(), 3);
	ck_assert(!fh.sessions[0].present);
	ck_assert(fh.sessions[1].present);
	ck_assert_uint_eq(ctx->st.replaced, 1);
	/* a answers the DELETE: gone; b untouched */
	answer_server(a, IKEV2_EXCH_INFORMATIONAL, 0, NULL, 0, 0);
	ck_assert_ptr_null(sa_of(a));
	ck_assert_uint_eq(fh_sas_present(), 2);
	ck_assert(fh_lease_of(CLIENT_ID)->online);
	check_alive(b, 1);
}

START_TEST(duplicate_replace_default)
{
	struct cl a, b;
	connect_a(&a);
	/* the same identity again, without INITIAL_CONTACT: replace is the default */
	ck_assert(connect_client(&b, 0x22, 501, false, SPI_B));
	check_replaced(&a, &b);
	ck_assert_uint_eq(fh_log_count("replaced by a new connection from " CLIENT_IP "[501]"), 1);
	ini_free(&a.c);
	ini_free(&b.c);
}
END_TEST

START_TEST(duplicate_keep_initial_contact_replaces)
{
	use_policy("keep");
	struct cl a, b;
	connect_a(&a);
	ck_assert(connect_client(&b, 0x22, 501, true, SPI_B));
	check_replaced(&a, &b);
	ck_assert_uint_eq(fh_log_count("replaced by a new connection from " CLIENT_IP "[501] (INITIAL_CONTACT)"), 1);
	ini_free(&a.c);
	ini_free(&b.c);
}
END_TEST

START_TEST(duplicate_keep_both_live)
{
	use_policy("keep");
	struct cl a, b;
	connect_a(&a);
	ck_assert(connect_client(&b, 0x22, 501, false, SPI_B));
	/* b has its own lease, keyed identity#2, another address */
	ck_assert_str_eq(b.vip, VIP2);
	ck_assert_uint_eq(fh.n_leases, 2);
	const struct fh_lease *l2 = fh_lease_of(CLIENT_ID "#2");
	ck_assert_ptr_nonnull(l2);
	ck_assert(l2->online);
	ck_assert(fh_lease_of(CLIENT_ID)->online);
	/* both sets of SAs, policies and sessions; nothing sent to a */
	ck_assert_uint_eq(n_for(&a), 0);
	ck_assert_uint_eq(fh_sas_present(), 4);
	ck_assert_uint_eq(fh_policies_present(), 6);
	check_alive(&a, 0);
	check_alive(&b, 1);
	ck_assert_str_eq(fh.sessions[1].identity, CLIENT_ID);
	ck_assert_uint_eq(ctx->st.replaced, 0);
	/* b leaves: its own lease goes offline, a's stays */
	uint8_t dp[64], first;
	size_t pl = delete_plain(dp, sizeof(dp), NULL, &first);
	request(&b, IKEV2_EXCH_INFORMATIONAL, dp, pl, first);
	ck_assert(!fh_lease_of(CLIENT_ID "#2")->online);
	ck_assert(fh_lease_of(CLIENT_ID)->online);
	ck_assert_uint_eq(fh_sas_present(), 2);
	check_alive(&a, 0);
	ini_free(&a.c);
	ini_free(&b.c);
}
END_TEST

START_TEST(duplicate_refuse)
{
	use_policy("refuse");
	struct cl a, b, c;
	connect_a(&a);
	size_t sessions = fh.n_sessions, adds = fh.n_add_sa, acq = fh.n_acquire;
	/* the same identity without INITIAL_CONTACT: refused */
	ck_assert(!connect_client(&b, 0x22, 501, false, SPI_B));
	ck_assert_uint_eq(only_notify(NULL, NULL), IKEV2_N_AUTHENTICATION_FAILED);
	/* a untouched: nothing sent to it, its SAs, session and lease stay */
	ck_assert_uint_eq(n_for(&a), 0);
	ck_assert_uint_eq(fh.n_sessions, sessions);
	ck_assert_uint_eq(fh.n_add_sa, adds);
	ck_assert_uint_eq(fh.n_acquire, acq);
	ck_assert_uint_eq(fh_sas_present(), 2);
	ck_assert_ptr_nonnull(fh_sa_by_spi(a.spi_in));
	ck_assert_ptr_nonnull(fh_sa_by_spi(a.spi_out));
	ck_assert_uint_eq(fh_policies_present(), 3);
	check_alive(&a, 0);
	ck_assert_uint_eq(fh_log_count("already connected from " CLIENT_IP "[500] (duplicates = \"refuse\")"), 1);
	ck_assert_int_eq(sa_of(&b)->state, IKEV2_DEAD);
	ck_assert_uint_eq(ctx->st.replaced, 0);
	/* INITIAL_CONTACT ("the only IKE SA of this identity") replaces even under refuse */
	ck_assert(connect_client(&c, 0x23, 502, true, SPI_C));
	ck_assert_str_eq(c.vip, VIP);
	ck_assert_uint_eq(n_for(&a), 1);
	ck_assert_int_eq(sa_of(&a)->state, IKEV2_DELETING);
	ck_assert_ptr_null(fh_sa_by_spi(a.spi_in));
	ck_assert_uint_eq(fh_sas_present(), 2);
	ck_assert_uint_eq(ctx->st.replaced, 1);
	check_alive(&c, 1);
	ini_free(&a.c);
	ini_free(&b.c);
	ini_free(&c.c);
}
END_TEST

/* ---- 7. kill ------------------------------------------------------------------------ */

START_TEST(kill_while_dpd_outstanding)
{
	struct cl a;
	connect_a(&a);
	fh_clear_sent();
	fh_advance(DPD_MS);
	ck_assert_uint_eq(fh.n_sent, 1);
	check_dpd(&a, nth_for(&a, 0), 0);
	/* the operator kills the session: traffic stops at once ... */
	const struct fh_session *s = &fh.sessions[0];
	ck_assert_int_eq(s->ops->kill(s->arg, s->id), 0);
	ck_assert_uint_eq(fh_sas_present(), 0);
	ck_assert_uint_eq(fh_policies_present(), 0);
	ck_assert(!fh.sessions[0].present);
	ck_assert(!fh_lease_of(CLIENT_ID)->online);
	ck_assert_int_eq(sa_of(&a)->state, IKEV2_DELETING);
	/* ... but the DELETE waits for the liveness check's answer (window of one) */
	ck_assert_uint_eq(fh.n_sent, 1);
	fh_advance(1000);
	ck_assert_uint_eq(fh.n_sent, 2);
	check_dpd(&a, nth_for(&a, 1), 0);
	fh_clear_sent();
	answer_server(&a, IKEV2_EXCH_INFORMATIONAL, 0, NULL, 0, 0);
	ck_assert_uint_eq(fh.n_sent, 1);
	open_server_request(&a, nth_for(&a, 0), IKEV2_EXCH_INFORMATIONAL, 1);
	const struct ikev2_payload *d = find(IKEV2_PL_DELETE);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->len, 4);
	ck_assert_uint_eq(d->body[0], IKEV2_PROTO_IKE);
	ck_assert_ptr_nonnull(sa_of(&a));
	/* the DELETE answered: the SA is freed */
	answer_server(&a, IKEV2_EXCH_INFORMATIONAL, 1, NULL, 0, 0);
	ck_assert_ptr_null(sa_of(&a));
	ck_assert_uint_eq(ctx->sas.count, 0);
	ck_assert_uint_eq(fh.n_session_remove, 1);
	ck_assert_uint_eq(ctx->st.dpd_dead, 0);
	fh_advance(10 * DPD_MS);
	ck_assert_uint_eq(fh.n_sent, 1);
	ini_free(&a.c);
}
END_TEST

/*
 * A DELETE of ours is retransmitted like any request until answered or
 * given up 15 s after its first send, whenever the kill happens relative
 * to the SA's liveness timer.
 * (This test found the liveness timer freeing a DELETING SA early.)
 */
START_TEST(kill_delete_retransmitted_until_given_up)
{
	struct cl a;
	connect_a(&a);
	/* the kill comes 1 s before the liveness timer would fire */
	fh_advance(DPD_MS - 1000);
	fh_clear_sent();
	const struct fh_session *s = &fh.sessions[0];
	ck_assert_int_eq(s->ops->kill(s->arg, s->id), 0);
	ck_assert_uint_eq(fh.n_sent, 1);
	open_server_request(&a, nth_for(&a, 0), IKEV2_EXCH_INFORMATIONAL, 0);
	ck_assert_ptr_nonnull(find(IKEV2_PL_DELETE));
	/* retransmitted after 1, 1+2, 1+2+4 s; the SA waits for the answer until 15 s */
	fh_advance(7000);
	ck_assert_uint_eq(fh.n_sent, 4);
	ck_assert_ptr_nonnull(sa_of(&a));
	fh_advance(GIVE_UP_MS - 7000 - 1);
	ck_assert_ptr_nonnull(sa_of(&a));
	/* the client's late answer ends it */
	answer_server(&a, IKEV2_EXCH_INFORMATIONAL, 0, NULL, 0, 0);
	ck_assert_ptr_null(sa_of(&a));
	ini_free(&a.c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ikev2_lifecycle");
	TCase *tc = tcase_create("lifecycle");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, dpd_silent_client_probed_and_answer_keeps_it);
	tcase_add_test(tc, dpd_unanswered_retransmits_then_removes);
	tcase_add_test(tc, dpd_not_sent_while_esp_arrives);
	tcase_add_test(tc, client_child_rekey_without_pfs);
	tcase_add_test(tc, client_child_rekey_with_pfs);
	tcase_add_test(tc, client_child_rekey_refusals);
	tcase_add_test(tc, client_ike_rekey);
	tcase_add_test(tc, client_ike_rekey_invalid_ke);
	tcase_add_test(tc, our_child_rekey_on_soft_expire);
	tcase_add_test(tc, our_child_rekey_with_pfs);
	tcase_add_test(tc, our_child_rekey_old_pair_expiry_ignored);
	tcase_add_test(tc, our_child_rekey_refused_keeps_old);
	tcase_add_test(tc, hard_expiry_of_current_child_ends_client);
	tcase_add_test(tc, soft_expire_during_dpd_rekeys_after_answer);
	tcase_add_test(tc, collision_our_nonce_lowest);
	tcase_add_test(tc, collision_their_nonce_lowest);
	tcase_add_test(tc, duplicate_replace_default);
	tcase_add_test(tc, duplicate_keep_initial_contact_replaces);
	tcase_add_test(tc, duplicate_keep_both_live);
	tcase_add_test(tc, duplicate_refuse);
	tcase_add_test(tc, kill_while_dpd_outstanding);
	tcase_add_test(tc, kill_delete_retransmitted_until_given_up);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
