#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Memory and run-time overhead of instrumentation, on the kvd example
# server: kvd 1.0 built twice from the same source with the same flags,
# plain ($CC, eval/stf-plain.c for the two runtime entry points it calls)
# and instrumented (the stf.so plugin, libstf).
#   static:   loaded image (text+data+bss, size(1)) and file size
#   run-time: RSS after start, and after storing KEYS keys
#   update:   peak RSS of the whole tree (ttstd, past, future, reversed)
#             during a committed live update 1.0 -> 1.1 (eval/rss-peak.py),
#             against the plain server's RSS with the same keys
#   throughput: kvload run (8 connections, no rate limit) for DUR seconds
#             against each, alternately, the best round of each counting
#   allocator: bench/run-malloc (libstf's malloc against glibc's)
# Writes $OUT/data/memory.dat, throughput.dat, malloc.txt.
. "$(dirname "$0")/lib.sh"

if [ "$QUICK" = 1 ]; then keys=5000 dur=3 rounds=3
else keys=20000 dur=5 rounds=5; fi
work=$OUT/work/kvd
mkdir -p "$work" "$OUT/data"
kvd_src=$SRCDIR/examples/kvd
$CC -std=gnu11 -O2 -g -I"$STF_INCLUDE" -o "$work/kvd-plain" "$kvd_src/1.0/kvd.c" \
	"$SRCDIR/eval/stf-plain.c" || die "cannot build plain kvd"
cc_stf "$work/kvd-1.0" "$kvd_src/1.0/kvd.c" || die "cannot build kvd 1.0"
mkdir -p "$work/1.1"
cc_stf "$work/kvd-1.1" "$kvd_src/1.1/kvd.c" || die "cannot build kvd 1.1"
kvload=$KVD_DIR/kvload
cat >"$OUT/data/memory-overhead.cmd" <<CMD
$CC -std=gnu11 -O2 -g -o kvd-plain examples/kvd/1.0/kvd.c eval/stf-plain.c
$CC -std=gnu11 -O2 -g -fplugin=stf.so -o kvd-1.0 examples/kvd/1.0/kvd.c -lstf   (and 1.1)
size kvd-plain kvd-1.0; stat -c %s kvd-plain kvd-1.0
kvd-plain --port 0 / ttstd -- kvd-1.0 --port 0; VmRSS after start and after kvload fill --keys $keys
eval/rss-peak.py TTSTD_PID & ttst-ctl update kvd-1.1     # peak RSS of the tree
kvload --port P run --conns 8 --duration $dur            # $rounds rounds each, alternately
make -C bench malloc-bench-glibc malloc-bench-stf; bench/run-malloc   (quick: 3 sizes of it)
CMD

# ---- static
loaded() { size "$1" | awk 'NR == 2 { print $4 }'; }
sp=$(loaded "$work/kvd-plain") si=$(loaded "$work/kvd-1.0")
fp=$(stat -c %s "$work/kvd-plain") fi=$(stat -c %s "$work/kvd-1.0")
progress "memory: static image plain $sp B, instrumented $si B"

# start_kvd plain|inst: kvd on a free port, $port, $kvd_pid (the server)
start_kvd() {
	rm -f "$work/port"
	if [ "$1" = plain ]; then
		"$work/kvd-plain" --port 0 --port-file "$work/port" >"$work/plain.out" 2>&1 &
		kvd_pid=$! sup_pid=
	else
		start_supervised "$work/sock" "$work/ttstd.log" "$work/kvd-1.0" --port 0 --port-file "$work/port"
		sup_pid=$TTSTD_PID
		kvd_pid=$("$TTST_CTL" --socket "$work/sock" --json status | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
	fi
	until [ -s "$work/port" ]; do sleep 0.05; done
	port=$(cat "$work/port")
	sleep 0.3
}
stop_kvd() {
	if [ -n "$sup_pid" ]; then stop_supervised "$sup_pid"; else kill "$kvd_pid"; wait "$kvd_pid" 2>/dev/null; fi
}

# ---- run-time RSS, update peak
for v in plain inst; do
	start_kvd $v
	eval "start_$v=\$(rss_kib \$kvd_pid)"
	"$kvload" --port "$port" fill --keys "$keys" >/dev/null || die "kvload fill against $v kvd failed"
	eval "filled_$v=\$(rss_kib \$kvd_pid)"
	if [ $v = inst ]; then
		ttstd_rss=$(rss_kib "$sup_pid")
		rm -f "$work/sampling"
		python3 "$SRCDIR/eval/rss-peak.py" "$sup_pid" "$work/sampling" >"$work/peak" &
		sampler=$!
		until [ -e "$work/sampling" ]; do sleep 0.05; done
		sleep 0.1
		"$TTST_CTL" --socket "$work/sock" update "$work/kvd-1.1" >"$work/update.out" 2>&1 ||
			{ cat "$work/update.out" >&2; die "update kvd 1.0 -> 1.1 failed"; }
		sleep 0.2
		kill -TERM "$sampler"
		wait "$sampler"
		read -r peak peak_procs <"$work/peak"
		"$kvload" --port "$port" check --keys "$keys" >/dev/null || die "keys lost by the update"
	fi
	stop_kvd
done
progress "memory: RSS after fill plain $filled_plain KiB, instrumented $filled_inst KiB; update peak $peak KiB ($peak_procs processes)"
{
	echo "# metric plain instrumented ratio"
	awk -v p="$sp" -v i="$si" 'BEGIN { printf "static_image_bytes %d %d %.2f\n", p, i, i / p }'
	awk -v p="$fp" -v i="$fi" 'BEGIN { printf "file_bytes %d %d %.2f\n", p, i, i / p }'
	awk -v p="$start_plain" -v i="$start_inst" 'BEGIN { printf "rss_after_start_kib %d %d %.2f\n", p, i, i / p }'
	awk -v p="$filled_plain" -v i="$filled_inst" 'BEGIN { printf "rss_with_keys_kib %d %d %.2f\n", p, i, i / p }'
	awk -v p="$filled_plain" -v i="$peak" 'BEGIN { printf "peak_rss_update_tree_kib %d %d %.2f\n", p, i, i / p }'
	echo "# keys=$keys ttstd_rss_kib=$ttstd_rss peak_processes=$peak_procs"
} >"$OUT/data/memory.dat"

# ---- throughput
best_plain=0 best_inst=0
for r in $(seq "$rounds"); do
	for v in plain inst; do
		start_kvd $v
		"$kvload" --port "$port" run --conns 8 --duration "$dur" >"$work/load.$v" 2>&1 ||
			{ cat "$work/load.$v" >&2; die "kvload run against $v kvd failed"; }
		stop_kvd
		rate=$(sed -n 's/.*requests in [0-9.]* s (\([0-9]*\)\/s).*/\1/p' "$work/load.$v")
		progress "throughput round $r/$rounds: $v kvd $rate requests/s"
		eval "[ \"\$rate\" -gt \"\$best_$v\" ] && best_$v=\$rate"
	done
done
{
	echo "# plain_req_per_s instrumented_req_per_s ratio (Best of $rounds rounds of $dur s, 8 connections)"
	awk -v p="$best_plain" -v i="$best_inst" 'BEGIN { printf "%d %d %.3f\n", p, i, i / p }'
} >"$OUT/data/throughput.dat"

# ---- allocator
progress "allocator: bench/run-malloc (libstf vs glibc malloc)"
make -C "$BENCH_DIR" malloc-bench-glibc malloc-bench-stf >/dev/null || die "cannot build the malloc benchmarks"
if [ "$QUICK" = 1 ]; then
	# a few sizes of run-malloc's table, same binaries, best of 3
	{
		echo "malloc+free, CPU ns per pair (best of 3), libstf / glibc (quick: 3 sizes)"
		printf '%9s %7s %10s %10s %7s\n' size threads glibc libstf ratio
		for threads in 1 4; do
			for size in 64 1024 65536; do
				g= s=
				for _ in 1 2 3; do
					a=$("$BENCH_DIR/malloc-bench-glibc" ops $size $threads)
					b=$("$BENCH_DIR/malloc-bench-stf" ops $size $threads)
					g=$(awk -v x="$g" -v y="$a" 'BEGIN { print (x == "" || y + 0 < x + 0) ? y : x }')
					s=$(awk -v x="$s" -v y="$b" 'BEGIN { print (x == "" || y + 0 < x + 0) ? y : x }')
				done
				awk -v z=$size -v t=$threads -v g="$g" -v s="$s" \
					'BEGIN { printf "%9d %7d %10.2f %10.2f %7.2f\n", z, t, g, s, s / g }'
			done
		done
	} >"$OUT/data/malloc.txt" || die "malloc-bench failed"
else
	BENCH_DIR=$BENCH_DIR SRC=$SRCDIR/bench/malloc-bench.c CC=$CC \
		sh "$SRCDIR/bench/run-malloc" >"$OUT/data/malloc.txt" 2>&1 || die "bench/run-malloc failed"
fi
