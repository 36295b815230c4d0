/* SPDX-License-Identifier: MIT */
/*
 * ikev2_info.c - INFORMATIONAL requests of a client (RFC 7296 1.4, 1.5;
 * RFC 4555 3.5 for MOBIKE):
 *   DELETE of the IKE SA   everything of the client ends (CHILD SA,
 *                          session, leases offline); empty answer; the SA
 *                          lingers to answer retransmits
 *   DELETE of ESP SPIs     the CHILD SA whose outbound SPI is listed goes;
 *                          the answer lists our inbound SPI of it
 *   UPDATE_SA_ADDRESSES    the client moved (the receive path already
 *                          switched the endpoint and the CHILD SA): answer
 *                          with NAT detection for the new path and COOKIE2
 *   anything else          an empty answer (a liveness check)
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "ikev2.h"

/* RFC 7296 3.11: protocol, SPI size, number of SPIs, SPIs */
static void delete_payload(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_payload *p, bool *ike,
			   uint32_t *deleted_in, size_t *n_deleted)
{
	const uint8_t *b = p->body;
	if (p->len < 4)
		return;
	uint8_t proto = b[0], spi_size = b[1];
	uint16_t n = ikev2_get16(b + 2);
	if (proto == IKEV2_PROTO_IKE) {
		*ike = true;
		return;
	}
	if (proto != IKEV2_PROTO_ESP || spi_size != 4 || (size_t)4 + (size_t)n * 4 > p->len)
		return;
	for (uint16_t i = 0; i < n; i++) {
		uint32_t spi;
		memcpy(&spi, b + 4 + 4 * i, 4);
		if (*n_deleted >= 2)
			break;
		uint32_t ours;
		if (ikev2_rekey_client_deleted(ctx, sa, spi, &ours)) {
			/* a CHILD SA our rekey in flight holds (collision, or the old one) */
			deleted_in[(*n_deleted)++] = ours;
		} else if (sa->child_old && spi == sa->child_old->spi_out) {
			/* the rekeyed one: the usual end of a rekey */
			deleted_in[(*n_deleted)++] = sa->child_old->spi_in;
			ikev2_child_free(ctx, sa->child_old);
			sa->child_old = NULL;
		} else if (sa->child && spi == sa->child->spi_out) {
			deleted_in[(*n_deleted)++] = sa->child->spi_in;
			ctx->host->log(ctx->host, KANMON_LOG_INFO, "client %s (%s): deleted its CHILD SA", sa->peer_str,
				       sa->identity ? sa->identity : "?");
			ikev2_child_free(ctx, sa->child);
			sa->child = sa->child_old;
			sa->child_old = NULL;
			if (!sa->child)
				ikev2_policies_delete(ctx, sa);
		}
	}
}

/* one NAT_DETECTION notify of an address update, checked against the path it came on */
static void natd_seen(const struct ikev2_sa *sa, const struct ikev2_notify *n, bool *s, bool *s_match, bool *d,
		      bool *d_match)
{
	uint8_t h[20];
	if (n->type == IKEV2_N_NAT_DETECTION_SOURCE_IP) {
		ikev2_natd_hash(sa->spi_i, sa->spi_r, &sa->peer, h);
		*s = true;
		*s_match |= !memcmp(h, n->data, 20);
	} else {
		struct sockaddr_storage local = sa->local;
		((struct sockaddr_in *)&local)->sin_port = htons(sa->port);
		ikev2_natd_hash(sa->spi_i, sa->spi_r, &local, h);
		*d = true;
		*d_match |= !memcmp(h, n->data, 20);
	}
}

void ikev2_info_request(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_msg *m,
			const struct ikev2_chain *req)
{
	struct ikev2_gen g;
	uint8_t buf[256];
	bool delete_ike = false, update = false;
	uint32_t deleted_in[2];
	size_t n_deleted = 0;
	const uint8_t *cookie2 = NULL;
	size_t cookie2_len = 0;
	bool natd_s = false, natd_s_match = false, natd_d = false, natd_d_match = false;

	for (size_t i = 0; i < req->n; i++) {
		const struct ikev2_payload *p = &req->pl[i];
		struct ikev2_notify n;
		if (p->type == IKEV2_PL_DELETE) {
			delete_payload(ctx, sa, p, &delete_ike, deleted_in, &n_deleted);
		} else if (p->type == IKEV2_PL_NOTIFY && !ikev2_parse_notify(p, &n)) {
			if (n.type == IKEV2_N_UPDATE_SA_ADDRESSES)
				update = true;
			else if ((n.type == IKEV2_N_NAT_DETECTION_SOURCE_IP ||
				  n.type == IKEV2_N_NAT_DETECTION_DESTINATION_IP) && n.data_len == 20)
				natd_seen(sa, &n, &natd_s, &natd_s_match, &natd_d, &natd_d_match);
			else if (n.type == IKEV2_N_COOKIE2 && n.data_len >= 8 && n.data_len <= 64)
				cookie2 = n.data, cookie2_len = n.data_len;
		}
	}
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	if (delete_ike) {
		ctx->st.deletes++;
		ikev2_session_end(ctx, sa, "the client deleted the IKE SA");
		ikev2_sa_set_state(ctx, sa, IKEV2_DEAD);
	} else if (n_deleted) {
		ctx->st.deletes++;
		uint8_t *d = ikev2_gen_payload(&g, IKEV2_PL_DELETE, false, 4 + 4 * n_deleted);
		if (d) {
			d[0] = IKEV2_PROTO_ESP;
			d[1] = 4;
			ikev2_put16(d + 2, (uint16_t)n_deleted);
			memcpy(d + 4, deleted_in, 4 * n_deleted);
		}
	}
	if (update && sa->mobike && !delete_ike && (natd_s || natd_d)) {
		/* RFC 4555 3.5: NAT traversal on or off for the new path */
		bool nat_peer = natd_s && !natd_s_match, nat_local = natd_d && !natd_d_match;
		if (nat_peer != sa->nat_peer || nat_local != sa->nat_local) {
			sa->nat_peer = nat_peer;
			sa->nat_local = nat_local;
			ikev2_child_update(ctx, sa);
		}
	}
	if (update && sa->mobike && !delete_ike) {
		/* NAT detection of the path the request came on: what the client checks next */
		struct sockaddr_storage local = sa->local;
		uint8_t h[20];
		((struct sockaddr_in *)&local)->sin_port = htons(sa->port);
		ikev2_natd_hash(sa->spi_i, sa->spi_r, &local, h);
		ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, h, sizeof(h));
		ikev2_natd_hash(sa->spi_i, sa->spi_r, &sa->peer, h);
		ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, h, sizeof(h));
	}
	if (cookie2)
		ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_COOKIE2, cookie2, cookie2_len);
	ikev2_send_protected(ctx, sa, m->exchange, m->msgid, &g);
	if (delete_ike)
		ikev2_sa_arm(sa, IKEV2_DEAD_LINGER_MS);
}
