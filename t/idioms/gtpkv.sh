#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# gtpkv (gtpkv/: a GHashTable store and a GLib GThreadPool of two workers
# computing digests and replying themselves; release 2 grows the item)
# under idload's checking load, updated 1 -> 2 and then 2 -> 2 three
# times.  After every commit: VERIFY, every key, a digest computed by a
# worker of the new version, and the jobs counted.  XFAIL: the pool's idle
# workers wait in GLib's async queue, and started again in the new
# version each would count itself into the pool twice, so the update
# rolls back naming them (t/xfer/gpool19; ttst(7) LIMITATIONS).

[ -x "${IDIOMS_DIR:-.}/gtpkv-1" ] || { echo "SKIP: GLib was not found at configure time"; exit 77; }
SERVER=gtpkv
VERSION_1="VERSION gtpkv 1"
VERSION_2="VERSION gtpkv 2"
NUPDATES=4
. "$(dirname "$0")/lib.sh"

jobs=0
check_extra() { # RELEASE
	want=$(printf 'digest-me' | sha256sum | cut -d' ' -f1)
	r=$(send "SET dg digest-me" "DIGEST dg" | tr '\n' ' ')
	[ "$r" = "OK DIGEST $want " ] || fail "release $1: DIGEST gave '$r'"
	jobs=$((jobs + 1))
	r=$(send JOBS)
	[ "$r" = "JOBS $jobs" ] || fail "release $1: '$r', not JOBS $jobs"
}

run_updates
