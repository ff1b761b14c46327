#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# disptab (disptab/: requests dispatched through a static command table -
# names, handlers, flags, a `void *` argument that is a small integer or
# a pointer to static options, call counters - reached through a mutable
# registry holding the table's address (its length derived with sizeof);
# items and keys carved out of a long-lived pool declared STF_ALLOCATOR,
# deleted items on a free list linked through their own member, with
# stale key and freed-value pointers left in them) under idload's
# checking load, updated 1 -> 2 (APPEND gained in the middle of the
# table, a member added in the middle of struct command, struct item
# grown in its middle so that it no longer fits in its pool block) and
# then 2 -> 2 eleven times.  After every commit: VERIFY (every item,
# the free list, every command's handler, options and help, the call
# counters adding up) passes, COMMANDS lists every command of the
# release, no call counter went back, APPEND works, every key is there
# and no request of the load failed.

SERVER=disptab
VERSION_1="VERSION disptab 1.4"
VERSION_2="VERSION disptab 2.0"
. "$(dirname "$0")/lib.sh"

# Deleted items on the free list.
fill_extra() {
	set --
	i=0
	while [ $i -lt 30 ]; do
		set -- "$@" "SET gone$i value$i" "DEL gone$i"
		i=$((i + 1))
	done
	[ "$(send "$@" | grep -c '^OK$')" = 60 ] || fail "SET and DEL of gone0..29 did not all answer OK"
}

calls_before=
check_extra() {
	cmds=$(send COMMANDS)
	case $1 in
	1) want="SET GET DEL VERSION COMMANDS VERIFY" ;;
	2) want="SET GET APPEND DEL VERSION COMMANDS VERIFY" ;;
	esac
	names=$(echo "${cmds#COMMANDS * }" | tr ' ' '\n' | sed 's/:.*//' | tr '\n' ' ')
	[ "$names" = "$want " ] || fail "release $1: COMMANDS lists '$names', expected '$want' ($cmds)"
	for pair in $calls_before; do
		now=$(echo "$cmds" | tr ' ' '\n' | sed -n "s/^${pair%%:*}://p")
		[ -n "$now" ] && [ "$now" -ge "${pair#*:}" ] ||
			fail "release $1: ${pair%%:*} was called ${pair#*:} times, now '$now' ($cmds)"
	done
	calls_before=$(echo "${cmds#COMMANDS * }")
	case $(send VERIFY) in
	*" free=0 "*) fail "release $1: the free list is empty: $(send VERIFY)" ;;
	esac
	if [ "$1" = 2 ]; then
		r=$(send "SET app$$ ab" "APPEND app$$ cd" "GET app$$" | tr '\n' ' ')
		[ "$r" = "OK OK VALUE abcd " ] || fail "APPEND: '$r'"
	fi
}

run_updates
