#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# evfd (evfd/: evkv with its update point in the callback of libevent's
# watch on stf_update_fd() and a housekeeping timer of 10 s) under idload's
# checking load, updated 1 -> 2 and then 2 -> 2 eleven times.  The update
# must not wait for the timer: every update quiesces the old version in
# less than a second (the descriptor is readable from the start of the
# quiescence, and the loop calls the update point at once), where waiting
# for the timer would exceed the 5 s quiescence timeout.

SERVER=evfd
VERSION_1="VERSION 1"
VERSION_2="VERSION 2"
. "$(dirname "$0")/lib.sh"

# The quiescence of the update just committed, from ttst-ctl's report.
check_extra() {
	[ "$1" = 2 ] || return 0
	q=$(sed -n 's/.*phases (ms): quiesce \([0-9]*\).*/\1/p' "$tmp/update.out")
	[ -n "$q" ] || fail "no quiescence time in the report"
	[ "$q" -lt 1000 ] || fail "quiescence took $q ms: the update waited for the 10 s timer"
	note "quiesced in $q ms"
}

run_updates
