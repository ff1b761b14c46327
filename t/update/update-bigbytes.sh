#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Time limits that fit the state's bytes, not only its objects: a program
# of 16 heap blocks of 4 MiB of untyped memory (a cache's slab pages:
# memcached rolled back for its 60 MB under the default limit) gets, once
# quiesced, a limit that grows with its heap (250 ns per byte), and its
# update commits with its state intact under a 2 s timeout.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/bigbytes v1/bigbytes.c

start_ttstd --name bigbytes -- "$WORK/v1/bigbytes" "$WORK/ask" "$WORK/state"
wait_connected
for _ in $(seq 600); do
	[ -s "$WORK/state" ] && break
	sleep 0.1
done
before=$(cat "$WORK/state")

rm -f "$WORK/state"
ctl update --timeout 2 "$WORK/v1/bigbytes" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status" $rc 0
ctl --json history >"$WORK/hist"
limit=$(tail -n 1 "$WORK/hist" | sed -n 's/.*"limit":"\{0,1\}\([0-9.]*\).*/\1/p' | tail -n 1)
echo "limit $limit s"
awk -v l="$limit" 'BEGIN { exit !(l >= 2 + 16) }' ||
	fail "the time limit ($limit s) did not grow with the 64 MiB heap"
touch "$WORK/ask"
for _ in $(seq 300); do
	[ -s "$WORK/state" ] && [ ! -e "$WORK/ask" ] && break
	sleep 0.1
done
expect "sum after" "$(cat "$WORK/state")" "$before"
echo ok
