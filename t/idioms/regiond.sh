#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# regiond (regiond/, wave 22's hunt: regions at the head of their own
# first block, objects carved by a static helper, large requests sent to
# malloc with a cleanup, cleanup callbacks {fn, void *data} unlinking a
# key's entry, a request region reset after every line, a key's region
# reset and refilled when its value is replaced, closed connections'
# regions reset and reused by the next connection; values of three
# tagged structs behind `void *`, lists as a `void *` vector regrown in
# the region; release 2 grows the text and number values, the entry and
# the connection) under idload's checking load, updated 1 -> 2 and then
# 2 -> 2 three times.  After every commit: VERIFY (every entry in its
# bucket with its cleanup and region, every value by its tag, the region
# tree), every key, the lists, counters and types, and regions reused.
# regiond-O0.sh runs the same on the server built at -O0.

SERVER=${SERVER:-regiond}
VERSION_1="VERSION regiond 1"
VERSION_2="VERSION regiond 2"
NUPDATES=${NUPDATES:-4}
. "$(dirname "$0")/lib.sh"

fill_extra() {
	set --
	for i in $(seq 1 30); do
		set -- "$@" "RPUSH list$i a$i" "RPUSH list$i b$i" "RPUSH list$i c$i" "INCR count$i" \
			"SET swap$i one" "SET swap$i 2" "SET swap$i three$i" "SET gone$i x" "DEL gone$i"
	done
	send "$@" >/dev/null || fail "filling the extra keys failed"
	counts=1
}

check_extra() { # RELEASE
	for i in 1 13 30; do
		r=$(send "LRANGE list$i" "TYPE count$i" "GET swap$i" "TYPE swap$i" "GET gone$i" "TYPE a$i" | tr '\n' ' ')
		case $r in
		"LIST a$i,b$i,c$i TYPE int VALUE three$i TYPE str NONE TYPE "[is][nt][tr]" ") ;;
		*) fail "release $1: keys of $i: $r" ;;
		esac
	done
	counts=$((counts + 1))
	for i in 1 13 30; do
		r=$(send "INCR count$i")
		[ "$r" = "COUNT $counts" ] || fail "release $1: INCR count$i gave '$r', not COUNT $counts"
	done
	# a list grown past its vector after the update, a replaced value
	r=$(send "RPUSH list7 d" "RPUSH list7 e" "LRANGE list7" "SET swap7 9" "GET swap7" "SET swap7 nine" "GET swap7" | tr '\n' ' ')
	case $r in
	"LEN "[0-9]*" LEN "[0-9]*" LIST a7,b7,c7,d,e"*" OK VALUE 9 OK VALUE nine ") ;;
	*) fail "release $1: list7/swap7: $r" ;;
	esac
	# new connections take spare regions
	r=$(send REGIONS)
	set -- $r
	[ "$1" = REGIONS ] && [ "$3" -ge 0 ] || fail "REGIONS: $r"
}

run_updates
