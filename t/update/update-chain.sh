#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Chained updates: an updated process is updated again, ten times in a
# row.  The new version's startup allocates a default list head that the
# transfer replaces; the orphan is freed after the forward transfer, so
# the number of dynamic objects stays flat (it grew by one per update), so
# does the number of objects the process holds when quiesced, and the
# state stays whole.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c -DSTARTUP_DEFAULTS

start_ttstd --name chain -- "$WORK/v1/counter" "$SRV"
wait_connected
for k in 1 2 3 4 5; do
	expect "add $k" "$(q "add $k $((k * 10))")" ok
done
first=
first_live=
i=0
while [ $i -lt 10 ]; do
	i=$((i + 1))
	chain_update "$WORK/v1/counter" $i
	grep -q 'startup objects: 1 replaced and freed' "$WORK/out" ||
		{ cat "$WORK/out"; fail "update $i: the orphaned default is not reported freed"; }
	first=${first:-$dyn}
	expect "dynamic objects at update $i" "$dyn" "$first"
	# every object the process holds when quiesced, not only those
	# transferred; from the second update on (the first one's past
	# version had no transfer behind it)
	live=$(ctl --json history | sed -n 's/.*"state_objects":\([0-9]*\).*/\1/p' | tail -n 1)
	[ $i -ge 2 ] || continue
	first_live=${first_live:-$live}
	[ "$live" -le "$first_live" ] ||
		fail "update $i: $live objects when quiesced, $first_live at update 2"
done
echo "$live objects when quiesced at update 10"
expect "sum after 10 updates" "$(q sum | cut -d' ' -f1,2)" "150 6"
expect "get 3" "$(q "get 3")" 30
echo ok
