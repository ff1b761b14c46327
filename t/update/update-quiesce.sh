#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A program with a thread that never reaches an update point cannot be
# quiesced: the update rolls back after the bounded wait, nothing was
# started, and the program serves on in the same process.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter-stuck v1/counter.c -DSTUCK_THREAD -pthread
build v2/counter v2/counter.c

start_ttstd --name quiesce --timeout 2 -- "$WORK/v1/counter-stuck" "$SRV"
wait_connected
pid=$(program_pid)
expect "add" "$(q "add 7 77")" ok
ctl update "$WORK/v2/counter" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status" $rc 1
grep -q "^rolled back: quiescence failed in the past version: not every thread reached an update point within 1000 ms" \
	"$WORK/out" || fail "reason"
grep -q "start-future" "$WORK/out" && fail "a future version was started although P never quiesced"
expect "pid" "$(program_pid)" "$pid"
expect "state" "$(q "get 7")" 77
expect "still serving" "$(q "add 8 88")" ok
echo ok
