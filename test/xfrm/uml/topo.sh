#!/bin/sh
# SPDX-License-Identifier: MIT
# topo.sh pair|nat - network namespaces for the kernel-xfrm UML scenarios
# (runs inside UML, called from the scenarios' `run` lines).
#
# pair:  a 192.0.2.1/24 (+ .11), 2001:db8:1::1/64 --veth-- b 192.0.2.2/24 (+ .12), 2001:db8:1::2/64
#        inner: a 10.1.0.1 and fd00:1::1 on lo, b 10.2.0.1 and fd00:2::1 on lo, routed to
#        each other via the outer addresses (the tunnel policies make them go through ESP)
# nat:   c1 10.0.1.2 --+
#                      nat (iptables-legacy SNAT: c1:4500 -> 198.51.100.2:4500,
#        c2 10.0.2.2 --+      c2:4500 -> 198.51.100.2:4501) 198.51.100.2 --- s 198.51.100.1
set -eu
case ${1:-} in
pair)
	ip netns add a
	ip netns add b
	ip link add va netns a type veth peer name vb netns b
	ip -n a addr add 192.0.2.1/24 dev va
	ip -n a addr add 192.0.2.11/24 dev va
	ip -n b addr add 192.0.2.2/24 dev vb
	ip -n b addr add 192.0.2.12/24 dev vb
	for n in a b; do
		ip -n $n link set lo up
		ip -n $n link set v$n up
	done
	ip -n a addr add 10.1.0.1/32 dev lo
	ip -n b addr add 10.2.0.1/32 dev lo
	ip -n a route add 10.2.0.0/24 via 192.0.2.2 src 10.1.0.1
	ip -n b route add 10.1.0.0/24 via 192.0.2.1 src 10.2.0.1
	ip -n a route add 10.3.0.0/24 via 192.0.2.2 src 10.1.0.1
	ip -n a addr add 2001:db8:1::1/64 dev va nodad
	ip -n b addr add 2001:db8:1::2/64 dev vb nodad
	ip -n a addr add fd00:1::1/128 dev lo
	ip -n b addr add fd00:2::1/128 dev lo
	ip -n a route add fd00:2::/64 via 2001:db8:1::2 src fd00:1::1
	ip -n b route add fd00:1::/64 via 2001:db8:1::1 src fd00:2::1
	;;
nat)
	for n in c1 c2 nat s; do
		ip netns add $n
		ip -n $n link set lo up
	done
	ip link add v1 netns c1 type veth peer name l1 netns nat
	ip link add v2 netns c2 type veth peer name l2 netns nat
	ip link add wan netns nat type veth peer name srv netns s
	ip -n c1 addr add 10.0.1.2/24 dev v1
	ip -n c2 addr add 10.0.2.2/24 dev v2
	ip -n nat addr add 10.0.1.1/24 dev l1
	ip -n nat addr add 10.0.2.1/24 dev l2
	ip -n nat addr add 198.51.100.2/24 dev wan
	ip -n s addr add 198.51.100.1/24 dev srv
	for l in c1:v1 c2:v2 nat:l1 nat:l2 nat:wan s:srv; do
		ip -n ${l%%:*} link set ${l#*:} up
	done
	ip -n c1 route add default via 10.0.1.1
	ip -n c2 route add default via 10.0.2.1
	ip netns exec nat sysctl -qw net.ipv4.ip_forward=1
	# nft's nat table does not work in UML: the legacy one does
	for c in 1 2; do
		ip netns exec nat iptables-legacy -t nat -A POSTROUTING -o wan -s 10.0.$c.2 -p udp --sport 4500 \
			-j SNAT --to-source 198.51.100.2:450$((c - 1))
		ip netns exec nat iptables-legacy -t nat -A POSTROUTING -o wan -s 10.0.$c.2 -p udp \
			-j SNAT --to-source 198.51.100.2
	done
	;;
*)
	echo "usage: topo.sh pair|nat" >&2
	exit 2
	;;
esac
