#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Stuck peers.  ttst-ctl waits a bounded time for a stopped ttstd and exits
# 2 with a reason; client connections that make no request are closed
# after --idle-timeout, so they cannot hold every client slot; program
# connections that never say hello cannot make an update fail.  ttstd
# answers again once it runs, nothing changed meanwhile.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c
build v2/counter v2/counter.c

start_ttstd --name stuck --idle-timeout 2 -- "$WORK/v1/counter" "$SRV"
wait_connected
pid=$(program_pid)
expect "add" "$(q "add 1 11")" ok

# 200 silent connections to the program socket, then an update
"$TQ" hold "$SOCK.prog" 200 8 >"$WORK/hold-prog" &
holder=$!
sleep 1
ctl update "$WORK/v2/counter" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "the update failed with silent program connections"; }
expect "version after the update" "$(q version)" 2
wait $holder
cat "$WORK/hold-prog"

# every client slot held by idle connections: freed after --idle-timeout
"$TQ" hold "$SOCK" 16 6 >"$WORK/hold-clients" &
holder=$!
sleep 3.5
ctl status >/dev/null 2>"$WORK/err" || { cat "$WORK/err"; fail "idle connections hold every client slot"; }
wait $holder
cat "$WORK/hold-clients"
grep -q "^16 connected, 16 closed by the peer" "$WORK/hold-clients" ||
	fail "ttstd did not close the idle connections"

# a stopped ttstd: every request gives up within its bound, exit 2
kill -STOP "$TTSTD_PID"
for req in status history; do
	start=$(date +%s)
	timeout 30 "$TTST_CTL" --socket "$SOCK" --timeout 2 $req >"$WORK/out" 2>&1; rc=$?
	cat "$WORK/out"
	expect "exit status of $req against a stopped ttstd" $rc 2
	[ $(($(date +%s) - start)) -le 4 ] || fail "$req waited more than 4 s"
	grep -q "did not answer in time" "$WORK/out" || fail "no reason for $req"
done
start=$(date +%s)
timeout 30 "$TTST_CTL" --socket "$SOCK" status >"$WORK/out" 2>&1; rc=$?
expect "exit status of status with the default bound" $rc 2
[ $(($(date +%s) - start)) -le 7 ] || fail "status waited more than 7 s by default"
start=$(date +%s)
timeout 60 "$TTST_CTL" --socket "$SOCK" update "$WORK/v1/counter" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status of an update against a stopped ttstd" $rc 2
[ $(($(date +%s) - start)) -le 7 ] || fail "update waited more than 7 s"
kill -CONT "$TTSTD_PID"

ctl status >/dev/null || fail "ttstd does not answer after SIGCONT"
expect "version after all" "$(q version)" 2
expect "get after all" "$(q "get 1")" 11
ctl history | grep -c committed | grep -qx 1 || fail "history: $(ctl history)"
echo ok
