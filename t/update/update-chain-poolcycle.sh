#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Chained updates of update-chain-cycle's server with its cycle carved
# out of a pool (v1/poolcycle.c), as nginx's: a global points into the
# pool's block, the event loop keeps the cycle in its parameter and main
# in a local; the pool's header points into the cycle (nginx's
# `pool->log = &cycle->new_log`), and each hit is logged through it.  The
# old pool block is kept at its address as a container, untyped past its
# header (typed by its site: struct pool, so that word does not hold the
# cycle in place); the old cycle, a typed object inside it, must go into the new
# startup's cycle in place, so that the loop's parameter sees the old
# state and nothing of the startup (its pool, its log) is left behind per
# update: dynamic objects, objects held when quiesced and descriptors stay
# flat, the hits counted through the parameter continue, and a reload
# (a new pool and cycle made from the loop's, the old pool freed) after
# the updates still works.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/poolcycle v1/poolcycle.c

start_ttstd --name poolcycle -- "$WORK/v1/poolcycle" "$SRV"
wait_connected
for k in 1 2 3; do
	expect "hit $k" "$(q hit)" ok
done
expect "greet" "$(q "greet bonjour")" ok
expect "stats before" "$(q stats)" "1003 1003 1 1 3 bonjour"
first=
first_fds=
first_live=
i=0
while [ $i -lt 5 ]; do
	i=$((i + 1))
	chain_update "$WORK/v1/poolcycle" $i
	expect "hit after update $i" "$(q hit)" ok
	expect "stats after update $i" "$(q stats)" "$((1003 + i)) $((1003 + i)) 1 1 $((3 + i)) bonjour"
	grep -q ', 1 transferred in place into startup objects' "$WORK/out" ||
		{ cat "$WORK/out"; fail "update $i: the old cycle is not reported transferred in place"; }
	# the first update makes the new startup's pool block the cycle's
	# home (the old pool keeps its address): one block more, once
	if [ $i -ge 2 ]; then
		first=${first:-$dyn}
		expect "dynamic objects at update $i" "$dyn" "$first"
	fi
	fds=$(ls "/proc/$(program_pid)/fd" | wc -l)
	first_fds=${first_fds:-$fds}
	expect "descriptors at update $i" "$fds" "$first_fds"
	live=$(ctl --json history | sed -n 's/.*"state_objects":\([0-9]*\).*/\1/p' | tail -n 1)
	[ $i -ge 2 ] || continue
	first_live=${first_live:-$live}
	[ "$live" -le "$first_live" ] ||
		fail "update $i: $live objects when quiesced, $first_live at update 2"
done
echo "$dyn dynamic objects, $live objects when quiesced, $fds descriptors at update 5"
expect "reload" "$(q reload)" ok
expect "stats after the reload" "$(q stats)" "1008 1008 1 2 8 bonjour"
expect "hit after the reload" "$(q hit)" ok
expect "stats after a hit" "$(q stats)" "1009 1009 1 2 9 bonjour"
expect "descriptors after the reload" "$(ls "/proc/$(program_pid)/fd" | wc -l)" "$first_fds"
expect "the log" "$(tr '\n' ' ' <"$SRV.log")" \
	"hit 1001 hit 1002 hit 1003 hit 1004 hit 1005 hit 1006 hit 1007 hit 1008 hit 1009 "
echo ok
