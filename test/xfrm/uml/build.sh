#!/bin/sh
# SPDX-License-Identifier: MIT
# build.sh SRC BIN - the build the UML tests run (ASan binaries do not start
# inside Debian's UML): for an ASan build tree BIN is <build>/uml-ubsan, a
# UBSan-only flavour configured and built here (one extra build for all UML
# tests); a UBSan or plain build tree is its own BIN and only the UML targets
# are brought up to date. Skipped (77) where UML is missing, so CI without it
# pays nothing. XFRM_UML_BIN names a ready build to use instead. kanmonctl
# and the ikev2 and kernel-user plugins are for the lab's uml.PROFILE.kanmon
# tests (test/lab; kernel-user only for the lab adapter's prereq).
set -eu
SRC=$1 BIN=$2
[ -x /usr/bin/linux ] && [ -d /usr/lib/uml/modules ] || { echo "SKIP: no user-mode Linux (package user-mode-linux)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: UML tests need root"; exit 77; }
if [ -n "${XFRM_UML_BIN:-}" ]; then
	BIN=$XFRM_UML_BIN
elif ! grep -qs '^KANMON_SANITIZE:STRING=\(undefined\)\?$' "$BIN/CMakeCache.txt"; then
	# a new (or an ASan) tree: configure the UBSan flavour there
	cmake -S "$SRC" -B "$BIN" -DKANMON_SANITIZE=undefined -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BIN" -j"$(nproc)" --target xfrm_drive bench_xfrm tp_xfrm_user plugin_kernel-xfrm kanmond \
	kanmonctl plugin_ikev2 plugin_kernel-user
