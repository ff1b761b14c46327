#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# evlibev (evlibev/: a key-value cache whose loop is libev's default loop,
# a static of libev with its arrays in libev's heap; ev_io watchers
# embedded in its connection structs, its 3 s ev_timer in a heap struct,
# the update point in the timer's callback, fed at once by an ev_io on
# stf_update_fd()) under idload's checking load, updated 1 -> 2 (struct
# conn gains members around its watchers, struct stats around its timer)
# and then 2 -> 2 eleven times, with no re-registration code.  After every
# commit: the new process serves release 2, VERIFY (which asks libev about
# every watcher and the default loop) passes, every key is there, the timer
# still fires in the loop the new process received, the update quiesced in
# under a second (the update descriptor, not the 3 s timer), and no
# request of the load failed.

SERVER=evlibev
VERSION_1="VERSION 1"
VERSION_2="VERSION 2"
. "$(dirname "$0")/lib.sh"

ticks() { echo "$census" | tr ' ' '\n' | sed -n 's/^ticks=//p'; }
ticks_above() { verify_ok "the timer"; [ "$(ticks)" -gt "$1" ]; }

check_extra() {
	verify_ok "the timer"
	wait_for 10 ticks_above "$(ticks)" || fail "release $1: the 3 s timer stopped firing"
	[ "$1" = 2 ] || return 0
	q=$(sed -n 's/.*phases (ms): quiesce \([0-9]*\).*/\1/p' "$tmp/update.out")
	[ -n "$q" ] || fail "no quiescence time in the report"
	[ "$q" -lt 1000 ] || fail "quiescence took $q ms: the update waited for the 3 s timer"
	note "quiesced in $q ms"
}

run_updates
