/* SPDX-License-Identifier: MIT */
/*
 * load.c - certificates, private keys, CRLs and passphrases from files.
 *
 * Operators bring credentials in every format their tools write: PEM
 * bundles (openssl, certtool, Let's Encrypt), DER (Windows export, RouterOS),
 * PKCS#12 (RouterOS, Windows, Keychain). We accept all of them through one
 * call and say which of them a file was when something is wrong with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/pkcs12.h>

#include "certstore.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void global_init(void)
{
	init_rc = gnutls_global_init();
}

int cert_global_init(void)
{
	pthread_once(&init_once, global_init);
	return init_rc < 0 ? -EIO : 0;
}

void cert_datum_wipe(gnutls_datum_t *dt)
{
	if (!dt || !dt->data)
		return;
	gnutls_memset(dt->data, 0, dt->size);
	free(dt->data);
	dt->data = NULL;
	dt->size = 0;
}

int cert_file_read(const char *path, gnutls_datum_t *out, struct diag *d)
{
	out->data = NULL;
	out->size = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		diag_add(d, "cannot open %s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	int err = 0;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		diag_add(d, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	/* pipes too: --passphrase-file /dev/stdin keeps a secret off the disk (reads stay bounded) */
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
		diag_add(d, "%s is not a file", path);
		err = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > CERT_FILE_MAX) {
		diag_add(d, "%s is too large for a certificate, key or CRL file (%lld bytes)", path,
			 (long long)st.st_size);
		err = -EFBIG;
		goto out;
	}
	size_t cap = (size_t)st.st_size + 1, len = 0;
	uint8_t *buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (len + 1 >= cap) {
			/* it grew since fstat: bounded anyway */
			if (cap > CERT_FILE_MAX) {
				gnutls_memset(buf, 0, len);
				free(buf);
				diag_add(d, "%s is too large for a certificate, key or CRL file", path);
				err = -EFBIG;
				goto out;
			}
			uint8_t *nb = malloc(cap * 2);
			if (!nb) {
				gnutls_memset(buf, 0, len);
				free(buf);
				err = -ENOMEM;
				goto out;
			}
			memcpy(nb, buf, len);
			gnutls_memset(buf, 0, len);
			free(buf);
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			diag_add(d, "cannot read %s: %s", path, strerror(errno));
			gnutls_memset(buf, 0, len);
			free(buf);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	out->data = buf;
	out->size = (unsigned)len;
out:
	close(fd);
	return err;
}

int cert_passphrase_file(const char *path, char **pass, struct diag *d)
{
	gnutls_datum_t dt;
	*pass = NULL;
	int err = cert_file_read(path, &dt, d);
	if (err)
		return err;
	size_t n = strcspn((const char *)dt.data, "\r\n");
	if (n == 0) {
		diag_add(d, "passphrase file %s is empty: its first line is the passphrase", path);
		cert_datum_wipe(&dt);
		return -EINVAL;
	}
	*pass = malloc(n + 1);
	if (!*pass) {
		cert_datum_wipe(&dt);
		return -ENOMEM;
	}
	memcpy(*pass, dt.data, n);
	(*pass)[n] = '\0';
	cert_datum_wipe(&dt);
	return 0;
}

void cert_passphrase_free(char *pass)
{
	if (!pass)
		return;
	gnutls_memset(pass, 0, strlen(pass));
	free(pass);
}

void cert_bundle_clear(struct cert_bundle *b)
{
	if (!b)
		return;
	for (unsigned i = 0; i < b->n_certs; i++)
		if (b->certs[i])	/* callers may take some */
			gnutls_x509_crt_deinit(b->certs[i]);
	gnutls_free(b->certs);
	for (unsigned i = 0; i < b->n_crls; i++)
		gnutls_x509_crl_deinit(b->crls[i]);
	gnutls_free(b->crls);
	if (b->key)
		gnutls_x509_privkey_deinit(b->key);	/* GnuTLS wipes key material */
	memset(b, 0, sizeof(*b));
}

int cert_from_der(const void *der, size_t len, gnutls_x509_crt_t *out)
{
	gnutls_datum_t dt = { (unsigned char *)(uintptr_t)der, (unsigned)len };
	if (gnutls_x509_crt_init(out) < 0)
		return -ENOMEM;
	if (gnutls_x509_crt_import(*out, &dt, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

bool cert_key_matches(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	unsigned char a[64], b[64];
	size_t la = sizeof(a), lb = sizeof(b);
	/* the SHA-256 key ids are over the public key: equal ids, same key pair */
	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a, &la) < 0 ||
	    gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, b, &lb) < 0)
		return false;
	return la == lb && gnutls_memcmp(a, b, la) == 0;
}

/* Appends one certificate (takes ownership). */
static int add_cert(struct cert_bundle *b, gnutls_x509_crt_t c)
{
	gnutls_x509_crt_t *v = gnutls_realloc(b->certs, (b->n_certs + 1) * sizeof(*v));
	if (!v) {
		gnutls_x509_crt_deinit(c);
		return -ENOMEM;
	}
	b->certs = v;
	b->certs[b->n_certs++] = c;
	return 0;
}

static bool is_pem(const gnutls_datum_t *dt)
{
	return dt->size >= 11 && memmem(dt->data, dt->size, "-----BEGIN ", 11) != NULL;
}

static bool has(const gnutls_datum_t *dt, const char *s)
{
	return memmem(dt->data, dt->size, s, strlen(s)) != NULL;
}

static int key_import(struct cert_bundle *b, const gnutls_datum_t *dt, gnutls_x509_crt_fmt_t fmt,
		      const char *label, const char *pass, struct diag *d)
{
	if (gnutls_x509_privkey_init(&b->key) < 0)
		return -ENOMEM;
	int rc = gnutls_x509_privkey_import2(b->key, dt, fmt, pass, 0);
	if (rc >= 0)
		return 0;
	gnutls_x509_privkey_deinit(b->key);
	b->key = NULL;
	bool encrypted = fmt == GNUTLS_X509_FMT_PEM ? has(dt, "ENCRYPTED") : rc == GNUTLS_E_DECRYPTION_FAILED;
	if (encrypted && !pass) {
		diag_add(d, "%s: the private key is encrypted: give its passphrase file", label);
		return -EACCES;
	}
	if (encrypted || rc == GNUTLS_E_DECRYPTION_FAILED) {
		diag_add(d, "%s: wrong passphrase for the private key (it could not be decrypted)", label);
		return -EACCES;
	}
	diag_add(d, "%s: unreadable private key: %s", label, gnutls_strerror(rc));
	return -EINVAL;
}

static int load_pem(struct cert_bundle *b, const gnutls_datum_t *dt, const char *label, const char *pass,
		    struct diag *d)
{
	int rc;
	if (has(dt, "-----BEGIN CERTIFICATE-----") || has(dt, "-----BEGIN X509 CERTIFICATE-----")) {
		gnutls_x509_crt_t *v = NULL;
		unsigned n = 0;
		rc = gnutls_x509_crt_list_import2(&v, &n, dt, GNUTLS_X509_FMT_PEM, 0);
		if (rc < 0) {
			diag_add(d, "%s: unreadable certificate: %s", label, gnutls_strerror(rc));
			return -EINVAL;
		}
		b->certs = v;
		b->n_certs = n;
	}
	if (has(dt, "-----BEGIN X509 CRL-----")) {
		rc = gnutls_x509_crl_list_import2(&b->crls, &b->n_crls, dt, GNUTLS_X509_FMT_PEM, 0);
		if (rc < 0) {
			diag_add(d, "%s: unreadable CRL: %s", label, gnutls_strerror(rc));
			return -EINVAL;
		}
	}
	if (has(dt, "PRIVATE KEY-----")) {
		int err = key_import(b, dt, GNUTLS_X509_FMT_PEM, label, pass, d);
		if (err)
			return err;
	}
	if (has(dt, "-----BEGIN PKCS12-----")) {
		diag_add(d, "%s: PEM-wrapped PKCS#12 is not supported: give the binary .p12 file", label);
		return -EINVAL;
	}
	if (!b->n_certs && !b->key && !b->n_crls) {
		diag_add(d, "%s: no certificate, private key or CRL in this PEM file", label);
		return -EINVAL;
	}
	return 0;
}

static int load_p12(struct cert_bundle *b, const gnutls_datum_t *dt, gnutls_pkcs12_t p12, const char *label,
		    const char *pass, struct diag *d)
{
	if (!pass) {
		diag_add(d, "%s: a PKCS#12 file needs its passphrase: give its passphrase file", label);
		return -EACCES;
	}
	int rc = gnutls_pkcs12_verify_mac(p12, pass);
	if (rc == GNUTLS_E_MAC_VERIFY_FAILED) {
		diag_add(d, "%s: wrong passphrase for this PKCS#12 file", label);
		return -EACCES;
	}
	/* no MAC at all is legal (rare); the decryption below still needs the passphrase */
	gnutls_x509_crt_t *chain = NULL, *extra = NULL;
	unsigned n_chain = 0, n_extra = 0;
	gnutls_x509_crl_t crl = NULL;
	rc = gnutls_pkcs12_simple_parse(p12, pass, &b->key, &chain, &n_chain, &extra, &n_extra, &crl, 0);
	if (rc < 0) {
		if (rc == GNUTLS_E_DECRYPTION_FAILED)
			diag_add(d, "%s: wrong passphrase for this PKCS#12 file", label);
		else
			diag_add(d, "%s: unreadable PKCS#12 file: %s", label, gnutls_strerror(rc));
		return rc == GNUTLS_E_DECRYPTION_FAILED ? -EACCES : -EINVAL;
	}
	(void)dt;
	int err = 0;
	for (unsigned i = 0; i < n_chain; i++)
		if (!err)
			err = add_cert(b, chain[i]);
		else
			gnutls_x509_crt_deinit(chain[i]);
	for (unsigned i = 0; i < n_extra; i++)
		if (!err)
			err = add_cert(b, extra[i]);
		else
			gnutls_x509_crt_deinit(extra[i]);
	gnutls_free(chain);
	gnutls_free(extra);
	if (crl) {
		b->crls = gnutls_malloc(sizeof(*b->crls));
		if (b->crls) {
			b->crls[0] = crl;
			b->n_crls = 1;
		} else {
			gnutls_x509_crl_deinit(crl);
			err = -ENOMEM;
		}
	}
	return err;
}

static int load_der(struct cert_bundle *b, const gnutls_datum_t *dt, const char *label, const char *pass,
		    struct diag *d)
{
	gnutls_x509_crt_t c;
	if (gnutls_x509_crt_init(&c) < 0)
		return -ENOMEM;
	if (gnutls_x509_crt_import(c, dt, GNUTLS_X509_FMT_DER) >= 0)
		return add_cert(b, c);
	gnutls_x509_crt_deinit(c);

	gnutls_pkcs12_t p12;
	if (gnutls_pkcs12_init(&p12) < 0)
		return -ENOMEM;
	if (gnutls_pkcs12_import(p12, dt, GNUTLS_X509_FMT_DER, 0) >= 0) {
		int err = load_p12(b, dt, p12, label, pass, d);
		gnutls_pkcs12_deinit(p12);
		return err;
	}
	gnutls_pkcs12_deinit(p12);

	gnutls_x509_crl_t crl;
	if (gnutls_x509_crl_init(&crl) < 0)
		return -ENOMEM;
	if (gnutls_x509_crl_import(crl, dt, GNUTLS_X509_FMT_DER) >= 0) {
		b->crls = gnutls_malloc(sizeof(*b->crls));
		if (!b->crls) {
			gnutls_x509_crl_deinit(crl);
			return -ENOMEM;
		}
		b->crls[0] = crl;
		b->n_crls = 1;
		return 0;
	}
	gnutls_x509_crl_deinit(crl);

	/* a DER key last: an encrypted PKCS#8 and garbage look alike until decrypted */
	struct diag kd = { 0 };
	int err = key_import(b, dt, GNUTLS_X509_FMT_DER, label, pass, &kd);
	if (!err || err == -EACCES) {
		for (size_t i = 0; i < kd.n; i++)
			diag_add(d, "%s", kd.lines[i]);
		diag_clear(&kd);
		return err;
	}
	diag_clear(&kd);
	diag_add(d, "%s: not a certificate, private key, CRL or PKCS#12 file (PEM or DER)", label);
	return -EINVAL;
}

int cert_bundle_load_mem(const gnutls_datum_t *data, const char *label, const char *pass,
			 struct cert_bundle *b, struct diag *d)
{
	memset(b, 0, sizeof(*b));
	int err = cert_global_init();
	if (err)
		return err;
	if (!data->size) {
		diag_add(d, "%s is empty", label);
		return -EINVAL;
	}
	err = is_pem(data) ? load_pem(b, data, label, pass, d) : load_der(b, data, label, pass, d);
	if (err)
		cert_bundle_clear(b);
	return err;
}

int cert_bundle_load(const char *path, const char *pass, struct cert_bundle *b, struct diag *d)
{
	gnutls_datum_t dt;
	memset(b, 0, sizeof(*b));
	int err = cert_file_read(path, &dt, d);
	if (err)
		return err;
	err = cert_bundle_load_mem(&dt, path, pass, b, d);
	cert_datum_wipe(&dt);
	return err;
}
