#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A worker the master restarted just before an update (t/update/v1/prefork.c
# -DSLOW_RESTART: the restarted worker's startup takes a second) is a worker
# of the tree, in the slot of the one that died, not a session: the update
# that begins while it is still in its startup pairs it with the new
# version's worker of that slot and commits; the master's table names the
# new workers and no v1 process is left.
. "${TSRC:-.}/lib.sh"
need_plugin
[ "$(id -u)" = 0 ] || { echo "SKIP: shared mappings are handed on through /proc/PID/map_files (root only)"; exit 77; }
build v1/prefork v1/prefork.c -DSLOW_RESTART
build v2/prefork v1/prefork.c -DVERSION=2 -DSLOW_RESTART

start_ttstd --name restart -- "$WORK/v1/prefork" "$SRV" "$WORK/board"
wait_connected
workers() { ctl status | grep -c '^  .* child '; }
for _ in $(seq 100); do
	[ "$(workers)" = 3 ] && break
	sleep 0.05
done
[ "$(workers)" = 3 ] || fail "status does not list the 3 workers"
for i in 1 2 3 4 5 6; do
	q "$i" | grep -q "^v1 worker" || fail "v1 does not serve"
done
m=$(program_pid)
victim=$(cat /proc/"$m"/task/*/children | tr ' ' '\n' | grep . | sed -n 2p)
kill -KILL "$victim"
# the restarted worker has said hello (it sleeps in its startup for 1 s)
for _ in $(seq 100); do
	[ "$(workers)" = 3 ] && ! ctl status | grep -q "^  $victim " && break
	sleep 0.02
done
ctl status
out=$(ctl update "$WORK/v2/prefork") || fail "the update right after a restart did not commit: $out"
for i in 1 2 3 4 5 6; do
	q "$i" | grep -q "^v2 worker" || fail "v2 does not serve after the commit"
done
sleep 0.3
expect "v1 processes left after the commit" "$(pgrep -f "^$WORK/v1/prefork " | tr '\n' ' ')" ""
m=$(program_pid)
children=$(cat /proc/"$m"/task/*/children | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')
table=$(q pids | sed 's/.* workers //; s/ restarts.*//' | tr ' ' '\n' | sort -n | tr '\n' ' ')
expect "the master's table of workers" "$table" "$children"
expect "workers" "$(echo "$children" | wc -w)" 3
q pids | grep -q "restarts 1" || fail "the restart count was not transferred: $(q pids)"
echo "ok"
