/* SPDX-License-Identifier: MIT */
/*
 * ca.c - the built-in CA: create it, issue server and client certificates,
 * revoke them, sign CRLs, import certificates from elsewhere.
 *
 * State: rows in the store (store.h: ca, certs, revocations) and private
 * key files under STATE_DIR/ca/ (0700 directories, 0600 files, owned by the
 * daemon's user so kanmond can read its server keys).
 *
 * Atomicity: every key file has a name of its own (the CA's and issued
 * certificates' by serial, imported ones by a random tag), is written
 * atomically (export.c) before the row that names it is committed, and is
 * unlinked again when that commit fails. So no error leaves a row without
 * its file, a half-written file, or a file that replaced another one; a
 * crash between the two steps leaves at most an unreferenced key file.
 *
 * Certificate profiles (the client requirements: CLIENTS.md 1b, pain point 2; SEEDS.md A):
 *  - CA: basicConstraints CA:TRUE (critical; Android recognises a CA file
 *    only with it), keyCertSign + cRLSign.
 *  - server: SAN DNS = CN by default, an address also as a dNSName SAN
 *    (Windows error 13801), digitalSignature + keyEncipherment, EKU
 *    serverAuth + IKE intermediate + id-kp-ipsecIKE, issued directly by the
 *    root (Android L2TP/IPsec).
 *  - client: email SAN when the CN is an address, EKU clientAuth; a CRL
 *    distribution point when the CA has a CRL host. Servers fetch CRLs,
 *    clients do not need to: Windows tries to fetch the server
 *    certificate's CRL and stalls when it cannot, so server certificates
 *    carry none.
 * Subjects inherit C and O from the CA unless given, so a wildcard rule
 * like "C=JP, O=Example Inc., CN=*" covers every client of the CA.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "certstore.h"
#include "store.h"

#define OID_CLIENT_AUTH "1.3.6.1.5.5.7.3.2"
#define OID_SERVER_AUTH "1.3.6.1.5.5.7.3.1"
#define OID_IKE_INTERMEDIATE "1.3.6.1.5.5.8.2.2"
#define OID_IPSEC_IKE "1.3.6.1.5.5.7.3.17"
/* issued certificates start a day early: a phone whose clock lags must not see "not yet valid" */
#define BACKDATE (24 * 3600)
#define MAX_SANS 32

static void date_text(time_t t, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

int cert_key_kind_parse(const char *s, enum cert_key_kind *k)
{
	if (!s || !strcmp(s, "rsa2048") || !strcmp(s, "rsa"))
		*k = CERT_KEY_RSA2048;
	else if (!strcmp(s, "rsa3072"))
		*k = CERT_KEY_RSA3072;
	else if (!strcmp(s, "ecdsa-p256") || !strcmp(s, "ecdsa") || !strcmp(s, "p256"))
		*k = CERT_KEY_ECDSA_P256;
	else
		return -EINVAL;
	return 0;
}

int cert_key_generate(enum cert_key_kind k, gnutls_x509_privkey_t *out)
{
	if (gnutls_x509_privkey_init(out) < 0)
		return -ENOMEM;
	int rc;
	switch (k) {
	case CERT_KEY_RSA3072:
		rc = gnutls_x509_privkey_generate2(*out, GNUTLS_PK_RSA, 3072, 0, NULL, 0);
		break;
	case CERT_KEY_ECDSA_P256:
		rc = gnutls_x509_privkey_generate2(*out, GNUTLS_PK_ECDSA,
						   GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0);
		break;
	default:
		rc = gnutls_x509_privkey_generate2(*out, GNUTLS_PK_RSA, 2048, 0, NULL, 0);
		break;
	}
	if (rc < 0) {
		gnutls_x509_privkey_deinit(*out);
		*out = NULL;
		return -EIO;
	}
	return 0;
}

/* 16 random bytes, positive, no leading zero: unique without coordination (CA/B BR 7.1) */
static int new_serial(uint8_t s[16], char hex[CERT_SERIAL_HEX_MAX])
{
	if (gnutls_rnd(GNUTLS_RND_NONCE, s, 16) < 0)
		return -EIO;
	s[0] = (uint8_t)((s[0] & 0x7f) | 0x40);
	cert_hex(s, 16, hex);
	return 0;
}

static int set_subject(gnutls_x509_crt_t crt, const char *country, const char *org, const char *cn)
{
	/* in ASN.1 order: GnuTLS appends each RDN */
	if (country && *country &&
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COUNTRY_NAME, 0, country, (unsigned)strlen(country)) < 0)
		return -EINVAL;
	if (org && *org &&
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, org, (unsigned)strlen(org)) < 0)
		return -EINVAL;
	if (gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)strlen(cn)) < 0)
		return -EINVAL;
	return 0;
}

static int set_ski(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	uint8_t id[64];
	size_t len = sizeof(id);
	if (gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA1, id, &len) < 0 ||
	    gnutls_x509_crt_set_subject_key_id(crt, id, len) < 0)
		return -EIO;
	return 0;
}

static bool country_ok(const char *c)
{
	return !c || (strlen(c) == 2 && isalpha((unsigned char)c[0]) && isalpha((unsigned char)c[1]));
}

static bool text_ok(const char *s, size_t max)
{
	if (!s)
		return true;
	size_t n = strlen(s);
	if (!n || n > max)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int ca_path(const char *state_dir, const char *rel, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", state_dir, rel);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ca_prepare_dirs(const char *state_dir, const struct cert_owner *owner, struct diag *d)
{
	char path[4096];
	int err = cert_mkdir(state_dir, 0700, owner, d);
	if (!err && !ca_path(state_dir, CA_DIR, path, sizeof(path)))
		err = cert_mkdir(path, 0700, owner, d);
	if (!err && !ca_path(state_dir, CA_KEYS_DIR, path, sizeof(path)))
		err = cert_mkdir(path, 0700, owner, d);
	return err;
}

/* ---- create ---------------------------------------------------------------- */

int ca_create(const char *state_dir, struct store *st, const struct ca_create_params *p, struct diag *d)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t pem = { NULL, 0 }, der = { NULL, 0 };
	struct store_ca row = { 0 }, existing;
	struct cert_owner owner;
	char rel[128], path[4096], hex[CERT_SERIAL_HEX_MAX];
	uint8_t serial[16];
	bool key_written = false;
	int err = cert_global_init();
	if (err)
		return err;
	if (!p->cn || !text_ok(p->cn, 64)) {
		diag_add(d, "the CA needs a common name (--cn \"VPN Root CA\") of 1-64 printable characters");
		return -EINVAL;
	}
	if (!country_ok(p->country) || !text_ok(p->org, 64)) {
		diag_add(d, "--country takes a two-letter code (JP) and --org 1-64 printable characters");
		return -EINVAL;
	}
	if (p->days < 1 || p->days > CA_MAX_DAYS) {
		diag_add(d, "--days must be between 1 and %d", CA_MAX_DAYS);
		return -EINVAL;
	}
	if (p->crl_host && !text_ok(p->crl_host, 200)) {
		diag_add(d, "--crl-host takes a host name");
		return -EINVAL;
	}
	err = store_ca_get(st, &existing);
	if (!err) {
		gnutls_x509_crt_t old;
		char subject[CERT_DN_MAX] = "?";
		if (!cert_from_der(existing.cert, existing.cert_len, &old)) {
			cert_subject_text(old, subject, sizeof(subject));
			gnutls_x509_crt_deinit(old);
		}
		diag_add(d, "a CA exists already in %s (%s): kanmon keeps one CA per state directory", state_dir,
			 subject);
		store_ca_clear(&existing);
		return -EEXIST;
	}
	if (err != -ENOENT) {
		diag_add(d, "cannot read the CA state in %s: %s", state_dir, strerror(-err));
		return err;
	}

	err = cert_key_generate(p->key, &key);
	if (err) {
		diag_add(d, "cannot generate the CA key");
		goto out;
	}
	time_t now = time(NULL);
	err = -EIO;
	if (gnutls_x509_crt_init(&crt) < 0 || new_serial(serial, hex) ||
	    gnutls_x509_crt_set_version(crt, 3) < 0 || gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
	    set_subject(crt, p->country, p->org, p->cn) || gnutls_x509_crt_set_key(crt, key) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - BACKDATE) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + (time_t)p->days * 86400) < 0 ||
	    /* pathLen 0: this CA issues end entities only, which is what Android needs */
	    gnutls_x509_crt_set_basic_constraints(crt, 1, 0) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN) < 0 ||
	    set_ski(crt, key) || gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0 ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0 || cert_export_key(key, p->passphrase, &pem)) {
		diag_add(d, "cannot build the CA certificate");
		goto out;
	}

	cert_owner_of(state_dir, &owner);
	err = ca_prepare_dirs(state_dir, &owner, d);
	if (err)
		goto out;
	snprintf(rel, sizeof(rel), CA_DIR "/ca-%.16s.key", hex);
	err = ca_path(state_dir, rel, path, sizeof(path));
	if (!err)
		err = cert_write_atomic(path, pem.data, pem.size, 0600, &owner, d);
	if (err)
		goto out;
	key_written = true;
	row = (struct store_ca){ .cert = der.data, .cert_len = der.size, .key_file = rel,
				 .key_encrypted = p->passphrase != NULL, .crl_host = (char *)p->crl_host,
				 .created = now };
	err = store_ca_put(st, &row);
	if (err == -EEXIST)
		diag_add(d, "a CA was created in %s at the same time by another kanmonctl: kept that one", state_dir);
	else if (err)
		diag_add(d, "cannot record the CA in the store of %s: %s", state_dir, strerror(-err));
out:
	if (err && key_written)
		unlink(path);
	if (pem.data) {
		gnutls_memset(pem.data, 0, pem.size);
		gnutls_free(pem.data);
	}
	gnutls_free(der.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return err;
}

/* ---- open ------------------------------------------------------------------- */

void ca_close(struct ca_ctx *ca)
{
	if (!ca)
		return;
	if (ca->crt)
		gnutls_x509_crt_deinit(ca->crt);
	if (ca->key)
		gnutls_x509_privkey_deinit(ca->key);
	free(ca->crl_host);
	memset(ca, 0, sizeof(*ca));
}

static int load_key_file(const char *state_dir, const char *rel, const char *pass, const char *what,
			 gnutls_x509_privkey_t *key, struct diag *d)
{
	char path[4096];
	struct cert_bundle b;
	*key = NULL;
	int err = ca_path(state_dir, rel, path, sizeof(path));
	if (err)
		return err;
	struct diag ld = { 0 };
	err = cert_bundle_load(path, pass, &b, &ld);
	if (err == -EACCES) {
		diag_add(d, pass ? "wrong passphrase for %s (%s)" : "%s is protected by a passphrase: give it with --ca-passphrase-file FILE (%s)",
			 what, path);
	} else if (err) {
		for (size_t i = 0; i < ld.n; i++)
			diag_add(d, "%s", ld.lines[i]);
	} else if (!b.key) {
		diag_add(d, "%s holds no private key", path);
		err = -EINVAL;
	} else {
		*key = b.key;
		b.key = NULL;
	}
	diag_clear(&ld);
	cert_bundle_clear(&b);
	return err;
}

int ca_open(struct ca_ctx *ca, const char *state_dir, struct store *st, bool need_key, const char *pass,
	    struct diag *d)
{
	struct store_ca row;
	memset(ca, 0, sizeof(*ca));
	ca->state_dir = state_dir;
	ca->store = st;
	int err = cert_global_init();
	if (err)
		return err;
	err = store_ca_get(st, &row);
	if (err == -ENOENT) {
		diag_add(d, "there is no CA in %s: create one with kanmonctl ca create --cn \"VPN Root CA\"", state_dir);
		return err;
	}
	if (err) {
		diag_add(d, "cannot read the CA state in %s: %s", state_dir, strerror(-err));
		return err;
	}
	cert_owner_of(state_dir, &ca->owner);
	ca->crl_number = row.crl_number;
	ca->key_encrypted = row.key_encrypted;
	if (row.crl_host && !(ca->crl_host = strdup(row.crl_host)))
		err = -ENOMEM;
	if (!err && cert_from_der(row.cert, row.cert_len, &ca->crt)) {
		diag_add(d, "the CA certificate in the store of %s is unreadable", state_dir);
		err = -EUCLEAN;
	}
	if (!err)
		cert_subject_text(ca->crt, ca->subject, sizeof(ca->subject));
	if (!err && need_key) {
		if (row.key_encrypted && !pass) {
			diag_add(d, "the CA key is protected by a passphrase: give it with --ca-passphrase-file FILE");
			err = -EACCES;
		} else {
			err = load_key_file(state_dir, row.key_file, row.key_encrypted ? pass : NULL, "the CA key", &ca->key, d);
		}
		if (!err && !cert_key_matches(ca->crt, ca->key)) {
			diag_add(d, "the CA key file %s/%s does not belong to the CA certificate: restore it from a backup",
				 state_dir, row.key_file);
			err = -EUCLEAN;
		}
	}
	store_ca_clear(&row);
	if (err)
		ca_close(ca);
	return err;
}

static int ca_usable(const struct ca_ctx *ca, time_t now, struct diag *d)
{
	char date[32];
	time_t na = gnutls_x509_crt_get_expiration_time(ca->crt), nb = gnutls_x509_crt_get_activation_time(ca->crt);
	if (na != (time_t)-1 && na <= now) {
		date_text(na, date, sizeof(date));
		diag_add(d, "the CA certificate (%s) expired on %s: nothing it signs would be accepted; create a new CA in a new state directory and reissue",
			 ca->subject, date);
		return -EKEYEXPIRED;
	}
	if (nb != (time_t)-1 && nb > now) {
		date_text(nb, date, sizeof(date));
		diag_add(d, "the CA certificate (%s) is valid only from %s: is the clock right?", ca->subject, date);
		return -EKEYEXPIRED;
	}
	return 0;
}

/* ---- issue ------------------------------------------------------------------ */

struct san {
	int type;		/* GNUTLS_SAN_* */
	char text[256];
	uint8_t raw[16];
	size_t raw_len;
};

static bool san_add(struct san *v, size_t *n, int type, const char *text, struct diag *d)
{
	struct san s = { .type = type };
	if (strlen(text) >= sizeof(s.text) || !*text) {
		diag_add(d, "subjectAltName '%s' is empty or too long", text);
		return false;
	}
	snprintf(s.text, sizeof(s.text), "%s", text);
	if (type == GNUTLS_SAN_IPADDRESS) {
		if (inet_pton(AF_INET, text, s.raw) == 1)
			s.raw_len = 4;
		else if (inet_pton(AF_INET6, text, s.raw) == 1)
			s.raw_len = 16;
		else {
			diag_add(d, "ip:%s is not an IPv4 or IPv6 address", text);
			return false;
		}
	}
	for (size_t i = 0; i < *n; i++)
		if (v[i].type == type && !strcasecmp(v[i].text, s.text))
			return true;	/* once is enough */
	if (*n == MAX_SANS) {
		diag_add(d, "too many subjectAltNames (at most %d)", MAX_SANS);
		return false;
	}
	v[(*n)++] = s;
	return true;
}

static bool is_addr(const char *s)
{
	uint8_t a[16];
	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* Default SANs for the role plus --san entries; an address also as dNSName. */
static int collect_sans(const struct ca_issue_params *p, struct san *v, size_t *n, struct diag *d)
{
	*n = 0;
	if (p->role == KANMON_CERT_SERVER) {
		if (is_addr(p->cn)) {
			if (!san_add(v, n, GNUTLS_SAN_IPADDRESS, p->cn, d) || !san_add(v, n, GNUTLS_SAN_DNSNAME, p->cn, d))
				return -EINVAL;
		} else if (!san_add(v, n, GNUTLS_SAN_DNSNAME, p->cn, d)) {
			return -EINVAL;
		}
	} else if (strchr(p->cn, '@') && !strchr(p->cn, '=')) {
		if (!san_add(v, n, GNUTLS_SAN_RFC822NAME, p->cn, d))
			return -EINVAL;
	}
	for (size_t i = 0; i < p->n_sans; i++) {
		const char *s = p->sans[i];
		bool ok;
		if (!strncmp(s, "dns:", 4))
			ok = san_add(v, n, GNUTLS_SAN_DNSNAME, s + 4, d);
		else if (!strncmp(s, "ip:", 3))
			/* Windows only matches an address against a dNSName (error 13801) */
			ok = san_add(v, n, GNUTLS_SAN_IPADDRESS, s + 3, d) && san_add(v, n, GNUTLS_SAN_DNSNAME, s + 3, d);
		else if (!strncmp(s, "email:", 6))
			ok = strchr(s + 6, '@') ? san_add(v, n, GNUTLS_SAN_RFC822NAME, s + 6, d) : false;
		else
			ok = false;
		if (!ok) {
			if (!d->n || !strstr(d->lines[d->n - 1], s))
				diag_add(d, "--san %s: use dns:NAME, ip:ADDRESS or email:USER@DOMAIN", s);
			return -EINVAL;
		}
	}
	return 0;
}

static void dn_attr(gnutls_x509_crt_t crt, const char *oid, char *buf, size_t len)
{
	size_t l = len;
	if (gnutls_x509_crt_get_dn_by_oid(crt, oid, 0, 0, buf, &l) < 0)
		buf[0] = '\0';
}

void ca_issued_clear(struct ca_issued *is)
{
	if (!is)
		return;
	if (is->crt)
		gnutls_x509_crt_deinit(is->crt);
	if (is->key)
		gnutls_x509_privkey_deinit(is->key);
	memset(is, 0, sizeof(*is));
}

int ca_issue_prepare(struct ca_ctx *ca, const struct ca_issue_params *p, struct ca_issued *out, struct diag *d)
{
	struct san sans[MAX_SANS];
	size_t n_sans = 0;
	struct store_cert existing;
	char country[8], org[128], date[32];
	uint8_t serial[16];
	memset(out, 0, sizeof(*out));
	if (!ca->key || (p->role != KANMON_CERT_SERVER && p->role != KANMON_CERT_CLIENT))
		return -EINVAL;
	if (!cert_name_ok(p->name) || !strcmp(p->name, "ca")) {
		diag_add(d, "'%s' cannot name a certificate: use 1-64 of A-Z a-z 0-9 . _ @ - (\"ca\" is the CA itself)",
			 p->name ? p->name : "");
		return -EINVAL;
	}
	if (!p->cn || !text_ok(p->cn, 64)) {
		diag_add(d, "%s needs a common name of 1-64 printable characters (--cn)", p->name);
		return -EINVAL;
	}
	if (!country_ok(p->country) || !text_ok(p->org, 64)) {
		diag_add(d, "--country takes a two-letter code (JP) and --org 1-64 printable characters");
		return -EINVAL;
	}
	if (p->days < 1 || p->days > CA_MAX_DAYS) {
		diag_add(d, "--days must be between 1 and %d", CA_MAX_DAYS);
		return -EINVAL;
	}
	int err = store_cert_get(ca->store, p->name, &existing);
	if (!err) {
		date_text(existing.created, date, sizeof(date));
		diag_add(d, "a certificate named %s exists already (%s, %s, %s%s): choose another name", p->name,
			 existing.role, existing.subject, existing.revoked ? "revoked, created " : "created ", date);
		store_cert_clear(&existing);
		return -EEXIST;
	}
	if (err != -ENOENT) {
		diag_add(d, "cannot read the store: %s", strerror(-err));
		return err;
	}
	time_t now = time(NULL);
	err = ca_usable(ca, now, d);
	if (!err)
		err = collect_sans(p, sans, &n_sans, d);
	if (err)
		return err;

	snprintf(out->name, sizeof(out->name), "%s", p->name);
	out->role = p->role;
	err = cert_key_generate(p->key, &out->key);
	if (err) {
		diag_add(d, "cannot generate a key for %s", p->name);
		goto fail;
	}
	if (!p->country)
		dn_attr(ca->crt, GNUTLS_OID_X520_COUNTRY_NAME, country, sizeof(country));
	if (!p->org)
		dn_attr(ca->crt, GNUTLS_OID_X520_ORGANIZATION_NAME, org, sizeof(org));
	time_t ca_end = gnutls_x509_crt_get_expiration_time(ca->crt);
	time_t end = now + (time_t)p->days * 86400;
	if (ca_end != (time_t)-1 && end > ca_end) {
		/* a certificate outliving its CA would fail verification then anyway */
		out->clamped = end - ca_end > 2 * BACKDATE;	/* worth a note beyond the CA's own head start */
		end = ca_end;
	}
	bool rsa = gnutls_x509_privkey_get_pk_algorithm(out->key) == GNUTLS_PK_RSA;
	unsigned ku = GNUTLS_KEY_DIGITAL_SIGNATURE | (rsa ? GNUTLS_KEY_KEY_ENCIPHERMENT : 0);
	uint8_t ca_kid[64];
	size_t ca_kid_len = sizeof(ca_kid);
	err = -EIO;
	if (gnutls_x509_crt_init(&out->crt) < 0 || new_serial(serial, out->serial) ||
	    gnutls_x509_crt_set_version(out->crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(out->crt, serial, sizeof(serial)) < 0 ||
	    set_subject(out->crt, p->country ? p->country : country, p->org ? p->org : org, p->cn) ||
	    gnutls_x509_crt_set_key(out->crt, out->key) < 0 ||
	    gnutls_x509_crt_set_activation_time(out->crt, now - BACKDATE) < 0 ||
	    gnutls_x509_crt_set_expiration_time(out->crt, end) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(out->crt, 0, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(out->crt, ku) < 0 || set_ski(out->crt, out->key))
		goto build_fail;
	if (p->role == KANMON_CERT_SERVER) {
		if (gnutls_x509_crt_set_key_purpose_oid(out->crt, OID_SERVER_AUTH, 0) < 0 ||
		    gnutls_x509_crt_set_key_purpose_oid(out->crt, OID_IKE_INTERMEDIATE, 0) < 0 ||
		    gnutls_x509_crt_set_key_purpose_oid(out->crt, OID_IPSEC_IKE, 0) < 0)
			goto build_fail;
	} else if (gnutls_x509_crt_set_key_purpose_oid(out->crt, OID_CLIENT_AUTH, 0) < 0) {
		goto build_fail;
	}
	for (size_t i = 0; i < n_sans; i++) {
		const void *v = sans[i].type == GNUTLS_SAN_IPADDRESS ? (const void *)sans[i].raw : sans[i].text;
		size_t l = sans[i].type == GNUTLS_SAN_IPADDRESS ? sans[i].raw_len : strlen(sans[i].text);
		if (gnutls_x509_crt_set_subject_alt_name(out->crt, (gnutls_x509_subject_alt_name_t)sans[i].type, v,
							 (unsigned)l, GNUTLS_FSAN_APPEND) < 0)
			goto build_fail;
	}
	if (gnutls_x509_crt_get_subject_key_id(ca->crt, ca_kid, &ca_kid_len, NULL) >= 0 &&
	    gnutls_x509_crt_set_authority_key_id(out->crt, ca_kid, ca_kid_len) < 0)
		goto build_fail;
	if (ca->crl_host && p->role == KANMON_CERT_CLIENT) {
		char uri[300];
		snprintf(uri, sizeof(uri), "http://%s/kanmon.crl", ca->crl_host);
		if (gnutls_x509_crt_set_crl_dist_points2(out->crt, GNUTLS_SAN_URI, uri, (unsigned)strlen(uri), 0) < 0)
			goto build_fail;
	}
	if (gnutls_x509_crt_sign2(out->crt, ca->crt, ca->key, GNUTLS_DIG_SHA256, 0) < 0)
		goto build_fail;
	cert_subject_text(out->crt, out->subject, sizeof(out->subject));
	snprintf(out->key_file, sizeof(out->key_file), CA_KEYS_DIR "/%s.key", out->serial);
	return 0;
build_fail:
	diag_add(d, "cannot build the certificate for %s", p->name);
fail:
	ca_issued_clear(out);
	return err;
}

int ca_issue_commit(struct ca_ctx *ca, struct ca_issued *is, struct diag *d)
{
	gnutls_datum_t pem = { NULL, 0 }, der = { NULL, 0 };
	char path[4096];
	bool written = false;
	int err = ca_prepare_dirs(ca->state_dir, &ca->owner, d);
	if (err)
		return err;
	if (cert_export_key(is->key, NULL, &pem) || gnutls_x509_crt_export2(is->crt, GNUTLS_X509_FMT_DER, &der) < 0) {
		err = -EIO;
		goto out;
	}
	err = ca_path(ca->state_dir, is->key_file, path, sizeof(path));
	if (!err)
		err = cert_write_atomic(path, pem.data, pem.size, 0600, &ca->owner, d);
	if (err)
		goto out;
	written = true;
	const char *role = is->role == KANMON_CERT_SERVER ? STORE_ROLE_SERVER : STORE_ROLE_CLIENT;
	struct store_cert row = {
		.name = is->name, .role = (char *)role, .origin = STORE_ORIGIN_ISSUED, .serial = is->serial,
		.subject = is->subject, .issuer = ca->subject,
		.not_before = gnutls_x509_crt_get_activation_time(is->crt),
		.not_after = gnutls_x509_crt_get_expiration_time(is->crt), .created = time(NULL),
		.cert = der.data, .cert_len = der.size, .key_file = is->key_file,
	};
	err = store_cert_add(ca->store, &row);
	if (err == -EEXIST)
		diag_add(d, "a certificate named %s was added at the same time by another kanmonctl: choose another name",
			 is->name);
	else if (err)
		diag_add(d, "cannot record %s in the store: %s", is->name, strerror(-err));
	else
		is->committed = true;
out:
	if (err && written)
		unlink(path);
	if (pem.data) {
		gnutls_memset(pem.data, 0, pem.size);
		gnutls_free(pem.data);
	}
	gnutls_free(der.data);
	return err;
}

int ca_issue_undo(struct ca_ctx *ca, struct ca_issued *is)
{
	char path[4096];
	if (!is->committed)
		return 0;
	int err = store_cert_delete(ca->store, is->name);
	if (!ca_path(ca->state_dir, is->key_file, path, sizeof(path)))
		unlink(path);
	is->committed = false;
	return err;
}

/* ---- revoke, CRL ------------------------------------------------------------- */

static const char *const reasons[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
	"cessationOfOperation", "certificateHold", NULL, "removeFromCRL", "privilegeWithdrawn", "aACompromise",
};

int ca_reason_parse(const char *s)
{
	for (int i = 0; i < (int)(sizeof(reasons) / sizeof(reasons[0])); i++)
		if (reasons[i] && i != 8 && s && !strcasecmp(s, reasons[i]))
			return i;
	return -EINVAL;
}

const char *ca_reason_name(int reason)
{
	return reason >= 0 && reason < (int)(sizeof(reasons) / sizeof(reasons[0])) && reasons[reason] ?
		       reasons[reason] : "unspecified";
}

int ca_revoke(struct store *st, const char *name, int reason, struct diag *d)
{
	struct store_cert c;
	char date[32];
	if (!name || !strcmp(name, "ca")) {
		diag_add(d, "the CA cannot revoke itself: stop using this state directory and create a new CA");
		return -EINVAL;
	}
	int err = store_cert_get(st, name, &c);
	if (err == -ENOENT) {
		diag_add(d, "there is no certificate named %s (see kanmonctl cert list)", name);
		return err;
	}
	if (err) {
		diag_add(d, "cannot read the store: %s", strerror(-err));
		return err;
	}
	if (c.revoked) {
		date_text(c.revoked, date, sizeof(date));
		diag_add(d, "%s was revoked already on %s", name, date);
		store_cert_clear(&c);
		return -EALREADY;
	}
	store_cert_clear(&c);
	err = store_cert_revoke(st, name, time(NULL), reason);
	if (err == -EALREADY)
		diag_add(d, "%s was revoked at the same time by another kanmonctl", name);
	else if (err == -ENOENT)
		diag_add(d, "there is no certificate named %s (see kanmonctl cert list)", name);
	else if (err)
		diag_add(d, "cannot record the revocation of %s: %s", name, strerror(-err));
	return err;
}

struct crl_ctx {
	gnutls_x509_crl_t crl;
	const char *issuer;
	size_t n;
	int err;
};

static int crl_add(const struct store_cert *c, void *arg)
{
	struct crl_ctx *x = arg;
	uint8_t serial[20];
	size_t len = strlen(c->serial) / 2;
	if (!c->revoked || strcmp(c->issuer, x->issuer) || len > sizeof(serial) || !len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		if (sscanf(c->serial + 2 * i, "%2x", &v) != 1)
			return 0;
		serial[i] = (uint8_t)v;
	}
	if (gnutls_x509_crl_set_crt_serial(x->crl, serial, len, c->revoked) < 0) {
		x->err = -EIO;
		return -EIO;
	}
	x->n++;
	return 0;
}

int ca_crl_export(struct ca_ctx *ca, const char *path, enum cert_format f, unsigned days, int64_t *number,
		  size_t *entries, struct diag *d)
{
	struct crl_ctx x = { .issuer = ca->subject };
	gnutls_datum_t out = { NULL, 0 };
	struct cert_stage stage = { 0 };
	uint8_t kid[64], num[8];
	size_t kid_len = sizeof(kid);
	if (!ca->key || f == CERT_FMT_P12)
		return -EINVAL;
	if (days < 1 || days > 3650) {
		diag_add(d, "--days must be between 1 and 3650 for a CRL");
		return -EINVAL;
	}
	time_t now = time(NULL);
	int err = ca_usable(ca, now, d);
	if (err)
		return err;
	if (gnutls_x509_crl_init(&x.crl) < 0)
		return -ENOMEM;
	int64_t next = ca->crl_number + 1;
	for (int i = 0; i < 8; i++)
		num[i] = (uint8_t)(next >> (56 - 8 * i));
	const uint8_t *np;
	size_t nl = cert_serial_norm(num, sizeof(num), &np);
	err = -EIO;
	if (gnutls_x509_crl_set_version(x.crl, 2) < 0 || gnutls_x509_crl_set_this_update(x.crl, now) < 0 ||
	    gnutls_x509_crl_set_next_update(x.crl, now + (time_t)days * 86400) < 0 ||
	    gnutls_x509_crl_set_number(x.crl, np, nl) < 0)
		goto out;
	if (gnutls_x509_crt_get_subject_key_id(ca->crt, kid, &kid_len, NULL) >= 0 &&
	    gnutls_x509_crl_set_authority_key_id(x.crl, kid, kid_len) < 0)
		goto out;
	err = store_cert_foreach(ca->store, crl_add, &x);
	if (err || x.err) {
		err = err ? err : x.err;
		diag_add(d, "cannot collect the revocations: %s", strerror(-err));
		goto out;
	}
	err = -EIO;
	if (gnutls_x509_crl_sign2(x.crl, ca->crt, ca->key, GNUTLS_DIG_SHA256, 0) < 0 ||
	    gnutls_x509_crl_export2(x.crl, f == CERT_FMT_PEM ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, &out) < 0) {
		diag_add(d, "cannot sign the CRL");
		goto out;
	}
	/* file first, number second: a CRL number is never used by two different CRLs */
	err = cert_stage_write(&stage, path, out.data, out.size, 0644, NULL, d);
	if (err)
		goto out;
	err = store_ca_crl_number(ca->store, ca->crl_number, next);
	if (err) {
		diag_add(d, err == -EAGAIN ? "another CRL was issued at the same time: run crl export again"
					   : "cannot record the CRL number: %s", strerror(-err));
		cert_stage_abort(&stage);
		goto out;
	}
	ca->crl_number = next;
	err = cert_stage_commit(&stage, d);
	if (!err) {
		*number = next;
		*entries = x.n;
	}
out:
	gnutls_free(out.data);
	gnutls_x509_crl_deinit(x.crl);
	return err;
}

/* ---- stored entries, import ------------------------------------------------- */

int ca_load_entry(struct ca_ctx *ca, const struct store_cert *c, gnutls_x509_crt_t *crt,
		  gnutls_x509_privkey_t *key, struct diag *d)
{
	*crt = NULL;
	if (key)
		*key = NULL;
	if (cert_from_der(c->cert, c->cert_len, crt)) {
		diag_add(d, "the stored certificate %s is unreadable", c->name);
		return -EUCLEAN;
	}
	if (!key)
		return 0;
	if (!c->key_file) {
		diag_add(d, "the store keeps no private key for %s", c->name);
		gnutls_x509_crt_deinit(*crt);
		*crt = NULL;
		return -ENOENT;
	}
	char what[128];
	snprintf(what, sizeof(what), "the key of %s", c->name);
	int err = load_key_file(ca->state_dir, c->key_file, NULL, what, key, d);
	if (!err && !cert_key_matches(*crt, *key)) {
		diag_add(d, "the key file of %s does not belong to its certificate: restore it from a backup", c->name);
		gnutls_x509_privkey_deinit(*key);
		*key = NULL;
		err = -EUCLEAN;
	}
	if (err) {
		gnutls_x509_crt_deinit(*crt);
		*crt = NULL;
	}
	return err;
}
