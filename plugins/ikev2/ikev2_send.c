/* SPDX-License-Identifier: MIT */
/*
 * ikev2_send.c - what goes back to a client: stateless notifies, an SA's
 * responses (protected, fragmented per RFC 7383 when that was negotiated
 * and the message would not fit), and the cached response again when a
 * request is retransmitted (RFC 7296 2.1: a responder never processes a
 * request twice).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2.h"

#define UDP_HDR 8

static int sendto_peer(struct ikev2 *ctx, uint16_t port, const struct sockaddr_storage *local,
		       const struct sockaddr_storage *peer, uint16_t flags, const uint8_t *buf, size_t len)
{
	const struct sockaddr *l = local->ss_family ? (const struct sockaddr *)local : NULL;
	int err = ctx->host->net_send(ctx->host, port, l, (const struct sockaddr *)peer, buf, len, flags);
	if (err)
		ctx->st.tx_errors++;
	else
		ctx->st.tx++;
	return err;
}

void ikev2_send_notify(struct ikev2 *ctx, const struct kanmon_pkt *pkt, const struct ikev2_msg *req,
		       uint16_t type, const void *data, size_t len)
{
	/* RFC 7296 2.6 / 2.21.1: unprotected answers carry SPIr 0 unless an SA exists */
	static const uint8_t zero[8];
	uint8_t buf[512];
	struct ikev2_gen g;
	size_t out;
	ikev2_gen_init(&g, buf, sizeof(buf), req->spi_i, zero, req->exchange, IKEV2_FLAG_RESPONSE, req->msgid);
	ikev2_gen_notify(&g, 0, NULL, 0, type, data, len);
	if (ikev2_gen_finish(&g, &out))
		return;
	sendto_peer(ctx, pkt->port, &pkt->local, &pkt->peer, pkt->flags & KANMON_PKT_NON_ESP_MARKER, buf, out);
}

static void send_cached(struct ikev2 *ctx, struct ikev2_sa *sa)
{
	ikev2_send_bufs(ctx, sa, sa->resp, sa->n_resp);
}

void ikev2_resend(struct ikev2 *ctx, struct ikev2_sa *sa)
{
	ctx->st.retransmits++;
	send_cached(ctx, sa);
}

static int one_buf(const uint8_t *msg, size_t len, struct ikev2_buf **bufs, size_t *n);

int ikev2_send_plain(struct ikev2 *ctx, struct ikev2_sa *sa, const uint8_t *msg, size_t len)
{
	struct ikev2_buf *b;
	size_t n;
	int err = one_buf(msg, len, &b, &n);
	if (err)
		return err;
	ikev2_sa_cache(sa, b, n);
	send_cached(ctx, sa);
	return 0;
}

size_t ikev2_max_msg(const struct ikev2_sa *sa, unsigned ip_size)
{
	size_t ip = sa->peer.ss_family == AF_INET6 ? 40 : 20;
	size_t marker = (sa->pkt_flags & KANMON_PKT_NON_ESP_MARKER) ? 4 : 0;
	size_t over = ip + UDP_HDR + marker;
	return ip_size > over ? ip_size - over : 0;
}

/* one message as one buffer */
static int one_buf(const uint8_t *msg, size_t len, struct ikev2_buf **bufs, size_t *n)
{
	struct ikev2_buf *b = calloc(1, sizeof(*b));
	if (!b || !(b->data = malloc(len))) {
		free(b);
		return -ENOMEM;
	}
	memcpy(b->data, msg, len);
	b->len = len;
	*bufs = b;
	*n = 1;
	return 0;
}

int ikev2_seal(struct ikev2 *ctx, struct ikev2_sa *sa, uint8_t exchange, uint8_t flags, uint32_t msgid,
	       struct ikev2_gen *inner, struct ikev2_buf **bufs, size_t *n)
{
	size_t plain_len;
	int err = ikev2_gen_finish(inner, &plain_len);
	if (err)
		return err;
	struct ikev2_sk_dir out;
	ikev2_sk_dir(&sa->keys, false, &out);

	/* fragments no larger than the peer's own, nor than configured */
	unsigned ip_limit = ctx->fragment_size;
	if (sa->peer_frag_max && sa->peer_frag_max < ip_limit)
		ip_limit = sa->peer_frag_max;
	size_t limit = ikev2_max_msg(sa, ip_limit);

	struct ikev2_gen g;
	size_t whole;
	ikev2_gen_init(&g, ctx->out, sizeof(ctx->out), sa->spi_i, sa->spi_r, exchange, flags, msgid);
	err = ikev2_sk_seal(&g, &out, inner->first, NULL, inner->buf, plain_len, &sa->iv_seq, &whole);
	if (err)
		return err;
	if (!sa->frag || whole <= limit)
		return one_buf(ctx->out, whole, bufs, n);

	struct ikev2_buf *frags = calloc(IKEV2_MAX_RESP_FRAGS, sizeof(*frags));
	if (!frags)
		return -ENOMEM;
	*n = 0;	/* ikev2_frag_split appends after *n */
	err = ikev2_frag_split(&out, sa->spi_i, sa->spi_r, exchange, flags, msgid, inner->first, inner->buf,
			       plain_len, limit, &sa->iv_seq, frags, IKEV2_MAX_RESP_FRAGS, n);
	if (err) {
		free(frags);
		/* too small a limit to fragment into: send it whole (IP fragments) */
		return err == -EMSGSIZE ? one_buf(ctx->out, whole, bufs, n) : err;
	}
	ctx->st.tx_fragments += *n;
	struct ikev2_buf *fit = realloc(frags, *n * sizeof(*frags));	/* keep only what is used */
	*bufs = fit ? fit : frags;
	return 0;
}

void ikev2_send_bufs(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_buf *bufs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sendto_peer(ctx, sa->port, &sa->local, &sa->peer, sa->pkt_flags, bufs[i].data, bufs[i].len);
}

int ikev2_send_protected(struct ikev2 *ctx, struct ikev2_sa *sa, uint8_t exchange, uint32_t msgid,
			 struct ikev2_gen *inner)
{
	struct ikev2_buf *bufs;
	size_t n;
	int err = ikev2_seal(ctx, sa, exchange, IKEV2_FLAG_RESPONSE, msgid, inner, &bufs, &n);
	if (err)
		return err;
	ikev2_sa_cache(sa, bufs, n);
	send_cached(ctx, sa);
	return 0;
}

void ikev2_send_error(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_msg *m, uint16_t type,
		      const void *data, size_t len)
{
	struct ikev2_gen g;
	uint8_t buf[64];
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	ikev2_gen_notify(&g, 0, NULL, 0, type, data, len);
	ikev2_send_protected(ctx, sa, m->exchange, m->msgid, &g);
}
