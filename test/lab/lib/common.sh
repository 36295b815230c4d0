# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# Common helpers of the interop lab (sourced; POSIX sh).
#
# Conventions: every wait is a bounded poll (wait_until), never a fixed sleep;
# every failure goes through lab_fail, which prints diagnostics first and the
# reason last, so the last lines of a failed test say why it failed.

# shellcheck source=SCRIPTDIR/wait.sh
. "${LAB:-${HERE:?}/..}/lib/wait.sh"

# Step timing. step NAME starts a step (and ends the previous one);
# step_end ends the current one. Timings go to stdout as they happen and are
# collected in LAB_TIMINGS for the summary.
LAB_STEP=
LAB_STEP_T0=
LAB_TIMINGS=
step_end() {
	[ -n "$LAB_STEP" ] || return 0
	_se_ms=$(( $(now_ms) - LAB_STEP_T0 ))
	printf '  %-34s %6d ms\n' "$LAB_STEP" "$_se_ms"
	LAB_TIMINGS="$LAB_TIMINGS, ${LAB_STEP%% (*} $_se_ms"
	LAB_STEP=
}
step() {
	step_end
	LAB_STEP=$1
	LAB_STEP_T0=$(now_ms)
}

# log MESSAGE: informational line (stderr, so command substitutions stay clean)
# lab_tail TITLE FILE [LINES]: print the last lines of FILE under a header.
lab_tail() {
	printf '%s\n' "----- $1 (last ${3:-40} lines of $2) -----"
	if [ -s "$2" ]; then
		tail -n "${3:-40}" "$2"
	else
		echo "(empty or missing)"
	fi
}

# Hook set by the runner: prints diagnostics (logs, capture summary).
LAB_DIAG_HOOK=
LAB_FAILED=

# lab_fail REASON...: print diagnostics, then exit 1. The runner's EXIT trap
# cleans up and prints "FAIL <test>: REASON" as the very last line.
lab_fail() {
	LAB_FAILED="${LAB_STEP:+[$LAB_STEP] }$*"
	LAB_STEP=
	if [ -n "$LAB_DIAG_HOOK" ]; then
		_lf_hook=$LAB_DIAG_HOOK
		LAB_DIAG_HOOK=
		$_lf_hook || :
	fi
	exit 1
}

# lab_skip REASON...: exit 77 (ctest SKIP_RETURN_CODE) saying why.
lab_skip() {
	echo "SKIP: $*"
	exit 77
}

# ip6_expand ADDR: print the address as 32 lower-case hex digits (no colons),
# so that addresses compare correctly as strings.
ip6_expand() {
	echo "$1" | awk '{
		a = tolower($1); n = split(a, h, "::")
		if (n > 2) exit 1
		nl = (h[1] == "") ? 0 : split(h[1], l, ":")
		nr = (n == 2 && h[2] != "") ? split(h[2], r, ":") : 0
		if (n == 1 && nl != 8) exit 1
		out = ""
		for (i = 1; i <= nl; i++) out = out sprintf("%04s", l[i])
		for (i = 0; i < 8 - nl - nr; i++) out = out "0000"
		for (i = 1; i <= nr; i++) out = out sprintf("%04s", r[i])
		gsub(/ /, "0", out); print out }'
}

# ip6_in_range ADDR FIRST-LAST
ip6_in_range() {
	_i6_a=$(ip6_expand "$1"); _i6_f=$(ip6_expand "${2%-*}"); _i6_l=$(ip6_expand "${2#*-}")
	[ -n "$_i6_a" ] && [ -n "$_i6_f" ] && [ -n "$_i6_l" ] || return 1
	# string comparison of equal-length hex strings orders like the numbers
	[ "$(printf '%s\n%s\n' "$_i6_f" "$_i6_a" | LC_ALL=C sort | head -n1)" = "$_i6_f" ] &&
	[ "$(printf '%s\n%s\n' "$_i6_a" "$_i6_l" | LC_ALL=C sort | head -n1)" = "$_i6_a" ]
}
