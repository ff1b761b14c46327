#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Descriptors 0-2 across updates.  ttstd started without descriptor 0 gives
# the program /dev/null there, and libstf keeps its control connection far
# from 0-2: a server that takes an accepted descriptor 0 for "no
# connection" (and never answers it) keeps answering every client after
# two updates, each of which frees the previous control connection.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c -DZERO_IS_NONE
build v2/counter v2/counter.c -DZERO_IS_NONE

start_ttstd --name stdfds -- "$WORK/v1/counter" "$SRV" 0<&-
wait_connected

# q with a bound: a connection accepted as descriptor 0 is never answered
tq() { timeout 5 "$TQ" line "$SRV" "$1" || echo "(no answer)"; }

check_fds() {
	pid=$(program_pid)
	for fd in 0 1 2; do
		t=$(readlink "/proc/$pid/fd/$fd") || fail "$1: descriptor $fd of pid $pid is not open"
		case $t in socket:*) fail "$1: descriptor $fd of pid $pid is a socket ($t)";; esac
	done
	[ "$(readlink "/proc/$pid/fd/0")" = /dev/null ] ||
		fail "$1: descriptor 0 is $(readlink "/proc/$pid/fd/0"), not /dev/null"
	# libstf's control connection: the only socket besides the listener,
	# at a high number
	for fd in $(ls "/proc/$pid/fd"); do
		case $(readlink "/proc/$pid/fd/$fd") in
		socket:*) [ "$fd" -eq 3 ] || [ "$fd" -ge 100 ] ||
			fail "$1: a socket at descriptor $fd of pid $pid";;
		esac
	done
}

expect "add" "$(tq "add 1 11")" ok
check_fds "before"
ctl update "$WORK/v2/counter" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "update 1"; }
check_fds "after update 1"
expect "get after update 1" "$(tq "get 1")" 11
expect "add after update 1" "$(tq "add 2 22")" ok
ctl update "$WORK/v2/counter" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "update 2"; }
check_fds "after update 2"
for i in 1 2 3; do
	expect "get after update 2 ($i)" "$(tq "get 2")" 22
done
echo ok
