/* SPDX-License-Identifier: MIT */
/*
 * mobileconfig.c - the iOS/iPadOS/macOS configuration profile: an IKEv2
 * VPN payload (com.apple.vpn.managed) plus the client's PKCS#12
 * (com.apple.security.pkcs12) and the CA (com.apple.security.root).
 *
 * The CA goes in as its own payload, not inside the PKCS#12: iOS does not
 * link a CA from a PKCS#12 (SEEDS.md A). The PKCS#12 has no Password key,
 * so the profile itself holds nothing readable: iOS asks for the
 * passphrase while installing. ServerCertificateIssuerCommonName makes iOS
 * send a CERTREQ; RemoteIdentifier must be carried by the server
 * certificate as a SAN (iOS 13+ ignores the CN).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "certstore.h"

/* iOS/macOS accept (Apple's com.apple.vpn.managed IKEv2 keys) */
static const char *ios_enc(enum bundle_enc e)
{
	switch (e) {
	case BENC_3DES: return "3DES";
	case BENC_AES128: return "AES-128";
	case BENC_AES256: return "AES-256";
	case BENC_AES128GCM: return "AES-128-GCM";
	case BENC_AES256GCM: return "AES-256-GCM";
	case BENC_CHACHA20: return "ChaCha20Poly1305";
	default: return NULL;
	}
}

static const char *ios_integ(enum bundle_integ i)
{
	switch (i) {
	case BINT_SHA1: return "SHA1-96";
	case BINT_SHA256: return "SHA2-256";
	case BINT_SHA384: return "SHA2-384";
	case BINT_SHA512: return "SHA2-512";
	default: return NULL;
	}
}

/* Curve25519 (31) only from iOS 14 on: left out so one profile fits every version */
static bool ios_dh(int g)
{
	static const int ok[] = { 1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21 };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i] == g)
			return true;
	return false;
}

static enum bundle_integ integ_of(const struct bundle_proposal *p)
{
	/* with AEAD the profile's IntegrityAlgorithm is the PRF */
	if (p->integ != BINT_NONE && !bundle_enc_aead(p->enc))
		return p->integ;
	return p->prf != BINT_NONE ? p->prf : p->integ != BINT_NONE ? p->integ : BINT_SHA256;
}

static bool ike_ok(const struct bundle_proposal *p)
{
	return ios_enc(p->enc) && ios_integ(integ_of(p)) && p->dh_given && ios_dh(p->dh);
}

static bool esp_ok(const struct bundle_proposal *p)
{
	return ios_enc(p->enc) && ios_integ(integ_of(p)) && (!p->dh_given || !p->dh || ios_dh(p->dh));
}

static void xml_str(struct sbuf *o, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': sbuf_printf(o, "&amp;"); break;
		case '<': sbuf_printf(o, "&lt;"); break;
		case '>': sbuf_printf(o, "&gt;"); break;
		case '"': sbuf_printf(o, "&quot;"); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				sbuf_put(o, s, 1);
		}
	}
}

static void key_str(struct sbuf *o, const char *indent, const char *key, const char *value)
{
	sbuf_printf(o, "%s<key>%s</key>\n%s<string>", indent, key, indent);
	xml_str(o, value);
	sbuf_printf(o, "</string>\n");
}

static void key_int(struct sbuf *o, const char *indent, const char *key, long v)
{
	sbuf_printf(o, "%s<key>%s</key>\n%s<integer>%ld</integer>\n", indent, key, indent, v);
}

static int key_data(struct sbuf *o, const char *indent, const char *key, const uint8_t *data, size_t len)
{
	char *b64;
	int err = cert_base64(data, len, &b64);
	if (err)
		return err;
	sbuf_printf(o, "%s<key>%s</key>\n%s<data>\n", indent, key, indent);
	size_t n = strlen(b64);
	for (size_t i = 0; i < n; i += 64)
		sbuf_printf(o, "%s%.64s\n", indent, b64 + i);
	sbuf_printf(o, "%s</data>\n", indent);
	free(b64);
	return 0;
}

static void sa_params(struct sbuf *o, const char *key, const struct bundle_proposal *p, int dh)
{
	sbuf_printf(o, "\t\t\t\t<key>%s</key>\n\t\t\t\t<dict>\n", key);
	key_int(o, "\t\t\t\t\t", "DiffieHellmanGroup", dh);
	key_str(o, "\t\t\t\t\t", "EncryptionAlgorithm", ios_enc(p->enc));
	key_str(o, "\t\t\t\t\t", "IntegrityAlgorithm", ios_integ(integ_of(p)));
	/* iOS's own default: a day */
	key_int(o, "\t\t\t\t\t", "LifeTimeInMinutes", 1440);
	sbuf_printf(o, "\t\t\t\t</dict>\n");
}

int bundle_mobileconfig(const struct bundle_params *p, struct sbuf *o, struct diag *note)
{
	struct bundle_proposal ike, esp;
	char u_top[37], u_vpn[37], u_p12[37], u_ca[37], ident[512];
	const char *t3 = "\t\t\t";
	if (cert_uuid(u_top) || cert_uuid(u_vpn) || cert_uuid(u_p12) || cert_uuid(u_ca))
		return -EIO;
	static const char *const def_ike[] = { BUNDLE_DEFAULT_IKE }, *const def_esp[] = { BUNDLE_DEFAULT_ESP };
	if (bundle_pick(p->ike, p->n_ike, ike_ok, &ike, NULL)) {
		diag_add(note, "iOS/macOS: none of the server's IKE proposals is one iOS can offer; the profile asks for %s, add it to the server",
			 BUNDLE_DEFAULT_IKE);
		bundle_pick(def_ike, 1, ike_ok, &ike, NULL);
	}
	if (bundle_pick(p->esp, p->n_esp, esp_ok, &esp, NULL)) {
		diag_add(note, "iOS/macOS: none of the server's ESP proposals is one iOS can offer; the profile asks for %s, add it to the server",
			 BUNDLE_DEFAULT_ESP);
		bundle_pick(def_esp, 1, esp_ok, &esp, NULL);
	}
	snprintf(ident, sizeof(ident), "kanmon.%s.%s", p->server, p->name);

	sbuf_printf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		       "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
		       "<plist version=\"1.0\">\n<dict>\n\t<key>PayloadContent</key>\n\t<array>\n");

	/* the VPN */
	sbuf_printf(o, "\t\t<dict>\n\t\t\t<key>IKEv2</key>\n\t\t\t<dict>\n");
	const char *t4 = "\t\t\t\t";
	key_str(o, t4, "AuthenticationMethod", "Certificate");
	key_str(o, t4, "CertificateType", p->ecdsa ? "ECDSA256" : "RSA");
	/* child SAs without PFS (the server's default): the group only matters for PFS rekeys */
	sa_params(o, "ChildSecurityAssociationParameters", &esp, esp.dh_given && esp.dh ? esp.dh : ike.dh);
	key_str(o, t4, "DeadPeerDetectionRate", "Medium");
	key_int(o, t4, "DisableMOBIKE", 0);
	key_int(o, t4, "DisableRedirect", 1);
	key_int(o, t4, "EnableCertificateRevocationCheck", 0);
	key_int(o, t4, "EnablePFS", esp.dh_given && esp.dh ? 1 : 0);
	sa_params(o, "IKESecurityAssociationParameters", &ike, ike.dh);
	key_str(o, t4, "LocalIdentifier", p->local_id);
	key_str(o, t4, "PayloadCertificateUUID", u_p12);
	key_str(o, t4, "RemoteAddress", p->server);
	key_str(o, t4, "RemoteIdentifier", p->server);
	if (p->ca_cn && *p->ca_cn)
		key_str(o, t4, "ServerCertificateIssuerCommonName", p->ca_cn);
	key_int(o, t4, "UseConfigurationAttributeInternalIPSubnet", 0);
	sbuf_printf(o, "\t\t\t</dict>\n");
	if (p->n_dns) {
		sbuf_printf(o, "\t\t\t<key>DNS</key>\n\t\t\t<dict>\n\t\t\t\t<key>ServerAddresses</key>\n\t\t\t\t<array>\n");
		for (size_t i = 0; i < p->n_dns; i++) {
			sbuf_printf(o, "\t\t\t\t\t<string>");
			xml_str(o, p->dns[i]);
			sbuf_printf(o, "</string>\n");
		}
		sbuf_printf(o, "\t\t\t\t</array>\n\t\t\t</dict>\n");
	}
	/* everything through the tunnel (seed A: full tunnel) */
	sbuf_printf(o, "\t\t\t<key>IPv4</key>\n\t\t\t<dict>\n");
	key_int(o, t4, "OverridePrimary", 1);
	sbuf_printf(o, "\t\t\t</dict>\n");
	key_str(o, t3, "PayloadDescription", "IKEv2 VPN with certificate authentication");
	key_str(o, t3, "PayloadDisplayName", p->server);
	char sub[600];
	snprintf(sub, sizeof(sub), "%s.vpn", ident);
	key_str(o, t3, "PayloadIdentifier", sub);
	key_str(o, t3, "PayloadType", "com.apple.vpn.managed");
	key_str(o, t3, "PayloadUUID", u_vpn);
	key_int(o, t3, "PayloadVersion", 1);
	key_str(o, t3, "UserDefinedName", p->server);
	key_str(o, t3, "VPNType", "IKEv2");
	sbuf_printf(o, "\t\t</dict>\n");

	/* the client certificate and key */
	char fname[300];
	sbuf_printf(o, "\t\t<dict>\n");
	snprintf(fname, sizeof(fname), "%s.p12", p->name);
	key_str(o, t3, "PayloadCertificateFileName", fname);
	int err = key_data(o, t3, "PayloadContent", p->p12, p->p12_len);
	key_str(o, t3, "PayloadDescription", "Client certificate and key (PKCS#12)");
	key_str(o, t3, "PayloadDisplayName", p->name);
	snprintf(sub, sizeof(sub), "%s.pkcs12", ident);
	key_str(o, t3, "PayloadIdentifier", sub);
	key_str(o, t3, "PayloadType", "com.apple.security.pkcs12");
	key_str(o, t3, "PayloadUUID", u_p12);
	key_int(o, t3, "PayloadVersion", 1);
	sbuf_printf(o, "\t\t</dict>\n");

	/* the CA */
	sbuf_printf(o, "\t\t<dict>\n");
	key_str(o, t3, "PayloadCertificateFileName", "ca.crt");
	if (!err)
		err = key_data(o, t3, "PayloadContent", p->ca_der, p->ca_der_len);
	key_str(o, t3, "PayloadDescription", "VPN certificate authority");
	key_str(o, t3, "PayloadDisplayName", p->ca_cn && *p->ca_cn ? p->ca_cn : "VPN CA");
	snprintf(sub, sizeof(sub), "%s.ca", ident);
	key_str(o, t3, "PayloadIdentifier", sub);
	key_str(o, t3, "PayloadType", "com.apple.security.root");
	key_str(o, t3, "PayloadUUID", u_ca);
	key_int(o, t3, "PayloadVersion", 1);
	sbuf_printf(o, "\t\t</dict>\n\t</array>\n");

	char display[600];
	snprintf(display, sizeof(display), "VPN %s (%s)", p->server, p->name);
	key_str(o, "\t", "PayloadDisplayName", display);
	key_str(o, "\t", "PayloadIdentifier", ident);
	sbuf_printf(o, "\t<key>PayloadRemovalDisallowed</key>\n\t<false/>\n");
	key_str(o, "\t", "PayloadType", "Configuration");
	key_str(o, "\t", "PayloadUUID", u_top);
	key_int(o, "\t", "PayloadVersion", 1);
	sbuf_printf(o, "</dict>\n</plist>\n");
	if (!err && o->failed)
		err = -ENOMEM;
	return err;
}
