#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Chained updates of a libevent server whose startup makes its libevent
# state in every start (v1/evstartup.c): ten updates in a row under load.
# The transfer replaces the new startup's base and housekeeping struct with
# the old version's; the orphans (libevent's blocks of the new base, and
# the housekeeping struct reached only from that base, carved out of a
# block of chunks by an STF_ALLOCATOR function) are freed after the forward
# transfer, so the number of objects the program holds when quiesced stays
# flat from one update to the next, the new startup's descriptors are
# closed, and no request of the load fails.  Before, the orphaned base and
# the housekeeping struct were kept (libevent's blocks were never freed;
# an object inside a startup block was a root that kept its own block),
# and the next update carried them: the objects grew by 6 per update, the
# epoll instances and pipes by 3.
# update-chain-evinloop.sh runs it with the program's "inloop" mode
# (EVSTARTUP_MODE), where each new version's startup base is kept at its
# commit (MIN_FREED: what each update must free then).
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/evstartup v1/evstartup.c -Wl,--push-state,--no-as-needed -levent -Wl,--pop-state

# shellcheck disable=SC2086
start_ttstd --name evchain -- "$WORK/v1/evstartup" "$SRV" ${EVSTARTUP_MODE:-}
wait_connected
for k in 1 2 3 4 5; do
	expect "add $k" "$(q "add $k $((k * 10))")" ok
done

# The load: one request after another, each checked, until told to stop.
load() {
	n=0
	while [ ! -e "$WORK/stop" ]; do
		n=$((n + 1))
		r=$(q "add 9 $n" 2>&1)
		[ "$r" = ok ] || { echo "request $n: '$r'" >>"$WORK/load.failed"; }
		r=$(q "get 9" 2>&1)
		[ "$r" = "$n" ] || { echo "get after $n: '$r'" >>"$WORK/load.failed"; }
	done
	echo "$n" >"$WORK/load.done"
}
load &
load_pid=$!

freed() { sed -n 's/.*"forward":{[^}]*"startup_freed":\([0-9]*\).*/\1/p' "$WORK/out"; }
# the descriptors an event library opens (epoll instances, pipes), not the
# load's connections
fds() { ls -l "/proc/$(program_pid)/fd" | grep -c 'anon_inode:\|pipe:'; }

i=0
first=
while [ $i -lt 10 ]; do
	i=$((i + 1))
	ctl --json update --timeout 30 "$WORK/v1/evstartup" >"$WORK/out" 2>&1 ||
		{ touch "$WORK/stop"; cat "$WORK/out"; fail "update $i did not commit"; }
	n=$(objects)
	[ -n "$n" ] || { touch "$WORK/stop"; cat "$WORK/out"; fail "update $i: no state_objects in the report"; }
	f=$(freed)
	echo "update $i: $n objects when quiesced, $f startup objects freed, $(fds) epoll instances and pipes"
	[ "${f:-0}" -ge "${MIN_FREED:-6}" ] || { touch "$WORK/stop"; cat "$WORK/out"; fail "update $i: the new startup's base and housekeeping struct are not freed (${f:-0} freed)"; }
	# the first update's past version is the original process, which
	# has no transfer behind it: count from the second on
	[ $i -ge 2 ] || continue
	first=${first:-$n}
	first_fds=${first_fds:-$(fds)}
	[ "$n" -le "$first" ] ||
		{ touch "$WORK/stop"; fail "update $i: $n objects when quiesced, $first at update 2: the state grows"; }
	[ "$(fds)" -le "$first_fds" ] ||
		{ touch "$WORK/stop"; fail "update $i: $(fds) epoll instances and pipes, $first_fds after update 2: the new startups' descriptors stay open"; }
done
touch "$WORK/stop"
wait "$load_pid"
[ ! -s "$WORK/load.failed" ] || fail "requests of the load failed: $(head -n 3 "$WORK/load.failed")"
echo "load: $(cat "$WORK/load.done") rounds of add and get, none failed"
expect "get 3 after 10 updates" "$(q "get 3")" 30
t0=$(q ticks)
sleep 0.2
t1=$(q ticks)
[ "${t1% *}" -gt "${t0% *}" ] || fail "the housekeeping timer no longer fires ($t0, then $t1)"
expect "housekeeping's name" "${t1#* }" housekeeping
echo ok
