#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh NAME - one kernel-xfrm UML test in one UML boot (ctest xfrm.uml.NAME):
# copies the UBSan build's binaries (XFRM_UML_BIN, made by build.sh) and the
# test files into a work directory - the guest sees the host's / read-only
# and its own tmpfs on /tmp, so the binaries must travel - then boots UML
# with guest.sh (test/lab/uml/uml-run.sh) and returns the test's status.
#   NAME.scn      scenario for xfrm_drive
#   NAME.scn.sh   prints the scenario (generated matrices)
#   NAME.sh       guest script (kanmond, bench)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
NAME=$1
BIN=${XFRM_UML_BIN:?XFRM_UML_BIN: the UBSan build (see build.sh)}
RUNNER=$HERE/../../lab/uml/uml-run.sh
[ -r "$RUNNER" ] || { echo "SKIP: no UML runner $RUNNER"; exit 77; }
[ -x "$BIN/test/xfrm/xfrm_drive" ] || { echo "SKIP: UBSan build missing in $BIN (xfrm.uml.build skipped?)"; exit 77; }
W=${XFRM_UML_WORK:-$BIN/uml-work}/$NAME
rm -rf "$W"
mkdir -p "$W/plugins"
cp "$BIN/test/xfrm/xfrm_drive" "$BIN/test/xfrm/bench_xfrm" "$BIN/core/kanmond" "$W/"
cp "$BIN/plugins/kernel-xfrm.so" "$BIN/test/xfrm/plugins/tp_xfrm_user.so" "$W/plugins/"
cp "$HERE/topo.sh" "$W/"
if [ -f "$HERE/$NAME.scn" ]; then
	cp "$HERE/$NAME.scn" "$W/"
elif [ -f "$HERE/$NAME.scn.sh" ]; then
	sh "$HERE/$NAME.scn.sh" > "$W/$NAME.scn"
else
	cp "$HERE/$NAME.sh" "$W/"
fi
# the benchmark: UML and its helper processes pinned to one CPU
PIN=
[ "$NAME" = bench ] && command -v taskset >/dev/null && PIN="taskset -c 0"
exec $PIN sh "$RUNNER" -m "${XFRM_UML_MEM:-512M}" -T "${XFRM_UML_TIMEOUT:-600}" "$W" "$HERE/guest.sh" "$NAME"
