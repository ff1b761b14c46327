#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# giokv (giokv/, wave 15's hunt: GIO's GSocketService, each connection's
# session holding its GSocketConnection and always a read pending in GIO
# (g_input_stream_read_async into the session's buffer, the session the
# callback's data), the store a GHashTable of GStrings, the sessions in a
# GHashTable keyed by their address and in a GQueue; release 2 grows the
# session before its buffer and has a greeting only its startup sets),
# under idload's checking load, updated 1 -> 2 and then 2 -> 2 five
# times.  After every commit: VERIFY (every session in both containers,
# with its read pending), requests counted never fewer, and in release 2
# the new startup's greeting, and one GLib worker thread (gmain, which
# GIO starts and which never reaches an update point: quiescent while it
# polls in GLib, started again by every new version at its commit; before,
# the first update rolled back, the quiescence timing out on it).

[ -x "${IDIOMS_DIR:-.}/giokv-1" ] || { echo "SKIP: GIO (libglib2.0-dev) was not found at configure time"; exit 77; }
SERVER=giokv
VERSION_1="VERSION giokv 1"
VERSION_2="VERSION giokv 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

last_requests=0
threads_named() { # NAME: how many threads of the served process have it
	n=0
	for c in /proc/"$(served_pid)"/task/*/comm; do
		[ "$(cat "$c" 2>/dev/null)" = "$1" ] && n=$((n + 1))
	done
	echo $n
}
check_extra() { # RELEASE
	got=$(send STATS)
	reqs=${got##*requests=}
	[ "$reqs" -gt "$last_requests" ] 2>/dev/null || fail "requests counted: $got (was $last_requests)"
	last_requests=$reqs
	[ "$(threads_named gmain)" = 1 ] || fail "GLib's worker threads (gmain): $(threads_named gmain)"
	if [ "$1" = 2 ]; then
		got=$(send "HELLO" | tr '\n' ' ')
		[ "$got" = "HELLO giokv 2 at your service " ] || fail "release 2's greeting: $got"
	fi
}

run_updates
