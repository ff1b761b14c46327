#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bevref (bevref/, wave 23's hunt: libevent bufferevents from an
# evconnlistener, an idle evtimer embedded in each connection struct and a
# persistent tick embedded in the server struct, both growing in release
# 2; a SIGUSR2 event whose argument is the server; GET replies by
# evbuffer_add_reference to the values of a size-prefixing wrapper, DEL's
# by event_base_once; a command table that gains STATS; release 2's
# statistics pointer set by stf_on_commit), under idload's checking load,
# updated 1 -> 2 and then 2 -> 2 five times.  A client (hold.py)
# keeps 200 pages of references to the server's static page unread in
# its connection's output buffer, then a reference to a value replaced
# since (its entry alive only through the reference's cleanup argument),
# and half a request in its input buffer across all the updates, then
# reads every byte and completes the request.  After every commit:
# VERIFY (1 entry unlinked while the client holds it, 0 after), every
# key, SIGUSR2 counted, and in release 2 STATS counting the commits.

SERVER=${SERVER:-bevref}
VERSION_1="VERSION bevref 1"
VERSION_2="VERSION bevref 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/hold.sh"

fill_extra() {
	hold_start 200
	commits=0
}

# SIGUSR2 to the served process is counted by its signal event.
signal_counted() {
	before=$(send SIGS)
	kill -USR2 "$(served_pid)"
	wait_for 10 sh -c "[ \"\$('$IDIOMS_DIR/idload' --port $port send SIGS)\" != '$before' ]" ||
		fail "release $1: SIGUSR2 not counted (still $before)"
}

check_extra() { # RELEASE
	verify_ok "release $1"
	case $census in *" unlinked=1 "*) ;; *) fail "release $1: the held entry is not unlinked: $census" ;; esac
	got=$(send "SET r1 one" "GET r1" "SET r1 two" "GET r1" "DEL r1" "GET r1" "DEL r1" | tr '\n' ' ')
	[ "$got" = "OK VALUE one OK VALUE two OK NONE NONE " ] || fail "release $1: SET, GET, DEL: $got"
	signal_counted "$1"
	[ "$1" = 2 ] || return 0
	commits=$((commits + 1))
	got=$(send STATS)
	[ "$got" = "STATS commits=$commits" ] || fail "after $commits updates: $got"
	if [ "$commits" -eq "$NUPDATES" ]; then
		hold_finish
		verify_ok "after the held client read everything"
		case $census in *" unlinked=0 "*) ;; *) fail "the held entry's reference was not released: $census" ;; esac
	fi
}

run_updates
