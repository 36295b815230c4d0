# SPDX-License-Identifier: MIT
# lib.sh - shared by the certificate tests (sourced; POSIX sh): a scratch
# directory removed on exit, kanmonctl on a state directory inside it, and
# helpers that judge artefacts with independent tools (openssl, certtool,
# xmllint, python3, jq), never with kanmon's own code.
# Needs KANMONCTL in the environment (ctest sets it).
set -eu

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
skip() {
	echo "SKIP: $*"
	exit 77
}
need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "$t not installed (sh .ci/install-deps)"
	done
}

: "${KANMONCTL:?KANMONCTL not set (run through ctest)}"
need openssl
work=$(mktemp -d /tmp/kanmon-cert.XXXXXX)
chmod 755 "$work"
state=$work/state
cleanup_hooks=
cleanup() {
	rc=$?
	for h in $cleanup_hooks; do $h || true; done
	if [ $rc -ne 0 ] && [ -n "${KEEP_WORK:-}" ]; then
		echo "work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# kc ARGS...: kanmonctl on the scratch state directory; stdout+stderr in $work/out, status returned
kc() {
	"$KANMONCTL" --dir "$state" -s "$work/no-daemon.sock" "$@" >"$work/out" 2>&1
}
# ok ARGS...: kc that must succeed
ok() {
	kc "$@" || { cat "$work/out" >&2; fail "kanmonctl $* failed"; }
}
# refused STATUS NEEDLE ARGS...: kc that must exit STATUS and say NEEDLE
refused() {
	want=$1 needle=$2
	shift 2
	set +e
	kc "$@"
	got=$?
	set -e
	[ "$got" = "$want" ] || { cat "$work/out" >&2; fail "kanmonctl $*: exit $got, wanted $want"; }
	grep -qF -- "$needle" "$work/out" || { cat "$work/out" >&2; fail "kanmonctl $*: no '$needle' in its message"; }
}
has() { # has NEEDLE FILE
	grep -qF -- "$1" "$2" || { echo "--- $2:" >&2; cat "$2" >&2; fail "'$1' not in $2"; }
}
hasnt() {
	! grep -qF -- "$1" "$2" || { echo "--- $2:" >&2; cat "$2" >&2; fail "'$1' unexpectedly in $2"; }
}
# passphrase: the one `client add` / `cert export` printed, from $work/out
printed_passphrase() {
	sed -n 's/^passphrase of .*: \([a-z0-9-]*\)$/\1/p' "$work/out" | tail -n 1
}
# snapshot: every file of the state directory with size and mode, and the store's rows
snapshot() {
	(cd "$state" && find . -type f ! -name 'kanmon.db*' -printf '%p %s %m\n' | sort)
	if command -v sqlite3 >/dev/null 2>&1; then
		sqlite3 "$state/kanmon.db" \
			"SELECT name, serial, (SELECT count(*) FROM revocations r WHERE r.name = c.name) FROM certs c ORDER BY name;
			 SELECT crl_number FROM ca;" 2>/dev/null || true
	fi
}
