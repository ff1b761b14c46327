#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Chained updates of a server that copies its arguments and program names
# to the heap at every start as Redis's spt_init does
# (v1/redis16-argcopies.c): only main's initial stack and the C library's
# data name the old copies, and the transfer carries neither, so the
# forward transfer drops them (libstf/transfer/unreached.c) while the new
# startup's copies serve.  Ten updates keep the dynamic objects and
# (from the third on) the objects when quiesced flat; the blocks the
# program reaches by one odd word each (an interior pointer, a tagged
# integer, a pointer one past the end, a pointer inside a block of bytes,
# an update point's local) are carried every time.  Before, each update
# carried argc + 1 blocks more: 4 arguments after the program here,
# dynamic objects 12, 18, ... (+6 per update).
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/redis16-argcopies v1/redis16-argcopies.c

want="middle tagged end record local 4 redis16-argcopies"
start_ttstd --name args -- "$WORK/v1/redis16-argcopies" "$SRV" --port 6379 --save
wait_connected
expect "check before" "$(q check)" "$want"
first=
first_live=
i=0
while [ $i -lt 10 ]; do
	i=$((i + 1))
	chain_update "$WORK/v1/redis16-argcopies" $i
	[ $i -gt 2 ] || cat "$WORK/out"
	grep -q "6 old blocks nothing carried reaches dropped" "$WORK/out" ||
		{ cat "$WORK/out"; fail "update $i: not the 6 copies dropped"; }
	expect "check after update $i" "$(q check)" "$want"
	first=${first:-$dyn}
	expect "dynamic objects at update $i" "$dyn" "$first"
	live=$(ctl --json history | sed -n 's/.*"state_objects":\([0-9]*\).*/\1/p' | tail -n 1)
	echo "update $i: $dyn dynamic objects, $live objects when quiesced"
	# the first updates' past versions are a fresh process, then one
	# with one object less (14, 18, then 19 throughout)
	[ $i -ge 3 ] || continue
	first_live=${first_live:-$live}
	expect "objects when quiesced at update $i" "$live" "$first_live"
done
echo "$dyn dynamic objects, $live objects when quiesced at update 10"
echo ok
