/* SPDX-License-Identifier: MIT */
/*
 * bundle.h - one-shot client bundles: what `kanmonctl client add` writes
 * besides NAME.p12 and ca.crt, one generator per client platform.
 *
 * Every generator renders into an sbuf from the same parameters; nothing
 * here touches files (ctl/client.c stages and commits them together).
 * Proposals are the server's, in strongSwan syntax ("aes256-sha256-modp2048"):
 * each generator picks the first one its platform can express, so every
 * client offers what the server accepts (Windows then uses modern DH instead
 * of its MODP1024 default).
 */
#ifndef KANMON_CORE_CERTSTORE_BUNDLE_H
#define KANMON_CORE_CERTSTORE_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "sbuf.h"

/* Defaults when the configuration names no proposals: accepted by iOS, Windows, Android. */
#define BUNDLE_DEFAULT_IKE "aes256-sha256-modp2048"
#define BUNDLE_DEFAULT_ESP "aes256-sha256"

enum bundle_enc {
	BENC_NONE, BENC_3DES, BENC_AES128, BENC_AES192, BENC_AES256,
	BENC_AES128GCM, BENC_AES192GCM, BENC_AES256GCM, BENC_CHACHA20,
};
enum bundle_integ { BINT_NONE, BINT_MD5, BINT_SHA1, BINT_SHA256, BINT_SHA384, BINT_SHA512 };

/* The first algorithm of each kind in one proposal. */
struct bundle_proposal {
	enum bundle_enc enc;
	enum bundle_integ integ;	/* BINT_NONE with AEAD */
	enum bundle_integ prf;		/* prfsha256 etc.; BINT_NONE = same as integ */
	int dh;				/* IANA group number; 0 none/modpnone */
	bool dh_given;
};
int bundle_proposal_parse(const char *text, struct bundle_proposal *p);
bool bundle_enc_aead(enum bundle_enc e);

struct bundle_params {
	const char *name;		/* files are NAME.* */
	const char *server;		/* address the client dials, also its remote ID */
	const char *local_id;		/* the client's IKE identity (email SAN, else CN) */
	const uint8_t *p12;
	size_t p12_len;
	const uint8_t *ca_der;
	size_t ca_der_len;
	const char *ca_cn;
	bool ecdsa;			/* the client key is ECDSA P-256 */
	const char *const *ike;		/* server proposals, preference order */
	size_t n_ike;
	const char *const *esp;
	size_t n_esp;
	const char *const *dns;
	size_t n_dns;
};

/* Notes (a proposal a platform cannot use, ...) go to `note`; errors to d. */
int bundle_mobileconfig(const struct bundle_params *p, struct sbuf *out, struct diag *note);
int bundle_sswan(const struct bundle_params *p, struct sbuf *out, struct diag *note);
int bundle_windows_ps1(const struct bundle_params *p, struct sbuf *out, struct diag *note);
int bundle_readme(const struct bundle_params *p, struct sbuf *out);

/* The first of `v` that `ok` accepts (parsed into *out); -ENOENT when none. */
int bundle_pick(const char *const *v, size_t n, bool (*ok)(const struct bundle_proposal *p),
		struct bundle_proposal *out, const char **text);

#endif
