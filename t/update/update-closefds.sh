#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A daemon that closes every descriptor at start closes libstf's control
# connection too, and a connected socket of its own then takes that
# number.  An update request must not reach the program through the
# reused number: no protocol bytes written into its socket, no quiescence
# that nobody could end.  The update fails, the program serves on.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter-closefds v1/counter.c -DCLOSE_ALL_FDS

start_ttstd --name closefds --timeout 3 -- "$WORK/v1/counter-closefds" "$SRV"
pid=$(program_pid)
for _ in $(seq 100); do [ -S "$SRV" ] && break; sleep 0.05; done
expect "add" "$(q "add 4 44")" ok
expect "bytes at the program's socket before" "$(q pending)" 0

ctl update "$WORK/v1/counter-closefds" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
[ $rc -ne 0 ] || fail "an update committed without a control connection"
expect "pid" "$(program_pid)" "$pid"
expect "get after the failed update" "$(q "get 4")" 44
expect "add after the failed update" "$(q "add 5 55")" ok
expect "bytes written into the program's socket" "$(q pending)" 0
echo ok
