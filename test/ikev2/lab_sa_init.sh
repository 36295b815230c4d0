#!/bin/sh
# SPDX-License-Identifier: MIT
# IKE_SA_INIT + IKE_AUTH decryption against a real strongSwan client.
#
#   lab_sa_init.sh PROFILE      (KANMOND, PLUGIN_DIR in the environment)
#
# Runs kanmond with the ikev2 plugin in the server namespace of the lab
# topology (test/lab/lib/topology.sh: the client is NATed, so NAT-T floats
# IKE_AUTH to port 4500) and a charon configured exactly like the lab
# profile PROFILE (test/lab/profiles/PROFILE.sh: ios, windows-cert,
# android-native, strongswan-app). Passes when
#   - charon parsed kanmond's IKE_SA_INIT response, selected its proposal and
#     derived keys: it sent IKE_AUTH request 1 (logged with its payloads);
#   - kanmond verified the ICV, decrypted (and, when charon fragmented it,
#     reassembled) that request and logged the same payload list;
#   - charon decrypted kanmond's protected answer (AUTHENTICATION_FAILED:
#     IKE_AUTH itself is the second half of issue 9), which proves our SK
#     payload and keys in the other direction too;
#   - kanmond exits cleanly (the sanitizer build fails on leaks).
# Exit 0 pass, 1 fail, 77 skipped (not root, no strongSwan, no netns).
# LAB_KEEP=yes keeps the work directory; LAB_PCAP=FILE captures the server's
# side (tcpdump), e.g. to seed the fuzz corpora; LAB_SA_BACKEND=kernel-user
# also loads an SA backend (sharing port 4500 with IKE).
# shellcheck disable=SC2317
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
LAB=$(cd "$HERE/../lab" && pwd)
. "$LAB/lib/common.sh"

PROFILE=${1:-}
[ -n "$PROFILE" ] && [ -f "$LAB/profiles/$PROFILE.sh" ] || { echo "usage: $0 PROFILE (a test/lab/profiles name)" >&2; exit 2; }
TEST=ikev2.lab.$PROFILE

. "$LAB/lib/topology.sh"
. "$LAB/lib/pki.sh"
. "$LAB/lib/charon.sh"
. "$LAB/lib/client.sh"

# --- prerequisites: a missing one skips (77) and says which ------------------
[ "$(id -u)" = 0 ] || lab_skip "not root (network namespaces need root)"
for _cmd in ip iptables certtool unshare mount awk timeout; do
	command -v "$_cmd" >/dev/null 2>&1 || lab_skip "'$_cmd' not installed"
done
[ -x "${KANMOND:-}" ] || lab_skip "KANMOND does not name the kanmond binary"
[ -f "${PLUGIN_DIR:-}/ikev2.so" ] || lab_skip "no ikev2.so in PLUGIN_DIR"
_probe=k2-probe-$$
ip netns add "$_probe" 2>/dev/null || lab_skip "cannot create network namespaces"
ip netns del "$_probe"
[ -c /dev/net/tun ] || lab_skip "no /dev/net/tun (kernel-libipsec of the client needs TUN)"
_missing=$(charon_prereq)
[ -z "$_missing" ] || lab_skip "client side needs $_missing"

LAB_EAP_USER=winuser
LAB_EAP_SECRET=unused
# shellcheck source=/dev/null
. "$LAB/profiles/$PROFILE.sh"

_tag=$(printf '%s' "$PROFILE" | tr -c 'a-z0-9' '-' | cut -c1-10)
topo_names "k2-$_tag-$$"
_tmp=${TMPDIR:-/tmp}
case $_tmp in /run|/run/*|/var/run|/var/run/*) _tmp=/tmp ;; esac
LAB_WORK=$(mktemp -d "$_tmp/kanmon-ikev2.$PROFILE.XXXXXX") || { echo "FAIL $TEST: no work dir"; exit 1; }
LAB_PKI=$LAB_WORK/pki
LAB_CLIENT_DIR=$LAB_WORK/client
SRV=$LAB_WORK/server
KLOG=$SRV/kanmond.log
mkdir -p "$LAB_PKI" "$LAB_CLIENT_DIR" "$SRV"
KPID=
CPID=

diagnostics() {
	echo
	echo "===== diagnostics: $TEST (work dir $LAB_WORK) ====="
	lab_tail "kanmond log" "$KLOG" 40
	[ -s "$LAB_CLIENT_DIR/initiate.log" ] && lab_tail "client swanctl --initiate" "$LAB_CLIENT_DIR/initiate.log" 15
	grep -v "vici client" "$LAB_CLIENT_DIR/charon.log" > "$LAB_WORK/client.log" 2>/dev/null
	lab_tail "client log ($PROFILE)" "$LAB_WORK/client.log" 40
}
LAB_DIAG_HOOK=diagnostics

cleanup() {
	_rc=$?
	trap - EXIT INT TERM
	[ "$LAB_FAILED" ] && _rc=1
	charon_stop "$LAB_CLIENT_DIR" >/dev/null 2>&1
	[ -n "$KPID" ] && stop_pid "$KPID" 5
	[ -n "$CPID" ] && stop_pid "$CPID" 3
	topo_down
	if [ "${LAB_KEEP:-no}" = yes ]; then
		echo "work dir kept: $LAB_WORK"
	else
		rm -rf "$LAB_WORK"
	fi
	if [ "$_rc" -eq 0 ]; then
		echo "PASS $TEST${LAB_TIMINGS:+ ($(echo "$LAB_TIMINGS" | sed 's/^, //') ms)}"
	elif [ "$_rc" -ne 77 ]; then
		echo "FAIL $TEST: ${LAB_FAILED:-exit $_rc}"
	fi
	exit "$_rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# payload types only: "IDi CERT N(INIT_CONTACT) CPRQ(ADDR DNS) SA" -> "IDi CERT N CP SA"
payload_types() {
	sed -e 's/([^)]*)//g' -e 's/\bCPRQ\b/CP/g' -e 's/\bCPRP\b/CP/g' | tr -s ' ' | sed 's/^ //; s/ $//'
}

kanmond_alive() { pid_alive "$KPID" || return 125; }
kanmond_ready() { kanmond_alive || return 125; grep -q "IKEv2 responder on udp" "$KLOG"; }
exchange_done() {
	kanmond_alive || return 125
	grep -q "decrypted IKE_AUTH request" "$KLOG" && client_log_has "AUTHENTICATION_FAILED"
}

step "topology + PKI"
topo_up || lab_fail "could not build the lab topology"
pki_ca "$LAB_PKI" && pki_server "$LAB_PKI" "$LAB_SERVER_ID" || lab_fail "PKI generation failed"
client_setup || lab_fail "client setup failed"

if [ -n "${LAB_PCAP:-}" ] && command -v tcpdump >/dev/null 2>&1; then
	ip netns exec "$LAB_NS_SRV" tcpdump -n -U --immediate-mode -s 0 -i srv0 -w "$LAB_PCAP" udp >/dev/null 2>"$SRV/tcpdump.log" &
	CPID=$!
	wait_until 5 grep -q "listening on" "$SRV/tcpdump.log" || log "tcpdump did not start: no capture"
fi

step "kanmond up"
_plugins=
[ -n "${LAB_SA_BACKEND:-}" ] && _plugins="\"$LAB_SA_BACKEND\", "
cat > "$SRV/kanmon.conf" <<EOT
plugins = [$_plugins"ikev2"];
plugin_dir = "$PLUGIN_DIR";
listen = ["$LAB_SERVER_ADDR"];
state_dir = "$SRV/state";
control_socket = "$SRV/kanmon.sock";
user = "";
log = { level = "info"; subsystems = { ikev2 = "debug"; }; };
pools = ( { name = "clients"; range = "$LAB_POOL4"; dns = ["$LAB_DNS4"]; } );
ikev2 = {
	server_id = "$LAB_SERVER_ID";
	pool = "clients";
	# Windows' defaults (CLIENTS.md 1a), explicitly enabled
	legacy_proposals = ["aes256-aes128-3des-sha256-sha1-modp1024"];
};
EOT
ip netns exec "$LAB_NS_SRV" "$KANMOND" -f -c "$SRV/kanmon.conf" >"$SRV/kanmond.stdout" 2>"$KLOG" </dev/null &
KPID=$!
wait_until 5 kanmond_ready || lab_fail "kanmond did not start: $(tail -n 3 "$KLOG" | tr '\n' ' ')"

step "client charon up"
client_start || lab_fail "client charon did not start"

step "IKE_SA_INIT + IKE_AUTH"
client_sw --initiate --child "$CLIENT_CONN" --timeout 15 >"$LAB_CLIENT_DIR/initiate.log" 2>&1 || :
wait_until 10 exchange_done ||
	lab_fail "no decrypted IKE_AUTH in kanmond's log or no answer at the client: $(lab_reason "$LAB_CLIENT_DIR/charon.log")"

step "checks"
client_log_has "parsed IKE_SA_INIT response 0 \[ SA KE No " ||
	lab_fail "the client did not parse an IKE_SA_INIT response with SA, KE and nonce"
_prop=$(grep -o "selected proposal: IKE:[^ ]*" "$LAB_CLIENT_DIR/charon.log" | tail -n 1)
[ -n "$_prop" ] || lab_fail "the client selected no IKE proposal"
# (the fragments are logged as "generating IKE_AUTH request 1 [ EF(1/2) ]" after the message)
_sent=$(grep -o "generating IKE_AUTH request 1 \[ [^]]* \]" "$LAB_CLIENT_DIR/charon.log" | grep -v "EF(" | tail -n 1 |
	sed 's/.*\[ \(.*\) \]/\1/' | payload_types)
[ -n "$_sent" ] || lab_fail "the client generated no IKE_AUTH request (keys or IKE_SA_INIT rejected?)"
_got=$(grep -o "decrypted IKE_AUTH request 1 ([^)]*): .*" "$KLOG" | tail -n 1 | sed 's/^[^:]*: //' | payload_types)
[ "$_sent" = "$_got" ] ||
	lab_fail "kanmond decrypted '$_got' but the client sent '$_sent'"
client_log_has "received AUTHENTICATION_FAILED notify error" ||
	lab_fail "the client did not decrypt kanmond's AUTHENTICATION_FAILED answer"
_frags=$(grep -o "splitting IKE message ([0-9]* bytes) into [0-9]* fragments" "$LAB_CLIENT_DIR/charon.log" |
	head -n 1 | awk '{ print $(NF - 1) }')
if [ -n "$_frags" ]; then
	grep -q "decrypted IKE_AUTH request 1 ([0-9]* bytes from $_frags fragments)" "$KLOG" ||
		lab_fail "the client sent $_frags fragments, kanmond did not reassemble them"
fi
case $PROFILE in
android-native)
	# KE with modp4096 first: the server prefers curve25519 and says so
	client_log_has "peer didn't accept DH group MODP_4096, it requested CURVE_25519" ||
		lab_fail "no INVALID_KE_PAYLOAD round (expected: modp4096 refused, curve25519 asked for)" ;;
windows-cert)
	case $_prop in *MODP_1024*) ;; *) lab_fail "Windows got $_prop, expected the legacy MODP_1024 suite" ;; esac ;;
esac
grep -q "refused client .*certificate authentication is not implemented" "$KLOG" ||
	lab_fail "kanmond logged no refusal line for the client"
if grep -q -E "ERROR|AddressSanitizer|runtime error" "$KLOG"; then
	lab_fail "kanmond logged an error: $(grep -m1 -E "ERROR|AddressSanitizer|runtime error" "$KLOG")"
fi

step "kanmond stops cleanly"
kill -TERM "$KPID"
_krc=0
wait "$KPID" || _krc=$?
KPID=
[ "$_krc" -eq 0 ] || lab_fail "kanmond exited with $_krc: $(grep -m3 -E "ERROR|Sanitizer|leak" "$KLOG" | tr '\n' ' ')"
step_end
echo "  client: $_prop${_frags:+, IKE_AUTH in $_frags fragments}"
echo "  IKE_AUTH payloads: $_got"
