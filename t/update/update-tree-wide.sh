#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A pre-forked server with many workers (t/update/v1/prefork.c with 120
# workers, Apache httpd prefork style) is updated as one tree, v1 -> v2:
# ttstd supervises every worker (status lists them all), the update pairs
# and transfers all of them and commits, the master's table names the 120
# new workers, and no v1 process is left.
. "${TSRC:-.}/lib.sh"
need_plugin
[ "$(id -u)" = 0 ] || { echo "SKIP: shared mappings are handed on through /proc/PID/map_files (root only)"; exit 77; }
N=120
build v1/prefork v1/prefork.c -DNWORKERS=$N
build v2/prefork v1/prefork.c -DVERSION=2 -DNWORKERS=$N

start_ttstd --timeout 120 --name wide -- "$WORK/v1/prefork" "$SRV" "$WORK/board"
wait_connected
for _ in $(seq 200); do
	[ "$(ctl status | grep -c '^  .* child ')" = $N ] && break
	sleep 0.1
done
[ "$(ctl status | grep -c '^  .* child ')" = $N ] ||
	fail "status lists $(ctl status | grep -c '^  .* child ') workers, want $N"
for i in 1 2 3 4 5 6; do
	q "$i" | grep -q "^v1 worker" || fail "v1 does not serve"
done

out=$(ctl update "$WORK/v2/prefork") || fail "the update of $N workers did not commit: $out"
echo "$out" | grep -i "processes\|pause\|committed"
for i in 1 2 3 4 5 6; do
	q "$i" | grep -q "^v2 worker" || fail "v2 does not serve after the commit"
done
sleep 0.3
expect "v1 processes left after the commit" "$(pgrep -f "^$WORK/v1/prefork " | tr '\n' ' ')" ""
m=$(program_pid)
children=$(cat /proc/"$m"/task/*/children | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')
expect "the new master's children" "$(echo "$children" | wc -w)" "$N"
table=$(q pids | sed 's/.* workers //; s/ restarts.*//' | tr ' ' '\n' | sort -n | tr '\n' ' ')
expect "the master's table of workers" "$table" "$children"
[ "$(ctl status | grep -c "^  .* child .* $WORK/v2/prefork")" = $N ] || fail "status: $(ctl status)"
echo "ok"
