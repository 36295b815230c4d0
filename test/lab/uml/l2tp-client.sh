#!/bin/sh
# SPDX-License-Identifier: MIT
# L2TP/IPsec client (runs INSIDE the UML guest): strongSwan charon (IKEv1,
# kernel ESP, transport mode) + xl2tpd (LAC) + pppd in one network namespace,
# shaped by a client profile (test/lab/profiles/*-l2tp.sh, L2TP_* variables).
#
# Usage: l2tp-client.sh start|ike-up|reject-test|dial|ppp-down|hangup|ike-down|stop|log
# Inputs (environment, set by l2tp-test.sh):
#   LAB_PROFILE_FILE  the profile (sourced)
#   LAB_CLIENT_NS     network namespace
#   LAB_CLIENT_DIR    private work directory (not under /run)
#   LAB_PKI           ca.crt, client.{crt,key} (pubkey), reject.{crt,key}
#   LAB_SERVER_ADDR   the server's outer address
#   LAB_PSK           pre-shared key (psk profiles)
# Commands:
#   start        charon (connections loaded) and xl2tpd ready, within 5 s
#   ike-up       IKEv1 Main Mode + Quick Mode of connection "l2tp" (10 s)
#   reject-test  initiates "reject" (certificate outside the server's DN
#                pattern); 0 if the server refused it
#   dial         asks xl2tpd to set up the tunnel and call ("c lab")
#   ppp-down     the user's "disconnect": SIGTERM to pppd, which sends LCP
#                Terminate-Request while the tunnel is still up (Windows
#                order: LCP Terminate, then CDN, StopCCN, IKE delete)
#   hangup       "d lab": xl2tpd tears the call and the tunnel down
#   ike-down     swanctl --terminate (deletes the SAs, tells the server)
#   stop         stops xl2tpd (and pppd) and charon, bounded
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/wait.sh"
. "$HERE/lib.sh"
. "${LAB_PROFILE_FILE:?LAB_PROFILE_FILE not set}"

D=${LAB_CLIENT_DIR:?LAB_CLIENT_DIR not set}
NS=${LAB_CLIENT_NS:?LAB_CLIENT_NS not set}

conn() { # NAME CERT
	cat <<EOT
  $1 {
    version = 1
    remote_addrs = $LAB_SERVER_ADDR
    proposals = $L2TP_IKE_PROPOSALS
    fragmentation = ${L2TP_IKE_FRAGMENTATION:-no}
    local {
      auth = $L2TP_AUTH
EOT
	[ "$L2TP_AUTH" = pubkey ] && echo "      certs = $2.crt"
	[ -n "${L2TP_CLIENT_ID:-}" ] && echo "      id = \"$L2TP_CLIENT_ID\""
	cat <<EOT
    }
    remote {
      auth = $L2TP_AUTH
EOT
	[ "$L2TP_AUTH" = pubkey ] && echo "      cacerts = ca.crt"
	[ -n "${L2TP_REMOTE_ID:-}" ] && echo "      id = \"$L2TP_REMOTE_ID\""
	cat <<EOT
    }
    children {
      $1 {
        mode = transport
        local_ts = dynamic[udp/1701]
        remote_ts = dynamic[udp/1701]
        esp_proposals = $L2TP_ESP_PROPOSALS
      }
    }
  }
EOT
}

do_start() {
	: "${LAB_PKI:?}" "${LAB_SERVER_ADDR:?}"
	charon_init "$D" || return 1
	cp "$LAB_PKI/ca.crt" "$D/swanctl/x509ca/" || return 1
	if [ "$L2TP_AUTH" = pubkey ]; then
		for _c in client ${L2TP_REJECT_DN:+reject}; do
			cp "$LAB_PKI/$_c.crt" "$D/swanctl/x509/" &&
			cp "$LAB_PKI/$_c.key" "$D/swanctl/private/" || return 1
		done
	fi
	{
		echo "connections {"
		conn l2tp client
		[ "$L2TP_AUTH" = pubkey ] && [ -n "${L2TP_REJECT_DN:-}" ] && conn reject reject
		echo "}"
		echo "secrets {"
		[ "$L2TP_AUTH" = psk ] && printf '  ike-l2tp {\n    secret = "%s"\n  }\n' "${LAB_PSK:?}"
		echo "}"
	} > "$D/swanctl/swanctl.conf"

	# own /etc/ppp for this namespace (see adapters/strongswan.sh); no secrets
	# file: the password goes on pppd's command line like mtpd does it.
	_ppp=/etc/netns/$NS/ppp
	mkdir -p "$_ppp" || return 1
	: > "$_ppp/options"
	{
		printf 'name %s\npassword %s\n' "$L2TP_PPP_USER" "$L2TP_PPP_PASSWORD"
		for _o in $L2TP_PPP_OPTIONS; do
			case $_o in [a-z]*) printf '\n%s' "$_o" ;; *) printf ' %s' "$_o" ;; esac
		done
		printf '\ndebug\nlogfile %s\n' "$D/pppd.log"
	} > "$D/options.l2tp"
	{
		echo "[global]"
		echo "port = 1701"
		echo "[lac lab]"
		echo "lns = $LAB_SERVER_ADDR"
		echo "pppoptfile = $D/options.l2tp"
		echo "length bit = yes"
		[ -n "${L2TP_HOSTNAME:-}" ] && echo "hostname = $L2TP_HOSTNAME"
		[ -n "${L2TP_TUNNEL_RWS:-}" ] && echo "tunnel rws = $L2TP_TUNNEL_RWS"
	} > "$D/xl2tpd.conf"

	if ! charon_start "$NS" "$D" || ! sw_load "$D"; then
		lab_tail "client charon log" "$D/charon.log" 40 >&2
		return 1
	fi
	rm -f "$D/l2tp-control"
	ip netns exec "$NS" xl2tpd -D -c "$D/xl2tpd.conf" -s /dev/null -p "$D/xl2tpd.pid" \
		-C "$D/l2tp-control" >"$D/xl2tpd.log" 2>&1 </dev/null &
	echo $! > "$D/xl2tpd.hostpid"
	if ! wait_until 5 xl2tpd_ready; then
		log "client xl2tpd did not start within 5 s"
		lab_tail "client xl2tpd log" "$D/xl2tpd.log" 40 >&2
		return 1
	fi
}

xl2tpd_ready() {
	pid_alive "$(cat "$D/xl2tpd.hostpid" 2>/dev/null)" || return 125
	[ -p "$D/l2tp-control" ]
}

do_stop() {
	_rc=0
	_x=$(cat "$D/xl2tpd.hostpid" 2>/dev/null)
	[ -n "$_x" ] && { stop_pid "$_x" 5 || _rc=1; }
	charon_stop "$D" || _rc=1
	return $_rc
}

pppd_pid() { # the pppd xl2tpd started with our options file
	for _f in $(grep -l -a -F "$D/options.l2tp" /proc/[0-9]*/cmdline 2>/dev/null); do
		_p=${_f#/proc/}; _p=${_p%/cmdline}
		{ read -r _c < "/proc/$_p/comm"; } 2>/dev/null || continue
		[ "$_c" = pppd ] && { echo "$_p"; return 0; }
	done
	return 1
}

ctl() { # xl2tpd control FIFO: the write blocks until xl2tpd reads, bound it
	pid_alive "$(cat "$D/xl2tpd.hostpid" 2>/dev/null)" || { log "client xl2tpd is not running"; return 1; }
	timeout 5 sh -c 'echo "$1" > "$2"' sh "$1" "$D/l2tp-control"
}

case ${1:-} in
start) do_start ;;
ike-up) sw "$D" --initiate --child l2tp --timeout 10 >"$D/initiate.log" 2>&1 ||
	{ tail -n 5 "$D/initiate.log" >&2; exit 1; } ;;
reject-test)
	# expected to fail; 0 = refused as it should be
	if sw "$D" --initiate --child reject --timeout 6 >"$D/reject.log" 2>&1; then
		exit 1
	fi
	sw "$D" --terminate --ike reject --timeout 3 >/dev/null 2>&1
	exit 0 ;;
dial) ctl "c lab" ;;
ppp-down) _p=$(pppd_pid) || { log "client pppd is not running"; exit 1; }
	kill -TERM "$_p" ;;
hangup) ctl "d lab" ;;
ike-down) sw "$D" --terminate --ike l2tp --timeout 5 >"$D/terminate.log" 2>&1 ||
	{ tail -n 5 "$D/terminate.log" >&2; exit 1; } ;;
stop) do_stop ;;
log)
	for _f in charon.log xl2tpd.log pppd.log; do
		echo "===== client $_f"; cat "$D/$_f" 2>/dev/null
	done ;;
*) echo "usage: $0 start|ike-up|reject-test|dial|ppp-down|hangup|ike-down|stop|log" >&2; exit 2 ;;
esac
