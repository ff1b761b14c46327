#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# jobq (jobq/, wave 9's examiner, at -O0: three pthread workers, each with
# its own queue of `struct task { fn; void *arg; }` whose argument is a
# request from a fixed-size free-list allocator (STF_ALLOCATOR), cast back
# by the task's function; a table of `void *` handles to objects of two
# allocators (sessions from malloc, notes from the free list) told apart by
# a parallel array of kinds; release 2 grows the sessions and the
# requests), under idload's checking load, updated 1 -> 2 and then 2 -> 2
# five times.  After every commit: VERIFY, every key, each handle's object
# read back, a session's use count continuing, and in release 2 a new
# session numbered.

SERVER=jobq
VERSION_1="VERSION jobq 1"
VERSION_2="VERSION jobq 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

touches=0
fill_extra() {
	r=$(send "OPEN alice" "NOTE a note of text" "OPEN bob" | tr '\n' ' ')
	[ "$r" = "HANDLE 1 HANDLE 2 HANDLE 3 " ] || fail "handles: $r"
}
check_extra() { # RELEASE
	touches=$((touches + 1))
	r=$(send "SHOW 1" "SHOW 2" "TOUCH 3" | tr '\n' ' ')
	[ "$r" = "SESSION alice 0 NOTE a note of text TOUCHED $touches " ] || fail "handles read back: $r"
	[ "$1" = 1 ] && return
	r=$(send "OPEN s$touches")
	h=${r#HANDLE }
	r=$(send "SERIAL $h")
	case $r in "SERIAL "[1-9]*) ;; *) fail "SERIAL $h: $r" ;; esac
}

run_updates
