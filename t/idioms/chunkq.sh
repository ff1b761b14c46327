#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# chunkq (chunkq/, wave 10's red team: lighttpd's buffers { ptr, used,
# size } grown by realloc and chunk queues, chunks recycled with their
# buffers through a free list; each connection's read position a pointer
# into the middle of its buffer; replies queued as chunks written from
# their offsets when the socket is writable; items keeping key and value
# in one buffer with a pointer to the value in its middle; a mutable table
# of handlers with a `void *` argument each (the store, a version text, a
# character) and call counters, into whose middle release 2 inserts
# APPEND, with a member in the middle of struct item), under idload's
# checking load, updated 1 -> 2 and then 2 -> 2 five times.  After every
# commit: VERIFY (every item's value pointer in its buffer, every read
# position in its buffer, the free chunks), every key, no call counter
# gone back, and in release 2 APPEND on a key set before the first update.

SERVER=chunkq
VERSION_1="VERSION chunkq 1"
VERSION_2="VERSION chunkq 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

calls_of() { # NAME: its call count in CALLS
	send CALLS | tr ' ' '\n' | sed -n "s/^$1=//p"
}

last_set=0
last_get=0
appended=base
fill_extra() {
	[ "$(send "SET ak base")" = OK ] || fail "SET ak"
}
check_extra() { # RELEASE
	s=$(calls_of SET)
	g=$(calls_of GET)
	[ "$s" -ge "$last_set" ] && [ "$g" -ge "$last_get" ] ||
		fail "release $1: call counters went back: SET $last_set -> $s, GET $last_get -> $g"
	last_set=$s
	last_get=$g
	[ "$1" = 2 ] || return 0
	r=$(send "APPEND ak +$n" "GET ak" | tr '\n' ' ')
	appended=$appended+$n
	[ "$r" = "OK VALUE $appended " ] || fail "APPEND: $r (want VALUE $appended)"
}

run_updates
