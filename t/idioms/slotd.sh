#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# slotd (slotd/, a held-out server of wave 8: an accepting thread handing
# connections to two polling workers through pipes; per-connection `void *`
# slots holding an integer counter, a blob of raw bytes that includes the
# connection's own address, and typed statistics that grow in release 2;
# a table of tunables changed at run time into which release 2 inserts an
# entry mid-table; a store sharded under mutexes), under idload's checking
# load, updated 1 -> 2 and then 2 -> 2 five times.  A connection held
# across every update keeps its request count and its cookie; tunables set
# before the updates keep their values; the new tunable has its default.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"   # /dev/tcp for a held connection

SERVER=slotd
VERSION_1="VERSION slotd 1"
VERSION_2="VERSION slotd 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

held() { # FD REQUEST: one request on a connection held across the updates
	echo "$2" >&"$1" && read -t 10 -r line <&"$1" && echo "${line%$'\r'}"
}
held_requests=0
fill_extra() {
	r=$(send "CONFIG SET max-value 3000" "CONFIG SET idle-secs 77" | tr '\n' ' ')
	[ "$r" = "CONFIG max-value 3000 CONFIG idle-secs 77 " ] || fail "config: $r"
	exec 3<>"/dev/tcp/127.0.0.1/$port"
	held 3 "SET held 1" >/dev/null
	held_requests=1
}
check_extra() { # RELEASE
	held_requests=$((held_requests + 1))
	r="$(held 3 WHOAMI) $(send "CONFIG GET max-value" "CONFIG GET idle-secs" | tr '\n' ' ')"
	[ "$r" = "WHOAMI $held_requests self tag CONFIG max-value 3000 CONFIG idle-secs 77 " ] ||
		fail "held connection, tunables: $r"
	[ "$1" = 1 ] && return
	r=$(send "CONFIG GET log-level")
	[ "$r" = "CONFIG log-level 2" ] || fail "new tunable: $r"
}

run_updates
