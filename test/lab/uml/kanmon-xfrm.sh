#!/bin/sh
# SPDX-License-Identifier: MIT
# IKEv2 server adapter for the lab inside user-mode Linux: kanmond with the
# ikev2 plugin and the kernel-xfrm SA backend (kernel ESP, kernel policies,
# routes to the clients' virtual IPs by kernel-xfrm itself). run-ikev2.sh
# installs it as adapters/kanmon.sh of the guest's copy of test/lab, and the
# netns lab's kanmon adapter next to it as adapters/kanmon-user.sh; so tests
# and scenarios see the adapter "kanmon" (test/lab/README.md, "Writing a
# server adapter").
#
# Everything is kanmon-user.sh's (configuration, start, sessions, leases,
# log, ctl), run with KANMOND = kanmond-xfrm.sh, which turns its
# configuration into the kernel-xfrm one. Added here:
#   prereq  the kernel has ESP (esp4 loaded);
#   stop    fails when an SA, XFRM policy or proto 75 route is left in the
#           server namespace once no session is left (within 3 s), or after
#           kanmond's exit: kernel-xfrm must clean up at each DELETE and at
#           its fini, not only the latter.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$HERE/../lib/common.sh"
BASE=$HERE/kanmon-user.sh

prereq() {
	[ -f "$BASE" ] || { echo "no $BASE (run-ikev2.sh puts the lab's adapters/kanmon.sh there)"; return 1; }
	[ -n "${KANMOND_REAL:-}" ] && [ -x "$KANMOND_REAL" ] ||
		{ echo "KANMOND_REAL does not name the kanmond binary (KANMOND is kanmond-xfrm.sh)"; return 1; }
	[ -n "${PLUGIN_DIR:-}" ] && [ -f "$PLUGIN_DIR/kernel-xfrm.so" ] ||
		{ echo "no kernel-xfrm.so in PLUGIN_DIR='${PLUGIN_DIR:-}'"; return 1; }
	# kernel-xfrm's ESP probe would refuse later in the same words; say it before anything starts
	grep -q '^esp4 ' /proc/modules 2>/dev/null || [ -d /sys/module/esp4 ] ||
		{ echo "kernel without ESP (esp4 not loaded): this adapter runs in UML (test/lab/uml/run-ikev2.sh)"; return 1; }
	sh "$BASE" prereq
}

# what is in the server namespace's kernel: SAs, policies, our routes (proto 75)
kernel_left() {
	_kl_s=$(ip -n "$LAB_SERVER_NS" xfrm state 2>/dev/null | grep -c '^src')
	_kl_p=$(ip -n "$LAB_SERVER_NS" xfrm policy 2>/dev/null | grep -c '^src')
	_kl_r=$(ip -n "$LAB_SERVER_NS" route show proto 75 2>/dev/null | grep -c .)
	_kl_r6=$(ip -n "$LAB_SERVER_NS" -6 route show proto 75 2>/dev/null | grep -c .)
	[ "$_kl_s$_kl_p$_kl_r$_kl_r6" = 0000 ] ||
		echo "$_kl_s SA(s), $_kl_p XFRM policies, $((_kl_r + _kl_r6)) proto 75 route(s)"
}
kernel_clean() { [ -z "$(kernel_left)" ]; }

do_stop() {
	_ds_leak=
	if [ -n "${LAB_SERVER_NS:-}" ] && _ds_ses=$(sh "$BASE" sessions 2>/dev/null) && [ -z "$_ds_ses" ]; then
		wait_until 3 kernel_clean || _ds_leak="with no session left, kanmond still had $(kernel_left) in the kernel"
	fi
	_ds_rc=0
	sh "$BASE" stop || _ds_rc=$?
	if [ -n "${LAB_SERVER_NS:-}" ] && ! kernel_clean; then
		_ds_leak="${_ds_leak:+$_ds_leak; }after kanmond's exit the kernel still had $(kernel_left)"
	fi
	[ -z "$_ds_leak" ] || { echo "$_ds_leak"; return 1; }
	return "$_ds_rc"
}

case ${1:-} in
prereq) prereq ;;
start) prereq >&2 && exec sh "$BASE" start ;;
stop) do_stop ;;
*) exec sh "$BASE" "$@" ;;
esac
