# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# wait.sh - the helpers both halves of the lab share (sourced; POSIX sh):
# a fork-free clock, bounded polls, process checks, IPv4 range tests. The
# netns half sources it from lib/common.sh; the UML half copies it into the
# guest's work directory next to uml/lib.sh.

# Milliseconds of uptime, shell built-ins only: each process start costs
# ~0.1 s in UML, so the polls must not fork for their clock.
now_ms() {
	read -r _nm_up _nm_x < /proc/uptime
	_nm_c=${_nm_up#*.}
	echo $(( ${_nm_up%.*} * 1000 + ${_nm_c#0} * 10 ))
}

LAB_POLL=${LAB_POLL:-0.05}

# wait_until SECONDS COMMAND [ARGS...]: run COMMAND every $LAB_POLL s until it
# succeeds (0) or SECONDS have passed (1). Exit status 125 from COMMAND means
# "can never succeed" (a daemon died) and ends the wait at once.
wait_until() {
	_wu_deadline=$(( $(now_ms) + $(awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }') ))
	shift
	while :; do
		_wu_rc=0
		"$@" >/dev/null 2>&1 || _wu_rc=$?
		[ "$_wu_rc" -eq 0 ] && return 0
		[ "$_wu_rc" -eq 125 ] && return 1
		[ "$(now_ms)" -lt "$_wu_deadline" ] || return 1
		sleep "$LAB_POLL"
	done
}

# pid_alive PID: exists and is not a zombie (built-ins only). Field 3 of
# /proc/PID/stat is the state; comm (field 2) may hold spaces and ')'.
pid_alive() {
	[ -n "$1" ] || return 1
	{ read -r _pa_l < "/proc/$1/stat"; } 2>/dev/null || return 1
	_pa_s=${_pa_l##*) }
	_pa_s=${_pa_s%% *}
	[ -n "$_pa_s" ] && [ "$_pa_s" != Z ]
}
pid_gone() { ! pid_alive "$1"; }

# stop_pid PID [SECONDS]: SIGTERM, bounded wait, SIGKILL, bounded wait.
stop_pid() {
	pid_alive "$1" || return 0
	kill -TERM "$1" 2>/dev/null || :
	wait_until "${2:-3}" pid_gone "$1" && return 0
	kill -KILL "$1" 2>/dev/null || :
	wait_until 2 pid_gone "$1"
}

log() { printf '%s\n' "$*" >&2; }

# ip4_to_int A.B.C.D: print the address as an integer.
ip4_to_int() {
	echo "$1" | awk -F. 'NF == 4 { printf "%d\n", (($1 * 256 + $2) * 256 + $3) * 256 + $4 }'
}
# ip4_in_range ADDR FIRST-LAST
ip4_in_range() {
	_ir_a=$(ip4_to_int "$1"); _ir_f=$(ip4_to_int "${2%-*}"); _ir_l=$(ip4_to_int "${2#*-}")
	[ -n "$_ir_a" ] && [ -n "$_ir_f" ] && [ -n "$_ir_l" ] &&
		[ "$_ir_a" -ge "$_ir_f" ] && [ "$_ir_a" -le "$_ir_l" ]
}
