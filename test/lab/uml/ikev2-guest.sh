#!/bin/sh
# SPDX-License-Identifier: MIT
# ikev2-guest.sh NAME ADAPTER - inside the UML guest (run-ikev2.sh boots it,
# cwd /mnt/work = the host's work directory): the netns lab's own runner
# (lab/run, a copy of test/lab) for one IKEv2 profile or scenario, against
# ADAPTER (kanmon: kanmond + kernel-xfrm, see kanmon-xfrm.sh; strongswan:
# the baseline),
# with kernel ESP on both ends. Exit status: lab/run's.
#
# What differs from the host lab, and why:
#  - iptables is iptables-legacy (iptables-nft fails in this UML kernel:
#    "TABLE_ADD failed (Operation not supported)"): a wrapper first in PATH;
#  - the lab's charons use kernel-netlink (run-ikev2.sh takes kernel-libipsec
#    out of the copy of lib/charon.sh): real kernel ESP on the client too;
#  - the lab's work directory is in the guest's /tmp (unix sockets do not
#    work on hostfs); it is copied to /mnt/work/lab-work when .keep asks
#    for it (run-ikev2.sh --keep).
set -u
NAME=$1 ADAPTER=$2
W=/mnt/work

# esp4/esp6 and xfrm_user for both ends; the crypto modules auto-load with
# the first SA; NAT for the lab's NAT router
# the first SA; NAT for the lab's NAT router; tun because lab/run insists on
# /dev/net/tun (kernel-libipsec's, unused here: devtmpfs makes the node when
# the module registers it)
modprobe -a veth esp4 esp6 xfrm_user iptable_nat xt_MASQUERADE tun 2>/dev/null
modprobe -a veth esp4 xfrm_user iptable_nat xt_MASQUERADE tun ||
	{ echo "FAIL: modprobe veth esp4 xfrm_user iptable_nat xt_MASQUERADE tun"; exit 1; }
printf '#!/bin/sh\nexec iptables-legacy "$@"\n' > /run/bin/iptables && chmod +x /run/bin/iptables || exit 1

mkdir -p /tmp/lab-work
rc=0
TMPDIR=/tmp/lab-work LAB_KEEP=yes \
KANMOND=$W/bin/kanmond-xfrm KANMOND_REAL=$W/bin/kanmond KANMONCTL=$W/bin/kanmonctl PLUGIN_DIR=$W/plugins \
	sh "$W/lab/run" "$NAME" --server "$ADAPTER" || rc=$?

if [ -e "$W/.keep" ]; then
	# regular files only (tar leaves the sockets out, saying so: quiet)
	mkdir -p "$W/lab-work" && tar -C /tmp/lab-work -cf - . 2>/dev/null | tar -C "$W/lab-work" -xf - 2>/dev/null
	echo "guest work directory copied to lab-work/"
fi
if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
	echo "----- guest kernel messages (last 10) -----"
	dmesg 2>/dev/null | tail -n 10
fi
exit "$rc"
