#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# dbgkv (dbgkv/, wave 14's hunt: a libev key-value server whose memory all
# goes through a leak-tracking allocator declared STF_ALLOCATOR and reached
# through macros adding __FILE__ and __LINE__: a 48-byte header before
# every block linking it to the previous and next live blocks, with the
# file's name (a string literal) and the line; keys in an unbalanced
# binary search tree whose deleted nodes keep their children's pointers;
# libev watchers embedded in tracked connection blocks, output as chunk
# lists; counters in `void *` members; release 2 grows the tree node
# before its key and at its end, the connection between its watchers, and
# the options by a member its startup sets), under idload's checking
# load, updated 1 -> 2 and then 2 -> 2 five times.  After every commit:
# VERIFY (the tracked list's links, every header's file and size, the
# tree's order, every connection's watchers), every key, a value's
# recorded place, and in release 2 the new command.

SERVER=dbgkv
VERSION_1="VERSION dbgkv 1"
VERSION_2="VERSION dbgkv 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

fill_extra() {
	set --
	for i in $(seq 1 80); do set -- "$@" "SET gone$i $i"; done
	for i in $(seq 1 80); do set -- "$@" "DEL gone$i"; done
	send "$@" >/dev/null || fail "setting and deleting keys failed"
	where=$(send "WHERE a1")
	case $where in "WHERE "*dbgkv.c:[0-9]*) ;; *) fail "WHERE a1: $where" ;; esac
}

check_extra() { # RELEASE
	got=$(send "WHERE a1")
	[ "$got" = "$where" ] || fail "WHERE a1: $got (was $where)"
	if [ "$1" = 2 ]; then
		got=$(send "DEPTH a1" "DEPTH nothing" | tr '\n' ' ')
		case $got in "DEPTH 1"[0-9][0-9]" NONE ") ;; *) fail "DEPTH: $got" ;; esac
	fi
}

run_updates
