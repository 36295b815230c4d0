/* SPDX-License-Identifier: MIT */
/*
 * certstore.h - certificates for kanmond and kanmonctl (GnuTLS). One file
 * per concern:
 *
 *   load.c      reading certificates, keys, CRLs and passphrases from files
 *   der.c       a strict DER reader: the verification fast path, DNs, SANs
 *   identity.c  DN text, serials, IKE identities and their matching
 *   verify.c    the daemon's runtime store: trust, revocations, server keys;
 *               chain verification, signing, lookup (the host table's calls)
 *   checks.c    a server certificate against what clients demand
 *   ca.c        the built-in CA: create, issue, revoke, CRL (store + files)
 *   export.c    PEM/DER, generated passphrases, atomic file writes
 *   p12.c       PKCS#12 in the legacy format every client imports
 *   bundle/     one-shot client bundles (.mobileconfig, .sswan, .ps1, README)
 *
 * Conventions: 0 / -errno; every failure also adds one plain line to the
 * diag (what failed and what to do). Private key material is wiped with
 * gnutls_memset before it is freed and never logged.
 */
#ifndef KANMON_CORE_CERTSTORE_H
#define KANMON_CORE_CERTSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <kanmon/cert.h>
#include <kanmon/conf.h>

#include "diag.h"
#include "sbuf.h"

struct store;
struct store_cert;

/* GnuTLS must be initialised once per process; safe to call repeatedly. */
int cert_global_init(void);

/* ---- load.c ------------------------------------------------------------- */

#define CERT_FILE_MAX (8u << 20)	/* no credential file is larger */

/* Whole file into memory (malloc'd, NUL-terminated). Wipe with cert_datum_wipe. */
int cert_file_read(const char *path, gnutls_datum_t *out, struct diag *d);
void cert_datum_wipe(gnutls_datum_t *dt);
/* First line of a file, without the newline; empty is an error. */
int cert_passphrase_file(const char *path, char **pass, struct diag *d);
void cert_passphrase_free(char *pass);

/* Everything one file held. */
struct cert_bundle {
	gnutls_x509_crt_t *certs;	/* file order; PKCS#12: end entity first, then its chain */
	unsigned n_certs;
	gnutls_x509_privkey_t key;	/* NULL when the file has none */
	gnutls_x509_crl_t *crls;
	unsigned n_crls;
};

/*
 * PEM (any mix of certificates, one private key, CRLs), DER (certificate,
 * private key or CRL) or PKCS#12 (needs `pass`). `label` names the data in
 * messages. A wrong or missing passphrase is -EACCES with a line saying so.
 */
int cert_bundle_load_mem(const gnutls_datum_t *data, const char *label, const char *pass,
			 struct cert_bundle *b, struct diag *d);
int cert_bundle_load(const char *path, const char *pass, struct cert_bundle *b, struct diag *d);
void cert_bundle_clear(struct cert_bundle *b);
/* Does the certificate hold the public half of key? */
bool cert_key_matches(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key);
/* One DER certificate. */
int cert_from_der(const void *der, size_t len, gnutls_x509_crt_t *out);

/* ---- der.c --------------------------------------------------------------- */

struct der_span {
	const uint8_t *p;
	size_t len;
};
/* One TLV from in (advanced past it). -EINVAL when malformed or longer than in. */
int der_read(struct der_span *in, uint8_t *tag, struct der_span *content, struct der_span *whole);
int der_oid_text(const uint8_t *p, size_t len, char *buf, size_t n);
/* Each AVA of a Name TLV in ASN.1 order: dotted OID, string tag, value bytes. */
int der_name_foreach(const uint8_t *name, size_t len,
		     int (*cb)(const char *oid, uint8_t tag, const uint8_t *v, size_t vlen, void *arg), void *arg);
/* Each rfc822Name, dNSName, iPAddress, URI of a GeneralNames TLV (type: GNUTLS_SAN_*). */
int der_san_foreach(const uint8_t *san, size_t len, int (*cb)(int type, const uint8_t *v, size_t vlen, void *arg),
		    void *arg);
int der_eku_foreach(const uint8_t *eku, size_t len, int (*cb)(const char *oid, void *arg), void *arg);

/* What verification needs of a certificate, pointing into its DER. */
struct x509_view {
	struct der_span tbs;		/* TBSCertificate TLV: the signed bytes */
	struct der_span sig_alg;	/* OID content */
	struct der_span sig_params;	/* parameters after the OID (NULL TLV or empty) */
	struct der_span sig;		/* signature value bytes */
	struct der_span serial;		/* INTEGER content */
	struct der_span issuer, subject, spki;	/* whole TLVs */
	time_t not_before, not_after;
	struct der_span san, eku;	/* extension value TLVs; empty when absent */
	bool has_ku, has_bc, is_ca;
	unsigned ku;			/* GNUTLS_KEY_* bits */
	bool unknown_critical;		/* a critical extension we do not read */
	int version;
};
int x509_view_parse(const uint8_t *der, size_t len, struct x509_view *v);

/* ---- identity.c ---------------------------------------------------------- */

#define CERT_DN_MAX 256
#define CERT_SERIAL_HEX_MAX 41

/* A DN as text in ASN.1 order, strongSwan style: "C=JP, O=Example Inc., CN=x". */
int cert_dn_text(const gnutls_datum_t *raw, char *buf, size_t len);
int cert_subject_text(gnutls_x509_crt_t c, char *buf, size_t len);
int cert_issuer_text(gnutls_x509_crt_t c, char *buf, size_t len);
/* The CN value ("" when none). */
int cert_cn(gnutls_x509_crt_t c, char *buf, size_t len);
/* Serial as lowercase hex without leading zero bytes. */
int cert_serial_hex(gnutls_x509_crt_t c, char buf[CERT_SERIAL_HEX_MAX]);
void cert_hex(const uint8_t *in, size_t len, char *out);
/* Leading zero bytes dropped (DER adds one before a high bit). */
size_t cert_serial_norm(const uint8_t *in, size_t len, const uint8_t **out);

/* An identity with its own storage. */
struct cert_id {
	struct kanmon_id id;
	uint8_t buf[512];
};
/*
 * Operator text to an IKE identity, as strongSwan and Android infer it: an
 * IPv4/IPv6 address, a DN when it contains '=', RFC 822 when it contains
 * '@', else an FQDN.
 */
int cert_id_from_text(const char *text, struct cert_id *out);
int cert_id_text(const struct kanmon_id *id, char *buf, size_t len);
/* Does the certificate carry this identity (subject DN or a subjectAltName)? */
bool cert_has_id(gnutls_x509_crt_t c, const struct kanmon_id *id);
/* The same from the raw subject Name TLV and GeneralNames TLV (KEY_ID: false). */
bool cert_has_id_raw(const struct der_span *subject, const struct der_span *san, const struct kanmon_id *id);
/* Pattern match (kanmon/host.h cert_id_match documents the patterns). */
bool cert_id_match(const char *pattern, const struct kanmon_id *id);
/* Names we accept for a store entry: [A-Za-z0-9._@-], 1..64, not starting with '.' or '-'. */
bool cert_name_ok(const char *name);

/* ---- checks.c ------------------------------------------------------------ */

/*
 * Checks a server certificate against what iOS/macOS, Windows and Android
 * demand when they reach the server as server_id (NULL: its CN). issuer_root:
 * 1 issued directly by a self-signed root we trust, 0 by an intermediate,
 * -1 unknown. Each problem is one warning line in `warn`, naming `label` and
 * the clients it would break. Returns the number of warnings.
 */
int cert_check_server(gnutls_x509_crt_t crt, const char *label, const char *server_id, int issuer_root,
		      time_t now, struct diag *warn);

/* ---- verify.c: the runtime store ---------------------------------------- */

struct certstore;

struct certstore_params {
	const char *state_dir;			/* key files of the store are relative to it */
	struct store *store;			/* NULL: no built-in CA */
	const struct kanmon_conf *ca;		/* the `ca` configuration group; NULL = defaults */
	bool load_keys;				/* false: kanmonctl checks need no private keys */
};

/* Builds everything; a missing or broken configured file fails (reasons in d). */
int certstore_new(const struct certstore_params *p, struct certstore **out, struct diag *d);
void certstore_free(struct certstore *cs);

int certstore_verify(struct certstore *cs, const struct kanmon_blob *chain, size_t n, int role,
		     const struct kanmon_id *id, time_t now, struct kanmon_cert_result *res);
int certstore_verify_crts(struct certstore *cs, gnutls_x509_crt_t *chain, size_t n, int role,
			  const struct kanmon_id *id, time_t now, struct kanmon_cert_result *res);
int certstore_sign(struct certstore *cs, const char *name, unsigned hash, unsigned flags, const void *data,
		   size_t len, uint8_t *sig, size_t *sig_len);
int certstore_lookup(struct certstore *cs, const char *name, const struct kanmon_id *id,
		     struct kanmon_cert_info *info);
/* Is (issuer DN text, serial hex) revoked? */
bool certstore_revoked(const struct certstore *cs, const char *issuer, const char *serial);
/* Runs cert_check_server on every server certificate for every server_id; logs each warning. */
int certstore_check_servers(struct certstore *cs, const char *const *server_ids, size_t n);
/* One certificate by name against one server_id; warnings logged and in warn (may be NULL). */
int certstore_check_server(struct certstore *cs, const char *name, const char *server_id, struct diag *warn);
/* 1 issued directly by a trusted self-signed root, 0 not, -1 unknown issuer. */
int certstore_issuer_is_root(const struct certstore *cs, gnutls_x509_crt_t crt);

struct certstore_stats {
	size_t trusted, servers, revoked, crls;
};
void certstore_stats(const struct certstore *cs, struct certstore_stats *st);

/* ---- export.c ------------------------------------------------------------ */

/* Who owns files written into a state directory (its owner, when we are root). */
struct cert_owner {
	bool set;
	uid_t uid;
	gid_t gid;
};
void cert_owner_of(const char *dir, struct cert_owner *o);

/* A file written to a temporary name, renamed into place by commit. */
struct cert_stage {
	char *path, *tmp;
};
int cert_stage_write(struct cert_stage *st, const char *path, const void *data, size_t len, mode_t mode,
		     const struct cert_owner *owner, struct diag *d);
int cert_stage_commit(struct cert_stage *st, struct diag *d);
void cert_stage_abort(struct cert_stage *st);	/* unlinks the temporary file; NULL-safe */
int cert_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      const struct cert_owner *owner, struct diag *d);
/* mkdir with mode (and owner) unless it exists as a directory. */
int cert_mkdir(const char *path, mode_t mode, const struct cert_owner *owner, struct diag *d);

enum cert_format { CERT_FMT_PEM, CERT_FMT_DER, CERT_FMT_P12 };
int cert_format_parse(const char *s, enum cert_format *f);
int cert_export_crt(gnutls_x509_crt_t crt, enum cert_format f, gnutls_datum_t *out);
/* PEM of a private key (PKCS#8, encrypted with AES-256 PBES2 when pass is set). */
int cert_export_key(gnutls_x509_privkey_t key, const char *pass, gnutls_datum_t *out);
/*
 * PKCS#12 with key, certificate and CA, in the legacy format every iOS,
 * Windows and Android version imports: pbeWithSHAAnd3-KeyTripleDES-CBC for
 * the key and certificate bags, SHA-1 MAC. friendly names the entry.
 */
int cert_export_p12(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, gnutls_x509_crt_t ca,
		    const char *friendly, const char *pass, gnutls_datum_t *out, struct diag *d);
/* A passphrase people can type: 4 groups of 5 from an unambiguous alphabet (~99 bits). */
int cert_passphrase_new(char *buf, size_t len);
/* Base64 (no line breaks). */
int cert_base64(const void *data, size_t len, char **out);
/* Random UUID v4, uppercase (Apple's style). */
int cert_uuid(char out[37]);

/* ---- ca.c: the built-in CA ----------------------------------------------- */

enum cert_key_kind { CERT_KEY_RSA2048, CERT_KEY_RSA3072, CERT_KEY_ECDSA_P256 };
int cert_key_kind_parse(const char *s, enum cert_key_kind *k);
int cert_key_generate(enum cert_key_kind k, gnutls_x509_privkey_t *out);

#define CA_DIR "ca"			/* under state_dir */
#define CA_KEY_FILE CA_DIR "/ca.key"
#define CA_KEYS_DIR CA_DIR "/keys"
#define CA_MAX_DAYS 36500

/* STATE_DIR/rel into buf; -ENAMETOOLONG */
int ca_path(const char *state_dir, const char *rel, char *buf, size_t len);
/* STATE_DIR, STATE_DIR/ca, STATE_DIR/ca/keys: 0700, owned by owner */
int ca_prepare_dirs(const char *state_dir, const struct cert_owner *owner, struct diag *d);

/* The CA loaded from the store (key only when asked for). */
struct ca_ctx {
	const char *state_dir;
	struct store *store;
	struct cert_owner owner;
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;	/* NULL unless opened with a key */
	char subject[CERT_DN_MAX];
	char *crl_host;
	int64_t crl_number;
	bool key_encrypted;
};

struct ca_create_params {
	const char *cn, *country, *org, *crl_host;
	unsigned days;
	enum cert_key_kind key;
	const char *passphrase;		/* NULL: key stored unencrypted (0600) */
};
int ca_create(const char *state_dir, struct store *st, const struct ca_create_params *p, struct diag *d);

/* need_key: load (and decrypt with pass) the CA key for signing. */
int ca_open(struct ca_ctx *ca, const char *state_dir, struct store *st, bool need_key, const char *pass,
	    struct diag *d);
void ca_close(struct ca_ctx *ca);

struct ca_issue_params {
	const char *name;
	int role;			/* KANMON_CERT_SERVER or KANMON_CERT_CLIENT */
	const char *cn, *country, *org;
	const char *const *sans;	/* "dns:x", "ip:x", "email:x" */
	size_t n_sans;
	unsigned days;
	enum cert_key_kind key;
};
/* A certificate issued in memory; committed to the store (row + key file) separately. */
struct ca_issued {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
	char name[65];
	int role;			/* KANMON_CERT_SERVER or KANMON_CERT_CLIENT */
	char serial[CERT_SERIAL_HEX_MAX];
	char subject[CERT_DN_MAX];
	char key_file[128];		/* relative to state_dir */
	bool committed;
	bool clamped;			/* validity cut to the CA's */
};
int ca_issue_prepare(struct ca_ctx *ca, const struct ca_issue_params *p, struct ca_issued *out, struct diag *d);
int ca_issue_commit(struct ca_ctx *ca, struct ca_issued *is, struct diag *d);
/* Undoes a commit (row and key file) when what it was for failed. */
int ca_issue_undo(struct ca_ctx *ca, struct ca_issued *is);
void ca_issued_clear(struct ca_issued *is);

/* RFC 5280 reason names <-> codes */
int ca_reason_parse(const char *s);
const char *ca_reason_name(int reason);
int ca_revoke(struct store *st, const char *name, int reason, struct diag *d);
/* Signs a CRL of every revocation (CRL number + 1) and writes it atomically. */
int ca_crl_export(struct ca_ctx *ca, const char *path, enum cert_format f, unsigned days,
		  int64_t *number, size_t *entries, struct diag *d);
/* Key + certificate of a stored entry (for export). */
int ca_load_entry(struct ca_ctx *ca, const struct store_cert *c, gnutls_x509_crt_t *crt,
		  gnutls_x509_privkey_t *key, struct diag *d);
/* Imports a certificate (and key) from files as entry `name`. */
struct ca_import_params {
	const char *name, *cert_file, *key_file, *passphrase;
	const char *role;		/* NULL: inferred (CA:TRUE -> ca, serverAuth -> server, else client) */
};
int ca_import(const char *state_dir, struct store *st, const struct ca_import_params *p, char *role_out,
	      size_t role_len, struct diag *d);

#endif
