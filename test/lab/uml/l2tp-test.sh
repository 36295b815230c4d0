#!/bin/sh
# SPDX-License-Identifier: MIT
# L2TP/IPsec interop test, runs INSIDE the UML guest (run-l2tp.sh boots it):
#   l2tp-test.sh LABDIR PROFILE ADAPTER
# LABDIR holds copies of test/lab/uml (uml/) and the profile (profiles/);
# the PKI is in /mnt/work/pki (made on the host, faster than in UML).
#
# Topology (one UML, network namespaces, DESIGN.md section 6 addresses):
#
#  cli 192.0.2.2/28 --- 192.0.2.1/28 nat 198.51.100.2/24 --- 198.51.100.1/24 srv
#      ppp0 = VIP           MASQUERADE -o wan0 (iptables-legacy)    LNS 203.0.113.1
#                           tcpdump -i any -> nat.pcap               203.0.113.129/25
#                                                                        |
#                                                      lan 203.0.113.130/25 (host)
# The server has no route to 192.0.2.0/28: the client really is behind NAT.
set -u
LABDIR=$1; PROFILE=$2; ADAPTER=$3
U=$LABDIR/uml
. "$U/../lib/wait.sh"
. "$U/lib.sh"
export LAB_PROFILE_FILE="$LABDIR/profiles/$PROFILE.sh"
. "$LAB_PROFILE_FILE"
OUT=/mnt/work                       # host-visible
LAB_REASON_FILE=$OUT/reason
W=/tmp/lab                          # guest tmpfs
mkdir -p "$W/srv" "$W/cli"

SRV_NS=srv NAT_NS=nat CLI_NS=cli LAN_NS=lan
CLIENT_ADDR=192.0.2.2
NAT_OUT=198.51.100.2                # the client's address as the server sees it
LAN_HOST=203.0.113.130
export LAB_SERVER_NS=$SRV_NS LAB_SERVER_DIR=$W/srv LAB_PKI=$OUT/pki
export LAB_SERVER_ADDR=198.51.100.1 LAB_LNS_ADDR=203.0.113.1
export LAB_POOL4=203.0.113.2-203.0.113.126 LAB_DNS4=198.51.100.53 LAB_DPD_DELAY=30
export LAB_CLIENT_DN="${L2TP_SERVER_CLIENT_DN:-}" LAB_PSK="${L2TP_PSK:-}"
export LAB_PPP_AUTH="${L2TP_LNS_AUTH:-chap}" LAB_PPP_USERS="$L2TP_PPP_USER:$L2TP_PPP_PASSWORD"
export LAB_CLIENT_NS=$CLI_NS LAB_CLIENT_DIR=$W/cli

server() { sh "$U/adapters/$ADAPTER.sh" "$@"; }
client() { sh "$U/l2tp-client.sh" "$@"; }
# network namespace only (no /etc/netns bind mounts, no /sys remount):
# ~10x cheaper than `ip netns exec` in UML
in_net() { _n=$1; shift; nsenter --net="/run/netns/$_n" "$@"; }

DIAG_SRV=1 DIAG_CLI=1
diag() {
	echo "=================================================================="
	echo "diagnostics ($PROFILE vs $ADAPTER)"
	[ -n "$DIAG_SRV" ] && for f in charon.log xl2tpd.log pppd.log; do lab_tail "server $f" "$W/srv/$f" 30; done
	[ -n "$DIAG_CLI" ] && for f in charon.log xl2tpd.log pppd.log; do lab_tail "client $f" "$W/cli/$f" 30; done
	echo "----- server sessions / leases -----"
	server sessions 2>&1; server leases 2>&1
	for n in $SRV_NS $CLI_NS; do
		echo "----- ip xfrm state ($n) -----"; ip -n $n -s xfrm state 2>&1 | head -40
		echo "----- ip addr / route ($n) -----"; ip -n $n -br addr 2>&1; ip -n $n route 2>&1
	done
	echo "----- kernel messages -----"; dmesg 2>/dev/null | tail -n 15
	capture_stop
	save_logs
}
# all logs and configurations to the host work dir (run-l2tp.sh --keep
# keeps it); one cp per side: every process costs ~0.1 s in UML
save_logs() {
	mkdir -p "$OUT/logs/srv" "$OUT/logs/cli"
	for s in srv cli; do
		cp "$W"/$s/*.log "$W"/$s/*.conf "$W"/$s/options.* "$OUT/logs/$s/" 2>/dev/null
		cp "$W/$s/swanctl/swanctl.conf" "$OUT/logs/$s/swanctl.conf" 2>/dev/null
	done
	cp "$W"/*.log "$OUT/logs/" 2>/dev/null
	:
}

CAP_PID=
capture_start() {
	command -v tcpdump >/dev/null || return 0
	in_net $NAT_NS tcpdump -i any -n -U -s 0 -Z root -w "$OUT/nat.pcap" \
		not ip6 >"$W/tcpdump.log" 2>&1 </dev/null &
	CAP_PID=$!
	wait_until 5 grep -q "listening on" "$W/tcpdump.log" ||
		{ log "tcpdump did not start:"; cat "$W/tcpdump.log" >&2; }
}
capture_stop() {
	[ -n "$CAP_PID" ] || return 0
	# TERM, not INT: background jobs of a non-interactive shell ignore SIGINT
	stop_pid "$CAP_PID" 3
	CAP_PID=
}
LAB_DIAG_HOOK=diag

T_ALL=$(now_ms)
echo "== $PROFILE ($PROFILE_DESC) vs $ADAPTER, inside UML $(uname -r)"

# ---------------------------------------------------------------------------
step "modules"
modprobe -a veth esp4 xfrm_user l2tp_ppp ppp_generic iptable_nat xt_MASQUERADE ||
	lab_fail "modprobe veth esp4 xfrm_user l2tp_ppp ppp_generic failed"

step "topology (netns, veth, NAT)"
# Every process start costs ~0.1 s in UML: one `ip -b` batch per namespace.
topology() {
	ip -b - <<EOT || return 1
netns add $SRV_NS
netns add $NAT_NS
netns add $CLI_NS
netns add $LAN_NS
link add s0 netns $SRV_NS type veth peer name wan0 netns $NAT_NS
link add c0 netns $CLI_NS type veth peer name lan0 netns $NAT_NS
link add l0 netns $SRV_NS type veth peer name h0 netns $LAN_NS
EOT
	ip -n $SRV_NS -b - <<EOT || return 1
link set lo up
addr add $LAB_SERVER_ADDR/24 dev s0
addr add 203.0.113.129/25 dev l0
link set s0 up
link set l0 up
EOT
	ip -n $NAT_NS -b - <<EOT || return 1
link set lo up
addr add $NAT_OUT/24 dev wan0
addr add 192.0.2.1/28 dev lan0
link set wan0 up
link set lan0 up
EOT
	ip -n $CLI_NS -b - <<EOT || return 1
link set lo up
addr add $CLIENT_ADDR/28 dev c0
link set c0 up
route add default via 192.0.2.1
EOT
	ip -n $LAN_NS -b - <<EOT || return 1
link set lo up
addr add $LAN_HOST/25 dev h0
link set h0 up
route add default via 203.0.113.129
EOT
	in_net $SRV_NS sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward' || return 1
	# iptables-nft fails in this UML kernel (TABLE_ADD: Operation not supported)
	in_net $NAT_NS sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward &&
		iptables-legacy -t nat -A POSTROUTING -o wan0 -j MASQUERADE'
}
topology || lab_fail "topology set-up failed"
capture_start

# ---------------------------------------------------------------------------
step "server + client start (parallel)"
server start >"$W/srv-start.log" 2>&1 & SP=$!
client start >"$W/cli-start.log" 2>&1 & CP=$!
SRC=0; wait $SP || SRC=$?
CRC=0; wait $CP || CRC=$?
first_err() { grep -m1 -i -E 'fail|invalid|error|did not|exited' "$1" | sed 's/^ *//'; }
[ $SRC = 0 ] || { cat "$W/srv-start.log"; DIAG_SRV=; lab_fail "server adapter '$ADAPTER' did not start: $(first_err "$W/srv-start.log")"; }
[ $CRC = 0 ] || { cat "$W/cli-start.log"; DIAG_CLI=; lab_fail "client ($PROFILE) did not start: $(first_err "$W/cli-start.log")"; }

if [ -n "${L2TP_REJECT_DN:-}" ] && [ "$L2TP_AUTH" = pubkey ]; then
	step "wildcard DN: refuse $L2TP_REJECT_DN"
	client reject-test ||
		lab_fail "server accepted '$L2TP_REJECT_DN' (outside '$L2TP_SERVER_CLIENT_DN')"
	grep -q -E "no (matching )?peer config" "$W/srv/charon.log" ||
		lab_fail "reject test: server log lacks 'no peer config found'"
	info "refused: $(grep -m1 'looking for .* peer configs matching' "$W/srv/charon.log" | sed 's/.*matching //')"
fi

# ---------------------------------------------------------------------------
step "IKEv1 main mode + quick mode"
client ike-up 2>"$W/ike-up.err" ||
	lab_fail "IKE/IPsec did not come up: $(tail -n 1 "$W/ike-up.err")"

step "IKE/ESP SA checks"
sess=$(server sessions)
info "server session: $sess"
[ "$(printf '%s\n' "$sess" | grep -c .)" = 1 ] || lab_fail "server shows $(printf '%s\n' "$sess" | grep -c .) IKE sessions, expected 1"
set -- $sess
EXP_ID=$(printf '%s' "$L2TP_EXPECT_IKE_ID" | sed "s/@CLIENT_ADDR@/$CLIENT_ADDR/; s/, /,/g; s/ /_/g")
[ "$2" = "$EXP_ID" ] || lab_fail "server sees client identity '$2', expected '$EXP_ID'"
[ "$3" = "${NAT_OUT}[4500]" ] || lab_fail "server sees peer '$3', expected the NAT's ${NAT_OUT}[4500] (NAT-T)"
[ "$5" = ESTABLISHED ] || lab_fail "server IKE state '$5', expected ESTABLISHED"
sas=$(sw "$W/srv" --list-sas --noblock)
printf '%s\n' "$sas" | grep -q "INSTALLED, TRANSPORT-in-UDP" ||
	lab_fail "server child SA is not INSTALLED TRANSPORT-in-UDP: $(printf '%s\n' "$sas" | grep -m1 INSTALLED)"
info "IKE: $(printf '%s\n' "$sas" | grep -m1 -E '^ +[A-Z0-9_]+(-[0-9]+)?/' | sed 's/^ *//')"
info "ESP: $(printf '%s\n' "$sas" | grep -m1 'INSTALLED' | sed 's/.*INSTALLED, //')"
for n in $SRV_NS $CLI_NS; do
	st=$(ip -n $n xfrm state)
	[ "$(printf '%s\n' "$st" | grep -c 'mode transport')" = 2 ] ||
		lab_fail "$n: expected 2 ESP states in transport mode, got: $(printf '%s\n' "$st" | grep -c '^src')"
	[ "$(printf '%s\n' "$st" | grep -c 'encap type espinudp sport 4500 dport 4500')" = 2 ] ||
		lab_fail "$n: ESP states are not UDP-encapsulated 4500/4500 (NAT-T)"
done
info "xfrm: 2+2 states, mode transport, encap espinudp 4500 (both sides)"
# the (test-only) ESP keys, so that run-l2tp.sh can decrypt the capture
ip -n $CLI_NS xfrm state > "$OUT/esp-keys.txt" 2>/dev/null

# ---------------------------------------------------------------------------
step "L2TP tunnel + PPP up"
client dial || lab_fail "xl2tpd (client) did not take the dial command"
ppp_addr() { ip -n $CLI_NS -4 -o addr show dev ppp0 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }'; }
ppp_up() {
	pid_alive "$(cat "$W/cli/xl2tpd.hostpid")" || return 125
	[ -n "$(ppp_addr)" ] && return 0
	# pppd gave up: no point in waiting longer
	grep -q -E 'Modem hangup|Connection terminated|LCP terminated by peer' "$W/cli/pppd.log" 2>/dev/null && return 125
	return 1
}
# the most telling line of a pppd/xl2tpd log (an error if there is one)
why() {
	_w=$(grep -v -E '^(sent|rcvd) \[' "$1" 2>/dev/null |
		grep -i -E 'refused|fail|timeout|timed out|terminated by peer|no response|error|denied|unable|can.?not' | tail -n 1)
	[ -n "$_w" ] || _w=$(tail -n 1 "$1" 2>/dev/null)
	printf '%s' "${_w:-no log}"
}
wait_until 15 ppp_up || lab_fail "client ppp0 got no address (waited up to 15 s; client pppd: $(why "$W/cli/pppd.log"); server pppd: $(why "$W/srv/pppd.log"); client xl2tpd: $(why "$W/cli/xl2tpd.log"))"
VIP=$(ppp_addr)
PEER=$(ip -n $CLI_NS -4 -o addr show dev ppp0 | sed -n 's/.* peer \([0-9.]*\).*/\1/p')
info "client ppp0 $VIP peer $PEER"
ip4_in_range "$VIP" "$LAB_POOL4" || lab_fail "client address $VIP is not from the pool $LAB_POOL4"
[ "$PEER" = "$LAB_LNS_ADDR" ] || lab_fail "PPP peer $PEER, expected the LNS $LAB_LNS_ADDR"
tun=$(server tunnels 2>/dev/null | tail -n 1)
if [ -n "$tun" ]; then
	set -- $tun
	[ "$1" = "${NAT_OUT}[1701]" ] || lab_fail "server sees the L2TP peer as '$1', expected ${NAT_OUT}[1701]"
	[ -z "${L2TP_HOSTNAME:-}" ] || [ "$2" = "$L2TP_HOSTNAME" ] ||
		lab_fail "server sees L2TP host name '$2', expected '$L2TP_HOSTNAME'"
	[ -z "${L2TP_TUNNEL_RWS:-}" ] || [ "$3" = "$L2TP_TUNNEL_RWS" ] ||
		lab_fail "server sees L2TP receive window '$3', expected $L2TP_TUNNEL_RWS"
	info "server L2TP tunnel: peer $1, host name $2, receive window $3"
else
	info "adapter '$ADAPTER' lists no L2TP tunnels: host name / window not checked"
fi
lease_is() { server leases | grep -qx "$1 $2 $3"; }
wait_until 5 lease_is "$VIP" online "$L2TP_PPP_USER" ||
	lab_fail "server shows no online lease '$VIP online $L2TP_PPP_USER': $(server leases | tr '\n' ';')"
set -- $(server sessions)
[ "${4:-}" = "$VIP" ] || lab_fail "server session VIP '${4:-}', expected $VIP"
info "server lease: $(server leases)"
auth=$(grep -m1 'sent \[LCP ConfAck.*<auth chap' "$W/cli/pppd.log" | sed 's/.*<auth chap \([^>]*\)>.*/\1/')
[ "$auth" = "$L2TP_EXPECT_PPP_AUTH" ] || lab_fail "PPP authentication: CHAP '$auth', expected '$L2TP_EXPECT_PPP_AUTH'"
grep -q "CHAP authentication succeeded" "$W/cli/pppd.log" || lab_fail "client pppd: no 'CHAP authentication succeeded'"
info "PPP auth: CHAP $auth as $L2TP_PPP_USER; MTU $(ip -n $CLI_NS -o link show ppp0 | sed -n 's/.* mtu \([0-9]*\).*/\1/p')"

step "DNS via PPP (usepeerdns)"
RESOLV=/etc/netns/$CLI_NS/ppp/resolv.conf
wait_until 3 grep -q "^nameserver $LAB_DNS4\$" "$RESOLV" ||
	lab_fail "client got no DNS $LAB_DNS4 (pppd usepeerdns -> /etc/ppp/resolv.conf): $(cat "$RESOLV" 2>/dev/null | tr '\n' ' ')"
info "client /etc/ppp/resolv.conf: $(tr '\n' ' ' < "$RESOLV")"

# ---------------------------------------------------------------------------
step "ping LAN host $LAN_HOST via the server"
# routes as the client OS would set them; the server stays reachable outside
ip -n $CLI_NS route add $LAB_SERVER_ADDR/32 via 192.0.2.1 || lab_fail "route to the server"
for r in $L2TP_ROUTES; do ip -n $CLI_NS route add "$r" dev ppp0 || lab_fail "route $r dev ppp0"; done
B0C=$(xfrm_bytes $CLI_NS); B0S=$(xfrm_bytes $SRV_NS)
rt=$(ip -n $CLI_NS route get $LAN_HOST 2>&1)
case $rt in *" dev ppp0 "*) ;; *) lab_fail "client route to $LAN_HOST is not via ppp0: $rt" ;; esac
in_net $CLI_NS ping -c 3 -i 0.2 -W 2 $LAN_HOST >"$W/ping.log" 2>&1 ||
	{ cat "$W/ping.log"; lab_fail "ping from the client ($VIP) to the LAN host $LAN_HOST failed"; }
info "$(grep -E 'packets transmitted' "$W/ping.log")"
B1C=$(xfrm_bytes $CLI_NS); B1S=$(xfrm_bytes $SRV_NS)
[ "$B1C" -gt "$B0C" ] && [ "$B1S" -gt "$B0S" ] ||
	lab_fail "ESP byte counters did not move (client $B0C -> $B1C, server $B0S -> $B1S)"
info "ESP bytes: client $B0C -> $B1C, server $B0S -> $B1S"

# ---------------------------------------------------------------------------
step "disconnect: PPP terminate"
client ppp-down || lab_fail "could not stop the client's pppd"
no_ppp() { ! ip -n $1 link show ${2:-ppp0} >/dev/null 2>&1; }
SRV_IF=$(ip -n $SRV_NS -o -4 addr show | awk -v p="$VIP" '$0 ~ "peer " p "/" { print $2; exit }')
wait_until 10 no_ppp $CLI_NS || lab_fail "client ppp0 still there 10 s after the PPP terminate"
wait_until 5 lease_is "$VIP" offline "$L2TP_PPP_USER" ||
	lab_fail "server lease of $VIP not offline 5 s after the PPP terminate: $(server leases | tr '\n' ';')"
wait_until 5 no_ppp $SRV_NS "${SRV_IF:-ppp0}" || lab_fail "server PPP interface ${SRV_IF:-ppp0} still up after the PPP terminate"
grep -q 'rcvd \[LCP TermAck' "$W/cli/pppd.log" || lab_fail "client pppd got no LCP Terminate-Ack"
info "server lease: $(server leases)"

step "disconnect: L2TP tunnel (StopCCN)"
# xl2tpd's LAC sends CDN when its pppd has gone; "d lab" sends StopCCN
# (unless the LAC has already closed its last tunnel by itself).
client hangup || lab_fail "xl2tpd (client) did not take the hang-up command"
tunnel_closed() { grep -q "Connection closed to $NAT_OUT, port 1701" "$W/srv/xl2tpd.log"; }
wait_until 5 tunnel_closed || lab_fail "server xl2tpd did not close the L2TP tunnel within 5 s of the hang-up"
info "server xl2tpd: $(grep -m1 -o "Connection closed to $NAT_OUT, port 1701.*" "$W/srv/xl2tpd.log")"

step "disconnect: IKE delete"
client ike-down 2>"$W/ike-down.err" || lab_fail "swanctl --terminate failed: $(tail -n 1 "$W/ike-down.err")"
no_sessions() { [ -z "$(server sessions)" ]; }
wait_until 5 no_sessions || lab_fail "server still shows a session after the client's delete: $(server sessions)"
no_states() { [ -z "$(ip -n $SRV_NS xfrm state)" ]; }
wait_until 5 no_states || lab_fail "server still has ESP states after the delete"
info "server: no IKE SA, no ESP state left"

step "stop client + server (parallel)"
client stop >"$W/cli-stop.log" 2>&1 & CP=$!
server stop >"$W/srv-stop.log" 2>&1 & SP=$!
CRC=0; wait $CP || CRC=$?
SRC=0; wait $SP || SRC=$?
[ $CRC = 0 ] || { cat "$W/cli-stop.log"; lab_fail "client did not stop"; }
[ $SRC = 0 ] || { cat "$W/srv-stop.log"; lab_fail "server adapter '$ADAPTER' did not stop"; }
capture_stop
step_end
[ -e "$OUT/.keep" ] && save_logs
echo "PASS $PROFILE vs $ADAPTER: in-guest total $(( $(now_ms) - T_ALL )) ms"
