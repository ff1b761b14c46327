#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tagq (tagq/, wave 23's hunt, on libev: values as one `void *` with a
# tag in its two low bits (an owned text, an integer shifted left, an
# interned blob's address | 2), interned blobs counted and, when dead,
# on a free list through their first word; connections known by an
# `intptr_t` id kept in entries and in the watchers' `data`, a table by
# id keeping closed connections' pointers; release 2 grows the entry,
# the blob and the connection) under idload's checking load, updated 1
# -> 2 and then 2 -> 2 five times.  After every commit: VERIFY (every
# entry and blob in its bucket, the blobs' counts against their uses,
# the free list, the open connections' ids), every key, the values' tags,
# writers' ids and the timer going on.  tagq-O0.sh runs the same at -O0.

SERVER=${SERVER:-tagq}
VERSION_1="VERSION tagq 1"
VERSION_2="VERSION tagq 2"
NUPDATES=${NUPDATES:-6}
. "$(dirname "$0")/lib.sh"

fill_extra() {
	set --
	for i in $(seq 1 40); do
		set -- "$@" "SET int$i $((i * 1000003))" "SET big$i 1234567890$i" "SET shared$i same" \
			"SET long$i a-text-longer-than-fifteen-$i" "SET once$i only$i" "SET once$i 0" \
			"SET gone$i gone$i" "DEL gone$i"
	done
	send "$@" >/dev/null || fail "filling the extra keys failed"
	set -- $(send "WHO int1")
	writer=$2
}

check_extra() { # RELEASE
	for i in 1 17 40; do
		r=$(send "GET int$i" "TYPE int$i" "GET big$i" "TYPE big$i" "GET shared$i" "TYPE shared$i" \
			"GET long$i" "TYPE long$i" "GET once$i" "TYPE once$i" "GET gone$i" | tr '\n' ' ')
		[ "$r" = "VALUE $((i * 1000003)) TYPE int VALUE 1234567890$i TYPE blob VALUE same TYPE blob VALUE a-text-longer-than-fifteen-$i TYPE text VALUE 0 TYPE int NONE " ] ||
			fail "release $1: keys of $i: $r"
	done
	r=$(send "WHO int1")
	[ "$r" = "WHO $writer closed" ] || fail "release $1: WHO int1: $r, not WHO $writer closed"
	set -- $(send BLOBS)
	tick0=$4
	sleep 0.3
	set -- $(send BLOBS "SET fresh$updates_tried fresh" "WHO fresh$updates_tried")
	[ "$4" -gt "$tick0" ] || fail "release $1: the timer stopped: $tick0 then $4"
	[ "$8" = open ] || fail "release $1: WHO of a key set on this connection: $*"
}

run_updates
