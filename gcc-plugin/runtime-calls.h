/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * runtime-calls.h - the libstf entry points called after an
 * STF_ALLOCATOR's call (runtime-calls.cc).
 */
#ifndef STF_RUNTIME_CALLS_H
#define STF_RUNTIME_CALLS_H

#include "gcc-compat.h"
#include "allocators.h"

/* void stf__sub_object (void *obj, size_t size, const uint32_t *site_cell):
 * types what an STF_ALLOCATOR handed out. */
tree stf_sub_object_decl (void);

/* stf__sub_note (constant size of 8 bytes or more) or, sized,
 * stf__sub_note_sized (a size read from its wrapper's header): the
 * object noted in libstf's shadow map; (obj, size, site_cell, cache). */
tree stf_sub_note_decl (bool sized);

/* The slot allocator's cache argument of call, saved before it (see
 * runtime-calls.cc); NULL_TREE when call is not to a slot allocator.
 * *integer: the cache is chosen by an integer. */
tree stf_slot_cache_arg (gcall *call, const stf_allocator_desc &alloc,
			 gimple_stmt_iterator *gsi, bool *integer);

/* After *after: stf__slot_arg (&allocator, cache, cell) (or
 * stf__slot_int_arg), the allocator's address taken so that the new
 * version's transfer can call it; returns the call inserted. */
gcall *stf_insert_slot_arg (gimple_stmt_iterator *after, gcall *call, tree cache,
			    bool integer, tree cell, location_t loc);

#endif /* STF_RUNTIME_CALLS_H */
