#!/bin/sh
# SPDX-License-Identifier: MIT
# crash.sh - kill -9 kanmond at random moments while clients are given
# leases (50 rounds), then check the store: every address a client was told
# is still leased to it, and no address belongs to two identities.
. "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-50}
write_conf "" nobody 86400 "203.0.113.0/24"
: > "$work/acked"
r=1
while [ $r -le "$rounds" ]; do
	start_kanmond
	# a client burst: each acknowledged answer names the leased address
	(
		k=1
		while [ $k -le 4 ]; do
			if reply=$("$PROBE" -w 300 127.0.0.1 "$port" "hello r$r-c$k"); then
				echo "$reply" >> "$work/acked"
			fi
			k=$((k + 1))
		done
	) &
	burst=$!
	# kill at a random moment inside the burst (0-9 ms steps of 1 ms)
	sleep "0.00$(( $(od -An -N1 -tu1 /dev/urandom) % 10 ))"
	kill -9 "$kpid"
	wait "$kpid" 2>/dev/null || true
	kpid=
	wait "$burst" || true
	r=$((r + 1))
done
acked=$(grep -c . "$work/acked" || true)
echo "rounds=$rounds acknowledged leases=$acked"
[ "$acked" -gt 0 ] || fail "no lease was ever acknowledged: the test proves nothing"

# offline read of the store, exactly what an operator would do
KANMONCTL_JSON=$("$KANMONCTL" --dir "$state" leases --offline --json) || fail "cannot read the store"
echo "$KANMONCTL_JSON" | jq -e . >/dev/null || fail "kanmonctl --json is not JSON"
dups=$(echo "$KANMONCTL_JSON" | jq -r '.leases[].address' | sort | uniq -d)
[ -z "$dups" ] || fail "addresses leased twice: $dups"
lost=0
while read -r greeting identity address; do
	got=$(echo "$KANMONCTL_JSON" | jq -r --arg id "$identity" '.leases[] | select(.identity == $id) | .address')
	if [ "$got" != "$address" ]; then
		echo "lost: $identity was told $address, store has '${got}'" >&2
		lost=$((lost + 1))
	fi
	: "$greeting"
done < "$work/acked"
[ $lost -eq 0 ] || fail "$lost acknowledged lease(s) lost"

# sticky after all those crashes: a returning client gets its address back
start_kanmond
# leases whose sessions died with the process are recorded offline once, at restart
online=$("$KANMONCTL" --dir "$state" leases --offline --json |
	jq '[.leases[] | select(.state == "online" and .identity != "readiness-probe")] | length')
[ "$online" = 0 ] || fail "$online lease(s) of dead sessions still stored as online after restart"
set -- $(head -n 1 "$work/acked")
again=$("$PROBE" -w 2000 127.0.0.1 "$port" "hello $2") || fail "no answer after restart"
[ "$again" = "hello $2 $3" ] || fail "returning client $2 got '$again', expected its address $3"
echo "all $acked acknowledged leases survived $rounds kill -9 rounds; no duplicates; sticky"
echo "1 passed, 0 failed"
