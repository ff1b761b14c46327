#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Clear words.  An update requested before the program has connected says
# so (not "is it linked with libstf?"); a new version that exits during its
# start is quoted (the end of its stderr) and its exit status explained; an
# injected fault is named as the cause of its rollback.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c
build v1/counter-exit v1/counter.c -DEXIT_IN_UPDATE
build v2/counter v2/counter.c
# a program that takes its time before it starts (and connects)
printf '#!/bin/sh\nsleep 3\nexec "%s" "$@"\n' "$WORK/v1/counter" >"$WORK/slow-start"
# a new version whose control connection is gone before its hello
printf '#!/bin/sh\nunset STF_CTL_FD\nSTF_CTL=%s/nowhere exec "%s" "$@"\n' "$WORK" "$WORK/v2/counter" >"$WORK/lost"
chmod 755 "$WORK/slow-start" "$WORK/lost"

start_ttstd --name words -- "$WORK/slow-start" "$SRV"
ctl update "$WORK/v2/counter" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status before the program connected" $rc 2
grep -q "has not connected to ttstd yet (it is starting): retry in a moment" "$WORK/out" ||
	fail "the refusal does not say: not connected yet, retry"
grep -q "linked with libstf" "$WORK/out" && fail "the refusal blames libstf"
wait_connected
expect "add" "$(q "add 1 11")" ok

ctl update "$WORK/v1/counter-exit" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status when the new version exits" $rc 1
grep -q "^rolled back: future version (pid [0-9]*) exited with status 3 during start of the future version; its stderr ends: '.*counter: cannot start as a new version: no config'$" "$WORK/out" ||
	fail "the reason does not quote the new version's stderr"

ctl update "$WORK/lost" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status when the new version lost its connection" $rc 1
grep -q "exited with status 70 during start of the future version (libstf's code for a lost control connection" "$WORK/out" ||
	fail "status 70 is not explained"

ctl update --fault crash@forward "$WORK/v2/counter" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status of an injected crash" $rc 1
grep -q "^rolled back: injected fault crash@forward: future version (pid [0-9]*) was killed by SIGSEGV" "$WORK/out" ||
	fail "the injected fault is not named"
ctl history | grep -q "injected fault crash@forward" || fail "history does not name the fault"

expect "get after all" "$(q "get 1")" 11
ctl update "$WORK/v2/counter" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "the update did not commit"; }
expect "get after the update" "$(q "get 1")" 11
echo ok
