#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Thread-specific data (pthread_setspecific) is transferred thread by
# thread (libstf/transfer/tsd.c): each worker of v1/tsd.c finds its
# per-thread tally only behind a pthread key.  After an update every
# worker continues its own count (before, the key still held the tally
# the new version's startup allocated: the counts restarted from 0), and
# over chained updates the state stays flat (before, the startup's
# tallies, named by the key slots, were kept: 2 more objects per update).
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/tsd v1/tsd.c -pthread

start_ttstd --name tsd -- "$WORK/v1/tsd" "$WORK/ask" "$WORK/state"
wait_connected
set -- $(snapshot)
before0=$1 before1=$2

i=0
first=
while [ $i -lt 6 ]; do
	i=$((i + 1))
	ctl --json update --timeout 30 "$WORK/v1/tsd" >"$WORK/out" 2>&1 ||
		{ cat "$WORK/out"; fail "update $i did not commit"; }
	set -- $(snapshot)
	echo "update $i: $(objects) objects when quiesced, counts $1 $2"
	[ "$1" -ge "$before0" ] && [ "$1" -lt 2000000 ] ||
		fail "update $i: worker 0 counts $1 (was $before0): its tally was not carried"
	[ "$2" -ge "$before1" ] && [ "$2" -ge 2000000 ] ||
		fail "update $i: worker 1 counts $2 (was $before1): its tally was not carried"
	before0=$1 before1=$2
	# the first update's past version is the original process, which
	# has no transfer behind it: count from the second on
	[ $i -ge 2 ] || continue
	n=$(objects)
	first=${first:-$n}
	[ "$n" -le "$first" ] || fail "update $i: $n objects when quiesced, $first at update 2: the state grows"
done
echo ok
