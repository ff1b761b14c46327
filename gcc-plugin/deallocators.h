/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * deallocators.h - calls giving an object back to its slab or pool
 * (STF_DEALLOCATOR, or an STF_ALLOCATOR's partner by name) end the
 * object's registration (stf__sub_free).
 */
#ifndef STF_DEALLOCATORS_H
#define STF_DEALLOCATORS_H

#include "gcc-compat.h"

/* Notes an STF_ALLOCATOR function's name (when its attribute is seen):
 * "slab_alloc" makes "slab_free" its partner, "block_get" "block_put". */
void stf_note_allocator_name (tree fndecl);

/* Notes an STF_DEALLOCATOR function's name. */
void stf_note_deallocator_name (tree fndecl);

/* Whether the unit has a deallocator for STF_ALLOCATOR alloc: the
 * function of its name with its partner's word ("free" for "alloc",
 * "delete" for "new", ...: deallocators.cc), annotated or
 * referenced in the unit (a size-class allocator's objects are given back
 * one by one, a pool's are not: STF_SF_GIVEN_BACK). */
bool stf_has_deallocator (tree alloc);

opt_pass *stf_make_deallocs_pass (gcc::context *ctxt);

#endif /* STF_DEALLOCATORS_H */
