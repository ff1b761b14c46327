#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A thread started on demand (a thread per connection) is parked at its
# update point in the running version, but the new and reversed versions
# do not start it: the update must roll back, naming the frame, instead of
# committing without the thread (its locals lost, its client abandoned),
# and the running version's worker must go on counting.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/ondemand v1/ondemand.c -pthread

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

ctl update "$WORK/v1/ondemand" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status" $rc 1
grep -q "worker.*no counterpart in the reversed version" "$WORK/out" ||
	fail "the rollback does not name the missing thread's frame"
expect "pid after the rollback" "$(program_pid)" "$pid"
r1=$(rounds "$r0") || { echo "$r1"; exit 1; }
echo "worker rounds $r0 -> $r1: ok"
