/* SPDX-License-Identifier: MIT */
/*
 * export.c - writing certificates and keys out (PEM, DER; PKCS#12 is p12.c),
 * generated passphrases, and the atomic file writes every certstore change
 * goes through.
 *
 * Atomic means: the content goes to a temporary file in the destination's
 * directory (same file system, so rename(2) is atomic), created with its
 * final mode (0600 for anything secret, never wider for a moment), fsync'd,
 * then renamed over the destination and the directory fsync'd. A failure at
 * any step unlinks the temporary file, so no half-written file is ever seen
 * under the final name.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "certstore.h"

/* ---- files ------------------------------------------------------------- */

void cert_owner_of(const char *dir, struct cert_owner *o)
{
	struct stat st;
	memset(o, 0, sizeof(*o));
	/*
	 * kanmonctl runs as root while kanmond reads the store as its own user
	 * (the owner priv_state_dir gave state_dir): files we create there must
	 * belong to that user or the daemon cannot read its keys.
	 */
	if (geteuid() == 0 && stat(dir, &st) == 0 && st.st_uid != 0) {
		o->set = true;
		o->uid = st.st_uid;
		o->gid = st.st_gid;
	}
}

static void sync_dir_of(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

int cert_mkdir(const char *path, mode_t mode, const struct cert_owner *owner, struct diag *d)
{
	struct stat st;
	if (mkdir(path, mode) == 0) {
		/* the umask may have taken bits away; owner before anyone else can look */
		if ((owner && owner->set && chown(path, owner->uid, owner->gid) < 0) || chmod(path, mode) < 0) {
			int e = errno;
			diag_add(d, "cannot prepare directory %s: %s", path, strerror(e));
			rmdir(path);
			return -e;
		}
		sync_dir_of(path);
		return 0;
	}
	int e = errno;
	if (e == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	diag_add(d, "cannot create directory %s: %s", path, e == EEXIST ? "a file of that name is in the way" : strerror(e));
	return e == EEXIST ? -ENOTDIR : -e;
}

int cert_stage_write(struct cert_stage *st, const char *path, const void *data, size_t len, mode_t mode,
		     const struct cert_owner *owner, struct diag *d)
{
	memset(st, 0, sizeof(*st));
	if (asprintf(&st->tmp, "%s.tmp.XXXXXX", path) < 0) {
		st->tmp = NULL;
		return -ENOMEM;
	}
	st->path = strdup(path);
	if (!st->path) {
		cert_stage_abort(st);
		return -ENOMEM;
	}
	/* mkstemp creates 0600: nothing is ever readable by others, even briefly */
	int fd = mkostemp(st->tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		diag_add(d, "cannot write %s: %s", path, strerror(e));
		free(st->tmp);
		st->tmp = NULL;
		cert_stage_abort(st);
		return -e;
	}
	int err = 0;
	if (owner && owner->set && fchown(fd, owner->uid, owner->gid) < 0)
		err = -errno;
	if (!err && fchmod(fd, mode) < 0)
		err = -errno;
	const uint8_t *p = data;
	size_t left = len;
	while (!err && left) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err) {
		diag_add(d, "cannot write %s: %s", path, strerror(-err));
		cert_stage_abort(st);
	}
	return err;
}

int cert_stage_commit(struct cert_stage *st, struct diag *d)
{
	if (!st->tmp)
		return -EINVAL;
	if (rename(st->tmp, st->path) < 0) {
		int e = errno;
		diag_add(d, "cannot put %s in place: %s", st->path, strerror(e));
		cert_stage_abort(st);
		return -e;
	}
	sync_dir_of(st->path);
	free(st->tmp);
	free(st->path);
	st->tmp = st->path = NULL;
	return 0;
}

void cert_stage_abort(struct cert_stage *st)
{
	if (!st)
		return;
	if (st->tmp)
		unlink(st->tmp);
	free(st->tmp);
	free(st->path);
	st->tmp = st->path = NULL;
}

int cert_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      const struct cert_owner *owner, struct diag *d)
{
	struct cert_stage st;
	int err = cert_stage_write(&st, path, data, len, mode, owner, d);
	return err ? err : cert_stage_commit(&st, d);
}

/* ---- encodings ----------------------------------------------------------- */

int cert_format_parse(const char *s, enum cert_format *f)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "pem"))
		*f = CERT_FMT_PEM;
	else if (!strcmp(s, "der"))
		*f = CERT_FMT_DER;
	else if (!strcmp(s, "p12") || !strcmp(s, "pkcs12"))
		*f = CERT_FMT_P12;
	else
		return -EINVAL;
	return 0;
}

int cert_export_crt(gnutls_x509_crt_t crt, enum cert_format f, gnutls_datum_t *out)
{
	if (f == CERT_FMT_P12)
		return -EINVAL;
	int rc = gnutls_x509_crt_export2(crt, f == CERT_FMT_PEM ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, out);
	return rc < 0 ? -EIO : 0;
}

int cert_export_key(gnutls_x509_privkey_t key, const char *pass, gnutls_datum_t *out)
{
	/* AES-256 PBES2 for keys at rest; PKCS#8 plain when no passphrase (the file is 0600) */
	int rc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, pass,
						   pass ? GNUTLS_PKCS_PBES2_AES_256 : GNUTLS_PKCS_PLAIN, out);
	return rc < 0 ? -EIO : 0;
}

int cert_passphrase_new(char *buf, size_t len)
{
	/* no 0/O, 1/l/I: read aloud or typed on a phone without mistakes */
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";	/* 32 symbols */
	uint8_t rnd[20];
	if (len < 24)
		return -ENOSPC;
	if (gnutls_rnd(GNUTLS_RND_KEY, rnd, sizeof(rnd)) < 0)
		return -EIO;
	size_t o = 0;
	for (size_t i = 0; i < sizeof(rnd); i++) {
		if (i && i % 5 == 0)
			buf[o++] = '-';
		buf[o++] = alphabet[rnd[i] & 31];
	}
	buf[o] = '\0';
	gnutls_memset(rnd, 0, sizeof(rnd));
	return 0;
}

int cert_base64(const void *data, size_t len, char **out)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *p = data;
	size_t n = 4 * ((len + 2) / 3);
	char *s = malloc(n + 1), *o = s;
	if (!s)
		return -ENOMEM;
	size_t i = 0;
	for (; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = tbl[v >> 18];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = tbl[(v >> 6) & 63];
		*o++ = tbl[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
		*o++ = tbl[v >> 18];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	*out = s;
	return 0;
}

int cert_uuid(char out[37])
{
	uint8_t r[16];
	if (gnutls_rnd(GNUTLS_RND_NONCE, r, sizeof(r)) < 0)
		return -EIO;
	r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
	r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", r[0], r[1], r[2],
		 r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
	return 0;
}
