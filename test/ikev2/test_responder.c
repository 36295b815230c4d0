/* SPDX-License-Identifier: MIT */
/*
 * test_responder.c - the responder end to end through ikev2_receive() with
 * a fake host, against the test initiator (initiator.c): its keys come from
 * its own Diffie-Hellman and an independent SKEYSEED/prf+ (gnutls_hmac_fast),
 * its NAT-D hashes from gnutls_hash_fast.
 *
 * Covers IKE_SA_INIT in all its answers (SA, INVALID_KE_PAYLOAD,
 * NO_PROPOSAL_CHOSEN, INVALID_SYNTAX, UNSUPPORTED_CRITICAL_PAYLOAD, COOKIE),
 * IKE_AUTH decrypted whole and from fragments (any order, duplicates), the
 * retransmission cache, every drop counter (truncated, oversized, responses,
 * unknown SPIs, message IDs outside the window, bad ICVs, fragment floods),
 * the half-open limit and expiry, reply fragments no larger than the
 * peer's, and the refusal lines with their rate limit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "dh.h"
#include "fakehost.h"
#include "ike_cipher.h"
#include "ikev2.h"
#include "prf.h"
#include "initiator.h"
#include "util.h"

static void setup(void)
{
	ctx = new_ctx(NULL);
}

static void teardown(void)
{
	ikev2_ctx_free(ctx);
	ctx = NULL;
}

/* ---- tests ---------------------------------------------------------------- */

START_TEST(exchange_cbc_behind_nat)
{
	struct ini c;
	ini_new(&c, 0x31);
	struct init_opts o = { .offer = &P_CBC, .behind_nat = true, .frag = true };
	sa_init_ok(&c, &o);
	ck_assert_uint_eq(c.encr, IKE_ENCR_AES_CBC);
	ck_assert_uint_eq(c.bits, 256);
	ck_assert_uint_eq(c.group, DH_ECP256);
	ck_assert_uint_eq(ctx->st.sa_init, 1);
	ck_assert_uint_eq(ctx->sas.half_open, 1);
	ck_assert_uint_eq(fh_log_count("IKE_SA_INIT done, aes256-sha256-prfsha256-ecp256, client behind NAT, "
				       "fragmentation on"), 1);
	/* a retransmitted IKE_SA_INIT gets the very same answer, no second SA */
	fh_clear_sent();
	deliver(c.req, c.req_len, 500, 500);
	ck_assert_uint_eq(fh.n_sent, 1);
	ck_assert_uint_eq(last_sent()->len, c.resp_len);
	ck_assert_mem_eq(last_sent()->data, c.resp, c.resp_len);
	ck_assert_uint_eq(ctx->st.retransmits, 1);
	ck_assert_uint_eq(ctx->sas.count, 1);

	/* IKE_AUTH floats to 4500 (NAT-T) */
	uint8_t plain[1024], msg[2048], first;
	size_t pl = auth_plain(plain, sizeof(plain), &first, 0, 0);
	size_t ml = seal_request(&c, IKEV2_EXCH_IKE_AUTH, 1, first, plain, pl, msg, sizeof(msg));
	fh_clear_sent();
	fh_clear_log();
	deliver(msg, ml, 4500, 4500);
	ck_assert_uint_eq(fh.n_sent, 1);
	ck_assert_uint_eq(last_sent()->port, 4500);
	ck_assert_uint_eq(last_sent()->flags, KANMON_PKT_NON_ESP_MARKER);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&last_sent()->peer)->sin_port), 4500);
	ck_assert_uint_eq(response_notify(&c, 1), IKEV2_N_AUTHENTICATION_FAILED);
	ck_assert_uint_eq(fh_log_count("decrypted IKE_AUTH request 1 ("), 1);
	ck_assert_uint_eq(fh_log_count(": IDi N(INITIAL_CONTACT) AUTH SA TSi TSr"), 1);
	ck_assert_uint_eq(fh_log_count("refused client 198.51.100.2[4500] id=alice@example.com: sent no X.509 certificate"), 1);
	ck_assert_uint_eq(fh_log_count("(Windows error 13806)"), 1);
	ck_assert_uint_eq(ctx->st.auth_requests, 1);
	ck_assert_uint_eq(ctx->st.auth_failed, 1);
	ck_assert_uint_eq(ctx->sas.half_open, 0);
	/* the IKE_AUTH retransmitted: the cached answer, byte for byte */
	uint8_t first_answer[4096];
	size_t fal = last_sent()->len;
	memcpy(first_answer, last_sent()->data, fal);
	deliver(msg, ml, 4500, 4500);
	ck_assert_uint_eq(fh.n_sent, 2);
	ck_assert_mem_eq(last_sent()->data, first_answer, fal);
	ck_assert_uint_eq(ctx->st.retransmits, 2);
	ck_assert_uint_eq(ctx->st.auth_requests, 1);
	/* a new request on the closed SA is not processed */
	ml = seal_request(&c, IKEV2_EXCH_INFORMATIONAL, 2, 0, NULL, 0, msg, sizeof(msg));
	deliver(msg, ml, 4500, 4500);
	ck_assert_uint_eq(fh.n_sent, 2);
	deliver(msg, ml, 4500, 4500);	/* nor taken for a retransmit later */
	ck_assert_uint_eq(fh.n_sent, 2);
	ck_assert_uint_eq(ctx->st.bad_msgid, 2);
	/* it lingers 10 s for retransmits, then it is gone */
	fh.now += IKEV2_DEAD_LINGER_MS;
	fh_run_timers();
	ck_assert_uint_eq(ctx->sas.count, 0);
	ini_free(&c);
}
END_TEST

START_TEST(exchange_gcm)
{
	struct ini c;
	ini_new(&c, 0x32);
	struct init_opts o = { .offer = &P_GCM, .frag = false };
	sa_init_ok(&c, &o);
	ck_assert_uint_eq(c.encr, IKE_ENCR_AES_GCM_16);
	ck_assert_uint_eq(c.integ, 0);
	ck_assert_uint_eq(fh_log_count("aes256gcm16-prfsha384-curve25519"), 1);
	ck_assert_uint_eq(fh_log_count("behind NAT"), 0);
	uint8_t plain[1024], msg[2048], first;
	size_t pl = auth_plain(plain, sizeof(plain), &first, 0, 0);
	size_t ml = seal_request(&c, IKEV2_EXCH_IKE_AUTH, 1, first, plain, pl, msg, sizeof(msg));
	deliver(msg, ml, 500, 500);	/* no NAT: IKE_AUTH stays on 500 */
	ck_assert_uint_eq(last_sent()->port, 500);
	ck_assert_uint_eq(response_notify(&c, 1), IKEV2_N_AUTHENTICATION_FAILED);
	ini_free(&c);
}
END_TEST

static void legacy_on(struct ikev2_config *cfg)
{
	cfg->legacy_proposals[cfg->n_legacy_proposals++] = "aes256-3des-sha1-modp1024";
}

START_TEST(windows_fragments_any_order)
{
	teardown();
	ctx = new_ctx(legacy_on);
	struct ini c;
	ini_new(&c, 0x33);
	struct init_opts o = { .offer = &P_WIN, .behind_nat = true, .frag = true };
	sa_init_ok(&c, &o);
	ck_assert_uint_eq(c.encr, IKE_ENCR_3DES);
	ck_assert_uint_eq(fh_log_count("(legacy suite)"), 1);
	/* a certificate-sized IKE_AUTH in Windows' small fragments */
	static uint8_t plain[4096];
	uint8_t first;
	size_t pl = auth_plain(plain, sizeof(plain), &first, 0, 1200);
	struct ikev2_sk_dir to, from;
	dirs(&c, &to, &from);
	struct ikev2_buf f[16];
	size_t n = 0;
	ck_assert_int_eq(ikev2_frag_split(&to, c.spi_i, c.spi_r, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1, first,
					  plain, pl, 626 - 28 - 4, &c.seq, f, 16, &n), 0);
	ck_assert_uint_ge(n, 3);
	fh_clear_sent();
	fh_clear_log();
	/* last first, then the rest, each twice */
	deliver(f[n - 1].data, f[n - 1].len, 4500, 4500);
	for (size_t i = 0; i + 1 < n; i++) {
		deliver(f[i].data, f[i].len, 4500, 4500);
		if (i + 2 < n)
			deliver(f[i].data, f[i].len, 4500, 4500);	/* duplicate before completion */
	}
	ck_assert_uint_eq(fh.n_sent, 1);
	ck_assert_uint_eq(ctx->st.frag_reassembled, 1);
	ck_assert_uint_eq(ctx->st.frag_dropped, n - 2);
	char want[64];
	snprintf(want, sizeof(want), "from %zu fragments): IDi CERT N(INITIAL_CONTACT) AUTH", n);
	ck_assert_uint_eq(fh_log_count(want), 1);
	ck_assert_uint_eq(response_notify(&c, 1), IKEV2_N_AUTHENTICATION_FAILED);
	ck_assert_uint_eq(ctx->frag_budget.used, 0);
	/* the whole request retransmitted: answered once, on fragment 1 only */
	for (size_t i = 0; i < n; i++)
		deliver(f[i].data, f[i].len, 4500, 4500);
	ck_assert_uint_eq(fh.n_sent, 2);
	ck_assert_uint_eq(ctx->st.retransmits, 1);
	for (size_t i = 0; i < n; i++)
		ikev2_buf_free(&f[i]);
	ini_free(&c);
}
END_TEST

START_TEST(reply_fragments_fit_the_peer)
{
	struct ini c;
	ini_new(&c, 0x34);
	struct init_opts o = { .offer = &P_CBC, .behind_nat = true, .frag = true };
	sa_init_ok(&c, &o);
	struct ikev2_sa *sa = ikev2_sa_by_r(ctx, c.spi_r);
	ck_assert_ptr_nonnull(sa);
	/* pretend the client's fragments were 626-byte datagrams on 4500 */
	struct kanmon_pkt pkt = { .port = 4500, .flags = KANMON_PKT_NON_ESP_MARKER };
	addr(&pkt.peer, CLIENT_IP, 4500);
	addr(&pkt.local, SERVER_IP, 4500);
	ikev2_sa_endpoint(sa, &pkt);
	sa->peer_frag_max = 626;
	/* a big answer (server certificate-sized) */
	static uint8_t body[3000], inner_buf[4096];
	memset(body, 0x5c, sizeof(body));
	struct ikev2_gen g;
	ikev2_gen_init_inner(&g, inner_buf, sizeof(inner_buf));
	ikev2_gen_bytes(&g, IKEV2_PL_CERT, body, sizeof(body));
	fh_clear_sent();
	ck_assert_int_eq(ikev2_send_protected(ctx, sa, IKEV2_EXCH_IKE_AUTH, 1, &g), 0);
	ck_assert_uint_ge(fh.n_sent, 6);
	struct ikev2_sk_dir to, from;
	dirs(&c, &to, &from);
	struct ikev2_frag_budget b = { .limit = 1 << 20 };
	struct ikev2_reasm r = { 0 };
	uint8_t *whole = NULL, first = 0;
	size_t wl = 0;
	for (size_t i = 0; i < fh.n_sent; i++) {
		const struct fh_sent *s = fh_sent_at(i);
		/* IP 20 + UDP 8 + non-ESP marker 4 + the message: never above the peer's 626 */
		ck_assert_uint_le(20 + 8 + 4 + s->len, 626);
		struct ikev2_msg m;
		ck_assert_int_eq(ikev2_parse(s->data, s->len, &m), 0);
		struct ikev2_skf f;
		ck_assert_int_eq(ikev2_parse_skf(&m.c.pl[0], &f), 0);
		uint8_t dec[1024];
		size_t dl;
		ck_assert_int_eq(ikev2_sk_open(&from, s->data, s->len, &m.c.pl[0], dec, &dl), 0);
		int rr = ikev2_reasm_add(&r, &b, 1, &f, m.c.pl[0].next, dec, dl, &whole, &wl, &first);
		ck_assert_int_eq(rr, i + 1 == fh.n_sent ? 1 : 0);
	}
	ck_assert_uint_eq(first, IKEV2_PL_CERT);
	ck_assert_uint_eq(wl, 4 + sizeof(body));
	ck_assert_mem_eq(whole + 4, body, sizeof(body));
	free(whole);
	ck_assert_uint_eq(ctx->st.tx_fragments, fh.n_sent);
	/* without fragments seen from the peer: the configured fragment_size (1280) */
	sa->peer_frag_max = 0;
	ikev2_gen_init_inner(&g, inner_buf, sizeof(inner_buf));
	ikev2_gen_bytes(&g, IKEV2_PL_CERT, body, sizeof(body));
	fh_clear_sent();
	ck_assert_int_eq(ikev2_send_protected(ctx, sa, IKEV2_EXCH_IKE_AUTH, 1, &g), 0);
	ck_assert_uint_eq(fh.n_sent, 3);
	for (size_t i = 0; i < fh.n_sent; i++)
		ck_assert_uint_le(20 + 8 + 4 + fh_sent_at(i)->len, 1280);
	ini_free(&c);
}
END_TEST

START_TEST(invalid_ke_names_our_group)
{
	struct ini c;
	ini_new(&c, 0x35);
	/* one proposal with ecp256 and modp2048, KE sent for modp2048: we prefer ecp256 */
	struct test_prop p = P_CBC;
	p.dh[1] = DH_MODP2048;
	struct init_opts o = { .offer = &p, .ke_group = DH_MODP2048 };
	build_init(&c, &o);
	fh_clear_sent();
	deliver(c.req, c.req_len, 500, 500);
	struct ikev2_msg m;
	struct ikev2_notify n;
	ck_assert_uint_eq(plain_notify(last_sent(), &m, &n), IKEV2_N_INVALID_KE_PAYLOAD);
	ck_assert_uint_eq(n.data_len, 2);
	ck_assert_uint_eq(ikev2_get16(n.data), DH_ECP256);
	static const uint8_t zero[8];
	ck_assert_mem_eq(m.spi_r, zero, 8);
	ck_assert_uint_eq(ctx->sas.count, 0);	/* nothing kept */
	ck_assert_uint_eq(ctx->st.invalid_ke, 1);
	/* the client retries with the group we named */
	o.ke_group = DH_ECP256;
	sa_init_ok(&c, &o);
	ck_assert_uint_eq(c.group, DH_ECP256);
	ini_free(&c);
}
END_TEST

START_TEST(no_proposal_speaks_once_per_interval)
{
	struct ini c;
	ini_new(&c, 0x36);
	struct init_opts o = { .offer = &P_WIN };
	build_init(&c, &o);
	fh_clear_log();
	deliver(c.req, c.req_len, 500, 500);
	struct ikev2_msg m;
	struct ikev2_notify n;
	ck_assert_uint_eq(plain_notify(last_sent(), &m, &n), IKEV2_N_NO_PROPOSAL_CHOSEN);
	ck_assert_uint_eq(fh_log_count("refused client 198.51.100.2[500]: no proposal chosen for IKE: offered "
				       "3des/sha1/prfsha1/modp1024; these are legacy suites"), 1);
	ck_assert_uint_eq(fh_log_count("ikev2.legacy_proposals"), 1);
	ck_assert_uint_eq(fh_log_count("(Windows error 13868)"), 1);
	/* the client retries at once: answered, not logged again */
	deliver(c.req, c.req_len, 500, 500);
	deliver(c.req, c.req_len, 500, 500);
	ck_assert_uint_eq(fh_log_count("refused client"), 1);
	ck_assert_uint_eq(ctx->st.log_suppressed, 2);
	ck_assert_uint_eq(ctx->st.no_proposal, 3);
	/* another client is not held back by the first one */
	struct kanmon_pkt pkt = { .data = c.req, .len = c.req_len, .port = 500 };
	addr(&pkt.peer, "198.51.100.77", 500);
	addr(&pkt.local, SERVER_IP, 500);
	ikev2_receive(&pkt, ctx);
	ck_assert_uint_eq(fh_log_count("refused client 198.51.100.77[500]"), 1);
	/* after the interval the first one speaks again, saying what was held back */
	fh.now += 10000;
	deliver(c.req, c.req_len, 500, 500);
	ck_assert_uint_eq(fh_log_count("[2 similar lines held back]"), 1);
	ini_free(&c);
}
END_TEST

START_TEST(unsupported_critical_payloads)
{
	struct ini c;
	ini_new(&c, 0x37);
	struct init_opts o = { .offer = &P_CBC, .extra_type = 99, .extra_critical = true };
	build_init(&c, &o);
	deliver(c.req, c.req_len, 500, 500);
	struct ikev2_msg m;
	struct ikev2_notify n;
	ck_assert_uint_eq(plain_notify(last_sent(), &m, &n), IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	ck_assert_uint_eq(n.data_len, 1);
	ck_assert_uint_eq(n.data[0], 99);
	ck_assert_uint_eq(ctx->sas.count, 0);
	/* not critical: ignored */
	o.extra_critical = false;
	sa_init_ok(&c, &o);
	/* inside IKE_AUTH: answered protected */
	uint8_t plain[1024], msg[2048], first;
	size_t pl = auth_plain(plain, sizeof(plain), &first, 120, 0);
	size_t ml = seal_request(&c, IKEV2_EXCH_IKE_AUTH, 1, first, plain, pl, msg, sizeof(msg));
	deliver(msg, ml, 500, 500);
	struct ikev2_chain inner;
	uint8_t dec[2048];
	open_response(&c, last_sent(), 1, &inner, dec);
	ck_assert_int_eq(ikev2_parse_notify(&inner.pl[0], &n), 0);
	ck_assert_uint_eq(n.type, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	ck_assert_uint_eq(n.data[0], 120);
	ck_assert_uint_eq(ctx->st.unsupported_critical, 2);
	ini_free(&c);
}
END_TEST

START_TEST(bad_input_is_dropped_and_counted)
{
	struct ini c;
	ini_new(&c, 0x38);
	struct init_opts o = { .offer = &P_CBC };
	build_init(&c, &o);
	fh_clear_sent();
	/* truncated */
	deliver(c.req, c.req_len - 1, 500, 500);
	deliver(c.req, 40, 500, 500);
	ck_assert_uint_eq(ctx->st.malformed, 2);
	/* oversized */
	static uint8_t big[IKEV2_MAX_MSG + 100];
	memcpy(big, c.req, 28);
	ikev2_put32(big + 24, sizeof(big));
	deliver(big, sizeof(big), 500, 500);
	ck_assert_uint_eq(ctx->st.oversized, 1);
	/* a response: we sent no request */
	uint8_t copy[2048];
	memcpy(copy, c.req, c.req_len);
	copy[19] = IKEV2_FLAG_RESPONSE;
	deliver(copy, c.req_len, 500, 500);
	ck_assert_uint_eq(ctx->st.responses, 1);
	ck_assert_uint_eq(fh.n_sent, 0);
	/* IKE_SA_INIT without KE: INVALID_SYNTAX */
	o.no_ke = true;
	build_init(&c, &o);
	deliver(c.req, c.req_len, 500, 500);
	struct ikev2_msg m;
	struct ikev2_notify n;
	ck_assert_uint_eq(plain_notify(last_sent(), &m, &n), IKEV2_N_INVALID_SYNTAX);
	ck_assert_uint_eq(ctx->st.invalid_syntax, 1);
	/* a KE value that is not on the curve: INVALID_SYNTAX, nothing kept */
	o.no_ke = false;
	build_init(&c, &o);
	struct ikev2_msg req;
	ck_assert_int_eq(ikev2_parse(c.req, c.req_len, &req), 0);
	const struct ikev2_payload *ke = ikev2_chain_find(&req.c, IKEV2_PL_KE, NULL);
	memset(c.req + ke->offset + 4 + 4, 0x01, ke->len - 4);
	deliver(c.req, c.req_len, 500, 500);
	ck_assert_uint_eq(plain_notify(last_sent(), &m, &n), IKEV2_N_INVALID_SYNTAX);
	ck_assert_uint_eq(ctx->sas.count, 0);

	/* a real SA, then protected requests that must be dropped */
	sa_init_ok(&c, &o);
	uint8_t plain[1024], msg[2048], first;
	size_t pl = auth_plain(plain, sizeof(plain), &first, 0, 0);
	fh_clear_sent();
	/* unknown SPIr */
	struct ini other = c;
	other.spi_r[0] ^= 0xff;
	size_t ml = seal_request(&other, IKEV2_EXCH_IKE_AUTH, 1, first, plain, pl, msg, sizeof(msg));
	deliver(msg, ml, 500, 500);
	/* right SPIr, wrong SPIi */
	other = c;
	other.spi_i[7] ^= 1;
	ml = seal_request(&other, IKEV2_EXCH_IKE_AUTH, 1, first, plain, pl, msg, sizeof(msg));
	deliver(msg, ml, 500, 500);
	ck_assert_uint_eq(ctx->st.bad_spi, 2);
	/* message IDs outside the window: 0 (is IKE_SA_INIT's) and 2..9, 0xffffffff */
	static const uint32_t ids[] = { 0, 2, 9, 0xffffffff };
	for (size_t i = 0; i < 4; i++) {
		ml = seal_request(&c, IKEV2_EXCH_IKE_AUTH, ids[i], first, plain, pl, msg, sizeof(msg));
		deliver(msg, ml, 500, 500);
	}
	ck_assert_uint_eq(ctx->st.bad_msgid, 4);
	/* a flipped bit: ICV */
	ml = seal_request(&c, IKEV2_EXCH_IKE_AUTH, 1, first, plain, pl, msg, sizeof(msg));
	msg[ml - 20] ^= 1;
	deliver(msg, ml, 500, 500);
	ck_assert_uint_eq(ctx->st.icv_failed, 1);
	/* plaintext payloads next to SK */
	struct ikev2_gen g;
	ikev2_gen_init(&g, msg, sizeof(msg), c.spi_i, c.spi_r, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	ikev2_gen_payload(&g, IKEV2_PL_SK, false, 64);
	ck_assert_int_eq(ikev2_gen_finish(&g, &ml), 0);
	deliver(msg, ml, 500, 500);
	ck_assert_uint_eq(fh.n_sent, 0);
	/* the SA still works after all that */
	ml = seal_request(&c, IKEV2_EXCH_IKE_AUTH, 1, first, plain, pl, msg, sizeof(msg));
	deliver(msg, ml, 500, 500);
	ck_assert_uint_eq(response_notify(&c, 1), IKEV2_N_AUTHENTICATION_FAILED);
	ini_free(&c);
}
END_TEST

static void small_limits(struct ikev2_config *cfg)
{
	cfg->half_open_max = 3;
	cfg->cookie_threshold = 0;
	cfg->half_open_timeout = 30;
}

START_TEST(half_open_limit_and_expiry)
{
	teardown();
	ctx = new_ctx(small_limits);
	struct ini c[4];
	struct init_opts o = { .offer = &P_CBC };
	for (int i = 0; i < 3; i++) {
		ini_new(&c[i], (uint8_t)(0x40 + i));
		sa_init_ok(&c[i], &o);
	}
	ck_assert_uint_eq(ctx->sas.half_open, 3);
	ini_new(&c[3], 0x43);
	build_init(&c[3], &o);
	fh_clear_sent();
	fh_clear_log();
	deliver(c[3].req, c[3].req_len, 500, 500);
	ck_assert_uint_eq(fh.n_sent, 0);
	ck_assert_uint_eq(ctx->st.half_open_refused, 1);
	ck_assert_uint_eq(fh_log_count("half_open_max"), 1);
	/* 30 s later the three are gone, and room is free again */
	fh.now += 29999;
	fh_run_timers();
	ck_assert_uint_eq(ctx->sas.count, 3);
	fh.now += 1;
	fh_run_timers();
	ck_assert_uint_eq(ctx->sas.count, 0);
	ck_assert_uint_eq(ctx->sas.half_open, 0);
	ck_assert_uint_eq(ctx->st.half_open_expired, 3);
	sa_init_ok(&c[3], &o);
	for (int i = 0; i < 4; i++)
		ini_free(&c[i]);
}
END_TEST

static void cookies_early(struct ikev2_config *cfg)
{
	cfg->cookie_threshold = 1;
}

START_TEST(cookies_under_load)
{
	teardown();
	ctx = new_ctx(cookies_early);
	struct ini a, b;
	ini_new(&a, 0x51);
	ini_new(&b, 0x52);
	struct init_opts o = { .offer = &P_CBC };
	sa_init_ok(&a, &o);	/* below the threshold: no cookie */
	build_init(&b, &o);
	fh_clear_sent();
	deliver(b.req, b.req_len, 500, 500);
	struct ikev2_msg m;
	struct ikev2_notify n;
	ck_assert_uint_eq(plain_notify(last_sent(), &m, &n), IKEV2_N_COOKIE);
	ck_assert_uint_eq(ctx->sas.count, 1);	/* nothing kept for b */
	uint8_t cookie[64];
	size_t cl = n.data_len;
	ck_assert_uint_le(cl, sizeof(cookie));
	memcpy(cookie, n.data, cl);
	/* a wrong cookie gets a fresh one, nothing else */
	uint8_t bad[64];
	memcpy(bad, cookie, cl);
	bad[5] ^= 1;
	o.cookie = bad;
	o.cookie_len = cl;
	build_init(&b, &o);
	deliver(b.req, b.req_len, 500, 500);
	ck_assert_uint_eq(plain_notify(last_sent(), &m, &n), IKEV2_N_COOKIE);
	ck_assert_uint_eq(ctx->st.cookies_bad, 1);
	/* the right one opens the door */
	o.cookie = cookie;
	sa_init_ok(&b, &o);
	ck_assert_uint_eq(ctx->sas.count, 2);
	ck_assert_uint_eq(ctx->st.cookies_sent, 2);
	ini_free(&a);
	ini_free(&b);
}
END_TEST

static void tight_memory(struct ikev2_config *cfg)
{
	cfg->fragment_memory_kib = 64;
}

START_TEST(fragment_flood_bounded)
{
	teardown();
	ctx = new_ctx(tight_memory);
	struct init_opts o = { .offer = &P_CBC, .frag = true };
	struct ini c[3];
	for (int i = 0; i < 3; i++) {
		ini_new(&c[i], (uint8_t)(0x60 + i));
		sa_init_ok(&c[i], &o);
	}
	/* garbage fragments without the keys: dropped before any memory is used */
	uint8_t junk[1024];
	struct ikev2_gen g;
	size_t ml;
	ikev2_gen_init(&g, junk, sizeof(junk), c[0].spi_i, c[0].spi_r, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
	uint8_t *b = ikev2_gen_payload(&g, IKEV2_PL_SKF, false, 900);
	memset(b, 0x11, 900);
	b[0] = 0, b[1] = 1, b[2] = 0, b[3] = 100;
	ck_assert_int_eq(ikev2_gen_finish(&g, &ml), 0);
	for (int i = 0; i < 200; i++)
		deliver(junk, ml, 4500, 4500);
	ck_assert_uint_eq(ctx->st.icv_failed, 200);
	ck_assert_uint_eq(ctx->frag_budget.used, 0);
	/* authenticated peers flooding fragments of never-ending messages */
	static uint8_t data[1000];
	uint8_t msg[2048];
	for (uint16_t k = 1; k <= 100; k++)
		for (int i = 0; i < 3; i++) {
			struct ikev2_sk_dir to, from;
			dirs(&c[i], &to, &from);
			struct ikev2_skf f = { k, 100 };
			ikev2_gen_init(&g, msg, sizeof(msg), c[i].spi_i, c[i].spi_r, IKEV2_EXCH_IKE_AUTH,
				       IKEV2_FLAG_INITIATOR, 1);
			ck_assert_int_eq(ikev2_sk_seal(&g, &to, k == 1 ? IKEV2_PL_IDI : 0, &f, data, sizeof(data),
						       &c[i].seq, &ml), 0);
			deliver(msg, ml, 4500, 4500);
			ck_assert_uint_le(ctx->frag_budget.used, ctx->frag_budget.limit);
		}
	ck_assert_uint_gt(ctx->st.frag_nobufs, 0);
	ck_assert_uint_eq(ctx->st.frag_reassembled, 0);
	ck_assert_uint_eq(ctx->st.auth_requests, 0);
	/* SAs going away return what they held */
	fh.now += 30000;
	fh_run_timers();
	ck_assert_uint_eq(ctx->sas.count, 0);
	ck_assert_uint_eq(ctx->frag_budget.used, 0);
	for (int i = 0; i < 3; i++)
		ini_free(&c[i]);
}
END_TEST

START_TEST(fragments_without_negotiation_refused)
{
	struct ini c;
	ini_new(&c, 0x70);
	struct init_opts o = { .offer = &P_CBC, .frag = false };
	sa_init_ok(&c, &o);
	struct ikev2_sk_dir to, from;
	dirs(&c, &to, &from);
	uint8_t msg[2048], data[100] = { 0 };
	struct ikev2_gen g;
	size_t ml;
	struct ikev2_skf f = { 1, 2 };
	ikev2_gen_init(&g, msg, sizeof(msg), c.spi_i, c.spi_r, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
	ck_assert_int_eq(ikev2_sk_seal(&g, &to, IKEV2_PL_IDI, &f, data, sizeof(data), &c.seq, &ml), 0);
	deliver(msg, ml, 500, 500);
	ck_assert_uint_eq(ctx->st.frag_dropped, 1);
	ck_assert_uint_eq(ctx->frag_budget.used, 0);
	ini_free(&c);
}
END_TEST

START_TEST(informational_delete)
{
	struct ini c;
	ini_new(&c, 0x71);
	struct init_opts o = { .offer = &P_GCM };
	sa_init_ok(&c, &o);
	uint8_t plain[64], msg[512];
	struct ikev2_gen g;
	size_t pl;
	ikev2_gen_init_inner(&g, plain, sizeof(plain));
	uint8_t *d = ikev2_gen_payload(&g, IKEV2_PL_DELETE, false, 4);
	d[0] = IKEV2_PROTO_IKE, d[1] = 0, d[2] = 0, d[3] = 0;
	ck_assert_int_eq(ikev2_gen_finish(&g, &pl), 0);
	size_t ml = seal_request(&c, IKEV2_EXCH_INFORMATIONAL, 1, g.first, plain, pl, msg, sizeof(msg));
	deliver(msg, ml, 500, 500);
	struct ikev2_chain inner;
	uint8_t dec[512];
	open_response(&c, last_sent(), 1, &inner, dec);
	ck_assert_uint_eq(inner.n, 0);	/* an empty INFORMATIONAL response */
	ck_assert_uint_eq(ikev2_sa_by_r(ctx, c.spi_r)->state, IKEV2_DEAD);
	ini_free(&c);
}
END_TEST

START_TEST(bad_settings_refused)
{
	struct ikev2_config cfg;
	struct ikev2 *c;
	fh_reset();
	ikev2_config_defaults(&cfg);
	cfg.proposals[0] = "aes256-sha256-ecp999";
	ck_assert_int_eq(ikev2_ctx_new(&fh.h, &cfg, &c), -EINVAL);
	ck_assert_uint_eq(fh_log_count("ikev2.proposals: 'aes256-sha256-ecp999': unknown IKE algorithm 'ecp999'"), 1);
	ikev2_config_defaults(&cfg);
	cfg.legacy_proposals[cfg.n_legacy_proposals++] = "3des-modp1024";
	ck_assert_int_eq(ikev2_ctx_new(&fh.h, &cfg, &c), -EINVAL);
	ck_assert_uint_eq(fh_log_count("ikev2.legacy_proposals"), 1);
	ikev2_config_defaults(&cfg);
	cfg.esp_proposals[0] = "aes256-prfsha256";
	ck_assert_int_eq(ikev2_ctx_new(&fh.h, &cfg, &c), -EINVAL);
	ikev2_config_defaults(&cfg);
	cfg.natt_port = 500;
	ck_assert_int_eq(ikev2_ctx_new(&fh.h, &cfg, &c), -EINVAL);
	ikev2_config_defaults(&cfg);
	cfg.n_proposals = 0;
	ck_assert_int_eq(ikev2_ctx_new(&fh.h, &cfg, &c), -EINVAL);
	/* the defaults themselves are valid */
	ikev2_config_defaults(&cfg);
	ck_assert_int_eq(ikev2_ctx_new(&fh.h, &cfg, &c), 0);
	ikev2_ctx_free(c);
}
END_TEST

START_TEST(auth_octets)
{
	struct ini c;
	ini_new(&c, 0x72);
	struct init_opts o = { .offer = &P_CBC };
	sa_init_ok(&c, &o);
	struct ikev2_sa *sa = ikev2_sa_by_r(ctx, c.spi_r);
	/* RFC 7296 2.15: RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload) */
	uint8_t id[] = { 3, 0, 0, 0, 'a', '@', 'b' }, out[4096], want[4096], mac[64];
	size_t len = sizeof(out);
	ck_assert_int_eq(ikev2_auth_octets(sa, true, id, sizeof(id), out, &len), 0);
	memcpy(want, c.req, c.req_len);
	memcpy(want + c.req_len, c.nr, c.nr_len);
	ck_assert_int_eq(gnutls_hmac_fast(GNUTLS_MAC_SHA256, c.sk_pi, 32, id, sizeof(id), mac), 0);
	memcpy(want + c.req_len + c.nr_len, mac, 32);
	ck_assert_uint_eq(len, c.req_len + c.nr_len + 32);
	ck_assert_mem_eq(out, want, len);
	/* and the responder's: RealMessage2 | NonceIData | prf(SK_pr, ...) */
	len = sizeof(out);
	ck_assert_int_eq(ikev2_auth_octets(sa, false, id, sizeof(id), out, &len), 0);
	memcpy(want, c.resp, c.resp_len);
	memcpy(want + c.resp_len, c.ni, sizeof(c.ni));
	ck_assert_int_eq(gnutls_hmac_fast(GNUTLS_MAC_SHA256, c.sk_pr, 32, id, sizeof(id), mac), 0);
	memcpy(want + c.resp_len + sizeof(c.ni), mac, 32);
	ck_assert_mem_eq(out, want, len);
	len = 10;
	ck_assert_int_eq(ikev2_auth_octets(sa, true, id, sizeof(id), out, &len), -ENOSPC);
	ini_free(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ikev2_responder");
	TCase *tc = tcase_create("responder");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, exchange_cbc_behind_nat);
	tcase_add_test(tc, exchange_gcm);
	tcase_add_test(tc, windows_fragments_any_order);
	tcase_add_test(tc, reply_fragments_fit_the_peer);
	tcase_add_test(tc, invalid_ke_names_our_group);
	tcase_add_test(tc, no_proposal_speaks_once_per_interval);
	tcase_add_test(tc, unsupported_critical_payloads);
	tcase_add_test(tc, bad_input_is_dropped_and_counted);
	tcase_add_test(tc, half_open_limit_and_expiry);
	tcase_add_test(tc, cookies_under_load);
	tcase_add_test(tc, fragment_flood_bounded);
	tcase_add_test(tc, fragments_without_negotiation_refused);
	tcase_add_test(tc, informational_delete);
	tcase_add_test(tc, bad_settings_refused);
	tcase_add_test(tc, auth_octets);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
