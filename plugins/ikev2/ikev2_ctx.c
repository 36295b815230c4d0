/* SPDX-License-Identifier: MIT */
/*
 * ikev2_ctx.c - the plugin context from plain settings: proposals parsed
 * and checked (a wrong one is an error naming the setting), the SA table,
 * the secrets of cookies and the log rate limiter. Kept apart from the
 * descriptor so the tests build contexts without a daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "ikev2.h"

static const char *const def_ike[] = { IKEV2_DEF_IKE_AEAD, IKEV2_DEF_IKE_CBC };
static const char *const def_esp[] = { IKEV2_DEF_ESP_AEAD, IKEV2_DEF_ESP_CBC };

void ikev2_config_defaults(struct ikev2_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->server_id = "";
	cfg->certificate = "server";
	cfg->pool = "";
	cfg->port = 500;
	cfg->natt_port = 4500;
	for (size_t i = 0; i < 2; i++) {
		cfg->proposals[cfg->n_proposals++] = def_ike[i];
		cfg->esp_proposals[cfg->n_esp_proposals++] = def_esp[i];
	}
	cfg->split_include[cfg->n_split_include++] = "0.0.0.0/0";
	cfg->split_include[cfg->n_split_include++] = "::/0";
	cfg->sha1_signatures = true;
	cfg->duplicates = "replace";
	cfg->child_rekey = 3600;
	cfg->child_jitter = 300;
	cfg->child_life = 3960;
	cfg->fragmentation = true;
	cfg->fragment_size = 1280;
	cfg->fragment_memory_kib = 4096;
	cfg->dpd = 30;
	cfg->half_open_max = 2048;
	cfg->cookie_threshold = 512;
	cfg->half_open_timeout = 30;
	cfg->log_interval = 10;
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int parse_list(struct ikev2 *ctx, const char *setting, const char *const *list, size_t n, uint8_t protocol,
		      struct ikev2_proposal *out)
{
	char err[256];
	for (size_t i = 0; i < n; i++) {
		if (ikev2_proposal_parse_conf(list[i], protocol, &out[i], err, sizeof(err))) {
			ctx->host->log(ctx->host, KANMON_LOG_ERR, "ikev2.%s: %s", setting, err);
			return -EINVAL;
		}
	}
	return 0;
}

/* split_include prefixes into the selectors clients may be given as TSr; 0 or -EINVAL with err */
static int parse_split(const struct ikev2_config *cfg, struct ikev2_ts_set *out, char *err, size_t len)
{
	out->n = 0;
	for (size_t i = 0; i < cfg->n_split_include && i < IKEV2_MAX_TS; i++) {
		char buf[INET6_ADDRSTRLEN + 8];
		snprintf(buf, sizeof(buf), "%s", cfg->split_include[i]);
		char *slash = strchr(buf, '/');
		struct sockaddr_storage a = { 0 };
		long plen = -1;
		if (slash) {
			*slash = 0;
			plen = strtol(slash + 1, NULL, 10);
		}
		if (inet_pton(AF_INET, buf, &((struct sockaddr_in *)&a)->sin_addr) == 1) {
			a.ss_family = AF_INET;
			plen = plen < 0 ? 32 : plen;
		} else if (inet_pton(AF_INET6, buf, &((struct sockaddr_in6 *)&a)->sin6_addr) == 1) {
			a.ss_family = AF_INET6;
			plen = plen < 0 ? 128 : plen;
		} else {
			snprintf(err, len, "split_include: '%s' is not a prefix", cfg->split_include[i]);
			return -EINVAL;
		}
		if (plen > (a.ss_family == AF_INET ? 32 : 128)) {
			snprintf(err, len, "split_include: '%s' has a bad prefix length", cfg->split_include[i]);
			return -EINVAL;
		}
		ikev2_ts_from_prefix(&out->ts[out->n++], &a, (unsigned)plen);
	}
	if (!out->n) {
		snprintf(err, len, "split_include: empty: clients could reach nothing");
		return -EINVAL;
	}
	return 0;
}

static int check_list(const char *setting, const char *const *list, size_t n, uint8_t protocol,
		      struct ikev2_proposal *out, char *err, size_t len)
{
	char why[256];
	for (size_t i = 0; i < n; i++) {
		if (ikev2_proposal_parse_conf(list[i], protocol, &out[i], why, sizeof(why))) {
			snprintf(err, len, "%s: %s", setting, why);
			return -EINVAL;
		}
	}
	return 0;
}

int ikev2_config_check(const struct ikev2_config *cfg, char *err, size_t len)
{
	struct ikev2_proposal *p = calloc(IKEV2_MAX_CONF_PROPOSALS, sizeof(*p));
	struct ikev2_ts_set *ts = malloc(sizeof(*ts));
	int r = -ENOMEM;
	if (!p || !ts)
		goto out;
	r = -EINVAL;
	if (!cfg->n_proposals && !cfg->n_legacy_proposals) {
		snprintf(err, len, "no IKE proposals configured (proposals and legacy_proposals are empty)");
		goto out;
	}
	if (cfg->port == cfg->natt_port) {
		snprintf(err, len, "port and natt_port must differ (both %u)", cfg->port);
		goto out;
	}
	if (cfg->child_life && cfg->child_rekey && cfg->child_life <= cfg->child_rekey) {
		snprintf(err, len, "child_life (%u s) must be longer than child_rekey (%u s)", cfg->child_life,
			 cfg->child_rekey);
		goto out;
	}
	if ((r = check_list("proposals", cfg->proposals, cfg->n_proposals, IKEV2_PROTO_IKE, p, err, len)) ||
	    (r = check_list("legacy_proposals", cfg->legacy_proposals, cfg->n_legacy_proposals, IKEV2_PROTO_IKE, p,
			    err, len)) ||
	    (r = check_list("esp_proposals", cfg->esp_proposals, cfg->n_esp_proposals, IKEV2_PROTO_ESP, p, err,
			    len)) ||
	    (r = parse_split(cfg, ts, err, len)))
		goto out;
	r = 0;
out:
	free(p);
	free(ts);
	return r;
}

int ikev2_ctx_new(const struct kanmon_host *h, const struct ikev2_config *cfg, struct ikev2 **out)
{
	struct ikev2 *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	int err = -ENOMEM;
	ctx->host = h;
	ctx->now_ms = monotonic_ms;
	ctx->port = (uint16_t)cfg->port;
	ctx->natt_port = (uint16_t)cfg->natt_port;
	snprintf(ctx->server_id, sizeof(ctx->server_id), "%s", cfg->server_id ? cfg->server_id : "");
	snprintf(ctx->certificate, sizeof(ctx->certificate), "%s", cfg->certificate ? cfg->certificate : "");
	snprintf(ctx->pool, sizeof(ctx->pool), "%s", cfg->pool ? cfg->pool : "");
	ctx->fragmentation = cfg->fragmentation;
	ctx->fragment_size = cfg->fragment_size;
	ctx->frag_budget.limit = (size_t)cfg->fragment_memory_kib * 1024;
	ctx->dpd = cfg->dpd;
	ctx->sha1_signatures = cfg->sha1_signatures;
	const char *d = cfg->duplicates ? cfg->duplicates : "replace";
	ctx->duplicates = !strcmp(d, "keep") ? IKEV2_DUP_KEEP : !strcmp(d, "refuse") ? IKEV2_DUP_REFUSE : IKEV2_DUP_REPLACE;
	ctx->child_soft.seconds = cfg->child_rekey;
	ctx->child_hard.seconds = cfg->child_life;
	ctx->child_jitter = cfg->child_jitter < cfg->child_rekey ? cfg->child_jitter : cfg->child_rekey / 2;
	ctx->half_open_max = cfg->half_open_max;
	ctx->cookie_threshold = cfg->cookie_threshold;
	ctx->half_open_timeout_ms = (uint64_t)cfg->half_open_timeout * 1000;
	ctx->log_interval_ms = (uint64_t)cfg->log_interval * 1000;

	ctx->n_ike = cfg->n_proposals + cfg->n_legacy_proposals;
	ctx->ike_legacy_from = cfg->n_proposals;
	ctx->n_esp = cfg->n_esp_proposals;
	ctx->ike_conf = calloc(ctx->n_ike ? ctx->n_ike : 1, sizeof(*ctx->ike_conf));
	ctx->esp_conf = calloc(ctx->n_esp ? ctx->n_esp : 1, sizeof(*ctx->esp_conf));
	if (!ctx->ike_conf || !ctx->esp_conf)
		goto fail;
	if (!ctx->n_ike) {
		h->log(h, KANMON_LOG_ERR, "ikev2: no IKE proposals configured (proposals and legacy_proposals are empty)");
		err = -EINVAL;
		goto fail;
	}
	if (ctx->port == ctx->natt_port) {
		h->log(h, KANMON_LOG_ERR, "ikev2: port and natt_port must differ (both %u)", ctx->port);
		err = -EINVAL;
		goto fail;
	}
	if ((err = parse_list(ctx, "proposals", cfg->proposals, cfg->n_proposals, IKEV2_PROTO_IKE, ctx->ike_conf)) ||
	    (err = parse_list(ctx, "legacy_proposals", cfg->legacy_proposals, cfg->n_legacy_proposals,
			      IKEV2_PROTO_IKE, ctx->ike_conf + cfg->n_proposals)) ||
	    (err = parse_list(ctx, "esp_proposals", cfg->esp_proposals, cfg->n_esp_proposals, IKEV2_PROTO_ESP,
			      ctx->esp_conf)))
		goto fail;
	if (ctx->pool[0] && h->pool_conf && !h->pool_conf(h, ctx->pool)) {
		h->log(h, KANMON_LOG_ERR, "ikev2.pool: pool '%s' is not configured in pools", ctx->pool);
		err = -ENOENT;
		goto fail;
	}
	char why[512];
	if ((err = parse_split(cfg, &ctx->split, why, sizeof(why)))) {
		h->log(h, KANMON_LOG_ERR, "ikev2.%s", why);
		goto fail;
	}
	if (cfg->n_dns_domains) {
		if (!(ctx->domains = calloc(cfg->n_dns_domains, sizeof(*ctx->domains))))
			goto fail;
		for (; ctx->n_domains < cfg->n_dns_domains; ctx->n_domains++)
			if (!(ctx->domains[ctx->n_domains] = strdup(cfg->dns_domains[ctx->n_domains])))
				goto fail;
	}
	/* the SA backend, when one is loaded (the plugin requires one; tests may not) */
	if (h->sa_backend && h->sa_backend(h, &ctx->sa_ops, &ctx->sa_be))
		ctx->sa_ops = NULL, ctx->sa_be = NULL;
	if ((err = ikev2_sa_table_init(&ctx->sas, 256)))
		goto fail;
	if (gnutls_rnd(GNUTLS_RND_RANDOM, ctx->rl_key, sizeof(ctx->rl_key)) ||
	    gnutls_rnd(GNUTLS_RND_KEY, ctx->cookie_secret, sizeof(ctx->cookie_secret))) {
		err = -EIO;
		goto fail;
	}
	*out = ctx;
	return 0;
fail:
	ikev2_ctx_free(ctx);
	return err;
}

void ikev2_ctx_free(struct ikev2 *ctx)
{
	if (!ctx)
		return;
	ikev2_sa_table_free(ctx);
	free(ctx->ike_conf);
	free(ctx->esp_conf);
	for (size_t i = 0; i < ctx->n_domains; i++)
		free(ctx->domains[i]);
	free(ctx->domains);
	gnutls_memset(ctx->cookie_secret, 0, sizeof(ctx->cookie_secret));
	gnutls_memset(ctx->plain, 0, sizeof(ctx->plain));
	free(ctx);
}

