#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# sizehdr (sizehdr/: strings, integers and lists behind the `void *`
# values of a dictionary, every block allocated through zmalloc, a
# size-prefixing wrapper declared STF_ALLOCATOR; deleted slots keep their
# freed value pointers) under idload's checking load, updated 1 -> 2 (a
# list gains an operations table that may not be NULL, given to the lists
# of 1 by a member callback) and then 2 -> 2 eleven times.  A list grows
# from 24 to 32 bytes in release 2: ttst moves zmalloc's block around each
# list of release 1 whole to a block of 16 + 32 bytes, the size header
# copied as it is (ttst does not guess which word is a size: the header
# keeps release 1's size, and used_memory, which counted it, stays the sum
# of the headers).  After every commit: VERIFY (types, every size header
# either the list's size in release 1 or 2, every block large enough,
# used_memory the sum of the headers) passes, every key and list is there,
# and no request of the load failed; after each of the first five, one
# more list of release 1 is deleted (zfree: free(p - 16) on a moved
# block) and VERIFY passes again.

SERVER=sizehdr
VERSION_1="VERSION 1"
VERSION_2="VERSION 2"
. "$(dirname "$0")/lib.sh"

# Twenty lists of 1 to 20 items, made by release 1, in one connection.
fill_extra() {
	set --
	: >"$tmp/lists.want"
	i=0
	while [ $i -lt 20 ]; do
		want="VALUE i$i-0"
		set -- "$@" "RPUSH list$i i$i-0"
		j=1
		while [ $j -le $i ]; do
			want="$want,i$i-$j"
			set -- "$@" "RPUSH list$i i$i-$j"
			j=$((j + 1))
		done
		echo "$want" >>"$tmp/lists.want"
		i=$((i + 1))
	done
	[ "$(send "$@" | grep -c '^OK [0-9]')" = 210 ] ||
		fail "the 210 RPUSHes did not all answer OK n"
	for i in 0 1 2 3 4; do
		[ "$(send "RPUSH gone$i x" "RPUSH gone$i y")" = "OK 1
OK 2" ] || fail "RPUSH gone$i did not answer OK 1, OK 2"
	done
	deleted=0
}

# Every list is there, its items in order (GET formats it through list.ops
# in release 2).
check_extra() {
	release=$1
	set --
	i=0
	while [ $i -lt 20 ]; do
		set -- "$@" "GET list$i"
		i=$((i + 1))
	done
	send "$@" >"$tmp/lists.got"
	cmp -s "$tmp/lists.want" "$tmp/lists.got" || {
		diff "$tmp/lists.want" "$tmp/lists.got" | head -n 5
		fail "release $release: the lists differ from what was pushed (above)"
	}
	if [ "$release" = 2 ] && [ "$deleted" -lt 5 ]; then
		[ "$(send "GET gone$deleted" "DEL gone$deleted" "GET gone$deleted")" = "VALUE x,y
OK
NONE" ] || fail "list gone$deleted of release 1 could not be read and deleted"
		verify_ok "after deleting list gone$deleted of release 1"
		deleted=$((deleted + 1))
	fi
}

run_updates
