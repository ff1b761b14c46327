#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# ilist (ilist/: an epoll key-value cache on intrusive lists - each entry
# on a hash chain and an LRU list through nodes in its middle, reached
# back with container_of; epoll's data.ptr pointing to a handler embedded
# in the middle of each connection and of a static listener; values as
# `struct buf` (length + flexible bytes) behind `void *`; a per-request
# bump arena) under idload's checking load, updated 1 -> 2 (struct entry
# reordered with members added before both list nodes, a counter widened,
# the connection's name array grown in front of its handler, an
# enumerator inserted in the middle of enum kind) and then 2 -> 2 eleven
# times.  After every commit: VERIFY (every chain and LRU link, every
# kind and length, every connection's handler) passes, every key is
# there, the LRU order of keys nobody touched is the same, and no request
# of the load failed.

SERVER=ilist
VERSION_1="VERSION ilist 1"
VERSION_2="VERSION ilist 2"
. "$(dirname "$0")/lib.sh"

# Keys only this script touches, made last: the head of the LRU list until
# the load's keys push in front of them; their relative order must stay.
fill_extra() {
	[ "$(send "SET z1 first" "SET z2 22" "SET z3 third" "GET z1" | tr '\n' ' ')" = "OK OK OK VALUE first " ] ||
		fail "SET z1..z3 failed"
}

check_extra() {
	r=$(send "BEFORE z1 z3" "BEFORE z3 z2" | tr '\n' ' ')
	[ "$r" = "YES YES " ] || fail "release $1: z1, z3, z2 not in this order in the LRU list ($r)"
	if [ "$1" = 2 ]; then
		[ "$(send "SET empty$$ \"\"" "GET empty$$" | tr '\n' ' ')" = "OK VALUE  " ] ||
			fail "release 2 does not keep an empty value"
	fi
}

run_updates
