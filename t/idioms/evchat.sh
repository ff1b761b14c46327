#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# evchat (evchat/, wave 14's hunt: a libevent chat server with a store;
# per-client structs in a chained hash table of `void *` keyed by
# descriptor, a command table of {name, handler, min args} that gains an
# entry in its middle, room histories of `void *` messages with capacity
# beyond their length uninitialised and freed messages' pointers left in
# dead slots, values as raw bytes behind `void *`, a count in a `void *`
# member, the update point on stf_update_fd(); release 2 grows the client
# before its bufferevent, the room, and the config by a member its startup
# sets), under idload's checking load, updated 1 -> 2 and then 2 -> 2
# five times.  After every commit: VERIFY, every key, every room's last
# message and count, and in release 2 the new command.

SERVER=evchat
VERSION_1="VERSION evchat 1"
VERSION_2="VERSION evchat 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

ROOMS="r1 r2 r3"
fill_extra() {
	for r in $ROOMS; do
		set -- "JOIN $r"
		for i in $(seq 1 25); do set -- "$@" "SAY $r $r-line$i"; done
		send "$@" >/dev/null || fail "chatting in $r failed"
	done
	r=$(send "JOIN x" "JOIN y" "SAY x alone" | tr '\n' ' ')
	[ "$r" = "OK 1 OK 1 OK 0 " ] || fail "JOIN and SAY: $r"
}

check_extra() { # RELEASE
	for r in $ROOMS; do
		got=$(send "LAST $r" "HIST $r" | tr '\n' ' ')
		[ "$got" = "LAST $r-line25 HIST 25 " ] || fail "room $r: $got"
	done
	got=$(send "LAST x" "SET k1 v1" "GET k1" "DEL k1" | tr '\n' ' ')
	[ "$got" = "LAST alone OK VALUE v1 OK " ] || fail "room x and a key: $got"
	if [ "$1" = 2 ]; then
		got=$(send "WHO" "JOIN w" "SAY w hi" "LAST w" | tr '\n' ' ')
		case $got in "WHO user"[0-9]*" OK 1 OK 0 LAST hi ") ;; *) fail "WHO: $got" ;; esac
	fi
}

run_updates
