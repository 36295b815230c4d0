# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# Lab topology (sourced; POSIX sh). Address plan: DESIGN.md section 6.
#
#  $P-cli                $P-nat                       $P-srv                $P-lan
#  192.0.2.2/28 --veth-- 192.0.2.1/28                 203.0.113.1/32 (lo)
#  default via .1        198.51.100.2/24 --veth-- 198.51.100.1/24
#                        MASQUERADE -o wan0           203.0.113.129/25 --veth-- 203.0.113.130/25
#                                                     ip_forward=1              default via .129
#  IPv6 (inner only):                                 2001:db8:113::1/128 (lo)
#                                                     2001:db8:113:80::129/64 -- 2001:db8:113:80::130/64
#
# The VPN pool is 203.0.113.2-126 / 2001:db8:113::2-7e: the LAN host's default
# route points back to the server, so its replies to pool addresses go through
# the tunnel. The server has no route to 192.0.2.0/28: it only ever sees the NAT
# router's 198.51.100.2. Nothing is routed to any other address.

LAB_SERVER_ADDR=198.51.100.1
LAB_NAT_OUT=198.51.100.2
LAB_NAT_IN=192.0.2.1
LAB_CLIENT_ADDR=192.0.2.2
LAB_INNER4=203.0.113.1
LAB_INNER6=2001:db8:113::1
LAB_LAN4=203.0.113.128/25
LAB_LAN6=2001:db8:113:80::/64
LAB_LAN_SRV4=203.0.113.129
LAB_LAN_SRV6=2001:db8:113:80::129
LAB_LAN_HOST4=203.0.113.130
LAB_LAN_HOST6=2001:db8:113:80::130
LAB_POOL4=203.0.113.2-203.0.113.126
LAB_POOL6=2001:db8:113::2-2001:db8:113::7e
LAB_DNS4=198.51.100.53
LAB_DNS6=2001:db8:51::53
LAB_SERVER_ID=vpn.example.com
# interface names (inside the namespaces, so they never clash between tests)
LAB_NAT_OUT_IF=wan0

# topo_names PREFIX: set the namespace names.
topo_names() {
	LAB_NS_SRV=$1-srv
	LAB_NS_NAT=$1-nat
	LAB_NS_CLI=$1-cli
	LAB_NS_LAN=$1-lan
	LAB_NAMESPACES="$LAB_NS_CLI $LAB_NS_NAT $LAB_NS_SRV $LAB_NS_LAN"
}

_tu() { ip "$@" || { log "topology: 'ip $*' failed"; return 1; }; }

# topo_up: create the four namespaces and their links. Returns non-zero
# (with a message on stderr) on the first failing command.
topo_up() {
	for _tu_ns in $LAB_NAMESPACES; do
		ip netns add "$_tu_ns" || return 1
		ip -n "$_tu_ns" link set lo up || return 1
		# no IPv6 DAD: addresses (also link-local ones) are usable at once,
		# so the first IPv6 packets are not held back for a second
		ip netns exec "$_tu_ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 || return 1
	done
	# internet: server <-> NAT router
	_tu link add srv0 netns "$LAB_NS_SRV" type veth peer name "$LAB_NAT_OUT_IF" netns "$LAB_NS_NAT" || return 1
	# client LAN: client <-> NAT router
	_tu link add cli0 netns "$LAB_NS_CLI" type veth peer name lan0 netns "$LAB_NS_NAT" || return 1
	# protected LAN: server <-> LAN host
	_tu link add lan0 netns "$LAB_NS_SRV" type veth peer name eth0 netns "$LAB_NS_LAN" || return 1

	_tu -n "$LAB_NS_SRV" addr add "$LAB_SERVER_ADDR/24" dev srv0 || return 1
	_tu -n "$LAB_NS_SRV" addr add "$LAB_INNER4/32" dev lo || return 1
	_tu -n "$LAB_NS_SRV" addr add "$LAB_INNER6/128" dev lo || return 1
	_tu -n "$LAB_NS_SRV" addr add "$LAB_LAN_SRV4/25" dev lan0 || return 1
	_tu -n "$LAB_NS_SRV" addr add "$LAB_LAN_SRV6/64" dev lan0 nodad || return 1
	_tu -n "$LAB_NS_NAT" addr add "$LAB_NAT_OUT/24" dev "$LAB_NAT_OUT_IF" || return 1
	_tu -n "$LAB_NS_NAT" addr add "$LAB_NAT_IN/28" dev lan0 || return 1
	_tu -n "$LAB_NS_CLI" addr add "$LAB_CLIENT_ADDR/28" dev cli0 || return 1
	_tu -n "$LAB_NS_LAN" addr add "$LAB_LAN_HOST4/25" dev eth0 || return 1
	_tu -n "$LAB_NS_LAN" addr add "$LAB_LAN_HOST6/64" dev eth0 nodad || return 1

	_tu -n "$LAB_NS_SRV" link set srv0 up || return 1
	_tu -n "$LAB_NS_SRV" link set lan0 up || return 1
	_tu -n "$LAB_NS_NAT" link set "$LAB_NAT_OUT_IF" up || return 1
	_tu -n "$LAB_NS_NAT" link set lan0 up || return 1
	_tu -n "$LAB_NS_CLI" link set cli0 up || return 1
	_tu -n "$LAB_NS_LAN" link set eth0 up || return 1

	_tu -n "$LAB_NS_CLI" route add default via "$LAB_NAT_IN" || return 1
	_tu -n "$LAB_NS_LAN" route add default via "$LAB_LAN_SRV4" || return 1
	_tu -n "$LAB_NS_LAN" -6 route add default via "$LAB_LAN_SRV6" || return 1

	ip netns exec "$LAB_NS_SRV" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1
	ip netns exec "$LAB_NS_NAT" sysctl -qw net.ipv4.ip_forward=1 || return 1
	ip netns exec "$LAB_NS_NAT" iptables -t nat -A POSTROUTING -o "$LAB_NAT_OUT_IF" -j MASQUERADE || {
		log "topology: iptables MASQUERADE failed in $LAB_NS_NAT"; return 1; }
}

# topo_down: kill every process left in the lab namespaces (only those),
# bounded, then delete the namespaces. Safe to call repeatedly and with
# namespaces missing.
topo_down() {
	for _td_ns in $LAB_NAMESPACES; do
		[ -e "/run/netns/$_td_ns" ] || continue
		for _td_pid in $(ip netns pids "$_td_ns" 2>/dev/null); do
			kill -TERM "$_td_pid" 2>/dev/null || :
		done
	done
	for _td_ns in $LAB_NAMESPACES; do
		[ -e "/run/netns/$_td_ns" ] || continue
		wait_until 3 topo_ns_empty "$_td_ns" || {
			for _td_pid in $(ip netns pids "$_td_ns" 2>/dev/null); do
				kill -KILL "$_td_pid" 2>/dev/null || :
			done
			wait_until 2 topo_ns_empty "$_td_ns" ||
				log "topology: processes left in $_td_ns: $(ip netns pids "$_td_ns" 2>/dev/null | tr '\n' ' ')"
		}
		ip netns del "$_td_ns" 2>/dev/null || log "topology: could not delete netns $_td_ns"
	done
}

# topo_ns_empty NS: no live (non-zombie) process in NS
topo_ns_empty() {
	for _te_pid in $(ip netns pids "$1" 2>/dev/null); do
		pid_alive "$_te_pid" && return 1
	done
	return 0
}

# topo_add_client NAME ADDR NAT_ADDR: one more client namespace $P-NAME behind
# the same NAT router, on its own /28 (ADDR/28 default via NAT_ADDR, e.g.
# 192.0.2.18 and 192.0.2.17): MASQUERADE gives it the same outside address
# 198.51.100.2 as the first client, with other ports. Sets LAB_NS_ADDED to
# its name and appends it to LAB_NAMESPACES (topo_down removes it).
topo_add_client() {
	_ta_ns=${LAB_NS_SRV%-srv}-$1
	LAB_NAMESPACES="$LAB_NAMESPACES $_ta_ns"
	LAB_NS_ADDED=$_ta_ns
	ip netns add "$_ta_ns" || return 1
	ip -n "$_ta_ns" link set lo up || return 1
	ip netns exec "$_ta_ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 || return 1
	_ta_if=l$(printf '%s' "$1" | cut -c1-10)
	_tu link add cli0 netns "$_ta_ns" type veth peer name "$_ta_if" netns "$LAB_NS_NAT" || return 1
	_tu -n "$_ta_ns" addr add "$2/28" dev cli0 || return 1
	_tu -n "$LAB_NS_NAT" addr add "$3/28" dev "$_ta_if" || return 1
	_tu -n "$_ta_ns" link set cli0 up || return 1
	_tu -n "$LAB_NS_NAT" link set "$_ta_if" up || return 1
	_tu -n "$_ta_ns" route add default via "$3" || return 1
}
