/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * allocators.h - which functions allocate: the C library's allocators and
 * the wrappers around them (STF_ALLOCATOR, the malloc attribute, or found
 * by looking at the wrapper's body).
 */
#ifndef STF_ALLOCATORS_H
#define STF_ALLOCATORS_H

#include "gcc-compat.h"

struct stf_allocator_desc {
	const char *name; /* the C library's name; NULL for a wrapper */
	int size_arg;     /* argument holding the byte size (or element size) */
	int count_arg;    /* argument holding the element count, -1 if none */
	int out_arg;      /* argument the block is returned through, -1: result */
	unsigned flags;   /* STF_SF_* */
};

/* Whether a call to fndecl allocates, and how. */
bool stf_classify_allocator (tree fndecl, stf_allocator_desc *out);

/* Whether fndecl is an allocator wrapper, by annotation or found. */
bool stf_is_wrapper (const_tree fndecl);

/* Whether the code after a call to fndecl registers what it returned
 * (stf__sub_object), instead of a marker set before it reaching the real
 * allocator: an STF_ALLOCATOR hands out objects from inside blocks of its
 * own, and so does a found wrapper returning what one hands out (a
 * generic `obj_new` returning xmalloc's result): its callers' sites type
 * the objects as a declared one's do. */
bool stf_registers_result (const_tree fndecl);

/* How the allocator calls in the body of a function are marked. */
enum stf_marking {
	STF_MARK_ALL,      /* not a wrapper: every call is a site */
	STF_MARK_NONE,     /* a wrapper: the caller's marker flows through */
	STF_MARK_FALLBACK, /* a found wrapper that callers in other units (or
			      through a pointer) call unmarked: its own
			      sites apply only when no marker is pending */
};
enum stf_marking stf_body_marking (const_tree fndecl);

/* PLUGIN_ALL_IPA_PASSES_START callback: finds the wrappers among the
 * functions defined in the unit, before any of them is optimized, so every
 * optimization level sees the same wrappers. */
void stf_find_wrappers (void *gcc_data, void *user_data);

#endif /* STF_ALLOCATORS_H */
