#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# named (named/: records kept as dnsmasq keeps its cache, the name in a
# union that is the record's last member and runs past the struct's end,
# each record allocated by its name's length, long names behind the
# union's pointer; the listener and the connections prefix-sharing
# variants in one list of `struct conn *`; release 2 adds a member before
# the record's name and one to each variant) under idload's checking
# load, updated 1 -> 2 and then 2 -> 2 eleven times.  After every commit:
# VERIFY, every key, long keys (a name longer than the struct, one held
# by pointer) with their values and GET counts, and the connections'
# requests.

SERVER=named
VERSION_1="VERSION named 1"
VERSION_2="VERSION named 2"
. "$(dirname "$0")/lib.sh"

# a key of $1 characters, all different from the fill's keys
long_key() { printf "k%0$(($1 - 1))d" "$1"; }
LONG_LENGTHS="39 40 41 60 120 161 300"

fill_extra() {
	for n in $LONG_LENGTHS; do
		[ "$(send "SET $(long_key $n) v$n")" = OK ] || fail "SET a key of $n characters"
	done
	for i in $(seq 1 40); do
		[ "$(send "SET gone$i value$i" "DEL gone$i" | tr '\n' ' ')" = "OK OK " ] || fail "SET/DEL gone$i"
	done
	[ "$(send "SET $(long_key 200) hot")" = OK ] || fail "SET hot"
	for i in 1 2 3; do send "GET $(long_key 200)" >/dev/null; done
}

hits=3
check_extra() { # RELEASE
	for n in $LONG_LENGTHS; do
		r=$(send "GET $(long_key $n)")
		[ "$r" = "VALUE v$n" ] || fail "release $1: the key of $n characters answers '$r'"
	done
	r=$(send "HITS $(long_key 200)")
	[ "$r" = "HITS $hits" ] || fail "release $1: HITS of the long key is '$r', not $hits"
	send "GET $(long_key 200)" >/dev/null
	hits=$((hits + 1))
	r=$(send "GET gone7")
	[ "$r" = NONE ] || fail "release $1: a deleted key answers '$r'"
	r=$(send ENDPOINTS | sed -n 's/^ENDPOINTS //p')
	[ -n "$r" ] && [ "$r" -gt 0 ] || fail "release $1: ENDPOINTS '$r'"
}

run_updates
