#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# dlopen() handles across an update under valgrind's memcheck (see
# update-memcheck.sh for the wrappers): t/xfer's lt21-dlhandle, two
# libraries loaded with dlopen(), one handle in a heap struct that grows,
# one in a static.  The forward transfer finds the new process's link map
# of each library in its r_debug list, the backward one the old
# process's; version 2 checks the handles with dlsym(),
# dlopen(RTLD_NOLOAD) and dlclose() (prints "ok").  No process may
# report an error.
. "${TSRC:-.}/lib.sh"
need_plugin
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
build v1/dlhandle ../xfer/v1/lt21-dlhandle.c -I"$TSRC/../xfer"
build v2/dlhandle ../xfer/v2/lt21-dlhandle.c -I"$TSRC/../xfer"
memcheck_wrapper v1 "$WORK/v1/dlhandle"
memcheck_wrapper v2 "$WORK/v2/dlhandle"

start_ttstd --name memcheck-dl -- "$WORK/vg-v1"
wait_connected 600 0.1

ctl update --timeout 600 "$WORK/vg-v2" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status of the update" $rc 0
grep -q "^diff: *0 differences" "$WORK/out" || fail "no diff line"
for _ in $(seq 300); do
	grep -q "^ok$\|^FAILED$" "$WORK/program.out" && break
	sleep 0.1
done
grep -q "^ok$" "$WORK/program.out" || { cat "$WORK/program.out"; fail "version 2's checks"; }

memcheck_end "v1/dlhandle" "v2/dlhandle" "/proc/self/fd/"
echo ok
