# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# strongSwan client driver for the IKEv2 profiles (sourced; POSIX sh).
#
# A profile (test/lab/profiles/NAME.sh) is sourced by the runner and sets:
#   PROFILE_DESC      one line: which real client it emulates
#   PROFILE_LEASE_ID  identity the server should record for the lease (the
#                     IKE ID, or the EAP identity for EAP profiles)
#   PROFILE_PLUGINS   extra charon plugins (optional)
#   PROFILE_CHARON    extra lines for the charon { } section (optional; later
#                     lines override the lab defaults)
#   PROFILE_V6        yes: asks for an IPv6 virtual address too; the runner
#                     then checks the v6 lease, v6 DNS and pings the v6 LAN host
# and defines:
#   profile_credentials   issues/installs its credentials (client_cert ...)
#   profile_swanctl       prints swanctl.conf (connection and child named
#                         $CLIENT_CONN; use $LAB_SERVER_ADDR, $LAB_SERVER_ID)
#   profile_verify        optional: extra checks after traffic passed; calls
#                         lab_fail REASON on a violation
#
# Helpers for profiles: client_cert, client_log_has, expect_client_log,
# client_sa_field, client_rekey_child, client_ping.

CLIENT_CONN=vpn

# client_cert TEMPLATE-LINES: issue a client certificate from the lab CA and
# install it as client.crt / client.key.
client_cert() {
	pki_client "$LAB_PKI" client "$1" || return 1
	cp "$LAB_PKI/client.crt" "$LAB_CLIENT_DIR/swanctl/x509/client.crt" &&
	cp "$LAB_PKI/client.key" "$LAB_CLIENT_DIR/swanctl/private/client.key"
}

# client_setup: directory, strongswan.conf, CA, profile credentials, swanctl.conf
client_setup() {
	# resolve: makes charon ask for DNS (CPRQ DNS/DNS6) and log/install
	# the servers it gets into $LAB_CLIENT_DIR/resolv.conf.
	charon_init "$LAB_CLIENT_DIR" "resolve ${PROFILE_PLUGINS:-}" "${PROFILE_CHARON:-}" || return 1
	cp "$LAB_PKI/ca.crt" "$LAB_CLIENT_DIR/swanctl/x509ca/ca.crt" || return 1
	profile_credentials || { log "profile_credentials failed"; return 1; }
	profile_swanctl > "$LAB_CLIENT_DIR/swanctl/swanctl.conf" || return 1
}

# client_start: charon up (bounded) and configuration loaded without errors.
client_start() {
	charon_start "$LAB_NS_CLI" "$LAB_CLIENT_DIR" || return 1
	if ! sw "$LAB_CLIENT_DIR" --load-all >"$LAB_CLIENT_DIR/load.log" 2>&1 ||
	   grep -q -i -E "fail|invalid|discarded|error" "$LAB_CLIENT_DIR/load.log"; then
		log "client: swanctl --load-all reported:"
		cat "$LAB_CLIENT_DIR/load.log" >&2
		return 1
	fi
}

client_sw() { sw "$LAB_CLIENT_DIR" "$@"; }

# client_sa_raw: the client's SAs, one line (vici raw format)
client_sa_raw() { client_sw --list-sas --raw --noblock 2>/dev/null; }

# client_sa_field KEY: first value of KEY=... in the raw SA dump. List values
# ([a b]) are printed space-separated.
client_sa_field() {
	client_sa_raw | awk -v k="$1" '!f {
		n = index($0, " " k "=")
		if (!n) next
		v = substr($0, n + length(k) + 2)
		if (substr(v, 1, 1) == "[") { v = substr(v, 2); sub(/\].*/, "", v) }
		else sub(/[ }].*/, "", v)
		print v; f = 1 }
		END { exit !f }'
}

# client_bytes: total bytes in + out over all CHILD_SAs of the client
client_bytes() {
	client_sa_raw | tr ' ' '\n' | awk -F= '$1 == "bytes-in" || $1 == "bytes-out" { s += $2 } END { print s + 0 }'
}

client_bytes_dir() { # in|out
	client_sa_raw | tr ' ' '\n' | awk -F= -v k="bytes-$1" '$1 == k { s += $2 } END { print s + 0 }'
}

# client_installed_spis: inbound SPIs of the INSTALLED CHILD_SAs
client_installed_spis() {
	client_sa_raw | tr ' ' '\n' | awk -F= '$1 == "state" { st = $2 } $1 == "spi-in" && st == "INSTALLED" { print $2 }'
}

client_established() {
	_ce=$(client_sa_raw)
	case $_ce in *"state=ESTABLISHED"*"state=INSTALLED"*) return 0 ;; esac
	pid_alive "$(charon_pid "$LAB_CLIENT_DIR")" || return 125
	return 1
}

client_log_has() { grep -q -E "$1" "$LAB_CLIENT_DIR/charon.log"; }

# expect_client_log REGEX WHAT: fail the test unless the client log matches.
expect_client_log() {
	client_log_has "$1" || lab_fail "$PROFILE: $2 (client log has no line matching '$1')"
}

# client_ping [-6] ADDR: 3 echoes through the tunnel; at least one reply
# (the first may be lost while the SA settles). Bounded by -W and -c.
client_ping() {
	if [ "$1" = -6 ]; then
		ip netns exec "$LAB_NS_CLI" ping -6 -n -c 3 -i 0.2 -W 2 "$2" >"$LAB_CLIENT_DIR/ping6.log" 2>&1
	else
		ip netns exec "$LAB_NS_CLI" ping -n -c 3 -i 0.2 -W 2 "$1" >"$LAB_CLIENT_DIR/ping.log" 2>&1
	fi
}

# client_new_child OLD-SPIS: an INSTALLED CHILD_SA with an inbound SPI not in
# OLD-SPIS exists (the old SA stays listed, REKEYED/DELETING, for a while)
client_new_child() {
	for _nc_spi in $(client_installed_spis); do
		case " $1 " in *" $_nc_spi "*) ;; *) return 0 ;; esac
	done
	pid_alive "$(charon_pid "$LAB_CLIENT_DIR")" || return 125
	# charon retries a failed rekey later: give up on the first failure
	tail -n "+${_rk_line:-1}" "$LAB_CLIENT_DIR/charon.log" | grep -q "CHILD_SA rekeying failed" && return 125
	return 1
}

# client_rekey_child: rekey the CHILD_SA and wait (bounded) until a new one is
# installed. Fails the test on timeout.
client_rekey_child() {
	_rk_old=$(client_installed_spis)
	_rk_line=$(( $(wc -l < "$LAB_CLIENT_DIR/charon.log") + 1 ))
	client_sw --rekey --child "$CLIENT_CONN" >"$LAB_CLIENT_DIR/rekey.log" 2>&1 ||
		lab_fail "$PROFILE: swanctl --rekey failed: $(tail -n 3 "$LAB_CLIENT_DIR/rekey.log" | tr '\n' ' ')"
	wait_until 10 client_new_child "$_rk_old" ||
		lab_fail "$PROFILE: CHILD_SA rekey failed: $(lab_reason "$LAB_CLIENT_DIR/charon.log")"
}

# lab_reason LOGFILE: the most telling recent error lines of a charon log or
# swanctl output, joined on one line.
lab_reason() {
	grep -E -i "error|failed|no acceptable|not supported|no proposal|no trusted|unable|giving up|inacceptable|no matching|timed out|NO_PROPOSAL|AUTHENTICATION_FAILED|TS_UNACCEPTABLE|INTERNAL_ADDRESS_FAILURE|FAILED_CP_REQUIRED|INVALID" "$1" 2>/dev/null |
		grep -v -E "vici client|^ *[0-9:]+ [0-9]+\[CFG\]   " | tail -n 3 |
		sed 's/^[0-9:]* [0-9]*\[\([A-Z]*\)\] /[\1] /' | tr '\n' ' ' | sed 's/  *$//'
}

# client_select DIR NS: point every client helper above at another client
# (scenarios with several clients: its own DIR, a namespace from
# topo_add_client). client_select "$LAB_WORK/client" "$LAB_NS_CLI0" goes back
# to the runner's client (LAB_NS_CLI0: saved at the first call).
client_select() {
	[ -n "${LAB_NS_CLI0:-}" ] || LAB_NS_CLI0=$LAB_NS_CLI
	LAB_CLIENT_DIR=$1
	LAB_NS_CLI=$2
}

# client_up: initiate $CLIENT_CONN (bounded) and wait (5 s) for an ESTABLISHED
# IKE_SA with an INSTALLED CHILD_SA; fails the test with the client's reason.
# (The runner's "IKE up" step, for scenarios that replace steps 2-8.)
client_up() {
	if ! client_sw --initiate --child "$CLIENT_CONN" --timeout 12 >"$LAB_CLIENT_DIR/initiate.log" 2>&1; then
		_cu_r=$(lab_reason "$LAB_CLIENT_DIR/initiate.log")
		lab_fail "IKE: client could not connect: ${_cu_r:-swanctl --initiate failed or timed out}"
	fi
	wait_until 5 client_established ||
		lab_fail "IKE: no ESTABLISHED IKE_SA with an INSTALLED CHILD_SA on the client: $(lab_reason "$LAB_CLIENT_DIR/charon.log")"
}

# client_vip4: the client's IPv4 virtual address (empty if none)
client_vip4() {
	for _cv in $(client_sa_field local-vips); do
		case $_cv in *:*) ;; *) echo "$_cv"; return 0 ;; esac
	done
	return 1
}

# client_ike_count: number of IKE_SAs the client lists (any state)
client_ike_count() {
	client_sa_raw | tr ' ' '\n' | grep -c '^state=\(CREATED\|CONNECTING\|ESTABLISHED\|PASSIVE\|REKEYING\|REKEYED\|DELETING\|DESTROYING\)$'
}

# client_child_states: the state of each CHILD_SA the client lists, one a line
# (INSTALLED, REKEYING, REKEYED, DELETING...)
client_child_states() {
	client_sa_raw | tr ' ' '\n' | awk -F= '$1 == "child-sas" { c = 1 } c && $1 == "state" { print $2 }'
}

# client_kill: the client's charon dies by SIGKILL (a crash, a phone switched
# off: no DELETE is sent); client_start then starts a new one on the same
# directory (same identity, certificate and configuration).
client_kill() { charon_kill "$LAB_CLIENT_DIR"; }
