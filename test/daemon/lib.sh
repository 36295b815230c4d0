# SPDX-License-Identifier: MIT
# lib.sh - shared by the daemon-level tests: start kanmond on loopback with a
# generated configuration, wait by polling with deadlines, clean up on exit.
# Usage: . lib.sh; needs KANMOND, KANMONCTL, PROBE, PLUGIN_DIR in the environment.
set -eu

fail() {
	echo "FAIL: $*" >&2
	if [ -n "${work:-}" ] && [ -f "$work/kanmond.log" ]; then
		echo "--- last lines of kanmond's log:" >&2
		tail -n 25 "$work/kanmond.log" >&2
	fi
	exit 1
}
skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root (privilege drop, /run)"
command -v jq >/dev/null || skip "jq not installed (apt-get install jq)"

work=$(mktemp -d /tmp/kanmon-test.XXXXXX)
chmod 755 "$work"
kpid=
cleanup() {
	if [ -n "$kpid" ] && kill -0 "$kpid" 2>/dev/null; then
		kill -9 "$kpid" 2>/dev/null || true
		wait "$kpid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

port=$("$PROBE" -F)
sock=$work/run/kanmon.sock
state=$work/state

# write_conf [EXTRA_SAMPLE_SETTINGS] [USER] [LEASE_TIME] [RANGE]
write_conf() {
	cat > "$work/kanmon.conf.tmp" <<CONF
plugins = ["sample"];
plugin_dir = "$PLUGIN_DIR";
listen = ["127.0.0.1"];
state_dir = "$state";
control_socket = "$sock";
user = "${2-nobody}";
log = { level = "info"; };
pools = ( { name = "clients"; range = "${4:-203.0.113.2-203.0.113.126}"; dns = ["198.51.100.53"]; lease_time = ${3:-86400}; } );
sample = { port = $port; pool = "clients"; ${1:-} };
CONF
	mv "$work/kanmon.conf.tmp" "$work/kanmon.conf"
}

ctl() { "$KANMONCTL" -s "$sock" "$@"; }

# start_kanmond: foreground process, ready when the sample answers (5 s deadline)
start_kanmond() {
	"$KANMOND" -f -c "$work/kanmon.conf" 2>>"$work/kanmond.log" &
	kpid=$!
	"$PROBE" -q -w 5000 127.0.0.1 "$port" "hello readiness-probe" || fail "kanmond not ready within 5 s"
}

# wait_gone PID: bounded wait for a process to exit
wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "process $1 did not exit within 10 s"
		sleep 0.05
	done
}
