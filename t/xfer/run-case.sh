#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# run-case.sh NAME.xfer: one test of t/xfer through the real supervisor.
# Built at -O0: a test program writes state it never reads, which the
# optimizer would remove from version 1.
# Builds the version pair v1/PAIR.c and v2/PAIR.c (or every .c file of
# the directories v1/PAIR and v2/PAIR) with the real plugin
# and libstf, runs v1 under ttstd and updates it to v2 with ttst-ctl.
# NAME.xfer says what must happen, one "key: value" per line:
#   pair: PAIR               the programs (default: NAME)
#   fault: KIND[@PHASE]      passed as ttst-ctl update --fault
#   timeout: SECONDS         passed as ttst-ctl update --timeout
#   strict: 1                passed as ttst-ctl update --strict
#   json: 1                  ttst-ctl --json (the report is its JSON)
#   args: WORDS              arguments of v1 (and so of v2)
#   update-args: WORDS       arguments of v2 instead
#   libs: FLAGS              libraries the programs link with (-levent)
#   env: NAME=VALUE...       the programs' environment has these too
#                            (G_SLICE=always-malloc)
#   cflags: FLAGS            added after -O0 (e.g. -O2: the programs must
#                            then read all the state they keep)
#   expect: commit           v2 then checks the state it got: must say ok
#   chain: 1                 (with commit) then update v2 to v2 again: the
#                            second commit's v2 must say ok too
#   expect: rollback: TEXT   ttst-ctl exits 1, its report contains TEXT
#                            and v1 keeps running
#   report: TEXT             (optional, repeatable) ttst-ctl's report
#                            contains TEXT too
#   diff: TEXT               (optional) the program's stderr contains TEXT
set -u
: "${TTSTD:?}" "${TTST_CTL:?}" "${STF_PLUGIN:?}" "${LIBSTF_DIR:?}" "${STF_INCLUDE:?}" "${TSRC:?}"
CC=${CC:-gcc}
spec=$1
case=$(basename "$spec" .xfer)

if [ ! -f "$STF_PLUGIN" ]; then
	echo "SKIP: the plugin $STF_PLUGIN is not built"
	exit 77
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ttst-xfer.XXXXXX")
SOCK=$WORK/ctl.sock
TTSTD_PID=
cleanup() {
	if [ -n "$TTSTD_PID" ] && kill -0 "$TTSTD_PID" 2>/dev/null; then
		kill "$TTSTD_PID" 2>/dev/null
		wait "$TTSTD_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $case: $*"
	for f in update.out program.out ttstd.log; do
		[ -s "$WORK/$f" ] && { echo "---- $f"; cat "$WORK/$f"; }
	done
	exit 1
}

[ -f "$spec" ] || spec=$TSRC/$case.xfer
key() {
	sed -n "s/^$1: //p" "$spec" | head -n 1
}
pair=$(key pair)
pair=${pair:-$case}
expect=$(key expect)
fault=$(key fault)
timeout=$(key timeout)
strict=$(key strict)
json=$(key json)
args=$(key args)
update_args=$(key update-args)
cflags=$(key cflags)
libs=$(key libs)
env=$(key env)
stderr_has=$(key diff)
chain=$(key chain)
[ -n "$expect" ] || fail "$spec has no 'expect:' line"

mkdir "$WORK/v1" "$WORK/v2"
for v in v1 v2; do
	# a program of several files lives in a directory (and its subdirectories)
	if [ -d "$TSRC/$v/$pair" ]; then
		srcs=$(find "$TSRC/$v/$pair" -name "*.c" | LC_ALL=C sort)
	else
		srcs=$TSRC/$v/$pair.c
	fi
	# shellcheck disable=SC2086
	$CC -std=gnu11 -O0 $cflags -g -fplugin="$STF_PLUGIN" -I"$STF_INCLUDE" \
		-I"$TSRC" -o "$WORK/$v/$pair" $srcs \
		-L"$LIBSTF_DIR" -lstf -Wl,-rpath,"$LIBSTF_DIR" $libs 2>"$WORK/cc.$v.err" ||
		{ cat "$WORK/cc.$v.err"; fail "cannot build $v/$pair"; }
done

# shellcheck disable=SC2086
env $env "$TTSTD" --socket "$SOCK" --timeout 20 --log "$WORK/ttstd.log" -- "$WORK/v1/$pair" $args \
	>"$WORK/program.out" 2>&1 &
TTSTD_PID=$!
up=
for _ in $(seq 200); do
	if "$TTST_CTL" --socket "$SOCK" --json status 2>/dev/null | grep -q '"connected":1'; then
		up=1
		break
	fi
	sleep 0.05
done
[ -n "$up" ] || fail "v1 did not come up under ttstd"

set -- update
[ -n "$json" ] && set -- --json update
[ -n "$fault" ] && set -- "$@" --fault "$fault"
[ -n "$timeout" ] && set -- "$@" --timeout "$timeout"
[ -n "$strict" ] && set -- "$@" --strict
set -- "$@" "$WORK/v2/$pair"
# shellcheck disable=SC2086
[ -n "$update_args" ] && set -- "$@" $update_args
"$TTST_CTL" --socket "$SOCK" "$@" >"$WORK/update.out" 2>&1
status=$?

case $expect in
commit)
	[ $status -eq 0 ] || fail "update did not commit (ttst-ctl exit $status)"
	for _ in $(seq 200); do
		grep -q '^ok$\|^FAILED$' "$WORK/program.out" && break
		sleep 0.05
	done
	grep -q '^ok$' "$WORK/program.out" || fail "v2 found wrong state"
	if [ -n "$chain" ]; then
		"$TTST_CTL" --socket "$SOCK" "$@" >>"$WORK/update.out" 2>&1 ||
			fail "the chained update 2 -> 2 did not commit"
		for _ in $(seq 200); do
			[ "$(grep -c '^ok$\|^FAILED$' "$WORK/program.out")" -ge 2 ] && break
			sleep 0.05
		done
		[ "$(grep -c '^ok$' "$WORK/program.out")" -ge 2 ] ||
			fail "v2 found wrong state after the chained update 2 -> 2"
	fi
	;;
rollback:*)
	want=${expect#rollback: }
	[ $status -eq 1 ] || fail "update did not roll back (ttst-ctl exit $status)"
	grep -qF -- "$want" "$WORK/update.out" ||
		fail "the rollback report does not say: $want"
	"$TTST_CTL" --socket "$SOCK" --json status 2>/dev/null | grep -q '"connected":1' ||
		fail "v1 is not running after the rollback"
	;;
*)
	fail "unknown expectation: $expect"
	;;
esac
sed -n 's/^report: //p' "$spec" >"$WORK/report.want"
while IFS= read -r want; do
	grep -qF -- "$want" "$WORK/update.out" || fail "the report does not say: $want"
done <"$WORK/report.want"
if [ -n "$stderr_has" ]; then
	grep -qF -- "$stderr_has" "$WORK/program.out" ||
		fail "the programs' output does not say: $stderr_has"
fi
echo "PASS: $case"
exit 0
