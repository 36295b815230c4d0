#!/bin/sh
# SPDX-License-Identifier: MIT
# guest.sh NAME - inside UML (started by run.sh through uml-run.sh, cwd =
# the work directory): kernel modules, then NAME.scn through xfrm_drive or
# NAME.sh as a script. Exit status: the test's.
set -u
modprobe -a veth esp4 esp6 xfrm_user xfrm_interface 2>/dev/null
modprobe -a veth esp4 xfrm_user || { echo "FAIL: modules"; exit 1; }
if [ -f "$1.scn" ]; then
	XFRM_DRIVE_QUIET=${XFRM_DRIVE_QUIET:-1} ./xfrm_drive "$1.scn"
else
	sh "./$1.sh"
fi
