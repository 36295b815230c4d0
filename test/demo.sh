#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh - kanmon's main job on its shipped default configuration: kanmond
# (installed by `cmake --install build`) serves a client in a lab network
# namespace, then `kanmonctl status` shows the session. Runs as root; leaves
# nothing behind (namespaces, processes) even when interrupted.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
prefix=${KANMON_PREFIX:-/usr/local}
conf=$prefix/etc/kanmon/kanmon.conf
kanmond=$prefix/sbin/kanmond
kanmonctl=$prefix/bin/kanmonctl
probe=$here/build/test/udp_probe
ns_srv=kanmon-demo-srv ns_cli=kanmon-demo-cli
log=$(mktemp /tmp/kanmon-demo.XXXXXX.log)
pid=

[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (network namespaces)"; exit 77; }
for f in "$conf" "$kanmond" "$kanmonctl" "$probe"; do
	[ -e "$f" ] || { echo "demo.sh: $f missing: build and install first (see README)"; exit 1; }
done

cleanup() {
	if [ -n "$pid" ]; then
		"$kanmonctl" -c "$conf" stop >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
		i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	fi
	ip netns del "$ns_cli" 2>/dev/null || true
	ip netns del "$ns_srv" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# the unprivileged user kanmond runs as
id kanmon >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin kanmon

# lab: client 198.51.100.2 --veth-- 198.51.100.1 server (documentation addresses only)
cleanup
ip netns add "$ns_srv"
ip netns add "$ns_cli"
ip link add srv0 netns "$ns_srv" type veth peer name cli0 netns "$ns_cli"
ip -n "$ns_srv" addr add 198.51.100.1/24 dev srv0
ip -n "$ns_cli" addr add 198.51.100.2/24 dev cli0
ip -n "$ns_srv" link set lo up; ip -n "$ns_srv" link set srv0 up
ip -n "$ns_cli" link set lo up; ip -n "$ns_cli" link set cli0 up

echo "== kanmond -t -c $conf"
"$kanmond" -t -c "$conf"
echo "== starting kanmond in namespace $ns_srv (log: $log)"
ip netns exec "$ns_srv" "$kanmond" -f -c "$conf" 2>"$log" &
pid=$!

echo "== client in namespace $ns_cli says hello"
if ! ip netns exec "$ns_cli" "$probe" -w 5000 198.51.100.1 7777 "hello demo@example.com"; then
	echo "demo.sh: kanmond did not answer; its log:"; cat "$log"; exit 1
fi
echo "== kanmonctl status"
"$kanmonctl" -c "$conf" status
echo "== kanmonctl leases"
"$kanmonctl" -c "$conf" leases
