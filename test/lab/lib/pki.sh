# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# Lab PKI with certtool (GnuTLS), generated per test run (sourced; POSIX sh).
#
#   pki_ca DIR                   ca.key, ca.crt            ("Lab Root CA")
#   pki_server DIR FQDN          server.key, server.crt    CN + dNSName = FQDN,
#                                serverAuth + iKEIntermediate + id-kp-ipsecIKE
#   pki_client DIR NAME LINES    NAME.key, NAME.crt signed by DIR/ca.*; LINES
#                                are certtool template lines for the subject
#                                and SANs (cn = "...", email = "...", ...)
# --no-text matters: without it the PEM files start with a text dump.
# Keys are RSA 2048: the certificate-carrying IKE_AUTH then exceeds 1280
# bytes, so IKEv2 fragmentation is exercised.

_pki_key() {
	certtool --generate-privkey --no-text --key-type=rsa --bits=2048 \
		--outfile "$1" >/dev/null 2>"$1.err" || { cat "$1.err" >&2; return 1; }
}

_pki_sign() { # DIR NAME
	certtool --generate-certificate --no-text --load-privkey "$1/$2.key" \
		--load-ca-certificate "$1/ca.crt" --load-ca-privkey "$1/ca.key" \
		--template "$1/$2.tmpl" --outfile "$1/$2.crt" >/dev/null 2>"$1/$2.err" ||
		{ cat "$1/$2.err" >&2; return 1; }
}

_pki_serial=10

pki_ca() {
	mkdir -p "$1" || return 1
	cat > "$1/ca.tmpl" <<EOT
cn = "Lab Root CA"
organization = "Lab"
serial = 1
expiration_days = 30
ca
cert_signing_key
crl_signing_key
EOT
	_pki_key "$1/ca.key" || return 1
	certtool --generate-self-signed --no-text --load-privkey "$1/ca.key" \
		--template "$1/ca.tmpl" --outfile "$1/ca.crt" >/dev/null 2>"$1/ca.err" ||
		{ cat "$1/ca.err" >&2; return 1; }
}

# Server: what iOS/macOS (SAN = remote ID, serverAuth, older macOS the IKE
# intermediate EKU) and Windows (serverAuth, hostname in a dNSName SAN) need.
# tls_www_server already adds serverAuth.
pki_server() {
	cat > "$1/server.tmpl" <<EOT
cn = "$2"
organization = "Lab"
serial = 2
expiration_days = 30
dns_name = "$2"
tls_www_server
signing_key
encryption_key
key_purpose_oid = 1.3.6.1.5.5.8.2.2
key_purpose_oid = 1.3.6.1.5.5.7.3.17
EOT
	_pki_key "$1/server.key" && _pki_sign "$1" server
}

# Client: LINES (newline-separated template lines) give subject and SANs;
# clientAuth + serverAuth EKUs (CLIENTS.md 2.2: "client certs serverAuth,clientAuth").
# serverAuth goes in by OID: with tls_www_server certtool drops the email SAN.
pki_client() {
	_pki_serial=$((_pki_serial + 1))
	{
		printf '%s\n' "$3"
		cat <<EOT
serial = $_pki_serial
expiration_days = 30
tls_www_client
key_purpose_oid = 1.3.6.1.5.5.7.3.1
signing_key
encryption_key
EOT
	} > "$1/$2.tmpl"
	_pki_key "$1/$2.key" && _pki_sign "$1" "$2"
}
