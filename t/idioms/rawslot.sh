#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# rawslot (rawslot/: values kept as raw bytes behind `void *data` - texts,
# and numbers as their 8-byte binary value -, an integer in each slot's
# `void *udata`, deleted entries marked (struct slot *)1 in the table of
# slot pointers, each client's pending input raw bytes behind `void *in`)
# under idload's checking load, updated 1 -> 2 (struct slot gains a
# member in the middle) and then 2 -> 2 eleven times.  Before the first
# update some keys are deleted, so the table holds tombstones.  After
# every commit: VERIFY (every key where it hashes, every value's bytes
# against their checksum, every udata the slot's number, the tombstones
# counted) passes, every key is there, and no request of the load failed.

SERVER=rawslot
VERSION_1="VERSION 1"
VERSION_2="VERSION 2"
. "$(dirname "$0")/lib.sh"

# Tombstones: twenty keys made and deleted.
fill_extra() {
	set --
	i=0
	while [ $i -lt 20 ]; do
		set -- "$@" "SET gone$i v$i" "DEL gone$i"
		i=$((i + 1))
	done
	[ "$(send "$@" | grep -c '^OK$')" = 40 ] || fail "SET and DEL of gone0..19 did not all answer OK"
}

check_extra() {
	v=$(send VERIFY)
	case $v in
	*" tombstones=0 "*) fail "release $1: no tombstones left in the table ($v)" ;;
	"VERIFY ok"*) ;;
	*) fail "release $1: $v" ;;
	esac
}

run_updates
