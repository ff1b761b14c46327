# SPDX-License-Identifier: GPL-3.0-or-later
#
# parts-lib.sh: what the tests of the engine's loops cut across threads
# (diffparts.sh, xformparts.sh, catalogparts.sh) share, sourced with NAME
# set to the test's name: its work directory, failure report, builds, and
# one program under the real ttstd with the transfer on a given number of
# threads.
set -u
: "${NAME:?}" "${TTSTD:?}" "${TTST_CTL:?}" "${STF_PLUGIN:?}" "${LIBSTF_DIR:?}" "${STF_INCLUDE:?}" "${TSRC:?}"
CC=${CC:-gcc}

if [ ! -f "$STF_PLUGIN" ]; then
	echo "SKIP: the plugin $STF_PLUGIN is not built"
	exit 77
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ttst-$NAME.XXXXXX")
TTSTD_PID=
cleanup() {
	stop_program
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $NAME: $*"
	for f in "$WORK"/update.* "$WORK"/program.*; do
		[ -s "$f" ] && { echo "---- $f"; head -c 4000 "$f"; echo; }
	done
	exit 1
}

build() { # build SRC OUT
	$CC -std=gnu11 -O0 -g -fplugin="$STF_PLUGIN" -I"$STF_INCLUDE" -I"$TSRC" -o "$2" "$1" \
		-L"$LIBSTF_DIR" -lstf -Wl,-rpath,"$LIBSTF_DIR" || fail "cannot build $1"
}

# start_program THREADS TAG PROGRAM: PROGRAM under ttstd (socket
# $WORK/ctl.TAG, output in $WORK/program.TAG), the transfer on THREADS
# threads and profiled; returns once it is connected
start_program() {
	sock=$WORK/ctl.$2
	STF_XFER_THREADS=$1 STF_XFER_PROFILE=1 "$TTSTD" --socket "$sock" --timeout 120 \
		-- "$3" >"$WORK/program.$2" 2>&1 &
	TTSTD_PID=$!
	for _ in $(seq 600); do
		"$TTST_CTL" --socket "$sock" --json status 2>/dev/null | grep -q '"connected":1' &&
			return 0
		sleep 0.05
	done
	fail "$3 did not come up under ttstd"
}

stop_program() {
	if [ -n "$TTSTD_PID" ] && kill -0 "$TTSTD_PID" 2>/dev/null; then
		kill "$TTSTD_PID" 2>/dev/null
		wait "$TTSTD_PID" 2>/dev/null
	fi
	TTSTD_PID=
}

# update TAG NEW: ttst-ctl update to NEW, the report in $WORK/update.TAG;
# returns ttst-ctl's exit status
update() {
	"$TTST_CTL" --socket "$WORK/ctl.$1" --json update --timeout 120 "$2" \
		>"$WORK/update.$1" 2>&1
}

# new_version_ok TAG: the new version printed "ok" (found its state)
new_version_ok() {
	for _ in $(seq 200); do
		grep -q '^ok$\|^FAILED$' "$WORK/program.$1" && break
		sleep 0.05
	done
	grep -q '^ok$' "$WORK/program.$1"
}

# what update_case's reports count and say, timings left out
REPORT_FIELDS='"(outcome|reason|static_objects|dynamic_objects|bytes|pointers|type_transforms|integers|nowhere|dropped|added|pinned|problems_omitted)"|^"[^"]*@[0-9]+|^"problems"'

# update_case TAG THREADS OLD NEW EXIT FIELDS: $WORK/OLD under ttstd with
# the transfer on THREADS threads, updated to $WORK/NEW; ttst-ctl must
# exit with EXIT, and when it is 0 the new version must find its state;
# the report's FIELDS (report_fields) in $WORK/found.TAG
update_case() {
	start_program "$2" "$1" "$WORK/$3"
	update "$1" "$WORK/$4"
	status=$?
	[ $status -eq "$5" ] || fail "$1: ttst-ctl update exited $status, not $5"
	if [ "$5" -eq 0 ]; then
		new_version_ok "$1" || fail "$1: v2 did not find its state"
	fi
	stop_program
	report_fields "$1" "$6"
}

# report_fields TAG FIELDS: the report's fields matching the extended
# regular expression FIELDS, one per line, in $WORK/found.TAG
report_fields() {
	tr ',{}' '\n\n\n' <"$WORK/update.$1" | grep -E "$2" >"$WORK/found.$1"
}

# update_at_1_and_4_threads FIELDS: v1/NAME.c -> v2/NAME.c through the
# real ttstd with STF_XFER_THREADS=1 and =4; both must commit, v2 must
# find its state, and the reports' FIELDS (see report_fields) must be the
# same; the reports stay in $WORK/found.1 and $WORK/found.4
update_at_1_and_4_threads() {
	build "$TSRC/v1/$NAME.c" "$WORK/v1"
	build "$TSRC/v2/$NAME.c" "$WORK/v2"
	for t in 1 4; do
		start_program "$t" "$t" "$WORK/v1"
		update "$t" "$WORK/v2" || fail "$t threads: ttst-ctl update failed"
		new_version_ok "$t" || fail "$t threads: v2 did not find its state"
		stop_program
		report_fields "$t" "$1"
	done
	cmp -s "$WORK/found.1" "$WORK/found.4" || {
		diff "$WORK/found.1" "$WORK/found.4" | head -20
		fail "the reports differ between 1 and 4 threads"
	}
}

# transformed_in_parts MIN WHAT: with 4 threads the transform was cut in
# parts that took at least MIN objects (WHAT) and left none to the serial
# loop; the count is left in $in_parts
transformed_in_parts() {
	line=$(grep -m1 'profile.*transform: [0-9]* parts' "$WORK/program.4") ||
		fail "STF_XFER_THREADS=4 did not cut the transform in parts"
	deferred=$(echo "$line" | sed -n 's/.*parts, \([0-9]*\) deferred.*/\1/p')
	in_parts=$(echo "$line" | sed -n 's/.*deferred, \([0-9]*\) in parts.*/\1/p')
	[ "$deferred" = 0 ] || fail "the parts left $deferred objects to the serial loop: $line"
	[ -n "$in_parts" ] && [ "$in_parts" -ge "$1" ] ||
		fail "the parts transformed ${in_parts:-no} objects, not $2: $line"
}

# update_counted: v1/NAME.c -> v2/NAME.c through the real ttstd, v2 run
# under callgrind (setkeys.sh, sitememo.sh); it must commit and v2 find
# its state; its counts are dumped then, for calls_of
update_counted() {
	command -v valgrind >/dev/null 2>&1 && command -v callgrind_control >/dev/null 2>&1 || {
		echo "SKIP: valgrind is not installed"
		exit 77
	}
	build "$TSRC/v1/$NAME.c" "$WORK/v1"
	build "$TSRC/v2/$NAME.c" "$WORK/v2"
	cat >"$WORK/new" <<EOS
#!/bin/sh
exec valgrind -q --tool=callgrind --compress-strings=no --compress-pos=no \
	--callgrind-out-file=$WORK/cg.%p "$WORK/v2" "\$@"
EOS
	chmod +x "$WORK/new"
	start_program 1 1 "$WORK/v1"
	"$TTST_CTL" --socket "$WORK/ctl.1" --json update --timeout 600 "$WORK/new" \
		>"$WORK/update.1" 2>&1 || fail "ttst-ctl update failed"
	new_version_ok 1 || fail "v2 did not find its state"
	cg=$(ls "$WORK"/cg.* | head -n 1)
	callgrind_control -d "${cg##*.}" >/dev/null 2>&1 || fail "cannot dump callgrind's counts"
	for _ in $(seq 100); do
		[ -n "$(ls "$WORK"/cg.*.1 2>/dev/null)" ] && break
		sleep 0.1
	done
	stop_program
}

# calls_of FUNCTION: how often update_counted's new version called it
calls_of() {
	cat "$WORK"/cg.* | awk -v f="$1" '
		/^cfn=/ { c = ($0 ~ f) ; next }
		/^calls=/ { if (c) n += substr($1, 7); c = 0 }
		END { print n + 0 }'
}
