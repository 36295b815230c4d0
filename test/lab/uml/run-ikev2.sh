#!/bin/sh
# SPDX-License-Identifier: MIT
# run-ikev2.sh NAME [--server kanmon|strongswan] [--keep]
#
# An IKEv2 lab profile or scenario (test/lab/profiles/NAME.sh,
# scenarios/NAME.sh) with kernel ESP on both ends, in ONE user-mode Linux
# guest: the host kernel has no ESP. Inside, the netns lab's own runner
# (test/lab/run, copied) builds the same topology and makes the same
# checks (IKE up, VIP from the pool, DNS, ping the LAN host, counters,
# profile checks, disconnect -> lease offline, clean server stop).
#   --server kanmon      kanmond with plugins kernel-xfrm + ikev2 (default):
#                        the lab's kanmon adapter, wrapped by kanmon-xfrm.sh,
#                        with KANMOND = kanmond-xfrm.sh (swaps kernel-user
#                        for kernel-xfrm in its configuration)
#   --server strongswan  the lab's strongSwan server, on kernel ESP too
# The client charon uses kernel-netlink (not kernel-libipsec as on the host).
# test/lab/run NAME --server ADAPTER --uml gets here through run-l2tp.sh;
# ctest registers uml.NAME.kanmon.
#
# The binaries: KANMON_UML_BIN, a build tree without ASan (ASan aborts in
# UML; test/xfrm's xfrm.uml.build makes <build>/uml-ubsan for an ASan tree),
# else KANMOND, KANMONCTL and PLUGIN_DIR when they are not ASan builds.
#
# Exit status: 0 pass, 1 fail (the reason is the last line), 2 usage,
# 77 "SKIP: ..." when a prerequisite is missing. --keep (or LAB_KEEP=1)
# keeps the work directory: script.log, console.log and lab-work/ (the
# guest's lab work directory: server/kanmond.log, client/charon.log,
# capture.pcap...). Without it nothing is left behind (a failure prints the
# lab's diagnostics: logs' tails, capture summary).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
LAB=$(cd "$HERE/.." && pwd)
# shellcheck source=SCRIPTDIR/../lib/wait.sh
. "$LAB/lib/wait.sh"

usage() { echo "usage: run-ikev2.sh NAME [--server kanmon|strongswan] [--keep]" >&2; exit 2; }
NAME=; ADAPTER=kanmon; KEEP=${LAB_KEEP:-}
[ "$KEEP" = no ] && KEEP=
while [ $# -gt 0 ]; do
	case $1 in
	--server) [ $# -ge 2 ] || usage; ADAPTER=$2; shift 2 ;;
	--server=*) ADAPTER=${1#*=}; shift ;;
	--keep) KEEP=1; shift ;;
	--uml) shift ;;                 # accepted: this runner is always UML
	-*) usage ;;
	*) [ -z "$NAME" ] || usage; NAME=$1; shift ;;
	esac
done
[ -n "$NAME" ] || usage
case $NAME in */*|.*) usage ;; esac
[ -f "$LAB/profiles/$NAME.sh" ] || [ -f "$LAB/scenarios/$NAME.sh" ] ||
	{ echo "run-ikev2: no profile or scenario '$NAME'" >&2; exit 2; }
case $ADAPTER in
kanmon|kanmon-xfrm) ADAPTER=kanmon ;;
strongswan) ;;
*) echo "run-ikev2: adapter '$ADAPTER': kanmon (kernel-xfrm) or strongswan" >&2; exit 2 ;;
esac
TEST=uml.$NAME.$ADAPTER

skip() { echo "SKIP: $*"; exit 77; }

# --- prerequisites -> 77 ------------------------------------------------------
[ "$(id -u)" = 0 ] || skip "not root (UML, network namespaces)"
[ -x /usr/bin/linux ] || skip "no UML kernel /usr/bin/linux (package user-mode-linux)"
[ -d /usr/lib/uml/modules ] || skip "no UML modules /usr/lib/uml/modules (package user-mode-linux)"
[ -x /usr/lib/ipsec/charon ] || skip "no strongSwan charon (package strongswan-charon)"
[ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-netlink.so ] ||
	skip "no strongSwan kernel-netlink plugin (package strongswan-charon)"
command -v swanctl >/dev/null || skip "no swanctl (package strongswan-swanctl)"
command -v certtool >/dev/null || skip "no certtool (package gnutls-bin)"
command -v iptables-legacy >/dev/null || skip "no iptables-legacy (package iptables)"
[ -x /usr/sbin/modprobe ] || skip "no /usr/sbin/modprobe (package kmod; needed inside UML)"
command -v ping >/dev/null || skip "no ping (package iputils-ping)"
command -v tar >/dev/null || skip "no tar (copies the guest's logs out)"

# an ASan binary aborts at once inside UML ("Shadow memory range interleaves
# with an existing memory mapping"): refuse it here, with the way out
is_asan() { grep -q -a -m 1 __asan_init "$1" 2>/dev/null; }
if [ "$ADAPTER" = kanmon ]; then
	if [ -n "${KANMON_UML_BIN:-}" ]; then
		KANMOND=$KANMON_UML_BIN/core/kanmond
		KANMONCTL=$KANMON_UML_BIN/core/kanmonctl
		PLUGIN_DIR=$KANMON_UML_BIN/plugins
	fi
	# (kernel-user.so only for the lab adapter's prereq: kanmond-xfrm.sh swaps it out)
	for _b in "${KANMOND:-}" "${KANMONCTL:-}" "${PLUGIN_DIR:-}/kernel-xfrm.so" "${PLUGIN_DIR:-}/ikev2.so" \
		"${PLUGIN_DIR:-}/kernel-user.so"; do
		case $_b in ''|/plugins/*) skip "no kanmon build: set KANMON_UML_BIN to a build tree without ASan (or KANMOND, KANMONCTL, PLUGIN_DIR)" ;; esac
		[ -f "$_b" ] || skip "$_b missing (KANMON_UML_BIN=${KANMON_UML_BIN:-unset}: is the build complete? ctest -R xfrm.uml.build makes <build>/uml-ubsan)"
	done
	for _b in "$KANMOND" "$PLUGIN_DIR/ikev2.so" "$PLUGIN_DIR/kernel-xfrm.so"; do
		is_asan "$_b" && skip "$_b is an ASan build (ASan cannot run in UML): set KANMON_UML_BIN to a UBSan build, e.g. <build>/uml-ubsan (ctest -R xfrm.uml.build)"
	done
	command -v jq >/dev/null || skip "no jq (the kanmon adapter reads kanmonctl --json)"
fi

T0=$(now_ms)
W=$(mktemp -d /tmp/kanmon-uml-ikev2.XXXXXX) || exit 1
UPID=
# shellcheck disable=SC2317  # (called from the EXIT trap)
cleanup() {
	if [ -n "$UPID" ]; then kill -TERM "$UPID" 2>/dev/null; wait "$UPID" 2>/dev/null; fi
	[ -n "$KEEP" ] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

echo "== $TEST: IKEv2 in user-mode Linux, kernel ESP on both ends"

# --- files for the guest: it sees the host's / read-only, with its own /tmp --
mkdir -p "$W/lab" "$W/bin" "$W/plugins" || exit 1
cp -R "$LAB/run" "$LAB/lib" "$LAB/profiles" "$LAB/scenarios" "$LAB/adapters" "$W/lab/" || exit 1
# the adapter "kanmon" of the guest is kanmon-xfrm.sh around the lab's own
# kanmon adapter (kanmon-user.sh there): scenarios that want kanmon run too
mv "$W/lab/adapters/kanmon.sh" "$W/lab/adapters/kanmon-user.sh" &&
cp "$HERE/kanmon-xfrm.sh" "$W/lab/adapters/kanmon.sh" || exit 1
# the lab's charons load kernel-libipsec before kernel-netlink (the host has
# no ESP); here both ends use the kernel's ESP: take kernel-libipsec out of
# the copy, and make sure it was there to take out
_cs=$W/lab/lib/charon.sh
grep -q '^LAB_CHARON_PLUGINS=".* kernel-libipsec kernel-netlink ' "$_cs" ||
	{ echo "FAIL $TEST: test/lab/lib/charon.sh no longer lists 'kernel-libipsec kernel-netlink' in LAB_CHARON_PLUGINS: adjust run-ikev2.sh"; exit 1; }
sed -i '/^LAB_CHARON_PLUGINS=/s/ kernel-libipsec kernel-netlink / kernel-netlink /' "$_cs" || exit 1
if [ "$ADAPTER" = kanmon ]; then
	cp "$KANMOND" "$KANMONCTL" "$W/bin/" &&
	cp "$HERE/kanmond-xfrm.sh" "$W/bin/kanmond-xfrm" && chmod +x "$W/bin/kanmond-xfrm" &&
	cp "$PLUGIN_DIR/kernel-xfrm.so" "$PLUGIN_DIR/ikev2.so" "$PLUGIN_DIR/kernel-user.so" "$W/plugins/" || exit 1
fi
[ -n "$KEEP" ] && : > "$W/.keep"

# --- boot UML and run the lab inside ----------------------------------------
t=$(now_ms)
sh "$HERE/uml-run.sh" -m "${LAB_UML_MEM:-512M}" -T "${LAB_UML_TIMEOUT:-300}" "$W" "$HERE/ikev2-guest.sh" \
	"$NAME" "$ADAPTER" &
UPID=$!
RC=0; wait "$UPID" || RC=$?
UPID=
UML_MS=$(( $(now_ms) - t ))
case $RC in
0) echo "PASS $TEST: UML run $UML_MS ms, total $(( $(now_ms) - T0 )) ms" ;;
77) exit 77 ;;
*)
	_r=$(grep -E '^(FAIL|SKIP)' "$W/script.log" 2>/dev/null | tail -n 1)
	_r=${_r#FAIL }
	case $RC in
	124) _r=${_r:-"the in-guest test ran out of time"} ;;
	125) _r=${_r:-"UML did not finish (see console above)"} ;;
	esac
	[ -n "$KEEP" ] && echo "work directory kept: $W (script.log, console.log, lab-work/: the guest's logs, capture)"
	echo "FAIL $TEST after $(( $(now_ms) - T0 )) ms: ${_r:-exit status $RC}"
	exit 1 ;;
esac
[ -n "$KEEP" ] && echo "work directory kept: $W (script.log, console.log, lab-work/)"
exit 0
