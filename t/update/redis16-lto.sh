#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A thread pool (v1/pool.c: idle workers in pthread_cond_wait, _timedwait
# and _clockwait) built through ttst-cc the way Redis's -O3 build goes,
# with -flto at compile and link time: ttst-cc turns link-time
# optimization off, so the waits are wait points and the update commits
# with every worker's locals.  Before, the plugin wrote LTO bytecode
# without wait points (a warning at each of the 3 waits) and without
# metadata: ttst-ctl refused the update (exit 2, "carries no ttst
# metadata"); Redis, whose dependencies built without -flto carry some,
# rolled back every update ("3 threads in futex wait").
. "${TSRC:-.}/lib.sh"
need_plugin
: "${TTST_CC_WRAPPER:?}"
export TTST_PLUGIN="$STF_PLUGIN" TTST_INCLUDEDIR="$STF_INCLUDE" TTST_LIBDIR="$LIBSTF_DIR" TTST_CC="$CC"
for v in 1 2; do
	mkdir -p "$WORK/v$v"
	"$TTST_CC_WRAPPER" -std=gnu11 -O2 -flto -pthread -DVERSION=$v -c "$TSRC/v1/pool.c" \
		-o "$WORK/v$v/pool.o" 2>"$WORK/cc$v.err" || { cat "$WORK/cc$v.err"; fail "compile v$v"; }
	"$TTST_CC_WRAPPER" -O2 -flto -pthread "$WORK/v$v/pool.o" -o "$WORK/v$v/pool" \
		2>>"$WORK/cc$v.err" || { cat "$WORK/cc$v.err"; fail "link v$v"; }
	if grep -q "not made a wait point" "$WORK/cc$v.err"; then
		cat "$WORK/cc$v.err"
		fail "v$v: LTO bytecode without wait points"
	fi
done

start_ttstd --name lto -- "$WORK/v1/pool" "$SRV"
wait_connected
for k in 1 2 3; do
	expect "add $k" "$(q "add $k $((k * 10))")" ok
done
ctl update --timeout 10 "$WORK/v2/pool" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status of the update of the -flto build" $rc 0
expect "version after" "$(q version)" 2
for k in 1 2 3; do
	expect "get $k after" "$(q "get $k")" $((k * 10))
done
echo ok
