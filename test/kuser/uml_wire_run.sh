#!/bin/sh
# SPDX-License-Identifier: MIT
# uml_wire_run.sh SRCDIR BUILDDIR SANITIZE [ALGS...] - host side of the UML
# wire-compatibility matrix (uml_wire.sh runs in the guest). ASan cannot run
# in UML: with an ASan build this skips, asking for -DKANMON_SANITIZE=undefined.
set -u
SRC=$1 B=$2 SAN=$3
shift 3
[ "$SAN" = address ] && { echo "SKIP: ASan binaries cannot run in UML: build with -DKANMON_SANITIZE=undefined (or none)"; exit 77; }
RUN=$SRC/../lab/uml/uml-run.sh
[ -f "$RUN" ] || { echo "SKIP: no test/lab/uml/uml-run.sh"; exit 77; }
W=$(mktemp -d /tmp/kuser-uml.XXXXXX)
trap 'rm -rf "$W"' EXIT
# the guest mounts tmpfs over /tmp and /var/tmp: bring what it runs along in the work dir
mkdir -p "$W/bin"
cp "$B/test/kuser/ku_drive" "$B/test/kuser/ku_encapsock" "$B/test/udp_probe" "$B/plugins/kernel-user.so" \
	"$SRC/lib.sh" "$W/bin/" || exit 1
sh "$RUN" -m 512M -T "${KU_UML_TIMEOUT:-600}" "$W" "$SRC/uml_wire.sh" /mnt/work/bin /mnt/work/bin/ku_drive \
	/mnt/work/bin/ku_encapsock /mnt/work/bin/udp_probe "$@"
