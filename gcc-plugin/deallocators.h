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
 * "slab_alloc" makes "slab_free" its partner. */
void stf_note_allocator_name (tree fndecl);

opt_pass *stf_make_deallocs_pass (gcc::context *ctxt);

#endif /* STF_DEALLOCATORS_H */
