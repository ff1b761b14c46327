/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * scratch.c - the transfer's per-thread message buffers (scratch.h).
 *
 * A thread's buffers are one anonymous private mapping of libstf's own
 * (stf__raw_mmap: not a heap object, not state), made by its first
 * stf__scratch.  Its untouched pages cost no memory, so a step that uses
 * two buffers touches two.  A child of fork() gets a copy, as it got a
 * copy of the TLS arrays before.  The pointer is initial-exec TLS: one
 * word in every thread instead of ~0.8 MiB.
 */
#include <errno.h>
#include <sys/mman.h>

#include "alloc.h"
#include "engine.h"
#include "scratch.h"

_Static_assert(SCRATCH_BYTES >= sizeof(struct msg_hdr) + MSG_MAX && SCRATCH_BYTES % 64 == 0,
	       "a scratch buffer holds a whole message");

#define SCRATCH_MAP ((size_t)SCRATCH_USES * SCRATCH_BYTES)

static __thread uint8_t *scratch __attribute__((tls_model("initial-exec")));

void *stf__scratch(enum stf_scratch_use use)
{
	if (!scratch) {
		void *p = stf__raw_mmap(NULL, SCRATCH_MAP, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return errno = ENOMEM, NULL;
		scratch = p;
	}
	return scratch + (size_t)use * SCRATCH_BYTES;
}

void stf__scratch_release(void)
{
	if (scratch)
		stf__raw_munmap(scratch, SCRATCH_MAP);
	scratch = NULL;
}
