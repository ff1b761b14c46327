#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Fault-injection campaign over the state transfer code: kvd 1.0 under a
# light checked client load is updated TRIALS times with
# `ttst-ctl update --fault KIND@PHASE[:POINT]`, cycling through every kind
# (crash, hang, corrupt-value, corrupt-pointer, skip-write, leak) and phase
# (forward, backward), alternately to 1.1 (types change) and to 1.0 (same
# types).  The value faults hit a random point of the state (POINT from a
# seeded generator: any byte for values, any relocated pointer, redirected
# to a random object).  After every trial the server's state is verified:
# every stored key (kvload check), kvd's own table check (VERIFY), and
# after a rollback the same process serving.  Outcomes: rolled back by
# crash / timeout / invariant / difference; committed with a correct state
# (the fault changed nothing the program can see); undetected (committed
# with a wrong state); and rollbacks that left damage.
# Writes $OUT/data/faults.dat (outcome counts) and faults.log.
. "$(dirname "$0")/lib.sh"

if [ "$QUICK" = 1 ]; then trials=${FAULT_TRIALS:-48}; else trials=${FAULT_TRIALS:-1008}; fi
seed=${EVAL_SEED:-1}
keys=2000
work=$OUT/work/faults
mkdir -p "$work" "$OUT/data"
cc_stf "$work/kvd-1.0" "$SRCDIR/examples/kvd/1.0/kvd.c" || die "cannot build kvd 1.0"
cc_stf "$work/kvd-1.1" "$SRCDIR/examples/kvd/1.1/kvd.c" || die "cannot build kvd 1.1"
sock=$work/sock
kvload=$KVD_DIR/kvload kvc=$KVD_DIR/kvc
echo "ttst-ctl --socket S --json update --timeout 2 --fault KIND@PHASE[:POINT] kvd-1.1|kvd-1.0   # $trials trials, seed $seed" \
	>"$OUT/data/faults.cmd"

start_kvd() {
	rm -f "$work/port"
	start_supervised "$sock" "$work/ttstd.log" "$work/kvd-1.0" --port 0 --port-file "$work/port"
	sup=$TTSTD_PID
	until [ -s "$work/port" ]; do sleep 0.05; done
	port=$(cat "$work/port")
	"$kvload" --port "$port" fill --keys $keys --seed 5 --prefix data >/dev/null || die "fill failed"
	"$kvload" --port "$port" check --keys 50 --prefix absent >/dev/null 2>&1   # some misses
	served=$(served_pid)
}
served_pid() { "$TTST_CTL" --socket "$sock" --json status | sed -n 's/.*"pid":\([0-9]*\).*/\1/p'; }
state_ok() { # the stored keys and kvd's table are intact
	"$kvload" --port "$port" check --keys $keys --seed 5 --prefix data >"$work/check" 2>&1 &&
		"$kvc" --port "$port" VERIFY | grep -q '^VERIFY ok'
}
start_load() {
	"$kvload" --port "$port" run --conns 4 --rate 300 --prefix load >"$work/load.out" 2>&1 &
	load=$!
}
stop_load() { # 0 if no client request failed
	kill -TERM "$load" 2>/dev/null
	wait "$load"
}

start_kvd
# pointers each direction relocates, for the corrupt-pointer points
for t in 1.0 1.1; do
	"$TTST_CTL" --socket "$sock" --json update --dry-run "$work/kvd-$t" >"$work/base.$t" 2>&1 ||
		{ cat "$work/base.$t" >&2; die "fault-free dry run to $t failed"; }
	eval "fptr_$(echo $t | tr . _)=\$(json \"\$work/base.\$t\" forward pointers)"
	eval "bptr_$(echo $t | tr . _)=\$(json \"\$work/base.\$t\" backward pointers)"
done
start_load
load_failures=0

kinds="crash hang corrupt-value corrupt-pointer skip-write leak"
rng=$seed
rand() { # next value of a 31-bit LCG, in $rng
	rng=$(( (rng * 1103515245 + 12345) % 2147483648 ))
}
: >"$OUT/data/faults.log"
crash=0 timeout=0 invariant=0 difference=0 correct=0 undetected=0 damaged=0 errors=0 noinject=0
i=0
while [ $i -lt "$trials" ]; do
	c=$((i % 12))
	kind=$(echo $kinds | cut -d' ' -f$((c / 2 + 1)))
	phase=forward
	[ $((c % 2)) -eq 1 ] && phase=backward
	target=1.1
	[ $(( (i / 12) % 2 )) -eq 1 ] && target=1.0
	spec=$kind@$phase
	case $kind in
	corrupt-value|skip-write) rand; spec=$spec:$rng ;;
	corrupt-pointer)
		rand
		t=$(echo $target | tr . _)
		if [ $phase = forward ]; then eval "n=\$fptr_$t"; else eval "n=\$bptr_$t"; fi
		spec=$spec:$((rng % n)) ;;
	esac
	i=$((i + 1))
	lines=$(wc -l <"$work/ttstd.log.out")
	"$TTST_CTL" --socket "$sock" --json update --timeout 2 --fault "$spec" "$work/kvd-$target" \
		>"$work/try" 2>&1
	rc=$?
	reason=$(json_str "$work/try" reason)
	injected=yes
	tail -n +$((lines + 1)) "$work/ttstd.log.out" | grep -q 'no fault injected' && injected=no
	case $rc in
	1)
		case $reason in
		*"killed by"*|*"exited"*|*"hung up"*|*"died"*) outcome=crash ;;
		*"timed out"*) outcome=timeout ;;
		*"differ"*) outcome=difference ;;
		*) outcome=invariant ;;
		esac
		eval "$outcome=\$(($outcome + 1))"
		if ! state_ok || [ "$(served_pid)" != "$served" ]; then
			damaged=$((damaged + 1))
			outcome="$outcome, DAMAGED"
		fi ;;
	0)
		stop_load || load_failures=$((load_failures + 1))
		if state_ok; then
			correct=$((correct + 1))
			outcome="committed, state correct"
		else
			undetected=$((undetected + 1))
			outcome="COMMITTED WITH A WRONG STATE (undetected)"
		fi
		[ $injected = no ] && noinject=$((noinject + 1))
		stop_supervised "$sup"
		start_kvd
		start_load ;;
	*)
		errors=$((errors + 1))
		outcome="ttst-ctl exit $rc: $(head -c 200 "$work/try")" ;;
	esac
	printf '%d %s -> kvd %s: %s: %s\n' "$i" "$spec" "$target" "$outcome" "$reason" >>"$OUT/data/faults.log"
	if [ $((i % 12)) -eq 0 ] || [ $i -eq "$trials" ] || [ $rc -ne 1 ]; then
		progress "faults $i/$trials: crash $crash timeout $timeout invariant $invariant difference $difference committed-correct $correct undetected $undetected damaged $damaged (last: $spec: $outcome)"
	fi
done
stop_load || load_failures=$((load_failures + 1))
stop_supervised "$sup"
{
	echo "# outcome count"
	echo "rolled_back_crash $crash"
	echo "rolled_back_timeout $timeout"
	echo "rolled_back_invariant $invariant"
	echo "rolled_back_difference $difference"
	echo "committed_correct $correct"
	echo "undetected $undetected"
	echo "damaged_after_rollback $damaged"
	echo "errors $errors"
	echo "committed_without_injection $noinject"
	echo "client_load_failures $load_failures"
	echo "trials $trials"
	echo "seed $seed"
} >"$OUT/data/faults.dat"
