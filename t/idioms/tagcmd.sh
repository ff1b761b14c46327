#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tagcmd (tagcmd/, wave 22's hunt: every block behind a size-prefixing
# wrapper declared STF_ALLOCATOR whose 8-byte header holds the size and a
# kind tag; strings `char *` behind a 16-byte header of their own, grown
# by realloc through the wrapper; the bucket array a wrapper block
# replaced as the table grows; a static command table mutated at run
# time - call counters, DISABLE setting a flag, RENAME pointing an entry's
# name to a heap string; release 2 inserts APPEND in the middle of the
# table, adds to every entry a statistics pointer its startup allocates
# (never NULL), a kind of block after the others whose live count only
# its startup knows, and grows the item in its middle), under idload's
# checking load, updated 1 -> 2 and then 2 -> 2 five times, also at -O2
# (tagcmd-O2.sh).  After every commit: VERIFY (every header, every
# string's, the live count of each kind against the blocks reachable,
# every entry's flags and statistics), every key, the renamed and the
# disabled command still so, call counters never going back, and in
# release 2 APPEND growing a string through the wrapper.

SERVER=${SERVER:-tagcmd}
VERSION_1="VERSION tagcmd 1"
VERSION_2="VERSION tagcmd 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

fill_extra() {
	r=$(send "RENAME CALLS COUNT" "DISABLE PING" "PING" "COUNT SET" | tr '\n' ' ')
	case $r in "OK OK ERR disabled CALLS "[0-9]*) ;; *) fail "RENAME/DISABLE: '$r'" ;; esac
}

sets=0
check_extra() { # RELEASE
	r=$(send "PING" "CALLS SET" | tr '\n' ' ')
	[ "$r" = "ERR disabled ERR unknown command " ] || fail "release $1: PING and CALLS answer '$r'"
	r=$(send "COUNT SET" | sed -n 's/^CALLS //p')
	[ -n "$r" ] && [ "$r" -ge "$sets" ] || fail "release $1: SET's calls went from $sets to '$r'"
	sets=$r
	[ "$1" = 2 ] || return 0
	n=$updates_tried
	r=$(send "SET ap$n x" "APPEND ap$n yz" "APPEND ap$n 0123456789abcdef0123456789" "GET ap$n" |
		tr '\n' ' ')
	[ "$r" = "OK LEN 3 LEN 29 VALUE xyz0123456789abcdef0123456789 " ] ||
		fail "release 2: APPEND answers '$r'"
	for k in $(seq 1 "$n"); do
		r=$(send "GET ap$k")
		[ "$r" = "VALUE xyz0123456789abcdef0123456789" ] || fail "release 2: ap$k is '$r'"
	done
	r=$(send "COUNT APPEND")
	[ "$r" = "CALLS $((2 * n))" ] || fail "release 2: APPEND counted '$r' after $n updates"
}

run_updates
