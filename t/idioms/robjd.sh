#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# robjd (robjd/, wave 22's hunt: every block behind a size-prefixing
# wrapper declared STF_ALLOCATOR whose 16-byte header holds the size, a
# type tag and a reference count; each key's value a `void *` whose type
# only that header tells - a string of raw bytes, a list of nodes holding
# `void *` to strings, a counter - shared by two keys after COPY; release
# 2 grows the list in its middle and gives the counter a pointer to its
# unit that must not be NULL, which an stf_on_member() callback sets for
# release 1's counters), under idload's checking load, updated 1 -> 2 and
# then 2 -> 2 five times, also at -O2 (robjd-O2.sh).  After every commit:
# VERIFY (every header's type and size, every list's nodes, length and
# tail, every counter's unit), every key, the lists and counters with
# their values, and shared values still shared (a key deleted, its copy
# still read).

SERVER=${SERVER:-robjd}
VERSION_1="VERSION robjd 1"
VERSION_2="VERSION robjd 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

fill_extra() {
	for i in $(seq 1 30); do
		send "PUSH list$i one" "PUSH list$i two-$i" "INCR ctr$i" "INCR ctr$i" "SET s$i shared-$i" \
			"COPY s$i t$i" "COPY list$i l$i" >"$tmp/fill.out"
		[ "$(tr '\n' ' ' <"$tmp/fill.out")" = "LEN 1 LEN 2 COUNT 1 COUNT 2 OK OK OK " ] ||
			fail "fill of list$i: $(tr '\n' ' ' <"$tmp/fill.out")"
	done
}

counts=2
check_extra() { # RELEASE
	n=$updates_tried
	counts=$((counts + 1))
	for i in $(seq 1 30); do
		r=$(send "GET list$i" "GET l$i" "INCR ctr$i" "GET ctr$i" "TYPE l$i" | tr '\n' ' ')
		[ "$r" = "VALUE one,two-$i VALUE one,two-$i COUNT $counts VALUE $counts hits TYPE list " ] ||
			fail "release $1: list$i/ctr$i answer '$r'"
	done
	# the n-th pair: the original deleted, the copy still there
	[ "$n" -gt 0 ] || return 0
	r=$(send "GET t$n" "DEL s$n" "GET t$n" "GET s$n" "TYPE t$n" | tr '\n' ' ')
	[ "$r" = "VALUE shared-$n OK VALUE shared-$n NONE TYPE string " ] ||
		fail "release $1: the shared value s$n/t$n answers '$r'"
	r=$(send "PUSH new$n a" "PUSH new$n b" "GET new$n" "INCR nc$n" "GET nc$n" | tr '\n' ' ')
	[ "$r" = "LEN 1 LEN 2 VALUE a,b COUNT 1 VALUE 1 hits " ] || fail "release $1: new values '$r'"
}

run_updates
