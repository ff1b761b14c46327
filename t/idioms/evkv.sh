#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# evkv (evkv/: a key-value cache whose loop is libevent's, its events
# embedded in its connection structs and in statics, its update point in a
# timer callback) under idload's checking load, updated 1 -> 2 (struct conn
# gains members around its events, struct value one more) and then 2 -> 2
# eleven times.  After every commit: the new process serves release 2,
# VERIFY (which asks libevent about every event) passes, every key is
# there, the housekeeping timer still fires on the base the new process
# received, and no request of the load failed.

SERVER=evkv
VERSION_1="VERSION 1"
VERSION_2="VERSION 2"
. "$(dirname "$0")/lib.sh"

ticks() { echo "$census" | tr ' ' '\n' | sed -n 's/^ticks=//p'; }
ticks_above() { verify_ok "the timer"; [ "$(ticks)" -gt "$1" ]; }

# The 100 ms timer keeps firing (each VERIFY gives the count so far).
check_extra() {
	verify_ok "the timer"
	wait_for 10 ticks_above "$(ticks)" || fail "release $1: the 100 ms timer stopped firing"
}

run_updates
