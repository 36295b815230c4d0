#!/bin/sh
# SPDX-License-Identifier: MIT
# L2TP/IPsec server adapter "strongswan" (runs INSIDE the UML guest):
# strongSwan charon (IKEv1, transport mode, kernel ESP) + xl2tpd (LNS) +
# pppd, in one network namespace. The baseline that proves the L2TP profiles
# and the UML harness; a kanmon L2TP adapter gets the same interface. The
# LNS is configured like SEEDS.md B: local address + client range, length bit
# on, CHAP required, PAP refused, DNS pushed by PPP (ms-dns), users in a
# CHAP secrets table.
#
# Usage: strongswan.sh start|stop|sessions|leases|tunnels|log
# Inputs (environment, set by l2tp-test.sh):
#   LAB_SERVER_NS    network namespace to run in
#   LAB_SERVER_DIR   private work directory (not under /run)
#   LAB_PKI          ca.crt, server.crt, server.key
#   LAB_SERVER_ADDR  outer address (IKE, L2TP)
#   LAB_LNS_ADDR     the server's inner (PPP) address
#   LAB_POOL4        client address range FIRST-LAST
#   LAB_DNS4         DNS server pushed with PPP (ms-dns)
#   LAB_DPD_DELAY    IKE DPD delay, seconds
#   LAB_CLIENT_DN    certificate clients accepted: DN, wildcards allowed
#                    ("C=JP, O=Example Inc., CN=*"); empty: any of the CA
#   LAB_PSK          pre-shared key for PSK clients (empty: no PSK clients)
#   LAB_PPP_AUTH     PPP authentication the LNS requires: chap, mschap-v2,
#                    or both (space-separated; pppd offers MS-CHAPv2 first)
#   LAB_PPP_USERS    "user:password ..." (CHAP secrets table)
# Outputs:
#   start     0 once charon answers, the connections are loaded and xl2tpd
#             listens (within 5 s); else the server's log and 1
#   stop      stops xl2tpd (and its pppds) and charon, bounded
#   sessions  one line per IKE SA: ID IDENTITY PEER_IP[PORT] VIP STATE
#             (IDENTITY: spaces after commas removed, other spaces -> '_';
#             VIP: the PPP address of the L2TP call from that peer, or '-')
#   leases    one line per PPP address ever handed out:
#             VIP online|offline IDENTITY (the PPP user name)
#   tunnels   one line per L2TP tunnel set up: PEER_IP[PORT] HOSTNAME RWS
#             (the peer's Host Name and Receive Window Size AVPs; '-' if
#             absent)
#   log       the server's logs (charon, xl2tpd, pppd)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../lib/wait.sh"
. "$HERE/../lib.sh"

D=${LAB_SERVER_DIR:?LAB_SERVER_DIR not set}
NS=${LAB_SERVER_NS:-}

# IKEv1 proposals: modern first, then the legacy set the L2TP clients need
# (Windows: sha1 with ecp384/ecp256/modp1024; racoon: modp1024 only).
IKE_PROPOSALS="aes256-sha256-modp2048,aes256-sha1-ecp384,aes128-sha1-ecp256,\
aes256-sha256-modp1024,aes256-sha1-modp1024,aes128-sha1-modp1024,3des-sha1-modp1024"
# ESP: no PFS (SEEDS B), the families both clients offer.
ESP_PROPOSALS="aes256-sha256,aes256-sha1,aes128-sha256,aes128-sha1,3des-sha1"

conn() { # NAME AUTH REMOTE-LINES
	cat <<EOT
  $1 {
    version = 1
    local_addrs = $LAB_SERVER_ADDR
    proposals = $IKE_PROPOSALS
    fragmentation = yes
    dpd_delay = ${LAB_DPD_DELAY:-30}s
    # SEEDS B: IKE and IPsec lifetime 8 h, rekey margin 10 min
    reauth_time = 8h
    over_time = 10m
    rand_time = 0
    local {
      auth = $2
$( [ "$2" = pubkey ] && echo "      certs = server.crt" )
    }
    remote {
      auth = $2
$3
    }
    children {
      l2tp {
        mode = transport
        # the LNS: 17/1701; the client: 17/any (macOS picks a random port)
        local_ts = dynamic[udp/1701]
        remote_ts = dynamic[udp]
        esp_proposals = $ESP_PROPOSALS
        life_time = 8h
        rekey_time = 470m
        rand_time = 0
        dpd_action = clear
      }
    }
  }
EOT
}

do_start() {
	: "${NS:?LAB_SERVER_NS not set}" "${LAB_PKI:?}" "${LAB_SERVER_ADDR:?}" \
	  "${LAB_LNS_ADDR:?}" "${LAB_POOL4:?}"
	charon_init "$D" || return 1
	cp "$LAB_PKI/ca.crt" "$D/swanctl/x509ca/" &&
	cp "$LAB_PKI/server.crt" "$D/swanctl/x509/" &&
	cp "$LAB_PKI/server.key" "$D/swanctl/private/" || return 1
	_remote="      cacerts = ca.crt"
	[ -n "${LAB_CLIENT_DN:-}" ] && _remote="$_remote
      id = \"$LAB_CLIENT_DN\""
	{
		echo "connections {"
		conn l2tp-cert pubkey "$_remote"
		# PSK: Windows sends its private address behind NAT as ID_IPV4_ADDR
		[ -n "${LAB_PSK:-}" ] && conn l2tp-psk psk "      id = %any"
		echo "}"
		echo "secrets {"
		[ -n "${LAB_PSK:-}" ] && printf '  ike-l2tp {\n    secret = "%s"\n  }\n' "$LAB_PSK"
		echo "}"
	} > "$D/swanctl/swanctl.conf"

	# PPP: this namespace's own /etc/ppp (`ip netns exec` bind-mounts
	# /etc/netns/NS/ppp over /etc/ppp; /etc is a tmpfs overlay in UML).
	# Debian's /etc/ppp/options ('auth', ...) is replaced by an empty one.
	_ppp=/etc/netns/$NS/ppp
	mkdir -p "$_ppp" "$D/leases.d" || return 1
	: > "$_ppp/options"
	: > "$_ppp/chap-secrets"; chmod 600 "$_ppp/chap-secrets"
	for _u in ${LAB_PPP_USERS:-}; do
		printf '"%s" l2tp-server "%s" *\n' "${_u%%:*}" "${_u#*:}" >> "$_ppp/chap-secrets"
	done
	{
		echo "name l2tp-server"
		echo "refuse-pap"
		for _a in ${LAB_PPP_AUTH:-chap}; do
			case $_a in
			chap) echo "require-chap" ;;
			mschap-v2) echo "require-mschap-v2" ;;
			*) log "LAB_PPP_AUTH: unknown method $_a"; return 1 ;;
			esac
		done
		cat <<EOT
ms-dns ${LAB_DNS4:-198.51.100.53}
noccp
nodefaultroute
lcp-echo-interval 30
lcp-echo-failure 4
mtu 1400
mru 1400
debug
logfile $D/pppd.log
EOT
	} > "$D/options.xl2tpd"
	# leases: pppd runs /etc/ppp/ip-up|ip-down IFACE TTY SPEED LOCAL REMOTE
	# with PEERNAME = the authenticated user; the pppd PID ties the address to
	# xl2tpd's "Call established with PEER, PID: N".
	for _s in up down; do
		_st=online; [ $_s = down ] && _st=offline
		cat > "$_ppp/ip-$_s" <<EOT
#!/bin/sh
echo "\$5 $_st \${PEERNAME:-?} \${PPPD_PID:-\$PPID} \$1" > "$D/leases.d/\$5"
EOT
		chmod 755 "$_ppp/ip-$_s"
	done

	_req_chap=no
	case " ${LAB_PPP_AUTH:-chap} " in *" chap "*) _req_chap=yes ;; esac
	cat > "$D/xl2tpd.conf" <<EOT
[global]
listen-addr = $LAB_SERVER_ADDR
port = 1701
; logs what the peer announces (host name, receive window, ...)
debug avp = yes

[lns default]
ip range = $LAB_POOL4
local ip = $LAB_LNS_ADDR
require chap = $_req_chap
refuse pap = yes
require authentication = yes
name = l2tp-server
pppoptfile = $D/options.xl2tpd
length bit = yes
EOT

	if ! charon_start "$NS" "$D" || ! sw_load "$D"; then
		lab_tail "server charon log" "$D/charon.log" 40 >&2
		return 1
	fi
	rm -f "$D/l2tp-control"
	ip netns exec "$NS" xl2tpd -D -c "$D/xl2tpd.conf" -s /dev/null -p "$D/xl2tpd.pid" \
		-C "$D/l2tp-control" >"$D/xl2tpd.log" 2>&1 </dev/null &
	echo $! > "$D/xl2tpd.hostpid"
	if ! wait_until 5 xl2tpd_ready; then
		log "server xl2tpd did not start within 5 s"
		lab_tail "server xl2tpd log" "$D/xl2tpd.log" 40 >&2
		return 1
	fi
}

xl2tpd_ready() {
	pid_alive "$(cat "$D/xl2tpd.hostpid" 2>/dev/null)" || return 125
	# logged right after the bind()
	[ -p "$D/l2tp-control" ] && grep -q "Listening on IP address" "$D/xl2tpd.log"
}

do_stop() {
	_rc=0
	_x=$(cat "$D/xl2tpd.hostpid" 2>/dev/null)
	[ -n "$_x" ] && { stop_pid "$_x" 5 || _rc=1; }
	charon_stop "$D" || _rc=1
	return $_rc
}

# "Call established with 198.51.100.2, PID: 123, ..." -> "198.51.100.2 123"
calls() {
	sed -n 's/.*Call established with \([0-9.]*\), PID: \([0-9]*\).*/\1 \2/p' \
		"$D/xl2tpd.log" 2>/dev/null
}

do_leases() {
	cat "$D"/leases.d/* 2>/dev/null | awk '{ print $1, $2, $3 }'
}

do_sessions() {
	_calls=$(calls | tr '\n' ';')
	_leases=$(cat "$D"/leases.d/* 2>/dev/null | tr '\n' ';')
	sw "$D" --list-sas --noblock | awk -v calls="$_calls" -v leases="$_leases" '
	BEGIN {
		n = split(calls, c, ";")
		for (i = 1; i <= n; i++) if (split(c[i], f, " ") == 2) pidof[f[1]] = f[2]
		n = split(leases, l, ";")
		for (i = 1; i <= n; i++)
			if (split(l[i], f, " ") >= 4 && f[2] == "online") vipof[f[4]] = f[1]
	}
	function flush(  ip) {
		if (id == "") return
		ip = peer; sub(/\[.*/, "", ip)
		vip = (ip in pidof && pidof[ip] in vipof) ? vipof[pidof[ip]] : "-"
		print id, ident, peer, vip, state
		id = ""
	}
	/^[^ ].*: #[0-9]+, [A-Z_]+, IKEv[12]/ {
		flush()
		id = $2; sub(/^#/, "", id); sub(/,$/, "", id)
		state = $3; sub(/,$/, "", state)
		next
	}
	id != "" && /^  remote / {
		line = $0
		q1 = index(line, "'"'"'"); rest = substr(line, q1 + 1)
		q2 = index(rest, "'"'"' @ ")
		ident = substr(rest, 1, q2 - 1); gsub(/, /, ",", ident); gsub(/ /, "_", ident)
		rest = substr(rest, q2 + 4)
		split(rest, f, " "); peer = f[1]
	}
	END { flush() }'
}

# from xl2tpd's "debug avp" lines, which precede "Connection established"
do_tunnels() {
	awk '
	/hostname_avp: peer reports hostname/ { h = $0; sub(/.*hostname .\047?/, "", h); sub(/\047.*/, "", h) }
	/receive_window_size_avp: peer wants RWS of/ { r = $0; sub(/.*RWS of /, "", r); sub(/\..*/, "", r) }
	/Connection established to/ {
		p = $0; sub(/.*established to /, "", p); split(p, f, /[,.] */)
		ip = p; sub(/,.*/, "", ip); port = p; sub(/^[^,]*, /, "", port); sub(/\..*/, "", port)
		print ip "[" port "]", (h == "" ? "-" : h), (r == "" ? "-" : r)
		h = ""; r = ""
	}' "$D/xl2tpd.log" 2>/dev/null
}

do_log() {
	for _f in charon.log xl2tpd.log pppd.log; do
		echo "===== server $_f"
		cat "$D/$_f" 2>/dev/null
	done
}

case ${1:-} in
start) do_start ;;
stop) do_stop ;;
sessions) do_sessions ;;
leases) do_leases ;;
tunnels) do_tunnels ;;
log) do_log ;;
*) echo "usage: $0 start|stop|sessions|leases|tunnels|log" >&2; exit 2 ;;
esac
