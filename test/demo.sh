#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh - kanmon's main job on its shipped default configuration: the
# installed kanmond (`cmake --install build`) with the installed kanmon.conf,
# unchanged, serves a strongSwan client that poses as iOS (the lab's ios
# profile) with a certificate from kanmon's own CA; the client pings a host on
# the LAN behind the server through the tunnel, then `kanmonctl status` shows
# the session.
#
#   sh test/demo.sh            (as root, from the repository checkout)
#
# What it changes on this machine, on purpose: the state directory of
# kanmon.conf (/var/lib/kanmon) gets the CA ("VPN Root CA"), the server
# certificate "server" (vpn.example.com) and the client "demo-ios", made with
# kanmonctl exactly as the README says, only when they are missing (a rerun
# reuses them), plus the demo client's address lease; the user `kanmon` is
# created if missing. Everything else (network namespaces from the interop lab,
# test/lab/lib/topology.sh; kanmond; the client charon; the work directory) is
# removed on exit, also when interrupted. The configuration is not overridden:
# kanmond runs in the lab's server namespace, so `listen = 0.0.0.0` means
# 198.51.100.1 there, and its control socket is the configured one (a kanmond
# already running with this configuration is refused, not disturbed).
# Exit status: 0 demo done, 1 failed (with kanmond's log), 77 a prerequisite
# is missing (named). KANMON_PREFIX (default /usr/local) selects the
# installation; KANMON_DEMO_KEEP=yes keeps the work directory.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
LAB=$here/test/lab
prefix=${KANMON_PREFIX:-/usr/local}
conf=$prefix/etc/kanmon/kanmon.conf
kanmond=$prefix/sbin/kanmond
kanmonctl=$prefix/bin/kanmonctl
client=demo-ios

# shellcheck source=lab/lib/common.sh
. "$LAB/lib/common.sh"
# shellcheck source=lab/lib/topology.sh
. "$LAB/lib/topology.sh"
# shellcheck source=lab/lib/charon.sh
. "$LAB/lib/charon.sh"
# shellcheck source=lab/lib/client.sh
. "$LAB/lib/client.sh"

skip() { echo "demo.sh: SKIP: $*"; exit 77; }
die() { echo "demo.sh: FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "run as root (network namespaces, TUN, the state directory)"
for f in "$conf" "$kanmond" "$kanmonctl"; do
	[ -e "$f" ] || die "$f missing: build and install first (cmake -B build && cmake --build build && cmake --install build)"
done
for c in ip iptables openssl unshare mount timeout; do
	command -v "$c" >/dev/null 2>&1 || skip "'$c' not installed (sh .ci/install-deps)"
done
[ -c /dev/net/tun ] || skip "no /dev/net/tun (kernel-user and the client need TUN)"
missing=$(charon_prereq)
[ -z "$missing" ] || skip "the client needs $missing (sh .ci/install-deps)"

ctl() { "$kanmonctl" -c "$conf" "$@"; }
if ctl status >/dev/null 2>&1; then
	die "a kanmond with $conf is running already (kanmonctl status answers): stop it first (kanmonctl stop)"
fi

# the iOS client of the lab (test/lab/profiles/ios.sh: proposals, ID type,
# keep-alives), with kanmon's certificates instead of the lab PKI
# shellcheck disable=SC2034
LAB_EAP_USER=unused LAB_EAP_SECRET=unused
# shellcheck source=lab/profiles/ios.sh
. "$LAB/profiles/ios.sh"

work=$(mktemp -d /tmp/kanmon-demo.XXXXXX) || die "cannot create a work directory"
LAB_CLIENT_DIR=$work/client
KLOG=$work/kanmond.log
topo_names "kd-$$"
KPID=
TOPO=no

cleanup() {
	rc=$?
	trap '' INT TERM
	charon_stop "$LAB_CLIENT_DIR" 2>/dev/null
	if [ -n "$KPID" ] && pid_alive "$KPID"; then
		ctl stop >/dev/null 2>&1 || kill -TERM "$KPID" 2>/dev/null
		wait_until 10 pid_gone "$KPID" || stop_pid "$KPID" 2
	fi
	[ "$TOPO" = no ] || topo_down
	if [ "${KANMON_DEMO_KEEP:-no}" = yes ]; then
		echo "work dir kept: $work"
	else
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { # REASON: kanmond's log, the client's last lines, then the reason
	echo
	lab_tail "kanmond log" "$KLOG" 30
	[ -s "$LAB_CLIENT_DIR/charon.log" ] && { grep -v "vici client" "$LAB_CLIENT_DIR/charon.log" > "$work/client.log"; lab_tail "client log" "$work/client.log" 20; }
	die "$*"
}

echo "== kanmond -t -c $conf"
"$kanmond" -t -c "$conf" || die "the installed configuration does not pass kanmond -t"

# the unprivileged user kanmond runs as
id kanmon >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin kanmon ||
	die "cannot create the user kanmon"

echo "== certificates: kanmon's CA in the state directory of $conf (made once, reused after)"
if ! ctl cert show ca >/dev/null 2>&1; then
	ctl ca create --cn "VPN Root CA" --days 3650 --key rsa2048 --country JP --crl-host "$LAB_SERVER_ID" ||
		die "kanmonctl ca create failed"
fi
if ! ctl cert show server >/dev/null 2>&1; then
	ctl cert issue server server --cn "$LAB_SERVER_ID" || die "kanmonctl cert issue server failed"
fi
mkdir -p "$work/bundle"
if ! ctl cert show "$client" >/dev/null 2>&1; then
	# the one-shot bundle a user gets (.p12, ca.crt, .mobileconfig for iOS...)
	ctl client add "$client" --server "$LAB_SERVER_ID" --out "$work/bundle" >"$work/client-add.log" ||
		{ cat "$work/client-add.log"; die "kanmonctl client add failed"; }
	cat "$work/client-add.log"
	sed -n 's/^passphrase of .*: *//p' "$work/client-add.log" > "$work/p12.pass"
	p12=$work/bundle/$client.p12
else
	# its passphrase was shown once, at client add: export the PKCS#12 again
	echo "client $client exists already: its PKCS#12 exported again"
	od -An -N 12 -tx1 /dev/urandom | tr -d ' \n' > "$work/p12.pass"
	p12=$work/$client.p12
	ctl cert export "$client" --format p12 --passphrase-file "$work/p12.pass" --out "$p12" >/dev/null ||
		die "kanmonctl cert export $client failed"
fi
ctl cert export ca --format pem --out "$work/ca.crt" >/dev/null || die "kanmonctl cert export ca failed"
ctl cert list

# the client: the iOS profile's charon settings, the certificate and key from
# the PKCS#12, the CA, and its identity (the e-mail SAN, iOS' LocalIdentifier)
charon_init "$LAB_CLIENT_DIR" "resolve ${PROFILE_PLUGINS:-}" "${PROFILE_CHARON:-}" || die "client setup failed"
openssl pkcs12 -in "$p12" -passin "file:$work/p12.pass" -nokeys -clcerts \
	-out "$LAB_CLIENT_DIR/swanctl/x509/client.crt" 2>"$work/openssl.log" &&
openssl pkcs12 -in "$p12" -passin "file:$work/p12.pass" -nocerts -nodes \
	-out "$LAB_CLIENT_DIR/swanctl/private/client.key" 2>>"$work/openssl.log" ||
	{ cat "$work/openssl.log"; die "cannot read $p12 with its passphrase"; }
cp "$work/ca.crt" "$LAB_CLIENT_DIR/swanctl/x509ca/ca.crt" || die "client setup failed"
ident=$(openssl x509 -in "$LAB_CLIENT_DIR/swanctl/x509/client.crt" -noout -email | head -n 1)
[ -n "$ident" ] || die "the client certificate has no e-mail address (iOS' LocalIdentifier)"
profile_swanctl | sed "s/^\\( *id = \\)$PROFILE_LEASE_ID\$/\\1$ident/" > "$LAB_CLIENT_DIR/swanctl/swanctl.conf"
grep -q "id = $ident" "$LAB_CLIENT_DIR/swanctl/swanctl.conf" || die "could not set the client identity $ident"

echo "== lab: client $LAB_CLIENT_ADDR -- NAT $LAB_NAT_OUT -- server $LAB_SERVER_ADDR (kanmond) -- LAN host $LAB_LAN_HOST4"
TOPO=yes
topo_up 2>"$work/topology.log" || { cat "$work/topology.log"; die "cannot build the lab namespaces"; }

echo "== kanmond -f -c $conf in namespace $LAB_NS_SRV"
ip netns exec "$LAB_NS_SRV" "$kanmond" -f -c "$conf" </dev/null >/dev/null 2>"$KLOG" &
KPID=$!
kanmond_ready() { pid_alive "$KPID" || return 125; ctl status; }
wait_until 5 kanmond_ready || fail "kanmond did not answer on its control socket within 5 s"

echo "== client ($PROFILE_DESC) as $ident"
client_start 2>"$work/client-start.log" || { cat "$work/client-start.log"; fail "the client charon did not start"; }
client_sw --initiate --child "$CLIENT_CONN" --timeout 12 >"$LAB_CLIENT_DIR/initiate.log" 2>&1 ||
	fail "the client could not connect: $(lab_reason "$LAB_CLIENT_DIR/initiate.log")"
wait_until 5 client_established || fail "no established IKE SA with a CHILD SA on the client"
vip=$(client_sa_field local-vips)
echo "connected: virtual IP $vip, IKE $(client_sa_field encr-alg)-$(client_sa_field encr-keysize)/$(client_sa_field integ-alg)/$(client_sa_field dh-group)"

echo "== ping $LAB_LAN_HOST4 (LAN behind the server) through the tunnel"
client_ping "$LAB_LAN_HOST4" || fail "no reply from $LAB_LAN_HOST4: $(grep transmitted "$LAB_CLIENT_DIR/ping.log")"
cat "$LAB_CLIENT_DIR/ping.log"

echo "== kanmonctl status"
ctl status || fail "kanmonctl status failed"
echo "== kanmonctl leases"
ctl leases || fail "kanmonctl leases failed"
echo "== done: tearing down"
