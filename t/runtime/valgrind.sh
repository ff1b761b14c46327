#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# runtime-prog behaves identically natively and under valgrind (memcheck,
# errors fatal).  By default valgrind replaces every global definition of
# malloc, libstf's included, which would bypass libstf;
# --soname-synonyms=somalloc=nouserintercepts limits the replacement to
# libc (libstf's own buffers).  Then the allocator's stress test with no
# replacement at all (somalloc=NONE): libstf's allocator runs, and
# memcheck checks every access it makes (its tables, spans, metadata),
# and so for its blocks over several freed objects (test-wide).
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
set -e
./runtime-prog > valgrind-native.out
valgrind -q --error-exitcode=99 --soname-synonyms=somalloc=nouserintercepts \
	./runtime-prog > valgrind-memcheck.out
diff -u valgrind-native.out valgrind-memcheck.out
grep -q '^blocks allocated by this program: 1200$' valgrind-native.out
valgrind -q --error-exitcode=99 --soname-synonyms=somalloc=NONE \
	./test-stress 2000 > valgrind-stress.out
grep -q ' 0 failures$' valgrind-stress.out
CK_FORK=no valgrind -q --error-exitcode=99 --soname-synonyms=somalloc=NONE \
	./test-wide > valgrind-wide.out
grep -q 'Checks: 7, Failures: 0, Errors: 0' valgrind-wide.out
