/* SPDX-License-Identifier: MIT */
/*
 * ikev2_load_pki.c - the load generator's PKI (see ikev2_load.h): one CA,
 * an RSA-2048 and an ECDSA P-256 server certificate, and N client
 * certificates with P-256 keys, made in-process with GnuTLS. certtool would
 * cost a process and an RSA key per client; here a client is one P-256 key
 * generation plus one CA signature, so 10,000 take seconds.
 *
 * The clients go into one file (clients.bin) so every responder of a run
 * sees the very same certificates:
 *   "KLDC0001" | u32 n | n x ( u8 id_len | id | u16 key_len | key DER (SEC1)
 *                              | u16 cert_len | cert DER )      big-endian
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "ikev2_load.h"

#define MAGIC "KLDC0001"
#define OID_IKE_INTERMEDIATE "1.3.6.1.5.5.8.2.2"
#define OID_IPSEC_IKE "1.3.6.1.5.5.7.3.17"
#define VALID_DAYS 30

struct issuer {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
	uint8_t ski[64];
	size_t ski_len;
};

static int gerr(const char *what, int rc)
{
	fprintf(stderr, "ikev2_loadgen pki: %s: %s\n", what, gnutls_strerror(rc));
	return -EIO;
}

static int new_key(bool rsa, gnutls_x509_privkey_t *out)
{
	int rc = gnutls_x509_privkey_init(out);
	if (rc < 0)
		return gerr("key init", rc);
	rc = rsa ? gnutls_x509_privkey_generate(*out, GNUTLS_PK_RSA, 2048, 0)
		 : gnutls_x509_privkey_generate(*out, GNUTLS_PK_ECDSA,
						GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (rc < 0) {
		gnutls_x509_privkey_deinit(*out);
		*out = NULL;
		return gerr("key generation", rc);
	}
	return 0;
}

/* subject, validity, key and serial: what every certificate here has */
static int crt_base(gnutls_x509_crt_t c, gnutls_x509_privkey_t key, const char *cn, uint64_t serial)
{
	uint8_t s[9] = { 0x01 };	/* positive, never a leading zero byte */
	for (int i = 0; i < 8; i++)
		s[1 + i] = (uint8_t)(serial >> (56 - 8 * i));
	time_t now = time(NULL);
	int rc;
	if ((rc = gnutls_x509_crt_set_version(c, 3)) < 0 || (rc = gnutls_x509_crt_set_serial(c, s, sizeof(s))) < 0 ||
	    (rc = gnutls_x509_crt_set_activation_time(c, now - 3600)) < 0 ||
	    (rc = gnutls_x509_crt_set_expiration_time(c, now + VALID_DAYS * 86400)) < 0 ||
	    (rc = gnutls_x509_crt_set_dn_by_oid(c, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, "Load", 4)) < 0 ||
	    (rc = gnutls_x509_crt_set_dn_by_oid(c, GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)strlen(cn))) < 0 ||
	    (rc = gnutls_x509_crt_set_key(c, key)) < 0)
		return gerr("certificate fields", rc);
	return 0;
}

static int sign_by(gnutls_x509_crt_t c, const struct issuer *is)
{
	int rc;
	if (is->ski_len && (rc = gnutls_x509_crt_set_authority_key_id(c, is->ski, is->ski_len)) < 0)
		return gerr("authority key id", rc);
	if ((rc = gnutls_x509_crt_sign2(c, is->crt, is->key, GNUTLS_DIG_SHA256, 0)) < 0)
		return gerr("signing", rc);
	return 0;
}

static int write_file(const char *dir, const char *name, const void *data, size_t len, mode_t mode)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		int err = -errno;
		fprintf(stderr, "ikev2_loadgen pki: %s: %s\n", path, strerror(errno));
		return err;
	}
	const uint8_t *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int err = w < 0 ? -errno : -EIO;
			fprintf(stderr, "ikev2_loadgen pki: writing %s failed\n", path);
			close(fd);
			return err;
		}
		p += w;
		len -= (size_t)w;
	}
	return close(fd) ? -errno : 0;
}

/* name.crt and name.key, PEM (what kanmond's store and charon's pem plugin read) */
static int write_pair(const char *dir, const char *name, gnutls_x509_crt_t c, gnutls_x509_privkey_t k)
{
	gnutls_datum_t d = { 0 };
	char file[256];
	int rc = gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_PEM, &d);
	if (rc < 0)
		return gerr("export", rc);
	snprintf(file, sizeof(file), "%s.crt", name);
	int err = write_file(dir, file, d.data, d.size, 0644);
	gnutls_free(d.data);
	if (err)
		return err;
	if ((rc = gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_PEM, &d)) < 0)
		return gerr("key export", rc);
	snprintf(file, sizeof(file), "%s.key", name);
	err = write_file(dir, file, d.data, d.size, 0600);
	gnutls_memset(d.data, 0, d.size);
	gnutls_free(d.data);
	return err;
}

static int make_ca(const char *dir, bool rsa, struct issuer *ca)
{
	int rc, err = new_key(rsa, &ca->key);
	if (err)
		return err;
	if ((rc = gnutls_x509_crt_init(&ca->crt)) < 0)
		return gerr("crt init", rc);
	if ((err = crt_base(ca->crt, ca->key, "Load Root CA", 1)))
		return err;
	ca->ski_len = sizeof(ca->ski);
	if ((rc = gnutls_x509_privkey_get_key_id(ca->key, GNUTLS_KEYID_USE_SHA1, ca->ski, &ca->ski_len)) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_key_id(ca->crt, ca->ski, ca->ski_len)) < 0 ||
	    (rc = gnutls_x509_crt_set_basic_constraints(ca->crt, 1, -1)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_usage(ca->crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)) < 0)
		return gerr("CA extensions", rc);
	struct issuer self = { .crt = ca->crt, .key = ca->key };
	if ((err = sign_by(ca->crt, &self)))
		return err;
	return write_pair(dir, "ca", ca->crt, ca->key);
}

/* what iOS/macOS/Windows want of a server certificate (test/lab/lib/pki.sh) */
static int make_server(const char *dir, const char *name, bool rsa, const char *server_id, uint64_t serial,
		       const struct issuer *ca)
{
	gnutls_x509_privkey_t k = NULL;
	gnutls_x509_crt_t c = NULL;
	int rc, err = new_key(rsa, &k);
	if (err)
		return err;
	if ((rc = gnutls_x509_crt_init(&c)) < 0) {
		err = gerr("crt init", rc);
		goto cleanup;
	}
	if ((err = crt_base(c, k, server_id, serial)))
		goto cleanup;
	unsigned ku = GNUTLS_KEY_DIGITAL_SIGNATURE | (rsa ? GNUTLS_KEY_KEY_ENCIPHERMENT : 0);
	if ((rc = gnutls_x509_crt_set_basic_constraints(c, 0, -1)) < 0 || (rc = gnutls_x509_crt_set_key_usage(c, ku)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(c, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(c, OID_IKE_INTERMEDIATE, 0)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(c, OID_IPSEC_IKE, 0)) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_DNSNAME, server_id, (unsigned)strlen(server_id),
						       GNUTLS_FSAN_APPEND)) < 0) {
		err = gerr("server extensions", rc);
		goto cleanup;
	}
	if (!(err = sign_by(c, ca)))
		err = write_pair(dir, name, c, k);
cleanup:
	if (c)
		gnutls_x509_crt_deinit(c);
	gnutls_x509_privkey_deinit(k);
	return err;
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* one client record appended to buf (grown as needed) */
static int make_client(size_t i, const struct issuer *ca, uint8_t **buf, size_t *len, size_t *cap)
{
	char id[LOAD_ID_MAX];
	gnutls_x509_privkey_t k = NULL;
	gnutls_x509_crt_t c = NULL;
	gnutls_datum_t kd = { 0 }, cd = { 0 };
	int rc, err = new_key(false, &k);
	if (err)
		return err;
	snprintf(id, sizeof(id), "c%zu@load.example", i);
	if ((rc = gnutls_x509_crt_init(&c)) < 0) {
		err = gerr("crt init", rc);
		goto cleanup;
	}
	if ((err = crt_base(c, k, id, 1000 + i)))
		goto cleanup;
	if ((rc = gnutls_x509_crt_set_basic_constraints(c, 0, -1)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_usage(c, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(c, GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_RFC822NAME, id, (unsigned)strlen(id),
						       GNUTLS_FSAN_APPEND)) < 0) {
		err = gerr("client extensions", rc);
		goto cleanup;
	}
	if ((err = sign_by(c, ca)))
		goto cleanup;
	if ((rc = gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_DER, &kd)) < 0 ||
	    (rc = gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &cd)) < 0) {
		err = gerr("client export", rc);
		goto cleanup;
	}
	size_t idl = strlen(id), need = 1 + idl + 2 + kd.size + 2 + cd.size;
	if (*len + need > *cap) {
		size_t ncap = (*cap ? *cap * 2 : 1 << 20) + need;
		uint8_t *nb = realloc(*buf, ncap);
		if (!nb) {
			err = -ENOMEM;
			goto cleanup;
		}
		*buf = nb;
		*cap = ncap;
	}
	uint8_t *p = *buf + *len;
	*p++ = (uint8_t)idl;
	memcpy(p, id, idl);
	p += idl;
	put16(p, kd.size);
	memcpy(p + 2, kd.data, kd.size);
	p += 2 + kd.size;
	put16(p, cd.size);
	memcpy(p + 2, cd.data, cd.size);
	*len += need;
cleanup:
	if (kd.data) {
		gnutls_memset(kd.data, 0, kd.size);
		gnutls_free(kd.data);
	}
	gnutls_free(cd.data);
	if (c)
		gnutls_x509_crt_deinit(c);
	gnutls_x509_privkey_deinit(k);
	return err;
}

int load_pki_generate(const char *dir, const char *server_id, const char *ca_key, size_t n)
{
	struct issuer ca = { 0 };
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	int err;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		fprintf(stderr, "ikev2_loadgen pki: %s: %s\n", dir, strerror(errno));
		return err;
	}
	if ((err = make_ca(dir, !strcmp(ca_key, "rsa"), &ca)) ||
	    (err = make_server(dir, "server-rsa", true, server_id, 2, &ca)) ||
	    (err = make_server(dir, "server-ec", false, server_id, 3, &ca)))
		goto cleanup;
	uint8_t hdr[12];
	memcpy(hdr, MAGIC, 8);
	for (int i = 0; i < 4; i++)
		hdr[8 + i] = (uint8_t)(n >> (24 - 8 * i));
	if (!(buf = malloc(sizeof(hdr)))) {
		err = -ENOMEM;
		goto cleanup;
	}
	memcpy(buf, hdr, sizeof(hdr));
	len = cap = sizeof(hdr);
	for (size_t i = 0; i < n; i++)
		if ((err = make_client(i, &ca, &buf, &len, &cap)))
			goto cleanup;
	err = write_file(dir, "clients.bin", buf, len, 0600);
cleanup:
	free(buf);
	if (ca.crt)
		gnutls_x509_crt_deinit(ca.crt);
	if (ca.key)
		gnutls_x509_privkey_deinit(ca.key);
	return err;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int load_clients_read(const char *dir, struct load_clients *out)
{
	char path[4096];
	gnutls_datum_t d = { 0 };
	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/clients.bin", dir);
	int rc = gnutls_load_file(path, &d);
	if (rc < 0) {
		fprintf(stderr, "ikev2_loadgen: %s: %s (run `ikev2_loadgen pki` first)\n", path, gnutls_strerror(rc));
		return -ENOENT;
	}
	if (d.size < 12 || memcmp(d.data, MAGIC, 8))
		goto bad;
	size_t n = (size_t)d.data[8] << 24 | (size_t)d.data[9] << 16 | (size_t)d.data[10] << 8 | d.data[11];
	if (!(out->c = calloc(n ? n : 1, sizeof(*out->c)))) {
		gnutls_free(d.data);
		return -ENOMEM;
	}
	const uint8_t *p = d.data + 12, *end = d.data + d.size;
	for (size_t i = 0; i < n; i++) {
		struct load_client *c = &out->c[i];
		if (p >= end || (size_t)(end - p) < 1u + *p + 2)
			goto bad;
		size_t idl = *p++;
		if (idl >= sizeof(c->id))
			goto bad;
		memcpy(c->id, p, idl);
		p += idl;
		c->key_len = get16(p);
		c->key = p + 2;
		p += 2 + c->key_len;
		if (p + 2 > end)
			goto bad;
		c->cert_len = get16(p);
		c->cert = p + 2;
		p += 2 + c->cert_len;
		if (p > end)
			goto bad;
	}
	out->n = n;
	out->blob = d.data;
	return 0;
bad:
	fprintf(stderr, "ikev2_loadgen: %s is not a clients file of this version\n", path);
	free(out->c);
	out->c = NULL;
	gnutls_free(d.data);
	return -EINVAL;
}

void load_clients_free(struct load_clients *cl)
{
	free(cl->c);
	gnutls_free(cl->blob);
	memset(cl, 0, sizeof(*cl));
}

int load_client_sign(const struct load_client *c, const uint8_t *data, size_t len, uint8_t *sig, size_t *sig_len)
{
	gnutls_privkey_t pk;
	gnutls_datum_t kd = { (unsigned char *)c->key, c->key_len }, in = { (unsigned char *)data, (unsigned)len },
		       out = { 0 };
	int err = 0, rc = gnutls_privkey_init(&pk);
	if (rc < 0)
		return -ENOMEM;
	if ((rc = gnutls_privkey_import_x509_raw(pk, &kd, GNUTLS_X509_FMT_DER, NULL, 0)) < 0 ||
	    (rc = gnutls_privkey_sign_data(pk, GNUTLS_DIG_SHA256, 0, &in, &out)) < 0) {
		err = -EIO;
		goto cleanup;
	}
	if (out.size > *sig_len) {
		err = -ENOSPC;
		goto cleanup;
	}
	memcpy(sig, out.data, out.size);
	*sig_len = out.size;
cleanup:
	gnutls_free(out.data);
	gnutls_privkey_deinit(pk);
	return err;
}
