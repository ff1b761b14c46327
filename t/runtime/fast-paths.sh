#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The malloc family's entry points in libstf.so reach their thread-local
# state (the per-thread cache, the plugin's pending site marker) with the
# initial-exec model: no call of __tls_get_addr.  One declaration without
# the model (alloc.h's stf__alloc_site) made every malloc call it twice
# and save six registers (a server's request cycle 1.25x glibc's time).
set -e
lib=$top_builddir/libstf/.libs/libstf.so
[ -f "$lib" ] || { echo "libstf.so not built"; exit 1; }
command -v objdump >/dev/null || { echo "objdump not found: skipped"; exit 77; }
objdump -d --no-show-raw-insn "$lib" > fast-paths.dis
bad=$(awk '/^[0-9a-f]+ <[^>]*>:$/ { fn = $2 }
	/call.*<__tls_get_addr/ { print fn }' fast-paths.dis |
	grep -E '^<(malloc|free|calloc|realloc|reallocarray|realloc_at|malloc_slow|free_slow|memalign_at[.a-z0-9]*|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|malloc_usable_size)>:$' |
	sort -u || true)
# A thread enters its own log of the sub-objects its STF_ALLOCATOR calls
# handed out (runtime/sub-pending.c) with a store and a load: an atomic
# exchange there, twice per pool_alloc + pool_free, was 79% of a pair's
# time (33 ns against 1.35 plain, pool-bench 1 64 1 lifo).  `xchg %ax,%ax`
# is the assembler's two-byte nop, padding after a function.
locked=$(awk '/^[0-9a-f]+ <[^>]*>:$/ { fn = $2 }
	/\t(lock |xchg)/ && !/xchg +%ax,%ax$/ { print fn }' fast-paths.dis |
	grep -E '^<(stf__pending_add|stf__pending_cancel|cancel_own)>:$' | sort -u || true)
rm -f fast-paths.dis
if [ -n "$bad" ]; then
	echo "calls __tls_get_addr:" $bad
	exit 1
fi
echo "malloc family: no __tls_get_addr call"
if [ -n "$locked" ]; then
	echo "atomic read-modify-write in the owner's way into its log:" $locked
	exit 1
fi
echo "sub-object log: no atomic read-modify-write on the owner's way"
