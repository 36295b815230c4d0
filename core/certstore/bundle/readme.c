/* SPDX-License-Identifier: MIT */
/*
 * readme.c - README.txt of a client bundle: per-platform steps in plain
 * words, for the person holding the phone or laptop, not the operator.
 */
#include <errno.h>

#include "bundle.h"

int bundle_readme(const struct bundle_params *p, struct sbuf *o)
{
	const char *n = p->name, *s = p->server;
	sbuf_printf(o,
		"VPN access for %s to %s\n"
		"==========================================================\n\n"
		"Files\n"
		"  %s.p12             your certificate and private key\n"
		"  ca.crt               the VPN's certificate authority (keep the .crt name)\n"
		"  %s.mobileconfig    iPhone, iPad, Mac\n"
		"  %s.sswan           Android: strongSwan VPN Client app\n"
		"  %s-windows.ps1     Windows 10 and 11\n\n"
		"The passphrase of %s.p12 was shown once when these files were made; every\n"
		"device asks for it while installing. Ask your administrator if you do not have it.\n"
		"Keep these files private: together with the passphrase they let anyone connect as you.\n\n",
		n, s, n, n, n, n, n);
	sbuf_printf(o,
		"iPhone and iPad (iOS 13 or newer)\n"
		"  1. Send %s.mobileconfig to the device (AirDrop, Mail or Files) and open it.\n"
		"  2. Settings > General > VPN & Device Management > the downloaded profile > Install.\n"
		"     Enter the device passcode, then the passphrase.\n"
		"  3. Settings > VPN: choose %s and switch it on.\n\n"
		"Mac (macOS 10.15 or newer)\n"
		"  1. Double-click %s.mobileconfig.\n"
		"  2. System Settings > Privacy & Security > Profiles: install it; enter the passphrase.\n"
		"  3. System Settings > VPN: connect to %s.\n\n",
		n, s, n, s);
	sbuf_printf(o,
		"Windows 10 and 11\n"
		"  1. Copy %s.p12, ca.crt and %s-windows.ps1 into one folder.\n"
		"  2. Start PowerShell as administrator, go to that folder and run\n"
		"       powershell -ExecutionPolicy Bypass -File .\\%s-windows.ps1\n"
		"     and enter the passphrase.\n"
		"  3. Settings > Network & Internet > VPN: connect to %s.\n"
		"  By hand instead: import %s.p12 into \"Local Computer > Personal\" (with the\n"
		"  passphrase) and ca.crt into \"Local Computer > Trusted Root Certification\n"
		"  Authorities\", then add a VPN connection: type IKEv2, server %s, sign-in with\n"
		"  a certificate. Without the script Windows offers weak settings the server may refuse.\n\n",
		n, n, n, s, n, s);
	sbuf_printf(o,
		"Android: strongSwan VPN Client app (any Android version)\n"
		"  1. Install \"strongSwan VPN Client\" (Google Play or F-Droid).\n"
		"  2. Open %s.sswan with the app (or in the app: menu > Import VPN profile).\n"
		"  3. When asked, install the certificate with the passphrase. Tap the profile to connect.\n\n"
		"Android 11 or newer, built-in VPN (IKEv2/IPSec RSA)\n"
		"  1. Settings > Security > Encryption & credentials > Install a certificate:\n"
		"     \"CA certificate\": choose ca.crt; \"VPN & app user certificate\": choose %s.p12\n"
		"     and enter the passphrase.\n"
		"  2. Settings > Network & internet > VPN > Add: type IKEv2/IPSec RSA, server %s,\n"
		"     IPSec identifier %s, IPSec user certificate: the one you installed,\n"
		"     IPSec CA certificate: the one from ca.crt, IPSec server certificate: received from server.\n\n",
		n, n, s, p->local_id);
	sbuf_printf(o,
		"Android up to 11, built-in L2TP/IPsec (only if your administrator offers L2TP)\n"
		"  1. Install ca.crt and %s.p12 as above. Android recognises the CA file only with\n"
		"     its .crt name; it needs the .p12 file for your certificate.\n"
		"  2. Settings > Network & internet > VPN > Add: type \"L2TP/IPSec RSA\", server address\n"
		"     %s (exactly this name: it must equal the name in the server's certificate),\n"
		"     L2TP secret empty, IPSec user certificate: yours, IPSec CA certificate: the one\n"
		"     from ca.crt, IPSec server certificate: received from server.\n"
		"  3. Android always asks for a username and password with L2TP: use the account\n"
		"     your administrator gave you.\n"
		"  Android 12 and newer cannot create new L2TP profiles: use IKEv2 or the app.\n\n"
		"If it does not connect, tell your administrator the time you tried: the server\n"
		"logs one line per refused connection with the reason.\n",
		n, s);
	return o->failed ? -ENOMEM : 0;
}
