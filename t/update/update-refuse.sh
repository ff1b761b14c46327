#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A new version that could never receive the state is refused before the
# running version is touched: built without the plugin (no metadata), not
# linked with libstf, or not an executable at all.  Each is a usage error
# (exit 2) naming the cause, the program is not paused and keeps its pid.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c
mkdir -p "$WORK/bad"
$CC -std=gnu11 -O1 -I"$STF_INCLUDE" -o "$WORK/bad/no-plugin" "$TSRC/v2/counter.c" \
	-L"$LIBSTF_DIR" -lstf -Wl,-rpath,"$LIBSTF_DIR" || fail "cannot build no-plugin"
$CC -std=gnu11 -O1 -fplugin="$STF_PLUGIN" -I"$STF_INCLUDE" -c -o "$WORK/bad/counter.o" \
	"$TSRC/v2/counter.c" || fail "cannot compile no-libstf"
# stf__update_point and stf_is_updating come from a stand-in: the binary
# links, but without libstf.
cat >"$WORK/bad/stand-in.c" <<'C'
volatile int stf__update_pending;
void stf__update_point(void) {}
void stf__update_point_frame(const void *u, unsigned f, ...) { (void)u; (void)f; }
int stf_is_updating(void) { return 0; }
C
$CC -o "$WORK/bad/no-libstf" "$WORK/bad/counter.o" "$WORK/bad/stand-in.c" ||
	fail "cannot link no-libstf"
printf '\177ELF but not really' >"$WORK/bad/not-elf"
chmod +x "$WORK/bad/not-elf"

start_ttstd --name refuse -- "$WORK/v1/counter" "$SRV"
wait_connected
pid=$(program_pid)
expect "add" "$(q "add 3 33")" ok

refused() { # BINARY REASON
	ctl update "$1" >"$WORK/out" 2>&1; rc=$?
	expect "exit status for $1" $rc 2
	grep -q "$2" "$WORK/out" || fail "reason for $1: $(cat "$WORK/out")"
}
refused "$WORK/bad/no-plugin" "carries no ttst metadata"
refused "$WORK/bad/no-libstf" "is not linked with libstf"
refused "$WORK/bad/not-elf" "is not an x86-64 ELF executable"
grep -q "update #" "$WORK/ttstd.log" && fail "a transaction was started for a refused update"
expect "pid" "$(program_pid)" "$pid"
expect "state" "$(q "get 3")" 33
echo ok
