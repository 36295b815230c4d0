/* SPDX-License-Identifier: MIT */
/*
 * ikev2_sa_init.c - the IKE_SA_INIT responder (RFC 7296 1.2, 2.6, 2.10,
 * 2.14, 2.23; RFC 7383 2.3; RFC 7427 4).
 *
 * Order of checks, cheapest first, nothing kept before the last one:
 * retransmission of a request already answered -> cached response; the
 * payloads an IKE_SA_INIT needs; the half-open limit; a cookie when enough
 * SAs are half open (stateless: the answer costs no memory); proposal
 * selection in the server's order (NO_PROPOSAL_CHOSEN, logged with what the
 * client offered); the KE group (INVALID_KE_PAYLOAD naming the group we
 * chose, so the client retries with it); only then the Diffie-Hellman
 * computation and a half-open SA.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "dh.h"
#include "ikev2.h"

#define COOKIE_LEN (1 + 32)	/* secret version | SHA-256(...) */

void ikev2_natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8], const struct sockaddr_storage *a,
		     uint8_t out[20])
{
	uint8_t in[8 + 8 + 16 + 2];
	size_t n = 16;
	memcpy(in, spi_i, 8);
	memcpy(in + 8, spi_r, 8);
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)a;
		memcpy(in + n, &s->sin6_addr, 16);
		n += 16;
		memcpy(in + n, &s->sin6_port, 2);
	} else {
		const struct sockaddr_in *s = (const struct sockaddr_in *)a;
		memcpy(in + n, &s->sin_addr, 4);
		n += 4;
		memcpy(in + n, &s->sin_port, 2);
	}
	n += 2;
	gnutls_hash_fast(GNUTLS_DIG_SHA1, in, n, out);
}

/* RFC 7296 2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>) */
static void cookie_make(const struct ikev2 *ctx, const struct sockaddr_storage *peer, const uint8_t spi_i[8],
			const uint8_t *ni, size_t ni_len, uint8_t out[COOKIE_LEN])
{
	gnutls_hash_hd_t h;
	out[0] = 0;
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256)) {
		memset(out, 0xff, COOKIE_LEN);	/* matches nothing a client could send back */
		return;
	}
	gnutls_hash(h, ni, ni_len);
	if (peer->ss_family == AF_INET6)
		gnutls_hash(h, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
	else
		gnutls_hash(h, &((const struct sockaddr_in *)peer)->sin_addr, 4);
	gnutls_hash(h, spi_i, 8);
	gnutls_hash(h, ctx->cookie_secret, sizeof(ctx->cookie_secret));
	gnutls_hash_deinit(h, out + 1);
}

static void request_hash(const struct ikev2_msg *m, uint8_t out[32])
{
	gnutls_hash_fast(GNUTLS_DIG_SHA256, m->raw, m->raw_len, out);
}

/* the legacy suites Windows and old iOS offer: to tell the operator what to enable */
static bool offers_legacy(const struct ikev2_offer *o)
{
	struct ikev2_proposal legacy;
	struct ikev2_suite s;
	char err[128];
	if (ikev2_proposal_parse_conf("aes256-aes192-aes128-3des-sha256-sha384-sha1-modp1024-modp1536",
				      IKEV2_PROTO_IKE, &legacy, err, sizeof(err)))
		return false;
	return !ikev2_select(&legacy, 1, 1, o, IKEV2_PROTO_IKE, &s);
}

struct sa_init_notes {
	bool natd_s, natd_s_match, natd_d, natd_d_match;
	bool frag;
	uint8_t sig_hashes;
	const struct ikev2_notify *cookie;
};

static void read_notifies(const struct ikev2_msg *m, const struct kanmon_pkt *pkt, struct sa_init_notes *n,
			  struct ikev2_notify *cookie)
{
	static const uint8_t zero[8];
	uint8_t src[20], dst[20];
	/* in the request SPIr is zero (RFC 7296 2.23) */
	ikev2_natd_hash(m->spi_i, zero, &pkt->peer, src);
	ikev2_natd_hash(m->spi_i, zero, &pkt->local, dst);
	memset(n, 0, sizeof(*n));
	for (size_t i = 0; i < m->c.n; i++) {
		struct ikev2_notify nt;
		if (m->c.pl[i].type != IKEV2_PL_NOTIFY || ikev2_parse_notify(&m->c.pl[i], &nt))
			continue;
		switch (nt.type) {
		case IKEV2_N_NAT_DETECTION_SOURCE_IP:
			n->natd_s = true;
			n->natd_s_match |= nt.data_len == 20 && !memcmp(nt.data, src, 20);
			break;
		case IKEV2_N_NAT_DETECTION_DESTINATION_IP:
			n->natd_d = true;
			n->natd_d_match |= nt.data_len == 20 && !memcmp(nt.data, dst, 20);
			break;
		case IKEV2_N_FRAGMENTATION_SUPPORTED:
			n->frag = true;
			break;
		case IKEV2_N_SIGNATURE_HASH_ALGORITHMS:
			for (size_t k = 0; k + 1 < nt.data_len; k += 2) {
				uint16_t hash = ikev2_get16(nt.data + k);
				if (hash >= 1 && hash <= 7)
					n->sig_hashes |= (uint8_t)(1u << hash);
			}
			break;
		case IKEV2_N_COOKIE:
			/* only as the first payload (RFC 7296 2.6) */
			if (i == 0 && !n->cookie) {
				*cookie = nt;
				n->cookie = cookie;
			}
			break;
		default:
			break;	/* unknown status types are ignored (RFC 7296 3.10.1) */
		}
	}
}

/* the payloads an IKE_SA_INIT request must have: one SA, one KE, one Nonce */
static const char *missing_payload(const struct ikev2_msg *m)
{
	if (m->c.sk >= 0)
		return "an encrypted payload in IKE_SA_INIT";
	if (ikev2_chain_count(&m->c, IKEV2_PL_SA) != 1)
		return "not exactly one SA payload";
	if (ikev2_chain_count(&m->c, IKEV2_PL_KE) != 1)
		return "not exactly one KE payload";
	if (ikev2_chain_count(&m->c, IKEV2_PL_NONCE) != 1)
		return "not exactly one Nonce payload";
	return NULL;
}

static void invalid_syntax(struct ikev2 *ctx, const struct kanmon_pkt *pkt, const struct ikev2_msg *m,
			   const char *why)
{
	ctx->st.invalid_syntax++;
	ikev2_refuse(ctx, &pkt->peer, NULL, 0, "malformed IKE_SA_INIT: %s", why);
	ikev2_send_notify(ctx, pkt, m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
}

/* answers the client from its half-open SA; returns the SA or NULL (then nothing was kept) */
static struct ikev2_sa *respond(struct ikev2 *ctx, const struct kanmon_pkt *pkt, const struct ikev2_msg *m,
				const struct ikev2_suite *suite, const struct ikev2_ke *ke, const uint8_t *ni,
				size_t ni_len, const struct sa_init_notes *n)
{
	struct dh *dh = NULL;
	struct ikev2_sa *sa = NULL;
	uint8_t shared[DH_MAX_PUB], pub[DH_MAX_PUB];
	size_t shared_len = dh_shared_len(suite->dh), pub_len = dh_public_len(suite->dh);
	int err = dh_new(suite->dh, &dh);
	if (err)
		goto out;
	if ((err = dh_shared(dh, ke->data, ke->len, shared, shared_len)) == -EINVAL) {
		invalid_syntax(ctx, pkt, m, "the KE value is not a valid public value of its group");
		goto out;
	}
	if (err || (err = dh_public(dh, pub, pub_len)))
		goto out;
	if (!(sa = ikev2_sa_new(ctx, m->spi_i, pkt))) {
		err = -ENOMEM;
		goto out;
	}
	sa->suite = *suite;
	memcpy(sa->ni, ni, ni_len);
	sa->ni_len = ni_len;
	if (gnutls_rnd(GNUTLS_RND_NONCE, sa->nr, sizeof(sa->nr)) ||
	    (err = ikev2_derive_keys(suite, ni, ni_len, sa->nr, sizeof(sa->nr), shared, shared_len, sa->spi_i,
				     sa->spi_r, &sa->keys))) {
		err = err ? err : -EIO;
		goto out;
	}
	sa->nat_peer = n->natd_s && !n->natd_s_match;
	sa->nat_local = n->natd_d && !n->natd_d_match;
	sa->frag = ctx->fragmentation && n->frag;
	sa->sig_hashes = n->sig_hashes;
	sa->next_msgid = 1;
	request_hash(m, sa->req_hash);

	struct ikev2_gen g;
	uint8_t natd[20];
	size_t len;
	ikev2_gen_init(&g, ctx->out, sizeof(ctx->out), sa->spi_i, sa->spi_r, IKEV2_EXCH_IKE_SA_INIT,
		       IKEV2_FLAG_RESPONSE, 0);
	ikev2_gen_sa(&g, suite);
	ikev2_gen_ke(&g, suite->dh, pub, pub_len);
	ikev2_gen_bytes(&g, IKEV2_PL_NONCE, sa->nr, sizeof(sa->nr));
	ikev2_natd_hash(sa->spi_i, sa->spi_r, &pkt->local, natd);
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, natd, sizeof(natd));
	ikev2_natd_hash(sa->spi_i, sa->spi_r, &pkt->peer, natd);
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, natd, sizeof(natd));
	/* RFC 7383 2.3: only in answer to the client's own */
	if (sa->frag)
		ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_FRAGMENTATION_SUPPORTED, NULL, 0);
	/* RFC 7427 4: answered to clients that sent theirs (Android then signs with method 14;
	 * Windows sends none and keeps method 1) */
	if (n->sig_hashes) {
		uint8_t hashes[6];
		ikev2_put16(hashes, IKEV2_HASH_SHA256);
		ikev2_put16(hashes + 2, IKEV2_HASH_SHA384);
		ikev2_put16(hashes + 4, IKEV2_HASH_SHA512);
		ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_SIGNATURE_HASH_ALGORITHMS, hashes, sizeof(hashes));
	}
	ikev2_auth_certreq(ctx, &g);
	if ((err = ikev2_gen_finish(&g, &len)))
		goto out;
	sa->init_req = malloc(m->raw_len);
	sa->init_resp = malloc(len);
	if (!sa->init_req || !sa->init_resp) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(sa->init_req, m->raw, m->raw_len);
	sa->init_req_len = m->raw_len;
	memcpy(sa->init_resp, ctx->out, len);
	sa->init_resp_len = len;
	if ((err = ikev2_send_plain(ctx, sa, ctx->out, len)))
		goto out;
	ikev2_sa_arm(sa, ctx->half_open_timeout_ms);
out:
	dh_free(dh);
	gnutls_memset(shared, 0, sizeof(shared));
	if (err && sa) {
		ikev2_sa_free(ctx, sa);
		sa = NULL;
	}
	if (err && err != -EINVAL) {
		char addr[64];
		ikev2_addr_str(&pkt->peer, addr, sizeof(addr));
		ctx->host->log(ctx->host, KANMON_LOG_ERR, "client %s: IKE_SA_INIT failed: %s", addr, strerror(-err));
	}
	return sa;
}

void ikev2_sa_init_request(struct ikev2 *ctx, const struct kanmon_pkt *pkt, const struct ikev2_msg *m)
{
	static const uint8_t zero[8];
	if (m->msgid != 0 || memcmp(m->spi_r, zero, 8)) {
		ctx->st.bad_msgid++;
		ikev2_drop(ctx, &pkt->peer, "IKE_SA_INIT request with message ID %u or a responder SPI", m->msgid);
		return;
	}
	struct ikev2_sa *old = ikev2_sa_by_i(ctx, m->spi_i, &pkt->peer);
	if (old) {
		uint8_t h[32];
		request_hash(m, h);
		if (old->next_msgid == 1 && !memcmp(h, old->req_hash, 32)) {
			ikev2_resend(ctx, old);
		} else {
			ctx->st.bad_spi++;
			ikev2_drop(ctx, &pkt->peer, "IKE_SA_INIT reusing the SPI of an existing IKE SA");
		}
		return;
	}
	const char *why = missing_payload(m);
	if (why) {
		invalid_syntax(ctx, pkt, m, why);
		return;
	}
	if (ctx->sas.half_open >= ctx->half_open_max) {
		ctx->st.half_open_refused++;
		ikev2_refuse(ctx, &pkt->peer, NULL, 0,
			     "%zu IKE SAs are half open (half_open_max): IKE_SA_INIT dropped (raise "
			     "ikev2.half_open_max if this is load, not an attack)",
			     ctx->sas.half_open);
		return;
	}
	const uint8_t *ni;
	size_t ni_len;
	if (ikev2_parse_nonce(ikev2_chain_find(&m->c, IKEV2_PL_NONCE, NULL), &ni, &ni_len)) {
		invalid_syntax(ctx, pkt, m, "nonce shorter than 16 or longer than 256 bytes");
		return;
	}
	struct sa_init_notes n;
	struct ikev2_notify cookie;
	read_notifies(m, pkt, &n, &cookie);
	if (ctx->cookie_threshold && ctx->sas.half_open >= ctx->cookie_threshold) {
		uint8_t want[COOKIE_LEN];
		cookie_make(ctx, &pkt->peer, m->spi_i, ni, ni_len, want);
		if (!n.cookie || n.cookie->data_len != COOKIE_LEN || !ike_ct_equal(n.cookie->data, want, COOKIE_LEN)) {
			/* RFC 7296 2.6: a wrong cookie gets a fresh one, nothing else */
			ctx->st.cookies_bad += n.cookie != NULL;
			ctx->st.cookies_sent++;
			ikev2_send_notify(ctx, pkt, m, IKEV2_N_COOKIE, want, sizeof(want));
			return;
		}
	}
	const struct ikev2_payload *sap = ikev2_chain_find(&m->c, IKEV2_PL_SA, NULL);
	int err = ikev2_offer_parse(sap->body, sap->len, &ctx->offer);
	if (err) {
		invalid_syntax(ctx, pkt, m, err == -E2BIG ? "too many proposals or transforms in the SA payload"
							   : "malformed SA payload");
		return;
	}
	struct ikev2_suite suite;
	if (ikev2_select(ctx->ike_conf, ctx->n_ike, ctx->ike_legacy_from, &ctx->offer, IKEV2_PROTO_IKE, &suite)) {
		char offered[400];
		ikev2_offer_describe(&ctx->offer, offered, sizeof(offered));
		bool hint = ctx->ike_legacy_from == ctx->n_ike && offers_legacy(&ctx->offer);
		ctx->st.no_proposal++;
		ikev2_refuse(ctx, &pkt->peer, NULL, IKEV2_WIN_NO_POLICY, "no proposal chosen for IKE: offered %s%s",
			     offered,
			     hint ? "; these are legacy suites (Windows defaults): enable them in "
				    "ikev2.legacy_proposals, or make the client offer modp2048"
				  : "");
		ikev2_send_notify(ctx, pkt, m, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	struct ikev2_ke ke;
	if (ikev2_parse_ke(ikev2_chain_find(&m->c, IKEV2_PL_KE, NULL), &ke)) {
		invalid_syntax(ctx, pkt, m, "malformed KE payload");
		return;
	}
	if (ke.group != suite.dh) {
		/* RFC 7296 1.3: name the group we want; the client retries with it */
		uint8_t g[2];
		ikev2_put16(g, suite.dh);
		ctx->st.invalid_ke++;
		if (ctx->host->log_enabled(ctx->host, KANMON_LOG_DEBUG)) {
			char addr[64];
			ikev2_addr_str(&pkt->peer, addr, sizeof(addr));
			ctx->host->log(ctx->host, KANMON_LOG_DEBUG,
				       "client %s: KE of group %u, asking for %s (INVALID_KE_PAYLOAD)", addr, ke.group,
				       dh_name(suite.dh));
		}
		ikev2_send_notify(ctx, pkt, m, IKEV2_N_INVALID_KE_PAYLOAD, g, sizeof(g));
		return;
	}
	if (ke.len != dh_public_len(suite.dh)) {
		invalid_syntax(ctx, pkt, m, "KE data length does not match its group");
		return;
	}
	struct ikev2_sa *sa = respond(ctx, pkt, m, &suite, &ke, ni, ni_len, &n);
	if (!sa)
		return;
	ctx->st.sa_init++;
	if (ctx->host->log_enabled(ctx->host, KANMON_LOG_INFO)) {
		char name[96];
		ikev2_suite_name(&suite, name, sizeof(name));
		ctx->host->log(ctx->host, KANMON_LOG_INFO, "client %s: IKE_SA_INIT done, %s%s%s%s%s", sa->peer_str,
			       name, suite.legacy ? " (legacy suite)" : "",
			       sa->nat_peer ? ", client behind NAT" : "", sa->nat_local ? ", NAT at our side" : "",
			       sa->frag ? ", fragmentation on" : "");
	}
}
