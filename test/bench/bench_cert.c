/* SPDX-License-Identifier: MIT */
/*
 * bench_cert - what certificates cost kanmond and the operator:
 *  1. chain verification with revocation, as an IKE plugin's cert_verify
 *     does it per IKE_AUTH (DER in, trust list, validity, EKU, identity),
 *     against 10,000 revoked serials from a CRL: verifications/s for an
 *     accepted and for a revoked certificate, RSA-2048 throughout. For
 *     comparison the same CRL checked by GnuTLS's own trust list (what the
 *     revoked-serial hash set replaces).
 *  2. time to issue a client bundle with RSA-2048: `kanmonctl client add`
 *     as the operator runs it (process start, store, key, certificate,
 *     PKCS#12, profiles, files).
 * Prints figures only; never fails on timing.
 *   bench_cert [KANMONCTL [VERIFICATIONS [BUNDLES]]]   (defaults: $KANMONCTL, 20000, 10;
 *   without a kanmonctl the bundle run is skipped)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "certstore.h"
#include "conf.h"
#include "log.h"
#include "settings.h"
#include "store.h"

#define REVOKED 10000

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void die(const char *what, struct diag *d)
{
	fprintf(stderr, "bench_cert: %s\n", what);
	for (size_t i = 0; d && i < d->n; i++)
		fprintf(stderr, "  %s\n", d->lines[i]);
	exit(1);
}

static gnutls_datum_t der_of(gnutls_x509_crt_t c)
{
	gnutls_datum_t d;
	if (gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &d) < 0)
		die("export", NULL);
	return d;
}

/* Issues NAME as a client and returns its DER. */
static gnutls_datum_t issue(struct ca_ctx *ca, const char *name, struct diag *d)
{
	struct ca_issue_params p = { .name = name, .role = KANMON_CERT_CLIENT, .cn = name, .days = 365,
				     .key = CERT_KEY_RSA2048 };
	struct ca_issued is;
	if (ca_issue_prepare(ca, &p, &is, d) || ca_issue_commit(ca, &is, d))
		die("issue", d);
	gnutls_datum_t der = der_of(is.crt);
	ca_issued_clear(&is);
	return der;
}

static double rate(struct certstore *cs, const gnutls_datum_t *der, const struct kanmon_id *id, long n, int want)
{
	struct kanmon_blob b = { der->data, der->size };
	struct kanmon_cert_result res = { .size = sizeof(res) };
	double t0 = now_ms();
	for (long i = 0; i < n; i++)
		if (certstore_verify(cs, &b, 1, KANMON_CERT_CLIENT, id, time(NULL), &res) != want) {
			fprintf(stderr, "bench_cert: unexpected result %d: %s\n", res.status, res.reason);
			exit(1);
		}
	return (double)n / ((now_ms() - t0) / 1e3);
}

static void bench_verify(const char *dir, long n)
{
	struct diag d = { 0 };
	struct store *st;
	char state[600], crl_path[700], text[1000];
	snprintf(state, sizeof(state), "%s/state", dir);
	if (store_open_sqlite(state, 0, &st, &d))
		die("store", &d);
	struct ca_create_params cp = { .cn = "VPN Root CA", .country = "JP", .days = 3650, .key = CERT_KEY_RSA2048 };
	struct ca_ctx ca;
	if (ca_create(state, st, &cp, &d) || ca_open(&ca, state, st, true, NULL, &d))
		die("CA", &d);
	gnutls_datum_t good = issue(&ca, "good@vpn.example.com", &d);
	gnutls_datum_t bad = issue(&ca, "bad@vpn.example.com", &d);
	gnutls_x509_crt_t badc;
	cert_from_der(bad.data, bad.size, &badc);

	/* a CRL of the CA with 10,000 serials, the bad one among them */
	gnutls_x509_crl_t crl;
	gnutls_x509_crl_init(&crl);
	gnutls_x509_crl_set_version(crl, 2);
	gnutls_x509_crl_set_this_update(crl, time(NULL));
	gnutls_x509_crl_set_next_update(crl, time(NULL) + 86400);
	for (int i = 0; i < REVOKED - 1; i++) {
		uint8_t s[16];
		gnutls_rnd(GNUTLS_RND_NONCE, s, sizeof(s));
		s[0] = (uint8_t)((s[0] & 0x7f) | 0x40);
		gnutls_x509_crl_set_crt_serial(crl, s, sizeof(s), time(NULL));
	}
	uint8_t bs[32];
	size_t bl = sizeof(bs);
	gnutls_x509_crt_get_serial(badc, bs, &bl);
	gnutls_x509_crl_set_crt_serial(crl, bs, bl, time(NULL));
	if (gnutls_x509_crl_sign2(crl, ca.crt, ca.key, GNUTLS_DIG_SHA256, 0) < 0)
		die("CRL", NULL);
	gnutls_datum_t crl_der;
	gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_DER, &crl_der);
	snprintf(crl_path, sizeof(crl_path), "%s/big.crl", dir);
	if (cert_write_atomic(crl_path, crl_der.data, crl_der.size, 0644, NULL, &d))
		die("write CRL", &d);

	snprintf(text, sizeof(text), "plugins = [];\nca = { crl = [\"%s\"]; };\n", crl_path);
	struct conf *c = NULL;
	if (conf_parse_text("bench.conf", text, &c, &d) || conf_validate(c, core_settings, NULL, 0, &d))
		die("conf", &d);
	struct certstore_params p = { .state_dir = state, .store = st, .ca = conf_group(conf_root(c), "ca") };
	struct certstore *cs;
	double t0 = now_ms();
	if (certstore_new(&p, &cs, &d))
		die("certstore", &d);
	double load_ms = now_ms() - t0;
	struct certstore_stats stats;
	certstore_stats(cs, &stats);

	struct cert_id id;
	cert_id_from_text("good@vpn.example.com", &id);
	rate(cs, &good, &id.id, n / 10, 0);	/* warm up */
	double ok_rate = rate(cs, &good, &id.id, n, 0);
	double ok_noid = rate(cs, &good, NULL, n, 0);
	double revoked_rate = rate(cs, &bad, NULL, n, -EKEYREVOKED);

	/* GnuTLS's trust list holding the same CRL, for comparison */
	gnutls_x509_trust_list_t tl;
	gnutls_x509_trust_list_init(&tl, 0);
	gnutls_x509_crt_t ca_copy;
	gnutls_datum_t ca_der = der_of(ca.crt);
	cert_from_der(ca_der.data, ca_der.size, &ca_copy);
	gnutls_x509_trust_list_add_cas(tl, &ca_copy, 1, 0);
	gnutls_x509_crl_t crl2;
	gnutls_x509_crl_init(&crl2);
	gnutls_x509_crl_import(crl2, &crl_der, GNUTLS_X509_FMT_DER);
	gnutls_x509_trust_list_add_crls(tl, &crl2, 1, GNUTLS_TL_VERIFY_CRL, 0);
	long gn = n / 20 ? n / 20 : 1;
	t0 = now_ms();
	for (long i = 0; i < gn; i++) {
		gnutls_x509_crt_t x;
		unsigned status;
		cert_from_der(good.data, good.size, &x);
		gnutls_x509_trust_list_verify_crt2(tl, &x, 1, NULL, 0, 0, &status, NULL);
		if (status) {
			fprintf(stderr, "bench_cert: GnuTLS refused the good certificate (%u)\n", status);
			exit(1);
		}
		gnutls_x509_crt_deinit(x);
	}
	double gnutls_rate = (double)gn / ((now_ms() - t0) / 1e3);

	printf("chain verification with revocation, RSA-2048 CA and client, %zu revoked serials (CRL of %u bytes):\n",
	       stats.revoked, crl_der.size);
	printf("  loading the store with the CRL: %.1f ms\n", load_ms);
	printf("  accepted, with identity check:  %8.0f verifications/s (goal >= 20,000)\n", ok_rate);
	printf("  accepted, no identity:          %8.0f verifications/s\n", ok_noid);
	printf("  revoked (refused):              %8.0f verifications/s\n", revoked_rate);
	printf("  GnuTLS trust list with the CRL: %8.0f verifications/s (what the hash set replaces)\n", gnutls_rate);

	gnutls_x509_trust_list_deinit(tl, 1);
	gnutls_free(ca_der.data);
	gnutls_free(crl_der.data);
	gnutls_x509_crl_deinit(crl);
	gnutls_x509_crt_deinit(badc);
	gnutls_free(good.data);
	gnutls_free(bad.data);
	certstore_free(cs);
	conf_free(c);
	ca_close(&ca);
	store_close(st);
	diag_clear(&d);
}

static int run(char *const argv[], const char *out)
{
	fflush(stdout);	/* or the child's exit would print it again */
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen(out, "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void bench_bundle(const char *kanmonctl, const char *dir, int n)
{
	char state[600], out[600], log[600];
	snprintf(state, sizeof(state), "%s/bstate", dir);
	snprintf(log, sizeof(log), "%s/kanmonctl.out", dir);
	char *create[] = { (char *)kanmonctl, "--dir", state, "-s", "/nonexistent", "ca", "create", "--cn",
			   "VPN Root CA", "--key", "rsa2048", NULL };
	if (run(create, log))
		die("kanmonctl ca create failed", NULL);
	double *t = calloc((size_t)n, sizeof(*t));
	for (int i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "user%d", i);
		snprintf(out, sizeof(out), "%s/b%d", dir, i);
		char *add[] = { (char *)kanmonctl, "--dir", state, "-s", "/nonexistent", "client", "add", name,
				"--server", "vpn.example.com", "--out", out, "--key", "rsa2048", NULL };
		double t0 = now_ms();
		if (run(add, log))
			die("kanmonctl client add failed", NULL);
		t[i] = now_ms() - t0;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("client bundle (kanmonctl client add, RSA-2048 key, 6 files), %d runs:\n", n);
	printf("  median %.0f ms, max %.0f ms (goal < 500 ms)\n", t[n / 2], t[n - 1]);
	free(t);
}

int main(int argc, char **argv)
{
	const char *kanmonctl = argc > 1 ? argv[1] : getenv("KANMONCTL");
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
	int bundles = argc > 3 ? atoi(argv[3]) : 10;
	char dir[] = "/tmp/kanmon-bench-cert-XXXXXX";
	if (n < 10 || bundles < 1 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: bench_cert [KANMONCTL [VERIFICATIONS [BUNDLES]]]\n");
		return 2;
	}
	log_set_default_level(KANMON_LOG_WARNING);
	cert_global_init();
	bench_verify(dir, n);
	if (kanmonctl && *kanmonctl)
		bench_bundle(kanmonctl, dir, bundles);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_cert: could not remove %s\n", dir);
	return 0;
}
