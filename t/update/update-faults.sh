#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Every fault class injected into the transfer (ttst-ctl update --fault
# KIND@PHASE: crash, hang, corrupt-value, corrupt-pointer, skip-write, leak,
# in the forward and the backward transfer) rolls back with a reason, and
# the past version keeps serving the same state in the same process.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c
build v2/counter v2/counter.c

start_ttstd --name faults --timeout 2 -- "$WORK/v1/counter" "$SRV"
wait_connected
pid=$(program_pid)
for k in 1 2 3; do
	q "add $k $((k * 11))" >/dev/null
done
before=$(q sum)

n=0
for phase in forward backward; do
	for kind in crash hang corrupt-value corrupt-pointer skip-write leak; do
		ctl update --fault "$kind@$phase" "$WORK/v2/counter" >"$WORK/out" 2>&1; rc=$?
		n=$((n + 1))
		echo "$kind@$phase: $(head -n 1 "$WORK/out")"
		[ $rc -eq 1 ] || { cat "$WORK/out"; fail "$kind@$phase: exit status $rc, want 1 (rolled back)"; }
		case $kind in
		crash) grep -q "killed by SIGSEGV" "$WORK/out" || fail "$kind@$phase: signal not named" ;;
		hang) grep -q "timed out after 2 s" "$WORK/out" || fail "$kind@$phase: timeout not named" ;;
		esac
		expect "$kind@$phase: pid" "$(program_pid)" "$pid"
		expect "$kind@$phase: version" "$(q version)" 1
		# the sum's request count goes up by one per request
		before=$(echo "$before" | awk '{ print $1, $2, $3 + 2 }')
		expect "$kind@$phase: state" "$(q sum)" "$before"
	done
done
expect "transactions" "$(ctl history | grep -c rolled-back)" $n

# one update at a time: a second request while one hangs is refused
ctl update --fault hang "$WORK/v2/counter" >"$WORK/out" 2>&1 &
bg=$!
for _ in $(seq 100); do
	ctl status | grep -q "^state: *updating" && break
	sleep 0.02
done
ctl status | grep -q "^state: *updating" || fail "status does not say updating"
ctl update "$WORK/v2/counter" >/dev/null 2>"$WORK/err"; rc=$?
expect "exit status of a concurrent update" $rc 2
grep -q "already running" "$WORK/err" || fail "concurrent update: $(cat "$WORK/err")"
wait $bg; rc=$?
expect "exit status of the hanging update" $rc 1
n=$((n + 1))
expect "pid after the concurrent attempt" "$(program_pid)" "$pid"

# a client that gives up during an update: the update still ends (rolled
# back by the timeout) and ttstd serves the next clients
ctl update --fault hang "$WORK/v2/counter" >/dev/null 2>&1 &
bg=$!
for _ in $(seq 100); do
	ctl status | grep -q "^state: *updating" && break
	sleep 0.02
done
kill "$bg"
wait "$bg" 2>/dev/null
n=$((n + 1))
for _ in $(seq 200); do
	ctl status | grep -q "^state: *running" && break
	sleep 0.05
done
ctl status | grep -q "^updates: *$n$" || fail "the abandoned update was not recorded: $(ctl status)"
ctl status | grep -q "^last: .* rolled-back .*: timed out" || fail "abandoned update: $(ctl status)"
expect "pid after the abandoned update" "$(program_pid)" "$pid"
expect "state after the abandoned update" "$(q version)" 1
# no future or reversed process left behind
sleep 0.2
left=$(ps -o pid= --ppid "$TTSTD_PID" | tr -d ' ' | grep -v "^$pid$" || true)
[ -z "$left" ] || fail "processes left behind: $left"
echo ok
