#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# genkv (genkv/, wave 23's hunt: a generic chained hash table whose
# nodes hold two `void *` slots: a struct behind the first, or a small
# value's bytes memcpy'd into the slots, a pair of integers or a
# reference holding an owned text pointer; hooks {fn, void *ctx} in a
# list of `void *` with statistics, a journal and key watchers as
# contexts; a static command table of {name, argc, fn, void *ctx}
# gaining APPEND in release 2, which also grows the node, the number and
# the statistics and adds a pointer to the journal set in stf_on_commit)
# under idload's checking load, updated 1 -> 2 and then 2 -> 2 five
# times.  After every commit: VERIFY (every node by its hash and kind,
# the pairs' sums, the hooks and the commands' contexts), every key,
# pairs, links, watches, statistics, and APPEND.  genkv-O0.sh runs the
# same at -O0.

SERVER=${SERVER:-genkv}
VERSION_1="VERSION genkv 1"
VERSION_2="VERSION genkv 2"
NUPDATES=${NUPDATES:-6}
. "$(dirname "$0")/lib.sh"

fill_extra() {
	set --
	for i in $(seq 1 40); do
		set -- "$@" "PAIR pair$i $i -$((i * 3))" "NUM num$i $((i * 10))" "ADD num$i -$i" \
			"SET target$i t$i" "LINK link$i target$i" "LINK hop$i link$i" \
			"WATCH target$i" "SET target$i u$i" "WATCH nothing$i" "UNWATCH nothing$i" \
			"SET gone$i g" "LINK gone$i target$i" "DEL gone$i"
	done
	send "$@" >/dev/null || fail "filling the extra keys failed"
	adds=1
}

check_extra() { # RELEASE
	release=$1
	for i in 1 17 40; do
		r=$(send "GET pair$i" "TYPE pair$i" "GET link$i" "GET hop$i" "TYPE hop$i" "FIRES target$i" \
			"GET gone$i" "FIRES nothing$i" | tr '\n' ' ')
		[ "$r" = "VALUE $i,-$((i * 3)) TYPE pair VALUE u$i VALUE u$i TYPE link FIRES 1 NONE NONE " ] ||
			fail "release $1: keys of $i: $r"
	done
	adds=$((adds + 1))
	for i in 1 17 40; do
		r=$(send "ADD num$i -$i")
		[ "$r" = "NUM $((i * 10 - adds * i))" ] || fail "release $1: ADD num$i gave '$r'"
	done
	set -- $(send STATS)
	[ "$1" = STATS ] && [ "$2" -gt 2400 ] && [ "$4" = 16 ] || fail "release $1: STATS: $*"
	[ "$release" = 1 ] && return
	r=$(send "SET app$updates_tried a" "APPEND app$updates_tried b" "APPEND app$updates_tried c" \
		"APPEND pair1 x" | tr '\n' ' ')
	[ "$r" = "OK VALUE ab VALUE abc NONE " ] || fail "release $1: APPEND: $r"
}

run_updates
