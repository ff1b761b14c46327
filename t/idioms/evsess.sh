#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# evsess (evsess/, wave 22's hunt: libevent's evconnlistener and a
# bufferevent per session whose input evbuffer holds a partial request
# across the update, an idle timer embedded in each session by
# event_assign and re-armed by every request, a static struct embedding a
# persistent sweep timer, a SIGHUP signal event and the event on
# stf_update_fd(); deleted items buried 2 s later by event_base_once with
# the item as argument; release 2 grows the session before and after its
# event, gives it a limits pointer that must not be NULL (an
# stf_on_commit() hook sets it for release 1's sessions) and adds to the
# static struct a pointer to counters its startup allocates), under
# idload's checking load, updated 1 -> 2 and then 2 -> 2 five times, also
# at -O2 (evsess-O2.sh).  After every commit: VERIFY (every session's idle
# event pending with its argument, its bufferevent on the base, its
# limits; the static events pending), every key, a request left half-sent
# on a held connection before the update completed after it, the item
# deleted before the update buried after it, the sweep timer and SIGHUP
# counted.

SERVER=${SERVER:-evsess}
VERSION_1="VERSION evsess 1"
VERSION_2="VERSION evsess 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

stat_of() { # NAME: its number in STATS
	send STATS | tr ' ' '\n' | sed -n "s/^$1=//p"
}
above() { [ "$(stat_of "$1")" -gt "$2" ]; }
buried() { [ "$(send "GRAVE $1")" = "GRAVE none" ]; }

# A held connection: each line written to $tmp/held.in completes the
# half-sent "SET held" with " vN" and reads it back; "SET held" is sent
# again, half, for the next update.  Replies go to $tmp/held.out.
hold_connection() {
	mkfifo "$tmp/held.in" || fail "mkfifo"
	python3 - "$port" "$tmp/held.in" "$tmp/held.out" <<'EOF' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
out = open(sys.argv[3], "a", buffering=1)
s.sendall(b"SET held")
with open(sys.argv[2]) as cmds:
    for n in cmds:
        s.sendall((" v%s\nGET held\n" % n.strip()).encode())
        out.write(f.readline().decode().strip() + " " + f.readline().decode().strip() + "\n")
        s.sendall(b"SET held")
EOF
	held_pid=$!
	exec 7>"$tmp/held.in"
}

grave=
fill_extra() {
	hold_connection
	[ "$(send "SET grave0 x" "DEL grave0" | tr '\n' ' ')" = "OK OK " ] || fail "SET/DEL grave0"
	grave=grave0
}

check_extra() { # RELEASE
	n=$updates_tried
	echo "$n" >&7
	wait_for 10 grep -q "^OK VALUE v$n\$" "$tmp/held.out" ||
		fail "release $1: the half-sent request was not completed: $(tail -n 2 "$tmp/held.out")"
	wait_for 10 buried "$grave" || fail "release $1: $grave was never buried: $(send STATS)"
	grave=grave$((n + 1))
	[ "$(send "SET $grave x" "DEL $grave" "GRAVE $grave" | tr '\n' ' ')" = "OK OK GRAVE pending " ] ||
		fail "release $1: SET/DEL $grave"
	s=$(stat_of sweeps)
	h=$(stat_of hups)
	wait_for 5 above sweeps "$s" || fail "release $1: the sweep timer stopped ($(send STATS))"
	kill -HUP "$(served_pid)" || fail "release $1: cannot signal the server"
	wait_for 5 above hups "$h" || fail "release $1: SIGHUP not counted ($(send STATS))"
}

run_updates
