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
for v in v1 v2; do
	printf '#!/bin/sh\nexec valgrind --vgdb=no --soname-synonyms=somalloc=NONE --trace-children=yes --trace-children-skip="*/vg-v?" --log-file="%s/vg.%%p.log" "%s" "$@"\n' \
		"$WORK" "$WORK/$v/counter" >"$WORK/vg-$v"
	chmod 755 "$WORK/vg-$v"
done

start_ttstd --name memcheck -- "$WORK/vg-v1" "$SRV"
# valgrind's startup takes seconds under load
for _ in $(seq 600); do
	ctl --json status | grep -q '"connected":1' && break
	sleep 0.1
done
ctl --json status | grep -q '"connected":1' || fail "the program never connected to ttstd under valgrind"
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

# P, F and R ran under valgrind (and the processes they forked before an
# exec, which end with a summary of their own)
kill "$TTSTD_PID"
for _ in $(seq 300); do
	kill -0 "$TTSTD_PID" 2>/dev/null || break
	sleep 0.1
done
wait "$TTSTD_PID" 2>/dev/null
TTSTD_PID=
for who in "v1/counter" "v2/counter" "/proc/self/fd/"; do
	grep -l "^==[0-9]*== Command: [^ ]*$who" "$WORK"/vg.*.log >/dev/null 2>&1 ||
		fail "no valgrind log of a process started as ...$who"
done
for f in "$WORK"/vg.*.log; do
	if ! grep -q "ERROR SUMMARY: 0 errors" "$f"; then
		cat "$f"
		fail "memcheck found errors, or the process did not end ($f above)"
	fi
done
echo ok
