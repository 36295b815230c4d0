#!/bin/sh
# SPDX-License-Identifier: MIT
# cert.bad_input: wrong passphrase, unknown or duplicate name, expired CA,
# revoking twice, unwritable directory, a certificate that does not match
# its key: each a clear message, exit status 1, and the state directory
# exactly as before (no file, no row, no CRL number used up).
. "$(dirname "$0")/lib.sh"
need certtool python3

same() { # same LABEL: the state equals the last snapshot
	snapshot >"$work/after"
	cmp -s "$work/before" "$work/after" || { diff "$work/before" "$work/after" >&2; fail "$1 changed the state"; }
}
mark() { snapshot >"$work/before"; }

printf 'right horse battery\n' >"$work/ca.pass"
printf 'wrong horse battery\n' >"$work/bad.pass"
ok ca create --cn "VPN Root CA" --country JP --key ecdsa-p256 --passphrase-file "$work/ca.pass"
ok cert issue server server --cn vpn.example.com --key ecdsa-p256 --ca-passphrase-file "$work/ca.pass"
ok client add user1 --server vpn.example.com --out "$work/b1" --key ecdsa-p256 --ca-passphrase-file "$work/ca.pass"
mark

# wrong and missing CA passphrase
refused 1 "wrong passphrase for the CA key" cert issue client user2 --cn user2@x --ca-passphrase-file "$work/bad.pass"
same "a wrong CA passphrase"
refused 1 "protected by a passphrase" client add user2 --server vpn.example.com --out "$work/b2"
same "a missing CA passphrase"
[ ! -e "$work/b2/user2.p12" ] || fail "bundle files written without a CA key"
refused 1 "wrong passphrase for the CA key" crl export --out "$work/x.crl" --ca-passphrase-file "$work/bad.pass"
[ ! -e "$work/x.crl" ] || fail "CRL written with a wrong passphrase"
same "crl export with a wrong passphrase"
refused 1 "wrong passphrase for this PKCS#12" cert check "$work/b1/user1.p12" --passphrase-file "$work/bad.pass"
refused 1 "cannot open $work/none.pass" cert issue client user2 --cn u@x --ca-passphrase-file "$work/none.pass"
same "a missing passphrase file"

# unknown and duplicate names
refused 1 "no certificate named nobody" cert revoke nobody
refused 1 "no such certificate" cert show nobody
refused 1 "no such certificate" cert export nobody --format pem --out "$work/n.pem"
[ ! -e "$work/n.pem" ] || fail "export of an unknown name wrote a file"
refused 1 "named user1 exists already" cert issue client user1 --cn user1@x --ca-passphrase-file "$work/ca.pass"
refused 1 "named server exists already" client add server --server vpn.example.com --out "$work/b3" --ca-passphrase-file "$work/ca.pass"
[ ! -e "$work/b3/server.p12" ] || fail "bundle written for a duplicate name"
refused 1 "a CA exists already" ca create --cn "Another CA"
refused 1 "cannot name a certificate" cert issue client ../evil --cn e@x --ca-passphrase-file "$work/ca.pass"
same "unknown and duplicate names"

# revoking twice
ok cert revoke user1
mark
refused 1 "user1 was revoked already on" cert revoke user1
refused 1 "was revoked already" client revoke user1
refused 1 "is a server certificate" client revoke server
same "revoking twice"

# unwritable directories: nothing issued, nothing written, no CRL number used
refused 1 "cannot write /proc/user2.p12" client add user2 --server vpn.example.com --out /proc --ca-passphrase-file "$work/ca.pass"
refused 1 "cannot create directory $work/missing/deeper" client add user2 --server vpn.example.com --out "$work/missing/deeper" --ca-passphrase-file "$work/ca.pass"
refused 1 "cannot write /proc/kanmon.crl" crl export --out /proc/kanmon.crl --ca-passphrase-file "$work/ca.pass"
refused 1 "cannot write /proc/s.pem" cert export server --format pem --out /proc/s.pem
same "unwritable directories"
ok crl export --out "$work/one.crl" --ca-passphrase-file "$work/ca.pass"
has "CRL number 1 " "$work/out"

# a certificate that does not match its key
certtool --generate-privkey --no-text --key-type=rsa --bits=2048 --outfile "$work/a.key" 2>/dev/null
certtool --generate-privkey --no-text --key-type=rsa --bits=2048 --outfile "$work/b.key" 2>/dev/null
printf 'cn = "ext.example.com"\ndns_name = "ext.example.com"\nexpiration_days = 30\ntls_www_server\nsigning_key\n' >"$work/t"
certtool --generate-self-signed --no-text --load-privkey "$work/a.key" --template "$work/t" --outfile "$work/a.pem" 2>/dev/null
mark
refused 1 "does not belong to the certificate" cert import ext "$work/a.pem" --key "$work/b.key"
same "a key that is not the certificate's"
cat "$work/a.pem" "$work/b.key" >"$work/mixed.pem"
refused 1 "does not belong to its certificate" cert check "$work/mixed.pem"
refused 1 "needs its private key" cert import ext "$work/a.pem"
refused 1 "not a certificate" cert import ext "$work/ca.pass"
same "bad imports"
ok cert import ext "$work/a.pem" --key "$work/a.key"
has "imported as a server certificate" "$work/out"

# an expired CA (as ten years later): a CA made with certtool, put in the store in place of ours
fresh=$work/expired
certtool --generate-privkey --no-text --key-type=ecdsa --outfile "$work/old.key" 2>/dev/null
printf 'cn = "Old CA"\nca\ncert_signing_key\ncrl_signing_key\nactivation_date = "2015-01-01 00:00:00"\nexpiration_date = "2020-01-01 00:00:00"\n' >"$work/old.tmpl"
certtool --generate-self-signed --no-text --load-privkey "$work/old.key" --template "$work/old.tmpl" --outfile "$work/old.pem" 2>/dev/null
state=$fresh
ok ca create --cn "placeholder" --key ecdsa-p256
mkdir -p "$fresh/ca" && cp "$work/old.key" "$fresh/ca/old.key" && chmod 600 "$fresh/ca/old.key"
python3 - "$fresh/kanmon.db" "$work/old.pem" <<'PY'
import sqlite3, ssl, sys
db = sqlite3.connect(sys.argv[1])
der = ssl.PEM_cert_to_DER_cert(open(sys.argv[2]).read())
db.execute("UPDATE ca SET cert = ?, key_file = 'ca/old.key', key_encrypted = 0", (der,))
db.commit()
PY
mark
refused 1 "expired on 2020-01-01" cert issue client late --cn late@x
refused 1 "create a new CA" client add late --server vpn.example.com --out "$work/b4"
refused 1 "expired on 2020-01-01" crl export --out "$work/late.crl"
[ ! -e "$work/late.crl" ] && [ ! -e "$work/b4/late.p12" ] || fail "files written with an expired CA"
same "an expired CA"

# usage errors are status 2 and touch nothing
refused 2 "usage" cert issue server
refused 2 "--key takes" cert issue client x --cn x@y --key dsa
refused 2 "--days takes" ca create --cn x --days 0
refused 2 "unknown option --frobnicate" cert list --frobnicate
same "usage errors"
echo "PASS: cert.bad_input"
