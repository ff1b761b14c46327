#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The past version's heap ranges reach the new version (STF_AVOID in its
# environment, covering where P's blocks were), so that blocks can be
# placed at P's addresses there; after the commit the new version gives
# back the reservations no placed block uses.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c
build v2/counter v2/counter.c

start_ttstd --name avoid -- "$WORK/v1/counter" "$SRV"
wait_connected
for k in 1 2 3 4 5 6 7 8; do
	expect "add $k" "$(q "add $k $k$k")" ok
done
past=$(program_pid)
# libstf's heap region of P holds its blocks: the first writable mapping
# of the zone its regions are reserved in (libstf/runtime/spans.c)
heap=$(awk '$2 ~ /^rw/ { a = substr($1, 1, index($1, "-") - 1)
	if (length(a) == 12 && a >= "100000000000" && a < "300000000000") { print a; exit } }' \
	"/proc/$past/maps")
[ -n "$heap" ] || fail "P has no heap region"

ctl update "$WORK/v2/counter" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "the update did not commit"; }
future=$(program_pid)
[ "$future" != "$past" ] || fail "the program was not replaced"
avoid=$(tr '\0' '\n' <"/proc/$future/environ" | sed -n 's/^STF_AVOID=//p')
echo "P's heap at $heap; STF_AVOID=$avoid"
[ -n "$avoid" ] || fail "the new version got no STF_AVOID"
covered=no
for r in $(echo "$avoid" | tr ',' ' '); do
	lo=$((0x${r%-*})); hi=$((0x${r#*-})); h=$((0x$heap))
	[ "$h" -ge "$lo" ] && [ "$h" -lt "$hi" ] && covered=yes
	grep -q "^${r} ---p " "/proc/$future/maps" &&
		fail "the unused reservation $r was kept after the commit"
done
[ $covered = yes ] || fail "STF_AVOID does not cover P's heap at $heap"
expect "get after" "$(q "get 5")" 55
echo ok
