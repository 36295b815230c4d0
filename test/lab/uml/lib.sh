# SPDX-License-Identifier: MIT
# Helpers of the UML lab (sourced; POSIX sh). Used on the host (run-l2tp.sh)
# and inside the UML guest (l2tp-test.sh, l2tp-client.sh, adapters/*.sh).
# Self-contained on purpose: the guest only sees the copy of test/lab/uml that
# run-l2tp.sh puts into the work directory.
#
# Conventions (same as test/lab/lib/common.sh): every wait is a bounded poll
# (wait_until), never a fixed sleep; every failure goes through lab_fail, which
# prints diagnostics first and the reason last. Callers source ../lib/wait.sh
# (now_ms, wait_until, pid_alive, stop_pid, log, ip4_in_range) first.

# Step timing: step NAME ends the previous step and starts NAME.
LAB_STEP=
LAB_STEP_T0=
LAB_TIMINGS=
step_end() {
	[ -n "$LAB_STEP" ] || return 0
	_se_ms=$(( $(now_ms) - LAB_STEP_T0 ))
	printf '  %-40s %6d ms\n' "$LAB_STEP" "$_se_ms"
	LAB_TIMINGS="$LAB_TIMINGS $LAB_STEP=${_se_ms}ms"
	LAB_STEP=
}
step() { step_end; LAB_STEP=$1; LAB_STEP_T0=$(now_ms); }

info() { printf '    %s\n' "$*"; }

# lab_tail TITLE FILE [LINES]
lab_tail() {
	printf '%s\n' "----- $1 (last ${3:-30} lines of ${2##*/}) -----"
	if [ -s "$2" ]; then tail -n "${3:-30}" "$2"; else echo "(empty or missing)"; fi
}

LAB_DIAG_HOOK=
LAB_REASON_FILE=${LAB_REASON_FILE:-}

# lab_fail REASON...: diagnostics, then the reason as the last line; exit 1.
lab_fail() {
	step_end >/dev/null 2>&1 || :
	[ -n "$LAB_REASON_FILE" ] && printf '%s\n' "$*" > "$LAB_REASON_FILE"
	if [ -n "$LAB_DIAG_HOOK" ]; then $LAB_DIAG_HOOK || :; fi
	echo "=================================================================="
	echo "FAIL: $*"
	exit 1
}

lab_skip() { echo "SKIP: $*"; exit 77; }

# ---------------------------------------------------------------------------
# strongSwan charon, one per network namespace, kernel ESP (XFRM) inside UML.
# Instance directory D (not under /run: the bind mount would hide it):
#   D/strongswan.conf, D/swanctl/, D/run/ (bind-mounted over /run for charon:
#   charon.pid is hard-wired to /var/run/charon.pid), D/charon.log
LAB_CHARON=${LAB_CHARON:-/usr/lib/ipsec/charon}
LAB_CHARON_PLUGINS="random nonce openssl pem pkcs1 pkcs8 x509 revocation constraints pubkey kdf kernel-netlink socket-default vici"

# charon_init D [EXTRA_CHARON_SETTINGS]
charon_init() {
	case $1 in
	/run/*|/var/run/*) log "charon_init: $1 is under /run: the bind mount would hide it"; return 1 ;;
	esac
	# one mkdir (every process start costs ~0.1 s in UML); swanctl warns
	# about each missing standard subdirectory
	_ci_s=$1/swanctl
	mkdir -p "$1/run" "$_ci_s/x509" "$_ci_s/x509ca" "$_ci_s/x509ocsp" "$_ci_s/x509aa" \
		"$_ci_s/x509ac" "$_ci_s/x509crl" "$_ci_s/pubkey" "$_ci_s/private" "$_ci_s/rsa" \
		"$_ci_s/ecdsa" "$_ci_s/bliss" "$_ci_s/pkcs8" "$_ci_s/pkcs12" "$_ci_s/conf.d" || return 1
	cat > "$1/strongswan.conf" <<EOT
charon {
  # explicit list: /etc/strongswan.d 'load = yes' snippets are ignored;
  # 'kdf' is required; kernel-netlink = kernel ESP (there is no libipsec here)
  load = $LAB_CHARON_PLUGINS
${2:-}
  filelog {
    log {
      path = $1/charon.log
      flush_line = yes
      time_format = %T
      default = 1
      ike = 2
      cfg = 2
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
}
swanctl {
  # default swanctl loads ~40 plugins: 5 s for the first call in UML
  load = pem pkcs1 pkcs8 x509 openssl
}
EOT
}

# charon_start NS D: charon in NS with a private /run; bounded wait for vici
# (the first swanctl call, e.g. sw_load, then talks to it).
charon_start() {
	rm -f "$2/run/charon.pid" "$2/run/charon.vici" "$2/run/charon.ctl"
	STRONGSWAN_CONF=$2/strongswan.conf ip netns exec "$1" unshare -m sh -c \
		"mount --make-rprivate / && mount --bind '$2/run' /run && exec '$LAB_CHARON'" \
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
# ready = the vici socket exists (a shell test: polling with swanctl costs
# ~0.2 s of the guest's single CPU per call in UML and slows charon down)
charon_ready() {
	pid_alive "$(cat "$1/charon.hostpid" 2>/dev/null)" || return 125
	[ -S "$1/run/charon.vici" ]
}
charon_stop() {
	_cst_pid=$(cat "$1/charon.hostpid" 2>/dev/null)
	[ -n "$_cst_pid" ] || return 0
	stop_pid "$_cst_pid" 5
}
# sw D COMMAND [ARGS]: swanctl wants the command first, then --uri.
sw() {
	_sw_d=$1; _sw_c=$2; shift 2
	STRONGSWAN_CONF=$_sw_d/strongswan.conf SWANCTL_DIR=$_sw_d/swanctl \
		swanctl "$_sw_c" --uri "unix://$_sw_d/run/charon.vici" "$@"
}
# sw_load D: --load-all; fails on any complaint (a discarded connection is
# only a warning for swanctl).
sw_load() {
	if ! sw "$1" --load-all >"$1/load.log" 2>&1 ||
	   grep -q -i -E "fail|invalid|discarded|error" "$1/load.log"; then
		cat "$1/load.log" >&2
		return 1
	fi
}

# xfrm_bytes NS: total bytes counted over all ESP states in NS.
xfrm_bytes() {
	ip -n "$1" -s xfrm state 2>/dev/null | awk '
		/^[[:space:]]*lifetime current:/ { cur = 1; next }
		cur && /\(bytes\)/ { v = $1; sub(/\(bytes\),?/, "", v); s += v; cur = 0 }
		END { print s + 0 }'
}
