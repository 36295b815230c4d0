#!/bin/sh
# SPDX-License-Identifier: MIT
# netns_tunnel.sh DRIVER [ALGS...] - two network namespaces, each running
# kernel-user through ku_drive with mirrored SAs: ping across their TUN
# devices through ESP-in-UDP and raw ESP, for every algorithm; then a
# transport-mode UDP request/answer between the two (udpping -> echo).
# Proves the data path on a host without kernel ESP. Exit 77 = skipped.
set -u
DRV=$1; shift
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (netns, TUN)"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: no ip(8)"; exit 77; }
P=kut$$
A=${P}a B=${P}b
W=$(mktemp -d /tmp/kuser-netns.XXXXXX)
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
ip netns add "$A" && ip netns add "$B" || { echo "SKIP: cannot create netns"; exit 77; }
ip link add "${P}va" netns "$A" type veth peer name "${P}vb" netns "$B" || exit 1
ip -n "$A" addr add 198.51.100.1/24 dev "${P}va"
ip -n "$B" addr add 198.51.100.2/24 dev "${P}vb"
for n in "$A" "$B"; do ip -n "$n" link set lo up; done
ip -n "$A" link set "${P}va" up
ip -n "$B" link set "${P}vb" up

for s in a b; do
	cat > "$W/$s.conf" <<EOT
plugins = ["kernel-user"];
listen = ["198.51.100.$([ $s = a ] && echo 1 || echo 2)"];
state_dir = "$W/state-$s";
control_socket = "$W/ctl-$s.sock";
kernel-user = { tun = "${P}t$s"; mtu = 1400; threads = ${KU_THREADS:-0}; offload = ${KU_OFFLOAD:-true}; };
EOT
done

# start SIDE SPECFILE [EXTRA-SPEC]: the driver in its namespace (one spec per line), waits for "ready"
start() {
	side=$1 specfile=$2 extra=${3:-}
	ns=$A; [ "$side" = b ] && ns=$B
	: > "$W/$side.out"
	old=$IFS; IFS='
'
	set -- $(cat "$specfile") $extra
	IFS=$old
	ip netns exec "$ns" "$DRV" "$W/$side.conf" "$@" > "$W/$side.out" 2> "$W/$side.err" &
	eval "PID_$side=$!"
	PIDS="$PIDS $!"
	ku_wait_ready "$W/$side.out" 5 $! || { echo "driver $side did not start:"; cat "$W/$side.err"; return 1; }
}

stop() {
	for side in a b; do
		eval "p=\${PID_$side:-}"
		[ -n "$p" ] || continue
		kill -INT "$p" 2>/dev/null; wait "$p"
		rc=$?
		[ $rc = 0 ] || { echo "driver $side exited $rc"; cat "$W/$side.err"; return 1; }
		eval "PID_$side="
	done
	PIDS=
}

# sa_specs SIDE ALG ENCAP MODE: the SA and policy specs of one side (mirrored)
sa_specs() {
	side=$1 alg=$2 encap=$3 mode=$4
	ku_alg "$alg"
	k1=$(ku_key "$EKL" 1) k2=$(ku_key "$EKL" 2) i1=$(ku_key "$IKL" 3) i2=$(ku_key "$IKL" 4)
	me=198.51.100.1 peer=198.51.100.2 vme=203.0.113.1 vpeer=203.0.113.2 outspi=0x1001 inspi=0x2001
	ok=$k1 ik=$k2 oi=$i1 ii=$i2
	if [ "$side" = b ]; then
		me=198.51.100.2 peer=198.51.100.1 vme=203.0.113.2 vpeer=203.0.113.1 outspi=0x2001 inspi=0x1001
		ok=$k2 ik=$k1 oi=$i2 ii=$i1
	fi
	e=; [ "$encap" = udp ] && e="encap=4500:4500"
	integ=; [ "$INTEG" != 0 ] && integ="integ=$INTEG"
	oik=; iik=; [ "$IKL" != 0 ] && oik="ikey=$oi" iik="ikey=$ii"
	if [ "$mode" = tunnel ]; then
		echo "sa out spi=$outspi src=$me dst=$peer mode=tunnel enc=$ENC ekey=$ok $integ $oik $e reqid=1 lts=$vme rts=$vpeer"
		echo "sa in spi=$inspi src=$peer dst=$me mode=tunnel enc=$ENC ekey=$ik $integ $iik $e reqid=1 lts=$vme rts=$vpeer"
		echo "policy out src=$vme dst=$vpeer reqid=1 mode=tunnel"
	else
		echo "sa out spi=$outspi src=$me dst=$peer mode=transport enc=$ENC ekey=$ok $integ $oik $e reqid=2"
		echo "sa in spi=$inspi src=$peer dst=$me mode=transport enc=$ENC ekey=$ik $integ $iik $e reqid=2"
		echo "policy out src=$me dst=$peer reqid=2 mode=transport proto=17 dport=1701"
		echo "policy out src=$me dst=$peer reqid=2 mode=transport proto=17 sport=1701"
	fi
}

# tcp_check: 4 MiB of random bytes over TCP from A to B through the tunnel,
# checked by SHA-256 (TSO segmentation and GRO coalescing must keep every byte)
PY=$(command -v python3 || true)
head -c 4194304 /dev/urandom > "$W/blob"
WANT="4194304 $(sha256sum "$W/blob" | cut -d' ' -f1)"
tcp_check() {
	[ -n "$PY" ] || return 0
	ip netns exec "$B" "$PY" -c '
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("203.0.113.2", 5001)); s.listen(1); s.settimeout(10)
c, _ = s.accept(); c.settimeout(10); h = hashlib.sha256(); n = 0
while True:
    d = c.recv(65536)
    if not d: break
    h.update(d); n += len(d)
print(n, h.hexdigest())' > "$W/tcp.out" 2>&1 &
	sp=$!
	sleep 0.3
	ip netns exec "$A" timeout 10 "$PY" -c '
import socket, sys
s = socket.create_connection(("203.0.113.2", 5001), timeout=10)
s.sendall(open(sys.argv[1], "rb").read()); s.close()' "$W/blob" || { kill $sp 2>/dev/null; wait $sp; return 1; }
	wait $sp
	[ "$(cat "$W/tcp.out")" = "$WANT" ]
}

fail=0 pass=0
ALGS=${*:-$(ku_alg_names)}
ip -n "$A" link show >/dev/null
for encap in udp raw; do
	for alg in $ALGS; do
		sa_specs a "$alg" "$encap" tunnel > "$W/sa"
		sa_specs b "$alg" "$encap" tunnel > "$W/sb"
		ok=1
		start a "$W/sa" && start b "$W/sb" || ok=0
		if [ $ok = 1 ]; then
			# the routes into the TUN devices come from the plugins (outbound tunnel policies)
			ip -n "$A" addr add 203.0.113.1/32 dev "${P}ta" && ip -n "$B" addr add 203.0.113.2/32 dev "${P}tb" &&
			ip -n "$A" route show 203.0.113.2 | grep -q "dev ${P}ta proto 75" || ok=0
		fi
		# both directions: A pings B, B pings A
		[ $ok = 1 ] && ip netns exec "$A" ping -q -c 2 -i 0.2 -W 2 203.0.113.2 >"$W/ping" 2>&1 || ok=0
		[ $ok = 1 ] && ip netns exec "$B" ping -q -c 2 -i 0.2 -W 2 -s 1300 203.0.113.1 >>"$W/ping" 2>&1 || ok=0
		[ $ok = 1 ] && { tcp_check || { ok=0; echo "tcp transfer through the tunnel corrupted or failed: $(cat "$W/tcp.out")" >> "$W/ping"; }; }
		stop || ok=0
		if [ $ok = 1 ]; then
			pass=$((pass + 1)); echo "ok   tunnel $encap $alg: $(grep '^esp' "$W/a.out")"
		else
			fail=$((fail + 1)); echo "FAIL tunnel $encap $alg"; cat "$W/ping" "$W/a.err" "$W/b.err" 2>/dev/null | tail -20
		fi
		for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
		PIDS=; PID_a=; PID_b=
	done
done

# transport mode: a protocol plugin's UDP request on B through the net_send hook, echoed on A
for encap in udp raw; do
	alg=aes256gcm16
	[ "$encap" = raw ] && alg=aes128-sha256
	sa_specs a "$alg" "$encap" transport > "$W/sa"
	sa_specs b "$alg" "$encap" transport > "$W/sb"
	ok=1
	start a "$W/sa" "echo 1701" || ok=0
	if [ $ok = 1 ]; then
		old=$IFS; IFS='
'
		set -- $(cat "$W/sb")
		IFS=$old
		timeout 10 ip netns exec "$B" "$DRV" "$W/b.conf" "$@" "udpping 1701 198.51.100.1 1701 hello-l2tp" \
			> "$W/b.out" 2> "$W/b.err" || ok=0
		grep -q 'answer "hello-l2tp" through ESP' "$W/b.out" || ok=0
	fi
	PID_b=
	stop || ok=0
	grep -q "through ESP" "$W/a.err" || ok=0
	if [ $ok = 1 ]; then
		pass=$((pass + 1)); echo "ok   transport $encap $alg: $(grep '^udpping' "$W/b.out")"
	else
		fail=$((fail + 1)); echo "FAIL transport $encap $alg"; cat "$W/a.err" "$W/b.out" "$W/b.err" | tail -20
	fi
done
echo "netns kernel-user: $pass passed, $fail failed"
[ $fail = 0 ]
