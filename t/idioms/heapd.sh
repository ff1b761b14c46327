#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# heapd (heapd/: epoll with its own timers, a min-heap of pointers into
# the connections, grown by realloc with its capacity unset and stale
# pointers in popped slots; connections from new_conn() calling
# xmalloc(sizeof(struct conn)), a size-prefixing wrapper, kept on a free
# list with stale bytes when closed; a hash of slab-carved entries whose
# `void *` values are of four types told apart by a tag, integers in the
# pointer itself; a background thread whose pthread_t is in a union in a
# `void *` context; release 2 grows the connection in front of its timer,
# the entry in its middle and the counter at its end) under idload's
# checking load, updated 1 -> 2 and then 2 -> 2 five times.  After every
# commit: VERIFY (the heap's order and back-indexes, every timer's
# connection by its size header, every entry's bucket, tag and value,
# the thread's pthread_t against pthread_self()), every key, the values
# of each type, the tick and the thread still running.

SERVER=heapd
VERSION_1="VERSION heapd 1"
VERSION_2="VERSION heapd 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

fill_extra() {
	for i in $(seq 1 40); do
		r=$(send "RPUSH list$i a$i" "RPUSH list$i b$i" "INCR count$i" "SET gone$i value$i" "DEL gone$i" | tr '\n' ' ')
		[ "$r" = "LEN 1 LEN 2 COUNT 1 OK OK " ] || fail "fill $i: $r"
	done
	counts=1
}

ticks=0
runs=0
check_extra() { # RELEASE
	for i in 1 17 40; do
		r=$(send "TYPE a$i" "TYPE list$i" "TYPE count$i" "TYPE gone$i" "LRANGE list$i" "GET gone$i" | tr '\n' ' ')
		case $r in
		"TYPE "[is][nt][tr]" TYPE list TYPE count TYPE none LIST a$i,b$i NONE ") ;;
		*) fail "release $1: key $i: $r" ;;
		esac
	done
	counts=$((counts + 1))
	r=$(send "INCR count9")
	[ "$r" = "COUNT $counts" ] || fail "release $1: INCR count9 gave '$r', not COUNT $counts"
	r=$(send TICKS | sed -n 's/^TICKS //p')
	[ -n "$r" ] && [ "$r" -gt "$ticks" ] || fail "release $1: TICKS '$r' after $ticks"
	ticks=$r
	sleep 0.2
	r=$(send SNAP)
	set -- "$1" $r
	[ "$2" = SNAP ] && [ "$4" -gt "$runs" ] || fail "release $1: the background thread: '$r' after $runs runs"
	runs=$4
	[ "$1" = 2 ] || return 0
	r=$(send "INCRS count9")
	case $r in "INCRS "[1-9]*) ;; *) fail "INCRS count9: $r" ;; esac
}

run_updates
