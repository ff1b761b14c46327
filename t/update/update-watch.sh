#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# ttst-ctl update --watch S: after the commit the past version stays frozen
# for S seconds; when the new version dies within them, the past version
# serves again at once (what the new version did meanwhile is lost, as
# ttst-ctl(1) says), the outcome is "reverted", exit status 1, and history
# says so.  A new version that lives through the watch is committed, and
# the past version exits after it.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c
build v2/counter v2/counter.c

start_ttstd --name watch -- "$WORK/v1/counter" "$SRV"
wait_connected
pid1=$(program_pid)
expect "add" "$(q "add 1 11")" ok

ctl update --watch 2 --dry-run "$WORK/v2/counter" >"$WORK/out" 2>&1
expect "exit status of --watch with --dry-run" $? 2

# the new version dies within the watch
ctl update --watch 60 "$WORK/v2/counter" >"$WORK/out" 2>&1 &
updater=$!
for _ in $(seq 100); do
	ctl status | grep -q "^state: *watching" && break
	sleep 0.05
done
ctl status | grep -q "^state: *watching" || fail "status does not say watching"
pid2=$(program_pid)
[ "$pid2" != "$pid1" ] || fail "the new version does not run"
kill -0 "$pid1" || fail "the past version did not stay during the watch"
expect "version during the watch" "$(q version)" 2
expect "add during the watch (lost)" "$(q "add 2 22")" ok
killed=$(date +%s)
kill -SEGV "$pid2"
wait $updater; rc=$?
cat "$WORK/out"
expect "exit status of a reverted update" $rc 1
[ $(($(date +%s) - killed)) -le 5 ] || fail "the past version came back after more than 5 s"
grep -q "^reverted after the commit: the new version (pid $pid2) was killed by SIGSEGV .* s after the commit, within the 60 s watch: the past version pid $pid1 serves again" "$WORK/out" ||
	fail "no reverted line"
expect "pid after the revert" "$(program_pid)" "$pid1"
expect "version after the revert" "$(q version)" 1
expect "get after the revert" "$(q "get 1")" 11
expect "what the new version stored (lost)" "$(q "get 2")" none
expect "add after the revert" "$(q "add 3 33")" ok
ctl history | grep -q " reverted .*killed by SIGSEGV" || fail "history: $(ctl history)"
ctl status | grep -q "^state: *running" || fail "status after the revert: $(ctl status)"

# the new version lives through the watch
start=$(date +%s)
ctl update --watch 2 "$WORK/v2/counter" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "the watched update did not commit"; }
cat "$WORK/out"
[ $(($(date +%s) - start)) -ge 2 ] || fail "the watch did not last 2 s"
grep -q "^committed: " "$WORK/out" || fail "no committed line"
sleep 0.5
kill -0 "$pid1" 2>/dev/null && fail "the past version $pid1 runs on after the watch"
expect "version after the watch" "$(q version)" 2
expect "get 3 after the watch" "$(q "get 3")" 33
echo ok
