#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Mappings across chained updates: an updated process is updated again,
# ten times in a row.  Its mappings typed as bytes hold addresses (items
# linked inside an arena, a log holding its own address), which stay
# right because each new version re-creates the mappings at their
# addresses; the new startup maps its own arena and log again, orphans
# that are unmapped after the transfer, so the dynamic objects and the
# process's mappings stay flat.  Before: every update rolled back ("a
# mapping of bytes"; committed wrong before that).
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/mapchain v1/mapchain.c

start_ttstd --name mapchain -- "$WORK/v1/mapchain"
wait_connected
first=
first_maps=
i=0
while [ $i -lt 10 ]; do
	i=$((i + 1))
	chain_update "$WORK/v1/mapchain" $i
	grep -q '^diff: *0 differences' "$WORK/out" || { cat "$WORK/out"; fail "update $i: no exact round trip"; }
	grep -q 'startup objects: 2 replaced and freed' "$WORK/out" ||
		{ cat "$WORK/out"; fail "update $i: the startup's orphaned mappings are not reported freed"; }
	first=${first:-$dyn}
	expect "dynamic objects at update $i" "$dyn" "$first"
	maps=$(wc -l <"/proc/$(program_pid)/maps")
	first_maps=${first_maps:-$maps}
	[ "$maps" -le $((first_maps + 4)) ] ||
		fail "update $i: $maps mappings, $first_maps after the first update"
	for _ in $(seq 200); do
		[ "$(grep -c '^ok$' "$WORK/program.out")" -ge $i ] && break
		sleep 0.05
	done
	expect "checks passed after update $i" "$(grep -c '^ok$' "$WORK/program.out")" $i
done
grep -q FAILED "$WORK/program.out" && fail "a version found its state broken"
echo "$maps mappings after 10 updates ($first_maps after the first)"
echo ok
