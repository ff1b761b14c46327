#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# ilist (ilist/: an epoll key-value cache on intrusive lists - each entry
# on a hash chain and an LRU list through nodes in its middle, reached
# back with container_of; epoll's data.ptr pointing to a handler embedded
# in the middle of each connection and of a static listener; values as
# `struct buf` (length + flexible bytes) behind `void *`; a per-request
# bump arena) under idload's checking load, updated 1 -> 2 (struct entry
# reordered with members added before both list nodes, a counter widened,
# the connection's name array grown in front of its handler, an
# enumerator inserted in the middle of enum kind) and then 2 -> 2 eleven
# times; before the first update and after it, updates to a build of
# release 2 whose startup crashes and to release 2 without its arguments
# must roll back, leaving the running process serving, intact.  After
# every commit: VERIFY (every chain and LRU link, every
# kind and length, every connection's handler) passes, every key is
# there, the LRU order of keys nobody touched is the same, and no request
# of the load failed.

SERVER=ilist
VERSION_1="VERSION ilist 1"
VERSION_2="VERSION ilist 2"
. "$(dirname "$0")/lib.sh"

# Keys only this script touches, made last: the head of the LRU list until
# the load's keys push in front of them; their relative order must stay.
fill_extra() {
	[ "$(send "SET z1 first" "SET z2 22" "SET z3 third" "GET z1" | tr '\n' ' ')" = "OK OK OK VALUE first " ] ||
		fail "SET z1..z3 failed"
}

# expect_rollback RELEASE WHAT REASON NEW [ARGS...]: an update to NEW must
# roll back with a report containing REASON, and the same process must
# go on serving RELEASE with everything it had.
expect_rollback() {
	release=$1 what=$2 reason=$3
	shift 3
	old_pid=$(served_pid)
	updates_tried=$((updates_tried + 1))
	"$TTST_CTL" --socket "$sock" update --timeout 30 "$@" >"$tmp/bad.out" 2>&1
	rc=$?
	note "update to $what: exit status $rc; the report:"
	sed 's/^/  | /' "$tmp/bad.out"
	[ $rc -eq 1 ] || fail "update to $what: exit status $rc, not 1 (rolled back)"
	grep -q "$reason" "$tmp/bad.out" || fail "update to $what: the report does not say '$reason'"
	[ "$(served_pid)" = "$old_pid" ] || fail "update to $what: pid $(served_pid), was $old_pid"
	[ "$(send VERSION)" = "VERSION ilist $release" ] ||
		fail "update to $what: serving '$(send VERSION)' after the rollback"
	verify_ok "after the update to $what"
	check_filled "after the update to $what"
	serves "after the update to $what" "bad$release"
}

bad_updates_done=
check_extra() {
	# Broken releases roll back: from the original process (before the
	# load) and from an updated one (under load).
	case " $bad_updates_done " in
	*" $1 "*) ;;
	*)
		bad_updates_done="$bad_updates_done $1"
		expect_rollback "$1" "a build whose startup crashes" SIGSEGV "$IDIOMS_DIR/ilist-broken"
		expect_rollback "$1" "release 2 without its arguments" "usage: ilist" "$IDIOMS_DIR/ilist-2" --
		;;
	esac

	r=$(send "BEFORE z1 z3" "BEFORE z3 z2" | tr '\n' ' ')
	[ "$r" = "YES YES " ] || fail "release $1: z1, z3, z2 not in this order in the LRU list ($r)"
	if [ "$1" = 2 ]; then
		[ "$(send "SET empty$$ \"\"" "GET empty$$" | tr '\n' ' ')" = "OK VALUE  " ] ||
			fail "release 2 does not keep an empty value"
	fi
}

run_updates
