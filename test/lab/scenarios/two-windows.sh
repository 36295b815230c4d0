# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# Scenario (sourced by test/lab/run after its profile): two Windows machine
# certificate clients behind the SAME NAT router at once. SEEDS.md A: "policies
# generated per client and port-strict (several clients behind one NAT)";
# SEEDS.md B / CLIENTS.md 2.6: SAs keyed by address AND NAT port. The second
# client lives in its own namespace on another /28 of the NAT router
# (topo_add_client), so both reach the server as 198.51.100.2, with different
# ports after MASQUERADE. Distinct certificates and identities.
# Expected: both connect (initiated concurrently), get distinct VIPs from the
# pool, both ping the LAN host, the server lists both sessions (same peer
# address, different ports) and both leases online; after both disconnect the
# leases are offline and the sessions gone.
SCENARIO_PROFILE=windows-cert
SCENARIO_DESC="two Windows machine-cert clients behind one NAT at once: distinct VIPs, both ping, both sessions listed"
CLI2_ADDR=192.0.2.18
CLI2_GW=192.0.2.17
CLI2_CN=win10-b.example.com
CLI2_ID="C=US, O=Lab, CN=$CLI2_CN"
CLI1_ID=$PROFILE_LEASE_ID

use_client() { # 1|2
	if [ "$1" = 1 ]; then
		client_select "$LAB_WORK/client" "${LAB_NS_CLI0:-$LAB_NS_CLI}"
	else
		client_select "$LAB_WORK/client2" "$CLI2_NS"
	fi
}

scenario_setup() {
	topo_add_client cli2 "$CLI2_ADDR" "$CLI2_GW" 2>>"$LAB_WORK/topology.log" ||
		lab_fail "topology: second client: $(tail -n 3 "$LAB_WORK/topology.log" | tr '\n' ' ')"
	CLI2_NS=$LAB_NS_ADDED
	mkdir -p "$LAB_WORK/client2"
	use_client 2
	# the profile with another machine certificate
	# shellcheck disable=SC2317
	profile_credentials() {
		client_cert "country = \"US\"
organization = \"Lab\"
cn = \"$CLI2_CN\""
	}
	client_setup 2>"$LAB_WORK/client2-setup.log" ||
		lab_fail "second client setup: $(tail -n 3 "$LAB_WORK/client2-setup.log" | tr '\n' ' ')"
	use_client 1
	LAB_DIAG_HOOK=scenario_diagnostics
}

scenario_diagnostics() {
	use_client 1
	diagnostics
	use_client 2
	[ -s "$LAB_CLIENT_DIR/initiate.log" ] && lab_tail "client 2 swanctl --initiate" "$LAB_CLIENT_DIR/initiate.log" 15
	grep -v "vici client" "$LAB_CLIENT_DIR/charon.log" > "$LAB_WORK/client2.log" 2>/dev/null
	lab_tail "client 2 log" "$LAB_WORK/client2.log" 30
	use_client 1
}

scenario_cleanup() {
	charon_stop "$LAB_WORK/client" 2>/dev/null
	charon_stop "$LAB_WORK/client2" 2>/dev/null
}

# the server's session line for VIP (ESTABLISHED)
session_of() { adapter sessions 5 | awk -v v="$1" '{ n = split($4, a, ","); for (i = 1; i <= n; i++) if (a[i] == v && $5 == "ESTABLISHED") print }'; }
has_session() { [ -n "$(session_of "$1")" ]; }
no_session() { [ -z "$(session_of "$1")" ]; }
lease_online_for() { # VIP IDENTITY
	adapter leases 5 | awk -v v="$1" '$1 == v && $2 == "online" { $1 = ""; $2 = ""; sub(/^  /, ""); print }' |
		sed 's/, /,/g' | grep -q -x -F "$(echo "$2" | sed 's/, /,/g')"
}
lease_offline() { adapter leases 5 | awk -v v="$1" '$1 == v && $2 == "offline" { f = 1 } END { exit !f }'; }

scenario_main() {
	step "client 2 start"
	use_client 2
	client_start 2>"$LAB_WORK/client2-start.log" ||
		lab_fail "client 2: charon did not start: $(tail -n 3 "$LAB_WORK/client2-start.log" | tr '\n' ' ')"

	step "IKE up (both at once)"
	use_client 1
	client_sw --initiate --child "$CLIENT_CONN" --timeout 12 >"$LAB_CLIENT_DIR/initiate.log" 2>&1 &
	_ip1=$!
	use_client 2
	client_sw --initiate --child "$CLIENT_CONN" --timeout 12 >"$LAB_CLIENT_DIR/initiate.log" 2>&1 &
	_ip2=$!
	_r1=0; _r2=0
	wait "$_ip1" || _r1=$?
	wait "$_ip2" || _r2=$?
	for _c in 1 2; do
		use_client "$_c"
		if [ "$_c" = 1 ]; then _r=$_r1; else _r=$_r2; fi
		[ "$_r" -eq 0 ] || lab_fail "IKE: client $_c could not connect: $(lab_reason "$LAB_CLIENT_DIR/initiate.log")"
		wait_until 5 client_established ||
			lab_fail "IKE: client $_c has no ESTABLISHED IKE_SA with an INSTALLED CHILD_SA: $(lab_reason "$LAB_CLIENT_DIR/charon.log")"
	done

	step "distinct virtual IPs, leases, sessions"
	for _c in 1 2; do
		use_client "$_c"
		_v=$(client_sa_field local-vips) || _v=
		[ -n "$_v" ] || lab_fail "VIP: client $_c got no virtual address"
		ip4_in_range "$_v" "$LAB_POOL4" || lab_fail "VIP: client $_c got $_v, not in the pool $LAB_POOL4"
		if [ "$_c" = 1 ]; then VIP1=$_v; else VIP2=$_v; fi
	done
	[ "$VIP1" != "$VIP2" ] || lab_fail "VIP: both clients got $VIP1"
	wait_until 5 lease_online_for "$VIP1" "$CLI1_ID" ||
		lab_fail "leases: $VIP1 not online for '$CLI1_ID': $(adapter leases 5 | tr '\n' ';')"
	wait_until 5 lease_online_for "$VIP2" "$CLI2_ID" ||
		lab_fail "leases: $VIP2 not online for '$CLI2_ID': $(adapter leases 5 | tr '\n' ';')"
	for _c in 1 2; do
		if [ "$_c" = 1 ]; then _v=$VIP1 _id=$CLI1_ID; else _v=$VIP2 _id=$CLI2_ID; fi
		wait_until 5 has_session "$_v" ||
			lab_fail "sessions: no ESTABLISHED session with VIP $_v: $(adapter sessions 5 | tr '\n' ';')"
		_s=$(session_of "$_v")
		_sid=$(echo "$_s" | awk '{ print $2 }')
		[ "$_sid" = "$(echo "$_id" | sed 's/, /,/g' | tr ' ' '_')" ] ||
			lab_fail "sessions: the session of $_v has identity '$_sid', expected '$_id' ($_s)"
		if [ "$_c" = 1 ]; then SESSION1=$_s; else SESSION2=$_s; fi
	done
	_p1=$(echo "$SESSION1" | awk '{ print $3 }')
	_p2=$(echo "$SESSION2" | awk '{ print $3 }')
	[ "${_p1%%\[*}" = "$LAB_NAT_OUT" ] && [ "${_p2%%\[*}" = "$LAB_NAT_OUT" ] ||
		lab_fail "sessions: peers are $_p1 and $_p2, both should be the NAT's $LAB_NAT_OUT"
	[ "$_p1" != "$_p2" ] || lab_fail "sessions: both sessions have the same peer $_p1 (NAT ports not told apart)"

	for _c in 1 2; do
		step "client $_c pings LAN host $LAB_LAN_HOST4"
		use_client "$_c"
		client_ping "$LAB_LAN_HOST4" ||
			lab_fail "ping: client $_c got no reply from $LAB_LAN_HOST4: $(grep -E 'transmitted|nreachable' "$LAB_CLIENT_DIR/ping.log" | tail -n 2 | tr '\n' ' ')"
		[ "$(client_bytes_dir in)" -gt 0 ] && [ "$(client_bytes_dir out)" -gt 0 ] ||
			lab_fail "counters: client $_c CHILD_SA bytes in/out $(client_bytes_dir in)/$(client_bytes_dir out)"
	done

	step "both disconnect, leases offline"
	for _c in 1 2; do
		use_client "$_c"
		client_sw --terminate --ike "$CLIENT_CONN" --timeout 5 >"$LAB_CLIENT_DIR/terminate.log" 2>&1 ||
			lab_fail "disconnect: client $_c: swanctl --terminate failed: $(lab_reason "$LAB_CLIENT_DIR/terminate.log")"
	done
	use_client 1
	for _v in "$VIP1" "$VIP2"; do
		wait_until 5 lease_offline "$_v" || lab_fail "disconnect: $_v still online: $(adapter leases 5 | tr '\n' ';')"
		wait_until 5 no_session "$_v" || lab_fail "disconnect: the session of $_v is still listed"
	done
	step_end
	echo "   server sessions: $SESSION1; $SESSION2"
}
