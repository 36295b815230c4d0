# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# One strongSwan charon per network namespace (sourced; POSIX sh).
# Used by the strongSwan server adapter and by every client profile.
#
# Layout of an instance directory D (must NOT be under /run, see below):
#   D/strongswan.conf   STRONGSWAN_CONF for charon and swanctl
#   D/swanctl/          swanctl.conf, x509ca/, x509/, private/, ... (SWANCTL_DIR)
#   D/run/              bind-mounted over /run in charon's own mount namespace:
#                       charon.pid (hard-wired to /var/run/charon.pid), charon.vici,
#                       charon.ctl land here, so instances never clash
#   D/charon.log        filelog; D/charon.stdout: charon's stdout/stderr
#   D/charon.hostpid    charon's PID as seen from the host
#
# Verified failure modes (LAB.md): the explicit plugin list makes charon ignore
# /etc/strongswan.d 'load = yes' snippets; 'kdf' is required (else "key
# derivation failed"); kernel-libipsec must come BEFORE kernel-netlink (else
# "unable to add SAD entry", errno 38 on a kernel without ESP);
# charon.threads = 4 hangs vici, keep the default.

LAB_CHARON=${LAB_CHARON:-/usr/lib/ipsec/charon}
LAB_CHARON_PLUGINS="random nonce openssl pem pkcs1 pkcs8 x509 revocation constraints pubkey kdf kernel-libipsec kernel-netlink socket-default vici"

# charon_prereq: print what is missing (nothing if all is there).
charon_prereq() {
	[ -x "$LAB_CHARON" ] || { echo "strongSwan charon ($LAB_CHARON; package strongswan-charon)"; return; }
	command -v swanctl >/dev/null 2>&1 || { echo "swanctl (package strongswan-swanctl)"; return; }
	_cp_dir=$(dirname "$LAB_CHARON")/plugins
	for _cp_p in openssl kernel-libipsec vici eap-mschapv2 eap-identity; do
		[ -e "$_cp_dir/libstrongswan-$_cp_p.so" ] || {
			case $_cp_p in
			openssl) echo "strongSwan openssl plugin ($_cp_dir; package libstrongswan-standard-plugins)" ;;
			eap-mschapv2) echo "strongSwan eap-mschapv2 plugin ($_cp_dir; package libcharon-extauth-plugins)" ;;
			*) echo "strongSwan $_cp_p plugin ($_cp_dir; package libcharon-extra-plugins)" ;;
			esac
			return
		}
	done
}

# charon_init D EXTRA_PLUGINS [EXTRA_CHARON_SETTINGS]
# Creates the directory layout and strongswan.conf. EXTRA_CHARON_SETTINGS are
# lines inserted into the charon { } section.
charon_init() {
	for _ci_d in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12 conf.d; do
		mkdir -p "$1/swanctl/$_ci_d" || return 1
	done
	mkdir -p "$1/run" || return 1
	case $1 in
	/run/*|/var/run/*) log "charon_init: $1 is under /run: the bind mount would hide it"; return 1 ;;
	esac
	cat > "$1/strongswan.conf" <<EOT
charon {
  # explicit list: /etc/strongswan.d 'load = yes' snippets are ignored.
  load = $LAB_CHARON_PLUGINS $2
  install_routes = yes
  retransmit_tries = 3
  retransmit_timeout = 1.0
  retransmit_base = 1.4
  plugins {
    resolve {
      # client side: DNS servers received go here (and to the log)
      file = $1/resolv.conf
    }
  }
${3:-}
  filelog {
    log {
      path = $1/charon.log
      flush_line = yes
      time_format = %T
      default = 1
      ike = 1
      cfg = 2
      knl = 1
      net = 1
      enc = 1
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
}

# charon_start NS D: start charon in netns NS with its own mount namespace
# (/run = D/run) and wait (bounded, 5 s) until vici answers. On failure
# prints why on stderr and returns 1.
charon_start() {
	rm -f "$2/run/charon.pid" "$2/run/charon.vici" "$2/run/charon.ctl"
	: > "$2/resolv.conf"
	# The resolve plugin calls /sbin/resolvconf instead of writing its file if
	# that exists; inside charon's private mount namespace it is masked, so a
	# host resolvconf is never touched.
	_cs_mask=
	for _cs_rc in /sbin/resolvconf /usr/sbin/resolvconf; do
		[ -e "$_cs_rc" ] && _cs_mask="$_cs_mask && mount --bind /bin/true $_cs_rc"
	done
	STRONGSWAN_CONF=$2/strongswan.conf ip netns exec "$1" unshare -m sh -c \
		"mount --make-rprivate / && mount --bind '$2/run' /run$_cs_mask && exec '$LAB_CHARON'" \
		>"$2/charon.stdout" 2>&1 </dev/null &
	echo $! > "$2/charon.hostpid"
	if ! wait_until 5 charon_ready "$2"; then
		if pid_alive "$(cat "$2/charon.hostpid")"; then
			log "charon in $1 did not answer on vici within 5 s"
		else
			log "charon in $1 exited"
		fi
		cat "$2/charon.stdout" >&2
		return 1
	fi
}

charon_ready() {
	pid_alive "$(cat "$1/charon.hostpid" 2>/dev/null)" || return 125
	sw "$1" --stats
}

charon_pid() { cat "$1/charon.hostpid" 2>/dev/null; }

# charon_stop D: SIGTERM, bounded wait, SIGKILL.
charon_stop() {
	_cst_pid=$(charon_pid "$1")
	[ -n "$_cst_pid" ] || return 0
	stop_pid "$_cst_pid" 5
}

# sw D SWANCTL-COMMAND [ARGS]: swanctl against the instance in D. swanctl
# wants the command first, then --uri.
sw() {
	_sw_d=$1; _sw_c=$2; shift 2
	STRONGSWAN_CONF=$_sw_d/strongswan.conf SWANCTL_DIR=$_sw_d/swanctl \
		swanctl "$_sw_c" --uri "unix://$_sw_d/run/charon.vici" "$@"
}

# charon_kill D: SIGKILL, no goodbye (no DELETE sent), bounded wait until gone.
# Its run/ files stay behind (charon_start removes them).
charon_kill() {
	_ck_pid=$(charon_pid "$1")
	[ -n "$_ck_pid" ] || return 0
	kill -KILL "$_ck_pid" 2>/dev/null || :
	wait_until 3 pid_gone "$_ck_pid"
}
