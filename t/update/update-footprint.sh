#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The program's footprint under ttstd: libstf's control thread has a small
# stack and no malloc arena of its own, so the program's address space
# (VmSize) under ttstd stays within 4 MiB of its size without ttstd (it
# was 72 MiB more: a server capping its address space with RLIMIT_AS
# failed); after an update, within 8 MiB.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c
build v2/counter v2/counter.c

vmsize() { sed -n 's/^VmSize:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

"$WORK/v1/counter" "$WORK/alone.sock" >"$WORK/alone.out" 2>&1 &
alone=$!
"$TQ" line "$WORK/alone.sock" "add 1 1" >/dev/null || fail "the unsupervised program does not serve"
base=$(vmsize $alone)
kill $alone

start_ttstd --name footprint -- "$WORK/v1/counter" "$SRV"
wait_connected
expect "add" "$(q "add 1 11")" ok
under=$(vmsize "$(program_pid)")
echo "VmSize: $base kB alone, $under kB under ttstd"
[ $((under - base)) -le 4096 ] || fail "ttstd costs the program $((under - base)) kB of address space"

ctl update "$WORK/v2/counter" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "the update did not commit"; }
"$WORK/v2/counter" "$WORK/alone2.sock" >"$WORK/alone2.out" 2>&1 &
alone=$!
"$TQ" line "$WORK/alone2.sock" "version" >/dev/null || fail "the unsupervised v2 does not serve"
base2=$(vmsize $alone)
kill $alone
under2=$(vmsize "$(program_pid)")
echo "VmSize after the update: $base2 kB alone, $under2 kB under ttstd"
# the new version also keeps what the transfer engine still holds (its
# metadata and index, about 5 MiB for this program)
[ $((under2 - base2)) -le 8192 ] ||
	fail "after the update, ttstd costs the program $((under2 - base2)) kB of address space"
expect "get after" "$(q "get 1")" 11
echo ok
