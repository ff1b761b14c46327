#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A server whose listening socket is close-on-exec (as sshd's) keeps
# serving after an update: every descriptor of the running version reaches
# the new one, and the new one has the flag again, like the old.  A rolled
# back update gives the running version its flag back.  A new version
# whose startup closes the listener (as stray descriptors) through the C
# library keeps it until the commit, since the transferred state names it,
# and serves on it (before this release: rolled back); one that closes it
# with the raw system call is rolled back, naming the descriptor.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c -DCLOEXEC_LISTENER
build v2/counter v2/counter.c -DCLOEXEC_LISTENER
build v2/counter-closer v2/counter.c -DCLOEXEC_LISTENER -DCLOSE_LISTENER_IN_UPDATE=1
build v2/counter-rawcloser v2/counter.c -DCLOEXEC_LISTENER -DCLOSE_LISTENER_IN_UPDATE=2

start_ttstd --name cloexec -- "$WORK/v1/counter" "$SRV"
wait_connected

# cloexec_of PID FD: 1 if the descriptor is close-on-exec
cloexec_of() {
	flags=$(sed -n 's/^flags:[[:space:]]*//p' "/proc/$1/fdinfo/$2") ||
		fail "descriptor $2 of pid $1 is not open"
	echo $(( (0$flags & 02000000) != 0 ))
}

expect "add" "$(q "add 1 11")" ok
pid1=$(program_pid)
expect "listener close-on-exec at start" "$(cloexec_of "$pid1" 3)" 1

ctl update --fault crash@forward "$WORK/v2/counter" >"$WORK/out" 2>&1
expect "exit status of a faulted update" $? 1
expect "pid after the rollback" "$(program_pid)" "$pid1"
expect "listener close-on-exec again after the rollback" "$(cloexec_of "$pid1" 3)" 1

ctl update "$WORK/v2/counter-rawcloser" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status when the new version closed the listener" $rc 1
grep -q "^rolled back: .*descriptor 3 of the running version (socket:\[[0-9]*\]) is not open in the new version" "$WORK/out" ||
	fail "the rollback does not name descriptor 3"
expect "get after the refused version" "$(q "get 1")" 11

ctl update "$WORK/v2/counter-closer" >"$WORK/out" 2>&1 ||
	{ cat "$WORK/out"; fail "a new version closing the listener in its startup did not commit"; }
expect "get after the version that closed the listener" "$(q "get 1")" 11
expect "listener close-on-exec after it" "$(cloexec_of "$(program_pid)" 3)" 1

ctl update "$WORK/v2/counter" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "the update did not commit"; }
pid2=$(program_pid)
[ "$pid2" != "$pid1" ] || fail "the program pid did not change"
expect "version after" "$(q version)" 2
expect "get after" "$(q "get 1")" 11
expect "add after" "$(q "add 2 22")" ok
expect "listener close-on-exec in the new version" "$(cloexec_of "$pid2" 3)" 1
# none of the program's descriptors lost its flag or gained one
for fd in 0 1 2; do
	expect "descriptor $fd close-on-exec" "$(cloexec_of "$pid2" $fd)" 0
done
echo ok
