#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# aprd (aprd/: a key-value server on Debian's real APR, libapr-1: a
# long-lived pool with an apr_hash_t of records and an apr_table_t of
# names, a sub-pool per record and per connection, cleanups registered
# with the program's callbacks and data; records, connections and strings
# apr_palloc'd, nothing annotated; release 2 grows the record struct in
# its middle and at its end), under idload's checking load, updated 1 -> 2
# and then 2 -> 2 five times.  After every commit: VERIFY (every record
# where the hash has it, in a sub-pool of the store, the records the
# cleanups saw made and gone against the hash's count, the connections),
# every name of the table, a record made and deleted (its pool's cleanup,
# a callback of the new version, counts it gone), and in release 2 a
# record's revision counting on.  Release 2's records move out of their
# pools (libstf/transfer/apr-pools.c: APR's nodes walked, its own words
# told from the user data it hands back, the objects of dead pools
# forgotten); before, the first update rolled back, the grown record
# pinned by the pool's mark of its first free byte, before that on
# "stale" raw pointers in every pool node APR's allocator maps, and with
# those fixed but no pool allocator site for apr_palloc it committed
# wrong (the new version died of SIGSEGV reading the records in release
# 1's layout).

[ -x "${IDIOMS_DIR:-.}/aprd-1" ] || { echo "SKIP: APR (libapr1-dev) was not found at configure time"; exit 77; }
SERVER=aprd
VERSION_1="VERSION aprd 1"
VERSION_2="VERSION aprd 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

fill_extra() {
	for i in $(seq 0 19); do
		[ "$(send "NAME n$i v$i")" = OK ] || fail "NAME n$i"
	done
}

gone() { echo "$census" | tr ' ' '\n' | sed -n 's/^gone=//p'; }

revs=
check_extra() { # RELEASE
	for i in $(seq 0 19); do
		r=$(send "NAMEOF n$i")
		[ "$r" = "NAME v$i" ] || fail "release $1: NAMEOF n$i gave '$r'"
	done
	verify_ok "release $1: before a DEL"
	before=$(gone)
	r=$(send "SET gone$1 x" "DEL gone$1" | tr '\n' ' ')
	[ "$r" = "OK OK " ] || fail "release $1: SET and DEL gave '$r'"
	verify_ok "release $1: after a DEL"
	[ "$(gone)" -gt "$before" ] || fail "release $1: the record pool's cleanup did not run (gone $before, then $(gone))"
	[ "$1" = 2 ] || return 0
	r=$(send "SET rk v$n" "REVS rk" | tr '\n' ' ')
	case $r in "OK REVS "*) ;; *) fail "REVS: $r" ;; esac
	r=${r#OK REVS }
	r=${r% }
	[ -z "$revs" ] || [ "$r" = $((revs + 1)) ] || fail "REVS went from $revs to $r"
	revs=$r
}

run_updates
