#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# cbreg (cbreg/: an epoll loop dispatching through a callback registry
# `{ void (*fn)(void *); void *arg; }` indexed by descriptor, whose
# arguments are connections and a ticker of one size made by one generic
# constructor, the listening descriptor and an enum tag cast to `void *`,
# stale in closed slots; every block behind a size-prefixing wrapper;
# values as raw bytes behind `void *` or numbers kept in the pointer; a
# mutable command table gaining STATS in release 2, which grows the
# connection and the ticker) under idload's checking load, updated 1 -> 2
# and then 2 -> 2 eleven times.  After every commit: VERIFY (every slot's
# argument is what its callback takes, every block as long as its header
# says), every key, the ticker still ticking from its count, the commands'
# counts kept, and in release 2 STATS answering from its own entry.

SERVER=cbreg
VERSION_1="VERSION cbreg 1"
VERSION_2="VERSION cbreg 2"
. "$(dirname "$0")/lib.sh"

fill_extra() {
	# numbers kept in the pointer, and one too large for it
	for i in $(seq 1 50); do
		[ "$(send "SET num$i $((i * 7))")" = OK ] || fail "SET num$i"
	done
	[ "$(send "SET big 123456789012")" = OK ] || fail "SET big"
	# closed slots with stale arguments: short connections
	for i in $(seq 1 20); do send VERSION >/dev/null; done
}

ticks=0
sets=0
check_extra() { # RELEASE
	for i in 1 17 50; do
		r=$(send "GET num$i")
		[ "$r" = "VALUE $((i * 7))" ] || fail "release $1: num$i is '$r'"
	done
	r=$(send "GET big")
	[ "$r" = "VALUE 123456789012" ] || fail "release $1: big is '$r'"
	sleep 0.2
	r=$(send TICKS | sed -n 's/^TICKS //p')
	[ -n "$r" ] && [ "$r" -gt "$ticks" ] || fail "release $1: TICKS went from $ticks to '$r'"
	ticks=$r
	r=$(send CALLS | sed -n 's/^CALLS \([0-9]*\) [0-9]*$/\1/p')
	[ -n "$r" ] && [ "$r" -ge "$sets" ] && [ "$r" -gt 2400 ] ||
		fail "release $1: the SET count went from $sets to '$r'"
	sets=$r
	[ "$1" = 2 ] || return 0
	r=$(send STATS STATS | tail -n 1)
	case $r in
	"STATS commands 8 STATS "[1-9]*) ;;
	*) fail "release 2: STATS answers '$r'" ;;
	esac
}

run_updates
