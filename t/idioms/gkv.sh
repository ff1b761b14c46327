#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# gkv (gkv/: a key-value server on GLib's main loop and containers, the
# update descriptor watched by a g_unix_fd_add source whose callback main
# calls in the new version; GLib's hash tables, lists, queues, pointer
# arrays and strings, allocated by GLib and holding the program's structs;
# GLib's lazily created pthread keys) under idload's checking load,
# updated 1 -> 2 (members added in the middle of three structs GLib's
# containers hold) and then 2 -> 2 eleven times, with no re-registration
# code.  After every commit: the new process serves release 2, VERIFY
# passes (every entry, the history, each connection in both containers),
# every key is there, the 50 ms timeout still fires, and no request of
# the load failed.  Before, the first update committed and the new version
# aborted in GLib ("pthread_setspecific: Invalid argument"); with that
# fixed, the second update's quiescence timed out (the update
# descriptor's source stayed blocked as "in call").

[ -x "${IDIOMS_DIR:-.}/gkv-1" ] || { echo "SKIP: GLib (libglib2.0-dev) was not found at configure time"; exit 77; }
SERVER=gkv
VERSION_1="VERSION 1"
VERSION_2="VERSION 2"
. "$(dirname "$0")/lib.sh"

ticks() { echo "$census" | tr ' ' '\n' | sed -n 's/^ticks=//p'; }
ticks_above() { verify_ok "the timeout"; [ "$(ticks)" -gt "$1" ]; }

check_extra() {
	verify_ok "the timeout"
	wait_for 10 ticks_above "$(ticks)" || fail "release $1: the 50 ms timeout stopped firing"
}

run_updates
