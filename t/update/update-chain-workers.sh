#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Chained updates of a program whose workers start on records of an array
# its startup allocates (v1/workers.c, memcached's `threads`): after each
# update the new startup's array is freed (the workers' locals and the
# static now point to the old version's records) and the state stays flat.
# Before, two dead copies of a worker's start argument were read as
# pointers by the startup sweep, which kept the new startup's array (and
# the notes its records point to) at every update: one libstf's thread
# trampoline left in the worker's stack (saved there by a call it made
# before starting the routine), one in the register the worker (built with
# -O2) held its argument in before its loop, which its update point saved
# (a function holding an update point keeps its locals in memory: the
# registers it changed hold nothing it uses after the point).
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/workers v1/workers.c -O2 -pthread

kept() { sed -n 's/.*"forward":{[^}]*"startup_kept":\([0-9]*\).*/\1/p' "$WORK/out"; }

start_ttstd --name workers -- "$WORK/v1/workers" "$WORK/ask" "$WORK/state"
wait_connected
set -- $(snapshot)
b0=$1 b3=$4

i=0
first=
while [ $i -lt 5 ]; do
	i=$((i + 1))
	ctl --json update --timeout 30 "$WORK/v1/workers" >"$WORK/out" 2>&1 ||
		{ cat "$WORK/out"; fail "update $i did not commit"; }
	set -- $(snapshot)
	echo "update $i: $(objects) objects when quiesced, $(kept) startup objects kept, counts $*"
	[ "$1" -ge "$b0" ] && [ "$4" -ge "$b3" ] && [ "$4" -ge 4000000 ] ||
		fail "update $i: counts $* (were $b0 .. $b3): the workers lost their records"
	b0=$1 b3=$4
	[ "$(kept)" = 0 ] || fail "update $i: $(kept) of the new startup's objects kept (its array of records)"
	[ $i -ge 2 ] || continue
	n=$(objects)
	first=${first:-$n}
	[ "$n" -le "$first" ] || fail "update $i: $n objects when quiesced, $first at update 2: the state grows"
done
echo ok
