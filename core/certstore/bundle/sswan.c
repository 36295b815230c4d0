/* SPDX-License-Identifier: MIT */
/*
 * sswan.c - the strongSwan VPN Client (Android) profile: JSON the app
 * imports (docs.strongswan.org, "Android VPN client profiles"), with the
 * PKCS#12 (local.p12) and the CA (remote.cert) embedded as base64. The app
 * asks for the PKCS#12 passphrase when it installs the certificate.
 *
 * The app's proposals are strongSwan's own syntax, so the server's first
 * IKE and ESP proposals go in unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "certstore.h"

static bool any(const struct bundle_proposal *p)
{
	(void)p;
	return true;
}

int bundle_sswan(const struct bundle_params *p, struct sbuf *o, struct diag *note)
{
	struct bundle_proposal ike, esp;
	const char *ike_txt = BUNDLE_DEFAULT_IKE, *esp_txt = BUNDLE_DEFAULT_ESP;
	char uuid[37], *p12 = NULL, *ca = NULL;
	(void)note;
	if (cert_uuid(uuid))
		return -EIO;
	for (char *c = uuid; *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	bundle_pick(p->ike, p->n_ike, any, &ike, &ike_txt);
	bundle_pick(p->esp, p->n_esp, any, &esp, &esp_txt);
	int err = cert_base64(p->p12, p->p12_len, &p12);
	if (!err)
		err = cert_base64(p->ca_der, p->ca_der_len, &ca);
	if (err)
		goto out;
	char display[600];
	snprintf(display, sizeof(display), "%s (%s)", p->server, p->name);
	sbuf_printf(o, "{\n  \"uuid\": \"%s\",\n  \"name\": ", uuid);
	sbuf_json_str(o, display);
	sbuf_printf(o, ",\n  \"type\": \"ikev2-cert\",\n  \"remote\": {\n    \"addr\": ");
	sbuf_json_str(o, p->server);
	sbuf_printf(o, ",\n    \"id\": ");
	sbuf_json_str(o, p->server);
	sbuf_printf(o, ",\n    \"cert\": \"%s\"\n  },\n  \"local\": {\n    \"id\": ", ca);
	sbuf_json_str(o, p->local_id);
	/* PKCS#1 v1.5 signatures: what every server accepts; the app defaults to it too */
	sbuf_printf(o, ",\n    \"p12\": \"%s\",\n    \"rsa-pss\": false\n  },\n  \"ike-proposal\": ", p12);
	sbuf_json_str(o, ike_txt);
	sbuf_printf(o, ",\n  \"esp-proposal\": ");
	sbuf_json_str(o, esp_txt);
	if (p->n_dns) {
		char dns[512];
		size_t off = 0;
		dns[0] = '\0';
		for (size_t i = 0; i < p->n_dns && off < sizeof(dns); i++)
			off += (size_t)snprintf(dns + off, sizeof(dns) - off, "%s%s", i ? " " : "", p->dns[i]);
		sbuf_printf(o, ",\n  \"dns-servers\": ");
		sbuf_json_str(o, dns);
	}
	sbuf_printf(o, "\n}\n");
	if (o->failed)
		err = -ENOMEM;
out:
	free(p12);
	free(ca);
	return err;
}
