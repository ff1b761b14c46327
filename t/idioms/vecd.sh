#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# vecd (vecd/, wave 22's hunt: a generic vector of `void *` whose
# swap-remove leaves the last slot's pointer, a generic open-addressing
# map of `void *` to `void *` with `(void *)-1` tombstones, three structs
# of one size told apart by a tag behind the values, `void *owner`
# members left pointing at closed connections whose blocks the next
# connections take, a connection table by descriptor never cleared, epoll
# registrations carrying the listener's and the update descriptor's
# numbers in `data.ptr`; release 2 grows the counter and the connection)
# under idload's checking load, updated 1 -> 2 and then 2 -> 2 three
# times.  After every commit: VERIFY (every key found by its hash, every
# value by its tag, the vector, the open connections), every key, each
# type's values, and long texts.
# vecd-O0.sh runs the same on the server built at -O0.

SERVER=${SERVER:-vecd}
VERSION_1="VERSION vecd 1"
VERSION_2="VERSION vecd 2"
NUPDATES=${NUPDATES:-4}
. "$(dirname "$0")/lib.sh"

# a long text (idload sends lines of up to 511 bytes)
long_text() { printf "%s%0480d" "$1" 0; }

fill_extra() {
	set --
	for i in $(seq 1 30); do
		set -- "$@" "INCR count$i" "ARM due$i $((i * 1000))" "SET gone$i x" "DEL gone$i" "INCR count$i"
	done
	send "$@" >/dev/null || fail "filling the extra keys failed"
	# connections closed (their owners' pointers stale, their blocks
	# taken by the next connections), long texts
	for i in $(seq 1 12); do
		send "SET owned$i o$i" "INCR ocount$i" >/dev/null || fail "owned$i"
		send "SET big$i $(long_text "$i")" >/dev/null || fail "big$i"
	done
	counts=2
}

check_extra() { # RELEASE
	counts=$((counts + 1))
	for i in 1 12; do
		r=$(send "INCR count$i" "DUE due$i" "TYPE due$i" "TYPE count$i" "GET owned$i" "GET gone$i" "TYPE a$i" | tr '\n' ' ')
		[ "$r" = "COUNT $counts DUE $((i * 1000)) TYPE deadline TYPE counter VALUE o$i NONE TYPE note " ] ||
			fail "release $1: keys of $i: '$r'"
		r=$(send "GET big$i")
		[ "$r" = "VALUE $(long_text "$i")" ] || fail "release $1: big$i changed: $(echo "$r" | cut -c1-60)..."
	done
	for i in 1 2 3; do
		send "SET big$i $(long_text "$i")" "INCR ocount$i" >/dev/null || fail "release $1: big$i again"
	done
}

run_updates
