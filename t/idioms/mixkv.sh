#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# mixkv (mixkv/: libevent events embedded in connections of a
# size-prefixing wrapper defined in another unit, a table of `void *` with
# tombstones, records with bytes behind them, integers and freed addresses
# in pointer members, a pool reset as a whole, a mutable command table that
# gains a member and an entry) under idload's checking load, updated 1 -> 2
# and then 2 -> 2 eleven times.  After every commit VERIFY passes, every
# key is there, no request failed, and 300 new keys (new records, wrapper
# blocks and history entries allocated after the commit) are set and read
# back.

SERVER=mixkv
VERSION_1="VERSION 1"
VERSION_2="VERSION 2"
. "$(dirname "$0")/lib.sh"

round=0
check_extra() { # RELEASE
	round=$((round + 1))
	"$IDIOMS_DIR/idload" --port "$port" fill "n$round-" 300 >/dev/null ||
		fail "$SERVER-$1: setting new keys (round $round)"
	"$IDIOMS_DIR/idload" --port "$port" check "n$round-" 300 >/dev/null ||
		fail "$SERVER-$1: reading new keys back (round $round)"
	verify_ok "after new keys (round $round)"
}

run_updates
