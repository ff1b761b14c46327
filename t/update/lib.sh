# SPDX-License-Identifier: GPL-3.0-or-later
# Shared by the t/update tests: build instrumented programs with the real
# plugin and libstf, run them under the real ttstd, drive it with the real
# ttst-ctl.  Paths come from AM_TESTS_ENVIRONMENT (Makefile.am).

set -u
: "${TTSTD:?}" "${TTST_CTL:?}" "${TQ:?}" "${STF_PLUGIN:?}" "${LIBSTF_DIR:?}" "${STF_INCLUDE:?}" "${TSRC:?}"
CC=${CC:-gcc}

# Short paths: socket paths are limited to 107 bytes.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ttst-upd.XXXXXX")
SOCK=$WORK/ctl.sock
SRV=$WORK/srv.sock
TTSTD_PID=

# stop_ttstd: ttstd ends with its program (a test may start another).
stop_ttstd() {
	if [ -n "$TTSTD_PID" ] && kill -0 "$TTSTD_PID" 2>/dev/null; then
		kill "$TTSTD_PID" 2>/dev/null
		# a ttstd that does not end (stuck, stopped) must not hang the test
		for _ in $(seq 50); do
			kill -0 "$TTSTD_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$TTSTD_PID" 2>/dev/null; then
			echo "ttstd pid $TTSTD_PID did not end on SIGTERM: killed"
			pkill -KILL -P "$TTSTD_PID" 2>/dev/null
			kill -KILL "$TTSTD_PID" 2>/dev/null
		fi
		wait "$TTSTD_PID" 2>/dev/null
	fi
	TTSTD_PID=
	rm -f "$SOCK" "$SRV"
}

cleanup() {
	stop_ttstd
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	if [ -f "$WORK/ttstd.log" ]; then
		echo "---- ttstd log"
		cat "$WORK/ttstd.log"
	fi
	exit 1
}

need_plugin() {
	if [ ! -f "$STF_PLUGIN" ]; then
		echo "SKIP: the plugin $STF_PLUGIN is not built"
		exit 77
	fi
}

# build NAME SOURCE [CFLAGS...]: an instrumented program in $WORK/NAME
build() {
	name=$1 src=$2
	mkdir -p "$WORK/$(dirname "$name")"
	shift 2
	$CC -std=gnu11 -O1 -g -fplugin="$STF_PLUGIN" -I"$STF_INCLUDE" "$@" \
		-o "$WORK/$name" "$TSRC/$src" \
		-L"$LIBSTF_DIR" -lstf -Wl,-rpath,"$LIBSTF_DIR" ||
		fail "cannot build $name from $src"
}

# start_ttstd [TTSTD OPTIONS] -- PROGRAM ARGS: in the background, logging
# to $WORK/ttstd.log; returns once the control socket answers.
start_ttstd() {
	"$TTSTD" --socket "$SOCK" --log "$WORK/ttstd.log" "$@" \
		>"$WORK/program.out" 2>&1 &
	TTSTD_PID=$!
	for _ in $(seq 100); do
		"$TTST_CTL" --socket "$SOCK" status >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	fail "ttstd did not come up"
}

ctl() {
	"$TTST_CTL" --socket "$SOCK" "$@"
}

# The supervised program's pid, from ttstd.
program_pid() {
	ctl status | sed -n 's/^pid: *//p'
}

# q LINE: one request to the test server (t/update/counter-*.c)
q() {
	"$TQ" line "$SRV" "$1"
}

# expect WHAT GOT WANT
expect() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# wait_connected [TRIES PAUSE]: the program's control thread has said
# hello to ttstd (asked TRIES times, PAUSE seconds apart: under valgrind,
# whose startup takes seconds under load, 600 0.1)
wait_connected() {
	for _ in $(seq "${1:-100}"); do
		ctl --json status | grep -q '"connected":1' && return 0
		sleep "${2:-0.05}"
	done
	fail "the program never connected to ttstd"
}

# start_bigstate NAME N: v1/bigstate (N list nodes) under ttstd, once
# its state is built and checked
start_bigstate() {
	build v1/bigstate v1/bigstate.c -pthread
	start_ttstd --name "$1" -- "$WORK/v1/bigstate" "$2" "$WORK/ask" "$WORK/state"
	wait_connected
	for _ in $(seq 600); do
		[ -s "$WORK/state" ] && break
		sleep 0.1
	done
	expect "sum before" "$(cat "$WORK/state")" $(($2 * ($2 - 1) / 2))
}

# bigstate_check N: the sum of v1/bigstate's N nodes, asked for now
bigstate_check() {
	rm -f "$WORK/state"
	touch "$WORK/ask"
	for _ in $(seq 300); do
		[ -s "$WORK/state" ] && [ ! -e "$WORK/ask" ] && break
		sleep 0.1
	done
	expect "sum after" "$(cat "$WORK/state")" $(($1 * ($1 - 1) / 2))
}

# history_field KEY: a number of the last transaction in ttstd's history
history_field() {
	ctl --json history | tail -n 1 |
		sed -n "s/.*\"$1\":\"\{0,1\}\([0-9.]*\).*/\1/p" | tail -n 1
}

# chain_update PROGRAM N: update N of a chain, to PROGRAM, which must
# commit; the report in $WORK/out, its count of dynamic objects in $dyn.
chain_update() {
	ctl update "$1" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "update $2 did not commit"; }
	dyn=$(sed -n 's/^forward: *[0-9]* static, \([0-9]*\) dynamic.*/\1/p' "$WORK/out")
	[ -n "$dyn" ] || { cat "$WORK/out"; fail "update $2: no dynamic object count in the report"; }
}

# snapshot: the state line of a program that answers through files
# (v1/threads.c, tsd.c, tsdlazy.c, workers.c, sighandler.c): creating
# $WORK/ask asks for it; the program writes $WORK/state, then removes the
# ask.
snapshot() {
	rm -f "$WORK/state"
	touch "$WORK/ask"
	for _ in $(seq 200); do
		[ -s "$WORK/state" ] && [ ! -e "$WORK/ask" ] && { cat "$WORK/state"; return 0; }
		sleep 0.01
	done
	fail "the program did not answer"
}

# objects: the objects of the state when quiesced, from the `ctl --json
# update` report in $WORK/out
objects() {
	sed -n 's/.*"state_objects":\([0-9]*\).*/\1/p' "$WORK/out"
}

# memcheck_wrapper NAME PROGRAM: $WORK/vg-NAME (NAME: v1, v2) execs
# PROGRAM under valgrind's memcheck, logging to $WORK/vg.PID.log (why
# these options: update-memcheck.sh)
memcheck_wrapper() {
	printf '#!/bin/sh\nexec valgrind --vgdb=no --soname-synonyms=somalloc=NONE --trace-children=yes --trace-children-skip="*/vg-v?" --log-file="%s/vg.%%p.log" "%s" "$@"\n' \
		"$WORK" "$2" >"$WORK/vg-$1"
	chmod 755 "$WORK/vg-$1"
}

# memcheck_end WHO...: stop ttstd; a process started as ...WHO ran under
# valgrind for each WHO, and no process (the processes they forked before
# an exec end with a summary of their own) reported an error
memcheck_end() {
	kill "$TTSTD_PID"
	for _ in $(seq 300); do
		kill -0 "$TTSTD_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$TTSTD_PID" 2>/dev/null
	TTSTD_PID=
	for who in "$@"; do
		grep -l "^==[0-9]*== Command: [^ ]*$who" "$WORK"/vg.*.log >/dev/null 2>&1 ||
			fail "no valgrind log of a process started as ...$who"
	done
	for f in "$WORK"/vg.*.log; do
		if ! grep -q "ERROR SUMMARY: 0 errors" "$f"; then
			cat "$f"
			fail "memcheck found errors, or the process did not end ($f above)"
		fi
	done
}
