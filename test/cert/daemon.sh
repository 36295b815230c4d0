#!/bin/sh
# SPDX-License-Identifier: MIT
# cert.daemon: kanmond (as user nobody) reads the certificate store kanmonctl
# (as root) wrote, checks its server certificates at start-up with warnings
# naming the clients they would break, learns of a revocation at once when
# kanmonctl tells it, re-reads the store on reload, and refuses a reload
# whose certificate files are broken while it keeps serving.
. "$(dirname "$0")/lib.sh"
need jq certtool
[ "$(id -u)" = 0 ] || skip "needs root (kanmond drops privileges to nobody)"
: "${KANMOND:?}" "${PROBE:?}" "${PLUGIN_DIR:?}"
id nobody >/dev/null 2>&1 || skip "no user nobody"

port=$("$PROBE" -F)
sock=$work/run/kanmon.sock
conf=$work/kanmon.conf
kpid=
stop_daemon() {
	if [ -n "$kpid" ] && kill -0 "$kpid" 2>/dev/null; then
		kill "$kpid" 2>/dev/null || true
		i=0
		while kill -0 "$kpid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		kill -9 "$kpid" 2>/dev/null || true
	fi
	kpid=
}
cleanup_hooks=stop_daemon

write_conf() { # write_conf EXTRA_CA_SETTINGS
	cat >"$conf.tmp" <<CONF
plugins = ["sample"];
plugin_dir = "$PLUGIN_DIR";
listen = ["127.0.0.1"];
state_dir = "$state";
control_socket = "$sock";
user = "nobody";
log = { level = "info"; };
pools = ( { name = "clients"; range = "203.0.113.2-203.0.113.126"; } );
sample = { port = $port; pool = "clients"; };
ca = { server_id = ["vpn.example.com"]; ${1:-} };
CONF
	mv "$conf.tmp" "$conf"
}
# kanmonctl as an operator runs it: everything from the configuration file
kcc() { "$KANMONCTL" -c "$conf" "$@" >"$work/out" 2>&1; }
okc() { kcc "$@" || { cat "$work/out" >&2; fail "kanmonctl $* failed"; }; }
log=$work/kanmond.log
start_daemon() {
	"$KANMOND" -f -c "$conf" 2>>"$log" &
	kpid=$!
	"$PROBE" -q -w 5000 127.0.0.1 "$port" "hello readiness" || { tail -20 "$log" >&2; fail "kanmond not ready in 5 s"; }
}

write_conf
# the CA and a server certificate made before the daemon ever ran: kanmonctl creates
# the state directory for the daemon's user, as kanmond itself would
okc ca create --cn "VPN Root CA" --country JP --key ecdsa-p256
[ "$(stat -c %U "$state")" = nobody ] || fail "state directory not owned by the daemon's user"
okc cert issue server server --cn vpn.example.com --key ecdsa-p256
has "kanmond is not running" "$work/out"
# one from elsewhere that Windows and Android would refuse: no SAN, serverAuth only, foreign CA
certtool --generate-privkey --no-text --key-type=ecdsa --outfile "$work/o.key" 2>/dev/null
printf 'cn = "vpn.example.com"\nexpiration_days = 30\ntls_www_server\nsigning_key\n' >"$work/o.tmpl"
certtool --generate-self-signed --no-text --load-privkey "$work/o.key" --template "$work/o.tmpl" --outfile "$work/o.pem" 2>/dev/null
okc cert import legacy "$work/o.pem" --key "$work/o.key"
okc client add alice --server vpn.example.com --out "$work/alice" --key ecdsa-p256
for k in "$state"/ca/*.key "$state"/ca/keys/*.key "$state/kanmon.db"; do
	[ "$(stat -c '%U %a' "$k")" = "nobody 600" ] || fail "$k: $(stat -c '%U %a' "$k"), wanted nobody 600"
done

start_daemon
uid=$(awk '/^Uid:/ {print $2}' "/proc/$kpid/status")
[ "$uid" = "$(id -u nobody)" ] || fail "kanmond does not run as nobody"
# it could read its keys as nobody: two usable server certificates
has "certificate store: 1 trusted CA, 2 server certificates, 0 revoked" "$log"
hasnt "not usable" "$log"
has "server certificate legacy" "$log"
has "no subjectAltName DNS:vpn.example.com" "$log"
has "iOS 13+" "$log"
has "older macOS" "$log"
has "Android L2TP/IPsec" "$log"
grep "server certificate server " "$log" | grep -q warning && fail "warnings about the certificate kanmonctl issued"
okc certs --json
jq -e '.trusted == 1 and .servers == 2 and .revoked == 0' "$work/out" >/dev/null || { cat "$work/out" >&2; fail "certs --json"; }

# revocation reaches the running daemon at once
okc client revoke alice
has "alice revoked" "$work/out"
has "kanmond: certificate store re-read: 1 trusted CA, 2 server certificates, 1 revoked" "$work/out"
okc certs --json
jq -e '.revoked == 1' "$work/out" >/dev/null || fail "kanmond does not know the revocation"

# reload re-reads the store too (a change kanmonctl could not announce: daemon unreachable)
okc client add bob --server vpn.example.com --out "$work/bob" --key ecdsa-p256
"$KANMONCTL" --dir "$state" -s "$work/elsewhere.sock" cert revoke bob >"$work/out" 2>&1 || fail "offline revoke"
has "kanmond is not running" "$work/out"
okc certs --json
jq -e '.revoked == 1' "$work/out" >/dev/null || fail "revocation known before reload?"
okc reload
okc certs --json
jq -e '.revoked == 2' "$work/out" >/dev/null || fail "reload did not re-read the revocations"

# a reload naming a certificate file that is not there: refused, still serving
write_conf "crl = [\"$work/missing.crl\"];"
kcc reload && fail "reload with a missing CRL file succeeded"
has "missing.crl" "$work/out"
has "reload refused" "$work/out"
"$PROBE" -q -w 2000 127.0.0.1 "$port" "hello still-there" || fail "kanmond stopped answering"
okc certs --json
jq -e '.revoked == 2 and .servers == 2' "$work/out" >/dev/null || fail "refused reload changed the store"

# a restart keeps it all
stop_daemon
write_conf
: >"$log"
start_daemon
has "1 trusted CA, 2 server certificates, 2 revoked" "$log"
stop_daemon

# a state directory kanmonctl made for another user (here: the default "kanmon", or root when
# that user does not exist): kanmond takes its files over before it drops to nobody
state=$work/state2
"$KANMONCTL" -c /nonexistent --dir "$state" -s "$sock" ca create --cn "Other CA" --key ecdsa-p256 >"$work/out" 2>&1 ||
	{ cat "$work/out" >&2; fail "ca create in state2"; }
"$KANMONCTL" -c /nonexistent --dir "$state" -s "$sock" cert issue server s2 --cn vpn.example.com --key ecdsa-p256 \
	>"$work/out" 2>&1 || fail "issue in state2"
write_conf
: >"$log"
start_daemon
has "1 trusted CA, 1 server certificate, 0 revoked" "$log"
for k in "$state/kanmon.db" "$state"/ca/*.key "$state"/ca/keys/*.key; do
	[ "$(stat -c %U "$k")" = nobody ] || fail "$k was not given to the daemon's user"
done
stop_daemon
echo "PASS: cert.daemon"
