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
build v1/bigstate v1/bigstate.c -pthread
N=1000000

start_ttstd --name bigstate -- "$WORK/v1/bigstate" $N "$WORK/ask" "$WORK/state"
wait_connected
for _ in $(seq 600); do
	[ -s "$WORK/state" ] && break
	sleep 0.1
done
expect "sum before" "$(cat "$WORK/state")" $((N * (N - 1) / 2))

ctl update --dry-run --timeout 2 "$WORK/v1/bigstate" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "dry run exit status" $rc 0
grep -q "^a real update would pause the program ~[0-9]* ms$" "$WORK/out" ||
	fail "the dry run did not report the pause"
ctl --json history >"$WORK/hist"
field() { # field KEY: of the last transaction in the history
	tail -n 1 "$WORK/hist" | sed -n "s/.*\"$1\":\"\\{0,1\\}\\([0-9.]*\\).*/\\1/p" | tail -n 1
}
settle=$(field settle) pause=$(field pause_estimate) total=$(field total)
echo "settle $settle s, pause ~$pause s, total $total s, limit $(field limit) s"
awk -v s="$settle" 'BEGIN { exit !(s >= 0.3) }' ||
	fail "the quiescence did not wait for the request under way ($settle s)"
awk -v s="$settle" -v p="$pause" -v t="$total" 'BEGIN { exit !(p > 0 && p + s <= t) }' ||
	fail "the pause ($pause s) counts the time a thread still served ($settle s of $total s)"

rm -f "$WORK/state"
ctl update "$WORK/v1/bigstate" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status" $rc 0
touch "$WORK/ask"
for _ in $(seq 300); do
	[ -s "$WORK/state" ] && [ ! -e "$WORK/ask" ] && break
	sleep 0.1
done
expect "sum after" "$(cat "$WORK/state")" $((N * (N - 1) / 2))
echo ok
