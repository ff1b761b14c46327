#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# evworker (evworker/: libevent, a main event_base that accepts and
# serves one connection in three, two worker threads each with its own
# event_base receiving the others through a pipe, a shared store under a
# mutex; events embedded at non-zero offsets in each client and in a
# static struct with the listener's event, a SIGUSR1 evsignal and an
# evtimer; the main thread's update point in the callback of an event on
# stf_update_fd(), each worker's at the top of its EVLOOP_ONCE loop)
# under idload's checking load, updated 1 -> 2 (members added in front of
# the events of the client and the static struct, the client's name
# array grown, a member in the middle of struct worker) and then 2 -> 2
# eleven times.  After every commit: VERIFY (the store, the timer and the
# signal event still pending) passes, the timer keeps ticking, SIGUSR1 is
# still counted by libevent's handler, every key is there and no request
# of the load failed.

SERVER=evworker
VERSION_1="VERSION evworker-1"
VERSION_2="VERSION evworker-2"
. "$(dirname "$0")/lib.sh"

stat_of() { # NAME: its number in STATS
	send STATS | tr ' ' '\n' | sed -n "s/^$1=//p"
}

signals_above() { [ "$(stat_of signals)" -gt "$1" ]; }
ticks_above() { [ "$(stat_of ticks)" -gt "$1" ]; }

check_extra() {
	s=$(stat_of signals)
	t=$(stat_of ticks)
	kill -USR1 "$(served_pid)" || fail "release $1: cannot signal the server"
	wait_for 5 signals_above "$s" || fail "release $1: SIGUSR1 not counted ($(send STATS))"
	wait_for 5 ticks_above "$t" || fail "release $1: the timer stopped ($(send STATS))"
}

run_updates
