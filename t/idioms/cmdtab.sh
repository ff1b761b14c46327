#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# cmdtab (cmdtab/: requests dispatched through a static table of structs
# with handlers and call counters; the version string a literal a static
# pointer points to) under idload's checking load, updated 1 -> 2 (the
# table gains STRLEN in its middle, struct command gains flags, which
# the entries of 1 must take from 2's table, the version text changes) and then
# 2 -> 2 eleven times.  After every commit: the server reports 2's version
# text, STRLEN works, no command's call counter went back, VERIFY (every
# entry named, with its handler and flags, the counters adding up) passes, every key
# is there, and no request of the load failed.

SERVER=cmdtab
VERSION_1="VERSION cmdtab/1.0.3"
VERSION_2="VERSION cmdtab/2.0.0"
. "$(dirname "$0")/lib.sh"

calls_before=

# STATS NAME=calls ...: no counter went back (the update carries them).
check_extra() {
	stats=$(send STATS)
	for pair in $calls_before; do
		name=${pair%%=*}
		now=$(echo "$stats" | tr ' ' '\n' | sed -n "s/^$name=//p")
		[ -n "$now" ] && [ "$now" -ge "${pair#*=}" ] ||
			fail "release $1: $name was called ${pair#*=} times, now '$now' ($stats)"
	done
	calls_before=$(echo "${stats#STATS }")
	if [ "$1" = 2 ]; then
		[ "$(send "STRLEN a0")" = "LEN 8" ] || fail "STRLEN a0: $(send "STRLEN a0")"
		echo "$stats" | grep -q ' STRLEN=' || fail "STATS does not list STRLEN: $stats"
	fi
}

run_updates
