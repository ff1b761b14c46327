#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# poold (poold/, a held-out server of wave 8: APR-style pools in a tree,
# declared STF_ALLOCATOR, with cleanup callbacks (function pointer and
# `void *` data) and a store pool compacted into a fresh one; requests read
# with epoll into jobs from the connection's pool, run by three workers
# waiting on a condition variable), under idload's checking load, updated
# 1 -> 2 and then 2 -> 2 five times.  After every commit: VERIFY, every
# key, the pools' census, release 2's PEAK, and 300 new keys set and read
# back (pool blocks allocated after the commit).

SERVER=poold
VERSION_1="VERSION poold 1"
VERSION_2="VERSION poold 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

round=0
check_extra() { # RELEASE
	r=$(send POOLS)
	case $r in "POOLS live="*) ;; *) fail "POOLS: $r" ;; esac
	[ "$1" = 1 ] && return
	r=$(send PEAK)
	case $r in "PEAK "[1-9]*) ;; *) fail "PEAK: $r" ;; esac
	round=$((round + 1))
	"$IDIOMS_DIR/idload" --port "$port" fill "n$round-" 300 >/dev/null ||
		fail "$SERVER-$1: setting new keys (round $round)"
	"$IDIOMS_DIR/idload" --port "$port" check "n$round-" 300 >/dev/null ||
		fail "$SERVER-$1: reading new keys back (round $round)"
}

run_updates
