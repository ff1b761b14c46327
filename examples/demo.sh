#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The ttst demo: kvd, a key-value server, is live-updated under client
# load.  1.0 -> 1.1 commits (every key survives, no client sees an error);
# 1.1 -> 1.2-bad, a release that forgot to tell ttst about a renamed member,
# is caught by the round trip through the reversed version and rolled back,
# and 1.1 goes on serving the same data.
#
# Exit status 0 only if everything happened exactly as narrated.
#
# Environment (defaults suit an installed tree):
#   KVD_DIR   directory of kvd-1.0, kvd-1.1, kvd-1.2-bad, kvc, kvload
#             (default: the directory of this script)
#   TTSTD     ttstd (default: from PATH, else next to the installed tree)
#   TTST_CTL  ttst-ctl (likewise)
#   DEMO_KEYS keys stored before the updates (default 2000)
#   DEMO_LOAD_RATE  requests per second of the client load (default 2000)
set -u

here=$(cd "$(dirname "$0")" && pwd)
KVD_DIR=${KVD_DIR:-$here}
DEMO_KEYS=${DEMO_KEYS:-2000}
DEMO_LOAD_RATE=${DEMO_LOAD_RATE:-2000}

find_tool() { # NAME: from PATH, else the installed tree around $here
	if command -v "$1" >/dev/null 2>&1; then
		command -v "$1"
		return
	fi
	for d in "$here/../../../bin" "$here/../../../sbin"; do
		if [ -x "$d/$1" ]; then
			echo "$(cd "$d" && pwd)/$1"
			return
		fi
	done
	echo "$1"
}
TTSTD=${TTSTD:-$(find_tool ttstd)}
TTST_CTL=${TTST_CTL:-$(find_tool ttst-ctl)}

say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
show() { # show and run a command, output indented; returns its status
	printf '   $ %s\n' "$(echo "$*" | sed "s|$TTST_CTL|ttst-ctl|; s|$KVD_DIR/||g; s|$tmp/|\$tmp/|g")"
	"$@" >"$tmp/out" 2>&1
	rc=$?
	sed 's/^/     /' "$tmp/out"
	return $rc
}
fail() {
	printf '\nDEMO FAILED: %s\n' "$*"
	[ -s "$tmp/ttstd.log" ] && { say "--- ttstd log:"; sed 's/^/   /' "$tmp/ttstd.log"; }
	exit 1
}

for f in "$KVD_DIR/kvd-1.0" "$KVD_DIR/kvd-1.1" "$KVD_DIR/kvd-1.2-bad" \
	 "$KVD_DIR/kvc" "$KVD_DIR/kvload"; do
	[ -x "$f" ] || { echo "demo: $f is missing: build the examples first (make), or set KVD_DIR" >&2; exit 2; }
done
for t in "$TTSTD" "$TTST_CTL"; do
	command -v "$t" >/dev/null 2>&1 ||
		{ echo "demo: cannot find $t: install ttst, or set TTSTD and TTST_CTL" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ttst-demo.XXXXXX") || exit 2
sock=$tmp/kvd.sock
ttstd_pid=
load_pid=
cleanup() {
	[ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null
	[ -n "$ttstd_pid" ] && kill "$ttstd_pid" 2>/dev/null && wait "$ttstd_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

kvc() { "$KVD_DIR/kvc" --port "$port" "$@"; }
stats_field() { # FIELD: value of FIELD=... in kvd's STATS reply
	kvc STATS | tr ' ' '\n' | sed -n "s/^$1=//p"
}

say "ttst demo: live update of the kvd key-value server under client load"
say "   tools: $TTSTD, $TTST_CTL"
say "   kvd:   $KVD_DIR"

step "1. Start kvd 1.0 under the ttstd supervisor"
say "   $ ttstd --socket \$tmp/kvd.sock -- kvd-1.0 --port 0 --port-file \$tmp/port"
"$TTSTD" --socket "$sock" --timeout 30 --log "$tmp/ttstd.log" -- \
	"$KVD_DIR/kvd-1.0" --port 0 --port-file "$tmp/port" 2>"$tmp/kvd.err" &
ttstd_pid=$!
i=0
while [ ! -s "$tmp/port" ] || [ ! -S "$sock" ]; do
	i=$((i + 1))
	[ $i -le 100 ] || { cat "$tmp/kvd.err"; fail "kvd 1.0 did not start within 10 s"; }
	kill -0 "$ttstd_pid" 2>/dev/null || { cat "$tmp/kvd.err"; fail "ttstd exited at startup"; }
	sleep 0.1
done
port=$(cat "$tmp/port")
say "   kvd 1.0 listens on 127.0.0.1:$port"
[ "$(stats_field version)" = 1.0 ] || fail "kvd does not answer as version 1.0"

step "2. Store $DEMO_KEYS keys"
show "$KVD_DIR/kvload" --port "$port" fill --keys "$DEMO_KEYS" --prefix data ||
	fail "storing the keys failed"
show "$KVD_DIR/kvc" --port "$port" "GET data:42" "GET no-such-key" "STATS"

step "3. Start the client load: 8 connections, $DEMO_LOAD_RATE requests/s, every reply checked"
"$KVD_DIR/kvload" --port "$port" run --conns 8 --rate "$DEMO_LOAD_RATE" \
	--prefix load >"$tmp/load.out" 2>&1 &
load_pid=$!
sleep 1
kill -0 "$load_pid" 2>/dev/null || { cat "$tmp/load.out"; fail "the load generator stopped"; }
say "   load running (pid $load_pid)"

step "4. Live update to kvd 1.1 (struct member added, widened, reordered; buffer grown; new counter)"
show "$TTST_CTL" --socket "$sock" update "$KVD_DIR/kvd-1.1"
rc=$?
[ $rc -eq 0 ] || fail "the update to 1.1 did not commit (ttst-ctl exit status $rc)"
say "   -> committed; the clients keep going"
sleep 1

step "5. Check: kvd 1.1 serves every key, its table is consistent, its new command works"
[ "$(stats_field version)" = 1.1 ] || fail "kvd does not answer as version 1.1 after the commit"
show "$KVD_DIR/kvload" --port "$port" check --keys "$DEMO_KEYS" --prefix data ||
	fail "keys were lost or changed by the update to 1.1"
show "$KVD_DIR/kvc" --port "$port" "VERIFY" "INFO data:42" "STATS"
grep -q '^VERIFY ok' "$tmp/out" || fail "kvd 1.1 finds its table inconsistent"
kill -0 "$load_pid" 2>/dev/null || { cat "$tmp/load.out"; fail "the load generator stopped"; }

step "6. Live update to kvd 1.2-bad (renamed stats.misses without telling ttst)"
misses=$(stats_field misses)
show "$TTST_CTL" --socket "$sock" update "$KVD_DIR/kvd-1.2-bad"
rc=$?
[ $rc -eq 1 ] || fail "the update to 1.2-bad was not rolled back (ttst-ctl exit status $rc, want 1)"
grep -q 'misses' "$tmp/out" ||
	fail "the rollback does not name stats.misses (it had the value $misses)"
say "   -> rolled back: the reversed 1.1 lost stats.misses, so 1.2-bad would have too"
sleep 1

step "7. Check: kvd 1.1 still serves every key"
[ "$(stats_field version)" = 1.1 ] || fail "kvd does not answer as version 1.1 after the rollback"
show "$KVD_DIR/kvload" --port "$port" check --keys "$DEMO_KEYS" --prefix data ||
	fail "keys were lost or changed by the rolled-back update"
show "$KVD_DIR/kvc" --port "$port" "VERIFY"
grep -q '^VERIFY ok' "$tmp/out" || fail "kvd 1.1 finds its table inconsistent after the rollback"
now_misses=$(stats_field misses)
[ "$now_misses" -ge "$misses" ] 2>/dev/null ||
	fail "stats.misses went from $misses to '$now_misses'"
say "   stats.misses kept counting: $misses before, $now_misses now"

step "8. Stop the client load"
kill -TERM "$load_pid"
wait "$load_pid"
rc=$?
load_pid=
sed 's/^/     /' "$tmp/load.out"
[ $rc -eq 0 ] || fail "clients saw failures during the updates (kvload exit status $rc)"
say "   -> no request failed; the longest wait for a reply is the update's pause"

step "9. The supervisor's record, and stop"
show "$TTST_CTL" --socket "$sock" history
kill -TERM "$ttstd_pid"
wait "$ttstd_pid"
ttstd_pid=
say "   stopped"

printf '\nDemo OK: 1.0 -> 1.1 committed under load, 1.1 -> 1.2-bad rolled back,\n'
printf 'every stored key intact and no client request failed.\n'
exit 0
