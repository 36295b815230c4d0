/* SPDX-License-Identifier: MIT */
/*
 * client.c - kanmonctl client: one command gives a user everything for
 * every device.
 *
 *   client add NAME --server FQDN [--out DIR] [--cn CN] [--days N] [--key K]
 *              [--ike PROPOSAL]... [--esp PROPOSAL]... [--dns ADDR]...
 *              [--passphrase-file F] [--ca-passphrase-file F]
 *   client list [--json]
 *   client revoke NAME [--reason R]
 *
 * client add writes NAME.p12, ca.crt, NAME.mobileconfig, NAME.sswan,
 * NAME-windows.ps1 and README.txt into DIR (default: the current directory)
 * or nothing at all: every file is rendered in memory and written to a
 * temporary name first, the certificate is committed to the store only when
 * all of them were written, and the files are renamed into place after
 * that; a failed rename undoes the certificate again. The PKCS#12
 * passphrase is generated, printed once and stored nowhere.
 *
 * Proposals and DNS default to the daemon's configuration (ikev2.proposals,
 * ikev2.esp_proposals, the first pool's dns), so the profiles offer exactly
 * what the server accepts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "bundle.h"
#include "certstore.h"
#include "cmd.h"
#include "conf.h"
#include "store.h"

#define BUNDLE_FILES 6
#define MAX_LIST 16

/* list entries from the configuration as written ("ikev2.proposals.[i]") */
static size_t conf_list(struct ctl_ctx *c, const char *path, const char **out, size_t max)
{
	size_t n = 0;
	char p[128];
	if (!c->conf)
		return 0;
	for (; n < max; n++) {
		snprintf(p, sizeof(p), "%s.[%zu]", path, n);
		const char *v = conf_raw_string(c->conf, p);
		if (!v)
			break;
		out[n] = v;
	}
	return n;
}

static bool is_addr(const char *s)
{
	uint8_t a[16];
	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

struct bundle_file {
	char name[300];
	char path[4400];
	mode_t mode;
	const void *data;
	size_t len;
	struct cert_stage stage;
	bool placed;
};

static int cmd_add(struct ctl_ctx *c, int argc, char **argv)
{
	struct ctl_opt o[] = { OPT("server"), OPT("out"), OPT("cn"), OPT("days"), OPT("key"),
			       OPT_MULTI("ike"), OPT_MULTI("esp"), OPT_MULTI("dns"),
			       OPT("passphrase-file"), OPT("ca-passphrase-file"), OPT_END };
	const char *pos[1];
	size_t np;
	int rc = ctl_parse("client add", argc, argv, o, pos, 1, &np);
	if (rc)
		return rc;
	const struct ctl_opt *server = ctl_opt(o, "server");
	if (np != 1 || !server || !*server->value) {
		fprintf(stderr, "usage: kanmonctl client add NAME --server vpn.example.com [--out DIR] [--cn CN] [--days N] [--key rsa2048|rsa3072|ecdsa-p256] [--ike P]... [--esp P]... [--dns ADDR]... [--passphrase-file F] [--ca-passphrase-file F]\n");
		return 2;
	}
	const char *name = pos[0], *dir = ctl_opt(o, "out") ? ctl_opt(o, "out")->value : ".";
	struct ca_issue_params ip = { .name = name, .role = KANMON_CERT_CLIENT, .days = 3650 };
	if (ctl_opt(o, "days")) {
		char *end;
		unsigned long v = strtoul(ctl_opt(o, "days")->value, &end, 10);
		if (*end || v < 1 || v > CA_MAX_DAYS) {
			fprintf(stderr, "kanmonctl: --days takes a number of days from 1 to %d\n", CA_MAX_DAYS);
			return 2;
		}
		ip.days = (unsigned)v;
	}
	if (cert_key_kind_parse(ctl_opt(o, "key") ? ctl_opt(o, "key")->value : NULL, &ip.key)) {
		fprintf(stderr, "kanmonctl: --key takes rsa2048, rsa3072 or ecdsa-p256\n");
		return 2;
	}
	/* an address-shaped identity is what iOS, Android and the strongSwan app send as RFC 822 */
	char cn[300];
	if (ctl_opt(o, "cn"))
		snprintf(cn, sizeof(cn), "%s", ctl_opt(o, "cn")->value);
	else if (strchr(name, '@') || is_addr(server->value))
		snprintf(cn, sizeof(cn), "%s", name);
	else
		snprintf(cn, sizeof(cn), "%s@%s", name, server->value);
	ip.cn = cn;
	char san[320];
	const char *sans[1];
	if (!strchr(cn, '@')) {
		/* the profiles send the CN as an FQDN identity: the certificate must carry it */
		snprintf(san, sizeof(san), "dns:%s", cn);
		sans[0] = san;
		ip.sans = sans;
		ip.n_sans = 1;
	}

	const char *ike[MAX_LIST], *esp[MAX_LIST], *dns[MAX_LIST];
	size_t n_ike = o[5].n, n_esp = o[6].n, n_dns = o[7].n;
	memcpy(ike, o[5].values, n_ike * sizeof(ike[0]));
	memcpy(esp, o[6].values, n_esp * sizeof(esp[0]));
	memcpy(dns, o[7].values, n_dns * sizeof(dns[0]));
	if (!n_ike)
		n_ike = conf_list(c, "ikev2.proposals", ike, MAX_LIST);
	if (!n_esp)
		n_esp = conf_list(c, "ikev2.esp_proposals", esp, MAX_LIST);
	if (!n_dns)
		n_dns = conf_list(c, "pools.[0].dns", dns, MAX_LIST);
	if (!n_ike)
		ike[n_ike++] = BUNDLE_DEFAULT_IKE;
	if (!n_esp)
		esp[n_esp++] = BUNDLE_DEFAULT_ESP;
	for (size_t i = 0; i < n_ike + n_esp; i++) {
		struct bundle_proposal bp;
		const char *t = i < n_ike ? ike[i] : esp[i - n_ike];
		if (bundle_proposal_parse(t, &bp)) {
			fprintf(stderr, "kanmonctl: '%s' is not a proposal (e.g. aes256-sha256-modp2048, aes256gcm16-prfsha256-ecp256)\n", t);
			return 2;
		}
	}
	for (size_t i = 0; i < n_dns; i++)
		if (!is_addr(dns[i])) {
			fprintf(stderr, "kanmonctl: --dns %s is not an address\n", dns[i]);
			return 2;
		}

	char *ca_pass = NULL, *p12_pass = NULL;
	char generated[32] = "";
	if (ctl_passphrase(ctl_opt(o, "ca-passphrase-file") ? ctl_opt(o, "ca-passphrase-file")->value : NULL, &ca_pass) ||
	    ctl_passphrase(ctl_opt(o, "passphrase-file") ? ctl_opt(o, "passphrase-file")->value : NULL, &p12_pass)) {
		cert_passphrase_free(ca_pass);
		return 1;
	}
	struct store *st = NULL;
	struct ca_ctx ca;
	struct ca_issued is = { 0 };
	struct diag d = { 0 }, notes = { 0 };
	struct sbuf mc = { 0 }, sw = { 0 }, ps = { 0 }, rd = { 0 };
	gnutls_datum_t p12 = { NULL, 0 }, ca_pem = { NULL, 0 }, ca_der = { NULL, 0 };
	struct bundle_file f[BUNDLE_FILES];
	size_t staged = 0;
	bool ca_open_ok = false;
	memset(f, 0, sizeof(f));
	rc = 1;
	if (ctl_store_open(c, false, &st))
		goto out;
	if (ca_open(&ca, c->dir, st, true, ca_pass, &d))
		goto out;
	ca_open_ok = true;
	if (ca_issue_prepare(&ca, &ip, &is, &d))
		goto out;
	if (!p12_pass) {
		if (cert_passphrase_new(generated, sizeof(generated)))
			goto out;
	}
	const char *pass = p12_pass ? p12_pass : generated;
	if (cert_export_p12(is.crt, is.key, ca.crt, name, pass, &p12, &d) ||
	    gnutls_x509_crt_export2(ca.crt, GNUTLS_X509_FMT_PEM, &ca_pem) < 0 ||
	    gnutls_x509_crt_export2(ca.crt, GNUTLS_X509_FMT_DER, &ca_der) < 0)
		goto out;
	char ca_cn[256];
	cert_cn(ca.crt, ca_cn, sizeof(ca_cn));
	struct bundle_params bp = {
		.name = name, .server = server->value, .local_id = cn, .p12 = p12.data, .p12_len = p12.size,
		.ca_der = ca_der.data, .ca_der_len = ca_der.size, .ca_cn = ca_cn,
		.ecdsa = ip.key == CERT_KEY_ECDSA_P256, .ike = ike, .n_ike = n_ike, .esp = esp, .n_esp = n_esp,
		.dns = dns, .n_dns = n_dns,
	};
	if (bundle_mobileconfig(&bp, &mc, &notes) || bundle_sswan(&bp, &sw, &notes) ||
	    bundle_windows_ps1(&bp, &ps, &notes) || bundle_readme(&bp, &rd)) {
		diag_add(&d, "cannot render the client profiles");
		goto out;
	}

	/* a missing --out directory is made; its parent must exist */
	struct stat sb;
	if (stat(dir, &sb) < 0 && cert_mkdir(dir, 0700, NULL, &d))
		goto out;
	const struct {
		const char *suffix;	/* after NAME; a fixed name when NAME is not part of it */
		bool named;
		mode_t mode;
		const void *data;
		size_t len;
	} files[BUNDLE_FILES] = {
		{ ".p12", true, 0600, p12.data, p12.size },
		/* Android recognises a CA file only by the .crt name */
		{ "ca.crt", false, 0644, ca_pem.data, ca_pem.size },
		{ ".mobileconfig", true, 0600, mc.data, mc.len },
		{ ".sswan", true, 0600, sw.data, sw.len },
		{ "-windows.ps1", true, 0644, ps.data, ps.len },
		{ "README.txt", false, 0644, rd.data, rd.len },
	};
	for (size_t i = 0; i < BUNDLE_FILES; i++) {
		snprintf(f[i].name, sizeof(f[i].name), "%s%s", files[i].named ? name : "", files[i].suffix);
		snprintf(f[i].path, sizeof(f[i].path), "%s/%s", dir, f[i].name);
		if (cert_stage_write(&f[i].stage, f[i].path, files[i].data, files[i].len, files[i].mode, NULL, &d))
			goto out;
		staged++;
	}
	if (ca_issue_commit(&ca, &is, &d))
		goto out;
	for (size_t i = 0; i < BUNDLE_FILES; i++) {
		if (cert_stage_commit(&f[i].stage, &d)) {
			/* the user never got the bundle: take the certificate back */
			for (size_t k = 0; k < i; k++)
				unlink(f[k].path);
			ca_issue_undo(&ca, &is);
			goto out;
		}
		f[i].placed = true;
	}
	rc = 0;
	printf("client %s: certificate %s (serial %s) issued and written to %s:\n", name, is.subject, is.serial, dir);
	for (size_t i = 0; i < BUNDLE_FILES; i++)
		printf("  %s\n", f[i].name);
	for (size_t i = 0; i < notes.n; i++)
		printf("note: %s\n", notes.lines[i]);
	if (*generated)
		printf("passphrase of %s.p12 (shown only now; every device asks for it): %s\n", name, generated);
out:
	for (size_t i = 0; i < staged; i++)
		if (!f[i].placed)
			cert_stage_abort(&f[i].stage);
	if (rc)
		ctl_errors(&d);
	diag_clear(&d);
	diag_clear(&notes);
	ca_issued_clear(&is);
	if (ca_open_ok)
		ca_close(&ca);
	store_close(st);
	if (p12.data) {
		gnutls_memset(p12.data, 0, p12.size);
		gnutls_free(p12.data);
	}
	gnutls_free(ca_pem.data);
	gnutls_free(ca_der.data);
	/* the profiles embed the PKCS#12: wipe them like it */
	struct sbuf *bufs[] = { &mc, &sw, &ps, &rd };
	for (size_t i = 0; i < 4; i++) {
		if (bufs[i]->data)
			gnutls_memset(bufs[i]->data, 0, bufs[i]->cap);
		sbuf_free(bufs[i]);
	}
	gnutls_memset(generated, 0, sizeof(generated));
	cert_passphrase_free(ca_pass);
	cert_passphrase_free(p12_pass);
	return rc;
}

static int cmd_client_list(struct ctl_ctx *c, int argc, char **argv)
{
	struct ctl_opt o[] = { OPT_END };
	const char *pos[1];
	size_t np;
	int rc = ctl_parse("client list", argc, argv, o, pos, 0, &np);
	if (rc)
		return rc;
	struct store *st;
	if (ctl_store_open(c, false, &st))
		return 1;
	rc = ctl_cert_list(c, st, STORE_ROLE_CLIENT);
	store_close(st);
	return rc;
}

static int cmd_client_revoke(struct ctl_ctx *c, int argc, char **argv)
{
	struct ctl_opt o[] = { OPT("reason"), OPT_END };
	const char *pos[1];
	size_t np;
	int rc = ctl_parse("client revoke", argc, argv, o, pos, 1, &np);
	if (rc || np != 1) {
		if (!rc)
			fprintf(stderr, "usage: kanmonctl client revoke NAME [--reason keyCompromise|superseded|...]\n");
		return 2;
	}
	return ctl_revoke(c, pos[0], ctl_opt(o, "reason") ? ctl_opt(o, "reason")->value : NULL, STORE_ROLE_CLIENT);
}

int ctl_client_main(struct ctl_ctx *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	if (!strcmp(sub, "add"))
		return cmd_add(c, argc - 2, argv + 2);
	if (!strcmp(sub, "list"))
		return cmd_client_list(c, argc - 2, argv + 2);
	if (!strcmp(sub, "revoke"))
		return cmd_client_revoke(c, argc - 2, argv + 2);
	fprintf(stderr, "kanmonctl: unknown command 'client %s': client add | list | revoke\n", sub);
	return 2;
}
