#!/bin/sh
# SPDX-License-Identifier: MIT
# ctl.sh - kanmond + kanmonctl as an operator uses them: status/leases/plugins
# as tables and JSON (schema checked), kill, reload (good and refused), stop,
# leases across a restart, privilege drop, file modes, "not running".
. "$(dirname "$0")/lib.sh"
write_conf
out=$(ctl status 2>&1) && fail "status without a daemon succeeded: $out"
echo "$out" | grep -q "not running" || fail "no clear 'not running' message: $out"

start_kanmond
# two clients, one of them leaves again
a=$("$PROBE" 127.0.0.1 "$port" "hello alice@example.com") || fail "alice got no answer"
b=$("$PROBE" 127.0.0.1 "$port" "hello bob@example.com") || fail "bob got no answer"
case "$a" in "hello alice@example.com 203.0.113."*) ;; *) fail "alice's answer lacks a pool address: $a" ;; esac
alice_ip=${a##* }

json=$(ctl status --json) || fail "status --json failed"
echo "$json" | jq -e '
	.version == 1 and (.daemon.pid | type == "number") and
	(.sessions | length) >= 3 and
	all(.sessions[]; (.id|type=="number") and (.plugin=="sample") and (.identity|type=="string")
		and (.peer=="127.0.0.1") and (.peer_port|type=="number") and (.vips|type=="array")
		and (.state|type=="string") and (.established|type=="number")
		and (.bytes_in|type=="number") and (.bytes_out|type=="number") and has("algorithms"))' \
	>/dev/null || fail "status JSON does not follow the schema: $json"
alice_id=$(echo "$json" | jq -r '.sessions[] | select(.identity=="alice@example.com") | .id')
echo "$json" | jq -e --arg ip "$alice_ip" '.sessions[] | select(.identity=="alice@example.com") |
	.vips == [$ip] and .bytes_in > 0 and .bytes_out > 0' >/dev/null || fail "alice's session is wrong: $json"
ctl status | grep -q "alice@example.com" || fail "table status lacks alice"
ctl plugins --json | jq -e '.plugins[0].name == "sample" and .plugins[0].abi == "1.0"' >/dev/null ||
	fail "plugins --json wrong"
ctl leases --json | jq -e --arg ip "$alice_ip" \
	'.leases[] | select(.identity=="alice@example.com") | .address == $ip and .state == "online"' \
	>/dev/null || fail "alice's lease is not online"

# kill: the session goes, the lease goes offline (still reserved)
ctl kill "$alice_id" | grep -q "killed" || fail "kill did not report success"
ctl status --json | jq -e '[.sessions[] | select(.identity=="alice@example.com")] | length == 0' >/dev/null ||
	fail "killed session still listed"
ctl leases --json | jq -e '.leases[] | select(.identity=="alice@example.com") | .state == "offline"' >/dev/null ||
	fail "killed session's lease is not offline"
ctl kill 999999 2>/dev/null && fail "killing an unknown session succeeded"
ctl kill notanumber 2>/dev/null && fail "killing 'notanumber' succeeded"
ctl frobnicate 2>/dev/null && fail "unknown command succeeded"

# reload: a good change applies, a broken file is refused with file:line
write_conf 'greeting = "welcome";'
ctl reload >/dev/null || fail "reload of a valid change failed"
r=$("$PROBE" 127.0.0.1 "$port" "hello carol") || fail "no answer after reload"
case "$r" in "welcome carol "*) ;; *) fail "reloaded greeting not used: $r" ;; esac
echo 'sample = { port = ' >> "$work/kanmon.conf"
err=$(ctl reload 2>&1) && fail "reload of a broken file succeeded"
echo "$err" | grep -q "kanmon.conf:[0-9]*: syntax error" || fail "reload error lacks file:line: $err"
r=$("$PROBE" 127.0.0.1 "$port" "hello dave") || fail "daemon stopped answering after a refused reload"
case "$r" in "welcome dave "*) ;; *) fail "refused reload changed behaviour: $r" ;; esac

# least privilege: user nobody, CAP_NET_ADMIN (bit 12) only; private files
uid=$(awk '/^Uid:/ {print $2}' "/proc/$kpid/status")
[ "$uid" = "$(id -u nobody)" ] || fail "kanmond runs as uid $uid, not nobody"
capeff=$(awk '/^CapEff:/ {print $2}' "/proc/$kpid/status")
[ "$capeff" = "0000000000001000" ] || fail "effective capabilities $capeff, expected CAP_NET_ADMIN only"
[ "$(stat -c %a "$sock")" = 660 ] || fail "control socket mode $(stat -c %a "$sock")"
[ "$(stat -c %a "$state")" = 700 ] || fail "state_dir mode $(stat -c %a "$state")"
[ "$(stat -c %a "$state/kanmon.db")" = 600 ] || fail "store mode $(stat -c %a "$state/kanmon.db")"
[ "$(stat -c %U "$state/kanmon.db")" = nobody ] || fail "store not owned by nobody"

# stop over the socket; leases survive the restart; alice comes back to her address
ctl stop >/dev/null || fail "stop failed"
wait_gone "$kpid"
wait "$kpid" || fail "kanmond exited with an error after stop"
kpid=
"$KANMONCTL" --dir "$state" leases --offline | grep -q "alice@example.com" || fail "offline leases lack alice"
write_conf
start_kanmond
a2=$("$PROBE" 127.0.0.1 "$port" "hello alice@example.com") || fail "alice got no answer after restart"
[ "${a2##* }" = "$alice_ip" ] || fail "alice got ${a2##* } after restart, had $alice_ip"

# a corrupt store stops start-up with a clear message and is never overwritten
ctl stop >/dev/null || fail "stop failed"
wait_gone "$kpid"
kpid=
head -c 8192 /dev/urandom > "$state/kanmon.db"
rm -f "$state/kanmon.db-wal" "$state/kanmon.db-shm"
before=$(md5sum < "$state/kanmon.db")
if "$KANMOND" -f -c "$work/kanmon.conf" 2>"$work/corrupt.log"; then
	fail "kanmond started on a corrupt store"
fi
grep -q "kanmon.db" "$work/corrupt.log" || fail "no message naming the store: $(cat "$work/corrupt.log")"
[ "$(md5sum < "$state/kanmon.db")" = "$before" ] || fail "the corrupt store was modified"
echo "1 passed, 0 failed"
