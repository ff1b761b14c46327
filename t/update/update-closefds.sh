#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A daemon that closes every descriptor at start (dnsmasq walks
# /proc/self/fd; others loop to the limit or call close_range or
# closefrom) leaves libstf's control connection open: libstf's close,
# close_range and closefrom keep its own descriptors, and the program
# updates with its state (before: "closed its control connection ...: it
# cannot be updated").  One that closes it with the raw system call does
# lose it, and a connected socket of its own then takes that number: the
# update request must not reach the program through the reused number (no
# protocol bytes written into its socket, no quiescence that nobody could
# end); the update fails, the program serves on.  A daemon that closes
# every descriptor at every start (dnsmasq) closes, in the new version's
# startup, those it inherited from the running version: they stay open
# until the commit, and the update commits (before: rolled back,
# "descriptor N of the running version ... is not open in the new
# version").
. "${TSRC:-.}/lib.sh"
need_plugin

for how in 1 2 3; do
	build v1/counter-closefds$how v1/counter.c -DCLOSE_ALL_FDS=$how
	start_ttstd --name closefds$how --timeout 10 -- "$WORK/v1/counter-closefds$how" "$SRV"
	pid=$(program_pid)
	for _ in $(seq 100); do [ -S "$SRV" ] && break; sleep 0.05; done
	expect "add ($how)" "$(q "add 4 44")" ok
	ctl update "$WORK/v1/counter-closefds$how" >"$WORK/out" 2>&1; rc=$?
	cat "$WORK/out"
	[ $rc -eq 0 ] || fail "closing every descriptor ($how) made the program not updatable"
	[ "$(program_pid)" != "$pid" ] || fail "the program's pid did not change ($how)"
	expect "get after the update ($how)" "$(q "get 4")" 44
	expect "bytes written into the program's socket ($how)" "$(q pending)" 0
	stop_ttstd
done

build v1/counter-everystart v1/counter.c -DCLOSE_AT_EVERY_START
start_ttstd --name everystart --timeout 10 -- "$WORK/v1/counter-everystart" "$SRV"
for _ in $(seq 100); do [ -S "$SRV" ] && break; sleep 0.05; done
expect "add (every start)" "$(q "add 4 44")" ok
for u in 1 2; do
	ctl update "$WORK/v1/counter-everystart" >"$WORK/out" 2>&1 ||
		{ cat "$WORK/out"; fail "update $u of a program closing every descriptor at every start"; }
	expect "get after update $u (every start)" "$(q "get 4")" 44
done
stop_ttstd

build v1/counter-closefds4 v1/counter.c -DCLOSE_ALL_FDS=4
start_ttstd --name closefds4 --timeout 3 -- "$WORK/v1/counter-closefds4" "$SRV"
pid=$(program_pid)
for _ in $(seq 100); do [ -S "$SRV" ] && break; sleep 0.05; done
expect "add" "$(q "add 4 44")" ok
expect "bytes at the program's socket before" "$(q pending)" 0

ctl update "$WORK/v1/counter-closefds4" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
[ $rc -ne 0 ] || fail "an update committed without a control connection"
expect "pid" "$(program_pid)" "$pid"
expect "get after the failed update" "$(q "get 4")" 44
expect "add after the failed update" "$(q "add 5 55")" ok
expect "bytes written into the program's socket" "$(q pending)" 0
echo ok
