/* SPDX-License-Identifier: MIT */
/*
 * ikev2_req.c - requests of our own on an established IKE SA (RFC 7296
 * 2.1-2.4): liveness checks (DPD), DELETE (kill, revocation, a replaced
 * connection), and CREATE_CHILD_SA rekeys (ikev2_rekey.c).
 *
 * One request at a time (window size 1, what every client offers).
 * Retransmitted 1, 3 and 7 s after the first send (doubling intervals); no
 * answer IKEV2_REQ_GIVE_UP_MS (15 s) after it means the client is gone: its
 * SAs are removed and its lease goes offline. So a silent client is found
 * dead within dpd + 15 s.
 *
 * Liveness: the established SA's timer fires every `dpd` seconds; a client
 * that sent anything authenticated (IKE, or ESP on its CHILD SA, as the SA
 * backend's last-use time tells) within that time is not asked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>

#include "ikev2.h"

#define IKEV2_REQ_FIRST_RTX_MS	1000
#define IKEV2_REQ_GIVE_UP_MS	15000

static const char *kind_name(enum ikev2_req_kind k)
{
	switch (k) {
	case IKEV2_REQ_DPD: return "liveness check";
	case IKEV2_REQ_DELETE_IKE: return "DELETE";
	case IKEV2_REQ_DELETE_CHILD: return "CHILD SA DELETE";
	case IKEV2_REQ_REKEY_CHILD: return "CHILD SA rekey";
	default: return "request";
	}
}

static void req_clear(struct ikev2_sa *sa)
{
	for (size_t i = 0; i < sa->n_req; i++)
		ikev2_buf_free(&sa->req[i]);
	free(sa->req);
	sa->req = NULL;
	sa->n_req = 0;
	sa->req_kind = IKEV2_REQ_NONE;
	sa->req_tries = 0;
}

void ikev2_req_free(struct ikev2 *ctx, struct ikev2_sa *sa)
{
	req_clear(sa);
	if (sa->rtx)
		ctx->host->timer_free(sa->rtx);
	sa->rtx = NULL;
	ikev2_rekey_free(ctx, sa);
}

/* the client is gone, or the SA is closed for good: free it */
static void give_up(struct ikev2 *ctx, struct ikev2_sa *sa, enum ikev2_req_kind kind)
{
	if (kind != IKEV2_REQ_DELETE_IKE) {
		ctx->st.dpd_dead++;
		ctx->host->log(ctx->host, KANMON_LOG_INFO, "client %s (%s): no answer to our %s in %u s: removed",
			       sa->peer_str, sa->identity ? sa->identity : "?", kind_name(kind),
			       IKEV2_REQ_GIVE_UP_MS / 1000);
	}
	ikev2_session_end(ctx, sa, "the client stopped answering");
	ikev2_sa_free(ctx, sa);
}

static void retransmit(void *arg)
{
	struct ikev2_sa *sa = arg;
	struct ikev2 *ctx = sa->ctx;
	if (sa->req_kind == IKEV2_REQ_NONE)
		return;
	uint64_t elapsed = ctx->now_ms() - sa->req_first_ms;
	if (elapsed >= IKEV2_REQ_GIVE_UP_MS) {
		give_up(ctx, sa, sa->req_kind);
		return;
	}
	sa->req_tries++;
	ctx->st.req_retransmits++;
	if (ctx->host->log_enabled(ctx->host, KANMON_LOG_DEBUG))
		ctx->host->log(ctx->host, KANMON_LOG_DEBUG, "client %s: our %s (message %u) sent again, try %u",
			       sa->peer_str, kind_name(sa->req_kind), sa->my_msgid, sa->req_tries + 1);
	ikev2_send_bufs(ctx, sa, sa->req, sa->n_req);
	uint64_t next = (uint64_t)IKEV2_REQ_FIRST_RTX_MS << (sa->req_tries < 4 ? sa->req_tries : 4);
	if (elapsed + next > IKEV2_REQ_GIVE_UP_MS)
		next = IKEV2_REQ_GIVE_UP_MS - elapsed;
	ctx->host->timer_arm(sa->rtx, next);
}

int ikev2_request(struct ikev2 *ctx, struct ikev2_sa *sa, uint8_t exchange, enum ikev2_req_kind kind,
		  struct ikev2_gen *inner)
{
	if (sa->req_kind != IKEV2_REQ_NONE)
		return -EBUSY;
	if (!sa->rtx && !(sa->rtx = ctx->host->timer_new(ctx->host, retransmit, sa)))
		return -ENOMEM;
	/* we are the original responder: no Initiator flag (RFC 7296 3.1) */
	int err = ikev2_seal(ctx, sa, exchange, 0, sa->my_msgid, inner, &sa->req, &sa->n_req);
	if (err)
		return err;
	sa->req_kind = kind;
	sa->req_tries = 0;
	sa->req_first_ms = ctx->now_ms();
	ctx->st.requests++;
	ikev2_send_bufs(ctx, sa, sa->req, sa->n_req);
	ctx->host->timer_arm(sa->rtx, IKEV2_REQ_FIRST_RTX_MS);
	return 0;
}

static void send_delete_ike(struct ikev2 *ctx, struct ikev2_sa *sa)
{
	struct ikev2_gen g;
	uint8_t buf[32];
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	uint8_t *d = ikev2_gen_payload(&g, IKEV2_PL_DELETE, false, 4);
	if (d) {
		d[0] = IKEV2_PROTO_IKE;
		d[1] = d[2] = d[3] = 0;	/* no SPI: the IKE SA of the header */
	}
	if (ikev2_request(ctx, sa, IKEV2_EXCH_INFORMATIONAL, IKEV2_REQ_DELETE_IKE, &g))
		ikev2_sa_free(ctx, sa);	/* cannot even tell the client: just forget it */
}

void ikev2_delete_ike(struct ikev2 *ctx, struct ikev2_sa *sa, const char *why)
{
	ikev2_session_end(ctx, sa, why);
	if (sa->state != IKEV2_ESTABLISHED) {
		ikev2_sa_free(ctx, sa);
		return;
	}
	ikev2_sa_set_state(ctx, sa, IKEV2_DELETING);
	/* a request already out: the DELETE follows its answer (or its timeout) */
	if (sa->req_kind == IKEV2_REQ_NONE)
		send_delete_ike(ctx, sa);
}

void ikev2_liveness(struct ikev2 *ctx, struct ikev2_sa *sa)
{
	uint64_t dpd_ms = (uint64_t)ctx->dpd * 1000;
	if (!dpd_ms || sa->state != IKEV2_ESTABLISHED)
		return;
	uint64_t now = ctx->now_ms(), idle = now - sa->last_rx_ms;
	/* The IKE_AUTH answer stays cached for its retransmits until the next
	 * request replaces it; `dpd` seconds on, no client still retransmits
	 * it: ~1.7 KiB (a certificate) less per idle client. */
	if (sa->last_exchange == IKEV2_EXCH_IKE_AUTH && sa->n_resp && now - sa->established_ms >= dpd_ms)
		ikev2_sa_cache(sa, NULL, 0);
	if (sa->child && ctx->sa_ops) {
		/* ESP from the client counts as a sign of life */
		struct kanmon_sa_id id;
		struct kanmon_sa_stats st;
		ikev2_child_sa_id(sa->child, true, &id);
		time_t wall = time(NULL);
		if (!ctx->sa_ops->query_sa(ctx->sa_be, &id, &st) && st.last_use && st.last_use <= wall) {
			uint64_t esp_idle = (uint64_t)(wall - st.last_use) * 1000;
			if (esp_idle < idle)
				idle = esp_idle;
		}
	}
	if (idle < dpd_ms) {
		ikev2_sa_arm(sa, dpd_ms - idle);
		return;
	}
	ikev2_sa_arm(sa, dpd_ms);
	if (sa->req_kind != IKEV2_REQ_NONE)
		return;	/* the request out there checks liveness already */
	struct ikev2_gen g;
	uint8_t buf[8];
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	ctx->st.dpd_sent++;
	if (ctx->host->log_enabled(ctx->host, KANMON_LOG_DEBUG))
		ctx->host->log(ctx->host, KANMON_LOG_DEBUG, "client %s: silent for %llu s: liveness check", sa->peer_str,
			       (unsigned long long)(idle / 1000));
	ikev2_request(ctx, sa, IKEV2_EXCH_INFORMATIONAL, IKEV2_REQ_DPD, &g);
}

/* the answer to our request, decrypted and parsed */
static void answered(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_chain *c)
{
	enum ikev2_req_kind kind = sa->req_kind;
	req_clear(sa);
	sa->my_msgid++;
	/* the retransmission timer may still fire: it finds no request and does nothing */
	switch (kind) {
	case IKEV2_REQ_DELETE_IKE:
		ikev2_sa_free(ctx, sa);
		return;
	case IKEV2_REQ_REKEY_CHILD:
		ikev2_rekey_answered(ctx, sa, c);
		break;
	default:
		break;
	}
	if (sa->state == IKEV2_DELETING)
		send_delete_ike(ctx, sa);
	else
		ikev2_rekey_next(ctx, sa);
}

void ikev2_response(struct ikev2 *ctx, const struct kanmon_pkt *pkt, const struct ikev2_msg *m)
{
	struct ikev2_sa *sa = ikev2_sa_by_r(ctx, m->spi_r);
	if (!sa || memcmp(sa->spi_i, m->spi_i, 8) || sa->req_kind == IKEV2_REQ_NONE || m->msgid != sa->my_msgid) {
		ctx->st.responses++;
		ikev2_drop(ctx, &pkt->peer, "a response to no request of ours");
		return;
	}
	if (m->c.sk < 0 || m->c.n != 1 || m->c.pl[m->c.sk].type != IKEV2_PL_SK) {
		/* fragmented answers to our (small) requests are not expected; the retransmission recovers */
		ctx->st.responses++;
		ikev2_drop(ctx, &pkt->peer, "a response without (only) an SK payload");
		return;
	}
	struct ikev2_sk_dir in;
	size_t plain_len;
	ikev2_sk_dir(&sa->keys, true, &in);
	int err = ikev2_sk_open(&in, m->raw, m->raw_len, &m->c.pl[m->c.sk], ctx->plain, &plain_len);
	if (err) {
		if (err == -EBADMSG)
			ctx->st.icv_failed++;
		else
			ctx->st.malformed++;
		return;
	}
	sa->last_rx_ms = ctx->now_ms();
	err = ikev2_parse_inner(m->c.pl[m->c.sk].next, ctx->plain, plain_len, &ctx->inner);
	if (err && err != -EOPNOTSUPP) {
		ctx->st.malformed++;
		ctx->inner.n = 0;	/* answered all the same: the request is done */
	}
	answered(ctx, sa, &ctx->inner);
	gnutls_memset(ctx->plain, 0, plain_len);
}
