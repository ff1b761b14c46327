#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# privtab (privtab/, wave 11's red team: a key-value server on epoll, data
# the descriptor, connections in a static array by descriptor; requests
# dispatched through a mutable command table whose entries carry the size
# of their private state and a `void *priv` made at their first call by
# calloc(1, cmd->priv_size): the readers' statistics, the writers' log - a
# ring of the records last written, still pointing to records deleted
# since; the records in a sorted array of pointers grown by realloc;
# release 2 inserts MGET in the middle of the table, gives struct command
# a member, struct write_log one in its middle and struct read_stats a
# longer last key), under idload's checking load, updated 1 -> 2 and then
# 2 -> 2 three times.  After every commit: VERIFY (the order, every
# command's priv there when it has a size), every key, no command's call
# count gone back, an INCR counter continuing, GET's statistics (the last
# key read) answering, and in release 2 MGET.

SERVER=privtab
VERSION_1="VERSION privtab 1"
VERSION_2="VERSION privtab 2"
NUPDATES=4
. "$(dirname "$0")/lib.sh"

stat_of() { # COMMAND FIELD
	send "STATS $1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

counter=0
last_calls=0
fill_extra() {
	for i in 1 2 3; do
		counter=$((counter + 1))
		[ "$(send "INCR counter")" = "VALUE $counter" ] || fail "INCR counter: not $counter"
	done
}

check_extra() { # RELEASE
	counter=$((counter + 1))
	r=$(send "INCR counter")
	[ "$r" = "VALUE $counter" ] || fail "release $1: INCR counter: '$r', expected $counter"
	calls=$(stat_of SET calls)
	[ "${calls:-0}" -ge "$last_calls" ] || fail "release $1: SET's calls went back ($last_calls, then $calls)"
	last_calls=$calls
	r=$(send "GET a7" "STATS GET" | tr '\n' ' ')
	# the load's reads come between: the last key read is any key
	case $r in "VALUE 55433 STATS calls="*" hits="*" last="?*) ;; *) fail "release $1: GET's statistics: $r" ;; esac
	[ "$1" = 2 ] || return 0
	r=$(send "MGET a1 nosuch a2")
	[ "$r" = "VALUES 7919 - text-a-2" ] || fail "MGET: $r"
}

run_updates
