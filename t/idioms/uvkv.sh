#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# uvkv (uvkv/, wave 9's examiner: libuv's default loop; a uv_tcp_t embedded
# in each client's struct, which libuv links into its own queues (libuv's
# memory points into the program's structs), `data` pointing back; replies
# as heap blocks starting with their uv_write_t, freed by the write
# callback; a repeating timer; release 2 grows the client struct before
# the handle), under idload's checking load, updated 1 -> 2 and then
# 2 -> 2 five times.  After every commit: VERIFY (the hash, the client
# list, each handle's data), every key, the timer still ticking, and in
# release 2 a client's request count.

SERVER=uvkv
VERSION_1="VERSION uvkv 1"
VERSION_2="VERSION uvkv 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

last_ticks=0
check_extra() { # RELEASE
	sleep 0.3
	r=$(send STATS)
	t=${r##*ticks=}
	case $r in "STATS clients="*) ;; *) fail "STATS: $r" ;; esac
	[ "$t" -gt "$last_ticks" ] || fail "the timer stopped: ticks $t, before $last_ticks"
	last_ticks=$t
	[ "$1" = 1 ] && return
	r=$(send "GET a1" "MINE" | tail -n 1)
	[ "$r" = "MINE 2" ] || fail "MINE: $r"
}

run_updates
