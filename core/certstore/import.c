/* SPDX-License-Identifier: MIT */
/*
 * import.c - certificates from elsewhere into the store: a server
 * certificate from another CA (with its key), a company CA to trust for
 * clients, a client certificate. Same atomicity as ca.c: the key file
 * (named by a random tag, so it never replaces another) is written before
 * the row and unlinked when the row cannot be committed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "certstore.h"
#include "store.h"

#define OID_SERVER_AUTH "1.3.6.1.5.5.7.3.1"

static const char *infer_role(gnutls_x509_crt_t crt)
{
	unsigned ca = 0;
	if (gnutls_x509_crt_get_basic_constraints(crt, NULL, &ca, NULL) >= 0 && ca)
		return STORE_ROLE_CA;
	for (unsigned i = 0;; i++) {
		char oid[128];
		size_t l = sizeof(oid);
		if (gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &l, NULL) < 0)
			break;
		if (!strcmp(oid, OID_SERVER_AUTH))
			return STORE_ROLE_SERVER;
	}
	return STORE_ROLE_CLIENT;
}

int ca_import(const char *state_dir, struct store *st, const struct ca_import_params *p, char *role_out,
	      size_t role_len, struct diag *d)
{
	struct cert_bundle cb = { 0 }, kb = { 0 };
	gnutls_datum_t pem = { NULL, 0 }, der = { NULL, 0 };
	struct store_cert existing;
	struct cert_owner owner;
	char rel[128], path[4096], serial[CERT_SERIAL_HEX_MAX], subject[CERT_DN_MAX], issuer[CERT_DN_MAX];
	bool written = false;
	int err = cert_global_init();
	if (err)
		return err;
	if (!cert_name_ok(p->name) || !strcmp(p->name, "ca")) {
		diag_add(d, "'%s' cannot name a certificate: use 1-64 of A-Z a-z 0-9 . _ @ - (\"ca\" is the CA itself)",
			 p->name ? p->name : "");
		return -EINVAL;
	}
	if (p->role && strcmp(p->role, STORE_ROLE_CA) && strcmp(p->role, STORE_ROLE_SERVER) &&
	    strcmp(p->role, STORE_ROLE_CLIENT)) {
		diag_add(d, "--role takes ca, server or client");
		return -EINVAL;
	}
	err = store_cert_get(st, p->name, &existing);
	if (!err) {
		diag_add(d, "a certificate named %s exists already (%s): choose another name", p->name, existing.subject);
		store_cert_clear(&existing);
		return -EEXIST;
	}
	err = cert_bundle_load(p->cert_file, p->passphrase, &cb, d);
	if (err)
		goto out;
	if (!cb.n_certs) {
		diag_add(d, "%s holds no certificate", p->cert_file);
		err = -EINVAL;
		goto out;
	}
	if (p->key_file) {
		err = cert_bundle_load(p->key_file, p->passphrase, &kb, d);
		if (!err && !kb.key) {
			diag_add(d, "%s holds no private key", p->key_file);
			err = -EINVAL;
		}
		if (err)
			goto out;
	}
	gnutls_x509_privkey_t key = kb.key ? kb.key : cb.key;
	gnutls_x509_crt_t crt = cb.certs[0];
	const char *role = p->role ? p->role : infer_role(crt);
	if (key && !cert_key_matches(crt, key)) {
		diag_add(d, "the private key in %s does not belong to the certificate in %s", p->key_file ? p->key_file : p->cert_file,
			 p->cert_file);
		err = -EINVAL;
		goto out;
	}
	if (!key && !strcmp(role, STORE_ROLE_SERVER)) {
		diag_add(d, "a server certificate needs its private key: give --key FILE (or a PKCS#12 file holding both)");
		err = -EINVAL;
		goto out;
	}
	if (!strcmp(role, STORE_ROLE_CA) && key) {
		diag_add(d, "importing a CA's private key is not supported: import its certificate only (kanmon issues with its own CA)");
		err = -EINVAL;
		goto out;
	}
	if (cert_serial_hex(crt, serial) || gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0) {
		diag_add(d, "%s: the certificate has no usable serial number", p->cert_file);
		err = -EINVAL;
		goto out;
	}
	cert_subject_text(crt, subject, sizeof(subject));
	cert_issuer_text(crt, issuer, sizeof(issuer));
	cert_owner_of(state_dir, &owner);
	if (key) {
		uint8_t tag[8];
		char hex[17];
		err = ca_prepare_dirs(state_dir, &owner, d);
		if (err)
			goto out;
		if (gnutls_rnd(GNUTLS_RND_NONCE, tag, sizeof(tag)) < 0 || cert_export_key(key, NULL, &pem)) {
			err = -EIO;
			goto out;
		}
		cert_hex(tag, sizeof(tag), hex);
		snprintf(rel, sizeof(rel), CA_KEYS_DIR "/imported-%s.key", hex);
		err = ca_path(state_dir, rel, path, sizeof(path));
		if (!err)
			err = cert_write_atomic(path, pem.data, pem.size, 0600, &owner, d);
		if (err)
			goto out;
		written = true;
	}
	struct store_cert row = {
		.name = (char *)p->name, .role = (char *)role, .origin = STORE_ORIGIN_IMPORTED, .serial = serial,
		.subject = subject, .issuer = issuer, .not_before = gnutls_x509_crt_get_activation_time(crt),
		.not_after = gnutls_x509_crt_get_expiration_time(crt), .created = time(NULL), .cert = der.data,
		.cert_len = der.size, .key_file = key ? rel : NULL,
	};
	err = store_cert_add(st, &row);
	if (err == -EEXIST)
		diag_add(d, "the store already holds a certificate named %s or this very certificate (%s, serial %s)",
			 p->name, subject, serial);
	else if (err)
		diag_add(d, "cannot record %s in the store: %s", p->name, strerror(-err));
	if (!err && role_out)
		snprintf(role_out, role_len, "%s", role);
	if (!err && cb.n_certs > 1)
		diag_add(d, "note: %u more certificate(s) in %s were not imported: the store keeps the end entity (import a CA with --role ca)",
			 cb.n_certs - 1, p->cert_file);
out:
	if (err && written)
		unlink(path);
	if (pem.data) {
		gnutls_memset(pem.data, 0, pem.size);
		gnutls_free(pem.data);
	}
	gnutls_free(der.data);
	cert_bundle_clear(&cb);
	cert_bundle_clear(&kb);
	return err;
}
