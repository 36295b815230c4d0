/* SPDX-License-Identifier: MIT */
/*
 * certstore_int.h - the runtime certificate store's record, shared by
 * build.c (building it, revocations, signing, lookups, checks) and verify.c
 * (verifying peers). Nothing outside core/certstore includes this.
 */
#ifndef KANMON_CORE_CERTSTORE_INT_H
#define KANMON_CORE_CERTSTORE_INT_H

#include <gnutls/abstract.h>

#include "certstore.h"

#define MAX_CHAIN 16

struct rev_entry {
	uint64_t issuer;	/* FNV-1a of the issuer DN text; 0 = empty slot */
	int64_t when;
	uint8_t len;
	uint8_t serial[20];
};

struct server {
	char *name;
	gnutls_x509_crt_t crt;
	gnutls_datum_t der;
	gnutls_privkey_t key;		/* NULL when keys were not loaded */
	char subject[CERT_DN_MAX];
	int issuer_root;
	int issuer_ca;			/* index into cas, -1 none */
	uint8_t key_type;
	uint16_t key_bits;
};

/* A trusted CA as the fast path uses it (build.c prepares it). */
struct ca_fast {
	gnutls_pubkey_t pub;		/* NULL: verify with GnuTLS's trust list only */
	gnutls_datum_t subject;		/* raw Name TLV, compared with issuers byte for byte */
	time_t not_before, not_after;
};

struct certstore {
	gnutls_x509_trust_list_t tl;
	gnutls_x509_crt_t *cas;		/* owned here; the trust list only points at them */
	gnutls_datum_t *ca_der;
	struct ca_fast *fast;		/* parallel to cas */
	size_t n_cas, cap_cas;
	struct rev_entry *rev;
	size_t n_rev, cap_rev;		/* cap a power of two, at most half full */
	struct server *servers;
	size_t n_servers;
	size_t n_crls;
};

const struct rev_entry *certstore_rev_find(const struct certstore *cs, const char *issuer, const uint8_t *serial,
					   size_t len);
void certstore_date_text(time_t t, char *buf, size_t len);

#endif
