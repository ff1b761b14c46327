#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# uvtick (uvtick/, wave 15's hunt: libuv with two timers embedded in every
# session beside its uv_tcp_t, a heartbeat and an idle timeout restarted
# at every request, so libuv's timer heap links the program's sessions;
# sessions found by container_of; values as uv_buf_t; release 2 grows
# sessions before their timers and entries, and reports a period only its
# startup sets), under idload's checking load, updated 1 -> 2 and then
# 2 -> 2 five times.  After every commit: VERIFY (every session's timers
# active and due within their periods), every session's heartbeat still
# ticking (STATS twice, 0.5 s apart), and in release 2 the new startup's
# period.

SERVER=uvtick
VERSION_1="VERSION uvtick 1"
VERSION_2="VERSION uvtick 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

check_extra() { # RELEASE
	sessions=1   # STATS's own, and the load's once it runs
	[ "$updates_tried" -eq 0 ] || sessions=$((1 + LOAD_CONNS))
	send STATS >/dev/null
	sleep 0.5
	got=$(send STATS)
	[ "$got" = "STATS sessions=$sessions stalled=0" ] || fail "heartbeats: $got"

	if [ "$1" = 2 ]; then
		got=$(send "PERIOD" | tr '\n' ' ')
		[ "$got" = "PERIOD 40 " ] || fail "release 2's period: $got"
	fi
}

run_updates
