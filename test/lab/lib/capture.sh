# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# Packet capture on the NAT router's outside interface (sourced; POSIX sh).
# tcpdump writes the whole test's exchange to $LAB_WORK/capture.pcap; on a
# failure the runner prints a tshark (or tcpdump) one-line-per-packet summary.
# Both tools are optional: without them the test runs, only the summary is
# missing.

LAB_CAP_PID=

capture_start() {
	LAB_CAP_FILE=$LAB_WORK/capture.pcap
	command -v tcpdump >/dev/null 2>&1 || { log "capture: tcpdump not installed, no capture"; return 0; }
	# -Z root: Debian's tcpdump would switch to user tcpdump, which cannot
	# write into the (root-only) work directory. -U and --immediate-mode: every
	# packet is on disk at once (else a short test ends with "0 packets captured").
	ip netns exec "$LAB_NS_NAT" tcpdump -i "$LAB_NAT_OUT_IF" -n -s 0 -U --immediate-mode -Z root \
		"ip or arp" \
		-w "$LAB_CAP_FILE" >"$LAB_WORK/tcpdump.log" 2>&1 </dev/null &
	LAB_CAP_PID=$!
	wait_until 5 capture_listening || {
		log "capture: tcpdump did not start: $(cat "$LAB_WORK/tcpdump.log")"
		stop_pid "$LAB_CAP_PID" 2 || :
		LAB_CAP_PID=
	}
	return 0
}

capture_listening() {
	pid_alive "$LAB_CAP_PID" || return 125
	grep -q "listening on" "$LAB_WORK/tcpdump.log"
}

capture_stop() {
	[ -n "$LAB_CAP_PID" ] || return 0
	kill -INT "$LAB_CAP_PID" 2>/dev/null || :
	wait_until 3 pid_gone "$LAB_CAP_PID" || stop_pid "$LAB_CAP_PID" 2 || :
	wait "$LAB_CAP_PID" 2>/dev/null || :
	LAB_CAP_PID=
}

# capture_summary [LINES]: one line per packet of the captured exchange.
capture_summary() {
	[ -s "${LAB_CAP_FILE:-}" ] || { echo "(no capture)"; return 0; }
	if command -v tshark >/dev/null 2>&1; then
		tshark -r "$LAB_CAP_FILE" -n 2>/dev/null | tail -n "${1:-40}"
	else
		tcpdump -r "$LAB_CAP_FILE" -n 2>/dev/null | tail -n "${1:-40}"
	fi
}
