#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# subpool (subpool/, wave 14's hunt: pools in a tree declared
# STF_ALLOCATOR, carving objects out of 4 KB chunks; every record in its
# own sub-pool, compacted into a fresh one after eight SETs; every
# connection in its own sub-pool, its session registered with epoll by
# pointer; records, sessions and tags behind `void *` in generic list
# nodes recycled through a free list that keeps their old objects'
# pointers; counts in `void *` members; release 2 grows struct pool,
# struct record before its key and at its end, the tag, the session, and
# the settings by a member its startup sets), under idload's checking
# load, updated 1 -> 2 and then 2 -> 2 five times.  After every commit:
# VERIFY (every object inside its pool's chunks, the pool tree's shape),
# every key, tags and their counts, and in release 2 the new command.

SERVER=subpool
VERSION_1="VERSION subpool 1"
VERSION_2="VERSION subpool 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

fill_extra() {
	set --
	for i in $(seq 1 20); do set -- "$@" "SET t$i v$i" "TAG t$i red" "TAG t$i blue" "TAG t$i red"; done
	for i in $(seq 1 30); do set -- "$@" "SET churn c$i"; done
	set -- "$@" "TAG churn hot"
	for i in $(seq 1 60); do set -- "$@" "SET gone$i $i" "TAG gone$i x" "DEL gone$i"; done
	send "$@" >/dev/null || fail "filling the extra keys failed"
}

n_check=0
check_extra() { # RELEASE
	n_check=$((n_check + 1))
	for i in 1 7 20; do
		got=$(send "GET t$i" "TAGS t$i" | tr '\n' ' ')
		[ "$got" = "VALUE v$i TAGS blue:1,red:2 " ] || fail "t$i: $got"
	done
	# eight more SETs: the record is compacted into a fresh pool each round
	set --
	for i in $(seq 1 8); do set -- "$@" "SET churn r$n_check-$i"; done
	set -- "$@" "GET churn" "TAGS churn"
	got=$(send "$@" | tail -n 2 | tr '\n' ' ')
	[ "$got" = "VALUE r$n_check-8 TAGS hot:1 " ] || fail "churn: $got"
	if [ "$1" = 2 ]; then
		got=$(send "SET fresh$n_check a" "SET fresh$n_check b" "AGE fresh$n_check" "AGE t1" | tr '\n' ' ')
		[ "$got" = "OK OK AGE 2 AGE 0 " ] || fail "AGE: $got"
	fi
}

run_updates
