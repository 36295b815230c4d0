/* SPDX-License-Identifier: MIT */
/*
 * test_auth.c - IKE_AUTH with certificates end to end through
 * ikev2_receive(): the test initiator (initiator.c) authenticates with a
 * client certificate issued by a CA made here, signing its AUTH over the
 * octets it computes itself (RFC 7296 2.15), and checks the server's AUTH
 * with the server certificate's public key, both with GnuTLS directly. The
 * fake host (fh_auth_on) trusts the test CA, signs with the test's server
 * key, leases from a pool with DNS servers, records sessions and the SAs
 * and policies installed, keys included: those are compared with KEYMAT
 * derived here from SK_d (prf+ with gnutls_hmac_fast).
 *
 * Covers the answer (IDr, CERT, AUTH, CP, SA, TSi, TSr), server AUTH
 * method 1 / 14 / 9 by what the client announced, CHILD SA keys, SPIs and
 * policies, the session and its lease, DELETE and kill tearing everything
 * down, the refusals with their Windows codes, a CHILD SA that cannot be
 * made, a client without CP, and retransmitted IKE_AUTH requests.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static struct ent ca, other_ca, client, stranger, server_rsa, server_ec;

#define CLIENT_ID "alice@example.com"
#define SERVER_ID "vpn.example.com"
#define POOL "vpn"
#define VIP "10.10.0.10"

static void pki_setup(void)
{
	ent_make(&ca, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), "Test VPN CA", NULL, NULL, NULL,
	     1);
	ent_make(&other_ca, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), "Other CA", NULL, NULL,
	     NULL, 2);
	ent_make(&client, GNUTLS_PK_RSA, 2048, CLIENT_ID, CLIENT_ID, NULL, &ca, 3);
	ent_make(&stranger, GNUTLS_PK_RSA, 2048, CLIENT_ID, CLIENT_ID, NULL, &other_ca, 4);
	ent_make(&server_rsa, GNUTLS_PK_RSA, 2048, SERVER_ID, NULL, SERVER_ID, &ca, 5);
	ent_make(&server_ec, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), SERVER_ID, NULL, SERVER_ID,
	     &ca, 6);
}

static void pki_teardown(void)
{
	ent_drop(&ca);
	ent_drop(&other_ca);
	ent_drop(&client);
	ent_drop(&stranger);
	ent_drop(&server_rsa);
	ent_drop(&server_ec);
}

/* ---- the responder with the fake host's IKE_AUTH services ------------------------- */

static void use_server(const struct ent *s, uint8_t key_type, uint16_t bits)
{
	fh.auth.server_key = s->key;
	fh.auth.server_cert = s->der;
	fh.auth.server_cert_len = s->der_len;
	fh.auth.server_issuer = ca.der;
	fh.auth.server_issuer_len = ca.der_len;
	fh.auth.key_type = key_type;
	fh.auth.key_bits = bits;
}

static struct ikev2 *auth_ctx(void (*tweak)(struct ikev2_config *))
{
	struct ikev2_config cfg;
	struct ikev2 *c;
	fh_reset();
	fh_auth_on();
	fh.auth.ca = ca.crt;
	fh.auth.server_name = "server";
	use_server(&server_rsa, KANMON_KEY_RSA, 2048);
	fh.auth.pool = POOL;
	fh.auth.pool4_prefix = "10.10.0.";
	fh.auth.dns[0] = "10.10.0.1";
	fh.auth.dns[1] = "2001:db8::53";	/* the client asked for IPv4 only: not given */
	fh.auth.dns[2] = "9.9.9.9";
	fh.auth.n_dns = 3;
	ikev2_config_defaults(&cfg);
	cfg.pool = POOL;
	cfg.server_id = SERVER_ID;
	if (tweak)
		tweak(&cfg);
	ck_assert_int_eq(ikev2_ctx_new(&fh.h, &cfg, &c), 0);
	c->now_ms = fh_now;
	ck_assert_ptr_nonnull(c->sa_ops);
	return c;
}

static void setup(void)
{
	ctx = auth_ctx(NULL);
}

static void teardown(void)
{
	ikev2_ctx_free(ctx);
	ctx = NULL;
}

/* ---- the initiator's IKE_AUTH ----------------------------------------------------- */

/* RFC 7427 Appendix A: sha256WithRSAEncryption, ecdsa-with-SHA256, length byte first */
static const uint8_t H_RSA_SHA256[] = { 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
static const uint8_t H_ECDSA_SHA256[] = { 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
					  0xce, 0x3d, 0x04, 0x03, 0x02 };

/* ESP: aes256-sha256 (configured by default), 3des-sha1 (not) */
static const struct test_prop ESP_CBC = { .protocol = 3, .spi_len = 4, .encr = { IKE_ENCR_AES_CBC },
					  .encr_bits = { 256 }, .integ = { IKE_INTEG_HMAC_SHA2_256_128 },
					  .esn = { 2 } };
static const struct test_prop ESP_3DES = { .protocol = 3, .spi_len = 4, .encr = { IKE_ENCR_3DES },
					   .integ = { IKE_INTEG_HMAC_SHA1_96 }, .esn = { 2 } };
/* the SPI gen_offer puts into a proposal: a0 a1 a2 a3 */
static const uint8_t CLIENT_SPI[4] = { 0xa0, 0xa1, 0xa2, 0xa3 };

struct auth_opts {
	const struct ent *cert;		/* the client's certificate (NULL: send none) */
	uint8_t method;			/* 1 (RSA SHA-1) or 14 (sha256WithRSA) */
	bool bad_sig;			/* flip a byte of the signature */
	bool no_cp;
	const struct test_prop *esp;	/* NULL: ESP_CBC */
	bool mobike;			/* N(MOBIKE_SUPPORTED) */
	bool cp_ip6;			/* the CFG_REQUEST asks for IPv6 only */
	bool behind_nat;		/* IKE_SA_INIT NAT-D says so */
	uint16_t port, cport;		/* IKE_AUTH to port from cport (0: 500) */
};


/* the IDi payload body: ID type RFC822_ADDR, reserved, the address */
static size_t idi_body(uint8_t *b)
{
	b[0] = KANMON_ID_RFC822_ADDR;
	b[1] = b[2] = b[3] = 0;
	memcpy(b + 4, CLIENT_ID, strlen(CLIENT_ID));
	return 4 + strlen(CLIENT_ID);
}

/* AUTH payload body (method, reserved, data) over InitiatorSignedOctets, signed with the client key */
static size_t client_auth(const struct ini *c, const struct auth_opts *o, const uint8_t *idi, size_t idi_len,
			  uint8_t *out)
{
	/* RFC 7296 2.15: RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload) */
	static uint8_t octets[4096];
	size_t ol = 0;
	memcpy(octets, c->req, c->req_len), ol += c->req_len;
	memcpy(octets + ol, c->nr, c->nr_len), ol += c->nr_len;
	ck_assert_int_eq(gnutls_hmac_fast(mac_of(c), c->sk_pi, c->prf_len, idi, idi_len, octets + ol), 0);
	ol += c->prf_len;
	gnutls_datum_t data = { octets, (unsigned)ol }, sig;
	size_t n = 0;
	out[n++] = o->method;
	out[n++] = 0, out[n++] = 0, out[n++] = 0;
	const struct ent *k = o->cert ? o->cert : &client;
	if (o->method == IKEV2_AUTH_DIGITAL_SIG) {
		memcpy(out + n, H_RSA_SHA256, sizeof(H_RSA_SHA256));
		n += sizeof(H_RSA_SHA256);
		ck_assert_int_eq(gnutls_privkey_sign_data(k->key, GNUTLS_DIG_SHA256, 0, &data, &sig), 0);
	} else {
		ck_assert_int_eq(gnutls_privkey_sign_data(k->key, GNUTLS_DIG_SHA1, 0, &data, &sig), 0);
	}
	memcpy(out + n, sig.data, sig.size);
	n += sig.size;
	gnutls_free(sig.data);
	if (o->bad_sig)
		out[n - 7] ^= 0x20;
	return n;
}

/* a TS payload body with one IPv4 range */
static size_t ts_body(uint8_t *b, const char *from, const char *to)
{
	memset(b, 0, 20);
	b[0] = 1;			/* number of TSs */
	b[4] = 7;			/* TS_IPV4_ADDR_RANGE */
	b[5] = 0;			/* any protocol */
	b[6] = 0, b[7] = 16;		/* selector length */
	b[8] = 0, b[9] = 0;		/* ports 0-65535 */
	b[10] = 0xff, b[11] = 0xff;
	inet_pton(AF_INET, from, b + 12);
	inet_pton(AF_INET, to, b + 16);
	return 20;
}

/* IKE_AUTH request plaintext: IDi, [CERT], N(INITIAL_CONTACT), IDr, AUTH, [CP], SA, TSi, TSr */
static size_t auth_request(const struct ini *c, const struct auth_opts *o, uint8_t *buf, size_t cap, uint8_t *first)
{
	struct ikev2_gen g;
	uint8_t idi[64], auth[1024], ts[20], idr[4 + sizeof(SERVER_ID) - 1] = { KANMON_ID_FQDN, 0, 0, 0 };
	size_t il = idi_body(idi);
	memcpy(idr + 4, SERVER_ID, sizeof(SERVER_ID) - 1);
	ikev2_gen_init_inner(&g, buf, cap);
	ikev2_gen_bytes(&g, IKEV2_PL_IDI, idi, il);
	if (o->cert) {
		uint8_t *p = ikev2_gen_payload(&g, IKEV2_PL_CERT, false, 1 + o->cert->der_len);
		ck_assert_ptr_nonnull(p);
		p[0] = IKEV2_CERT_X509_SIG;
		memcpy(p + 1, o->cert->der, o->cert->der_len);
	}
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	ikev2_gen_bytes(&g, IKEV2_PL_IDR, idr, sizeof(idr));
	ikev2_gen_bytes(&g, IKEV2_PL_AUTH, auth, client_auth(c, o, idi, il, auth));
	if (o->cp_ip6) {
		/* CFG_REQUEST: INTERNAL_IP6_ADDRESS, INTERNAL_IP6_DNS */
		static const uint8_t cp[] = { 1, 0, 0, 0, 0, 8, 0, 0, 0, 10, 0, 0 };
		ikev2_gen_bytes(&g, IKEV2_PL_CP, cp, sizeof(cp));
	} else if (!o->no_cp) {
		/* CFG_REQUEST: INTERNAL_IP4_ADDRESS, INTERNAL_IP4_DNS, both empty (RFC 7296 3.15) */
		static const uint8_t cp[] = { 1, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0 };
		ikev2_gen_bytes(&g, IKEV2_PL_CP, cp, sizeof(cp));
	}
	if (o->mobike)
		ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_MOBIKE_SUPPORTED, NULL, 0);
	gen_offer(&g, o->esp ? o->esp : &ESP_CBC, 1);
	ikev2_gen_bytes(&g, IKEV2_PL_TSI, ts, ts_body(ts, "0.0.0.0", "255.255.255.255"));
	ikev2_gen_bytes(&g, IKEV2_PL_TSR, ts, ts_body(ts, "0.0.0.0", "255.255.255.255"));
	size_t len;
	ck_assert_int_eq(ikev2_gen_finish(&g, &len), 0);
	*first = g.first;
	return len;
}

/* the IKE_AUTH exchange so far: request sent, answer opened */
struct run {
	struct ini c;
	uint8_t msg[8192];		/* the protected request */
	size_t msg_len;
	uint8_t answer[8192];		/* the protected answer as sent */
	size_t answer_len;
	uint8_t plain[8192];
	struct ikev2_chain inner;	/* the answer's payloads (in plain) */
};

static struct run R;

/* IKE_SA_INIT (aes256-sha256-prfsha256-ecp256), then IKE_AUTH with o; the answer opened into R.inner */
static void run_auth(const struct auth_opts *o, bool sig_hashes)
{
	memset(&R, 0, sizeof(R));
	ini_new(&R.c, 0x21);
	struct init_opts io = { .offer = &P_CBC, .no_sig_hashes = !sig_hashes, .behind_nat = o->behind_nat };
	sa_init_ok(&R.c, &io);
	static uint8_t plain[8192];
	uint8_t first;
	size_t pl = auth_request(&R.c, o, plain, sizeof(plain), &first);
	R.msg_len = seal_request(&R.c, IKEV2_EXCH_IKE_AUTH, 1, first, plain, pl, R.msg, sizeof(R.msg));
	fh_clear_sent();
	fh_clear_log();
	deliver(R.msg, R.msg_len, o->port ? o->port : 500, o->cport ? o->cport : 500);
	ck_assert_uint_eq(fh.n_sent, 1);
	const struct fh_sent *s = last_sent();
	memcpy(R.answer, s->data, s->len);
	R.answer_len = s->len;
	open_response(&R.c, s, 1, &R.inner, R.plain);
}

static const struct ikev2_payload *find(uint8_t type)
{
	return ikev2_chain_find(&R.inner, type, NULL);
}

/* the notify of the answer of this type, or NULL */
static bool has_notify(uint16_t type)
{
	struct ikev2_notify n;
	return ikev2_chain_notify(&R.inner, type, &n) == 0;
}

/*
 * Checks IDr, CERT and AUTH of the answer as a client would: the CERT is the
 * server certificate, and AUTH (method want_method) verifies with its
 * public key over ResponderSignedOctets computed here.
 */
static void check_server_auth(const struct ent *srv, uint8_t want_method)
{
	const struct ikev2_payload *idr = find(IKEV2_PL_IDR), *cert = find(IKEV2_PL_CERT), *auth = find(IKEV2_PL_AUTH);
	ck_assert_ptr_nonnull(idr);
	ck_assert_ptr_nonnull(cert);
	ck_assert_ptr_nonnull(auth);
	/* IDr: server_id as an FQDN */
	ck_assert_uint_eq(idr->len, 4 + strlen(SERVER_ID));
	ck_assert_uint_eq(idr->body[0], KANMON_ID_FQDN);
	ck_assert_mem_eq(idr->body + 4, SERVER_ID, strlen(SERVER_ID));
	/* CERT: X.509 signature, the server certificate */
	ck_assert_uint_eq(cert->body[0], IKEV2_CERT_X509_SIG);
	ck_assert_uint_eq(cert->len, 1 + srv->der_len);
	ck_assert_mem_eq(cert->body + 1, srv->der, srv->der_len);
	/* ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload) */
	static uint8_t octets[4096];
	const struct ini *c = &R.c;
	size_t ol = 0;
	memcpy(octets, c->resp, c->resp_len), ol += c->resp_len;
	memcpy(octets + ol, c->ni, sizeof(c->ni)), ol += sizeof(c->ni);
	ck_assert_int_eq(gnutls_hmac_fast(mac_of(c), c->sk_pr, c->prf_len, idr->body, idr->len, octets + ol), 0);
	ol += c->prf_len;
	gnutls_pubkey_t pub;
	ck_assert_int_eq(gnutls_pubkey_init(&pub), 0);
	ck_assert_int_eq(gnutls_pubkey_import_x509(pub, srv->crt, 0), 0);
	ck_assert_uint_ge(auth->len, 5);
	uint8_t method = auth->body[0];
	ck_assert_uint_eq(method, want_method);
	const uint8_t *sig = auth->body + 4;
	size_t sl = auth->len - 4u;
	gnutls_datum_t data = { octets, (unsigned)ol }, sd = { (unsigned char *)sig, (unsigned)sl }, der = { 0 };
	gnutls_sign_algorithm_t alg = GNUTLS_SIGN_UNKNOWN;
	unsigned flags = 0;
	bool ec = srv == &server_ec;
	if (method == IKEV2_AUTH_RSA) {
		alg = GNUTLS_SIGN_RSA_SHA1;
		flags = GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1;
	} else if (method == IKEV2_AUTH_DIGITAL_SIG) {
		const uint8_t *h = ec ? H_ECDSA_SHA256 : H_RSA_SHA256;
		size_t hl = ec ? sizeof(H_ECDSA_SHA256) : sizeof(H_RSA_SHA256);
		ck_assert_uint_gt(sl, hl);
		ck_assert_mem_eq(sig, h, hl);
		sd.data += hl;
		sd.size -= (unsigned)hl;
		alg = ec ? GNUTLS_SIGN_ECDSA_SHA256 : GNUTLS_SIGN_RSA_SHA256;
	} else if (method == IKEV2_AUTH_ECDSA_256) {
		/* r || s (RFC 4754) */
		ck_assert_uint_eq(sl, 64);
		gnutls_datum_t r = { (unsigned char *)sig, 32 }, s = { (unsigned char *)sig + 32, 32 };
		ck_assert_int_eq(gnutls_encode_rs_value(&der, &r, &s), 0);
		sd = der;
		alg = GNUTLS_SIGN_ECDSA_SHA256;
	}
	ck_assert_int_eq(gnutls_pubkey_verify_data2(pub, alg, flags, &data, &sd), 0);
	/* and not over other octets */
	octets[0] ^= 1;
	ck_assert_int_lt(gnutls_pubkey_verify_data2(pub, alg, flags, &data, &sd), 0);
	gnutls_free(der.data);
	gnutls_pubkey_deinit(pub);
}

/* the CFG_REPLY: attributes parsed here (RFC 7296 3.15.1) */
static void check_cp(const char *want_ip, const char *const *want_dns, size_t n_dns)
{
	const struct ikev2_payload *cp = find(IKEV2_PL_CP);
	ck_assert_ptr_nonnull(cp);
	ck_assert_uint_ge(cp->len, 4);
	ck_assert_uint_eq(cp->body[0], 2);	/* CFG_REPLY */
	size_t at = 4, n_ip = 0, n_dns_seen = 0;
	while (at + 4 <= cp->len) {
		uint16_t type = (uint16_t)((cp->body[at] << 8 | cp->body[at + 1]) & 0x7fff);
		uint16_t len = (uint16_t)(cp->body[at + 2] << 8 | cp->body[at + 3]);
		const uint8_t *v = cp->body + at + 4;
		ck_assert_uint_le(at + 4 + len, cp->len);
		char s[INET6_ADDRSTRLEN];
		if (type == 1) {	/* INTERNAL_IP4_ADDRESS */
			ck_assert_uint_eq(len, 4);
			inet_ntop(AF_INET, v, s, sizeof(s));
			ck_assert_str_eq(s, want_ip);
			n_ip++;
		} else if (type == 3) {	/* INTERNAL_IP4_DNS */
			ck_assert_uint_eq(len, 4);
			inet_ntop(AF_INET, v, s, sizeof(s));
			ck_assert_uint_lt(n_dns_seen, n_dns);
			ck_assert_str_eq(s, want_dns[n_dns_seen]);
			n_dns_seen++;
		} else {
			/* nothing of IPv6: the client asked for none */
			ck_assert_uint_ne(type, 8);
			ck_assert_uint_ne(type, 10);
		}
		at += 4u + len;
	}
	ck_assert_uint_eq(at, cp->len);
	ck_assert_uint_eq(n_ip, 1);
	ck_assert_uint_eq(n_dns_seen, n_dns);
}

static uint32_t answer_spi(void)
{
	const struct ikev2_payload *sa = find(IKEV2_PL_SA);
	ck_assert_ptr_nonnull(sa);
	/* one proposal (last), ESP, 4-byte SPI */
	ck_assert_uint_ge(sa->len, 12);
	ck_assert_uint_eq(sa->body[0], 0);
	ck_assert_uint_eq(sa->body[5], IKEV2_PROTO_ESP);
	ck_assert_uint_eq(sa->body[6], 4);
	uint32_t spi;
	memcpy(&spi, sa->body + 8, 4);
	return spi;
}

static void check_ts(uint8_t type, const char *from, const char *to)
{
	const struct ikev2_payload *p = find(type);
	ck_assert_ptr_nonnull(p);
	uint8_t want[20];
	ck_assert_uint_eq(p->len, ts_body(want, from, to));
	ck_assert_mem_eq(p->body, want, sizeof(want));
}

static void sin4(struct sockaddr_storage *ss, const char *ip)
{
	addr(ss, ip, 0);
}

static bool same4(const struct sockaddr_storage *a, const char *ip)
{
	struct sockaddr_storage b;
	sin4(&b, ip);
	return a->ss_family == AF_INET &&
	       !memcmp(&((const struct sockaddr_in *)a)->sin_addr, &((struct sockaddr_in *)&b)->sin_addr, 4);
}

static bool ts_is(const struct kanmon_ts *ts, const char *from, const char *to)
{
	return same4(&ts->from, from) && same4(&ts->to, to) && ts->proto == 0 && ts->from_port == 0 &&
	       ts->to_port == 65535;
}

static size_t count_policy(enum kanmon_sa_dir dir, const char *sf, const char *st, const char *df, const char *dt)
{
	size_t n = 0;
	for (size_t i = 0; i < fh.n_policies; i++) {
		const struct fh_policy *p = &fh.policies[i];
		n += p->present && p->id.dir == dir && ts_is(&p->id.src_ts, sf, st) && ts_is(&p->id.dst_ts, df, dt);
	}
	return n;
}

/* ---- established -------------------------------------------------------------- */

static const char *const DNS4[] = { "10.10.0.1", "9.9.9.9" };

/* everything a successful IKE_AUTH leaves, checked once for each test */
static void check_established(const struct ent *srv, uint8_t want_method)
{
	/* the answer: IDr CERT AUTH CP SA TSi TSr, nothing refused */
	ck_assert_ptr_nonnull(find(IKEV2_PL_IDR));
	ck_assert_ptr_nonnull(find(IKEV2_PL_CERT));
	ck_assert_ptr_nonnull(find(IKEV2_PL_AUTH));
	ck_assert_ptr_nonnull(find(IKEV2_PL_CP));
	ck_assert_ptr_nonnull(find(IKEV2_PL_SA));
	ck_assert_ptr_nonnull(find(IKEV2_PL_TSI));
	ck_assert_ptr_nonnull(find(IKEV2_PL_TSR));
	ck_assert(!has_notify(IKEV2_N_AUTHENTICATION_FAILED));
	ck_assert(!has_notify(IKEV2_N_NO_PROPOSAL_CHOSEN));
	check_server_auth(srv, want_method);
	check_cp(VIP, DNS4, 2);
	check_ts(IKEV2_PL_TSI, VIP, VIP);
	check_ts(IKEV2_PL_TSR, "0.0.0.0", "255.255.255.255");

	/* KEYMAT = prf+(SK_d, Ni | Nr): encr_i | integ_i | encr_r | integ_r, aes256 (32) + sha256 (32) */
	uint8_t seed[32 + 256], km[128];
	memcpy(seed, R.c.ni, sizeof(R.c.ni));
	memcpy(seed + sizeof(R.c.ni), R.c.nr, R.c.nr_len);
	kdf_plus(&R.c, R.c.sk_d, seed, sizeof(R.c.ni) + R.c.nr_len, km, sizeof(km));
	uint32_t spi_in = answer_spi(), spi_out;
	memcpy(&spi_out, CLIENT_SPI, 4);
	ck_assert_uint_eq(fh.n_alloc_spi, 1);
	ck_assert_uint_eq(fh_sas_present(), 2);
	const struct fh_sa *in = fh_sa_by_spi(spi_in), *out = fh_sa_by_spi(spi_out);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(ntohl(spi_in), 0xc0de0001);	/* what the backend allocated */
	ck_assert_int_eq(in->p.dir, KANMON_SA_IN);
	ck_assert_int_eq(out->p.dir, KANMON_SA_OUT);
	ck_assert_uint_eq(in->id.proto, KANMON_SA_PROTO_ESP);
	ck_assert(same4(&in->id.src, CLIENT_IP) && same4(&in->id.dst, SERVER_IP));
	ck_assert(same4(&out->id.src, SERVER_IP) && same4(&out->id.dst, CLIENT_IP));
	for (int i = 0; i < 2; i++) {
		const struct fh_sa *s = i ? out : in;
		ck_assert_int_eq(s->p.mode, KANMON_SA_TUNNEL);
		ck_assert_uint_eq(s->p.enc_alg, KANMON_ENCR_AES_CBC);
		ck_assert_uint_eq(s->p.integ_alg, KANMON_AUTH_HMAC_SHA2_256_128);
		ck_assert_uint_eq(s->p.enc_key_len, 32);
		ck_assert_uint_eq(s->p.integ_key_len, 32);
		ck_assert(!s->p.esn);
		ck_assert_uint_eq(s->p.encap_sport, 0);	/* no NAT: raw ESP */
		ck_assert_uint_ne(s->p.reqid, 0);
	}
	ck_assert_uint_eq(in->p.reqid, out->p.reqid);
	ck_assert_mem_eq(in->enc_key, km, 32);
	ck_assert_mem_eq(in->integ_key, km + 32, 32);
	ck_assert_mem_eq(out->enc_key, km + 64, 32);
	ck_assert_mem_eq(out->integ_key, km + 96, 32);

	/* policies: out 0.0.0.0/0 -> VIP, in and fwd VIP -> 0.0.0.0/0, tunnel between the outer addresses */
	ck_assert_uint_eq(fh_policies_present(), 3);
	ck_assert_uint_eq(count_policy(KANMON_SA_OUT, "0.0.0.0", "255.255.255.255", VIP, VIP), 1);
	ck_assert_uint_eq(count_policy(KANMON_SA_IN, VIP, VIP, "0.0.0.0", "255.255.255.255"), 1);
	ck_assert_uint_eq(count_policy(KANMON_SA_FWD, VIP, VIP, "0.0.0.0", "255.255.255.255"), 1);
	for (size_t i = 0; i < fh.n_policies; i++) {
		const struct fh_policy *p = &fh.policies[i];
		ck_assert_int_eq(p->p.mode, KANMON_SA_TUNNEL);
		ck_assert_uint_eq(p->p.reqid, in->p.reqid);
		bool o = p->id.dir == KANMON_SA_OUT;
		ck_assert(same4(&p->p.src, o ? SERVER_IP : CLIENT_IP));
		ck_assert(same4(&p->p.dst, o ? CLIENT_IP : SERVER_IP));
	}

	/* the lease and the session */
	ck_assert_uint_eq(fh.n_acquire, 1);
	const struct fh_lease *l = fh_lease_of(CLIENT_ID);
	ck_assert_ptr_nonnull(l);
	ck_assert(l->online);
	ck_assert(same4(&l->addr, VIP));
	ck_assert_uint_eq(fh.n_sessions, 1);
	const struct fh_session *s = &fh.sessions[0];
	ck_assert(s->present);
	ck_assert_str_eq(s->identity, CLIENT_ID);
	ck_assert_uint_eq(s->n_vips, 1);
	ck_assert(same4(&s->vips[0], VIP));
	ck_assert(same4(&s->peer, CLIENT_IP));
	ck_assert_str_eq(s->cert_serial, "1003");	/* the client certificate's, for revocations */
	ck_assert_ptr_nonnull(strstr(s->algorithms, "aes256"));
	struct ikev2_sa *sa = ikev2_sa_by_r(ctx, R.c.spi_r);
	ck_assert_ptr_nonnull(sa);
	ck_assert_int_eq(sa->state, IKEV2_ESTABLISHED);
	ck_assert_uint_eq(sa->session_id, s->id);
	ck_assert_uint_eq(ctx->st.established, 1);
	ck_assert_uint_eq(ctx->st.children, 1);
	/* the certificate store was asked about a client certificate */
	ck_assert_uint_eq(fh.n_cert_verify, 1);
	ck_assert_int_eq(fh.verify_role, KANMON_CERT_CLIENT);
	ck_assert_uint_eq(fh_log_count("IKE SA established as '" CLIENT_ID "'"), 1);
	ck_assert_uint_eq(fh_log_count("refused"), 0);
}

START_TEST(established_rsa_method1_without_rfc7427)
{
	/* the client sent no SIGNATURE_HASH_ALGORITHMS and signs RSA SHA-1 (Windows) */
	struct auth_opts o = { .cert = &client, .method = IKEV2_AUTH_RSA };
	run_auth(&o, false);
	check_established(&server_rsa, IKEV2_AUTH_RSA);
	ck_assert_uint_eq(fh.sign_hash, KANMON_HASH_SHA1);
	ck_assert_uint_eq(fh.sign_flags, 0);
	ck_assert_uint_eq(fh_log_count("client RSA-SHA1, server RSA-SHA1"), 1);
	ini_free(&R.c);
}
END_TEST

START_TEST(established_rsa_method14_with_rfc7427)
{
	struct auth_opts o = { .cert = &client, .method = IKEV2_AUTH_DIGITAL_SIG };
	run_auth(&o, true);
	check_established(&server_rsa, IKEV2_AUTH_DIGITAL_SIG);
	ck_assert_uint_eq(fh.sign_hash, KANMON_HASH_SHA256);
	ck_assert_uint_eq(fh_log_count("client RSA-SHA256, server RFC7427-SHA256"), 1);
	ini_free(&R.c);
}
END_TEST

START_TEST(established_ecdsa_server)
{
	/* an ECDSA P-256 server certificate: method 9 (r || s) without RFC 7427, 14 (DER) with it */
	use_server(&server_ec, KANMON_KEY_ECDSA, 256);
	struct auth_opts o = { .cert = &client, .method = IKEV2_AUTH_DIGITAL_SIG };
	run_auth(&o, false);
	check_established(&server_ec, IKEV2_AUTH_ECDSA_256);
	ck_assert_uint_eq(fh.sign_flags, KANMON_SIGN_ECDSA_RAW);
	ini_free(&R.c);

	teardown();
	setup();
	use_server(&server_ec, KANMON_KEY_ECDSA, 256);
	run_auth(&o, true);
	check_established(&server_ec, IKEV2_AUTH_DIGITAL_SIG);
	ck_assert_uint_eq(fh.sign_flags, 0);
	ini_free(&R.c);
}
END_TEST

static size_t send_delete_ike(uint32_t msgid)
{
	uint8_t plain[64], msg[512];
	struct ikev2_gen g;
	size_t pl;
	ikev2_gen_init_inner(&g, plain, sizeof(plain));
	uint8_t *d = ikev2_gen_payload(&g, IKEV2_PL_DELETE, false, 4);
	d[0] = IKEV2_PROTO_IKE, d[1] = 0, d[2] = 0, d[3] = 0;
	ck_assert_int_eq(ikev2_gen_finish(&g, &pl), 0);
	size_t ml = seal_request(&R.c, IKEV2_EXCH_INFORMATIONAL, msgid, g.first, plain, pl, msg, sizeof(msg));
	fh_clear_sent();
	deliver(msg, ml, 500, 500);
	struct ikev2_chain inner;
	static uint8_t dec[1024];
	open_response(&R.c, last_sent(), msgid, &inner, dec);
	return inner.n;
}

START_TEST(delete_ike_sa_tears_down)
{
	struct auth_opts o = { .cert = &client, .method = IKEV2_AUTH_DIGITAL_SIG };
	run_auth(&o, true);
	check_established(&server_rsa, IKEV2_AUTH_DIGITAL_SIG);
	uint64_t sid = fh.sessions[0].id;
	ck_assert_uint_eq(send_delete_ike(2), 0);	/* an empty answer */
	/* SAs and policies gone, lease offline (kept for the identity), session removed */
	ck_assert_uint_eq(fh_sas_present(), 0);
	ck_assert_uint_eq(fh.n_del_sa, 2);
	ck_assert_uint_eq(fh_policies_present(), 0);
	ck_assert_uint_eq(fh.n_del_policy, 3);
	ck_assert_uint_eq(fh.n_release, 1);
	ck_assert(!fh_lease_of(CLIENT_ID)->online);
	ck_assert(!fh.sessions[0].present);
	ck_assert_uint_eq(fh.n_session_remove, 1);
	ck_assert_uint_eq(ikev2_sa_by_r(ctx, R.c.spi_r)->state, IKEV2_DEAD);
	ck_assert_uint_eq(fh_log_count("session ended after 0 s: the client deleted the IKE SA"), 1);
	/* the SA lingers for retransmits, then goes without touching anything again */
	fh.now += IKEV2_DEAD_LINGER_MS;
	fh_run_timers();
	ck_assert_uint_eq(ctx->sas.count, 0);
	ck_assert_uint_eq(fh.n_del_sa, 2);
	ck_assert_uint_eq(fh.n_release, 1);
	ck_assert_uint_eq(fh.n_session_remove, 1);
	/* a reconnect gets the same address back */
	(void)sid;
	ini_free(&R.c);
	run_auth(&o, true);
	ck_assert_uint_eq(fh.n_leases, 1);
	check_ts(IKEV2_PL_TSI, VIP, VIP);
	ck_assert(fh_lease_of(CLIENT_ID)->online);
	ini_free(&R.c);
}
END_TEST

START_TEST(kill_from_the_registry)
{
	struct auth_opts o = { .cert = &client, .method = IKEV2_AUTH_DIGITAL_SIG };
	run_auth(&o, true);
	ck_assert_uint_eq(fh_sas_present(), 2);
	const struct fh_session *s = &fh.sessions[0];
	/* status asks for counters, then the operator kills it */
	struct kanmon_session_counters cnt;
	ck_assert_int_eq(s->ops->counters(s->arg, s->id, &cnt), 0);
	ck_assert_int_eq(s->ops->counters(s->arg, s->id + 1, &cnt), -ENOENT);
	fh_clear_sent();
	ck_assert_int_eq(s->ops->kill(s->arg, s->id), 0);
	ck_assert_uint_eq(fh_sas_present(), 0);
	ck_assert_uint_eq(fh_policies_present(), 0);
	ck_assert(!fh.sessions[0].present);
	ck_assert(!fh_lease_of(CLIENT_ID)->online);
	ck_assert_uint_eq(fh_log_count("ended by the operator or a revocation"), 1);
	/* the client is told: an INFORMATIONAL request of ours (message ID 0) deleting the IKE SA */
	ck_assert_int_eq(ikev2_sa_by_r(ctx, R.c.spi_r)->state, IKEV2_DELETING);
	ck_assert_uint_eq(fh.n_sent, 1);
	struct ikev2_msg m;
	ck_assert_int_eq(ikev2_parse(last_sent()->data, last_sent()->len, &m), 0);
	ck_assert_uint_eq(m.exchange, IKEV2_EXCH_INFORMATIONAL);
	ck_assert_uint_eq(m.flags & (IKEV2_FLAG_RESPONSE | IKEV2_FLAG_INITIATOR), 0);
	ck_assert_uint_eq(m.msgid, 0);
	struct ikev2_sk_dir to, from;
	dirs(&R.c, &to, &from);
	static uint8_t dec[1024];
	size_t dl;
	struct ikev2_chain inner;
	ck_assert_int_eq(ikev2_sk_open(&from, last_sent()->data, last_sent()->len, &m.c.pl[0], dec, &dl), 0);
	ck_assert_int_eq(ikev2_parse_inner(m.c.pl[0].next, dec, dl, &inner), 0);
	const struct ikev2_payload *d = ikev2_chain_find(&inner, IKEV2_PL_DELETE, NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->body[0], IKEV2_PROTO_IKE);
	ini_free(&R.c);
}
END_TEST

START_TEST(retransmitted_auth_answered_from_cache)
{
	struct auth_opts o = { .cert = &client, .method = IKEV2_AUTH_DIGITAL_SIG };
	run_auth(&o, true);
	check_established(&server_rsa, IKEV2_AUTH_DIGITAL_SIG);
	size_t signs = fh.n_cert_sign;
	deliver(R.msg, R.msg_len, 500, 500);
	deliver(R.msg, R.msg_len, 500, 500);
	ck_assert_uint_eq(fh.n_sent, 3);
	for (size_t i = 1; i < 3; i++) {
		ck_assert_uint_eq(fh_sent_at(i)->len, R.answer_len);
		ck_assert_mem_eq(fh_sent_at(i)->data, R.answer, R.answer_len);
	}
	ck_assert_uint_eq(ctx->st.retransmits, 2);
	/* nothing done twice */
	ck_assert_uint_eq(fh.n_alloc_spi, 1);
	ck_assert_uint_eq(fh.n_add_sa, 2);
	ck_assert_uint_eq(fh.n_add_policy, 3);
	ck_assert_uint_eq(fh.n_acquire, 1);
	ck_assert_uint_eq(fh.n_sessions, 1);
	ck_assert_uint_eq(fh.n_cert_verify, 1);
	ck_assert_uint_eq(fh.n_cert_sign, signs);
	ck_assert_uint_eq(ctx->st.auth_requests, 1);
	ck_assert_uint_eq(ctx->st.established, 1);
	ini_free(&R.c);
}
END_TEST

START_TEST(nat_t_esp_in_udp_follows_rebinding)
{
	/* behind a NAT: IKE_AUTH floats to 4500 from the NAT's port 45000, ESP goes into UDP */
	struct auth_opts o = { .cert = &client, .method = IKEV2_AUTH_DIGITAL_SIG, .behind_nat = true, .port = 4500,
			       .cport = 45000 };
	run_auth(&o, true);
	ck_assert_uint_eq(last_sent()->port, 4500);
	ck_assert_uint_eq(ntohs(((const struct sockaddr_in *)&last_sent()->peer)->sin_port), 45000);
	ck_assert_ptr_nonnull(find(IKEV2_PL_SA));
	uint32_t spi_in = answer_spi(), spi_out;
	memcpy(&spi_out, CLIENT_SPI, 4);
	const struct fh_sa *in = fh_sa_by_spi(spi_in), *out = fh_sa_by_spi(spi_out);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(in->p.encap_sport, 45000);
	ck_assert_uint_eq(in->p.encap_dport, 4500);
	ck_assert_uint_eq(out->p.encap_sport, 4500);
	ck_assert_uint_eq(out->p.encap_dport, 45000);
	/* the NAT maps the client to a new port: the next request moves ESP along */
	uint8_t msg[512];
	size_t ml = seal_request(&R.c, IKEV2_EXCH_INFORMATIONAL, 2, 0, NULL, 0, msg, sizeof(msg));
	deliver(msg, ml, 4500, 45001);
	ck_assert_uint_eq(ntohs(((const struct sockaddr_in *)&last_sent()->peer)->sin_port), 45001);
	ck_assert_uint_eq(fh.n_update_sa, 2);
	in = fh_sa_by_spi(spi_in), out = fh_sa_by_spi(spi_out);
	ck_assert_uint_eq(in->p.encap_sport, 45001);
	ck_assert_uint_eq(in->p.encap_dport, 4500);
	ck_assert_uint_eq(out->p.encap_sport, 4500);
	ck_assert_uint_eq(out->p.encap_dport, 45001);
	ini_free(&R.c);
}
END_TEST

/* a protected request of the established SA from ip:cport to port 4500 */
static void deliver_from(const uint8_t *msg, size_t len, const char *ip, uint16_t cport)
{
	struct kanmon_pkt pkt = { .data = msg, .len = len, .port = 4500, .flags = KANMON_PKT_NON_ESP_MARKER };
	addr(&pkt.peer, ip, cport);
	addr(&pkt.local, SERVER_IP, 4500);
	ikev2_receive(&pkt, ctx);
}

/*
 * RFC 4555 3.5: a responder receiving UPDATE_SA_ADDRESSES with NAT
 * detection payloads enables or disables NAT traversal: a MOBIKE client
 * moving from a direct path onto one behind a NAT gets ESP-in-UDP (this
 * test found that the responder ignored those notifies).
 */
START_TEST(mobike_move_behind_nat_enables_esp_in_udp)
{
	/* no NAT at first; a MOBIKE client talks to 4500 from IKE_AUTH on (RFC 4555 3.3) */
	struct auth_opts o = { .cert = &client, .method = IKEV2_AUTH_DIGITAL_SIG, .mobike = true, .port = 4500,
			       .cport = 4500 };
	run_auth(&o, true);
	ck_assert(has_notify(IKEV2_N_MOBIKE_SUPPORTED));
	uint32_t spi_in = answer_spi(), spi_out;
	memcpy(&spi_out, CLIENT_SPI, 4);
	ck_assert_uint_eq(fh_sa_by_spi(spi_in)->p.encap_sport, 0);
	/* it moves to 203.0.113.9, behind a NAT: its NAT-D source hash names its private address */
	uint8_t plain[256], msg[512], h[20];
	struct ikev2_gen g;
	size_t pl;
	ikev2_gen_init_inner(&g, plain, sizeof(plain));
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_UPDATE_SA_ADDRESSES, NULL, 0);
	natd(R.c.spi_i, R.c.spi_r, "192.168.1.5", 4500, h);
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, h, 20);
	natd(R.c.spi_i, R.c.spi_r, SERVER_IP, 4500, h);
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, h, 20);
	ck_assert_int_eq(ikev2_gen_finish(&g, &pl), 0);
	size_t ml = seal_request(&R.c, IKEV2_EXCH_INFORMATIONAL, 2, g.first, plain, pl, msg, sizeof(msg));
	fh_clear_sent();
	deliver_from(msg, ml, "203.0.113.9", 4500);
	ck_assert_uint_eq(fh.n_sent, 1);
	ck_assert(same4(&last_sent()->peer, "203.0.113.9"));
	/* the answer: NAT detection of the new path */
	struct ikev2_chain inner;
	static uint8_t dec[1024];
	open_response(&R.c, last_sent(), 2, &inner, dec);
	struct ikev2_notify n;
	ck_assert_int_eq(ikev2_chain_notify(&inner, IKEV2_N_NAT_DETECTION_DESTINATION_IP, &n), 0);
	natd(R.c.spi_i, R.c.spi_r, "203.0.113.9", 4500, h);
	ck_assert_mem_eq(n.data, h, 20);
	/* the SAs follow to the new address... */
	const struct fh_sa *in = fh_sa_by_spi(spi_in), *out = fh_sa_by_spi(spi_out);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	ck_assert(same4(&in->id.src, "203.0.113.9"));
	ck_assert(same4(&out->id.dst, "203.0.113.9"));
	/* ...and into UDP, since there is a NAT now */
	ck_assert_uint_eq(in->p.encap_sport, 4500);
	ck_assert_uint_eq(in->p.encap_dport, 4500);
	ck_assert_uint_eq(out->p.encap_sport, 4500);
	ck_assert_uint_eq(out->p.encap_dport, 4500);
	ini_free(&R.c);
}
END_TEST

START_TEST(delete_child_sa_only)
{
	struct auth_opts o = { .cert = &client, .method = IKEV2_AUTH_DIGITAL_SIG };
	run_auth(&o, true);
	uint32_t spi_in = answer_spi();
	/* DELETE of the client's ESP SA (its inbound SPI, our outbound) */
	uint8_t plain[64], msg[512];
	struct ikev2_gen g;
	size_t pl;
	ikev2_gen_init_inner(&g, plain, sizeof(plain));
	uint8_t *d = ikev2_gen_payload(&g, IKEV2_PL_DELETE, false, 8);
	d[0] = IKEV2_PROTO_ESP, d[1] = 4, d[2] = 0, d[3] = 1;
	memcpy(d + 4, CLIENT_SPI, 4);
	ck_assert_int_eq(ikev2_gen_finish(&g, &pl), 0);
	size_t ml = seal_request(&R.c, IKEV2_EXCH_INFORMATIONAL, 2, g.first, plain, pl, msg, sizeof(msg));
	deliver(msg, ml, 500, 500);
	struct ikev2_chain inner;
	static uint8_t dec[1024];
	open_response(&R.c, last_sent(), 2, &inner, dec);
	/* the answer deletes our side: our inbound SPI */
	const struct ikev2_payload *p = ikev2_chain_find(&inner, IKEV2_PL_DELETE, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->len, 8);
	ck_assert_uint_eq(p->body[0], IKEV2_PROTO_ESP);
	ck_assert_uint_eq(p->body[1], 4);
	ck_assert_uint_eq(p->body[3], 1);
	ck_assert_mem_eq(p->body + 4, &spi_in, 4);
	ck_assert_uint_eq(fh_sas_present(), 0);
	ck_assert_uint_eq(fh_policies_present(), 0);
	/* the IKE SA stays */
	ck_assert_int_eq(ikev2_sa_by_r(ctx, R.c.spi_r)->state, IKEV2_ESTABLISHED);
	ini_free(&R.c);
}
END_TEST

START_TEST(ipv6_only_request_from_ipv4_pool)
{
	/* the pool has no IPv6 range: INTERNAL_ADDRESS_FAILURE, nothing installed */
	struct auth_opts o = { .cert = &client, .method = IKEV2_AUTH_DIGITAL_SIG, .cp_ip6 = true };
	run_auth(&o, true);
	check_server_auth(&server_rsa, IKEV2_AUTH_DIGITAL_SIG);
	ck_assert(has_notify(IKEV2_N_INTERNAL_ADDRESS_FAILURE));
	ck_assert_ptr_null(find(IKEV2_PL_SA));
	ck_assert_uint_eq(fh.n_add_sa, 0);
	ck_assert_uint_eq(fh.n_sessions, 0);
	ck_assert_uint_eq(fh_log_count("the pool has no range of the family the client asked for"), 1);
	ini_free(&R.c);
}
END_TEST

/* ---- refusals ------------------------------------------------------------------ */

/* answered AUTHENTICATION_FAILED alone, one refusal line with the Windows code, nothing done */
static void check_refused(unsigned win, const char *why)
{
	ck_assert_uint_eq(R.inner.n, 1);
	struct ikev2_notify n;
	ck_assert_int_eq(ikev2_parse_notify(&R.inner.pl[0], &n), 0);
	ck_assert_uint_eq(n.type, IKEV2_N_AUTHENTICATION_FAILED);
	char code[64];
	snprintf(code, sizeof(code), "(Windows error %u)", win);
	ck_assert_uint_eq(fh_log_count(code), 1);
	ck_assert_uint_eq(fh_log_count("Windows error"), 1);
	ck_assert_uint_eq(fh_log_count("refused client " CLIENT_IP "[500] id=" CLIENT_ID ": "), 1);
	ck_assert_uint_eq(fh_log_count(why), 1);
	ck_assert_uint_eq(ctx->st.auth_failed, 1);
	ck_assert_uint_eq(ctx->st.established, 0);
	ck_assert_uint_eq(fh.n_cert_sign, 0);
	ck_assert_uint_eq(fh.n_acquire, 0);
	ck_assert_uint_eq(fh.n_alloc_spi, 0);
	ck_assert_uint_eq(fh.n_add_sa, 0);
	ck_assert_uint_eq(fh.n_add_policy, 0);
	ck_assert_uint_eq(fh.n_sessions, 0);
	ck_assert_uint_eq(ikev2_sa_by_r(ctx, R.c.spi_r)->state, IKEV2_DEAD);
	/* a retransmit gets the same refusal, not a second line */
	size_t sent = fh.n_sent;
	deliver(R.msg, R.msg_len, 500, 500);
	ck_assert_uint_eq(fh.n_sent, sent + 1);
	ck_assert_mem_eq(last_sent()->data, R.answer, R.answer_len);
	ck_assert_uint_eq(fh_log_count("Windows error"), 1);
	ini_free(&R.c);
}

START_TEST(refused_without_cert)
{
	struct auth_opts o = { .cert = NULL, .method = IKEV2_AUTH_DIGITAL_SIG };
	run_auth(&o, true);
	ck_assert_uint_eq(fh.n_cert_verify, 0);
	check_refused(IKEV2_WIN_NO_CERT, "sent no X.509 certificate");
}
END_TEST

START_TEST(refused_cert_of_another_ca)
{
	struct auth_opts o = { .cert = &stranger, .method = IKEV2_AUTH_DIGITAL_SIG };
	run_auth(&o, true);
	ck_assert_uint_eq(fh.n_cert_verify, 1);
	check_refused(IKEV2_WIN_CERT_EKU, "certificate refused: not issued by a trusted CA");
}
END_TEST

START_TEST(refused_bad_signature)
{
	struct auth_opts o = { .cert = &client, .method = IKEV2_AUTH_DIGITAL_SIG, .bad_sig = true };
	run_auth(&o, true);
	check_refused(IKEV2_WIN_SIG, "AUTH (method 14, RSA-SHA256) not accepted");
}
END_TEST

static void no_sha1(struct ikev2_config *cfg)
{
	cfg->sha1_signatures = false;
}

START_TEST(refused_sha1_when_off)
{
	teardown();
	ctx = auth_ctx(no_sha1);
	struct auth_opts o = { .cert = &client, .method = IKEV2_AUTH_RSA };
	run_auth(&o, false);
	check_refused(IKEV2_WIN_SIG, "sha1_signatures = false");
}
END_TEST

/* ---- authenticated, no CHILD SA ------------------------------------------------- */

START_TEST(esp_unconfigured_no_proposal_chosen)
{
	struct auth_opts o = { .cert = &client, .method = IKEV2_AUTH_DIGITAL_SIG, .esp = &ESP_3DES };
	run_auth(&o, true);
	/* authenticated: the server proves itself, then says no CHILD SA */
	check_server_auth(&server_rsa, IKEV2_AUTH_DIGITAL_SIG);
	ck_assert(has_notify(IKEV2_N_NO_PROPOSAL_CHOSEN));
	ck_assert(!has_notify(IKEV2_N_AUTHENTICATION_FAILED));
	ck_assert_ptr_null(find(IKEV2_PL_SA));
	ck_assert_ptr_null(find(IKEV2_PL_TSI));
	ck_assert_ptr_null(find(IKEV2_PL_TSR));
	ck_assert_uint_eq(ctx->st.established, 1);
	ck_assert_uint_eq(ctx->st.child_failed, 1);
	/* nothing installed, the lease given back, no session */
	ck_assert_uint_eq(fh.n_alloc_spi, 0);
	ck_assert_uint_eq(fh.n_add_sa, 0);
	ck_assert_uint_eq(fh.n_add_policy, 0);
	ck_assert_uint_eq(fh.n_acquire, 1);
	ck_assert_uint_eq(fh.n_release, 1);
	ck_assert(!fh_lease_of(CLIENT_ID)->online);
	ck_assert_uint_eq(fh.n_sessions, 0);
	/* one line saying why, with the Windows code of a policy mismatch */
	ck_assert_uint_eq(fh_log_count("authenticated, but no CHILD SA: no ESP proposal chosen: client offered"), 1);
	ck_assert_uint_eq(fh_log_count("(Windows error 13868)"), 1);
	ini_free(&R.c);
}
END_TEST

START_TEST(no_cp_failed_cp_required)
{
	struct auth_opts o = { .cert = &client, .method = IKEV2_AUTH_DIGITAL_SIG, .no_cp = true };
	run_auth(&o, true);
	check_server_auth(&server_rsa, IKEV2_AUTH_DIGITAL_SIG);
	ck_assert(has_notify(IKEV2_N_FAILED_CP_REQUIRED));
	ck_assert_ptr_null(find(IKEV2_PL_CP));
	ck_assert_ptr_null(find(IKEV2_PL_SA));
	ck_assert_uint_eq(ctx->st.cp_failed, 1);
	ck_assert_uint_eq(fh.n_acquire, 0);
	ck_assert_uint_eq(fh.n_alloc_spi, 0);
	ck_assert_uint_eq(fh.n_add_sa, 0);
	ck_assert_uint_eq(fh.n_add_policy, 0);
	ck_assert_uint_eq(fh.n_sessions, 0);
	ck_assert_uint_eq(fh_log_count("no CHILD SA: the client asked for no virtual address"), 1);
	ini_free(&R.c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ikev2_auth");
	TCase *tc = tcase_create("auth");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, established_rsa_method1_without_rfc7427);
	tcase_add_test(tc, established_rsa_method14_with_rfc7427);
	tcase_add_test(tc, established_ecdsa_server);
	tcase_add_test(tc, delete_ike_sa_tears_down);
	tcase_add_test(tc, kill_from_the_registry);
	tcase_add_test(tc, retransmitted_auth_answered_from_cache);
	tcase_add_test(tc, nat_t_esp_in_udp_follows_rebinding);
	tcase_add_test(tc, mobike_move_behind_nat_enables_esp_in_udp);
	tcase_add_test(tc, delete_child_sa_only);
	tcase_add_test(tc, ipv6_only_request_from_ipv4_pool);
	tcase_add_test(tc, refused_without_cert);
	tcase_add_test(tc, refused_cert_of_another_ca);
	tcase_add_test(tc, refused_bad_signature);
	tcase_add_test(tc, refused_sha1_when_off);
	tcase_add_test(tc, esp_unconfigured_no_proposal_chosen);
	tcase_add_test(tc, no_cp_failed_cp_required);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
