#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The systemd unit template ttst@.service: systemd-analyze verify accepts
# it, and its own ExecStart= and ExecReload= command lines (taken from the
# unit and expanded as systemd does for instance "kvd", by unit-exec.py)
# supervise kvd and live-update it: a reload to a good release exits 0, a
# reload to a release that is rolled back exits 1 (a failed reload for
# systemd) with the old release serving the same data, a reload to a
# missing binary exits non-zero with nothing changed.  Under systemd,
# ttstd writes sd-daemon priority prefixes when its stderr is the
# journal's stream (JOURNAL_STREAM) and notifies READY=1 and STATUS= on
# NOTIFY_SOCKET.

. "$(dirname "$0")/lib.sh"

unit_in=$TOP_SRCDIR/systemd/ttst@.service.in
[ -r "$unit_in" ] || fail "$unit_in is missing"

# The unit as installed with bindir and sysconfdir inside $tmp, so that
# the commands it names are this build's.
mkdir -p "$tmp/bin" "$tmp/etc/ttst" "$tmp/run"
ln -s "$TTSTD" "$tmp/bin/ttstd"
ln -s "$TTST_CTL" "$tmp/bin/ttst-ctl"
sed -e "s|@bindir@|$tmp/bin|g" -e "s|@sysconfdir@|$tmp/etc|g" "$unit_in" >"$tmp/ttst@.service"
grep -q '@[a-z]*@' "$tmp/ttst@.service" && fail "unsubstituted paths left in the unit"
conf=$tmp/etc/ttst/kvd.conf
configure() { # RELEASE: the configuration an operator edits before a reload
	printf 'TTST_BINARY=%s\nTTST_ARGS=--port 0 --port-file %s\nTTST_TIMEOUT=30\n' \
		"$1" "$tmp/port" >"$conf"
}

# ---- systemd-analyze verify (the unit instantiated for kvd)
cp "$tmp/ttst@.service" "$tmp/ttst@kvd.service"
configure "$KVD_DIR/kvd-1.0"
if ! command -v systemd-analyze >/dev/null 2>&1; then
	note "systemd-analyze is not installed: unit not verified (install the systemd package)"
elif ! systemd-analyze --version >/dev/null 2>&1; then
	note "systemd-analyze cannot run here: unit not verified"
else
	systemd-analyze verify --man=no "$tmp/ttst@kvd.service" >"$tmp/verify.out" 2>&1 || {
		cat "$tmp/verify.out"
		fail "systemd-analyze verify rejects the unit"
	}
	note "systemd-analyze verify: ok"
fi

unit_exec() { python3 "$(dirname "$0")/unit-exec.py" "$tmp/ttst@.service" kvd "$@"; }
# The notification listener and ttstd started below end with the test.
notify_pid=
trap 'kill $notify_pid 2>/dev/null; cleanup' EXIT

# ---- ExecStart, with stderr standing for the journal's stream and a
# notification socket listening as systemd would.
export XDG_RUNTIME_DIR=$tmp/run
: >"$tmp/journal"
export JOURNAL_STREAM
JOURNAL_STREAM=$(stat -c '%d:%i' "$tmp/journal")
export NOTIFY_SOCKET=$tmp/notify
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(8192) + b"\n--\n")
' "$NOTIFY_SOCKET" "$tmp/notified" &
notify_pid=$!
while [ ! -e "$NOTIFY_SOCKET.ready" ]; do sleep 0.05; done
# Not through the unit_exec function: $! must be the process that becomes
# ttstd (unit-exec.py execs it), which cleanup stops.
python3 "$(dirname "$0")/unit-exec.py" "$tmp/ttst@.service" kvd ExecStart 2>>"$tmp/journal" &
ttstd_pid=$!
unset JOURNAL_STREAM NOTIFY_SOCKET
i=0
while [ ! -s "$tmp/port" ] || ! grep -q 'READY=1' "$tmp/notified" 2>/dev/null; do
	i=$((i + 1))
	[ $i -le 200 ] || { cat "$tmp/journal"; fail "ExecStart: kvd or READY=1 missing after 10 s"; }
	kill -0 "$ttstd_pid" 2>/dev/null || { cat "$tmp/journal"; fail "ExecStart: ttstd exited"; }
	sleep 0.05
done
port=$(cat "$tmp/port")
[ "$(stats_field version)" = 1.0 ] || fail "ExecStart does not serve kvd 1.0"
[ -S "$tmp/run/ttst/kvd.sock" ] || fail "ttstd --name kvd has no socket in \$XDG_RUNTIME_DIR/ttst"
kvload fill --keys 1000 --seed 3 --prefix sd >/dev/null || fail "fill failed"
# Misses, counted in a member 1.2-bad loses (it forgot a rename).
kvload check --keys 100 --prefix absent >/dev/null 2>&1
note "ExecStart: kvd 1.0 serving under ttstd, READY=1 notified"

reload() { # WANT-STATUS: ExecReload= must exit so
	unit_exec ExecReload >"$tmp/reload.out" 2>&1
	rc=$?
	sed 's/^/  | /' "$tmp/reload.out"
	[ $rc -eq "$1" ] || fail "ExecReload exited $rc, expected $1"
}

# ---- reload to a good release: exit 0, 1.1 serves the same data
configure "$KVD_DIR/kvd-1.1"
reload 0
[ "$(stats_field version)" = 1.1 ] || fail "not serving 1.1 after a successful reload"
kvload check --keys 1000 --seed 3 --prefix sd >/dev/null || fail "data lost by the reload"
note "reload to 1.1: exit 0, committed"

# ---- reload to a release the validation rejects: exit 1, 1.1 serves on
configure "$KVD_DIR/kvd-1.2-bad"
reload 1
grep -q 'rolled back' "$tmp/reload.out" || fail "the failed reload does not say it was rolled back"
[ "$(stats_field version)" = 1.1 ] || fail "not serving 1.1 after a failed reload"
kvload check --keys 1000 --seed 3 --prefix sd >/dev/null || fail "data lost by the failed reload"
note "reload to 1.2-bad: exit 1, rolled back"

# ---- reload to a binary that does not exist: non-zero, nothing changes
configure "$tmp/no-such-kvd"
unit_exec ExecReload >"$tmp/reload.out" 2>&1 && fail "a reload to a missing binary exited 0"
[ "$(stats_field version)" = 1.1 ] || fail "not serving 1.1 after a reload to a missing binary"
note "reload to a missing binary: exit $(unit_exec ExecReload >/dev/null 2>&1; echo $?)"

# ---- the journal: one prefixed line per message, warnings at <4>
grep -q '^<6>ttstd\[kvd\]: started ' "$tmp/journal" || { cat "$tmp/journal"; fail "no '<6>ttstd[kvd]: started' line for the journal"; }
grep -q '^<4>ttstd\[kvd\]: update #2: rolled back' "$tmp/journal" ||
	{ cat "$tmp/journal"; fail "the rolled back update is not logged at priority 4"; }
grep '^ttstd\|^[0-9]\{4\}-[0-9][0-9]-' "$tmp/journal" | grep -q 'ttstd\[' &&
	{ cat "$tmp/journal"; fail "ttstd wrote time-stamped lines to the journal"; }
grep -q '^STATUS=update #1: committed' "$tmp/notified" ||
	{ cat "$tmp/notified"; fail "no STATUS= notification of the committed update"; }
note "journal: $(grep -c '^<[0-9]>ttstd' "$tmp/journal") prefixed lines, $(grep -c '^<4>' "$tmp/journal") warnings"
