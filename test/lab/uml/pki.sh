# SPDX-License-Identifier: MIT
# PKI of the L2TP/IPsec lab (sourced on the host by run-l2tp.sh; certtool).
# Shaped after SEEDS.md B (the Android L2TP/IPsec deployment):
#  - one company root CA (basicConstraints CA:TRUE; Android recognises a CA
#    file only with CA:TRUE and a .crt name);
#  - the server certificate is issued DIRECTLY by the root (racoon imports one
#    CA certificate and ignores every CERT payload after the first), CN = the
#    FQDN typed on the phone, plus a dNSName SAN and serverAuth/iKEIntermediate;
#  - client certificates are identified by their subject DN (ASN.1 DN IDs).
#
#   l2tp_pki DIR                       ca.{key,crt}, server.{key,crt}
#   l2tp_pki_cert DIR NAME "DN"        NAME.{key,crt}: subject DN like
#                                      "C=JP, O=Example Inc., CN=alice"
# --no-text matters: without it the PEM files start with a text dump.

L2TP_CA_DN="C=JP, O=Example Inc., CN=Example Root CA"
L2TP_SERVER_FQDN=vpn.example.com
L2TP_SERVER_DN="C=JP, O=Example Inc., CN=$L2TP_SERVER_FQDN"
_l2pki_serial=10

# DN "C=JP, O=Example Inc., CN=alice" -> certtool template lines
_l2pki_dn() {
	printf '%s\n' "$1" | awk '{
		n = split($0, rdn, /, */)
		for (i = 1; i <= n; i++) {
			k = rdn[i]; v = rdn[i]; sub(/=.*/, "", k); sub(/^[^=]*=/, "", v)
			if (k == "C") t = "country"; else if (k == "O") t = "organization"
			else if (k == "OU") t = "unit"; else if (k == "CN") t = "cn"
			else if (k == "ST") t = "state"; else if (k == "L") t = "locality"
			else { print "unsupported RDN " k > "/dev/stderr"; exit 1 }
			printf "%s = \"%s\"\n", t, v
		}
	}'
}

_l2pki_key() {
	certtool --generate-privkey --no-text --key-type=rsa --bits=2048 \
		--outfile "$1" >/dev/null 2>"$1.err" || { cat "$1.err" >&2; return 1; }
}
_l2pki_sign() { # DIR NAME
	certtool --generate-certificate --no-text --load-privkey "$1/$2.key" \
		--load-ca-certificate "$1/ca.crt" --load-ca-privkey "$1/ca.key" \
		--template "$1/$2.tmpl" --outfile "$1/$2.crt" >/dev/null 2>"$1/$2.err" ||
		{ cat "$1/$2.err" >&2; return 1; }
}

l2tp_pki() {
	mkdir -p "$1" || return 1
	{ _l2pki_dn "$L2TP_CA_DN" && cat <<EOT
serial = 1
expiration_days = 30
ca
cert_signing_key
crl_signing_key
EOT
	} > "$1/ca.tmpl" || return 1
	_l2pki_key "$1/ca.key" &&
	certtool --generate-self-signed --no-text --load-privkey "$1/ca.key" \
		--template "$1/ca.tmpl" --outfile "$1/ca.crt" >/dev/null 2>"$1/ca.err" ||
		{ cat "$1/ca.err" >&2; return 1; }
	{ _l2pki_dn "$L2TP_SERVER_DN" && cat <<EOT
serial = 2
expiration_days = 30
dns_name = "$L2TP_SERVER_FQDN"
tls_www_server
signing_key
encryption_key
key_purpose_oid = 1.3.6.1.5.5.8.2.2
key_purpose_oid = 1.3.6.1.5.5.7.3.17
EOT
	} > "$1/server.tmpl" || return 1
	_l2pki_key "$1/server.key" && _l2pki_sign "$1" server
}

l2tp_pki_cert() {
	_l2pki_serial=$((_l2pki_serial + 1))
	{ _l2pki_dn "$3" && cat <<EOT
serial = $_l2pki_serial
expiration_days = 30
tls_www_client
signing_key
encryption_key
key_purpose_oid = 1.3.6.1.5.5.7.3.17
EOT
	} > "$1/$2.tmpl" || return 1
	_l2pki_key "$1/$2.key" && _l2pki_sign "$1" "$2"
}
