#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A quiescence that sweeps the threads while one of them forks (a listener
# forking a session as an update begins; here t/update/v1/forker.c, whose
# forking thread never reaches an update point) ends as it should - every
# try fails cleanly within its time, naming the thread missing - instead
# of deadlocking the control thread (a fork takes the waiters' lock, then
# the quiescence's; the sweep took them the other way round).
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/forker v1/forker.c -pthread
start_ttstd --name forker -- "$WORK/v1/forker"
wait_connected
for i in 1 2 3 4 5; do
	out=$(ctl update --dry-run --timeout 2 "$WORK/v1/forker") && fail "try $i: quiesced: $out"
	echo "$out" | head -1 | cut -c1-160
	echo "$out" | grep -q "^rolled back: quiescence failed in the past version: not every thread reached an update point" ||
		fail "try $i: $out"
done
echo "ok"
