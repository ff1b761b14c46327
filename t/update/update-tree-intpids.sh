#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A master whose table of workers is plain ints, not pid_t
# (t/update/v1/prefork.c -DINT_TABLE): the ints holding a pid of the old
# tree are renamed like pid_t values and listed in the update's report by
# name, so the new master still reaps and restarts its workers; --strict
# refuses them instead, naming them, and v1 serves on.
. "${TSRC:-.}/lib.sh"
need_plugin
[ "$(id -u)" = 0 ] || { echo "SKIP: shared mappings are handed on through /proc/PID/map_files (root only)"; exit 77; }
build v1/prefork v1/prefork.c -DINT_TABLE
build v2/prefork v1/prefork.c -DVERSION=2 -DINT_TABLE

start_ttstd --name intpids -- "$WORK/v1/prefork" "$SRV" "$WORK/board"
wait_connected
for _ in $(seq 100); do
	[ "$(ctl status | grep -c '^  .* child ')" = 3 ] && break
	sleep 0.05
done
[ "$(ctl status | grep -c '^  .* child ')" = 3 ] || fail "status does not list the 3 workers"
q 1 | grep -q "^v1 worker" || fail "v1 does not serve"
children() {
	cat /proc/"$(program_pid)"/task/*/children | tr ' ' '\n' | grep . | sort -n | tr '\n' ' '
}
table() {
	q pids | sed 's/.* workers //; s/ restarts.*//' | tr ' ' '\n' | sort -n | tr '\n' ' '
}
before=$(children)

# --strict: refused, naming the ints
out=$(ctl update --strict "$WORK/v2/prefork") && fail "--strict committed: $out"
echo "$out"
echo "$out" | grep -q "^rolled back: .*workers\[[0-2]\]: an int (not pid_t) holds [0-9]*, the pid of a process of the running version's tree: refused" ||
	fail "--strict: the reason does not name the int table"
expect "the tree after the refusal" "$(children)" "$before"
q 1 | grep -q "^v1 worker" || fail "v1 does not serve after the refusal"

# renamed and listed
out=$(ctl update "$WORK/v2/prefork") || fail "the update did not commit: $out"
echo "$out"
# the master's 3 (its workers' copies, from their fork, are listed too)
[ "$(echo "$out" | grep -c "^  [0-9]*\. prefork.c:workers\[[0-2]\]: an int (not pid_t) holds [0-9]*, .*renamed")" = 3 ] ||
	fail "the report does not list the master's 3 ints renamed"
q 1 | grep -q "^v2 worker" || fail "v2 does not serve"
expect "the master's int table of workers" "$(table)" "$(children)"
victim=$(children | cut -d' ' -f2)
kill -KILL "$victim"
for _ in $(seq 50); do
	q pids | grep -q "restarts 1" && break
	sleep 0.1
done
q pids | grep -q "restarts 1" || fail "the v2 master did not restart the worker killed: $(q pids)"
expect "the master's int table after the restart" "$(table)" "$(children)"
echo "ok"
