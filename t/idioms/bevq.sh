#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bevq (bevq/, a held-out server of wave 8, at -O0: libevent bufferevents
# with the client's struct as the callbacks' `void *` argument, growing in
# release 2; replies queued in a per-client evbuffer flushed by a short
# timer, so output is pending at every update; values in evbuffers of
# their own in a sorted array; per-client counters kept as integers in
# `void *` slots; a stats timer and idle timers), under idload's checking
# load, updated 1 -> 2 and then 2 -> 2 five times.  After every commit:
# VERIFY, every key, STATS answering and, in release 2, a key's read count.

SERVER=bevq
VERSION_1="VERSION bevq 1"
VERSION_2="VERSION bevq 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"
FILL_KEYS=150   # replies wait for a 1 ms flush timer: a smaller fill

check_extra() { # RELEASE
	r=$(send "STATS")
	case $r in "STATS requests="*) ;; *) fail "STATS: $r" ;; esac
	[ "$1" = 1 ] && return
	r=$(send "GET a1" "COUNT a1" | tail -n 1)
	case $r in "COUNT "[1-9]*) ;; *) fail "COUNT a1: $r" ;; esac
}

run_updates
