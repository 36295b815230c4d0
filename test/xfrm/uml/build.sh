#!/bin/sh
# SPDX-License-Identifier: MIT
# build.sh SRC BIN - the UBSan-only flavour the UML tests run (ASan binaries
# do not start inside Debian's UML): configured and built in BIN, by default
# <main build>/uml-ubsan. One extra build for all UML tests; skipped (77)
# where UML is missing so CI without it pays nothing. Set XFRM_UML_BIN to a
# ready UBSan build to use that instead.
set -eu
SRC=$1 BIN=$2
[ -x /usr/bin/linux ] && [ -d /usr/lib/uml/modules ] || { echo "SKIP: no user-mode Linux (package user-mode-linux)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: UML tests need root"; exit 77; }
if [ -n "${XFRM_UML_BIN:-}" ]; then
	BIN=$XFRM_UML_BIN
else
	cmake -S "$SRC" -B "$BIN" -DKANMON_SANITIZE=undefined -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BIN" -j"$(nproc)" --target xfrm_drive bench_xfrm tp_xfrm_user plugin_kernel-xfrm kanmond
