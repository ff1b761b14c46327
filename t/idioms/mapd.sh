#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# mapd (mapd/: one generic open-addressing map of `void *` values used
# for the store's items, carved by an STF_ALLOCATOR pool out of chunks,
# and for the connections' sessions, malloc'd; deleted keys and closed
# sessions leave tombstones still pointing to the dead item or the freed
# session; values raw bytes behind `void *`; release 2 grows the item in
# its middle and the session at its end) under idload's checking load,
# updated 1 -> 2 and then 2 -> 2 eleven times.  After every commit:
# VERIFY (every live slot's item or session where its key says), every
# key, the GET counts of the keys kept, and the sessions' requests.

SERVER=mapd
VERSION_1="VERSION mapd 1"
VERSION_2="VERSION mapd 2"
. "$(dirname "$0")/lib.sh"

fill_extra() {
	# tombstones: keys set and deleted, sessions opened and closed
	for i in $(seq 1 60); do
		[ "$(send "SET gone$i value$i" "DEL gone$i" | tr '\n' ' ')" = "OK OK " ] || fail "SET/DEL gone$i"
	done
	[ "$(send "SET hot value")" = OK ] || fail "SET hot"
	for i in 1 2 3; do send "GET hot" >/dev/null; done
}

hits=3
check_extra() { # RELEASE
	r=$(send "HITS hot")
	[ "$r" = "HITS $hits" ] || fail "release $1: HITS hot is '$r', not $hits"
	send "GET hot" >/dev/null
	hits=$((hits + 1))
	r=$(send "GET gone7")
	[ "$r" = NONE ] || fail "release $1: a deleted key answers '$r'"
	r=$(send SESSIONS | sed -n 's/^SESSIONS //p')
	[ -n "$r" ] && [ "$r" -gt 0 ] || fail "release $1: SESSIONS '$r'"
}

run_updates
