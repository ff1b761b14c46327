#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# rbkv (rbkv/, wave 10's red team: an intrusive red-black tree, the node in
# the middle of each entry reached back with container_of, its colour the
# low bit of the parent pointer (a black node's parent word points one
# byte into its parent's node, the root's is 1); keys in the entries'
# flexible arrays, values raw bytes behind `void *`; every block behind the
# 16-byte magic+size header of a wrapper returning `p + 2` of a
# `uint64_t *`; a SCAN cursor into the tree held across requests and a
# freed entry still pointed to; release 2 grows the entries before their
# node), under idload's checking load, updated 1 -> 2 and then 2 -> 2 five
# times.  After every commit: VERIFY (parent words, colours, black
# heights, order, every header: ttst moves a grown entry with its header
# as it is, so a header holds the size of either release), every key,
# SCAN going on from where it was, and in release 2 a key's read count
# continuing.

SERVER=rbkv
VERSION_1="VERSION rbkv 1"
VERSION_2="VERSION rbkv 2"
NUPDATES=6
. "$(dirname "$0")/lib.sh"

# The c keys in the tree's order: SCAN walks them one by one.
seq 0 $((FILL_KEYS - 1)) | sed 's/^/c/' | LC_ALL=C sort >"$tmp/ckeys"
scanned=
fill_extra() {
	[ "$(send "SET hk hv")" = OK ] || fail "SET hk"
	# Move the cursor to the first c key: every key before it is an
	# L, a or b key.
	until [ "$scanned" = c0 ]; do
		r=$(send SCAN) || fail "SCAN got no reply"
		case $r in
		"KEY "*) scanned=${r#KEY } ;;
		*) fail "SCAN: $r" ;;
		esac
	done
}

hits=0
check_extra() { # RELEASE
	[ -n "$scanned" ] || return 0
	want=$(sed -n "/^$scanned\$/{n;p;}" "$tmp/ckeys")
	r=$(send SCAN)
	[ "$r" = "KEY $want" ] || fail "release $1: SCAN after $scanned gave '$r', not KEY $want"
	scanned=$want
	[ "$1" = 2 ] || return 0
	r=$(send "GET hk" "HITS hk" | tr '\n' ' ')
	hits=$((hits + 1))
	[ "$r" = "VALUE hv HITS $hits " ] || fail "HITS: $r (want $hits)"
}

run_updates
