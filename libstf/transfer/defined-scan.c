/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * defined-scan.c - conservative scans that memcheck does not report.
 *
 * A conservative scan (the sweep of the new startup's objects, startup.c)
 * reads every aligned word of a range as a value, undefined ones too: the
 * dead slots of a stack, a struct's padding, the part of a block never
 * written.  Under valgrind each such read that decides a branch is an
 * error ("Conditional jump or move depends on uninitialised value(s)"),
 * though the scan means it.  So, when libstf is built with
 * <valgrind/memcheck.h> (configure checks for it) and runs under
 * valgrind, each chunk's definedness is saved, the chunk declared defined
 * while the scan reads it, and its definedness restored after, so that
 * the program's own reads of those bytes are still checked.  Memory
 * memcheck does not know as addressable is read as it is.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/memcheck.h>
#endif

#include "defined-scan.h"

void stf__defined_scan(stf_scan_fn *fn, void *ctx, uint64_t start, uint64_t end, uint8_t flag)
{
#ifdef HAVE_VALGRIND_MEMCHECK_H
	if (RUNNING_ON_VALGRIND) {
		static uint8_t vbits[4096]; /* the sweep runs in one thread */
		while (start < end) {
			/* chunks end at multiples of their size: no aligned
			 * word crosses from one to the next */
			uint64_t to = (start | (sizeof(vbits) - 1)) + 1;
			if (to > end)
				to = end;
			void *at = (void *)(uintptr_t)start;
			int saved = VALGRIND_GET_VBITS(at, vbits, to - start) == 1;
			if (saved)
				VALGRIND_MAKE_MEM_DEFINED(at, to - start);
			fn(ctx, start, to, flag);
			if (saved)
				(void)VALGRIND_SET_VBITS(at, vbits, to - start);
			start = to;
		}
		return;
	}
#endif
	fn(ctx, start, end, flag);
}
