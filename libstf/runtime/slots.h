/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slots.h - the arguments slot allocators were called with (libstf
 * internal).  A slot allocator is an STF_ALLOCATOR that takes no size
 * (STF_SF_SLOT): the slab it is given picks the size of what it hands
 * out.  The plugin records the cache argument of each such call
 * (stf__slot_arg), so that an update whose slab type grows can hand each
 * live object a slot of the new version's slab: the transfer engine of
 * the new version reads this table from the old process and calls the
 * allocator with the cache the recorded argument became (transfer/slots.c).
 */
#ifndef STF_RUNTIME_SLOTS_H
#define STF_RUNTIME_SLOTS_H

#include <stdint.h>

#define STF_SLOT_ARGS_MAGIC 0x53475241544f4c53ULL /* "SLOTARGS" */
#define STF_SLOT_ARGS_CAP   1024u                  /* a power of two */

/* One (site, first argument) pair seen at a slot allocator's call. */
struct stf_slot_arg {
	uint64_t arg;  /* the call's first argument (the cache) XORed with
	                  STF_SLOT_ARG_MASK; 0: the allocator takes none (a
	                  static cache).  Masked, so that this table, in
	                  libstf's data, holds no pointer to the slabs of the
	                  new version's startup when the transfer sweeps
	                  what that startup allocated: pgbouncer kept its
	                  startup slabs and their chunks (27 objects, 320 KB)
	                  at every update. */
	uint64_t fn;   /* the allocator */
	uint32_t site; /* global site number of the call; 0: empty entry */
	uint32_t flags; /* STF_SLOT_ARG_INT: `arg` is an integer argument as
	                   it was (obj_alloc(KIND_CONN): it chooses a cache in
	                   the allocator's statics) */
};

#define STF_SLOT_ARG_INT 1u

/* The distinct pairs, open addressing by (site, arg, flags).  Entries are only
 * added (a cache freed since is filtered out by the reader: its address
 * no longer is a live object), so another process reads it without a
 * lock while the process is quiesced.  Full: `lost` is set, no later
 * pair is tried, and the reader refuses to rebuild what it cannot see. */
struct stf_slot_args {
	uint64_t magic;  /* STF_SLOT_ARGS_MAGIC */
	uint32_t n;      /* entries used */
	uint32_t lost;   /* 1: a pair was not recorded (the table was full) */
	struct stf_slot_arg e[STF_SLOT_ARGS_CAP];
};

/* This process's table.  Another process with the same libstf.so finds
 * it at the same distance from its stf__root. */
extern struct stf_slot_args stf__slot_args;

/* Called by the code the plugin emits after each call to a slot
 * allocator `fn` (masked_cache: its first argument if that is a pointer,
 * XORed with STF_SLOT_ARG_MASK, stf-format.h; 0 when it takes none):
 * records (site, cache) once. */
void stf__slot_arg(const void *fn, uint64_t masked_cache, const uint32_t *cell);

/* The same for a slot allocator whose first argument is an integer
 * (value, converted): records (site, value) once. */
void stf__slot_int_arg(const void *fn, uint64_t value, const uint32_t *cell);

/* Called by the code the plugin emits right before each call to a
 * deallocator (STF_DEALLOCATOR, or an STF_ALLOCATOR's partner by name):
 * obj, given back to its slab or pool, is no longer an object of its own
 * (its registration by stf__sub_object ends; the block around it keeps
 * its site). */
void stf__sub_free(void *obj);

#endif /* STF_RUNTIME_SLOTS_H */
