#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Updates that must not happen: a new version that exits during its
# startup, one that cannot be executed, a dry run (validated, then rolled
# back), and a bad request.  After each, the same process serves the same
# state; status and history report every transaction.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c
build v2/counter v2/counter.c
build v1/counter-exits v1/counter.c -DEXIT_IN_UPDATE

start_ttstd --name rollback -- "$WORK/v1/counter" "$SRV"
wait_connected
pid=$(program_pid)
expect "add" "$(q "add 42 4242")" ok

# F exits early
ctl update "$WORK/v1/counter-exits" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status, F exits early" $rc 1
grep -q "^rolled back: future version (pid [0-9]*) exited with status 3 during start of the future version" \
	"$WORK/out" || fail "reason of the early exit"
expect "pid after early exit" "$(program_pid)" "$pid"
expect "state after early exit" "$(q "get 42")" 4242

# arguments reach the new version: extra ones, or none at all (a lone --),
# make it exit with its usage status
ctl update "$WORK/v2/counter" "$SRV" extra >"$WORK/out" 2>&1
expect "exit status, extra argument" $? 1
grep -q "exited with status 2 during start of the future version" "$WORK/out" || fail "extra argument: $(cat "$WORK/out")"
ctl update "$WORK/v2/counter" -- >"$WORK/out" 2>&1
expect "exit status, no arguments" $? 1
grep -q "exited with status 2 during start of the future version" "$WORK/out" || fail "no arguments: $(cat "$WORK/out")"
grep -q "usage: counter SOCKET" "$WORK/program.out" || fail "the new version did not print its usage"
ctl --json update "$WORK/v2/counter" "$SRV" extra >"$WORK/out" 2>&1
expect "exit status, JSON rollback" $? 1
grep -q '"outcome":"rolled-back","reason":"future version (pid [0-9]*) exited with status 2' "$WORK/out" ||
	fail "JSON rollback: $(cat "$WORK/out")"
expect "pid after argument errors" "$(program_pid)" "$pid"

# the new binary exists but cannot be executed by ttstd's program
cp "$WORK/v2/counter" "$WORK/noexec" && chmod 644 "$WORK/noexec"
ctl update "$WORK/noexec" >/dev/null 2>&1
expect "exit status, not executable" $? 2

# dry run: every phase, then rollback; exit 0 with "validated"
ctl update --dry-run "$WORK/v2/counter" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status of a dry run" $rc 0
grep -q "^validated" "$WORK/out" || fail "dry run not validated"
grep -q "^diff: *0 differences" "$WORK/out" || fail "dry run did not diff"
expect "pid after the dry run" "$(program_pid)" "$pid"
expect "version after the dry run" "$(q version)" 1
expect "state after the dry run" "$(q "get 42")" 4242

# bad fault name: refused by ttst-ctl and by ttstd
ctl update --fault explode "$WORK/v2/counter" >/dev/null 2>&1
expect "exit status, unknown fault" $? 2
r=$("$TQ" raw "$SOCK" "cmd=update new=$WORK/v2/counter fault=explode@forward")
case $r in "ok=0 error=unknown%20fault"*) ;; *) fail "ttstd accepted a bad fault: $r";; esac

# garbled options from a raw client are refused, never guessed
for bad in "dry_run=yes" "timeout=abc" "timeout=0"; do
	r=$("$TQ" raw "$SOCK" "cmd=update new=$WORK/v2/counter $bad")
	case $r in "ok=0 error="*) ;; *) fail "ttstd accepted $bad: $r";; esac
done
expect "pid after garbled requests" "$(program_pid)" "$pid"

# status and history
ctl status >"$WORK/status"
grep -q "^updates: *5$" "$WORK/status" || fail "status count: $(cat "$WORK/status")"
grep -q "^last: *#5 .* validated $WORK/v2/counter: dry run" "$WORK/status" ||
	fail "status last: $(cat "$WORK/status")"
ctl history >"$WORK/hist"
cat "$WORK/hist"
expect "history lines" "$(wc -l <"$WORK/hist")" 5
sed -n 1p "$WORK/hist" | grep -q "^#1 .* rolled-back .*counter-exits.*exited with status 3" ||
	fail "history #1"
sed -n 5p "$WORK/hist" | grep -q "^#5 .* validated " || fail "history #5"
expect "final pid" "$(program_pid)" "$pid"
echo ok
