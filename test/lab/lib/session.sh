# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# Server-side checks through the adapter (sourced by scenarios; POSIX sh;
# needs the runner's `adapter` function). Identities are compared as the
# adapter prints them: ", " in DNs becomes ",", other blanks "_".

lab_ident() { printf '%s\n' "$1" | sed 's/, /,/g' | tr ' ' '_'; }

# server_sessions_of IDENTITY: the adapter's session lines of that identity
# (ID IDENTITY PEER[PORT] VIPS STATE)
server_sessions_of() {
	adapter sessions 5 | awk -v id="$(lab_ident "$1")" '$2 == id'
}
server_session_count() { server_sessions_of "$1" | grep -c .; }
server_has_session() { [ "$(server_session_count "$1")" -ge 1 ]; }
server_no_session() { [ "$(server_session_count "$1")" -eq 0 ]; }
# server_one_session IDENTITY VIP: exactly one session of IDENTITY, ESTABLISHED with VIP
server_one_session() {
	_so=$(server_sessions_of "$1")
	[ "$(printf '%s' "$_so" | grep -c .)" -eq 1 ] || return 1
	printf '%s\n' "$_so" | awk -v v="$2" '{ n = split($4, a, ","); for (i = 1; i <= n; i++) if (a[i] == v && $5 == "ESTABLISHED") f = 1 } END { exit !f }'
}

# server_lease VIP STATE [IDENTITY]: the lease of VIP is in STATE (online|offline)
# (and held by IDENTITY)
server_lease() {
	_sl=$(adapter leases 5 | awk -v v="$1" -v s="$2" '$1 == v && $2 == s { $1 = ""; $2 = ""; sub(/^  /, ""); print "+" $0 }')
	[ -n "$_sl" ] || return 1
	[ -n "${3:-}" ] || return 0
	printf '%s\n' "$_sl" | sed 's/^+//; s/, /,/g' | grep -q -x -F "$(printf '%s\n' "$3" | sed 's/, /,/g')"
}

# server_log_has REGEX: the server's log has a line matching REGEX
server_log_has() { adapter log 5 | grep -q -E "$1"; }
