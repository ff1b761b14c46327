#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Every thread's update-point frame is transferred, each to the thread of
# the same function and creation order: main's local token and each
# worker's local round counter survive an update (they would restart from
# -1 and 1 in the new process otherwise).
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/threads v1/threads.c -pthread

start_ttstd --name threads -- "$WORK/v1/threads" "$WORK/ask" "$WORK/state"
wait_connected
pid=$(program_pid)
set -- $(snapshot)
expect "token before" "$1" 4242
before0=$2 before1=$3

ctl update "$WORK/v1/threads" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status" $rc 0
locals=$(sed -n 's/^forward: .* \([0-9]*\) locals.*/\1/p' "$WORK/out")
# main: argc, argv, threads, token; each worker: arg, id, rounds
[ "${locals:-0}" -ge 10 ] || fail "not every thread's locals were transferred ($locals)"
[ "$(program_pid)" != "$pid" ] || fail "the program was not replaced"

set -- $(snapshot)
expect "token after" "$1" 4242
[ "$2" -ge "$before0" ] && [ "$2" -lt 2000000 ] || fail "worker 0 rounds $2 (was $before0): lost or swapped"
[ "$3" -ge "$before1" ] && [ "$3" -ge 2000000 ] || fail "worker 1 rounds $3 (was $before1): lost or swapped"
echo ok
