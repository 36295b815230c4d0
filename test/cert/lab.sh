#!/bin/sh
# SPDX-License-Identifier: MIT
# cert.lab: the exported credentials work with a real IKEv2 stack and the
# revocation stops them. A strongSwan client (charon-cmd) authenticates with
# the PKCS#12 of `kanmonctl client add` (and its printed passphrase) against
# a strongSwan server (charon, kernel-libipsec) that trusts the bundle's
# ca.crt and presents the server certificate kanmonctl exported; the tunnel
# carries a ping. After `kanmonctl client revoke` + `crl export` the server,
# given the new CRL, refuses the same client.
#
# Two network namespaces joined by a veth pair (client 198.51.100.2, server
# 198.51.100.1, tunnel addresses from 203.0.113.0/25), created and removed
# here. Needs root, iproute2, strongSwan (charon, charon-cmd, swanctl) and
# /dev/net/tun; exits 77 (skipped) without them.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
need ip swanctl charon-cmd setsid unshare timeout
CHARON=${CHARON:-/usr/lib/ipsec/charon}
[ -x "$CHARON" ] || skip "no $CHARON (apt-get install strongswan)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun (kernel-libipsec needs TUN)"
ls /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so >/dev/null 2>&1 ||
	skip "no kernel-libipsec plugin (apt-get install libcharon-extra-plugins)"

ns=kcrt$$
cli=${ns}c
srv=${ns}s
spid=
cpid=
teardown() {
	for p in $cpid $spid; do
		kill "$p" 2>/dev/null || true
	done
	for p in $cpid $spid; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		kill -9 "$p" 2>/dev/null || true
	done
	ip netns del "$cli" 2>/dev/null || true
	ip netns del "$srv" 2>/dev/null || true
}
cleanup_hooks=teardown
show_logs() {
	for l in "$work"/srv/charon.log "$work"/cmd*.log; do
		[ -f "$l" ] && { echo "--- $l" >&2; tail -n 40 "$l" >&2; }
	done
	return 0
}
lfail() { show_logs; fail "$@"; }

ip netns add "$cli" && ip netns add "$srv" || skip "cannot create network namespaces"
ip link add c0 netns "$cli" type veth peer name s0 netns "$srv" || skip "cannot create a veth pair"
ip -n "$cli" addr add 198.51.100.2/24 dev c0
ip -n "$srv" addr add 198.51.100.1/24 dev s0
ip -n "$srv" addr add 203.0.113.1/32 dev lo
for n in "$cli" "$srv"; do
	ip -n "$n" link set lo up
done
ip -n "$cli" link set c0 up
ip -n "$srv" link set s0 up

# ---- credentials, with kanmonctl only
ok ca create --cn "VPN Root CA" --country JP --key rsa2048 --crl-host vpn.example.com
ok cert issue server server --cn vpn.example.com --key rsa2048
ok client add alice --server vpn.example.com --out "$work/bundle" --key rsa2048
apass=$(printed_passphrase)
[ -n "$apass" ] || fail "no passphrase printed"
D=$work/srv
mkdir -p "$D/run" "$D/swanctl/x509" "$D/swanctl/x509ca" "$D/swanctl/x509crl" "$D/swanctl/pkcs12" \
	"$D/swanctl/private" "$D/swanctl/rsa" "$D/swanctl/ecdsa" "$D/swanctl/pkcs8" "$D/swanctl/x509aa" \
	"$D/swanctl/x509ocsp" "$D/swanctl/x509ac" "$D/swanctl/pubkey" "$D/swanctl/conf.d"
cp "$work/bundle/ca.crt" "$D/swanctl/x509ca/ca.crt"
ok cert export server --format pem --out "$D/swanctl/x509/server.crt"
printf 'server p12 pass\n' >"$work/spass"
ok cert export server --format p12 --passphrase-file "$work/spass" --out "$D/swanctl/pkcs12/server.p12"

cat >"$D/strongswan.conf" <<EOF2
charon {
  load = random nonce openssl pem pkcs1 pkcs8 pkcs12 x509 revocation constraints pubkey kdf kernel-libipsec kernel-netlink socket-default vici
  filelog { log { path = $D/charon.log
                  flush_line = yes
                  default = 1
                  cfg = 2 } }
  syslog { daemon { default = -1 } }
}
swanctl { load = pem pkcs1 pkcs8 pkcs12 x509 openssl }
EOF2
cat >"$D/swanctl/swanctl.conf" <<'EOF2'
connections {
  rw {
    version = 2
    local_addrs = 198.51.100.1
    pools = pool4
    fragmentation = yes
    proposals = aes256-sha256-modp2048
    local {
      auth = pubkey
      certs = server.crt
      id = vpn.example.com
    }
    remote {
      auth = pubkey
      cacerts = ca.crt
      id = "C=JP, CN=*"
    }
    children {
      rw {
        local_ts = 0.0.0.0/0
        esp_proposals = aes256-sha256
      }
    }
  }
}
pools { pool4 { addrs = 203.0.113.2-203.0.113.126 } }
secrets {
  pkcs12-server {
    file = server.p12
    secret = "server p12 pass"
  }
}
EOF2
# one charon per namespace, each with its own /run (its pid file is fixed there)
STRONGSWAN_CONF=$D/strongswan.conf ip netns exec "$srv" unshare -m sh -c \
	"mount --make-rprivate / && mount --bind '$D/run' /run && exec '$CHARON'" >"$D/stdout" 2>&1 &
spid=$!
sw() { STRONGSWAN_CONF=$D/strongswan.conf SWANCTL_DIR=$D/swanctl swanctl "$@" --uri "unix://$D/run/charon.vici"; }
i=0
until sw --stats >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || lfail "server charon did not answer within 10 s"
	sleep 0.1
done
sw --load-all >"$work/load.txt" 2>&1 || { cat "$work/load.txt" >&2; lfail "swanctl --load-all"; }
grep -q "loaded certificate from '.*ca.crt'" "$work/load.txt" || { cat "$work/load.txt" >&2; lfail "ca.crt not loaded"; }
grep -q "loaded .*pkcs12.*server.p12\|loaded pkcs12 .*server.p12\|server.p12" "$work/load.txt" ||
	{ cat "$work/load.txt" >&2; lfail "server.p12 not loaded"; }

cat >"$work/cmd.conf" <<'EOF2'
charon-cmd {
  load = random nonce openssl pem pkcs1 pkcs8 pkcs12 x509 revocation constraints pubkey kdf kernel-libipsec kernel-netlink socket-default
}
EOF2
# connect N: charon-cmd with the exported PKCS#12; its passphrase on stdin (setsid:
# no terminal, so getpass reads stdin). Returns once connected (0) or refused (1).
connect() {
	log=$work/cmd$1.log
	mkdir -p "$work/cmdrun$1"
	printf '%s\n' "$apass" | STRONGSWAN_CONF=$work/cmd.conf ip netns exec "$cli" unshare -m sh -c \
		"mount --make-rprivate / && mount --bind '$work/cmdrun$1' /run && exec setsid charon-cmd \
		--host 198.51.100.1 --identity 'C=JP, CN=alice@vpn.example.com' --remote-identity vpn.example.com \
		--profile ikev2-pub --p12 '$work/bundle/alice.p12' --cert '$work/bundle/ca.crt' \
		--remote-ts 0.0.0.0/0 --ike-proposal aes256-sha256-modp2048 --esp-proposal aes256-sha256" \
		>"$log" 2>&1 &
	cpid=$!
	i=0
	while [ $i -lt 150 ]; do
		if ip -n "$cli" -4 addr show 2>/dev/null | grep -q "inet 203\.0\.113\."; then
			return 0
		fi
		kill -0 "$cpid" 2>/dev/null || { wait "$cpid" 2>/dev/null || true; cpid=; return 1; }
		sleep 0.1
		i=$((i + 1))
	done
	lfail "charon-cmd neither connected nor gave up within 15 s"
}
disconnect() {
	kill -INT "$cpid" 2>/dev/null || true
	i=0
	while kill -0 "$cpid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	wait "$cpid" 2>/dev/null || true
	cpid=
}

# ---- the bundle works
connect 1 || lfail "alice could not connect with her exported PKCS#12"
ip netns exec "$cli" ping -c 3 -i 0.2 -W 2 203.0.113.1 >"$work/ping.txt" 2>&1 ||
	{ cat "$work/ping.txt" >&2; lfail "no traffic through the tunnel"; }
sw --list-sas >"$work/sas.txt" 2>&1
grep -q "C=JP, CN=alice@vpn.example.com" "$work/sas.txt" || { cat "$work/sas.txt" >&2; lfail "server shows no SA for alice"; }
disconnect
# charon-cmd's log (stdout, buffered) is complete once it has exited
grep -q "authentication of 'vpn.example.com' with RSA" "$work/cmd1.log" ||
	lfail "the client did not authenticate the server with the exported certificate"

# ---- revoked: kanmonctl revokes and exports the CRL; the server, given it, refuses alice
ok client revoke alice
ok crl export --out "$D/swanctl/x509crl/kanmon.crl"
sw --load-creds >"$work/load.txt" 2>&1 || { cat "$work/load.txt" >&2; lfail "swanctl --load-creds"; }
grep -q "kanmon.crl" "$work/load.txt" || { cat "$work/load.txt" >&2; lfail "CRL not loaded"; }
connect 2 && lfail "alice connected with a revoked certificate"
grep -q "certificate was revoked" "$D/charon.log" || lfail "the server did not refuse alice for revocation"
grep -q "AUTHENTICATION_FAILED" "$work/cmd2.log" || lfail "the client was not told AUTHENTICATION_FAILED"
ip -n "$cli" -4 addr show | grep -q "inet 203\.0\.113\." && lfail "a tunnel address after the refusal"
echo "PASS: cert.lab"
