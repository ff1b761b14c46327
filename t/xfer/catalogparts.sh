#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# catalogparts.sh: the catalog of a heap cut in parts read by several
# threads is the one a single thread makes.  v1/catalogparts holds 96,000
# records of five sizes (small size classes and 64 KiB buffers) with one
# in five freed among them; v2/catalogparts has the same types and checks
# every record.  The update is run through the real ttstd with
# STF_XFER_THREADS=1 and =4 (checked to have cut the catalog of the past
# in parts): both must commit (the round trip compared equal), v2 must
# find every record in order, and the reports must count the same
# objects, pointers and bytes.
set -u
: "${TTSTD:?}" "${TTST_CTL:?}" "${STF_PLUGIN:?}" "${LIBSTF_DIR:?}" "${STF_INCLUDE:?}" "${TSRC:?}"
CC=${CC:-gcc}

if [ ! -f "$STF_PLUGIN" ]; then
	echo "SKIP: the plugin $STF_PLUGIN is not built"
	exit 77
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ttst-catalogparts.XXXXXX")
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
	echo "FAIL: catalogparts: $*"
	for f in "$WORK"/update.* "$WORK"/program.*; do
		[ -s "$f" ] && { echo "---- $f"; head -c 4000 "$f"; echo; }
	done
	exit 1
}

build() { # build SRC OUT
	$CC -std=gnu11 -O0 -g -fplugin="$STF_PLUGIN" -I"$STF_INCLUDE" -I"$TSRC" -o "$2" "$1" \
		-L"$LIBSTF_DIR" -lstf -Wl,-rpath,"$LIBSTF_DIR" || fail "cannot build $1"
}
build "$TSRC/v1/catalogparts.c" "$WORK/v1"
build "$TSRC/v2/catalogparts.c" "$WORK/v2"

# run THREADS: one update of v1 to v2 with the transfer on THREADS
# threads; the report's counts in $WORK/found.THREADS
run() {
	sock=$WORK/ctl.$1
	STF_XFER_THREADS=$1 STF_XFER_PROFILE=1 "$TTSTD" --socket "$sock" --timeout 120 \
		-- "$WORK/v1" >"$WORK/program.$1" 2>&1 &
	TTSTD_PID=$!
	up=
	for _ in $(seq 600); do
		if "$TTST_CTL" --socket "$sock" --json status 2>/dev/null | grep -q '"connected":1'; then
			up=1
			break
		fi
		sleep 0.05
	done
	[ -n "$up" ] || fail "v1 did not come up under ttstd"
	"$TTST_CTL" --socket "$sock" --json update --timeout 120 "$WORK/v2" \
		>"$WORK/update.$1" 2>&1 || fail "$1 thread(s): the update did not commit"
	for _ in $(seq 200); do
		grep -q '^ok$\|^FAILED$' "$WORK/program.$1" && break
		sleep 0.05
	done
	grep -q '^ok$' "$WORK/program.$1" || fail "$1 thread(s): v2 did not find its state"
	kill "$TTSTD_PID"
	wait "$TTSTD_PID" 2>/dev/null
	TTSTD_PID=
	# what the report counts, timings left out
	tr ',{}' '\n\n\n' <"$WORK/update.$1" |
		grep -E '"(outcome|static_objects|dynamic_objects|bytes|pointers|dropped|added|differences)"' \
		>"$WORK/found.$1"
}

run 1
run 4
grep -q 'forward: catalog the past, 1 part ' "$WORK/program.1" ||
	fail "STF_XFER_THREADS=1 did not catalog the past's heap in one part"
grep -q 'forward: catalog the past, [2-8] parts' "$WORK/program.4" ||
	fail "STF_XFER_THREADS=4 did not cut the catalog of the past's heap in parts"
grep -q '"dynamic_objects":9[0-9][0-9][0-9][0-9]' "$WORK/found.1" ||
	fail "not the ~96,000 records kept: $(grep dynamic_objects "$WORK/found.1")"
cmp -s "$WORK/found.1" "$WORK/found.4" || {
	diff "$WORK/found.1" "$WORK/found.4" | head -20
	fail "the reports differ between 1 and 4 threads"
}
echo "PASS: catalogparts: the same catalog and transfer with 1 and 4 threads"
