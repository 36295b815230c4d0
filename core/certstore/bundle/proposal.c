/* SPDX-License-Identifier: MIT */
/*
 * proposal.c - strongSwan-style proposal strings ("aes256gcm16-prfsha256-
 * ecp256", "aes256-sha256-modp2048") to the algorithms a client profile
 * names. Only the first algorithm of each kind counts: a profile pins one.
 */
#include <errno.h>
#include <string.h>

#include "bundle.h"

static const struct {
	const char *name;
	enum bundle_enc enc;
} encs[] = {
	{ "3des", BENC_3DES }, { "aes128", BENC_AES128 }, { "aes192", BENC_AES192 }, { "aes256", BENC_AES256 },
	{ "aes", BENC_AES128 }, { "aes128gcm16", BENC_AES128GCM }, { "aes192gcm16", BENC_AES192GCM },
	{ "aes256gcm16", BENC_AES256GCM }, { "aes128gcm", BENC_AES128GCM }, { "aes256gcm", BENC_AES256GCM },
	{ "chacha20poly1305", BENC_CHACHA20 },
};

static const struct {
	const char *name;
	enum bundle_integ integ;
} integs[] = {
	{ "md5", BINT_MD5 }, { "sha1", BINT_SHA1 }, { "sha", BINT_SHA1 }, { "sha256", BINT_SHA256 },
	{ "sha2_256", BINT_SHA256 }, { "sha384", BINT_SHA384 }, { "sha2_384", BINT_SHA384 },
	{ "sha512", BINT_SHA512 }, { "sha2_512", BINT_SHA512 },
};

static const struct {
	const char *name;
	int group;
} dhs[] = {
	{ "modp768", 1 }, { "modp1024", 2 }, { "modp1536", 5 }, { "modp2048", 14 }, { "modp3072", 15 },
	{ "modp4096", 16 }, { "modp6144", 17 }, { "modp8192", 18 }, { "ecp256", 19 }, { "ecp384", 20 },
	{ "ecp521", 21 }, { "modp2048s256", 24 }, { "curve25519", 31 }, { "x25519", 31 }, { "curve448", 32 },
	{ "modpnone", 0 },
};

bool bundle_enc_aead(enum bundle_enc e)
{
	return e == BENC_AES128GCM || e == BENC_AES192GCM || e == BENC_AES256GCM || e == BENC_CHACHA20;
}

int bundle_proposal_parse(const char *text, struct bundle_proposal *p)
{
	char buf[256];
	memset(p, 0, sizeof(*p));
	if (!text || strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	char *save = NULL;
	for (char *tok = strtok_r(buf, "-", &save); tok; tok = strtok_r(NULL, "-", &save)) {
		bool known = false;
		for (size_t i = 0; i < sizeof(encs) / sizeof(encs[0]) && !known; i++)
			if (!strcmp(tok, encs[i].name)) {
				if (p->enc == BENC_NONE)
					p->enc = encs[i].enc;
				known = true;
			}
		for (size_t i = 0; i < sizeof(integs) / sizeof(integs[0]) && !known; i++) {
			if (!strcmp(tok, integs[i].name)) {
				if (p->integ == BINT_NONE)
					p->integ = integs[i].integ;
				known = true;
			} else if (!strncmp(tok, "prf", 3) && !strcmp(tok + 3, integs[i].name)) {
				if (p->prf == BINT_NONE)
					p->prf = integs[i].integ;
				known = true;
			}
		}
		for (size_t i = 0; i < sizeof(dhs) / sizeof(dhs[0]) && !known; i++)
			if (!strcmp(tok, dhs[i].name)) {
				if (!p->dh_given) {
					p->dh = dhs[i].group;
					p->dh_given = true;
				}
				known = true;
			}
		/* esn/noesn and anything newer: not something a profile pins */
		(void)known;
	}
	return p->enc == BENC_NONE ? -EINVAL : 0;
}

int bundle_pick(const char *const *v, size_t n, bool (*ok)(const struct bundle_proposal *p),
		struct bundle_proposal *out, const char **text)
{
	for (size_t i = 0; i < n; i++) {
		struct bundle_proposal p;
		if (!bundle_proposal_parse(v[i], &p) && ok(&p)) {
			*out = p;
			if (text)
				*text = v[i];
			return 0;
		}
	}
	return -ENOENT;
}
