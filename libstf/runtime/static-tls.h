/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* static-tls.h - the calling thread's static thread-local blocks. */
#ifndef STF_STATIC_TLS_H
#define STF_STATIC_TLS_H

#include <stdint.h>

/* The calling thread's static thread-local blocks: where the lowest
 * begins, and libstf's own [*own_start, *own_end) (0 if unknown).  The
 * memory below the lowest is not TLS (another mapping may have merged
 * with it), and libstf's block is no root of the program's state (the
 * allocator's cache keeps addresses of blocks it handed out since). */
void stf__static_tls(uint64_t *lowest, uint64_t *own_start, uint64_t *own_end);

#endif
