#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Time limits that fit the state: a program of 10^6 heap objects, whose
# update takes longer than ttstd's default timeout on a small machine,
# validates under a 2 s timeout and commits under the default one (the
# limits grow with the state, which P reports when quiesced).  The dry
# run reports the pause a real update would cost, counted from when the
# last thread parked: a thread that finishes a 400 ms request first is
# not paused meanwhile.
. "${TSRC:-.}/lib.sh"
need_plugin
N=1000000
start_bigstate bigstate $N

ctl update --dry-run --timeout 2 "$WORK/v1/bigstate" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "dry run exit status" $rc 0
grep -q "^a real update would pause the program ~[0-9]* ms$" "$WORK/out" ||
	fail "the dry run did not report the pause"
settle=$(history_field settle) pause=$(history_field pause_estimate) total=$(history_field total)
echo "settle $settle s, pause ~$pause s, total $total s, limit $(history_field limit) s"
awk -v s="$settle" 'BEGIN { exit !(s >= 0.3) }' ||
	fail "the quiescence did not wait for the request under way ($settle s)"
awk -v s="$settle" -v p="$pause" -v t="$total" 'BEGIN { exit !(p > 0 && p + s <= t) }' ||
	fail "the pause ($pause s) counts the time a thread still served ($settle s of $total s)"

ctl update "$WORK/v1/bigstate" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status" $rc 0
bigstate_check $N
echo ok
