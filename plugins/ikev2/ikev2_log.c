/* SPDX-License-Identifier: MIT */
/*
 * ikev2_log.c - failures speak, but not too often: one line per refused
 * client with its address, identity (when known), the reason and the
 * Windows error code the client shows, at most one per source per
 * log_interval (the next line says how many were held back), and never more
 * than a few per second in total, so a flood from spoofed sources cannot
 * flood the log. Fixed memory: a small table of recent sources.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "ikev2.h"

void ikev2_addr_str(const struct sockaddr_storage *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)a;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		port = ntohs(s->sin_port);
	} else if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)a;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		port = ntohs(s->sin6_port);
	}
	snprintf(buf, len, "%s[%u]", ip, port);
}

/* true when a line about `peer` may be written now; *held: lines held back before */
static bool rl_allow(struct ikev2 *ctx, struct ikev2_rl *rl, const struct sockaddr_storage *peer, uint32_t *held)
{
	uint8_t key[17] = { 0 };
	size_t al = 0;
	if (peer->ss_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)peer)->sin_addr, 4);
		al = 4;
	} else if (peer->ss_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
		al = 16;
	}
	key[16] = (uint8_t)peer->ss_family;
	struct ikev2_rl_slot *s = &rl->slot[ikev2_siphash(ctx->rl_key, key, sizeof(key)) % IKEV2_RL_SLOTS];
	uint64_t now = ctx->now_ms();
	bool same = s->family == peer->ss_family && !memcmp(s->addr, key, al);
	*held = 0;
	if (same && s->last_ms && now - s->last_ms < ctx->log_interval_ms) {
		s->suppressed++;
		ctx->st.log_suppressed++;
		return false;
	}
	/* global cap: at most 20 lines per second from all sources together */
	if (now - rl->window_ms >= 1000) {
		rl->window_ms = now;
		rl->window_lines = 0;
	}
	if (rl->window_lines >= 20) {
		if (same)
			s->suppressed++;
		ctx->st.log_suppressed++;
		return false;
	}
	rl->window_lines++;
	*held = same ? s->suppressed : 0;
	memcpy(s->addr, key, 16);
	s->family = (uint8_t)peer->ss_family;
	s->suppressed = 0;
	s->last_ms = now ? now : 1;
	return true;
}

static void vline(struct ikev2 *ctx, int level, const struct sockaddr_storage *peer, const char *identity,
		  unsigned win_err, const char *fmt, va_list ap) KANMON_PRINTF(6, 0);

static void vline(struct ikev2 *ctx, int level, const struct sockaddr_storage *peer, const char *identity,
		  unsigned win_err, const char *fmt, va_list ap)
{
	uint32_t held;
	struct ikev2_rl *rl = level <= KANMON_LOG_NOTICE ? &ctx->rl_refuse : &ctx->rl_drop;
	if (!ctx->host->log_enabled(ctx->host, level) || !rl_allow(ctx, rl, peer, &held))
		return;
	char addr[64], why[768], id[300] = "", win[48] = "", more[64] = "";
	ikev2_addr_str(peer, addr, sizeof(addr));
	vsnprintf(why, sizeof(why), fmt, ap);
	if (identity && identity[0])
		snprintf(id, sizeof(id), " id=%s", identity);
	if (win_err)
		snprintf(win, sizeof(win), " (Windows error %u)", win_err);
	if (held)
		snprintf(more, sizeof(more), " [%u similar line%s held back]", held, held == 1 ? "" : "s");
	ctx->host->log(ctx->host, level, "%s client %s%s: %s%s%s", level <= KANMON_LOG_NOTICE ? "refused" : "dropped",
		       addr, id, why, win, more);
}

void ikev2_refuse(struct ikev2 *ctx, const struct sockaddr_storage *peer, const char *identity, unsigned win_err,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(ctx, KANMON_LOG_NOTICE, peer, identity, win_err, fmt, ap);
	va_end(ap);
}

void ikev2_drop(struct ikev2 *ctx, const struct sockaddr_storage *peer, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(ctx, KANMON_LOG_DEBUG, peer, NULL, 0, fmt, ap);
	va_end(ap);
}

/* printable text, other bytes as '?': identities come from the network */
static void clean_copy(char *buf, size_t len, const uint8_t *data, size_t n)
{
	size_t i;
	for (i = 0; i < n && i + 1 < len; i++)
		buf[i] = data[i] >= 0x20 && data[i] < 0x7f ? (char)data[i] : '?';
	buf[i] = '\0';
}

void ikev2_id_str(const struct ikev2_id *id, char *buf, size_t len)
{
	if (!len)
		return;
	buf[0] = '\0';
	switch (id->type) {
	case 1:	/* ID_IPV4_ADDR */
		if (id->len == 4)
			inet_ntop(AF_INET, id->data, buf, (socklen_t)len);
		break;
	case 5:	/* ID_IPV6_ADDR */
		if (id->len == 16)
			inet_ntop(AF_INET6, id->data, buf, (socklen_t)len);
		break;
	case 2:	/* ID_FQDN */
	case 3:	/* ID_RFC822_ADDR */
		clean_copy(buf, len, id->data, id->len);
		break;
	case 9: {	/* ID_DER_ASN1_DN */
		gnutls_datum_t in = { (unsigned char *)id->data, (unsigned)id->len }, out = { NULL, 0 };
		if (!gnutls_x509_rdn_get2(&in, &out, GNUTLS_X509_DN_FLAG_COMPAT)) {
			clean_copy(buf, len, out.data, out.size);
			gnutls_free(out.data);
		}
		break;
	}
	default:
		break;
	}
	if (!buf[0])
		snprintf(buf, len, "(ID type %u, %zu bytes)", id->type, id->len);
}
