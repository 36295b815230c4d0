/* SPDX-License-Identifier: MIT */
/*
 * ikev2_recv.c - the receive path. Every datagram the classifier claims
 * ends in exactly one counter of struct ikev2_stats:
 *
 *   parse (ikev2_parse.h)    malformed / oversized: dropped; an unknown
 *                            critical payload in IKE_SA_INIT: answered
 *                            UNSUPPORTED_CRITICAL_PAYLOAD
 *   IKE_SA_INIT              ikev2_sa_init.c
 *   others: IKE SA by SPIr   none, or SPIi differs: dropped (bad_spi)
 *   message-ID window        the expected ID: processed; the previous one:
 *                            cached response again (for fragments only on
 *                            fragment 1, RFC 7383 2.6.1); anything else
 *                            dropped (bad_msgid)
 *   SK / SKF                 ICV checked first (icv_failed), fragments
 *                            collected with bounded memory, the plaintext
 *                            parsed: an unknown critical payload answered
 *                            UNSUPPORTED_CRITICAL_PAYLOAD, malformed ones
 *                            INVALID_SYNTAX (both protected)
 *   dispatch                 IKE_AUTH (ikev2_auth.c), INFORMATIONAL
 *                            (ikev2_info.c), CREATE_CHILD_SA
 *                            (ikev2_rekey.c)
 *   responses                to our own requests: ikev2_req.c
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "ikev2.h"

bool ikev2_classify(const uint8_t *buf, size_t len, uint16_t pkt_flags, void *arg)
{
	(void)pkt_flags;
	(void)arg;
	/* IKEv1 shares the port: its plugin claims major version 1 */
	return kanmon_ike_major_version(buf, len) == 2;
}

bool ikev2_classify_natt(const uint8_t *buf, size_t len, uint16_t pkt_flags, void *arg)
{
	/* on the NAT-T port only datagrams that carried the non-ESP marker are
	 * IKE: the rest is ESP for the SA backend (RFC 3948 2.2) */
	return (pkt_flags & KANMON_PKT_NON_ESP_MARKER) && ikev2_classify(buf, len, pkt_flags, arg);
}

static bool is_natt(const struct ikev2 *ctx, const struct kanmon_pkt *pkt)
{
	return pkt->port == ctx->natt_port && (pkt->flags & KANMON_PKT_NON_ESP_MARKER);
}


static void dispatch(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_msg *m,
		     const struct ikev2_chain *req)
{
	switch (m->exchange) {
	case IKEV2_EXCH_IKE_AUTH:
		ikev2_auth_request(ctx, sa, m, req);
		break;
	case IKEV2_EXCH_INFORMATIONAL:
		ikev2_info_request(ctx, sa, m, req);
		break;
	case IKEV2_EXCH_CREATE_CHILD_SA:
		ikev2_create_child_request(ctx, sa, m, req);
		break;
	default: {
		/* an exchange type we do not know: an empty answer keeps the window moving */
		struct ikev2_gen g;
		uint8_t buf[16];
		ikev2_gen_init_inner(&g, buf, sizeof(buf));
		ikev2_send_protected(ctx, sa, m->exchange, m->msgid, &g);
		break;
	}
	}
}

/* the plaintext of a whole request: parse it, log it, hand it on */
static void plaintext(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_msg *m, uint8_t first,
		      const uint8_t *plain, size_t len, unsigned frags)
{
	struct ikev2_chain *c = &ctx->inner;
	int err = ikev2_parse_inner(first, plain, len, c);
	/* the request is processed now, whatever the outcome: the window moves */
	sa->next_msgid = m->msgid + 1;
	sa->last_exchange = m->exchange;
	if (err == -EOPNOTSUPP) {
		uint8_t t = c->unsupported;
		ctx->st.unsupported_critical++;
		ikev2_refuse(ctx, &sa->peer, NULL, 0, "unsupported critical payload type %u in %s", t,
			     ikev2_exchange_name(m->exchange) ? ikev2_exchange_name(m->exchange) : "request");
		ikev2_send_error(ctx, sa, m, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, &t, 1);
		return;
	}
	if (err) {
		ctx->st.invalid_syntax++;
		ikev2_refuse(ctx, &sa->peer, NULL, 0, "malformed encrypted payloads: %s",
			     c->error ? c->error : "?");
		ikev2_send_error(ctx, sa, m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (m->exchange == IKEV2_EXCH_IKE_AUTH)
		ctx->st.auth_requests++;
	if (ctx->host->log_enabled(ctx->host, KANMON_LOG_INFO)) {
		char list[512], fr[48] = "";
		ikev2_chain_describe(c, list, sizeof(list));
		if (frags > 1)
			snprintf(fr, sizeof(fr), " from %u fragments", frags);
		const char *ex = ikev2_exchange_name(m->exchange);
		ctx->host->log(ctx->host, KANMON_LOG_INFO, "client %s: decrypted %s request %u (%zu bytes%s): %s",
			       sa->peer_str, ex ? ex : "?", m->msgid, len, fr, list);
	}
	dispatch(ctx, sa, m, c);
}

static void fragment(struct ikev2 *ctx, struct ikev2_sa *sa, const struct kanmon_pkt *pkt,
		     const struct ikev2_msg *m, const struct ikev2_payload *p, size_t plain_len)
{
	struct ikev2_skf f;
	if (!sa->frag || ikev2_parse_skf(p, &f)) {
		ctx->st.frag_dropped++;
		ikev2_drop(ctx, &pkt->peer, "%s", sa->frag ? "malformed fragment header"
							    : "a fragment although fragmentation was not negotiated");
		return;
	}
	/* RFC 7383 2.5.1: our fragments no larger than the peer's (as IP datagrams) */
	size_t ip = pkt->len + 8 + (pkt->peer.ss_family == AF_INET6 ? 40 : 20) +
		    ((pkt->flags & KANMON_PKT_NON_ESP_MARKER) ? 4 : 0);
	if (ip > sa->peer_frag_max && ip <= UINT16_MAX)
		sa->peer_frag_max = (uint16_t)ip;
	uint8_t *whole = NULL, first = 0;
	size_t whole_len = 0;
	unsigned total = f.total;
	int r = ikev2_reasm_add(&sa->reasm, &ctx->frag_budget, m->msgid, &f, p->next, ctx->plain, plain_len, &whole,
				&whole_len, &first);
	gnutls_memset(ctx->plain, 0, plain_len);
	if (r == 0) {
		ctx->st.frag_rx++;
		return;
	}
	if (r < 0) {
		if (r == -ENOBUFS)
			ctx->st.frag_nobufs++;
		else
			ctx->st.frag_dropped++;
		ikev2_drop(ctx, &pkt->peer, "fragment %u/%u of message %u: %s", f.number, f.total, m->msgid,
			   r == -ENOBUFS ? "reassembly memory bound reached, collection dropped"
			   : r == -EALREADY ? "duplicate"
			   : r == -ESTALE ? "fewer total fragments than the collection"
					  : "refused");
		return;
	}
	ctx->st.frag_rx++;
	ctx->st.frag_reassembled++;
	plaintext(ctx, sa, m, first, whole, whole_len, total);
	gnutls_memset(whole, 0, whole_len);
	free(whole);
}

static void protected_request(struct ikev2 *ctx, const struct kanmon_pkt *pkt, const struct ikev2_msg *m)
{
	struct ikev2_sa *sa = ikev2_sa_by_r(ctx, m->spi_r);
	if (!sa || memcmp(sa->spi_i, m->spi_i, 8)) {
		ctx->st.bad_spi++;
		ikev2_drop(ctx, &pkt->peer, "%s request for an unknown IKE SA",
			   ikev2_exchange_name(m->exchange) ? ikev2_exchange_name(m->exchange) : "an unknown");
		return;
	}
	if (m->c.sk < 0 || m->c.n != 1) {
		ctx->st.malformed++;
		ikev2_drop(ctx, &pkt->peer, "protected exchange without (only) an encrypted payload");
		return;
	}
	const struct ikev2_payload *p = &m->c.pl[m->c.sk];
	/* the previous request again: same ID and exchange (ID 0 was IKE_SA_INIT, unprotected) */
	bool retransmit = sa->next_msgid > 1 && m->msgid == sa->next_msgid - 1 && m->exchange == sa->last_exchange;
	if (m->msgid != sa->next_msgid && !retransmit) {
		ctx->st.bad_msgid++;
		ikev2_drop(ctx, &pkt->peer, "message ID %u outside the window (expecting %u)", m->msgid,
			   sa->next_msgid);
		return;
	}
	if (sa->state == IKEV2_DEAD && !retransmit) {
		/* closed: only the last request's retransmits are answered, the window stays */
		ctx->st.bad_msgid++;
		ikev2_drop(ctx, &pkt->peer, "request %u on a closed IKE SA", m->msgid);
		return;
	}
	struct ikev2_sk_dir in;
	size_t plain_len;
	ikev2_sk_dir(&sa->keys, true, &in);
	int err = ikev2_sk_open(&in, m->raw, m->raw_len, p, ctx->plain, &plain_len);
	if (err) {
		if (err == -EBADMSG)
			ctx->st.icv_failed++;
		else
			ctx->st.malformed++;
		ikev2_drop(ctx, &pkt->peer, "%s", err == -EBADMSG ? "integrity check failed"
								   : "malformed encrypted payload");
		return;
	}
	/* authenticated: this is where the client is now (NAT-T float, rebinding) */
	ikev2_sa_endpoint(sa, pkt);
	sa->last_rx_ms = ctx->now_ms();
	if (retransmit) {
		struct ikev2_skf f;
		gnutls_memset(ctx->plain, 0, plain_len);
		if (p->type == IKEV2_PL_SKF && (ikev2_parse_skf(p, &f) || f.number != 1))
			return;	/* RFC 7383 2.6.1: answer a retransmitted request on fragment 1 only */
		ikev2_resend(ctx, sa);
		return;
	}
	if (p->type == IKEV2_PL_SKF) {
		fragment(ctx, sa, pkt, m, p, plain_len);
		return;
	}
	plaintext(ctx, sa, m, p->next, ctx->plain, plain_len, 1);
	gnutls_memset(ctx->plain, 0, plain_len);
}

void ikev2_receive(const struct kanmon_pkt *pkt, void *arg)
{
	struct ikev2 *ctx = arg;
	struct ikev2_msg *m = &ctx->msg;
	ctx->st.rx++;
	int err = ikev2_parse(pkt->data, pkt->len, m);
	if (err == -EOPNOTSUPP && m->exchange == IKEV2_EXCH_IKE_SA_INIT && !(m->flags & IKEV2_FLAG_RESPONSE)) {
		/* RFC 7296 2.5: the answer names the payload type */
		uint8_t t = m->c.unsupported;
		ctx->st.unsupported_critical++;
		ikev2_refuse(ctx, &pkt->peer, NULL, 0, "unsupported critical payload type %u in IKE_SA_INIT", t);
		ikev2_send_notify(ctx, pkt, m, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, &t, 1);
		return;
	}
	if (err) {
		if (err == -EMSGSIZE)
			ctx->st.oversized++;
		else
			ctx->st.malformed++;
		ikev2_drop(ctx, &pkt->peer, "%zu bytes: %s", pkt->len, m->c.error ? m->c.error : "unparseable");
		return;
	}
	if (m->flags & IKEV2_FLAG_RESPONSE) {
		if (!(m->flags & IKEV2_FLAG_INITIATOR) || m->exchange == IKEV2_EXCH_IKE_SA_INIT) {
			ctx->st.responses++;
			ikev2_drop(ctx, &pkt->peer, "a response, and we sent no such request");
			return;
		}
		ikev2_response(ctx, pkt, m);	/* to a request of ours (ikev2_req.c) */
		return;
	}
	if (!(m->flags & IKEV2_FLAG_INITIATOR)) {
		/* requests from the original responder: only once we initiate */
		ctx->st.malformed++;
		ikev2_drop(ctx, &pkt->peer, "request without the initiator flag");
		return;
	}
	if (m->exchange == IKEV2_EXCH_IKE_SA_INIT) {
		if (is_natt(ctx, pkt) && ctx->host->log_enabled(ctx->host, KANMON_LOG_DEBUG))
			ctx->host->log(ctx->host, KANMON_LOG_DEBUG, "IKE_SA_INIT on the NAT-T port");
		ikev2_sa_init_request(ctx, pkt, m);
		return;
	}
	protected_request(ctx, pkt, m);
}
