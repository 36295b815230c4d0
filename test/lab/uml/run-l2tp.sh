#!/bin/sh
# SPDX-License-Identifier: MIT
# run-l2tp.sh PROFILE [--server ADAPTER] [--keep]
#
# L2TP/IPsec interop test of one client profile (test/lab/profiles/PROFILE.sh,
# PROFILE_KIND=l2tp) against one server adapter (test/lab/uml/adapters/
# ADAPTER.sh, default strongswan), in ONE user-mode Linux guest: the host
# kernel has no ESP/L2TP/PPP, Debian's UML kernel has them all. test/lab/run
# PROFILE --server ADAPTER --uml execs this script; ctest registers it as
# uml.PROFILE.ADAPTER (SKIP_RETURN_CODE 77).
#
# Exit status: 0 pass, 1 fail (the reason is the last line), 2 usage,
# 77 "SKIP: ..." when a prerequisite is missing.
# --keep (or LAB_KEEP=1) keeps the work directory (logs, pcap) for a look;
# otherwise nothing is left behind: no UML process, no temp dir, no mount.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
LAB=$(cd "$HERE/.." && pwd)
. "$HERE/../lib/wait.sh"
. "$HERE/lib.sh"

usage() { echo "usage: run-l2tp.sh PROFILE [--server ADAPTER] [--keep]" >&2; exit 2; }
PROFILE=; ADAPTER=strongswan; KEEP=${LAB_KEEP:-}
while [ $# -gt 0 ]; do
	case $1 in
	--server) [ $# -ge 2 ] || usage; ADAPTER=$2; shift 2 ;;
	--server=*) ADAPTER=${1#*=}; shift ;;
	--keep) KEEP=1; shift ;;
	--uml) shift ;;                 # accepted: this runner is always UML
	-*) usage ;;
	*) [ -z "$PROFILE" ] || usage; PROFILE=$1; shift ;;
	esac
done
[ -n "$PROFILE" ] || usage
PF=$LAB/profiles/$PROFILE.sh
# IKEv2 profiles and scenarios (no PROFILE_KIND=l2tp) have a runner of their own
if ! grep -qs '^PROFILE_KIND=l2tp' "$PF"; then
	exec sh "$HERE/run-ikev2.sh" "$PROFILE" --server "$ADAPTER" ${KEEP:+--keep}
fi
[ -r "$PF" ] || { echo "run-l2tp: no profile $PF" >&2; exit 2; }
. "$PF"
[ "${PROFILE_KIND:-}" = l2tp ] || { echo "run-l2tp: $PROFILE is not an L2TP profile" >&2; exit 2; }
[ -r "$HERE/adapters/$ADAPTER.sh" ] ||
	{ echo "run-l2tp: no UML L2TP adapter '$ADAPTER' ($HERE/adapters/$ADAPTER.sh)" >&2; exit 2; }

# --- prerequisites -> 77 ------------------------------------------------------
[ "$(id -u)" = 0 ] || lab_skip "not root (UML, network namespaces)"
[ -x /usr/bin/linux ] || lab_skip "no UML kernel /usr/bin/linux (package user-mode-linux)"
[ -d /usr/lib/uml/modules ] || lab_skip "no UML modules /usr/lib/uml/modules (package user-mode-linux)"
[ -x /usr/lib/ipsec/charon ] || lab_skip "no strongSwan charon (package strongswan-charon)"
command -v swanctl >/dev/null || lab_skip "no swanctl (package strongswan-swanctl)"
command -v xl2tpd >/dev/null || lab_skip "no xl2tpd (package xl2tpd)"
command -v pppd >/dev/null || lab_skip "no pppd (package ppp)"
ls /usr/lib/pppd/*/pppol2tp.so >/dev/null 2>&1 || lab_skip "no pppd pppol2tp plugin (package ppp)"
command -v certtool >/dev/null || lab_skip "no certtool (package gnutls-bin)"
command -v iptables-legacy >/dev/null || lab_skip "no iptables-legacy (package iptables)"
[ -x /usr/sbin/modprobe ] || lab_skip "no /usr/sbin/modprobe (package kmod; needed inside UML)"
command -v ping >/dev/null || lab_skip "no ping (package iputils-ping)"

T0=$(now_ms)
W=$(mktemp -d /tmp/kanmon-uml-l2tp.XXXXXX) || exit 1
UPID=
cleanup() {
	if [ -n "$UPID" ]; then kill -TERM "$UPID" 2>/dev/null; wait "$UPID" 2>/dev/null; fi
	[ -n "$KEEP" ] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

echo "== uml.$PROFILE.$ADAPTER: $PROFILE_DESC vs $ADAPTER (L2TP/IPsec in user-mode Linux)"

# --- files for the guest: the guest sees the host's / read-only, but /tmp,
# /run, /var/* are tmpfs there, so everything it needs goes into the work dir.
mkdir -p "$W/lab/uml/adapters" "$W/lab/lib" "$W/lab/profiles" "$W/pki"
cp "$HERE/../lib/wait.sh" "$W/lab/lib/" &&
cp "$HERE"/lib.sh "$HERE"/l2tp-test.sh "$HERE"/l2tp-client.sh "$W/lab/uml/" &&
cp "$HERE/adapters/$ADAPTER.sh" "$W/lab/uml/adapters/" &&
cp "$PF" "$W/lab/profiles/" || exit 1
[ -n "$KEEP" ] && : > "$W/.keep"     # the guest then saves all logs on success too

# --- PKI (host: certtool is much faster here than in UML) ---------------------
. "$HERE/pki.sh"
t=$(now_ms)
{
	l2tp_pki "$W/pki" &&
	if [ "$L2TP_AUTH" = pubkey ]; then
		l2tp_pki_cert "$W/pki" client "$L2TP_CLIENT_DN" &&
		if [ -n "${L2TP_REJECT_DN:-}" ]; then l2tp_pki_cert "$W/pki" reject "$L2TP_REJECT_DN"; fi
	fi
} || { echo "FAIL: PKI generation (certtool) failed"; exit 1; }
printf '  %-40s %6d ms\n' "PKI (host, certtool)" $(( $(now_ms) - t ))

# --- boot UML and run the test inside ----------------------------------------
t=$(now_ms)
sh "$HERE/uml-run.sh" -m 384M -T 90 "$W" "$HERE/l2tp-test.sh" /mnt/work/lab "$PROFILE" "$ADAPTER" &
UPID=$!
RC=0; wait "$UPID" || RC=$?
UPID=
UML_MS=$(( $(now_ms) - t ))
[ -n "$KEEP" ] && echo "work directory kept: $W (logs/, nat.pcap, esp-keys.txt, console.log)"

# esp_sa UAT records for tshark from `ip xfrm state` output (test keys only)
esp_uat() {
	awk '
	function flush() {
		if (spi != "" && enc != "" && auth != "")
			printf "uat:esp_sa:\"IPv4\",\"*\",\"*\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"\n", spi, enc, ekey, auth, akey
		spi = enc = auth = ""
	}
	/^src / { flush() }
	/proto esp spi/ { spi = $4 }
	$1 == "enc" {
		ekey = $3
		if ($2 == "cbc(aes)") enc = "AES-CBC [RFC3602]"
		else if ($2 == "cbc(des3_ede)") enc = "TripleDES-CBC [RFC2451]"
	}
	$1 == "auth-trunc" {
		akey = $3
		if ($2 == "hmac(sha1)") auth = "HMAC-SHA-1-96 [RFC2404]"
		else if ($2 == "hmac(md5)") auth = "HMAC-MD5-96 [RFC2403]"
		else if ($2 == "hmac(sha256)") auth = "HMAC-SHA-256-128 [RFC4868]"
		else if ($2 == "hmac(sha384)") auth = "HMAC-SHA-384-192 [RFC4868]"
		else if ($2 == "hmac(sha512)") auth = "HMAC-SHA-512-256 [RFC4868]"
	}
	END { flush() }' "$1"
}

# capture_summary: what crossed the NAT router, ESP decrypted when the keys
# are known (then L2TP control messages and PPP negotiation show up too).
capture_summary() {
	[ -s "$W/nat.pcap" ] || return 0
	if command -v tshark >/dev/null; then
		set --
		if [ -s "$W/esp-keys.txt" ]; then
			set -- -o esp.enable_encryption_decode:TRUE
			for u in $(esp_uat "$W/esp-keys.txt" | tr ' ' '\001'); do
				set -- "$@" -o "$(printf '%s' "$u" | tr '\001' ' ')"
			done
		fi
		# wan0 side only (after NAT): each packet once
		echo "----- NAT router capture, outside (tshark; $([ $# -gt 0 ] && echo 'ESP decrypted, ')last 100) -----"
		tshark -r "$W/nat.pcap" -n -t r "$@" -Y "ip.addr == 198.51.100.2" 2>/dev/null |
			tail -n 100
	elif command -v tcpdump >/dev/null; then
		echo "----- NAT router capture (tcpdump; last 100) -----"
		tcpdump -r "$W/nat.pcap" -n 2>/dev/null | tail -n 60
	fi
}

if [ "$RC" != 0 ] || [ -n "${LAB_VERBOSE:-}" ]; then capture_summary; fi
if [ "$RC" != 0 ]; then
	reason=$(cat "$W/reason" 2>/dev/null)
	case $RC in
	77) exit 77 ;;
	124) reason=${reason:-"the in-guest test ran out of time"} ;;
	125) reason=${reason:-"UML did not finish (see console above)"} ;;
	esac
	echo "=================================================================="
	echo "FAIL uml.$PROFILE.$ADAPTER after $(( $(now_ms) - T0 )) ms: ${reason:-exit status $RC}"
	exit 1
fi
echo "PASS uml.$PROFILE.$ADAPTER: UML run $UML_MS ms, total $(( $(now_ms) - T0 )) ms"
