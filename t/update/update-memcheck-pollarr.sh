#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# An update under valgrind's memcheck (see update-memcheck.sh for the
# wrappers) whose update point's frame holds a local never written yet
# (v1/pollarr.c: a poll array only the loop fills).  The forward
# transfer notes the numbers the new version's locals held before it
# overwrote them (startup-fds.c: a descriptor the startup kept only
# there is closed); that scan reads the undefined bytes on purpose and
# must not be reported.  No process may report an error.
. "${TSRC:-.}/lib.sh"
need_plugin
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
build v1/pollarr v1/pollarr.c
build v2/pollarr v1/pollarr.c -DV2
memcheck_wrapper v1 "$WORK/v1/pollarr"
memcheck_wrapper v2 "$WORK/v2/pollarr"

start_ttstd --name memcheck-pollarr -- "$WORK/vg-v1"
wait_connected 600 0.1

ctl update --timeout 600 "$WORK/vg-v2" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status of the update" $rc 0
for _ in $(seq 300); do
	grep -q "^ok$" "$WORK/program.out" && break
	sleep 0.1
done
grep -q "^ok$" "$WORK/program.out" || { cat "$WORK/program.out"; fail "version 2 did not take the state"; }

memcheck_end "v1/pollarr" "v2/pollarr"
echo ok
