#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# skipkv (skipkv/, wave 9's examiner: a generic skip list of `void *` items
# ordered through a comparator function pointer; entries whose `void *`
# value holds an integer ((void *)(intptr_t)n) or a string with a 2-byte
# length prefix, the pointer past the prefix, in a block of a size-
# prefixing wrapper; skip-list nodes ending in a flexible array of
# forward pointers; the process title rewritten over argv with environ
# moved to the heap; release 2 grows the entries before their value),
# under idload's checking load, updated 1 -> 2 and then 2 -> 2 five times.
# After every commit: VERIFY (order, lengths, node sizes), every key, an
# INCR counter continuing, each kind of value, the process title, and in
# release 2 a key's read count.

SERVER=skipkv
VERSION_1="VERSION skipkv 1"
VERSION_2="VERSION skipkv 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

incrs=0
fill_extra() {
	for i in 1 2 3; do send "INCR ctr" >/dev/null; done
	incrs=3
	send "SET s1 a-string-value" "SET n1 -42" >/dev/null
}
check_extra() { # RELEASE
	incrs=$((incrs + 1))
	r=$(send "INCR ctr")
	[ "$r" = "NUMBER $incrs" ] || fail "INCR ctr: $r, expected $incrs"
	r=$(send "TYPE s1" "GET s1" "TYPE n1" "GET n1" | tr '\n' ' ')
	[ "$r" = "TYPE str VALUE a-string-value TYPE int VALUE -42 " ] || fail "values of each kind: $r"
	r=$(send "TITLE")
	case $r in "TITLE skipkv: "[1-9]*" keys") ;; *) fail "the process title: $r" ;; esac
	[ "$1" = 1 ] && return
	r=$(send "GET s1" "HITS s1" | tail -n 1)
	case $r in "HITS "[1-9]*) ;; *) fail "HITS s1: $r" ;; esac
}

run_updates
