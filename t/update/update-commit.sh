#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A v1 -> v2 update with a type change (struct item: int value widened to
# long, members reordered, one added) commits through the real ttstd and
# ttst-ctl; the whole state survives (heap list, globals, function-local
# static, the event loop's locals including the listening socket); status,
# history and the JSON report tell the truth; the new version can itself be
# updated again.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c
build v2/counter v2/counter.c

start_ttstd --name commit -- "$WORK/v1/counter" "$SRV"
wait_connected
pid1=$(program_pid)
for k in 1 2 3 4 5; do
	expect "add $k" "$(q "add $k $((k * 1000 + 7))")" ok
done
expect "version before" "$(q version)" 1
expect "sum before" "$(q sum)" "15035 5 7"

ctl update "$WORK/v2/counter" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "ttst-ctl exit status of a committed update" $rc 0
grep -q "^committed: $WORK/v2/counter runs as pid" "$WORK/out" || fail "no committed line"
grep -q "^diff: *0 differences" "$WORK/out" || fail "no diff line"
grep -Eq "^forward: .* [1-9][0-9]* type transformations" "$WORK/out" ||
	fail "no type transformation reported"

pid2=$(program_pid)
[ "$pid2" != "$pid1" ] || fail "the program pid did not change"
kill -0 "$pid1" 2>/dev/null && fail "the past version $pid1 still runs after commit"
expect "version after" "$(q version)" 2
# values, item count and the request count (static + frame local) survive
expect "sum after" "$(q sum)" "15035 5 9"
for k in 1 2 3 4 5; do
	expect "get $k after" "$(q "get $k")" "$((k * 1000 + 7))"
done
expect "add after" "$(q "add 6 6")" ok
expect "sum after add" "$(q sum)" "15041 6 16"

ctl status >"$WORK/status"
grep -q "^binary: *$WORK/v2/counter$" "$WORK/status" || fail "status binary: $(cat "$WORK/status")"
grep -q "^args: *$SRV$" "$WORK/status" || fail "status args: $(cat "$WORK/status")"
grep -q "^last: *#1 .* committed $WORK/v2/counter$" "$WORK/status" || fail "status last: $(cat "$WORK/status")"
ctl --json status | grep -q "\"pid\":$pid2," || fail "json status pid"
ctl --json history >"$WORK/hist"
grep -q '"outcome":"committed"' "$WORK/hist" || fail "json history: $(cat "$WORK/hist")"
grep -q "\"past\":$pid1," "$WORK/hist" || fail "json history past pid"
grep -q "\"future\":$pid2," "$WORK/hist" || fail "json history future pid"
grep -q '"diff":{[^}]*"differences":0' "$WORK/hist" || fail "json history diff"

# going back to v1 would lose the new member `hits` (non-zero after the gets
# above): the round trip sees it and the update rolls back, naming it
ctl update "$WORK/v1/counter" >"$WORK/out2" 2>&1; rc=$?
cat "$WORK/out2"
expect "exit status of a lossy update" $rc 1
grep -q "^rolled back: state differs after the round trip .*\.hits: 1 (past) != 0 (reversed)" \
	"$WORK/out2" || fail "the lost member is not named"
expect "pid after the lossy attempt" "$(program_pid)" "$pid2"
expect "version after the lossy attempt" "$(q version)" 2

# the new version is updatable in turn (its control thread now serves as
# P), here to itself, with the JSON report
ctl --json update "$WORK/v2/counter" >"$WORK/out3" 2>&1; rc=$?
cat "$WORK/out3"
expect "third update exit status" $rc 0
grep -q '"outcome":"committed"' "$WORK/out3" || fail "third update not committed"
grep -q '"seconds":{[^}]*"downtime":' "$WORK/out3" || fail "no downtime in the JSON report"
[ "$(program_pid)" != "$pid2" ] || fail "the pid did not change on the third update"
expect "sum after the third update" "$(q sum)" "15041 6 18"
expect "get after the third update" "$(q "get 3")" 3007
expect "history lines" "$(ctl history | wc -l)" 3
grep -q "update #3: committed" "$WORK/ttstd.log" || fail "no log line for update #3"
echo ok
