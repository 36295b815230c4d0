/* SPDX-License-Identifier: MIT */
/*
 * ikev2 - IKEv2 responder (RFC 7296) for remote-access clients: iOS,
 * macOS, Windows, Android and strongSwan (../shared/CLIENTS.md).
 *
 * This file: the descriptor, the settings schema (defaults in ikev2.h),
 * init/fini/reload and the registration on the IKE ports (500, and 4500 with
 * RFC 3948's non-ESP marker, shared with the SA backend's ESP-in-UDP and an
 * IKEv1 plugin). See ikev2.h for the map of the other files.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ikev2.h"

static const char *const dup_choices[] = { "replace", "keep", "refuse", NULL };

static const struct kanmon_setting ikev2_settings[] = {
	{ .name = "server_id", .type = KANMON_CONF_STRING, .def = "",
	  .help = "The server's IKE identity (IDr) clients are given, e.g. vpn.example.com; it must be a "
		  "subjectAltName of the certificate (iOS 13+, Windows). Empty: the certificate's first one." },
	{ .name = "certificate", .type = KANMON_CONF_STRING, .def = "server",
	  .help = "Server certificate: a name in the certificate store, or a file path (contains '/')." },
	{ .name = "pool", .type = KANMON_CONF_STRING, .def = "",
	  .help = "Address pool (pools = ( { name = ...; } )) clients get their virtual address and DNS from." },
	{ .name = "port", .type = KANMON_CONF_INT, .def = "500", .min = 1, .max = 65535,
	  .help = "UDP port of IKE." },
	{ .name = "natt_port", .type = KANMON_CONF_INT, .def = "4500", .min = 1, .max = 65535,
	  .help = "UDP port of NAT traversal (RFC 3948), shared with ESP-in-UDP." },
	{ .name = "proposals", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_LIST, .max = IKEV2_MAX_CONF_PROPOSALS,
	  .def = IKEV2_DEF_IKE_AEAD ", " IKEV2_DEF_IKE_CBC,
	  .help = "IKE proposals in the server's order of preference, e.g. \"aes256gcm16-prfsha256-ecp256\", "
		  "\"aes256-sha256-modp2048\": algorithms joined by '-', several of a kind allowed." },
	{ .name = "legacy_proposals", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_LIST,
	  .max = IKEV2_MAX_CONF_PROPOSALS, .def = "",
	  .help = "Weak IKE proposals tried after `proposals`, for clients that offer nothing better: Windows' "
		  "defaults need e.g. \"aes256-sha1-modp1024\", \"3des-sha1-modp1024\". Empty: off." },
	{ .name = "esp_proposals", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_LIST,
	  .max = IKEV2_MAX_CONF_PROPOSALS, .def = IKEV2_DEF_ESP_AEAD ", " IKEV2_DEF_ESP_CBC,
	  .help = "ESP (CHILD SA) proposals in the server's order; modpnone makes PFS optional (macOS rekeys "
		  "without a DH group)." },
	{ .name = "fragmentation", .type = KANMON_CONF_BOOL, .def = "true",
	  .help = "RFC 7383 IKE fragmentation with clients that support it (all current ones)." },
	{ .name = "fragment_size", .type = KANMON_CONF_INT, .def = "1280", .min = 576, .max = 65535,
	  .help = "Largest IP datagram of an IKE fragment we send; never larger than the client's own fragments." },
	{ .name = "fragment_memory", .type = KANMON_CONF_INT, .def = "4096", .min = 64, .max = 1048576,
	  .help = "KiB all reassembly buffers together may use (each message is bounded to 32 KiB too)." },
	{ .name = "dpd", .type = KANMON_CONF_INT, .flags = KANMON_CONF_RELOAD, .def = "30", .min = 0, .max = 86400,
	  .help = "Seconds of silence before a liveness check of a client; 0: never." },
	{ .name = "sha1_signatures", .type = KANMON_CONF_BOOL, .def = "true",
	  .help = "Accept client AUTH signatures made with SHA-1 (RSA method 1): Windows' machine certificates "
		  "and Android/iOS without RFC 7427 sign this way; false refuses them (Windows error 13838)." },
	{ .name = "duplicates", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_RELOAD, .def = "replace",
	  .choices = dup_choices,
	  .help = "A second connection with the same identity: \"replace\" ends the old one (a phone that "
		  "reconnected without deleting its SAs gets its address back), \"keep\" allows both (each its own "
		  "address), \"refuse\" refuses the new one. INITIAL_CONTACT always replaces." },
	{ .name = "child_rekey", .type = KANMON_CONF_INT, .def = "3600", .min = 0, .max = 604800,
	  .help = "Seconds after which we rekey a CHILD SA (minus up to child_jitter at random, so many clients "
		  "do not rekey at once); 0: leave rekeying to the clients." },
	{ .name = "child_jitter", .type = KANMON_CONF_INT, .def = "300", .min = 0, .max = 86400,
	  .help = "Seconds of random jitter taken off child_rekey per CHILD SA." },
	{ .name = "child_life", .type = KANMON_CONF_INT, .def = "3960", .min = 0, .max = 691200,
	  .help = "Seconds after which a CHILD SA that was not rekeyed is removed (hard lifetime); 0: never." },
	{ .name = "split_include", .type = KANMON_CONF_PREFIX, .flags = KANMON_CONF_LIST,
	  .def = "0.0.0.0/0, ::/0",
	  .help = "Networks clients reach through the tunnel (traffic selectors); 0.0.0.0/0 = everything." },
	{ .name = "dns_domains", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_LIST, .def = "",
	  .help = "Split DNS: domains whose names clients resolve through the tunnel (INTERNAL_DNS_DOMAIN)." },
	{ .name = "half_open_max", .type = KANMON_CONF_INT, .def = "2048", .min = 1, .max = 1000000,
	  .help = "IKE SAs waiting for IKE_AUTH at most; further IKE_SA_INIT requests are dropped." },
	{ .name = "cookie_threshold", .type = KANMON_CONF_INT, .def = "512", .min = 0, .max = 1000000,
	  .help = "From this many half-open IKE SAs on, clients must return a cookie first (RFC 7296 2.6); 0: never." },
	{ .name = "half_open_timeout", .type = KANMON_CONF_INT, .def = "30", .min = 2, .max = 600,
	  .help = "Seconds a half-open IKE SA waits for IKE_AUTH." },
	{ .name = "log_interval", .type = KANMON_CONF_INT, .flags = KANMON_CONF_RELOAD, .def = "10", .min = 0,
	  .max = 3600, .help = "At most one line per refused client address in this many seconds." },
	KANMON_SETTINGS_END,
};

/* ---- plugin glue ------------------------------------------------------------ */

static void read_list(const struct kanmon_host *h, const struct kanmon_conf *conf, const char *name,
		      const char **out, size_t *n)
{
	size_t count = h->conf_count(conf, name);
	*n = 0;
	for (size_t i = 0; i < count && i < IKEV2_MAX_CONF_PROPOSALS; i++)
		out[(*n)++] = h->conf_string_at(conf, name, i);
}

static void ikev2_fini(void *state)
{
	struct ikev2 *ctx = state;
	if (!ctx)
		return;
	const struct kanmon_host *h = ctx->host;
	const struct ikev2_stats *s = &ctx->st;
	h->log(h, KANMON_LOG_INFO,
	       "stopping: %llu datagrams, %llu IKE_SA_INIT answered, %llu no proposal, %llu INVALID_KE, "
	       "%llu malformed, %llu unknown SPI, %llu outside the window, %llu ICV failures, %llu retransmits "
	       "answered, %llu fragments (%llu dropped, %llu over the memory bound), %llu IKE_AUTH, %llu established, "
	       "%llu CHILD SAs, %llu rekeys, %llu liveness checks, %llu clients gone silent",
	       (unsigned long long)s->rx, (unsigned long long)s->sa_init, (unsigned long long)s->no_proposal,
	       (unsigned long long)s->invalid_ke, (unsigned long long)(s->malformed + s->oversized),
	       (unsigned long long)s->bad_spi, (unsigned long long)s->bad_msgid,
	       (unsigned long long)s->icv_failed, (unsigned long long)s->retransmits,
	       (unsigned long long)s->frag_rx, (unsigned long long)s->frag_dropped,
	       (unsigned long long)s->frag_nobufs, (unsigned long long)s->auth_requests,
	       (unsigned long long)s->established, (unsigned long long)s->children,
	       (unsigned long long)(s->child_rekeys + s->ike_rekeys), (unsigned long long)s->dpd_sent,
	       (unsigned long long)s->dpd_dead);
	h->net_unregister(ctx->reg);
	h->net_unregister(ctx->reg_natt);
	ikev2_ctx_free(ctx);
}

static int ikev2_reload(void *state, const struct kanmon_conf *conf)
{
	struct ikev2 *ctx = state;
	ctx->dpd = (unsigned)ctx->host->conf_int(conf, "dpd");
	ctx->log_interval_ms = (uint64_t)ctx->host->conf_int(conf, "log_interval") * 1000;
	const char *d = ctx->host->conf_string(conf, "duplicates");
	ctx->duplicates = !strcmp(d, "keep") ? IKEV2_DUP_KEEP : !strcmp(d, "refuse") ? IKEV2_DUP_REFUSE : IKEV2_DUP_REPLACE;
	return 0;
}

/* the settings as plain data */
static void read_config(const struct kanmon_host *h, const struct kanmon_conf *conf, struct ikev2_config *cfg_out)
{
	struct ikev2_config cfg;
	ikev2_config_defaults(&cfg);
	cfg.server_id = h->conf_string(conf, "server_id");
	cfg.certificate = h->conf_string(conf, "certificate");
	cfg.pool = h->conf_string(conf, "pool");
	cfg.port = (unsigned)h->conf_int(conf, "port");
	cfg.natt_port = (unsigned)h->conf_int(conf, "natt_port");
	read_list(h, conf, "proposals", cfg.proposals, &cfg.n_proposals);
	read_list(h, conf, "legacy_proposals", cfg.legacy_proposals, &cfg.n_legacy_proposals);
	read_list(h, conf, "esp_proposals", cfg.esp_proposals, &cfg.n_esp_proposals);
	read_list(h, conf, "dns_domains", cfg.dns_domains, &cfg.n_dns_domains);
	cfg.n_split_include = 0;
	for (size_t i = 0; i < h->conf_count(conf, "split_include") && i < IKEV2_MAX_TS; i++)
		cfg.split_include[cfg.n_split_include++] = h->conf_string_at(conf, "split_include", i);
	cfg.sha1_signatures = h->conf_bool(conf, "sha1_signatures");
	cfg.duplicates = h->conf_string(conf, "duplicates");
	cfg.child_rekey = (unsigned)h->conf_int(conf, "child_rekey");
	cfg.child_jitter = (unsigned)h->conf_int(conf, "child_jitter");
	cfg.child_life = (unsigned)h->conf_int(conf, "child_life");
	cfg.fragmentation = h->conf_bool(conf, "fragmentation");
	cfg.fragment_size = (unsigned)h->conf_int(conf, "fragment_size");
	cfg.fragment_memory_kib = (unsigned)h->conf_int(conf, "fragment_memory");
	cfg.dpd = (unsigned)h->conf_int(conf, "dpd");
	cfg.half_open_max = (unsigned)h->conf_int(conf, "half_open_max");
	cfg.cookie_threshold = (unsigned)h->conf_int(conf, "cookie_threshold");
	cfg.half_open_timeout = (unsigned)h->conf_int(conf, "half_open_timeout");
	cfg.log_interval = (unsigned)h->conf_int(conf, "log_interval");
	*cfg_out = cfg;
}

static int ikev2_check(const struct kanmon_host *h, const struct kanmon_conf *conf, char *err, size_t len)
{
	struct ikev2_config cfg;
	read_config(h, conf, &cfg);
	return ikev2_config_check(&cfg, err, len);
}

static int ikev2_init(const struct kanmon_host *h, const struct kanmon_conf *conf, void **state)
{
	struct ikev2_config cfg;
	read_config(h, conf, &cfg);
	struct ikev2 *ctx;
	int err = ikev2_ctx_new(h, &cfg, &ctx);
	if (err)
		return err;
	struct kanmon_net_handler nh = { .size = sizeof(nh), .port = ctx->port, .classify = ikev2_classify,
					 .receive = ikev2_receive, .arg = ctx };
	struct kanmon_net_handler nt = { .size = sizeof(nt), .port = ctx->natt_port, .flags = KANMON_NET_NATT,
					 .classify = ikev2_classify_natt, .receive = ikev2_receive, .arg = ctx };
	if ((err = h->net_register(h, &nh, &ctx->reg)) || (err = h->net_register(h, &nt, &ctx->reg_natt))) {
		h->net_unregister(ctx->reg);
		ikev2_ctx_free(ctx);
		return err;
	}
	/* soft expiries start our rekeys, hard ones remove what the backend deleted */
	if (h->sa_subscribe)
		h->sa_subscribe(h, ikev2_sa_event, ctx);
	/* what clients will demand of the server certificate, said once at start */
	if (h->size > offsetof(struct kanmon_host, cert_check_server) && h->cert_check_server &&
	    h->cert_check_server(h, ctx->certificate, ctx->server_id) == -ENOENT)
		h->log(h, KANMON_LOG_WARNING, "ikev2.certificate: '%s' is not in the certificate store: every client "
		       "will be refused until it is (kanmonctl cert, or ca.certificates)", ctx->certificate);
	h->log(h, KANMON_LOG_INFO, "IKEv2 responder on udp %u and %u: %zu IKE proposal%s%s, fragmentation %s",
	       ctx->port, ctx->natt_port, ctx->n_ike, ctx->n_ike == 1 ? "" : "s",
	       ctx->ike_legacy_from < ctx->n_ike ? " (legacy suites enabled)" : "",
	       ctx->fragmentation ? "on" : "off");
	*state = ctx;
	return 0;
}

static const char *const ikev2_requires[] = { "sa-backend", NULL };

KANMON_PLUGIN(.name = "ikev2", .requires = ikev2_requires, .version = "0.1", .description = "IKEv2 responder for remote-access clients",
	      .settings = ikev2_settings, .init = ikev2_init, .reload = ikev2_reload, .fini = ikev2_fini,
	      .check = ikev2_check);
