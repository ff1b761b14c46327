#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# hdrkv (hdrkv/, wave 14's hunt: a sorted store over poll() whose memory
# all goes through a size-prefixing wrapper declared STF_ALLOCATOR, with
# a 16-byte header of magic, flags and size, realloc through it, strings
# and line buffers built on it; the item array's capacity beyond its
# length never initialised and a deleted item's freed pointer left just
# past the end; closed connections' freed pointers left in their slots;
# hit counts in `void *` members, values as raw bytes behind `void *`;
# release 2 grows the item before its key and at its end, the
# connection, and the limits by a member its startup sets), under
# idload's checking load, updated 1 -> 2 and then 2 -> 2 five times.
# After every commit: VERIFY (every header's size against what points to
# it, the wrapper's totals), every key, appended values and hit counts,
# and in release 2 the new command.

SERVER=hdrkv
VERSION_1="VERSION hdrkv 1"
VERSION_2="VERSION hdrkv 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

fill_extra() {
	set --
	for i in $(seq 1 40); do set -- "$@" "SET gone$i $i" "DEL gone$i"; done
	set -- "$@" "SET ap x"
	for i in $(seq 1 30); do set -- "$@" "APPEND ap y$i"; done
	set -- "$@" "GET hit" "SET hit h" "GET hit" "GET hit" "GET hit"
	send "$@" >/dev/null || fail "filling the extra keys failed"
}

ap_value=x$(for i in $(seq 1 30); do printf y%s "$i"; done)
checks=0
check_extra() { # RELEASE
	checks=$((checks + 1))
	got=$(send "GET ap" "HITS hit" | tr '\n' ' ')
	[ "$got" = "VALUE $ap_value HITS $((2 + checks)) " ] || fail "appended value and hits: $got"
	send "GET hit" >/dev/null
	if [ "$1" = 2 ]; then
		got=$(send "LEN ap" "LEN nothing" | tr '\n' ' ')
		[ "$got" = "LEN $((1000 + ${#ap_value})) NONE " ] || fail "LEN: $got"
	fi
}

run_updates
