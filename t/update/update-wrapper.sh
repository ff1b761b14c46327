#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A new version that forks instead of exec'ing (a wrapper script starting
# the server in the background) is rolled back within seconds, naming the
# process that connected in its place: the shell's pid must never become
# the supervised program, leaving the real server unsupervised.  Nothing
# of the new version is left running; the old one serves on.  A wrapper
# that execs the program is fine.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c
build v2/counter v2/counter.c
printf '#!/bin/sh\n"%s" "$@" &\nwait\n' "$WORK/v2/counter" >"$WORK/forking-wrapper"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$WORK/v2/counter" >"$WORK/exec-wrapper"
chmod 755 "$WORK/forking-wrapper" "$WORK/exec-wrapper"

start_ttstd --name wrapper -- "$WORK/v1/counter" "$SRV"
wait_connected
pid=$(program_pid)
expect "add" "$(q "add 1 11")" ok

start=$(date +%s)
timeout 30 "$TTST_CTL" --socket "$SOCK" update "$WORK/forking-wrapper" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status for a forking wrapper" $rc 1
[ $(($(date +%s) - start)) -le 5 ] || fail "the rollback took more than 5 s"
grep -q "^rolled back: the future version pid [0-9]* did not connect to ttstd itself: pid [0-9]* did in its place (a wrapper must exec the program, not fork it)" "$WORK/out" ||
	fail "the reason does not name the process"
expect "pid after the rollback" "$(program_pid)" "$pid"
expect "version after the rollback" "$(q version)" 1
expect "get after the rollback" "$(q "get 1")" 11
sleep 1
pgrep -f "^$WORK/v2/counter" >/dev/null && fail "a process of the new version is left running: $(pgrep -af "^$WORK/v2/counter")"

ctl update "$WORK/exec-wrapper" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "an exec'ing wrapper did not commit"; }
expect "version after the exec'ing wrapper" "$(q version)" 2
expect "get after the exec'ing wrapper" "$(q "get 1")" 11
echo ok
