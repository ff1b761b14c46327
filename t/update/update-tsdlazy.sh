#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A pthread key the old version created after its startup (lazily, as
# GLib's GPrivate does) is created in the new version too, with the same
# number and its destructor relocated (libstf/transfer/tsd.c,
# stf__claim_pthread_keys).  Before, the new version had never created
# it: the workers' tallies behind it read NULL (the carried slots' sequence
# no longer matched), pthread_setspecific failed with EINVAL (GLib aborts
# there, after the commit), and a thread leaving a value behind it never
# ran its destructor.  Chained: the key stays one key.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/tsdlazy v1/tsdlazy.c -pthread

start_ttstd --name tsdlazy -- "$WORK/v1/tsdlazy" "$WORK/ask" "$WORK/state"
wait_connected
snapshot >/dev/null   # the first request creates the key
sleep 0.2
set -- $(snapshot)
before0=$1 before1=$2 gone=$3
[ "$before0" -gt 0 ] && [ "$before1" -gt 0 ] && [ "$4" = 0 ] ||
	fail "before any update: counts $1 $2, $4 errors"

i=0
while [ $i -lt 3 ]; do
	i=$((i + 1))
	ctl update --timeout 30 "$WORK/v1/tsdlazy" >"$WORK/out" 2>&1 ||
		{ cat "$WORK/out"; fail "update $i did not commit"; }
	sleep 0.2
	set -- $(snapshot)
	echo "update $i: counts $1 $2, $3 values destructed, $4 errors"
	[ "$4" = 0 ] || fail "update $i: pthread_setspecific failed $4 times in the new version"
	[ "$1" -gt "$before0" ] && [ "$2" -gt "$before1" ] ||
		fail "update $i: counts $1 $2 (were $before0 $before1): the tallies behind the key were lost"
	[ "$3" -gt "$gone" ] ||
		fail "update $i: $3 values destructed (was $gone): the key's destructor did not run"
	before0=$1 before1=$2 gone=$3
done
echo ok
