#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Loops that wait for signals and children (a master process in
# sigsuspend; threads in sigwaitinfo, pause and waitpid) are interrupted
# by quiescence: the update commits at once instead of timing out.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/sigwait v1/sigwait.c -pthread

hits() {
	rm -f "$WORK/state"
	touch "$WORK/ask"
	kill -USR1 "$(program_pid)"
	for _ in $(seq 200); do
		[ -s "$WORK/state" ] && [ ! -e "$WORK/ask" ] && { cat "$WORK/state"; return 0; }
		sleep 0.01
	done
	fail "the program did not answer"
}

start_ttstd --name sigwait -- "$WORK/v1/sigwait" "$WORK/ask" "$WORK/state"
wait_connected
expect "hits before" "$(hits)" 1
old=$(program_pid)

# quiescence gets half the timeout: 1 s, far more than a kick needs
ctl update --timeout 2 "$WORK/v1/sigwait" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status" $rc 0
[ "$(program_pid)" != "$old" ] || fail "the program was not replaced"
expect "hits after" "$(hits)" 2
echo ok
