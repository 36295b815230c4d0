#!/bin/sh
# SPDX-License-Identifier: MIT
# bench.sh DRIVER [SECONDS] - throughput between two network namespaces over
# veth, from ONE run each (figures, never pass/fail):
#   raw veth | kernel-user AES-256-GCM (ESP-in-UDP, raw ESP, 2 threads, and
#   with 10,000 more SA pairs installed) | strongSwan charon with
#   kernel-libipsec, esp aes256gcm16, PSK (skipped if charon is missing).
# iperf3 TCP (package iperf3), tunnel MTU 1400: every ESP packet carries a
# 1400-byte inner packet. Reports Mbit/s, packets/s (1400-byte packets:
# TCP payload bytes / 1348) and CPU time per packet: all CPUs (/proc/stat,
# iperf3 and kernel included) and the ESP endpoints' own processes.
set -u
DRV=$1 T=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v iperf3 >/dev/null || { echo "SKIP: needs iperf3 (apt-get install iperf3)"; exit 77; }
P=kub$$ A=kub$$a B=kub$$b
W=$(mktemp -d /tmp/kuser-bench.XXXXXX)
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
ip netns add "$A"; ip netns add "$B"
ip link add "${P}va" netns "$A" type veth peer name "${P}vb" netns "$B"
ip -n "$A" addr add 198.51.100.1/24 dev "${P}va"; ip -n "$B" addr add 198.51.100.2/24 dev "${P}vb"
for n in "$A" "$B"; do ip -n "$n" link set lo up; done
ip -n "$A" link set "${P}va" up; ip -n "$B" link set "${P}vb" up

busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }	# jiffies: user nice system irq softirq
proc_cpu() { s=0; for p in "$@"; do [ -r /proc/$p/stat ] && s=$((s + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $s; }
HZ=$(getconf CLK_TCK)

# measure LABEL DST PIDS...: one iperf3 run from A to DST; prints a result line
measure() {
	label=$1 dst=$2; shift 2
	ip netns exec "$B" iperf3 -s -1 -B "$dst" > /dev/null 2>&1 &
	SP=$!
	sleep 0.3
	b0=$(busy) p0=$(proc_cpu "$@")
	ip netns exec "$A" iperf3 -c "$dst" -t "$T" -J > "$W/iperf.json" 2>&1
	b1=$(busy) p1=$(proc_cpu "$@")
	wait $SP 2>/dev/null
	bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"])' "$W/iperf.json" 2>/dev/null || echo 0)
	secs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["seconds"])' "$W/iperf.json" 2>/dev/null || echo 1)
	awk -v l="$label" -v b="$bytes" -v s="$secs" -v cb=$((b1 - b0)) -v cp=$((p1 - p0)) -v hz="$HZ" -v np=$# 'BEGIN {
		pk = b / 1348; mbit = b * 8 / s / 1e6; pps = pk / s;
		printf "%-44s %8.0f Mbit/s %9.0f pkt/s  cpu/pkt all %6.2f us", l, mbit, pps, pk ? cb / hz / pk * 1e6 : 0;
		if (np) printf "  esp procs %6.2f us", pk ? cp / hz / pk * 1e6 : 0;
		printf "\n" }' | tee -a "$W/results"
	echo "$bytes $secs" > "$W/last"
}

echo "# kernel-user benchmark: $(nproc) CPUs, $(uname -r), iperf3 TCP $T s per run, 1400-byte tunnel MTU"
measure "raw veth (MTU 1500, offloads on)" 198.51.100.2

# kernel-user endpoints
run_ku() {
	label=$1 encap=$2 threads=$3 extra=$4
	for s in a b; do
		n=1; [ $s = b ] && n=2
		printf 'plugins = ["kernel-user"];\nlisten = ["198.51.100.%s"];\nstate_dir = "%s";\ncontrol_socket = "%s";\nkernel-user = { tun = "%s"; threads = %s; };\n' \
			$n "$W/st$s" "$W/ctl$s" "${P}t$s" "$threads" > "$W/$s.conf"
	done
	k1=$(ku_key 36 1) k2=$(ku_key 36 2)
	e=; [ "$encap" = udp ] && e="encap=4500:4500"
	x=; [ "$extra" != 0 ] && x="extra $extra 198.51.100.1"
	ip netns exec "$A" "$DRV" "$W/a.conf" \
		"sa out spi=0x1001 src=198.51.100.1 dst=198.51.100.2 enc=20 ekey=$k1 $e reqid=1" \
		"sa in spi=0x2001 src=198.51.100.2 dst=198.51.100.1 enc=20 ekey=$k2 $e reqid=1" \
		"policy out src=203.0.113.1 dst=203.0.113.2 reqid=1" ${x:+"$x"} > "$W/a.out" 2> "$W/a.err" &
	DA=$!
	[ -n "$x" ] && x="extra $extra 198.51.100.2"
	ip netns exec "$B" "$DRV" "$W/b.conf" \
		"sa out spi=0x2001 src=198.51.100.2 dst=198.51.100.1 enc=20 ekey=$k2 $e reqid=1" \
		"sa in spi=0x1001 src=198.51.100.1 dst=198.51.100.2 enc=20 ekey=$k1 $e reqid=1" \
		"policy out src=203.0.113.2 dst=203.0.113.1 reqid=1" ${x:+"$x"} > "$W/b.out" 2> "$W/b.err" &
	DB=$!
	PIDS="$PIDS $DA $DB"
	ku_wait_ready "$W/a.out" 60 $DA && ku_wait_ready "$W/b.out" 60 $DB || { echo "$label: driver failed"; cat "$W/a.err"; return 1; }
	ip -n "$A" addr add 203.0.113.1/32 dev "${P}ta"; ip -n "$A" route replace 203.0.113.2/32 dev "${P}ta"
	ip -n "$B" addr add 203.0.113.2/32 dev "${P}tb"; ip -n "$B" route replace 203.0.113.1/32 dev "${P}tb"
	measure "$label" 203.0.113.2 $DA $DB
	kill -INT $DA $DB; wait $DA $DB 2>/dev/null
	PIDS=
	grep -h '^esp' "$W/a.out" "$W/b.out" | sed 's/^/    /'
}
run_ku "kernel-user aes256gcm16 ESP-in-UDP" udp 0 0
run_ku "kernel-user aes256gcm16 raw ESP" raw 0 0
run_ku "kernel-user aes256gcm16 ESP-in-UDP 2 threads" udp 2 0
run_ku "kernel-user ... ESP-in-UDP +10,000 SA pairs" udp 0 10000

# strongSwan charon + kernel-libipsec, one per namespace (LAB.md section 2)
if [ -x /usr/lib/ipsec/charon ] && command -v swanctl >/dev/null; then
	for s in a b; do
		D=$W/ch$s; mkdir -p $D/run $D/swanctl/conf.d $D/swanctl/x509 $D/swanctl/x509ca $D/swanctl/private \
			$D/swanctl/rsa $D/swanctl/ecdsa $D/swanctl/pkcs8 $D/swanctl/pkcs12 $D/swanctl/x509aa $D/swanctl/x509ocsp \
			$D/swanctl/x509crl $D/swanctl/x509ac $D/swanctl/pubkey $D/swanctl/bliss $D/swanctl/pkcs12
		cat > $D/strongswan.conf <<EOT
charon {
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey kdf kernel-libipsec kernel-netlink socket-default vici
  filelog { log { path = $D/charon.log
                  default = 1 } }
  syslog { daemon { default = -1 } }
}
swanctl { load = pem pkcs1 pkcs8 x509 openssl }
EOT
		me=1 peer=2; [ $s = b ] && me=2 peer=1
		cat > $D/swanctl/swanctl.conf <<EOT
connections {
  bench {
    version = 2
    local_addrs = 198.51.100.$me
    remote_addrs = 198.51.100.$peer
    proposals = aes256-sha256-ecp256
    local {
      auth = psk
      id = side-$me
    }
    remote {
      auth = psk
      id = side-$peer
    }
    children {
      bench {
        local_ts = 203.0.113.$me/32
        remote_ts = 203.0.113.$peer/32
        esp_proposals = aes256gcm16
      }
    }
  }
}
secrets {
  ike-bench {
    id-1 = side-1
    id-2 = side-2
    secret = "kanmon-benchmark-psk-only-for-namespaces"
  }
}
EOT
	done
	ip -n "$A" addr add 203.0.113.1/32 dev lo; ip -n "$B" addr add 203.0.113.2/32 dev lo
	for s in a b; do
		D=$W/ch$s ns=$A; [ $s = b ] && ns=$B
		STRONGSWAN_CONF=$D/strongswan.conf ip netns exec "$ns" unshare -m sh -c \
			"mount --make-rprivate / && mount --bind $D/run /run && exec /usr/lib/ipsec/charon" > /dev/null 2>&1 &
		eval "CH_$s=$!"
		PIDS="$PIDS $!"
	done
	for s in a b; do
		D=$W/ch$s n=0
		until STRONGSWAN_CONF=$D/strongswan.conf swanctl --stats --uri unix://$D/run/charon.vici >/dev/null 2>&1; do
			n=$((n + 1)); [ $n -gt 100 ] && break; sleep 0.1
		done
		STRONGSWAN_CONF=$D/strongswan.conf SWANCTL_DIR=$D/swanctl swanctl --load-all --uri unix://$D/run/charon.vici >/dev/null
	done
	D=$W/cha
	if STRONGSWAN_CONF=$D/strongswan.conf swanctl --initiate --child bench --timeout 10 --uri unix://$D/run/charon.vici > $W/init.log 2>&1; then
		sleep 0.5
		measure "strongSwan kernel-libipsec aes256gcm16" 203.0.113.2 $CH_a $CH_b
	else
		echo "strongSwan: initiate failed"; tail -5 $W/init.log
	fi
	kill $CH_a $CH_b 2>/dev/null; wait $CH_a $CH_b 2>/dev/null; PIDS=
fi
echo "#"
awk '/kernel-user aes256gcm16 ESP-in-UDP  /{ku=$(NF-9)} /libipsec/{li=$(NF-9)} END{}' "$W/results"
ku=$(grep 'kernel-user aes256gcm16 ESP-in-UDP ' "$W/results" | head -1 | awk '{for(i=1;i<=NF;i++) if($i=="Mbit/s") print $(i-1)}')
li=$(grep 'libipsec' "$W/results" | awk '{for(i=1;i<=NF;i++) if($i=="Mbit/s") print $(i-1)}')
[ -n "$ku" ] && [ -n "$li" ] && [ "$li" != 0 ] && awk -v k="$ku" -v l="$li" 'BEGIN{printf "# kernel-user / libipsec throughput: %.1fx\n", k / l}'
exit 0
