/* SPDX-License-Identifier: MIT */
/*
 * windows_ps1.c - a PowerShell script for Windows 10/11: imports the
 * PKCS#12 into LocalMachine\My (IKEv2 "machine certificate" authentication
 * looks only there) and the CA into LocalMachine\Root, adds the IKEv2
 * connection, and pins its IPsec parameters to the server's proposals with
 * Set-VpnConnectionIPsecConfiguration: left alone, Windows offers only
 * MODP1024 (DH group 2), which a modern server should not accept.
 *
 * The script prompts for the PKCS#12 passphrase; it contains no secret.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bundle.h"

static const char *win_ike_enc(enum bundle_enc e)
{
	switch (e) {
	case BENC_3DES: return "DES3";
	case BENC_AES128: return "AES128";
	case BENC_AES192: return "AES192";
	case BENC_AES256: return "AES256";
	case BENC_AES128GCM: return "GCMAES128";
	case BENC_AES256GCM: return "GCMAES256";
	default: return NULL;
	}
}

static const char *win_ike_integ(enum bundle_integ i)
{
	switch (i) {
	case BINT_MD5: return "MD5";
	case BINT_SHA1: return "SHA1";
	case BINT_SHA256: return "SHA256";
	case BINT_SHA384: return "SHA384";
	default: return NULL;
	}
}

static const char *win_dh(int g)
{
	switch (g) {
	case 1: return "Group1";
	case 2: return "Group2";
	case 14: return "Group14";
	case 19: return "ECP256";
	case 20: return "ECP384";
	case 24: return "Group24";
	default: return NULL;
	}
}

static const char *win_pfs(int g)
{
	switch (g) {
	case 0: return "None";
	case 1: return "PFS1";
	case 2: return "PFS2";
	case 14: return "PFS2048";
	case 19: return "ECP256";
	case 20: return "ECP384";
	case 24: return "PFS24";
	default: return NULL;
	}
}

static const char *win_esp_cipher(enum bundle_enc e)
{
	switch (e) {
	case BENC_3DES: return "DES3";
	case BENC_AES128: return "AES128";
	case BENC_AES192: return "AES192";
	case BENC_AES256: return "AES256";
	case BENC_AES128GCM: return "GCMAES128";
	case BENC_AES192GCM: return "GCMAES192";
	case BENC_AES256GCM: return "GCMAES256";
	default: return NULL;
	}
}

/* with GCM the "authentication transform" is the GCM transform itself */
static const char *win_esp_auth(const struct bundle_proposal *p)
{
	if (bundle_enc_aead(p->enc))
		return p->enc == BENC_CHACHA20 ? NULL : win_esp_cipher(p->enc);
	switch (p->integ) {
	case BINT_MD5: return "MD596";
	case BINT_SHA1: return "SHA196";
	case BINT_SHA256: return "SHA256128";
	default: return NULL;
	}
}

static enum bundle_integ ike_integ(const struct bundle_proposal *p)
{
	if (p->integ != BINT_NONE && !bundle_enc_aead(p->enc))
		return p->integ;
	return p->prf != BINT_NONE ? p->prf : BINT_SHA256;
}

static bool ike_ok(const struct bundle_proposal *p)
{
	return win_ike_enc(p->enc) && win_ike_integ(ike_integ(p)) && p->dh_given && win_dh(p->dh);
}

static bool esp_ok(const struct bundle_proposal *p)
{
	return win_esp_cipher(p->enc) && win_esp_auth(p) && win_pfs(p->dh_given ? p->dh : 0);
}

/* PowerShell single-quoted string: only ' needs doubling */
static void ps_str(struct sbuf *o, const char *s)
{
	sbuf_printf(o, "'");
	for (; *s; s++) {
		if (*s == '\'')
			sbuf_printf(o, "''");
		else if ((unsigned char)*s >= 0x20)
			sbuf_put(o, s, 1);
	}
	sbuf_printf(o, "'");
}

int bundle_windows_ps1(const struct bundle_params *p, struct sbuf *o, struct diag *note)
{
	struct bundle_proposal ike, esp;
	static const char *const def_ike[] = { BUNDLE_DEFAULT_IKE }, *const def_esp[] = { BUNDLE_DEFAULT_ESP };
	if (bundle_pick(p->ike, p->n_ike, ike_ok, &ike, NULL)) {
		diag_add(note, "Windows: none of the server's IKE proposals is one Windows can be set to; the script asks for %s, add it to the server",
			 BUNDLE_DEFAULT_IKE);
		bundle_pick(def_ike, 1, ike_ok, &ike, NULL);
	}
	if (bundle_pick(p->esp, p->n_esp, esp_ok, &esp, NULL)) {
		diag_add(note, "Windows: none of the server's ESP proposals is one Windows can be set to; the script asks for %s, add it to the server",
			 BUNDLE_DEFAULT_ESP);
		bundle_pick(def_esp, 1, esp_ok, &esp, NULL);
	}
	char p12[300];
	snprintf(p12, sizeof(p12), "%s.p12", p->name);
	sbuf_printf(o, "# kanmon client bundle for %s: IKEv2 VPN to %s with a machine certificate.\r\n", p->name,
		    p->server);
	sbuf_printf(o, "# Run in PowerShell started as administrator, in the folder holding %s and ca.crt:\r\n"
		       "#   powershell -ExecutionPolicy Bypass -File .\\%s-windows.ps1\r\n"
		       "# It asks for the passphrase of %s (shown once when the bundle was made).\r\n"
		       "#Requires -RunAsAdministrator\r\n"
		       "$ErrorActionPreference = 'Stop'\r\n"
		       "$here = Split-Path -Parent $MyInvocation.MyCommand.Path\r\n",
		    p12, p->name, p12);
	sbuf_printf(o, "$name = ");
	ps_str(o, p->server);
	sbuf_printf(o, "\r\n$server = ");
	ps_str(o, p->server);
	sbuf_printf(o, "\r\n$p12 = Join-Path $here ");
	ps_str(o, p12);
	sbuf_printf(o, "\r\n$pass = Read-Host -AsSecureString -Prompt ");
	ps_str(o, "Passphrase of the certificate file");
	sbuf_printf(o, "\r\n\r\n"
		       "# The client certificate and key into the computer's store: IKEv2 machine-certificate\r\n"
		       "# authentication looks only there (a PKCS#12 without passphrase would land elsewhere).\r\n"
		       "Import-PfxCertificate -FilePath $p12 -CertStoreLocation Cert:\\LocalMachine\\My -Password $pass | Out-Null\r\n"
		       "# The CA into Trusted Root Certification Authorities, so Windows accepts the server's certificate.\r\n"
		       "Import-Certificate -FilePath (Join-Path $here 'ca.crt') -CertStoreLocation Cert:\\LocalMachine\\Root | Out-Null\r\n"
		       "\r\n"
		       "if (Get-VpnConnection -AllUserConnection -Name $name -ErrorAction SilentlyContinue) {\r\n"
		       "\tRemove-VpnConnection -AllUserConnection -Name $name -Force\r\n"
		       "}\r\n"
		       "# Full tunnel (no split tunnelling): everything goes through the VPN.\r\n"
		       "Add-VpnConnection -Name $name -ServerAddress $server -TunnelType IKEv2 -AuthenticationMethod MachineCertificate -EncryptionLevel Required -AllUserConnection\r\n"
		       "# Windows offers DH group 2 (MODP1024) by default: use the server's proposal instead.\r\n"
		       "Set-VpnConnectionIPsecConfiguration -ConnectionName $name -AllUserConnection -Force"
		       " -EncryptionMethod %s -IntegrityCheckMethod %s -DHGroup %s"
		       " -CipherTransformConstants %s -AuthenticationTransformConstants %s -PfsGroup %s\r\n"
		       "Write-Host \"VPN connection '$name' added: connect from Settings > Network & Internet > VPN.\"\r\n",
		    win_ike_enc(ike.enc), win_ike_integ(ike_integ(&ike)), win_dh(ike.dh), win_esp_cipher(esp.enc),
		    win_esp_auth(&esp), win_pfs(esp.dh_given ? esp.dh : 0));
	return o->failed ? -ENOMEM : 0;
}
