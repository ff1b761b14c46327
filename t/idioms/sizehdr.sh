#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# sizehdr (sizehdr/: strings, integers and lists behind the `void *`
# values of a dictionary, every block allocated through zmalloc, a
# size-prefixing wrapper declared STF_ALLOCATOR; deleted slots keep their
# freed value pointers) under idload's checking load, updated 1 -> 2 (a
# list gains an operations table that may not be NULL, given to the lists
# of 1 by a member callback) and then 2 -> 2 eleven times.  After every
# commit: VERIFY (types, every size header, used_memory) passes, every key
# and list is there, and no request of the load failed.

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
}

# Every list is there, its items in order (GET formats it through list.ops
# in release 2).
check_extra() {
	set --
	i=0
	while [ $i -lt 20 ]; do
		set -- "$@" "GET list$i"
		i=$((i + 1))
	done
	send "$@" >"$tmp/lists.got"
	cmp -s "$tmp/lists.want" "$tmp/lists.got" || {
		diff "$tmp/lists.want" "$tmp/lists.got" | head -n 5
		fail "release $1: the lists differ from what was pushed (above)"
	}
}

run_updates
