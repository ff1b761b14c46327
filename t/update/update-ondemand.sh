#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A thread started on demand (a thread per connection) is parked at its
# update point in the running version, but the new and reversed versions
# do not start it: libstf starts it again there from its start routine.
# Version 2 no longer has that start routine: the update must roll back,
# naming the thread, and the running version's worker go on counting.  An
# update to the same version commits, and the worker goes on counting in
# the new process from where it was (its count is a local).
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/ondemand v1/ondemand.c -pthread
build v2/ondemand v1/ondemand.c -pthread -DVERSION=2

rounds() { # the worker's round counter, once it has moved past $1
	for _ in $(seq 500); do
		set -- "$1" $(cat "$WORK/state" 2>/dev/null)
		[ $# -eq 3 ] && [ "$3" -gt "$1" ] && {
			[ "$2" = 1 ] || fail "$2 workers, want 1"
			echo "$3"
			return 0
		}
		sleep 0.01
	done
	fail "the worker does not count (state: $(cat "$WORK/state" 2>/dev/null))"
}

start_ttstd --name ondemand -- "$WORK/v1/ondemand" "$WORK/spawn" "$WORK/state"
wait_connected
pid=$(program_pid)
touch "$WORK/spawn"
r0=$(rounds 0) || { echo "$r0"; exit 1; }

ctl update "$WORK/v2/ondemand" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status of the update without the start routine" $rc 1
grep -q "parked in worker .*start routine .*worker no longer exists" "$WORK/out" ||
	fail "the rollback does not name the thread and its start routine"
expect "pid after the rollback" "$(program_pid)" "$pid"
# far enough that a count started again from 0 cannot catch up unseen
r1=$(rounds $((r0 + 100))) || { echo "$r1"; exit 1; }

ctl update "$WORK/v1/ondemand" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status of the update to the same version" $rc 0
[ "$(program_pid)" != "$pid" ] || fail "the program was not replaced"
rm -f "$WORK/state"
r2=$(rounds 0) || { echo "$r2"; exit 1; }
[ "$r2" -gt "$r1" ] || fail "the new version's worker counts from $r2, the old one was at $r1"
echo "worker rounds $r0 -> $r1 -> $r2: ok"
