#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Fault-injection campaign: kvd 1.0 under continuous client load is updated
# with `ttst-ctl update --fault KIND@PHASE` for every fault kind and phase,
# FAULT_RUNS times each (default 3), alternately to 1.1 (types change) and
# to 1.0 itself (identical types: the engine's copy fast paths).  Every injected fault must end
# in a rollback (an update that commits with a fault in it is an undetected
# corruption), and after each rollback 1.0 must still serve every stored
# key, from the same process, with a consistent table (kvd's VERIFY) and
# no client request failing.

. "$(dirname "$0")/lib.sh"

runs=${FAULT_RUNS:-3}
keys=2000
kinds="crash hang corrupt-value corrupt-pointer skip-write leak"
phases="forward backward"

start_kvd 1.0 --timeout 30
kvload fill --keys $keys --seed 3 --prefix data >/dev/null || fail "fill failed"
kvload check --keys 100 --prefix absent >/dev/null 2>&1   # some misses
start_load load
pid=$(served_pid)

total=0 detected=0 undetected=0 damaged=0
for kind in $kinds; do
	for phase in $phases; do
		r=0
		while [ $r -lt "$runs" ]; do
			r=$((r + 1))
			total=$((total + 1))
			t0=$(date +%s.%N)
			target=1.1
			[ $((r % 2)) -eq 0 ] && target=1.0
			update $target --fault "$kind@$phase" --timeout 3
			rc=$?
			t1=$(date +%s.%N)
			reason=$(grep -m1 -i 'reason\|rolled back\|rollback' "$tmp/update.out")
			case $rc in
			1)	detected=$((detected + 1)) ;;
			0)	undetected=$((undetected + 1))
				echo "UNDETECTED: $kind@$phase run $r committed:"
				sed 's/^/  | /' "$tmp/update.out"
				# Go on from the committed version: any version pair
				# is an update.
				pid=$(served_pid) ;;
			*)	sed 's/^/  | /' "$tmp/update.out"
				fail "$kind@$phase: ttst-ctl exit status $rc (usage or connection error)" ;;
			esac
			printf '# %-24s run %d (to %s): %s in %s s: %s\n' "$kind@$phase" "$r" "$target" \
				"$([ $rc -eq 1 ] && echo "rolled back" || echo COMMITTED)" \
				"$(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")" "$reason"
			# After a rollback, the old version serves everything as before.
			kvload check --keys $keys --seed 3 --prefix data >"$tmp/check.out" 2>&1
			intact=$?
			kvc VERIFY >>"$tmp/check.out"
			if [ $intact -ne 0 ] || ! grep -q '^VERIFY ok' "$tmp/check.out" ||
			   [ "$(served_pid)" != "$pid" ]; then
				damaged=$((damaged + 1))
				echo "DAMAGED after $kind@$phase run $r (served pid $(served_pid), was $pid):"
				sed 's/^/  | /' "$tmp/check.out"
			fi
		done
	done
done

stop_load
note "fault campaign: $total faulty updates, $detected rolled back, $undetected committed (undetected), $damaged left damaged state"
[ $undetected -eq 0 ] || fail "$undetected faulty updates were committed"
[ $damaged -eq 0 ] || fail "$damaged rollbacks left the running version damaged"
exit 0
