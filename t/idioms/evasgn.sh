#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# evasgn (evasgn/, wave 10's red team: libevent events embedded in each
# connection by event_assign, the write event's argument the event itself
# (event_self_cbarg, container_of back to the connection), the idle
# timer's the read event, read back with event_get_callback_arg; evbuffers
# for input and output; the housekeeping timer's argument a heap struct of
# counters reached only through that event; values a union of a number and
# a string tagged by an enum kept in an array of its own; release 2 grows
# the connection before its events and the counters in their middle),
# under idload's checking load, updated 1 -> 2 and then 2 -> 2 five times.
# After every commit: VERIFY (every slot where it hashes, every
# connection's events pending with their arguments), every key, the timer
# still ticking and the request counter continuing, and in release 2 a
# connection's SERVED count.

SERVER=evasgn
VERSION_1="VERSION evasgn 1"
VERSION_2="VERSION evasgn 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

stat_of() { # NAME: its number in STATS
	send STATS | tr ' ' '\n' | sed -n "s/^$1=//p"
}
ticks_above() { [ "$(stat_of ticks)" -gt "$1" ]; }

last_requests=0
check_extra() { # RELEASE
	t=$(stat_of ticks)
	wait_for 10 ticks_above "$t" || fail "release $1: the timer stopped ticking"
	r=$(stat_of requests)
	[ "$r" -gt "$last_requests" ] || fail "release $1: the request counter went back ($last_requests, then $r)"
	last_requests=$r
	[ "$1" = 2 ] || return 0
	r=$(send "SET served x" "SERVED" | tr '\n' ' ')
	[ "$r" = "OK SERVED 2 " ] || fail "SERVED: $r"
}

run_updates
