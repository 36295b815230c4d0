#!/bin/sh
# SPDX-License-Identifier: MIT
# kanmond.sh - inside UML: the real daemon with kernel-xfrm.
#  1. without ESP (esp4 unloaded, module loading off) kanmond refuses to
#     start and says what is missing and both ways out;
#  2. with ESP, tp_xfrm_user installs an SA pair and 3 policies through the
#     backend (ESP-in-UDP on the core's 4500 socket) next to a foreign SA
#     and policy with the same reqid; kanmond runs as user nobody;
#  3. SIGTERM: tp_xfrm_user removes part, kernel-xfrm's fini the rest;
#     exactly the foreign SA and policy remain.
set -u
fail() {
	echo "FAIL: $*"
	echo "--- kanmond.log:"
	cat kanmond.log 2>/dev/null
	ip -n k xfrm state
	ip -n k xfrm policy
	exit 1
}
wait_for() {	# wait_for SECONDS COMMAND...
	t=$(($1 * 10))
	shift
	while [ $t -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}
ip netns add k
ip netns add p
ip link add vk netns k type veth peer name vp netns p
ip -n k addr add 198.51.100.1/24 dev vk
ip -n p addr add 198.51.100.2/24 dev vp
for n in k p; do ip -n $n link set lo up; done
ip -n k link set vk up
ip -n p link set vp up
mkdir -p /tmp/kst
cat > kanmon.conf <<CONF
plugins = ["kernel-xfrm", "tp_xfrm_user"];
plugin_dir = "$PWD/plugins";
listen = ["198.51.100.1"];
state_dir = "/tmp/kst";
control_socket = "/tmp/kanmon.sock";
user = "nobody";
log = { level = "debug"; };
kernel-xfrm = { natt_port = 4500; replay_window = 64; };
CONF

echo "== 1. no ESP"
# the crypto modules stay (an SA added and deleted loads them), esp4 goes
ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 mode tunnel enc 'cbc(aes)' \
	0x00112233445566778899aabbccddeeff auth-trunc 'hmac(sha256)' \
	0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 128
ip xfrm state flush
modprobe -r esp4 || fail "cannot unload esp4"
echo /bin/false > /proc/sys/kernel/modprobe
rc=0
ip netns exec k ./kanmond -f -c kanmon.conf 2> kanmond.log || rc=$?
cat kanmond.log
[ $rc -ne 0 ] || fail "kanmond started without ESP"
grep -q "kernel has no ESP support (Requested type not found): load esp4, or use kernel-user" kanmond.log ||
	fail "no plain refusal"
echo /run/bin/modprobe > /proc/sys/kernel/modprobe
modprobe esp4 || fail "esp4"

echo "== 2. start"
ip -n k xfrm state add src 198.51.100.2 dst 198.51.100.1 proto esp spi 0xf00f0001 reqid 7 mode tunnel \
	aead 'rfc4106(gcm(aes))' 0x0011223344556677889900112233445566778899 128
ip -n k xfrm policy add src 10.5.0.0/24 dst 10.6.0.0/24 dir out tmpl src 198.51.100.1 dst 198.51.100.2 \
	proto esp reqid 7 mode tunnel
ip netns exec k ./kanmond -f -c kanmon.conf 2> kanmond.log &
kpid=$!
wait_for 20 grep -q "installed an SA pair and 3 policies" kanmond.log || fail "kanmond did not install"
cat kanmond.log
[ "$(ip -n k xfrm state | grep -c '^src')" = 3 ] || fail "expected 3 SAs"
[ "$(ip -n k xfrm policy | grep -c '^src')" = 4 ] || fail "expected 4 policies"
[ "$(ip -n k xfrm state | grep -c 'encap type espinudp sport 4500 dport 4500')" = 2 ] || fail "no ESP-in-UDP"
grep -q "ESP-in-UDP decapsulation enabled on 1 socket(s) of UDP port 4500" kanmond.log || fail "UDP_ENCAP not set"
grep -q "running as user nobody" kanmond.log || fail "privileges not dropped"

echo "== 3. stop"
kill -TERM $kpid
wait $kpid
echo "kanmond exited $?"
cat kanmond.log | tail -5
ip -n k xfrm state
ip -n k xfrm policy
[ "$(ip -n k xfrm state | grep -c '^src')" = 1 ] || fail "SAs left behind or foreign SA removed"
ip -n k xfrm state | grep -q 'spi 0xf00f0001' || fail "the foreign SA is gone"
[ "$(ip -n k xfrm policy | grep -c '^src')" = 1 ] || fail "policies left behind or foreign policy removed"
ip -n k xfrm policy | grep -q 'src 10.5.0.0/24 dst 10.6.0.0/24' || fail "the foreign policy is gone"
grep -q "removed 1 SA(s) and 2 XFRM policies installed by kanmon" kanmond.log || fail "no cleanup summary"
echo "PASS kanmond"
