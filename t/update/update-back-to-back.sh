#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Updates issued back to back, each as soon as the previous one committed,
# while clients keep the server busy: each must commit and keep the state.
# The next request can reach the new version while its thread is still on
# its way back from the update point that ended the last transaction; that
# thread must not end the new quiescence (it did: the next update then
# waited for its whole timeout and rolled back).
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c

start_ttstd --name back-to-back -- "$WORK/v1/counter" "$SRV"
wait_connected
expect "add" "$(q "add 1 1007")" ok

# Busy clients: the program's thread is rarely parked in its poll.
: >"$WORK/busy"
busy=
for _ in 1 2; do
	while [ -e "$WORK/busy" ]; do "$TQ" line "$SRV" "get 1" >/dev/null 2>&1; done &
	busy="$busy $!"
done

rounds=12
i=0
while [ $i -lt $rounds ]; do
	i=$((i + 1))
	ctl update --timeout 5 "$WORK/v1/counter" >"$WORK/out" 2>&1; rc=$?
	[ $rc -eq 0 ] || { rm -f "$WORK/busy"; cat "$WORK/out"; fail "update $i of $rounds: exit status $rc"; }
done
rm -f "$WORK/busy"
wait $busy
expect "get after $rounds updates" "$(q "get 1")" 1007
expect "history lines" "$(ctl history | grep -c committed)" $rounds
echo ok
