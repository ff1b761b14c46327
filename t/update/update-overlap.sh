#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The reversed version starts while the future version transfers forward
# (on another core): a reversed version whose startup takes a second more
# adds (almost) nothing to the pause when the forward transfer takes a
# second too, and the report counts as its start only what the pause
# waited for it.  Without Yama's ptrace restrictions (with them, R starts
# after the forward transfer, as a process tree's does).
. "${TSRC:-.}/lib.sh"
need_plugin
if [ "$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)" != 0 ]; then
	echo "SKIP: Yama ptrace_scope is not 0: the reversed version starts after the forward transfer"
	exit 77
fi
build v1/counter-slow v1/counter.c -DSLOW_REVERSED_START
build v2/counter-slow v2/counter.c -DSLOW_FORWARD

start_ttstd --name overlap -- "$WORK/v1/counter-slow" "$SRV"
wait_connected
pid=$(program_pid)
expect "add" "$(q "add 5 55")" ok
ctl --json update --dry-run "$WORK/v2/counter-slow" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status" $rc 0
sec() { sed -n "s/.*\"seconds\":{[^}]*\"$1\":\([0-9.]*\).*/\1/p" "$WORK/out"; }
fwd=$(sec forward) rev=$(sec start_reversed) fut=$(sec start_future) pause=$(sec pause_estimate)
echo "start_future $fut s, forward $fwd s, start_reversed $rev s, pause $pause s"
awk -v f="$fwd" 'BEGIN { exit !(f >= 1) }' || fail "the forward transfer did not sleep ($fwd s)"
# one after the other: start_reversed >= 1 s and pause >= 2 s
awk -v r="$rev" 'BEGIN { exit !(r < 0.5) }' ||
	fail "the reversed version started after the forward transfer ($rev s)"
awk -v p="$pause" -v f="$fwd" -v s="$fut" 'BEGIN { exit !(p < f + s + 0.9) }' ||
	fail "the pause ($pause s) counts the reversed version's startup"
expect "pid" "$(program_pid)" "$pid"
ctl update "$WORK/v2/counter-slow" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status of the update" $rc 0
expect "version" "$(q version)" 2
expect "state" "$(q "get 5")" 55
echo ok
