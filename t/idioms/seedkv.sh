#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# seedkv (seedkv/: libev, a hash whose buckets mix in the bytes of a
# static key table holding its label's address, read in the function the
# table is passed to, the table marked STF_BYTES_REBUILT and rehashed by
# an stf_on_commit() hook; connections from new_conn() calling
# xmalloc(sizeof(struct conn)), each with an ev_io and an idle ev_timer
# embedded, so libev's timer heap points into them; release 2 grows the
# connection in front of its watchers and the item in its middle) under
# idload's checking load, updated 1 -> 2 and then 2 -> 2 five times.
# After every commit: VERIFY (every item in the bucket its key hashes to
# now), every key, and one rehash per commit.

SERVER=seedkv
VERSION_1="VERSION seedkv 1"
VERSION_2="VERSION seedkv 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

commits=0
check_extra() { # RELEASE
	[ "$1" = 1 ] || commits=$((commits + 1))
	r=$(send REHASHES)
	[ "$r" = "REHASHES $commits" ] || fail "release $1: '$r' after $commits commits"
	r=$(send "SET fresh$commits v$commits" "GET fresh$commits" "GET a7" | tr '\n' ' ')
	case $r in "OK VALUE v$commits VALUE "?*) ;; *) fail "release $1: $r" ;; esac
}

run_updates
