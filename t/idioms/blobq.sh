#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# blobq (blobq/, wave 22's hunt: libev, values as `struct msg { size_t
# len; unsigned char data[]; }` behind `void *` recycled through free
# lists threaded through the dead messages' first word, binary values
# holding addresses (an item's own bytes copied by SNAP, and the bytes of
# one of its pointers sent back by the client), slot numbers and enum
# values in `void *` members, `(struct node *)1` ending the queues, freed
# connections left in their slots, dead queue nodes keeping given-back
# messages; release 2 grows the connection before its watchers, the item
# and the node) under idload's checking load, updated 1 -> 2 and then
# 2 -> 2 three times.  After every commit: VERIFY (items, queues, the
# free lists' counts, each connection's slot in its watcher), every key,
# the binary values byte for byte, the queues' order.
# blobq-O0.sh runs the same on the server built at -O0.
# Not run by make check (WAITING_TESTS in Makefile.am): update 1 commits
# with the cache's free lists broken (VERIFY: 14 of 26 cached messages
# found), or rolls back on 4 bytes of a message's unused capacity.

SERVER=${SERVER:-blobq}
VERSION_1="VERSION blobq 1"
VERSION_2="VERSION blobq 2"
NUPDATES=${NUPDATES:-4}
. "$(dirname "$0")/lib.sh"

BLOB_IDS="1 9 20"
fill_extra() {
	set --
	for i in $(seq 1 20); do
		set -- "$@" "PUSH q$i v$i-1" "PUSH q$i v$i-2" "PUSH q$i v$i-3" "POP q$i" \
			"SET t$i text$i" "SNAP t$i snap$i" "PUTB bin$i 00ff10$(printf %02x "$i")deadbeef00" \
			"SET gone$i $(printf %0200d "$i")" "DEL gone$i"
	done
	send "$@" >/dev/null || fail "filling the extra keys failed"
	for i in $BLOB_IDS; do
		snap=$(send "GETB snap$i")
		case $snap in "BLOB "????????????????????????????????*) ;; *) fail "GETB snap$i: $snap" ;; esac
		# the item's key pointer (its second word), sent back four times
		ptr=$(echo "$snap" | cut -c22-37)
		r=$(send "PUTB ptr$i $ptr$ptr$ptr$ptr")
		[ "$r" = OK ] || fail "PUTB ptr$i: $r"
		eval "snap_$i=\$snap; ptr_$i=\$ptr"
	done
	checks=0
}

check_extra() { # RELEASE
	checks=$((checks + 1))
	for i in $BLOB_IDS; do
		eval "snap=\$snap_$i; ptr=\$ptr_$i"
		r=$(send "GETB snap$i" "GETB ptr$i" "GETB bin$i" "KIND snap$i" "KIND q$i" "KIND gone$i" "GET t$i" | tr '\n' ' ')
		[ "$r" = "$snap BLOB $ptr$ptr$ptr$ptr BLOB 00ff10$(printf %02x "$i")deadbeef00 KIND blob KIND queue KIND none VALUE text$i " ] ||
			fail "release $1: values of $i: '$r' (the snapshot was $snap)"
		case $checks in
		1) head=v$i-2 ;;
		2) head=v$i-3 ;;
		*) head=w$((checks - 2)) ;;
		esac
		r=$(send "PUSH q$i w$checks" "POP q$i" "QLEN q$i" | tr '\n' ' ')
		[ "$r" = "LEN 3 VALUE $head LEN 2 " ] || fail "release $1: queue q$i: '$r', its head should be $head"
	done
	r=$(send "PUSH fresh$checks a" "PUSH fresh$checks b" "POP fresh$checks" "POP fresh$checks" "POP fresh$checks" | tr '\n' ' ')
	[ "$r" = "LEN 1 LEN 2 VALUE a VALUE b EMPTY " ] || fail "release $1: a new queue: $r"
}

run_updates
