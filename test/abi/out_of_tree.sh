#!/bin/sh
# SPDX-License-Identifier: MIT
# out_of_tree.sh BUILD_DIR SOURCE_DIR UDP_PROBE
# Installs the build into a scratch prefix, compiles plugins/sample/sample.c
# as a third party would (only `pkg-config --cflags kanmon`), and checks the
# installed kanmond loads it and the plugin answers.
set -eu
build=$1 src=$2 probe=$3
work=$(mktemp -d /tmp/kanmon-abi.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; [ -f "$work/kanmond.log" ] && tail -n 20 "$work/kanmond.log" >&2; exit 1; }

command -v pkg-config >/dev/null || { echo "SKIP: pkg-config not installed"; exit 77; }
command -v cc >/dev/null || { echo "SKIP: no C compiler"; exit 77; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null || fail "cmake --install failed"
pc=$(find "$work/prefix" -name kanmon.pc | head -n 1)
[ -n "$pc" ] || fail "kanmon.pc was not installed"
export PKG_CONFIG_PATH="$(dirname "$pc")"
plugindir=$(pkg-config --variable=plugindir kanmon)
[ -f "$plugindir/sample.so" ] || fail "plugindir=$plugindir from kanmon.pc does not hold the installed sample.so"
for h in kanmon.h plugin.h host.h conf.h log.h net.h session.h; do
	[ -f "$work/prefix/include/kanmon/$h" ] || fail "header kanmon/$h not installed"
done

# the third party: a copy of the sample, nothing from the source tree on the include path
mkdir -p "$work/oot"
cp "$src/plugins/sample/sample.c" "$work/oot/hello.c"
sed -i 's/\.name = "sample"/.name = "hello"/' "$work/oot/hello.c"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -shared -fPIC $(pkg-config --cflags kanmon) \
	"$work/oot/hello.c" -o "$work/oot/hello.so" || fail "out-of-tree build failed"
nm -D --defined-only "$work/oot/hello.so" | grep -q ' kanmon_plugin$' || fail "descriptor not exported"
if nm -D --defined-only "$work/oot/hello.so" | grep -v ' kanmon_plugin$' | grep -q ' T '; then
	fail "plugin exports more than its descriptor (hidden visibility not applied)"
fi

port=$("$probe" -F)
cat > "$work/kanmon.conf" <<CONF
plugins = ["hello"];
plugin_dir = "$work/oot";
listen = ["127.0.0.1"];
state_dir = "$work/state";
control_socket = "$work/kanmon.sock";
user = "";
hello = { port = $port; greeting = "third-party"; };
CONF
kanmond="$work/prefix/sbin/kanmond"
"$kanmond" -t -c "$work/kanmon.conf" || fail "kanmond -t refused the out-of-tree plugin"
"$kanmond" -f -c "$work/kanmon.conf" 2>"$work/kanmond.log" &
pid=$!
reply=$("$probe" -w 5000 127.0.0.1 "$port" "hello abi") || fail "no answer from the out-of-tree plugin"
[ "$reply" = "third-party abi" ] || fail "unexpected answer '$reply'"
kill "$pid"
wait "$pid" || fail "kanmond did not stop cleanly"
pid=
grep -q "\[hello\]" "$work/kanmond.log" || grep -q "for hello" "$work/kanmond.log" || fail "log lines do not name the plugin"
echo "out-of-tree plugin built with pkg-config and served: '$reply'"
