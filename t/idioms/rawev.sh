#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# rawev (rawev/, wave 23's hunt: libevent's plain events, no
# bufferevents; event_new with the program's structs as arguments, a
# write event embedded in each client struct, which grows before it in
# release 2; partial requests in each client's input evbuffer; values in
# evbuffers, GET by evbuffer_add_buffer_reference; expiring keys with
# timers whose argument is the item; a SIGHUP evsignal scheduling a
# reload 2 s later by a self-freeing event_self_cbarg timer, in flight
# at every update; the update point
# on stf_update_fd(); release 2's config gains a pointer its startup
# sets and APPEND joins the command table's middle), under idload's
# checking load, updated 1 -> 2 and then 2 -> 2 five times.  A client
# (hold.py) keeps half a request in its input buffer across all the
# updates.  A key expiring in an hour keeps its timer; keys set to expire
# after each commit go.  After every commit: VERIFY, every key, the
# reload asked for before the update done (a SIGHUP the new process did
# not catch would end it), and in release 2 APPEND.

SERVER=${SERVER:-rawev}
VERSION_1="VERSION rawev 1"
VERSION_2="VERSION rawev 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/hold.sh"

fill_extra() {
	hold_start 0
	got=$(send "SET hour h" "EXPIRE hour 3600000" "TTL hour" "TTL a1" | tr '\n' ' ')
	[ "$got" = "OK OK TTL 1 TTL 0 " ] || fail "EXPIRE, TTL: $got"
	commits=0
	hups=0
}

# hup_reloaded: the reload of every SIGHUP sent was done
hup_reloaded() { [ "$(send HUPS)" = "HUPS $hups" ]; }
reload_pending() { # CONTEXT
	verify_ok "$1"
	case $census in *" reloads=1") ;; *) return 1 ;; esac
}

gone() { [ "$(send "GET $1")" = NONE ]; }

check_extra() { # RELEASE
	got=$(send "GET hour" "TTL hour" | tr '\n' ' ')
	[ "$got" = "VALUE h TTL 1 " ] || fail "release $1: the key expiring in an hour: $got"
	got=$(send "SET soon$commits s" "EXPIRE soon$commits 200" "TTL soon$commits" | tr '\n' ' ')
	[ "$got" = "OK OK TTL 1 " ] || fail "release $1: EXPIRE: $got"
	wait_for 10 gone "soon$commits" || fail "release $1: soon$commits did not expire"
	wait_for 10 hup_reloaded || fail "release $1: $hups SIGHUPs, $(send HUPS) reloads"
	kill -HUP "$(served_pid)" || fail "release $1: the server is gone"
	hups=$((hups + 1))
	wait_for 10 reload_pending "release $1" || fail "release $1: the SIGHUP's reload is not pending: $census"
	[ "$1" = 2 ] || return 0
	commits=$((commits + 1))
	got=$(send "SET ap$commits x" "APPEND ap$commits yz" "GET ap$commits" "APPEND nokey q" | tr '\n' ' ')
	[ "$got" = "OK OK VALUE xyz NONE " ] || fail "after $commits updates: APPEND: $got"
	if [ "$commits" -eq "$NUPDATES" ]; then
		hold_finish
	fi
}

run_updates
