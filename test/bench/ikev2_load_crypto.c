/* SPDX-License-Identifier: MIT */
/*
 * ikev2_load_crypto.c - the public-key work a responder does per
 * certificate handshake, timed through kanmond's own code so the bound is
 * kanmond's (strongSwan uses OpenSSL: its bound would differ somewhat):
 *   server AUTH signature   certstore_sign (RSA-2048 PKCS#1 v1.5 or ECDSA
 *                           P-256, SHA-256: what ikev2_auth.c asks for)
 *   ECDH P-256              dh_new + dh_public + dh_shared (core/crypto)
 *   client AUTH check       ikev2_sig_verify, RFC 7427 ECDSA P-256 SHA-256
 *   chain verification      certstore_verify of one client certificate
 *                           against the CA, with its identity
 * Everything else a handshake costs (PRF, AES-GCM, parsing, SA install)
 * is outside the bound, so 100% of it is not reachable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <kanmon/cert.h>

#include "certstore.h"
#include "conf.h"
#include "diag.h"
#include "ikev2_load.h"
#include "ikev2_sig.h"
#include "settings.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* microseconds per call of fn(arg), run for `seconds`; negative on failure */
static double time_op(int (*fn)(void *), void *arg, double seconds)
{
	long n = 0;
	for (int i = 0; i < 5; i++)	/* warm up */
		if (fn(arg))
			return -1;
	double t0 = now_s(), t;
	do {
		for (int i = 0; i < 10; i++, n++)
			if (fn(arg))
				return -1;
		t = now_s();
	} while (t - t0 < seconds);
	return (t - t0) * 1e6 / (double)n;
}

struct ctx {
	struct certstore *cs;
	uint8_t data[700];		/* like the octets a server signs (~ IKE_SA_INIT + nonce + MAC) */
	uint8_t peer_pub[DH_MAX_PUB];
	const struct load_client *cl;
	uint8_t auth[200];
	size_t auth_len;
	struct cert_id id;
};

static int op_sign(void *arg)
{
	struct ctx *c = arg;
	uint8_t sig[1024];
	size_t sl = sizeof(sig);
	return certstore_sign(c->cs, "server", KANMON_HASH_SHA256, 0, c->data, sizeof(c->data), sig, &sl);
}

static int op_ecdh(void *arg)
{
	struct ctx *c = arg;
	struct dh *d;
	uint8_t pub[DH_MAX_PUB], gir[64];
	int err = dh_new(DH_ECP256, &d);
	if (err)
		return err;
	err = dh_public(d, pub, dh_public_len(DH_ECP256));
	if (!err)
		err = dh_shared(d, c->peer_pub, dh_public_len(DH_ECP256), gir, dh_shared_len(DH_ECP256));
	dh_free(d);
	return err;
}

static int op_verify(void *arg)
{
	struct ctx *c = arg;
	struct ikev2_sig_info info;
	const char *why;
	return ikev2_sig_verify(IKEV2_AUTH_DIGITAL_SIG, c->auth, c->auth_len, c->cl->cert, c->cl->cert_len, c->data,
				sizeof(c->data), false, &info, &why);
}

static int op_chain(void *arg)
{
	struct ctx *c = arg;
	struct kanmon_blob b = { c->cl->cert, c->cl->cert_len };
	struct kanmon_cert_result res = { .size = sizeof(res) };
	int err = certstore_verify(c->cs, &b, 1, KANMON_CERT_CLIENT, &c->id.id, time(NULL), &res);
	if (err)
		fprintf(stderr, "ikev2_loadgen crypto: client certificate refused: %s\n", res.reason);
	return err;
}

int load_crypto_bench(const char *dir, const char *server_key, double seconds)
{
	struct load_clients cl = { 0 };
	struct diag d = { 0 };
	struct conf *conf = NULL;
	struct ctx c = { 0 };
	struct dh *peer = NULL;
	char text[2048];
	int err = load_clients_read(dir, &cl);
	if (err)
		return err;
	if (!cl.n) {
		fprintf(stderr, "ikev2_loadgen crypto: no clients in %s\n", dir);
		err = -EINVAL;
		goto cleanup;
	}
	snprintf(text, sizeof(text),
		 "plugins = [];\nca = { trust = [\"%s/ca.crt\"]; certificates = ( { name = \"server\"; "
		 "cert = \"%s/server-%s.crt\"; key = \"%s/server-%s.key\"; } ); };\n",
		 dir, dir, server_key, dir, server_key);
	struct certstore_params p = { .state_dir = dir, .load_keys = true };
	if ((err = conf_parse_text("crypto.conf", text, &conf, &d)) ||
	    (err = conf_validate(conf, core_settings, NULL, 0, &d)) ||
	    !(p.ca = conf_group(conf_root(conf), "ca")) || (err = certstore_new(&p, &c.cs, &d))) {
		fprintf(stderr, "ikev2_loadgen crypto: certificate store:\n");
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "  %s\n", d.lines[i]);
		err = err ? err : -EINVAL;
		goto cleanup;
	}
	memset(c.data, 0x5c, sizeof(c.data));
	c.cl = &cl.c[0];
	if ((err = dh_new(DH_ECP256, &peer)) || (err = dh_public(peer, c.peer_pub, dh_public_len(DH_ECP256))))
		goto cleanup;
	size_t hl = ikev2_sig_rfc7427_header(KANMON_KEY_ECDSA, KANMON_HASH_SHA256, c.auth);
	size_t sl = sizeof(c.auth) - hl;
	if ((err = load_client_sign(c.cl, c.data, sizeof(c.data), c.auth + hl, &sl)) ||
	    (err = cert_id_from_text(c.cl->id, &c.id)))
		goto cleanup;
	c.auth_len = hl + sl;

	struct {
		const char *name;
		int (*fn)(void *);
		double us;
	} ops[] = {
		{ !strcmp(server_key, "rsa") ? "RSA-2048 sign (server AUTH)" : "ECDSA P-256 sign (server AUTH)", op_sign, 0 },
		{ "ECDH P-256 keygen + derive", op_ecdh, 0 },
		{ "ECDSA P-256 verify (client AUTH)", op_verify, 0 },
		{ "X.509 verify of a client cert", op_chain, 0 },
	};
	double total = 0;
	printf("crypto per handshake, kanmond's code paths (GnuTLS/nettle), server key %s:\n", server_key);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if ((ops[i].us = time_op(ops[i].fn, &c, seconds)) < 0) {
			fprintf(stderr, "ikev2_loadgen crypto: %s failed\n", ops[i].name);
			err = -EIO;
			goto cleanup;
		}
		total += ops[i].us;
		printf("  %-36s %8.1f us  %9.0f /s\n", ops[i].name, ops[i].us, 1e6 / ops[i].us);
	}
	printf("  %-36s %8.1f us  %9.0f handshakes per CPU-second (the bound)\n", "sum", total, 1e6 / total);
	printf("CRYPTO server_key=%s sign_us=%.1f ecdh_us=%.1f verify_us=%.1f chain_us=%.1f total_us=%.1f bound_hs_per_s=%.1f\n",
	       server_key, ops[0].us, ops[1].us, ops[2].us, ops[3].us, total, 1e6 / total);
cleanup:
	dh_free(peer);
	if (c.cs)
		certstore_free(c.cs);
	if (conf)
		conf_free(conf);
	diag_clear(&d);
	load_clients_free(&cl);
	return err;
}
