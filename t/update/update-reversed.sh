#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The reversed version (a fresh instance of the running binary) crashing
# rolls the update back with the signal named; the past version serves on.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter-aborts v1/counter.c -DABORT_AS_REVERSED
build v2/counter v2/counter.c

start_ttstd --name reversed -- "$WORK/v1/counter-aborts" "$SRV"
wait_connected
pid=$(program_pid)
expect "add" "$(q "add 5 55")" ok
ctl update "$WORK/v2/counter" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status" $rc 1
grep -q "^rolled back: reversed version (pid [0-9]*) was killed by SIGABRT.* during start of the reversed version" \
	"$WORK/out" || fail "reason"
expect "pid" "$(program_pid)" "$pid"
expect "version" "$(q version)" 1
expect "state" "$(q "get 5")" 55
echo ok
