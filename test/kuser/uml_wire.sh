#!/bin/sh
# SPDX-License-Identifier: MIT
# uml_wire.sh SRCDIR DRIVER ENCAPSOCK UDP_PROBE [ALGS...] - runs INSIDE UML
# (test/lab/uml/uml-run.sh): wire compatibility of kernel-user with Linux's
# own ESP. Namespace kx has kernel ESP, configured with `ip xfrm` (the
# stand-in for kernel-xfrm); namespace ku runs kernel-user through ku_drive
# with the mirrored SAs. For every algorithm, with and without UDP
# encapsulation: ping both ways in tunnel mode, and a UDP request from the
# kernel side answered by ku_drive's echo service in transport mode.
set -u
SRC=$1 DRV=$2 ENCAPSOCK=$3 PROBE=$4
shift 4
. "$SRC/lib.sh"
export KU_PLUGIN_SO="$SRC/kernel-user.so"
modprobe -a veth tun esp4 xfrm_user 2>/dev/null
W=/tmp/kw
mkdir -p $W
ip netns add kx && ip netns add ku || exit 1
ip link add kxv netns kx type veth peer name kuv netns ku || exit 1
ip -n kx addr add 198.51.100.1/24 dev kxv
ip -n ku addr add 198.51.100.2/24 dev kuv
for n in kx ku; do ip -n $n link set lo up; done
ip -n kx link set kxv up
ip -n ku link set kuv up
ip -n kx addr add 203.0.113.1/32 dev lo
ip -n kx route replace 203.0.113.2/32 dev kxv src 203.0.113.1
cat > $W/ku.conf <<EOT
plugins = ["kernel-user"];
listen = ["198.51.100.2"];
state_dir = "$W/state";
control_socket = "$W/ctl.sock";
kernel-user = { tun = "kut0"; };
EOT
# the kernel side's UDP_ENCAP socket, for ESP-in-UDP it receives
ip netns exec kx "$ENCAPSOCK" 4500 > $W/encap.out 2>&1 &
EPID=$!
ku_wait_ready $W/encap.out 5 $EPID || { echo "encap socket failed"; cat $W/encap.out; exit 1; }

# xfrm_states ENCAP MODE: kernel side SAs (kx = 198.51.100.1), mirrored of ku's
xfrm_states() {
	k1=$(ku_key "$EKL" 1) k2=$(ku_key "$EKL" 2) i1=$(ku_key "$IKL" 3) i2=$(ku_key "$IKL" 4)
	e=; [ "$1" = udp ] && e="encap espinudp 4500 4500 0.0.0.0"
	[ "${ESN:-0}" = 1 ] && e="$e replay-window 1024 flag esn"
	for dir in out in; do
		if [ $dir = out ]; then s=198.51.100.1 d=198.51.100.2 spi=0x1001 k=$k1 i=$i1
		else s=198.51.100.2 d=198.51.100.1 spi=0x2001 k=$k2 i=$i2; fi
		if [ "$XAUTH" = - ]; then
			ip -n kx xfrm state add src $s dst $d proto esp spi $spi reqid 1 mode "$2" $e \
				aead "$XENC" 0x$k "$ICV" || return 1
		else
			ip -n kx xfrm state add src $s dst $d proto esp spi $spi reqid 1 mode "$2" $e \
				enc "$XENC" 0x$k auth-trunc "$XAUTH" 0x$i "$ICV" || return 1
		fi
	done
	if [ "$2" = tunnel ]; then
		ip -n kx xfrm policy add src 203.0.113.1/32 dst 203.0.113.2/32 dir out \
			tmpl src 198.51.100.1 dst 198.51.100.2 proto esp reqid 1 mode tunnel &&
		ip -n kx xfrm policy add src 203.0.113.2/32 dst 203.0.113.1/32 dir in \
			tmpl src 198.51.100.2 dst 198.51.100.1 proto esp reqid 1 mode tunnel
	else
		ip -n kx xfrm policy add src 198.51.100.1/32 dst 198.51.100.2/32 proto udp dport 1701 dir out \
			tmpl proto esp reqid 1 mode transport &&
		ip -n kx xfrm policy add src 198.51.100.2/32 dst 198.51.100.1/32 proto udp sport 1701 dir in \
			tmpl proto esp reqid 1 mode transport
	fi
}

# ku_specs ENCAP MODE: ku_drive's side (ku = 198.51.100.2), one spec per line
ku_specs() {
	k1=$(ku_key "$EKL" 1) k2=$(ku_key "$EKL" 2) i1=$(ku_key "$IKL" 3) i2=$(ku_key "$IKL" 4)
	e=; [ "$1" = udp ] && e="encap=4500:4500"
	[ "${ESN:-0}" = 1 ] && e="$e esn=1 window=1024"
	integ=; oi=; ii=
	[ "$INTEG" != 0 ] && integ="integ=$INTEG" oi="ikey=$i2" ii="ikey=$i1"
	if [ "$2" = tunnel ]; then
		echo "sa out spi=0x2001 src=198.51.100.2 dst=198.51.100.1 mode=tunnel enc=$ENC ekey=$k2 $integ $oi $e reqid=1 lts=203.0.113.2 rts=203.0.113.1"
		echo "sa in spi=0x1001 src=198.51.100.1 dst=198.51.100.2 mode=tunnel enc=$ENC ekey=$k1 $integ $ii $e reqid=1 lts=203.0.113.2 rts=203.0.113.1"
		echo "policy out src=203.0.113.2 dst=203.0.113.1 reqid=1 mode=tunnel"
	else
		echo "sa out spi=0x2001 src=198.51.100.2 dst=198.51.100.1 mode=transport enc=$ENC ekey=$k2 $integ $oi $e reqid=2"
		echo "sa in spi=0x1001 src=198.51.100.1 dst=198.51.100.2 mode=transport enc=$ENC ekey=$k1 $integ $ii $e reqid=2"
		echo "policy out src=198.51.100.2 dst=198.51.100.1 reqid=2 mode=transport proto=17 sport=1701"
		echo "echo 1701"
	fi
}

pass=0 fail=0
ALGS=${*:-$(ku_alg_names)}
# every algorithm in both modes and encapsulations, then extended sequence numbers
# (never on the wire, yet in the GCM AAD and the HMAC input) for one AEAD and one CBC suite
CASES=
for mode in tunnel transport; do
	for encap in udp raw; do
		for alg in $ALGS; do CASES="$CASES $mode:$encap:$alg:0"; done
	done
done
for alg in aes256gcm16 aes256-sha256; do
	for encap in udp raw; do CASES="$CASES tunnel:$encap:$alg:1"; done
done
for c in $CASES; do
	mode=${c%%:*} r=${c#*:}; encap=${r%%:*} r=${r#*:}; alg=${r%%:*} ESN=${r#*:}
	{
		{
			ku_alg "$alg"
			ok=1 why=
			ip -n kx xfrm state flush; ip -n kx xfrm policy flush
			xfrm_states $encap $mode > $W/xfrm.err 2>&1 || { ok=0 why="ip xfrm: $(cat $W/xfrm.err)"; }
			ku_specs $encap $mode > $W/specs
			old=$IFS; IFS='
'
			set -- $(cat $W/specs)
			IFS=$old
			: > $W/ku.out
			ip netns exec ku "$DRV" $W/ku.conf "$@" > $W/ku.out 2> $W/ku.err &
			DPID=$!
			ku_wait_ready $W/ku.out 10 $DPID || { ok=0 why="driver: $(tail -3 $W/ku.err)"; }
			if [ $ok = 1 ] && [ $mode = tunnel ]; then
				ip -n ku addr add 203.0.113.2/32 dev kut0
				ip -n ku route replace 203.0.113.1/32 dev kut0
				ip netns exec kx ping -q -c 2 -i 0.2 -W 2 -I 203.0.113.1 203.0.113.2 > $W/ping 2>&1 ||
					{ ok=0 why="ping kernel -> kernel-user failed"; }
				[ $ok = 1 ] && { ip netns exec ku ping -q -c 2 -i 0.2 -W 2 -s 1200 203.0.113.1 > $W/ping 2>&1 ||
					{ ok=0 why="ping kernel-user -> kernel failed"; }; }
			elif [ $ok = 1 ]; then
				ans=$(ip netns exec kx "$PROBE" -w 3000 -i 200 198.51.100.2 1701 "l2tp-$alg") ||
					{ ok=0 why="udp echo got no answer"; }
				[ $ok = 1 ] && [ "$ans" != "l2tp-$alg" ] && { ok=0 why="udp echo answered '$ans'"; }
				[ $ok = 1 ] && ! grep -q "through ESP" $W/ku.err && { ok=0 why="echo request arrived in the clear"; }
			fi
			kill -INT $DPID 2>/dev/null; wait $DPID || { [ $ok = 1 ] && ok=0 why="driver exit status $?"; }
			# the kernel's counters must show traffic both ways on its SAs
			if [ $ok = 1 ]; then
				n=$(ip -n kx -s xfrm state | grep -cE "^[[:space:]]+[1-9][0-9]*\(bytes\)")
				[ "$n" -ge 2 ] || { ok=0 why="kernel SA counters did not move: $(ip -n kx -s xfrm state | grep -E 'spi|bytes')"; }
			fi
			tag="$mode $encap $alg"; [ "$ESN" = 1 ] && tag="$tag esn"
			if [ $ok = 1 ]; then
				pass=$((pass + 1)); echo "ok   $tag"
			else
				fail=$((fail + 1)); echo "FAIL $tag: $why"
				tail -3 $W/ku.err
			fi
		}
	}
done
kill $EPID 2>/dev/null
echo "uml wire kernel-user vs Linux: $pass passed, $fail failed"
[ $fail = 0 ]
