#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# objdict (objdict/: a generic hash table of `void *` keys and values with
# its functions in a static struct; values behind `void *` that are either
# an integer kept in the pointer itself or a string's bytes, interior to
# a block with a length header before them; each key's older values in a
# `void **` vector grown by realloc whose capacity beyond its length holds
# stale pointers to freed values; freed clients' pointers left in their
# table slots; a mutable command table) under idload's checking load,
# updated 1 -> 2 (struct obj gains a member in the middle, struct entry one
# at the end, the command table the entry KEYS) and then 2 -> 2 eleven
# times.  After every commit: VERIFY (every key in its bucket, every
# length header, every value and older value, the command counts against
# the requests) passes, every key is there with its older values, KEYS
# counts them, and no request of the load failed.

SERVER=objdict
VERSION_1="VERSION 1"
VERSION_2="VERSION 2"
. "$(dirname "$0")/lib.sh"

# Thirty keys set six times (texts and numbers): four older values each,
# the two oldest freed with their pointers left in the vectors' capacity.
fill_extra() {
	set --
	i=0
	while [ $i -lt 30 ]; do
		set -- "$@" "SET h$i t$i" "SET h$i $i" "SET h$i text$i" "SET h$i -$i" \
			"SET h$i x$i" "SET h$i last$i"
		i=$((i + 1))
	done
	[ "$(send "$@" | grep -c '^OK$')" = 180 ] || fail "SET of h0..29 did not all answer OK"
}

check_extra() {
	i=0
	while [ $i -lt 30 ]; do
		r=$(send "HIST h$i" "GET h$i" | tr '\n' ' ')
		[ "$r" = "HIST 4 VALUE last$i " ] || fail "release $1: key h$i: '$r'"
		i=$((i + 3))
	done
	if [ "$1" = 2 ]; then
		k=$(send KEYS)
		case $k in
		"KEYS "[0-9]*) ;;
		*) fail "release 2: the new command KEYS answers '$k'" ;;
		esac
	fi
}

run_updates
