/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * inline-notes.h - the notes of an STF_ALLOCATOR's objects in libstf's
 * shadow map, emitted inline (inline-notes.cc).
 */
#ifndef STF_INLINE_NOTES_H
#define STF_INLINE_NOTES_H

#include "gcc-compat.h"

/* Whether objects of a constant size are noted inline (8 to 1024
 * bytes; larger ones by a call to stf__sub_note). */
bool stf_inline_note_fits (tree size);

/* A new byte of the unit's (an lvalue) caching the site's code for one
 * inline note: its address is the fourth argument of the note's slow
 * call. */
tree stf_inline_note_cache (void);
/* After the statement at *after: the note of ptr, an object of the
 * constant size (8 bytes or more; or of a size that varies, sized by its
 * wrapper's header) an STF_ALLOCATOR call handed out, in the map, with
 * the code its cache holds; slow_call (stf__sub_note or
 * stf__sub_note_sized (ptr, size, cell, &cache), not inserted yet) where
 * it cannot be noted there.  The statements after *after go to a new
 * block; *after is left on the last statement of its block. */
void stf_inline_note (gimple_stmt_iterator *after, tree ptr, tree size, gcall *slow_call,
		      location_t loc);

/* *gsi is a call stf__sub_free (p) (deallocators.cc): p's note cleared
 * in the map inline, the call kept for where there is none.  *gsi is
 * left on the last statement of the block before the call's new block. */
void stf_inline_give_back (gimple_stmt_iterator *gsi);

/* *gsi is a call stf__slot_arg (fn, cache, cell) after a slot allocator's
 * call whose cache is a pointer (sites.cc): made a call only when the
 * thread's last call there had another cache (a word of the unit's, in
 * thread-local storage).  *gsi is left as by stf_inline_give_back. */
void stf_inline_slot_arg (gimple_stmt_iterator *gsi);
/* The unit's thread-local words of stf_inline_slot_arg and bytes of
 * stf_inline_note_cache, into f. */
void stf_emit_unit_caches (FILE *f);

#endif /* STF_INLINE_NOTES_H */
