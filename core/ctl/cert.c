/* SPDX-License-Identifier: MIT */
/*
 * cert.c - kanmonctl ca / cert / crl: the built-in CA and the certificate
 * store, offline on the state directory (--dir).
 *
 *   ca create --cn CN [--days N] [--key rsa2048|rsa3072|ecdsa-p256] [--country CC]
 *             [--org ORG] [--crl-host FQDN] [--passphrase-file F]
 *   cert issue server|client NAME --cn CN [--san dns:X|ip:X|email:X]... [--days N]
 *             [--key K] [--country CC] [--org ORG] [--ca-passphrase-file F]
 *   cert list [--json] | cert show NAME [--json] | cert revoke NAME [--reason R]
 *   cert check FILE [--role server|client] [--id ID] [--passphrase-file F]
 *   cert export NAME --format pem|der|p12 [--passphrase-file F] --out FILE
 *   cert import NAME FILE [--key FILE] [--passphrase-file F] [--role ca|server|client]
 *   crl export --out FILE [--format pem|der] [--days N] [--ca-passphrase-file F]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "certstore.h"
#include "cmd.h"
#include "conf.h"
#include "sbuf.h"
#include "store.h"

#define DEFAULT_DAYS 3650

static int parse_days(const char *s, unsigned def, unsigned *out)
{
	if (!s) {
		*out = def;
		return 0;
	}
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v < 1 || v > CA_MAX_DAYS) {
		fprintf(stderr, "kanmonctl: --days takes a number of days from 1 to %d\n", CA_MAX_DAYS);
		return 2;
	}
	*out = (unsigned)v;
	return 0;
}

/* ---- describing certificates ------------------------------------------------ */

static void date_text(time_t t, char *buf, size_t len)
{
	struct tm tm;
	if (!t) {
		snprintf(buf, len, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

static const char *status_of(const struct store_cert *e, time_t now)
{
	return e->revoked ? "revoked" : e->not_after && e->not_after < now ? "expired" : "valid";
}

static void fingerprint(gnutls_x509_crt_t crt, char *out)
{
	uint8_t fp[32];
	size_t len = sizeof(fp);
	out[0] = '\0';
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &len) < 0)
		return;
	for (size_t i = 0; i < len; i++)
		sprintf(out + 3 * i, "%02X%s", fp[i], i + 1 < len ? ":" : "");
}

static const char *eku_name(const char *oid)
{
	static const struct {
		const char *oid, *name;
	} n[] = {
		{ "1.3.6.1.5.5.7.3.1", "serverAuth" }, { "1.3.6.1.5.5.7.3.2", "clientAuth" },
		{ "1.3.6.1.5.5.8.2.2", "ikeIntermediate" }, { "1.3.6.1.5.5.7.3.17", "ipsecIKE" },
		{ "1.3.6.1.5.5.7.3.5", "ipsecEndSystem" }, { "1.3.6.1.5.5.7.3.6", "ipsecTunnel" },
		{ "1.3.6.1.5.5.7.3.7", "ipsecUser" }, { "2.5.29.37.0", "anyExtendedKeyUsage" },
	};
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		if (!strcmp(n[i].oid, oid))
			return n[i].name;
	return oid;
}

/* SANs, KU, EKU as lists; each item a string. */
static void crt_lists(gnutls_x509_crt_t crt, struct sbuf *sans, struct sbuf *ku, struct sbuf *eku, bool json)
{
	const char *sep = json ? "," : ", ";
	for (unsigned i = 0;; i++) {
		char v[256], item[300];
		size_t l = sizeof(v) - 1;
		int t = gnutls_x509_crt_get_subject_alt_name(crt, i, v, &l, NULL);
		if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (t < 0)
			continue;
		v[l < sizeof(v) ? l : sizeof(v) - 1] = '\0';
		if (t == GNUTLS_SAN_IPADDRESS) {
			char a[64] = "?";
			inet_ntop(l == 4 ? AF_INET : AF_INET6, v, a, sizeof(a));
			snprintf(item, sizeof(item), "IP:%s", a);
		} else {
			snprintf(item, sizeof(item), "%s:%s",
				 t == GNUTLS_SAN_DNSNAME ? "DNS" : t == GNUTLS_SAN_RFC822NAME ? "email" : t == GNUTLS_SAN_URI ? "URI" : "other",
				 v);
		}
		sbuf_printf(sans, "%s", sans->len ? sep : "");
		if (json)
			sbuf_json_str(sans, item);
		else
			sbuf_printf(sans, "%s", item);
	}
	static const struct {
		unsigned bit;
		const char *name;
	} kus[] = {
		{ GNUTLS_KEY_DIGITAL_SIGNATURE, "digitalSignature" }, { GNUTLS_KEY_NON_REPUDIATION, "nonRepudiation" },
		{ GNUTLS_KEY_KEY_ENCIPHERMENT, "keyEncipherment" }, { GNUTLS_KEY_DATA_ENCIPHERMENT, "dataEncipherment" },
		{ GNUTLS_KEY_KEY_AGREEMENT, "keyAgreement" }, { GNUTLS_KEY_KEY_CERT_SIGN, "keyCertSign" },
		{ GNUTLS_KEY_CRL_SIGN, "cRLSign" },
	};
	unsigned bits = 0;
	if (gnutls_x509_crt_get_key_usage(crt, &bits, NULL) >= 0)
		for (size_t i = 0; i < sizeof(kus) / sizeof(kus[0]); i++)
			if (bits & kus[i].bit) {
				sbuf_printf(ku, "%s", ku->len ? sep : "");
				if (json)
					sbuf_json_str(ku, kus[i].name);
				else
					sbuf_printf(ku, "%s", kus[i].name);
			}
	for (unsigned i = 0;; i++) {
		char oid[128];
		size_t l = sizeof(oid);
		if (gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &l, NULL) < 0)
			break;
		sbuf_printf(eku, "%s", eku->len ? sep : "");
		if (json)
			sbuf_json_str(eku, eku_name(oid));
		else
			sbuf_printf(eku, "%s", eku_name(oid));
	}
}

struct list_ctx {
	struct sbuf *out;
	bool json;
	const char *role;
	size_t rows;
	time_t now;
};

static void json_row(struct sbuf *o, const struct store_cert *e, time_t now)
{
	sbuf_printf(o, "{\"name\":");
	sbuf_json_str(o, e->name);
	sbuf_printf(o, ",\"role\":");
	sbuf_json_str(o, e->role);
	sbuf_printf(o, ",\"origin\":");
	sbuf_json_str(o, e->origin);
	sbuf_printf(o, ",\"serial\":");
	sbuf_json_str(o, e->serial);
	sbuf_printf(o, ",\"subject\":");
	sbuf_json_str(o, e->subject);
	sbuf_printf(o, ",\"issuer\":");
	sbuf_json_str(o, e->issuer);
	sbuf_printf(o, ",\"not_before\":%lld,\"not_after\":%lld,\"created\":%lld,\"status\":\"%s\",\"revoked\":",
		    (long long)e->not_before, (long long)e->not_after, (long long)e->created, status_of(e, now));
	if (e->revoked)
		sbuf_printf(o, "%lld,\"reason\":\"%s\"", (long long)e->revoked, ca_reason_name(e->reason));
	else
		sbuf_printf(o, "null,\"reason\":null");
	sbuf_printf(o, ",\"key\":%s}", e->key_file ? "true" : "false");
}

static int list_row(const struct store_cert *e, void *arg)
{
	struct list_ctx *l = arg;
	char na[16];
	if (l->role && strcmp(l->role, e->role))
		return 0;
	if (l->json) {
		sbuf_printf(l->out, "%s", l->rows ? "," : "");
		json_row(l->out, e, l->now);
	} else {
		date_text(e->not_after, na, sizeof(na));
		sbuf_printf(l->out, "%-20s %-7s %-8s %-10s %-33s %s\n", e->name, e->role, status_of(e, l->now), na,
			    e->serial, e->subject);
	}
	l->rows++;
	return 0;
}

/* The CA as a row like the others (name "ca"). */
static int ca_row(struct store *st, struct store_cert *out, gnutls_x509_crt_t *crt)
{
	struct store_ca ca;
	memset(out, 0, sizeof(*out));
	*crt = NULL;
	int err = store_ca_get(st, &ca);
	if (err)
		return err;
	if (cert_from_der(ca.cert, ca.cert_len, crt)) {
		store_ca_clear(&ca);
		return -EUCLEAN;
	}
	char subject[CERT_DN_MAX], serial[CERT_SERIAL_HEX_MAX];
	cert_subject_text(*crt, subject, sizeof(subject));
	cert_serial_hex(*crt, serial);
	out->name = strdup("ca");
	out->role = strdup(STORE_ROLE_CA);
	out->origin = strdup("built-in");
	out->serial = strdup(serial);
	out->subject = strdup(subject);
	out->issuer = strdup(subject);
	out->key_file = ca.key_file;
	ca.key_file = NULL;
	out->not_before = gnutls_x509_crt_get_activation_time(*crt);
	out->not_after = gnutls_x509_crt_get_expiration_time(*crt);
	out->created = ca.created;
	out->cert = ca.cert;
	out->cert_len = ca.cert_len;
	ca.cert = NULL;
	store_ca_clear(&ca);
	if (!out->name || !out->role || !out->origin || !out->serial || !out->subject || !out->issuer) {
		store_cert_clear(out);
		gnutls_x509_crt_deinit(*crt);
		*crt = NULL;
		return -ENOMEM;
	}
	return 0;
}

int ctl_cert_list(struct ctl_ctx *c, struct store *st, const char *role)
{
	struct sbuf out = { 0 };
	struct list_ctx l = { .out = &out, .json = c->json, .role = role, .now = time(NULL) };
	struct store_cert ca;
	gnutls_x509_crt_t crt;
	bool have_ca = !role && !ca_row(st, &ca, &crt);
	if (c->json)
		sbuf_printf(&out, "{\"certificates\":[");
	else
		sbuf_printf(&out, "%-20s %-7s %-8s %-10s %-33s %s\n", "NAME", "ROLE", "STATUS", "NOT_AFTER", "SERIAL",
			    "SUBJECT");
	if (have_ca) {
		list_row(&ca, &l);
		store_cert_clear(&ca);
		gnutls_x509_crt_deinit(crt);
	}
	int err = store_cert_foreach(st, list_row, &l);
	if (c->json)
		sbuf_printf(&out, "]}\n");
	if (!err && !out.failed)
		fputs(out.data, stdout);
	sbuf_free(&out);
	if (err)
		fprintf(stderr, "kanmonctl: cannot read the certificates: %s\n", strerror(-err));
	return err ? 1 : 0;
}

/* ---- commands --------------------------------------------------------------- */

static int cmd_ca_create(struct ctl_ctx *c, int argc, char **argv)
{
	struct ctl_opt o[] = { OPT("cn"), OPT("days"), OPT("key"), OPT("country"), OPT("org"),
			       OPT("crl-host"), OPT("passphrase-file"), OPT("ca-passphrase-file"), OPT_END };
	const char *pos[1];
	size_t np;
	unsigned days;
	struct ca_create_params p = { 0 };
	int rc = ctl_parse("ca create", argc, argv, o, pos, 0, &np);
	if (rc)
		return rc;
	if (!ctl_opt(o, "cn")) {
		fprintf(stderr, "usage: kanmonctl ca create --cn \"VPN Root CA\" [--days 3650] [--key rsa2048|rsa3072|ecdsa-p256] [--country JP] [--org ORG] [--crl-host FQDN] [--passphrase-file F]\n");
		return 2;
	}
	if (parse_days(ctl_opt(o, "days") ? ctl_opt(o, "days")->value : NULL, DEFAULT_DAYS, &days))
		return 2;
	if (cert_key_kind_parse(ctl_opt(o, "key") ? ctl_opt(o, "key")->value : NULL, &p.key)) {
		fprintf(stderr, "kanmonctl: --key takes rsa2048, rsa3072 or ecdsa-p256\n");
		return 2;
	}
	char *pass = NULL;
	const struct ctl_opt *pf = ctl_opt(o, "passphrase-file") ? ctl_opt(o, "passphrase-file") : ctl_opt(o, "ca-passphrase-file");
	if (ctl_passphrase(pf ? pf->value : NULL, &pass))
		return 1;
	p.cn = ctl_opt(o, "cn")->value;
	p.days = days;
	p.country = ctl_opt(o, "country") ? ctl_opt(o, "country")->value : NULL;
	p.org = ctl_opt(o, "org") ? ctl_opt(o, "org")->value : NULL;
	p.crl_host = ctl_opt(o, "crl-host") ? ctl_opt(o, "crl-host")->value : NULL;
	p.passphrase = pass;
	struct store *st;
	rc = ctl_store_open(c, true, &st);
	if (!rc) {
		struct diag d = { 0 };
		if (ca_create(c->dir, st, &p, &d)) {
			ctl_errors(&d);
			rc = 1;
		} else {
			struct store_cert row;
			gnutls_x509_crt_t crt;
			printf("CA created in %s, valid %u days, key %s\n", c->dir, days,
			       pass ? "protected by the passphrase" : "unencrypted (mode 0600)");
			if (!ca_row(st, &row, &crt)) {
				printf("subject: %s\nserial:  %s\n", row.subject, row.serial);
				store_cert_clear(&row);
				gnutls_x509_crt_deinit(crt);
			}
		}
		diag_clear(&d);
		store_close(st);
	}
	cert_passphrase_free(pass);
	return rc;
}

static int cmd_issue(struct ctl_ctx *c, int argc, char **argv)
{
	struct ctl_opt o[] = { OPT("cn"), OPT_MULTI("san"), OPT("days"), OPT("key"),
			       OPT("country"), OPT("org"), OPT("ca-passphrase-file"), OPT_END };
	const char *pos[2];
	size_t np;
	int rc = ctl_parse("cert issue", argc, argv, o, pos, 2, &np);
	if (rc)
		return rc;
	if (np != 2 || (strcmp(pos[0], "server") && strcmp(pos[0], "client")) || !ctl_opt(o, "cn")) {
		fprintf(stderr, "usage: kanmonctl cert issue server|client NAME --cn CN [--san dns:X|ip:X|email:X]... [--days N] [--key rsa2048|rsa3072|ecdsa-p256] [--country CC] [--org ORG] [--ca-passphrase-file F]\n");
		return 2;
	}
	struct ca_issue_params p = {
		.name = pos[1], .role = !strcmp(pos[0], "server") ? KANMON_CERT_SERVER : KANMON_CERT_CLIENT,
		.cn = ctl_opt(o, "cn")->value, .sans = o[1].values, .n_sans = o[1].n,
		.country = ctl_opt(o, "country") ? ctl_opt(o, "country")->value : NULL,
		.org = ctl_opt(o, "org") ? ctl_opt(o, "org")->value : NULL,
	};
	if (parse_days(ctl_opt(o, "days") ? ctl_opt(o, "days")->value : NULL, DEFAULT_DAYS, &p.days))
		return 2;
	if (cert_key_kind_parse(ctl_opt(o, "key") ? ctl_opt(o, "key")->value : NULL, &p.key)) {
		fprintf(stderr, "kanmonctl: --key takes rsa2048, rsa3072 or ecdsa-p256\n");
		return 2;
	}
	char *pass = NULL;
	if (ctl_passphrase(ctl_opt(o, "ca-passphrase-file") ? ctl_opt(o, "ca-passphrase-file")->value : NULL, &pass))
		return 1;
	struct store *st;
	struct ca_ctx ca;
	struct ca_issued is;
	struct diag d = { 0 };
	rc = ctl_store_open(c, false, &st);
	if (rc)
		goto out;
	rc = 1;
	if (!ca_open(&ca, c->dir, st, true, pass, &d)) {
		if (!ca_issue_prepare(&ca, &p, &is, &d)) {
			if (!ca_issue_commit(&ca, &is, &d)) {
				char na[16];
				date_text(gnutls_x509_crt_get_expiration_time(is.crt), na, sizeof(na));
				printf("%s certificate %s issued: %s, serial %s, valid until %s%s\n", pos[0], is.name,
				       is.subject, is.serial, na, is.clamped ? " (cut to the CA's own validity)" : "");
				gnutls_datum_t der = { NULL, 0 };
				gnutls_x509_crt_t back = NULL;
				/* judged as kanmond will see it: parsed back from its DER */
				if (p.role == KANMON_CERT_SERVER &&
				    gnutls_x509_crt_export2(is.crt, GNUTLS_X509_FMT_DER, &der) >= 0 &&
				    !cert_from_der(der.data, der.size, &back)) {
					struct diag w = { 0 };
					char label[300];
					snprintf(label, sizeof(label), "server certificate %s", is.name);
					cert_check_server(back, label, p.cn, 1, time(NULL), &w);
					for (size_t i = 0; i < w.n; i++)
						printf("warning: %s\n", w.lines[i]);
					diag_clear(&w);
				}
				if (back)
					gnutls_x509_crt_deinit(back);
				gnutls_free(der.data);
				rc = 0;
			}
			ca_issued_clear(&is);
		}
		ca_close(&ca);
	}
	ctl_errors(&d);
	diag_clear(&d);
	store_close(st);
	if (!rc && p.role == KANMON_CERT_SERVER)
		ctl_notify_daemon(c, "the new server certificate");
out:
	cert_passphrase_free(pass);
	return rc;
}

static int cmd_list(struct ctl_ctx *c, int argc, char **argv, const char *role)
{
	struct ctl_opt o[] = { OPT_END };
	const char *pos[1];
	size_t np;
	int rc = ctl_parse("list", argc, argv, o, pos, 0, &np);
	if (rc)
		return rc;
	struct store *st;
	if (ctl_store_open(c, false, &st))
		return 1;
	rc = ctl_cert_list(c, st, role);
	store_close(st);
	return rc;
}

static int cmd_show(struct ctl_ctx *c, int argc, char **argv)
{
	struct ctl_opt o[] = { OPT_END };
	const char *pos[1];
	size_t np;
	int rc = ctl_parse("cert show", argc, argv, o, pos, 1, &np);
	if (rc || np != 1) {
		if (!rc)
			fprintf(stderr, "usage: kanmonctl cert show NAME [--json]\n");
		return 2;
	}
	struct store *st;
	if (ctl_store_open(c, false, &st))
		return 1;
	struct store_cert e;
	gnutls_x509_crt_t crt = NULL;
	int err = !strcmp(pos[0], "ca") ? ca_row(st, &e, &crt) : store_cert_get(st, pos[0], &e);
	if (err) {
		fprintf(stderr, "kanmonctl: %s\n", err == -ENOENT ? "no such certificate (see kanmonctl cert list)" : strerror(-err));
		store_close(st);
		return 1;
	}
	if (!crt && cert_from_der(e.cert, e.cert_len, &crt)) {
		fprintf(stderr, "kanmonctl: the stored certificate %s is unreadable\n", e.name);
		store_cert_clear(&e);
		store_close(st);
		return 1;
	}
	/* the same checks kanmond logs at start-up, for server certificates */
	struct diag warn = { 0 };
	if (!strcmp(e.role, STORE_ROLE_SERVER)) {
		struct certstore *cs = NULL;
		struct diag ld = { 0 };
		struct certstore_params cp = { .state_dir = c->dir, .store = st };
		int root = -1;
		if (!certstore_new(&cp, &cs, &ld))
			root = certstore_issuer_is_root(cs, crt);
		char label[300];
		snprintf(label, sizeof(label), "server certificate %s", e.name);
		cert_check_server(crt, label, NULL, root, time(NULL), &warn);
		certstore_free(cs);
		diag_clear(&ld);
	}
	struct sbuf sans = { 0 }, ku = { 0 }, eku = { 0 }, out = { 0 };
	char fp[100], nb[16], na[16], rv[16], key[64], crl[300] = "";
	crt_lists(crt, &sans, &ku, &eku, c->json);
	fingerprint(crt, fp);
	unsigned bits = 0;
	int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	snprintf(key, sizeof(key), "%s %u bits", pk == GNUTLS_PK_ECDSA ? "ECDSA" : pk == GNUTLS_PK_RSA ? "RSA" : "other", bits);
	size_t cl = sizeof(crl);
	unsigned reasons;
	if (gnutls_x509_crt_get_crl_dist_points(crt, 0, crl, &cl, &reasons, NULL) < 0)
		crl[0] = '\0';
	if (c->json) {
		json_row(&out, &e, time(NULL));
		out.len--;	/* reopen the object */
		out.data[out.len] = '\0';
		sbuf_printf(&out, ",\"key_type\":\"%s\",\"sans\":[%s],\"key_usage\":[%s],\"extended_key_usage\":[%s],"
				  "\"fingerprint_sha256\":\"%s\",\"crl_distribution_point\":",
			    key, sans.data ? sans.data : "", ku.data ? ku.data : "", eku.data ? eku.data : "", fp);
		if (*crl)
			sbuf_json_str(&out, crl);
		else
			sbuf_printf(&out, "null");
		sbuf_printf(&out, ",\"warnings\":[");
		for (size_t i = 0; i < warn.n; i++) {
			sbuf_printf(&out, "%s", i ? "," : "");
			sbuf_json_str(&out, warn.lines[i]);
		}
		sbuf_printf(&out, "]}\n");
	} else {
		date_text(e.not_before, nb, sizeof(nb));
		date_text(e.not_after, na, sizeof(na));
		date_text(e.revoked, rv, sizeof(rv));
		sbuf_printf(&out, "name:            %s\nrole:            %s (%s)\nsubject:         %s\nissuer:          %s\n"
				  "serial:          %s\nvalid:           %s to %s\nstatus:          %s",
			    e.name, e.role, e.origin, e.subject, e.issuer, e.serial, nb, na, status_of(&e, time(NULL)));
		if (e.revoked)
			sbuf_printf(&out, " on %s (%s)", rv, ca_reason_name(e.reason));
		if (e.key_file)
			sbuf_printf(&out, "\nkey:             %s, kept in %s/%s\n", key, c->dir, e.key_file);
		else
			sbuf_printf(&out, "\nkey:             %s, not kept\n", key);
		sbuf_printf(&out, "subjectAltName:  %s\nkey usage:       %s\next. key usage:  %s\n",
			    sans.data ? sans.data : "-", ku.data ? ku.data : "-", eku.data ? eku.data : "-");
		if (*crl)
			sbuf_printf(&out, "CRL point:       %s\n", crl);
		sbuf_printf(&out, "SHA-256:         %s\n", fp);
		for (size_t i = 0; i < warn.n; i++)
			sbuf_printf(&out, "warning: %s\n", warn.lines[i]);
	}
	if (!out.failed && out.data)
		fputs(out.data, stdout);
	sbuf_free(&out);
	sbuf_free(&sans);
	sbuf_free(&ku);
	sbuf_free(&eku);
	diag_clear(&warn);
	gnutls_x509_crt_deinit(crt);
	store_cert_clear(&e);
	store_close(st);
	return 0;
}

int ctl_revoke(struct ctl_ctx *c, const char *name, const char *reason, const char *require_role)
{
	int code = 0;
	if (reason && (code = ca_reason_parse(reason)) < 0) {
		fprintf(stderr, "kanmonctl: --reason takes unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn or aACompromise\n");
		return 2;
	}
	struct store *st;
	if (ctl_store_open(c, false, &st))
		return 1;
	struct diag d = { 0 };
	int rc = 0;
	if (require_role) {
		struct store_cert e;
		if (!store_cert_get(st, name, &e)) {
			if (strcmp(e.role, require_role)) {
				fprintf(stderr, "kanmonctl: %s is a %s certificate, not a %s's: use kanmonctl cert revoke %s\n",
					name, e.role, require_role, name);
				rc = 1;
			}
			store_cert_clear(&e);
		}
	}
	if (!rc && ca_revoke(st, name, code, &d)) {
		ctl_errors(&d);
		rc = 1;
	}
	diag_clear(&d);
	store_close(st);
	if (!rc) {
		printf("%s revoked: kanmond refuses it from now on; publish a new CRL with kanmonctl crl export --out FILE\n",
		       name);
		ctl_notify_daemon(c, "the revocation");
	}
	return rc;
}

static int cmd_revoke(struct ctl_ctx *c, int argc, char **argv)
{
	struct ctl_opt o[] = { OPT("reason"), OPT_END };
	const char *pos[1];
	size_t np;
	int rc = ctl_parse("cert revoke", argc, argv, o, pos, 1, &np);
	if (rc || np != 1) {
		if (!rc)
			fprintf(stderr, "usage: kanmonctl cert revoke NAME [--reason keyCompromise|superseded|...]\n");
		return 2;
	}
	return ctl_revoke(c, pos[0], ctl_opt(o, "reason") ? ctl_opt(o, "reason")->value : NULL, NULL);
}

static int cmd_check(struct ctl_ctx *c, int argc, char **argv)
{
	struct ctl_opt o[] = { OPT("role"), OPT("id"), OPT("passphrase-file"), OPT_END };
	const char *pos[1];
	size_t np;
	int rc = ctl_parse("cert check", argc, argv, o, pos, 1, &np);
	const char *role_s = ctl_opt(o, "role") ? ctl_opt(o, "role")->value : NULL;
	if (rc || np != 1 || (role_s && strcmp(role_s, "server") && strcmp(role_s, "client"))) {
		if (!rc)
			fprintf(stderr, "usage: kanmonctl cert check FILE [--role server|client] [--id IDENTITY] [--passphrase-file F]\n");
		return 2;
	}
	struct cert_id id;
	const char *id_s = ctl_opt(o, "id") ? ctl_opt(o, "id")->value : NULL;
	if (id_s && cert_id_from_text(id_s, &id)) {
		fprintf(stderr, "kanmonctl: --id %s is not an identity (address, FQDN, user@domain or a DN like \"C=JP, O=Example, CN=x\")\n",
			id_s);
		return 2;
	}
	char *pass = NULL;
	if (ctl_passphrase(ctl_opt(o, "passphrase-file") ? ctl_opt(o, "passphrase-file")->value : NULL, &pass))
		return 1;
	struct diag d = { 0 };
	struct cert_bundle b;
	struct certstore *cs = NULL;
	struct store *st = NULL;
	rc = 1;
	if (cert_bundle_load(pos[0], pass, &b, &d)) {
		ctl_errors(&d);
		goto out;
	}
	if (!b.n_certs) {
		fprintf(stderr, "kanmonctl: %s holds no certificate\n", pos[0]);
		goto out_b;
	}
	if (b.key && !cert_key_matches(b.certs[0], b.key)) {
		fprintf(stderr, "refused: the private key in %s does not belong to its certificate\n", pos[0]);
		goto out_b;
	}
	int role = KANMON_CERT_CLIENT;
	if (role_s)
		role = !strcmp(role_s, "server") ? KANMON_CERT_SERVER : KANMON_CERT_CLIENT;
	else
		for (unsigned i = 0;; i++) {
			char oid[128];
			size_t l = sizeof(oid);
			if (gnutls_x509_crt_get_key_purpose_oid(b.certs[0], i, oid, &l, NULL) < 0)
				break;
			if (!strcmp(oid, "1.3.6.1.5.5.7.3.1"))
				role = KANMON_CERT_SERVER;
		}
	if (access(c->dir, F_OK) == 0 && ctl_store_open(c, false, &st))
		goto out_b;
	struct certstore_params cp = { .state_dir = c->dir, .store = st, .ca = ctl_conf_ca(c) };
	if (certstore_new(&cp, &cs, &d)) {
		ctl_errors(&d);
		goto out_b;
	}
	struct kanmon_cert_result res = { .size = sizeof(res) };
	/* the chain as a client sends it: end entity first, its CA certificates after */
	size_t n = 1;
	while (n < b.n_certs && n < 16)
		n++;
	certstore_verify_crts(cs, b.certs, n, role, id_s ? &id.id : NULL, time(NULL), &res);
	const char *as = role == KANMON_CERT_SERVER ? "VPN server" : "VPN client";
	if (res.status) {
		printf("refused as a %s: %s\n  subject %s, issuer %s, serial %s\n", as, res.reason, res.subject,
		       res.issuer, res.serial);
	} else {
		char na[16];
		date_text(res.not_after, na, sizeof(na));
		printf("accepted as a %s: %s\n  issued by %s (trusted), serial %s, valid until %s, not revoked%s%s\n", as,
		       res.subject, res.issuer, res.serial, na, id_s ? ", carries the identity " : "", id_s ? id_s : "");
		rc = 0;
	}
	if (role == KANMON_CERT_SERVER) {
		struct diag w = { 0 };
		char label[300];
		snprintf(label, sizeof(label), "server certificate %s", pos[0]);
		cert_check_server(b.certs[0], label, id_s && id.id.type != KANMON_ID_DER_ASN1_DN ? id_s : NULL,
				  certstore_issuer_is_root(cs, b.certs[0]), time(NULL), &w);
		for (size_t i = 0; i < w.n; i++)
			printf("warning: %s\n", w.lines[i]);
		diag_clear(&w);
	}
	certstore_free(cs);
out_b:
	cert_bundle_clear(&b);
out:
	store_close(st);
	diag_clear(&d);
	cert_passphrase_free(pass);
	return rc;
}

static int cmd_crl_export(struct ctl_ctx *c, int argc, char **argv)
{
	struct ctl_opt o[] = { OPT("out"), OPT("format"), OPT("days"), OPT("ca-passphrase-file"),
			       OPT_END };
	const char *pos[1];
	size_t np;
	unsigned days;
	enum cert_format f = CERT_FMT_DER;
	int rc = ctl_parse("crl export", argc, argv, o, pos, 0, &np);
	if (rc)
		return rc;
	const struct ctl_opt *out = ctl_opt(o, "out"), *fmt = ctl_opt(o, "format");
	if (!out || (fmt && (cert_format_parse(fmt->value, &f) || f == CERT_FMT_P12))) {
		fprintf(stderr, "usage: kanmonctl crl export --out FILE [--format pem|der] [--days 30] [--ca-passphrase-file F]\n");
		return 2;
	}
	if (!fmt) {
		size_t l = strlen(out->value);
		f = l > 4 && !strcmp(out->value + l - 4, ".pem") ? CERT_FMT_PEM : CERT_FMT_DER;
	}
	if (parse_days(ctl_opt(o, "days") ? ctl_opt(o, "days")->value : NULL, 30, &days))
		return 2;
	char *pass = NULL;
	if (ctl_passphrase(ctl_opt(o, "ca-passphrase-file") ? ctl_opt(o, "ca-passphrase-file")->value : NULL, &pass))
		return 1;
	struct store *st;
	struct ca_ctx ca;
	struct diag d = { 0 };
	rc = ctl_store_open(c, false, &st);
	if (!rc) {
		int64_t number = 0;
		size_t entries = 0;
		rc = 1;
		if (!ca_open(&ca, c->dir, st, true, pass, &d)) {
			if (!ca_crl_export(&ca, out->value, f, days, &number, &entries, &d)) {
				printf("CRL number %lld with %zu revoked certificate%s written to %s (%s), valid %u days\n",
				       (long long)number, entries, entries == 1 ? "" : "s", out->value,
				       f == CERT_FMT_PEM ? "PEM" : "DER", days);
				rc = 0;
			}
			ca_close(&ca);
		}
		ctl_errors(&d);
		store_close(st);
	}
	diag_clear(&d);
	cert_passphrase_free(pass);
	return rc;
}

static int cmd_export(struct ctl_ctx *c, int argc, char **argv)
{
	struct ctl_opt o[] = { OPT("format"), OPT("out"), OPT("passphrase-file"), OPT_END };
	const char *pos[1];
	size_t np;
	enum cert_format f;
	int rc = ctl_parse("cert export", argc, argv, o, pos, 1, &np);
	if (rc)
		return rc;
	const struct ctl_opt *fmt = ctl_opt(o, "format"), *out = ctl_opt(o, "out");
	if (np != 1 || !fmt || !out || cert_format_parse(fmt->value, &f)) {
		fprintf(stderr, "usage: kanmonctl cert export NAME --format pem|der|p12 [--passphrase-file F] --out FILE\n");
		return 2;
	}
	char *pass = NULL;
	if (ctl_passphrase(ctl_opt(o, "passphrase-file") ? ctl_opt(o, "passphrase-file")->value : NULL, &pass))
		return 1;
	struct store *st;
	struct diag d = { 0 };
	struct ca_ctx ca;
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_privkey_t key = NULL;
	gnutls_datum_t data = { NULL, 0 };
	char generated[32] = "";
	rc = ctl_store_open(c, false, &st);
	if (rc)
		goto out;
	rc = 1;
	if (ca_open(&ca, c->dir, st, false, NULL, &d))
		goto out_st;
	struct store_cert e = { 0 };
	if (!strcmp(pos[0], "ca")) {
		if (f == CERT_FMT_P12) {
			fprintf(stderr, "kanmonctl: the CA is exported as pem or der (its key never leaves the state directory)\n");
			goto out_ca;
		}
		if (gnutls_x509_crt_init(&crt) < 0)
			goto out_ca;
		gnutls_datum_t raw;
		if (gnutls_x509_crt_export2(ca.crt, GNUTLS_X509_FMT_DER, &raw) >= 0) {
			gnutls_x509_crt_import(crt, &raw, GNUTLS_X509_FMT_DER);
			gnutls_free(raw.data);
		}
	} else {
		int err = store_cert_get(st, pos[0], &e);
		if (err) {
			fprintf(stderr, "kanmonctl: %s\n", err == -ENOENT ? "no such certificate (see kanmonctl cert list)" : strerror(-err));
			goto out_ca;
		}
		if (e.revoked)
			fprintf(stderr, "kanmonctl: note: %s is revoked\n", e.name);
		if (ca_load_entry(&ca, &e, &crt, f == CERT_FMT_P12 ? &key : NULL, &d)) {
			ctl_errors(&d);
			goto out_e;
		}
	}
	if (f == CERT_FMT_P12) {
		if (!pass) {
			if (cert_passphrase_new(generated, sizeof(generated)))
				goto out_e;
			pass = strdup(generated);
			if (!pass)
				goto out_e;
		}
		/* the issuing CA goes in when it is ours (imported certificates bring their own) */
		bool ours = gnutls_x509_crt_check_issuer(crt, ca.crt);
		if (cert_export_p12(crt, key, ours ? ca.crt : NULL, e.name, pass, &data, &d)) {
			ctl_errors(&d);
			goto out_e;
		}
	} else if (cert_export_crt(crt, f, &data)) {
		goto out_e;
	}
	if (cert_write_atomic(out->value, data.data, data.size, f == CERT_FMT_P12 ? 0600 : 0644, NULL, &d)) {
		ctl_errors(&d);
		goto out_e;
	}
	printf("%s written to %s (%s)\n", pos[0], out->value, fmt->value);
	if (*generated)
		printf("passphrase of %s (shown only now): %s\n", out->value, generated);
	rc = 0;
out_e:
	store_cert_clear(&e);
out_ca:
	ca_close(&ca);
out_st:
	store_close(st);
out:
	gnutls_memset(generated, 0, sizeof(generated));
	if (data.data) {
		gnutls_memset(data.data, 0, data.size);
		gnutls_free(data.data);
	}
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	diag_clear(&d);
	cert_passphrase_free(pass);
	return rc;
}

static int cmd_import(struct ctl_ctx *c, int argc, char **argv)
{
	struct ctl_opt o[] = { OPT("key"), OPT("passphrase-file"), OPT("role"), OPT_END };
	const char *pos[2];
	size_t np;
	int rc = ctl_parse("cert import", argc, argv, o, pos, 2, &np);
	if (rc || np != 2) {
		if (!rc)
			fprintf(stderr, "usage: kanmonctl cert import NAME FILE [--key FILE] [--passphrase-file F] [--role ca|server|client]\n");
		return 2;
	}
	char *pass = NULL;
	if (ctl_passphrase(ctl_opt(o, "passphrase-file") ? ctl_opt(o, "passphrase-file")->value : NULL, &pass))
		return 1;
	struct ca_import_params p = { .name = pos[0], .cert_file = pos[1],
				      .key_file = ctl_opt(o, "key") ? ctl_opt(o, "key")->value : NULL,
				      .passphrase = pass, .role = ctl_opt(o, "role") ? ctl_opt(o, "role")->value : NULL };
	struct store *st;
	struct diag d = { 0 };
	char role[16];
	rc = ctl_store_open(c, true, &st);
	if (!rc) {
		if (ca_import(c->dir, st, &p, role, sizeof(role), &d)) {
			ctl_errors(&d);
			rc = 1;
		} else {
			for (size_t i = 0; i < d.n; i++)
				printf("%s\n", d.lines[i]);
			printf("%s imported as a %s certificate\n", p.name, role);
		}
		store_close(st);
	}
	diag_clear(&d);
	cert_passphrase_free(pass);
	if (!rc)
		ctl_notify_daemon(c, "the imported certificate");
	return rc;
}

bool ctl_is_offline_group(const char *word)
{
	return !strcmp(word, "ca") || !strcmp(word, "cert") || !strcmp(word, "crl") || !strcmp(word, "client");
}

int ctl_cert_main(struct ctl_ctx *c, int argc, char **argv)
{
	const char *group = argv[0], *sub = argc > 1 ? argv[1] : "";
	if (!strcmp(group, "ca") && !strcmp(sub, "create"))
		return cmd_ca_create(c, argc - 2, argv + 2);
	if (!strcmp(group, "crl") && !strcmp(sub, "export"))
		return cmd_crl_export(c, argc - 2, argv + 2);
	if (!strcmp(group, "cert")) {
		static const struct {
			const char *name;
			int (*fn)(struct ctl_ctx *c, int argc, char **argv);
		} cmds[] = {
			{ "issue", cmd_issue }, { "show", cmd_show }, { "revoke", cmd_revoke },
			{ "check", cmd_check }, { "export", cmd_export }, { "import", cmd_import },
		};
		if (!strcmp(sub, "list"))
			return cmd_list(c, argc - 2, argv + 2, NULL);
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (!strcmp(sub, cmds[i].name))
				return cmds[i].fn(c, argc - 2, argv + 2);
	}
	fprintf(stderr, "kanmonctl: unknown command '%s %s'; see kanmonctl --help\n", group, sub);
	return 2;
}
