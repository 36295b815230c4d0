#!/bin/sh
# SPDX-License-Identifier: MIT
# ikev2_load.sh - IKEv2 responder benchmark (issue 10, "Benchmarks"): the
# same certificates and groups against kanmond (ikev2 + kernel-user) and
# strongSwan's charon (kernel-libipsec), one after the other in one run,
# each in a server network namespace this script creates and removes, the
# load generator (ikev2_loadgen) in a client namespace. Prints figures; fails
# only when handshakes fail (< 95% completed in a phase), never on timings.
#
# Usage (root): ikev2_load.sh [--quick] [--n N] [--m M] [--window W] [--rate R]
#                 [--keys "rsa ec"] [--servers "kanmon strongswan"] [--perf] [--keep]
#                 [--gen-args "--verify --delete ..."]
#   --quick   N=500, M=200 (ctest bench.ikev2_load)
#   N         clients established between the two rate phases (default 10000)
#   M         handshakes per rate phase (default 1000)
#   --perf    perf record of the responder during "fill", top symbols printed
#   --gen-args  more ikev2_loadgen run options (--verify: check the server's
#             AUTH; --delete: DELETE each IKE SA, then nothing stays established)
# Environment: LOADGEN, KANMOND, KANMONCTL, PLUGIN_DIR (ctest sets them; by
#   hand they default to build-rel/), CHARON (/usr/lib/ipsec/charon).
# Exit: 0 figures printed, 1 handshakes failed or a server did not start,
#   77 skipped (not root, a binary missing), 2 usage.
#
# Per server and server key (RSA-2048, ECDSA P-256; client keys always P-256,
# AUTH method 14 ECDSA-SHA256; IKE aes128gcm16-prfsha256-ecp256, ESP
# aes128gcm16 UDP-encapsulated), on a fresh server:
#   phase "empty"   M handshakes, nothing established yet
#   phase "fill"    N handshakes: N + M clients established
#   phase "loaded"  M handshakes with N + M established
# and before all that, ikev2_loadgen crypto: the public-key work per
# handshake through kanmond's code (the bound). Figures per phase: responder
# CPU-s per handshake from /proc/PID/stat (utime + stime, all threads),
# handshakes per CPU-second, wall rate; memory per established client from
# smaps_rollup (Rss, Pss) before "empty" and after "fill", over N + M.
#
# Why charon with kernel-libipsec: this host's kernel has no ESP, and a
# charon without an IPsec backend cannot install CHILD SAs (the IKE_AUTH
# would fail or carry no CHILD SA). kernel-libipsec keeps CHILD SAs in
# charon's process, as kernel-user does in kanmond's, so both responders do
# the same work and the memory figures hold comparable state. Route
# installation is off for charon (install_routes = no): kanmond installs no
# per-client route either (its TUN route covers the pool), and 10,000
# netlink route changes would be charon's cost of the demo, not of IKE.
# Logging is off on both sides (kanmond: notice, which is silent for
# accepted clients; charon: -1). DoS protections that would turn a single
# generator address into cookies or blocks are off on both (kanmond
# cookie_threshold = 0; charon cookie/block thresholds far above N).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LAB=$ROOT/test/lab
# shellcheck source=../lab/lib/wait.sh
. "$LAB/lib/wait.sh"
# shellcheck source=../lab/lib/charon.sh
. "$LAB/lib/charon.sh"

N=10000 M=1000 W=32 RATE= KEYS="rsa ec" SERVERS="kanmon strongswan" PERF=no KEEP=no GEN_ARGS=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) N=500 M=200 ;;
	--n) N=$2; shift ;;
	--m) M=$2; shift ;;
	--window) W=$2; shift ;;
	--rate) RATE=$2; shift ;;
	--keys) KEYS=$2; shift ;;
	--servers) SERVERS=$2; shift ;;
	--gen-args) GEN_ARGS=$2; shift ;;
	--perf) PERF=yes ;;
	--keep) KEEP=yes ;;
	*) echo "usage: $0 [--quick] [--n N] [--m M] [--window W] [--rate R] [--keys \"rsa ec\"] [--servers \"kanmon strongswan\"] [--perf] [--keep] [--gen-args ARGS]" >&2; exit 2 ;;
	esac
	shift
done

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
B=$ROOT/build-rel
LOADGEN=${LOADGEN:-$B/test/bench/ikev2_loadgen}
KANMOND=${KANMOND:-$B/core/kanmond}
KANMONCTL=${KANMONCTL:-$B/core/kanmonctl}
PLUGIN_DIR=${PLUGIN_DIR:-$B/plugins}
[ -x "$LOADGEN" ] || skip "no ikev2_loadgen ($LOADGEN)"
for s in $SERVERS; do
	case $s in
	kanmon)
		[ -x "$KANMOND" ] && [ -x "$KANMONCTL" ] || skip "no kanmond/kanmonctl ($KANMOND)"
		[ -f "$PLUGIN_DIR/ikev2.so" ] && [ -f "$PLUGIN_DIR/kernel-user.so" ] ||
			skip "no ikev2.so / kernel-user.so in $PLUGIN_DIR" ;;
	strongswan)
		_m=$(charon_prereq)
		[ -z "$_m" ] || skip "needs $_m" ;;
	*) echo "unknown server $s" >&2; exit 2 ;;
	esac
done
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

P=kload-$$
NS_SRV=$P-srv NS_CLI=$P-cli
SRV_ADDR=198.51.100.1 CLI_ADDR=198.51.100.2
SERVER_ID=vpn.example.com
POOL=10.64.0.1-10.67.255.254	# a /14: room for N + 2 M clients
WORK=$(mktemp -d /tmp/kload.XXXXXX) || exit 1
SPID= PERF_PID= FAILED=

cleanup() {
	[ -n "$PERF_PID" ] && kill -INT "$PERF_PID" 2>/dev/null
	[ -n "$SPID" ] && stop_pid "$SPID" 10
	[ -n "$SPID" ] && wait "$SPID" 2>/dev/null
	for ns in $NS_CLI $NS_SRV; do
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			stop_pid "$pid" 3
		done
		ip netns del "$ns" 2>/dev/null || log "could not delete netns $ns"
	done
	if [ "$KEEP" = yes ]; then
		log "kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

topo_up() {
	ip netns add "$NS_SRV" && ip netns add "$NS_CLI" &&
	ip -n "$NS_SRV" link set lo up && ip -n "$NS_CLI" link set lo up &&
	ip link add ld0 netns "$NS_SRV" type veth peer name ld1 netns "$NS_CLI" &&
	ip -n "$NS_SRV" addr add "$SRV_ADDR/24" dev ld0 && ip -n "$NS_CLI" addr add "$CLI_ADDR/24" dev ld1 &&
	ip -n "$NS_SRV" link set ld0 up && ip -n "$NS_CLI" link set ld1 up || return 1
	# bursts of IKE_SA_INIT: room in the socket buffers (per-namespace
	# where the kernel has it; the host's values otherwise)
	for ns in $NS_SRV $NS_CLI; do
		ip netns exec "$ns" sysctl -qw net.core.rmem_max=8388608 net.core.wmem_max=8388608 \
			net.core.rmem_default=4194304 2>/dev/null || :
	done
	ip netns exec "$NS_CLI" sysctl -qw net.ipv4.ip_local_port_range="40000 60999" 2>/dev/null || :
}

# ---- kanmond -----------------------------------------------------------------
kanmon_start() { # KEY DIR
	mkdir -p "$2/state" || return 1
	cat > "$2/kanmon.conf" <<EOT
# generated by test/bench/ikev2_load.sh
plugins = ["kernel-user", "ikev2"];
plugin_dir = "$PLUGIN_DIR";
listen = ["$SRV_ADDR"];
state_dir = "$2/state";
control_socket = "$2/kanmon.sock";
user = "";
log = { level = "notice"; };
pools = ( { name = "clients"; range = ["$POOL"]; dns = ["198.51.100.53"]; } );
ca = {
	trust = ["$WORK/pki/ca.crt"];
	certificates = ( { name = "server"; cert = "$WORK/pki/server-$1.crt"; key = "$WORK/pki/server-$1.key"; } );
};
kernel-user = { tun = "kanmon0"; };
ikev2 = {
	server_id = "$SERVER_ID";
	pool = "clients";
	certificate = "server";
	dpd = 0;		# the generator answers nothing once established
	cookie_threshold = 0;	# one generator address: no cookies (charon: likewise)
	half_open_max = 100000;
};
EOT
	"$KANMOND" -t -c "$2/kanmon.conf" >"$2/check.log" 2>&1 || { cat "$2/check.log" >&2; return 1; }
	ip netns exec "$NS_SRV" "$KANMOND" -f -c "$2/kanmon.conf" </dev/null >"$2/kanmond.log" 2>&1 &
	SPID=$!
	wait_until 10 kanmon_ready "$2" || { log "kanmond did not start:"; tail -n 30 "$2/kanmond.log" >&2; return 1; }
}
kanmon_ready() {
	pid_alive "$SPID" || return 125
	"$KANMONCTL" -s "$1/kanmon.sock" status >/dev/null 2>&1
}

# ---- charon ------------------------------------------------------------------
IKE_PROPOSALS="aes256gcm16-aes128gcm16-prfsha256-prfsha384-prfsha512-ecp256-ecp384-modp2048-modp3072-curve25519,\
aes256-aes128-sha256-sha384-sha512-ecp256-ecp384-modp2048-modp3072-curve25519"
ESP_PROPOSALS="aes256gcm16-aes128gcm16-modpnone,aes256-aes128-sha256-sha384-sha512-modpnone"

strongswan_start() { # KEY DIR
	for d in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12 conf.d; do mkdir -p "$2/swanctl/$d" || return 1; done
	mkdir -p "$2/run" || return 1
	cat > "$2/strongswan.conf" <<EOT
charon {
  load = $LAB_CHARON_PLUGINS
  install_routes = no
  install_virtual_ip = no
  keep_alive = 0s
  cookie_threshold = 1000000
  block_threshold = 1000000
  init_limit_half_open = 0
  retransmit_tries = 3
${SW_EXTRA:-}
  filelog {
    log {
      path = $2/charon.log
      default = -1
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
}
swanctl {
  load = pem pkcs1 pkcs8 x509 openssl
}
EOT
	cp "$WORK/pki/ca.crt" "$2/swanctl/x509ca/" && cp "$WORK/pki/server-$1.crt" "$2/swanctl/x509/server.crt" || return 1
	if [ "$1" = rsa ]; then
		cp "$WORK/pki/server-rsa.key" "$2/swanctl/rsa/server.key"
	else
		cp "$WORK/pki/server-ec.key" "$2/swanctl/ecdsa/server.key"
	fi || return 1
	cat > "$2/swanctl/swanctl.conf" <<EOT
connections {
  rw {
    version = 2
    local_addrs = $SRV_ADDR
    pools = p4
    unique = never
    send_cert = always
    fragmentation = yes
    mobike = no
    proposals = $IKE_PROPOSALS
    local {
      auth = pubkey
      certs = server.crt
      id = $SERVER_ID
    }
    remote {
      auth = pubkey
      cacerts = ca.crt
    }
    children {
      rw {
        local_ts = 0.0.0.0/0
        esp_proposals = $ESP_PROPOSALS
      }
    }
  }
}
pools {
  p4 {
    addrs = $POOL
    dns = 198.51.100.53
  }
}
EOT
	charon_start "$NS_SRV" "$2" || return 1
	SPID=$(charon_pid "$2")
	if ! sw "$2" --load-all >"$2/load.log" 2>&1 || grep -q -i -E "fail|invalid|discarded" "$2/load.log"; then
		cat "$2/load.log" >&2
		return 1
	fi
}

# ---- one phase -----------------------------------------------------------------
# phase LABEL FIRST COUNT: runs the generator, keeps its RESULT line's values
# as variables R_<key>; prints its human lines.
phase() {
	_pa_rate=
	[ -n "$RATE" ] && _pa_rate="--rate $RATE --window 2048"
	# shellcheck disable=SC2086
	ip netns exec "$NS_CLI" "$LOADGEN" run --dir "$WORK/pki" --server "$SRV_ADDR" --first "$2" --count "$3" \
		--window "$W" $_pa_rate $GEN_ARGS --pid "$SPID" --label "$1" >"$WORK/phase.out" 2>&1
	_pa_rc=$?
	grep -v '^RESULT ' "$WORK/phase.out" | sed 's/^/    /'
	_pa_res=$(sed -n 's/^RESULT //p' "$WORK/phase.out")
	[ -n "$_pa_res" ] || { log "ikev2_loadgen failed (exit $_pa_rc)"; return 1; }
	for _pa_kv in $_pa_res; do
		eval "R_${_pa_kv%%=*}=\${_pa_kv#*=}"
	done
	# < 95% completed fails the benchmark (timings never do)
	if [ $((R_ok * 100)) -lt $((R_count * 95)) ]; then
		FAILED="$FAILED $1"
	fi
}

calc() { awk "BEGIN { $1 }"; }

# server_stop: SIGTERM, then wait until it is gone and reaped (bounded: with
# 10,000 SAs a responder may take a while to tear them down), SIGKILL after
# 60 s. The next server binds the same ports, so nothing may linger.
server_stop() {
	[ -n "$SPID" ] || return 0
	kill -TERM "$SPID" 2>/dev/null
	wait_until 60 pid_gone "$SPID" || { log "server $SPID did not stop within 60 s: killed"; kill -KILL "$SPID" 2>/dev/null; }
	wait "$SPID" 2>/dev/null
	SPID=
}

# bench SERVER KEY: a fresh server, three phases; figures into S_<server>_<key>_*
bench() {
	_b_d=$WORK/$1-$2
	mkdir -p "$_b_d"
	echo "== $1, server key $2"
	"$1_start" "$2" "$_b_d" || { FAILED="$FAILED $1-$2-start"; SPID=; return 1; }
	phase "$1/$2/empty" 0 "$M" || { FAILED="$FAILED $1-$2"; server_stop; return 1; }
	_b_cpu_a=$R_srv_cpu_s _b_ok_a=$R_ok _b_rate_a=$R_rate _b_rss0=$R_rss0_kib _b_pss0=$R_pss0_kib
	if [ "$PERF" = yes ] && command -v perf >/dev/null 2>&1; then
		perf record -F 499 -g -p "$SPID" -o "$_b_d/perf.data" >/dev/null 2>&1 &
		PERF_PID=$!
	fi
	phase "$1/$2/fill" "$M" "$N" || { FAILED="$FAILED $1-$2"; server_stop; return 1; }
	_b_cpu_b=$R_srv_cpu_s _b_ok_b=$R_ok _b_rss1=$R_rss1_kib _b_pss1=$R_pss1_kib
	if [ -n "$PERF_PID" ]; then
		kill -INT "$PERF_PID" 2>/dev/null
		wait "$PERF_PID" 2>/dev/null
		PERF_PID=
		echo "    perf (fill phase, self time, top entries):"
		perf report -i "$_b_d/perf.data" --stdio --no-children --sort dso,symbol 2>/dev/null |
			grep -E '^ +[0-9.]+%' | head -n 15 | sed 's/^/    /'
	fi
	phase "$1/$2/loaded" "$((M + N))" "$M" || { FAILED="$FAILED $1-$2"; server_stop; return 1; }
	_b_cpu_c=$R_srv_cpu_s _b_ok_c=$R_ok _b_rate_c=$R_rate
	_b_t=$(now_ms)
	server_stop
	echo "    stopped in $(( $(now_ms) - _b_t )) ms"
	# the figures: CPU-s per handshake over all three phases, rates per phase
	_b_fig=$(awk -v ca="$_b_cpu_a" -v cb="$_b_cpu_b" -v cc="$_b_cpu_c" -v na="$_b_ok_a" -v nb="$_b_ok_b" \
		-v nc="$_b_ok_c" -v ra="$_b_rate_a" -v rc="$_b_rate_c" -v r0="$_b_rss0" -v r1="$_b_rss1" \
		-v p0="$_b_pss0" -v p1="$_b_pss1" 'function d(x) { return x > 0 ? x : 1e-9 }
		BEGIN { cpu = ca + cb + cc; n = na + nb + nc; est = na + nb; ea = na / d(ca); ec = nc / d(cc)
			printf "%.3f %.1f %.1f %.1f %.3f %.1f %.1f %.3f %.0f %.0f %d\n", cpu * 1000 / d(n), n / d(cpu),
				ea, ec, ec / d(ea), ra, rc, rc / d(ra), (r1 - r0) * 1024 / d(est), (p1 - p0) * 1024 / d(est), est }')
	eval "S_$1_$2=\$_b_fig"
}

# ---- the run -----------------------------------------------------------------
echo "ikev2_load: N=$N established between two phases of M=$M handshakes, window $W${RATE:+, paced $RATE/s}; $(nproc) CPUs"
topo_up || { log "topology failed"; exit 1; }
T0=$(now_ms)
"$LOADGEN" pki --dir "$WORK/pki" --clients $((N + 2 * M)) --server-id "$SERVER_ID" || exit 1
for k in $KEYS; do
	"$LOADGEN" crypto --dir "$WORK/pki" --server-key "$k" --seconds 1 >"$WORK/crypto-$k.out" || exit 1
	sed '/^CRYPTO /d' "$WORK/crypto-$k.out"
	eval "BOUND_$k=$(sed -n 's/^CRYPTO .*bound_hs_per_s=\([0-9.]*\).*/\1/p' "$WORK/crypto-$k.out")"
done
for k in $KEYS; do
	for s in $SERVERS; do
		bench "$s" "$k" || log "$s with a $k server key: no figures"
	done
done

# ---- summary -----------------------------------------------------------------
echo
echo "== summary (responder CPU from /proc/PID/stat; memory from smaps_rollup; $(nproc) CPUs shared with the generator)"
printf '%-10s %-3s %7s %8s %6s %8s %8s %6s %7s %7s %6s %7s %7s %6s\n' server key "ms/hs" "hs/CPU-s" "bound" \
	"emptyCPU" "fullCPU" "ratio" "empty/s" "full/s" "ratio" "RSS/cl" "PSS/cl" "est."
for k in $KEYS; do
	eval "_bound=\${BOUND_$k:-0}"
	for s in $SERVERS; do
		eval "_f=\${S_${s}_$k:-}"
		[ -n "$_f" ] || continue
		# shellcheck disable=SC2086
		set -- $_f
		printf '%-10s %-3s %7s %8s %5.0f%% %8s %8s %6s %7s %7s %6s %7s %7s %6s\n' "$s" "$k" "$1" "$2" \
			"$(calc "print 100 * $2 / $_bound")" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10}" "${11}"
	done
	eval "_kf=\${S_kanmon_$k:-} _sf=\${S_strongswan_$k:-}"
	if [ -n "$_kf" ] && [ -n "$_sf" ]; then
		# shellcheck disable=SC2086
		calc "split(\"$_kf\", a, \" \"); split(\"$_sf\", b, \" \");
			printf \"kanmond/strongSwan, %s server key: %.2f x the handshakes per CPU-second, %.2f x the memory per client (PSS)\n\",
				\"$k\", a[2] / b[2], (b[10] > 0 ? a[10] / b[10] : 0)"
	fi
done
echo "columns: ms/hs = responder CPU-ms per completed handshake (all phases); hs/CPU-s its inverse;"
echo "  bound = that over the crypto bound above; emptyCPU/fullCPU = handshakes per CPU-second with 0 and"
echo "  with N+M established, ratio = full/empty; empty/s, full/s = wall rates, ratio = full/empty;"
echo "  RSS/cl, PSS/cl = bytes per established client (kanmond: includes kernel-user's CHILD SA state,"
echo "  ~2 x 1446 B per client per plugins/kernel-user/README.md; charon: includes libipsec's)"
echo "ikev2_load: $(( ($(now_ms) - T0) / 1000 )) s"
if [ -n "$FAILED" ]; then
	echo "FAIL: fewer than 95% of the handshakes completed or a server did not start:$FAILED"
	exit 1
fi
exit 0
