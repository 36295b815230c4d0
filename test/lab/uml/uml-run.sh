#!/bin/sh
# SPDX-License-Identifier: MIT
# uml-run.sh [-m MEM] [-T SECS] [-q] [-n NS -t TAP] WORKDIR SCRIPT [ARGS...]
#
# Boots Debian's user-mode Linux kernel (/usr/bin/linux, package
# user-mode-linux) on the host's root file system (hostfs, read-only), runs a
# copy of SCRIPT inside as root (sh SCRIPT ARGS, cwd /mnt/work) and returns
# SCRIPT's exit status. See test/lab/uml/README.md.
#
#   WORKDIR  host directory, mounted read-write at /mnt/work in the guest. The
#            guest writes script.log (SCRIPT's output), rc (its exit status)
#            there; the kernel console goes to WORKDIR/console.log.
#   -m MEM   guest RAM (default 384M; backed by a deleted file in /dev/shm)
#   -T SECS  hard bound on the whole run (default 120): `timeout -k 5` kills
#            UML, and the guest runs SCRIPT under `timeout` SECS-8, so a hung
#            script still yields rc 124 and its log
#   -q       do not copy SCRIPT's output to stdout while it runs
#   -n NS -t TAP  run UML inside host netns NS with eth0 = host TAP device TAP
#            (created by the caller in NS); otherwise the guest has only lo
#
# Exit status: SCRIPT's; 77 "SKIP: ..." if a prerequisite is missing (not
# root, no UML kernel/modules); 124 if SCRIPT ran out of time; 125 if the
# guest produced no exit status (UML crashed or was killed: see console.log).
# Interrupting uml-run.sh (INT/TERM/HUP) stops UML and all its helper
# processes; nothing stays behind.
set -u

usage() { echo "usage: uml-run.sh [-m MEM] [-T SECS] [-q] [-n NS -t TAP] WORKDIR SCRIPT [ARGS...]" >&2; exit 2; }
MEM=384M; T=120; NS=; TAP=; QUIET=
while getopts m:T:n:t:q o; do
	case $o in
	m) MEM=$OPTARG ;; T) T=$OPTARG ;; n) NS=$OPTARG ;; t) TAP=$OPTARG ;; q) QUIET=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
case $T in ''|*[!0-9]*) usage ;; esac
[ "$T" -ge 15 ] || { echo "uml-run: -T must be at least 15 s" >&2; exit 2; }

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root (UML needs root for hostfs / and the guest's netns)"
[ -x /usr/bin/linux ] || skip "no UML kernel /usr/bin/linux (package user-mode-linux)"
[ -d /usr/lib/uml/modules ] || skip "no UML modules /usr/lib/uml/modules (package user-mode-linux)"
[ -d /dev/shm ] && [ -w /dev/shm ] || skip "no writable /dev/shm for the guest's RAM"
command -v timeout >/dev/null || skip "no timeout(1) (coreutils)"

HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mkdir -p "$1" && cd "$1" && pwd) || exit 2
[ -r "$2" ] || { echo "uml-run: cannot read $2" >&2; exit 2; }
case $W in *[[:space:]]*) echo "uml-run: WORKDIR must not contain white space" >&2; exit 2 ;; esac
case $HERE in *[[:space:]]*) echo "uml-run: $HERE must not contain white space" >&2; exit 2 ;; esac
S=$2; shift 2

rm -f "$W/rc" "$W/script.log" "$W/console.log"
cp "$S" "$W/.uml-script" || exit 2
# arguments: shell-quoted into a file (the kernel command line is fragile)
: > "$W/.uml-args"
for a; do
	printf "'%s' " "$(printf '%s' "$a" | sed "s/'/'\\\\''/g")" >> "$W/.uml-args"
done
: > "$W/script.log"

NET=; [ -n "$TAP" ] && NET="eth0=tuntap,$TAP"
GT=$((T - 8))

# UML backs the guest's RAM with a file in TMPDIR (unlinked at once); /dev/shm
# is a tmpfs. timeout(1) puts itself in its own process group, so signals to
# this script must be forwarded: SIGTERM to timeout -> SIGTERM to the main UML
# process, which takes all its helper processes down with it.
(
	set --
	[ -n "$NS" ] && set -- ip netns exec "$NS"
	TMPDIR=/dev/shm exec "$@" timeout -k 5 "$T" /usr/bin/linux mem="$MEM" \
		rootfstype=hostfs rootflags=/ ro quiet con=null con0=null,fd:1 $NET \
		init="$HERE/uml-init.sh" LAB_WORK="$W" LAB_GUEST_TIMEOUT="$GT" \
		>"$W/console.log" 2>&1 </dev/null
) &
UPID=$!
TPID=
if [ -z "$QUIET" ]; then
	tail -n +1 -s 0.1 -f --pid="$UPID" "$W/script.log" 2>/dev/null &
	TPID=$!
fi
stop_uml() {
	kill -TERM "$UPID" 2>/dev/null
	wait "$UPID" 2>/dev/null
	[ -n "$TPID" ] && { kill "$TPID" 2>/dev/null; wait "$TPID" 2>/dev/null; }
	echo "uml-run: interrupted" >&2
	exit 130
}
trap stop_uml INT TERM HUP
URC=0
wait "$UPID" || URC=$?
[ -n "$TPID" ] && wait "$TPID" 2>/dev/null
trap - INT TERM HUP

if [ ! -f "$W/rc" ]; then
	if [ "$URC" = 124 ] || [ "$URC" = 137 ]; then
		echo "uml-run: UML did not finish within $T s (killed)" >&2
	else
		echo "uml-run: the guest wrote no exit status (UML exit $URC)" >&2
	fi
	tail -n 15 "$W/console.log" >&2
	exit 125
fi
RC=$(cat "$W/rc")
case $RC in ''|*[!0-9]*) echo "uml-run: bad rc file" >&2; exit 125 ;; esac
[ "$RC" = 124 ] && echo "uml-run: the guest script ran out of time ($GT s)" >&2
exit "$RC"
