#!/bin/sh
# SPDX-License-Identifier: MIT
# cert.tools: seed deployment A's CA, server and client certificates and
# exports made with kanmonctl alone, every artefact judged by independent
# tools: openssl and certtool parse and verify chain, EKU, SAN and key usage;
# openssl pkcs12 opens the .p12 with its passphrase and finds key, cert and
# CA; the .mobileconfig is a well-formed plist with the VPN payload keys; the
# .sswan has the app's keys and its PKCS#12 opens; the CRL revokes.
. "$(dirname "$0")/lib.sh"
need certtool xmllint python3 jq

b=$work/bundle
x509() { openssl x509 -noout -text -in "$@"; }

# ---- seed A: CA "VPN Root CA", RSA 2048, 3650 days, JP, CRL host = the server's FQDN
ok ca create --cn "VPN Root CA" --days 3650 --key rsa2048 --country JP --crl-host vpn.example.com
refused 1 "a CA exists already" ca create --cn again
ok cert export ca --format pem --out "$work/ca.pem"
x509 "$work/ca.pem" >"$work/ca.txt"
has "Subject: C = JP, CN = VPN Root CA" "$work/ca.txt"
has "Public-Key: (2048 bit)" "$work/ca.txt"
has "CA:TRUE" "$work/ca.txt"
grep -A1 "Basic Constraints: critical" "$work/ca.txt" | grep -q "CA:TRUE" || fail "basicConstraints not critical"
grep -A1 "Key Usage: critical" "$work/ca.txt" | grep -q "Certificate Sign, CRL Sign" || fail "CA key usage"
days=$(( ( $(date -d "$(openssl x509 -noout -enddate -in "$work/ca.pem" | cut -d= -f2)" +%s) - $(date +%s) ) / 86400 ))
[ "$days" -ge 3648 ] && [ "$days" -le 3650 ] || fail "CA valid for $days days"
openssl verify -CAfile "$work/ca.pem" "$work/ca.pem" >/dev/null || fail "CA does not verify itself"

# ---- server: CN = vpn.example.com, SAN DNS, EKUs for Windows/macOS/RFC 4945, issued by the root
ok cert issue server server --cn vpn.example.com --key rsa2048
hasnt "warning" "$work/out"
ok cert export server --format pem --out "$work/server.pem"
x509 "$work/server.pem" >"$work/server.txt"
has "Subject: C = JP, CN = vpn.example.com" "$work/server.txt"
has "Issuer: C = JP, CN = VPN Root CA" "$work/server.txt"
has "DNS:vpn.example.com" "$work/server.txt"
has "TLS Web Server Authentication" "$work/server.txt"
has "1.3.6.1.5.5.8.2.2" "$work/server.txt"
has "ipsec Internet Key Exchange" "$work/server.txt"
has "Digital Signature, Key Encipherment" "$work/server.txt"
hasnt "CRL Distribution" "$work/server.txt"
openssl verify -CAfile "$work/ca.pem" -purpose sslserver "$work/server.pem" >/dev/null ||
	fail "openssl: server certificate does not verify as a TLS server"
certtool --verify --load-ca-certificate "$work/ca.pem" --infile "$work/server.pem" >"$work/ct.txt" 2>&1 ||
	{ cat "$work/ct.txt" >&2; fail "certtool: server certificate does not verify"; }
certtool -i --infile "$work/server.pem" >"$work/ct.txt"
has "DNSname: vpn.example.com" "$work/ct.txt"
has "TLS WWW Server" "$work/ct.txt"

# an address as server ID: iPAddress and dNSName SAN (Windows error 13801)
ok cert issue server byaddr --cn 198.51.100.1
ok cert export byaddr --format der --out "$work/byaddr.der"
openssl x509 -inform der -noout -ext subjectAltName -in "$work/byaddr.der" >"$work/san.txt"
has "IP Address:198.51.100.1" "$work/san.txt"
has "DNS:198.51.100.1" "$work/san.txt"

# ---- client: one-shot bundle
ok client add user1 --server vpn.example.com --out "$b" --dns 198.51.100.53
pass=$(printed_passphrase)
[ -n "$pass" ] || { cat "$work/out" >&2; fail "no passphrase printed"; }
for f in user1.p12 ca.crt user1.mobileconfig user1.sswan user1-windows.ps1 README.txt; do
	[ -s "$b/$f" ] || fail "bundle lacks $f"
done
[ "$(stat -c %a "$b/user1.p12")" = 600 ] || fail "user1.p12 is not 0600"
cmp -s "$b/ca.crt" "$work/ca.pem" || fail "the bundle's ca.crt is not the CA"

# PKCS#12: opens with the passphrase only; key + client certificate + CA; legacy PBE, SHA-1 MAC
openssl pkcs12 -in "$b/user1.p12" -passin "pass:$pass" -info -nodes >"$work/p12.txt" 2>&1 ||
	{ cat "$work/p12.txt" >&2; fail "openssl pkcs12 cannot open the .p12 with its passphrase"; }
has "MAC: sha1, Iteration 2048" "$work/p12.txt"
has "pbeWithSHA1And3-KeyTripleDES-CBC" "$work/p12.txt"
has "BEGIN PRIVATE KEY" "$work/p12.txt"
has "subject=C = JP, CN = user1@vpn.example.com" "$work/p12.txt"
has "subject=C = JP, CN = VPN Root CA" "$work/p12.txt"
has "friendlyName: user1" "$work/p12.txt"
hasnt "rc2" "$work/p12.txt"
! openssl pkcs12 -in "$b/user1.p12" -passin pass:wrong -nokeys >/dev/null 2>&1 || fail "the .p12 opened with a wrong passphrase"
certtool --p12-info --inder --password "$pass" --infile "$b/user1.p12" >"$work/ct.txt" 2>&1 ||
	{ cat "$work/ct.txt" >&2; fail "certtool cannot open the .p12"; }
openssl pkcs12 -in "$b/user1.p12" -passin "pass:$pass" -clcerts -nokeys -out "$work/user1.pem" 2>/dev/null
openssl pkcs12 -in "$b/user1.p12" -passin "pass:$pass" -nocerts -nodes -out "$work/user1.key" 2>/dev/null
[ "$(openssl x509 -noout -pubkey -in "$work/user1.pem")" = "$(openssl pkey -pubout -in "$work/user1.key")" ] ||
	fail "the .p12's key does not belong to its certificate"
x509 "$work/user1.pem" >"$work/user1.txt"
has "email:user1@vpn.example.com" "$work/user1.txt"
has "TLS Web Client Authentication" "$work/user1.txt"
has "URI:http://vpn.example.com/kanmon.crl" "$work/user1.txt"
openssl verify -CAfile "$b/ca.crt" -purpose sslclient "$work/user1.pem" >/dev/null || fail "client does not verify"
certtool --verify --load-ca-certificate "$b/ca.crt" --infile "$work/user1.pem" >/dev/null 2>&1 ||
	fail "certtool: client does not verify"

# .mobileconfig: well-formed XML plist; VPN, PKCS#12 and root payloads that fit together
xmllint --noout "$b/user1.mobileconfig" || fail ".mobileconfig is not well-formed XML"
python3 - "$b/user1.mobileconfig" "$b/ca.crt" "$work/mc.p12" <<'PY' || fail ".mobileconfig content"
import plistlib, ssl, sys
d = plistlib.load(open(sys.argv[1], "rb"))
assert d["PayloadType"] == "Configuration" and d["PayloadVersion"] == 1, d
types = {p["PayloadType"]: p for p in d["PayloadContent"]}
assert set(types) == {"com.apple.vpn.managed", "com.apple.security.pkcs12", "com.apple.security.root"}, types.keys()
vpn, p12, root = types["com.apple.vpn.managed"], types["com.apple.security.pkcs12"], types["com.apple.security.root"]
assert vpn["VPNType"] == "IKEv2"
ike = vpn["IKEv2"]
for k, v in {"RemoteAddress": "vpn.example.com", "RemoteIdentifier": "vpn.example.com",
             "LocalIdentifier": "user1@vpn.example.com", "AuthenticationMethod": "Certificate",
             "ServerCertificateIssuerCommonName": "VPN Root CA"}.items():
    assert ike[k] == v, (k, ike.get(k))
assert ike["PayloadCertificateUUID"] == p12["PayloadUUID"], "VPN does not point at the PKCS#12 payload"
for sa in ("IKESecurityAssociationParameters", "ChildSecurityAssociationParameters"):
    p = ike[sa]
    assert p["EncryptionAlgorithm"] == "AES-256" and p["IntegrityAlgorithm"] == "SHA2-256", p
    assert p["DiffieHellmanGroup"] == 14, p
assert vpn["DNS"]["ServerAddresses"] == ["198.51.100.53"]
assert "Password" not in p12, "the passphrase must not travel with the profile"
ca = open(sys.argv[2]).read()
assert root["PayloadContent"] == ssl.PEM_cert_to_DER_cert(ca), "root payload is not ca.crt"
open(sys.argv[3], "wb").write(p12["PayloadContent"])
uuids = [p["PayloadUUID"] for p in d["PayloadContent"]] + [d["PayloadUUID"]]
assert len(set(uuids)) == len(uuids)
PY
openssl pkcs12 -in "$work/mc.p12" -passin "pass:$pass" -nodes >/dev/null 2>&1 || fail "the profile's PKCS#12 does not open"

# .sswan: the strongSwan app's keys; the embedded PKCS#12 opens, the CA is ca.crt
jq -e '.type == "ikev2-cert" and .remote.addr == "vpn.example.com" and .remote.id == "vpn.example.com"
       and .local.id == "user1@vpn.example.com" and (.uuid | test("^[0-9a-f-]{36}$"))
       and ."ike-proposal" == "aes256-sha256-modp2048" and ."esp-proposal" == "aes256-sha256"
       and ."dns-servers" == "198.51.100.53"' "$b/user1.sswan" >/dev/null || fail ".sswan keys"
jq -r '.local.p12' "$b/user1.sswan" | base64 -d >"$work/sw.p12"
openssl pkcs12 -in "$work/sw.p12" -passin "pass:$pass" -nodes >/dev/null 2>&1 || fail "the .sswan's PKCS#12 does not open"
jq -r '.remote.cert' "$b/user1.sswan" | base64 -d | openssl x509 -inform der -noout -subject >"$work/sw.txt"
has "CN = VPN Root CA" "$work/sw.txt"

# Windows script: machine store, root store, IKEv2 with machine certificate, modern DH
ps=$b/user1-windows.ps1
has 'Import-PfxCertificate -FilePath $p12 -CertStoreLocation Cert:\LocalMachine\My' "$ps"
has "Cert:\\LocalMachine\\Root" "$ps"
has "-TunnelType IKEv2 -AuthenticationMethod MachineCertificate" "$ps"
has "-DHGroup Group14" "$ps"
has "-PfsGroup None" "$ps"
hasnt "$pass" "$ps"
has "L2TP/IPSec RSA" "$b/README.txt"
hasnt "$pass" "$b/README.txt"

# ---- exports of stored entries
printf 'export pass\n' >"$work/pp"
ok cert export user1 --format p12 --passphrase-file "$work/pp" --out "$work/again.p12"
openssl pkcs12 -in "$work/again.p12" -passin "pass:export pass" -nodes -info >"$work/p12.txt" 2>&1 || fail "exported p12"
has "CN = VPN Root CA" "$work/p12.txt"
ok cert export server --format p12 --out "$work/server.p12"
spass=$(printed_passphrase)
openssl pkcs12 -in "$work/server.p12" -passin "pass:$spass" -nodes >/dev/null 2>&1 || fail "server p12 with printed passphrase"
ok cert export user1 --format der --out "$work/user1.der"
openssl x509 -inform der -noout -in "$work/user1.der" || fail "DER export"

# ---- what kanmond would say
ok cert check "$work/server.pem" --id vpn.example.com
has "accepted as a VPN server" "$work/out"
hasnt "warning" "$work/out"
ok cert check "$b/user1.p12" --passphrase-file /dev/stdin <<EOF2
$pass
EOF2
has "accepted as a VPN client: C=JP, CN=user1@vpn.example.com" "$work/out"
# a certificate from elsewhere
certtool --generate-privkey --no-text --key-type=rsa --bits=2048 --outfile "$work/o.key" 2>/dev/null
printf 'cn = "user1@vpn.example.com"\nexpiration_days = 30\ntls_www_client\nsigning_key\n' >"$work/o.tmpl"
certtool --generate-self-signed --no-text --load-privkey "$work/o.key" --template "$work/o.tmpl" --outfile "$work/o.pem" 2>/dev/null
refused 1 "a CA this server does not trust" cert check "$work/o.pem"

# ---- revocation and CRL
ok cert revoke user1 --reason keyCompromise
ok crl export --out "$work/kanmon.crl"
has "CRL number 1 with 1 revoked certificate" "$work/out"
openssl crl -inform der -in "$work/kanmon.crl" -noout -text -CAfile "$work/ca.pem" >"$work/crl.txt" 2>&1
has "verify OK" "$work/crl.txt"
has "X509v3 CRL Number" "$work/crl.txt"
serial=$(openssl x509 -noout -serial -in "$work/user1.pem" | cut -d= -f2)
has "$serial" "$work/crl.txt"
openssl crl -inform der -in "$work/kanmon.crl" -out "$work/kanmon.crl.pem"
! openssl verify -crl_check -CAfile "$work/ca.pem" -CRLfile "$work/kanmon.crl.pem" "$work/user1.pem" >"$work/v.txt" 2>&1 ||
	fail "openssl accepts the revoked certificate"
has "certificate revoked" "$work/v.txt"
openssl verify -crl_check -CAfile "$work/ca.pem" -CRLfile "$work/kanmon.crl.pem" "$work/server.pem" >/dev/null ||
	fail "the CRL revokes more than it should"
certtool --crl-info --inder --infile "$work/kanmon.crl" >"$work/ct.txt" 2>&1 || fail "certtool cannot read the CRL"
ok crl export --out "$work/second.crl.pem"
has "CRL number 2" "$work/out"
head -1 "$work/second.crl.pem" | grep -q "BEGIN X509 CRL" || fail ".pem CRL is not PEM"
refused 1 "refused as a VPN client: certificate revoked" cert check "$work/user1.pem"

# ---- listing
ok cert list --json
jq -e '.certificates | map({(.name): .status}) | add |
       .ca == "valid" and .server == "valid" and .byaddr == "valid" and .user1 == "revoked"' "$work/out" >/dev/null ||
	{ cat "$work/out" >&2; fail "cert list --json"; }
ok client list --json
jq -e '.certificates | length == 1 and .[0].name == "user1" and .[0].reason == "keyCompromise"' "$work/out" >/dev/null ||
	fail "client list --json"
ok cert show server
has "ext. key usage:  serverAuth, ikeIntermediate, ipsecIKE" "$work/out"

# ---- state on disk: keys 0600, directories 0700
[ "$(stat -c %a "$state")" = 700 ] || fail "state directory mode"
[ "$(stat -c %a "$state/ca")" = 700 ] || fail "ca/ mode"
[ "$(stat -c %a "$state/ca/keys")" = 700 ] || fail "ca/keys mode"
for k in "$state"/ca/*.key "$state"/ca/keys/*.key; do
	[ "$(stat -c %a "$k")" = 600 ] || fail "$k is not 0600"
done
ls "$state"/ca/keys | grep -q tmp && fail "temporary files left in ca/keys"
echo "PASS: cert.tools"
