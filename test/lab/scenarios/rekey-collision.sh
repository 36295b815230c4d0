# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# Scenario (sourced by test/lab/run after its profile): both sides rekey the
# CHILD SA at the same time, several rounds, while a ping runs. Issue 10
# ("Rekeying with CREATE_CHILD_SA ... collision handling (RFC 7296 2.8.1),
# lifetimes with jitter from config"). The macOS client (rekeys without PFS).
#
# Short lifetimes force the rekeys on both sides: kanmond's ikev2 child_rekey
# = REKEY_S s, child_jitter = 0 (LAB_KANMON_IKEV2_EXTRA), the client's child
# rekey_time = REKEY_S s, rand_time = 0. Equal lifetimes alone rarely make
# the two requests cross: the client rekeys REKEY_S s after installing the
# SA, to the millisecond, kanmond when its SA backend's 1 s lifetime tick
# sees the soft expiry (kernel-user: up to ~1 s either side), and the lab's
# round trip is well under a millisecond. So each round holds the IKE
# messages (UDP 4500 with the non-ESP marker; ESP, and the ping, still pass)
# at the NAT router from the moment one side's rekey request is seen until
# the other side's is seen too (at most HOLD_MAX s: the client gives up
# after ~7 s of retransmits), then lets them through: both requests are out,
# the retransmits cross - what a network with a round trip longer than the
# two timers' skew does. LAB_REKEY_HOLD=no runs the rounds without the hold
# (natural timing; how often they collide is printed).
# Expected after REKEY_ROUNDS rounds:
# - rekeys were started by both sides (the client generated CREATE_CHILD_SA
#   requests, and parsed kanmond's); kanmond logged CHILD SA rekeys and (with
#   the hold) at least one "CHILD SA rekey collision";
# - at the client exactly one CHILD SA (one SA pair), INSTALLED, once the
#   redundant and old ones are deleted; one IKE SA; kanmond's session still
#   ESTABLISHED with the same VIP;
# - the ping running through all rounds got replies, and a new ping passes.
SCENARIO_PROFILE=macos
SCENARIO_DESC="macOS: both sides rekey the CHILD SA at once (short lifetimes), several rounds: one SA pair left, traffic flows"
# the client: the inbound SA of a rekeyed CHILD SA goes after 1 s (5.9's
# default 5 s would leave a DELETED one listed next to the new one for most of
# each short round); two more retransmits (~16 s instead of ~7 s before it
# gives up: a request held at the NAT is not lost for good)
PROFILE_CHARON="$PROFILE_CHARON
  delete_rekeyed_delay = 1
  retransmit_tries = 5"
REKEY_S=${LAB_REKEY_SECONDS:-4}
REKEY_ROUNDS=${LAB_REKEY_ROUNDS:-4}
REKEY_HOLD=${LAB_REKEY_HOLD:-yes}
REKEY_FIRST=${LAB_REKEY_FIRST:-alternate}
HOLD_MAX=1.5
LAB_KANMON_IKEV2_EXTRA="	child_rekey = $REKEY_S;
	child_jitter = 0;
	child_life = $((REKEY_S * 5));"
# shellcheck source=SCRIPTDIR/../lib/session.sh
. "$LAB/lib/session.sh"

scenario_prereq() {
	[ "$ADAPTER" = kanmon ] || { echo "sets kanmond's child_rekey and checks its rekey log lines: adapter kanmon only"; return 1; }
	if [ "$REKEY_HOLD" = yes ]; then
		# the hold matches IKE by its non-ESP marker (iptables u32)
		_np=kl-u32-probe-$$
		ip netns add "$_np" 2>/dev/null || { echo "cannot create a namespace for the iptables probe"; return 1; }
		if ! ip netns exec "$_np" iptables -A FORWARD -p udp -m u32 --u32 "0>>22&0x3C@8=0" -j DROP 2>/dev/null; then
			ip netns del "$_np"
			echo "iptables without the u32 match (holds IKE messages, not ESP); LAB_REKEY_HOLD=no runs without it"
			return 1
		fi
		ip netns del "$_np"
	fi
}

# the profile's connection with the short CHILD SA lifetimes
scenario_setup() {
	profile_swanctl | awk -v r="$REKEY_S" '{ print }
		/esp_proposals =/ && !d { print "        rekey_time = " r "s"; print "        life_time = " r * 5 "s"
					  print "        rand_time = 0s"; d = 1 }' > "$LAB_CLIENT_DIR/swanctl/swanctl.conf"
	grep -q "rekey_time = ${REKEY_S}s" "$LAB_CLIENT_DIR/swanctl/swanctl.conf" ||
		lab_fail "could not add the child lifetimes to the $SCENARIO_PROFILE profile"
}

nat_ipt() { ip netns exec "$LAB_NS_NAT" iptables "$@"; }
# iptables u32 tests on UDP 4500: IKE (the non-ESP marker, 4 zero bytes after
# the UDP header), its requests or its responses (IKE header flags, byte 19 of
# the IKE header: 0x20 Response)
ike_u32() {
	case $1 in
	all) echo '0>>22&0x3C@8=0' ;;
	req) echo '0>>22&0x3C@8=0&&0>>22&0x3C@28&0x20=0' ;;
	resp) echo '0>>22&0x3C@8=0&&0>>22&0x3C@28&0x20=0x20' ;;
	esac
}
# hold add|del lan0|wan0 all|req|resp: drop (or stop dropping) the IKE
# messages of one kind coming from the client (lan0) or from kanmond (wan0)
hold() {
	if [ "$1" = add ]; then _ho=-I; else _ho=-D; fi
	nat_ipt "$_ho" FORWARD -i "$2" -p udp --sport 4500 --dport 4500 -m u32 --u32 "$(ike_u32 "$3")" \
		-m comment --comment "lab-hold-$3" -j DROP 2>/dev/null
}
hold_off() {
	for _hi in lan0 wan0; do
		for _hk in all req resp; do
			while hold del "$_hi" "$_hk"; do :; done
		done
	done
	return 0
}
held() { # lan0 (from the client) | wan0 (from kanmond): IKE messages held so far this round
	nat_ipt -L FORWARD -v -n -x 2>/dev/null | awk -v i="$1" '/lab-hold-all/ && $6 == i { print $1; f = 1; exit } END { if (!f) print 0 }'
}
held_any() { [ "$(held lan0)" -gt 0 ] || [ "$(held wan0)" -gt 0 ]; }
held_both() { [ "$(held lan0)" -gt 0 ] && [ "$(held wan0)" -gt 0 ]; }
# CREATE_CHILD_SA requests kanmond received (decrypted)
kanmond_requests() { adapter log 5 | grep -c "decrypted CREATE_CHILD_SA request"; }
# how a rekey of kanmond's and of the client's ended (collision or not)
kanmond_outcomes() { adapter log 5 | grep -c -E "CHILD SA rekey collision|our CHILD SA rekey was not accepted|SA out spi"; }
client_outcomes() { count_client "CHILD_SA rekey collision (won|lost)|CHILD_SA .* established with SPIs|unable to rekey"; }
kanmond_resolved_count() { adapter log 5 | grep -c -E "CHILD SA rekey collision|our CHILD SA rekey was not accepted"; }
kanmond_resolved() { [ "$(kanmond_resolved_count)" -gt "$1" ]; }
kanmond_settled() { [ "$(kanmond_outcomes)" -gt "$1" ]; }
client_settled() { [ "$(client_outcomes)" -gt "$1" ]; }
# which side gets the other's answer first in round $1 (LAB_REKEY_FIRST:
# kanmond, client, or alternate: kanmond in odd rounds)
first_of() {
	case $REKEY_FIRST in
	kanmond|client) echo "$REKEY_FIRST" ;;
	*) if [ $(($1 % 2)) -eq 1 ]; then echo kanmond; else echo client; fi ;;
	esac
}
# both sides received the other's rekey request (baselines: $1 kanmond, $2 client)
crossed() { [ "$(kanmond_requests)" -gt "$1" ] && [ "$(server_rekeys)" -gt "$2" ]; }
# kanmond received the client's request, and the client finished its rekey
client_done_first() { [ "$(kanmond_requests)" -gt "$1" ] && client_new_child "$2"; }

scenario_cleanup() { hold_off; }

# client log counters (ENC level 1: every message parsed/generated)
count_client() { grep -c -E "$1" "$LAB_CLIENT_DIR/charon.log"; }
client_rekeys() { count_client 'generating CREATE_CHILD_SA request [0-9]+ \[ N\(REKEY_SA\)'; }
server_rekeys() { count_client 'parsed CREATE_CHILD_SA request [0-9]+ \[ N\(REKEY_SA\)'; }
server_collisions() { adapter log 5 | grep -c "CHILD SA rekey collision"; }

# settled: exactly one CHILD_SA listed, INSTALLED, with an inbound SPI not in $1
settled() {
	_st=$(client_child_states)
	[ "$_st" = INSTALLED ] || return 1
	_spi=$(client_installed_spis)
	case " $1 " in *" $_spi "*) return 1 ;; esac
	pid_alive "$(charon_pid "$LAB_CLIENT_DIR")" || return 125
}
# the client's CHILD SAs, one line: name state SPIs
client_children() {
	client_sw --list-sas --noblock 2>/dev/null | awk '/^  [^ ].*: #[0-9]+, reqid/ { printf "%s%s", s, $0; s = ";" } /^    (in|out) / { printf " %s %s", $1, $2 }' | tr -s ' '
}
# a crashed kanmond explains the rest: say so (its sanitizer's first line)
server_dead_note() {
	adapter sessions 5 >/dev/null 2>&1 && return 0
	printf ' (kanmond is no longer running: %s)' "$(adapter log 5 | grep -m 1 -E 'ERROR: [A-Za-z]*Sanitizer|SUMMARY|runtime error' | sed 's/^==[0-9]*==//')"
}
server_sa_count() { adapter log 5 | sed -n 's/.*\[kernel-user\] SA .*(\([0-9]*\) SAs)$/\1/p' | tail -n 1; }
server_one_pair() { [ "$(server_sa_count)" = 2 ]; }
one_pair() { [ "$(client_child_states)" = INSTALLED ]; }

scenario_main() {
	step "IKE up"
	client_up
	VIP4=$(client_vip4) || lab_fail "VIP: the client got no IPv4 virtual address"
	wait_until 5 server_one_session "$PROFILE_LEASE_ID" "$VIP4" ||
		lab_fail "server: no ESTABLISHED session of $PROFILE_LEASE_ID with $VIP4: $(adapter sessions 5 | tr '\n' ';')"
	client_ping "$LAB_LAN_HOST4" ||
		lab_fail "ping: no reply from $LAB_LAN_HOST4: $(grep -E 'transmitted|nreachable' "$LAB_CLIENT_DIR/ping.log" | tail -n 2 | tr '\n' ' ')"

	# a ping through every round: 5 a second, for as long as the rounds may take
	_pcount=$(( (REKEY_S + 12) * REKEY_ROUNDS * 5 ))
	ip netns exec "$LAB_NS_CLI" ping -n -i 0.2 -W 1 -c "$_pcount" "$LAB_LAN_HOST4" >"$LAB_CLIENT_DIR/ping-rekey.log" 2>&1 &
	PING_PID=$!
	_k=1
	OVERLAP=0
	CROSSED=0
	while [ "$_k" -le "$REKEY_ROUNDS" ]; do
		step "rekey round $_k"
		_old=$(client_installed_spis)
		_c0=$(client_rekeys); _s0=$(server_rekeys); _q0=$(kanmond_requests); _r0=$(kanmond_resolved_count)
		_crossed=no
		if [ "$REKEY_HOLD" != no ]; then
			# both requests held at the NAT...
			hold add lan0 all && hold add wan0 all ||
				lab_fail "iptables in $LAB_NS_NAT could not hold the IKE messages"
			wait_until $((REKEY_S + 3)) held_any ||
				lab_fail "neither side sent a rekey within $((REKEY_S + 3)) s of the round's start (lifetime $REKEY_S s)"
			_hc=; _hs=
			if wait_until "$HOLD_MAX" held_both; then
				OVERLAP=$((OVERLAP + 1))
				_hc=$(held lan0); _hs=$(held wan0)
				if [ "$REKEY_HOLD" = late ]; then
					# ...the client's request and every answer through,
					# kanmond's request only after the client finished its
					# rekey (and deleted the old CHILD SA): kanmond's rekey
					# of a CHILD SA that is gone (CHILD_SA_NOT_FOUND)
					hold add wan0 req && hold del lan0 all && hold del wan0 all
					wait_until 8 client_done_first "$_q0" "$_old" ||
						log "round $_k: the client did not finish its rekey first"
				else
					# ...then the requests through and the answers held,
					# until each side has the other's request: both see the
					# collision; then one side's answer (to the next
					# retransmit), that side settles first, then the other's
					hold add lan0 resp && hold add wan0 resp && hold del lan0 all && hold del wan0 all
					if wait_until 6 crossed "$_q0" "$_s0"; then
						CROSSED=$((CROSSED + 1))
						_crossed=yes
						_x0=$(kanmond_outcomes); _y0=$(client_outcomes)
						if [ "$(first_of "$_k")" = kanmond ]; then
							# the client's answer reaches kanmond first
							hold del lan0 resp
							wait_until 8 kanmond_settled "$_x0" ||
								log "round $_k: kanmond did not settle its rekey within 8 s"
						else
							hold del wan0 resp
							wait_until 8 client_settled "$_y0" ||
								log "round $_k: the client did not settle its rekey within 8 s"
						fi
					else
						log "round $_k: the requests did not cross within 6 s (kanmond $(( $(kanmond_requests) - _q0 )), client $(( $(server_rekeys) - _s0 )))"
					fi
				fi
			else
				log "round $_k: only $( [ "$(held lan0)" -gt 0 ] && echo "the client" || echo "kanmond") rekeyed within $HOLD_MAX s"
			fi
			hold_off
		fi
		wait_until $((REKEY_S + 12)) settled "$_old" ||
			lab_fail "round $_k: the client did not settle on one new INSTALLED CHILD SA: $(client_children)$(server_dead_note)"
		# kanmond's SA backend: one pair again (kernel-user logs its SA count
		# at each add and, at debug level, each delete)
		# (after kanmond's own exchange ended, when both crossed: then at once)
		if [ "$_crossed" = yes ]; then
			wait_until 8 kanmond_resolved "$_r0" ||
				lab_fail "round $_k: kanmond's own rekey did not end within 8 s of the client's"
		fi
		wait_until 1 server_one_pair ||
			lab_fail "round $_k: kanmond's SA backend holds $(server_sa_count) SAs after the rekeys, expected 2 (one pair): $(adapter log 5 | grep -E 'CHILD SA|SA (in|out) spi|deleted \(|D$' | tail -n 6 | sed 's/^[-0-9]* //; s/ info  *\[[a-z-]*\] / /; s/client 198.51.100.2.4500. //' | tr '\n' ' ')"
		echo "   round $_k: rekeys started by the client $(( $(client_rekeys) - _c0 )), by kanmond $(( $(server_rekeys) - _s0 ))${_hc:+; both held (client $_hc, kanmond $_hs messages), $(first_of "$_k") got its answer first}; collisions logged by kanmond so far $(server_collisions)"
		_k=$((_k + 1))
	done

	step "one SA pair, one IKE SA, session"
	wait_until 3 one_pair ||
		lab_fail "the client lists CHILD SAs '$(client_children)', expected one INSTALLED"
	_ike=$(client_sw --list-sas --noblock 2>/dev/null | grep -c -E "^[^ ].*: #[0-9]+, ESTABLISHED")
	[ "$_ike" -eq 1 ] || lab_fail "the client lists $_ike ESTABLISHED IKE SAs: $(client_sw --list-sas --noblock 2>&1 | tr '\n' ' ')"
	server_one_session "$PROFILE_LEASE_ID" "$VIP4" ||
		lab_fail "server: not one ESTABLISHED session of $PROFILE_LEASE_ID with $VIP4: $(adapter sessions 5 | tr '\n' ';')"
	CR=$(client_rekeys); SR=$(server_rekeys); COLL=$(server_collisions)
	[ "$CR" -ge 1 ] || lab_fail "the client never rekeyed the CHILD SA (rekey_time $REKEY_S s)"
	# without the hold the client, whose timer is exact, rekeys first every
	# round: kanmond's soft expiry never comes (natural timing, reported only)
	[ "$SR" -ge 1 ] || [ "$REKEY_HOLD" = no ] || lab_fail "kanmond never rekeyed the CHILD SA (child_rekey $REKEY_S s)"
	_srv=$(adapter log 5 | grep -c -E "CHILD SA rekeyed|CHILD SA rekey collision")
	[ "$_srv" -ge 1 ] || lab_fail "kanmond logged no CHILD SA rekey"
	if [ "$CROSSED" -ge 1 ]; then
		[ "$COLL" -ge 1 ] ||
			lab_fail "both sides' rekey requests crossed in $CROSSED round(s) but kanmond logged no 'CHILD SA rekey collision'"
	fi
	server_one_pair ||
		lab_fail "kanmond's SA backend holds $(server_sa_count) SAs at the end, expected 2"

	step "ping through the last CHILD SA"
	client_ping "$LAB_LAN_HOST4" ||
		lab_fail "ping after the rekeys: no reply from $LAB_LAN_HOST4: $(grep -E 'transmitted|nreachable' "$LAB_CLIENT_DIR/ping.log" | tail -n 2 | tr '\n' ' ')"
	kill -INT "$PING_PID" 2>/dev/null
	wait "$PING_PID" 2>/dev/null
	_pl=$(grep -E "packets transmitted" "$LAB_CLIENT_DIR/ping-rekey.log")
	_rx=$(printf '%s\n' "$_pl" | sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p')
	[ "${_rx:-0}" -gt 0 ] || lab_fail "the ping during the rekeys got no reply: ${_pl:-no summary}"

	step "disconnect, lease offline"
	client_sw --terminate --ike "$CLIENT_CONN" --timeout 5 >"$LAB_CLIENT_DIR/terminate.log" 2>&1 ||
		lab_fail "disconnect: swanctl --terminate failed: $(lab_reason "$LAB_CLIENT_DIR/terminate.log")"
	wait_until 5 server_lease "$VIP4" offline || lab_fail "disconnect: $VIP4 still online: $(adapter leases 5 | tr '\n' ';')"
	wait_until 5 server_no_session "$PROFILE_LEASE_ID" || lab_fail "disconnect: the session is still listed"
	step_end
	echo "   $REKEY_ROUNDS rounds (lifetime $REKEY_S s, hold $REKEY_HOLD): rekeys started by the client $CR, by kanmond $SR; requests crossed in $OVERLAP rounds; kanmond logged $COLL collisions"
	echo "   ping during the rekeys: $_pl"
	adapter log 5 | grep -F "CHILD SA rekey collision" | tail -n 3 | sed 's/^/   server: /'
}
