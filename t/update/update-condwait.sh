#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A worker idle in sem_wait is not interrupted by quiescence (unlike one in
# pthread_cond_wait, a wait point: update-pool.sh): the update rolls back
# after the bounded wait with nothing changed, and the reason names what
# the thread that did not park was blocked in (a futex wait) and what to
# do, instead of only suspecting a missing update point.  Since the only
# thread missing cannot be interrupted, quiescence gives up after about a
# second instead of holding the parked threads for the whole timeout.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter-idle v1/counter.c -DIDLE_WORKER -pthread

start_ttstd --name condwait --timeout 20 -- "$WORK/v1/counter-idle" "$SRV"
wait_connected
pid=$(program_pid)
expect "add" "$(q "add 7 77")" ok
ctl update "$WORK/v1/counter-idle" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status" $rc 1
grep -q "^rolled back: quiescence failed in the past version: not every thread reached an update point" \
	"$WORK/out" || fail "reason"
grep -q "not parked: 1 thread in futex wait: a semaphore.*give the wait a timeout" "$WORK/out" ||
	fail "the reason does not name the thread blocked in sem_wait"
grep -q "update point (gave up after [0-9]* ms of the [0-9]* ms allowed" "$WORK/out" ||
	fail "quiescence did not give up early"
quiesce_ms=$(sed -n 's/^phases (ms): quiesce \([0-9]*\).*/\1/p' "$WORK/out")
[ "${quiesce_ms:-99999}" -lt 5000 ] || fail "the program was held ${quiesce_ms} ms"
expect "pid" "$(program_pid)" "$pid"
expect "state" "$(q "get 7")" 77
expect "still serving" "$(q "add 8 88")" ok
echo ok
