# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# Scenario (sourced by test/lab/run after its profile): the iOS client's
# charon is killed with SIGKILL while connected (a crash, a phone rebooting:
# no DELETE is sent, the server keeps its IKE SA and CHILD SA), and a new
# charon with the same identity and certificate connects again. Issue 10
# ("INITIAL_CONTACT and duplicate identities"): the reconnecting client
# replaces its stale IKE SA and CHILD SAs and gets the same address back.
# The new charon sends INITIAL_CONTACT (it has no IKE SA with the server;
# iOS does the same), and kanmond's default duplicates = "replace" would
# replace it anyway.
# Expected:
# - the new connection is up within 5 s of the kill;
# - kanmond lists exactly ONE session for the identity, ESTABLISHED, with the
#   SAME virtual IP as before; the old one ended "replaced by a new connection
#   from ... (INITIAL_CONTACT)" in its log; the lease is online;
# - ping through the new tunnel works, and a clean disconnect then leaves the
#   lease offline and no session.
SCENARIO_PROFILE=ios
SCENARIO_DESC="iOS client killed with SIGKILL reconnects within 5 s: one session, the same VIP, ping"
RECONNECT_BOUND_MS=5000
# shellcheck source=SCRIPTDIR/../lib/session.sh
. "$LAB/lib/session.sh"

scenario_prereq() {
	[ "$ADAPTER" = kanmon ] || { echo "checks kanmond's replacement log line: adapter kanmon only"; return 1; }
}

scenario_main() {
	step "IKE up"
	client_up
	VIP1=$(client_vip4) || lab_fail "VIP: the client got no IPv4 virtual address"
	ip4_in_range "$VIP1" "$LAB_POOL4" || lab_fail "VIP: $VIP1 is not in the server's pool $LAB_POOL4"
	wait_until 5 server_one_session "$PROFILE_LEASE_ID" "$VIP1" ||
		lab_fail "server: no ESTABLISHED session of $PROFILE_LEASE_ID with $VIP1: $(adapter sessions 5 | tr '\n' ';')"
	SESSION1=$(server_sessions_of "$PROFILE_LEASE_ID")
	client_ping "$LAB_LAN_HOST4" ||
		lab_fail "ping before the kill: no reply from $LAB_LAN_HOST4: $(grep -E 'transmitted|nreachable' "$LAB_CLIENT_DIR/ping.log" | tail -n 2 | tr '\n' ' ')"

	step "client charon killed (SIGKILL)"
	_t0=$(now_ms)
	client_kill || lab_fail "the client charon did not die of SIGKILL within 3 s"
	# the server has not heard of it: the old session is still there
	server_has_session "$PROFILE_LEASE_ID" ||
		lab_fail "the server dropped the session before the client came back (nothing was sent)"

	step "new charon reconnects"
	client_start 2>"$LAB_WORK/client-restart.log" ||
		lab_fail "client: the new charon did not start: $(tail -n 3 "$LAB_WORK/client-restart.log" | tr '\n' ' ')"
	client_up
	RECONNECT_MS=$(( $(now_ms) - _t0 ))
	[ "$RECONNECT_MS" -le "$RECONNECT_BOUND_MS" ] ||
		lab_fail "the client was connected again $RECONNECT_MS ms after the kill (bound $RECONNECT_BOUND_MS ms)"
	client_log_has "sending.*INITIAL_CONTACT|N\\(INIT_CONTACT\\)" ||
		log "note: the new charon's log shows no INITIAL_CONTACT"

	step "one session, the same VIP"
	VIP2=$(client_vip4) || lab_fail "VIP: the new connection got no IPv4 virtual address"
	[ "$VIP2" = "$VIP1" ] || lab_fail "VIP: the reconnected client got $VIP2, before $VIP1"
	wait_until 3 server_one_session "$PROFILE_LEASE_ID" "$VIP1" ||
		lab_fail "server: not exactly one ESTABLISHED session of $PROFILE_LEASE_ID with $VIP1: $(server_sessions_of "$PROFILE_LEASE_ID" | tr '\n' ';')"
	SESSION2=$(server_sessions_of "$PROFILE_LEASE_ID")
	[ "$(echo "$SESSION2" | awk '{ print $1 }')" != "$(echo "$SESSION1" | awk '{ print $1 }')" ] ||
		lab_fail "server: the session is still the old one ($SESSION2)"
	wait_until 3 server_lease "$VIP1" online "$PROFILE_LEASE_ID" ||
		lab_fail "leases: $VIP1 not online for '$PROFILE_LEASE_ID': $(adapter leases 5 | tr '\n' ';')"
	REPLACED=$(adapter log 5 | grep -F "($PROFILE_LEASE_ID)" | grep -E "replaced by a new connection" | tail -n 1)
	[ -n "$REPLACED" ] ||
		lab_fail "kanmond did not log that the stale session was replaced: $(adapter log 5 | grep -F "$PROFILE_LEASE_ID" | tail -n 2 | tr '\n' ' ')"

	step "ping through the new tunnel"
	client_ping "$LAB_LAN_HOST4" ||
		lab_fail "ping after the reconnect: no reply from $LAB_LAN_HOST4: $(grep -E 'transmitted|nreachable' "$LAB_CLIENT_DIR/ping.log" | tail -n 2 | tr '\n' ' ')"
	[ "$(client_bytes_dir in)" -gt 0 ] && [ "$(client_bytes_dir out)" -gt 0 ] ||
		lab_fail "counters: CHILD_SA bytes in/out $(client_bytes_dir in)/$(client_bytes_dir out) after the ping"

	step "disconnect, lease offline"
	client_sw --terminate --ike "$CLIENT_CONN" --timeout 5 >"$LAB_CLIENT_DIR/terminate.log" 2>&1 ||
		lab_fail "disconnect: swanctl --terminate failed: $(lab_reason "$LAB_CLIENT_DIR/terminate.log")"
	wait_until 5 server_lease "$VIP1" offline || lab_fail "disconnect: $VIP1 still online: $(adapter leases 5 | tr '\n' ';')"
	wait_until 5 server_no_session "$PROFILE_LEASE_ID" ||
		lab_fail "disconnect: sessions of $PROFILE_LEASE_ID still listed: $(server_sessions_of "$PROFILE_LEASE_ID" | tr '\n' ';')"
	step_end
	echo "   reconnected $RECONNECT_MS ms after the kill, VIP $VIP1 both times"
	echo "   sessions: before $SESSION1; after $SESSION2"
	echo "   server: $REPLACED"
}
