#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# update-memcheck.sh's whole update under valgrind's memcheck (P, F and R),
# with a libevent server whose new version parks inside
# event_base_loop() (v1/evstartup.c "inloop", a self-update): F's sweep of
# its startup's objects scans the parked threads' stacks and the blocks
# conservatively, dead stack slots and padding included.  Before, memcheck
# reported each of those reads (96 errors in F, "Conditional jump or move
# depends on uninitialised value(s)" in startup.c's mark); now the scan
# tells memcheck the words it reads are defined, when libstf was built
# with <valgrind/memcheck.h>.
. "${TSRC:-.}/lib.sh"
need_plugin
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
build v1/evstartup v1/evstartup.c -Wl,--push-state,--no-as-needed -levent -Wl,--pop-state
memcheck_wrapper v1 "$WORK/v1/evstartup"

start_ttstd --name memcheck-evloop -- "$WORK/vg-v1" "$SRV" inloop
wait_connected 600 0.1
for k in 1 2 3; do
	expect "add $k" "$(q "add $k $((k * 10 + 1))")" ok
done
ctl update --timeout 600 "$WORK/vg-v1" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status of the update" $rc 0
grep -q "^diff: *0 differences" "$WORK/out" || fail "no diff line"
for k in 1 2 3; do
	expect "get $k after the update" "$(q "get $k")" "$((k * 10 + 1))"
done
memcheck_end "v1/evstartup" "/proc/self/fd/"
echo ok
