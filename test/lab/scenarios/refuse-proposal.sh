# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# Scenario (sourced by test/lab/run after its profile): the Windows machine
# certificate client, which offers MODP1024 suites only (CLIENTS.md 1a), meets
# a server whose legacy proposals are off (LAB_LEGACY=no: kanmond's
# ikev2.legacy_proposals = []). Expected (SEEDS.md B: "one clear line per
# failure, with the reason and what to change"; CLIENTS.md 3: Windows error
# codes):
# - the client is answered NO_PROPOSAL_CHOSEN to its IKE_SA_INIT;
# - the server logs exactly one refusal line naming the client's address (the
#   NAT's 198.51.100.2), the reason (no proposal chosen, what was offered, the
#   hint to enable legacy_proposals) and Windows error 13868;
# - no session and no lease are left behind.
SCENARIO_PROFILE=windows-cert
SCENARIO_DESC="Windows (MODP1024 only) against a server without legacy suites: NO_PROPOSAL_CHOSEN, one refusal line (13868)"
LAB_LEGACY=no

scenario_prereq() {
	# the refusal line format is kanmond's (plugins/ikev2/ikev2_log.c)
	[ "$ADAPTER" = kanmon ] || { echo "checks kanmond's refusal line: adapter kanmon only"; return 1; }
}

refusals() { adapter log 5 | grep -F "refused client ${LAB_NAT_OUT}["; }
refusal_logged() { [ -n "$(refusals)" ]; }

scenario_main() {
	step "IKE refused: NO_PROPOSAL_CHOSEN"
	if client_sw --initiate --child "$CLIENT_CONN" --timeout 10 >"$LAB_CLIENT_DIR/initiate.log" 2>&1; then
		lab_fail "the client connected although the server has no legacy (MODP1024) suite"
	fi
	client_log_has "received NO_PROPOSAL_CHOSEN notify error" ||
		lab_fail "the client was not answered NO_PROPOSAL_CHOSEN: $(lab_reason "$LAB_CLIENT_DIR/charon.log")"

	step "one refusal line on the server"
	wait_until 3 refusal_logged || lab_fail "the server logged no refusal line for $LAB_NAT_OUT"
	_n=$(refusals | wc -l)
	_line=$(refusals | tail -n 1)
	[ "$_n" -eq 1 ] || lab_fail "the server logged $_n refusal lines for one attempt: $(refusals | tr '\n' ' ')"
	case $_line in
	*"no proposal chosen"*) ;;
	*) lab_fail "the refusal line does not say 'no proposal chosen': $_line" ;;
	esac
	case $_line in
	*"MODP_1024"*|*modp1024*|*"MODP1024"*) ;;
	*) lab_fail "the refusal line does not name what the client offered (MODP1024): $_line" ;;
	esac
	case $_line in
	*legacy_proposals*) ;;
	*) lab_fail "the refusal line does not say what to change (ikev2.legacy_proposals): $_line" ;;
	esac
	case $_line in
	*"Windows error 13868"*) ;;
	*) lab_fail "the refusal line does not give Windows error 13868: $_line" ;;
	esac

	step "nothing left behind"
	_s=$(adapter sessions 5)
	[ -z "$_s" ] || lab_fail "the server lists a session after the refusal: $(echo "$_s" | tr '\n' ';')"
	_l=$(adapter leases 5)
	[ -z "$_l" ] || lab_fail "the server has a lease after the refusal: $(echo "$_l" | tr '\n' ';')"
	step_end
	echo "   server: $_line"
}
