#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A signal handler installed in the one-time initialization (skipped by the
# new version) is installed in the new version at commit, by function.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/sighandler v1/sighandler.c

start_ttstd --name signals -- "$WORK/v1/sighandler" "$WORK/ask" "$WORK/state"
wait_connected
kill -USR1 "$(program_pid)"
kill -USR1 "$(program_pid)"
expect "hits before" "$(snapshot)" 2

ctl update "$WORK/v1/sighandler" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status" $rc 0
kill -USR1 "$(program_pid)"
expect "hits after" "$(snapshot)" 3
echo ok
