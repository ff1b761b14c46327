#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tlsd (tlsd/, wave 15's hunt: three worker threads accepting in turn,
# each with its connections on a thread-local list and thread-local
# request and SET counters published through pointers in a static table,
# replies formatted in a thread-local buffer; the process title rewritten
# every 100 ms over argv and the environment moved to the heap; the
# version from a static pointer to a literal, the banner a literal in a
# heap config; release 2 grows entries and connections in their middle
# and has a limit only its startup sets), under idload's checking load,
# updated 1 -> 2 and then 2 -> 2 five times.  After every commit: VERIFY
# (the thread-local SET counts of all workers against the store's), the
# banner and title of the release, requests counted never fewer, and in
# release 2 the new startup's limit.

SERVER=tlsd
VERSION_1="VERSION tlsd 1"
VERSION_2="VERSION tlsd 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

last_requests=0
check_extra() { # RELEASE
	got=$(send BANNER | tr '\n' ' ')
	case $1 in
	1) [ "$got" = "BANNER tlsd/1.0 (threads) " ] || fail "release 1's banner: $got" ;;
	2) [ "$got" = "BANNER tlsd/2.0 (threads, limits) " ] || fail "release 2's banner: $got" ;;
	esac
	sleep 0.3   # the main thread rewrites the title every 100 ms
	got=$(send TITLE)
	case $got in
	"TITLE tlsd: "[0-9]*" requests") ;;
	*) fail "process title: $got" ;;
	esac
	tr '\0' ' ' <"/proc/$(served_pid)/cmdline" | grep -q '^tlsd: [0-9]* requests' ||
		fail "ps shows: $(tr '\0' ' ' <"/proc/$(served_pid)/cmdline")"
	got=$(send STATS)
	reqs=${got#STATS requests=}
	[ "$reqs" -gt "$last_requests" ] 2>/dev/null || fail "requests counted: $got (was $last_requests)"
	last_requests=$reqs
	if [ "$1" = 2 ]; then
		got=$(send "LIMIT" | tr '\n' ' ')
		[ "$got" = "LIMIT 1000 " ] || fail "release 2's limit: $got"
	fi
}

run_updates
