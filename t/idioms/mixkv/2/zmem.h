/* SPDX-License-Identifier: GPL-3.0-or-later */
/* zmem - mixkv's allocators: a size-prefixing wrapper around malloc (a
 * 16-byte header with the size and a magic) and a pool of 4 KiB chunks. */
#include <stddef.h>
#include <stf.h>
STF_ALLOCATOR void *zmalloc(size_t n);
STF_ALLOCATOR void *zcalloc(size_t n);
void zfree(void *p);
size_t zsize(void *p);
extern size_t zused;
/* a pool: objects carved out of 4 KiB chunks, freed all at once */
struct pool;
struct pool *pool_new(void);
STF_ALLOCATOR void *pool_alloc(struct pool *p, size_t n);
void pool_reset(struct pool *p);
