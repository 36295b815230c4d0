#!/bin/sh
# SPDX-License-Identifier: MIT
# kanmond-xfrm.sh - KANMOND for the lab's kanmon adapter inside UML
# (run-ikev2.sh): turns the configuration adapters/kanmon.sh wrote (plugins
# kernel-user + ikev2) into the kernel-xfrm one, then runs the real kanmond
# (KANMOND_REAL) with the same arguments. So the adapter, its scenarios'
# extras (LAB_KANMON_IKEV2_EXTRA, ctl ...) and its checks stay exactly the
# netns lab's; only the SA backend differs:
#   plugins = ["kernel-user", "ikev2"]  ->  ["kernel-xfrm", "ikev2"]
#   kernel-user = { ... };              ->  kernel-xfrm = { natt_port = 4500; routes = true; };
#   log subsystems: kernel-user's level is kernel-xfrm's, else kernel-xfrm
#                 at debug (its route lines)
# A configuration of another shape is refused (exit 1, saying what to adjust)
# rather than run with the wrong backend.
set -u
REAL=${KANMOND_REAL:?KANMOND_REAL: the real kanmond}
conf=; prev=
for a; do
	[ "$prev" = -c ] && conf=$a
	prev=$a
done
if [ -n "$conf" ] && ! grep -q '^plugins = \["kernel-xfrm", "ikev2"\];' "$conf"; then
	grep -q '^plugins = \["kernel-user", "ikev2"\];' "$conf" && grep -q '^kernel-user = {' "$conf" || {
		echo "kanmond-xfrm.sh: $conf has no 'plugins = [\"kernel-user\", \"ikev2\"];' and 'kernel-user = {' block:" \
			"adapters/kanmon.sh changed its configuration, adjust test/lab/uml/kanmond-xfrm.sh" >&2
		exit 1
	}
	awk '
	/^plugins = \["kernel-user", "ikev2"\];/ { print "plugins = [\"kernel-xfrm\", \"ikev2\"];\t# kanmond-xfrm.sh: kernel ESP"; next }
	/^kernel-user = \{/ { skip = 1
		print "kernel-xfrm = {\t# kanmond-xfrm.sh (instead of kernel-user)"
		print "\tnatt_port = 4500;\t# the ikev2 plugin'"'"'s NAT-T socket"
		print "\troutes = true;\t\t# the VIPs routed towards the NAT router: the LAN'"'"'s replies reach the policies"
		print "};"
		next }
	skip && /^};/ { skip = 0; next }
	skip { next }
	/^log = / {
		# the level of kernel-user becomes that of kernel-xfrm; else kernel-xfrm at debug
		if (!gsub(/kernel-user/, "kernel-xfrm"))
			sub(/ikev2 = "debug";/, "ikev2 = \"debug\"; kernel-xfrm = \"debug\";")
	}
	{ print }
	' "$conf" > "$conf.xfrm" && mv "$conf.xfrm" "$conf" || exit 1
fi
exec "$REAL" "$@"
