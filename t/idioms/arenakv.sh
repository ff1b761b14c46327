#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# arenakv (arenakv/, wave 23's hunt: fixed-size pools declared
# STF_ALLOCATOR with free lists through their dead objects, texts in a
# bump arena compacted into a spare arena that is then reset and reused,
# a scratch arena per connection reset after every line, a log of
# records and keys carved in turn from an arena reset when full, entries
# naming dead connections, a pointer to the last entry deleted; release
# 2 grows the entry, the connection, the counter, the request and the
# log record) under idload's checking
# load, updated 1 -> 2 and then 2 -> 2 five times.  After every commit:
# VERIFY (every entry in its bucket, the pools' live and dead counts, the
# live text bytes, the last entry deleted, the log), every key, counters, types
# and compactions going on.  arenakv-O0.sh runs the same at -O0.

SERVER=${SERVER:-arenakv}
VERSION_1="VERSION arenakv 1"
VERSION_2="VERSION arenakv 2"
NUPDATES=${NUPDATES:-6}
. "$(dirname "$0")/lib.sh"

# Replaced texts until the arena was compacted at least once.
churn() { # ROUND
	round=$1
	set --
	for i in $(seq 1 400); do
		set -- "$@" "SET churn$i round-$round-of-a-text-long-enough-to-fill-the-arena-$i"
	done
	send "$@" >/dev/null || fail "churning the texts failed"
}

fill_extra() {
	for r in 1 2 3 4 5 6; do
		churn $r
	done
	set --
	for i in $(seq 1 40); do
		set -- "$@" "INCR count$i" "SET gone$i x" "DEL gone$i" "INCR turn$i" "SET turn$i back$i"
	done
	send "$@" >/dev/null || fail "filling the extra keys failed"
	counts=1
	set -- $(send POOLS)
	[ "${5:-0}" -ge 1 ] || fail "the text arena was never compacted: $*"
}

check_extra() { # RELEASE
	release=$1
	for i in 1 17 40; do
		r=$(send "TYPE count$i" "GET turn$i" "TYPE turn$i" "GET gone$i" "GET churn$i" | tr '\n' ' ')
		case $r in
		"TYPE count VALUE back$i TYPE text NONE VALUE round-"*"-of-a-text-long-enough-to-fill-the-arena-$i ") ;;
		*) fail "release $1: keys of $i: $r" ;;
		esac
	done
	counts=$((counts + 1))
	for i in 1 17 40; do
		r=$(send "INCR count$i")
		[ "$r" = "COUNT $counts" ] || fail "release $1: INCR count$i gave '$r', not COUNT $counts"
	done
	set -- $(send POOLS)
	before=$5
	for r in 1 2 3 4 5 6 7 8; do
		churn "$r$release-$counts"
		set -- $(send POOLS)
		[ "$5" -gt "$before" ] && break
	done
	[ "$5" -gt "$before" ] || fail "release $release: no compaction after the churn: $before, then $*"
	# the log of sets goes on (the load's sets go there too)
	set -- $(send "SET last$counts x" RECENT)
	[ "$2" = RECENT ] && [ "$3" -ge 1 ] && [ "$3" -le 100 ] || fail "release $release: RECENT: $*"
}

run_updates
