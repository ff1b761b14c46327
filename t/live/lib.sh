# SPDX-License-Identifier: GPL-3.0-or-later
#
# Shared by the live-update tests: kvd (examples/) or chatd (chatd/)
# supervised by the real ttstd, updated with the real ttst-ctl, driven by
# kvload/kvc or chatload over TCP.  Sourced by a test script; paths come
# from the environment set in Makefile.am (TTSTD, TTST_CTL, KVD_DIR,
# CHATD_DIR, STF_PLUGIN).

set -u

skip() { echo "SKIP: $*"; exit 77; }
fail() {
	echo "FAIL: $*"
	if [ -s "$tmp/ttstd.log" ]; then
		echo "--- ttstd log (last 40 lines):"
		tail -n 40 "$tmp/ttstd.log"
	fi
	exit 1
}
note() { echo "# $*"; }

# Skip only while a piece is not built yet; anything else is a failure.
[ -f "${STF_PLUGIN:-}" ] || skip "the stf.so plugin is not built (${STF_PLUGIN:-STF_PLUGIN unset})"
for f in "${TTSTD:-}" "${TTST_CTL:-}"; do
	[ -x "$f" ] || skip "$f is not built"
done
for v in 1.0 1.1 1.2 1.2-bad; do
	[ -x "$KVD_DIR/kvd-$v" ] || fail "$KVD_DIR/kvd-$v is missing although the plugin exists"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ttst-live.XXXXXX") || exit 99
sock=$tmp/kvd.sock
ttstd_pid=
load_pid=
port=

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

kvc() { "$KVD_DIR/kvc" --port "$port" "$@"; }
kvload() { "$KVD_DIR/kvload" --port "$port" "$@"; }

# Value of FIELD in kvd's STATS reply.
stats_field() {
	kvc STATS | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# kvd's own consistency check of its hash table (chains, hashes, lengths,
# counters) must pass.
verify_ok() { # CONTEXT
	v=$(kvc VERIFY)
	case $v in
	"VERIFY ok"*) ;;
	*) fail "$1: kvd's table is inconsistent: $v" ;;
	esac
}

# start_kvd VERSION [TTSTD OPTIONS...]: kvd-VERSION under ttstd, port in $port.
start_kvd() {
	v=$1
	shift
	"$TTSTD" --socket "$sock" --log "$tmp/ttstd.log" "$@" -- \
		"$KVD_DIR/kvd-$v" --port 0 --port-file "$tmp/port" 2>>"$tmp/kvd.err" &
	ttstd_pid=$!
	i=0
	while [ ! -s "$tmp/port" ] || [ ! -S "$sock" ]; do
		i=$((i + 1))
		[ $i -le 200 ] || { cat "$tmp/kvd.err"; fail "kvd-$v did not start within 10 s"; }
		kill -0 "$ttstd_pid" 2>/dev/null || { cat "$tmp/kvd.err"; fail "ttstd exited at startup"; }
		sleep 0.05
	done
	port=$(cat "$tmp/port")
	[ "$(stats_field version)" = "$v" ] || fail "kvd-$v does not answer as version $v"
}

# update VERSION|PROGRAM [OPTIONS...]: `ttst-ctl update OPTIONS kvd-VERSION`
# (or PROGRAM, a path), output in $tmp/update.out; returns ttst-ctl's exit
# status.
update() {
	case $1 in
	*/*) target=$1 ;;
	*) target=$KVD_DIR/kvd-$1 ;;
	esac
	shift
	"$TTST_CTL" --socket "$sock" update "$@" "$target" >"$tmp/update.out" 2>&1
}

# expect_update STATUS VERSION|PROGRAM [OPTIONS...]: the update must end
# with STATUS (0 committed, 1 rolled back).
expect_update() {
	want=$1
	shift
	update "$@"
	rc=$?
	if [ $rc -ne "$want" ]; then
		sed 's/^/  | /' "$tmp/update.out"
		fail "update to $*: exit status $rc, expected $want"
	fi
}

# The running program's pid according to `ttst-ctl status`.
served_pid() {
	"$TTST_CTL" --socket "$sock" status | sed -n 's/^pid: *//p'
}

start_load() { # PREFIX: continuous checked client load in the background
	"$KVD_DIR/kvload" --port "$port" run --conns 8 --rate "${LOAD_RATE:-3000}" \
		--prefix "$1" >"$tmp/load.out" 2>&1 &
	load_pid=$!
	sleep 0.5
	kill -0 "$load_pid" 2>/dev/null || { cat "$tmp/load.out"; fail "kvload stopped at startup"; }
}

stop_load() { # the load must have seen no failure at all
	kill -TERM "$load_pid"
	wait "$load_pid"
	rc=$?
	load_pid=
	cat "$tmp/load.out"
	[ $rc -eq 0 ] || fail "client requests failed under live updates (load generator exit $rc)"
}
