# SPDX-License-Identifier: GPL-3.0-or-later
#
# Shared by the idiom tests (t/idioms/*.sh), modelled on t/live/lib.sh: one
# idiom test server, SERVER-1 and SERVER-2 (built here), supervised by the
# real ttstd, updated with the real ttst-ctl, under the checking load of
# idload over TCP.  A test script sets
#   SERVER      the server's name (evkv, sizehdr, ...);
#   VERSION_1, VERSION_2   its exact reply to VERSION in each release;
# may set NUPDATES (default 12: 1 -> 2, then 2 -> 2 eleven times) and
# may define the hooks fill_extra (state of its own, after the common fill)
# and check_extra RELEASE (checks of its own after each commit), then calls
# run_updates.  Paths come from the environment set in Makefile.am (TTSTD,
# TTST_CTL, IDIOMS_DIR, STF_PLUGIN).
#
# Exit status: 0 passed, 77 skipped, 1 failed once an update was tried
# (what ttst must fix: the reason is printed), 99 failed before any update
# (the server, the load or the test itself is broken: an XFAIL test must
# not hide that).

set -u

updates_tried=0
skip() { echo "SKIP: $*"; exit 77; }
fail() {
	echo "FAIL: $*"
	if [ -s "$tmp/ttstd.log" ]; then
		echo "--- ttstd log (last 40 lines):"
		tail -n 40 "$tmp/ttstd.log"
	fi
	[ "$updates_tried" -gt 0 ] || { echo "(before any update: a hard error)"; exit 99; }
	exit 1
}
note() { echo "# $*"; }

[ -f "${STF_PLUGIN:-}" ] || skip "the stf.so plugin is not built (${STF_PLUGIN:-STF_PLUGIN unset})"
for f in "${TTSTD:-}" "${TTST_CTL:-}"; do
	[ -x "$f" ] || skip "$f is not built"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ttst-idioms.XXXXXX") || exit 99
sock=$tmp/ctl.sock
ttstd_pid=
load_pid=
port=

for p in "$SERVER-1" "$SERVER-2" idload; do
	[ -x "$IDIOMS_DIR/$p" ] || fail "$IDIOMS_DIR/$p is missing although the plugin exists"
done

cleanup() {
	[ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null
	if [ -n "$ttstd_pid" ]; then
		kill "$ttstd_pid" 2>/dev/null
		wait "$ttstd_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

FILL_PREFIXES="a b c d e f"   # 6 x FILL_KEYS keys, numbers and texts
FILL_KEYS=400
LOAD_CONNS=4
# Seconds a load request may wait for its reply: past an update's pause
# under a loaded machine, short of the 30-minute wait for a connection an
# update broke (64 timeouts of idload's default 30 s).
LOAD_TIMEOUT=10

# send LINE...: each line as one request, the replies on stdout.
send() { "$IDIOMS_DIR/idload" --port "$port" send "$@"; }

served_pid() { "$TTST_CTL" --socket "$sock" status | sed -n 's/^pid: *//p'; }

# wait_for SECONDS COMMAND...: run COMMAND until it succeeds; status 1 if
# it did not within SECONDS.
wait_for() {
	deadline=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt $deadline ] || return 1
		kill -0 "$ttstd_pid" 2>/dev/null || fail "ttstd exited while waiting for: $*"
		sleep 0.05
	done
}

# The server's check of its own state must pass; its census in $census.
verify_ok() { # CONTEXT
	v=$(send VERIFY) || fail "$1: VERIFY got no reply"
	case $v in
	"VERIFY ok"*) census=${v#VERIFY ok } ;;
	*) fail "$1: $SERVER's state is inconsistent: $v" ;;
	esac
}

# Every key the fill stored is there with its value.
check_filled() { # CONTEXT
	for p in $FILL_PREFIXES; do
		"$IDIOMS_DIR/idload" --port "$port" check "$p" "$FILL_KEYS" 2>"$tmp/check.err" ||
			fail "$1: keys lost or changed: $(head -n 3 "$tmp/check.err")"
	done
}

# The server serves a new request (a new connection, a new key).
serves() { # CONTEXT N
	r=$(send "SET probe$2 p$2" "GET probe$2" | tr '\n' ' ')
	[ "$r" = "OK VALUE p$2 " ] || fail "$1: a new client got '$r' for SET and GET"
}

# Every load connection answers after update N (idload says so at its
# next reply after the Nth SIGUSR1) and no request failed: a connection
# the update left without replies fails this update, not the run's end.
load_answers() { # N
	kill -USR1 "$load_pid" 2>/dev/null || fail "update $1: idload stopped: $(cat "$tmp/load.out")"
	wait_for $((LOAD_TIMEOUT + 5)) load_answered "$1" ||
		fail "update $1: $((LOAD_CONNS - $(load_answered_count "$1"))) of $LOAD_CONNS load" \
			"connections got no reply within $LOAD_TIMEOUT s: $(grep -m 3 FAILED "$tmp/load.out")"
	! grep -q 'idload: FAILED' "$tmp/load.out" ||
		fail "update $1: load requests failed: $(grep -m 3 FAILED "$tmp/load.out")"
}
load_answered_count() { grep -c "answered after mark $1\$" "$tmp/load.out"; }
load_answered() {
	grep -q 'idload: FAILED' "$tmp/load.out" && return 1
	[ "$(load_answered_count "$1")" -eq "$LOAD_CONNS" ]
}

# expect_commit N: the Nth update, to $SERVER-2, must commit; the new
# process serves release 2 with everything the old one had.
expect_commit() {
	n=$1
	old_pid=$(served_pid)
	updates_tried=$((updates_tried + 1))
	start=$(date +%s%N)
	"$TTST_CTL" --socket "$sock" update --timeout 30 "$IDIOMS_DIR/$SERVER-2" \
		>"$tmp/update.out" 2>&1
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	note "update $n ($version -> 2): exit status $rc, $ms ms; the report:"
	sed 's/^/  | /' "$tmp/update.out"
	if [ $rc -ne 0 ]; then
		# ttst must have left the old release serving, intact.
		after=$(send VERSION VERIFY 2>&1 | tr '\n' ' ')
		note "after the rollback, pid $(served_pid) (was $old_pid) answers: $after"
		fail "update $n ($version -> 2) did not commit (exit status $rc): $(grep -m1 -i 'rolled back\|error' "$tmp/update.out")"
	fi
	pid=$(served_pid)
	[ "$pid" != "$old_pid" ] || fail "update $n: the served pid did not change"
	version=2
	[ "$(send VERSION)" = "$VERSION_2" ] || fail "update $n: not serving release 2: $(send VERSION)"
	load_answers "$n"
	serves "after update $n" "$n"
	verify_ok "after update $n"
	check_filled "after update $n"
	check_extra 2
	note "after update $n: $census; descriptors $(ls "/proc/$pid/fd" | wc -l)"
}

fill_extra() { :; }
check_extra() { :; }

run_updates() {
	t0=$(date +%s)
	"$TTSTD" --socket "$sock" --log "$tmp/ttstd.log" -- \
		"$IDIOMS_DIR/$SERVER-1" "$tmp/port" 2>>"$tmp/server.err" &
	ttstd_pid=$!
	wait_for 30 test -s "$tmp/port" -a -S "$sock" ||
		fail "$SERVER-1 did not start within 30 s: $(cat "$tmp/server.err")"
	port=$(cat "$tmp/port")
	version=1
	[ "$(send VERSION)" = "$VERSION_1" ] || fail "$SERVER-1 answers '$(send VERSION)' to VERSION"

	for p in $FILL_PREFIXES; do
		"$IDIOMS_DIR/idload" --port "$port" fill "$p" "$FILL_KEYS" ||
			fail "filling $SERVER-1 failed"
	done
	fill_extra
	check_filled "after the fill"
	check_extra 1
	verify_ok "after the fill"
	note "$SERVER-1 filled: $census"

	"$IDIOMS_DIR/idload" --port "$port" --timeout "$LOAD_TIMEOUT" --conns "$LOAD_CONNS" run L >"$tmp/load.out" 2>&1 &
	load_pid=$!
	wait_for 10 grep -q 'connections running' "$tmp/load.out" ||
		fail "idload did not start: $(cat "$tmp/load.out")"
	sleep 1
	kill -0 "$load_pid" 2>/dev/null || fail "idload stopped: $(cat "$tmp/load.out")"
	verify_ok "under load"
	serves "before the updates" 0

	# 1 -> 2, then 2 -> 2 (an updated process updated again) in a row.
	for n in $(seq 1 "${NUPDATES:-12}"); do
		expect_commit $n
	done

	kill -TERM "$load_pid"
	wait "$load_pid"
	rc=$?
	load_pid=
	cat "$tmp/load.out"
	[ $rc -eq 0 ] || fail "client requests failed across the updates (idload exit status $rc)"
	grep -q ' 0 failed$' "$tmp/load.out" || fail "idload: $(tail -n 1 "$tmp/load.out")"
	verify_ok "at the end"
	check_filled "at the end"
	"$TTST_CTL" --socket "$sock" history
	note "$SERVER: ${NUPDATES:-12} updates committed in $(($(date +%s) - t0)) s; $census"
	exit 0
}
