#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Chained updates of a server whose startup builds a heap "cycle" that a
# global points to and the event loop keeps in its parameter (and main in
# a local), as nginx's single-process mode does.  The transfer gives the
# global the old version's cycle; the old cycle must go into the new
# startup's own, in place, so that the loop's parameter sees the old
# state, the program runs on one cycle, and nothing is left behind per
# update: dynamic objects, objects held when quiesced and descriptors (each
# startup opens the log again) stay flat, the hits counted and logged
# through the parameter continue, and a reload (a new cycle made from the
# loop's, as nginx's SIGHUP) after the updates still works.  The cycle
# keeps the last request's descriptor: in the old cycle, now in the
# startup's block, that number is the one the new startup's log took,
# which must not keep the log open.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/cycle v1/cycle.c

start_ttstd --name cycle -- "$WORK/v1/cycle" "$SRV"
wait_connected
for k in 1 2 3; do
	expect "hit $k" "$(q hit)" ok
done
expect "greet" "$(q "greet bonjour")" ok
expect "stats before" "$(q stats)" "1003 1003 1 1 bonjour"
first=
first_fds=
first_live=
i=0
while [ $i -lt 5 ]; do
	i=$((i + 1))
	chain_update "$WORK/v1/cycle" $i
	grep -q ', 1 transferred in place into startup objects' "$WORK/out" ||
		{ cat "$WORK/out"; fail "update $i: the old cycle is not reported transferred in place"; }
	first=${first:-$dyn}
	expect "dynamic objects at update $i" "$dyn" "$first"
	expect "hit after update $i" "$(q hit)" ok
	expect "stats after update $i" "$(q stats)" "$((1003 + i)) $((1003 + i)) 1 1 bonjour"
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
expect "stats after the reload" "$(q stats)" "1008 1008 1 2 bonjour"
expect "hit after the reload" "$(q hit)" ok
expect "stats after a hit" "$(q stats)" "1009 1009 1 2 bonjour"
expect "descriptors after the reload" "$(ls "/proc/$(program_pid)/fd" | wc -l)" "$first_fds"
expect "the log" "$(tr '\n' ' ' <"$SRV.log")" \
	"hit 1001 hit 1002 hit 1003 hit 1004 hit 1005 hit 1006 hit 1007 hit 1008 hit 1009 "
echo ok
