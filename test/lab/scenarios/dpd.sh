# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# Scenario (sourced by test/lab/run after its profile): an iOS client whose
# link is cut - a phone that leaves coverage, nothing said, no DELETE. Issue
# 10 ("Liveness/DPD"): a silent client is probed and removed within `dpd` +
# 15 s, its lease offline. kanmond runs with dpd = 3 (LAB_DPD_DELAY) so the
# test is short; ikev2_req.c: a liveness check after `dpd` seconds without
# anything from the client (IKE or ESP), retransmitted after 1, 3 and 7 s,
# given up 15 s after the first send.
# Expected:
# - before the cut, an idle client is probed (the client answers the empty
#   INFORMATIONAL requests: "parsed INFORMATIONAL request N [ ]" in its log);
# - the cut: every packet between the client and the NAT router is dropped
#   (iptables in the NAT namespace, both directions), the client's charon
#   keeps its SAs and never says goodbye;
# - within dpd + 15 s (+ LAB_DPD_MARGIN for the 1 s timer ticks and the
#   polling) the session is gone from `sessions` and the lease is offline;
# - kanmond logs the removal ("no answer to our liveness check in 15 s:
#   removed"); its liveness checks after the cut are counted by the NAT's drop
#   rule (server -> client packets: the first check and its retransmits) and
#   at stop ("N liveness checks, 1 clients gone silent").
SCENARIO_PROFILE=ios
SCENARIO_DESC="iOS client whose link is cut (no DELETE): removed by kanmond within dpd + 15 s, lease offline"
LAB_DPD_DELAY=3
LAB_DPD_MARGIN=${LAB_DPD_MARGIN:-2}
# shellcheck source=SCRIPTDIR/../lib/session.sh
. "$LAB/lib/session.sh"

scenario_prereq() {
	[ "$ADAPTER" = kanmon ] || { echo "checks kanmond's liveness log lines: adapter kanmon only"; return 1; }
}

nat_ipt() { ip netns exec "$LAB_NS_NAT" iptables "$@"; }
# packets dropped by the cut towards the client (server -> client)
cut_dropped_to_client() {
	nat_ipt -L FORWARD -v -n -x 2>/dev/null | awk '$3 == "DROP" && $7 == "lan0" { print $1; exit }'
}
client_probed() { [ "$(grep -c -E 'parsed INFORMATIONAL request [0-9]+ \[ \]' "$LAB_CLIENT_DIR/charon.log")" -gt "$1" ]; }

scenario_main() {
	step "IKE up"
	client_up
	VIP4=$(client_vip4) || lab_fail "VIP: the client got no IPv4 virtual address"
	wait_until 5 server_lease "$VIP4" online "$PROFILE_LEASE_ID" ||
		lab_fail "VIP: the server's leases do not show $VIP4 online for '$PROFILE_LEASE_ID': $(adapter leases 5 | tr '\n' ';')"
	wait_until 5 server_one_session "$PROFILE_LEASE_ID" "$VIP4" ||
		lab_fail "server: no ESTABLISHED session of $PROFILE_LEASE_ID with $VIP4: $(adapter sessions 5 | tr '\n' ';')"
	SESSION=$(server_sessions_of "$PROFILE_LEASE_ID")

	step "ping LAN host $LAB_LAN_HOST4"
	client_ping "$LAB_LAN_HOST4" ||
		lab_fail "ping: no reply from $LAB_LAN_HOST4 through the tunnel: $(grep -E 'transmitted|nreachable' "$LAB_CLIENT_DIR/ping.log" | tail -n 2 | tr '\n' ' ')"

	step "idle client probed (dpd $LAB_DPD_DELAY s)"
	_n0=$(grep -c -E 'parsed INFORMATIONAL request [0-9]+ \[ \]' "$LAB_CLIENT_DIR/charon.log")
	wait_until $((LAB_DPD_DELAY * 2 + 2)) client_probed "$_n0" ||
		lab_fail "the server sent no liveness check to the idle client within $((LAB_DPD_DELAY * 2 + 2)) s (no empty INFORMATIONAL request in the client's log)"

	step "link cut (client <-> NAT router)"
	nat_ipt -I FORWARD -i lan0 -j DROP && nat_ipt -I FORWARD -o lan0 -j DROP ||
		lab_fail "iptables in $LAB_NS_NAT could not drop the client's traffic"
	_t0=$(now_ms)

	_bound=$((LAB_DPD_DELAY + 15 + LAB_DPD_MARGIN))
	step "session removed (bound dpd + 15 s + $LAB_DPD_MARGIN s)"
	wait_until "$_bound" server_no_session "$PROFILE_LEASE_ID" ||
		lab_fail "kanmond still lists the session of $PROFILE_LEASE_ID $_bound s after the cut (dpd $LAB_DPD_DELAY): $(adapter sessions 5 | tr '\n' ';')"
	GONE_MS=$(( $(now_ms) - _t0 ))
	_left=$(( _bound * 1000 - GONE_MS ))
	[ "$_left" -gt 0 ] || _left=1
	wait_until "$(awk -v m="$_left" 'BEGIN { printf "%.2f", m / 1000 }')" server_lease "$VIP4" offline ||
		lab_fail "the session is gone but the lease of $VIP4 is not offline $_bound s after the cut: $(adapter leases 5 | tr '\n' ';')"
	OFFLINE_MS=$(( $(now_ms) - _t0 ))
	pid_alive "$(charon_pid "$LAB_CLIENT_DIR")" ||
		lab_fail "the client charon died (the cut, not the client, must end the session)"

	step "removal logged"
	REMOVED=$(adapter log 5 | grep -F "($PROFILE_LEASE_ID)" | grep -E "no answer to our liveness check in [0-9]+ s: removed" | tail -n 1)
	[ -n "$REMOVED" ] ||
		lab_fail "kanmond did not log the removal ('no answer to our liveness check ... removed'): $(adapter log 5 | grep -F "$PROFILE_LEASE_ID" | tail -n 2 | tr '\n' ' ')"
	PROBES=$(cut_dropped_to_client)
	[ "${PROBES:-0}" -ge 2 ] ||
		lab_fail "kanmond sent ${PROBES:-0} packets to the cut client (expected its liveness check and retransmits)"

	server_stop
	STATS=$(adapter log 5 | grep -F "[ikev2] stopping:" | tail -n 1)
	case $STATS in
	*" 1 clients gone silent"*) ;;
	*) lab_fail "kanmond's stop line does not count 1 client gone silent: ${STATS:-no stop line}" ;;
	esac
	_checks=$(printf '%s\n' "$STATS" | sed -n 's/.* \([0-9][0-9]*\) liveness checks.*/\1/p')
	echo "   cut after a ping; session gone after $GONE_MS ms, lease offline after $OFFLINE_MS ms (bound $((_bound * 1000)) ms)"
	echo "   $PROBES packets to the cut client (liveness check + retransmits); $_checks liveness checks in all"
	echo "   server: $REMOVED"
	echo "   session was: $SESSION"
}
