#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# aprev (aprev/, wave 10's red team: APR's hash table of `void *` keys and
# values, entries recycled through its free list with their freed keys
# still pointed to, the bucket array doubled as it fills, its iterator
# embedded in the table and held across requests by SCAN; libev with one
# loop per thread: the default loop accepts and hands connections to two
# workers through a locked queue and an ev_async embedded in each worker,
# whose own ev_loop_new() loops watch ev_io embedded in each connection;
# values records { length, bytes[] } behind `void *`; release 2 grows the
# records, the connections before their watcher and the workers before
# their ev_async), under idload's checking load, updated 1 -> 2 and then
# 2 -> 2 five times.  After every commit: VERIFY (every entry where it
# hashes, the counts), every key, SCAN going on from where it was, and in
# release 2 a record's revision counting on.

SERVER=aprev
VERSION_1="VERSION aprev 1"
VERSION_2="VERSION aprev 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

# The names in SCAN's order, then END; the cursor left on the eighth.
fill_extra() {
	for i in $(seq 0 19); do
		[ "$(send "NAME n$i v$i")" = OK ] || fail "NAME n$i"
	done
	: >"$tmp/order"
	while r=$(send SCAN) && [ "$r" != END ]; do
		case $r in "NAME "*) echo "$r" >>"$tmp/order" ;; *) fail "SCAN: $r" ;; esac
		[ "$(wc -l <"$tmp/order")" -le 20 ] || fail "SCAN does not end"
	done
	[ "$(wc -l <"$tmp/order")" = 20 ] || fail "SCAN gave $(wc -l <"$tmp/order") names, not 20"
	echo END >>"$tmp/order"
	pos=0
	for i in $(seq 1 8); do
		[ "$(send SCAN)" = "$(sed -n "${i}p" "$tmp/order")" ] || fail "SCAN's second pass differs"
		pos=$i
	done
}

revs=
check_extra() { # RELEASE
	[ -n "${pos:-}" ] || return 0
	pos=$((pos % 21 + 1))
	want=$(sed -n "${pos}p" "$tmp/order")
	r=$(send SCAN)
	[ "$r" = "$want" ] || fail "release $1: SCAN gave '$r', not '$want' (place $pos)"
	[ "$1" = 2 ] || return 0
	r=$(send "SET rk v$n" "REVS rk" | tr '\n' ' ')
	case $r in "OK REVS "*) ;; *) fail "REVS: $r" ;; esac
	r=${r#OK REVS }
	r=${r% }
	[ -z "$revs" ] || [ "$r" = $((revs + 1)) ] || fail "REVS went from $revs to $r"
	revs=$r
}

run_updates
