#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tagkv (tagkv/: a hand-rolled arena of 64 KiB chunks carved into blocks
# with size headers and per-class free lists, declared STF_ALLOCATOR; an
# intrusive hash whose entries end in `char key[]` and hold a `void *`
# value tagged by an enum: a string with a flexible `char data[]`, an
# integer record or raw bytes; connections as arena blocks with a flexible
# input buffer; a poll() loop), release 2 adding a member before the key
# and a command, at -O0, under idload's checking load, updated 1 -> 2 and
# then 2 -> 2 eleven times.  After every commit: VERIFY (hash, kinds,
# block sizes, free lists), every key, an INCR counter continuing, each
# kind of value read back, and 300 new keys set and read (arena blocks
# allocated after the commit).

SERVER=tagkv
VERSION_1="VERSION tagkv 1"
VERSION_2="VERSION tagkv 2"
. "$(dirname "$0")/lib.sh"

incrs=0
round=0
fill_extra() {
	for i in 1 2 3 4 5; do send "INCR ctr" >/dev/null; done
	incrs=5
	send "SET r1 abc" "SET r2 12345678" "SET s1 a-longer-string-value" >/dev/null
}
check_extra() { # RELEASE
	incrs=$((incrs + 1))
	r=$(send "INCR ctr")
	[ "$r" = "NUMBER $incrs" ] || fail "INCR ctr: $r, expected $incrs"
	r=$(send "KIND r1" "GET r1" "KIND r2" "KIND s1" "GET s1" | tr '\n' ' ')
	[ "$r" = "KIND raw VALUE abc KIND int KIND str VALUE a-longer-string-value " ] ||
		fail "values of each kind: $r"
	[ "$1" = 1 ] && return
	r=$(send "TOUCH r1")
	case $r in "TOUCHED "[1-9]*) ;; *) fail "TOUCH r1: $r" ;; esac
	round=$((round + 1))
	"$IDIOMS_DIR/idload" --port "$port" fill "n$round-" 300 >/dev/null ||
		fail "$SERVER-$1: setting new keys (round $round)"
	"$IDIOMS_DIR/idload" --port "$port" check "n$round-" 300 >/dev/null ||
		fail "$SERVER-$1: reading new keys back (round $round)"
	verify_ok "after new keys (round $round)"
}

run_updates
