#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A whole update under valgrind's memcheck: the old version P and the new
# version F run under valgrind (the program is started through a wrapper
# that execs valgrind, and ttstd starts F through the new version's
# wrapper), with libstf's own allocator (--soname-synonyms=somalloc=NONE:
# valgrind replaces no malloc) and without valgrind's gdbserver
# (--vgdb=no: its shared mapping for vgdb, in valgrind's part of the
# address space, would be handed on as the program's and cannot be placed
# at its address in the new process).  The reversed version R, which
# libstf execs itself (P's own binary, through /proc/self/fd/N), runs
# under valgrind too: P's valgrind follows that exec (--trace-children),
# not the exec of F's wrapper (--trace-children-skip), which starts its
# own.  v1 -> v2 changes a struct; F catalogs, transforms, sweeps its
# startup's objects and sends the backward transfer, R receives it and is
# compared with P, P receives the commit.  No process may report an
# error: an invalid or uninitialized read fails the test.  Before, such an
# update rolled back (valgrind's descriptors and its tool's data were
# taken for the program's, and R exec'd valgrind's tool), and F read the
# tool's data.
. "${TSRC:-.}/lib.sh"
need_plugin
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
build v1/counter v1/counter.c
build v2/counter v2/counter.c
memcheck_wrapper v1 "$WORK/v1/counter"
memcheck_wrapper v2 "$WORK/v2/counter"

start_ttstd --name memcheck -- "$WORK/vg-v1" "$SRV"
wait_connected 600 0.1
for k in 1 2 3 4 5; do
	expect "add $k" "$(q "add $k $((k * 1000 + 7))")" ok
done
expect "fill" "$(q "fill 200")" ok

ctl update --timeout 600 "$WORK/vg-v2" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status of the update" $rc 0
grep -q "^diff: *0 differences" "$WORK/out" || fail "no diff line"
expect "version after the update" "$(q version)" 2
for k in 1 2 3 4 5; do
	expect "get $k after the update" "$(q "get $k")" "$((k * 1000 + 7))"
done
expect "add after the update" "$(q "add 6 6")" ok

memcheck_end "v1/counter" "v2/counter" "/proc/self/fd/"
echo ok
