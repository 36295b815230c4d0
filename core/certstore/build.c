/* SPDX-License-Identifier: MIT */
/*
 * build.c - the daemon's runtime certificate store: trusted CAs, revoked
 * serials, server certificates with their keys; signing and lookups for
 * the host table, start-up checks (verify.c verifies peers against it).
 *
 * It is built whole from the state store and the `ca` configuration group
 * (certstore_new) and never changed afterwards: a revocation or reload
 * builds a new one and swaps it in, so a failed rebuild keeps the old.
 *
 * Revocation is a hash set keyed by (issuer, serial), not GnuTLS's CRL
 * support: GnuTLS walks every CRL entry per verification (ASN.1 decoding
 * each), which costs milliseconds at 10,000 revocations; the set costs the
 * same at any size. The issuer is keyed by its DN as text (identity.c),
 * which is what a session remembers too (kanmon_cert_result), so the
 * session teardown on revocation asks the same question the same way.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include "certstore_int.h"
#include "conf.h"
#include "log.h"
#include "store.h"


void certstore_date_text(time_t t, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
}

/* ---- revoked set ------------------------------------------------------------ */

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t issuer_key(const char *issuer)
{
	uint64_t h = fnv(issuer, strlen(issuer), 0xcbf29ce484222325ULL);
	return h ? h : 1;
}

static size_t rev_slot(const struct certstore *cs, uint64_t issuer, const uint8_t *serial, size_t len)
{
	uint64_t h = fnv(serial, len, issuer);
	h ^= h >> 29;
	size_t i = (size_t)h & (cs->cap_rev - 1);
	for (;; i = (i + 1) & (cs->cap_rev - 1)) {
		const struct rev_entry *e = &cs->rev[i];
		if (!e->issuer || (e->issuer == issuer && e->len == len && !memcmp(e->serial, serial, len)))
			return i;
	}
}

static int rev_add(struct certstore *cs, const char *issuer, const uint8_t *serial, size_t len, time_t when)
{
	len = cert_serial_norm(serial, len, &serial);
	if (!len || len > 20)
		return 0;	/* not a serial RFC 5280 allows: nothing can match it */
	if ((cs->n_rev + 1) * 2 > cs->cap_rev) {
		size_t cap = cs->cap_rev ? cs->cap_rev * 2 : 64;
		struct rev_entry *old = cs->rev;
		size_t old_cap = cs->cap_rev;
		cs->rev = calloc(cap, sizeof(*cs->rev));
		if (!cs->rev) {
			cs->rev = old;
			return -ENOMEM;
		}
		cs->cap_rev = cap;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].issuer)
				cs->rev[rev_slot(cs, old[i].issuer, old[i].serial, old[i].len)] = old[i];
		free(old);
	}
	uint64_t ik = issuer_key(issuer);
	struct rev_entry *e = &cs->rev[rev_slot(cs, ik, serial, len)];
	if (!e->issuer) {
		e->issuer = ik;
		e->len = (uint8_t)len;
		memcpy(e->serial, serial, len);
		e->when = when;
		cs->n_rev++;
	}
	return 0;
}

const struct rev_entry *certstore_rev_find(const struct certstore *cs, const char *issuer, const uint8_t *serial,
					size_t len)
{
	if (!cs->n_rev)
		return NULL;
	len = cert_serial_norm(serial, len, &serial);
	const struct rev_entry *e = &cs->rev[rev_slot(cs, issuer_key(issuer), serial, len)];
	return e->issuer ? e : NULL;
}

static int unhex(const char *hex, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > max)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + (size_t)k];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				v |= (unsigned)(c - 'A' + 10);
			else
				return -EINVAL;
		}
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

bool certstore_revoked(const struct certstore *cs, const char *issuer, const char *serial)
{
	uint8_t raw[20];
	size_t len;
	if (!cs || !issuer || !serial || unhex(serial, raw, sizeof(raw), &len))
		return false;
	return certstore_rev_find(cs, issuer, raw, len) != NULL;
}

/* ---- building ---------------------------------------------------------------- */

/*
 * What verify.c's fast path needs of a trusted CA, prepared once. A CA with
 * a key usage that does not allow certificate signing, or with name
 * constraints, stays with GnuTLS's path (which enforces both).
 */
static void ca_fast_prepare(gnutls_x509_crt_t crt, struct ca_fast *f)
{
	unsigned ku = 0, critical = 0;
	gnutls_datum_t nc = { NULL, 0 };
	memset(f, 0, sizeof(*f));
	f->not_before = gnutls_x509_crt_get_activation_time(crt);
	f->not_after = gnutls_x509_crt_get_expiration_time(crt);
	if (gnutls_x509_crt_get_key_usage(crt, &ku, &critical) >= 0 && !(ku & GNUTLS_KEY_KEY_CERT_SIGN))
		return;
	if (gnutls_x509_crt_get_extension_by_oid2(crt, "2.5.29.30", 0, &nc, &critical) >= 0) {
		gnutls_free(nc.data);
		return;
	}
	if (gnutls_x509_crt_get_raw_dn(crt, &f->subject) < 0) {
		f->subject = (gnutls_datum_t){ NULL, 0 };
		return;
	}
	if (gnutls_pubkey_init(&f->pub) < 0 || gnutls_pubkey_import_x509(f->pub, crt, 0) < 0) {
		if (f->pub)
			gnutls_pubkey_deinit(f->pub);
		f->pub = NULL;
	}
}

/* Takes ownership of crt (also on failure). */
static int add_ca(struct certstore *cs, gnutls_x509_crt_t crt, const char *source, struct diag *d)
{
	unsigned is_ca = 0;
	if (gnutls_x509_crt_get_basic_constraints(crt, NULL, &is_ca, NULL) < 0 || !is_ca) {
		char subject[CERT_DN_MAX];
		cert_subject_text(crt, subject, sizeof(subject));
		diag_add(d, "%s: \"%s\" is not a CA certificate (no basicConstraints CA:TRUE): it cannot be trusted as an issuer",
			 source, subject);
		gnutls_x509_crt_deinit(crt);
		return -EINVAL;
	}
	for (size_t i = 0; i < cs->n_cas; i++)
		if (gnutls_x509_crt_equals(cs->cas[i], crt)) {
			gnutls_x509_crt_deinit(crt);	/* same CA from two sources */
			return 0;
		}
	if (cs->n_cas == cs->cap_cas) {
		size_t cap = cs->cap_cas ? cs->cap_cas * 2 : 8;
		gnutls_x509_crt_t *v = realloc(cs->cas, cap * sizeof(*v));
		gnutls_datum_t *dv = v ? realloc(cs->ca_der, cap * sizeof(*dv)) : NULL;
		struct ca_fast *fv = dv ? realloc(cs->fast, cap * sizeof(*fv)) : NULL;
		if (v)
			cs->cas = v;
		if (dv)
			cs->ca_der = dv;
		if (fv)
			cs->fast = fv;
		if (!v || !dv || !fv) {
			gnutls_x509_crt_deinit(crt);
			return -ENOMEM;
		}
		cs->cap_cas = cap;
	}
	gnutls_datum_t der;
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0) {
		gnutls_x509_crt_deinit(crt);
		return -ENOMEM;
	}
	gnutls_x509_crt_t one[1] = { crt };
	if (gnutls_x509_trust_list_add_cas(cs->tl, one, 1, 0) != 1) {
		gnutls_free(der.data);
		gnutls_x509_crt_deinit(crt);
		return -ENOMEM;
	}
	cs->cas[cs->n_cas] = crt;
	cs->ca_der[cs->n_cas] = der;
	ca_fast_prepare(crt, &cs->fast[cs->n_cas]);
	cs->n_cas++;
	time_t na = gnutls_x509_crt_get_expiration_time(crt);
	if (na != (time_t)-1 && na < time(NULL)) {
		char subject[CERT_DN_MAX], date[40];
		cert_subject_text(crt, subject, sizeof(subject));
		certstore_date_text(na, date, sizeof(date));
		log_warn("cert", "trusted CA \"%s\" (%s) expired on %s: no certificate it issued is accepted any more",
			 subject, source, date);
	}
	return 0;
}

static int find_issuer(const struct certstore *cs, gnutls_x509_crt_t crt)
{
	for (size_t i = 0; i < cs->n_cas; i++)
		if (gnutls_x509_crt_check_issuer(crt, cs->cas[i]))
			return (int)i;
	return -1;
}

int certstore_issuer_is_root(const struct certstore *cs, gnutls_x509_crt_t crt)
{
	int i = find_issuer(cs, crt);
	if (i < 0)
		return -1;
	return gnutls_x509_crt_check_issuer(cs->cas[i], cs->cas[i]) ? 1 : 0;
}

static struct server *find_server(const struct certstore *cs, const char *name)
{
	for (size_t i = 0; i < cs->n_servers; i++)
		if (!strcmp(cs->servers[i].name, name))
			return &cs->servers[i];
	return NULL;
}

/* Takes ownership of crt and key (also on failure). */
static int add_server(struct certstore *cs, const char *name, gnutls_x509_crt_t crt, gnutls_x509_privkey_t key,
		      struct diag *d)
{
	int err = 0;
	if (find_server(cs, name)) {
		diag_add(d, "two server certificates are named %s (the store and ca.certificates): rename one", name);
		err = -EEXIST;
		goto fail;
	}
	struct server *v = realloc(cs->servers, (cs->n_servers + 1) * sizeof(*v));
	if (!v) {
		err = -ENOMEM;
		goto fail;
	}
	cs->servers = v;
	struct server *s = &v[cs->n_servers];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (!s->name || gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &s->der) < 0) {
		free(s->name);
		err = -ENOMEM;
		goto fail;
	}
	if (key) {
		if (gnutls_privkey_init(&s->key) < 0 ||
		    gnutls_privkey_import_x509(s->key, key, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE) < 0) {
			if (s->key)
				gnutls_privkey_deinit(s->key);
			free(s->name);
			gnutls_free(s->der.data);
			err = -ENOMEM;
			goto fail;
		}
		key = NULL;	/* the abstract key owns it now */
	}
	s->crt = crt;
	cert_subject_text(crt, s->subject, sizeof(s->subject));
	unsigned bits = 0;
	int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	s->key_type = pk == GNUTLS_PK_ECDSA ? KANMON_KEY_ECDSA : KANMON_KEY_RSA;
	s->key_bits = (uint16_t)bits;
	s->issuer_ca = find_issuer(cs, crt);
	s->issuer_root = certstore_issuer_is_root(cs, crt);
	cs->n_servers++;
	return 0;
fail:
	gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return err;
}

struct build_ctx {
	struct certstore *cs;
	const char *state_dir;
	bool load_keys;
	const char *ca_subject;
	struct diag *d;
	int err;
};

static int from_store(const struct store_cert *c, void *arg)
{
	struct build_ctx *b = arg;
	gnutls_x509_crt_t crt;
	if (cert_from_der(c->cert, c->cert_len, &crt)) {
		log_warn("cert", "stored certificate %s is unreadable: ignored", c->name);
		return 0;
	}
	if (c->revoked) {
		uint8_t raw[64];
		size_t len = sizeof(raw);
		if (gnutls_x509_crt_get_serial(crt, raw, &len) >= 0)
			b->err = rev_add(b->cs, c->issuer, raw, len, c->revoked);
		gnutls_x509_crt_deinit(crt);
		return b->err;
	}
	if (!strcmp(c->role, STORE_ROLE_CA)) {
		struct diag cd = { 0 };
		char src[128];
		snprintf(src, sizeof(src), "stored certificate %s", c->name);
		if (add_ca(b->cs, crt, src, &cd) == -EINVAL)
			log_warn("cert", "%s", cd.lines[0]);
		diag_clear(&cd);
		return 0;
	}
	if (strcmp(c->role, STORE_ROLE_SERVER) || !c->key_file) {
		gnutls_x509_crt_deinit(crt);
		return 0;
	}
	gnutls_x509_privkey_t key = NULL;
	if (b->load_keys) {
		char path[4096];
		struct cert_bundle kb;
		struct diag kd = { 0 };
		snprintf(path, sizeof(path), "%s/%s", b->state_dir, c->key_file);
		if (cert_bundle_load(path, NULL, &kb, &kd) || !kb.key || !cert_key_matches(crt, kb.key)) {
			/* one unusable entry must not keep the daemon from serving the others */
			log_warn("cert", "server certificate %s is not usable: %s", c->name,
				 kd.n ? kd.lines[0] : "its key file does not hold its private key");
			diag_clear(&kd);
			cert_bundle_clear(&kb);
			gnutls_x509_crt_deinit(crt);
			return 0;
		}
		diag_clear(&kd);
		key = kb.key;
		kb.key = NULL;
		cert_bundle_clear(&kb);
	}
	b->err = add_server(b->cs, c->name, crt, key, b->d);
	return b->err;
}

static int load_store(struct build_ctx *b, struct store *st)
{
	struct store_ca row;
	int err = store_ca_get(st, &row);
	if (err == -ENOENT)
		return 0;
	if (err) {
		diag_add(b->d, "cannot read the CA from the state store: %s", strerror(-err));
		return err;
	}
	gnutls_x509_crt_t crt;
	if (cert_from_der(row.cert, row.cert_len, &crt)) {
		diag_add(b->d, "the CA certificate in the state store is unreadable");
		store_ca_clear(&row);
		return -EUCLEAN;
	}
	store_ca_clear(&row);
	err = add_ca(b->cs, crt, "built-in CA", b->d);
	if (err)
		return err;
	err = store_cert_foreach(st, from_store, b);
	if (!err)
		err = b->err;
	if (err && !b->d->n)
		diag_add(b->d, "cannot read the certificates from the state store: %s", strerror(-err));
	return err;
}

static int load_trust(struct build_ctx *b, const char *path)
{
	struct cert_bundle cb;
	char src[4200];
	int err = cert_bundle_load(path, NULL, &cb, b->d);
	if (err)
		return err;
	snprintf(src, sizeof(src), "ca.trust %s", path);
	if (!cb.n_certs) {
		diag_add(b->d, "%s holds no certificate", src);
		err = -EINVAL;
	}
	for (unsigned i = 0; i < cb.n_certs && !err; i++) {
		err = add_ca(b->cs, cb.certs[i], src, b->d);
		cb.certs[i] = NULL;	/* add_ca took it */
	}
	cert_bundle_clear(&cb);
	return err;
}

static int load_crl(struct build_ctx *b, const char *path)
{
	struct cert_bundle cb;
	int err = cert_bundle_load(path, NULL, &cb, b->d);
	if (err)
		return err;
	if (!cb.n_crls) {
		diag_add(b->d, "ca.crl %s holds no CRL", path);
		err = -EINVAL;
	}
	for (unsigned i = 0; i < cb.n_crls && !err; i++) {
		gnutls_x509_crl_t crl = cb.crls[i];
		gnutls_datum_t raw;
		char issuer[CERT_DN_MAX], date[40];
		unsigned status = 0;
		if (gnutls_x509_crl_get_raw_issuer_dn(crl, &raw) < 0) {
			diag_add(b->d, "ca.crl %s: unreadable issuer", path);
			err = -EINVAL;
			break;
		}
		cert_dn_text(&raw, issuer, sizeof(issuer));
		gnutls_free(raw.data);
		bool ok = false;
		for (size_t k = 0; k < b->cs->n_cas && !ok; k++)
			/* out of date is not untrusted: warned about below, its entries still count */
			ok = gnutls_x509_crl_check_issuer(crl, b->cs->cas[k]) &&
			     gnutls_x509_crl_verify(crl, &b->cs->cas[k], 1, 0, &status) >= 0 &&
			     !(status & (GNUTLS_CERT_SIGNATURE_FAILURE | GNUTLS_CERT_SIGNER_NOT_FOUND |
					 GNUTLS_CERT_SIGNER_NOT_CA | GNUTLS_CERT_INSECURE_ALGORITHM |
					 GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE));
		if (!ok) {
			diag_add(b->d, "ca.crl %s is not signed by a trusted CA (issuer \"%s\"): add that CA to ca.trust or fix the file",
				 path, issuer);
			err = -EINVAL;
			break;
		}
		time_t next = gnutls_x509_crl_get_next_update(crl);
		if (next != (time_t)-1 && next < time(NULL)) {
			certstore_date_text(next, date, sizeof(date));
			log_warn("cert", "CRL %s of \"%s\" is out of date since %s: publish a new one (its revocations still apply)",
				 path, issuer, date);
		}
		gnutls_x509_crl_iter_t it = NULL;
		for (;;) {
			uint8_t serial[64];
			size_t len = sizeof(serial);
			time_t when = 0;
			int rc = gnutls_x509_crl_iter_crt_serial(crl, &it, serial, &len, &when);
			if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
				break;
			if (rc < 0) {
				diag_add(b->d, "ca.crl %s: unreadable entry", path);
				err = -EINVAL;
				break;
			}
			err = rev_add(b->cs, issuer, serial, len, when);
			if (err)
				break;
		}
		gnutls_x509_crl_iter_deinit(it);
		b->cs->n_crls++;
	}
	cert_bundle_clear(&cb);
	return err;
}

static int load_conf_cert(struct build_ctx *b, const struct kanmon_conf *g)
{
	const char *name = conf_string(g, "name"), *file = conf_string(g, "cert"), *keyf = conf_string(g, "key"),
		   *passf = conf_string(g, "passphrase_file");
	char *pass = NULL;
	struct cert_bundle cb = { 0 }, kb = { 0 };
	int err = 0;
	if (passf && *passf)
		err = cert_passphrase_file(passf, &pass, b->d);
	if (!err)
		err = cert_bundle_load(file, pass, &cb, b->d);
	if (!err && keyf && *keyf)
		err = cert_bundle_load(keyf, pass, &kb, b->d);
	cert_passphrase_free(pass);
	if (err)
		goto out;
	gnutls_x509_privkey_t key = kb.key ? kb.key : cb.key;
	if (!cb.n_certs || !key) {
		diag_add(b->d, "ca.certificates %s: %s holds no %s", name, cb.n_certs ? (keyf && *keyf ? keyf : file) : file,
			 cb.n_certs ? "private key (add key = \"FILE\")" : "certificate");
		err = -EINVAL;
		goto out;
	}
	if (!cert_key_matches(cb.certs[0], key)) {
		diag_add(b->d, "ca.certificates %s: the private key does not belong to the certificate in %s", name, file);
		err = -EINVAL;
		goto out;
	}
	if (kb.key)
		kb.key = NULL;
	else
		cb.key = NULL;
	gnutls_x509_crt_t crt = cb.certs[0];
	cb.certs[0] = NULL;	/* the rest of the file (its chain) is not needed */
	err = add_server(b->cs, name, crt, b->load_keys ? key : NULL, b->d);
	if (!b->load_keys)
		gnutls_x509_privkey_deinit(key);
out:
	cert_bundle_clear(&cb);
	cert_bundle_clear(&kb);
	return err;
}

int certstore_new(const struct certstore_params *p, struct certstore **out, struct diag *d)
{
	*out = NULL;
	int err = cert_global_init();
	if (err)
		return err;
	struct certstore *cs = calloc(1, sizeof(*cs));
	if (!cs)
		return -ENOMEM;
	if (gnutls_x509_trust_list_init(&cs->tl, 0) < 0) {
		free(cs);
		return -ENOMEM;
	}
	struct build_ctx b = { .cs = cs, .state_dir = p->state_dir, .load_keys = p->load_keys, .d = d };
	size_t before = d->n;
	/* trust first: server entries and CRLs are judged against it */
	if (p->ca) {
		for (size_t i = 0; i < conf_count(p->ca, "trust"); i++)
			if (load_trust(&b, conf_string_at(p->ca, "trust", i)))
				err = -EINVAL;
	}
	if (!err && p->store)
		err = load_store(&b, p->store);
	if (!err && p->ca) {
		for (size_t i = 0; i < conf_count(p->ca, "crl"); i++)
			if (load_crl(&b, conf_string_at(p->ca, "crl", i)))
				err = -EINVAL;
		for (size_t i = 0; i < conf_count(p->ca, "certificates"); i++)
			if (load_conf_cert(&b, conf_group_at(p->ca, "certificates", i)))
				err = -EINVAL;
	}
	if (err) {
		if (d->n == before)
			diag_add(d, "cannot load the certificate store: %s", strerror(-err));
		certstore_free(cs);
		return err;
	}
	*out = cs;
	return 0;
}

void certstore_free(struct certstore *cs)
{
	if (!cs)
		return;
	for (size_t i = 0; i < cs->n_servers; i++) {
		struct server *s = &cs->servers[i];
		free(s->name);
		gnutls_x509_crt_deinit(s->crt);
		gnutls_free(s->der.data);
		if (s->key)
			gnutls_privkey_deinit(s->key);
	}
	free(cs->servers);
	gnutls_x509_trust_list_deinit(cs->tl, 0);
	for (size_t i = 0; i < cs->n_cas; i++) {
		gnutls_x509_crt_deinit(cs->cas[i]);
		gnutls_free(cs->ca_der[i].data);
		if (cs->fast[i].pub)
			gnutls_pubkey_deinit(cs->fast[i].pub);
		gnutls_free(cs->fast[i].subject.data);
	}
	free(cs->cas);
	free(cs->ca_der);
	free(cs->fast);
	free(cs->rev);
	free(cs);
}

void certstore_stats(const struct certstore *cs, struct certstore_stats *st)
{
	st->trusted = cs->n_cas;
	st->servers = cs->n_servers;
	st->revoked = cs->n_rev;
	st->crls = cs->n_crls;
}

/* ---- signing, lookup ----------------------------------------------------------- */

static gnutls_digest_algorithm_t digest_of(unsigned hash)
{
	switch (hash) {
	case KANMON_HASH_SHA1: return GNUTLS_DIG_SHA1;
	case KANMON_HASH_SHA256: return GNUTLS_DIG_SHA256;
	case KANMON_HASH_SHA384: return GNUTLS_DIG_SHA384;
	case KANMON_HASH_SHA512: return GNUTLS_DIG_SHA512;
	default: return GNUTLS_DIG_UNKNOWN;
	}
}

int certstore_sign(struct certstore *cs, const char *name, unsigned hash, unsigned flags, const void *data,
		   size_t len, uint8_t *sig, size_t *sig_len)
{
	struct server *s = name ? find_server(cs, name) : NULL;
	if (!s || !s->key)
		return -ENOENT;
	gnutls_digest_algorithm_t dig = digest_of(hash);
	if (dig == GNUTLS_DIG_UNKNOWN)
		return -EOPNOTSUPP;
	int pk = gnutls_privkey_get_pk_algorithm(s->key, NULL);
	gnutls_sign_algorithm_t algo;
	if (pk == GNUTLS_PK_RSA && (flags & KANMON_SIGN_RSA_PSS))
		algo = gnutls_pk_to_sign(GNUTLS_PK_RSA_PSS, dig);
	else if (pk == GNUTLS_PK_RSA && !(flags & KANMON_SIGN_ECDSA_RAW))
		algo = gnutls_pk_to_sign(GNUTLS_PK_RSA, dig);
	else if (pk == GNUTLS_PK_ECDSA && !(flags & KANMON_SIGN_RSA_PSS))
		algo = gnutls_pk_to_sign(GNUTLS_PK_ECDSA, dig);
	else
		return -EOPNOTSUPP;
	if (algo == GNUTLS_SIGN_UNKNOWN)
		return -EOPNOTSUPP;
	gnutls_datum_t in = { (unsigned char *)(uintptr_t)data, (unsigned)len }, out = { NULL, 0 };
	int rc = gnutls_privkey_sign_data2(s->key, algo, 0, &in, &out);
	if (rc < 0)
		return rc == GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM ? -EOPNOTSUPP : -EIO;
	int err = 0;
	if (pk == GNUTLS_PK_ECDSA && (flags & KANMON_SIGN_ECDSA_RAW)) {
		gnutls_datum_t r = { NULL, 0 }, sv = { NULL, 0 };
		size_t half = (s->key_bits + 7) / 8;
		if (gnutls_decode_rs_value(&out, &r, &sv) < 0) {
			err = -EIO;
		} else if (*sig_len < 2 * half) {
			err = -ENOSPC;
		} else {
			/* r and s, each left-padded to the curve size (RFC 4754) */
			const uint8_t *rp, *sp;
			size_t rl = cert_serial_norm(r.data, r.size, &rp), sl = cert_serial_norm(sv.data, sv.size, &sp);
			if (rl > half || sl > half) {
				err = -EIO;
			} else {
				memset(sig, 0, 2 * half);
				memcpy(sig + half - rl, rp, rl);
				memcpy(sig + 2 * half - sl, sp, sl);
				*sig_len = 2 * half;
			}
		}
		gnutls_free(r.data);
		gnutls_free(sv.data);
	} else if (*sig_len < out.size) {
		err = -ENOSPC;
	} else {
		memcpy(sig, out.data, out.size);
		*sig_len = out.size;
	}
	gnutls_free(out.data);
	return err;
}

int certstore_lookup(struct certstore *cs, const char *name, const struct kanmon_id *id,
		     struct kanmon_cert_info *info)
{
	struct server *s = NULL;
	if (name)
		s = find_server(cs, name);
	else if (id)
		for (size_t i = 0; i < cs->n_servers && !s; i++)
			if (cert_has_id(cs->servers[i].crt, id))
				s = &cs->servers[i];
	if (!s)
		return -ENOENT;
	info->name = s->name;
	info->cert = (struct kanmon_blob){ s->der.data, s->der.size };
	info->issuer = s->issuer_ca >= 0 ?
			       (struct kanmon_blob){ cs->ca_der[s->issuer_ca].data, cs->ca_der[s->issuer_ca].size } :
			       (struct kanmon_blob){ NULL, 0 };
	info->key_type = s->key_type;
	info->key_bits = s->key_bits;
	info->subject = s->subject;
	info->not_after = gnutls_x509_crt_get_expiration_time(s->crt);
	return 0;
}

/* ---- start-up / reload checks ------------------------------------------------ */

int certstore_check_server(struct certstore *cs, const char *name, const char *server_id, struct diag *warn)
{
	struct server *s = find_server(cs, name);
	if (!s)
		return -ENOENT;
	char label[CERT_DN_MAX + 80];
	snprintf(label, sizeof(label), "server certificate %s (%s)", s->name, s->subject);
	struct diag w = { 0 };
	int n = cert_check_server(s->crt, label, server_id, s->issuer_root, time(NULL), &w);
	for (size_t i = 0; i < w.n; i++) {
		log_warn("cert", "%s", w.lines[i]);
		if (warn)
			diag_add(warn, "%s", w.lines[i]);
	}
	diag_clear(&w);
	return n;
}

int certstore_check_servers(struct certstore *cs, const char *const *server_ids, size_t n)
{
	int total = 0;
	bool *covered = calloc(cs->n_servers ? cs->n_servers : 1, sizeof(*covered));
	if (!covered)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		struct cert_id id;
		bool found = false;
		if (cert_id_from_text(server_ids[k], &id))
			continue;
		for (size_t i = 0; i < cs->n_servers; i++)
			if (cert_has_id(cs->servers[i].crt, &id.id)) {
				found = covered[i] = true;
				total += certstore_check_server(cs, cs->servers[i].name, server_ids[k], NULL);
			}
		if (!found && cs->n_servers) {
			log_warn("cert", "no server certificate carries the server ID %s (as subjectAltName DNS:%s): iOS/macOS, Windows (error 13801) and Android refuse the server when they are given %s; issue one with kanmonctl cert issue server NAME --cn %s",
				 server_ids[k], server_ids[k], server_ids[k], server_ids[k]);
			total++;
		}
	}
	/* the others against the name they carry: what their owner will hand out */
	for (size_t i = 0; i < cs->n_servers; i++)
		if (!covered[i])
			total += certstore_check_server(cs, cs->servers[i].name, NULL, NULL);
	free(covered);
	return total;
}
