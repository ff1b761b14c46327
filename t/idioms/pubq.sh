#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# pubq (pubq/, wave 11's red team: a publish/subscribe server on libevent
# bufferevents whose client structs the server reaches only through
# bufferevent_getcb()'s out-argument, the bufferevents kept in a static
# array; a per-client ring of `void *` messages grown by realloc, its
# slots beyond the live ones keeping pointers to messages taken, each
# message shared by the queues it went to; a client's number in a `void *`
# member; a store of `void *` entries with open addressing, values small
# integers tagged in the low bit or strings, deleted entries' freed
# addresses left in their slots with the low bit set; the update point in
# a self-arming timer's callback, first called from main; release 2 grows
# the client before its bufferevent and the message before its text),
# under idload's checking load and qload's (a publisher and three
# subscribers held across every update, every POLL checked against a
# model of its queue), updated 1 -> 2 and then 2 -> 2 three times.  After
# every commit: VERIFY (every entry where it probes, every queued message
# subscribed to), every key, the queue load still running, and in release
# 2 a new message's publication number.

SERVER=pubq
VERSION_1="VERSION pubq 1"
VERSION_2="VERSION pubq 2"
NUPDATES=4
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 (the queue load) is not installed"
qload_pid=
trap '[ -n "$qload_pid" ] && kill "$qload_pid" 2>/dev/null; cleanup' EXIT

fill_extra() {
	# deleted keys: tombstones in the table at every update
	set --
	for i in $(seq 1 100); do set -- "$@" "SET gone$i $i" "DEL gone$i"; done
	send "$@" >/dev/null || fail "setting and deleting keys failed"
	python3 "$(dirname "$0")/pubq/qload.py" "$port" >"$tmp/qload.out" 2>&1 &
	qload_pid=$!
	wait_for 10 grep -q 'connections running' "$tmp/qload.out" ||
		fail "qload did not start: $(cat "$tmp/qload.out")"
}

checks=0
check_extra() { # RELEASE
	checks=$((checks + 1))
	kill -0 "$qload_pid" 2>/dev/null || fail "qload stopped: $(cat "$tmp/qload.out")"
	if [ "$1" = 2 ]; then
		r=$(send "SUB 9" "PUB 9 x" "STAMP" | tr '\n' ' ')
		case $r in "OK OK 1 STAMP "[1-9]*) ;; *) fail "STAMP: $r" ;; esac
	fi
	[ $checks -gt "$NUPDATES" ] || return 0
	kill -TERM "$qload_pid"
	wait "$qload_pid"
	rc=$?
	qload_pid=
	cat "$tmp/qload.out"
	[ $rc -eq 0 ] || fail "queue requests failed across the updates (qload exit status $rc)"
}

run_updates
