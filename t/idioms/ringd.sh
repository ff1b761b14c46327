#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# ringd (ringd/, a held-out server of wave 8: raw edge-triggered epoll with
# the connection in data.ptr; a mutable command table of function pointers
# counting its calls, which gains APPEND and changes a flag in release 2;
# a ring of the last requests keeping stale pointers to freed request
# records; sentinels in pointer fields (a connection's `watch` is NULL,
# (struct item *)1 or an item)), under idload's checking load, updated
# 1 -> 2 and then 2 -> 2 five times.  Two connections held across every
# update keep their watches; the ring's history stays full; APPEND works
# in release 2.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"   # /dev/tcp for held connections

SERVER=ringd
VERSION_1="VERSION ringd 1"
VERSION_2="VERSION ringd 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

held() { # FD REQUEST: one request on a connection held across the updates
	echo "$2" >&"$1" && read -t 10 -r line <&"$1" && echo "${line%$'\r'}"
}
fill_extra() {
	send "SET w1 watched" >/dev/null
	exec 3<>"/dev/tcp/127.0.0.1/$port" 4<>"/dev/tcp/127.0.0.1/$port"
	r="$(held 3 'WATCH *') $(held 4 'WATCH w1')"
	[ "$r" = "WATCHING * WATCHING w1" ] || fail "watch: $r"
}
check_extra() { # RELEASE
	r="$(held 3 WATCHING) $(held 4 WATCHING) $(send "WATCHING" "HISTORY" | tr '\n' ' ')"
	case $r in "WATCHING * WATCHING w1 WATCHING - HISTORY 32 "*) ;; *) fail "watch, history: $r" ;; esac
	[ "$1" = 1 ] && return
	r=$(send "SET ap x" "APPEND ap yz" "GET ap" | tr '\n' ' ')
	[ "$r" = "OK LENGTH 3 VALUE xyz " ] || fail "APPEND: $r"
}

run_updates
