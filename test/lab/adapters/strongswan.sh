#!/bin/sh
# SPDX-License-Identifier: MIT
# Server adapter: strongSwan charon (kernel-libipsec, userspace ESP over TUN) as
# the concentrator under test. This is the baseline that proves the profiles
# and the harness; kanmon gets an adapter with the same interface
# (test/lab/README.md, "Writing a server adapter").
#
# Usage: strongswan.sh prereq|start|stop|sessions|leases|log
# Inputs (environment, set by test/lab/run):
#   LAB_SERVER_NS    network namespace to run in
#   LAB_SERVER_DIR   private work directory (not under /run)
#   LAB_PKI          directory with ca.crt, server.crt, server.key
#   LAB_SERVER_ID    IKE identity (FQDN in the server certificate)
#   LAB_SERVER_ADDR  outer address to accept IKE on
#   LAB_POOL4 LAB_POOL6  address pools, FIRST-LAST
#   LAB_DNS4 LAB_DNS6    DNS attributes to send
#   LAB_DPD_DELAY    DPD delay, seconds
#   LAB_EAP_USER LAB_EAP_SECRET  EAP-MSCHAPv2 credentials of the test user
# Outputs:
#   prereq    exit 0 if this adapter can run here, else print what is missing
#             and exit non-zero (the runner then skips with exit 77)
#   start     returns 0 once the server answers (within 5 s), else prints the
#             server log and returns 1
#   stop      stops the server (bounded), returns 0 when it is gone
#   sessions  one line per IKE session: ID IDENTITY PEER_IP[PORT] VIP STATE
#             (IDENTITY: the EAP identity if there was one, else the IKE ID;
#             no blanks: ", " becomes ",", e.g. C=US,O=Lab,CN=x, other blanks
#             become "_"; VIP: comma-separated, "-" if none)
#   leases    one line per lease: VIP online|offline IDENTITY
#   log       the server's log so far
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$HERE/../lib/common.sh"
# shellcheck source=SCRIPTDIR/../lib/charon.sh
. "$HERE/../lib/charon.sh"

if [ "${1:-}" = prereq ]; then
	m=$(charon_prereq)
	[ -z "$m" ] || { echo "needs $m"; exit 1; }
	exit 0
fi

D=${LAB_SERVER_DIR:?LAB_SERVER_DIR not set}

# IKE proposals: modern suites first (iOS/macOS: aes256-sha256 with ecp256 or
# modp2048; Android: sha2 with modp2048..4096/curve25519, no sha1/modp1024),
# then a clearly separated legacy set for Windows (modp1024 only, sha1,
# 3des); 'default' adds strongSwan's own defaults (strongSwan app).
IKE_PROPOSALS="aes256gcm16-aes128gcm16-prfsha256-prfsha384-prfsha512-ecp256-ecp384-modp2048-modp3072-modp4096-curve25519,\
aes256-aes192-aes128-sha256-sha384-sha512-ecp256-ecp384-modp2048-modp3072-modp4096-curve25519,\
aes256-aes192-aes128-3des-sha1-sha256-sha384-modp1024,\
default"
# ESP: the same families; every DH group is optional (modpnone), so a rekey
# without PFS (macOS) and with PFS (iOS offers both) are both accepted.
ESP_PROPOSALS="aes256gcm16-aes128gcm16-ecp256-modp2048-curve25519-modpnone,\
aes256-aes128-sha256-sha384-sha512-ecp256-modp2048-curve25519-modpnone,\
aes256-aes128-3des-sha1-modp1024-modp2048-modpnone,\
default"

conn() { # NAME REMOTE-AUTH-LINES
	cat <<EOT
  $1 {
    version = 2
    local_addrs = $LAB_SERVER_ADDR
    pools = pool4, pool6
    fragmentation = yes
    mobike = yes
    unique = replace
    send_cert = always
    dpd_delay = ${LAB_DPD_DELAY:-30}s
    proposals = $IKE_PROPOSALS
    local {
      auth = pubkey
      certs = server.crt
      id = $LAB_SERVER_ID
    }
    remote {
$2
    }
    children {
      rw {
        local_ts = 0.0.0.0/0, ::/0
        esp_proposals = $ESP_PROPOSALS
        dpd_action = clear
      }
    }
  }
EOT
}

do_start() {
	: "${LAB_SERVER_NS:?}" "${LAB_PKI:?}" "${LAB_SERVER_ID:?}" "${LAB_SERVER_ADDR:?}" "${LAB_POOL4:?}"
	charon_init "$D" "eap-identity eap-mschapv2" || return 1
	cp "$LAB_PKI/ca.crt" "$D/swanctl/x509ca/" &&
	cp "$LAB_PKI/server.crt" "$D/swanctl/x509/" &&
	cp "$LAB_PKI/server.key" "$D/swanctl/private/" || return 1
	{
		echo "connections {"
		conn rw-cert "      auth = pubkey
      cacerts = ca.crt"
		# Windows EAP: IKE ID = the client's (private) IP, the user name comes
		# in the EAP-Identity exchange, hence eap_id = %any.
		conn rw-eap "      auth = eap-mschapv2
      eap_id = %any"
		echo "}"
		cat <<EOT
pools {
  pool4 {
    addrs = $LAB_POOL4
    dns = ${LAB_DNS4:-198.51.100.53}
  }
  pool6 {
    addrs = ${LAB_POOL6:-2001:db8:113::2-2001:db8:113::7e}
    dns = ${LAB_DNS6:-2001:db8:51::53}
  }
}
secrets {
  eap-user {
    id = ${LAB_EAP_USER:-winuser}
    secret = "${LAB_EAP_SECRET:-lab-eap-secret}"
  }
}
EOT
	} > "$D/swanctl/swanctl.conf"
	if ! charon_start "$LAB_SERVER_NS" "$D"; then
		lab_tail "server log" "$D/charon.log" 60 >&2
		return 1
	fi
	if ! sw "$D" --load-all >"$D/load.log" 2>&1 || grep -q -i -E "fail|invalid|discarded" "$D/load.log"; then
		cat "$D/load.log" >&2
		lab_tail "server log" "$D/charon.log" 60 >&2
		return 1
	fi
}

# --list-sas (human format) -> ID IDENTITY PEER_IP[PORT] VIP STATE
do_sessions() {
	sw "$D" --list-sas --noblock | awk '
	function flush() {
		if (id != "") print id, ident, peer, (vip == "" ? "-" : vip), state
		id = ""; ident = ""; peer = ""; vip = ""; state = ""
	}
	/^[^ ].*: #[0-9]+, [A-Z_]+, IKEv[12]/ {
		flush()
		id = $2; sub(/^#/, "", id); sub(/,$/, "", id)
		state = $3; sub(/,$/, "", state)
		next
	}
	id != "" && /^  remote / {
		# remote '"'"'IDENTITY'"'"' @ IP[PORT] [VIP VIP]
		line = $0
		q1 = index(line, "'"'"'"); rest = substr(line, q1 + 1)
		q2 = index(rest, "'"'"' @ ")
		ident = substr(rest, 1, q2 - 1); gsub(/, /, ",", ident); gsub(/ /, "_", ident)
		rest = substr(rest, q2 + 4)
		split(rest, f, " "); peer = f[1]
		# EAP: the user is the EAP identity (the IKE ID may be an IP address)
		if ((e = index(rest, "EAP: '"'"'")) > 0) {
			ident = substr(rest, e + 6); sub(/'"'"'.*/, "", ident)
		}
		if (match(rest, /\[[^]]*\]$/)) {
			v = substr(rest, RSTART + 1, RLENGTH - 2); gsub(/ /, ",", v); vip = v
		}
	}
	END { flush() }'
}

# --list-pools --leases -> VIP online|offline IDENTITY
do_leases() {
	sw "$D" --list-pools --leases | awk '
	/^  [0-9a-fA-F.:]+ +(online|offline) +'"'"'/ {
		ident = $0; sub(/^[^'"'"']*'"'"'/, "", ident); sub(/'"'"'$/, "", ident)
		print $1, $2, ident
	}'
}

case ${1:-} in
start) do_start ;;
stop) charon_stop "$D" ;;
sessions) do_sessions ;;
leases) do_leases ;;
log) cat "$D/charon.log" 2>/dev/null ;;
*) echo "usage: $0 prereq|start|stop|sessions|leases|log" >&2; exit 2 ;;
esac
